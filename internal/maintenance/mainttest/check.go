package mainttest

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/railyard/railyard/internal/carve"
	"github.com/railyard/railyard/internal/maintenance"
	"github.com/railyard/railyard/internal/model"
	"github.com/railyard/railyard/internal/schedule"
)

// LimitOf is a Limit's bound for a scope of total nodes, as package
// maintenance documents it: a count, a percentage rounded down, or both
// (the smaller wins); with floor1 (the fleet and failure-domain budgets) a
// positive percentage of a non-empty scope is at least 1. An unlimited
// Limit returns total.
func LimitOf(l maintenance.Limit, total int, floor1 bool) int {
	if l.Count == nil && l.Percent == nil {
		return total
	}
	n := total
	if l.Count != nil {
		n = min(n, *l.Count)
	}
	if l.Percent != nil {
		p := int(math.Floor(*l.Percent*float64(total)/100 + 1e-9))
		if floor1 && p < 1 && *l.Percent > 0 && total > 0 {
			p = 1
		}
		n = min(n, p)
	}
	return max(n, 0)
}

// Checker checks a campaign's admission rounds against its spec. Give its
// Observe to maintenance.SimOptions.Observe; Violations lists what it
// found. It keeps the nodes admitted so far, so use one per campaign.
type Checker struct {
	spec      *maintenance.Spec
	campaign  schedule.Calendar
	tenantCal map[string]schedule.Calendar
	defCal    schedule.Calendar
	admitted  map[string]int
	rounds    int
	admits    int
	v         []string
}

// NewChecker parses the spec's calendars itself (package schedule).
func NewChecker(spec *maintenance.Spec) (*Checker, error) {
	c := &Checker{spec: spec, tenantCal: map[string]schedule.Calendar{}, admitted: map[string]int{}}
	var err error
	if c.campaign, err = schedule.ParseCalendar(spec.Windows, spec.Exclusions); err != nil {
		return nil, err
	}
	if c.defCal, err = schedule.ParseCalendar(spec.Budget.Tenant.Windows, nil); err != nil {
		return nil, err
	}
	for name, tb := range spec.Budget.Tenants {
		if c.tenantCal[name], err = schedule.ParseCalendar(tb.Windows, nil); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Violations returns what the checker found, in order.
func (c *Checker) Violations() []string { return c.v }

// Rounds and Admissions count what the checker saw.
func (c *Checker) Rounds() int     { return c.rounds }
func (c *Checker) Admissions() int { return c.admits }

// Admitted reports whether a node was admitted in any round so far.
func (c *Checker) Admitted(node string) bool { _, ok := c.admitted[node]; return ok }

// tenantLimit is the number of a tenant's block nodes that may be out
// without a replacement at t: Max outside the tenant's windows (unset: 0),
// WindowMax inside one (unset: unlimited).
func (c *Checker) tenantLimit(tenant string, size int, t time.Time) (int, string) {
	tb, ok := c.spec.Budget.Tenants[tenant]
	cal := c.tenantCal[tenant]
	if !ok {
		tb, cal = c.spec.Budget.Tenant, c.defCal
	}
	if len(cal.Windows) > 0 && cal.Open(t) {
		if tb.WindowMax == nil {
			return math.MaxInt, "in its window, unlimited"
		}
		return LimitOf(*tb.WindowMax, size, false), "in its window, window_max " + tb.WindowMax.String()
	}
	if tb.Max == nil {
		return 0, "max unset"
	}
	return LimitOf(*tb.Max, size, false), "max " + tb.Max.String()
}

// domainKey names the failure domain of node n at a level.
func domainKey(n *model.NodeCapacity, level string) string {
	switch level {
	case maintenance.DomainRack:
		return n.Rack
	case maintenance.DomainNVLink:
		return nvlinkOf(n)
	case maintenance.DomainLeaf:
		return n.Site + "/" + n.Pod + "/" + n.LeafDomain
	case maintenance.DomainPod:
		return n.Site + "/" + n.Pod
	}
	return ""
}

func leafOf(n *model.NodeCapacity) string { return domainKey(n, maintenance.DomainLeaf) }

// round is one round's index of the fleet.
type round struct {
	nodes map[string]*model.NodeCapacity
	leaf  map[string][]*model.NodeCapacity
	// reservedFor is the tenant an active reservation holds a node for
	// (the first reservation by name, as the carving engine takes it).
	reservedFor map[string]string
}

func index(f *model.CarveSnapshot, at time.Time) *round {
	x := &round{nodes: make(map[string]*model.NodeCapacity, len(f.Nodes)), leaf: map[string][]*model.NodeCapacity{}, reservedFor: map[string]string{}}
	for i := range f.Nodes {
		n := &f.Nodes[i]
		x.nodes[n.Node] = n
		x.leaf[leafOf(n)] = append(x.leaf[leafOf(n)], n)
	}
	rs := slices.Clone(f.Reservations)
	slices.SortFunc(rs, func(a, b model.Reservation) int { return strings.Compare(a.Name, b.Name) })
	for _, r := range rs {
		if !r.Until.IsZero() && !at.Before(r.Until) {
			continue
		}
		hold := func(n string) {
			if _, ok := x.reservedFor[n]; !ok {
				x.reservedFor[n] = r.Tenant
			}
		}
		for _, n := range r.Nodes {
			hold(n)
		}
		if r.Domain != "" {
			for i := range f.Nodes {
				if inDomain(&f.Nodes[i], r.Level, r.Domain) {
					hold(f.Nodes[i].Node)
				}
			}
		}
	}
	return x
}

// gpuMask returns the GPUs of a member as a mask.
func gpuMask(m model.BlockMember) uint64 {
	var x uint64
	for _, g := range m.GPUs {
		if g >= 0 && g < 64 {
			x |= 1 << g
		}
	}
	return x
}

// usage maps node → GPUs held by blocks.
func usage(blocks []model.Block) map[string]uint64 {
	u := map[string]uint64{}
	for _, b := range blocks {
		for _, m := range b.Members {
			u[m.Node] |= gpuMask(m)
		}
	}
	return u
}

// tenantNodes maps tenant → its block nodes.
func tenantNodes(blocks []model.Block) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for _, b := range blocks {
		if out[b.Tenant] == nil {
			out[b.Tenant] = map[string]bool{}
		}
		for _, m := range b.Members {
			out[b.Tenant][m.Node] = true
		}
	}
	return out
}

// nvlinkBound returns, for a block member on node, the NVLink domain a
// replacement must be in to keep the block within its required level (or
// its segment within its segment level), or "" when any node of the leaf
// domain keeps it so. A block or segment with no other member has no such
// bound: a single node is always inside one NVLink domain.
func nvlinkBound(b *model.Block, node string, x *round) string {
	var seg int
	for _, m := range b.Members {
		if m.Node == node {
			seg = m.Segment
		}
	}
	bound := func(sameSegment bool) string {
		for _, m := range b.Members {
			if m.Node == node || sameSegment && m.Segment != seg {
				continue
			}
			if n := x.nodes[m.Node]; n != nil {
				return nvlinkOf(n)
			}
		}
		return ""
	}
	if l, _ := carve.ParseLevel(b.Required); l == carve.LevelNVLink {
		if d := bound(false); d != "" {
			return d
		}
	}
	if b.SegmentNodes > 1 {
		if l, _ := carve.ParseLevel(b.SegmentLevel); l == carve.LevelNVLink {
			return bound(true)
		}
	}
	return ""
}

// Observe checks one admission round. It is safe to pass to
// maintenance.SimOptions.Observe.
func (c *Checker) Observe(r *maintenance.Round) {
	c.rounds++
	at := r.At
	prefix := fmt.Sprintf("round %d (%s)", c.rounds, at.UTC().Format(time.RFC3339))
	bad := func(format string, args ...any) {
		c.v = append(c.v, prefix+": "+fmt.Sprintf(format, args...))
	}
	f := r.Fleet
	x := index(f, at)
	fleet := 0
	for i := range f.Nodes {
		if f.Nodes[i].State != model.NodeRetired {
			fleet++
		}
	}
	holders := map[string][]string{} // node → blocks, before the round
	for _, b := range f.Blocks {
		for _, m := range b.Members {
			if !slices.Contains(holders[m.Node], b.Name) {
				holders[m.Node] = append(holders[m.Node], b.Name)
			}
		}
	}
	adm := r.Decision.Admit
	c.admits += len(adm)
	if why := c.campaign.Why(at); why != "" && len(adm) > 0 {
		bad("campaign calendar closed (%s), yet %d nodes admitted", why, len(adm))
	}

	// Each admission: a pending node of the fleet, once, in the mode its
	// blocks call for.
	now := map[string]bool{}
	for _, a := range adm {
		n := x.nodes[a.Node]
		switch {
		case n == nil:
			bad("admitted %s, which is not in the inventory", a.Node)
		case n.State == model.NodeRetired:
			bad("admitted %s, which is retired", a.Node)
		}
		if r.Offline[a.Node] {
			bad("admitted %s, which was already offline for maintenance (this campaign or another)", a.Node)
		}
		if w, ok := c.admitted[a.Node]; ok {
			bad("admitted %s a second time (first in round %d)", a.Node, w)
		}
		if now[a.Node] {
			bad("admitted %s twice in one round", a.Node)
		}
		now[a.Node] = true
		have := slices.Sorted(slices.Values(holders[a.Node]))
		switch a.Mode {
		case maintenance.ModeIdle:
			if len(have) > 0 {
				bad("admitted %s as idle, but it is in %s", a.Node, strings.Join(have, ", "))
			}
		case maintenance.ModeSwap, maintenance.ModeDrain:
			if got := slices.Sorted(slices.Values(a.Blocks)); !slices.Equal(got, have) || len(have) == 0 {
				bad("admitted %s (%s) naming blocks [%s], but it is in [%s]", a.Node, a.Mode, strings.Join(got, ", "), strings.Join(have, ", "))
			}
		default:
			bad("admitted %s with unknown mode %q", a.Node, a.Mode)
		}
	}
	for n := range now {
		if _, ok := c.admitted[n]; !ok {
			c.admitted[n] = c.rounds
		}
	}
	off := make(map[string]bool, len(r.Offline)+len(now))
	for n, o := range r.Offline {
		if o {
			off[n] = true
		}
	}
	for n := range now {
		off[n] = true
	}

	// (a) The fleet budget.
	if lim := LimitOf(c.spec.Budget.Fleet, fleet, true); len(off) > lim && len(adm) > 0 {
		bad("fleet budget: %d nodes offline after admitting %d (%d before), limit %d (%s of %d nodes)",
			len(off), len(now), len(r.Offline), lim, c.spec.Budget.Fleet, fleet)
	}

	// (b) Failure-domain budgets, in every domain an admission touched.
	for _, d := range c.spec.Budget.Domains {
		size, out := map[string]int{}, map[string]int{}
		for i := range f.Nodes {
			k := domainKey(&f.Nodes[i], d.Level)
			size[k]++
			if off[f.Nodes[i].Node] {
				out[k]++
			}
		}
		checked := map[string]bool{}
		for _, a := range adm {
			n := x.nodes[a.Node]
			if n == nil {
				continue
			}
			k := domainKey(n, d.Level)
			if checked[k] {
				continue
			}
			checked[k] = true
			if lim := LimitOf(d.Limit, size[k], true); out[k] > lim {
				bad("%s budget: %d nodes of %s %s offline after the round, limit %d (%s of %d)", d.Level, out[k], d.Level, k, lim, d.Limit, size[k])
			}
		}
	}

	// (e) Swaps: each plan replaces the node by a free spare of its leaf
	// domain in the block as it stood; apply them to see the blocks after.
	after := slices.Clone(f.Blocks)
	at2 := map[string]int{}
	for i, b := range after {
		at2[b.Name] = i
	}
	used := usage(f.Blocks)
	for _, a := range adm {
		if a.Mode != maintenance.ModeSwap {
			if len(a.Swaps) > 0 || len(a.Spares) > 0 {
				bad("admitted %s (%s) with swaps", a.Node, a.Mode)
			}
			continue
		}
		n := x.nodes[a.Node]
		if n == nil {
			continue
		}
		if len(a.Swaps) != len(a.Blocks) {
			bad("swap of %s: %d plans for %d blocks", a.Node, len(a.Swaps), len(a.Blocks))
		}
		var spares []string
		complete := true
		for _, p := range a.Swaps {
			if p == nil || p.Before == nil || p.After == nil {
				bad("swap of %s: incomplete plan", a.Node)
				complete = false
				continue
			}
			i, ok := at2[p.After.Name]
			if !ok || p.Before.Name != p.After.Name {
				bad("swap of %s: plan for unknown block %s", a.Node, p.After.Name)
				complete = false
				continue
			}
			cur := &after[i]
			if cur.Generation != p.Before.Generation || p.After.Tenant != cur.Tenant || p.After.GPUs != cur.GPUs {
				bad("swap of %s: plan for block %s does not follow the block as it stood (generation %d, plan from %d)", a.Node, cur.Name, cur.Generation, p.Before.Generation)
				complete = false
				continue
			}
			gone, added := memberDiff(cur.Members, p.After.Members)
			if len(gone) != 1 || gone[0].Node != a.Node || len(added) != 1 || len(gone[0].GPUs) != len(added[0].GPUs) {
				bad("swap of %s in block %s: want the node's member replaced by one spare, got %d removed %v, %d added", a.Node, cur.Name, len(gone), gone, len(added))
				complete = false
				continue
			}
			if slices.ContainsFunc(p.After.Members, func(m model.BlockMember) bool { return m.Node == a.Node }) {
				bad("swap of %s: still in block %s after its swap", a.Node, cur.Name)
			}
			sp := added[0]
			s := x.nodes[sp.Node]
			nvl := nvlinkBound(cur, a.Node, x)
			switch {
			case s == nil:
				bad("swap of %s: spare %s is not in the inventory", a.Node, sp.Node)
			case leafOf(s) != leafOf(n):
				bad("swap of %s (leaf domain %s): spare %s is in leaf domain %s", a.Node, leafOf(n), sp.Node, leafOf(s))
			case off[sp.Node]:
				bad("swap of %s: spare %s is offline for maintenance", a.Node, sp.Node)
			case s.State != model.NodeAvailable || s.Cordoned:
				bad("swap of %s: spare %s is %s (cordoned %v)", a.Node, sp.Node, s.State, s.Cordoned)
			case used[sp.Node]&gpuMask(sp) != 0:
				bad("swap of %s: spare %s's GPUs %v are already in a block", a.Node, sp.Node, sp.GPUs)
			case gpuMask(sp)&unhealthyMask(s) != 0:
				bad("swap of %s: spare %s's GPUs %v include unhealthy ones %v", a.Node, sp.Node, sp.GPUs, s.UnhealthyGPUs)
			case s.GPUModel != cur.GPUModel:
				bad("swap of %s: spare %s has %s GPUs, block %s wants %s", a.Node, sp.Node, s.GPUModel, cur.Name, cur.GPUModel)
			case x.reservedFor[sp.Node] != "" && x.reservedFor[sp.Node] != cur.Tenant:
				bad("swap of %s: spare %s is reserved for %s, not %s", a.Node, sp.Node, x.reservedFor[sp.Node], cur.Tenant)
			case nvl != "" && nvlinkOf(s) != nvl:
				bad("swap of %s: spare %s is outside NVLink domain %s that block %s must stay in", a.Node, sp.Node, nvl, cur.Name)
			}
			used[a.Node] &^= gpuMask(gone[0])
			used[sp.Node] |= gpuMask(sp)
			if !slices.Contains(spares, sp.Node) {
				spares = append(spares, sp.Node)
			}
			*cur = *p.After
		}
		if complete && !slices.Equal(slices.Sorted(slices.Values(spares)), slices.Sorted(slices.Values(a.Spares))) {
			bad("swap of %s: spares named %v, plans add %v", a.Node, a.Spares, spares)
		}
	}

	// (c) Tenant budgets: nodes of a tenant's blocks out without a
	// replacement, for every tenant this round took more from.
	before, afterT := tenantNodes(f.Blocks), tenantNodes(after)
	for _, t := range slices.Sorted(maps.Keys(afterT)) {
		outBefore, outAfter := 0, 0
		for n := range before[t] {
			if r.Offline[n] {
				outBefore++
			}
		}
		var took []string
		for n := range afterT[t] {
			if off[n] {
				outAfter++
				if !before[t][n] || !r.Offline[n] {
					took = append(took, n)
				}
			}
		}
		if outAfter <= outBefore {
			continue
		}
		if lim, why := c.tenantLimit(t, len(before[t]), at); outAfter > lim {
			slices.Sort(took)
			bad("tenant %s budget: %d of its %d block nodes out without a replacement after this round took %s (%d before), limit %d (%s)",
				t, outAfter, len(before[t]), strings.Join(took, ", "), outBefore, lim, why)
		}
	}

	// (d) A drained node's tenant lost GPUs: no spare may have been free in
	// its leaf domain.
	for _, a := range adm {
		if a.Mode != maintenance.ModeDrain {
			continue
		}
		n := x.nodes[a.Node]
		if n == nil {
			continue
		}
		var blocks []*model.Block
		for i := range after {
			if slices.ContainsFunc(after[i].Members, func(m model.BlockMember) bool { return m.Node == a.Node }) {
				blocks = append(blocks, &after[i])
			}
		}
		for _, s := range x.leaf[leafOf(n)] {
			if !c.couldSpare(s, n, blocks, off, used, x) {
				continue
			}
			var names, tenants []string
			for _, b := range blocks {
				names = append(names, b.Name)
				if !slices.Contains(tenants, b.Tenant) {
					tenants = append(tenants, b.Tenant)
				}
			}
			bad("tenant %s lost a GPU while a spare existed: %s drained from %s although %s in leaf domain %s was free",
				strings.Join(tenants, ", "), a.Node, strings.Join(names, ", "), s.Node, leafOf(n))
			break
		}
	}
}

// couldSpare reports whether node s could have taken drained node n's
// place in all its blocks: in the fleet, available, not cordoned, every
// GPU healthy, not offline or admitted, in no block after the round's
// swaps, not reserved for another tenant, with n's GPU model and count,
// and inside the NVLink domain a block must stay in, if any.
func (c *Checker) couldSpare(s, n *model.NodeCapacity, blocks []*model.Block, off map[string]bool, used map[string]uint64, x *round) bool {
	if s.Node == n.Node || off[s.Node] || s.State != model.NodeAvailable || s.Cordoned || len(s.UnhealthyGPUs) > 0 ||
		used[s.Node] != 0 || s.GPUModel != n.GPUModel || s.GPUs != n.GPUs {
		return false
	}
	for _, b := range blocks {
		if t := x.reservedFor[s.Node]; t != "" && t != b.Tenant {
			return false
		}
		if d := nvlinkBound(b, n.Node, x); d != "" && nvlinkOf(s) != d {
			return false
		}
	}
	return true
}

func unhealthyMask(n *model.NodeCapacity) uint64 {
	var x uint64
	for _, g := range n.UnhealthyGPUs {
		if g >= 0 && g < 64 {
			x |= 1 << g
		}
	}
	return x
}

// memberDiff returns the members of a not in b and of b not in a.
func memberDiff(a, b []model.BlockMember) (gone, added []model.BlockMember) {
	same := func(x, y model.BlockMember) bool { return x.Node == y.Node && slices.Equal(x.GPUs, y.GPUs) }
	for _, m := range a {
		if !slices.ContainsFunc(b, func(y model.BlockMember) bool { return same(m, y) }) {
			gone = append(gone, m)
		}
	}
	for _, m := range b {
		if !slices.ContainsFunc(a, func(y model.BlockMember) bool { return same(m, y) }) {
			added = append(added, m)
		}
	}
	return gone, added
}
