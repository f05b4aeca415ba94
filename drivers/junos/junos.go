package junos

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
const Name = "junos"

// ConfirmMinutes is the commit confirmed window Apply opens.
const ConfirmMinutes = 5

// Driver programs Junos leaves. It is stateless.
type Driver struct{}

func init() { drivers.Register(Driver{}) }

// Name implements drivers.Driver.
func (Driver) Name() string { return Name }

// PortName is the Junos interface for a port name: the suite's EthernetN
// is et-0/0/(N-1); anything else is already a Junos name.
func PortName(name string) string {
	if n, ok := strings.CutPrefix(name, "Ethernet"); ok {
		if i, err := strconv.Atoi(n); err == nil && i >= 1 {
			return fmt.Sprintf("et-0/0/%d", i-1)
		}
	}
	return name
}

// Render returns the set statements for the managed part of cfg: every
// VRF, segment and port, in the order Commands would add them to a device
// that holds none of them.
func (d Driver) Render(cfg fabric.DeviceConfig) (string, error) {
	cmds, err := d.Commands(fabric.Diff(fabric.DeviceConfig{}, cfg), cfg)
	if err != nil {
		return "", err
	}
	return strings.Join(cmds, "\n") + "\n", nil
}

// Names, numbers and route targets go into commands unquoted; refuse
// anything that would change how Junos reads the line.
var (
	nameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:/-]*$`)
	rtRe   = regexp.MustCompile(`^(\d+\.\d+\.\d+\.\d+|\d+):\d+$`)
)

func checkName(what, s string) error {
	if !nameRe.MatchString(s) || len(s) > 127 {
		return fmt.Errorf("junos: %s %q is not a valid Junos name", what, s)
	}
	return nil
}

func checkRT(s string) error {
	if !rtRe.MatchString(s) {
		return fmt.Errorf("junos: route target %q is not <asn|ip>:<number>", s)
	}
	return nil
}

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
		if err := checkName("VRF", v.Name); err != nil {
			return err
		}
		if v.RD == "" {
			return fmt.Errorf("junos: VRF %s has no route distinguisher", v.Name)
		}
		for _, rt := range slices.Concat(v.ImportRTs, v.ExportRTs, []string{v.RD}) {
			if err := checkRT(rt); err != nil {
				return fmt.Errorf("VRF %s: %w", v.Name, err)
			}
		}
		if v.L3VNI == 0 || v.L3VNI > 16777214 {
			return fmt.Errorf("junos: VRF %s: L3VNI %d out of range", v.Name, v.L3VNI)
		}
	}
	byName, byVLAN := map[string]int{}, map[int]bool{}
	for _, s := range desired.Segments {
		if v, dup := byName[vlanName(s)]; dup && v != s.VLAN {
			return fmt.Errorf("junos: segments on VLANs %d and %d are both named %s", v, s.VLAN, vlanName(s))
		}
		byName[vlanName(s)] = s.VLAN
		if byVLAN[s.VLAN] {
			return fmt.Errorf("junos: two segments on VLAN %d", s.VLAN)
		}
		byVLAN[s.VLAN] = true
	}
	for _, s := range segs {
		if s.Name != "" {
			if err := checkName("segment", s.Name); err != nil {
				return err
			}
		}
		if s.VLAN < 1 || s.VLAN > 4094 {
			return fmt.Errorf("junos: segment VLAN %d out of range", s.VLAN)
		}
		if err := checkRT(s.RT); err != nil {
			return fmt.Errorf("segment VLAN %d: %w", s.VLAN, err)
		}
		if err := checkName("VRF", s.VRF); err != nil {
			return fmt.Errorf("segment VLAN %d: %w", s.VLAN, err)
		}
		if !nameRe.MatchString(s.Gateway) {
			return fmt.Errorf("junos: segment VLAN %d: gateway %q", s.VLAN, s.Gateway)
		}
	}
	for _, p := range ch.Ports {
		if err := checkName("port", PortName(p.New.Name)); err != nil {
			return err
		}
	}
	return nil
}

// vlanName is the Junos VLAN name of a segment.
func vlanName(s fabric.Segment) string {
	if s.Name != "" {
		return s.Name
	}
	return fmt.Sprintf("ry-vlan%d", s.VLAN)
}

// community is the name of the community that carries a route target.
func community(rt string) string {
	return "ry-rt-" + strings.NewReplacer(":", "-", ".", "-").Replace(rt)
}

func importPolicy(vrf string) string { return vrf + "-import" }
func exportPolicy(vrf string) string { return vrf + "-export" }

// Commands returns the set and delete statements that make the change,
// in dependency order: ports leave their segments, removed segments and
// VRFs go (references first), VRFs and segments come, ports join.
// Statements for changed objects set every value again (Junos ignores a
// set of what is already there) and delete the values that went away.
func (Driver) Commands(ch fabric.Change, desired fabric.DeviceConfig) ([]string, error) {
	if err := validate(ch, desired); err != nil {
		return nil, err
	}
	names := map[int]string{}
	for _, s := range desired.Segments {
		names[s.VLAN] = vlanName(s)
	}
	for _, s := range ch.Segments {
		if s.Old != nil && s.New != nil && s.Old.Name != "" {
			// The VLAN keeps its name on the device.
			names[s.New.VLAN] = s.Old.Name
		}
	}
	var out []string
	add := func(f string, a ...any) { out = append(out, fmt.Sprintf(f, a...)) }

	// 1. Ports leave.
	for _, p := range ch.Ports {
		ifd := PortName(p.New.Name)
		if p.Old.VLAN != 0 && p.Old.VLAN != p.New.VLAN {
			add("delete interfaces %s unit 0", ifd)
		}
		if p.New.Shutdown && !p.Old.Shutdown {
			add("set interfaces %s disable", ifd)
		}
	}
	// 2. Removed segments: the VRF's reference to the IRB unit, the VLAN
	// (which references the unit), the unit, the EVPN VNI.
	for _, s := range ch.Segments {
		if s.New != nil {
			continue
		}
		o := s.Old
		if o.VRF != "" {
			add("delete routing-instances %s interface irb.%d", o.VRF, o.VLAN)
		}
		add("delete vlans %s", vlanName(*o))
		add("delete interfaces irb unit %d", o.VLAN)
		if o.L2VNI != 0 {
			add("delete protocols evpn vni-options vni %d", o.L2VNI)
			add("delete protocols evpn extended-vni-list %d", o.L2VNI)
		}
	}
	// 3. Removed VRFs: the instance, then its policies.
	for _, v := range ch.VRFs {
		if v.New != nil {
			continue
		}
		add("delete routing-instances %s", v.Old.Name)
		add("delete policy-options policy-statement %s", importPolicy(v.Old.Name))
		add("delete policy-options policy-statement %s", exportPolicy(v.Old.Name))
	}
	// 4. New and changed VRFs: communities, policies, the instance.
	for _, v := range ch.VRFs {
		if v.New == nil {
			continue
		}
		n := v.New
		rts := slices.Concat(n.ImportRTs, n.ExportRTs)
		slices.Sort(rts)
		for _, rt := range slices.Compact(rts) {
			add("set policy-options community %s members target:%s", community(rt), rt)
		}
		if v.Old == nil || !slices.Equal(v.Old.ImportRTs, n.ImportRTs) {
			if v.Old != nil {
				add("delete policy-options policy-statement %s", importPolicy(n.Name))
			}
			p := importPolicy(n.Name)
			for _, rt := range n.ImportRTs {
				term := "rt-" + strings.TrimPrefix(community(rt), "ry-rt-")
				add("set policy-options policy-statement %s term %s from community %s", p, term, community(rt))
				add("set policy-options policy-statement %s term %s then accept", p, term)
			}
			add("set policy-options policy-statement %s then reject", p)
		}
		if v.Old == nil || !slices.Equal(v.Old.ExportRTs, n.ExportRTs) {
			if v.Old != nil {
				add("delete policy-options policy-statement %s", exportPolicy(n.Name))
			}
			p := exportPolicy(n.Name)
			for _, rt := range n.ExportRTs {
				add("set policy-options policy-statement %s term rt then community add %s", p, community(rt))
			}
			add("set policy-options policy-statement %s term rt then accept", p)
		}
		ri := "set routing-instances " + n.Name
		add("%s instance-type vrf", ri)
		add("%s route-distinguisher %s", ri, n.RD)
		add("%s vrf-import %s", ri, importPolicy(n.Name))
		add("%s vrf-export %s", ri, exportPolicy(n.Name))
		add("%s protocols evpn ip-prefix-routes advertise direct-nexthop", ri)
		add("%s protocols evpn ip-prefix-routes encapsulation vxlan", ri)
		add("%s protocols evpn ip-prefix-routes vni %d", ri, n.L3VNI)
	}
	// Communities no VRF of the desired configuration uses any more.
	used := map[string]bool{}
	for _, v := range desired.VRFs {
		for _, rt := range slices.Concat(v.ImportRTs, v.ExportRTs) {
			used[community(rt)] = true
		}
	}
	var stale []string
	for _, v := range ch.VRFs {
		if v.Old == nil {
			continue
		}
		for _, rt := range slices.Concat(v.Old.ImportRTs, v.Old.ExportRTs) {
			if c := community(rt); !used[c] && !slices.Contains(stale, c) {
				stale = append(stale, c)
			}
		}
	}
	slices.Sort(stale)
	for _, c := range stale {
		add("delete policy-options community %s", c)
	}
	// 5. New and changed segments: the IRB unit, the VLAN, EVPN, the VRF's
	// interface.
	for _, s := range ch.Segments {
		if s.New == nil {
			continue
		}
		n, o := s.New, s.Old
		name := names[n.VLAN]
		if o != nil {
			if o.VRF != "" && o.VRF != n.VRF {
				add("delete routing-instances %s interface irb.%d", o.VRF, o.VLAN)
			}
			if o.Gateway != "" && o.Gateway != n.Gateway {
				add("delete interfaces irb unit %d family inet address %s", o.VLAN, o.Gateway)
			}
			if o.L2VNI != 0 && o.L2VNI != n.L2VNI {
				add("delete protocols evpn vni-options vni %d", o.L2VNI)
				add("delete protocols evpn extended-vni-list %d", o.L2VNI)
			}
		}
		add("set interfaces irb unit %d family inet address %s", n.VLAN, n.Gateway)
		add("set vlans %s vlan-id %d", name, n.VLAN)
		add("set vlans %s l3-interface irb.%d", name, n.VLAN)
		add("set vlans %s vxlan vni %d", name, n.L2VNI)
		add("set protocols evpn extended-vni-list %d", n.L2VNI)
		add("set protocols evpn vni-options vni %d vrf-target target:%s", n.L2VNI, n.RT)
		add("set routing-instances %s interface irb.%d", n.VRF, n.VLAN)
	}
	// 6. Ports join.
	for _, p := range ch.Ports {
		ifd := PortName(p.New.Name)
		if p.New.VLAN != 0 && p.New.VLAN != p.Old.VLAN {
			member, ok := names[p.New.VLAN]
			if !ok {
				member = strconv.Itoa(p.New.VLAN)
			}
			add("set interfaces %s unit 0 family ethernet-switching interface-mode access", ifd)
			add("set interfaces %s unit 0 family ethernet-switching vlan members %s", ifd, member)
		}
		if !p.New.Shutdown && p.Old.Shutdown {
			add("delete interfaces %s disable", ifd)
		}
	}
	return out, nil
}
