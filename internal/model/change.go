package model

import (
	"encoding/json"
	"time"
)

// ChangeOp is what happened to a record.
type ChangeOp string

// Change operations.
const (
	OpCreate ChangeOp = "create"
	OpUpdate ChangeOp = "update"
	OpDelete ChangeOp = "delete"
)

// Record kinds named in changes.
const (
	KindSite         = "site"
	KindPod          = "pod"
	KindLeafDomain   = "leaf_domain"
	KindRack         = "rack"
	KindFabric       = "fabric"
	KindNVLinkDomain = "nvlink_domain"
	KindSwitch       = "switch"
	KindSwitchPort   = "switch_port"
	KindNode         = "node"
	KindGPU          = "gpu"
	KindNIC          = "nic"
	KindNICPort      = "nic_port"
	KindLink         = "link"
	KindTenant       = "tenant"
	// KindTenantNetwork is a tenant's network intent; KindDeviceConfig a
	// device's desired tenant configuration.
	KindTenantNetwork = "tenant_network"
	KindDeviceConfig  = "device_config"
	// KindCampaign is a maintenance campaign; KindCampaignNode one node's
	// record in one (keyed campaign/node, with the node as subject).
	KindCampaign     = "campaign"
	KindCampaignNode = "campaign_node"
)

// Change is one entry of the inventory's history: a record created,
// updated or deleted, with its value before and after.
type Change struct {
	// Seq orders changes; it only grows.
	Seq int64     `json:"seq"`
	At  time.Time `json:"at"`
	// Actor is who made the change (a user, or "system"); Source is how
	// (import:FILE, discovery:redfish, api).
	Actor  string `json:"actor"`
	Source string `json:"source"`
	Kind   string `json:"kind"`
	Key    string `json:"key"`
	// Subject is the node or switch the record belongs to, so that a
	// device's history includes its parts; empty for other records.
	Subject string `json:"subject,omitempty"`
	// Peer is, for a link, the device at its other end; for a block, the
	// carving operation (carve, grow, shrink, swap, move, release).
	Peer   string          `json:"peer,omitempty"`
	Op     ChangeOp        `json:"op"`
	Before json.RawMessage `json:"before,omitempty"`
	After  json.RawMessage `json:"after,omitempty"`
}

// Severity grades a validation finding.
type Severity string

// Severities, most severe first.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

// Finding is one problem that validation found.
type Finding struct {
	Severity Severity `json:"severity" yaml:"severity"`
	// Code is a stable identifier such as duplicate-mac or wrong-rail.
	Code string `json:"code" yaml:"code"`
	// Object names the record, e.g. node/dgx-001/nic/cx3.
	Object  string `json:"object" yaml:"object"`
	Message string `json:"message" yaml:"message"`
}
