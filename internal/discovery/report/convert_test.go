package report

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/railyard/railyard/internal/model"
)

// TestRoundTrip: every field of an observation survives the wire.
func TestRoundTrip(t *testing.T) {
	xid, ecc := int64(3), int64(0)
	o := model.Observation{Target: "redfish://10.0.0.5:443", Source: "redfish", At: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		Hints: model.TargetHints{Hostname: "gpu-001", Rack: "r1", Fabric: "eth", Role: "leaf", Credential: "env:BMC"},
		Nodes: []model.NodeFacts{{Hostname: "h", Serial: "S", Vendor: "V", Model: "M", Power: "on", Missing: []string{"nics"},
			GPUs: []model.GPUFacts{{GPU: model.GPU{Index: 1, UUID: "GPU-1", Serial: "G", Model: "H100", MemoryMiB: 81559,
				PCIBusID: "0000:07:00.0", NUMANode: 1, Health: model.GPUHealthy}, NVLinkPeers: []string{"0000:c1:00.0"},
				NVLinksUp: 11, NVLinksDown: 1, NearNICs: []string{"0000:0c:00.0"}, XIDs: &xid, ECC: &ecc}},
			NICs: []model.NIC{{Name: "mlx5_0", Model: "CX7", Kind: model.InfiniBand, PCIBusID: "0000:0c:00.0",
				Ports: []model.NICPort{{Name: "ib0", MAC: "aa:bb:cc:dd:ee:ff", GUID: "0x1", SpeedGbps: 400}}}}}},
		Switches: []model.SwitchFacts{{Name: "leaf", ChassisID: "02:00:00:00:00:01", Vendor: "Arista", Model: "7060", OS: "EOS",
			Version: "4.30", Serial: "SW", Description: "d", Missing: []string{"serial"},
			Ports:     []model.PortFacts{{Name: "Ethernet1", SpeedGbps: 400, Up: true, MAC: "02:00:00:00:00:02"}},
			Neighbors: []model.LLDPNeighbor{{LocalPort: "Ethernet1", ChassisID: "c", PortID: "p", PortIDIsMAC: true, PortDesc: "d", SysName: "s"}}}},
	}
	if d := cmp.Diff(o, FromPB(ToPB(o))); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
}
