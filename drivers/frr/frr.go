package frr

import (
	"cmp"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/railyard/railyard/drivers"
	"github.com/railyard/railyard/internal/fabric"
)

// Name is the name the driver registers under.
const Name = "frr"

// Driver is the FRR-on-Linux leaf driver.
type Driver struct{}

func init() { drivers.Register(Driver{}) }

// Name returns "frr".
func (Driver) Name() string { return Name }

// Caps are what the leaf's kernel can do (probed by Connect).
type Caps struct {
	// VRF is set when the kernel has VRF devices (CONFIG_NET_VRF).
	VRF bool
}

var (
	// Linux interface names (also VRF names, which may become VRF
	// devices): at most 15 characters, nothing a shell would interpret.
	ifnameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$`)
	// RD / RT: <ASN or IPv4>:<number>.
	rdRE = regexp.MustCompile(`^([0-9]{1,10}|[0-9]{1,3}(\.[0-9]{1,3}){3}):([0-9]{1,10})$`)
)

// checkRD validates an RD or RT against FRR's value ranges (FRR 8.4
// silently truncates an IPv4-admin RD's number beyond 65535).
func checkRD(kind, s string) error {
	m := rdRE.FindStringSubmatch(s)
	if m == nil {
		return fmt.Errorf("%s %q: want ASN:number or IPv4:number", kind, s)
	}
	n, _ := strconv.ParseUint(m[3], 10, 64)
	if strings.Contains(m[1], ".") {
		if _, err := netip.ParseAddr(m[1]); err != nil {
			return fmt.Errorf("%s %q: %v", kind, s, err)
		}
		if n > 65535 {
			return fmt.Errorf("%s %q: the number after an IPv4 administrator must be at most 65535", kind, s)
		}
		return nil
	}
	a, _ := strconv.ParseUint(m[1], 10, 64)
	if a > 0xffffffff || (a > 0xffff && n > 0xffff) || n > 0xffffffff {
		return fmt.Errorf("%s %q: out of range", kind, s)
	}
	return nil
}

func checkVNI(v uint32) error {
	if v == 0 || v > 1<<24-1 {
		return fmt.Errorf("VNI %d out of range 1..16777215", v)
	}
	return nil
}

// validate checks every value that reaches a command line.
func validate(c fabric.DeviceConfig, caps Caps) error {
	if c.ASN == 0 {
		return fmt.Errorf("%s: no BGP ASN", c.Device)
	}
	if _, err := netip.ParseAddr(c.VTEP); err != nil && len(c.Segments) > 0 {
		return fmt.Errorf("%s: VTEP %q: %v", c.Device, c.VTEP, err)
	}
	vnis := map[uint32]string{}
	for _, v := range c.VRFs {
		if !strings.HasPrefix(v.Name, fabric.OwnedPrefix) || !ifnameRE.MatchString(v.Name) {
			return fmt.Errorf("VRF %q: want %s<name>, at most 15 characters of [A-Za-z0-9_.-]", v.Name, fabric.OwnedPrefix)
		}
		if err := checkVNI(v.L3VNI); err != nil {
			return fmt.Errorf("VRF %s: %w", v.Name, err)
		}
		if o, dup := vnis[v.L3VNI]; dup {
			return fmt.Errorf("VRF %s: VNI %d is also %s's", v.Name, v.L3VNI, o)
		}
		vnis[v.L3VNI] = "VRF " + v.Name
		if err := checkRD("VRF "+v.Name+" RD", v.RD); err != nil {
			return err
		}
		for _, rt := range append(slices.Clone(v.ImportRTs), v.ExportRTs...) {
			if err := checkRD("VRF "+v.Name+" route-target", rt); err != nil {
				return err
			}
		}
		if caps.VRF && !fabric.CoreVLANs.Contains(v.CoreVLAN) {
			return fmt.Errorf("VRF %s: core VLAN %d is not in %d-%d (it names the L3VNI bridge)", v.Name, v.CoreVLAN, fabric.CoreVLANs.First, fabric.CoreVLANs.Last)
		}
	}
	vlans := map[int]bool{}
	for _, s := range c.Segments {
		if !fabric.SegmentVLANs.Contains(s.VLAN) {
			return fmt.Errorf("segment %s: VLAN %d is not in %d-%d", s.Name, s.VLAN, fabric.SegmentVLANs.First, fabric.SegmentVLANs.Last)
		}
		if vlans[s.VLAN] {
			return fmt.Errorf("segment %s: VLAN %d used twice", s.Name, s.VLAN)
		}
		vlans[s.VLAN] = true
		if err := checkVNI(s.L2VNI); err != nil {
			return fmt.Errorf("segment %s: %w", s.Name, err)
		}
		if o, dup := vnis[s.L2VNI]; dup {
			return fmt.Errorf("segment %s: VNI %d is also %s's", s.Name, s.L2VNI, o)
		}
		vnis[s.L2VNI] = "segment " + s.Name
		if s.VRF != "" && !ifnameRE.MatchString(s.VRF) {
			return fmt.Errorf("segment %s: VRF %q", s.Name, s.VRF)
		}
		if s.Gateway != "" {
			if _, err := netip.ParsePrefix(s.Gateway); err != nil {
				return fmt.Errorf("segment %s: gateway %q: %v", s.Name, s.Gateway, err)
			}
		}
		if err := checkRD("segment "+s.Name+" RD", s.RD); err != nil {
			return err
		}
		if err := checkRD("segment "+s.Name+" route-target", s.RT); err != nil {
			return err
		}
	}
	for _, p := range c.Ports {
		if !ifnameRE.MatchString(p.Name) {
			return fmt.Errorf("port %q: not a Linux interface name", p.Name)
		}
		if p.VLAN != 0 && !vlans[p.VLAN] {
			return fmt.Errorf("port %s: VLAN %d has no segment", p.Name, p.VLAN)
		}
	}
	return nil
}

// line is one FRR configuration line at an indentation depth.
type line struct {
	depth int
	text  string
}

func vrfStanza(v fabric.VRF) []line {
	return []line{{0, "vrf " + v.Name}, {1, fmt.Sprintf("vni %d", v.L3VNI)}, {0, "exit-vrf"}}
}

// bgpVRF is the router bgp <asn> vrf <name> instance; rmImport and
// rmExport are stale route-targets to remove first.
func bgpVRF(asn uint32, v fabric.VRF, rmImport, rmExport []string) []line {
	l := []line{
		{0, fmt.Sprintf("router bgp %d vrf %s", asn, v.Name)},
		{1, "address-family ipv4 unicast"},
		{2, "redistribute connected"},
		{1, "exit-address-family"},
		{1, "address-family l2vpn evpn"},
		{2, "advertise ipv4 unicast"},
		{2, "rd " + v.RD},
	}
	for _, rt := range rmImport {
		l = append(l, line{2, "no route-target import " + rt})
	}
	for _, rt := range rmExport {
		l = append(l, line{2, "no route-target export " + rt})
	}
	for _, rt := range v.ImportRTs {
		l = append(l, line{2, "route-target import " + rt})
	}
	for _, rt := range v.ExportRTs {
		l = append(l, line{2, "route-target export " + rt})
	}
	return append(l, line{1, "exit-address-family"}, line{0, "exit"})
}

func vniBlock(s fabric.Segment) []line {
	return []line{
		{2, fmt.Sprintf("vni %d", s.L2VNI)},
		{3, "rd " + s.RD},
		{3, "route-target import " + s.RT},
		{3, "route-target export " + s.RT},
		{2, "exit-vni"},
	}
}

// underEVPN wraps lines in the default instance's l2vpn evpn family.
func underEVPN(asn uint32, body []line) []line {
	l := []line{{0, fmt.Sprintf("router bgp %d", asn)}, {1, "address-family l2vpn evpn"}}
	l = append(l, body...)
	return append(l, line{1, "exit-address-family"}, line{0, "exit"})
}

// vtysh renders lines as one vtysh invocation in configure mode.
func vtysh(ls []line) string {
	var b strings.Builder
	b.WriteString("vtysh -c 'configure terminal'")
	for _, l := range ls {
		b.WriteString(" -c '" + l.text + "'")
	}
	return b.String()
}

func indent(ls []line) string {
	var b strings.Builder
	for _, l := range ls {
		b.WriteString(strings.Repeat(" ", l.depth) + l.text + "\n")
	}
	return b.String()
}

// alias is the ifalias of a segment bridge.
func alias(s fabric.Segment) string {
	return fmt.Sprintf("ry-seg vrf=%s gw=%s", s.VRF, s.Gateway)
}

func bridge(vlan int) string  { return fmt.Sprintf("br%d", vlan) }
func vxlan(vni uint32) string { return fmt.Sprintf("vx%d", vni) }

// segmentNetdevs creates a segment's bridge (when create) and VXLAN port
// (when vx), and sets its alias and state.
func segmentNetdevs(s fabric.Segment, vtep string, create, vx bool, caps Caps, oldGW string) []string {
	br := bridge(s.VLAN)
	var c []string
	if create {
		c = append(c, fmt.Sprintf("ip link add %s type bridge stp_state 0", br))
	}
	c = append(c, fmt.Sprintf("ip link set %s alias '%s' addrgenmode none up", br, alias(s)))
	if vx {
		x := vxlan(s.L2VNI)
		c = append(c,
			fmt.Sprintf("ip link add %s type vxlan id %d local %s dstport 4789 nolearning", x, s.L2VNI, vtep),
			fmt.Sprintf("ip link set %s master %s", x, br),
			fmt.Sprintf("ip link set %s type bridge_slave learning off neigh_suppress on", x),
			fmt.Sprintf("ip link set %s up", x))
	}
	if caps.VRF {
		if oldGW != "" && oldGW != s.Gateway {
			c = append(c, fmt.Sprintf("ip addr del %s dev %s", oldGW, br))
		}
		if s.VRF != "" {
			c = append(c, fmt.Sprintf("ip link set %s master %s", br, s.VRF))
		} else {
			c = append(c, fmt.Sprintf("ip link set %s nomaster", br))
		}
		if s.Gateway != "" {
			c = append(c, fmt.Sprintf("ip addr replace %s dev %s", s.Gateway, br))
		}
	}
	return c
}

// ifExists guards a command so it runs only when the link exists.
func ifExists(dev, cmd string) string {
	return fmt.Sprintf("if ip link show dev %s >/dev/null 2>&1; then %s; fi", dev, cmd)
}

func vrfNetdevs(v fabric.VRF, old *fabric.VRF, vtep string) []string {
	var c []string
	c = append(c, fmt.Sprintf("if ! ip link show dev %[1]s >/dev/null 2>&1; then ip link add %[1]s type vrf table %[2]d; fi", v.Name, v.L3VNI),
		fmt.Sprintf("ip link set %s up", v.Name))
	if old != nil && old.CoreVLAN == v.CoreVLAN && old.L3VNI == v.L3VNI {
		return c
	}
	if old != nil && old.CoreVLAN != 0 {
		c = append(c, ifExists(bridge(old.CoreVLAN), "ip link del "+bridge(old.CoreVLAN)))
	}
	if old != nil && old.L3VNI != 0 {
		c = append(c, ifExists(vxlan(old.L3VNI), "ip link del "+vxlan(old.L3VNI)))
	}
	br, x := bridge(v.CoreVLAN), vxlan(v.L3VNI)
	return append(c,
		ifExists(x, "ip link del "+x),
		ifExists(br, "ip link del "+br),
		fmt.Sprintf("ip link add %s type bridge stp_state 0", br),
		fmt.Sprintf("ip link set %s alias 'ry-l3 vrf=%s' addrgenmode none master %s up", br, v.Name, v.Name),
		fmt.Sprintf("ip link add %s type vxlan id %d local %s dstport 4789 nolearning", x, v.L3VNI, vtep),
		fmt.Sprintf("ip link set %s master %s", x, br),
		fmt.Sprintf("ip link set %s type bridge_slave learning off neigh_suppress on", x),
		fmt.Sprintf("ip link set %s up", x))
}

// Render returns the managed configuration as the device holds it: the
// FRR stanzas (frr.conf syntax) and the netdevs as `ip -batch` lines,
// for a kernel without VRF devices (L2-only segments).
func (Driver) Render(cfg fabric.DeviceConfig) (string, error) {
	c := cfg.Clone()
	c.Normalize()
	if err := validate(c, Caps{}); err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("! FRR (vtysh)\n")
	for _, v := range c.VRFs {
		b.WriteString(indent(vrfStanza(v)) + "!\n")
	}
	if len(c.Segments) > 0 {
		var body []line
		for _, s := range c.Segments {
			body = append(body, vniBlock(s)...)
		}
		b.WriteString(indent(underEVPN(c.ASN, body)) + "!\n")
	}
	for _, v := range c.VRFs {
		b.WriteString(indent(bgpVRF(c.ASN, v, nil, nil)) + "!\n")
	}
	b.WriteString("# Linux netdevs (ip -batch; L2-only segments: no VRF devices)\n")
	for _, s := range c.Segments {
		for _, cmd := range segmentNetdevs(s, c.VTEP, true, true, Caps{}, "") {
			b.WriteString(strings.TrimPrefix(cmd, "ip ") + "\n")
		}
	}
	for _, p := range c.Ports {
		b.WriteString(strings.TrimPrefix(portCommand(p), "ip ") + "\n")
	}
	return b.String(), nil
}

func state(p fabric.Port) string {
	if p.Shutdown {
		return "down"
	}
	return "up"
}

// portCommand is the one command that puts a port in state p.
func portCommand(p fabric.Port) string {
	if p.VLAN == 0 {
		return fmt.Sprintf("ip link set %s nomaster %s", p.Name, state(p))
	}
	return fmt.Sprintf("ip link set %s master %s %s", p.Name, bridge(p.VLAN), state(p))
}

// Commands returns what Apply sends for change on a kernel without VRF
// devices (see CommandsFor).
func (Driver) Commands(change fabric.Change, desired fabric.DeviceConfig) ([]string, error) {
	return CommandsFor(change, desired, Caps{})
}

// CommandsFor returns the commands that make change on a leaf with the
// given capabilities, in dependency order: ports leave segments, removed
// segments go (FRR vni block, VXLAN, bridge), removed VRFs go (BGP
// instance, then the VRF), then new and changed VRFs, segments, and
// ports joining segments last.
func CommandsFor(change fabric.Change, desired fabric.DeviceConfig, caps Caps) ([]string, error) {
	return commandsFor(change, desired, caps, true)
}

func commandsFor(change fabric.Change, desired fabric.DeviceConfig, caps Caps, strict bool) ([]string, error) {
	d := desired.Clone()
	d.Normalize()
	if strict {
		if err := validate(d, caps); err != nil {
			return nil, err
		}
	}
	asn := d.ASN
	var leave, segDel, vrfDel, vrfAdd, segAdd, join []string

	ports := slices.Clone(change.Ports)
	slices.SortFunc(ports, func(a, b fabric.PortChange) int { return fabric.ComparePortNames(a.New.Name, b.New.Name) })
	for _, p := range ports {
		o, n := p.Old, p.New
		if !ifnameRE.MatchString(n.Name) {
			return nil, fmt.Errorf("port %q: not a Linux interface name", n.Name)
		}
		switch {
		case n.VLAN == 0:
			leave = append(leave, portCommand(n))
		case o.VLAN != n.VLAN:
			if o.VLAN != 0 {
				leave = append(leave, fmt.Sprintf("ip link set %s nomaster", n.Name))
			}
			join = append(join, portCommand(n))
		default:
			join = append(join, fmt.Sprintf("ip link set %s %s", n.Name, state(n)))
		}
	}

	segs := slices.Clone(change.Segments)
	key := func(s fabric.SegmentChange) int {
		if s.New != nil {
			return s.New.VLAN
		}
		return s.Old.VLAN
	}
	slices.SortFunc(segs, func(a, b fabric.SegmentChange) int { return cmp.Compare(key(a), key(b)) })
	for _, s := range segs {
		o, n := s.Old, s.New
		if n == nil {
			if !fabric.OwnedVLAN(o.VLAN) {
				return nil, fmt.Errorf("segment VLAN %d is not Railyard's", o.VLAN)
			}
			if o.L2VNI != 0 && (o.RD != "" || o.RT != "") {
				segDel = append(segDel, vtysh(underEVPN(asn, []line{{2, fmt.Sprintf("no vni %d", o.L2VNI)}})))
			}
			if o.L2VNI != 0 {
				segDel = append(segDel, "ip link del "+vxlan(o.L2VNI))
			}
			segDel = append(segDel, "ip link del "+bridge(o.VLAN))
			continue
		}
		newVX := o == nil || o.L2VNI != n.L2VNI
		if o != nil && newVX && o.L2VNI != 0 {
			segAdd = append(segAdd, "ip link del "+vxlan(o.L2VNI))
		}
		oldGW := ""
		if o != nil {
			oldGW = o.Gateway
		}
		segAdd = append(segAdd, segmentNetdevs(*n, d.VTEP, o == nil, newVX, caps, oldGW)...)
		if o == nil || newVX || o.RD != n.RD || o.RT != n.RT {
			var body []line
			if o != nil && o.L2VNI != 0 && (o.RD != "" || o.RT != "") {
				// Replace the whole block: the observed one may carry
				// extra route-targets.
				body = append(body, line{2, fmt.Sprintf("no vni %d", o.L2VNI)})
			}
			segAdd = append(segAdd, vtysh(underEVPN(asn, append(body, vniBlock(*n)...))))
		}
	}

	vrfs := slices.Clone(change.VRFs)
	vkey := func(v fabric.VRFChange) string {
		if v.New != nil {
			return v.New.Name
		}
		return v.Old.Name
	}
	slices.SortFunc(vrfs, func(a, b fabric.VRFChange) int { return cmp.Compare(vkey(a), vkey(b)) })
	for _, v := range vrfs {
		o, n := v.Old, v.New
		if n == nil {
			if !strings.HasPrefix(o.Name, fabric.OwnedPrefix) || !ifnameRE.MatchString(o.Name) {
				return nil, fmt.Errorf("VRF %q is not Railyard's", o.Name)
			}
			// Entering the instance first makes the removal work when only
			// the vrf stanza (or only a BGP stub) is left.
			vrfDel = append(vrfDel, vtysh([]line{
				{0, fmt.Sprintf("router bgp %d vrf %s", asn, o.Name)}, {0, "exit"},
				{0, fmt.Sprintf("no router bgp %d vrf %s", asn, o.Name)},
				{0, "no vrf " + o.Name},
			}))
			if caps.VRF {
				if o.CoreVLAN != 0 {
					vrfDel = append(vrfDel, ifExists(bridge(o.CoreVLAN), "ip link del "+bridge(o.CoreVLAN)))
				}
				if o.L3VNI != 0 {
					vrfDel = append(vrfDel, ifExists(vxlan(o.L3VNI), "ip link del "+vxlan(o.L3VNI)))
				}
				vrfDel = append(vrfDel, ifExists(o.Name, "ip link del "+o.Name))
			}
			continue
		}
		if caps.VRF {
			vrfAdd = append(vrfAdd, vrfNetdevs(*n, o, d.VTEP)...)
		}
		var ls []line
		if o == nil || o.L3VNI != n.L3VNI {
			ls = append(ls, line{0, "vrf " + n.Name})
			if o != nil && o.L3VNI != 0 {
				ls = append(ls, line{1, fmt.Sprintf("no vni %d", o.L3VNI)})
			}
			ls = append(ls, line{1, fmt.Sprintf("vni %d", n.L3VNI)}, line{0, "exit-vrf"})
		}
		var rmI, rmE []string
		if o != nil {
			rmI = stale(o.ImportRTs, n.ImportRTs)
			rmE = stale(o.ExportRTs, n.ExportRTs)
		}
		ls = append(ls, bgpVRF(asn, *n, rmI, rmE)...)
		vrfAdd = append(vrfAdd, vtysh(ls))
	}

	var out []string
	for _, part := range [][]string{leave, segDel, vrfDel, vrfAdd, segAdd, join} {
		out = append(out, part...)
	}
	return out, nil
}

// stale lists the valid route-targets of old that new lacks.
func stale(old, new []string) []string {
	var s []string
	for _, rt := range old {
		if !slices.Contains(new, rt) && checkRD("rt", rt) == nil {
			s = append(s, rt)
		}
	}
	return s
}
