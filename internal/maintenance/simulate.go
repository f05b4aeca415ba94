package maintenance

import (
	"container/heap"
	"fmt"
	"slices"
	"time"

	"github.com/railyard/railyard/internal/model"
)

// SimOptions drive Simulate.
type SimOptions struct {
	// Start is when the simulated campaign starts.
	Start time.Time
	// Duration is how long one node takes from admission to return
	// (default: the spec's estimate).
	Duration func(node string) time.Duration
	// SwapTime is added to a node that was swapped out, for the tenant's
	// network to follow (default 2m).
	SwapTime time.Duration
	// Fail says whether a node's action fails (injected failures).
	Fail func(node string) bool
	// Horizon ends the simulation (default 400 days).
	Horizon time.Duration
	// Elsewhere are nodes offline for other campaigns throughout.
	Elsewhere map[string]string
	// Observe, when set, sees every admission round before it is applied:
	// property tests check budgets with it, independently of Decide.
	Observe func(*Round)
}

// Round is one admission round as Simulate saw it.
type Round struct {
	At time.Time
	// Fleet is the inventory before the round's swaps.
	Fleet *model.CarveSnapshot
	// Offline are the nodes out for maintenance before the round.
	Offline map[string]bool
	// Failed are the nodes that failed so far (they stay offline).
	Decision *Decision
}

// Wave is one admission round that took nodes out.
type Wave struct {
	Index  int       `json:"index"`
	Start  time.Time `json:"start"`
	Nodes  []string  `json:"nodes"`
	Swaps  int       `json:"swaps"`
	Drains int       `json:"drains"`
}

// NodePlan is one node's place in a simulated campaign.
type NodePlan struct {
	NodeStatus
	// Held is why the node waited before its wave (empty if it went in
	// the first round it could).
	Held string `json:"held,omitempty"`
	// Start and End are the simulated admission and return.
	Start time.Time `json:"start,omitzero"`
	End   time.Time `json:"end,omitzero"`
}

// SimResult is a simulated campaign: the plan an operator reads before
// starting one, and what benchmarks measure.
type SimResult struct {
	Waves []Wave     `json:"waves"`
	Nodes []NodePlan `json:"nodes"`
	// Duration runs from the start to the last node's return.
	Duration time.Duration `json:"duration"`
	// LowerBound is ceil(nodes / fleet budget) × the time per node: no
	// schedule under the fleet budget can be shorter.
	LowerBound time.Duration `json:"lower_bound"`
	// Limit is the fleet budget in nodes.
	Limit  int `json:"limit"`
	Failed int `json:"failed"`
	// Stopped, when set, says why the campaign did not finish: paused on
	// failures, or nodes held with nothing left that could free them.
	Stopped string `json:"stopped,omitempty"`
	// Swaps and Drains count how allocated nodes left their tenants.
	Swaps, Drains int
}

type finish struct {
	at   time.Time
	node string
}

type finishes []finish

func (f finishes) Len() int { return len(f) }
func (f finishes) Less(i, j int) bool {
	if !f[i].at.Equal(f[j].at) {
		return f[i].at.Before(f[j].at)
	}
	return f[i].node < f[j].node
}
func (f finishes) Swap(i, j int) { f[i], f[j] = f[j], f[i] }
func (f *finishes) Push(x any)   { *f = append(*f, x.(finish)) }
func (f *finishes) Pop() any {
	old := *f
	x := old[len(old)-1]
	*f = old[:len(old)-1]
	return x
}

// Simulate runs a campaign in simulated time over a copy of the fleet:
// every round it asks Decide who goes, applies the swaps to the copy,
// and returns nodes when their time is up. nodes are the campaign's
// records (pending ones are yet to go; offline ones are in flight and
// return an estimate after they started).
func Simulate(spec *Spec, cal *Calendars, fleet *model.CarveSnapshot, nodes []NodeStatus, opts SimOptions) (*SimResult, error) {
	if opts.Duration == nil {
		est := spec.EstimateFor()
		opts.Duration = func(string) time.Duration { return est }
	}
	if opts.SwapTime == 0 {
		opts.SwapTime = 2 * time.Minute
	}
	if opts.Horizon == 0 {
		opts.Horizon = 400 * 24 * time.Hour
	}
	f := &model.CarveSnapshot{
		Nodes: fleet.Nodes, Blocks: slices.Clone(fleet.Blocks),
		Quotas: fleet.Quotas, Reservations: fleet.Reservations,
	}
	blockAt := map[string]int{}
	for i, b := range f.Blocks {
		blockAt[b.Name] = i
	}
	st := slices.Clone(nodes)
	sortStatuses(st)
	at := map[string]int{}
	for i, s := range st {
		at[s.Node] = i
	}
	res := &SimResult{}
	plans := make([]NodePlan, len(st))
	now := opts.Start
	var q finishes
	for i, s := range st {
		plans[i].NodeStatus = s
		if s.Phase.Offline() && s.Phase != PhaseFailed {
			end := s.StartedAt.Add(opts.Duration(s.Node))
			if end.Before(now) {
				end = now
			}
			heap.Push(&q, finish{end, s.Node})
			plans[i].Start, plans[i].End = s.StartedAt, end
		}
	}
	// The lower bound counts this run's work: the nodes not yet done.
	work := 0
	for _, s := range st {
		if !s.Phase.Final() && s.Phase != PhaseFailed {
			work++
		}
	}
	maxFail := spec.MaxFailures(len(st))
	last := now
	end := opts.Start.Add(opts.Horizon)
	paused := ""
	for {
		in := &Input{Spec: spec, Cal: cal, Fleet: f, Nodes: st, Elsewhere: opts.Elsewhere, Now: now}
		d, err := Decide(in)
		if err != nil {
			return nil, err
		}
		if paused != "" {
			// A paused campaign admits nothing; its nodes in flight finish.
			for _, a := range d.Admit {
				d.Held[a.Node] = paused
			}
			d.Admit = nil
		}
		if res.Limit == 0 {
			res.Limit = d.Limit
		}
		if opts.Observe != nil && len(d.Admit) > 0 {
			off := map[string]bool{}
			for _, s := range st {
				if s.Phase.Offline() {
					off[s.Node] = true
				}
			}
			for n := range opts.Elsewhere {
				off[n] = true
			}
			opts.Observe(&Round{At: now, Fleet: f, Offline: off, Decision: d})
		}
		for n, why := range d.Held {
			plans[at[n]].Held = why
		}
		if len(d.Admit) > 0 {
			w := Wave{Index: len(res.Waves) + 1, Start: now}
			f = &model.CarveSnapshot{Nodes: f.Nodes, Blocks: slices.Clone(f.Blocks), Quotas: f.Quotas, Reservations: f.Reservations}
			for _, a := range d.Admit {
				i := at[a.Node]
				s := &st[i]
				s.Phase, s.Mode, s.Blocks, s.Tenants, s.Spares = PhaseActing, a.Mode, a.Blocks, a.Tenants, a.Spares
				s.Wave, s.Reason, s.StartedAt, s.PhaseAt = w.Index, a.Reason, now, now
				dur := opts.Duration(a.Node)
				switch a.Mode {
				case ModeSwap:
					dur += opts.SwapTime
					w.Swaps++
					res.Swaps++
					for _, p := range a.Swaps {
						f.Blocks[blockAt[p.After.Name]] = *p.After
					}
				case ModeDrain:
					w.Drains++
					res.Drains++
				}
				w.Nodes = append(w.Nodes, a.Node)
				heap.Push(&q, finish{now.Add(dur), a.Node})
				plans[i].Start, plans[i].End = now, now.Add(dur)
			}
			res.Waves = append(res.Waves, w)
		}
		// The next event: a node returns, or a calendar opens.
		var next time.Time
		if q.Len() > 0 {
			next = q[0].at
		}
		wake := func(t time.Time, ok bool) {
			if ok && t.After(now) && (next.IsZero() || t.Before(next)) {
				next = t
			}
		}
		pending := len(d.Held) > 0
		if pending && paused == "" {
			if !cal.Campaign.Open(now) {
				wake(cal.Campaign.NextOpen(now))
			}
			for _, tc := range cal.Tenants {
				if len(tc.Windows) > 0 && !tc.Open(now) {
					wake(tc.NextOpen(now))
				}
			}
			if len(cal.DefaultTenant.Windows) > 0 && !cal.DefaultTenant.Open(now) {
				wake(cal.DefaultTenant.NextOpen(now))
			}
		}
		if next.IsZero() {
			if paused != "" {
				res.Stopped = paused
			} else if pending {
				res.Stopped = fmt.Sprintf("%d nodes held with nothing in flight to free them", len(d.Held))
			}
			break
		}
		if next.After(end) {
			res.Stopped = "the simulation's horizon passed"
			break
		}
		now = next
		for q.Len() > 0 && !q[0].at.After(now) {
			x := heap.Pop(&q).(finish)
			i := at[x.node]
			s := &st[i]
			if opts.Fail != nil && opts.Fail(x.node) {
				s.Phase, s.Reason = PhaseFailed, "the action failed"
				res.Failed++
				if maxFail >= 0 && res.Failed >= maxFail && paused == "" {
					paused = fmt.Sprintf("paused: %d nodes failed (stop at %d)", res.Failed, maxFail)
				}
			} else {
				s.Phase, s.FinishedAt = PhaseDone, now
				last = now
			}
			s.PhaseAt = now
			plans[i].NodeStatus = *s
		}
	}
	for i := range st {
		h := plans[i].Held
		plans[i].NodeStatus = st[i]
		plans[i].Held = h
	}
	res.Nodes = plans
	res.Duration = last.Sub(opts.Start)
	if res.Limit > 0 && work > 0 {
		res.LowerBound = time.Duration((work+res.Limit-1)/res.Limit) * opts.Duration(st[0].Node)
	}
	return res, nil
}
