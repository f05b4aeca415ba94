package eos

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
const Name = "eos"

// Driver programs Arista EOS leaves.
type Driver struct{}

func init() { drivers.Register(Driver{}) }

// Name implements drivers.Driver.
func (Driver) Name() string { return Name }

const indent = "   "

// block is a command and, when it enters a mode, the commands under it.
// exit asks for an explicit "exit" after the sub-commands, where the
// next command could otherwise be taken by this mode (EOS tries a
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
	nameRE = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,100}$`)
	portRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9/._:-]{0,63}$`)
	rtRE   = regexp.MustCompile(`^(\d{1,10}|\d{1,3}(\.\d{1,3}){3}):\d{1,10}$`)
)

const maxVNI = 1<<24 - 1

// validate refuses what would not render to valid, safe EOS commands.
func validateVRF(v fabric.VRF) error {
	if !strings.HasPrefix(v.Name, fabric.OwnedPrefix) || !nameRE.MatchString(v.Name) {
		return fmt.Errorf("vrf %q: name must start with %q and use letters, digits, '_.:-'", v.Name, fabric.OwnedPrefix)
	}
	if v.L3VNI == 0 || v.L3VNI > maxVNI {
		return fmt.Errorf("vrf %s: l3vni %d out of range 1-%d", v.Name, v.L3VNI, maxVNI)
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
	if !fabric.OwnedVLAN(s.VLAN) {
		return fmt.Errorf("segment vlan %d: not in a Railyard VLAN range", s.VLAN)
	}
	if s.L2VNI == 0 || s.L2VNI > maxVNI {
		return fmt.Errorf("segment vlan %d: l2vni %d out of range 1-%d", s.VLAN, s.L2VNI, maxVNI)
	}
	if !strings.HasPrefix(s.VRF, fabric.OwnedPrefix) || !nameRE.MatchString(s.VRF) {
		return fmt.Errorf("segment vlan %d: vrf %q is not a Railyard VRF", s.VLAN, s.VRF)
	}
	if s.Name != "" && !nameRE.MatchString(s.Name) {
		return fmt.Errorf("segment vlan %d: name %q must use letters, digits, '_.:-'", s.VLAN, s.Name)
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
	for _, v := range c.VRFs {
		errs = append(errs, validateVRF(v))
		vrfs[v.Name] = true
	}
	for _, s := range c.Segments {
		errs = append(errs, validateSegment(s))
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
// configuration, as show running-config prints it.
func (Driver) Render(cfg fabric.DeviceConfig) (string, error) {
	c := cfg.Clone()
	c.Normalize()
	if err := validate(c); err != nil {
		return "", fmt.Errorf("eos: %s: %w", c.Device, err)
	}
	var b strings.Builder
	sec := func(lines ...string) {
		for _, l := range lines {
			b.WriteString(l + "\n")
		}
		b.WriteString("!\n")
	}
	for _, s := range c.Segments {
		if s.Name != "" {
			sec(fmt.Sprintf("vlan %d", s.VLAN), indent+"name "+s.Name)
		} else {
			sec(fmt.Sprintf("vlan %d", s.VLAN))
		}
	}
	for _, v := range c.VRFs {
		sec("vrf instance " + v.Name)
	}
	for _, p := range c.Ports {
		lines := []string{"interface " + p.Name}
		if p.Shutdown {
			lines = append(lines, indent+"shutdown")
		}
		if p.VLAN != 0 {
			lines = append(lines, fmt.Sprintf("%sswitchport access vlan %d", indent, p.VLAN))
		}
		sec(lines...)
	}
	for _, s := range c.Segments {
		sec(fmt.Sprintf("interface Vlan%d", s.VLAN), indent+"vrf "+s.VRF, indent+"ip address virtual "+s.Gateway)
	}
	if len(c.Segments)+len(c.VRFs) > 0 {
		lines := []string{"interface Vxlan1"}
		for _, s := range c.Segments {
			lines = append(lines, fmt.Sprintf("%svxlan vlan %d vni %d", indent, s.VLAN, s.L2VNI))
		}
		for _, v := range c.VRFs {
			lines = append(lines, fmt.Sprintf("%svxlan vrf %s vni %d", indent, v.Name, v.L3VNI))
		}
		sec(lines...)
	}
	if len(c.VRFs) > 0 {
		var lines []string
		for _, v := range c.VRFs {
			lines = append(lines, "ip routing vrf "+v.Name)
		}
		sec(lines...)
	}
	if len(c.Segments)+len(c.VRFs) > 0 {
		b.WriteString(fmt.Sprintf("router bgp %d\n", c.ASN))
		in := indent + indent
		for _, s := range c.Segments {
			b.WriteString(indent + "!\n")
			b.WriteString(fmt.Sprintf("%svlan %d\n%srd %s\n%sroute-target both %s\n%sredistribute learned\n", indent, s.VLAN, in, s.RD, in, s.RT, in))
		}
		for _, v := range c.VRFs {
			b.WriteString(indent + "!\n")
			b.WriteString(indent + "vrf " + v.Name + "\n" + in + "rd " + v.RD + "\n")
			for _, rt := range v.ImportRTs {
				b.WriteString(in + "route-target import evpn " + rt + "\n")
			}
			for _, rt := range v.ExportRTs {
				b.WriteString(in + "route-target export evpn " + rt + "\n")
			}
			b.WriteString(in + "redistribute connected\n")
		}
		b.WriteString("!\n")
	}
	return b.String(), nil
}

// Commands implements drivers.Driver. The commands run inside a
// configuration session, in dependency order: ports leave their
// segments, removed segments go, removed VRFs go, new and changed VRFs
// come, new and changed segments come, ports join. Lines are indented
// as in a configuration file (EOS ignores the indentation); "exit"
// closes the router bgp blocks, whose sub-mode commands ("vlan N")
// would otherwise take the next top-level command.
func (Driver) Commands(change fabric.Change, desired fabric.DeviceConfig) ([]string, error) {
	var errs []error
	for _, v := range change.VRFs {
		if v.New != nil {
			errs = append(errs, validateVRF(*v.New))
		} else if !strings.HasPrefix(v.Old.Name, fabric.OwnedPrefix) || !nameRE.MatchString(v.Old.Name) {
			errs = append(errs, fmt.Errorf("vrf %q is not Railyard's to remove", v.Old.Name))
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
	if (len(change.VRFs) > 0 || len(change.Segments) > 0) && desired.ASN == 0 {
		errs = append(errs, errors.New("desired configuration has no BGP ASN"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("eos: %s: %w", desired.Device, err)
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
			out = append(out, block{line: "interface " + p.New.Name, kids: kids})
		}
	}
	// 2. Removed segments: references (BGP, VXLAN, the SVI) before the VLAN.
	var bgpKids, vxKids, svis, vlans []block
	for _, s := range segs {
		if s.New != nil {
			continue
		}
		bgpKids = append(bgpKids, leaf(fmt.Sprintf("no vlan %d", s.Old.VLAN)))
		vxKids = append(vxKids, leaf(fmt.Sprintf("no vxlan vlan %d", s.Old.VLAN)))
		svis = append(svis, leaf(fmt.Sprintf("no interface Vlan%d", s.Old.VLAN)))
		vlans = append(vlans, leaf(fmt.Sprintf("no vlan %d", s.Old.VLAN)))
	}
	out = appendPhase(out, bgp, bgpKids, vxKids, svis, vlans)
	// 3. Removed VRFs.
	bgpKids, vxKids, svis, vlans = nil, nil, nil, nil
	for _, v := range vrfs {
		if v.New != nil {
			continue
		}
		bgpKids = append(bgpKids, leaf("no vrf "+v.Old.Name))
		vxKids = append(vxKids, leaf("no vxlan vrf "+v.Old.Name))
		svis = append(svis, leaf("no ip routing vrf "+v.Old.Name))
		vlans = append(vlans, leaf("no vrf instance "+v.Old.Name))
	}
	out = appendPhase(out, bgp, bgpKids, vxKids, svis, vlans)
	// 4. New and changed VRFs.
	var inst, routing []block
	bgpKids, vxKids = nil, nil
	for _, v := range vrfs {
		if v.New == nil {
			continue
		}
		n := v.New
		inst = append(inst, leaf("vrf instance "+n.Name))
		routing = append(routing, leaf("ip routing vrf "+n.Name))
		vxKids = append(vxKids, leaf(fmt.Sprintf("vxlan vrf %s vni %d", n.Name, n.L3VNI)))
		kids := []block{leaf("rd " + n.RD)}
		if v.Old != nil {
			for _, rt := range v.Old.ImportRTs {
				if !slices.Contains(n.ImportRTs, rt) {
					kids = append(kids, leaf("no route-target import evpn "+rt))
				}
			}
			for _, rt := range v.Old.ExportRTs {
				if !slices.Contains(n.ExportRTs, rt) {
					kids = append(kids, leaf("no route-target export evpn "+rt))
				}
			}
		}
		for _, rt := range sortedSet(n.ImportRTs) {
			kids = append(kids, leaf("route-target import evpn "+rt))
		}
		for _, rt := range sortedSet(n.ExportRTs) {
			kids = append(kids, leaf("route-target export evpn "+rt))
		}
		kids = append(kids, leaf("redistribute connected"))
		bgpKids = append(bgpKids, block{line: "vrf " + n.Name, kids: kids, exit: true})
	}
	out = append(out, inst...)
	out = append(out, routing...)
	out = appendPhase(out, bgp, bgpKids, vxKids)
	// 5. New and changed segments.
	vlans, svis, vxKids, bgpKids = nil, nil, nil, nil
	for _, s := range segs {
		if s.New == nil {
			continue
		}
		n := s.New
		vl := block{line: fmt.Sprintf("vlan %d", n.VLAN)}
		if n.Name != "" {
			vl.kids = []block{leaf("name " + n.Name)}
		}
		vlans = append(vlans, vl)
		svis = append(svis, block{line: fmt.Sprintf("interface Vlan%d", n.VLAN), kids: []block{leaf("vrf " + n.VRF), leaf("ip address virtual " + n.Gateway)}})
		vxKids = append(vxKids, leaf(fmt.Sprintf("vxlan vlan %d vni %d", n.VLAN, n.L2VNI)))
		kids := []block{leaf("rd " + n.RD)}
		if s.Old != nil && s.Old.RT != n.RT {
			// Observe folds one-sided and extra targets into a list
			// (segmentRT); remove every form of each.
			for _, rt := range strings.Split(s.Old.RT, ",") {
				if rt == "" {
					continue
				}
				if rt != n.RT {
					kids = append(kids, leaf("no route-target both "+rt))
				}
				kids = append(kids, leaf("no route-target import "+rt), leaf("no route-target export "+rt))
			}
		}
		kids = append(kids, leaf("route-target both "+n.RT), leaf("redistribute learned"))
		bgpKids = append(bgpKids, block{line: fmt.Sprintf("vlan %d", n.VLAN), kids: kids, exit: true})
	}
	out = append(out, vlans...)
	out = append(out, svis...)
	out = appendPhase(out, bgp, bgpKids, vxKids)
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
			out = append(out, block{line: "interface " + p.New.Name, kids: kids})
		}
	}
	return emit(nil, out, 0), nil
}

// appendPhase adds one step's router bgp and Vxlan1 blocks (BGP first:
// it references the VNIs) and then the rest.
func appendPhase(out []block, bgp string, bgpKids, vxKids []block, rest ...[]block) []block {
	if len(bgpKids) > 0 {
		out = append(out, block{line: bgp, kids: bgpKids, exit: true})
	}
	if len(vxKids) > 0 {
		out = append(out, block{line: "interface Vxlan1", kids: vxKids})
	}
	for _, r := range rest {
		out = append(out, r...)
	}
	return out
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
