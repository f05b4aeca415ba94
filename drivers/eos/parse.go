package eos

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
// than the one before it belongs to it. Comments ("!") and "end" are
// skipped.
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
		if ind == 0 && text == "end" {
			continue
		}
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

// vlanList expands "2001", "2001-2003" and "2001,2005" (bounded).
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

// parseRunning reads show running-config into the objects Railyard owns
// (VRFs named ry-*, VLANs in the Railyard ranges) and the ports scope
// lists. CoreVLAN, which EOS does not hold, is copied from scope.
func parseRunning(s string, scope fabric.DeviceConfig) fabric.DeviceConfig {
	var out fabric.DeviceConfig
	vrfs := map[string]*fabric.VRF{}
	segs := map[int]*fabric.Segment{}
	vrf := func(name string) *fabric.VRF {
		if v := vrfs[name]; v != nil {
			return v
		}
		v := &fabric.VRF{Name: name}
		vrfs[name] = v
		return v
	}
	seg := func(v int) *fabric.Segment {
		if s := segs[v]; s != nil {
			return s
		}
		s := &fabric.Segment{VLAN: v}
		segs[v] = s
		return s
	}
	owned := func(name string) bool { return strings.HasPrefix(name, fabric.OwnedPrefix) }
	ports := map[string]*fabric.Port{}
	for _, p := range scope.Ports {
		ports[p.Name] = nil
	}
	for _, top := range parseTree(s) {
		f := strings.Fields(top.text)
		switch {
		case len(f) == 3 && f[0] == "vrf" && f[1] == "instance" && owned(f[2]):
			vrf(f[2])
		case len(f) == 4 && f[0] == "ip" && f[1] == "routing" && f[2] == "vrf" && owned(f[3]):
			vrf(f[3])
		case len(f) == 2 && f[0] == "vlan":
			for _, v := range vlanList(f[1]) {
				if !fabric.OwnedVLAN(v) {
					continue
				}
				sg := seg(v)
				for _, k := range top.kids {
					if kf := strings.Fields(k.text); len(kf) == 2 && kf[0] == "name" {
						sg.Name = kf[1]
					}
				}
			}
		case len(f) == 2 && f[0] == "interface":
			parseInterface(f[1], top, seg, vrf, owned, ports)
		case len(f) == 3 && f[0] == "router" && f[1] == "bgp":
			if asn, err := strconv.ParseUint(f[2], 10, 32); err == nil {
				out.ASN = uint32(asn)
			}
			parseBGP(top, seg, vrf, owned)
		}
	}
	core := map[string]int{}
	for _, v := range scope.VRFs {
		core[v.Name] = v.CoreVLAN
	}
	for _, v := range vrfs {
		v.CoreVLAN = core[v.Name]
		out.VRFs = append(out.VRFs, *v)
	}
	for _, sg := range segs {
		out.Segments = append(out.Segments, *sg)
	}
	for _, p := range ports {
		if p != nil {
			out.Ports = append(out.Ports, *p)
		}
	}
	out.Normalize()
	return out
}

func parseInterface(name string, top *line, seg func(int) *fabric.Segment, vrf func(string) *fabric.VRF, owned func(string) bool, ports map[string]*fabric.Port) {
	if p, scoped := ports[name]; scoped {
		if p == nil {
			p = &fabric.Port{Name: name}
			ports[name] = p
		}
		for _, k := range top.kids {
			kf := strings.Fields(k.text)
			switch {
			case len(kf) == 1 && kf[0] == "shutdown":
				p.Shutdown = true
			case len(kf) == 4 && kf[0] == "switchport" && kf[1] == "access" && kf[2] == "vlan":
				if v, err := strconv.Atoi(kf[3]); err == nil && v > 1 && v <= 4094 {
					p.VLAN = v
				}
			}
		}
		return
	}
	if n, ok := strings.CutPrefix(name, "Vlan"); ok {
		v, err := strconv.Atoi(n)
		if err != nil || !fabric.OwnedVLAN(v) {
			return
		}
		sg := seg(v)
		for _, k := range top.kids {
			kf := strings.Fields(k.text)
			switch {
			case len(kf) == 2 && kf[0] == "vrf":
				sg.VRF = kf[1]
			case len(kf) == 4 && kf[0] == "ip" && kf[1] == "address" && kf[2] == "virtual":
				sg.Gateway = kf[3]
			}
		}
		return
	}
	if name != "Vxlan1" {
		return
	}
	for _, k := range top.kids {
		kf := strings.Fields(k.text)
		if len(kf) != 5 || kf[0] != "vxlan" || kf[3] != "vni" {
			continue
		}
		switch kf[1] {
		case "vlan":
			// "vxlan vlan 2001-2002 vni 2000101-2000102" maps ranges pairwise.
			vs := vlanList(kf[2])
			lo, hi, isRange := strings.Cut(kf[4], "-")
			first, ok := vni(lo)
			if !ok {
				continue
			}
			if isRange {
				last, ok := vni(hi)
				if !ok || int(last-first)+1 != len(vs) {
					continue
				}
			} else if len(vs) != 1 {
				continue
			}
			for i, v := range vs {
				if fabric.OwnedVLAN(v) {
					seg(v).L2VNI = first + uint32(i)
				}
			}
		case "vrf":
			if n, ok := vni(kf[4]); ok && owned(kf[2]) {
				vrf(kf[2]).L3VNI = n
			}
		}
	}
}

func parseBGP(top *line, seg func(int) *fabric.Segment, vrf func(string) *fabric.VRF, owned func(string) bool) {
	for _, k := range top.kids {
		kf := strings.Fields(k.text)
		if len(kf) != 2 {
			continue
		}
		switch kf[0] {
		case "vlan":
			v, err := strconv.Atoi(kf[1])
			if err != nil || !fabric.OwnedVLAN(v) {
				continue
			}
			sg := seg(v)
			var both, imp, exp []string
			for _, x := range k.kids {
				xf := strings.Fields(x.text)
				switch {
				case len(xf) == 2 && xf[0] == "rd":
					sg.RD = xf[1]
				case len(xf) == 3 && xf[0] == "route-target" && xf[1] == "both":
					both = append(both, xf[2])
				case len(xf) == 3 && xf[0] == "route-target" && xf[1] == "import":
					imp = append(imp, xf[2])
				case len(xf) == 3 && xf[0] == "route-target" && xf[1] == "export":
					exp = append(exp, xf[2])
				}
			}
			sg.RT = segmentRT(both, imp, exp)
		case "vrf":
			if !owned(kf[1]) {
				continue
			}
			v := vrf(kf[1])
			for _, x := range k.kids {
				xf := strings.Fields(x.text)
				switch {
				case len(xf) == 2 && xf[0] == "rd":
					v.RD = xf[1]
				case len(xf) == 4 && xf[0] == "route-target" && xf[1] == "import" && xf[2] == "evpn":
					v.ImportRTs = append(v.ImportRTs, xf[3])
				case len(xf) == 4 && xf[0] == "route-target" && xf[1] == "export" && xf[2] == "evpn":
					v.ExportRTs = append(v.ExportRTs, xf[3])
				}
			}
		}
	}
}

// segmentRT folds a segment's route targets into the one RT the model
// holds. Anything but a single "both" (or one equal import and export)
// comes back as a list, which differs from any desired RT, so that
// extra or one-sided targets show as drift.
func segmentRT(both, imp, exp []string) string {
	if len(imp) == 1 && len(exp) == 1 && imp[0] == exp[0] {
		both, imp, exp = append(both, imp[0]), nil, nil
	}
	all := slices.Concat(both, imp, exp)
	slices.Sort(all)
	all = slices.Compact(all)
	if len(imp)+len(exp) > 0 && len(all) == 1 {
		return all[0] + "," // one-sided: not equal to any single RT
	}
	return strings.Join(all, ",")
}
