package cumulus

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/railyard/railyard/drivers"
	"github.com/railyard/railyard/internal/fabric"
)

// Name is the name the driver registers under.
const Name = "cumulus"

// Bridge is the VLAN-aware bridge segments and ports use.
const Bridge = "br_default"

// ConfirmWindow is the confirm time Apply gives nv config apply.
const ConfirmWindow = "300s"

// Driver programs Cumulus Linux leaves through NVUE. It is stateless.
type Driver struct{}

func init() { drivers.Register(Driver{}) }

// Name implements drivers.Driver.
func (Driver) Name() string { return Name }

// PortName is the NVUE interface for a port name: the suite's EthernetN
// is swpN; anything else is already an NVUE name.
func PortName(name string) string {
	if n, ok := strings.CutPrefix(name, "Ethernet"); ok {
		if i, err := strconv.Atoi(n); err == nil && i >= 1 {
			return "swp" + n
		}
	}
	return name
}

// Render returns the nv set commands for the managed part of cfg, in the
// order Commands would send them to a device that holds none of it.
func (d Driver) Render(cfg fabric.DeviceConfig) (string, error) {
	cmds, err := d.Commands(fabric.Diff(fabric.DeviceConfig{}, cfg), cfg)
	if err != nil {
		return "", err
	}
	return strings.Join(cmds, "\n") + "\n", nil
}

var (
	ifnameRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]{0,14}$`)
	rtRe     = regexp.MustCompile(`^(\d+\.\d+\.\d+\.\d+|\d+):\d+$`)
	prefixRe = regexp.MustCompile(`^[0-9a-fA-F.:]+/\d+$`)
)

func validate(ch fabric.Change, desired fabric.DeviceConfig) error {
	var vrfs []fabric.VRF
	var segs []fabric.Segment
	for _, v := range ch.VRFs {
		if v.New != nil {
			vrfs = append(vrfs, *v.New)
		}
	}
	for _, s := range ch.Segments {
		if s.New != nil {
			segs = append(segs, *s.New)
		}
	}
	vrfs = append(vrfs, desired.VRFs...)
	segs = append(segs, desired.Segments...)
	for _, v := range vrfs {
		if !ifnameRe.MatchString(v.Name) {
			return fmt.Errorf("cumulus: VRF name %q is not a valid Linux interface name (15 characters at most)", v.Name)
		}
		for _, rt := range slices.Concat(v.ImportRTs, v.ExportRTs, []string{v.RD}) {
			if !rtRe.MatchString(rt) {
				return fmt.Errorf("cumulus: VRF %s: %q is not <asn|ip>:<number>", v.Name, rt)
			}
		}
		if v.L3VNI == 0 || v.L3VNI > 16777214 {
			return fmt.Errorf("cumulus: VRF %s: L3VNI %d out of range", v.Name, v.L3VNI)
		}
	}
	for _, s := range segs {
		if s.VLAN < 1 || s.VLAN > 4094 {
			return fmt.Errorf("cumulus: segment VLAN %d out of range", s.VLAN)
		}
		if s.L2VNI == 0 || s.L2VNI > 16777214 {
			return fmt.Errorf("cumulus: segment VLAN %d: L2VNI %d out of range", s.VLAN, s.L2VNI)
		}
		if !ifnameRe.MatchString(s.VRF) {
			return fmt.Errorf("cumulus: segment VLAN %d: VRF %q", s.VLAN, s.VRF)
		}
		if !prefixRe.MatchString(s.Gateway) {
			return fmt.Errorf("cumulus: segment VLAN %d: gateway %q is not an address with a prefix length", s.VLAN, s.Gateway)
		}
		for _, rt := range []string{s.RT, s.RD} {
			if !rtRe.MatchString(rt) {
				return fmt.Errorf("cumulus: segment VLAN %d: %q is not <asn|ip>:<number>", s.VLAN, rt)
			}
		}
	}
	for _, p := range ch.Ports {
		if !ifnameRe.MatchString(PortName(p.New.Name)) {
			return fmt.Errorf("cumulus: port %q is not a valid interface name", p.New.Name)
		}
	}
	return nil
}

// vrfLines are the nv set commands of a VRF.
func vrfLines(v fabric.VRF) []string {
	p := "nv set vrf " + v.Name
	out := []string{
		fmt.Sprintf("%s evpn vni %d", p, v.L3VNI),
		p + " evpn state enabled",
		p + " router bgp state enabled",
		p + " router bgp rd " + v.RD,
		p + " router bgp address-family ipv4-unicast state enabled",
		p + " router bgp address-family ipv4-unicast redistribute connected state enabled",
		p + " router bgp address-family ipv4-unicast route-export to-evpn state enabled",
	}
	for _, rt := range v.ImportRTs {
		out = append(out, p+" router bgp route-import from-evpn route-target "+rt)
	}
	for _, rt := range v.ExportRTs {
		out = append(out, p+" router bgp route-export to-evpn route-target "+rt)
	}
	return out
}

// segmentLines are the nv set commands of a segment.
func segmentLines(s fabric.Segment) []string {
	svi := fmt.Sprintf("nv set interface vlan%d", s.VLAN)
	evpn := fmt.Sprintf("nv set evpn vni %d", s.L2VNI)
	return []string{
		fmt.Sprintf("nv set bridge domain %s vlan %d vni %d", Bridge, s.VLAN, s.L2VNI),
		svi + " ip vrf " + s.VRF,
		svi + " ip vrr address " + s.Gateway,
		evpn + " rd " + s.RD,
		evpn + " route-target import " + s.RT,
		evpn + " route-target export " + s.RT,
	}
}

// Commands returns the nv set and nv unset commands that make the
// change, in dependency order: ports leave the bridge, removed segments
// and VRFs go (references first), VRFs and segments come, ports join.
// A changed object unsets what went away and sets everything it has
// (setting what is there already changes nothing in NVUE).
func (Driver) Commands(ch fabric.Change, desired fabric.DeviceConfig) ([]string, error) {
	if err := validate(ch, desired); err != nil {
		return nil, err
	}
	var out []string
	add := func(f string, a ...any) { out = append(out, fmt.Sprintf(f, a...)) }

	// 1. Ports leave.
	for _, p := range ch.Ports {
		ifc := PortName(p.New.Name)
		if p.Old.VLAN != 0 && p.Old.VLAN != p.New.VLAN {
			add("nv unset interface %s bridge domain %s", ifc, Bridge)
		}
		if p.New.Shutdown && !p.Old.Shutdown {
			add("nv set interface %s link state down", ifc)
		}
	}
	// 2. Removed segments: the SVI (it references the VRF and the VLAN),
	// the EVPN VNI, the VLAN and its VNI.
	for _, s := range ch.Segments {
		if s.New != nil {
			continue
		}
		o := s.Old
		add("nv unset interface vlan%d", o.VLAN)
		if o.L2VNI != 0 {
			add("nv unset evpn vni %d", o.L2VNI)
		}
		add("nv unset bridge domain %s vlan %d", Bridge, o.VLAN)
	}
	// 3. Removed VRFs.
	for _, v := range ch.VRFs {
		if v.New == nil {
			add("nv unset vrf %s", v.Old.Name)
		}
	}
	// 4. New and changed VRFs.
	for _, v := range ch.VRFs {
		if v.New == nil {
			continue
		}
		if o := v.Old; o != nil {
			if o.L3VNI != 0 && o.L3VNI != v.New.L3VNI {
				add("nv unset vrf %s evpn vni %d", o.Name, o.L3VNI)
			}
			for _, rt := range o.ImportRTs {
				if !slices.Contains(v.New.ImportRTs, rt) {
					add("nv unset vrf %s router bgp route-import from-evpn route-target %s", o.Name, rt)
				}
			}
			for _, rt := range o.ExportRTs {
				if !slices.Contains(v.New.ExportRTs, rt) {
					add("nv unset vrf %s router bgp route-export to-evpn route-target %s", o.Name, rt)
				}
			}
		}
		out = append(out, vrfLines(*v.New)...)
	}
	// 5. New and changed segments.
	for _, s := range ch.Segments {
		if s.New == nil {
			continue
		}
		n := s.New
		if o := s.Old; o != nil {
			if o.L2VNI != 0 && o.L2VNI != n.L2VNI {
				add("nv unset evpn vni %d", o.L2VNI)
				add("nv unset bridge domain %s vlan %d vni %d", Bridge, o.VLAN, o.L2VNI)
			} else if o.RT != n.RT {
				add("nv unset evpn vni %d route-target", n.L2VNI)
			}
			if o.Gateway != "" && o.Gateway != n.Gateway {
				add("nv unset interface vlan%d ip vrr address %s", o.VLAN, o.Gateway)
			}
		}
		out = append(out, segmentLines(*n)...)
	}
	// 6. Ports join.
	for _, p := range ch.Ports {
		ifc := PortName(p.New.Name)
		if p.New.VLAN != 0 && p.New.VLAN != p.Old.VLAN {
			add("nv set interface %s bridge domain %s access %d", ifc, Bridge, p.New.VLAN)
		}
		if !p.New.Shutdown && p.Old.Shutdown {
			add("nv unset interface %s link state", ifc)
		}
	}
	return out, nil
}

// legacy rewrites a command for releases before 5.5, which spell the
// enable attribute "enable on|off".
func legacy(cmd string) string {
	switch {
	case strings.HasSuffix(cmd, " state enabled"):
		return strings.TrimSuffix(cmd, " state enabled") + " enable on"
	case strings.HasSuffix(cmd, " state disabled"):
		return strings.TrimSuffix(cmd, " state disabled") + " enable off"
	}
	return cmd
}
