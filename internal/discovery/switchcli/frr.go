package switchcli

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/railyard/railyard/internal/discovery"
	"github.com/railyard/railyard/internal/model"
)

// FRR on a Linux host (a router, a white-box switch, a server running BGP
// to the fabric), reached through the login shell: vtysh for the version
// banner and the interfaces (show interface json, FRR 8+), and lldpd's
// lldpcli for the LLDP chassis and neighbours. A host without lldpd is
// still discovered; its neighbours are reported Missing.
var frrPlatform = &platformSpec{
	name: "frr",
	def: networkPlatformYAML("frr", []string{
		"command not found",
		"% Unknown command",
		"% Command incomplete",
		"Exiting: failed to connect to any daemons",
		"Permission denied",
	}),
	os: "FRRouting",
	commands: []string{
		"vtysh -c 'show version'",
		"vtysh -c 'show interface json'",
		"lldpcli -f json show chassis",
		"lldpcli -f json show neighbors details",
	},
	lldpCmds: []int{2, 3},
	shell:    true,
	prompt:   func(h string) string { return "root@" + h + ":~# " },
	banner:   "Linux frr-1 6.1.0-28-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22) x86_64\n\nLast login: Tue Mar 12 09:41:07 2024 from 10.20.0.5\n",
}

// frrParamRe is what a target parameter may contain: it is put on a shell
// command line.
var frrParamRe = regexp.MustCompile(`^[A-Za-z0-9_./-]{1,200}$`)

// frrCommands adapts the commands to an FRR instance that does not use
// the default paths, from the target's query parameters:
//
//	vty_socket=DIR     vtysh --vty_socket DIR (daemons started with --vty_socket)
//	pathspace=NAME     vtysh -N NAME (daemons started with -N, multi-instance FRR)
//	lldpd_socket=PATH  lldpcli -u PATH (an lldpd started with -u)
func frrCommands(t discovery.Target) ([]string, error) {
	var vtysh, lldpcli []string
	for k, vs := range t.Params {
		if len(vs) != 1 || !frrParamRe.MatchString(vs[0]) {
			return nil, fmt.Errorf("ssh+frr parameter %s: want one value of letters, digits and _ . / -", k)
		}
		v := vs[0]
		switch k {
		case "vty_socket":
			vtysh = append(vtysh, "--vty_socket", v)
		case "pathspace":
			vtysh = append(vtysh, "-N", v)
		case "lldpd_socket":
			lldpcli = append(lldpcli, "-u", v)
		default:
			return nil, fmt.Errorf("ssh+frr takes no parameter %q (vty_socket, pathspace, lldpd_socket)", k)
		}
	}
	cmds := make([]string, len(frrPlatform.commands))
	for i, c := range frrPlatform.commands {
		switch {
		case len(vtysh) > 0 && strings.HasPrefix(c, "vtysh "):
			c = "vtysh " + strings.Join(vtysh, " ") + strings.TrimPrefix(c, "vtysh")
		case len(lldpcli) > 0 && strings.HasPrefix(c, "lldpcli "):
			c = "lldpcli " + strings.Join(lldpcli, " ") + strings.TrimPrefix(c, "lldpcli")
		}
		cmds[i] = c
	}
	return cmds, nil
}

// frrBannerRe is the first line of vtysh's show version:
// "FRRouting 8.4.4 (host) on Linux(6.1.0-28-amd64)."
var frrBannerRe = regexp.MustCompile(`^FRRouting (\S+) \(([^()]*)\) on (.*)$`)

func parseFRR(out []string) (model.SwitchFacts, error) {
	cmds := frrPlatform.commands
	var banner string
	for _, l := range strings.Split(out[0], "\n") {
		if l = strings.TrimSpace(l); l != "" {
			banner = l
			break
		}
	}
	m := frrBannerRe.FindStringSubmatch(banner)
	if m == nil {
		return model.SwitchFacts{}, malformed("%s: no FRRouting banner: %s", cmds[0], firstLine(out[0]))
	}
	sf := model.SwitchFacts{OS: "FRRouting", Version: m[1], Name: strings.TrimSpace(m[2]), Description: banner}

	ifs, err := decodeJSON(cmds[1], out[1])
	if err != nil {
		return model.SwitchFacts{}, err
	}
	for name, v := range ifs {
		i := obj(v)
		if i == nil {
			return model.SwitchFacts{}, malformed("%s: %q is not an object", cmds[1], name)
		}
		if name == "lo" || str(i["type"]) == "Loopback" {
			continue
		}
		sp, _ := num(i["speed"])
		p := model.PortFacts{
			Name:      strings.TrimSpace(name),
			SpeedGbps: gbps(sp, 1000),
			Up:        str(i["operationalStatus"]) == "up",
		}
		if mac, ok := normMAC(str(i["hardwareAddress"])); ok {
			p.MAC = mac
		}
		sf.Ports = append(sf.Ports, p)
	}

	noLLDP := lldpdUnavailable(out[2]) || lldpdUnavailable(out[3])
	if !noLLDP {
		if sf.ChassisID, err = parseLLDPDChassis(cmds[2], out[2]); err != nil {
			return model.SwitchFacts{}, err
		}
		if sf.Neighbors, err = parseLLDPDNeighbors(cmds[3], out[3]); err != nil {
			return model.SwitchFacts{}, err
		}
	}
	return sf, finish(&sf, noLLDP)
}

func renderFRR(sf model.SwitchFacts) ([]string, error) {
	p := frrPlatform
	if err := checkOS(p, sf); err != nil {
		return nil, err
	}
	switch {
	case sf.Vendor != "" || sf.Model != "" || sf.Serial != "":
		return nil, cannot(p.name, "a vendor, model or serial (vtysh shows none)")
	case sf.Version == "" || strings.ContainsAny(sf.Version, " ()"):
		return nil, cannot(p.name, fmt.Sprintf("version %q (the banner needs one word)", sf.Version))
	case strings.ContainsAny(sf.Name, "()"):
		return nil, cannot(p.name, "a host name with parentheses")
	}
	banner := fmt.Sprintf("FRRouting %s (%s) on Linux(6.1.0-28-amd64).", sf.Version, sf.Name)
	if sf.Description != "" {
		m := frrBannerRe.FindStringSubmatch(sf.Description)
		if m == nil || m[1] != sf.Version || strings.TrimSpace(m[2]) != sf.Name {
			return nil, cannot(p.name, fmt.Sprintf("description %q (it is the banner FRRouting <version> (<name>) on ...)", sf.Description))
		}
		banner = sf.Description
	}
	ver := banner + "\nCopyright 1996-2005 Kunihiro Ishiguro, et al.\nconfigured with:\n" +
		"    '--build=x86_64-linux-gnu' '--prefix=/usr' '--sysconfdir=/etc' '--localstatedir=/var/run/frr' '--sbindir=/usr/lib/frr' '--enable-multipath=256' '--enable-user=frr' '--enable-group=frr' '--enable-vty-group=frrvty'"

	ifs := map[string]any{
		"lo": map[string]any{
			"administrativeStatus": "up", "operationalStatus": "up", "vrfName": "default", "index": 1,
			"mtu": 65536, "speed": 0, "flags": "<UP,LOOPBACK,RUNNING>", "type": "Loopback", "interfaceType": "Unknown",
		},
	}
	for i, pt := range sf.Ports {
		if err := renderable(pt.Name); err != nil {
			return nil, err
		}
		if pt.Name == "lo" {
			return nil, cannot(p.name, "a port named lo")
		}
		oper, flags := "down", "<UP,BROADCAST,MULTICAST>"
		if pt.Up {
			oper, flags = "up", "<UP,BROADCAST,RUNNING,MULTICAST>"
		}
		e := map[string]any{
			"administrativeStatus": "up",
			"operationalStatus":    oper,
			"linkDetection":        true,
			"linkUps":              1,
			"linkDowns":            0,
			"vrfName":              "default",
			"mplsEnabled":          false,
			"linkDown":             !pt.Up,
			"pseudoInterface":      false,
			"index":                i + 2,
			"metric":               0,
			"mtu":                  9000,
			"speed":                pt.SpeedGbps * 1000,
			"flags":                flags,
			"type":                 "Ethernet",
			"interfaceType":        "Unknown",
			"interfaceSlaveType":   "None",
			"lacpBypass":           false,
			"protodown":            "off",
		}
		if pt.MAC != "" {
			e["hardwareAddress"] = pt.MAC
		}
		ifs[pt.Name] = e
	}
	ifJSON, err := marshalIndent(ifs)
	if err != nil {
		return nil, err
	}
	chassis, err := renderLLDPDChassis(sf.Name, sf.ChassisID)
	if err != nil {
		return nil, err
	}
	nbrs, err := renderLLDPDNeighbors(sf.Neighbors)
	if err != nil {
		return nil, err
	}
	return []string{ver, ifJSON, chassis, nbrs}, nil
}
