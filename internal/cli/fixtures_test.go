package cli

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/railyard/railyard/proto/railyard/v1"
)

// Fixed messages for the printer and command tests.

func ts(s string) *timestamppb.Timestamp {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return timestamppb.New(t)
}

func testNodes() []*pb.Node {
	return []*pb.Node{
		{
			Hostname: "gpu-ams1-001", Site: "ams1", Pod: "p1", LeafDomain: "ld1", Rack: "r01",
			Serial: "SN001", Vendor: "Supermicro", Model: "SYS-821GE", BmcAddress: "10.0.0.1",
			BmcCredentialRef: "env:BMC_PASS", State: "available", Provenance: "import",
			GpuCount: 2, GpuModel: "H100-SXM5", LastSeen: ts("2025-03-01T10:00:00Z"),
		},
		{
			Hostname: "gpu-ams1-002", Site: "ams1", Pod: "p1", LeafDomain: "ld1", Rack: "r02",
			Serial: "SN002", Model: "SYS-821GE", State: "maintenance", GpuCount: 2, GpuModel: "H100-SXM5",
		},
		{Hostname: "cpu-fra1-001", Site: "fra1", Rack: "r01", State: "discovered"},
	}
}

func testGPUs() []*pb.GPU {
	var gpus []*pb.GPU
	for _, n := range []string{"gpu-ams1-001", "gpu-ams1-002"} {
		for i := range int32(2) {
			gpus = append(gpus, &pb.GPU{
				Node: n, Index: i, Uuid: "GPU-" + n[len(n)-3:] + "-" + itoa(i), Serial: "GS" + itoa(i),
				Model: "H100-SXM5", MemoryMib: 81920, NvlinkDomain: "nvl-" + n[len(n)-3:],
				PciBusId: "0000:1" + itoa(i) + ":00.0", NumaNode: i, Health: "ok",
				Site: "ams1", Rack: "r01", NodeState: "available",
			})
		}
	}
	return gpus
}

func testNICs() []*pb.NIC {
	return []*pb.NIC{
		{
			Node: "gpu-ams1-001", Name: "cx7-0", Model: "ConnectX-7", Kind: "infiniband", Role: "compute",
			Rail: 0, Fabric: "ib0", PciBusId: "0000:20:00.0",
			Ports: []*pb.NICPort{{Name: "p0", Guid: "0x1070fd0300aa0001", SpeedGbps: 400, Peer: &pb.Endpoint{Device: "leaf-ams1-01", Port: "1/1"}}},
		},
		{
			Node: "gpu-ams1-001", Name: "eth0", Model: "BlueField-3", Kind: "ethernet", Role: "frontend",
			Fabric: "fe0",
			Ports: []*pb.NICPort{
				{Name: "p0", Mac: "aa:bb:cc:00:00:01", SpeedGbps: 200, Peer: &pb.Endpoint{Device: "fe-ams1-01", Port: "swp1"}},
				{Name: "p1", Mac: "aa:bb:cc:00:00:02", SpeedGbps: 200},
			},
		},
		{Node: "gpu-ams1-001", Name: "bmc", Kind: "ethernet", Role: "management"},
	}
}

func testSwitches() []*pb.Switch {
	return []*pb.Switch{
		{
			Name: "leaf-ams1-01", Role: "leaf", Fabric: "ib0", Vendor: "NVIDIA", Model: "QM9700", Os: "MLNX-OS",
			Serial: "SWSN1", MgmtAddress: "10.1.0.1", Driver: "ufm", Site: "ams1", Pod: "p1", LeafDomain: "ld1",
			Rack: "r10", Rail: 0, Provenance: "import", PortCount: 64, LastSeen: ts("2025-03-01T09:00:00Z"),
		},
		{Name: "spine-ams1-01", Role: "spine", Fabric: "ib0", Vendor: "NVIDIA", Model: "QM9700", PortCount: 64},
	}
}

func testLinks() []*pb.Link {
	return []*pb.Link{
		{A: &pb.Endpoint{Device: "gpu-ams1-001", Port: "cx7-0/p0"}, B: &pb.Endpoint{Device: "leaf-ams1-01", Port: "1/1"}, Provenance: "lldp", LastSeen: ts("2025-03-01T10:05:00Z")},
		{A: &pb.Endpoint{Device: "leaf-ams1-01", Port: "1/33"}, B: &pb.Endpoint{Device: "spine-ams1-01", Port: "1/1"}, Provenance: "import"},
	}
}

func testTenants() []*pb.Tenant {
	return []*pb.Tenant{
		{Name: "acme", Description: "Acme Corp training cluster"},
		{Name: "internal"},
	}
}

func testHistory() []*pb.Change {
	return []*pb.Change{
		{Seq: 12, At: ts("2025-03-02T08:00:00Z"), Actor: "alice", Source: "api", Kind: "node", Key: "gpu-ams1-001", Subject: "gpu-ams1-001", Op: "update",
			BeforeJson: `{"state":"maintenance"}`, AfterJson: `{"state":"available"}`},
		{Seq: 7, At: ts("2025-03-01T09:30:00Z"), Actor: "bob", Source: "import:ams1.yaml", Kind: "gpu", Key: "gpu-ams1-001/0", Subject: "gpu-ams1-001", Op: "create",
			AfterJson: `{"uuid":"GPU-001-0"}`},
		{Seq: 3, At: ts("2025-03-01T09:00:00Z"), Actor: "bob", Source: "import:ams1.yaml", Kind: "node", Key: "gpu-ams1-001", Subject: "gpu-ams1-001", Op: "create"},
	}
}

func testNodeDetail() *pb.NodeDetail {
	return &pb.NodeDetail{
		Node:    testNodes()[0],
		Gpus:    testGPUs()[:2],
		Nics:    testNICs(),
		History: testHistory(),
	}
}

func testSwitchDetail() *pb.SwitchDetail {
	return &pb.SwitchDetail{
		Switch: testSwitches()[0],
		Ports: []*pb.SwitchPort{
			{Name: "1/1", SpeedGbps: 400, Peer: &pb.Endpoint{Device: "gpu-ams1-001", Port: "cx7-0/p0"}},
			{Name: "1/2", SpeedGbps: 400},
		},
		History: testHistory()[2:],
	}
}

func testFindings() []*pb.Finding {
	return []*pb.Finding{
		{Severity: "error", Code: "duplicate-mac", Object: "node/gpu-ams1-002/nic/eth0", Message: "mac aa:bb:cc:00:00:01 is also on node/gpu-ams1-001/nic/eth0"},
		{Severity: "warning", Code: "wrong-rail", Object: "node/gpu-ams1-001/nic/cx7-0", Message: "rail 0 nic cabled to a rail 1 leaf"},
	}
}
