package carve

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/railyard/railyard/internal/model"
)

// Fragmentation summarises how usable the free capacity of one GPU model
// is.
type Fragmentation struct {
	// FreeGPUs counts the free, eligible GPUs.
	FreeGPUs int `json:"free_gpus"`
	// LargestLeafBlock is the largest block placeable inside one leaf
	// domain, in GPUs; LargestNVLinkBlock inside one NVLink domain.
	LargestLeafBlock   int `json:"largest_leaf_block"`
	LargestNVLinkBlock int `json:"largest_nvlink_block"`
	// WholeLeafDomains and WholeNVLinkDomains count domains whose every
	// node is free.
	WholeLeafDomains   int `json:"whole_leaf_domains"`
	WholeNVLinkDomains int `json:"whole_nvlink_domains"`
}

// Fragmentation measures the free capacity of a GPU model for a tenant
// ("" counts unreserved nodes only).
func (s *State) Fragmentation(tenant, gpuModel string) (Fragmentation, error) {
	q, err := s.searchModel(tenant, gpuModel)
	if err != nil {
		return Fragmentation{}, err
	}
	q.count()
	return q.fragmentation(), nil
}

func (q *search) fragmentation() Fragmentation {
	f := Fragmentation{FreeGPUs: int(q.sum(LevelSite)) * q.perNode}
	f.LargestLeafBlock = int(q.largestFree(LevelLeaf)) * q.perNode
	f.LargestNVLinkBlock = int(q.largestFree(LevelNVLink)) * q.perNode
	for _, l := range []Level{LevelLeaf, LevelNVLink} {
		a, b := q.domRange(l)
		n := 0
		for d := a; d < b; d++ {
			if q.cap[l][d] > 0 && q.whole(l, d) {
				n++
			}
		}
		if l == LevelLeaf {
			f.WholeLeafDomains = n
		} else {
			f.WholeNVLinkDomains = n
		}
	}
	return f
}

func (s *State) searchModel(tenant, gpuModel string) (*search, error) {
	q := &search{s: s, t: s.topo, tenant: tenant, hi: int32(len(s.topo.nodes))}
	req := Request{GPUModel: gpuModel}
	if err := s.resolveModel(&req, q); err != nil {
		return nil, err
	}
	return q, nil
}

// DefragOptions bound a defragmentation plan.
type DefragOptions struct {
	GPUModel string
	// MaxNodes caps the nodes moved (default 64).
	MaxNodes int
	// Level is the level whose domains to free whole (default leaf; on
	// fleets whose NVLink domains hold several nodes, nvlink is useful).
	Level Level
}

// DefragPlan proposes moves of preemptible blocks that free whole
// domains, with their cost and benefit.
type DefragPlan struct {
	GPUModel string
	Level    Level
	// Moves are the block changes, in order; each is a Plan with Op "move".
	Moves []*Plan
	// NodesMoved is the cost; Freed names the domains made whole.
	NodesMoved    int
	Freed         []string
	Before, After Fragmentation
}

// Defrag plans moving preemptible blocks out of nearly free domains so
// that those domains become whole: the cheapest domains (fewest nodes to
// move) first, each move as close to the block's other nodes as its
// required level allows, until MaxNodes. Nothing is applied: the caller
// commits the moves and applies them in order.
func (s *State) Defrag(opts DefragOptions) (*DefragPlan, error) {
	if opts.MaxNodes <= 0 {
		opts.MaxNodes = 64
	}
	if opts.Level == 0 {
		opts.Level = LevelLeaf
	}
	if opts.Level != LevelLeaf && opts.Level != LevelNVLink && opts.Level != LevelPod {
		return nil, fmt.Errorf("%w: defragment nvlink, leaf or pod domains, not %s", ErrInvalid, opts.Level)
	}
	q, err := s.searchModel("", opts.GPUModel)
	if err != nil {
		return nil, err
	}
	q.count()
	plan := &DefragPlan{GPUModel: q.model, Level: opts.Level, Before: q.fragmentation()}
	l := opts.Level
	type cand struct {
		d, cost int32
	}
	var cands []cand
	a, b := q.domRange(l)
	for d := a; d < b; d++ {
		if c, ok := s.movable(q, l, d); ok && c > 0 && int(c) <= opts.MaxNodes {
			cands = append(cands, cand{d, c})
		}
	}
	slices.SortFunc(cands, func(x, y cand) int {
		if c := cmp.Compare(x.cost, y.cost); c != 0 {
			return c
		}
		return cmp.Compare(x.d, y.d)
	})
	sim := s.Clone()
	exclude := make([]bool, len(s.topo.nodes))
	budget := opts.MaxNodes
	for _, c := range cands {
		if int(c.cost) > budget {
			continue
		}
		if _, ok := sim.movable(q, l, c.d); !ok {
			continue // an earlier move landed here
		}
		trial := sim.Clone()
		x := s.topo.doms[l][c.d]
		for i := x.first; i < x.end; i++ {
			exclude[i] = true
		}
		moves, err := trial.evacuate(l, c.d, exclude)
		if err != nil {
			for i := x.first; i < x.end; i++ {
				exclude[i] = false
			}
			continue
		}
		sim = trial
		plan.Moves = append(plan.Moves, moves...)
		plan.NodesMoved += int(c.cost)
		budget -= int(c.cost)
		plan.Freed = append(plan.Freed, x.name)
	}
	after, _ := sim.searchModel("", q.model)
	after.count()
	plan.After = after.fragmentation()
	return plan, nil
}

// movable reports whether domain d at level l can be freed whole by moving
// preemptible whole-node blocks, and how many nodes that moves. Domains
// with unusable nodes, other models or sub-node blocks cannot.
func (s *State) movable(q *search, l Level, d int32) (int32, bool) {
	x := s.topo.doms[l][d]
	var cost int32
	for i := x.first; i < x.end; i++ {
		n := &s.topo.nodes[i]
		if n.model != q.model || n.gpus != q.perNode || s.why[i] != "" || s.reserved[i] >= 0 {
			return 0, false
		}
		if s.used[i] == 0 {
			continue
		}
		for _, o := range s.owners[i] {
			b := s.blocks[o]
			if !b.Preemptible || (len(b.Members) == 1 && len(b.Members[0].GPUs) < q.perNode) {
				return 0, false
			}
		}
		cost++
	}
	return cost, true
}

// evacuate moves every block member inside domain d elsewhere, avoiding
// excluded nodes, and applies the moves to s.
func (s *State) evacuate(l Level, d int32, exclude []bool) ([]*Plan, error) {
	x := s.topo.doms[l][d]
	var names []string
	for i := x.first; i < x.end; i++ {
		names = append(names, s.owners[i]...)
	}
	slices.Sort(names)
	names = slices.Compact(names)
	var moves []*Plan
	for _, name := range names {
		b := s.blocks[name]
		q, err := s.searchFor(b)
		if err != nil {
			return nil, err
		}
		q.exclude = exclude
		q.count()
		after := cloneBlock(b)
		var gone []int32
		after.Members = slices.DeleteFunc(after.Members, func(m model.BlockMember) bool {
			i := s.topo.byName[m.Node]
			if i >= x.first && i < x.end {
				gone = append(gone, i)
				return true
			}
			return false
		})
		required, _ := ParseLevel(b.Required)
		if required == 0 {
			required = LevelSite
		}
		add, _ := q.near(s.blockNodes(b), int32(len(gone)), required)
		if add == nil {
			return nil, fmt.Errorf("block %s: no room outside %s", name, x.name)
		}
		p, err := q.resized(b, &after, add, "move")
		if err != nil {
			return nil, err
		}
		if err := s.Apply(p); err != nil {
			return nil, err
		}
		moves = append(moves, p)
	}
	return moves, nil
}
