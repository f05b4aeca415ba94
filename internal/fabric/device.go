package fabric

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
)

// DeviceKind says what a device configuration programs.
type DeviceKind string

// Device kinds.
const (
	// EVPNLeaf is an Ethernet leaf switch: tenant VRFs with L3VNIs, L2VNI
	// segments and the server-facing ports bound to them.
	EVPNLeaf DeviceKind = "evpn-leaf"
	// SubnetManager is the InfiniBand subnet manager of one fabric (UFM or
	// OpenSM): one partition per tenant.
	SubnetManager DeviceKind = "subnet-manager"
)

// DeviceConfig is the vendor-neutral desired (or observed) configuration
// of the part of one device that Railyard owns: the tenant objects. The
// underlay (interfaces to spines, the BGP sessions, the VTEP address) is
// not in it; drivers leave everything else on the device alone.
//
// Slices are sorted by Normalize, so two equal configurations compare
// equal and hash equal.
type DeviceConfig struct {
	Device string     `json:"device"`
	Driver string     `json:"driver"`
	Fabric string     `json:"fabric"`
	Kind   DeviceKind `json:"kind"`

	// ASN is the BGP autonomous system the overlay runs in on this device;
	// RouterID its BGP router id and VTEP its VXLAN tunnel source. They are
	// the underlay's, given so that RDs and BGP stanzas can be rendered.
	ASN      uint32 `json:"asn,omitempty"`
	RouterID string `json:"router_id,omitempty"`
	VTEP     string `json:"vtep,omitempty"`

	VRFs     []VRF     `json:"vrfs,omitempty"`
	Segments []Segment `json:"segments,omitempty"`
	// Ports lists every server-facing port Railyard manages on the device,
	// bound or not: a port with no VLAN is isolated (shut down).
	Ports []Port `json:"ports,omitempty"`

	Partitions []Partition `json:"partitions,omitempty"`
}

// VRF is an IP VRF with an L3VNI (symmetric IRB, EVPN type-5).
type VRF struct {
	// Name is the VRF's name on the device (ry-t0001, ry-storage).
	Name string `json:"name"`
	// Tenant owns the VRF; empty for the shared storage VRF.
	Tenant string `json:"tenant,omitempty"`
	L3VNI  uint32 `json:"l3vni"`
	// CoreVLAN carries the L3VNI on platforms that need a VLAN for it
	// (NX-OS, SONiC); unique per device.
	CoreVLAN int `json:"core_vlan,omitempty"`
	// RD is this device's route distinguisher for the VRF.
	RD        string   `json:"rd"`
	ImportRTs []string `json:"import_rts"`
	ExportRTs []string `json:"export_rts"`
}

// Segment is an L2VNI: a VLAN on the device bridged over VXLAN, with an
// anycast gateway in its VRF.
type Segment struct {
	// Name is the segment's name (ry-t0001-s1).
	Name   string `json:"name"`
	Tenant string `json:"tenant,omitempty"`
	VLAN   int    `json:"vlan"`
	L2VNI  uint32 `json:"l2vni"`
	VRF    string `json:"vrf"`
	// Gateway is the anycast gateway address with its prefix length
	// (10.64.0.1/23).
	Gateway string `json:"gateway"`
	RD      string `json:"rd"`
	RT      string `json:"rt"`
}

// Port is a server-facing port and the segment it carries. A port that
// belongs to no tenant is isolated: shut down, with no VLAN.
type Port struct {
	Name string `json:"name"`
	// Node and NodePort say what is cabled to it (informational).
	Node     string `json:"node,omitempty"`
	NodePort string `json:"node_port,omitempty"`
	// Tenant owns the port (informational; empty when isolated).
	Tenant string `json:"tenant,omitempty"`
	// VLAN is the segment's VLAN, untagged (access) on the port; 0 for
	// none.
	VLAN int `json:"vlan,omitempty"`
	// Shutdown is set when the port is administratively down.
	Shutdown bool `json:"shutdown,omitempty"`
}

// Isolated reports whether the port carries nothing and is down.
func (p Port) Isolated() bool { return p.VLAN == 0 && p.Shutdown }

// Membership is an InfiniBand partition membership.
type Membership string

// Memberships.
const (
	Full    Membership = "full"
	Limited Membership = "limited"
)

// Partition is an InfiniBand partition.
type Partition struct {
	// PKey is the 15-bit partition key, 0x0001 to 0x7ffe.
	PKey   uint16 `json:"pkey"`
	Name   string `json:"name"`
	Tenant string `json:"tenant,omitempty"`
	IPoIB  bool   `json:"ipoib"`
	// MTU is the IB MTU code (4 = 2048, 5 = 4096).
	MTU     int      `json:"mtu"`
	Members []Member `json:"members"`
}

// Member is one port GUID in a partition.
type Member struct {
	GUID       string     `json:"guid"`
	Membership Membership `json:"membership"`
}

// Normalize sorts every list, so equal configurations are equal values.
func (d *DeviceConfig) Normalize() {
	slices.SortFunc(d.VRFs, func(a, b VRF) int { return cmp.Compare(a.Name, b.Name) })
	for i := range d.VRFs {
		v := &d.VRFs[i]
		v.ImportRTs = sortedSet(v.ImportRTs)
		v.ExportRTs = sortedSet(v.ExportRTs)
	}
	slices.SortFunc(d.Segments, func(a, b Segment) int { return cmp.Compare(a.VLAN, b.VLAN) })
	slices.SortFunc(d.Ports, func(a, b Port) int { return ComparePortNames(a.Name, b.Name) })
	slices.SortFunc(d.Partitions, func(a, b Partition) int { return cmp.Compare(a.PKey, b.PKey) })
	for i := range d.Partitions {
		p := &d.Partitions[i]
		slices.SortFunc(p.Members, func(a, b Member) int { return cmp.Compare(a.GUID, b.GUID) })
		p.Members = slices.CompactFunc(p.Members, func(a, b Member) bool { return a.GUID == b.GUID })
	}
}

func sortedSet(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

// Hash is a stable digest of the configuration (after Normalize).
func (d DeviceConfig) Hash() string {
	c := d.Clone()
	c.Normalize()
	b, _ := json.Marshal(c)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// Clone returns a deep copy.
func (d DeviceConfig) Clone() DeviceConfig {
	c := d
	c.VRFs = slices.Clone(d.VRFs)
	for i := range c.VRFs {
		c.VRFs[i].ImportRTs = slices.Clone(c.VRFs[i].ImportRTs)
		c.VRFs[i].ExportRTs = slices.Clone(c.VRFs[i].ExportRTs)
	}
	c.Segments = slices.Clone(d.Segments)
	c.Ports = slices.Clone(d.Ports)
	c.Partitions = slices.Clone(d.Partitions)
	for i := range c.Partitions {
		c.Partitions[i].Members = slices.Clone(c.Partitions[i].Members)
	}
	return c
}

// Tenants lists the tenants with anything on the device, sorted.
func (d DeviceConfig) Tenants() []string {
	var ts []string
	for _, v := range d.VRFs {
		ts = append(ts, v.Tenant)
	}
	for _, s := range d.Segments {
		ts = append(ts, s.Tenant)
	}
	for _, p := range d.Ports {
		ts = append(ts, p.Tenant)
	}
	for _, p := range d.Partitions {
		ts = append(ts, p.Tenant)
	}
	ts = sortedSet(ts)
	if len(ts) > 0 && ts[0] == "" {
		ts = ts[1:]
	}
	return ts
}

// ComparePortNames orders interface names naturally: Ethernet2 before
// Ethernet10, swp1s0 before swp1s1.
func ComparePortNames(a, b string) int {
	for a != "" && b != "" {
		da, db := digits(a), digits(b)
		if da > 0 && db > 0 {
			na, nb := trimZeros(a[:da]), trimZeros(b[:db])
			if c := cmp.Compare(len(na), len(nb)); c != 0 {
				return c
			}
			if c := cmp.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

func digits(s string) int {
	n := 0
	for n < len(s) && '0' <= s[n] && s[n] <= '9' {
		n++
	}
	return n
}

func trimZeros(s string) string {
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	return s
}

// Railyard owns, on every managed device, the objects whose names start
// with OwnedPrefix and the VLANs in SegmentVLANs and CoreVLANs; drivers
// read back and remove only those (and the server-facing ports the
// desired configuration lists). Everything else is the operator's.
const OwnedPrefix = "ry-"

// Range is an inclusive range of integers.
type Range struct{ First, Last int }

// Contains reports whether v is in r.
func (r Range) Contains(v int) bool { return r.First <= v && v <= r.Last }

// VLAN ranges Railyard allocates from on managed leaves.
var (
	SegmentVLANs = Range{2000, 2999}
	CoreVLANs    = Range{3000, 3999}
)

// OwnedVLAN reports whether a VLAN is in a range Railyard allocates.
func OwnedVLAN(v int) bool { return SegmentVLANs.Contains(v) || CoreVLANs.Contains(v) }
