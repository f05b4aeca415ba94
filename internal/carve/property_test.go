package carve

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/railyard/railyard/internal/model"
)

// randomFleet builds a random one-site fleet with some nodes unusable.
func randomFleet(r *rand.Rand) []model.NodeCapacity {
	gpus := []int{4, 8}[r.IntN(2)]
	nodes := shape(1+r.IntN(3), 1+r.IntN(4), 1+r.IntN(4), 1+r.IntN(4), gpus)
	for i := range nodes {
		switch r.IntN(20) {
		case 0:
			nodes[i].State = model.NodeFailed
		case 1:
			nodes[i].Cordoned = true
		case 2:
			nodes[i].UnhealthyGPUs = []int{r.IntN(gpus)}
		}
	}
	return nodes
}

// checkInvariants recomputes the allocation from the blocks and compares
// it with the engine's index.
func checkInvariants(t *testing.T, s *State, step string) {
	t.Helper()
	used := make([]uint64, len(s.topo.nodes))
	use := map[string]int{}
	for _, name := range s.Blocks() {
		b := s.blocks[name]
		n := 0
		for _, m := range b.Members {
			i := s.topo.byName[m.Node]
			for _, g := range m.GPUs {
				if used[i]&(1<<g) != 0 {
					t.Fatalf("%s: GPU %s/%d is in two blocks", step, m.Node, g)
				}
				used[i] |= 1 << g
				n++
			}
		}
		if n != b.GPUs {
			t.Fatalf("%s: block %s says %d GPUs, members hold %d", step, name, b.GPUs, n)
		}
		use[b.Tenant] += n
		q, err := s.searchFor(b)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkSegments(b, q); err != nil {
			t.Fatalf("%s: block %s: %v", step, name, err)
		}
		req, _ := ParseLevel(b.Required)
		if sp := s.topo.spans(s.blockNodes(b)); req != 0 && sp[req] != 1 {
			t.Fatalf("%s: block %s spans %d %ss, required one", step, name, sp[req], req)
		}
	}
	if diff := cmp.Diff(used, s.used); diff != "" {
		t.Fatalf("%s: index disagrees with the blocks:\n%s", step, diff)
	}
	for tenant, q := range s.quota {
		if use[tenant] > q["H100"] {
			t.Fatalf("%s: %s holds %d GPUs over its quota %d", step, tenant, use[tenant], q["H100"])
		}
	}
}

func TestPropertyRandomOperations(t *testing.T) {
	seeds := 300
	if testing.Short() {
		seeds = 50
	}
	for seed := range seeds {
		r := rand.New(rand.NewPCG(uint64(seed), 7))
		nodes := randomFleet(r)
		s, err := NewState(&model.CarveSnapshot{Nodes: nodes}, Policy{SubNode: r.IntN(2) == 0}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		per := nodes[0].GPUs
		s.SetQuota(model.Quota{Tenant: "t0", GPUModel: "H100", GPUs: per * (1 + r.IntN(len(nodes)))})
		for op := range 80 {
			step := fmt.Sprintf("seed %d op %d", seed, op)
			names := s.Blocks()
			var p *Plan
			var err error
			switch x := r.IntN(10); {
			case x < 4 || len(names) == 0:
				req := Request{Tenant: fmt.Sprintf("t%d", r.IntN(3)), GPUs: per * (1 + r.IntN(6)), Preemptible: r.IntN(2) == 0}
				if s.policy.SubNode && r.IntN(4) == 0 {
					req.GPUs = 1 + r.IntN(per-1)
				}
				req.Required = []Level{0, LevelNVLink, LevelLeaf, LevelPod}[r.IntN(4)]
				if req.GPUs%per == 0 && r.IntN(3) == 0 {
					req.SegmentNodes = []int{1, 2}[r.IntN(2)]
					if (req.GPUs/per)%req.SegmentNodes != 0 {
						req.SegmentNodes = 1
					}
				}
				p, err = s.Place(req)
			case x < 6:
				p, err = s.Grow(names[r.IntN(len(names))], per*(1+r.IntN(2)))
			case x < 7:
				b := s.blocks[names[r.IntN(len(names))]]
				p, err = s.Shrink(b.Name, per*(1+r.IntN(2)))
			case x < 8:
				// Release restores exactly the free set before the block.
				b := s.blocks[names[r.IntN(len(names))]]
				before := slices.Clone(s.used)
				rel, err := s.Release(b.Name)
				if err != nil {
					t.Fatal(err)
				}
				if err := s.Apply(rel); err != nil {
					t.Fatalf("%s: %v", step, err)
				}
				for _, m := range b.Members {
					i := s.topo.byName[m.Node]
					for _, g := range m.GPUs {
						before[i] &^= 1 << g
					}
				}
				if diff := cmp.Diff(before, s.used); diff != "" {
					t.Fatalf("%s: release of %s freed the wrong GPUs:\n%s", step, b.Name, diff)
				}
				checkInvariants(t, s, step)
				continue
			case x < 9:
				b := s.blocks[names[r.IntN(len(names))]]
				p, err = s.Swap(b.Name, b.Members[r.IntN(len(b.Members))].Node)
			default:
				d, derr := s.Defrag(DefragOptions{MaxNodes: 1 + r.IntN(8)})
				if derr != nil {
					t.Fatalf("%s: defrag: %v", step, derr)
				}
				for _, m := range d.Moves {
					if err := s.Apply(m); err != nil {
						t.Fatalf("%s: defrag move: %v", step, err)
					}
				}
				checkInvariants(t, s, step)
				continue
			}
			var refusal *Refusal
			switch {
			case err == nil:
				if err := s.Apply(p); err != nil {
					t.Fatalf("%s: applying %s plan: %v", step, p.Op, err)
				}
			case errors.As(err, &refusal):
				if len(refusal.Reasons) == 0 {
					t.Fatalf("%s: refusal without a reason: %v", step, err)
				}
			case errors.Is(err, ErrInvalid):
			default:
				t.Fatalf("%s: unexpected error %v", step, err)
			}
			checkInvariants(t, s, step)
		}
	}
}
