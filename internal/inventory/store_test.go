package inventory

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/railyard/railyard/internal/model"
)

// smallFleet is one site, two racks, two leaves (rails 1 and 2), a spine,
// and n nodes with 2 GPUs and 2 compute NICs each.
func smallFleet(n int) *model.Fleet {
	f := &model.Fleet{
		Sites: []model.Site{{Name: "s1", Pods: []model.Pod{{Name: "s1-pod1", LeafDomains: []model.LeafDomain{
			{Name: "s1-su1", Racks: []model.Rack{{Name: "s1-r1"}, {Name: "s1-r2"}}},
		}}}}},
		Fabrics: []model.Fabric{{Name: "s1-ib", Site: "s1", Kind: model.InfiniBand, Role: model.RoleCompute}},
		Tenants: []model.Tenant{{Name: "acme", Description: "first tenant"}},
	}
	for rail := 1; rail <= 2; rail++ {
		sw := model.Switch{Name: fmt.Sprintf("s1-leaf%d", rail), Role: model.SwitchLeaf, Fabric: "s1-ib", Vendor: "nvidia",
			Model: "QM9700", Driver: "ufm", Rack: "s1-r1", LeafDomain: "s1-su1", Rail: rail}
		for p := 1; p <= n+1; p++ {
			sw.Ports = append(sw.Ports, model.SwitchPort{Name: fmt.Sprintf("p%d", p), SpeedGbps: 400})
		}
		f.Switches = append(f.Switches, sw)
	}
	f.Switches = append(f.Switches, model.Switch{Name: "s1-spine1", Role: model.SwitchSpine, Fabric: "s1-ib", Pod: "s1-pod1",
		Ports: []model.SwitchPort{{Name: "p1", SpeedGbps: 400}, {Name: "p2", SpeedGbps: 400}}})
	for rail := 1; rail <= 2; rail++ {
		f.Links = append(f.Links, model.Link{A: model.Endpoint{Device: fmt.Sprintf("s1-leaf%d", rail), Port: fmt.Sprintf("p%d", n+1)},
			B: model.Endpoint{Device: "s1-spine1", Port: fmt.Sprintf("p%d", rail)}})
	}
	for i := 1; i <= n; i++ {
		host := fmt.Sprintf("s1-n%02d", i)
		f.NVLinkDomains = append(f.NVLinkDomains, model.NVLinkDomain{Name: host + "-nvl", Rack: fmt.Sprintf("s1-r%d", 1+(i-1)%2), Size: 2})
		node := model.Node{Hostname: host, Rack: fmt.Sprintf("s1-r%d", 1+(i-1)%2), Serial: fmt.Sprintf("SN%04d", i),
			Vendor: "NVIDIA", Model: "test-2gpu", BMC: model.BMC{Address: fmt.Sprintf("redfish://10.0.0.%d", i), CredentialRef: "env:BMC"},
			State: model.NodeAvailable}
		for g := 0; g < 2; g++ {
			node.GPUs = append(node.GPUs, model.GPU{Index: g, UUID: fmt.Sprintf("GPU-%04d-%d", i, g), Model: "H100-SXM5-80GB",
				MemoryMiB: 81559, NVLinkDomain: host + "-nvl", PCIBusID: fmt.Sprintf("0000:%02x:00.0", 0x18+g), NUMANode: g, Health: model.GPUHealthy})
		}
		for rail := 1; rail <= 2; rail++ {
			port := fmt.Sprintf("ib%d", rail-1)
			node.NICs = append(node.NICs, model.NIC{Name: fmt.Sprintf("cx%d", rail-1), Kind: model.InfiniBand, Role: model.RoleCompute,
				Rail: rail, Fabric: "s1-ib", Ports: []model.NICPort{{Name: port, GUID: fmt.Sprintf("0x0c42a1030000%02x%02x", i, rail), SpeedGbps: 400}}})
			f.Links = append(f.Links, model.Link{A: model.Endpoint{Device: host, Port: port},
				B: model.Endpoint{Device: fmt.Sprintf("s1-leaf%d", rail), Port: fmt.Sprintf("p%d", i)}})
		}
		f.Nodes = append(f.Nodes, node)
	}
	fillDefaults(f)
	f.Normalize()
	return f
}

// fillDefaults sets what the store fills in, so fleets compare equal.
func fillDefaults(f *model.Fleet) {
	for i := range f.Switches {
		if f.Switches[i].Provenance == "" {
			f.Switches[i].Provenance = model.Declared
		}
	}
	for i := range f.Nodes {
		if f.Nodes[i].Provenance == "" {
			f.Nodes[i].Provenance = model.Declared
		}
	}
	for i := range f.Links {
		if f.Links[i].Provenance == "" {
			f.Links[i].Provenance = model.Declared
		}
	}
}

func mustImport(t *testing.T, s *Store, f *model.Fleet, opts ImportOptions) *ImportResult {
	t.Helper()
	res, err := s.Import(context.Background(), f, opts)
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	return res
}

func mustExport(t *testing.T, s *Store) *model.Fleet {
	t.Helper()
	f, err := s.Export(context.Background(), "")
	if err != nil {
		t.Fatalf("Export: %v", err)
	}
	return f
}

func TestImport_RoundTripAndIdempotent(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn string) {
		s := openStore(t, dsn)
		in := smallFleet(4)
		res := mustImport(t, s, in, ImportOptions{Actor: "alice", Source: "import:test.yaml"})
		// 1 site, 1 pod, 1 ld, 2 racks, 1 fabric, 4 nvl, 3 switches, 12 switch ports,
		// 4 nodes, 8 gpus, 8 nics, 8 nic ports, 10 links, 1 tenant.
		if want := 1 + 1 + 1 + 2 + 1 + 4 + 3 + 12 + 4 + 8 + 8 + 8 + 10 + 1; res.Created != want || res.Updated != 0 || res.Deleted != 0 {
			t.Fatalf("first import: created %d updated %d deleted %d, want %d 0 0", res.Created, res.Updated, res.Deleted, want)
		}
		if diff := cmp.Diff(in, mustExport(t, s)); diff != "" {
			t.Fatalf("export differs from import (-in +out):\n%s", diff)
		}
		again := mustImport(t, s, in, ImportOptions{Actor: "alice"})
		if len(again.Changes) != 0 {
			t.Fatalf("re-import changed %d records, want 0: %+v", len(again.Changes), again.Changes[0])
		}
		// Export → import of the export is also a no-op.
		if res := mustImport(t, s, mustExport(t, s), ImportOptions{}); len(res.Changes) != 0 {
			t.Fatalf("import of export changed %d records", len(res.Changes))
		}
	})
}

func TestImport_AppliesOnlyDifferences(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn string) {
		s := openStore(t, dsn)
		ctx := context.Background()
		mustImport(t, s, smallFleet(4), ImportOptions{Actor: "alice"})
		before, _ := s.LatestSeq(ctx)

		f := smallFleet(4)
		// A GPU is swapped (new serial and UUID), one cable moves to another
		// leaf port, and node 4 leaves the fleet.
		f.Nodes[0].GPUs[1].Serial, f.Nodes[0].GPUs[1].UUID = "NEWSERIAL", "GPU-new"
		for i, l := range f.Links {
			if l.A == (model.Endpoint{Device: "s1-leaf1", Port: "p2"}) || l.B == (model.Endpoint{Device: "s1-leaf1", Port: "p2"}) {
				// p4 is node 4's port until node 4 leaves in this same import.
				f.Links[i] = model.Link{A: model.Endpoint{Device: "s1-n02", Port: "ib0"}, B: model.Endpoint{Device: "s1-leaf1", Port: "p4"}, Provenance: model.Declared}
			}
		}
		f.Nodes = f.Nodes[:3]
		var links []model.Link
		for _, l := range f.Links {
			if l.B.Device != "s1-n04" {
				links = append(links, l)
			}
		}
		f.Links = links
		var nvl []model.NVLinkDomain
		for _, d := range f.NVLinkDomains {
			if d.Name != "s1-n04-nvl" {
				nvl = append(nvl, d)
			}
		}
		f.NVLinkDomains = nvl
		f.Normalize()

		res := mustImport(t, s, f, ImportOptions{Actor: "bob", Source: "import:v2.yaml"})
		type change struct{ Op, Kind, Key string }
		var got []change
		for _, c := range res.Changes {
			got = append(got, change{string(c.Op), c.Kind, c.Key})
		}
		want := []change{
			{"update", "gpu", "s1-n01/1"},
			{"create", "link", "s1-leaf1:p4~s1-n02:ib0"},
			{"delete", "nvlink_domain", "s1-n04-nvl"},
			{"delete", "node", "s1-n04"},
			{"delete", "gpu", "s1-n04/0"},
			{"delete", "gpu", "s1-n04/1"},
			{"delete", "nic", "s1-n04/cx0"},
			{"delete", "nic", "s1-n04/cx1"},
			{"delete", "nic_port", "s1-n04:ib0"},
			{"delete", "nic_port", "s1-n04:ib1"},
			{"delete", "link", "s1-leaf1:p2~s1-n02:ib0"},
			{"delete", "link", "s1-leaf1:p4~s1-n04:ib0"},
			{"delete", "link", "s1-leaf2:p4~s1-n04:ib1"},
		}
		byKey := cmpopts.SortSlices(func(a, b change) bool { return a.Kind+a.Key+a.Op < b.Kind+b.Key+b.Op })
		if diff := cmp.Diff(want, got, byKey); diff != "" {
			t.Fatalf("changes (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(f, mustExport(t, s)); diff != "" {
			t.Fatalf("stored inventory differs from the file (-file +stored):\n%s", diff)
		}
		hist, err := s.Changes(ctx, ChangeFilter{After: before})
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != len(want) {
			t.Fatalf("history has %d new entries, want %d", len(hist), len(want))
		}
		for _, h := range hist {
			if h.Op == model.OpUpdate && (h.Actor != "bob" || h.Source != "import:v2.yaml" || h.Subject != "s1-n01" ||
				!strings.Contains(string(h.Before), `"uuid":"GPU-0001-1"`) || !strings.Contains(string(h.After), `"serial":"NEWSERIAL"`)) {
				t.Errorf("history entry lacks who/how/before/after: %+v", h)
			}
		}
	})
}

func TestImport_FailureWritesNothing(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn string) {
		s := openStore(t, dsn)
		ctx := context.Background()
		mustImport(t, s, smallFleet(2), ImportOptions{})
		seq, _ := s.LatestSeq(ctx)
		before := mustExport(t, s)

		f := smallFleet(3)
		// The new node's GPU points at an NVLink domain nobody declared: the
		// import fails late, after most rows were written inside the
		// transaction.
		f.Nodes[2].GPUs[0].NVLinkDomain = "no-such-domain"
		_, err := s.Import(ctx, f, ImportOptions{})
		if !errors.Is(err, ErrInvalid) {
			t.Fatalf("Import = %v, want ErrInvalid", err)
		}
		if diff := cmp.Diff(before, mustExport(t, s)); diff != "" {
			t.Fatalf("failed import changed the inventory:\n%s", diff)
		}
		if after, _ := s.LatestSeq(ctx); after != seq {
			t.Fatalf("failed import wrote history: seq %d → %d", seq, after)
		}
	})
}

func TestImport_DryRunWritesNothing(t *testing.T) {
	s := openStore(t, "sqlite:"+t.TempDir()+"/i.db")
	res := mustImport(t, s, smallFleet(2), ImportOptions{DryRun: true})
	if res.Created == 0 {
		t.Fatal("dry run reported no changes")
	}
	if f := mustExport(t, s); len(f.Nodes) != 0 {
		t.Fatalf("dry run wrote %d nodes", len(f.Nodes))
	}
}

func TestImport_NodesModeKeepsSwitches(t *testing.T) {
	s := openStore(t, "sqlite:"+t.TempDir()+"/i.db")
	mustImport(t, s, smallFleet(3), ImportOptions{})
	// A spreadsheet of the same site that lists only node 1, with its
	// switches implied and described differently.
	sheet := smallFleet(1)
	sheet.Switches = sheet.Switches[:2]
	for i := range sheet.Switches {
		sheet.Switches[i].Vendor = "unknown"
	}
	var cables []model.Link // only the node's cables
	for _, l := range sheet.Links {
		if l.B.Device == "s1-n01" {
			cables = append(cables, l)
		}
	}
	sheet.Links = cables
	res := mustImport(t, s, sheet, ImportOptions{Mode: ImportNodes})
	for _, c := range res.Changes {
		if c.Kind == model.KindSwitch || c.Kind == model.KindSwitchPort || c.Kind == model.KindFabric {
			t.Errorf("spreadsheet import changed %s %s (%s)", c.Kind, c.Key, c.Op)
		}
	}
	out := mustExport(t, s)
	if len(out.Nodes) != 1 || out.Nodes[0].Hostname != "s1-n01" {
		t.Fatalf("nodes after spreadsheet import = %d, want only s1-n01", len(out.Nodes))
	}
	if len(out.Switches) != 3 || out.Switches[0].Vendor != "nvidia" {
		t.Fatalf("switches were changed: %+v", out.Switches[0])
	}
}

func TestQueries(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn string) {
		s := openStore(t, dsn)
		ctx := context.Background()
		mustImport(t, s, smallFleet(5), ImportOptions{Actor: "alice"})

		// Pagination visits every GPU exactly once.
		seen := map[string]bool{}
		token := ""
		for pages := 0; ; pages++ {
			rows, next, err := s.ListGPUs(ctx, Filter{}, Page{Size: 3, Token: token})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				k := gpuKey(r.Node, r.Index)
				if seen[k] {
					t.Fatalf("gpu %s listed twice", k)
				}
				seen[k] = true
				if r.Site != "s1" || r.Rack == "" || r.NVLinkDomain == "" {
					t.Errorf("gpu %s lacks location: %+v", k, r)
				}
			}
			if next == "" {
				break
			}
			token = next
		}
		if len(seen) != 10 {
			t.Fatalf("paged through %d gpus, want 10", len(seen))
		}

		rows, _, err := s.ListNodes(ctx, Filter{Rack: "s1-r2"}, Page{})
		if err != nil {
			t.Fatal(err)
		}
		var hosts []string
		for _, r := range rows {
			hosts = append(hosts, r.Hostname)
			if r.GPUCount != 2 || r.GPUModel != "H100-SXM5-80GB" || r.LeafDomain != "s1-su1" {
				t.Errorf("node row %+v", r)
			}
		}
		if diff := cmp.Diff([]string{"s1-n02", "s1-n04"}, hosts); diff != "" {
			t.Errorf("nodes in rack s1-r2 (-want +got):\n%s", diff)
		}
		if _, _, err := s.ListNodes(ctx, Filter{State: "bogus"}, Page{}); !errors.Is(err, ErrInvalid) {
			t.Errorf("bad state filter: %v, want ErrInvalid", err)
		}
		if _, _, err := s.ListTenants(ctx, Filter{Rack: "x"}, Page{}); !errors.Is(err, ErrInvalid) {
			t.Errorf("inapplicable filter: %v, want ErrInvalid", err)
		}
		if _, _, err := s.ListGPUs(ctx, Filter{}, Page{Token: "garbage"}); !errors.Is(err, ErrInvalid) {
			t.Errorf("bad token: %v, want ErrInvalid", err)
		}
		sws, _, err := s.ListSwitches(ctx, Filter{Role: "leaf"}, Page{})
		if err != nil || len(sws) != 2 || sws[0].PortCount != 6 {
			t.Fatalf("leaves = %+v, %v", sws, err)
		}

		d, err := s.GetNode(ctx, "s1-n03", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.GPUs) != 2 || len(d.NICs) != 2 {
			t.Fatalf("describe s1-n03: %d gpus %d nics", len(d.GPUs), len(d.NICs))
		}
		if got, want := d.NICs[1].Peers["ib1"], (model.Endpoint{Device: "s1-leaf2", Port: "p3"}); got != want {
			t.Errorf("peer of s1-n03 ib1 = %v, want %v", got, want)
		}
		// node, 2 gpus, 2 nics, 2 ports, 2 cables.
		if len(d.History) != 9 {
			t.Errorf("history of s1-n03 has %d entries, want 9", len(d.History))
		}
		if _, err := s.GetNode(ctx, "nope", 0); !errors.Is(err, ErrNotFound) {
			t.Errorf("GetNode(nope) = %v, want ErrNotFound", err)
		}
		g, err := s.GetGPU(ctx, "GPU-0002-1", "", 0)
		if err != nil || g.Node != "s1-n02" || g.Index != 1 {
			t.Errorf("GetGPU by uuid = %+v, %v", g, err)
		}
		sd, err := s.GetSwitch(ctx, "s1-leaf1", 5)
		if err != nil || len(sd.Ports) != 6 || sd.Ports[5].Peer == nil || sd.Ports[5].Peer.Device != "s1-spine1" {
			t.Fatalf("GetSwitch = %+v, %v", sd, err)
		}
	})
}

func TestWatchNotify(t *testing.T) {
	s := openStore(t, "sqlite:"+t.TempDir()+"/i.db")
	ch, cancel := s.Subscribe()
	defer cancel()
	mustImport(t, s, smallFleet(1), ImportOptions{})
	select {
	case <-ch:
	case <-time.After(time.Second):
		t.Fatal("no notification after import")
	}
}
