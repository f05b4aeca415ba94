package switchcli

import (
	"fmt"
	"strings"

	"github.com/railyard/railyard/internal/model"
)

// Arista EOS answers "| json" with the same documents its eAPI returns
// (show version: modelName, serialNumber, systemMacAddress, version;
// show hostname: hostname, fqdn; show interfaces status:
// interfaceStatuses{name: bandwidth (b/s), linkStatus}; show lldp
// neighbors detail: lldpNeighbors{local: lldpNeighborInfo[]}).
var eosPlatform = &platformSpec{
	name: "eos",
	def:  "arista_eos",
	os:   "EOS",
	commands: []string{
		"show version | json",
		"show hostname | json",
		"show interfaces status | json",
		"show lldp neighbors detail | json",
	},
	onOpen: []string{"terminal width 32767", "terminal length 0"},
	prompt: func(h string) string { return h + "#" },
	banner: "Last login: Tue Mar 12 09:41:07 2024 from 10.20.0.5\n",
}

func parseEOS(out []string) (model.SwitchFacts, error) {
	cmds := eosPlatform.commands
	ver, err := decodeJSON(cmds[0], out[0])
	if err != nil {
		return model.SwitchFacts{}, err
	}
	if !hasAny(ver, "modelName", "version", "serialNumber", "systemMacAddress", "mfgName") {
		return model.SwitchFacts{}, malformed("%s: none of modelName, version, serialNumber, systemMacAddress", cmds[0])
	}
	sf := model.SwitchFacts{
		OS:      "EOS",
		Vendor:  str(ver["mfgName"]),
		Model:   str(ver["modelName"]),
		Version: str(ver["version"]),
		Serial:  str(ver["serialNumber"]),
	}
	if sf.Vendor == "" {
		sf.Vendor = "Arista" // EOS runs on Arista hardware only; old releases omit mfgName
	}
	if m, ok := normMAC(str(ver["systemMacAddress"])); ok {
		sf.ChassisID = m
	}

	host, err := decodeJSON(cmds[1], out[1])
	if err != nil {
		return model.SwitchFacts{}, err
	}
	sf.Name = str(host["hostname"])
	if sf.Name == "" {
		return model.SwitchFacts{}, malformed("%s: no hostname", cmds[1])
	}

	st, err := decodeJSON(cmds[2], out[2])
	if err != nil {
		return model.SwitchFacts{}, err
	}
	statuses, ok := st["interfaceStatuses"].(map[string]any)
	if !ok {
		return model.SwitchFacts{}, malformed("%s: no interfaceStatuses object", cmds[2])
	}
	for name, v := range statuses {
		s := obj(v)
		if s == nil {
			return model.SwitchFacts{}, malformed("%s: %q is not an object", cmds[2], name)
		}
		bw, _ := num(s["bandwidth"])
		sf.Ports = append(sf.Ports, model.PortFacts{
			Name:      strings.TrimSpace(name),
			SpeedGbps: gbps(bw, 1e9),
			Up:        str(s["linkStatus"]) == "connected",
		})
	}

	ll, err := decodeJSON(cmds[3], out[3])
	if err != nil {
		return model.SwitchFacts{}, err
	}
	nbrs, ok := ll["lldpNeighbors"].(map[string]any)
	if !ok {
		return model.SwitchFacts{}, malformed("%s: no lldpNeighbors object", cmds[3])
	}
	for local, v := range nbrs {
		for _, e := range list(obj(v)["lldpNeighborInfo"]) {
			info := obj(e)
			if info == nil {
				return model.SwitchFacts{}, malformed("%s: neighbour on %s is not an object", cmds[3], local)
			}
			n := model.LLDPNeighbor{
				LocalPort: strings.TrimSpace(local),
				ChassisID: macOrRaw(str(info["chassisId"])),
				SysName:   str(info["systemName"]),
			}
			ifi := obj(info["neighborInterfaceInfo"])
			n.PortID = str(ifi["interfaceId_v2"])
			if n.PortID == "" {
				n.PortID = strings.Trim(str(ifi["interfaceId"]), `"`)
			}
			if str(ifi["interfaceIdType"]) == "macAddress" {
				if m, ok := normMAC(n.PortID); ok {
					n.PortID, n.PortIDIsMAC = m, true
				}
			}
			n.PortDesc = str(ifi["interfaceDescription"])
			sf.Neighbors = append(sf.Neighbors, n)
		}
	}
	return sf, finish(&sf, false)
}

func hasAny(m map[string]any, keys ...string) bool {
	for _, k := range keys {
		if _, ok := m[k]; ok {
			return true
		}
	}
	return false
}

// cannot reports facts a platform's output has no place for.
func cannot(platform, what string) error {
	return fmt.Errorf("switchcli: %s output cannot carry %s", platform, what)
}

// checkOS accepts an empty OS or the platform's own.
func checkOS(p *platformSpec, sf model.SwitchFacts) error {
	if sf.OS != "" && sf.OS != p.os {
		return cannot(p.name, fmt.Sprintf("OS %q (it is always %q)", sf.OS, p.os))
	}
	return renderable(sf.Name, sf.ChassisID, sf.Vendor, sf.Model, sf.Version, sf.Serial, sf.Description)
}

// eosInterfaceType is the transceiver type EOS prints for a speed.
func eosInterfaceType(g int) string {
	switch {
	case g == 0:
		return "Not Present"
	case g >= 400:
		return "400GBASE-DR4"
	case g >= 100:
		return "100GBASE-CR4"
	case g >= 25:
		return "25GBASE-CR"
	case g >= 10:
		return "10GBASE-SR"
	}
	return "1000BASE-T"
}

func renderEOS(sf model.SwitchFacts) ([]string, error) {
	p := eosPlatform
	if err := checkOS(p, sf); err != nil {
		return nil, err
	}
	if sf.Description != "" {
		return nil, cannot(p.name, "a description")
	}
	if sf.ChassisID != "" {
		if _, ok := normMAC(sf.ChassisID); !ok {
			return nil, cannot(p.name, "a chassis id that is not a MAC")
		}
	}
	vendor := sf.Vendor
	if vendor == "" {
		vendor = "Arista"
	}
	ver := map[string]any{
		"mfgName":            vendor,
		"hardwareRevision":   "11.01",
		"configMacAddress":   "00:00:00:00:00:00",
		"architecture":       "x86_64",
		"imageFormatVersion": "3.0",
		"imageOptimization":  "Strata-4GB",
		"bootupTimestamp":    1709891234.56,
		"uptime":             2164233.14,
		"memTotal":           8098984,
		"memFree":            5830080,
		"isIntlVersion":      false,
	}
	if sf.Model != "" {
		ver["modelName"] = sf.Model
	}
	if sf.Version != "" {
		ver["version"] = sf.Version
		ver["internalVersion"] = sf.Version + "-35112567.4312F"
		ver["internalBuildId"] = "0a4b3c0e-5d0c-4d6b-9c1c-2b9f3e7d1a21"
	}
	if sf.Serial != "" {
		ver["serialNumber"] = sf.Serial
	}
	if m, ok := normMAC(sf.ChassisID); ok {
		ver["systemMacAddress"] = m
		ver["hwMacAddress"] = m
	}
	host := map[string]any{"hostname": sf.Name, "fqdn": sf.Name + ".dc1.example.net"}

	statuses := map[string]any{}
	lldp := map[string]any{}
	for _, pt := range sf.Ports {
		if err := renderable(pt.Name); err != nil {
			return nil, err
		}
		if pt.MAC != "" {
			return nil, cannot(p.name, "port MACs")
		}
		link, proto := "notconnect", "down"
		if pt.Up {
			link, proto = "connected", "up"
		}
		statuses[pt.Name] = map[string]any{
			"description":          "",
			"bandwidth":            int64(pt.SpeedGbps) * 1_000_000_000,
			"interfaceType":        eosInterfaceType(pt.SpeedGbps),
			"linkStatus":           link,
			"lineProtocolStatus":   proto,
			"duplex":               "duplexFull",
			"autoNegotiateActive":  false,
			"autoNegotigateActive": false,
			"vlanInformation":      map[string]any{"interfaceMode": "routed", "interfaceForwardingModel": "routed"},
		}
		lldp[pt.Name] = map[string]any{"lldpNeighborInfo": []any{}}
	}
	for _, n := range sf.Neighbors {
		if err := renderable(n.LocalPort, n.ChassisID, n.PortID, n.PortDesc, n.SysName); err != nil {
			return nil, err
		}
		chType, chID := "local", n.ChassisID
		if m, ok := normMAC(n.ChassisID); ok {
			chType, chID = "macAddress", dottedMAC(m)
		}
		ifi := map[string]any{
			"interfaceIdType":            "interfaceName",
			"interfaceId":                `"` + n.PortID + `"`,
			"interfaceId_v2":             n.PortID,
			"autoNegCapability":          "notCapable",
			"operMauType":                "Unknown",
			"maxFrameSize":               9236,
			"portAndProtocolVlanEnabled": map[string]any{},
			"vlanNames":                  map[string]any{},
		}
		if n.PortIDIsMAC {
			d := dottedMAC(n.PortID)
			ifi["interfaceIdType"], ifi["interfaceId"], ifi["interfaceId_v2"] = "macAddress", d, d
		}
		if n.PortDesc != "" {
			ifi["interfaceDescription"] = n.PortDesc
		}
		info := map[string]any{
			"chassisIdType":         chType,
			"chassisId":             chID,
			"systemDescription":     "Arista Networks EOS version 4.31.2F running on an Arista Networks DCS-7060DX5-64S",
			"ttl":                   120,
			"lastChangeTime":        1709891301.25,
			"lastContactTime":       1712055512.02,
			"neighborDiscoveryTime": 1709891301.25,
			"systemCapabilities":    map[string]any{"bridge": true, "router": true},
			"managementAddresses": []any{map[string]any{
				"address": "10.20.0.1", "addressType": "ipv4", "interfaceNum": 999999, "interfaceNumType": "ifIndex", "oidString": "",
			}},
			"neighborInterfaceInfo": ifi,
		}
		if n.SysName != "" {
			info["systemName"] = n.SysName
		}
		cur := obj(lldp[n.LocalPort])
		if cur == nil {
			cur = map[string]any{"lldpNeighborInfo": []any{}}
			lldp[n.LocalPort] = cur
		}
		cur["lldpNeighborInfo"] = append(cur["lldpNeighborInfo"].([]any), info)
	}
	out := make([]string, 4)
	var err error
	for i, v := range []any{
		ver, host,
		map[string]any{"interfaceStatuses": statuses},
		map[string]any{"lldpNeighbors": lldp, "tablesLastChangeTime": 1709891301.25, "tablesAgeOuts": 0, "tablesInserts": len(sf.Neighbors), "tablesDeletes": 0, "tablesDrops": 0},
	} {
		if out[i], err = marshalIndent(v); err != nil {
			return nil, err
		}
	}
	return out, nil
}
