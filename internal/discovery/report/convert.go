package report

import (
	"context"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/railyard/railyard/internal/model"
	pb "github.com/railyard/railyard/proto/railyard/v1"
)

// ToPB converts an observation to its wire form.
func ToPB(o model.Observation) *pb.Observation {
	out := &pb.Observation{Target: o.Target, Source: o.Source, Hints: &pb.TargetHints{
		Hostname: o.Hints.Hostname, Rack: o.Hints.Rack, Fabric: o.Hints.Fabric, Role: o.Hints.Role, Credential: o.Hints.Credential,
	}}
	if !o.At.IsZero() {
		out.At = timestamppb.New(o.At)
	}
	for _, n := range o.Nodes {
		pn := &pb.NodeFacts{Hostname: n.Hostname, Serial: n.Serial, Vendor: n.Vendor, Model: n.Model, Power: n.Power, Missing: n.Missing}
		for _, g := range n.GPUs {
			pn.Gpus = append(pn.Gpus, &pb.GPUFacts{Index: int32(g.Index), Uuid: g.UUID, Serial: g.Serial, Model: g.Model,
				MemoryMib: int32(g.MemoryMiB), PciBusId: g.PCIBusID, NumaNode: int32(g.NUMANode), Health: string(g.Health),
				NvlinkPeers: g.NVLinkPeers, NvlinksUp: int32(g.NVLinksUp), NvlinksDown: int32(g.NVLinksDown), NearNics: g.NearNICs,
				Xids: g.XIDs, EccUncorrected: g.ECC})
		}
		for _, c := range n.NICs {
			pc := &pb.NICFacts{Name: c.Name, Model: c.Model, Kind: string(c.Kind), PciBusId: c.PCIBusID}
			for _, p := range c.Ports {
				pc.Ports = append(pc.Ports, &pb.NICPortFacts{Name: p.Name, Mac: p.MAC, Guid: p.GUID, SpeedGbps: int32(p.SpeedGbps)})
			}
			pn.Nics = append(pn.Nics, pc)
		}
		out.Nodes = append(out.Nodes, pn)
	}
	for _, s := range o.Switches {
		ps := &pb.SwitchFacts{Name: s.Name, ChassisId: s.ChassisID, Vendor: s.Vendor, Model: s.Model, Os: s.OS, Version: s.Version,
			Serial: s.Serial, Description: s.Description, Missing: s.Missing}
		for _, p := range s.Ports {
			ps.Ports = append(ps.Ports, &pb.PortFacts{Name: p.Name, SpeedGbps: int32(p.SpeedGbps), Up: p.Up, Mac: p.MAC})
		}
		for _, n := range s.Neighbors {
			ps.Neighbors = append(ps.Neighbors, &pb.LLDPNeighbor{LocalPort: n.LocalPort, ChassisId: n.ChassisID, PortId: n.PortID,
				PortIdIsMac: n.PortIDIsMAC, PortDesc: n.PortDesc, SysName: n.SysName})
		}
		out.Switches = append(out.Switches, ps)
	}
	return out
}

// FromPB converts an observation from its wire form.
func FromPB(o *pb.Observation) model.Observation {
	out := model.Observation{Target: o.GetTarget(), Source: o.GetSource()}
	if o.GetAt() != nil {
		out.At = o.GetAt().AsTime()
	}
	if h := o.GetHints(); h != nil {
		out.Hints = model.TargetHints{Hostname: h.GetHostname(), Rack: h.GetRack(), Fabric: h.GetFabric(), Role: h.GetRole(), Credential: h.GetCredential()}
	}
	for _, n := range o.GetNodes() {
		mn := model.NodeFacts{Hostname: n.GetHostname(), Serial: n.GetSerial(), Vendor: n.GetVendor(), Model: n.GetModel(),
			Power: n.GetPower(), Missing: n.GetMissing()}
		for _, g := range n.GetGpus() {
			mn.GPUs = append(mn.GPUs, model.GPUFacts{GPU: model.GPU{Index: int(g.GetIndex()), UUID: g.GetUuid(), Serial: g.GetSerial(),
				Model: g.GetModel(), MemoryMiB: int(g.GetMemoryMib()), PCIBusID: g.GetPciBusId(), NUMANode: int(g.GetNumaNode()),
				Health: model.GPUHealth(g.GetHealth())},
				NVLinkPeers: g.GetNvlinkPeers(), NVLinksUp: int(g.GetNvlinksUp()), NVLinksDown: int(g.GetNvlinksDown()),
				NearNICs: g.GetNearNics(), XIDs: g.Xids, ECC: g.EccUncorrected})
		}
		for _, c := range n.GetNics() {
			mc := model.NIC{Name: c.GetName(), Model: c.GetModel(), Kind: model.LinkKind(c.GetKind()), PCIBusID: c.GetPciBusId()}
			for _, p := range c.GetPorts() {
				mc.Ports = append(mc.Ports, model.NICPort{Name: p.GetName(), MAC: p.GetMac(), GUID: p.GetGuid(), SpeedGbps: int(p.GetSpeedGbps())})
			}
			mn.NICs = append(mn.NICs, mc)
		}
		out.Nodes = append(out.Nodes, mn)
	}
	for _, s := range o.GetSwitches() {
		ms := model.SwitchFacts{Name: s.GetName(), ChassisID: s.GetChassisId(), Vendor: s.GetVendor(), Model: s.GetModel(), OS: s.GetOs(),
			Version: s.GetVersion(), Serial: s.GetSerial(), Description: s.GetDescription(), Missing: s.GetMissing()}
		for _, p := range s.GetPorts() {
			ms.Ports = append(ms.Ports, model.PortFacts{Name: p.GetName(), SpeedGbps: int(p.GetSpeedGbps()), Up: p.GetUp(), MAC: p.GetMac()})
		}
		for _, n := range s.GetNeighbors() {
			ms.Neighbors = append(ms.Neighbors, model.LLDPNeighbor{LocalPort: n.GetLocalPort(), ChassisID: n.GetChassisId(),
				PortID: n.GetPortId(), PortIDIsMAC: n.GetPortIdIsMac(), PortDesc: n.GetPortDesc(), SysName: n.GetSysName()})
		}
		out.Switches = append(out.Switches, ms)
	}
	return out
}

// Send reports a run's observations to a server and returns what the
// server's merge changed. Large runs go in batches of batchSize
// observations, each merged in its own transaction.
func Send(ctx context.Context, c pb.DiscoveryServiceClient, obs []model.Observation, dryRun bool) (*pb.ReportResponse, error) {
	const batchSize = 500
	total := &pb.ReportResponse{}
	// An empty run is still reported: the server marks stale what it
	// has not seen.
	for start := 0; start == 0 || start < len(obs); start += batchSize {
		req := &pb.ReportRequest{DryRun: dryRun}
		for _, o := range obs[start:min(start+batchSize, len(obs))] {
			req.Observations = append(req.Observations, ToPB(o))
		}
		resp, err := c.Report(ctx, req)
		if err != nil {
			return nil, err
		}
		total.Created += resp.GetCreated()
		total.Updated += resp.GetUpdated()
		total.Deleted += resp.GetDeleted()
		total.Seen += resp.GetSeen()
		total.Changes = append(total.Changes, resp.GetChanges()...)
		total.Notes = append(total.Notes, resp.GetNotes()...)
	}
	return total, nil
}
