package nxos

import (
	"slices"
	"strconv"
	"strings"

	"github.com/railyard/railyard/internal/fabric"
)

// line is one line of an indented configuration and the lines under it.
type line struct {
	text string
	kids []*line
}

// parseTree reads indented configuration text: a line indented deeper
// than the one before it belongs to it. Comments ("!") are skipped.
func parseTree(s string) []*line {
	type level struct {
		indent int
		l      *line
	}
	var roots []*line
	var stack []level
	for _, raw := range strings.Split(s, "\n") {
		raw = strings.TrimRight(raw, " \t\r")
		text := strings.TrimLeft(raw, " ")
		if text == "" || strings.HasPrefix(text, "!") {
			continue
		}
		ind := len(raw) - len(text)
		for len(stack) > 0 && stack[len(stack)-1].indent >= ind {
			stack = stack[:len(stack)-1]
		}
		l := &line{text: text}
		if len(stack) == 0 {
			roots = append(roots, l)
		} else {
			p := stack[len(stack)-1].l
			p.kids = append(p.kids, l)
		}
		stack = append(stack, level{ind, l})
	}
	return roots
}

// vlanList expands "1,2001-2003" (bounded).
func vlanList(s string) []int {
	var out []int
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 1 || a > 4094 {
			continue
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a || b > 4094 {
				continue
			}
		}
		for v := a; v <= b; v++ {
			out = append(out, v)
		}
	}
	return out
}

func vni(s string) (uint32, bool) {
	v, err := strconv.ParseUint(s, 10, 32)
	return uint32(v), err == nil && v > 0 && v <= maxVNI
}

func fields(l *line) []string { return strings.Fields(l.text) }

// evpnVNI is what "evpn / vni N l2" holds.
type evpnVNI struct {
	rd       string
	imp, exp []string
}

// parseRunning reads show running-config into the objects Railyard owns
// (VRFs named ry-*, VLANs in the Railyard ranges) and the ports scope
// lists.
//
// A VRF's L3VNI is the "vni" of its vrf context; its core VLAN is the
// owned VLAN whose vn-segment is that VNI, when the L3VNI is complete
// (see below). A segment's L2VNI is its VLAN's
// vn-segment when nve1 carries it as an L2 member; its RD and RT come
// from "evpn / vni N l2". Owned VLANs that are no VRF's core VLAN are
// segments, so stray ones are removed.
func parseRunning(s string, scope fabric.DeviceConfig) fabric.DeviceConfig {
	var out fabric.DeviceConfig
	owned := func(name string) bool { return strings.HasPrefix(name, fabric.OwnedPrefix) }
	type vlanInfo struct {
		name  string
		vni   uint32
		vrf   string
		gw    string
		ipfwd bool
	}
	vlans := map[int]*vlanInfo{}
	vl := func(v int) *vlanInfo {
		if x := vlans[v]; x != nil {
			return x
		}
		x := &vlanInfo{}
		vlans[v] = x
		return x
	}
	vrfs := map[string]*fabric.VRF{}
	vrf := func(name string) *fabric.VRF {
		if v := vrfs[name]; v != nil {
			return v
		}
		v := &fabric.VRF{Name: name}
		vrfs[name] = v
		return v
	}
	l2, l3 := map[uint32]bool{}, map[uint32]bool{}
	advertised := map[string]bool{}
	evpn := map[uint32]*evpnVNI{}
	want := map[string]string{} // device interface name → scope port name
	for _, p := range scope.Ports {
		want[InterfaceName(p.Name)] = p.Name
	}
	for _, top := range parseTree(s) {
		f := fields(top)
		switch {
		case len(f) == 2 && f[0] == "vlan":
			for _, v := range vlanList(f[1]) {
				if !fabric.OwnedVLAN(v) {
					continue
				}
				x := vl(v)
				for _, k := range top.kids {
					kf := fields(k)
					if len(kf) == 2 && kf[0] == "name" {
						x.name = kf[1]
					}
					if len(kf) == 2 && kf[0] == "vn-segment" {
						x.vni, _ = vni(kf[1])
					}
				}
			}
		case len(f) == 3 && f[0] == "vrf" && f[1] == "context" && owned(f[2]):
			v := vrf(f[2])
			for _, k := range top.kids {
				kf := fields(k)
				switch {
				case len(kf) == 2 && kf[0] == "vni":
					v.L3VNI, _ = vni(kf[1])
				case len(kf) == 2 && kf[0] == "rd":
					v.RD = kf[1]
				case len(kf) == 3 && kf[0] == "address-family" && kf[1] == "ipv4" && kf[2] == "unicast":
					for _, x := range k.kids {
						xf := fields(x)
						if len(xf) != 4 || xf[0] != "route-target" || xf[3] != "evpn" {
							continue
						}
						switch xf[1] {
						case "import":
							v.ImportRTs = append(v.ImportRTs, xf[2])
						case "export":
							v.ExportRTs = append(v.ExportRTs, xf[2])
						}
					}
				}
			}
		case len(f) == 2 && f[0] == "interface":
			name := f[1]
			if n, ok := strings.CutPrefix(name, "Vlan"); ok {
				v, err := strconv.Atoi(n)
				if err != nil || !fabric.OwnedVLAN(v) {
					continue
				}
				x := vl(v)
				for _, k := range top.kids {
					kf := fields(k)
					switch {
					case k.text == "ip forward":
						x.ipfwd = true
					case len(kf) == 3 && kf[0] == "vrf" && kf[1] == "member":
						x.vrf = kf[2]
					case len(kf) == 3 && kf[0] == "ip" && kf[1] == "address":
						x.gw = kf[2]
					}
				}
			} else if name == "nve1" {
				for _, k := range top.kids {
					kf := fields(k)
					if len(kf) < 3 || kf[0] != "member" || kf[1] != "vni" {
						continue
					}
					n, ok := vni(kf[2])
					switch {
					case !ok:
					case len(kf) == 4 && kf[3] == "associate-vrf":
						l3[n] = true
					case len(kf) == 3:
						l2[n] = true
					}
				}
			} else if port, scoped := want[name]; scoped {
				p := fabric.Port{Name: port, Shutdown: true}
				for _, k := range top.kids {
					kf := fields(k)
					switch {
					case len(kf) == 2 && kf[0] == "no" && kf[1] == "shutdown":
						p.Shutdown = false
					case len(kf) == 4 && kf[0] == "switchport" && kf[1] == "access" && kf[2] == "vlan":
						if v, err := strconv.Atoi(kf[3]); err == nil && v > 1 && v <= 4094 {
							p.VLAN = v
						}
					}
				}
				out.Ports = append(out.Ports, p)
				delete(want, name)
			}
		case len(f) == 3 && f[0] == "router" && f[1] == "bgp":
			if asn, err := strconv.ParseUint(f[2], 10, 32); err == nil {
				out.ASN = uint32(asn)
			}
			for _, k := range top.kids {
				kf := fields(k)
				if len(kf) != 2 || kf[0] != "vrf" || !owned(kf[1]) {
					continue
				}
				vrf(kf[1])
				for _, af := range k.kids {
					if af.text != "address-family ipv4 unicast" {
						continue
					}
					for _, x := range af.kids {
						if x.text == "advertise l2vpn evpn" {
							advertised[kf[1]] = true
						}
					}
				}
			}
		case len(f) == 1 && f[0] == "evpn":
			for _, k := range top.kids {
				kf := fields(k)
				if len(kf) != 3 || kf[0] != "vni" || kf[2] != "l2" {
					continue
				}
				n, ok := vni(kf[1])
				if !ok {
					continue
				}
				e := &evpnVNI{}
				evpn[n] = e
				for _, x := range k.kids {
					xf := fields(x)
					switch {
					case len(xf) == 2 && xf[0] == "rd":
						e.rd = xf[1]
					case len(xf) == 3 && xf[0] == "route-target" && xf[1] == "import":
						e.imp = append(e.imp, xf[2])
					case len(xf) == 3 && xf[0] == "route-target" && xf[1] == "export":
						e.exp = append(e.exp, xf[2])
					}
				}
			}
		}
	}
	// The core VLAN carries the VRF's VNI. It is the VRF's (CoreVLAN)
	// only when the whole L3VNI works: the SVI in the VRF and forwarding,
	// nve1 carrying the VNI, BGP advertising the VRF. Otherwise it reads
	// as a stray segment, which the next apply removes before it builds
	// the core VLAN again, so a broken piece is drift and is repaired.
	core := map[int]bool{}
	for _, v := range vrfs {
		if v.L3VNI == 0 || !l3[v.L3VNI] || !advertised[v.Name] {
			continue
		}
		for c, x := range vlans {
			if x.vni == v.L3VNI && fabric.CoreVLANs.Contains(c) && x.vrf == v.Name && x.ipfwd && (v.CoreVLAN == 0 || c < v.CoreVLAN) {
				v.CoreVLAN = c
			}
		}
		core[v.CoreVLAN] = true
	}
	for _, v := range vrfs {
		out.VRFs = append(out.VRFs, *v)
	}
	for id, x := range vlans {
		if core[id] {
			continue
		}
		sg := fabric.Segment{VLAN: id, Name: x.name, VRF: x.vrf, Gateway: x.gw}
		if l2[x.vni] {
			sg.L2VNI = x.vni
		}
		if e := evpn[x.vni]; e != nil {
			sg.RD = e.rd
			sg.RT = segmentRT(e.imp, e.exp)
		}
		out.Segments = append(out.Segments, sg)
	}
	out.Normalize()
	return out
}

// segmentRT folds a segment's route targets into the one RT the model
// holds: one import equal to one export is that RT; anything else comes
// back as a list, which differs from any desired RT, so that extra or
// one-sided targets show as drift.
func segmentRT(imp, exp []string) string {
	if len(imp) == 1 && len(exp) == 1 && imp[0] == exp[0] {
		return imp[0]
	}
	all := slices.Concat(imp, exp)
	slices.Sort(all)
	all = slices.Compact(all)
	if len(all) == 1 {
		return all[0] + "," // one-sided
	}
	return strings.Join(all, ",")
}
