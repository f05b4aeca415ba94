package carve

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/railyard/railyard/internal/model"
)

// Candidates is the feasibility stage's answer for one request: which
// nodes may take it, and how many nodes it needs. Other placement
// policies (the benchmark's baselines, an operator's explicit node list)
// choose among them and build a plan with PlanNodes.
type Candidates struct {
	// Eligible[i] reports whether node i may join the block.
	Eligible []bool
	// Nodes is the request's size in whole nodes; PerNode the GPUs each.
	Nodes, PerNode int
	// SegmentLevel is the level each segment must sit in (0: none).
	SegmentLevel Level
}

// Eligible runs the feasibility stage alone. Quota is checked: a request
// the quota forbids gets its Refusal.
func (s *State) Eligible(req Request) (*Candidates, error) {
	q, k, err := s.prepare(&req)
	if err != nil {
		return nil, err
	}
	if k == 0 {
		return nil, fmt.Errorf("%w: sub-node requests are placed by Place only", ErrInvalid)
	}
	q.count()
	if left := s.quotaLeft(req.Tenant, req.GPUModel); left >= 0 && req.GPUs > left {
		return nil, q.refuse(&req, k, left)
	}
	c := &Candidates{Eligible: make([]bool, len(s.topo.nodes)), Nodes: int(k), PerNode: q.perNode, SegmentLevel: q.segLevel}
	for i := q.lo; i < q.hi; i++ {
		c.Eligible[i] = q.cap[LevelNode][i] > 0
	}
	return c, nil
}

// PlanNodes builds the plan of a new block on nodes chosen by the caller.
// It checks that every node is eligible, that the count is right, that
// the block stays within its required level and that segments fit.
func (s *State) PlanNodes(req Request, nodes []int) (*Plan, error) {
	q, k, err := s.prepare(&req)
	if err != nil {
		return nil, err
	}
	if req.Block == "" {
		req.Block = s.nextName(req.Tenant)
	}
	if k == 0 || len(nodes) != int(k) {
		return nil, fmt.Errorf("%w: %d GPUs need %d whole nodes, got %d", ErrInvalid, req.GPUs, k, len(nodes))
	}
	q.count()
	ns := make([]int32, len(nodes))
	for j, i := range nodes {
		if i < 0 || i >= len(s.topo.nodes) || q.cap[LevelNode][i] == 0 {
			return nil, fmt.Errorf("%w: node %d is not eligible", ErrInvalid, i)
		}
		ns[j] = int32(i)
	}
	slices.Sort(ns)
	if len(slices.Compact(slices.Clone(ns))) != len(ns) {
		return nil, fmt.Errorf("%w: a node is listed twice", ErrInvalid)
	}
	p := q.planFor(&req, ns)
	p.Bounds = q.bounds(k)
	if p.Spans[req.Required] != 1 {
		return nil, fmt.Errorf("%w: the nodes span %d %ss; one is required", ErrInvalid, p.Spans[req.Required], req.Required.Noun())
	}
	if err := checkSegments(p.After, q); err != nil {
		return nil, err
	}
	for l := LevelNVLink; l <= LevelSite; l++ {
		if p.Spans[l] == 1 {
			p.Level = l
			break
		}
	}
	return p, nil
}

// checkSegments verifies that every segment has SegmentNodes members in
// one domain of the segment level.
func checkSegments(b *model.Block, q *search) error {
	if b.SegmentNodes <= 1 {
		return nil
	}
	l, _ := ParseLevel(b.SegmentLevel)
	size := map[int]int{}
	dom := map[int]int32{}
	for _, m := range b.Members {
		d := q.t.nodes[q.t.byName[m.Node]].up[l]
		if prev, ok := dom[m.Segment]; ok && prev != d {
			return fmt.Errorf("%w: segment %d spans two %ss", ErrInvalid, m.Segment, l.Noun())
		}
		dom[m.Segment] = d
		size[m.Segment]++
	}
	for seg, n := range size {
		if n != b.SegmentNodes {
			return fmt.Errorf("%w: segment %d has %d nodes, not %d", ErrInvalid, seg, n, b.SegmentNodes)
		}
	}
	return nil
}

// Parent returns the index of domain d's parent at level l+1.
func (t *Topology) Parent(l Level, d int) int { return int(t.doms[l][d].parent) }

// Children returns the index range [first, end) of domain d's children
// at level l-1.
func (t *Topology) Children(l Level, d int) (first, end int) {
	x := t.doms[l][d]
	return int(x.cfirst), int(x.cend)
}

// MarkNode changes whether node i may be handed out: why is empty for a
// usable node, else the reason (a node state such as "failed", or
// "cordoned"). Blocks holding the node keep it; Swap replaces it.
func (s *State) MarkNode(i int, why string) { s.why[i] = why }

// PlanResize builds the plan of a membership change chosen by the caller:
// whole nodes added to and removed from a block. It checks eligibility,
// the required level and segments as PlanNodes does; added nodes form new
// segments in order.
func (s *State) PlanResize(name string, add, remove []int) (*Plan, error) {
	b, ok := s.blocks[name]
	if !ok {
		return nil, fmt.Errorf("%w: block %s", ErrNotFound, name)
	}
	q, err := s.searchFor(b)
	if err != nil {
		return nil, err
	}
	q.count()
	gone := map[string]bool{}
	for _, i := range remove {
		if i < 0 || i >= len(s.topo.nodes) {
			return nil, fmt.Errorf("%w: node %d", ErrNotFound, i)
		}
		gone[s.topo.nodes[i].name] = true
	}
	after := cloneBlock(b)
	after.Members = slices.DeleteFunc(after.Members, func(m model.BlockMember) bool { return gone[m.Node] })
	if len(b.Members)-len(after.Members) != len(gone) {
		return nil, fmt.Errorf("%w: a removed node is not in block %s", ErrInvalid, name)
	}
	ns := make([]int32, len(add))
	for j, i := range add {
		if i < 0 || i >= len(s.topo.nodes) || q.cap[LevelNode][i] == 0 {
			return nil, fmt.Errorf("%w: node %d is not eligible", ErrInvalid, i)
		}
		ns[j] = int32(i)
	}
	return q.resized(b, &after, ns, "resize")
}

// resized finishes a membership change: the added nodes join as new
// segments, the size follows the members, and the result is checked.
func (q *search) resized(before *model.Block, after *model.Block, add []int32, op string) (*Plan, error) {
	slices.Sort(add)
	if len(slices.Compact(slices.Clone(add))) != len(add) {
		return nil, fmt.Errorf("%w: a node is listed twice", ErrInvalid)
	}
	next := 0
	for _, m := range after.Members {
		next = max(next, m.Segment+1)
	}
	segLevel, _ := ParseLevel(before.SegmentLevel)
	added := q.members(add, next, before.SegmentNodes, segLevel)
	p := &Plan{Op: op, Before: before, Added: added}
	keep := map[string]bool{}
	for _, m := range after.Members {
		keep[m.Node] = true
	}
	for _, m := range before.Members {
		if !keep[m.Node] {
			p.Removed = append(p.Removed, m)
		}
	}
	after.Members = append(after.Members, added...)
	slices.SortFunc(after.Members, func(a, b model.BlockMember) int {
		return cmp.Compare(q.t.byName[a.Node], q.t.byName[b.Node])
	})
	after.GPUs = 0
	for _, m := range after.Members {
		after.GPUs += len(m.GPUs)
	}
	if after.GPUs == 0 {
		return nil, fmt.Errorf("%w: a block cannot shrink to nothing; release it", ErrInvalid)
	}
	after.Generation = before.Generation + 1
	p.After = after
	idx := make([]int32, len(after.Members))
	for j, m := range after.Members {
		idx[j] = q.t.byName[m.Node]
	}
	p.Spans = q.t.spans(idx)
	req, _ := ParseLevel(before.Required)
	if req != 0 && p.Spans[req] != 1 {
		return nil, fmt.Errorf("%w: block %s would span %d %ss; one is required", ErrInvalid, before.Name, p.Spans[req], req.Noun())
	}
	if err := checkSegments(after, q); err != nil {
		return nil, err
	}
	for l := LevelNVLink; l <= LevelSite; l++ {
		if p.Spans[l] == 1 {
			p.Level = l
			break
		}
	}
	return p, nil
}

// searchFor sets up a search with an existing block's tenant, model and
// segments.
func (s *State) searchFor(b *model.Block) (*search, error) {
	req := Request{Tenant: b.Tenant, GPUModel: b.GPUModel, GPUs: 1}
	q := &search{s: s, t: s.topo, tenant: b.Tenant, hi: int32(len(s.topo.nodes))}
	if len(b.Members) > 0 {
		site := s.topo.nodes[s.topo.byName[b.Members[0].Node]].up[LevelSite]
		q.lo, q.hi = s.topo.doms[LevelSite][site].first, s.topo.doms[LevelSite][site].end
	}
	if err := s.resolveModel(&req, q); err != nil {
		return nil, err
	}
	if b.SegmentNodes > 1 {
		l, err := ParseLevel(b.SegmentLevel)
		if err != nil {
			return nil, err
		}
		q.seg, q.segLevel = int32(b.SegmentNodes), l
	}
	return q, nil
}

// Release plans the end of a block: all its GPUs become free.
func (s *State) Release(name string) (*Plan, error) {
	b, ok := s.blocks[name]
	if !ok {
		return nil, fmt.Errorf("%w: block %s", ErrNotFound, name)
	}
	return &Plan{Op: "release", Before: b, Removed: b.Members}, nil
}

// CheckReservation verifies that a reservation's domain or nodes exist.
func (s *State) CheckReservation(r model.Reservation) error {
	_, err := s.topo.reservationNodes(r)
	return err
}

// DefaultModel returns the fleet's GPU model when it has exactly one, or "".
func (s *State) DefaultModel() string {
	q := &search{s: s, t: s.topo, hi: int32(len(s.topo.nodes))}
	req := Request{}
	if s.resolveModel(&req, q) != nil {
		return ""
	}
	return req.GPUModel
}
