package fabric_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/railyard/railyard/internal/fabric"
	"github.com/railyard/railyard/internal/fabric/fabrictest"
	"github.com/railyard/railyard/internal/model"
	samples "github.com/railyard/railyard/inventory-samples"
)

func load(t *testing.T, name string) *model.Fleet {
	t.Helper()
	f, err := samples.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func intents(ts ...string) []fabric.Intent {
	var out []fabric.Intent
	for _, t := range ts {
		out = append(out, fabric.Intent{Tenant: t, Compute: true, Storage: true, State: fabric.Active})
	}
	return out
}

func TestCompileSuperPOD(t *testing.T) {
	plan, blocks, _, err := fabrictest.Compile("superpod-4su", map[string]int{"acme": 256, "globex": 128}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 2 {
		t.Fatalf("blocks: %d", len(blocks))
	}
	type row struct {
		Tenant, Fabric, VRF, Subnet string
		ID                          int
		L3, L2                      uint32
		VLAN, Core, Ports           int
		PKey                        uint16
		Devices                     int
	}
	var got []row
	for _, tp := range plan.Tenants {
		for _, f := range tp.Fabrics {
			got = append(got, row{tp.Tenant, f.Fabric, f.VRF, f.Subnet, tp.ID, f.L3VNI, f.L2VNI, f.VLAN, f.CoreVLAN, f.Ports, f.PKey, len(f.Devices)})
		}
	}
	want := []row{
		{"acme", "spod-compute", "", "", 1, 0, 0, 0, 0, 256, 1, 1},
		{"acme", "spod-storage", "ry-t0001", "10.64.0.0/24", 1, 200001, 5000101, 2000, 3000, 64, 0, 2},
		{"globex", "spod-compute", "", "", 2, 0, 0, 0, 0, 128, 2, 1},
		{"globex", "spod-storage", "ry-t0002", "10.64.1.0/24", 2, 200002, 5000201, 2001, 3001, 32, 0, 2},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("tenant networks (-want +got):\n%s", d)
	}
	// 8 storage leaves and one subnet manager; every storage leaf has the
	// storage VRF and every server port, bound or isolated.
	if len(plan.Devices) != 9 {
		t.Fatalf("devices: %d", len(plan.Devices))
	}
	bound := 0
	for _, d := range plan.Devices {
		if d.Kind == fabric.SubnetManager {
			if d.Driver != "ufm" || len(d.Partitions) != 2 {
				t.Errorf("subnet manager %+v", d.Device)
			}
			continue
		}
		if d.VRFs[len(d.VRFs)-1].Name != "ry-storage" && d.VRFs[0].Name != "ry-storage" {
			t.Errorf("%s has no storage VRF", d.Device)
		}
		for _, p := range d.Ports {
			if p.VLAN != 0 {
				bound++
				if p.Shutdown {
					t.Errorf("%s %s bound but shut", d.Device, p.Name)
				}
			} else if !p.Shutdown {
				t.Errorf("%s %s isolated but up", d.Device, p.Name)
			}
		}
	}
	if bound != 96 {
		t.Errorf("bound ports %d, want 96 (2 storage ports × 48 nodes)", bound)
	}
	leaf, _ := plan.Device("spod-su01-stor-leaf1")
	acme := leaf.VRFs[1] // after ry-storage
	if d := cmp.Diff(fabric.VRF{Name: "ry-t0001", Tenant: "acme", L3VNI: 200001, CoreVLAN: 3000, RD: leaf.RouterID + ":1",
		ImportRTs: []string{"65000:200001", "65000:299999"}, ExportRTs: []string{"65000:200001", "65000:299998"}}, acme); d != "" {
		t.Errorf("acme VRF (-want +got):\n%s", d)
	}
}

// The numbers stay when the plan is compiled again from its own
// allocations, and when a tenant grows.
func TestCompileStable(t *testing.T) {
	fleet := load(t, "superpod-4su")
	blocks, err := fabrictest.Carve(fleet, map[string]int{"acme": 64, "globex": 64})
	if err != nil {
		t.Fatal(err)
	}
	now := fabrictest.Epoch
	p1, err := fabric.Compile(fabric.Snapshot{Fleet: fleet, Blocks: blocks}, intents("acme", "globex"), nil, fabric.Settings{}, now)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := fabric.Compile(fabric.Snapshot{Fleet: fleet, Blocks: blocks}, intents("acme", "globex"), p1.Allocations, fabric.Settings{}, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(p1, p2); d != "" {
		t.Errorf("recompiling changed the plan:\n%s", d)
	}
	// globex is compiled first alone, then acme joins: acme gets the next
	// id, and globex keeps its.
	p3, err := fabric.Compile(fabric.Snapshot{Fleet: fleet, Blocks: blocks}, intents("globex"), nil, fabric.Settings{}, now)
	if err != nil {
		t.Fatal(err)
	}
	p4, err := fabric.Compile(fabric.Snapshot{Fleet: fleet, Blocks: blocks}, intents("acme", "globex"), p3.Allocations, fabric.Settings{}, now)
	if err != nil {
		t.Fatal(err)
	}
	if p4.Tenants[0].ID != 2 || p4.Tenants[1].ID != 1 {
		t.Errorf("ids: acme %d globex %d, want 2 and 1", p4.Tenants[0].ID, p4.Tenants[1].ID)
	}
	// acme grows by a node: one more port per storage leaf it is on, same numbers.
	grown := append([]model.Block(nil), blocks...)
	for i := range grown {
		if grown[i].Tenant == "acme" {
			b := grown[i]
			used := map[string]bool{}
			for _, bl := range blocks {
				for _, m := range bl.Members {
					used[m.Node] = true
				}
			}
			for _, n := range fleet.Nodes {
				if !used[n.Hostname] && strings.HasPrefix(n.Hostname, "spod-su01") {
					b.Members = append(append([]model.BlockMember(nil), b.Members...), model.BlockMember{Node: n.Hostname, GPUs: []int{0, 1, 2, 3, 4, 5, 6, 7}})
					break
				}
			}
			grown[i] = b
		}
	}
	p5, err := fabric.Compile(fabric.Snapshot{Fleet: fleet, Blocks: grown}, intents("acme", "globex"), p1.Allocations, fabric.Settings{}, now)
	if err != nil {
		t.Fatal(err)
	}
	a1, a5 := p1.Tenants[0].Fabrics[1], p5.Tenants[0].Fabrics[1]
	if a5.Ports != a1.Ports+2 || a5.L2VNI != a1.L2VNI || a5.VLAN != a1.VLAN || a5.Subnet != a1.Subnet {
		t.Errorf("growth: before %+v after %+v", a1, a5)
	}
}

// A released tenant's numbers are held: a new tenant gets other ones
// until the hold passes.
func TestReleaseHold(t *testing.T) {
	fleet := load(t, "superpod-4su")
	blocks, err := fabrictest.Carve(fleet, map[string]int{"acme": 64, "globex": 64})
	if err != nil {
		t.Fatal(err)
	}
	snap := fabric.Snapshot{Fleet: fleet, Blocks: blocks}
	now := fabrictest.Epoch
	p1, err := fabric.Compile(snap, intents("acme"), nil, fabric.Settings{}, now)
	if err != nil {
		t.Fatal(err)
	}
	// acme's network is gone; globex asks an hour later.
	p2, err := fabric.Compile(snap, intents("globex"), p1.Allocations, fabric.Settings{}, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if id := p2.Tenants[0].ID; id != 2 {
		t.Errorf("globex got id %d while acme's 1 is held", id)
	}
	if f := p2.Tenants[0].Fabrics[1]; f.VLAN != 2001 || f.Subnet == p1.Tenants[0].Fabrics[1].Subnet {
		t.Errorf("globex got a held number: %+v", f)
	}
	held := 0
	for _, a := range p2.Allocations {
		if a.Tenant == "acme" {
			if a.ReleasedAt.IsZero() {
				t.Errorf("acme allocation not released: %+v", a)
			}
			held++
		}
	}
	if held == 0 {
		t.Error("acme's allocations vanished instead of being held")
	}
	// Asking for acme's old number explicitly names the hold.
	in := intents("globex")
	in[0].Overrides.TenantID = 1
	_, err = fabric.Compile(snap, in, p1.Allocations, fabric.Settings{}, now.Add(time.Hour))
	if err == nil || !strings.Contains(err.Error(), "tenant-id 1 was released by tenant acme") {
		t.Errorf("override of a held id: %v", err)
	}
	// After the hold (24 h from the release an hour in), the numbers are
	// free again: a new tenant gets acme's id; globex keeps its own.
	p3, err := fabric.Compile(snap, intents("globex", "initech"), p2.Allocations, fabric.Settings{}, now.Add(26*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if g, i := p3.Tenants[0].ID, p3.Tenants[1].ID; g != 2 || i != 1 {
		t.Errorf("after the hold: globex %d, initech %d; want 2 and 1", g, i)
	}
	for _, a := range p3.Allocations {
		if a.Tenant == "acme" {
			t.Errorf("acme's allocation outlived its hold: %+v", a)
		}
	}
}

func TestOverrideConflicts(t *testing.T) {
	fleet := load(t, "superpod-4su")
	blocks, err := fabrictest.Carve(fleet, map[string]int{"acme": 64, "globex": 64})
	if err != nil {
		t.Fatal(err)
	}
	snap := fabric.Snapshot{Fleet: fleet, Blocks: blocks}
	for _, tc := range []struct {
		name string
		o    fabric.Overrides
		want string
	}{
		{"l3vni", fabric.Overrides{L3VNI: 200001}, "l3vni 200001 on fabric vni:spod-storage is already held by tenant acme"},
		{"vlan", fabric.Overrides{VLAN: 2000}, "vlan 2000 on fabric spod-storage is already held by tenant acme"},
		{"pkey", fabric.Overrides{PKey: 1}, "pkey 1 on fabric spod-compute is already held by tenant acme"},
		{"subnet", fabric.Overrides{StorageSubnet: "10.64.0.0/23"}, "storage subnet 10.64.0.0/23 overlaps 10.64.0.0/24"},
		{"storage vni", fabric.Overrides{L3VNI: 299999}, "VNI 299999 is the shared storage VRF's"},
		{"pkey range", fabric.Overrides{PKey: 0x7fff}, "PKey 0x7fff out of range"},
		{"vlan range", fabric.Overrides{VLAN: 100}, "VLAN 100 outside the segment range 2000-2999"},
		{"same vni", fabric.Overrides{L3VNI: 7, L2VNI: 7}, "VNI 7 cannot be both the L3VNI and the L2VNI"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := intents("acme", "globex")
			in[1].Overrides = tc.o
			_, err := fabric.Compile(snap, in, nil, fabric.Settings{}, fabrictest.Epoch)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestSharedNodeStaysIsolated(t *testing.T) {
	fleet := load(t, "lab-1su")
	node := fleet.Nodes[0].Hostname
	blocks := []model.Block{
		{Name: "a", Tenant: "acme", GPUs: 4, Members: []model.BlockMember{{Node: node, GPUs: []int{0, 1, 2, 3}}}},
		{Name: "b", Tenant: "globex", GPUs: 4, Members: []model.BlockMember{{Node: node, GPUs: []int{4, 5, 6, 7}}}},
	}
	p, err := fabric.Compile(fabric.Snapshot{Fleet: fleet, Blocks: blocks}, intents("acme", "globex"), nil, fabric.Settings{}, fabrictest.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Findings) == 0 || !strings.Contains(p.Findings[0].Reason, "shared by tenants [acme globex]") {
		t.Fatalf("findings: %v", p.Findings)
	}
	for _, d := range p.Devices {
		for _, pt := range d.Ports {
			if pt.Node == node && !pt.Isolated() {
				t.Errorf("%s %s of a shared node is not isolated", d.Device, pt.Name)
			}
		}
	}
}

func TestCheckMessages(t *testing.T) {
	base := func() []fabric.DeviceConfig {
		plan, _, _, err := fabrictest.Compile("superpod-4su", map[string]int{"acme": 64, "globex": 64}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return plan.Devices
	}
	// leafOf returns a leaf that carries tenant, with the tenant's VRF and
	// segment moved first.
	leafOf := func(ds []fabric.DeviceConfig, tenant string) *fabric.DeviceConfig {
		for i := range ds {
			d := &ds[i]
			for j, v := range d.VRFs {
				if v.Tenant == tenant {
					d.VRFs[0], d.VRFs[j] = d.VRFs[j], d.VRFs[0]
					for k, sg := range d.Segments {
						if sg.Tenant == tenant {
							d.Segments[0], d.Segments[k] = d.Segments[k], d.Segments[0]
						}
					}
					for k, pt := range d.Ports {
						if pt.Tenant == tenant {
							d.Ports[0], d.Ports[k] = d.Ports[k], d.Ports[0]
						}
					}
					return d
				}
			}
		}
		t.Fatalf("no leaf carries %s", tenant)
		return nil
	}
	for _, tc := range []struct {
		name   string
		break_ func(ds []fabric.DeviceConfig)
		want   string
	}{
		{"leaky import", func(ds []fabric.DeviceConfig) {
			d := leafOf(ds, "acme")
			d.VRFs[0].ImportRTs = append(d.VRFs[0].ImportRTs, "65000:299998")
		}, "imports route target 65000:299998, which tenant"},
		{"shared l3vni", func(ds []fabric.DeviceConfig) {
			l3 := leafOf(ds, "acme").VRFs[0].L3VNI
			leafOf(ds, "globex").VRFs[0].L3VNI = l3
		}, "L3VNI 200001 is used by tenants acme and globex"},
		{"vlan twice", func(ds []fabric.DeviceConfig) {
			d := leafOf(ds, "acme")
			d.Segments = append(d.Segments, fabric.Segment{Name: "x", Tenant: "acme", VLAN: d.Segments[0].VLAN, L2VNI: 9, Gateway: "10.99.0.1/24", RD: "1.1.1.1:1"})
		}, "VLAN 2000 is used by segment ry-t0001-s1 and segment x"},
		{"port vlan", func(ds []fabric.DeviceConfig) {
			d := leafOf(ds, "acme")
			d.Ports[0].VLAN = 2999
		}, "carries VLAN 2999, which no segment on the device has"},
		{"overlap", func(ds []fabric.DeviceConfig) {
			gw := leafOf(ds, "acme").Segments[0].Gateway
			leafOf(ds, "globex").Segments[0].Gateway = gw
		}, "overlaps subnet 10.64.0.0/24 of tenant"},
		{"l2 and l3", func(ds []fabric.DeviceConfig) {
			d := leafOf(ds, "acme")
			d.Segments[0].L2VNI = d.VRFs[0].L3VNI
		}, "VNI 200001 is both an L3VNI and an L2VNI"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ds := base()
			if err := fabric.Check(ds); err != nil {
				t.Fatalf("clean plan: %v", err)
			}
			tc.break_(ds)
			err := fabric.Check(ds)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}
