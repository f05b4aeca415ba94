package api

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/railyard/railyard/internal/inventory"
	"github.com/railyard/railyard/internal/model"
	pb "github.com/railyard/railyard/proto/railyard/v1"
)

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func filterFrom(f *pb.Filter) inventory.Filter {
	if f == nil {
		return inventory.Filter{}
	}
	return inventory.Filter{Site: f.Site, Pod: f.Pod, LeafDomain: f.LeafDomain, Rack: f.Rack, State: f.State,
		GPUModel: f.GpuModel, Fabric: f.Fabric, Node: f.Node, Role: f.Role}
}

func nodePB(r inventory.NodeRow) *pb.Node {
	return &pb.Node{
		Hostname: r.Hostname, Site: r.Site, Pod: r.Pod, LeafDomain: r.LeafDomain, Rack: r.Location.Rack, Serial: r.Serial,
		Vendor: r.Vendor, Model: r.Model, BmcAddress: r.BMC.Address, BmcCredentialRef: r.BMC.CredentialRef,
		State: string(r.State), Provenance: string(r.Provenance), GpuCount: int32(r.GPUCount), GpuModel: r.GPUModel,
		LastSeen: ts(r.LastSeen), Stale: r.Stale,
	}
}

func gpuPB(node string, g model.GPU) *pb.GPU {
	return &pb.GPU{Node: node, Index: int32(g.Index), Uuid: g.UUID, Serial: g.Serial, Model: g.Model,
		MemoryMib: int32(g.MemoryMiB), NvlinkDomain: g.NVLinkDomain, PciBusId: g.PCIBusID, NumaNode: int32(g.NUMANode),
		Health: string(g.Health)}
}

func gpuRowPB(r inventory.GPURow) *pb.GPU {
	g := gpuPB(r.Node, r.GPU)
	g.Site, g.Rack, g.NodeState = r.Site, r.Rack, string(r.NodeState)
	return g
}

func endpointPB(e model.Endpoint) *pb.Endpoint { return &pb.Endpoint{Device: e.Device, Port: e.Port} }

func nicPB(r inventory.NICRow) *pb.NIC {
	n := &pb.NIC{Node: r.Node, Name: r.Name, Model: r.Model, Kind: string(r.Kind), Role: string(r.Role),
		Rail: int32(r.Rail), Fabric: r.Fabric, PciBusId: r.PCIBusID}
	for _, p := range r.Ports {
		port := &pb.NICPort{Name: p.Name, Mac: p.MAC, Guid: p.GUID, SpeedGbps: int32(p.SpeedGbps)}
		if e, ok := r.Peers[p.Name]; ok {
			port.Peer = endpointPB(e)
		}
		n.Ports = append(n.Ports, port)
	}
	return n
}

func switchPB(r inventory.SwitchRow) *pb.Switch {
	return &pb.Switch{Name: r.Name, Role: string(r.Role), Fabric: r.Fabric, Vendor: r.Vendor, Model: r.Model, Os: r.OS,
		Serial: r.Serial, MgmtAddress: r.MgmtAddress, Driver: r.Driver, Site: r.Site, Pod: r.Pod, LeafDomain: r.LeafDomain,
		Rack: r.Rack, Rail: int32(r.Rail), Provenance: string(r.Provenance), PortCount: int32(r.PortCount), LastSeen: ts(r.LastSeen), Stale: r.Stale}
}

func linkPB(l model.Link) *pb.Link {
	return &pb.Link{A: endpointPB(l.A), B: endpointPB(l.B), Provenance: string(l.Provenance), LastSeen: ts(l.LastSeen), Stale: l.Stale}
}

func tenantPB(t model.Tenant) *pb.Tenant { return &pb.Tenant{Name: t.Name, Description: t.Description} }

func changePB(c model.Change) *pb.Change {
	return &pb.Change{Seq: c.Seq, At: ts(c.At), Actor: c.Actor, Source: c.Source, Kind: c.Kind, Key: c.Key,
		Subject: c.Subject, Op: string(c.Op), BeforeJson: string(c.Before), AfterJson: string(c.After)}
}

func changesPB(cs []model.Change) []*pb.Change {
	out := make([]*pb.Change, len(cs))
	for i, c := range cs {
		out[i] = changePB(c)
	}
	return out
}

func findingsPB(fs []model.Finding) []*pb.Finding {
	out := make([]*pb.Finding, len(fs))
	for i, f := range fs {
		out[i] = &pb.Finding{Severity: string(f.Severity), Code: f.Code, Object: f.Object, Message: f.Message}
	}
	return out
}

func mapSlice[T, U any](in []T, f func(T) U) []U {
	out := make([]U, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}
