package fabric_test

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sort"
	"testing"
	"time"

	"github.com/railyard/railyard/internal/carve"
	"github.com/railyard/railyard/internal/fabric"
	"github.com/railyard/railyard/internal/fabric/fabrictest"
	"github.com/railyard/railyard/internal/model"
)

// TestNoSharingUnderChurn carves and releases blocks, sets, changes and
// releases tenant networks at random, lets time pass, and after every
// step checks — independently of fabric.Check — that no two tenants share
// a VNI, a route target, a VLAN on a port, a PKey or a storage subnet, and
// that a released number is not handed to another tenant before its hold
// passes.
func TestNoSharingUnderChurn(t *testing.T) {
	fleet := load(t, "superpod-4su")
	seeds := 6
	steps := 60
	if testing.Short() {
		seeds, steps = 2, 30
	}
	for seed := 0; seed < seeds; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { churn(t, fleet, uint64(seed), steps) })
	}
}

func churn(t *testing.T, fleet *model.Fleet, seed uint64, steps int) {
	r := rand.New(rand.NewPCG(seed, 99))
	now := fabrictest.Epoch
	st, err := carve.NewState(&model.CarveSnapshot{Nodes: carve.NodesOf(fleet)}, carve.Policy{}, now)
	if err != nil {
		t.Fatal(err)
	}
	tenants := []string{"t-a", "t-b", "t-c", "t-d", "t-e", "t-f"}
	intents := map[string]fabric.Intent{}
	var prior []fabric.Allocation
	// value → who held it, and when it was released (zero: still held).
	type holdKey struct {
		fabric string
		kind   fabric.AllocKind
		value  string
	}
	type holder struct {
		tenant   string
		released time.Time
	}
	holders := map[holdKey]holder{}
	nblock, busy := 0, 0
	defer func() {
		if busy < steps/4 {
			t.Errorf("only %d of %d steps had two tenants with networks on devices: the churn tests little", busy, steps)
		}
	}()
	for step := 0; step < steps; step++ {
		var op string
		switch x := r.IntN(10); {
		case x < 3:
			op = "carve"
			tn := tenants[r.IntN(len(tenants))]
			nblock++
			p, err := st.Place(carve.Request{Block: fmt.Sprintf("b%d", nblock), Tenant: tn, GPUs: 8 * (1 + r.IntN(8))})
			if err == nil {
				if err := st.Apply(p); err != nil {
					t.Fatal(err)
				}
			}
		case x < 4:
			op = "release block"
			if bs := st.Blocks(); len(bs) > 0 {
				b, _ := st.Block(bs[r.IntN(len(bs))])
				if err := st.Apply(&carve.Plan{Op: "release", Before: &b}); err != nil {
					t.Fatal(err)
				}
			}
		case x < 7:
			op = "set network"
			tn := tenants[r.IntN(len(tenants))]
			in := fabric.Intent{Tenant: tn, Compute: r.IntN(4) > 0, Storage: true, State: fabric.Active}
			if r.IntN(5) == 0 {
				// An override that may collide; a refused compile must
				// leave the previous state, as the API does.
				in.Overrides.VLAN = 2000 + r.IntN(4)
			}
			intents[tn] = in
		case x < 8:
			op = "release network"
			tn := tenants[r.IntN(len(tenants))]
			if in, ok := intents[tn]; ok && r.IntN(2) == 0 {
				in.State = fabric.Releasing
				intents[tn] = in
			} else {
				delete(intents, tn)
			}
		default:
			op = "time passes"
			now = now.Add(time.Duration(1+r.IntN(30)) * time.Hour)
		}
		var blocks []model.Block
		for _, name := range st.Blocks() {
			b, _ := st.Block(name)
			blocks = append(blocks, b)
		}
		var ins []fabric.Intent
		for _, in := range intents {
			ins = append(ins, in)
		}
		plan, err := fabric.Compile(fabric.Snapshot{Fleet: fleet, Blocks: blocks}, ins, prior, fabric.Settings{}, now)
		if err != nil {
			// Refused (an override collides): the intent is not kept.
			t.Logf("step %d %s: refused: %v", step, op, err)
			for tn, in := range intents {
				if in.Overrides != (fabric.Overrides{}) {
					in.Overrides = fabric.Overrides{}
					intents[tn] = in
				}
			}
			continue
		}
		prior = plan.Allocations
		checkNoSharing(t, step, plan)
		withNets := 0
		for _, tp := range plan.Tenants {
			if len(tp.Fabrics) > 0 {
				withNets++
			}
		}
		if withNets >= 2 {
			busy++
		}
		// Holds: a value moves to another tenant only after its hold.
		for _, a := range plan.Allocations {
			k := holdKey{a.Fabric, a.Kind, a.Value}
			h, seen := holders[k]
			if seen && h.tenant != a.Tenant && a.ReleasedAt.IsZero() {
				if h.released.IsZero() || now.Sub(h.released) < 24*time.Hour {
					t.Fatalf("step %d: %s %s on %q moved from %s (released %v) to %s at %v, inside the hold", step, a.Kind, a.Value, a.Fabric, h.tenant, h.released, a.Tenant, now)
				}
			}
			if !seen || h.tenant != a.Tenant || !a.ReleasedAt.IsZero() {
				holders[k] = holder{a.Tenant, a.ReleasedAt}
			}
		}
	}
}

func checkNoSharing(t *testing.T, step int, plan *fabric.Plan) {
	t.Helper()
	owner := map[string]string{}
	claim := func(what, tenant string) {
		if o, ok := owner[what]; ok && o != tenant {
			t.Fatalf("step %d: %s shared by %s and %s", step, what, o, tenant)
		}
		owner[what] = tenant
	}
	type sub struct {
		p      netip.Prefix
		tenant string
	}
	var subs []sub
	for _, d := range plan.Devices {
		segTenant := map[int]string{}
		for _, v := range d.VRFs {
			if v.Tenant == "" {
				continue
			}
			claim(fmt.Sprint("l3vni ", v.L3VNI), v.Tenant)
			claim(fmt.Sprint("rt ", v.ImportRTs[0]), v.Tenant)
			for _, rt := range v.ImportRTs {
				if rt == "65000:299998" {
					t.Fatalf("step %d: tenant %s imports the storage-client RT", step, v.Tenant)
				}
			}
		}
		for _, s := range d.Segments {
			claim(fmt.Sprint("l2vni ", s.L2VNI), s.Tenant)
			if o, ok := segTenant[s.VLAN]; ok && o != s.Tenant {
				t.Fatalf("step %d: %s VLAN %d shared by %s and %s", step, d.Device, s.VLAN, o, s.Tenant)
			}
			segTenant[s.VLAN] = s.Tenant
			subs = append(subs, sub{netip.MustParsePrefix(s.Gateway).Masked(), s.Tenant})
		}
		for _, p := range d.Ports {
			if p.VLAN != 0 && segTenant[p.VLAN] != p.Tenant {
				t.Fatalf("step %d: %s port %s of %s carries VLAN %d of %s", step, d.Device, p.Name, p.Tenant, p.VLAN, segTenant[p.VLAN])
			}
		}
		guid := map[string]string{}
		for _, pa := range d.Partitions {
			claim(fmt.Sprint("pkey ", d.Fabric, pa.PKey), pa.Tenant)
			for _, m := range pa.Members {
				if o, ok := guid[m.GUID]; ok && o != pa.Tenant {
					t.Fatalf("step %d: GUID %s in partitions of %s and %s", step, m.GUID, o, pa.Tenant)
				}
				guid[m.GUID] = pa.Tenant
			}
		}
	}
	sort.Slice(subs, func(i, j int) bool { return subs[i].p.Addr().Less(subs[j].p.Addr()) })
	for i := range subs {
		for j := i + 1; j < len(subs); j++ {
			if subs[i].tenant != subs[j].tenant && subs[i].p.Overlaps(subs[j].p) {
				t.Fatalf("step %d: subnets %s (%s) and %s (%s) overlap", step, subs[i].p, subs[i].tenant, subs[j].p, subs[j].tenant)
			}
		}
	}
}
