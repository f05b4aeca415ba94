package switchcli

import (
	"fmt"
	"strings"

	"github.com/railyard/railyard/internal/model"
)

// NVIDIA Cumulus Linux 5.x: NVUE for the system and interfaces
// (nv show ... -o json), the ONIE EEPROM for hardware identity
// (decode-syseeprom -j) and lldpd for LLDP. lldpd's socket is root's, so
// the LLDP commands go through sudo -n: without a NOPASSWD rule they fail
// at once and the neighbours are reported Missing instead of hanging on a
// password prompt.
var cumulusPlatform = &platformSpec{
	name: "cumulus",
	def:  "cumulus_linux",
	os:   "Cumulus Linux",
	commands: []string{
		"nv show system -o json",
		"decode-syseeprom -j",
		"nv show interface -o json",
		"sudo -n lldpcli -f json show chassis",
		"sudo -n lldpctl -f json",
	},
	lldpCmds: []int{3, 4},
	shell:    true,
	prompt:   func(h string) string { return "cumulus@" + h + ":mgmt:~$ " },
	banner: "Linux leaf01 6.1.0-cl-1-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.38-4+cl5.9.1u4 (2024-05-20) x86_64\n\n" +
		"Welcome to NVIDIA Cumulus (R) Linux (R)\n\nFor support and online technical documentation, visit\nhttps://www.nvidia.com/en-us/support\n\n" +
		"The registered trademark Linux (R) is used pursuant to a sublicense from LMI,\nthe exclusive licensee of Linus Torvalds, owner of the mark on a world-wide\nbasis.\n" +
		"Last login: Tue Mar 12 09:41:07 2024 from 10.20.0.5\n",
}

// cumulusNotPorts are NVUE interface types that are not ports.
var cumulusNotPorts = map[string]bool{"loopback": true, "bridge": true, "svi": true, "vrf": true, "vlan": true}

func parseCumulus(out []string) (model.SwitchFacts, error) {
	cmds := cumulusPlatform.commands
	sys, err := decodeJSON(cmds[0], out[0])
	if err != nil {
		return model.SwitchFacts{}, err
	}
	sf := model.SwitchFacts{OS: "Cumulus Linux", Name: str(sys["hostname"])}
	if sf.Name == "" {
		return model.SwitchFacts{}, malformed("%s: no hostname", cmds[0])
	}
	sf.Version = str(sys["product-release"])
	if sf.Version == "" {
		sf.Version = strings.TrimSpace(strings.TrimPrefix(str(sys["build"]), "Cumulus Linux"))
	}

	ee, err := decodeJSON(cmds[1], out[1])
	if err != nil {
		return model.SwitchFacts{}, err
	}
	tlv, ok := ee["tlv"].(map[string]any)
	if !ok {
		return model.SwitchFacts{}, malformed("%s: no tlv object", cmds[1])
	}
	field := func(k string) string { return str(obj(tlv[k])["value"]) }
	sf.Vendor = field("Manufacturer")
	if sf.Vendor == "" {
		sf.Vendor = field("Vendor Name")
	}
	sf.Model = field("Product Name")
	sf.Serial = field("Serial Number")

	ifs, err := decodeJSON(cmds[2], out[2])
	if err != nil {
		return model.SwitchFacts{}, err
	}
	for name, v := range ifs {
		i := obj(v)
		if i == nil {
			return model.SwitchFacts{}, malformed("%s: %q is not an object", cmds[2], name)
		}
		if name == "lo" || cumulusNotPorts[str(i["type"])] {
			continue
		}
		link := obj(i["link"])
		up := str(link["oper-status"]) == "up"
		if _, ok := link["oper-status"]; !ok {
			_, up = obj(link["state"])["up"]
		}
		p := model.PortFacts{Name: strings.TrimSpace(name), SpeedGbps: parseSpeedText(str(link["speed"]), 'M'), Up: up}
		if m, ok := normMAC(str(link["mac-address"])); ok {
			p.MAC = m
		}
		sf.Ports = append(sf.Ports, p)
	}

	noLLDP := lldpdUnavailable(out[3]) || lldpdUnavailable(out[4])
	if !noLLDP {
		if sf.ChassisID, err = parseLLDPDChassis(cmds[3], out[3]); err != nil {
			return model.SwitchFacts{}, err
		}
		if sf.Neighbors, err = parseLLDPDNeighbors(cmds[4], out[4]); err != nil {
			return model.SwitchFacts{}, err
		}
	}
	return sf, finish(&sf, noLLDP)
}

func renderCumulus(sf model.SwitchFacts) ([]string, error) {
	p := cumulusPlatform
	if err := checkOS(p, sf); err != nil {
		return nil, err
	}
	if sf.Description != "" {
		return nil, cannot(p.name, "a description")
	}
	sys := map[string]any{
		"hostname":     sf.Name,
		"product-name": "Cumulus Linux",
		"timezone":     "Etc/UTC",
		"uptime":       3704893,
		"build":        strings.TrimSpace("Cumulus Linux " + sf.Version),
	}
	if sf.Version != "" {
		sys["product-release"] = sf.Version
	}
	tlv := map[string]any{
		"Part Number":      map[string]any{"code": "0x22", "length": "13", "value": "MSN3700-VS2FO"},
		"Manufacture Date": map[string]any{"code": "0x25", "length": "19", "value": "08/14/2022 10:02:33"},
		"Platform Name":    map[string]any{"code": "0x28", "length": "30", "value": "x86_64-mlnx_msn3700-r0"},
		"ONIE Version":     map[string]any{"code": "0x29", "length": "22", "value": "2022.08-5.3.0010-115200"},
	}
	addTLV := func(name, code, val string) {
		if val != "" {
			tlv[name] = map[string]any{"code": code, "length": fmt.Sprint(len(val)), "value": val}
		}
	}
	addTLV("Product Name", "0x21", sf.Model)
	addTLV("Serial Number", "0x23", sf.Serial)
	addTLV("Manufacturer", "0x2B", sf.Vendor)
	eeprom := map[string]any{
		"header": map[string]any{"id": "TlvInfo", "version": "1", "length": "166"},
		"tlv":    tlv,
		"crc":    map[string]any{"code": "0xFE", "length": "4", "value": "0x6A6F3C1E", "valid": true},
	}

	ifs := map[string]any{
		"lo":         map[string]any{"type": "loopback", "link": map[string]any{"mtu": 65536, "state": map[string]any{"up": map[string]any{}}}},
		"br_default": map[string]any{"type": "bridge", "link": map[string]any{"mtu": 9216, "state": map[string]any{"up": map[string]any{}}}},
		"vlan10":     map[string]any{"type": "svi", "link": map[string]any{"mtu": 9216, "state": map[string]any{"up": map[string]any{}}}},
	}
	for _, pt := range sf.Ports {
		if err := renderable(pt.Name); err != nil {
			return nil, err
		}
		if _, clash := ifs[pt.Name]; clash {
			return nil, cannot(p.name, fmt.Sprintf("a port named %q (not a port on Cumulus)", pt.Name))
		}
		typ := "bond"
		switch {
		case strings.HasPrefix(pt.Name, "swp"):
			typ = "swp"
		case strings.HasPrefix(pt.Name, "eth"):
			typ = "eth"
		}
		state := "down"
		if pt.Up {
			state = "up"
		}
		link := map[string]any{
			"admin-status": "up",
			"oper-status":  state,
			"mtu":          9216,
			"state":        map[string]any{state: map[string]any{}},
		}
		if pt.SpeedGbps > 0 {
			link["speed"] = fmt.Sprintf("%dG", pt.SpeedGbps)
		}
		if pt.MAC != "" {
			link["mac-address"] = pt.MAC
		}
		ifs[pt.Name] = map[string]any{"type": typ, "link": link}
	}
	out := make([]string, 5)
	var err error
	if out[0], err = marshalIndent(sys); err != nil {
		return nil, err
	}
	if out[1], err = marshalIndent(eeprom); err != nil {
		return nil, err
	}
	if out[2], err = marshalIndent(ifs); err != nil {
		return nil, err
	}
	if out[3], err = renderLLDPDChassis(sf.Name, sf.ChassisID); err != nil {
		return nil, err
	}
	if out[4], err = renderLLDPDNeighbors(sf.Neighbors); err != nil {
		return nil, err
	}
	return out, nil
}
