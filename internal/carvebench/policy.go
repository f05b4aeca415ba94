package carvebench

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/railyard/railyard/internal/carve"
)

// Policy decides placements. Every method returns a plan that the caller
// applies to the state; an error that is not a bug means "cannot now".
type Policy interface {
	Name() string
	// Place decides a new block.
	Place(s *carve.State, req carve.Request) (*carve.Plan, error)
	// Grow adds nodes to a block; Shrink removes nodes from it.
	Grow(s *carve.State, block string, nodes int) (*carve.Plan, error)
	Shrink(s *carve.State, block string, nodes int) (*carve.Plan, error)
	// Swap replaces a failed member node of a block.
	Swap(s *carve.State, block string, node int) (*carve.Plan, error)
}

// ErrNoFit is a baseline's refusal: its rule found no placement.
var ErrNoFit = errors.New("no placement")

// Policy names.
const (
	Railyard     = "railyard"
	FirstFit     = "first-fit"
	SlurmTree    = "slurm-tree"
	SlurmBlock   = "slurm-block"
	KueueBestFit = "kueue-bestfit"
	WorstFit     = "worst-fit"
)

// Policies lists every policy, Railyard first.
func Policies() []Policy {
	return []Policy{
		railyard{},
		&baseline{name: FirstFit, choose: firstFit},
		&baseline{name: SlurmTree, choose: slurmTree},
		&baseline{name: SlurmBlock, choose: slurmBlock},
		&baseline{name: KueueBestFit, choose: kueueBestFit},
		&baseline{name: WorstFit, choose: worstFit},
	}
}

// PolicyNamed returns the named policy.
func PolicyNamed(name string) (Policy, error) {
	for _, p := range Policies() {
		if p.Name() == name {
			return p, nil
		}
	}
	return nil, fmt.Errorf("unknown policy %q", name)
}

// The engine's elastic and repair operations, found at run time so that the
// benchmark builds whether or not the engine has them yet.
type (
	engineGrow interface {
		Grow(name string, gpus int) (*carve.Plan, error)
	}
	engineShrink interface {
		Shrink(name string, gpus int) (*carve.Plan, error)
	}
	engineSwap interface {
		Swap(name, node string) (*carve.Plan, error)
	}
)

// EngineHas reports which optional operations the engine offers: Grow and
// Shrink (elastic), and Swap.
func EngineHas(s *carve.State) (elastic, swap bool) {
	_, g := any(s).(engineGrow)
	_, sh := any(s).(engineShrink)
	_, sw := any(s).(engineSwap)
	return g && sh, sw
}

// railyard is the engine itself.
type railyard struct{}

func (railyard) Name() string { return Railyard }

func (railyard) Place(s *carve.State, req carve.Request) (*carve.Plan, error) { return s.Place(req) }

func (railyard) Grow(s *carve.State, block string, nodes int) (*carve.Plan, error) {
	g, ok := any(s).(engineGrow)
	if !ok {
		return nil, errors.New("the engine has no Grow")
	}
	return g.Grow(block, nodes*perNodeOf(s, block))
}

func (railyard) Shrink(s *carve.State, block string, nodes int) (*carve.Plan, error) {
	g, ok := any(s).(engineShrink)
	if !ok {
		return nil, errors.New("the engine has no Shrink")
	}
	return g.Shrink(block, nodes*perNodeOf(s, block))
}

func (railyard) Swap(s *carve.State, block string, node int) (*carve.Plan, error) {
	g, ok := any(s).(engineSwap)
	if !ok {
		return nil, errors.New("the engine has no Swap")
	}
	return g.Swap(block, s.Topology().NodeName(node))
}

func perNodeOf(s *carve.State, block string) int {
	b, ok := s.Block(block)
	if !ok || len(b.Members) == 0 {
		return 0
	}
	return len(b.Members[0].GPUs)
}

// view is a baseline's picture of the free capacity: the eligible nodes and
// the free eligible nodes of every domain, per level.
type view struct {
	t    *carve.Topology
	elig []bool
	free [carve.LevelSite + 1][]int32
}

func newView(t *carve.Topology, elig []bool) *view {
	v := &view{t: t, elig: elig}
	for l := carve.LevelNVLink; l <= carve.LevelSite; l++ {
		v.free[l] = make([]int32, t.Domains(l))
	}
	for i, ok := range elig {
		if !ok {
			continue
		}
		for l := carve.LevelNVLink; l <= carve.LevelSite; l++ {
			v.free[l][t.DomainIndex(i, l)]++
		}
	}
	return v
}

// lowest appends the n lowest-indexed eligible nodes of domain d at level
// l that are not yet taken.
func (v *view) lowest(l carve.Level, d, n int, out []int) []int {
	first, end := v.t.DomainNodes(l, d)
	for i := first; i < end && n > 0; i++ {
		if v.elig[i] {
			out = append(out, i)
			n--
		}
	}
	return out
}

// boundWithin is the fewest domains of level l that k nodes can span
// within one domain of level req: for each domain of req that holds k,
// its level-l domains largest first, and the smallest count over them.
// The engine's Bound is the same greedy over the whole fleet, which the
// required level may put out of reach.
func (v *view) boundWithin(k int, req, l carve.Level) int {
	if l >= req {
		return 1
	}
	best := 0
	var caps []int32
	for d, f := range v.free[req] {
		if int(f) < k {
			continue
		}
		first, end := v.t.DomainNodes(req, d)
		a, b := v.t.DomainIndex(first, l), v.t.DomainIndex(end-1, l)+1
		caps = append(caps[:0], v.free[l][a:b]...)
		slices.SortFunc(caps, func(x, y int32) int { return cmp.Compare(y, x) })
		n, sum := 0, 0
		for _, c := range caps {
			if sum >= k {
				break
			}
			sum += int(c)
			n++
		}
		if best == 0 || n < best {
			best = n
		}
	}
	return best
}

// children returns the indexes of domain d's children at level l-1.
func (v *view) children(l carve.Level, d int) []int {
	a, b := v.t.Children(l, d)
	out := make([]int, 0, b-a)
	for c := a; c < b; c++ {
		out = append(out, c)
	}
	return out
}

// chooser is a baseline rule: k nodes within one domain of level req, or
// nil.
type chooser func(v *view, k int, req carve.Level) []int

// baseline runs a chooser through the engine's feasibility stage and
// PlanNodes. Grow places the delta by the same rule, restricted to the
// block's required-level domain (Kueue's unanchored delta placement);
// Shrink truncates (removes the highest-indexed members); Swap takes the
// nearest free node: in the failed node's NVLink domain, else its leaf
// domain, else anywhere in the block's required domain, lowest index
// first.
type baseline struct {
	name   string
	choose chooser
}

func (b *baseline) Name() string { return b.name }

func (b *baseline) Place(s *carve.State, req carve.Request) (*carve.Plan, error) {
	c, err := s.Eligible(req)
	if err != nil {
		return nil, err
	}
	v := newView(s.Topology(), c.Eligible)
	req = withRequired(req)
	nodes := b.choose(v, c.Nodes, req.Required)
	if nodes == nil {
		return nil, ErrNoFit
	}
	return s.PlanNodes(req, nodes)
}

func withRequired(req carve.Request) carve.Request {
	if req.Required == 0 {
		req.Required = carve.LevelSite
	}
	return req
}

// blockDomain returns a block's required level and the domain of that
// level holding it.
func blockDomain(s *carve.State, name string) (carve.Level, int, error) {
	b, ok := s.Block(name)
	if !ok || len(b.Members) == 0 {
		return 0, 0, fmt.Errorf("%w: block %s", carve.ErrNotFound, name)
	}
	l, err := carve.ParseLevel(b.Required)
	if err != nil {
		return 0, 0, err
	}
	if l == 0 {
		l = carve.LevelSite
	}
	i, _ := s.Topology().NodeIndex(b.Members[0].Node)
	return l, s.Topology().DomainIndex(i, l), nil
}

// eligibleIn returns the nodes eligible for more of the block, restricted
// to domain d of level l.
func eligibleIn(s *carve.State, name string, nodes int, l carve.Level, d int) (*view, error) {
	b, _ := s.Block(name)
	c, err := s.Eligible(carve.Request{Tenant: b.Tenant, GPUModel: b.GPUModel, GPUs: nodes * len(b.Members[0].GPUs)})
	if err != nil {
		return nil, err
	}
	first, end := s.Topology().DomainNodes(l, d)
	clear(c.Eligible[:first])
	clear(c.Eligible[end:])
	return newView(s.Topology(), c.Eligible), nil
}

func (b *baseline) Grow(s *carve.State, name string, nodes int) (*carve.Plan, error) {
	l, d, err := blockDomain(s, name)
	if err != nil {
		return nil, err
	}
	v, err := eligibleIn(s, name, nodes, l, d)
	if err != nil {
		return nil, err
	}
	add := b.choose(v, nodes, l)
	if add == nil {
		return nil, ErrNoFit
	}
	return s.PlanResize(name, add, nil)
}

func (b *baseline) Shrink(s *carve.State, name string, nodes int) (*carve.Plan, error) {
	blk, ok := s.Block(name)
	if !ok {
		return nil, fmt.Errorf("%w: block %s", carve.ErrNotFound, name)
	}
	if nodes >= len(blk.Members) {
		return nil, fmt.Errorf("%w: cannot shrink %s by all its %d nodes", carve.ErrInvalid, name, nodes)
	}
	idx := make([]int, len(blk.Members))
	for j, m := range blk.Members {
		idx[j], _ = s.Topology().NodeIndex(m.Node)
	}
	slices.Sort(idx)
	return s.PlanResize(name, nil, idx[len(idx)-nodes:])
}

func (b *baseline) Swap(s *carve.State, name string, node int) (*carve.Plan, error) {
	l, d, err := blockDomain(s, name)
	if err != nil {
		return nil, err
	}
	v, err := eligibleIn(s, name, 1, l, d)
	if err != nil {
		return nil, err
	}
	t := s.Topology()
	for _, near := range []carve.Level{carve.LevelNVLink, carve.LevelLeaf, l} {
		if near > l {
			continue
		}
		if got := v.lowest(near, t.DomainIndex(node, near), 1, nil); len(got) == 1 {
			return s.PlanResize(name, got, []int{node})
		}
	}
	return nil, ErrNoFit
}
