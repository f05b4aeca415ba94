package l3lab

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/railyard/railyard/internal/fabric"
)

// Router is one FRR instance: one VRF of one leaf.
type Router struct {
	// Name is "l<leaf>-<vrf without the owned prefix>", e.g. l1-t0001.
	Name string
	// Leaf is the leaf's device name and LeafIndex its place (from 1) in
	// Options.Leaves.
	Leaf      string
	LeafIndex int
	// VRF is the leaf's VRF this router stands for, and Config the leaf's
	// configuration filtered down to that VRF and its segments (what the
	// router is fed).
	VRF    fabric.VRF
	Config fabric.DeviceConfig
	// Domain is the isolation domain: the VRF's tenant (or its name when
	// it has none); empty for the shared storage VRF.
	Domain string
	// VTEP is the router's own VTEP and BGP router id (underlay, harness
	// owned) and RMAC its router MAC.
	VTEP netip.Addr
	RMAC string
	// NS is the router's namespace (underlay, daemons) and VRFNS the
	// namespace that is its VRF.
	NS, VRFNS string
}

// Storage reports whether the router is the shared storage VRF's.
func (r *Router) Storage() bool { return r.Domain == "" }

// Host is an end host in its own namespace.
type Host struct {
	// Name is "h-<router name>".
	Name   string
	Router *Router
	// Node is the inventory node whose port the host stands for (empty
	// for storage hosts).
	Node string
	// Addr is the host's address with the subnet's length, Gateway its
	// default gateway (the anycast gateway or the storage router).
	Addr    netip.Prefix
	Gateway netip.Addr
	// Segment is the L2VNI segment the host is bridged to; nil for a
	// routed storage host.
	Segment *fabric.Segment
	NS      string
	// port is the host's veth in the VRF namespace.
	port string
}

// Domain is the host's isolation domain (empty: storage).
func (h *Host) Domain() string { return h.Router.Domain }

// Subnet is a prefix of the lab's address plan and who may reach it.
type Subnet struct {
	Prefix netip.Prefix
	// Domain owns the subnet (empty: storage).
	Domain string
}

// Underlay addressing of the lab (harness owned, outside every pool the
// compiler hands out).
var (
	underlay  = netip.MustParsePrefix("198.18.0.0/24")
	reflector = netip.MustParseAddr("198.18.0.254")
)

// layout is the pure part of a lab: who runs where with which addresses.
type layout struct {
	asn     uint32
	routers []*Router
	hosts   []*Host
	subnets []Subnet
	// l3vnis is every L3VNI of the fabric, sorted.
	l3vnis []uint32
}

// plan lays out the routers and hosts for the leaves. tag names the
// namespaces.
func plan(tag string, leaves []fabric.DeviceConfig, storageVRF string, services netip.Prefix) (*layout, error) {
	if len(leaves) == 0 {
		return nil, fmt.Errorf("l3lab: no leaves")
	}
	if !services.IsValid() || !services.Addr().Is4() || services.Bits() > 24-bitsFor(len(leaves)+1) {
		return nil, fmt.Errorf("l3lab: storage service prefix %s cannot hold a /24 per leaf for %d leaves", services, len(leaves))
	}
	lay := &layout{asn: leaves[0].ASN}
	seen := map[uint32]bool{}
	names := map[string]bool{}
	k := 0
	for li, leaf := range leaves {
		if leaf.Kind != fabric.EVPNLeaf {
			return nil, fmt.Errorf("l3lab: device %s is a %s, not an EVPN leaf", leaf.Device, leaf.Kind)
		}
		if leaf.ASN != lay.asn {
			return nil, fmt.Errorf("l3lab: leaves %s and %s are in AS %d and %d; the lab runs one iBGP overlay AS", leaves[0].Device, leaf.Device, lay.asn, leaf.ASN)
		}
		if names[leaf.Device] {
			return nil, fmt.Errorf("l3lab: leaf %s listed twice", leaf.Device)
		}
		names[leaf.Device] = true
		cfg := leaf.Clone()
		cfg.Normalize()
		for vi, v := range cfg.VRFs {
			for _, rt := range append(slices.Clone(v.ImportRTs), v.ExportRTs...) {
				if admin, _, _ := strings.Cut(rt, ":"); admin == strconv.FormatUint(uint64(lay.asn), 10) {
					return nil, fmt.Errorf("l3lab: VRF %s on %s: route target %s has the overlay AS %d as its administrator; FRR hides it from running-config (use another RT admin)", v.Name, leaf.Device, rt, lay.asn)
				}
			}
			k++
			if k >= 254 || li+1 > 255 || vi+1 > 255 {
				return nil, fmt.Errorf("l3lab: too many (leaf, VRF) routers for %s", underlay)
			}
			short := strings.TrimPrefix(v.Name, fabric.OwnedPrefix)
			r := &Router{
				Name: fmt.Sprintf("l%d-%s", li+1, short), Leaf: leaf.Device, LeafIndex: li + 1, VRF: v,
				Config: filterVRF(cfg, v.Name),
				VTEP:   netip.AddrFrom4([4]byte{198, 18, 0, byte(k)}),
				RMAC:   fmt.Sprintf("02:52:59:00:%02x:%02x", li+1, vi+1),
			}
			switch {
			case v.Name == storageVRF:
			case v.Tenant != "":
				r.Domain = v.Tenant
			default:
				r.Domain = v.Name
			}
			r.NS = tag + "-" + r.Name
			r.VRFNS = r.NS + "-v"
			lay.routers = append(lay.routers, r)
			if !seen[v.L3VNI] {
				seen[v.L3VNI] = true
				lay.l3vnis = append(lay.l3vnis, v.L3VNI)
			}
		}
	}
	slices.Sort(lay.l3vnis)
	byVRF := func(leaf, vrf string) *Router {
		for _, r := range lay.routers {
			if r.Leaf == leaf && r.VRF.Name == vrf {
				return r
			}
		}
		return nil
	}
	// Hosts: one per (leaf, segment) with a bound port, then one storage
	// host per leaf.
	segHosts := map[uint32]int{}
	subnetOwner := map[netip.Prefix]string{}
	for _, leaf := range leaves {
		cfg := leaf.Clone()
		cfg.Normalize()
		for si := range cfg.Segments {
			s := cfg.Segments[si]
			r := byVRF(leaf.Device, s.VRF)
			if r == nil {
				return nil, fmt.Errorf("l3lab: segment %s (VLAN %d) on %s is in VRF %s, which the leaf does not have", s.Name, s.VLAN, leaf.Device, s.VRF)
			}
			gw, err := netip.ParsePrefix(s.Gateway)
			if err != nil || !gw.Addr().Is4() {
				return nil, fmt.Errorf("l3lab: segment %s on %s: gateway %q is not an IPv4 address with a length", s.Name, leaf.Device, s.Gateway)
			}
			if d, ok := subnetOwner[gw.Masked()]; ok && d != r.Domain {
				return nil, fmt.Errorf("l3lab: subnet %s is in domains %q and %q", gw.Masked(), d, r.Domain)
			} else if !ok {
				subnetOwner[gw.Masked()] = r.Domain
				lay.subnets = append(lay.subnets, Subnet{Prefix: gw.Masked(), Domain: r.Domain})
			}
			var port *fabric.Port
			for i := range cfg.Ports {
				if p := &cfg.Ports[i]; p.VLAN == s.VLAN && !p.Shutdown {
					port = p
					break
				}
			}
			if port == nil {
				continue
			}
			segHosts[s.L2VNI]++
			addr, ok := nth(gw.Masked(), 10+segHosts[s.L2VNI])
			if !ok {
				return nil, fmt.Errorf("l3lab: subnet %s is too small for the lab's hosts", gw.Masked())
			}
			seg := s
			lay.hosts = append(lay.hosts, &Host{Name: "h-" + r.Name, Router: r, Node: port.Node,
				Addr: netip.PrefixFrom(addr, gw.Bits()), Gateway: gw.Addr(), Segment: &seg})
		}
	}
	for li, leaf := range leaves {
		r := byVRF(leaf.Device, storageVRF)
		if r == nil {
			continue
		}
		sn := storageSubnet(services, li+1)
		lay.subnets = append(lay.subnets, Subnet{Prefix: sn})
		gw, _ := nth(sn, 1)
		addr, _ := nth(sn, 10)
		lay.hosts = append(lay.hosts, &Host{Name: "h-" + r.Name, Router: r, Addr: netip.PrefixFrom(addr, 24), Gateway: gw})
	}
	for i, h := range lay.hosts {
		h.NS = tag + "-" + h.Name
		h.port = "hp" + strconv.Itoa(i)
	}
	slices.SortFunc(lay.subnets, func(a, b Subnet) int { return a.Prefix.Addr().Compare(b.Prefix.Addr()) })
	return lay, nil
}

// storageSubnet is leaf i's (from 1) storage host subnet: the i-th /24
// of the storage service prefix.
func storageSubnet(services netip.Prefix, i int) netip.Prefix {
	a, _ := nth(services.Masked(), i*256)
	return netip.PrefixFrom(a, 24)
}

// nth returns the address i after p's network address, if it is in p.
func nth(p netip.Prefix, i int) (netip.Addr, bool) {
	b := p.Masked().Addr().As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v += uint32(i)
	a := netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
	return a, p.Contains(a)
}

func bitsFor(n int) int {
	b := 0
	for 1<<b < n {
		b++
	}
	return b
}

// filterVRF returns cfg with only the named VRF and its segments (no
// ports: server-port bindings are not part of a VRF router).
func filterVRF(cfg fabric.DeviceConfig, vrf string) fabric.DeviceConfig {
	out := cfg.Clone()
	out.VRFs = slices.DeleteFunc(out.VRFs, func(v fabric.VRF) bool { return v.Name != vrf })
	out.Segments = slices.DeleteFunc(out.Segments, func(s fabric.Segment) bool { return s.VRF != vrf })
	out.Ports = nil
	out.Partitions = nil
	return out
}

// Reachable is the isolation policy: whether a host of domain a may
// reach one of domain b (empty is storage).
func Reachable(a, b string) bool { return a == b || a == "" || b == "" }

// allowed returns the subnets router r may hold routes for, and the
// host routes (/32, EVPN type-2, symmetric IRB) it must hold once the
// hosts have spoken.
func (lay *layout) allowed(r *Router) (subnets []netip.Prefix, hostRoutes []netip.Prefix) {
	for _, s := range lay.subnets {
		if Reachable(r.Domain, s.Domain) {
			subnets = append(subnets, s.Prefix)
		}
	}
	for _, h := range lay.hosts {
		if h.Segment == nil || h.Router == r {
			continue
		}
		if r.Storage() || h.Domain() == r.Domain {
			hostRoutes = append(hostRoutes, netip.PrefixFrom(h.Addr.Addr(), 32))
		}
	}
	slices.SortFunc(hostRoutes, func(a, b netip.Prefix) int { return a.Addr().Compare(b.Addr()) })
	return subnets, hostRoutes
}

// Leaky returns leaves with the deliberately broken route-target scheme
// of the negative control: every VRF other than storageVRF also imports
// the route targets the storage VRF imports (so tenants import the
// storage-client RT every tenant exports, and see each other).
func Leaky(leaves []fabric.DeviceConfig, storageVRF string) []fabric.DeviceConfig {
	out := make([]fabric.DeviceConfig, len(leaves))
	for i, l := range leaves {
		c := l.Clone()
		var hub []string
		for _, v := range c.VRFs {
			if v.Name == storageVRF {
				hub = v.ImportRTs
			}
		}
		for j := range c.VRFs {
			if c.VRFs[j].Name != storageVRF {
				c.VRFs[j].ImportRTs = append(c.VRFs[j].ImportRTs, hub...)
			}
		}
		c.Normalize()
		out[i] = c
	}
	return out
}

func sortedPrefixes(ps []netip.Prefix) []netip.Prefix {
	ps = slices.Clone(ps)
	slices.SortFunc(ps, func(a, b netip.Prefix) int {
		if c := a.Addr().Compare(b.Addr()); c != 0 {
			return c
		}
		return cmp.Compare(a.Bits(), b.Bits())
	})
	return slices.Compact(ps)
}
