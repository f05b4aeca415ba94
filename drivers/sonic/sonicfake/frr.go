package sonicfake

import (
	"cmp"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// rtSet is an EVPN route distinguisher and route-target configuration.
type rtSet struct {
	rd       string
	imp, exp []string
}

// bgpVRF is a "router bgp ASN vrf NAME" instance.
type bgpVRF struct {
	asn    uint32
	redist bool // address-family ipv4 unicast / redistribute connected
	adv    bool // address-family l2vpn evpn / advertise ipv4 unicast
	rtSet
}

// frr is the configuration FRR holds (bgpd and zebra).
type frr struct {
	hostname, routerID, vtep string
	asn                      uint32
	vrfVNI                   map[string]uint32 // zebra: vrf NAME / vni N
	vnis                     map[uint32]*rtSet // default instance: l2vpn evpn / vni N
	inst                     map[string]*bgpVRF
}

func newFRR(host string, asn uint32, routerID, vtep string) *frr {
	return &frr{hostname: host, asn: asn, routerID: routerID, vtep: vtep,
		vrfVNI: map[string]uint32{}, vnis: map[uint32]*rtSet{}, inst: map[string]*bgpVRF{}}
}

var (
	rtRe = regexp.MustCompile(`^(\d+|\d+\.\d+\.\d+\.\d+):\d+$`)
)

func cmpRT(a, b string) int {
	aa, an, _ := strings.Cut(a, ":")
	ba, bn, _ := strings.Cut(b, ":")
	x, e1 := strconv.ParseUint(an, 10, 64)
	y, e2 := strconv.ParseUint(bn, 10, 64)
	if c := cmp.Compare(len(aa), len(ba)); aa != ba && c != 0 {
		return c
	}
	if c := strings.Compare(aa, ba); c != 0 {
		return c
	}
	if e1 == nil && e2 == nil {
		return cmp.Compare(x, y)
	}
	return strings.Compare(an, bn)
}

func (s *rtSet) write(b *strings.Builder, ind string) {
	if s.rd != "" {
		fmt.Fprintf(b, "%srd %s\n", ind, s.rd)
	}
	for _, r := range s.imp {
		fmt.Fprintf(b, "%sroute-target import %s\n", ind, r)
	}
	for _, r := range s.exp {
		fmt.Fprintf(b, "%sroute-target export %s\n", ind, r)
	}
}

// running prints "show running-config".
func (f *frr) running() string {
	var b strings.Builder
	b.WriteString("Building configuration...\n\nCurrent configuration:\n!\nfrr version 8.5.4\nfrr defaults traditional\n")
	fmt.Fprintf(&b, "hostname %s\nlog syslog informational\nservice integrated-vtysh-config\n!\n", f.hostname)
	for _, v := range slices.Sorted(maps.Keys(f.vrfVNI)) {
		fmt.Fprintf(&b, "vrf %s\n vni %d\nexit-vrf\n!\n", v, f.vrfVNI[v])
	}
	fmt.Fprintf(&b, "router bgp %d\n", f.asn)
	if f.routerID != "" {
		fmt.Fprintf(&b, " bgp router-id %s\n", f.routerID)
	}
	b.WriteString(" no bgp ebgp-requires-policy\n neighbor SPINE peer-group\n neighbor SPINE remote-as external\n neighbor 10.1.0.0 peer-group SPINE\n neighbor 10.1.0.2 peer-group SPINE\n !\n")
	if f.vtep != "" {
		fmt.Fprintf(&b, " address-family ipv4 unicast\n  network %s/32\n exit-address-family\n !\n", f.vtep)
	}
	b.WriteString(" address-family l2vpn evpn\n  neighbor SPINE activate\n  advertise-all-vni\n")
	for _, n := range slices.Sorted(maps.Keys(f.vnis)) {
		fmt.Fprintf(&b, "  vni %d\n", n)
		f.vnis[n].write(&b, "   ")
		b.WriteString("  exit-vni\n")
	}
	b.WriteString(" exit-address-family\nexit\n!\n")
	for _, v := range slices.Sorted(maps.Keys(f.inst)) {
		i := f.inst[v]
		fmt.Fprintf(&b, "router bgp %d vrf %s\n", i.asn, v)
		if i.redist {
			b.WriteString(" !\n address-family ipv4 unicast\n  redistribute connected\n exit-address-family\n")
		}
		if i.adv || i.rd != "" || len(i.imp)+len(i.exp) > 0 {
			b.WriteString(" !\n address-family l2vpn evpn\n")
			if i.adv {
				b.WriteString("  advertise ipv4 unicast\n")
			}
			i.rtSet.write(&b, "  ")
			b.WriteString(" exit-address-family\n")
		}
		b.WriteString("exit\n!\n")
	}
	b.WriteString("end\n")
	return b.String()
}

// vtyMode is where a vtysh session is in FRR's command tree.
type vtyMode int

const (
	modeExec vtyMode = iota
	modeConfig
	modeVRF
	modeBGP
	modeAFv4
	modeAFEVPN
	modeVNI
)

type vty struct {
	mode vtyMode
	vrf  string  // modeVRF: the VRF; modeBGP and below: the instance's VRF ("" = default)
	vni  *rtSet  // modeVNI
	inst *bgpVRF // VRF instance (nil for the default)
}

// vtysh runs "vtysh -c CMD -c CMD ...": the commands in order, stopping
// at the first that fails, as FRR's vtysh does.
func (d *Device) vtysh(line string, args []string) string {
	var cmds []string
	for i := 0; i < len(args); i++ {
		if args[i] != "-c" || i+1 >= len(args) {
			if args[i] == "-c" {
				return "vtysh: option requires an argument -- 'c'\n"
			}
			return fmt.Sprintf("vtysh: invalid option -- '%s'\n", strings.TrimLeft(args[i], "-"))
		}
		cmds = append(cmds, args[i+1])
		i++
	}
	if len(cmds) == 0 {
		return "% vtysh is interactive here; use -c\n"
	}
	failAt := -1
	if s, ok := d.failing(line); ok {
		failAt = 0
		for i, c := range cmds {
			if strings.Contains(c, s) {
				failAt = i
				break
			}
		}
	}
	var out strings.Builder
	v := &vty{}
	for i, c := range cmds {
		if i == failAt {
			fmt.Fprintf(&out, "%% Unknown command: %s\n", c)
			return out.String()
		}
		s, ok := d.vtyCmd(v, strings.Join(strings.Fields(c), " "))
		out.WriteString(s)
		if !ok {
			return out.String()
		}
	}
	return out.String()
}

// vtyCmd runs one command; ok is false when vtysh would stop.
func (d *Device) vtyCmd(v *vty, c string) (string, bool) {
	f := d.frr
	w := strings.Fields(c)
	unknown := "% Unknown command: " + c + "\n"
	if len(w) == 0 {
		return "", true
	}
	if c == "end" {
		v.mode = modeExec
		return "", true
	}
	switch v.mode {
	case modeExec:
		switch {
		case c == "configure terminal" || c == "conf t" || c == "configure":
			v.mode = modeConfig
			return "", true
		case c == "show running-config" || c == "show run":
			return f.running(), true
		}
		return unknown, false
	case modeVRF:
		switch {
		case c == "exit-vrf" || c == "exit":
			v.mode = modeConfig
			return "", true
		case len(w) == 2 && w[0] == "vni":
			n, err := strconv.ParseUint(w[1], 10, 32)
			if err != nil || n < 1 || n > 16777215 {
				return "% Invalid VNI\n", false
			}
			if cur := f.vrfVNI[v.vrf]; cur != 0 {
				if cur == uint32(n) {
					return "", true
				}
				return "VNI is already configured under the vrf\n", false
			}
			for _, other := range f.vrfVNI {
				if other == uint32(n) {
					return "VNI is already configured as L3-VNI\n", false
				}
			}
			f.vrfVNI[v.vrf] = uint32(n)
			return "", true
		case len(w) == 3 && w[0] == "no" && w[1] == "vni":
			n, _ := strconv.ParseUint(w[2], 10, 32)
			cur, ok := f.vrfVNI[v.vrf]
			if !ok {
				return "VNI doesn't exist\n", false
			}
			if cur != uint32(n) {
				return fmt.Sprintf("VNI %d doesn't exist in VRF: %s\n", n, v.vrf), false
			}
			delete(f.vrfVNI, v.vrf)
			return "", true
		}
		return unknown, false
	case modeConfig:
		switch {
		case c == "exit":
			v.mode = modeExec
			return "", true
		case len(w) == 2 && w[0] == "vrf":
			v.mode, v.vrf = modeVRF, w[1]
			return "", true
		case len(w) == 3 && w[0] == "no" && w[1] == "vrf":
			if _, ok := d.get("VRF", w[2]); ok {
				return "% Only inactive VRFs can be deleted\n", false
			}
			delete(f.vrfVNI, w[2])
			return "", true
		case (len(w) == 3 || len(w) == 5 && w[3] == "vrf") && w[0] == "router" && w[1] == "bgp":
			asn, err := strconv.ParseUint(w[2], 10, 32)
			if err != nil || asn == 0 {
				return "% Invalid AS number\n", false
			}
			if len(w) == 3 {
				if uint32(asn) != f.asn {
					return fmt.Sprintf("BGP instance name and AS number mismatch\nBGP instance is already running; AS is %d\n", f.asn), false
				}
				v.mode, v.vrf, v.inst = modeBGP, "", nil
				return "", true
			}
			i, ok := f.inst[w[4]]
			if ok && i.asn != uint32(asn) {
				return fmt.Sprintf("BGP instance name and AS number mismatch\nBGP instance is already running; AS is %d\n", i.asn), false
			}
			if !ok {
				i = &bgpVRF{asn: uint32(asn)}
				f.inst[w[4]] = i
			}
			v.mode, v.vrf, v.inst = modeBGP, w[4], i
			return "", true
		case (len(w) == 4 || len(w) == 6 && w[4] == "vrf") && w[0] == "no" && w[1] == "router" && w[2] == "bgp":
			if len(w) == 4 {
				return "% Cannot delete default BGP instance. Dependent VRF instances exist\n", false
			}
			i, ok := f.inst[w[5]]
			if !ok || fmt.Sprint(i.asn) != w[3] {
				return "% Can't find BGP instance\n", false
			}
			if n := f.vrfVNI[w[5]]; n != 0 {
				return fmt.Sprintf("%% Please unconfigure l3vni %d\n", n), false
			}
			delete(f.inst, w[5])
			return "", true
		}
		return unknown, false
	case modeBGP:
		switch {
		case c == "exit":
			v.mode = modeConfig
			return "", true
		case c == "address-family ipv4 unicast" || c == "address-family ipv4":
			v.mode = modeAFv4
			return "", true
		case c == "address-family l2vpn evpn":
			v.mode = modeAFEVPN
			return "", true
		}
		return unknown, false
	case modeAFv4:
		switch {
		case c == "exit-address-family" || c == "exit":
			v.mode = modeBGP
			return "", true
		case v.inst != nil && c == "redistribute connected":
			v.inst.redist = true
			return "", true
		case v.inst != nil && c == "no redistribute connected":
			v.inst.redist = false
			return "", true
		}
		return unknown, false
	case modeAFEVPN:
		switch {
		case c == "exit-address-family" || c == "exit":
			v.mode = modeBGP
			return "", true
		case v.inst == nil && c == "advertise-all-vni":
			return "", true
		case v.inst == nil && len(w) == 2 && w[0] == "vni":
			n, err := strconv.ParseUint(w[1], 10, 32)
			if err != nil || n < 1 || n > 16777215 {
				return unknown, false
			}
			for _, l3 := range f.vrfVNI {
				if l3 == uint32(n) {
					return fmt.Sprintf("%% Failed to create VNI \n"), false
				}
			}
			s, ok := f.vnis[uint32(n)]
			if !ok {
				s = &rtSet{}
				f.vnis[uint32(n)] = s
			}
			v.mode, v.vni = modeVNI, s
			return "", true
		case v.inst == nil && len(w) == 3 && w[0] == "no" && w[1] == "vni":
			n, _ := strconv.ParseUint(w[2], 10, 32)
			if _, ok := f.vnis[uint32(n)]; !ok {
				return "% Specified VNI does not exist\n", true
			}
			delete(f.vnis, uint32(n))
			return "", true
		case v.inst != nil && c == "advertise ipv4 unicast":
			v.inst.adv = true
			return "", true
		case v.inst != nil && c == "no advertise ipv4 unicast":
			v.inst.adv = false
			return "", true
		case v.inst != nil:
			return rtCmd(&v.inst.rtSet, w, c, "EVPN VRF")
		}
		return unknown, false
	case modeVNI:
		if c == "exit-vni" || c == "exit" {
			v.mode = modeAFEVPN
			return "", true
		}
		return rtCmd(v.vni, w, c, "this VNI")
	}
	return unknown, false
}

// rtCmd runs rd and route-target commands on s.
func rtCmd(s *rtSet, w []string, c, what string) (string, bool) {
	no := len(w) > 0 && w[0] == "no"
	if no {
		w = w[1:]
	}
	switch {
	case len(w) == 2 && w[0] == "rd":
		if !rtRe.MatchString(w[1]) {
			return "% Malformed Route Distinguisher\n", false
		}
		if no {
			if s.rd != w[1] {
				return "% RD specified does not match configuration for " + what + "\n", true
			}
			s.rd = ""
		} else {
			s.rd = w[1]
		}
		return "", true
	case no && len(w) == 1 && w[0] == "rd":
		s.rd = ""
		return "", true
	case len(w) == 3 && w[0] == "route-target" && (w[1] == "import" || w[1] == "export" || w[1] == "both"):
		if !rtRe.MatchString(w[2]) {
			return "% Malformed Route Target list\n", false
		}
		lists := []*[]string{&s.imp, &s.exp}
		switch w[1] {
		case "import":
			lists = lists[:1]
		case "export":
			lists = lists[1:]
		}
		for _, l := range lists {
			i := slices.Index(*l, w[2])
			switch {
			case no && i < 0:
				return "% RT specified does not match " + what + " RT configuration\n", true
			case no:
				*l = slices.Delete(*l, i, i+1)
			case i < 0:
				*l = append(*l, w[2])
				slices.SortFunc(*l, cmpRT)
			}
		}
		return "", true
	}
	return "% Unknown command: " + c + "\n", false
}
