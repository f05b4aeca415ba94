package carve

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/railyard/railyard/internal/model"
)

// shape builds a one-site fleet: pods × leaves × NVLink domains × nodes,
// each node with gpus GPUs. Names: p1, p1-l2, p1-l2-v3, p1-l2-v3-n4.
func shape(pods, leaves, nvls, nodes, gpus int) []model.NodeCapacity {
	var out []model.NodeCapacity
	for p := 1; p <= pods; p++ {
		for l := 1; l <= leaves; l++ {
			for v := 1; v <= nvls; v++ {
				for n := 1; n <= nodes; n++ {
					pod := fmt.Sprintf("p%d", p)
					leaf := fmt.Sprintf("%s-l%d", pod, l)
					nvl := fmt.Sprintf("%s-v%d", leaf, v)
					out = append(out, model.NodeCapacity{
						Node: fmt.Sprintf("%s-n%d", nvl, n), Site: "s", Pod: pod, LeafDomain: leaf,
						Rack: nvl, NVLinkDomain: nvl, GPUModel: "H100", GPUs: gpus, State: model.NodeAvailable,
					})
				}
			}
		}
	}
	return out
}

func newState(t testing.TB, nodes []model.NodeCapacity, blocks ...model.Block) *State {
	t.Helper()
	s, err := NewState(&model.CarveSnapshot{Nodes: nodes, Blocks: blocks}, Policy{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// occupy puts a block of the named nodes in the state.
func occupy(t testing.TB, s *State, name string, preemptible bool, nodes ...string) {
	t.Helper()
	b := model.Block{Name: name, Tenant: "other", GPUModel: "H100", Required: "site", Preemptible: preemptible, Generation: 1}
	for _, n := range nodes {
		i := s.topo.byName[n]
		b.Members = append(b.Members, model.BlockMember{Node: n, GPUs: allGPUs(s.topo.nodes[i].gpus)})
		b.GPUs += s.topo.nodes[i].gpus
	}
	if err := s.Apply(&Plan{After: &b}); err != nil {
		t.Fatal(err)
	}
}

func nodesOf(b *model.Block) []string {
	var out []string
	for _, m := range b.Members {
		out = append(out, m.Node)
	}
	return out
}

func mustPlace(t *testing.T, s *State, req Request) *Plan {
	t.Helper()
	p, err := s.Place(req)
	if err != nil {
		t.Fatalf("Place(%+v): %v", req, err)
	}
	return p
}

func TestTopologyDomainsAreContiguous(t *testing.T) {
	top := NewTopology(shape(2, 3, 2, 2, 8))
	if got, want := [4]int{top.Domains(LevelNVLink), top.Domains(LevelLeaf), top.Domains(LevelPod), top.Domains(LevelSite)}, [4]int{12, 6, 2, 1}; got != want {
		t.Fatalf("domains per level = %v, want %v", got, want)
	}
	for l := LevelNVLink; l <= LevelSite; l++ {
		for d := range top.Domains(l) {
			first, end := top.DomainNodes(l, d)
			for i := first; i < end; i++ {
				if top.DomainIndex(i, l) != d {
					t.Fatalf("%s %d: node %s belongs to %d", l, d, top.NodeName(i), top.DomainIndex(i, l))
				}
			}
			cf, ce := top.Children(l, d)
			for c := cf; c < ce; c++ {
				if top.Parent(l-1, c) != d {
					t.Fatalf("%s %d: child %d has parent %d", l, d, c, top.Parent(l-1, c))
				}
			}
		}
	}
}

func TestPlaceBestFit(t *testing.T) {
	// 2 pods × 2 leaves × 4 NVLink domains × 1 node of 8 GPUs (H100-like).
	tests := []struct {
		name     string
		occupied []string
		req      Request
		want     []string
		level    Level
	}{{
		name: "one node goes to the fullest leaf of the fullest pod",
		// p2-l1 has 1 free node; it is the tightest fit.
		occupied: []string{"p2-l1-v1-n1", "p2-l1-v2-n1", "p2-l1-v3-n1"},
		req:      Request{Tenant: "acme", GPUs: 8},
		want:     []string{"p2-l1-v4-n1"},
		level:    LevelNVLink,
	}, {
		name:     "a leaf-sized block takes a whole free leaf, sparing nothing",
		occupied: []string{"p1-l1-v1-n1"},
		req:      Request{Tenant: "acme", GPUs: 32, Required: LevelLeaf},
		want:     []string{"p1-l2-v1-n1", "p1-l2-v2-n1", "p1-l2-v3-n1", "p1-l2-v4-n1"},
		level:    LevelLeaf,
	}, {
		name:     "three nodes fill the broken leaf, not a whole one",
		occupied: []string{"p2-l2-v1-n1"},
		req:      Request{Tenant: "acme", GPUs: 24},
		want:     []string{"p2-l2-v2-n1", "p2-l2-v3-n1", "p2-l2-v4-n1"},
		level:    LevelLeaf,
	}, {
		name: "six nodes span two leaves of one pod, the broken ones",
		// p1: l1 has 3 free, l2 has 3 free; p2 whole. 6 nodes fit p1 exactly.
		occupied: []string{"p1-l1-v1-n1", "p1-l2-v1-n1"},
		req:      Request{Tenant: "acme", GPUs: 48},
		want:     []string{"p1-l1-v2-n1", "p1-l1-v3-n1", "p1-l1-v4-n1", "p1-l2-v2-n1", "p1-l2-v3-n1", "p1-l2-v4-n1"},
		level:    LevelPod,
	}, {
		name:     "five nodes: a whole leaf plus one node of the broken leaf",
		occupied: []string{"p1-l1-v1-n1", "p1-l1-v2-n1"},
		req:      Request{Tenant: "acme", GPUs: 40},
		want:     []string{"p1-l1-v3-n1", "p1-l2-v1-n1", "p1-l2-v2-n1", "p1-l2-v3-n1", "p1-l2-v4-n1"},
		level:    LevelPod,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newState(t, shape(2, 2, 4, 1, 8))
			if len(tt.occupied) > 0 {
				occupy(t, s, "busy", false, tt.occupied...)
			}
			p := mustPlace(t, s, tt.req)
			if diff := cmp.Diff(tt.want, nodesOf(p.After)); diff != "" {
				t.Errorf("nodes (-want +got):\n%s", diff)
			}
			if p.Level != tt.level {
				t.Errorf("level = %s, want %s", p.Level, tt.level)
			}
			if p.Spans[LevelLeaf] != p.Bounds[LevelLeaf] {
				t.Errorf("leaf span %d above the state-aware bound %d", p.Spans[LevelLeaf], p.Bounds[LevelLeaf])
			}
			// Deterministic: the same state and request give the same plan.
			again := mustPlace(t, s, tt.req)
			if diff := cmp.Diff(p.After, again.After); diff != "" {
				t.Errorf("second decision differs:\n%s", diff)
			}
		})
	}
}

func TestPlaceSkipsUnusableNodes(t *testing.T) {
	nodes := shape(1, 1, 4, 1, 8)
	nodes[0].State = model.NodeFailed
	nodes[1].Cordoned = true
	nodes[2].UnhealthyGPUs = []int{3}
	s := newState(t, nodes)
	p := mustPlace(t, s, Request{Tenant: "acme", GPUs: 8})
	if got := nodesOf(p.After); !cmp.Equal(got, []string{"p1-l1-v4-n1"}) {
		t.Fatalf("placed on %v, want the one healthy node", got)
	}
	_, err := s.Place(Request{Tenant: "acme", GPUs: 16})
	var r *Refusal
	if !errors.As(err, &r) || !r.Has("capacity") {
		t.Fatalf("want a capacity refusal, got %v", err)
	}
	for _, want := range []string{"only 8 H100 GPUs (1 nodes) are free", "1 failed", "1 cordoned", "1 with an unhealthy GPU"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not say %q", err, want)
		}
	}
}

func TestRefusalExplainsInNumbers(t *testing.T) {
	// 1 pod × 3 leaves × 4 nodes. Leaf 1 has a node in maintenance, leaf 2
	// two nodes in a block; 5 nodes in one leaf cannot fit anywhere.
	nodes := shape(1, 3, 4, 1, 8)
	nodes[0].State = model.NodeMaintenance
	s := newState(t, nodes)
	occupy(t, s, "busy", false, "p1-l2-v1-n1", "p1-l2-v2-n1")
	s.SetQuota(model.Quota{Tenant: "acme", GPUModel: "H100", GPUs: 24})
	_, err := s.Place(Request{Tenant: "acme", GPUs: 40, Required: LevelLeaf})
	var r *Refusal
	if !errors.As(err, &r) {
		t.Fatalf("want a refusal, got %v", err)
	}
	want := []Reason{
		{"quota", "quota allows 24 more H100 GPUs for acme (holds 0 of 24)"},
		{"fragmented", "the largest free leaf domain has 32 GPUs (4 nodes): p1-l3"},
		{"unavailable", "1 leaf domains have nodes in maintenance"},
	}
	if diff := cmp.Diff(want, r.Reasons); diff != "" {
		t.Errorf("reasons (-want +got):\n%s", diff)
	}
	if got, want := r.Request, "40 H100 GPUs (5 nodes) for acme within one leaf domain"; got != want {
		t.Errorf("request = %q, want %q", got, want)
	}
}

func TestQuotaIsNeverExceeded(t *testing.T) {
	s := newState(t, shape(1, 2, 4, 1, 8))
	s.SetQuota(model.Quota{Tenant: "acme", GPUModel: "H100", GPUs: 16})
	if err := s.Apply(mustPlace(t, s, Request{Tenant: "acme", GPUs: 16})); err != nil {
		t.Fatal(err)
	}
	_, err := s.Place(Request{Tenant: "acme", GPUs: 8})
	var r *Refusal
	if !errors.As(err, &r) || !r.Has("quota") {
		t.Fatalf("third node: want a quota refusal, got %v", err)
	}
	// Another tenant has no quota set, so it is not limited.
	mustPlace(t, s, Request{Tenant: "globex", GPUs: 48})
}

func TestReservations(t *testing.T) {
	nodes := shape(1, 2, 4, 1, 8)
	snap := &model.CarveSnapshot{Nodes: nodes, Reservations: []model.Reservation{
		{Name: "acme-next-week", Tenant: "acme", Level: "leaf", Domain: "p1-l1"},
		{Name: "expired", Tenant: "acme", Level: "leaf", Domain: "p1-l2", Until: time.Now().Add(-time.Hour)},
	}}
	s, err := NewState(snap, Policy{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// Others avoid the reserved leaf even when it is the better fit.
	p := mustPlace(t, s, Request{Tenant: "globex", GPUs: 32})
	if got := p.After.Members[0].Node; !strings.HasPrefix(got, "p1-l2") {
		t.Errorf("globex placed on %s, inside acme's reservation", got)
	}
	_, err = s.Place(Request{Tenant: "globex", GPUs: 40})
	var r *Refusal
	if !errors.As(err, &r) || !r.Has("reserved") {
		t.Errorf("globex asking for more than the unreserved capacity: want a reserved reason, got %v", err)
	}
	// The tenant holding the reservation fills it first.
	p = mustPlace(t, s, Request{Tenant: "acme", GPUs: 8})
	if got := p.After.Members[0].Node; !strings.HasPrefix(got, "p1-l1") {
		t.Errorf("acme placed on %s, outside its reservation", got)
	}
}

func TestSegmentsStayInTheirDomain(t *testing.T) {
	// GB200-like: 2 leaves × 4 racks × 6 trays of 4 GPUs; rack 1 of leaf 1
	// has 2 trays taken, so 4 are free: one segment of 3 fits, not two.
	s := newState(t, shape(1, 2, 4, 6, 4))
	occupy(t, s, "busy", false, "p1-l1-v1-n1", "p1-l1-v1-n2")
	p := mustPlace(t, s, Request{Tenant: "acme", GPUs: 4 * 12, SegmentNodes: 3})
	if p.After.SegmentLevel != "nvlink" {
		t.Fatalf("segment level = %q, want nvlink", p.After.SegmentLevel)
	}
	racks := map[int]map[string]bool{}
	for _, m := range p.After.Members {
		if racks[m.Segment] == nil {
			racks[m.Segment] = map[string]bool{}
		}
		racks[m.Segment][m.Node[:len("p1-l1-v1")]] = true
	}
	if len(racks) != 4 {
		t.Fatalf("%d segments, want 4", len(racks))
	}
	for seg, rs := range racks {
		if len(rs) != 1 {
			t.Errorf("segment %d spans racks %v", seg, rs)
		}
	}
	if _, err := s.Place(Request{Tenant: "acme", GPUs: 4 * 10, SegmentNodes: 3}); !errors.Is(err, ErrInvalid) {
		t.Errorf("10 nodes in segments of 3: want ErrInvalid, got %v", err)
	}
}

func TestSubNodeBlocksPack(t *testing.T) {
	s, err := NewState(&model.CarveSnapshot{Nodes: shape(1, 2, 2, 1, 8)}, Policy{SubNode: true}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var used []string
	for range 4 {
		p := mustPlace(t, s, Request{Tenant: "acme", GPUs: 2})
		if err := s.Apply(p); err != nil {
			t.Fatal(err)
		}
		used = append(used, p.After.Members[0].Node)
	}
	if diff := cmp.Diff([]string{"p1-l1-v1-n1", "p1-l1-v1-n1", "p1-l1-v1-n1", "p1-l1-v1-n1"}, used); diff != "" {
		t.Errorf("small blocks should pack onto one node (-want +got):\n%s", diff)
	}
	strict := newState(t, shape(1, 1, 1, 1, 8))
	if _, err := strict.Place(Request{Tenant: "acme", GPUs: 2}); !errors.Is(err, ErrInvalid) {
		t.Errorf("sub-node off: want ErrInvalid, got %v", err)
	}
}

func TestGrowStaysNear(t *testing.T) {
	s := newState(t, shape(2, 2, 4, 1, 8))
	p := mustPlace(t, s, Request{Block: "b", Tenant: "acme", GPUs: 16})
	if err := s.Apply(p); err != nil {
		t.Fatal(err)
	}
	leaf := p.After.Members[0].Node[:len("p1-l1")]
	g, err := s.Grow("b", 16)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range g.After.Members {
		if !strings.HasPrefix(m.Node, leaf) {
			t.Errorf("grown onto %s, outside the block's leaf %s", m.Node, leaf)
		}
	}
	if g.After.GPUs != 32 || len(g.Added) != 2 || g.After.Generation != 2 {
		t.Errorf("after grow: %d GPUs, %d added, generation %d", g.After.GPUs, len(g.Added), g.After.Generation)
	}
	if err := s.Apply(g); err != nil {
		t.Fatal(err)
	}
	// A leaf-bound block cannot grow past its leaf.
	lp := mustPlace(t, s, Request{Block: "c", Tenant: "acme", GPUs: 32, Required: LevelLeaf})
	if err := s.Apply(lp); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Grow("c", 8); err == nil {
		t.Error("grew a leaf-bound block out of its full leaf")
	}
}

func TestShrinkReleasesTheLoneliestNodes(t *testing.T) {
	s := newState(t, shape(1, 2, 4, 1, 8))
	b := model.Block{Name: "b", Tenant: "acme", GPUModel: "H100", GPUs: 40, Required: "site", Generation: 1}
	for _, n := range []string{"p1-l1-v1-n1", "p1-l1-v2-n1", "p1-l1-v3-n1", "p1-l1-v4-n1", "p1-l2-v1-n1"} {
		b.Members = append(b.Members, model.BlockMember{Node: n, GPUs: allGPUs(8)})
	}
	if err := s.Apply(&Plan{After: &b}); err != nil {
		t.Fatal(err)
	}
	p, err := s.Shrink("b", 8)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"p1-l2-v1-n1"}, nodesOf(&model.Block{Members: p.Removed})); diff != "" {
		t.Errorf("released (-want +got):\n%s", diff)
	}
	if p.Spans[LevelLeaf] != 1 {
		t.Errorf("after shrink the block spans %d leaves, want 1", p.Spans[LevelLeaf])
	}
}

func TestSwapPrefersTheSameDomain(t *testing.T) {
	s := newState(t, shape(1, 2, 2, 3, 4))
	p := mustPlace(t, s, Request{Block: "b", Tenant: "acme", GPUs: 8})
	if err := s.Apply(p); err != nil {
		t.Fatal(err)
	}
	failed := p.After.Members[0].Node
	s.MarkNode(int(s.topo.byName[failed]), string(model.NodeFailed))
	sw, err := s.Swap("b", failed)
	if err != nil {
		t.Fatal(err)
	}
	in := sw.Added[0].Node
	if in[:len("p1-l1-v1")] != failed[:len("p1-l1-v1")] {
		t.Errorf("spare %s is not in %s's NVLink domain", in, failed)
	}
	if err := s.Apply(sw); err != nil {
		t.Fatal(err)
	}
	if slices := nodesOf(sw.After); strings.Contains(strings.Join(slices, ","), failed) {
		t.Errorf("failed node still in the block: %v", slices)
	}
}

func TestDefragFreesAWholeLeaf(t *testing.T) {
	// 1 pod × 3 leaves × 4 nodes. Two preemptible one-node blocks sit in
	// leaves 1 and 2; a non-preemptible block fills three nodes of leaf 3.
	s := newState(t, shape(1, 3, 4, 1, 8))
	occupy(t, s, "a", true, "p1-l1-v1-n1")
	occupy(t, s, "b", true, "p1-l2-v1-n1")
	occupy(t, s, "fixed", false, "p1-l3-v1-n1", "p1-l3-v2-n1", "p1-l3-v3-n1")
	plan, err := s.Defrag(DefragOptions{MaxNodes: 1})
	if err != nil {
		t.Fatal(err)
	}
	if plan.NodesMoved != 1 || len(plan.Moves) != 1 {
		t.Fatalf("moved %d nodes in %d moves, want 1 in 1", plan.NodesMoved, len(plan.Moves))
	}
	if got, want := plan.Before.LargestLeafBlock, 24; got != want {
		t.Errorf("largest leaf block before = %d, want %d", got, want)
	}
	if got, want := plan.After.LargestLeafBlock, 32; got != want {
		t.Errorf("largest leaf block after = %d, want %d", got, want)
	}
	if plan.After.WholeLeafDomains != plan.Before.WholeLeafDomains+1 {
		t.Errorf("whole leaves %d → %d, want one more", plan.Before.WholeLeafDomains, plan.After.WholeLeafDomains)
	}
	// The plan is not applied.
	if f, _ := s.Fragmentation("", "H100"); f != plan.Before {
		t.Errorf("Defrag changed the state: %+v", f)
	}
	// Applied in order, the moves leave a consistent state.
	for _, m := range plan.Moves {
		if err := s.Apply(m); err != nil {
			t.Fatal(err)
		}
	}
	if f, _ := s.Fragmentation("", "H100"); f != plan.After {
		t.Errorf("after applying: %+v, plan said %+v", f, plan.After)
	}
}
