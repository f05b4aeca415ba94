package cumulus

import (
	"slices"
	"strconv"
	"strings"

	"github.com/railyard/railyard/internal/fabric"
)

// Parse reads nv config show -o commands output into the managed
// configuration: VRFs named with fabric.OwnedPrefix, segments on bridge
// VLANs fabric.OwnedVLAN accepts, and the ports scope lists (under the
// scope's names). A VRF missing one of the enable attributes Commands
// sets is reported with L3VNI 0, so it shows as drift and is set again.
// VRF.CoreVLAN, which NVUE allocates itself, is taken from scope. Lines
// it does not know are ignored; it never fails. Both spellings of the
// enable attribute are read.
func Parse(out string, scope fabric.DeviceConfig) fabric.DeviceConfig {
	type vrf struct {
		vni      uint32
		rd       string
		imp, exp []string
		on       map[string]bool
	}
	type svi struct{ vrf, vrr string }
	type evpn struct {
		rd       string
		imp, exp []string
	}
	type port struct {
		access int
		down   bool
	}
	vrfs := map[string]*vrf{}
	var vrfOrder []string
	vlanVNI := map[int]uint32{}
	svis := map[int]*svi{}
	evpns := map[uint32]*evpn{}
	ports := map[string]*port{}

	for _, line := range strings.Split(out, "\n") {
		w := strings.Fields(line)
		if len(w) < 3 || w[0] != "nv" || w[1] != "set" {
			continue
		}
		w = w[2:]
		at := func(i int) string {
			if i < len(w) {
				return w[i]
			}
			return ""
		}
		on := func(i int) bool {
			return (at(i) == "state" && at(i+1) == "enabled") || (at(i) == "enable" && at(i+1) == "on")
		}
		switch w[0] {
		case "vrf":
			name := at(1)
			if !strings.HasPrefix(name, fabric.OwnedPrefix) {
				continue
			}
			v := vrfs[name]
			if v == nil {
				v = &vrf{on: map[string]bool{}}
				vrfs[name] = v
				vrfOrder = append(vrfOrder, name)
			}
			rest := strings.Join(w[2:], " ")
			switch {
			case at(2) == "evpn" && at(3) == "vni":
				v.vni = parseU32(at(4))
			case at(2) == "router" && at(3) == "bgp" && at(4) == "rd":
				v.rd = at(5)
			case strings.HasPrefix(rest, "router bgp route-import from-evpn route-target "):
				v.imp = append(v.imp, at(7))
			case strings.HasPrefix(rest, "router bgp route-export to-evpn route-target "):
				v.exp = append(v.exp, at(7))
			case at(2) == "evpn" && on(3):
				v.on["evpn"] = true
			case at(2) == "router" && at(3) == "bgp" && on(4):
				v.on["bgp"] = true
			case strings.HasPrefix(rest, "router bgp address-family ipv4-unicast "):
				switch {
				case on(6):
					v.on["af"] = true
				case at(6) == "redistribute" && at(7) == "connected" && on(8):
					v.on["connected"] = true
				case at(6) == "route-export" && at(7) == "to-evpn" && on(8):
					v.on["to-evpn"] = true
				}
			}
		case "bridge":
			if at(1) == "domain" && at(2) == Bridge && at(3) == "vlan" && at(5) == "vni" {
				if id, err := strconv.Atoi(at(4)); err == nil {
					vlanVNI[id] = parseU32(at(6))
				}
			}
		case "evpn":
			if at(1) != "vni" {
				continue
			}
			n := parseU32(at(2))
			e := evpns[n]
			if e == nil {
				e = &evpn{}
				evpns[n] = e
			}
			switch {
			case at(3) == "rd":
				e.rd = at(4)
			case at(3) == "route-target" && at(4) == "import":
				e.imp = append(e.imp, at(5))
			case at(3) == "route-target" && at(4) == "export":
				e.exp = append(e.exp, at(5))
			case at(3) == "route-target" && at(4) == "both":
				e.imp = append(e.imp, at(5))
				e.exp = append(e.exp, at(5))
			}
		case "interface":
			name := at(1)
			if id, ok := strings.CutPrefix(name, "vlan"); ok {
				if n, err := strconv.Atoi(id); err == nil {
					s := svis[n]
					if s == nil {
						s = &svi{}
						svis[n] = s
					}
					switch {
					case at(2) == "ip" && at(3) == "vrf":
						s.vrf = at(4)
					case at(2) == "ip" && at(3) == "vrr" && at(4) == "address" && s.vrr == "":
						s.vrr = at(5)
					}
					continue
				}
			}
			p := ports[name]
			if p == nil {
				p = &port{}
				ports[name] = p
			}
			switch {
			case at(2) == "link" && at(3) == "state" && at(4) == "down":
				p.down = true
			case at(2) == "bridge" && at(3) == "domain" && at(4) == Bridge && at(5) == "access":
				p.access, _ = strconv.Atoi(at(6))
			}
		}
	}

	scopeVRF := map[string]fabric.VRF{}
	for _, v := range scope.VRFs {
		scopeVRF[v.Name] = v
	}
	var cfg fabric.DeviceConfig
	for _, name := range vrfOrder {
		v := vrfs[name]
		got := fabric.VRF{Name: name, L3VNI: v.vni, RD: v.rd, ImportRTs: v.imp, ExportRTs: v.exp, CoreVLAN: scopeVRF[name].CoreVLAN}
		for _, k := range []string{"evpn", "bgp", "af", "connected", "to-evpn"} {
			if !v.on[k] {
				got.L3VNI = 0
			}
		}
		cfg.VRFs = append(cfg.VRFs, got)
	}
	for vlan, vni := range vlanVNI {
		if !fabric.OwnedVLAN(vlan) {
			continue
		}
		s := fabric.Segment{VLAN: vlan, L2VNI: vni}
		if x := svis[vlan]; x != nil {
			s.VRF, s.Gateway = x.vrf, x.vrr
		}
		if e := evpns[vni]; e != nil {
			s.RD = e.rd
			imp, exp := sortedSet(e.imp), sortedSet(e.exp)
			if len(imp) == 1 && slices.Equal(imp, exp) {
				s.RT = imp[0]
			} else {
				// Not the one RT both ways that Commands sets: show it as
				// it is, so that it differs and is set again.
				s.RT = "import=" + strings.Join(imp, ",") + " export=" + strings.Join(exp, ",")
			}
		}
		cfg.Segments = append(cfg.Segments, s)
	}
	for _, sp := range scope.Ports {
		got := fabric.Port{Name: sp.Name}
		if p := ports[PortName(sp.Name)]; p != nil {
			got.VLAN, got.Shutdown = p.access, p.down
		}
		cfg.Ports = append(cfg.Ports, got)
	}
	cfg.Normalize()
	return cfg
}

func sortedSet(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

func parseU32(s string) uint32 {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0
	}
	return uint32(n)
}
