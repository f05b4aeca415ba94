package cli

import (
	"strconv"

	pb "github.com/railyard/railyard/proto/railyard/v1"
)

// The columns of each list's table.
var (
	nodeColumns = []column[*pb.Node]{
		{"HOSTNAME", (*pb.Node).GetHostname},
		{"SITE", (*pb.Node).GetSite},
		{"RACK", (*pb.Node).GetRack},
		{"STATE", (*pb.Node).GetState},
		{"MODEL", (*pb.Node).GetModel},
		{"GPUS", func(n *pb.Node) string { return gpuSummary(n.GetGpuCount(), n.GetGpuModel()) }},
		{"SERIAL", (*pb.Node).GetSerial},
	}
	gpuColumns = []column[*pb.GPU]{
		{"NODE", (*pb.GPU).GetNode},
		{"INDEX", func(g *pb.GPU) string { return itoa(g.GetIndex()) }},
		{"MODEL", (*pb.GPU).GetModel},
		{"UUID", (*pb.GPU).GetUuid},
		{"HEALTH", (*pb.GPU).GetHealth},
		{"NVLINK-DOMAIN", (*pb.GPU).GetNvlinkDomain},
		{"PCI", (*pb.GPU).GetPciBusId},
	}
	nicColumns = []column[*pb.NIC]{
		{"NODE", (*pb.NIC).GetNode},
		{"NAME", (*pb.NIC).GetName},
		{"KIND", (*pb.NIC).GetKind},
		{"ROLE", (*pb.NIC).GetRole},
		{"RAIL", func(n *pb.NIC) string { return itoa(n.GetRail()) }},
		{"FABRIC", (*pb.NIC).GetFabric},
		{"PORTS", func(n *pb.NIC) string { return strconv.Itoa(len(n.GetPorts())) }},
	}
	switchColumns = []column[*pb.Switch]{
		{"NAME", (*pb.Switch).GetName},
		{"ROLE", (*pb.Switch).GetRole},
		{"FABRIC", (*pb.Switch).GetFabric},
		{"VENDOR", (*pb.Switch).GetVendor},
		{"MODEL", (*pb.Switch).GetModel},
		{"RAIL", func(s *pb.Switch) string { return itoa(s.GetRail()) }},
		{"LEAF-DOMAIN", (*pb.Switch).GetLeafDomain},
		{"PORTS", func(s *pb.Switch) string { return itoa(s.GetPortCount()) }},
	}
	linkColumns = []column[*pb.Link]{
		{"A", func(l *pb.Link) string { return endpointText(l.GetA()) }},
		{"B", func(l *pb.Link) string { return endpointText(l.GetB()) }},
		{"PROVENANCE", (*pb.Link).GetProvenance},
		{"LAST-SEEN", func(l *pb.Link) string { return timeText(l.GetLastSeen()) }},
	}
	tenantColumns = []column[*pb.Tenant]{
		{"NAME", (*pb.Tenant).GetName},
		{"DESCRIPTION", (*pb.Tenant).GetDescription},
	}
	findingColumns = []column[*pb.Finding]{
		{"SEVERITY", (*pb.Finding).GetSeverity},
		{"CODE", (*pb.Finding).GetCode},
		{"OBJECT", (*pb.Finding).GetObject},
		{"MESSAGE", (*pb.Finding).GetMessage},
	}
	// historyColumns show a device's history in describe.
	historyColumns = []column[*pb.Change]{
		{"TIME", func(c *pb.Change) string { return timeText(c.GetAt()) }},
		{"OP", (*pb.Change).GetOp},
		{"KIND", (*pb.Change).GetKind},
		{"KEY", (*pb.Change).GetKey},
		{"SOURCE", (*pb.Change).GetSource},
		{"ACTOR", (*pb.Change).GetActor},
	}
	// changeColumns show the changes of an import dry run.
	changeColumns = []column[*pb.Change]{
		{"OP", (*pb.Change).GetOp},
		{"KIND", (*pb.Change).GetKind},
		{"KEY", (*pb.Change).GetKey},
	}
	// observedChangeColumns show what a discovery run changed, and which
	// source saw it.
	observedChangeColumns = []column[*pb.Change]{
		{"OP", (*pb.Change).GetOp},
		{"KIND", (*pb.Change).GetKind},
		{"KEY", (*pb.Change).GetKey},
		{"SOURCE", (*pb.Change).GetSource},
	}
)

func itoa(i int32) string { return strconv.Itoa(int(i)) }

// gpuSummary reads like "8xH100-SXM5", or "0" for a node without GPUs.
func gpuSummary(count int32, model string) string {
	if count == 0 || model == "" {
		return itoa(count)
	}
	return itoa(count) + "x" + model
}

// endpointText reads like "leaf-01:swp3", or "" when e is unset.
func endpointText(e *pb.Endpoint) string {
	switch {
	case e.GetDevice() == "":
		return e.GetPort()
	case e.GetPort() == "":
		return e.GetDevice()
	}
	return e.GetDevice() + ":" + e.GetPort()
}
