package carve

import (
	"cmp"
	"fmt"
	"math/bits"
	"slices"

	"github.com/railyard/railyard/internal/model"
)

// blockNodes returns the node indexes of a block's members.
func (s *State) blockNodes(b *model.Block) []int32 {
	out := make([]int32, len(b.Members))
	for j, m := range b.Members {
		out[j] = s.topo.byName[m.Node]
	}
	return out
}

// touch counts, per level and domain, the block's nodes.
func (t *Topology) touch(nodes []int32) [numLevels]map[int32]int32 {
	var out [numLevels]map[int32]int32
	for l := LevelNVLink; l <= LevelSite; l++ {
		out[l] = map[int32]int32{}
		for _, i := range nodes {
			out[l][t.nodes[i].up[l]]++
		}
	}
	return out
}

// Grow plans adding GPUs to a block as close to its nodes as possible: the
// NVLink and leaf domains it already uses first, then their parents, never
// beyond its required level. Segmented blocks grow by whole segments.
func (s *State) Grow(name string, gpus int) (*Plan, error) {
	b, ok := s.blocks[name]
	if !ok {
		return nil, fmt.Errorf("%w: block %s", ErrNotFound, name)
	}
	if gpus <= 0 {
		return nil, fmt.Errorf("%w: grow by a positive number of GPUs, not %d", ErrInvalid, gpus)
	}
	q, err := s.searchFor(b)
	if err != nil {
		return nil, err
	}
	req := Request{Block: name, Tenant: b.Tenant, GPUModel: b.GPUModel, GPUs: gpus, SegmentNodes: b.SegmentNodes}
	req.Required, _ = ParseLevel(b.Required)
	req.SegmentLevel, _ = ParseLevel(b.SegmentLevel)
	left := s.quotaLeft(b.Tenant, b.GPUModel)
	if len(b.Members) == 1 && len(b.Members[0].GPUs) < q.perNode {
		return s.growSubNode(b, q, gpus, left)
	}
	if gpus%q.perNode != 0 {
		return nil, fmt.Errorf("%w: %d GPUs is not a whole number of nodes of %d GPUs", ErrInvalid, gpus, q.perNode)
	}
	k := int32(gpus / q.perNode)
	if q.seg > 1 && k%q.seg != 0 {
		return nil, fmt.Errorf("%w: block %s grows by whole segments of %d nodes, not %d nodes", ErrInvalid, name, q.seg, k)
	}
	q.count()
	if left >= 0 && gpus > left {
		return nil, q.refuse(&req, k, left)
	}
	add, l := q.near(s.blockNodes(b), k, req.Required)
	if add != nil {
		after := cloneBlock(b)
		p, err := q.resized(b, &after, add, "grow")
		if err != nil {
			return nil, err
		}
		p.Notes = append(p.Notes, fmt.Sprintf("grew within the %s it already used", l.Noun()))
		return p, nil
	}
	r := q.refuse(&req, k, left)
	r.Request = fmt.Sprintf("growing block %s by %s", name, r.Request)
	return nil, r
}

// near chooses k free nodes as close as possible to the given ones: inside
// the domains they use, level by level up to the required one. It returns
// nil when even the required level's domain cannot hold them, and else the
// level it used.
func (q *search) near(mine []int32, k int32, required Level) ([]int32, Level) {
	touched := q.t.touch(mine)
	start := LevelNVLink
	if q.seg > 1 {
		start = q.segLevel
	}
	for l := start; l <= required; l++ {
		var ds []int32
		var total int32
		for d := range touched[l] {
			ds = append(ds, d)
			total += q.cap[l][d]
		}
		if total < k {
			continue
		}
		slices.SortFunc(ds, func(x, y int32) int {
			if c := cmp.Compare(touched[l][y], touched[l][x]); c != 0 {
				return c
			}
			return cmp.Compare(x, y)
		})
		var add []int32
		rem := k
		for _, d := range ds {
			n := min(rem, q.cap[l][d])
			if n > 0 {
				add = q.fillNear(l, d, n, &touched, add)
				rem -= n
			}
		}
		return add, l
	}
	return nil, 0
}

// fillNear takes k nodes from domain d at level l, preferring the children
// the block already uses, then the usual tightest choice.
func (q *search) fillNear(l Level, d, k int32, touched *[numLevels]map[int32]int32, out []int32) []int32 {
	x := q.t.doms[l][d]
	if l <= LevelNVLink {
		return q.fill(l, d, k, out)
	}
	var near []int32
	for c := x.cfirst; c < x.cend; c++ {
		if touched[l-1][c] > 0 && q.cap[l-1][c] > 0 {
			near = append(near, c)
		}
	}
	slices.SortFunc(near, func(a, b int32) int {
		if c := cmp.Compare(touched[l-1][b], touched[l-1][a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	for _, c := range near {
		if k == 0 {
			return out
		}
		n := min(k, q.cap[l-1][c])
		out = q.fillNear(l-1, c, n, touched, out)
		k -= n
	}
	if k == 0 {
		return out
	}
	if c := q.pick(l-1, x.cfirst, x.cend, k); c >= 0 {
		return q.fill(l-1, c, k, out)
	}
	for _, a := range q.tightest(l-1, x.cfirst, x.cend, k) {
		out = q.fill(l-1, a.d, a.n, out)
	}
	return out
}

func (s *State) growSubNode(b *model.Block, q *search, gpus, left int) (*Plan, error) {
	m := b.Members[0]
	i := s.topo.byName[m.Node]
	if left >= 0 && gpus > left {
		req := Request{Tenant: b.Tenant, GPUModel: b.GPUModel, GPUs: gpus}
		q.count()
		return nil, q.refuse(&req, 0, left)
	}
	taken := s.used[i] | s.bad[i]
	free := s.topo.nodes[i].gpus - bits.OnesCount64(taken)
	if gpus > free {
		return nil, &Refusal{
			Request: fmt.Sprintf("growing sub-node block %s by %d GPUs", b.Name, gpus),
			Reasons: []Reason{{Code: "capacity", Message: fmt.Sprintf("node %s has %d free healthy GPUs; a sub-node block stays on one node", m.Node, free)}},
		}
	}
	after := cloneBlock(b)
	after.Members[0].GPUs = append(after.Members[0].GPUs, freeGPUs(taken, gpus)...)
	slices.Sort(after.Members[0].GPUs)
	return q.resized(b, &after, nil, "grow")
}

// Shrink plans removing GPUs from a block, releasing the nodes whose
// departure leaves the rest most contiguous: from the pod, leaf and NVLink
// domains where the block has the fewest nodes. Segmented blocks shrink
// by whole segments.
func (s *State) Shrink(name string, gpus int) (*Plan, error) {
	b, ok := s.blocks[name]
	if !ok {
		return nil, fmt.Errorf("%w: block %s", ErrNotFound, name)
	}
	if gpus <= 0 || gpus >= b.GPUs {
		return nil, fmt.Errorf("%w: block %s holds %d GPUs; shrink by 1 to %d (release it to free all)", ErrInvalid, name, b.GPUs, b.GPUs-1)
	}
	q, err := s.searchFor(b)
	if err != nil {
		return nil, err
	}
	after := cloneBlock(b)
	if len(b.Members) == 1 && len(b.Members[0].GPUs) < q.perNode {
		after.Members[0].GPUs = after.Members[0].GPUs[:len(after.Members[0].GPUs)-gpus]
		return q.resized(b, &after, nil, "shrink")
	}
	if gpus%q.perNode != 0 {
		return nil, fmt.Errorf("%w: %d GPUs is not a whole number of nodes of %d GPUs", ErrInvalid, gpus, q.perNode)
	}
	k := gpus / q.perNode
	unit := 1 // nodes removed together
	if b.SegmentNodes > 1 {
		unit = b.SegmentNodes
		if k%unit != 0 {
			return nil, fmt.Errorf("%w: block %s shrinks by whole segments of %d nodes, not %d nodes", ErrInvalid, name, unit, k)
		}
	}
	mine := s.blockNodes(b)
	touched := s.topo.touch(mine)
	// Rank groups (segments, or single nodes) by how lonely they are: the
	// fewest block nodes in their pod, then leaf, then NVLink domain; the
	// loneliest go first.
	type group struct {
		key     [7]int32
		members []int
	}
	groups := map[int]*group{}
	for j, i := range mine {
		g := j
		if unit > 1 {
			g = b.Members[j].Segment
		}
		if groups[g] == nil {
			up := s.topo.nodes[i].up
			groups[g] = &group{key: [7]int32{
				touched[LevelPod][up[LevelPod]], up[LevelPod],
				touched[LevelLeaf][up[LevelLeaf]], up[LevelLeaf],
				touched[LevelNVLink][up[LevelNVLink]], up[LevelNVLink], -i,
			}}
		}
		groups[g].members = append(groups[g].members, j)
	}
	order := make([]*group, 0, len(groups))
	for _, g := range groups {
		order = append(order, g)
	}
	slices.SortFunc(order, func(a, b *group) int { return slices.Compare(a.key[:], b.key[:]) })
	drop := map[int]bool{}
	for _, g := range order {
		if len(drop) >= k {
			break
		}
		for _, j := range g.members {
			drop[j] = true
		}
	}
	kept := after.Members[:0]
	for j, m := range after.Members {
		if !drop[j] {
			kept = append(kept, m)
		}
	}
	after.Members = kept
	return q.resized(b, &after, nil, "shrink")
}
