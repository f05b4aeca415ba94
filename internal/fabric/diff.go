package fabric

import (
	"fmt"
	"slices"
	"strings"
)

// VRFChange adds (Old nil), removes (New nil) or changes a VRF.
type VRFChange struct{ Old, New *VRF }

// SegmentChange adds (Old nil), removes (New nil) or changes a segment.
// Segments are keyed by VLAN.
type SegmentChange struct{ Old, New *Segment }

// PortChange rebinds a port from Old to New.
type PortChange struct{ Old, New Port }

// PartitionChange adds (Old nil), removes (New nil) or changes a
// partition.
type PartitionChange struct{ Old, New *Partition }

// Change is what moves a device from one configuration to another, as
// typed objects. Drivers render it to commands in dependency order:
// ports leave segments first, then segments and VRFs go (references
// before the objects they reference), then VRFs and segments come, and
// ports join last.
type Change struct {
	Device     string
	VRFs       []VRFChange
	Segments   []SegmentChange
	Ports      []PortChange
	Partitions []PartitionChange
}

// Empty reports whether the change does nothing.
func (c Change) Empty() bool {
	return len(c.VRFs) == 0 && len(c.Segments) == 0 && len(c.Ports) == 0 && len(c.Partitions) == 0
}

// Diff computes the change from observed to desired. Only what a device
// holds is compared: owners (Tenant, Node) and segment names are
// informational and ignored. Ports that the desired configuration does
// not list are not Railyard's and are left alone; a desired port the
// device did not report is taken as unconfigured (up, no VLAN).
func Diff(observed, desired DeviceConfig) Change {
	o, d := observed.Clone(), desired.Clone()
	o.Normalize()
	d.Normalize()
	c := Change{Device: d.Device}

	ov := map[string]*VRF{}
	for i := range o.VRFs {
		ov[o.VRFs[i].Name] = &o.VRFs[i]
	}
	for i := range d.VRFs {
		n := &d.VRFs[i]
		old, ok := ov[n.Name]
		delete(ov, n.Name)
		if !ok {
			c.VRFs = append(c.VRFs, VRFChange{New: n})
		} else if !sameVRF(*old, *n) {
			c.VRFs = append(c.VRFs, VRFChange{Old: old, New: n})
		}
	}
	for i := range o.VRFs {
		if _, gone := ov[o.VRFs[i].Name]; gone {
			c.VRFs = append(c.VRFs, VRFChange{Old: &o.VRFs[i]})
		}
	}

	os := map[int]*Segment{}
	for i := range o.Segments {
		os[o.Segments[i].VLAN] = &o.Segments[i]
	}
	for i := range d.Segments {
		n := &d.Segments[i]
		old, ok := os[n.VLAN]
		delete(os, n.VLAN)
		if !ok {
			c.Segments = append(c.Segments, SegmentChange{New: n})
		} else if !sameSegment(*old, *n) {
			c.Segments = append(c.Segments, SegmentChange{Old: old, New: n})
		}
	}
	for i := range o.Segments {
		if _, gone := os[o.Segments[i].VLAN]; gone {
			c.Segments = append(c.Segments, SegmentChange{Old: &o.Segments[i]})
		}
	}

	op := map[string]Port{}
	for _, p := range o.Ports {
		op[p.Name] = p
	}
	for _, n := range d.Ports {
		old, ok := op[n.Name]
		if !ok {
			old = Port{Name: n.Name}
		}
		old.Node, old.NodePort = n.Node, n.NodePort
		if old.VLAN != n.VLAN || old.Shutdown != n.Shutdown {
			c.Ports = append(c.Ports, PortChange{Old: old, New: n})
		}
	}

	oq := map[uint16]*Partition{}
	for i := range o.Partitions {
		oq[o.Partitions[i].PKey] = &o.Partitions[i]
	}
	for i := range d.Partitions {
		n := &d.Partitions[i]
		old, ok := oq[n.PKey]
		delete(oq, n.PKey)
		if !ok {
			c.Partitions = append(c.Partitions, PartitionChange{New: n})
		} else if !samePartition(*old, *n) {
			c.Partitions = append(c.Partitions, PartitionChange{Old: old, New: n})
		}
	}
	for i := range o.Partitions {
		if _, gone := oq[o.Partitions[i].PKey]; gone {
			c.Partitions = append(c.Partitions, PartitionChange{Old: &o.Partitions[i]})
		}
	}
	return c
}

func sameVRF(a, b VRF) bool {
	return a.L3VNI == b.L3VNI && a.CoreVLAN == b.CoreVLAN && a.RD == b.RD &&
		slices.Equal(a.ImportRTs, b.ImportRTs) && slices.Equal(a.ExportRTs, b.ExportRTs)
}

func sameSegment(a, b Segment) bool {
	return a.L2VNI == b.L2VNI && a.VRF == b.VRF && a.Gateway == b.Gateway && a.RD == b.RD && a.RT == b.RT
}

func samePartition(a, b Partition) bool {
	return a.Name == b.Name && a.IPoIB == b.IPoIB && a.MTU == b.MTU && slices.Equal(a.Members, b.Members)
}

// String renders the change for people, one line per object, removals
// marked "-", additions "+", changes "~".
func (c Change) String() string {
	var b strings.Builder
	for _, v := range c.VRFs {
		switch {
		case v.Old == nil:
			fmt.Fprintf(&b, "+ vrf %s l3vni %d rd %s import %s export %s\n", v.New.Name, v.New.L3VNI, v.New.RD, strings.Join(v.New.ImportRTs, ","), strings.Join(v.New.ExportRTs, ","))
		case v.New == nil:
			fmt.Fprintf(&b, "- vrf %s l3vni %d\n", v.Old.Name, v.Old.L3VNI)
		default:
			fmt.Fprintf(&b, "~ vrf %s l3vni %d->%d rd %s->%s import %s->%s export %s->%s\n", v.New.Name, v.Old.L3VNI, v.New.L3VNI, v.Old.RD, v.New.RD,
				strings.Join(v.Old.ImportRTs, ","), strings.Join(v.New.ImportRTs, ","), strings.Join(v.Old.ExportRTs, ","), strings.Join(v.New.ExportRTs, ","))
		}
	}
	for _, s := range c.Segments {
		switch {
		case s.Old == nil:
			fmt.Fprintf(&b, "+ segment vlan %d l2vni %d vrf %s gateway %s rt %s\n", s.New.VLAN, s.New.L2VNI, s.New.VRF, s.New.Gateway, s.New.RT)
		case s.New == nil:
			fmt.Fprintf(&b, "- segment vlan %d l2vni %d\n", s.Old.VLAN, s.Old.L2VNI)
		default:
			fmt.Fprintf(&b, "~ segment vlan %d l2vni %d->%d vrf %s->%s gateway %s->%s rt %s->%s\n", s.New.VLAN, s.Old.L2VNI, s.New.L2VNI, s.Old.VRF, s.New.VRF, s.Old.Gateway, s.New.Gateway, s.Old.RT, s.New.RT)
		}
	}
	for _, p := range c.Ports {
		fmt.Fprintf(&b, "~ port %s %s -> %s\n", p.New.Name, portState(p.Old), portState(p.New))
	}
	for _, p := range c.Partitions {
		switch {
		case p.Old == nil:
			fmt.Fprintf(&b, "+ partition %#04x %s members %d\n", p.New.PKey, p.New.Name, len(p.New.Members))
		case p.New == nil:
			fmt.Fprintf(&b, "- partition %#04x %s\n", p.Old.PKey, p.Old.Name)
		default:
			add, del := MemberDelta(p.Old.Members, p.New.Members)
			fmt.Fprintf(&b, "~ partition %#04x %s members +%d -%d\n", p.New.PKey, p.New.Name, len(add), len(del))
		}
	}
	return b.String()
}

func portState(p Port) string {
	switch {
	case p.VLAN != 0 && !p.Shutdown:
		return fmt.Sprintf("vlan %d", p.VLAN)
	case p.VLAN != 0:
		return fmt.Sprintf("vlan %d (down)", p.VLAN)
	case p.Shutdown:
		return "isolated"
	default:
		return "unconfigured"
	}
}

// MemberDelta lists the members to add (new or with a changed
// membership) and the GUIDs to remove.
func MemberDelta(old, new []Member) (add []Member, remove []string) {
	om := map[string]Membership{}
	for _, m := range old {
		om[m.GUID] = m.Membership
	}
	nm := map[string]bool{}
	for _, m := range new {
		nm[m.GUID] = true
		if ms, ok := om[m.GUID]; !ok || ms != m.Membership {
			add = append(add, m)
		}
	}
	for _, m := range old {
		if !nm[m.GUID] {
			remove = append(remove, m.GUID)
		}
	}
	return add, remove
}
