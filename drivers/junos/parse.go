package junos

import (
	"slices"
	"strconv"
	"strings"

	"github.com/railyard/railyard/internal/fabric"
)

// Parse reads show configuration | display set output into the managed
// configuration: VRFs named with fabric.OwnedPrefix, segments on VLANs
// fabric.OwnedVLAN accepts, and the ports scope lists (reported under
// the scope's names). VRF.CoreVLAN and Segment.RD, which a Junos leaf
// does not hold, are taken from scope for the objects found. Lines it
// does not know are ignored; it never fails.
func Parse(out string, scope fabric.DeviceConfig) fabric.DeviceConfig {
	type ri struct {
		typ, rd, imp, exp string
		vni               uint32
		ifs               []string
	}
	type vlan struct {
		id  int
		l3  string
		vni uint32
	}
	type ifd struct {
		disable bool
		members []string
	}
	ris := map[string]*ri{}
	var riOrder []string
	vlans := map[string]*vlan{}
	irbAddr := map[string]string{}
	vniTarget := map[uint32]string{}
	communities := map[string][]string{}
	// policy -> term -> accepted communities (from) / added communities.
	policyFrom := map[string]map[string][]string{}
	policyAccept := map[string]map[string]bool{}
	policyAdd := map[string][]string{}
	ifds := map[string]*ifd{}

	for _, line := range strings.Split(out, "\n") {
		w := words(strings.TrimSpace(line))
		if len(w) < 2 || w[0] != "set" {
			continue
		}
		w = w[1:]
		at := func(i int) string {
			if i < len(w) {
				return w[i]
			}
			return ""
		}
		switch w[0] {
		case "routing-instances":
			name := at(1)
			if !strings.HasPrefix(name, fabric.OwnedPrefix) {
				continue
			}
			r := ris[name]
			if r == nil {
				r = &ri{}
				ris[name] = r
				riOrder = append(riOrder, name)
			}
			switch at(2) {
			case "instance-type":
				r.typ = at(3)
			case "route-distinguisher":
				r.rd = at(3)
			case "vrf-import":
				if r.imp == "" {
					r.imp = at(3)
				}
			case "vrf-export":
				if r.exp == "" {
					r.exp = at(3)
				}
			case "interface":
				r.ifs = append(r.ifs, at(3))
			case "protocols":
				if at(3) == "evpn" && at(4) == "ip-prefix-routes" && at(5) == "vni" {
					r.vni = parseU32(at(6))
				}
			}
		case "vlans":
			v := vlans[at(1)]
			if v == nil {
				v = &vlan{}
				vlans[at(1)] = v
			}
			switch at(2) {
			case "vlan-id":
				v.id, _ = strconv.Atoi(at(3))
			case "l3-interface":
				v.l3 = at(3)
			case "vxlan":
				if at(3) == "vni" {
					v.vni = parseU32(at(4))
				}
			}
		case "interfaces":
			name := at(1)
			if name == "irb" {
				if at(2) == "unit" && at(4) == "family" && at(5) == "inet" && at(6) == "address" {
					k := "irb." + at(3)
					if _, ok := irbAddr[k]; !ok {
						irbAddr[k] = at(7)
					}
				}
				continue
			}
			f := ifds[name]
			if f == nil {
				f = &ifd{}
				ifds[name] = f
			}
			switch {
			case at(2) == "disable":
				f.disable = true
			case at(2) == "unit" && at(3) == "0" && at(4) == "family" && at(5) == "ethernet-switching" && at(6) == "vlan" && at(7) == "members":
				f.members = append(f.members, at(8))
			}
		case "protocols":
			if at(1) == "evpn" && at(2) == "vni-options" && at(3) == "vni" && at(5) == "vrf-target" {
				vniTarget[parseU32(at(4))] = strings.TrimPrefix(at(6), "target:")
			}
		case "policy-options":
			switch at(1) {
			case "community":
				if at(3) == "members" {
					communities[at(2)] = append(communities[at(2)], strings.TrimPrefix(at(4), "target:"))
				}
			case "policy-statement":
				p := at(2)
				if at(3) != "term" {
					continue
				}
				term := at(4)
				switch {
				case at(5) == "from" && at(6) == "community":
					if policyFrom[p] == nil {
						policyFrom[p] = map[string][]string{}
					}
					policyFrom[p][term] = append(policyFrom[p][term], at(7))
				case at(5) == "then" && at(6) == "accept":
					if policyAccept[p] == nil {
						policyAccept[p] = map[string]bool{}
					}
					policyAccept[p][term] = true
				case at(5) == "then" && at(6) == "community" && at(7) == "add":
					policyAdd[p] = append(policyAdd[p], at(8))
				}
			}
		}
	}

	rtsOf := func(names []string) []string {
		var rts []string
		for _, n := range names {
			rts = append(rts, communities[n]...)
		}
		return rts
	}
	scopeVRF := map[string]fabric.VRF{}
	for _, v := range scope.VRFs {
		scopeVRF[v.Name] = v
	}
	scopeSeg := map[int]fabric.Segment{}
	for _, s := range scope.Segments {
		scopeSeg[s.VLAN] = s
	}

	var cfg fabric.DeviceConfig
	irbVRF := map[string]string{}
	for _, name := range riOrder {
		r := ris[name]
		for _, i := range r.ifs {
			irbVRF[i] = name
		}
		if r.typ != "vrf" {
			continue
		}
		v := fabric.VRF{Name: name, L3VNI: r.vni, RD: r.rd, CoreVLAN: scopeVRF[name].CoreVLAN}
		var imp []string
		for term, from := range policyFrom[r.imp] {
			if policyAccept[r.imp][term] {
				imp = append(imp, from...)
			}
		}
		v.ImportRTs = rtsOf(imp)
		v.ExportRTs = rtsOf(policyAdd[r.exp])
		cfg.VRFs = append(cfg.VRFs, v)
	}
	ids := map[string]int{}
	seen := map[int]bool{}
	vnames := make([]string, 0, len(vlans))
	for name := range vlans {
		vnames = append(vnames, name)
	}
	slices.Sort(vnames)
	for _, name := range vnames {
		v := vlans[name]
		ids[name] = v.id
		if !fabric.OwnedVLAN(v.id) || seen[v.id] {
			// Two VLANs with one id (a broken device): the first name wins.
			continue
		}
		seen[v.id] = true
		s := fabric.Segment{Name: name, VLAN: v.id, L2VNI: v.vni, VRF: irbVRF[v.l3], Gateway: irbAddr[v.l3], RT: vniTarget[v.vni]}
		if sc, ok := scopeSeg[v.id]; ok {
			s.RD = sc.RD
		}
		cfg.Segments = append(cfg.Segments, s)
	}
	for _, p := range scope.Ports {
		f := ifds[PortName(p.Name)]
		got := fabric.Port{Name: p.Name}
		if f != nil {
			got.Shutdown = f.disable
			if len(f.members) > 0 {
				m := f.members[0]
				if id, ok := ids[m]; ok {
					got.VLAN = id
				} else if n, err := strconv.Atoi(m); err == nil {
					got.VLAN = n
				}
			}
		}
		cfg.Ports = append(cfg.Ports, got)
	}
	cfg.Normalize()
	return cfg
}

func parseU32(s string) uint32 {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0
	}
	return uint32(n)
}

// words splits a line of display set output; a double-quoted string is
// one word.
func words(line string) []string {
	var out []string
	var cur strings.Builder
	in, has := false, false
	for _, r := range line {
		switch {
		case r == '"':
			in, has = !in, true
		case !in && (r == ' ' || r == '\t'):
			if has {
				out = append(out, cur.String())
				cur.Reset()
				has = false
			}
		default:
			cur.WriteRune(r)
			has = true
		}
	}
	if has {
		out = append(out, cur.String())
	}
	return out
}
