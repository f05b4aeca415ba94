package maintenance_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/railyard/railyard/internal/fleetgen"
	"github.com/railyard/railyard/internal/maintenance"
	"github.com/railyard/railyard/internal/maintenance/mainttest"
	"github.com/railyard/railyard/internal/model"
)

var (
	propSeed      = flag.Int64("maint.seed", -1, "TestPropertyBudgets: run only this campaign seed, verbosely")
	propCampaigns = flag.Int("maint.campaigns", 0, "TestPropertyBudgets: number of campaigns (default 1,000; 100 with -short)")
	propShow      = flag.Int("maint.show", 5, "TestPropertyBudgets: campaigns with violations to print in full")
)

// propFleet is one of the small fleets the property test draws from.
type propFleet struct {
	name string
	snap *model.CarveSnapshot
}

var (
	propFleetsOnce sync.Once
	propFleets     []propFleet
	propFleetsErr  error
)

// fleets generates the fleets once: H100 SuperPODs of 1 to 5 SUs (one
// split over two sites) and GB200 NVL72 racks, 32 to 160 nodes.
func fleets(t *testing.T) []propFleet {
	propFleetsOnce.Do(func() {
		for _, s := range []struct {
			name string
			spec fleetgen.Spec
		}{
			{"h100-1su", fleetgen.Spec{GPUs: 32 * 8, Name: "one"}},
			{"h100-2su", fleetgen.Spec{GPUs: 64 * 8, Name: "two"}},
			{"h100-100n", fleetgen.Spec{GPUs: 100 * 8, Name: "odd"}},
			{"h100-2sites", fleetgen.Spec{GPUs: 96 * 8, Sites: 2, Name: "twin"}},
			{"h100-5su", fleetgen.Spec{GPUs: 160 * 8, Name: "five"}},
			{"gb200-4rack", fleetgen.Spec{Shape: fleetgen.ShapeGB200NVL72, GPUs: 4 * 72, Name: "nvl"}},
			{"gb200-8rack", fleetgen.Spec{Shape: fleetgen.ShapeGB200NVL72, GPUs: 8 * 72, Name: "nvls"}},
		} {
			f, err := fleetgen.Generate(s.spec)
			if err != nil {
				propFleetsErr = err
				return
			}
			propFleets = append(propFleets, propFleet{s.name, mainttest.Snapshot(f)})
		}
	})
	if propFleetsErr != nil {
		t.Fatal(propFleetsErr)
	}
	return propFleets
}

// trial is one randomized campaign, with what a reader needs to rebuild it.
type trial struct {
	seed     uint64
	fleet    string
	opts     mainttest.Options
	degraded []string
	camp     mainttest.Campaign
	failP    float64
}

func pick[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

var (
	propPercents = []float64{1, 2.5, 5, 10, 12.5, 20, 25, 33, 50, 100}
	propWindows  = []string{"daily 02:00-06:00", "Sat,Sun 00:00-24:00", "Mon-Fri 22:00-06:00 Europe/Berlin", "Tue,Thu 12:00-13:30", "daily 00:00-12:00 America/New_York"}
)

func randLimit(r *rand.Rand, n int, zero bool) maintenance.Limit {
	lo := 1
	if zero {
		lo = 0
	}
	count := lo + r.IntN(max(1, n))
	switch r.IntN(3) {
	case 0:
		return maintenance.Count(count)
	case 1:
		return maintenance.Percent(pick(r, propPercents...))
	}
	l := maintenance.Count(count)
	p := pick(r, propPercents...)
	l.Percent = &p
	return l
}

func randTenantBudget(r *rand.Rand) maintenance.TenantBudget {
	var tb maintenance.TenantBudget
	switch r.IntN(4) {
	case 0: // unset: 0
	case 1:
		tb.Max = new(maintenance.Count(r.IntN(3)))
	case 2:
		tb.Max = new(maintenance.Percent(pick(r, 5.0, 10, 25, 50)))
	default:
		tb.Max = new(randLimit(r, 4, true))
	}
	if r.IntN(3) == 0 {
		tb.Windows = []string{pick(r, propWindows...)}
		if r.IntN(2) == 0 {
			tb.WindowMax = new(randLimit(r, 6, true))
		}
	}
	return tb
}

// newTrial draws campaign seed's fleet, allocation, budgets, calendars and
// failures.
func newTrial(t *testing.T, seed uint64) *trial {
	r := rand.New(rand.NewPCG(seed, 0x70726f70))
	fs := fleets(t)
	fl := fs[r.IntN(len(fs))]
	tr := &trial{seed: seed, fleet: fl.name}
	tr.opts = mainttest.Options{Seed: seed, Allocated: 0.9 * r.Float64(), Standby: r.IntN(2) == 0, Tenants: 2 + r.IntN(6)}
	if r.IntN(4) > 0 {
		tr.opts.Spares = 0.15 * r.Float64()
	}
	// Sub-node blocks and one-node blocks that require an NVLink domain
	// found two planner bugs (a one-node block got no spare outside its
	// own NVLink domain; a node that took a block as a spare was taken
	// offline in the same round); they stay in the draw.
	if r.IntN(3) == 0 {
		tr.opts.SubNode, tr.opts.NVLinkSingles = 0.2, true
	}
	sc, err := mainttest.Build(fl.snap, tr.opts)
	if err != nil {
		t.Fatalf("seed %d: build: %v", seed, err)
	}
	snap := sc.Snapshot
	nodes := snap.Nodes
	// A few nodes failed, cordoned, unhealthy, in maintenance by hand or
	// retired, whether in a block or not.
	for range r.IntN(5) {
		c := &nodes[r.IntN(len(nodes))]
		switch k := r.IntN(10); {
		case k < 3:
			c.State = model.NodeFailed
		case k < 5:
			c.Cordoned, c.CordonReason = true, "by hand"
		case k < 8:
			c.UnhealthyGPUs = []int{r.IntN(c.GPUs)}
		case k < 9:
			c.State = model.NodeMaintenance
		default:
			c.State = model.NodeRetired
		}
		tr.degraded = append(tr.degraded, fmt.Sprintf("%s:%s/cordoned=%v/unhealthy=%v", c.Node, c.State, c.Cordoned, c.UnhealthyGPUs))
	}

	spec := &maintenance.Spec{Action: maintenance.Action{Kind: maintenance.ActionPowerCycle}}
	spec.Estimate = maintenance.D(pick(r, 30*time.Minute, time.Hour, 2*time.Hour))
	spec.Budget.Fleet = randLimit(r, max(1, len(nodes)/5), false)
	for _, level := range []string{maintenance.DomainRack, maintenance.DomainNVLink, maintenance.DomainLeaf, maintenance.DomainPod} {
		if r.IntN(10) < 3 {
			spec.Budget.Domains = append(spec.Budget.Domains, maintenance.DomainLimit{Level: level, Limit: randLimit(r, 4, false)})
		}
	}
	spec.Budget.Tenant = randTenantBudget(r)
	for _, name := range sc.Tenants {
		if r.IntN(10) < 3 {
			if spec.Budget.Tenants == nil {
				spec.Budget.Tenants = map[string]maintenance.TenantBudget{}
			}
			spec.Budget.Tenants[name] = randTenantBudget(r)
		}
	}
	if r.IntN(5) == 0 {
		spec.Windows = []string{pick(r, propWindows...)}
	}
	if r.IntN(10) == 0 {
		spec.Exclusions = []string{"2026-11-03/2026-11-05 freeze"}
	}
	spec.Stop.MaxFailures = pick(r, -1, 0, 1, 3, 10)
	if r.IntN(5) == 0 {
		spec.Stop.MaxFailurePercent = pick(r, 5.0, 20, 50)
	}
	if r.IntN(10) == 0 {
		spec.Stop.MaxUnavailable = maintenance.Count(r.IntN(5))
	}
	switch r.IntN(10) {
	case 0:
		spec.Selector.Pods = []string{nodes[r.IntN(len(nodes))].Pod}
	case 1:
		spec.Selector.LeafDomains = []string{nodes[r.IntN(len(nodes))].LeafDomain}
	case 2:
		if len(sc.Tenants) > 0 {
			spec.Selector.Tenants = []string{pick(r, sc.Tenants...)}
		}
	}

	camp := mainttest.Campaign{Fleet: snap, Spec: spec}
	camp.Nodes = mainttest.Pending(spec, snap)
	if r.IntN(5) == 0 {
		for range 1 + r.IntN(3) {
			if len(camp.Nodes) > 0 {
				camp.Nodes[r.IntN(len(camp.Nodes))].Phase = pick(r, maintenance.PhaseDone, maintenance.PhaseSkipped)
			}
		}
	}
	start := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(7*24)) * time.Hour)
	sim := maintenance.SimOptions{Start: start, SwapTime: pick(r, 0, time.Minute, 10*time.Minute)}
	if r.IntN(10) < 3 {
		sim.Elsewhere = map[string]string{}
		for range 1 + r.IntN(3) {
			sim.Elsewhere[nodes[r.IntN(len(nodes))].Node] = "other-campaign"
		}
		if r.IntN(4) == 0 {
			sim.Elsewhere["gone-node"] = "other-campaign"
		}
	}
	tr.failP = pick(r, 0, 0, 0.02, 0.1, 0.3)
	fail := map[string]bool{}
	dur := map[string]time.Duration{}
	est := spec.EstimateFor()
	varied := r.IntN(2) == 0
	for _, c := range nodes {
		fail[c.Node] = r.Float64() < tr.failP
		dur[c.Node] = est
		if varied {
			dur[c.Node] = est * time.Duration(1+r.IntN(4)) / 2
		}
	}
	sim.Fail = func(n string) bool { return fail[n] }
	sim.Duration = func(n string) time.Duration { return dur[n] }
	camp.Sim = sim
	tr.camp = camp
	return tr
}

// repro describes a trial for a failure message.
func (tr *trial) repro() string {
	spec, _ := json.Marshal(tr.camp.Spec)
	var b strings.Builder
	fmt.Fprintf(&b, "fleet %s, scenario %+v, degraded %v, %d blocks, %d reservations\n", tr.fleet, tr.opts, tr.degraded, len(tr.camp.Fleet.Blocks), len(tr.camp.Fleet.Reservations))
	fmt.Fprintf(&b, "spec %s\n", spec)
	fmt.Fprintf(&b, "start %s, swap time %v, elsewhere %v, failure probability %g\n", tr.camp.Sim.Start.Format(time.RFC3339), tr.camp.Sim.SwapTime, tr.camp.Sim.Elsewhere, tr.failP)
	fmt.Fprintf(&b, "reproduce: go test ./internal/maintenance -run 'TestPropertyBudgets$' -maint.seed=%d -v", tr.seed)
	return b.String()
}

// TestPropertyBudgets simulates randomized campaigns with failures
// injected and checks every admission round with mainttest.Checker: no
// fleet, failure-domain or tenant budget is exceeded, no tenant loses a
// GPU of its block while a spare in its leaf domain is free, every swap
// takes a free spare from the node's leaf domain, and no node is admitted
// twice. Every target must end done, failed, skipped, or pending with the
// reason it was held.
func TestPropertyBudgets(t *testing.T) {
	n := 1000
	if testing.Short() {
		n = 100
	}
	if *propCampaigns > 0 {
		n = *propCampaigns
	}
	seeds := make([]uint64, 0, n)
	for i := range n {
		seeds = append(seeds, uint64(i+1))
	}
	if *propSeed >= 0 {
		seeds = []uint64{uint64(*propSeed)}
	}
	start := time.Now()
	var admitted, swaps, drains, stopped, paused, failedRuns int
	bad := 0
	for _, seed := range seeds {
		tr := newTrial(t, seed)
		o, err := mainttest.Run(tr.camp)
		if err != nil {
			t.Fatalf("seed %d: %v\n%s", seed, err, tr.repro())
		}
		admitted += o.Admissions
		swaps += o.Result.Swaps
		drains += o.Result.Drains
		if o.Result.Stopped != "" {
			stopped++
			if strings.HasPrefix(o.Result.Stopped, "paused") {
				paused++
			}
		}
		if o.Result.Failed > 0 {
			failedRuns++
		}
		if *propSeed >= 0 {
			t.Logf("%s", tr.repro())
			t.Logf("targets %d, limit %d, waves %d, swaps %d, drains %d, failed %d, stopped %q, duration %v",
				o.Targets, o.Limit, len(o.Result.Waves), o.Result.Swaps, o.Result.Drains, o.Result.Failed, o.Result.Stopped, o.Result.Duration)
			for _, w := range o.Result.Waves {
				t.Logf("wave %d at %s: %v (swaps %d, drains %d)", w.Index, w.Start.Format(time.RFC3339), w.Nodes, w.Swaps, w.Drains)
			}
		}
		if len(o.Violations) > 0 {
			bad++
			if bad <= *propShow {
				v := o.Violations
				more := ""
				if len(v) > 10 && *propShow <= 5 {
					v, more = v[:10], fmt.Sprintf("\n  ... and %d more", len(o.Violations)-10)
				}
				t.Errorf("seed %d: %d violations:\n  %s%s\n%s", seed, len(o.Violations), strings.Join(v, "\n  "), more, tr.repro())
			}
		}
	}
	if bad > *propShow {
		t.Errorf("%d of %d campaigns had violations (first %d shown)", bad, len(seeds), *propShow)
	}
	// The generator must reach the interesting cases, or the test proves
	// little.
	if len(seeds) >= 100 && (swaps == 0 || drains == 0 || stopped == 0 || failedRuns == 0) {
		t.Errorf("the campaigns did not cover swaps (%d), drains (%d), stops (%d) and failures (%d runs)", swaps, drains, stopped, failedRuns)
	}
	t.Logf("%d campaigns, %d admissions (%d swaps, %d drains), %d stopped early (%d paused on failures, %d with nodes held), %d with failures, in %v",
		len(seeds), admitted, swaps, drains, stopped, paused, stopped-paused, failedRuns, time.Since(start).Round(time.Millisecond))
}
