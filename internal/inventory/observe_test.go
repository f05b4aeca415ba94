package inventory

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/railyard/railyard/internal/model"
)

// labObservations is what discovery sees of a one-server, one-switch lab:
// the BMC reports the server, the switch hears the server's NIC by MAC.
func labObservations(gpuSerial, switchPort string) []model.Observation {
	return []model.Observation{
		{Target: "redfish://10.0.0.5:443", Source: "redfish", Hints: model.TargetHints{Hostname: "gpu-001"},
			Nodes: []model.NodeFacts{{Serial: "SRV-1", Vendor: "Contoso", Model: "HGX", GPUs: []model.GPUFacts{
				{GPU: model.GPU{Index: 0, Serial: gpuSerial, Model: "H100", MemoryMiB: 81559}},
				{GPU: model.GPU{Index: 1, Serial: "GPU-B", Model: "H100", MemoryMiB: 81559}},
			}, NICs: []model.NIC{{Name: "NIC1", Model: "ConnectX-7", Kind: model.Ethernet, Ports: []model.NICPort{{Name: "NIC1-1", MAC: "aa:bb:cc:00:00:01"}}}}}}},
		{Target: "snmp://10.0.1.1", Source: "snmp", Hints: model.TargetHints{Role: "leaf"},
			Switches: []model.SwitchFacts{{Name: "leaf-1", ChassisID: "02:00:00:00:00:01", Vendor: "Arista", Model: "7060X",
				Ports: []model.PortFacts{{Name: "Ethernet1", SpeedGbps: 400, Up: true}, {Name: "Ethernet2", SpeedGbps: 400}},
				Neighbors: []model.LLDPNeighbor{
					{LocalPort: switchPort, ChassisID: "aa:bb:cc:00:00:01", PortID: "aa:bb:cc:00:00:01", PortIDIsMAC: true, SysName: "gpu-001"},
					{LocalPort: "Ethernet2", ChassisID: "02:99:00:00:00:01", PortID: "Ethernet9", SysName: "mystery"},
				}}}},
	}
}

type changeLine struct{ Kind, Key, Op, Source string }

func lines(cs []model.Change) []changeLine {
	var out []changeLine
	for _, c := range cs {
		out = append(out, changeLine{c.Kind, c.Key, string(c.Op), c.Source})
	}
	return out
}

func TestObserve_DiscoversThenChangesNothingThenRecordsExactChanges(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openStore(t, dsn)
		now := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
		s.now = func() time.Time { return now }

		res, err := s.Observe(ctx, labObservations("GPU-A", "Ethernet1"), ObserveOptions{Actor: "ops"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Created == 0 || res.Updated != 0 || res.Deleted != 0 {
			t.Fatalf("first run: created %d updated %d deleted %d", res.Created, res.Updated, res.Deleted)
		}
		if len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "mystery") {
			t.Errorf("notes = %q, want one about the unknown neighbour", res.Notes)
		}
		f := mustExport(t, s)
		if len(f.Nodes) != 1 || f.Nodes[0].Hostname != "gpu-001" || f.Nodes[0].State != model.NodeDiscovered ||
			f.Nodes[0].Provenance != model.Discovered || f.Nodes[0].Rack != HoldingName || f.Nodes[0].Serial != "SRV-1" ||
			f.Nodes[0].BMC.Address != "redfish://10.0.0.5:443" || !f.Nodes[0].LastSeen.Equal(now) {
			t.Errorf("node = %+v", f.Nodes[0])
		}
		if len(f.Nodes[0].GPUs) != 2 || f.Nodes[0].GPUs[0].Serial != "GPU-A" {
			t.Errorf("gpus = %+v", f.Nodes[0].GPUs)
		}
		want := []model.Link{{A: model.Endpoint{Device: "gpu-001", Port: "NIC1-1"}, B: model.Endpoint{Device: "leaf-1", Port: "Ethernet1"},
			Provenance: model.Discovered, LastSeen: now}}
		if d := cmp.Diff(want, f.Links); d != "" {
			t.Errorf("links (-want +got):\n%s", d)
		}
		if len(f.Switches) != 1 || f.Switches[0].Fabric != HoldingName || f.Switches[0].Vendor != "Arista" || len(f.Switches[0].Ports) != 2 {
			t.Errorf("switches = %+v", f.Switches)
		}

		// Second run, same facts: nothing changes but the last-seen time.
		now = now.Add(time.Hour)
		res, err = s.Observe(ctx, labObservations("GPU-A", "Ethernet1"), ObserveOptions{Actor: "ops"})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Changes) != 0 {
			t.Fatalf("second run changed %v", lines(res.Changes))
		}
		if f := mustExport(t, s); !f.Nodes[0].LastSeen.Equal(now) || !f.Links[0].LastSeen.Equal(now) {
			t.Errorf("last seen not advanced: node %v link %v", f.Nodes[0].LastSeen, f.Links[0].LastSeen)
		}

		// Third run: a GPU was swapped and the cable moved to Ethernet2.
		now = now.Add(time.Hour)
		res, err = s.Observe(ctx, labObservations("GPU-Z", "Ethernet2"), ObserveOptions{Actor: "ops"})
		if err != nil {
			t.Fatal(err)
		}
		wantChanges := []changeLine{
			{model.KindLink, "gpu-001:NIC1-1~leaf-1:Ethernet2", "update", "discovery:snmp"},
			{model.KindGPU, "gpu-001/0", "update", "discovery:redfish"},
		}
		if d := cmp.Diff(wantChanges, lines(res.Changes)); d != "" {
			t.Errorf("third run changes (-want +got):\n%s", d)
		}
		hist, err := s.Changes(ctx, ChangeFilter{Device: "gpu-001", Kinds: []string{model.KindGPU, model.KindLink}})
		if err != nil {
			t.Fatal(err)
		}
		last := hist[len(hist)-2:]
		if !strings.Contains(string(last[0].Before), "Ethernet1") && !strings.Contains(string(last[1].Before), "Ethernet1") {
			t.Errorf("moved cable's history does not show where it was: %s / %s", last[0].Before, last[1].Before)
		}
		obs, err := s.Observations(ctx, model.KindNode, "gpu-001")
		if err != nil {
			t.Fatal(err)
		}
		if len(obs) != 1 || obs[0].Source != "redfish" || !obs[0].LastSeen.Equal(now) || !strings.Contains(string(obs[0].Facts), "GPU-Z") {
			t.Errorf("observation = %+v", obs)
		}
	})
}

func TestObserve_DeclaredCablingIsNeverOverwritten(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openStore(t, dsn)
		mustImport(t, s, smallFleet(2), ImportOptions{Actor: "t", Source: "test"})
		before := mustExport(t, s)
		// The leaf hears node 1's ib0 on the port where node 2 is declared.
		obs := []model.Observation{{Target: "snmp://10.9.0.1", Source: "snmp", Hints: model.TargetHints{Hostname: "s1-leaf1"},
			Switches: []model.SwitchFacts{{Name: "s1-leaf1", Neighbors: []model.LLDPNeighbor{
				{LocalPort: "p2", SysName: "s1-n01", PortID: "ib0"},
			}}}}}
		res, err := s.Observe(ctx, obs, ObserveOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// The switch learns the address it answered on; nothing else changes.
		if d := cmp.Diff([]changeLine{{model.KindSwitch, "s1-leaf1", "update", "discovery:snmp"}}, lines(res.Changes)); d != "" {
			t.Errorf("changes (-want +got):\n%s", d)
		}
		if len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "contradicts") {
			t.Errorf("notes = %q", res.Notes)
		}
		after := mustExport(t, s)
		if d := cmp.Diff(linkKeys(before.Links), linkKeys(after.Links)); d != "" {
			t.Errorf("links changed:\n%s", d)
		}
		got, err := s.Observations(ctx, model.KindLink, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Key != "s1-leaf1:p2~s1-n01:ib0" {
			t.Errorf("link observations = %+v", got)
		}
	})
}

func linkKeys(ls []model.Link) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Key())
	}
	slices.Sort(out)
	return out
}

func TestObserve_MarksStaleAndRevives(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openStore(t, dsn)
		now := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
		s.now = func() time.Time { return now }
		if _, err := s.Observe(ctx, labObservations("GPU-A", "Ethernet1"), ObserveOptions{}); err != nil {
			t.Fatal(err)
		}
		// Two hours later only the BMC answers: the switch and the cable
		// (last seen two hours ago) go stale; the node does not.
		now = now.Add(2 * time.Hour)
		res, err := s.Observe(ctx, labObservations("GPU-A", "Ethernet1")[:1], ObserveOptions{StaleAfter: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		want := []changeLine{
			{model.KindSwitch, "leaf-1", "update", "discovery:stale"},
			{model.KindLink, "gpu-001:NIC1-1~leaf-1:Ethernet1", "update", "discovery:stale"},
		}
		if d := cmp.Diff(want, lines(res.Changes)); d != "" {
			t.Errorf("changes (-want +got):\n%s", d)
		}
		f := mustExport(t, s)
		if !f.Switches[0].Stale || !f.Links[0].Stale || f.Nodes[0].Stale {
			t.Errorf("stale: switch %v link %v node %v", f.Switches[0].Stale, f.Links[0].Stale, f.Nodes[0].Stale)
		}
		if len(f.Switches) != 1 || len(f.Links) != 1 {
			t.Errorf("a stale record was deleted")
		}
		// The switch answers again: both revive.
		now = now.Add(time.Minute)
		res, err = s.Observe(ctx, labObservations("GPU-A", "Ethernet1"), ObserveOptions{StaleAfter: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Changes) != 2 {
			t.Errorf("revive changes = %v", lines(res.Changes))
		}
		if f := mustExport(t, s); f.Switches[0].Stale || f.Links[0].Stale {
			t.Errorf("still stale after being seen")
		}
	})
}
