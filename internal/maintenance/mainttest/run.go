package mainttest

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/railyard/railyard/internal/maintenance"
	"github.com/railyard/railyard/internal/model"
)

// Campaign is one simulated campaign.
type Campaign struct {
	Fleet *model.CarveSnapshot
	Spec  *maintenance.Spec
	// Nodes are the campaign's records; nil means every node the spec's
	// selector picks, pending.
	Nodes []maintenance.NodeStatus
	// Sim drives the simulation; Run chains its Observe after the
	// checker's.
	Sim maintenance.SimOptions
}

// Outcome is a simulated campaign and what the checker found.
type Outcome struct {
	Result *maintenance.SimResult
	// Violations are the checker's findings, then Problems'.
	Violations []string
	// Targets counts the campaign's records; Work those not yet done,
	// skipped or failed when it started.
	Targets, Work int
	// Limit is the fleet budget in nodes and LowerBound ceil(Work /
	// Limit) × the per-node time, both computed here, independently of
	// Simulate.
	Limit      int
	LowerBound time.Duration
	// Rounds and Admissions count what the checker saw.
	Rounds, Admissions int
}

// Pending returns a pending record for every node the spec picks.
func Pending(spec *maintenance.Spec, fleet *model.CarveSnapshot) []maintenance.NodeStatus {
	var ns []maintenance.NodeStatus
	for _, n := range spec.Selector.Targets(fleet) {
		ns = append(ns, maintenance.NodeStatus{Node: n, Phase: maintenance.PhasePending})
	}
	return ns
}

// Run validates the spec, simulates the campaign with a Checker observing
// every round, and checks the end state with Problems.
func Run(c Campaign) (*Outcome, error) {
	cal, err := c.Spec.Validate()
	if err != nil {
		return nil, err
	}
	chk, err := NewChecker(c.Spec)
	if err != nil {
		return nil, err
	}
	nodes := c.Nodes
	if nodes == nil {
		nodes = Pending(c.Spec, c.Fleet)
	}
	opts := c.Sim
	if next := opts.Observe; next != nil {
		opts.Observe = func(r *maintenance.Round) { chk.Observe(r); next(r) }
	} else {
		opts.Observe = chk.Observe
	}
	res, err := maintenance.Simulate(c.Spec, cal, c.Fleet, nodes, opts)
	if err != nil {
		return nil, err
	}
	o := &Outcome{Result: res, Targets: len(nodes), Rounds: chk.Rounds(), Admissions: chk.Admissions()}
	fleet := 0
	for _, n := range c.Fleet.Nodes {
		if n.State != model.NodeRetired {
			fleet++
		}
	}
	o.Limit = LimitOf(c.Spec.Budget.Fleet, fleet, true)
	var first string
	for _, s := range nodes {
		if !s.Phase.Final() && s.Phase != maintenance.PhaseFailed {
			o.Work++
		}
		if first == "" || s.Node < first {
			first = s.Node
		}
	}
	per := c.Spec.EstimateFor()
	if c.Sim.Duration != nil && first != "" {
		per = c.Sim.Duration(first)
	}
	if o.Limit > 0 && o.Work > 0 {
		o.LowerBound = time.Duration((o.Work+o.Limit-1)/o.Limit) * per
	}
	o.Violations = append(slices.Clone(chk.Violations()), Problems(nodes, res)...)
	return o, nil
}

// Problems checks a simulated campaign's end: every record is done,
// skipped, failed, or pending with a reason it was held; none is
// in two waves; and each record's wave lists it.
func Problems(nodes []maintenance.NodeStatus, res *maintenance.SimResult) []string {
	var out []string
	wave := map[string]int{}
	for _, w := range res.Waves {
		for _, n := range w.Nodes {
			if v, dup := wave[n]; dup {
				out = append(out, fmt.Sprintf("node %s admitted in waves %d and %d", n, v, w.Index))
			}
			wave[n] = w.Index
		}
	}
	if len(res.Nodes) != len(nodes) {
		out = append(out, fmt.Sprintf("%d records in, %d plans out", len(nodes), len(res.Nodes)))
	}
	for _, p := range res.Nodes {
		switch ph := p.Phase; {
		case ph == maintenance.PhaseDone || ph == maintenance.PhaseFailed || ph == maintenance.PhaseSkipped:
		case ph == maintenance.PhasePending:
			if strings.TrimSpace(p.Held) == "" {
				out = append(out, fmt.Sprintf("node %s ends pending with no held reason", p.Node))
			}
		default:
			out = append(out, fmt.Sprintf("node %s ends %s (stopped: %q)", p.Node, ph, res.Stopped))
		}
		if w, ok := wave[p.Node]; ok && p.Wave != w {
			out = append(out, fmt.Sprintf("node %s says wave %d, waves list it in %d", p.Node, p.Wave, wave[p.Node]))
		}
	}
	return out
}

// SpareBound is a second lower bound on a campaign over every node where
// tenants may lose no node without a spare (tenant budget 0): in each
// leaf domain, a block's node goes only while a free node of the leaf
// stands in for it, and a swap keeps the number of free nodes the same
// (the spare joins the block, the node returns free), so the leaf's
// allocated nodes go at most `free` at a time and take per + swap each.
// It returns the largest ceil(allocated / free) × (per + swap) over the
// leaf domains, and false when a leaf has allocated nodes and no free
// node at all.
func SpareBound(snap *model.CarveSnapshot, at time.Time, per, swap time.Duration) (time.Duration, bool) {
	x := index(snap, at)
	used := usage(snap.Blocks)
	var worst time.Duration
	for _, nodes := range x.leaf {
		alloc, free := 0, 0
		for _, n := range nodes {
			switch {
			case n.State == model.NodeRetired:
			case used[n.Node] != 0:
				alloc++
			case n.State == model.NodeAvailable && !n.Cordoned && len(n.UnhealthyGPUs) == 0 && x.reservedFor[n.Node] == "":
				free++
			}
		}
		if alloc == 0 {
			continue
		}
		if free == 0 {
			return 0, false
		}
		worst = max(worst, time.Duration((alloc+free-1)/free)*(per+swap))
	}
	return worst, true
}
