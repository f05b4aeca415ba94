package switchcli

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/railyard/railyard/internal/model"
)

// Juniper Junos "| display json" renders the XML RPC reply as JSON: every
// element is a list of objects and every leaf is [{"data": "..."}]. Multi
// routing-engine systems wrap replies in multi-routing-engine-results, so
// the parsers search for the element they want instead of fixing a path.
var junosPlatform = &platformSpec{
	name: "junos",
	def:  "juniper_junos",
	os:   "Junos",
	commands: []string{
		"show system information | display json",
		"show lldp local-information | display json",
		"show interfaces | display json",
		"show lldp neighbors detail | display json",
	},
	onOpen: []string{"set cli screen-width 511", "set cli screen-length 0", "set cli complete-on-space off"},
	prompt: func(h string) string { return "{master:0}\nnetops@" + h + "> " },
	banner: "Last login: Tue Mar 12 09:41:07 2024 from 10.20.0.5\n--- JUNOS 23.4R2-S2.1 Kernel 64-bit  JNPR-12.1-20240628.0e1d8a3_buil\n",
}

const junosVendor = "Juniper Networks"

// junosPortRe selects the physical-interface entries that are ports:
// front-panel ge/xe/et/mge (with channelised :n), aggregated ae, and the
// management em/fxp/re interfaces; not lo0, irb, vtep, pfe-, jsrv, ...
var junosPortRe = regexp.MustCompile(`^((ge|xe|et|mge)-\d+/\d+/\d+(:\d+)?|ae\d+|em\d+|fxp\d+|re\d+:mgmt-\d+)$`)

// jfind returns the list stored under key in the first object (searched
// breadth first) that has it.
func jfind(v any, key string) ([]any, bool) {
	queue := []any{v}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		switch t := cur.(type) {
		case map[string]any:
			if x, ok := t[key]; ok {
				return list(x), true
			}
			for _, c := range t {
				queue = append(queue, c)
			}
		case []any:
			queue = append(queue, t...)
		}
	}
	return nil, false
}

// jdata reads a leaf: m[key][0].data.
func jdata(m map[string]any, key string) string {
	l := list(m[key])
	if len(l) == 0 {
		return ""
	}
	return str(obj(l[0])["data"])
}

func parseJunos(out []string) (model.SwitchFacts, error) {
	cmds := junosPlatform.commands
	var roots [4]map[string]any
	for i := range roots {
		r, err := decodeJSON(cmds[i], out[i])
		if err != nil {
			return model.SwitchFacts{}, err
		}
		roots[i] = r
	}
	si, ok := jfind(roots[0], "system-information")
	if !ok || len(si) == 0 {
		return model.SwitchFacts{}, malformed("%s: no system-information", cmds[0])
	}
	sys := obj(si[0])
	sf := model.SwitchFacts{
		OS:      "Junos",
		Vendor:  junosVendor,
		Name:    jdata(sys, "host-name"),
		Model:   jdata(sys, "hardware-model"),
		Version: jdata(sys, "os-version"),
		Serial:  jdata(sys, "serial-number"),
	}
	if sf.Name == "" {
		return model.SwitchFacts{}, malformed("%s: no host-name", cmds[0])
	}

	li, ok := jfind(roots[1], "lldp-local-info")
	if !ok {
		return model.SwitchFacts{}, malformed("%s: no lldp-local-info", cmds[1])
	}
	if len(li) > 0 {
		sf.ChassisID = macOrRaw(jdata(obj(li[0]), "lldp-local-chassis-id"))
	}

	ii, ok := jfind(roots[2], "interface-information")
	if !ok {
		return model.SwitchFacts{}, malformed("%s: no interface-information", cmds[2])
	}
	for _, info := range ii {
		for _, e := range list(obj(info)["physical-interface"]) {
			pi := obj(e)
			name := jdata(pi, "name")
			if name == "" {
				return model.SwitchFacts{}, malformed("%s: physical-interface without a name", cmds[2])
			}
			if !junosPortRe.MatchString(name) {
				continue
			}
			p := model.PortFacts{
				Name:      name,
				SpeedGbps: parseSpeedText(jdata(pi, "speed"), 'M'),
				Up:        jdata(pi, "oper-status") == "up",
			}
			if m, ok := normMAC(jdata(pi, "current-physical-address")); ok {
				p.MAC = m
			}
			sf.Ports = append(sf.Ports, p)
		}
	}

	ni, ok := jfind(roots[3], "lldp-neighbors-information")
	if !ok {
		return model.SwitchFacts{}, malformed("%s: no lldp-neighbors-information", cmds[3])
	}
	for _, info := range ni {
		for _, e := range list(obj(info)["lldp-neighbor-information"]) {
			r := obj(e)
			n := model.LLDPNeighbor{
				// detail output: lldp-local-interface is the name and
				// lldp-local-port-id may be an SNMP index; brief output
				// only has lldp-local-port-id.
				LocalPort: jdata(r, "lldp-local-interface"),
				ChassisID: macOrRaw(jdata(r, "lldp-remote-chassis-id")),
				PortID:    jdata(r, "lldp-remote-port-id"),
				PortDesc:  jdata(r, "lldp-remote-port-description"),
				SysName:   jdata(r, "lldp-remote-system-name"),
			}
			if n.LocalPort == "" {
				n.LocalPort = jdata(r, "lldp-local-port-id")
			}
			if strings.EqualFold(jdata(r, "lldp-remote-port-id-subtype"), "Mac address") {
				if m, ok := normMAC(n.PortID); ok {
					n.PortID, n.PortIDIsMAC = m, true
				}
			}
			sf.Neighbors = append(sf.Neighbors, n)
		}
	}
	return sf, finish(&sf, false)
}

// jleaf writes a Junos JSON leaf.
func jleaf(v string) []any { return []any{map[string]any{"data": v}} }

func junosSpeed(g int) string {
	switch {
	case g == 0:
		return "Auto"
	case g < 10:
		return fmt.Sprintf("%dmbps", g*1000)
	}
	return fmt.Sprintf("%dGbps", g)
}

func renderJunos(sf model.SwitchFacts) ([]string, error) {
	p := junosPlatform
	if err := checkOS(p, sf); err != nil {
		return nil, err
	}
	switch {
	case sf.Description != "":
		return nil, cannot(p.name, "a description")
	case sf.Vendor != "" && sf.Vendor != junosVendor:
		return nil, cannot(p.name, fmt.Sprintf("vendor %q (it is always %q)", sf.Vendor, junosVendor))
	}
	// scrapligo's juniper_junos prompt patterns include the shell
	// prompts ^.*[%$]$ and ^.*root@...[%#]$, which a byte-by-byte replay
	// would see in any line that breaks right after a %, $ or #.
	noShellChars := func(vals ...string) error {
		for _, v := range vals {
			if strings.ContainsAny(v, "%$#") {
				return cannot(p.name, fmt.Sprintf("%q (%%, $ and # look like a shell prompt to scrapligo)", v))
			}
		}
		return nil
	}
	if err := noShellChars(sf.Name, sf.ChassisID, sf.Model, sf.Version, sf.Serial); err != nil {
		return nil, err
	}
	sys := map[string]any{
		"host-name": jleaf(sf.Name),
		"os-name":   jleaf("junos-qfx"),
	}
	if sf.Model != "" {
		sys["hardware-model"] = jleaf(sf.Model)
		sys["product-model"] = jleaf(sf.Model)
	}
	if sf.Version != "" {
		sys["os-version"] = jleaf(sf.Version)
	}
	if sf.Serial != "" {
		sys["serial-number"] = jleaf(sf.Serial)
	}
	local := map[string]any{
		"lldp-local-system-name":                   jleaf(sf.Name),
		"lldp-local-system-descr":                  jleaf("Juniper Networks, Inc. qfx5120-48y-8c Ethernet Switch, kernel JUNOS " + sf.Version),
		"lldp-local-system-capabilities-supported": jleaf("Bridge Router"),
	}
	if sf.ChassisID != "" {
		sub := "Locally assigned"
		if _, ok := normMAC(sf.ChassisID); ok {
			sub = "Mac address"
		}
		local["lldp-local-chassis-id"] = jleaf(sf.ChassisID)
		local["lldp-local-chassis-id-subtype"] = jleaf(sub)
	}

	phys := []any{
		// Not ports: parse must skip these.
		map[string]any{"name": jleaf("lo0"), "admin-status": jleaf("up"), "oper-status": jleaf("up"), "link-level-type": jleaf("Unspecified")},
		map[string]any{"name": jleaf("irb"), "admin-status": jleaf("up"), "oper-status": jleaf("up"), "link-level-type": jleaf("Ethernet")},
	}
	for i, pt := range sf.Ports {
		if err := renderable(pt.Name); err != nil {
			return nil, err
		}
		if !junosPortRe.MatchString(pt.Name) {
			return nil, cannot(p.name, fmt.Sprintf("port %q (not a Junos port name)", pt.Name))
		}
		oper := "down"
		if pt.Up {
			oper = "up"
		}
		e := map[string]any{
			"name":            jleaf(pt.Name),
			"admin-status":    []any{map[string]any{"data": "up", "attributes": map[string]any{"junos:format": "Enabled"}}},
			"oper-status":     jleaf(oper),
			"local-index":     jleaf(fmt.Sprint(650 + i)),
			"snmp-index":      jleaf(fmt.Sprint(515 + i)),
			"link-level-type": jleaf("Ethernet"),
			"mtu":             jleaf("9216"),
			"speed":           jleaf(junosSpeed(pt.SpeedGbps)),
			"if-flow-control": jleaf("enabled"),
		}
		if pt.MAC != "" {
			e["current-physical-address"] = jleaf(pt.MAC)
			e["hardware-physical-address"] = jleaf(pt.MAC)
		}
		phys = append(phys, e)
	}

	var nbrs []any
	for i, n := range sf.Neighbors {
		if err := renderable(n.LocalPort, n.ChassisID, n.PortID, n.PortDesc, n.SysName); err != nil {
			return nil, err
		}
		if err := noShellChars(n.LocalPort, n.ChassisID, n.PortID, n.PortDesc, n.SysName); err != nil {
			return nil, err
		}
		r := map[string]any{
			"lldp-local-interface":        jleaf(n.LocalPort),
			"lldp-local-port-id":          jleaf(fmt.Sprint(530 + i)),
			"lldp-remote-port-id-subtype": jleaf("Interface name"),
			"lldp-ttl":                    jleaf("120"),
			"lldp-index":                  jleaf(fmt.Sprint(i + 1)),
			"lldp-system-description":     []any{map[string]any{"lldp-remote-system-description": jleaf("Arista Networks EOS version 4.31.2F running on an Arista Networks DCS-7060DX5-64S")}},
		}
		if n.ChassisID != "" {
			sub := "Locally assigned"
			if _, ok := normMAC(n.ChassisID); ok {
				sub = "Mac address"
			}
			r["lldp-remote-chassis-id"] = jleaf(n.ChassisID)
			r["lldp-remote-chassis-id-subtype"] = jleaf(sub)
		}
		if n.PortID != "" {
			r["lldp-remote-port-id"] = jleaf(n.PortID)
		}
		if n.PortIDIsMAC {
			r["lldp-remote-port-id-subtype"] = jleaf("Mac address")
		}
		if n.PortDesc != "" {
			r["lldp-remote-port-description"] = jleaf(n.PortDesc)
		}
		if n.SysName != "" {
			r["lldp-remote-system-name"] = jleaf(n.SysName)
		}
		nbrs = append(nbrs, r)
	}
	nInfo := map[string]any{"attributes": map[string]any{"junos:style": "detail"}}
	if len(nbrs) > 0 {
		nInfo["lldp-neighbor-information"] = nbrs
	}
	docs := []any{
		map[string]any{"system-information": []any{sys}},
		map[string]any{"lldp-local-info": []any{local}},
		map[string]any{"interface-information": []any{map[string]any{
			"attributes":         map[string]any{"xmlns": "http://xml.juniper.net/junos/23.4R0/junos-interface", "junos:style": "normal"},
			"physical-interface": phys,
		}}},
		map[string]any{"lldp-neighbors-information": []any{nInfo}},
	}
	out := make([]string, len(docs))
	for i, d := range docs {
		s, err := marshalIndent(d)
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}
