package switchcli

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/railyard/railyard/internal/model"
)

// lldpd (https://lldpd.github.io) is the LLDP agent of Cumulus Linux, SONiC
// and most Linux hosts. Its "json" output format (lldpcli -f json, lldpd
// 1.0.x) collapses one-element lists: a single interface is an object keyed
// by the interface name, several are a list of such one-key objects; a
// chassis is keyed by its system name when it has one. Captured from
// lldpd 1.0.16:
//
//	{"lldp": {"interface": [
//	  {"eth0": {"via": "LLDP", "rid": "1", "age": "0 day, 00:00:03",
//	    "chassis": {"spine-1": {"id": {"type": "mac", "value": "ba:ef:0f:05:a9:12"}, "descr": "..."}},
//	    "port": {"id": {"type": "ifname", "value": "swp1"}, "descr": "to frr-a eth0", "ttl": "120"}}},
//	  {"eth1": {... "port": {"id": {"type": "mac", "value": "6e:92:da:55:df:6f"}, "descr": "swp2"}}}]}}
//
// and no neighbours at all is {"lldp": {}}.

// parseLLDPDNeighbors parses `lldpcli -f json show neighbors details`
// (equivalently `lldpctl -f json`).
func parseLLDPDNeighbors(cmd, out string) ([]model.LLDPNeighbor, error) {
	root, err := decodeJSON(cmd, out)
	if err != nil {
		return nil, err
	}
	l, ok := root["lldp"]
	if !ok {
		return nil, malformed("%s: no \"lldp\" object", cmd)
	}
	var res []model.LLDPNeighbor
	for _, e := range list(obj(l)["interface"]) {
		for ifname, v := range obj(e) {
			n := obj(v)
			if n == nil {
				return nil, malformed("%s: interface %q is not an object", cmd, ifname)
			}
			if via := str(n["via"]); via != "" && !strings.EqualFold(via, "LLDP") {
				continue // CDP, EDP, ... are not LLDP rows
			}
			nb := model.LLDPNeighbor{LocalPort: strings.TrimSpace(ifname)}
			ch := lldpdChassis(obj(n["chassis"]))
			nb.SysName = ch.name
			nb.ChassisID = lldpdID(ch.id)
			port := obj(n["port"])
			pid := obj(port["id"])
			nb.PortID = str(pid["value"])
			if str(pid["type"]) == "mac" {
				if m, ok := normMAC(nb.PortID); ok {
					nb.PortID, nb.PortIDIsMAC = m, true
				}
			}
			nb.PortDesc = str(port["descr"])
			res = append(res, nb)
		}
	}
	return res, nil
}

type lldpdChassisInfo struct {
	name string
	id   map[string]any
}

// lldpdChassis reads a chassis object, keyed by system name or not.
func lldpdChassis(c map[string]any) lldpdChassisInfo {
	if c == nil {
		return lldpdChassisInfo{}
	}
	if id := obj(c["id"]); id != nil && (id["type"] != nil || id["value"] != nil) {
		return lldpdChassisInfo{id: id}
	}
	// Keyed by name: exactly one key. Pick deterministically if not.
	names := make([]string, 0, len(c))
	for k := range c {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if inner := obj(c[k]); inner != nil {
			return lldpdChassisInfo{name: strings.TrimSpace(k), id: obj(inner["id"])}
		}
	}
	return lldpdChassisInfo{}
}

// lldpdID returns a chassis id value, MACs normalised.
func lldpdID(id map[string]any) string {
	return macOrRaw(str(id["value"]))
}

// parseLLDPDChassis parses `lldpcli -f json show chassis` and returns the
// local chassis id.
func parseLLDPDChassis(cmd, out string) (string, error) {
	root, err := decodeJSON(cmd, out)
	if err != nil {
		return "", err
	}
	lc, ok := root["local-chassis"]
	if !ok {
		return "", malformed("%s: no \"local-chassis\" object", cmd)
	}
	ch := lldpdChassis(obj(obj(lc)["chassis"]))
	return lldpdID(ch.id), nil
}

// lldpdUnavailable says whether an lldpcli output is lldpcli's complaint
// that no lldpd answers (not installed, not running, no permission), in
// which case the host's LLDP table is unknown rather than malformed.
func lldpdUnavailable(out string) bool {
	s := strings.TrimSpace(out)
	if strings.HasPrefix(s, "{") {
		return false
	}
	for _, m := range []string{
		"unable to connect to socket",
		"cannot find lldpd daemon",
		"lldpcli: command not found",
		"lldpctl: command not found",
		"a password is required", // sudo -n
	} {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

// parseLLDPDText parses lldpctl's plain output (`lldpctl`, or SONiC's
// `show lldp neighbors`, which runs lldpctl in the lldp container):
//
//	-------------------------------------------------------------------------------
//	LLDP neighbors:
//	-------------------------------------------------------------------------------
//	Interface:    eth0, via: LLDP, RID: 1, Time: 0 day, 00:00:10
//	  Chassis:
//	    ChassisID:    mac ba:ef:0f:05:a9:12
//	    SysName:      spine-1
//	  Port:
//	    PortID:       ifname swp1
//	    PortDescr:    to frr-a eth0
//	-------------------------------------------------------------------------------
func parseLLDPDText(cmd, out string) ([]model.LLDPNeighbor, error) {
	if !strings.Contains(out, "LLDP neighbors:") {
		return nil, malformed("%s: no \"LLDP neighbors:\" header: %s", cmd, firstLine(out))
	}
	var res []model.LLDPNeighbor
	var cur *model.LLDPNeighbor
	flush := func() {
		if cur != nil {
			res = append(res, *cur)
			cur = nil
		}
	}
	for _, line := range strings.Split(out, "\n") {
		t := strings.TrimSpace(line)
		key, val, ok := strings.Cut(t, ":")
		if !ok {
			if strings.HasPrefix(t, "---") {
				flush()
			}
			continue
		}
		val = strings.TrimSpace(val)
		switch key {
		case "Interface":
			flush()
			ifname, rest, _ := strings.Cut(val, ",")
			if strings.Contains(rest, "via:") && !strings.Contains(rest, "via: LLDP") {
				continue // a CDP/EDP/... row
			}
			if strings.TrimSpace(ifname) == "" {
				return nil, malformed("%s: neighbour without an interface name", cmd)
			}
			cur = &model.LLDPNeighbor{LocalPort: strings.TrimSpace(ifname)}
		case "ChassisID":
			if cur != nil {
				_, v := cutType(val)
				cur.ChassisID = macOrRaw(v)
			}
		case "SysName":
			if cur != nil {
				cur.SysName = val
			}
		case "PortID":
			if cur != nil {
				typ, v := cutType(val)
				cur.PortID = v
				if typ == "mac" {
					if m, ok := normMAC(v); ok {
						cur.PortID, cur.PortIDIsMAC = m, true
					}
				}
			}
		case "PortDescr":
			if cur != nil {
				cur.PortDesc = val
			}
		}
	}
	flush()
	return res, nil
}

// cutType splits lldpctl's "mac 00:11:22:33:44:55" or "ifname swp1".
func cutType(v string) (typ, val string) {
	typ, val, ok := strings.Cut(v, " ")
	if !ok {
		return "", strings.TrimSpace(v)
	}
	return typ, strings.TrimSpace(val)
}

// ---- rendering (the fake CLI side)

func lldpdIDJSON(id string, isMAC bool, nonMACType string) map[string]any {
	if m, ok := normMAC(id); ok && (isMAC || nonMACType == "") {
		return map[string]any{"type": "mac", "value": m}
	}
	t := nonMACType
	if t == "" {
		t = "local"
	}
	return map[string]any{"type": t, "value": id}
}

// renderLLDPDNeighbors writes lldpd 1.0.16's `-f json` neighbour output.
func renderLLDPDNeighbors(ns []model.LLDPNeighbor) (string, error) {
	var ifs []any
	rids := map[string]int{}
	for _, n := range ns {
		if err := renderable(n.LocalPort, n.ChassisID, n.PortID, n.PortDesc, n.SysName); err != nil {
			return "", err
		}
		key := n.ChassisID + "\x00" + n.SysName
		if _, ok := rids[key]; !ok {
			rids[key] = len(rids) + 1
		}
		chassis := map[string]any{
			"descr": "Cumulus Linux version 5.9.1 running on Mellanox Technologies Ltd. MSN3700",
			"capability": []any{
				map[string]any{"type": "Bridge", "enabled": true},
				map[string]any{"type": "Router", "enabled": true},
			},
		}
		if n.ChassisID != "" {
			chassis["id"] = lldpdIDJSON(n.ChassisID, false, "")
		}
		if n.SysName != "" {
			chassis = map[string]any{n.SysName: chassis}
		}
		port := map[string]any{"ttl": "120"}
		if n.PortID != "" {
			port["id"] = lldpdIDJSON(n.PortID, n.PortIDIsMAC, "ifname")
		}
		if n.PortDesc != "" {
			port["descr"] = n.PortDesc
		}
		ifs = append(ifs, map[string]any{n.LocalPort: map[string]any{
			"via":     "LLDP",
			"rid":     fmt.Sprint(rids[key]),
			"age":     "0 day, 02:13:41",
			"chassis": chassis,
			"port":    port,
		}})
	}
	l := map[string]any{}
	switch len(ifs) {
	case 0:
	case 1:
		l["interface"] = ifs[0]
	default:
		l["interface"] = ifs
	}
	return marshalIndent(map[string]any{"lldp": l})
}

// renderLLDPDChassis writes `lldpcli -f json show chassis`.
func renderLLDPDChassis(name, chassisID string) (string, error) {
	ch := map[string]any{
		"descr": "Linux",
		"capability": []any{
			map[string]any{"type": "Bridge", "enabled": true},
			map[string]any{"type": "Router", "enabled": true},
		},
	}
	if chassisID != "" {
		ch["id"] = lldpdIDJSON(chassisID, false, "")
	}
	return marshalIndent(map[string]any{"local-chassis": map[string]any{"chassis": map[string]any{name: ch}}})
}

const lldpdRule = "-------------------------------------------------------------------------------"

// renderLLDPDText writes lldpctl's plain neighbour output.
func renderLLDPDText(ns []model.LLDPNeighbor) (string, error) {
	var b strings.Builder
	b.WriteString(lldpdRule + "\nLLDP neighbors:\n" + lldpdRule + "\n")
	for i, n := range ns {
		if err := renderable(n.LocalPort, n.ChassisID, n.PortID, n.PortDesc, n.SysName); err != nil {
			return "", err
		}
		if strings.ContainsAny(n.LocalPort, ", ") {
			return "", fmt.Errorf("lldpctl text cannot carry local port %q (blank or comma)", n.LocalPort)
		}
		fmt.Fprintf(&b, "Interface:    %s, via: LLDP, RID: %d, Time: 0 day, 02:13:41\n", n.LocalPort, i+1)
		b.WriteString("  Chassis:\n")
		if n.ChassisID != "" {
			id := lldpdIDJSON(n.ChassisID, false, "")
			fmt.Fprintf(&b, "    ChassisID:    %s %s\n", id["type"], id["value"])
		}
		if n.SysName != "" {
			fmt.Fprintf(&b, "    SysName:      %s\n", n.SysName)
		}
		b.WriteString("    SysDescr:     Arista Networks EOS version 4.31.2F running on an Arista Networks DCS-7060DX5-64S\n")
		b.WriteString("    Capability:   Bridge, on\n    Capability:   Router, on\n")
		b.WriteString("  Port:\n")
		if n.PortID != "" {
			id := lldpdIDJSON(n.PortID, n.PortIDIsMAC, "ifname")
			fmt.Fprintf(&b, "    PortID:       %s %s\n", id["type"], id["value"])
		}
		if n.PortDesc != "" {
			fmt.Fprintf(&b, "    PortDescr:    %s\n", n.PortDesc)
		}
		b.WriteString("    TTL:          120\n")
		b.WriteString(lldpdRule + "\n")
	}
	return strings.TrimRight(b.String(), "\n"), nil
}

func marshalIndent(v any) (string, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// renderable rejects values a CLI transcript cannot carry faithfully:
// control characters (newlines would split lines), and leading or
// trailing blanks (terminals and scrapligo trim them).
func renderable(vals ...string) error {
	for _, v := range vals {
		if !printable(v) {
			return fmt.Errorf("value %q has control characters", v)
		}
		if v != strings.TrimSpace(v) {
			return fmt.Errorf("value %q has leading or trailing blanks", v)
		}
	}
	return nil
}
