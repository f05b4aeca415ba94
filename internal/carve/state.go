package carve

import (
	"errors"
	"fmt"
	"maps"
	"math/bits"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/railyard/railyard/internal/model"
)

// ErrInvalid marks a request that is malformed rather than unplaceable:
// a GPU count that is not whole nodes, an unknown block, a bad level.
var ErrInvalid = errors.New("invalid request")

// ErrNotFound marks a request that names a block or node that does not
// exist.
var ErrNotFound = errors.New("not found")

// Policy is the operator's configuration of the engine.
type Policy struct {
	// SubNode allows blocks of fewer GPUs than a node holds, packed onto
	// shared nodes. Off, every block is whole nodes.
	SubNode bool
}

// Reasons a node is not eligible, as counted in refusals.
const (
	whyInBlock    = "in a block"
	whyCordoned   = "cordoned"
	whyUnhealthy  = "with an unhealthy GPU"
	whyReserved   = "reserved for another tenant"
	whyOtherModel = "with another GPU count"
)

// State is the engine's in-memory index: the topology, which GPUs each
// block holds, quotas and reservations. It is not safe for concurrent use;
// the server serialises decisions and commits.
type State struct {
	topo   *Topology
	policy Policy
	// why[i] is empty when node i may be handed out, else the reason.
	why []string
	// bad and used are per-node masks of unhealthy and allocated GPUs.
	bad, used []uint64
	owners    [][]string
	// reserved[i] is the index in resv of the reservation holding node i,
	// or -1.
	reserved []int32
	resv     []model.Reservation
	blocks   map[string]*model.Block
	use      map[string]map[string]int
	quota    map[string]map[string]int
}

// NewState builds the engine's state from a snapshot. Reservations whose
// Until has passed at now are ignored. It fails when the snapshot's blocks
// overlap or name unknown nodes, which would mean a corrupt store.
func NewState(snap *model.CarveSnapshot, policy Policy, now time.Time) (*State, error) {
	t := NewTopology(snap.Nodes)
	n := len(t.nodes)
	s := &State{
		topo: t, policy: policy,
		why: make([]string, n), bad: make([]uint64, n), used: make([]uint64, n),
		owners: make([][]string, n), reserved: make([]int32, n),
		blocks: map[string]*model.Block{}, use: map[string]map[string]int{}, quota: map[string]map[string]int{},
	}
	for _, c := range snap.Nodes {
		i := t.byName[c.Node]
		switch {
		case c.State != model.NodeAvailable:
			s.why[i] = string(c.State)
		case c.Cordoned:
			s.why[i] = whyCordoned
		case len(c.UnhealthyGPUs) > 0:
			s.why[i] = whyUnhealthy
		}
		for _, g := range c.UnhealthyGPUs {
			if g >= 0 && g < 64 {
				s.bad[i] |= 1 << g
			}
		}
	}
	for i := range s.reserved {
		s.reserved[i] = -1
	}
	rs := slices.Clone(snap.Reservations)
	slices.SortFunc(rs, func(a, b model.Reservation) int { return strings.Compare(a.Name, b.Name) })
	for _, r := range rs {
		if !r.Until.IsZero() && !now.Before(r.Until) {
			continue
		}
		nodes, err := t.reservationNodes(r)
		if err != nil {
			return nil, err
		}
		ri := int32(len(s.resv))
		s.resv = append(s.resv, r)
		for _, i := range nodes {
			if s.reserved[i] < 0 {
				s.reserved[i] = ri
			}
		}
	}
	for _, q := range snap.Quotas {
		if s.quota[q.Tenant] == nil {
			s.quota[q.Tenant] = map[string]int{}
		}
		s.quota[q.Tenant][q.GPUModel] = q.GPUs
	}
	for i := range snap.Blocks {
		b := snap.Blocks[i]
		if err := s.add(&b); err != nil {
			return nil, fmt.Errorf("block %s: %w", b.Name, err)
		}
	}
	return s, nil
}

// reservationNodes expands a reservation to node indexes.
func (t *Topology) reservationNodes(r model.Reservation) ([]int32, error) {
	var out []int32
	for _, name := range r.Nodes {
		i, ok := t.byName[name]
		if !ok {
			return nil, fmt.Errorf("reservation %s: %w: node %q", r.Name, ErrNotFound, name)
		}
		out = append(out, i)
	}
	if r.Domain != "" {
		l, err := ParseLevel(r.Level)
		if err != nil {
			return nil, fmt.Errorf("reservation %s: %w", r.Name, err)
		}
		if l == 0 {
			return nil, fmt.Errorf("reservation %s: %w: a domain needs a level", r.Name, ErrInvalid)
		}
		d, ok := t.byDomain[l][r.Domain]
		if !ok {
			return nil, fmt.Errorf("reservation %s: %w: %s %q", r.Name, ErrNotFound, l.Noun(), r.Domain)
		}
		for i := t.doms[l][d].first; i < t.doms[l][d].end; i++ {
			out = append(out, i)
		}
	}
	return out, nil
}

// Topology returns the state's topology.
func (s *State) Topology() *Topology { return s.topo }

// Block returns a copy of the named block.
func (s *State) Block(name string) (model.Block, bool) {
	b, ok := s.blocks[name]
	if !ok {
		return model.Block{}, false
	}
	return cloneBlock(b), true
}

// Blocks returns the names of all blocks, sorted.
func (s *State) Blocks() []string { return slices.Sorted(maps.Keys(s.blocks)) }

// Used returns the GPUs of the model the tenant holds.
func (s *State) Used(tenant, gpuModel string) int { return s.use[tenant][gpuModel] }

// Quota returns the tenant's quota for the model, and whether one is set.
func (s *State) Quota(tenant, gpuModel string) (int, bool) {
	q, ok := s.quota[tenant][gpuModel]
	return q, ok
}

// SetQuota changes a quota in memory, after the store committed it; a
// negative value removes it.
func (s *State) SetQuota(q model.Quota) {
	if q.GPUs < 0 {
		delete(s.quota[q.Tenant], q.GPUModel)
		return
	}
	if s.quota[q.Tenant] == nil {
		s.quota[q.Tenant] = map[string]int{}
	}
	s.quota[q.Tenant][q.GPUModel] = q.GPUs
}

// FreeGPUs returns node i's GPUs that are neither allocated nor unhealthy.
func (s *State) FreeGPUs(i int) int {
	return s.topo.nodes[i].gpus - bits.OnesCount64(s.used[i]|s.bad[i])
}

// Owners returns the blocks holding GPUs of node i.
func (s *State) Owners(i int) []string { return s.owners[i] }

// Usable reports whether node i may be handed out at all (state,
// cordon, health), regardless of blocks and reservations; if not, why.
func (s *State) Usable(i int) (bool, string) { return s.why[i] == "", s.why[i] }

// Clone returns an independent copy, for what-if planning.
func (s *State) Clone() *State {
	c := *s
	c.why = slices.Clone(s.why)
	c.bad = slices.Clone(s.bad)
	c.used = slices.Clone(s.used)
	c.owners = make([][]string, len(s.owners))
	for i, o := range s.owners {
		if len(o) > 0 {
			c.owners[i] = slices.Clone(o)
		}
	}
	c.reserved = slices.Clone(s.reserved)
	c.blocks = maps.Clone(s.blocks)
	c.use = map[string]map[string]int{}
	for t, m := range s.use {
		c.use[t] = maps.Clone(m)
	}
	c.quota = map[string]map[string]int{}
	for t, m := range s.quota {
		c.quota[t] = maps.Clone(m)
	}
	return &c
}

// Apply records a committed plan: the block's old membership is released
// and its new one taken. It fails, changing nothing, when the plan no
// longer fits the state (a GPU taken meanwhile).
func (s *State) Apply(p *Plan) error {
	if p.Before != nil {
		cur, ok := s.blocks[p.Before.Name]
		if !ok || cur.Generation != p.Before.Generation {
			return fmt.Errorf("%w: block %s changed since it was planned", ErrStale, p.Before.Name)
		}
		s.remove(cur)
	}
	if p.After != nil {
		b := cloneBlock(p.After)
		if err := s.add(&b); err != nil {
			if p.Before != nil {
				old := cloneBlock(p.Before)
				_ = s.add(&old) // it held before; put it back
			}
			return err
		}
	}
	return nil
}

// ErrStale means a plan was made against a state that has since changed.
var ErrStale = errors.New("stale plan")

func (s *State) add(b *model.Block) error {
	masks := make([]uint64, len(b.Members))
	idx := make([]int32, len(b.Members))
	for k, m := range b.Members {
		i, ok := s.topo.byName[m.Node]
		if !ok {
			return fmt.Errorf("%w: node %q", ErrNotFound, m.Node)
		}
		var mask uint64
		for _, g := range m.GPUs {
			if g < 0 || g >= s.topo.nodes[i].gpus {
				return fmt.Errorf("%w: node %s has no GPU %d", ErrInvalid, m.Node, g)
			}
			mask |= 1 << g
		}
		if s.used[i]&mask != 0 {
			return fmt.Errorf("%w: GPUs of node %s are already in block %s", ErrStale, m.Node, strings.Join(s.owners[i], ","))
		}
		masks[k], idx[k] = mask, i
	}
	if _, dup := s.blocks[b.Name]; dup {
		return fmt.Errorf("%w: block %s exists", ErrStale, b.Name)
	}
	for k, i := range idx {
		s.used[i] |= masks[k]
		s.owners[i] = append(s.owners[i], b.Name)
	}
	s.blocks[b.Name] = b
	if s.use[b.Tenant] == nil {
		s.use[b.Tenant] = map[string]int{}
	}
	s.use[b.Tenant][b.GPUModel] += b.GPUs
	return nil
}

func (s *State) remove(b *model.Block) {
	for _, m := range b.Members {
		i := s.topo.byName[m.Node]
		for _, g := range m.GPUs {
			s.used[i] &^= 1 << g
		}
		s.owners[i] = slices.DeleteFunc(s.owners[i], func(o string) bool { return o == b.Name })
		if len(s.owners[i]) == 0 {
			s.owners[i] = nil
		}
	}
	delete(s.blocks, b.Name)
	s.use[b.Tenant][b.GPUModel] -= b.GPUs
}

func cloneBlock(b *model.Block) model.Block {
	c := *b
	c.Members = make([]model.BlockMember, len(b.Members))
	for i, m := range b.Members {
		m.GPUs = slices.Clone(m.GPUs)
		c.Members[i] = m
	}
	return c
}

// sortedReasons renders a count per reason, largest first.
func sortedReasons(m map[string]int) string {
	type kv struct {
		k string
		v int
	}
	var kvs []kv
	for k, v := range m {
		kvs = append(kvs, kv{k, v})
	}
	sort.Slice(kvs, func(a, b int) bool {
		if kvs[a].v != kvs[b].v {
			return kvs[a].v > kvs[b].v
		}
		return kvs[a].k < kvs[b].k
	})
	parts := make([]string, len(kvs))
	for i, e := range kvs {
		parts[i] = fmt.Sprintf("%d %s", e.v, e.k)
	}
	return strings.Join(parts, ", ")
}
