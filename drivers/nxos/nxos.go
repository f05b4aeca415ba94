package nxos

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/railyard/railyard/drivers"
	"github.com/railyard/railyard/internal/fabric"
)

// Name is the name the driver registers under.
const Name = "nxos"

// Driver programs Cisco NX-OS leaves.
type Driver struct{}

func init() { drivers.Register(Driver{}) }

// Name implements drivers.Driver.
func (Driver) Name() string { return Name }

const indent = "  "

var ethRE = regexp.MustCompile(`^Ethernet(\d+)$`)

// InterfaceName is the NX-OS name of a port: EthernetN (a single number,
// as the conformance suite and some inventories name ports) is
// Ethernet1/N; other names are used as given.
func InterfaceName(port string) string {
	if m := ethRE.FindStringSubmatch(port); m != nil {
		return "Ethernet1/" + m[1]
	}
	return port
}

// block is a command and, when it enters a mode, the commands under it.
// exit asks for an explicit "exit" after the sub-commands, where the
// next command could otherwise be taken by this mode (NX-OS tries a
// command in the current mode before the parent ones).
type block struct {
	line string
	kids []block
	exit bool
}

func leaf(s string) block { return block{line: s} }

func emit(out []string, bs []block, depth int) []string {
	ind := strings.Repeat(indent, depth)
	for _, b := range bs {
		out = append(out, ind+b.line)
		out = emit(out, b.kids, depth+1)
		if b.exit {
			out = append(out, ind+indent+"exit")
		}
	}
	return out
}

var (
	nameRE = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,32}$`)
	portRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9/._:-]{0,63}$`)
	rtRE   = regexp.MustCompile(`^(\d{1,10}|\d{1,3}(\.\d{1,3}){3}):\d{1,10}$`)
)

const maxVNI = 1<<24 - 2

func validateVRF(v fabric.VRF) error {
	if !strings.HasPrefix(v.Name, fabric.OwnedPrefix) || !nameRE.MatchString(v.Name) {
		return fmt.Errorf("vrf %q: name must start with %q and use up to 32 letters, digits, '_.:-'", v.Name, fabric.OwnedPrefix)
	}
	if v.L3VNI == 0 || v.L3VNI > maxVNI {
		return fmt.Errorf("vrf %s: l3vni %d out of range 1-%d", v.Name, v.L3VNI, maxVNI)
	}
	if !fabric.CoreVLANs.Contains(v.CoreVLAN) {
		return fmt.Errorf("vrf %s: NX-OS needs a core VLAN for the L3VNI in %d-%d, got %d", v.Name, fabric.CoreVLANs.First, fabric.CoreVLANs.Last, v.CoreVLAN)
	}
	if !rtRE.MatchString(v.RD) {
		return fmt.Errorf("vrf %s: rd %q is not ASN:n or IP:n", v.Name, v.RD)
	}
	for _, rt := range append(slices.Clone(v.ImportRTs), v.ExportRTs...) {
		if !rtRE.MatchString(rt) {
			return fmt.Errorf("vrf %s: route target %q is not ASN:n or IP:n", v.Name, rt)
		}
	}
	return nil
}

func validateSegment(s fabric.Segment) error {
	if !fabric.SegmentVLANs.Contains(s.VLAN) {
		return fmt.Errorf("segment vlan %d: not in the segment VLAN range %d-%d", s.VLAN, fabric.SegmentVLANs.First, fabric.SegmentVLANs.Last)
	}
	if s.L2VNI == 0 || s.L2VNI > maxVNI {
		return fmt.Errorf("segment vlan %d: l2vni %d out of range 1-%d", s.VLAN, s.L2VNI, maxVNI)
	}
	if !strings.HasPrefix(s.VRF, fabric.OwnedPrefix) || !nameRE.MatchString(s.VRF) {
		return fmt.Errorf("segment vlan %d: vrf %q is not a Railyard VRF", s.VLAN, s.VRF)
	}
	if s.Name != "" && !nameRE.MatchString(s.Name) {
		return fmt.Errorf("segment vlan %d: name %q must use up to 32 letters, digits, '_.:-'", s.VLAN, s.Name)
	}
	if p, err := netip.ParsePrefix(s.Gateway); err != nil || !p.Addr().Is4() {
		return fmt.Errorf("segment vlan %d: gateway %q is not an IPv4 address/length", s.VLAN, s.Gateway)
	}
	if !rtRE.MatchString(s.RD) || !rtRE.MatchString(s.RT) {
		return fmt.Errorf("segment vlan %d: rd %q / rt %q must be ASN:n or IP:n", s.VLAN, s.RD, s.RT)
	}
	return nil
}

func validatePort(p fabric.Port) error {
	if !portRE.MatchString(p.Name) {
		return fmt.Errorf("port %q: not an interface name", p.Name)
	}
	if p.VLAN < 0 || p.VLAN > 4094 {
		return fmt.Errorf("port %s: vlan %d out of range", p.Name, p.VLAN)
	}
	return nil
}

func validate(c fabric.DeviceConfig) error {
	var errs []error
	vrfs := map[string]bool{}
	vlans := map[int]string{}
	use := func(v int, what string) {
		if o, dup := vlans[v]; dup {
			errs = append(errs, fmt.Errorf("vlan %d is both %s and %s", v, o, what))
		}
		vlans[v] = what
	}
	for _, v := range c.VRFs {
		errs = append(errs, validateVRF(v))
		vrfs[v.Name] = true
		use(v.CoreVLAN, "the core VLAN of "+v.Name)
	}
	for _, s := range c.Segments {
		errs = append(errs, validateSegment(s))
		use(s.VLAN, "a segment")
		if !vrfs[s.VRF] {
			errs = append(errs, fmt.Errorf("segment vlan %d: vrf %s is not in the configuration", s.VLAN, s.VRF))
		}
	}
	for _, p := range c.Ports {
		errs = append(errs, validatePort(p))
	}
	if len(c.VRFs) > 0 && c.ASN == 0 {
		errs = append(errs, errors.New("no BGP ASN"))
	}
	return errors.Join(errs...)
}

// Render implements drivers.Driver: the managed part of the running
// configuration, as show running-config prints it (without the VLAN
// summary line).
func (Driver) Render(cfg fabric.DeviceConfig) (string, error) {
	c := cfg.Clone()
	c.Normalize()
	if err := validate(c); err != nil {
		return "", fmt.Errorf("nxos: %s: %w", c.Device, err)
	}
	var b strings.Builder
	w := func(depth int, s string) { b.WriteString(strings.Repeat(indent, depth) + s + "\n") }
	type vlan struct {
		id    int
		lines []string
	}
	var vlans []vlan
	for _, s := range c.Segments {
		v := vlan{id: s.VLAN}
		if s.Name != "" {
			v.lines = append(v.lines, "name "+s.Name)
		}
		vlans = append(vlans, vlan{s.VLAN, append(v.lines, fmt.Sprintf("vn-segment %d", s.L2VNI))})
	}
	for _, v := range c.VRFs {
		vlans = append(vlans, vlan{v.CoreVLAN, []string{fmt.Sprintf("vn-segment %d", v.L3VNI)}})
	}
	slices.SortFunc(vlans, func(a, b vlan) int { return cmp.Compare(a.id, b.id) })
	for _, v := range vlans {
		w(0, fmt.Sprintf("vlan %d", v.id))
		for _, l := range v.lines {
			w(1, l)
		}
	}
	for i, v := range c.VRFs {
		if i == 0 {
			b.WriteString("\n")
		}
		w(0, "vrf context "+v.Name)
		w(1, fmt.Sprintf("vni %d", v.L3VNI))
		w(1, "rd "+v.RD)
		w(1, "address-family ipv4 unicast")
		for _, rt := range v.ImportRTs {
			w(2, "route-target import "+rt+" evpn")
		}
		for _, rt := range v.ExportRTs {
			w(2, "route-target export "+rt+" evpn")
		}
	}
	type svi struct {
		id    int
		lines []string
	}
	var svis []svi
	for _, s := range c.Segments {
		svis = append(svis, svi{s.VLAN, []string{"no shutdown", "vrf member " + s.VRF, "ip address " + s.Gateway, "fabric forwarding mode anycast-gateway"}})
	}
	for _, v := range c.VRFs {
		svis = append(svis, svi{v.CoreVLAN, []string{"no shutdown", "vrf member " + v.Name, "ip forward"}})
	}
	slices.SortFunc(svis, func(a, b svi) int { return cmp.Compare(a.id, b.id) })
	for _, s := range svis {
		b.WriteString("\n")
		w(0, fmt.Sprintf("interface Vlan%d", s.id))
		for _, l := range s.lines {
			w(1, l)
		}
	}
	if len(c.VRFs)+len(c.Segments) > 0 {
		type member struct {
			vni uint32
			l3  bool
		}
		var ms []member
		for _, v := range c.VRFs {
			ms = append(ms, member{v.L3VNI, true})
		}
		for _, s := range c.Segments {
			ms = append(ms, member{s.L2VNI, false})
		}
		slices.SortFunc(ms, func(a, b member) int { return cmp.Compare(a.vni, b.vni) })
		b.WriteString("\n")
		w(0, "interface nve1")
		for _, m := range ms {
			if m.l3 {
				w(1, fmt.Sprintf("member vni %d associate-vrf", m.vni))
			} else {
				w(1, fmt.Sprintf("member vni %d", m.vni))
				w(2, "ingress-replication protocol bgp")
			}
		}
	}
	for _, p := range c.Ports {
		b.WriteString("\n")
		w(0, "interface "+InterfaceName(p.Name))
		if p.VLAN != 0 {
			w(1, fmt.Sprintf("switchport access vlan %d", p.VLAN))
		}
		if !p.Shutdown {
			w(1, "no shutdown")
		}
	}
	if len(c.VRFs) > 0 {
		w(0, fmt.Sprintf("router bgp %d", c.ASN))
		for _, v := range c.VRFs {
			w(1, "vrf "+v.Name)
			w(2, "address-family ipv4 unicast")
			w(3, "advertise l2vpn evpn")
		}
	}
	if len(c.Segments) > 0 {
		w(0, "evpn")
		for _, s := range c.Segments {
			w(1, fmt.Sprintf("vni %d l2", s.L2VNI))
			w(2, "rd "+s.RD)
			w(2, "route-target import "+s.RT)
			w(2, "route-target export "+s.RT)
		}
	}
	return b.String(), nil
}

// Commands implements drivers.Driver. The commands run in configuration
// mode between a checkpoint and its deletion, in dependency order: ports
// leave their segments; removed segments go (EVPN, nve1 member, SVI,
// VLAN); removed VRFs go (BGP VRF, the L3VNI's nve1 member, the core SVI
// and VLAN, then the VRF, which NX-OS refuses to delete while nve1 still
// carries its VNI); new and changed VRFs come, then new and changed
// segments; ports join. "exit" closes the blocks with sub-modes.
func (Driver) Commands(change fabric.Change, desired fabric.DeviceConfig) ([]string, error) {
	var errs []error
	for _, v := range change.VRFs {
		if v.New != nil {
			errs = append(errs, validateVRF(*v.New))
		}
		if v.Old != nil && (!strings.HasPrefix(v.Old.Name, fabric.OwnedPrefix) || !nameRE.MatchString(v.Old.Name)) {
			errs = append(errs, fmt.Errorf("vrf %q is not Railyard's to change", v.Old.Name))
		}
		if v.Old != nil && v.Old.CoreVLAN != 0 && !fabric.OwnedVLAN(v.Old.CoreVLAN) {
			errs = append(errs, fmt.Errorf("vrf %s: core vlan %d is not Railyard's to remove", v.Old.Name, v.Old.CoreVLAN))
		}
	}
	for _, s := range change.Segments {
		if s.New != nil {
			errs = append(errs, validateSegment(*s.New))
		} else if !fabric.OwnedVLAN(s.Old.VLAN) {
			errs = append(errs, fmt.Errorf("vlan %d is not Railyard's to remove", s.Old.VLAN))
		}
	}
	for _, p := range change.Ports {
		errs = append(errs, validatePort(p.New))
	}
	if len(change.VRFs) > 0 && desired.ASN == 0 {
		errs = append(errs, errors.New("desired configuration has no BGP ASN"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("nxos: %s: %w", desired.Device, err)
	}
	bgp := fmt.Sprintf("router bgp %d", desired.ASN)
	vrfs := slices.Clone(change.VRFs)
	slices.SortFunc(vrfs, func(a, b fabric.VRFChange) int { return cmp.Compare(vrfName(a), vrfName(b)) })
	segs := slices.Clone(change.Segments)
	slices.SortFunc(segs, func(a, b fabric.SegmentChange) int { return cmp.Compare(segVLAN(a), segVLAN(b)) })
	ports := slices.Clone(change.Ports)
	slices.SortFunc(ports, func(a, b fabric.PortChange) int { return fabric.ComparePortNames(a.New.Name, b.New.Name) })

	var out []block
	// 1. Ports leave their segments (and isolated ones go down).
	for _, p := range ports {
		var kids []block
		if p.Old.VLAN != 0 && p.Old.VLAN != p.New.VLAN {
			kids = append(kids, leaf("no switchport access vlan"))
		}
		if p.New.Shutdown && !p.Old.Shutdown {
			kids = append(kids, leaf("shutdown"))
		}
		if len(kids) > 0 {
			out = append(out, block{line: "interface " + InterfaceName(p.New.Name), kids: kids})
		}
	}
	// 2. Removed segments, and the old L2VNI of segments whose VNI changes.
	var evpn, nve, rest []block
	for _, s := range segs {
		if s.Old != nil && s.New != nil && s.Old.VRF != "" && s.Old.VRF != s.New.VRF {
			// Out of the old VRF now, which may be going in step 3.
			rest = append(rest, block{line: fmt.Sprintf("interface Vlan%d", s.Old.VLAN), kids: []block{leaf("no vrf member " + s.Old.VRF)}})
		}
		if s.Old == nil || s.Old.L2VNI == 0 || (s.New != nil && s.New.L2VNI == s.Old.L2VNI) {
			if s.New == nil {
				rest = append(rest, leaf(fmt.Sprintf("no interface Vlan%d", s.Old.VLAN)), leaf(fmt.Sprintf("no vlan %d", s.Old.VLAN)))
			}
			continue
		}
		evpn = append(evpn, leaf(fmt.Sprintf("no vni %d l2", s.Old.L2VNI)))
		nve = append(nve, leaf(fmt.Sprintf("no member vni %d", s.Old.L2VNI)))
		if s.New == nil {
			rest = append(rest, leaf(fmt.Sprintf("no interface Vlan%d", s.Old.VLAN)), leaf(fmt.Sprintf("no vlan %d", s.Old.VLAN)))
		}
	}
	if len(evpn) > 0 {
		out = append(out, block{line: "evpn", kids: evpn, exit: true})
	}
	if len(nve) > 0 {
		out = append(out, block{line: "interface nve1", kids: nve})
	}
	out = append(out, rest...)
	// 3. Removed VRFs, and the old L3VNI member and core VLAN of VRFs
	// whose VNI or core VLAN changes.
	var bgpKids, contexts []block
	nve, rest = nil, nil
	for _, v := range vrfs {
		o, n := v.Old, v.New
		if o == nil {
			continue
		}
		if n == nil {
			bgpKids = append(bgpKids, leaf("no vrf "+o.Name))
			contexts = append(contexts, leaf("no vrf context "+o.Name))
		}
		if o.L3VNI != 0 && (n == nil || n.L3VNI != o.L3VNI) {
			nve = append(nve, leaf(fmt.Sprintf("no member vni %d", o.L3VNI)))
		}
		if o.CoreVLAN != 0 && (n == nil || n.CoreVLAN != o.CoreVLAN) {
			rest = append(rest, leaf(fmt.Sprintf("no interface Vlan%d", o.CoreVLAN)), leaf(fmt.Sprintf("no vlan %d", o.CoreVLAN)))
		}
	}
	if len(bgpKids) > 0 {
		out = append(out, block{line: bgp, kids: bgpKids, exit: true})
	}
	if len(nve) > 0 {
		out = append(out, block{line: "interface nve1", kids: nve})
	}
	out = append(out, rest...)
	out = append(out, contexts...)
	// 4. New and changed VRFs.
	var vlans, svis []block
	contexts, nve, bgpKids = nil, nil, nil
	for _, v := range vrfs {
		n := v.New
		if n == nil {
			continue
		}
		var af []block
		if v.Old != nil {
			for _, rt := range v.Old.ImportRTs {
				if !slices.Contains(n.ImportRTs, rt) {
					af = append(af, leaf("no route-target import "+rt+" evpn"))
				}
			}
			for _, rt := range v.Old.ExportRTs {
				if !slices.Contains(n.ExportRTs, rt) {
					af = append(af, leaf("no route-target export "+rt+" evpn"))
				}
			}
		}
		for _, rt := range sortedSet(n.ImportRTs) {
			af = append(af, leaf("route-target import "+rt+" evpn"))
		}
		for _, rt := range sortedSet(n.ExportRTs) {
			af = append(af, leaf("route-target export "+rt+" evpn"))
		}
		contexts = append(contexts, block{line: "vrf context " + n.Name, exit: true, kids: []block{
			leaf(fmt.Sprintf("vni %d", n.L3VNI)), leaf("rd " + n.RD),
			{line: "address-family ipv4 unicast", kids: af, exit: true}}})
		vlans = append(vlans, block{line: fmt.Sprintf("vlan %d", n.CoreVLAN), kids: []block{leaf(fmt.Sprintf("vn-segment %d", n.L3VNI))}})
		svis = append(svis, block{line: fmt.Sprintf("interface Vlan%d", n.CoreVLAN), kids: []block{leaf("no shutdown"), leaf("vrf member " + n.Name), leaf("ip forward")}})
		nve = append(nve, leaf(fmt.Sprintf("member vni %d associate-vrf", n.L3VNI)))
		bgpKids = append(bgpKids, block{line: "vrf " + n.Name, exit: true, kids: []block{
			{line: "address-family ipv4 unicast", kids: []block{leaf("advertise l2vpn evpn")}, exit: true}}})
	}
	out = append(out, contexts...)
	out = append(out, vlans...)
	out = append(out, svis...)
	if len(nve) > 0 {
		out = append(out, block{line: "interface nve1", kids: nve})
	}
	if len(bgpKids) > 0 {
		out = append(out, block{line: bgp, kids: bgpKids, exit: true})
	}
	// 5. New and changed segments.
	vlans, svis, nve, evpn = nil, nil, nil, nil
	for _, s := range segs {
		n := s.New
		if n == nil {
			continue
		}
		vl := block{line: fmt.Sprintf("vlan %d", n.VLAN)}
		if n.Name != "" {
			vl.kids = append(vl.kids, leaf("name "+n.Name))
		}
		vl.kids = append(vl.kids, leaf(fmt.Sprintf("vn-segment %d", n.L2VNI)))
		vlans = append(vlans, vl)
		svis = append(svis, block{line: fmt.Sprintf("interface Vlan%d", n.VLAN), kids: []block{leaf("no shutdown"), leaf("vrf member " + n.VRF),
			leaf("ip address " + n.Gateway), leaf("fabric forwarding mode anycast-gateway")}})
		nve = append(nve, block{line: fmt.Sprintf("member vni %d", n.L2VNI), kids: []block{leaf("ingress-replication protocol bgp")}, exit: true})
		kids := []block{leaf("rd " + n.RD)}
		if s.Old != nil && s.Old.L2VNI == n.L2VNI && s.Old.RT != n.RT {
			// Observe folds one-sided and extra targets into a list.
			for _, rt := range strings.Split(s.Old.RT, ",") {
				if rt != "" && rt != n.RT {
					kids = append(kids, leaf("no route-target import "+rt), leaf("no route-target export "+rt))
				}
			}
		}
		kids = append(kids, leaf("route-target import "+n.RT), leaf("route-target export "+n.RT))
		evpn = append(evpn, block{line: fmt.Sprintf("vni %d l2", n.L2VNI), kids: kids, exit: true})
	}
	out = append(out, vlans...)
	out = append(out, svis...)
	if len(nve) > 0 {
		out = append(out, block{line: "interface nve1", kids: nve, exit: true})
	}
	if len(evpn) > 0 {
		out = append(out, block{line: "evpn", kids: evpn, exit: true})
	}
	// 6. Ports join.
	for _, p := range ports {
		var kids []block
		if p.New.VLAN != 0 && p.New.VLAN != p.Old.VLAN {
			kids = append(kids, leaf(fmt.Sprintf("switchport access vlan %d", p.New.VLAN)))
		}
		if !p.New.Shutdown && p.Old.Shutdown {
			kids = append(kids, leaf("no shutdown"))
		}
		if len(kids) > 0 {
			out = append(out, block{line: "interface " + InterfaceName(p.New.Name), kids: kids})
		}
	}
	return emit(nil, out, 0), nil
}

func vrfName(c fabric.VRFChange) string {
	if c.New != nil {
		return c.New.Name
	}
	return c.Old.Name
}

func segVLAN(c fabric.SegmentChange) int {
	if c.New != nil {
		return c.New.VLAN
	}
	return c.Old.VLAN
}

func sortedSet(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}
