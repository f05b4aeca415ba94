package carve

import (
	"cmp"
	"fmt"
	"math/bits"
	"slices"
	"strings"

	"github.com/railyard/railyard/internal/model"
)

// Request asks for a new block.
type Request struct {
	// Block names the block; empty, the engine names it tenant-N.
	Block    string
	Tenant   string
	GPUModel string
	// Site restricts the block to one site; empty, any site.
	Site string
	GPUs int
	// Required is the level the whole block must fit in (default: site).
	// Preferred is the level it should fit in; the engine always tries the
	// tightest level first, so Preferred only decides whether the placement
	// is reported as meeting the preference.
	Required  Level
	Preferred Level
	// SegmentNodes splits the block into groups of that many nodes, each
	// inside one domain of SegmentLevel (default: the smallest level whose
	// domains hold a segment).
	SegmentNodes int
	SegmentLevel Level
	Priority     int
	Preemptible  bool
}

// Plan is a decision: the block before and after. The caller commits it to
// the store and then applies it to the State.
type Plan struct {
	// Op is carve, grow, shrink, release, swap or move.
	Op     string
	Before *model.Block
	After  *model.Block
	// Added and Removed are the members that change.
	Added, Removed []model.BlockMember
	// Level is the tightest level one domain of which holds the block.
	Level Level
	// Spans[L] counts the domains of level L the block touches. Bounds[L]
	// is the fewest any placement could touch given the free capacity when
	// the decision was made (the state-aware lower bound); both are set by
	// Place.
	Spans, Bounds [numLevels]int
	// Notes explain the decision in words.
	Notes []string
}

// Span returns the number of domains of level l the new block touches.
func (p *Plan) Span(l Level) int { return p.Spans[l] }

// Bound returns the state-aware lower bound on Span(l).
func (p *Plan) Bound(l Level) int { return p.Bounds[l] }

// search is one decision's view of the state: which nodes are eligible,
// and the free capacity of every domain, counted in nodes.
type search struct {
	s       *State
	t       *Topology
	tenant  string
	model   string
	perNode int
	// lo and hi bound the node indexes searched (one site, or all).
	lo, hi       int32
	seg          int32
	segLevel     Level
	onlyReserved bool
	exclude      []bool
	cap          [numLevels][]int32
	scratch      []int32
}

func (q *search) eligible(i int32) bool {
	n := &q.t.nodes[i]
	if n.model != q.model || n.gpus != q.perNode || q.s.why[i] != "" || q.s.used[i] != 0 {
		return false
	}
	if r := q.s.reserved[i]; r >= 0 {
		if q.s.resv[r].Tenant != q.tenant {
			return false
		}
	} else if q.onlyReserved {
		return false
	}
	return q.exclude == nil || !q.exclude[i]
}

// count fills cap from the eligible nodes; with segments, a segment-level
// domain offers only whole segments, and the levels above sum those.
func (q *search) count() {
	t := q.t
	for l := LevelNode; l <= LevelSite; l++ {
		if cap(q.cap[l]) >= len(t.doms[l]) {
			q.cap[l] = q.cap[l][:len(t.doms[l])]
			clear(q.cap[l])
		} else {
			q.cap[l] = make([]int32, len(t.doms[l]))
		}
	}
	for i := q.lo; i < q.hi; i++ {
		if !q.eligible(i) {
			continue
		}
		up := &t.nodes[i].up
		q.cap[LevelNode][i] = 1
		q.cap[LevelNVLink][up[LevelNVLink]]++
		q.cap[LevelLeaf][up[LevelLeaf]]++
		q.cap[LevelPod][up[LevelPod]]++
		q.cap[LevelSite][up[LevelSite]]++
	}
	if q.seg > 1 {
		for d := range q.cap[q.segLevel] {
			q.cap[q.segLevel][d] -= q.cap[q.segLevel][d] % q.seg
		}
		for l := q.segLevel + 1; l <= LevelSite; l++ {
			clear(q.cap[l])
			for c, v := range q.cap[l-1] {
				q.cap[l][t.doms[l-1][c].parent] += v
			}
		}
	}
}

// domRange returns the domains of level l inside the searched node range.
func (q *search) domRange(l Level) (int32, int32) {
	if q.lo >= q.hi {
		return 0, 0
	}
	return q.t.nodes[q.lo].up[l], q.t.nodes[q.hi-1].up[l] + 1
}

// cost ranks a domain that can hold a request: fewer child domains, then
// least free capacity left over (best fit), then the fullest parent and
// grandparent (so whole domains stay whole), then position.
type cost struct{ broken, span, leftover, pcap, gcap, idx int32 }

func (a cost) less(b cost) bool {
	if a.broken != b.broken {
		return a.broken < b.broken
	}
	if a.span != b.span {
		return a.span < b.span
	}
	if a.leftover != b.leftover {
		return a.leftover < b.leftover
	}
	if a.pcap != b.pcap {
		return a.pcap < b.pcap
	}
	if a.gcap != b.gcap {
		return a.gcap < b.gcap
	}
	return a.idx < b.idx
}

func (q *search) costOf(l Level, d, k int32) cost {
	c := cost{leftover: q.cap[l][d] - k, idx: d}
	if l >= LevelLeaf {
		c.span = q.childSpan(l, d, k)
	}
	// A block that spans NVLink domains anyway keeps whole leaf domains
	// whole before it saves NVLink domains; above the leaf level, the leaf
	// span comes first.
	if l == LevelLeaf && c.leftover > 0 && q.whole(l, d) {
		c.broken = 1
	}
	if l < LevelSite {
		p := q.t.doms[l][d].parent
		c.pcap = q.cap[l+1][p]
		if l+1 < LevelSite {
			c.gcap = q.cap[l+2][q.t.doms[l+1][p].parent]
		}
	}
	return c
}

// childSpan is the fewest children of d that hold k nodes.
func (q *search) childSpan(l Level, d, k int32) int32 {
	x := q.t.doms[l][d]
	caps := q.scratch[:0]
	for c := x.cfirst; c < x.cend; c++ {
		if v := q.cap[l-1][c]; v > 0 {
			caps = append(caps, v)
		}
	}
	slices.SortFunc(caps, func(a, b int32) int { return cmp.Compare(b, a) })
	q.scratch = caps
	var n, sum int32
	for _, v := range caps {
		if sum >= k {
			break
		}
		sum += v
		n++
	}
	return n
}

// pick returns the best domain of level l in [a, b) that holds k nodes,
// or -1.
func (q *search) pick(l Level, a, b, k int32) int32 {
	best := int32(-1)
	var bc cost
	for d := a; d < b; d++ {
		if q.cap[l][d] < k {
			continue
		}
		c := q.costOf(l, d, k)
		if best < 0 || c.less(bc) {
			best, bc = d, c
		}
	}
	return best
}

// take removes node i from the free capacity of its domains, so that the
// rest of a decision does not count it twice.
func (q *search) take(i int32) {
	up := &q.t.nodes[i].up
	q.cap[LevelNode][i] = 0
	for l := LevelNVLink; l <= LevelSite; l++ {
		q.cap[l][up[l]]--
	}
}

// whole reports whether every node of domain d at level l is free.
func (q *search) whole(l Level, d int32) bool { return q.cap[l][d] == q.t.doms[l][d].size() }

// fill appends k nodes of domain d at level l to out.
func (q *search) fill(l Level, d, k int32, out []int32) []int32 {
	x := q.t.doms[l][d]
	if l <= LevelNVLink {
		for i := x.first; i < x.end && k > 0; i++ {
			if q.cap[LevelNode][i] > 0 {
				out = append(out, i)
				q.take(i)
				k--
			}
		}
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

type amount struct{ d, n int32 }

// tightest chooses the fewest domains of level l in [a, b) that together
// hold k nodes and, among sets of that size, one with little capacity to
// spare, sparing whole domains. It returns how many nodes each gives.
func (q *search) tightest(l Level, a, b, k int32) []amount {
	var ds []int32
	for d := a; d < b; d++ {
		if q.cap[l][d] > 0 {
			ds = append(ds, d)
		}
	}
	// Largest first; at equal size a partly used domain before a whole one.
	slices.SortFunc(ds, func(x, y int32) int {
		if c := cmp.Compare(q.cap[l][y], q.cap[l][x]); c != 0 {
			return c
		}
		if wx, wy := q.whole(l, x), q.whole(l, y); wx != wy {
			if wy {
				return -1
			}
			return 1
		}
		return cmp.Compare(x, y)
	})
	var sum int32
	m := 0
	for m < len(ds) && sum < k {
		sum += q.cap[l][ds[m]]
		m++
	}
	chosen, rest := ds[:m:m], slices.Clone(ds[m:])
	slices.Reverse(rest) // smallest first
	// Swap each chosen domain, largest first, for the smallest unchosen one
	// that still covers k; this leaves the large domains whole.
	for j := range chosen {
		cj := q.cap[l][chosen[j]]
		need := k - (sum - cj)
		best := -1
		for r, d := range rest {
			v := q.cap[l][d]
			if v >= need && (v < cj || (v == cj && q.whole(l, chosen[j]) && !q.whole(l, d))) {
				best = r
				break
			}
		}
		if best >= 0 {
			d := rest[best]
			rest[best] = chosen[j]
			slices.SortFunc(rest, func(x, y int32) int { return cmp.Compare(q.cap[l][x], q.cap[l][y]) })
			sum += q.cap[l][d] - cj
			chosen[j] = d
		}
	}
	// Whole domains are taken entirely; the remainder lands in a domain
	// that was already broken.
	slices.SortStableFunc(chosen, func(x, y int32) int {
		if wx, wy := q.whole(l, x), q.whole(l, y); wx != wy {
			if wx {
				return -1
			}
			return 1
		}
		return cmp.Compare(q.cap[l][y], q.cap[l][x])
	})
	out := make([]amount, 0, len(chosen))
	rem := k
	for _, d := range chosen {
		n := min(rem, q.cap[l][d])
		if n > 0 {
			out = append(out, amount{d, n})
		}
		rem -= n
	}
	return out
}

// bound is the state-aware lower bound on the domains of level l any
// placement of k nodes touches: the largest domains first.
func (q *search) bound(l Level, k int32) int {
	a, b := q.domRange(l)
	caps := slices.Clone(q.cap[l][a:b])
	slices.SortFunc(caps, func(x, y int32) int { return cmp.Compare(y, x) })
	var sum int32
	for n, v := range caps {
		if sum >= k {
			return n
		}
		sum += v
		if v == 0 {
			break
		}
	}
	if sum >= k {
		return len(caps)
	}
	return 0
}

// prepare validates a request and sets up a search for it; k is the size
// in nodes, or 0 for a sub-node request.
func (s *State) prepare(req *Request) (*search, int32, error) {
	if req.Tenant == "" {
		return nil, 0, fmt.Errorf("%w: a block needs a tenant", ErrInvalid)
	}
	if req.GPUs <= 0 {
		return nil, 0, fmt.Errorf("%w: GPUs must be positive, not %d", ErrInvalid, req.GPUs)
	}
	q := &search{s: s, t: s.topo, tenant: req.Tenant, hi: int32(len(s.topo.nodes))}
	if req.Site != "" {
		d, ok := s.topo.byDomain[LevelSite][req.Site]
		if !ok {
			return nil, 0, fmt.Errorf("%w: site %q", ErrNotFound, req.Site)
		}
		q.lo, q.hi = s.topo.doms[LevelSite][d].first, s.topo.doms[LevelSite][d].end
	}
	if err := s.resolveModel(req, q); err != nil {
		return nil, 0, err
	}
	if req.Required == 0 {
		req.Required = LevelSite
	}
	if req.Required < LevelNVLink || req.Required > LevelSite {
		return nil, 0, fmt.Errorf("%w: required level must be nvlink, leaf, pod or site", ErrInvalid)
	}
	if req.Preferred != 0 && (req.Preferred < LevelNVLink || req.Preferred > req.Required) {
		return nil, 0, fmt.Errorf("%w: preferred level %s is above the required %s", ErrInvalid, req.Preferred, req.Required)
	}
	var k int32
	switch {
	case req.GPUs%q.perNode == 0:
		k = int32(req.GPUs / q.perNode)
	case req.GPUs < q.perNode && s.policy.SubNode:
		if req.SegmentNodes > 0 {
			return nil, 0, fmt.Errorf("%w: a sub-node block has no segments", ErrInvalid)
		}
		return q, 0, nil
	case req.GPUs < q.perNode:
		return nil, 0, fmt.Errorf("%w: %d GPUs is less than a node (%d %s GPUs), and sub-node blocks are off", ErrInvalid, req.GPUs, q.perNode, q.model)
	default:
		return nil, 0, fmt.Errorf("%w: %d GPUs is not a whole number of nodes of %d %s GPUs", ErrInvalid, req.GPUs, q.perNode, q.model)
	}
	if err := q.segments(req, k); err != nil {
		return nil, 0, err
	}
	return q, k, nil
}

func (s *State) resolveModel(req *Request, q *search) error {
	models := map[string]map[int]int{} // model → GPUs per node → nodes
	for i := q.lo; i < q.hi; i++ {
		n := &s.topo.nodes[i]
		if models[n.model] == nil {
			models[n.model] = map[int]int{}
		}
		models[n.model][n.gpus]++
	}
	if req.GPUModel == "" {
		names := make([]string, 0, len(models))
		for m := range models {
			if m != "" {
				names = append(names, m)
			}
		}
		slices.Sort(names)
		if len(names) != 1 {
			return fmt.Errorf("%w: name a GPU model (the fleet has %s)", ErrInvalid, strings.Join(names, ", "))
		}
		req.GPUModel = names[0]
	}
	counts, ok := models[req.GPUModel]
	if !ok || req.GPUModel == "" {
		return fmt.Errorf("%w: no node has %q GPUs", ErrNotFound, req.GPUModel)
	}
	q.model = req.GPUModel
	// Nodes of one model normally hold the same number of GPUs; where they
	// differ, whole-node blocks use the most common size.
	for g, n := range counts {
		if n > counts[q.perNode] || (n == counts[q.perNode] && g > q.perNode) {
			q.perNode = g
		}
	}
	return nil
}

// segments validates a segmented request and picks its segment level.
func (q *search) segments(req *Request, k int32) error {
	if req.SegmentNodes <= 0 {
		req.SegmentNodes, req.SegmentLevel = 0, 0
		return nil
	}
	s := int32(req.SegmentNodes)
	if k%s != 0 {
		return fmt.Errorf("%w: %d nodes do not split into segments of %d", ErrInvalid, k, s)
	}
	if req.SegmentLevel == 0 {
		for l := LevelNVLink; l <= LevelSite; l++ {
			if q.largest(l) >= s {
				req.SegmentLevel = l
				break
			}
		}
		if req.SegmentLevel == 0 {
			return fmt.Errorf("%w: no domain holds a segment of %d nodes", ErrInvalid, s)
		}
	}
	if req.SegmentLevel < LevelNVLink || req.SegmentLevel > req.Required {
		return fmt.Errorf("%w: segment level %s must be between nvlink and the required level %s", ErrInvalid, req.SegmentLevel, req.Required)
	}
	if q.largest(req.SegmentLevel) < s {
		return fmt.Errorf("%w: a segment of %d nodes fits in no %s (the largest has %d %s nodes)",
			ErrInvalid, s, req.SegmentLevel.Noun(), q.largest(req.SegmentLevel), q.model)
	}
	if s > 1 {
		q.seg, q.segLevel = s, req.SegmentLevel
	}
	return nil
}

// largest is the most nodes of the request's model any domain of level l
// has, free or not.
func (q *search) largest(l Level) int32 {
	var best, run int32
	cur := int32(-1)
	for i := q.lo; i < q.hi; i++ {
		n := &q.t.nodes[i]
		if n.model != q.model || n.gpus != q.perNode {
			continue
		}
		if d := n.up[l]; d != cur {
			cur, run = d, 0
		}
		run++
		best = max(best, run)
	}
	return best
}

// quotaLeft returns how many more GPUs of the model the tenant may hold,
// or -1 for no limit.
func (s *State) quotaLeft(tenant, gpuModel string) int {
	q, ok := s.quota[tenant][gpuModel]
	if !ok {
		return -1
	}
	return max(0, q-s.use[tenant][gpuModel])
}

// hasReservation reports whether any node is reserved for the tenant.
func (s *State) hasReservation(tenant string) bool {
	for _, r := range s.resv {
		if r.Tenant == tenant {
			return true
		}
	}
	return false
}

// Place decides where a new block goes. It returns a *Refusal when the
// request is valid but cannot be placed now, and an error wrapping
// ErrInvalid or ErrNotFound when the request itself is wrong.
func (s *State) Place(req Request) (*Plan, error) {
	q, k, err := s.prepare(&req)
	if err != nil {
		return nil, err
	}
	if req.Block == "" {
		req.Block = s.nextName(req.Tenant)
	} else if _, dup := s.blocks[req.Block]; dup {
		return nil, fmt.Errorf("%w: block %s already exists", ErrInvalid, req.Block)
	}
	left := s.quotaLeft(req.Tenant, req.GPUModel)
	if left >= 0 && req.GPUs > left {
		q.onlyReserved = false
		q.count()
		return nil, q.refuse(&req, k, left)
	}
	if k == 0 {
		return q.placeSubNode(&req)
	}
	// A tenant with reservations fills them first.
	if s.hasReservation(req.Tenant) {
		q.onlyReserved = true
		q.count()
		if p := q.place(&req, k); p != nil {
			p.Notes = append(p.Notes, "placed in capacity reserved for "+req.Tenant)
			return p, nil
		}
		q.onlyReserved = false
	}
	q.count()
	if p := q.place(&req, k); p != nil {
		return p, nil
	}
	return nil, q.refuse(&req, k, left)
}

func (s *State) nextName(tenant string) string {
	for n := len(s.blocks) + 1; ; n++ {
		name := fmt.Sprintf("%s-%d", tenant, n)
		if _, dup := s.blocks[name]; !dup {
			return name
		}
	}
}

func (q *search) place(req *Request, k int32) *Plan {
	for l := LevelNVLink; l <= req.Required; l++ {
		a, b := q.domRange(l)
		d := q.pick(l, a, b, k)
		if d < 0 {
			continue
		}
		bounds := q.bounds(k)
		nodes := q.fill(l, d, k, nil)
		if int32(len(nodes)) != k {
			panic(fmt.Sprintf("carve: filled %d of %d nodes", len(nodes), k))
		}
		p := q.planFor(req, nodes)
		p.Bounds = bounds
		p.Level = l
		if req.Preferred != 0 && l > req.Preferred {
			p.Notes = append(p.Notes, fmt.Sprintf("preferred one %s, but the largest free %s holds %d nodes: placed across %d %ss in one %s",
				req.Preferred.Noun(), req.Preferred.Noun(), q.largestFree(req.Preferred), p.Spans[req.Preferred], req.Preferred.Noun(), l.Noun()))
		}
		return p
	}
	return nil
}

// largestFree returns the most free eligible nodes of one domain at l.
func (q *search) largestFree(l Level) int32 {
	d := q.largestFreeDomain(l)
	if d < 0 {
		return 0
	}
	return q.cap[l][d]
}

func (q *search) largestFreeDomain(l Level) int32 {
	a, b := q.domRange(l)
	best := int32(-1)
	for d := a; d < b; d++ {
		if best < 0 || q.cap[l][d] > q.cap[l][best] {
			best = d
		}
	}
	return best
}

// planFor builds the plan of a new block on the given nodes.
func (q *search) planFor(req *Request, nodes []int32) *Plan {
	slices.Sort(nodes)
	b := &model.Block{
		Name: req.Block, Tenant: req.Tenant, GPUModel: req.GPUModel, GPUs: req.GPUs,
		Required: req.Required.String(), Preferred: req.Preferred.String(),
		SegmentNodes: req.SegmentNodes, SegmentLevel: req.SegmentLevel.String(),
		Priority: req.Priority, Preemptible: req.Preemptible, Generation: 1,
	}
	b.Members = q.members(nodes, 0, req.SegmentNodes, req.SegmentLevel)
	p := &Plan{Op: "carve", After: b, Added: b.Members}
	p.Spans = q.t.spans(nodes)
	return p
}

// bounds computes the state-aware lower bounds for k nodes at every level.
func (q *search) bounds(k int32) [numLevels]int {
	var out [numLevels]int
	for l := LevelNVLink; l <= LevelSite; l++ {
		out[l] = q.bound(l, k)
	}
	return out
}

// members turns whole nodes into block members, numbering segments from
// first: each run of seg nodes inside one segment-level domain is one
// segment.
func (q *search) members(nodes []int32, first, seg int, segLevel Level) []model.BlockMember {
	out := make([]model.BlockMember, len(nodes))
	all := allGPUs(q.perNode)
	segNo, inSeg, cur := first-1, seg, int32(-1)
	for j, i := range nodes {
		m := model.BlockMember{Node: q.t.nodes[i].name, GPUs: all}
		if seg > 0 {
			if d := q.t.nodes[i].up[segLevel]; d != cur || inSeg == seg {
				segNo, inSeg, cur = segNo+1, 0, d
			}
			inSeg++
			m.Segment = segNo
		}
		out[j] = m
	}
	return out
}

func allGPUs(n int) []int {
	g := make([]int, n)
	for i := range g {
		g[i] = i
	}
	return g
}

// spans counts the domains per level a set of nodes touches.
func (t *Topology) spans(nodes []int32) [numLevels]int {
	var out [numLevels]int
	for l := LevelNode; l <= LevelSite; l++ {
		seen := map[int32]bool{}
		for _, i := range nodes {
			seen[t.nodes[i].up[l]] = true
		}
		out[l] = len(seen)
	}
	return out
}

// placeSubNode puts a block of fewer GPUs than a node on one node: the
// partly used node with the fewest free GPUs that fit, else a free node in
// the fullest leaf domain, so that small blocks do not break up whole
// domains.
func (q *search) placeSubNode(req *Request) (*Plan, error) {
	q.count()
	g := req.GPUs
	best := int32(-1)
	var bestKey [3]int32
	for i := q.lo; i < q.hi; i++ {
		n := &q.t.nodes[i]
		if n.model != q.model || (q.s.why[i] != "" && q.s.why[i] != whyUnhealthy) {
			continue
		}
		if r := q.s.reserved[i]; r >= 0 && q.s.resv[r].Tenant != q.tenant {
			continue
		}
		free := int32(n.gpus - bits.OnesCount64(q.s.used[i]|q.s.bad[i]))
		if free < int32(g) {
			continue
		}
		key := [3]int32{free - int32(g), q.cap[LevelLeaf][n.up[LevelLeaf]], i}
		if best < 0 || slices.Compare(key[:], bestKey[:]) < 0 {
			best, bestKey = i, key
		}
	}
	if best < 0 {
		return nil, q.refuse(req, 0, q.s.quotaLeft(req.Tenant, req.GPUModel))
	}
	gpus := freeGPUs(q.s.used[best]|q.s.bad[best], g)
	b := &model.Block{
		Name: req.Block, Tenant: req.Tenant, GPUModel: req.GPUModel, GPUs: g,
		Required: LevelNVLink.String(), Preferred: req.Preferred.String(),
		Priority: req.Priority, Preemptible: req.Preemptible, Generation: 1,
		Members: []model.BlockMember{{Node: q.t.nodes[best].name, GPUs: gpus}},
	}
	p := &Plan{Op: "carve", After: b, Added: b.Members, Level: LevelNode}
	p.Spans = q.t.spans([]int32{best})
	for l := LevelNVLink; l <= LevelSite; l++ {
		p.Bounds[l] = 1
	}
	return p, nil
}
