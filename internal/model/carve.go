package model

import "time"

// Record kinds of the carving engine, named in changes.
const (
	KindBlock       = "block"
	KindQuota       = "quota"
	KindReservation = "reservation"
)

// NodeCapacity is what the carving engine needs to know about one node:
// where it sits in the topology tree, what GPUs it has, and whether it
// may be handed out.
type NodeCapacity struct {
	Node         string `json:"node"`
	Site         string `json:"site"`
	Pod          string `json:"pod"`
	LeafDomain   string `json:"leaf_domain"`
	Rack         string `json:"rack"`
	NVLinkDomain string `json:"nvlink_domain"`
	GPUModel     string `json:"gpu_model"`
	GPUs         int    `json:"gpus"`
	// UnhealthyGPUs lists the indexes of GPUs whose health is not healthy.
	UnhealthyGPUs []int     `json:"unhealthy_gpus,omitempty"`
	State         NodeState `json:"state"`
	Cordoned      bool      `json:"cordoned,omitempty"`
	CordonReason  string    `json:"cordon_reason,omitempty"`
}

// Block is a set of GPUs allocated to one tenant as a unit.
type Block struct {
	Name     string `json:"name"`
	Tenant   string `json:"tenant"`
	GPUModel string `json:"gpu_model"`
	// GPUs is the block's size; the members hold exactly that many.
	GPUs int `json:"gpus"`
	// Required is the topology level the block must stay within (nvlink,
	// leaf, pod, site); Preferred the level it was asked to fit in.
	Required  string `json:"required"`
	Preferred string `json:"preferred,omitempty"`
	// SegmentNodes, when above zero, is the size in nodes of the groups
	// that each sit inside one domain of SegmentLevel.
	SegmentNodes int    `json:"segment_nodes,omitempty"`
	SegmentLevel string `json:"segment_level,omitempty"`
	Priority     int    `json:"priority,omitempty"`
	Preemptible  bool   `json:"preemptible,omitempty"`
	// Generation counts the changes to the block's membership.
	Generation int64         `json:"generation"`
	Members    []BlockMember `json:"members"`
	CreatedAt  time.Time     `json:"created_at,omitzero"`
	UpdatedAt  time.Time     `json:"updated_at,omitzero"`
}

// BlockMember is one node's share of a block.
type BlockMember struct {
	Node string `json:"node"`
	// GPUs are the indexes of the node's GPUs in the block, ascending.
	GPUs []int `json:"gpus"`
	// Segment numbers the member's segment, from 0; 0 when unsegmented.
	Segment int `json:"segment"`
}

// Quota caps the GPUs of one model a tenant may hold. A tenant without a
// quota for a model is not limited for it.
type Quota struct {
	Tenant   string `json:"tenant"`
	GPUModel string `json:"gpu_model"`
	GPUs     int    `json:"gpus"`
}

// Reservation sets capacity aside for a tenant: one domain (level and
// name) or a list of nodes. Carving for other tenants avoids it.
type Reservation struct {
	Name   string   `json:"name"`
	Tenant string   `json:"tenant"`
	Level  string   `json:"level,omitempty"`
	Domain string   `json:"domain,omitempty"`
	Nodes  []string `json:"nodes,omitempty"`
	Note   string   `json:"note,omitempty"`
	// Until, when set, ends the reservation.
	Until     time.Time `json:"until,omitzero"`
	CreatedAt time.Time `json:"created_at,omitzero"`
}

// CarveSnapshot is everything the carving engine reads from the
// inventory.
type CarveSnapshot struct {
	Nodes        []NodeCapacity
	Blocks       []Block
	Quotas       []Quota
	Reservations []Reservation
}
