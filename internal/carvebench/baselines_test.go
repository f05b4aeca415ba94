package carvebench

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/railyard/railyard/internal/carve"
	"github.com/railyard/railyard/internal/model"
)

// tinyState builds a one-site fleet: pods of leaf domains of racks, each
// rack a number of nodes. With nvlRacks every rack is one NVLink domain
// (GB200-like, 4 GPUs a node); otherwise every node is its own (H100-like,
// 8 GPUs). Nodes are named pod-leaf-rack-nN, and the listed ones are
// marked failed so that no placement may use them.
func tinyState(t *testing.T, nvlRacks bool, pods map[string]map[string][]int, taken ...string) *carve.State {
	t.Helper()
	var nodes []model.NodeCapacity
	gpus := 8
	if nvlRacks {
		gpus = 4
	}
	for pod, leaves := range pods {
		for leaf, racks := range leaves {
			for r, n := range racks {
				rack := fmt.Sprintf("%s-%s-r%d", pod, leaf, r+1)
				for i := range n {
					c := model.NodeCapacity{
						Node: fmt.Sprintf("%s-n%d", rack, i+1), Site: "s", Pod: pod, LeafDomain: leaf, Rack: rack,
						GPUModel: "G", GPUs: gpus, State: model.NodeAvailable,
					}
					if nvlRacks {
						c.NVLinkDomain = rack + "-nvl"
					}
					nodes = append(nodes, c)
				}
			}
		}
	}
	s, err := carve.NewState(&model.CarveSnapshot{Nodes: nodes}, carve.Policy{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range taken {
		i, ok := s.Topology().NodeIndex(name)
		if !ok {
			t.Fatalf("no node %s", name)
		}
		s.MarkNode(i, string(model.NodeFailed))
	}
	return s
}

func memberNames(p *carve.Plan) []string {
	var out []string
	for _, m := range p.After.Members {
		out = append(out, m.Node)
	}
	return out
}

// TestBaselines checks that each baseline picks what its published
// description says on small hand-built fleets.
func TestBaselines(t *testing.T) {
	// H100-like: six leaf domains of 4 nodes (one rack each) in three pods.
	// Free nodes: l1 4, l2 4 (p1: 8), l3 2, l4 4 (p2: 6), l5 3, l6 4 (p3: 7).
	h100 := map[string]map[string][]int{
		"p1": {"l1": {4}, "l2": {4}},
		"p2": {"l3": {4}, "l4": {4}},
		"p3": {"l5": {4}, "l6": {4}},
	}
	h100Taken := []string{"p2-l3-r1-n1", "p2-l3-r1-n2", "p3-l5-r1-n1"}
	// GB200-like: racks of 3 nodes (an NVLink domain each), two per leaf.
	// Free: r1 3, r2 2 (l1: 5), r3 3, r4 1 (l2: 4).
	gb200 := map[string]map[string][]int{"p1": {"l1": {3, 3}, "l2": {3, 3}}}
	gb200Taken := []string{"p1-l1-r2-n1", "p1-l2-r2-n1", "p1-l2-r2-n2"}
	// Two pods of two leaf domains; free: l1 3, l2 1 (p1: 4), l3 2, l4 2
	// (p2: 4).
	twoPods := map[string]map[string][]int{"p1": {"l1": {4}, "l2": {4}}, "p2": {"l3": {4}, "l4": {4}}}
	twoPodsTaken := []string{"p1-l1-r1-n1", "p1-l2-r1-n1", "p1-l2-r1-n2", "p1-l2-r1-n3",
		"p2-l3-r1-n1", "p2-l3-r1-n2", "p2-l4-r1-n1", "p2-l4-r1-n2"}
	fleets := map[string]struct {
		pods    map[string]map[string][]int
		gb200   bool
		taken   []string
		perNode int
	}{
		"h100":     {h100, false, h100Taken, 8},
		"gb200":    {gb200, true, gb200Taken, 4},
		"two-pods": {twoPods, false, twoPodsTaken, 8},
	}

	n := func(prefix string, idx ...int) []string {
		var out []string
		for _, i := range idx {
			out = append(out, fmt.Sprintf("%s-n%d", prefix, i))
		}
		return out
	}
	cat := func(xs ...[]string) []string {
		var out []string
		for _, x := range xs {
			out = append(out, x...)
		}
		return out
	}

	tests := []struct {
		name     string
		fleet    string
		nodes    int
		required carve.Level
		want     map[string][]string
	}{
		{
			name: "2 nodes in one leaf domain", fleet: "h100", nodes: 2, required: carve.LevelLeaf,
			want: map[string][]string{
				FirstFit:     n("p1-l1-r1", 1, 2),
				WorstFit:     n("p1-l1-r1", 1, 2), // most free, lowest index
				KueueBestFit: n("p2-l3-r1", 3, 4), // smallest count that fits
				SlurmTree:    n("p2-l3-r1", 3, 4), // tightest leaf switch
				SlurmBlock:   n("p2-l3-r1", 3, 4), // fewest free base block that fits
			},
		},
		{
			name: "4 nodes, ties", fleet: "h100", nodes: 4, required: carve.LevelLeaf,
			want: map[string][]string{
				FirstFit:     n("p1-l1-r1", 1, 2, 3, 4),
				WorstFit:     n("p1-l1-r1", 1, 2, 3, 4),
				KueueBestFit: n("p1-l1-r1", 1, 2, 3, 4), // first in sort order
				SlurmTree:    n("p1-l1-r1", 1, 2, 3, 4), // a tie is not better
				SlurmBlock:   n("p3-l6-r1", 1, 2, 3, 4), // bnc <= best: the last
			},
		},
		{
			name: "3 nodes within a pod", fleet: "h100", nodes: 3, required: carve.LevelPod,
			want: map[string][]string{
				FirstFit:     n("p1-l1-r1", 1, 2, 3),
				WorstFit:     n("p1-l1-r1", 1, 2, 3),
				KueueBestFit: n("p2-l4-r1", 1, 2, 3), // tightest pod (6), then most free leaf
				SlurmTree:    n("p3-l5-r1", 2, 3, 4), // tightest leaf that holds it
				SlurmBlock:   n("p3-l5-r1", 2, 3, 4), // base block with fewest free that fits
			},
		},
		{
			name: "5 nodes within a pod", fleet: "h100", nodes: 5, required: carve.LevelPod,
			want: map[string][]string{
				FirstFit: cat(n("p1-l1-r1", 1, 2, 3, 4), n("p1-l2-r1", 1)),
				WorstFit: cat(n("p1-l1-r1", 1, 2, 3, 4), n("p1-l2-r1", 1)),
				// Pod p2 (best fit), leaves l4 then l3; the pooled node
				// level then takes the first 5 by name.
				KueueBestFit: cat(n("p2-l3-r1", 3, 4), n("p2-l4-r1", 1, 2, 3)),
				// compare() climbs to the tightest pod that holds it and
				// takes its most free leaf, then the rest.
				SlurmTree: cat(n("p2-l3-r1", 3), n("p2-l4-r1", 1, 2, 3, 4)),
				// Level-1 aggregate {l3,l4} (6 free, the fewest), most free
				// base block first, then the one that fits the rest.
				SlurmBlock: cat(n("p2-l3-r1", 3), n("p2-l4-r1", 1, 2, 3, 4)),
			},
		},
		{
			name: "GB200: 2 trays in one NVLink domain", fleet: "gb200", nodes: 2, required: carve.LevelNVLink,
			want: map[string][]string{
				FirstFit:     n("p1-l1-r1", 1, 2),
				WorstFit:     n("p1-l1-r1", 1, 2),
				KueueBestFit: n("p1-l1-r2", 2, 3),
				SlurmTree:    n("p1-l1-r2", 2, 3), // racks as leaf switches
				SlurmBlock:   n("p1-l1-r2", 2, 3), // racks as base blocks
			},
		},
		{
			name: "GB200: 4 trays in one leaf domain", fleet: "gb200", nodes: 4, required: carve.LevelLeaf,
			want: map[string][]string{
				FirstFit:     cat(n("p1-l1-r1", 1, 2, 3), n("p1-l1-r2", 2)),
				WorstFit:     cat(n("p1-l1-r1", 1, 2, 3), n("p1-l1-r2", 2)),
				KueueBestFit: cat(n("p1-l2-r1", 1, 2, 3), n("p1-l2-r2", 3)),
				SlurmTree:    cat(n("p1-l2-r1", 1, 2, 3), n("p1-l2-r2", 3)),
				SlurmBlock:   cat(n("p1-l2-r1", 1, 2, 3), n("p1-l2-r2", 3)),
			},
		},
		{
			name: "5 nodes anywhere, no pod holds them", fleet: "two-pods", nodes: 5, required: carve.LevelSite,
			want: map[string][]string{
				// The most free leaf first; then the nearest leaf (l2, in
				// the same pod) although l3 alone would hold the rest: a
				// nearer leaf wins only if it fits, a farther one never.
				SlurmTree: cat(n("p1-l1-r1", 2, 3, 4), n("p1-l2-r1", 4), n("p2-l3-r1", 3)),
				// Pods p1 then p2; leaves pooled: l1 (3), then the best fit
				// for the remaining 2 (l3).
				KueueBestFit: cat(n("p1-l1-r1", 2, 3, 4), n("p2-l3-r1", 3, 4)),
			},
		},
	}
	for _, tc := range tests {
		for _, pol := range Policies() {
			want, ok := tc.want[pol.Name()]
			if !ok {
				continue
			}
			t.Run(tc.name+"/"+pol.Name(), func(t *testing.T) {
				f := fleets[tc.fleet]
				s := tinyState(t, f.gb200, f.pods, f.taken...)
				p, err := pol.Place(s, carve.Request{Block: "b", Tenant: "t", GPUs: tc.nodes * f.perNode, Required: tc.required})
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, memberNames(p)); diff != "" {
					t.Errorf("nodes (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// TestBaselineResize checks the baselines' elastic operations: a grow is
// the baseline's rule restricted to the block's required domain, a shrink
// drops the highest-indexed members, a swap takes the nearest free node.
func TestBaselineResize(t *testing.T) {
	pods := map[string]map[string][]int{"p1": {"l1": {4}, "l2": {4}}, "p2": {"l3": {4}}}
	s := tinyState(t, false, pods, "p1-l2-r1-n4")
	pol, err := PolicyNamed(KueueBestFit)
	if err != nil {
		t.Fatal(err)
	}
	apply := func(p *carve.Plan, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Apply(p); err != nil {
			t.Fatal(err)
		}
	}
	// 3 nodes within a pod: the tightest pod is p2 (4 free).
	apply(pol.Place(s, carve.Request{Block: "b", Tenant: "t", GPUs: 24, Required: carve.LevelPod}))
	// Growing by 2 must stay in p2, which has 1 free node left.
	if _, err := pol.Grow(s, "b", 2); err == nil {
		t.Fatal("grew beyond the required pod")
	}
	apply(pol.Grow(s, "b", 1))
	apply(pol.Shrink(s, "b", 2))
	b, _ := s.Block("b")
	got := []string{}
	for _, m := range b.Members {
		got = append(got, m.Node)
	}
	if diff := cmp.Diff([]string{"p2-l3-r1-n1", "p2-l3-r1-n2"}, got); diff != "" {
		t.Errorf("after grow and shrink (-want +got):\n%s", diff)
	}
	// n1 fails; the nearest free node is n3 in the same leaf.
	apply(pol.Swap(s, "b", 8))
	b, _ = s.Block("b")
	got = got[:0]
	for _, m := range b.Members {
		got = append(got, m.Node)
	}
	if diff := cmp.Diff([]string{"p2-l3-r1-n2", "p2-l3-r1-n3"}, got); diff != "" {
		t.Errorf("after swap (-want +got):\n%s", diff)
	}
}

// TestBoundWithin checks the lower bound within the required level against
// the engine's fleet-wide one: racks of 3 trays, free l1 2+2+2, l2 3+0+0;
// 5 trays within one leaf domain need 3 racks (l2 cannot hold them), though
// the fleet-wide greedy count is 2 (3 + 2).
func TestBoundWithin(t *testing.T) {
	pods := map[string]map[string][]int{"p1": {"l1": {3, 3, 3}, "l2": {3, 3, 3}}}
	s := tinyState(t, true, pods, "p1-l1-r1-n1", "p1-l1-r2-n1", "p1-l1-r3-n1",
		"p1-l2-r2-n1", "p1-l2-r2-n2", "p1-l2-r2-n3", "p1-l2-r3-n1", "p1-l2-r3-n2", "p1-l2-r3-n3")
	req := carve.Request{Block: "b", Tenant: "t", GPUs: 5 * 4, Required: carve.LevelLeaf}
	c, err := s.Eligible(req)
	if err != nil {
		t.Fatal(err)
	}
	v := newView(s.Topology(), c.Eligible)
	p, err := s.Place(req)
	if err != nil {
		t.Fatal(err)
	}
	got := []int{v.boundWithin(5, carve.LevelLeaf, carve.LevelNVLink), p.Bound(carve.LevelNVLink), p.Span(carve.LevelNVLink), v.boundWithin(5, carve.LevelLeaf, carve.LevelLeaf)}
	if diff := cmp.Diff([]int{3, 2, 3, 1}, got); diff != "" {
		t.Errorf("within, engine bound, span, leaf bound (-want +got):\n%s", diff)
	}
}
