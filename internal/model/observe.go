package model

import "time"

// An Observation is what one discovery source saw at one target (a BMC, a
// switch, a node agent) at one moment. Discovery produces observations; the
// inventory merges them beside what operators declared. An observation only
// carries what the device reported: a fact the device did not provide is
// left empty and named in Missing, never guessed.
type Observation struct {
	// Target is the address that was asked, without credentials
	// (redfish://10.0.0.5:443, snmp://leaf-1, agent://gpu-001).
	Target string `json:"target"`
	// Source is the protocol that answered: redfish, ipmi, snmp, cli, agent.
	Source string    `json:"source"`
	At     time.Time `json:"at"`
	// Hints are what the operator said about the target (hostname, rack,
	// fabric, role), from a targets file or from the inventory.
	Hints    TargetHints   `json:"hints,omitzero"`
	Nodes    []NodeFacts   `json:"nodes,omitempty"`
	Switches []SwitchFacts `json:"switches,omitempty"`
}

// TargetHints are operator-supplied facts about a target that the device
// itself cannot report: where it is and what it is for.
type TargetHints struct {
	Hostname string `json:"hostname,omitempty"`
	Rack     string `json:"rack,omitempty"`
	Fabric   string `json:"fabric,omitempty"`
	Role     string `json:"role,omitempty"` // leaf, spine, core for switches
	// Credential is the reference (env:NAME, file:PATH) the target was
	// asked with, kept as a node's BMC credential reference; never a secret.
	Credential string `json:"credential,omitempty"`
}

// NodeFacts is what a BMC or node agent reported about one server.
type NodeFacts struct {
	// Hostname is the host name the device reported, if any.
	Hostname string `json:"hostname,omitempty"`
	Serial   string `json:"serial,omitempty"`
	Vendor   string `json:"vendor,omitempty"`
	Model    string `json:"model,omitempty"`
	// Power is "on" or "off"; empty when unknown.
	Power string `json:"power,omitempty"`
	// GPUs are indexed from 0 in the order the source enumerates them
	// (NVML index; Redfish processor id order).
	GPUs []GPUFacts `json:"gpus,omitempty"`
	NICs []NIC      `json:"nics,omitempty"`
	// Missing names facts the source could not provide ("serial",
	// "gpus", "nics/NIC1/mac").
	Missing []string `json:"missing,omitempty"`
}

// GPUFacts is one GPU as a source saw it.
type GPUFacts struct {
	GPU
	// NVLinkPeers are the PCI bus ids of the devices at the far end of
	// this GPU's active NVLinks: other GPUs, or NVSwitches on systems
	// that have them.
	NVLinkPeers []string `json:"nvlink_peers,omitempty"`
	// NVLinksUp and NVLinksDown count the GPU's NVLinks by state.
	NVLinksUp   int `json:"nvlinks_up,omitempty"`
	NVLinksDown int `json:"nvlinks_down,omitempty"`
	// NearNICs are the PCI bus ids of the NICs that share a PCIe switch
	// (or the closest common ancestor) with the GPU.
	NearNICs []string `json:"near_nics,omitempty"`
	// XIDs is the count of XID error events the agent saw since it started
	// watching (it restarts from zero with the agent); ECC counts volatile
	// uncorrected errors. Nil when the source does not report them.
	XIDs *int64 `json:"xids,omitempty"`
	ECC  *int64 `json:"ecc_uncorrected,omitempty"`
}

// SwitchFacts is what SNMP or a switch CLI reported about one switch.
type SwitchFacts struct {
	// Name is the switch's own name (sysName, hostname).
	Name string `json:"name,omitempty"`
	// ChassisID is the LLDP chassis id the switch advertises (usually a
	// MAC); neighbours name the switch by it.
	ChassisID string `json:"chassis_id,omitempty"`
	Vendor    string `json:"vendor,omitempty"`
	Model     string `json:"model,omitempty"`
	OS        string `json:"os,omitempty"`
	Version   string `json:"version,omitempty"`
	Serial    string `json:"serial,omitempty"`
	// Description is sysDescr or the CLI's version banner, verbatim.
	Description string         `json:"description,omitempty"`
	Ports       []PortFacts    `json:"ports,omitempty"`
	Neighbors   []LLDPNeighbor `json:"neighbors,omitempty"`
	Missing     []string       `json:"missing,omitempty"`
}

// PortFacts is one interface of a switch.
type PortFacts struct {
	Name      string `json:"name"`
	SpeedGbps int    `json:"speed_gbps,omitempty"`
	// Up is the operational status.
	Up  bool   `json:"up"`
	MAC string `json:"mac,omitempty"`
}

// LLDPNeighbor is one row of a switch's LLDP remote table: on LocalPort the
// switch hears a device that names itself by ChassisID (and usually
// SysName) and the port it sends from by PortID.
type LLDPNeighbor struct {
	LocalPort string `json:"local_port"`
	// ChassisID is normalised: MACs in lower-case colon form.
	ChassisID string `json:"chassis_id,omitempty"`
	// PortID is the remote port id; PortIDIsMAC says it is a MAC (subtype
	// macAddress) rather than an interface name.
	PortID      string `json:"port_id,omitempty"`
	PortIDIsMAC bool   `json:"port_id_is_mac,omitempty"`
	PortDesc    string `json:"port_desc,omitempty"`
	SysName     string `json:"sys_name,omitempty"`
}
