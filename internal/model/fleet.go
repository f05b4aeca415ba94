// Package model is Railyard's vocabulary: the fleet (sites, pods, leaf
// domains, racks, nodes, GPUs, NICs, switches, links, fabrics, tenants) as
// plain Go values, plus the parsers for identifiers that arrive from the
// outside world (MAC addresses, InfiniBand GUIDs, PCI bus ids).
//
// The package is a leaf: it imports nothing else from Railyard and does no
// I/O. The store converts its rows to and from these types, the file codecs
// read and write them, and the engines (carve, fabric, maintenance) consume
// them.
//
// Names are keys. Sites, pods, leaf domains, racks, NVLink domains, fabrics,
// switches, nodes and tenants each have a name that is unique across the
// whole inventory (generated fleets prefix names with their site). GPUs are
// keyed by (node, index), NICs by (node, name), ports by (device, name) and
// links by their two endpoints.
package model

import "time"

// NodeState is the lifecycle state of a node.
type NodeState string

// Node lifecycle states.
const (
	NodeDiscovered  NodeState = "discovered"
	NodeAvailable   NodeState = "available"
	NodeAllocated   NodeState = "allocated"
	NodeMaintenance NodeState = "maintenance"
	NodeFailed      NodeState = "failed"
	NodeRetired     NodeState = "retired"
)

// NodeStates lists every lifecycle state in lifecycle order.
var NodeStates = []NodeState{NodeDiscovered, NodeAvailable, NodeAllocated, NodeMaintenance, NodeFailed, NodeRetired}

// Valid reports whether s is a known state.
func (s NodeState) Valid() bool {
	for _, v := range NodeStates {
		if s == v {
			return true
		}
	}
	return false
}

// Provenance says where a fact came from.
type Provenance string

// Provenances.
const (
	Declared   Provenance = "declared"   // from an imported file or an operator
	Discovered Provenance = "discovered" // observed by discovery
)

// Valid reports whether p is a known provenance.
func (p Provenance) Valid() bool { return p == Declared || p == Discovered }

// LinkKind is the physical layer of a NIC, port or fabric.
type LinkKind string

// Link kinds.
const (
	InfiniBand LinkKind = "infiniband"
	Ethernet   LinkKind = "ethernet"
)

// Valid reports whether k is a known kind.
func (k LinkKind) Valid() bool { return k == InfiniBand || k == Ethernet }

// FabricRole is what a fabric (and the NICs on it) carries.
type FabricRole string

// Fabric roles.
const (
	RoleCompute    FabricRole = "compute"    // east-west GPU traffic
	RoleStorage    FabricRole = "storage"    // north-south storage and tenant access
	RoleManagement FabricRole = "management" // BMCs, provisioning, out of band
)

// Valid reports whether r is a known role.
func (r FabricRole) Valid() bool {
	return r == RoleCompute || r == RoleStorage || r == RoleManagement
}

// SwitchRole is a switch's tier in its fabric.
type SwitchRole string

// Switch roles.
const (
	SwitchLeaf  SwitchRole = "leaf"
	SwitchSpine SwitchRole = "spine"
	SwitchCore  SwitchRole = "core"
)

// Valid reports whether r is a known role.
func (r SwitchRole) Valid() bool { return r == SwitchLeaf || r == SwitchSpine || r == SwitchCore }

// GPUHealth is the last known health of a GPU.
type GPUHealth string

// GPU health values.
const (
	GPUHealthy  GPUHealth = "healthy"
	GPUDegraded GPUHealth = "degraded"
	GPUFailed   GPUHealth = "failed"
	GPUUnknown  GPUHealth = "unknown"
)

// Valid reports whether h is a known health value.
func (h GPUHealth) Valid() bool {
	return h == GPUHealthy || h == GPUDegraded || h == GPUFailed || h == GPUUnknown
}

// Fleet is a whole inventory, or the part of one that a file declares. It is
// the unit of import and export. Slices are kept in a canonical order by
// Sort so that two equal fleets compare equal.
type Fleet struct {
	Sites         []Site         `json:"sites,omitempty" yaml:"sites,omitempty"`
	Fabrics       []Fabric       `json:"fabrics,omitempty" yaml:"fabrics,omitempty"`
	NVLinkDomains []NVLinkDomain `json:"nvlink_domains,omitempty" yaml:"nvlink_domains,omitempty"`
	Switches      []Switch       `json:"switches,omitempty" yaml:"switches,omitempty"`
	Nodes         []Node         `json:"nodes,omitempty" yaml:"nodes,omitempty"`
	Links         []Link         `json:"links,omitempty" yaml:"links,omitempty"`
	Tenants       []Tenant       `json:"tenants,omitempty" yaml:"tenants,omitempty"`
}

// Site is a data centre or colo.
type Site struct {
	Name        string `json:"name" yaml:"name"`
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
	Pods        []Pod  `json:"pods,omitempty" yaml:"pods,omitempty"`
}

// Pod is a group of leaf domains under one spine group.
type Pod struct {
	Name        string       `json:"name" yaml:"name"`
	LeafDomains []LeafDomain `json:"leaf_domains,omitempty" yaml:"leaf_domains,omitempty"`
}

// LeafDomain is a scalable unit: the nodes whose compute NICs share the same
// set of leaf switches. Crossing it costs a spine hop.
type LeafDomain struct {
	Name  string `json:"name" yaml:"name"`
	Racks []Rack `json:"racks,omitempty" yaml:"racks,omitempty"`
}

// Rack is a physical rack.
type Rack struct {
	Name string `json:"name" yaml:"name"`
}

// Fabric is one network: the compute InfiniBand fabric of a site, its
// storage Ethernet, its management network.
type Fabric struct {
	Name string     `json:"name" yaml:"name"`
	Site string     `json:"site" yaml:"site"`
	Kind LinkKind   `json:"kind" yaml:"kind"`
	Role FabricRole `json:"role" yaml:"role"`
}

// NVLinkDomain is a set of GPUs that talk over NVLink: one HGX node, or one
// NVL72 rack.
type NVLinkDomain struct {
	Name string `json:"name" yaml:"name"`
	Rack string `json:"rack,omitempty" yaml:"rack,omitempty"`
	// Size is the number of GPU slots in the domain (8 for HGX, 72 for NVL72).
	Size int `json:"size" yaml:"size"`
}

// Switch is a network switch (or an InfiniBand switch).
type Switch struct {
	Name        string     `json:"name" yaml:"name"`
	Role        SwitchRole `json:"role" yaml:"role"`
	Fabric      string     `json:"fabric" yaml:"fabric"`
	Vendor      string     `json:"vendor,omitempty" yaml:"vendor,omitempty"`
	Model       string     `json:"model,omitempty" yaml:"model,omitempty"`
	OS          string     `json:"os,omitempty" yaml:"os,omitempty"`
	Serial      string     `json:"serial,omitempty" yaml:"serial,omitempty"`
	MgmtAddress string     `json:"mgmt_address,omitempty" yaml:"mgmt_address,omitempty"`
	// Driver names the vendor driver that programs this switch (eos, nxos,
	// junos, sonic, cumulus, frr, ufm, opensm).
	Driver string `json:"driver,omitempty" yaml:"driver,omitempty"`
	// Rack is where the switch is mounted; LeafDomain is the scalable unit a
	// leaf serves (empty for spines and cores).
	Rack       string `json:"rack,omitempty" yaml:"rack,omitempty"`
	LeafDomain string `json:"leaf_domain,omitempty" yaml:"leaf_domain,omitempty"`
	Pod        string `json:"pod,omitempty" yaml:"pod,omitempty"`
	// Rail is the rail a leaf serves, counted from 1; 0 means none.
	Rail       int        `json:"rail,omitempty" yaml:"rail,omitempty"`
	Provenance Provenance `json:"provenance,omitempty" yaml:"provenance,omitempty"`
	// LastSeen is when discovery last observed the switch; zero if never.
	LastSeen time.Time `json:"last_seen,omitzero" yaml:"last_seen,omitempty"`
	// Stale is set when discovery has not seen the switch for longer than
	// the stale threshold; it is never deleted for that alone.
	Stale bool         `json:"stale,omitempty" yaml:"stale,omitempty"`
	Ports []SwitchPort `json:"ports,omitempty" yaml:"ports,omitempty"`
}

// SwitchPort is a port on a switch.
type SwitchPort struct {
	Name      string `json:"name" yaml:"name"`
	SpeedGbps int    `json:"speed_gbps,omitempty" yaml:"speed_gbps,omitempty"`
}

// BMC is how to reach a node's baseboard management controller.
type BMC struct {
	// Address is a URL such as redfish://10.0.0.5 or ipmi://10.0.0.5:623.
	Address string `json:"address,omitempty" yaml:"address,omitempty"`
	// CredentialRef names where the credentials live (env:NAME or
	// file:/path); the credentials themselves are never stored.
	CredentialRef string `json:"credential_ref,omitempty" yaml:"credential_ref,omitempty"`
}

// Node is a server.
type Node struct {
	Hostname   string     `json:"hostname" yaml:"hostname"`
	Rack       string     `json:"rack" yaml:"rack"`
	Serial     string     `json:"serial,omitempty" yaml:"serial,omitempty"`
	Vendor     string     `json:"vendor,omitempty" yaml:"vendor,omitempty"`
	Model      string     `json:"model,omitempty" yaml:"model,omitempty"`
	BMC        BMC        `json:"bmc,omitzero" yaml:"bmc,omitempty"`
	State      NodeState  `json:"state,omitempty" yaml:"state,omitempty"`
	Provenance Provenance `json:"provenance,omitempty" yaml:"provenance,omitempty"`
	// LastSeen is when discovery last observed the node; zero if never.
	LastSeen time.Time `json:"last_seen,omitzero" yaml:"last_seen,omitempty"`
	// Stale is set when discovery has not seen the node for longer than
	// the stale threshold; it is never deleted for that alone.
	Stale bool  `json:"stale,omitempty" yaml:"stale,omitempty"`
	GPUs  []GPU `json:"gpus,omitempty" yaml:"gpus,omitempty"`
	NICs  []NIC `json:"nics,omitempty" yaml:"nics,omitempty"`
}

// GPU is one accelerator in a node.
type GPU struct {
	Index        int       `json:"index" yaml:"index"`
	UUID         string    `json:"uuid,omitempty" yaml:"uuid,omitempty"`
	Serial       string    `json:"serial,omitempty" yaml:"serial,omitempty"`
	Model        string    `json:"model" yaml:"model"`
	MemoryMiB    int       `json:"memory_mib,omitempty" yaml:"memory_mib,omitempty"`
	NVLinkDomain string    `json:"nvlink_domain,omitempty" yaml:"nvlink_domain,omitempty"`
	PCIBusID     string    `json:"pci_bus_id,omitempty" yaml:"pci_bus_id,omitempty"`
	NUMANode     int       `json:"numa_node" yaml:"numa_node"`
	Health       GPUHealth `json:"health,omitempty" yaml:"health,omitempty"`
}

// NIC is a network adapter in a node.
type NIC struct {
	Name  string     `json:"name" yaml:"name"`
	Model string     `json:"model,omitempty" yaml:"model,omitempty"`
	Kind  LinkKind   `json:"kind" yaml:"kind"`
	Role  FabricRole `json:"role" yaml:"role"`
	// Rail is the rail index, counted from 1; 0 means not on a rail.
	Rail int `json:"rail,omitempty" yaml:"rail,omitempty"`
	// Fabric is the fabric the NIC is cabled into. Importers fill it from
	// the switch its first port is linked to when a file leaves it out.
	Fabric   string    `json:"fabric,omitempty" yaml:"fabric,omitempty"`
	PCIBusID string    `json:"pci_bus_id,omitempty" yaml:"pci_bus_id,omitempty"`
	Ports    []NICPort `json:"ports,omitempty" yaml:"ports,omitempty"`
}

// NICPort is a port of a NIC. Port names are unique within their node
// (they are interface names: ib0, eth2, ...).
type NICPort struct {
	Name      string `json:"name" yaml:"name"`
	MAC       string `json:"mac,omitempty" yaml:"mac,omitempty"`
	GUID      string `json:"guid,omitempty" yaml:"guid,omitempty"`
	SpeedGbps int    `json:"speed_gbps,omitempty" yaml:"speed_gbps,omitempty"`
}

// Endpoint is one end of a cable: a port on a node or on a switch.
type Endpoint struct {
	Device string `json:"device" yaml:"device"`
	Port   string `json:"port" yaml:"port"`
}

// String renders the endpoint as device:port.
func (e Endpoint) String() string { return e.Device + ":" + e.Port }

// Less orders endpoints by device, then port.
func (e Endpoint) Less(o Endpoint) bool {
	if e.Device != o.Device {
		return e.Device < o.Device
	}
	return e.Port < o.Port
}

// Link is a cable between two ports. A is always the lesser endpoint
// (see Normalize), so a link has one spelling.
type Link struct {
	A          Endpoint   `json:"a" yaml:"a"`
	B          Endpoint   `json:"b" yaml:"b"`
	Provenance Provenance `json:"provenance,omitempty" yaml:"provenance,omitempty"`
	// LastSeen is when discovery last observed the link; zero if never.
	LastSeen time.Time `json:"last_seen,omitzero" yaml:"last_seen,omitempty"`
	// Stale is set when discovery has not seen the link for longer than
	// the stale threshold; it is never deleted for that alone.
	Stale bool `json:"stale,omitempty" yaml:"stale,omitempty"`
}

// Normalize returns l with its endpoints in canonical order.
func (l Link) Normalize() Link {
	if l.B.Less(l.A) {
		l.A, l.B = l.B, l.A
	}
	return l
}

// Key identifies the link by its endpoints, in canonical order.
func (l Link) Key() string {
	n := l.Normalize()
	return n.A.String() + "~" + n.B.String()
}

// Tenant is a customer of the GPU cloud.
type Tenant struct {
	Name        string `json:"name" yaml:"name"`
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
}
