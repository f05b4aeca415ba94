package maintenance

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/railyard/railyard/internal/carve"
	"github.com/railyard/railyard/internal/model"
)

// Phase is where one node stands in a campaign. The executor moves a node
// forward one phase at a time and stores each step, so a restarted server
// resumes from the stored phase.
type Phase string

// Phases, in order.
const (
	// PhasePending: not yet taken out of service.
	PhasePending Phase = "pending"
	// PhaseCordoned: admitted; no new work lands on it. From here until
	// PhaseDone the node counts against every budget.
	PhaseCordoned Phase = "cordoned"
	// PhaseSwapping: a spare took its place in the tenant's block; waiting
	// for the tenant's network to follow.
	PhaseSwapping Phase = "swapping"
	// PhaseActing: the action runs (firmware task, power cycle, hook,
	// technician).
	PhaseActing Phase = "acting"
	// PhaseVerifying: the health check runs before the node returns.
	PhaseVerifying Phase = "verifying"
	// PhaseDone: returned to service.
	PhaseDone Phase = "done"
	// PhaseFailed: the action or the check failed, or the node ran past
	// its timeout. The node stays cordoned and keeps counting against the
	// budgets until an operator retries or skips it: a node that failed
	// its update never returns to a tenant unverified.
	PhaseFailed Phase = "failed"
	// PhaseSkipped: an operator took the node out of the campaign, or it
	// left the fleet.
	PhaseSkipped Phase = "skipped"
)

// Offline reports whether a node in phase p is out of service for
// maintenance.
func (p Phase) Offline() bool {
	switch p {
	case PhaseCordoned, PhaseSwapping, PhaseActing, PhaseVerifying, PhaseFailed:
		return true
	}
	return false
}

// Final reports whether the node is finished with, for this run.
func (p Phase) Final() bool { return p == PhaseDone || p == PhaseSkipped }

// Mode is how a node left its tenant, if it had one.
type Mode string

// Modes.
const (
	// ModeIdle: the node was in no block.
	ModeIdle Mode = "idle"
	// ModeSwap: a spare from the same leaf domain took its place in its
	// blocks first, so the tenant kept its capacity.
	ModeSwap Mode = "swap"
	// ModeDrain: no spare was free; the tenant's budget or window allowed
	// taking the node while it stays in the block.
	ModeDrain Mode = "drain"
)

// NodeStatus is a campaign's record of one node.
type NodeStatus struct {
	Node  string `json:"node"`
	Phase Phase  `json:"phase"`
	Mode  Mode   `json:"mode,omitempty"`
	// Blocks and Tenants are what the node belonged to when admitted;
	// Spares the nodes swapped in for it, one per block.
	Blocks  []string `json:"blocks,omitempty"`
	Tenants []string `json:"tenants,omitempty"`
	Spares  []string `json:"spares,omitempty"`
	// Wave counts the admission rounds, from 1.
	Wave int `json:"wave,omitempty"`
	// Reason says why the node is where it is: why it was admitted, why it
	// is held back, why it failed.
	Reason  string `json:"reason,omitempty"`
	Attempt int    `json:"attempt,omitempty"`
	// Task is the BMC's task id of a firmware update in flight.
	Task string `json:"task,omitempty"`
	// Confirmed is set when a technician confirms a hardware swap.
	Confirmed bool `json:"confirmed,omitempty"`
	// NextTry is when a step that failed is tried again.
	NextTry    time.Time `json:"next_try,omitzero"`
	StartedAt  time.Time `json:"started_at,omitzero"`
	PhaseAt    time.Time `json:"phase_at,omitzero"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	// LeaseOwner holds the node's lease until LeaseUntil; an expired lease
	// is anyone's to take.
	LeaseOwner string    `json:"lease_owner,omitempty"`
	LeaseUntil time.Time `json:"lease_until,omitzero"`
	Error      string    `json:"error,omitempty"`
}

// Input is what one admission decision reads.
type Input struct {
	Spec *Spec
	Cal  *Calendars
	// Fleet is the inventory's carving snapshot: nodes, blocks,
	// reservations.
	Fleet *model.CarveSnapshot
	// Nodes are this campaign's targets.
	Nodes []NodeStatus
	// Elsewhere are nodes offline for other campaigns, with the campaign.
	Elsewhere map[string]string
	Now       time.Time
}

// Admission takes one node out of service.
type Admission struct {
	Node    string
	Mode    Mode
	Blocks  []string
	Tenants []string
	// Swaps are the carving engine's plans that put a spare in the
	// node's place, one per block (ModeSwap).
	Swaps  []*carve.Plan
	Spares []string
	Reason string
}

// Decision is one round of admission: who goes now, and why everyone
// else waits.
type Decision struct {
	Admit []Admission
	// Held maps each pending node not admitted to the reason.
	Held map[string]string
	// Closed, when set, is why the campaign admits nothing now (outside
	// its windows, fleet degraded).
	Closed string
	// Offline and Limit are the fleet-wide count of nodes out for
	// maintenance after the decision, and the fleet budget.
	Offline, Limit int
}

// view is Decide's index of the fleet.
type view struct {
	in      *Input
	nodes   map[string]*model.NodeCapacity
	members map[string][]*model.Block // node → blocks holding it
	fleet   int
	offline map[string]bool
	// dom[level][domain] counts offline nodes; size the domain's nodes.
	dom, size map[string]map[string]int
	// tenantOut counts each tenant's block nodes offline; tenantSize its
	// block nodes.
	tenantOut, tenantSize map[string]int
	// received marks spares that took over a block in this round.
	received map[string]bool
}

func domainKey(c *model.NodeCapacity, level string) string {
	switch level {
	case DomainRack:
		return c.Rack
	case DomainNVLink:
		if c.NVLinkDomain == "" {
			return c.Node
		}
		return c.NVLinkDomain
	case DomainLeaf:
		return c.Site + "/" + c.Pod + "/" + c.LeafDomain
	case DomainPod:
		return c.Site + "/" + c.Pod
	}
	return ""
}

func newView(in *Input) *view {
	v := &view{
		in: in, nodes: make(map[string]*model.NodeCapacity, len(in.Fleet.Nodes)),
		members: map[string][]*model.Block{}, offline: map[string]bool{},
		dom: map[string]map[string]int{}, size: map[string]map[string]int{},
		tenantOut: map[string]int{}, tenantSize: map[string]int{}, received: map[string]bool{},
	}
	for i := range in.Fleet.Nodes {
		c := &in.Fleet.Nodes[i]
		v.nodes[c.Node] = c
		if c.State != model.NodeRetired {
			v.fleet++
		}
	}
	for i := range in.Fleet.Blocks {
		b := &in.Fleet.Blocks[i]
		for _, m := range b.Members {
			v.members[m.Node] = append(v.members[m.Node], b)
		}
	}
	for _, d := range in.Spec.Budget.Domains {
		v.dom[d.Level], v.size[d.Level] = map[string]int{}, map[string]int{}
		for i := range in.Fleet.Nodes {
			v.size[d.Level][domainKey(&in.Fleet.Nodes[i], d.Level)]++
		}
	}
	for n := range in.Elsewhere {
		v.take(n)
	}
	for _, s := range in.Nodes {
		if s.Phase.Offline() {
			v.take(s.Node)
		}
	}
	for node, bs := range v.members {
		for _, t := range tenantsOf(bs) {
			v.tenantSize[t]++
			_ = node
		}
	}
	return v
}

func tenantsOf(bs []*model.Block) []string {
	var ts []string
	for _, b := range bs {
		if !slices.Contains(ts, b.Tenant) {
			ts = append(ts, b.Tenant)
		}
	}
	slices.Sort(ts)
	return ts
}

// take counts node n as offline.
func (v *view) take(n string) {
	if v.offline[n] {
		return
	}
	v.offline[n] = true
	c := v.nodes[n]
	if c == nil {
		return
	}
	for level, m := range v.dom {
		m[domainKey(c, level)]++
	}
	for _, t := range tenantsOf(v.members[n]) {
		v.tenantOut[t]++
	}
}

// chains returns, for each pending allocated node, the length of its
// leaf domain's swap chain: the allocated nodes still pending there per
// node free to stand in.
func (v *view) chains(pending []*NodeStatus) map[string]float64 {
	left, free := map[string]int{}, map[string]int{}
	for _, p := range pending {
		if c := v.nodes[p.Node]; c != nil && len(v.members[p.Node]) > 0 {
			left[domainKey(c, DomainLeaf)]++
		}
	}
	for i := range v.in.Fleet.Nodes {
		c := &v.in.Fleet.Nodes[i]
		if len(v.members[c.Node]) == 0 && !v.offline[c.Node] && c.State == model.NodeAvailable && !c.Cordoned && len(c.UnhealthyGPUs) == 0 {
			free[domainKey(c, DomainLeaf)]++
		}
	}
	out := map[string]float64{}
	for _, p := range pending {
		if c := v.nodes[p.Node]; c != nil && len(v.members[p.Node]) > 0 {
			k := domainKey(c, DomainLeaf)
			out[p.Node] = float64(left[k]) / float64(max(1, free[k]))
		}
	}
	return out
}

// moved records swaps in the index: the node leaves the blocks, each
// spare joins its block, so that a spare admitted later in the same round
// takes the block it just received into account.
func (v *view) moved(node string, plans []*carve.Plan) {
	for _, p := range plans {
		v.members[node] = slices.DeleteFunc(v.members[node], func(b *model.Block) bool { return b.Name == p.Before.Name })
		after := *p.After
		for _, m := range p.Added {
			v.received[m.Node] = true
			v.members[m.Node] = append(slices.DeleteFunc(v.members[m.Node], func(b *model.Block) bool { return b.Name == after.Name }), &after)
		}
	}
}

// domainRoom returns "" when node c's failure domains have room for one
// more, else the reason.
func (v *view) domainRoom(c *model.NodeCapacity) string {
	for _, d := range v.in.Spec.Budget.Domains {
		k := domainKey(c, d.Level)
		lim := d.Limit.Of(v.size[d.Level][k], true)
		if v.dom[d.Level][k]+1 > lim {
			return fmt.Sprintf("%s budget: %d of %d nodes of %s %s already offline", d.Level, v.dom[d.Level][k], lim, d.Level, k)
		}
	}
	return ""
}

// tenantRoom returns "" when every tenant of the node's blocks allows one
// more of its nodes out without a spare, else the reason.
func (v *view) tenantRoom(tenants []string) string {
	b := v.in.Spec.Budget
	for _, t := range tenants {
		tb := b.tenant(t)
		lim := 0
		if tb.Max != nil {
			lim = tb.Max.Of(v.tenantSize[t], false)
		}
		where := "outside its windows"
		if cal, ok := v.in.Cal.tenantCalendar(b, t); ok {
			if cal.Open(v.in.Now) {
				where = "in its window"
				lim = v.tenantSize[t]
				if tb.WindowMax != nil {
					lim = tb.WindowMax.Of(v.tenantSize[t], false)
				}
			} else if next, ok := cal.NextOpen(v.in.Now); ok {
				where = "outside its windows (next opens " + next.UTC().Format(time.RFC3339) + ")"
			}
		} else {
			where = ""
		}
		if v.tenantOut[t]+1 > lim {
			msg := fmt.Sprintf("tenant %s budget: %d of %d of its nodes already out", t, v.tenantOut[t], lim)
			if where != "" {
				msg += " " + where
			}
			return msg
		}
	}
	return ""
}

// unavailable counts nodes out of service for reasons other than
// maintenance.
func (v *view) unavailable() int {
	n := 0
	for i := range v.in.Fleet.Nodes {
		c := &v.in.Fleet.Nodes[i]
		if v.offline[c.Node] || c.State == model.NodeRetired {
			continue
		}
		if c.State == model.NodeFailed || c.State == model.NodeMaintenance || c.Cordoned || len(c.UnhealthyGPUs) > 0 {
			n++
		}
	}
	return n
}

// Decide runs one round of admission. It is the planner's core and the
// executor's gate: feasibility (the node is pending and its failure
// domains, the fleet and its tenants have room) then ranking (idle nodes
// first, then nodes a spare can replace, then nodes the tenant's budget
// lets go). Every pending node it does not admit gets a reason.
func Decide(in *Input) (*Decision, error) {
	v := newView(in)
	d := &Decision{Held: map[string]string{}}
	d.Limit = in.Spec.Budget.Fleet.Of(v.fleet, true)
	var pending []*NodeStatus
	for i := range in.Nodes {
		if in.Nodes[i].Phase == PhasePending {
			pending = append(pending, &in.Nodes[i])
		}
	}
	hold := func(reason string) (*Decision, error) {
		d.Closed = reason
		for _, p := range pending {
			d.Held[p.Node] = reason
		}
		d.Offline = len(v.offline)
		return d, nil
	}
	if why := in.Cal.Campaign.Why(in.Now); why != "" {
		return hold(why)
	}
	if l := in.Spec.Stop.MaxUnavailable; !l.Unlimited() {
		if n, lim := v.unavailable(), l.Of(v.fleet, false); n > lim {
			return hold(fmt.Sprintf("fleet degraded: %d nodes failed, unhealthy or cordoned outside maintenance (limit %d)", n, lim))
		}
	}

	// Rank: idle nodes first, then allocated ones, those of the leaf
	// domains with the longest swap chains (allocated nodes left per free
	// node) first, as those bound how long the campaign takes; by name
	// within each.
	chain := v.chains(pending)
	slices.SortStableFunc(pending, func(a, b *NodeStatus) int {
		ia, ib := len(v.members[a.Node]) == 0, len(v.members[b.Node]) == 0
		if ia != ib {
			if ia {
				return -1
			}
			return 1
		}
		if !ia {
			if c := cmp.Compare(chain[b.Node], chain[a.Node]); c != 0 {
				return c
			}
		}
		return model.ComparePortNames(a.Node, b.Node)
	})

	var sw *swapper
	for _, p := range pending {
		c := v.nodes[p.Node]
		if c == nil {
			d.Held[p.Node] = "not in the inventory"
			continue
		}
		if c.State == model.NodeRetired {
			d.Held[p.Node] = "retired"
			continue
		}
		if camp, ok := in.Elsewhere[p.Node]; ok {
			d.Held[p.Node] = "in maintenance for campaign " + camp
			continue
		}
		if v.received[p.Node] {
			d.Held[p.Node] = "took over a block as a spare in this round"
			continue
		}
		if len(v.offline) >= d.Limit {
			d.Held[p.Node] = fmt.Sprintf("fleet budget: %d of %d nodes offline", len(v.offline), d.Limit)
			continue
		}
		if why := v.domainRoom(c); why != "" {
			d.Held[p.Node] = why
			continue
		}
		bs := v.members[p.Node]
		if len(bs) == 0 {
			v.take(p.Node)
			d.Admit = append(d.Admit, Admission{Node: p.Node, Mode: ModeIdle, Reason: "idle: in no block"})
			continue
		}
		if sw == nil {
			var err error
			if sw, err = newSwapper(v); err != nil {
				return nil, err
			}
		}
		a := Admission{Node: p.Node, Tenants: tenantsOf(bs)}
		for _, b := range bs {
			a.Blocks = append(a.Blocks, b.Name)
		}
		if plans, spares, why := sw.swap(p.Node, a.Blocks); why == "" {
			a.Mode, a.Swaps, a.Spares = ModeSwap, plans, spares
			v.moved(p.Node, plans)
			a.Reason = fmt.Sprintf("in %s; spare %s from the same leaf domain takes its place", strings.Join(a.Blocks, ", "), strings.Join(spares, ", "))
			v.take(p.Node)
			d.Admit = append(d.Admit, a)
			continue
		} else if r := v.tenantRoom(a.Tenants); r != "" {
			d.Held[p.Node] = why + "; " + r
			continue
		} else {
			a.Mode = ModeDrain
			a.Reason = fmt.Sprintf("in %s; %s, and the tenant's budget allows one more out", strings.Join(a.Blocks, ", "), why)
			v.take(p.Node)
			sw.markOffline(p.Node)
			d.Admit = append(d.Admit, a)
		}
	}
	d.Offline = len(v.offline)
	return d, nil
}

// swapper finds spares with the carving engine. It keeps two states: one
// where nodes this campaign has yet to maintain are not offered as
// spares (a spare swapped in should not need the same maintenance), and
// one where they are, tried second.
type swapper struct {
	v         *view
	preferred *carve.State
	any       *carve.State
	leafOf    map[string]string
	// free counts, per leaf domain and GPU count, the nodes that could be
	// a spare at all, so that hopeless searches skip the engine.
	free map[string]int
}

const whyOffline = "in maintenance"

func newSwapper(v *view) (*swapper, error) {
	st, err := carve.NewState(v.in.Fleet, carve.Policy{SubNode: true}, v.in.Now)
	if err != nil {
		return nil, err
	}
	s := &swapper{v: v, leafOf: map[string]string{}, free: map[string]int{}}
	topo := st.Topology()
	for n := range v.offline {
		if i, ok := topo.NodeIndex(n); ok {
			st.MarkNode(i, whyOffline)
		}
	}
	s.any = st
	s.preferred = st.Clone()
	for _, ns := range v.in.Nodes {
		if !ns.Phase.Final() && len(v.members[ns.Node]) == 0 {
			if i, ok := topo.NodeIndex(ns.Node); ok {
				if ok, _ := st.Usable(i); ok {
					s.preferred.MarkNode(i, "not yet maintained")
				}
			}
		}
	}
	for i := range v.in.Fleet.Nodes {
		c := &v.in.Fleet.Nodes[i]
		s.leafOf[c.Node] = domainKey(c, DomainLeaf)
		if j, ok := topo.NodeIndex(c.Node); ok {
			if ok, _ := st.Usable(j); ok && st.FreeGPUs(j) > 0 {
				s.free[s.leafOf[c.Node]]++
			}
		}
	}
	return s, nil
}

func (s *swapper) markOffline(n string) {
	if i, ok := s.any.Topology().NodeIndex(n); ok {
		s.any.MarkNode(i, whyOffline)
		s.preferred.MarkNode(i, whyOffline)
	}
}

// swap plans a spare in the node's leaf domain for each of its blocks.
// It returns the plans and spares, or why there is none; on success both
// states have the plans applied.
func (s *swapper) swap(node string, blocks []string) ([]*carve.Plan, []string, string) {
	leaf := s.leafOf[node]
	if s.free[leaf] == 0 {
		return nil, nil, "no free spare in leaf domain " + leaf
	}
	for _, st := range []*carve.State{s.preferred, s.any} {
		trial := st.Clone()
		var plans []*carve.Plan
		var spares []string
		ok := true
		for _, b := range blocks {
			p, err := trial.Swap(b, node)
			if err != nil {
				ok = false
				break
			}
			spare := p.Added[0].Node
			if s.leafOf[spare] != leaf {
				ok = false
				break
			}
			if err := trial.Apply(p); err != nil {
				ok = false
				break
			}
			plans = append(plans, p)
			if !slices.Contains(spares, spare) {
				spares = append(spares, spare)
			}
		}
		if !ok {
			continue
		}
		for _, p := range plans {
			for _, x := range []*carve.State{s.preferred, s.any} {
				if err := x.Apply(p); err != nil {
					return nil, nil, "spare search: " + err.Error()
				}
			}
		}
		s.markOffline(node)
		for _, sp := range spares {
			if i, ok := s.any.Topology().NodeIndex(sp); ok {
				// A spare that now holds a whole block member is no longer
				// free for others.
				if s.any.FreeGPUs(i) == 0 {
					s.free[leaf]--
				}
			}
		}
		return plans, spares, ""
	}
	return nil, nil, "no free spare in leaf domain " + leaf
}

// sortStatuses orders node records by node name.
func sortStatuses(ns []NodeStatus) {
	slices.SortFunc(ns, func(a, b NodeStatus) int { return cmp.Compare(a.Node, b.Node) })
}
