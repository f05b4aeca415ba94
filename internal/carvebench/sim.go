package carvebench

import (
	"container/heap"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/railyard/railyard/internal/carve"
	"github.com/railyard/railyard/internal/model"
)

// RunConfig is one simulation: a fleet, its trace and a policy.
type RunConfig struct {
	Fleet  *Fleet
	Trace  *Trace
	Policy Policy
	// Warmup is the simulated time before which placements do not count
	// towards the quality metrics (spans); the rejection metrics count
	// from the start, on an empty fleet.
	Warmup float64
	// Elastic replays the grow/shrink events; Swap replaces failed nodes
	// of blocks (the same for every policy of a run).
	Elastic, Swap bool
	// Static also runs the static fill (staticFill) on the trace.
	Static bool
	// Check verifies the state after every event (slow; for tests).
	Check bool
}

// Result is what one simulation measured.
type Result struct {
	Requests int
	Placed   int
	// Measured counts the placements after the warm-up, which the span
	// metrics cover.
	Measured int
	// OptimalLeaf and OptimalNVLink count measured placements whose span
	// at the level equals the state-aware lower bound; SpanRatio sums
	// span/bound at the leaf level.
	OptimalLeaf, OptimalNVLink int
	SpanRatio                  float64
	// OptimalWithin[l] counts measured placements whose span at level l
	// equals the fewest level-l domains of any placement within one
	// domain of the required level (view.boundWithin).
	OptimalWithin [carve.LevelSite + 1]int
	// Rejections are fragmentation rejections: refused although the free
	// usable GPUs covered the request. CapacityRefusals could not fit in
	// the free GPU count at all.
	Rejections       int
	CapacityRefusals int
	// UtilAtReject[n] is the utilisation at the (n+1)th rejection; EndUtil
	// the utilisation at the end.
	UtilAtReject []float64
	EndUtil      float64
	// MeanUtil is the time-averaged utilisation over the whole run;
	// MeanWholeLeaves the time-averaged number of leaf domains with every
	// node free (and usable).
	MeanUtil        float64
	MeanWholeLeaves float64
	// Decisions are the placement decision latencies, in seconds.
	Decisions []float64
	// Grows, FailedGrows, Shrinks, Swaps, FailedSwaps and Failures count
	// events.
	Grows, FailedGrows, Shrinks  int
	Failures, Swaps, FailedSwaps int
	// LargestFreeGPUs is the most free usable GPUs in one leaf domain at
	// the end; WholeFreeLeaves the leaf domains with every node free.
	LargestFreeGPUs, WholeFreeLeaves int
	// StaticUtil[n] is the utilisation at the (n+1)th rejection of the
	// static fill (see staticFill); StaticPlaced the blocks it placed.
	StaticUtil                     []float64
	StaticRejections, StaticPlaced int
	StaticEndUtil                  float64
	Wall                           time.Duration
}

type eventKind uint8

const (
	evArrival eventKind = iota
	evDeparture
	evElastic
	evFailure
	evRepair
)

type event struct {
	at   float64
	seq  int64
	kind eventKind
	// a is the arrival index (arrival, departure, elastic) or failure
	// index; b the elastic event's index.
	a, b int32
}

type eventQueue []event

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(event)) }
func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// sim is one simulation in progress.
type sim struct {
	cfg   RunConfig
	s     *carve.State
	t     *carve.Topology
	q     eventQueue
	seq   int64
	res   Result
	alloc int // GPUs in blocks
	free  int // usable nodes in no block
	// live[i] reports whether arrival i holds a block.
	live     []bool
	failed   []bool
	gpuModel string
	// leafBusy counts the nodes of each leaf domain that are not free;
	// wholeLeaves the leaf domains with none.
	leafBusy    []int32
	wholeLeaves int
	// integrals over time of the utilisation and of wholeLeaves
	lastAt, utilArea, wholeArea float64
}

// Run replays the trace with the policy.
func Run(cfg RunConfig) (*Result, error) {
	start := time.Now()
	s, err := carve.NewState(&model.CarveSnapshot{Nodes: cfg.Fleet.Nodes}, carve.Policy{}, time.Time{})
	if err != nil {
		return nil, err
	}
	m := &sim{
		cfg: cfg, s: s, t: s.Topology(),
		live: make([]bool, len(cfg.Trace.Arrivals)), failed: make([]bool, s.Topology().Nodes()),
		free: s.Topology().Nodes(), gpuModel: cfg.Fleet.Nodes[0].GPUModel,
		leafBusy: make([]int32, s.Topology().Domains(carve.LevelLeaf)), wholeLeaves: s.Topology().Domains(carve.LevelLeaf),
	}
	m.res.Requests = len(cfg.Trace.Arrivals)
	for i, a := range cfg.Trace.Arrivals {
		m.push(a.At, evArrival, int32(i), 0)
	}
	for i, f := range cfg.Trace.Failures {
		m.push(f.At, evFailure, int32(i), 0)
	}
	end := cfg.Trace.End
	for m.q.Len() > 0 {
		e := heap.Pop(&m.q).(event)
		if e.at > end {
			break
		}
		m.utilArea += float64(m.alloc) * (e.at - m.lastAt)
		m.wholeArea += float64(m.wholeLeaves) * (e.at - m.lastAt)
		m.lastAt = e.at
		if err := m.handle(e); err != nil {
			return nil, fmt.Errorf("%s on %s at %.1fh: %w", cfg.Policy.Name(), cfg.Fleet.Name, e.at, err)
		}
		if cfg.Check {
			if err := m.check(); err != nil {
				return nil, fmt.Errorf("%s on %s at %.1fh after event %d: %w", cfg.Policy.Name(), cfg.Fleet.Name, e.at, e.kind, err)
			}
		}
	}
	total := float64(cfg.Fleet.GPUs)
	m.res.EndUtil = float64(m.alloc) / total
	if m.lastAt > 0 {
		m.res.MeanUtil = m.utilArea / m.lastAt / total
		m.res.MeanWholeLeaves = m.wholeArea / m.lastAt
	}
	m.fragmentation()
	if cfg.Static {
		if err := m.staticFill(); err != nil {
			return nil, fmt.Errorf("%s on %s, static fill: %w", cfg.Policy.Name(), cfg.Fleet.Name, err)
		}
	}
	m.res.Wall = time.Since(start)
	return &m.res, nil
}

// staticFill is experiment E1 of carving-anchors §5.4: on an empty
// fleet, with no departures, failures or elastic events, the trace's
// requests are placed in order until the tenth fragmentation rejection.
func (m *sim) staticFill() error {
	s, err := carve.NewState(&model.CarveSnapshot{Nodes: m.cfg.Fleet.Nodes}, carve.Policy{}, time.Time{})
	if err != nil {
		return err
	}
	f := m.cfg.Fleet
	free, alloc := len(f.Nodes), 0
	for i, a := range m.cfg.Trace.Arrivals {
		if len(m.res.StaticUtil) >= 10 || free == 0 {
			break
		}
		req := carve.Request{
			Block: blockName(int32(i)), Tenant: fmt.Sprintf("t%d", a.Tenant), GPUModel: m.gpuModel,
			GPUs: a.Nodes * f.PerNode, Required: a.Required, Preemptible: a.Preemptible,
		}
		p, err := m.cfg.Policy.Place(s, req)
		if err != nil {
			if isBug(err) {
				return err
			}
			if free >= a.Nodes {
				m.res.StaticUtil = append(m.res.StaticUtil, float64(alloc)/float64(f.GPUs))
			}
			continue
		}
		if err := s.Apply(p); err != nil {
			return err
		}
		alloc += p.After.GPUs
		free -= len(p.After.Members)
		m.res.StaticPlaced++
	}
	m.res.StaticRejections = len(m.res.StaticUtil)
	m.res.StaticEndUtil = float64(alloc) / float64(f.GPUs)
	return nil
}

func (m *sim) push(at float64, k eventKind, a, b int32) {
	m.seq++
	heap.Push(&m.q, event{at: at, seq: m.seq, kind: k, a: a, b: b})
}

func blockName(i int32) string { return fmt.Sprintf("b%d", i) }

// apply commits a plan and keeps the counters.
func (m *sim) apply(p *carve.Plan) error {
	if err := m.s.Apply(p); err != nil {
		return err
	}
	if p.Before != nil {
		m.alloc -= p.Before.GPUs
	}
	if p.After != nil {
		m.alloc += p.After.GPUs
	}
	for _, mb := range p.Removed {
		if i, _ := m.t.NodeIndex(mb.Node); !m.failed[i] {
			m.setFree(i, true)
		}
	}
	for _, mb := range p.Added {
		if i, _ := m.t.NodeIndex(mb.Node); !m.failed[i] {
			m.setFree(i, false)
		}
	}
	return nil
}

func (m *sim) handle(e event) error {
	tr := m.cfg.Trace
	switch e.kind {
	case evArrival:
		return m.arrive(e)
	case evDeparture:
		p, err := m.s.Release(blockName(e.a))
		if err != nil {
			return err
		}
		m.live[e.a] = false
		return m.apply(p)
	case evElastic:
		if !m.live[e.a] {
			return nil
		}
		return m.elastic(blockName(e.a), tr.Arrivals[e.a].Elastic[e.b].Delta)
	case evFailure:
		f := tr.Failures[e.a]
		if m.failed[f.Node] {
			return nil
		}
		m.res.Failures++
		m.failed[f.Node] = true
		m.s.MarkNode(f.Node, string(model.NodeFailed))
		m.push(f.RepairAt, evRepair, e.a, 0)
		owners := m.s.Owners(f.Node)
		if len(owners) == 0 {
			m.setFree(f.Node, false)
			return nil
		}
		if m.cfg.Swap {
			p, err := m.cfg.Policy.Swap(m.s, owners[0], f.Node)
			if err != nil {
				if isBug(err) {
					return fmt.Errorf("swap: %w", err)
				}
				m.res.FailedSwaps++
				return nil
			}
			m.res.Swaps++
			return m.apply(p)
		}
	case evRepair:
		f := tr.Failures[e.a]
		m.failed[f.Node] = false
		m.s.MarkNode(f.Node, "")
		if len(m.s.Owners(f.Node)) == 0 {
			m.setFree(f.Node, true)
		}
	}
	return nil
}

// setFree counts node i becoming free (usable, in no block) or not.
func (m *sim) setFree(i int, free bool) {
	d := m.t.DomainIndex(i, carve.LevelLeaf)
	if free {
		m.free++
		m.leafBusy[d]--
		if m.leafBusy[d] == 0 {
			m.wholeLeaves++
		}
		return
	}
	m.free--
	if m.leafBusy[d] == 0 {
		m.wholeLeaves--
	}
	m.leafBusy[d]++
}

// isBug reports whether an error is a malformed plan rather than "cannot
// place now".
func isBug(err error) bool {
	var r *carve.Refusal
	if errors.As(err, &r) || errors.Is(err, ErrNoFit) {
		return false
	}
	return true
}

func (m *sim) arrive(e event) error {
	a := m.cfg.Trace.Arrivals[e.a]
	f := m.cfg.Fleet
	req := carve.Request{
		Block: blockName(e.a), Tenant: fmt.Sprintf("t%d", a.Tenant), GPUModel: m.gpuModel,
		GPUs: a.Nodes * f.PerNode, Required: a.Required, Preemptible: a.Preemptible,
	}
	t0 := time.Now()
	p, err := m.cfg.Policy.Place(m.s, req)
	m.res.Decisions = append(m.res.Decisions, time.Since(t0).Seconds())
	if err != nil {
		if isBug(err) {
			return fmt.Errorf("place %d nodes within one %s: %w", a.Nodes, a.Required, err)
		}
		if m.free >= a.Nodes {
			m.res.Rejections++
			if len(m.res.UtilAtReject) < 10 {
				m.res.UtilAtReject = append(m.res.UtilAtReject, float64(m.alloc)/float64(f.GPUs))
			}
		} else {
			m.res.CapacityRefusals++
		}
		return nil
	}
	if e.at >= m.cfg.Warmup {
		if err := m.measure(req, a, p); err != nil {
			return err
		}
	}
	if err := m.apply(p); err != nil {
		return err
	}
	m.res.Placed++
	m.live[e.a] = true
	m.push(e.at+a.Hours, evDeparture, e.a, 0)
	if m.cfg.Elastic {
		for j, el := range a.Elastic {
			m.push(e.at+el.After, evElastic, e.a, int32(j))
		}
	}
	return nil
}

// measure scores a new block's spans against the engine's state-aware
// bounds and against the bounds within the required level.
func (m *sim) measure(req carve.Request, a Arrival, p *carve.Plan) error {
	r := &m.res
	r.Measured++
	lb := p.Bound(carve.LevelLeaf)
	if p.Span(carve.LevelLeaf) == lb {
		r.OptimalLeaf++
	}
	if p.Span(carve.LevelNVLink) == p.Bound(carve.LevelNVLink) {
		r.OptimalNVLink++
	}
	r.SpanRatio += float64(p.Span(carve.LevelLeaf)) / float64(max(1, lb))
	var v *view
	for _, l := range []carve.Level{carve.LevelNVLink, carve.LevelLeaf} {
		cb := p.Bound(l)
		if a.Required > l && (l > carve.LevelNVLink || m.cfg.Fleet.Largest[l] > 1) {
			if v == nil {
				c, err := m.s.Eligible(req)
				if err != nil {
					return err
				}
				v = newView(m.t, c.Eligible)
			}
			cb = v.boundWithin(a.Nodes, a.Required, l)
		}
		if p.Span(l) == cb {
			r.OptimalWithin[l]++
		}
	}
	return nil
}

func (m *sim) elastic(name string, delta float64) error {
	b, ok := m.s.Block(name)
	if !ok {
		return fmt.Errorf("block %s is gone", name)
	}
	cur := len(b.Members)
	n := int(math.Round(math.Abs(delta) * float64(cur)))
	if n == 0 || (delta < 0 && n >= cur) {
		return nil
	}
	if delta > 0 {
		p, err := m.cfg.Policy.Grow(m.s, name, n)
		if err != nil {
			if isBug(err) {
				return fmt.Errorf("grow %s by %d nodes: %w", name, n, err)
			}
			m.res.FailedGrows++
			return nil
		}
		m.res.Grows++
		return m.apply(p)
	}
	p, err := m.cfg.Policy.Shrink(m.s, name, n)
	if err != nil {
		return fmt.Errorf("shrink %s by %d nodes: %w", name, n, err)
	}
	m.res.Shrinks++
	return m.apply(p)
}

// fragmentation measures what is left at the end.
func (m *sim) fragmentation() {
	t := m.t
	for d := range t.Domains(carve.LevelLeaf) {
		first, end := t.DomainNodes(carve.LevelLeaf, d)
		n := 0
		for i := first; i < end; i++ {
			if m.freeNode(i) {
				n++
			}
		}
		m.res.LargestFreeGPUs = max(m.res.LargestFreeGPUs, n*m.cfg.Fleet.PerNode)
		if n == end-first {
			m.res.WholeFreeLeaves++
		}
	}
}

func (m *sim) freeNode(i int) bool {
	ok, _ := m.s.Usable(i)
	return ok && len(m.s.Owners(i)) == 0
}

// check verifies that no GPU is in two blocks, that the counters match
// the state and that every block is whole nodes within its required
// domain.
func (m *sim) check() error {
	t := m.t
	free, alloc := 0, 0
	inBlock := make([]string, t.Nodes())
	for _, name := range m.s.Blocks() {
		b, _ := m.s.Block(name)
		sum := 0
		var idx []int
		for _, mb := range b.Members {
			i, ok := t.NodeIndex(mb.Node)
			if !ok {
				return fmt.Errorf("block %s: unknown node %s", name, mb.Node)
			}
			if inBlock[i] != "" {
				return fmt.Errorf("node %s is in blocks %s and %s", mb.Node, inBlock[i], name)
			}
			inBlock[i] = name
			if len(mb.GPUs) != t.GPUs(i) {
				return fmt.Errorf("block %s holds %d of node %s's %d GPUs", name, len(mb.GPUs), mb.Node, t.GPUs(i))
			}
			sum += len(mb.GPUs)
			idx = append(idx, i)
		}
		if sum != b.GPUs {
			return fmt.Errorf("block %s: members hold %d GPUs, block says %d", name, sum, b.GPUs)
		}
		alloc += sum
		l, _ := carve.ParseLevel(b.Required)
		if l == 0 {
			l = carve.LevelSite
		}
		doms := map[int]bool{}
		for _, i := range idx {
			doms[t.DomainIndex(i, l)] = true
		}
		if len(doms) != 1 {
			return fmt.Errorf("block %s spans %d %ss; one is required", name, len(doms), l)
		}
	}
	for i := range t.Nodes() {
		if owners := m.s.Owners(i); len(owners) > 1 || (len(owners) == 1) != (inBlock[i] != "") {
			return fmt.Errorf("node %s: owners %v, blocks say %q", t.NodeName(i), owners, inBlock[i])
		}
		if m.freeNode(i) {
			free++
		}
	}
	whole := 0
	for d := range t.Domains(carve.LevelLeaf) {
		first, end := t.DomainNodes(carve.LevelLeaf, d)
		busy := 0
		for i := first; i < end; i++ {
			if !m.freeNode(i) {
				busy++
			}
		}
		if int32(busy) != m.leafBusy[d] {
			return fmt.Errorf("leaf domain %s: %d busy nodes, counted %d", t.DomainName(carve.LevelLeaf, d), busy, m.leafBusy[d])
		}
		if busy == 0 {
			whole++
		}
	}
	if whole != m.wholeLeaves {
		return fmt.Errorf("%d whole free leaf domains, counted %d", whole, m.wholeLeaves)
	}
	if free != m.free || alloc != m.alloc {
		return fmt.Errorf("counters: free %d nodes (state %d), allocated %d GPUs (state %d)", m.free, free, m.alloc, alloc)
	}
	return nil
}

// percentile returns the p-th percentile (0..1) of xs, sorting them.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	i := int(math.Ceil(p*float64(len(xs)))) - 1
	return xs[min(max(i, 0), len(xs)-1)]
}
