package mainttest_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/railyard/railyard/internal/carve"
	"github.com/railyard/railyard/internal/fleetgen"
	"github.com/railyard/railyard/internal/maintenance"
	"github.com/railyard/railyard/internal/maintenance/mainttest"
	"github.com/railyard/railyard/internal/model"
	samples "github.com/railyard/railyard/inventory-samples"
)

func TestLimitOf(t *testing.T) {
	p := func(v float64) *float64 { return &v }
	c := func(v int) *int { return &v }
	for _, tc := range []struct {
		l      maintenance.Limit
		total  int
		floor1 bool
		want   int
	}{
		{maintenance.Limit{}, 50, true, 50},
		{maintenance.Limit{Count: c(4)}, 50, true, 4},
		{maintenance.Limit{Count: c(60)}, 50, true, 50},
		{maintenance.Limit{Percent: p(1)}, 50, false, 0},
		{maintenance.Limit{Percent: p(1)}, 50, true, 1},
		{maintenance.Limit{Percent: p(0)}, 50, true, 0},
		{maintenance.Limit{Percent: p(5)}, 20, false, 1},
		{maintenance.Limit{Percent: p(5)}, 127, true, 6},
		{maintenance.Limit{Percent: p(12.5)}, 8, false, 1},
		{maintenance.Limit{Percent: p(33)}, 100, false, 33},
		{maintenance.Limit{Percent: p(10)}, 0, true, 0},
		{maintenance.Limit{Count: c(3), Percent: p(50)}, 4, false, 2},
		{maintenance.Limit{Count: c(1), Percent: p(50)}, 4, false, 1},
		{maintenance.Limit{Count: c(0)}, 4, true, 0},
	} {
		if got := mainttest.LimitOf(tc.l, tc.total, tc.floor1); got != tc.want {
			t.Errorf("LimitOf(%s, %d, %v) = %d, want %d", tc.l, tc.total, tc.floor1, got, tc.want)
		}
		// The planner's own arithmetic must agree with the re-implementation.
		if got := tc.l.Of(tc.total, tc.floor1); got != tc.want {
			t.Errorf("Limit(%s).Of(%d, %v) = %d, want %d", tc.l, tc.total, tc.floor1, got, tc.want)
		}
	}
}

func superpod(t testing.TB) *model.CarveSnapshot {
	t.Helper()
	f, err := samples.Load("superpod-4su")
	if err != nil {
		t.Fatal(err)
	}
	return mainttest.Snapshot(f)
}

func TestBuild(t *testing.T) {
	base := superpod(t)
	o := mainttest.Options{Seed: 7, Allocated: 0.7, Spares: 0.05, Standby: true}
	sc, err := mainttest.Build(base, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(base.Blocks) != 0 || len(base.Reservations) != 0 {
		t.Fatal("Build changed its input")
	}
	if sc.Nodes != 127 || sc.Allocated != 89 || len(sc.Spares) != 6 || sc.Allocated+len(sc.Spares)+len(sc.Standby) != 127 {
		t.Errorf("nodes %d, allocated %d, spares %d, standby %d: want 127 = 89 + 6 + 32", sc.Nodes, sc.Allocated, len(sc.Spares), len(sc.Standby))
	}
	if len(sc.Tenants) < 3 {
		t.Errorf("tenants %v: want several", sc.Tenants)
	}
	leaf := map[string]string{}
	for _, c := range sc.Snapshot.Nodes {
		leaf[c.Node] = c.LeafDomain
	}
	// Spares spread evenly: every leaf domain has 1 or 2 of the 6.
	per := map[string]int{}
	for _, s := range sc.Spares {
		per[leaf[s]]++
	}
	for l, n := range per {
		if n < 1 || n > 2 {
			t.Errorf("leaf domain %s has %d spares", l, n)
		}
	}
	if len(per) != 4 {
		t.Errorf("spares in %d leaf domains, want 4: %v", len(per), per)
	}
	// Every node is in a block, a spare, or on standby, never two.
	role := map[string]string{}
	set := func(n, r string) {
		if old, ok := role[n]; ok && old != r {
			t.Errorf("node %s is %s and %s", n, old, r)
		}
		role[n] = r
	}
	sizes, inLeaf := map[int]int{}, 0
	for _, b := range sc.Snapshot.Blocks {
		leaves := map[string]bool{}
		for _, m := range b.Members {
			set(m.Node, "allocated")
			leaves[leaf[m.Node]] = true
		}
		if len(leaves) == 1 {
			inLeaf++
		}
		if len(b.Members) > 16 {
			t.Errorf("block %s has %d nodes, want at most 16", b.Name, len(b.Members))
		}
		sizes[len(b.Members)]++
	}
	for _, s := range sc.Spares {
		set(s, "spare")
	}
	for _, r := range sc.Snapshot.Reservations {
		if r.Tenant != mainttest.StandbyTenant {
			t.Errorf("reservation %s for %s", r.Name, r.Tenant)
		}
		for _, n := range r.Nodes {
			set(n, "standby")
		}
	}
	if len(role) != 127 {
		t.Errorf("%d nodes have a role, want 127", len(role))
	}
	if len(sizes) < 3 || inLeaf < len(sc.Snapshot.Blocks)*3/4 {
		t.Errorf("block sizes %v, %d of %d inside one leaf domain: want mixed sizes, mostly in one leaf domain", sizes, inLeaf, len(sc.Snapshot.Blocks))
	}
	// Deterministic given the seed, and the seed matters.
	again, err := mainttest.Build(base, o)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sc, again); diff != "" {
		t.Errorf("same seed, different scenario:\n%s", diff)
	}
	o.Seed = 8
	other, err := mainttest.Build(base, o)
	if err != nil {
		t.Fatal(err)
	}
	if cmp.Equal(sc.Snapshot.Blocks, other.Snapshot.Blocks) {
		t.Error("seeds 7 and 8 carved the same blocks")
	}
	// The engine accepts the result.
	if _, err := carve.NewState(sc.Snapshot, carve.Policy{SubNode: true}, time.Time{}); err != nil {
		t.Fatal(err)
	}
}

func TestBuildEmptyAndFull(t *testing.T) {
	base := superpod(t)
	sc, err := mainttest.Build(base, mainttest.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if sc.Allocated != 0 || len(sc.Snapshot.Blocks) != 0 || len(sc.Spares) != 0 {
		t.Errorf("empty: allocated %d, blocks %d, spares %d", sc.Allocated, len(sc.Snapshot.Blocks), len(sc.Spares))
	}
	sc, err = mainttest.Build(base, mainttest.Options{Seed: 1, Allocated: 1, Spares: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	if sc.Allocated+len(sc.Spares) != 127 || len(sc.Spares) != 13 {
		t.Errorf("full: allocated %d + spares %d, want 114 + 13", sc.Allocated, len(sc.Spares))
	}
	if _, err := mainttest.Build(base, mainttest.Options{Allocated: 1.5}); err == nil {
		t.Error("a share above 1 was accepted")
	}
}

// fixture is a 2-SU H100 fleet with block acme-1 on the first two nodes
// of su01, initech-1 on the first node of its rack 4, and globex-1 on the
// first node of su02.
func fixture(t *testing.T) *model.CarveSnapshot {
	t.Helper()
	f, err := fleetgen.Generate(fleetgen.Spec{GPUs: 64 * 8, Name: "two"})
	if err != nil {
		t.Fatal(err)
	}
	snap := mainttest.Snapshot(f)
	all := []int{0, 1, 2, 3, 4, 5, 6, 7}
	gm := snap.Nodes[0].GPUModel
	snap.Blocks = []model.Block{
		{Name: "acme-1", Tenant: "acme", GPUModel: gm, GPUs: 16, Required: "leaf", Generation: 1,
			Members: []model.BlockMember{{Node: "two-su01-r01-n01", GPUs: all}, {Node: "two-su01-r01-n02", GPUs: all}}},
		{Name: "initech-1", Tenant: "initech", GPUModel: gm, GPUs: 8, Required: "leaf", Generation: 1,
			Members: []model.BlockMember{{Node: "two-su01-r04-n01", GPUs: all}}},
		{Name: "globex-1", Tenant: "globex", GPUModel: gm, GPUs: 8, Required: "leaf", Generation: 1,
			Members: []model.BlockMember{{Node: "two-su02-r01-n01", GPUs: all}}},
	}
	return snap
}

// cordonLeaf cordons every node of su01 but the named ones.
func cordonLeaf(snap *model.CarveSnapshot, keep ...string) {
	for i := range snap.Nodes {
		c := &snap.Nodes[i]
		if c.LeafDomain == "two-su01" && !slices.Contains(keep, c.Node) {
			c.Cordoned = true
		}
	}
}

var monday = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

func idle(n string) maintenance.Admission {
	return maintenance.Admission{Node: n, Mode: maintenance.ModeIdle}
}

func drain(n string, blocks ...string) maintenance.Admission {
	return maintenance.Admission{Node: n, Mode: maintenance.ModeDrain, Blocks: blocks}
}

func swapWith(t *testing.T, snap *model.CarveSnapshot, block, node string) maintenance.Admission {
	t.Helper()
	st, err := carve.NewState(snap, carve.Policy{SubNode: true}, monday)
	if err != nil {
		t.Fatal(err)
	}
	p, err := st.Swap(block, node)
	if err != nil {
		t.Fatal(err)
	}
	return maintenance.Admission{Node: node, Mode: maintenance.ModeSwap, Blocks: []string{block}, Swaps: []*carve.Plan{p}, Spares: []string{p.Added[0].Node}}
}

// moveSpare rewrites a swap so that its spare is another node.
func moveSpare(a maintenance.Admission, spare string) maintenance.Admission {
	p := *a.Swaps[0]
	after := *p.After
	after.Members = slices.Clone(after.Members)
	for i, m := range after.Members {
		if m.Node == a.Spares[0] {
			after.Members[i].Node = spare
		}
	}
	p.After = &after
	p.Added = []model.BlockMember{{Node: spare, GPUs: p.Added[0].GPUs}}
	a.Swaps, a.Spares = []*carve.Plan{&p}, []string{spare}
	return a
}

func TestChecker(t *testing.T) {
	count := func(n int) *maintenance.Limit { l := maintenance.Count(n); return &l }
	for _, tc := range []struct {
		name    string
		spec    func(*maintenance.Spec)
		fleet   func(*model.CarveSnapshot)
		at      time.Time
		offline []string
		admit   func(*testing.T, *model.CarveSnapshot) []maintenance.Admission
		want    []string // substrings, one per violation; none for a clean round
	}{
		{name: "idle within budget",
			admit: func(*testing.T, *model.CarveSnapshot) []maintenance.Admission {
				return []maintenance.Admission{idle("two-su01-r02-n01"), idle("two-su02-r02-n01")}
			}},
		{name: "fleet budget", offline: []string{"two-su02-r05-n01", "elsewhere-node"},
			admit: func(*testing.T, *model.CarveSnapshot) []maintenance.Admission {
				return []maintenance.Admission{idle("two-su01-r02-n01"), idle("two-su02-r02-n01")}
			},
			want: []string{"fleet budget: 4 nodes offline"}},
		{name: "fleet budget counts nodes only offline elsewhere", offline: []string{"x1", "x2", "x3"},
			admit: func(*testing.T, *model.CarveSnapshot) []maintenance.Admission {
				return []maintenance.Admission{idle("two-su01-r02-n01")}
			},
			want: []string{"fleet budget"}},
		{name: "rack budget",
			spec: func(s *maintenance.Spec) {
				s.Budget.Domains = []maintenance.DomainLimit{{Level: "rack", Limit: maintenance.Count(1)}}
			},
			offline: []string{"two-su01-r02-n02"},
			admit: func(*testing.T, *model.CarveSnapshot) []maintenance.Admission {
				return []maintenance.Admission{idle("two-su01-r02-n01"), idle("two-su01-r03-n01")}
			},
			want: []string{"rack budget: 2 nodes of rack two-su01-r02"}},
		{name: "leaf budget by percent, untouched domain over its limit is not this round's doing",
			spec: func(s *maintenance.Spec) {
				s.Budget.Domains = []maintenance.DomainLimit{{Level: "leaf", Limit: maintenance.Percent(5)}}
			},
			offline: []string{"two-su02-r02-n02", "two-su02-r02-n03"},
			admit: func(*testing.T, *model.CarveSnapshot) []maintenance.Admission {
				return []maintenance.Admission{idle("two-su01-r02-n01")}
			}},
		{name: "drain with tenant budget 0",
			fleet: func(s *model.CarveSnapshot) { cordonLeaf(s, "two-su01-r01-n01", "two-su01-r01-n02") },
			admit: func(*testing.T, *model.CarveSnapshot) []maintenance.Admission {
				return []maintenance.Admission{drain("two-su01-r01-n01", "acme-1")}
			},
			want: []string{"tenant acme budget: 1 of its 2 block nodes out"}},
		{name: "drain within tenant budget, no spare",
			spec:  func(s *maintenance.Spec) { s.Budget.Tenant.Max = count(1) },
			fleet: func(s *model.CarveSnapshot) { cordonLeaf(s, "two-su01-r01-n01", "two-su01-r01-n02") },
			admit: func(*testing.T, *model.CarveSnapshot) []maintenance.Admission {
				return []maintenance.Admission{drain("two-su01-r01-n01", "acme-1")}
			}},
		{name: "drain over an override, the default allowing it",
			spec: func(s *maintenance.Spec) {
				s.Budget.Tenant.Max = count(2)
				s.Budget.Tenants = map[string]maintenance.TenantBudget{"acme": {Max: count(1)}}
			},
			fleet:   func(s *model.CarveSnapshot) { cordonLeaf(s, "two-su01-r01-n01", "two-su01-r01-n02") },
			offline: []string{"two-su01-r01-n02"},
			admit: func(*testing.T, *model.CarveSnapshot) []maintenance.Admission {
				return []maintenance.Admission{drain("two-su01-r01-n01", "acme-1")}
			},
			want: []string{"tenant acme budget: 2 of its 2"}},
		{name: "drain inside the tenant's window",
			spec: func(s *maintenance.Spec) {
				s.Budget.Tenant.Windows = []string{"Mon 08:00-10:00"}
			},
			fleet: func(s *model.CarveSnapshot) { cordonLeaf(s, "two-su01-r01-n01", "two-su01-r01-n02") },
			admit: func(*testing.T, *model.CarveSnapshot) []maintenance.Admission {
				return []maintenance.Admission{drain("two-su01-r01-n01", "acme-1"), drain("two-su01-r01-n02", "acme-1")}
			}},
		{name: "drain over window_max inside the window",
			spec: func(s *maintenance.Spec) {
				s.Budget.Tenant.Windows, s.Budget.Tenant.WindowMax = []string{"Mon 08:00-10:00"}, count(1)
			},
			fleet: func(s *model.CarveSnapshot) { cordonLeaf(s, "two-su01-r01-n01", "two-su01-r01-n02") },
			admit: func(*testing.T, *model.CarveSnapshot) []maintenance.Admission {
				return []maintenance.Admission{drain("two-su01-r01-n01", "acme-1"), drain("two-su01-r01-n02", "acme-1")}
			},
			want: []string{"tenant acme budget: 2 of its 2"}},
		{name: "drain outside the tenant's window", at: monday.Add(2 * time.Hour),
			spec: func(s *maintenance.Spec) {
				s.Budget.Tenant.Windows = []string{"Mon 08:00-10:00"}
			},
			fleet: func(s *model.CarveSnapshot) { cordonLeaf(s, "two-su01-r01-n01", "two-su01-r01-n02") },
			admit: func(*testing.T, *model.CarveSnapshot) []maintenance.Admission {
				return []maintenance.Admission{drain("two-su01-r01-n01", "acme-1")}
			},
			want: []string{"tenant acme budget: 1 of its 2 block nodes out without a replacement after this round took two-su01-r01-n01 (0 before), limit 0 (max unset)"}},
		{name: "drain while a spare is free",
			spec: func(s *maintenance.Spec) { s.Budget.Tenant.Max = count(1) },
			fleet: func(s *model.CarveSnapshot) {
				cordonLeaf(s, "two-su01-r01-n01", "two-su01-r01-n02", "two-su01-r08-n04")
			},
			admit: func(*testing.T, *model.CarveSnapshot) []maintenance.Admission {
				return []maintenance.Admission{drain("two-su01-r01-n01", "acme-1")}
			},
			want: []string{"tenant acme lost a GPU while a spare existed: two-su01-r01-n01 drained from acme-1 although two-su01-r08-n04"}},
		{name: "drain while the only free node is reserved for another tenant, unhealthy, or offline",
			spec: func(s *maintenance.Spec) { s.Budget.Tenant.Max = count(1) },
			fleet: func(s *model.CarveSnapshot) {
				cordonLeaf(s, "two-su01-r01-n01", "two-su01-r01-n02", "two-su01-r08-n04", "two-su01-r08-n03", "two-su01-r08-n02")
				s.Reservations = []model.Reservation{{Name: "r", Tenant: "globex", Nodes: []string{"two-su01-r08-n04"}}}
				for i := range s.Nodes {
					if s.Nodes[i].Node == "two-su01-r08-n03" {
						s.Nodes[i].UnhealthyGPUs = []int{5}
					}
				}
			},
			offline: []string{"two-su01-r08-n02"},
			admit: func(*testing.T, *model.CarveSnapshot) []maintenance.Admission {
				return []maintenance.Admission{drain("two-su01-r01-n01", "acme-1")}
			}},
		{name: "drain while a spare in another leaf domain is free",
			spec:  func(s *maintenance.Spec) { s.Budget.Tenant.Max = count(1) },
			fleet: func(s *model.CarveSnapshot) { cordonLeaf(s, "two-su01-r01-n01", "two-su01-r01-n02") },
			admit: func(*testing.T, *model.CarveSnapshot) []maintenance.Admission {
				return []maintenance.Admission{drain("two-su01-r01-n01", "acme-1")}
			}},
		{name: "swap with the carving engine's spare",
			admit: func(t *testing.T, s *model.CarveSnapshot) []maintenance.Admission {
				return []maintenance.Admission{swapWith(t, s, "acme-1", "two-su01-r01-n01")}
			}},
		{name: "swap with a spare from another leaf domain",
			admit: func(t *testing.T, s *model.CarveSnapshot) []maintenance.Admission {
				return []maintenance.Admission{moveSpare(swapWith(t, s, "acme-1", "two-su01-r01-n01"), "two-su02-r08-n04")}
			},
			want: []string{"swap of two-su01-r01-n01 (leaf domain two/two-pod1/two-su01): spare two-su02-r08-n04 is in leaf domain two/two-pod1/two-su02"}},
		{name: "swap with a spare offline for maintenance",
			offline: []string{"two-su01-r08-n04"},
			admit: func(t *testing.T, s *model.CarveSnapshot) []maintenance.Admission {
				return []maintenance.Admission{moveSpare(swapWith(t, s, "acme-1", "two-su01-r01-n01"), "two-su01-r08-n04")}
			},
			want: []string{"spare two-su01-r08-n04 is offline", "tenant acme budget: 1 of its 2 block nodes out without a replacement after this round took two-su01-r08-n04"}},
		{name: "swap with a spare in another block",
			admit: func(t *testing.T, s *model.CarveSnapshot) []maintenance.Admission {
				return []maintenance.Admission{moveSpare(swapWith(t, s, "acme-1", "two-su01-r01-n01"), "two-su01-r04-n01")}
			},
			want: []string{"spare two-su01-r04-n01's GPUs [0 1 2 3 4 5 6 7] are already in a block"}},
		{name: "swap with a spare that is cordoned",
			fleet: func(s *model.CarveSnapshot) { cordonLeaf(s, "two-su01-r01-n01", "two-su01-r01-n02") },
			admit: func(t *testing.T, s *model.CarveSnapshot) []maintenance.Admission {
				return []maintenance.Admission{moveSpare(swapWith(t, fixture(t), "acme-1", "two-su01-r01-n01"), "two-su01-r08-n04")}
			},
			want: []string{"spare two-su01-r08-n04 is available (cordoned true)"}},
		{name: "two swaps planned on the same block as it stood",
			admit: func(t *testing.T, s *model.CarveSnapshot) []maintenance.Admission {
				return []maintenance.Admission{swapWith(t, s, "acme-1", "two-su01-r01-n01"), swapWith(t, s, "acme-1", "two-su01-r01-n02")}
			},
			want: []string{"plan for block acme-1 does not follow the block as it stood (generation 2, plan from 1)", "tenant acme budget: 1 of its 2"}},
		{name: "idle admission of a block's node",
			admit: func(*testing.T, *model.CarveSnapshot) []maintenance.Admission {
				return []maintenance.Admission{idle("two-su02-r01-n01")}
			},
			want: []string{"admitted two-su02-r01-n01 as idle, but it is in globex-1", "tenant globex budget: 1 of its 1"}},
		{name: "admission of a node already offline", offline: []string{"two-su01-r05-n01"},
			admit: func(*testing.T, *model.CarveSnapshot) []maintenance.Admission {
				return []maintenance.Admission{idle("two-su01-r05-n01")}
			},
			want: []string{"already offline"}},
		{name: "admission outside the campaign's windows",
			spec: func(s *maintenance.Spec) { s.Windows = []string{"Sat,Sun 00:00-24:00"} },
			admit: func(*testing.T, *model.CarveSnapshot) []maintenance.Admission {
				return []maintenance.Admission{idle("two-su01-r05-n01")}
			},
			want: []string{"campaign calendar closed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := &maintenance.Spec{Action: maintenance.Action{Kind: maintenance.ActionPowerCycle}, Budget: maintenance.Budget{Fleet: maintenance.Count(3)}}
			if tc.spec != nil {
				tc.spec(spec)
			}
			snap := fixture(t)
			if tc.fleet != nil {
				tc.fleet(snap)
			}
			at := tc.at
			if at.IsZero() {
				at = monday
			}
			off := map[string]bool{}
			for _, n := range tc.offline {
				off[n] = true
			}
			chk, err := mainttest.NewChecker(spec)
			if err != nil {
				t.Fatal(err)
			}
			chk.Observe(&maintenance.Round{At: at, Fleet: snap, Offline: off, Decision: &maintenance.Decision{Admit: tc.admit(t, snap)}})
			got := chk.Violations()
			if len(got) != len(tc.want) {
				t.Fatalf("got %d violations, want %d:\n%s", len(got), len(tc.want), strings.Join(got, "\n"))
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("violation %d = %q, want it to say %q", i, got[i], w)
				}
			}
		})
	}
}

func TestCheckerAcrossRounds(t *testing.T) {
	spec := &maintenance.Spec{Action: maintenance.Action{Kind: maintenance.ActionPowerCycle}, Budget: maintenance.Budget{Fleet: maintenance.Count(3)}}
	chk, err := mainttest.NewChecker(spec)
	if err != nil {
		t.Fatal(err)
	}
	snap := fixture(t)
	d := &maintenance.Decision{Admit: []maintenance.Admission{idle("two-su01-r05-n01")}}
	chk.Observe(&maintenance.Round{At: monday, Fleet: snap, Offline: map[string]bool{}, Decision: d})
	chk.Observe(&maintenance.Round{At: monday.Add(time.Hour), Fleet: snap, Offline: map[string]bool{}, Decision: d})
	if v := chk.Violations(); len(v) != 1 || !strings.Contains(v[0], "second time (first in round 1)") {
		t.Errorf("violations %q, want one for the second admission", v)
	}
	if chk.Rounds() != 2 || chk.Admissions() != 2 || !chk.Admitted("two-su01-r05-n01") {
		t.Errorf("rounds %d, admissions %d", chk.Rounds(), chk.Admissions())
	}
}

func TestProblems(t *testing.T) {
	nodes := []maintenance.NodeStatus{{Node: "a", Phase: maintenance.PhasePending}, {Node: "b", Phase: maintenance.PhasePending}, {Node: "c", Phase: maintenance.PhasePending}}
	res := &maintenance.SimResult{
		Stopped: "paused: 1 nodes failed (stop at 1)",
		Waves:   []maintenance.Wave{{Index: 1, Nodes: []string{"a", "b"}}, {Index: 2, Nodes: []string{"a"}}},
		Nodes: []maintenance.NodePlan{
			{NodeStatus: maintenance.NodeStatus{Node: "a", Phase: maintenance.PhaseFailed, Wave: 2}},
			{NodeStatus: maintenance.NodeStatus{Node: "b", Phase: maintenance.PhaseActing, Wave: 1}},
			{NodeStatus: maintenance.NodeStatus{Node: "c", Phase: maintenance.PhasePending}},
		},
	}
	want := []string{
		"node a admitted in waves 1 and 2",
		"node b ends acting (stopped: \"paused: 1 nodes failed (stop at 1)\")",
		"node c ends pending with no held reason",
	}
	if diff := cmp.Diff(want, mainttest.Problems(nodes, res)); diff != "" {
		t.Errorf("Problems (-want +got):\n%s", diff)
	}
}

func TestSpareBound(t *testing.T) {
	snap := fixture(t)
	// su01: 3 allocated nodes, 29 free; su02: 1 and 31.
	b, ok := mainttest.SpareBound(snap, monday, time.Hour, 2*time.Minute)
	if !ok || b != time.Hour+2*time.Minute {
		t.Errorf("SpareBound = %v, %v; want 1h2m", b, ok)
	}
	cordonLeaf(snap, "two-su01-r01-n01", "two-su01-r01-n02", "two-su01-r08-n04")
	if b, ok = mainttest.SpareBound(snap, monday, time.Hour, 2*time.Minute); !ok || b != 3*(time.Hour+2*time.Minute) {
		t.Errorf("SpareBound with one free node = %v, %v; want 3h6m", b, ok)
	}
	cordonLeaf(snap, "two-su01-r01-n01", "two-su01-r01-n02")
	if _, ok = mainttest.SpareBound(snap, monday, time.Hour, 0); ok {
		t.Error("SpareBound with no free node in a leaf domain holding blocks says ok")
	}
}

// TestRunSuperpod runs the benchmark's allocated case on the sample: the
// planner swaps every allocated node, drains none and breaks no budget.
func TestRunSuperpod(t *testing.T) {
	sc, err := mainttest.Build(superpod(t), mainttest.Options{Seed: 1, Allocated: 0.7, Spares: 0.05, Standby: true})
	if err != nil {
		t.Fatal(err)
	}
	spec := &maintenance.Spec{Action: maintenance.Action{Kind: maintenance.ActionPowerCycle}, Budget: maintenance.Budget{Fleet: maintenance.Percent(5)}, Estimate: maintenance.D(time.Hour)}
	o, err := mainttest.Run(mainttest.Campaign{Fleet: sc.Snapshot, Spec: spec, Sim: maintenance.SimOptions{Start: monday}})
	if err != nil {
		t.Fatal(err)
	}
	r := o.Result
	if len(o.Violations) > 0 || r.Stopped != "" || r.Swaps != sc.Allocated || r.Drains != 0 || o.Limit != 6 || r.LowerBound != o.LowerBound || o.LowerBound != 22*time.Hour {
		t.Errorf("violations %q, stopped %q, swaps %d of %d, drains %d, limit %d, bound %v (Simulate %v)",
			o.Violations, r.Stopped, r.Swaps, sc.Allocated, r.Drains, o.Limit, o.LowerBound, r.LowerBound)
	}
	if sb, _ := mainttest.SpareBound(sc.Snapshot, monday, time.Hour, 2*time.Minute); r.Duration < sb || r.Duration < o.LowerBound {
		t.Errorf("duration %v below a lower bound (%v, %v)", r.Duration, sb, o.LowerBound)
	}
}

// BenchmarkSimulate64SU simulates the benchmark's hardest case: a 64-SU
// fleet (2,048 nodes), 70% allocated, 5% spares, at a 5% fleet budget.
func BenchmarkSimulate64SU(b *testing.B) {
	f, err := fleetgen.Generate(fleetgen.Spec{GPUs: 64 * 256, Name: "su64"})
	if err != nil {
		b.Fatal(err)
	}
	sc, err := mainttest.Build(mainttest.Snapshot(f), mainttest.Options{Seed: 1, Allocated: 0.7, Spares: 0.05, Standby: true})
	if err != nil {
		b.Fatal(err)
	}
	spec := &maintenance.Spec{Action: maintenance.Action{Kind: maintenance.ActionPowerCycle}, Budget: maintenance.Budget{Fleet: maintenance.Percent(5)}, Estimate: maintenance.D(time.Hour)}
	cal, err := spec.Validate()
	if err != nil {
		b.Fatal(err)
	}
	nodes := mainttest.Pending(spec, sc.Snapshot)
	b.ResetTimer()
	for b.Loop() {
		r, err := maintenance.Simulate(spec, cal, sc.Snapshot, nodes, maintenance.SimOptions{Start: monday})
		if err != nil {
			b.Fatal(err)
		}
		if r.Stopped != "" {
			b.Fatal(r.Stopped)
		}
		b.ReportMetric(float64(len(r.Waves)), "waves")
		b.ReportMetric(r.Duration.Hours()/r.LowerBound.Hours(), "ratio")
	}
}
