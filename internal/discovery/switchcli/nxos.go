package switchcli

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/railyard/railyard/internal/model"
)

// Cisco NX-OS "| json" output wraps tables as TABLE_x{ROW_x: [...]}, and
// a table with one row has an object instead of a one-element list. A
// table with no rows is often no output at all.
var nxosPlatform = &platformSpec{
	name: "nxos",
	def:  "cisco_nxos",
	os:   "NX-OS",
	commands: []string{
		"show version | json",
		"show interface status | json",
		"show lldp neighbors detail | json",
	},
	onOpen: []string{"terminal width 511", "terminal length 0"},
	prompt: func(h string) string { return h + "#" },
	banner: "\nUser Access Verification\nCisco Nexus Operating System (NX-OS) Software\nTAC support: http://www.cisco.com/tac\nCopyright (C) 2002-2023, Cisco and/or its affiliates.\nAll rights reserved.\n",
}

// rows returns the rows of TABLE_<name>/ROW_<name>.
func rows(m map[string]any, name string) []any {
	return list(obj(m["TABLE_"+name])["ROW_"+name])
}

// nxosStr reads an LLDP field; NX-OS writes "null" or "not advertised"
// for absent ones.
func nxosStr(v any) string {
	s := str(v)
	switch strings.ToLower(s) {
	case "null", "not advertised", "n/a":
		return ""
	}
	return s
}

var nxosBuildRe = regexp.MustCompile(`\s*\[build [^\]]*\]\s*$`)

// nxosLongName expands the short names NX-OS uses in LLDP tables (Eth1/1)
// to the names of the interface table (Ethernet1/1).
func nxosLongName(n string) string {
	for _, p := range [][2]string{{"Eth", "Ethernet"}, {"Po", "port-channel"}, {"Lo", "loopback"}} {
		if rest, ok := strings.CutPrefix(n, p[0]); ok && rest != "" && isDigit(rest[0]) {
			return p[1] + rest
		}
	}
	return n
}

func nxosShortName(n string) string {
	if rest, ok := strings.CutPrefix(n, "Ethernet"); ok && rest != "" && isDigit(rest[0]) {
		return "Eth" + rest
	}
	return n
}

func parseNXOS(out []string) (model.SwitchFacts, error) {
	cmds := nxosPlatform.commands
	ver, err := decodeJSON(cmds[0], out[0])
	if err != nil {
		return model.SwitchFacts{}, err
	}
	sf := model.SwitchFacts{OS: "NX-OS", Name: str(ver["host_name"])}
	if sf.Name == "" {
		return model.SwitchFacts{}, malformed("%s: no host_name", cmds[0])
	}
	sf.Vendor = str(ver["manufacturer"])
	if sf.Vendor == "" {
		sf.Vendor = "Cisco Systems, Inc."
	}
	chassis := str(ver["chassis_id"])
	for _, suf := range []string{" chassis", " Chassis"} {
		chassis = strings.TrimSuffix(chassis, suf)
	}
	sf.Model = strings.TrimSpace(chassis)
	for _, k := range []string{"nxos_ver_str", "sys_ver_str", "kickstart_ver_str"} {
		if v := str(ver[k]); v != "" {
			sf.Version = nxosBuildRe.ReplaceAllString(v, "")
			break
		}
	}
	sf.Serial = str(ver["proc_board_id"])

	st, err := decodeJSON(cmds[1], out[1])
	if err != nil {
		return model.SwitchFacts{}, err
	}
	if _, ok := st["TABLE_interface"]; !ok {
		return model.SwitchFacts{}, malformed("%s: no TABLE_interface", cmds[1])
	}
	for _, r := range rows(st, "interface") {
		row := obj(r)
		name := str(row["interface"])
		if row == nil || name == "" {
			return model.SwitchFacts{}, malformed("%s: row without an interface name", cmds[1])
		}
		sf.Ports = append(sf.Ports, model.PortFacts{
			Name:      name,
			SpeedGbps: parseSpeedText(str(row["speed"]), 'M'),
			Up:        str(row["state"]) == "connected",
		})
	}

	// No neighbours: NX-OS prints nothing, or just the count.
	if strings.TrimSpace(out[2]) != "" {
		ll, err := decodeJSON(cmds[2], out[2])
		if err != nil {
			return model.SwitchFacts{}, err
		}
		if !hasAny(ll, "TABLE_nbor_detail", "neigh_count") {
			return model.SwitchFacts{}, malformed("%s: no TABLE_nbor_detail", cmds[2])
		}
		for _, r := range rows(ll, "nbor_detail") {
			row := obj(r)
			if row == nil {
				return model.SwitchFacts{}, malformed("%s: row is not an object", cmds[2])
			}
			n := model.LLDPNeighbor{
				LocalPort: nxosLongName(str(row["l_port_id"])),
				ChassisID: macOrRaw(nxosStr(row["chassis_id"])),
				PortID:    nxosStr(row["port_id"]),
				PortDesc:  nxosStr(row["port_desc"]),
				SysName:   nxosStr(row["sys_name"]),
			}
			if strings.EqualFold(str(row["port_type"]), "Mac Address") {
				if m, ok := normMAC(n.PortID); ok {
					n.PortID, n.PortIDIsMAC = m, true
				}
			}
			sf.Neighbors = append(sf.Neighbors, n)
		}
	}
	return sf, finish(&sf, false)
}

func nxosSpeed(g int) string {
	switch g {
	case 0:
		return "auto"
	case 1:
		return "1000"
	}
	return fmt.Sprintf("%dG", g)
}

func renderNXOS(sf model.SwitchFacts) ([]string, error) {
	p := nxosPlatform
	if err := checkOS(p, sf); err != nil {
		return nil, err
	}
	switch {
	case sf.Description != "":
		return nil, cannot(p.name, "a description")
	case sf.ChassisID != "":
		return nil, cannot(p.name, "a chassis id (show version has no system MAC)")
	case strings.Contains(sf.Version, "["):
		return nil, cannot(p.name, "a version with a [build] suffix")
	case strings.HasSuffix(sf.Model, " chassis") || strings.HasSuffix(sf.Model, " Chassis"):
		return nil, cannot(p.name, "a model ending in chassis")
	}
	vendor := sf.Vendor
	if vendor == "" {
		vendor = "Cisco Systems, Inc."
	}
	ver := map[string]any{
		"header_str":         "Cisco Nexus Operating System (NX-OS) Software\nTAC support: http://www.cisco.com/tac\nCopyright (C) 2002-2023, Cisco and/or its affiliates.\nAll rights reserved.\n",
		"bios_ver_str":       "05.47",
		"bios_cmpl_time":     "04/28/2022",
		"cpu_name":           "Intel(R) Xeon(R) CPU D-1528 @ 1.90GHz",
		"memory":             32788296,
		"mem_type":           "kB",
		"host_name":          sf.Name,
		"bootflash_size":     115805356,
		"kern_uptm_days":     41,
		"kern_uptm_hrs":      7,
		"kern_uptm_mins":     12,
		"kern_uptm_secs":     55,
		"rr_reason":          "Reset Requested by CLI command reload",
		"rr_sys_ver":         "",
		"rr_service":         "",
		"manufacturer":       vendor,
		"TABLE_package_list": map[string]any{"ROW_package_list": map[string]any{"package_id": ""}},
	}
	if sf.Version != "" {
		ver["nxos_ver_str"] = sf.Version
		ver["kickstart_ver_str"] = sf.Version
		ver["nxos_file_name"] = "bootflash:///nxos64-cs." + sf.Version + ".M.bin"
	}
	if sf.Model != "" {
		ver["chassis_id"] = sf.Model + " Chassis"
	}
	if sf.Serial != "" {
		ver["proc_board_id"] = sf.Serial
	}

	var ifRows []any
	for _, pt := range sf.Ports {
		if err := renderable(pt.Name); err != nil {
			return nil, err
		}
		if pt.MAC != "" {
			return nil, cannot(p.name, "port MACs")
		}
		if nxosLongName(nxosShortName(pt.Name)) != pt.Name {
			return nil, cannot(p.name, fmt.Sprintf("port name %q (NX-OS abbreviates it differently)", pt.Name))
		}
		state := "notconnect"
		if pt.Up {
			state = "connected"
		}
		row := map[string]any{"interface": pt.Name, "state": state, "vlan": "routed", "duplex": "full", "speed": nxosSpeed(pt.SpeedGbps), "type": "QSFP-100G-CR4"}
		if pt.SpeedGbps == 0 {
			row["duplex"], row["type"] = "auto", "--"
		}
		ifRows = append(ifRows, row)
	}
	var nRows []any
	for _, n := range sf.Neighbors {
		if err := renderable(n.LocalPort, n.ChassisID, n.PortID, n.PortDesc, n.SysName); err != nil {
			return nil, err
		}
		if nxosLongName(nxosShortName(n.LocalPort)) != n.LocalPort {
			return nil, cannot(p.name, fmt.Sprintf("local port name %q", n.LocalPort))
		}
		for _, v := range []string{n.ChassisID, n.PortID, n.PortDesc, n.SysName} {
			if nxosStr(v) != v {
				return nil, cannot(p.name, fmt.Sprintf("the LLDP value %q (NX-OS uses it for absent)", v))
			}
		}
		chType, chID := "Locally Assigned", n.ChassisID
		if m, ok := normMAC(n.ChassisID); ok {
			chType, chID = "Mac Address", dottedMAC(m)
		}
		ptType, ptID := "Interface Name", n.PortID
		if n.PortIDIsMAC {
			ptType, ptID = "Mac Address", dottedMAC(n.PortID)
		}
		row := map[string]any{
			"chassis_type":        chType,
			"chassis_id":          orNull(chID),
			"port_type":           ptType,
			"port_id":             orNull(ptID),
			"l_port_id":           nxosShortName(n.LocalPort),
			"port_desc":           orNull(n.PortDesc),
			"sys_name":            orNull(n.SysName),
			"sys_desc":            "Cumulus Linux version 5.9.1 running on Mellanox Technologies Ltd. MSN3700",
			"ttl":                 107,
			"system_capability":   "B, R",
			"enabled_capability":  "B, R",
			"mgmt_addr_type":      "IPV4",
			"mgmt_addr":           "10.20.0.11",
			"mgmt_addr_ipv6_type": "IPV6",
			"mgmt_addr_ipv6":      "not advertised",
			"vlan_id":             "not advertised",
		}
		nRows = append(nRows, row)
	}
	out := make([]string, 3)
	var err error
	if out[0], err = marshalIndent(ver); err != nil {
		return nil, err
	}
	if out[1], err = marshalIndent(map[string]any{"TABLE_interface": map[string]any{"ROW_interface": nxosRows(ifRows)}}); err != nil {
		return nil, err
	}
	if len(nRows) > 0 {
		if out[2], err = marshalIndent(map[string]any{"TABLE_nbor_detail": map[string]any{"ROW_nbor_detail": nxosRows(nRows)}, "neigh_count": len(nRows)}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// nxosRows writes a ROW_ value the way NX-OS does: one row is an object.
func nxosRows(r []any) any {
	if len(r) == 1 {
		return r[0]
	}
	if r == nil {
		return []any{}
	}
	return r
}

func orNull(s string) string {
	if s == "" {
		return "null"
	}
	return s
}
