package sonic

import (
	"cmp"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/railyard/railyard/drivers"
	"github.com/railyard/railyard/internal/fabric"
)

// Name is the name the driver registers under.
const Name = "sonic"

// TunnelName is the VXLAN_TUNNEL (the VTEP) that VLAN-VNI maps use.
const TunnelName = "vtep"

// VRFPrefix is put before a fabric VRF name to make the SONiC VRF name
// (SONiC requires VRF names to begin with "Vrf").
const VRFPrefix = "Vrf-"

// maxVRFName is SONiC's limit on VRF names (the kernel's IFNAMSIZ-1).
const maxVRFName = 15

// Driver programs SONiC leaves. It is stateless.
type Driver struct{}

func init() { drivers.Register(Driver{}) }

// Name returns "sonic".
func (Driver) Name() string { return Name }

// DeviceVRF is the SONiC name of a fabric VRF.
func DeviceVRF(name string) string { return VRFPrefix + name }

var (
	nameRe = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	portRe = regexp.MustCompile(`^[A-Za-z0-9_./:-]+$`)
	rtRe   = regexp.MustCompile(`^(\d+|\d+\.\d+\.\d+\.\d+):\d+$`)
)

// validate checks what SONiC and FRR would accept and the uniqueness
// rules SONiC does not enforce itself.
func validate(c fabric.DeviceConfig) error {
	if (len(c.VRFs) > 0 || len(c.Segments) > 0) && c.ASN == 0 {
		return fmt.Errorf("sonic: %s: no BGP ASN for the tenant VRFs", c.Device)
	}
	vnis := map[uint32]string{}
	vlans := map[int]string{}
	rds := map[string]string{}
	vrfs := map[string]bool{}
	claim := func(what string, vni uint32, vlan int, rd string) error {
		if vni < 1 || vni > 16777215 {
			return fmt.Errorf("sonic: %s: VNI %d out of range 1-16777215", what, vni)
		}
		if o, dup := vnis[vni]; dup {
			return fmt.Errorf("sonic: %s: VNI %d is already used by %s", what, vni, o)
		}
		vnis[vni] = what
		if !fabric.OwnedVLAN(vlan) {
			return fmt.Errorf("sonic: %s: VLAN %d is not in a range Railyard owns", what, vlan)
		}
		if o, dup := vlans[vlan]; dup {
			return fmt.Errorf("sonic: %s: VLAN %d is already used by %s", what, vlan, o)
		}
		vlans[vlan] = what
		if rd != "" {
			if !rtRe.MatchString(rd) {
				return fmt.Errorf("sonic: %s: malformed RD %q", what, rd)
			}
			if o, dup := rds[rd]; dup {
				return fmt.Errorf("sonic: %s: RD %s is already used by %s", what, rd, o)
			}
			rds[rd] = what
		}
		return nil
	}
	for _, v := range c.VRFs {
		what := "vrf " + v.Name
		if !strings.HasPrefix(v.Name, fabric.OwnedPrefix) || !nameRe.MatchString(v.Name) {
			return fmt.Errorf("sonic: %s: name must start with %q and use only letters, digits, '.', '_' and '-'", what, fabric.OwnedPrefix)
		}
		if n := DeviceVRF(v.Name); len(n) > maxVRFName {
			return fmt.Errorf("sonic: %s: the SONiC name %s is longer than %d characters", what, n, maxVRFName)
		}
		if v.CoreVLAN == 0 {
			return fmt.Errorf("sonic: %s: SONiC needs a core VLAN for the L3VNI", what)
		}
		if err := claim(what, v.L3VNI, v.CoreVLAN, v.RD); err != nil {
			return err
		}
		for _, rt := range append(slices.Clone(v.ImportRTs), v.ExportRTs...) {
			if !rtRe.MatchString(rt) {
				return fmt.Errorf("sonic: %s: malformed route-target %q", what, rt)
			}
		}
		vrfs[v.Name] = true
	}
	segVLAN := map[int]bool{}
	for _, s := range c.Segments {
		what := fmt.Sprintf("segment %s (vlan %d)", s.Name, s.VLAN)
		if err := claim(what, s.L2VNI, s.VLAN, s.RD); err != nil {
			return err
		}
		if s.VRF != "" && !vrfs[s.VRF] {
			return fmt.Errorf("sonic: %s: VRF %s is not in the configuration", what, s.VRF)
		}
		if s.Gateway != "" {
			if _, err := netip.ParsePrefix(s.Gateway); err != nil {
				return fmt.Errorf("sonic: %s: gateway %q: %v", what, s.Gateway, err)
			}
		}
		if s.RT != "" && !rtRe.MatchString(s.RT) {
			return fmt.Errorf("sonic: %s: malformed route-target %q", what, s.RT)
		}
		segVLAN[s.VLAN] = true
	}
	for _, p := range c.Ports {
		if !portRe.MatchString(p.Name) {
			return fmt.Errorf("sonic: port %q: not an interface name", p.Name)
		}
		if p.VLAN != 0 && !segVLAN[p.VLAN] {
			return fmt.Errorf("sonic: port %s: VLAN %d is not a segment of the configuration", p.Name, p.VLAN)
		}
	}
	return nil
}

func clickCmd(args ...any) string {
	var b strings.Builder
	b.WriteString("sudo config")
	for _, a := range args {
		fmt.Fprintf(&b, " %v", a)
	}
	return b.String()
}

// vtysh makes one vtysh invocation that enters configuration mode and
// runs lines.
func vtysh(lines ...string) string {
	var b strings.Builder
	b.WriteString("vtysh -c 'configure terminal'")
	for _, l := range lines {
		b.WriteString(" -c '" + l + "'")
	}
	return b.String()
}

func hasBGP(v fabric.VRF) bool { return v.RD != "" || len(v.ImportRTs) > 0 || len(v.ExportRTs) > 0 }

// Commands returns the click and vtysh commands that make change, in
// dependency order.
func (Driver) Commands(ch fabric.Change, desired fabric.DeviceConfig) ([]string, error) {
	if err := validate(desired); err != nil {
		return nil, err
	}
	for _, p := range ch.Ports {
		if !portRe.MatchString(p.New.Name) {
			return nil, fmt.Errorf("sonic: port %q: not an interface name", p.New.Name)
		}
	}
	return commands(ch, desired.ASN), nil
}

// commands renders a change without validating it (Apply's undo uses it
// for the state it read back).
func commands(ch fabric.Change, asn uint32) []string {
	ports := slices.Clone(ch.Ports)
	slices.SortFunc(ports, func(a, b fabric.PortChange) int { return fabric.ComparePortNames(a.New.Name, b.New.Name) })
	segs := slices.Clone(ch.Segments)
	slices.SortFunc(segs, func(a, b fabric.SegmentChange) int { return cmp.Compare(segKey(a), segKey(b)) })
	vrfs := slices.Clone(ch.VRFs)
	slices.SortFunc(vrfs, func(a, b fabric.VRFChange) int { return strings.Compare(vrfKey(a), vrfKey(b)) })

	var out []string
	// Ports leave their segments (and isolated ports go down) first.
	for _, p := range ports {
		if p.Old.VLAN != 0 && p.Old.VLAN != p.New.VLAN {
			out = append(out, clickCmd("vlan member del", p.Old.VLAN, p.New.Name))
		}
		if p.New.Shutdown && !p.Old.Shutdown {
			out = append(out, clickCmd("interface shutdown", p.New.Name))
		}
	}
	for _, s := range segs {
		if s.Old != nil {
			out = append(out, segmentDown(*s.Old, s.New, asn)...)
		}
	}
	for _, v := range vrfs {
		if v.Old != nil {
			out = append(out, vrfDown(*v.Old, v.New, asn)...)
		}
	}
	for _, v := range vrfs {
		if v.New != nil {
			out = append(out, vrfUp(v.Old, *v.New, asn)...)
		}
	}
	for _, s := range segs {
		if s.New != nil {
			out = append(out, segmentUp(s.Old, *s.New, asn)...)
		}
	}
	for _, p := range ports {
		if p.New.VLAN != 0 && p.New.VLAN != p.Old.VLAN {
			out = append(out, clickCmd("vlan member add -u", p.New.VLAN, p.New.Name))
		}
		if !p.New.Shutdown && p.Old.Shutdown {
			out = append(out, clickCmd("interface startup", p.New.Name))
		}
	}
	return out
}

func segKey(s fabric.SegmentChange) int {
	if s.New != nil {
		return s.New.VLAN
	}
	return s.Old.VLAN
}

func vrfKey(v fabric.VRFChange) string {
	if v.New != nil {
		return v.New.Name
	}
	return v.Old.Name
}

func gateways(g string) []string {
	if g == "" {
		return nil
	}
	return strings.Split(g, ",")
}

func segmentDown(o fabric.Segment, n *fabric.Segment, asn uint32) []string {
	removed := n == nil
	vlan := fmt.Sprintf("Vlan%d", o.VLAN)
	var out []string
	if (removed || o.L2VNI != n.L2VNI || o.RD != n.RD || o.RT != n.RT) && o.L2VNI != 0 {
		out = append(out, vtysh(fmt.Sprintf("router bgp %d", asn), "address-family l2vpn evpn", fmt.Sprintf("no vni %d", o.L2VNI)))
	}
	if removed || o.VRF != n.VRF || o.Gateway != n.Gateway {
		for _, g := range gateways(o.Gateway) {
			out = append(out, clickCmd("interface ip remove", vlan, g))
		}
	}
	if (removed || o.VRF != n.VRF) && o.VRF != "" {
		out = append(out, clickCmd("interface vrf unbind", vlan))
	}
	if (removed || o.L2VNI != n.L2VNI) && o.L2VNI != 0 {
		out = append(out, clickCmd("vxlan map del", TunnelName, o.VLAN, o.L2VNI))
	}
	if removed {
		out = append(out, clickCmd("vlan del", o.VLAN))
	}
	return out
}

func segmentUp(o *fabric.Segment, n fabric.Segment, asn uint32) []string {
	added := o == nil
	vlan := fmt.Sprintf("Vlan%d", n.VLAN)
	var out []string
	if added {
		out = append(out, clickCmd("vlan add", n.VLAN))
	}
	if added || o.L2VNI != n.L2VNI {
		out = append(out, clickCmd("vxlan map add", TunnelName, n.VLAN, n.L2VNI))
	}
	if (added || o.VRF != n.VRF) && n.VRF != "" {
		out = append(out, clickCmd("interface vrf bind", vlan, DeviceVRF(n.VRF)))
	}
	if added || o.VRF != n.VRF || o.Gateway != n.Gateway {
		for _, g := range gateways(n.Gateway) {
			out = append(out, clickCmd("interface ip add", vlan, g))
		}
	}
	if (added || o.L2VNI != n.L2VNI || o.RD != n.RD || o.RT != n.RT) && (n.RD != "" || n.RT != "") {
		lines := []string{fmt.Sprintf("router bgp %d", asn), "address-family l2vpn evpn", fmt.Sprintf("vni %d", n.L2VNI)}
		if n.RD != "" {
			lines = append(lines, "rd "+n.RD)
		}
		if n.RT != "" {
			lines = append(lines, "route-target import "+n.RT, "route-target export "+n.RT)
		}
		out = append(out, vtysh(append(lines, "exit-vni")...))
	}
	return out
}

func vrfDown(o fabric.VRF, n *fabric.VRF, asn uint32) []string {
	removed := n == nil
	name := DeviceVRF(o.Name)
	l3 := removed || o.L3VNI != n.L3VNI || o.CoreVLAN != n.CoreVLAN
	var out []string
	if l3 && o.L3VNI != 0 {
		out = append(out, vtysh("vrf "+name, fmt.Sprintf("no vni %d", o.L3VNI)))
	}
	if removed {
		out = append(out, vtysh(fmt.Sprintf("no router bgp %d vrf %s", asn, name)))
	}
	if l3 && o.L3VNI != 0 {
		out = append(out, clickCmd("vrf del_vrf_vni_map", name))
	}
	if l3 && o.CoreVLAN != 0 {
		out = append(out, clickCmd("interface vrf unbind", fmt.Sprintf("Vlan%d", o.CoreVLAN)))
		if o.L3VNI != 0 {
			out = append(out, clickCmd("vxlan map del", TunnelName, o.CoreVLAN, o.L3VNI))
		}
		out = append(out, clickCmd("vlan del", o.CoreVLAN))
	}
	if removed {
		out = append(out, clickCmd("vrf del", name))
	}
	return out
}

func vrfUp(o *fabric.VRF, n fabric.VRF, asn uint32) []string {
	added := o == nil
	name := DeviceVRF(n.Name)
	l3 := added || o.L3VNI != n.L3VNI || o.CoreVLAN != n.CoreVLAN
	var out []string
	if added {
		out = append(out, clickCmd("vrf add", name))
	}
	if l3 {
		out = append(out,
			clickCmd("vlan add", n.CoreVLAN),
			clickCmd("vxlan map add", TunnelName, n.CoreVLAN, n.L3VNI),
			clickCmd("interface vrf bind", fmt.Sprintf("Vlan%d", n.CoreVLAN), name),
			clickCmd("vrf add_vrf_vni_map", name, n.L3VNI))
	}
	var lines []string
	if l3 {
		lines = append(lines, "vrf "+name, fmt.Sprintf("vni %d", n.L3VNI), "exit-vrf")
	}
	router := fmt.Sprintf("router bgp %d vrf %s", asn, name)
	if added || !hasBGP(*o) {
		lines = append(lines, router, "address-family l2vpn evpn", "advertise ipv4 unicast")
		if n.RD != "" {
			lines = append(lines, "rd "+n.RD)
		}
		for _, rt := range sortedRTs(n.ImportRTs) {
			lines = append(lines, "route-target import "+rt)
		}
		for _, rt := range sortedRTs(n.ExportRTs) {
			lines = append(lines, "route-target export "+rt)
		}
		lines = append(lines, "exit-address-family", "address-family ipv4 unicast", "redistribute connected", "exit-address-family")
	} else if o.RD != n.RD || !slices.Equal(sortedRTs(o.ImportRTs), sortedRTs(n.ImportRTs)) || !slices.Equal(sortedRTs(o.ExportRTs), sortedRTs(n.ExportRTs)) {
		lines = append(lines, router, "address-family l2vpn evpn")
		switch {
		case n.RD != "" && n.RD != o.RD:
			lines = append(lines, "rd "+n.RD)
		case n.RD == "" && o.RD != "":
			lines = append(lines, "no rd")
		}
		lines = append(lines, rtDelta("import", o.ImportRTs, n.ImportRTs)...)
		lines = append(lines, rtDelta("export", o.ExportRTs, n.ExportRTs)...)
		lines = append(lines, "exit-address-family")
	}
	if len(lines) > 0 {
		out = append(out, vtysh(lines...))
	}
	return out
}

func sortedRTs(rts []string) []string {
	s := slices.Clone(rts)
	slices.Sort(s)
	return slices.Compact(s)
}

// rtDelta removes the route-targets that go, then adds those that come.
func rtDelta(dir string, old, new []string) []string {
	var out []string
	for _, rt := range sortedRTs(old) {
		if !slices.Contains(new, rt) {
			out = append(out, "no route-target "+dir+" "+rt)
		}
	}
	for _, rt := range sortedRTs(new) {
		if !slices.Contains(old, rt) {
			out = append(out, "route-target "+dir+" "+rt)
		}
	}
	return out
}
