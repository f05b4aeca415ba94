// Command maintbench measures rolling-maintenance campaigns (make
// bench-maint): on the superpod-4su sample and a generated 64-SU fleet
// (16,384 GPUs), at fleet budgets of 1%, 5% and 10%, it simulates a
// power-cycle campaign over every node with the planner
// (maintenance.Simulate) and compares the campaign's duration with the
// lower bound, ceil(nodes / budget) waves × the per-node time.
//
// Each fleet runs empty and with 70% of its nodes in tenants' blocks, 5%
// left as spares spread over the leaf domains and the rest held in
// reservations for a customer with no blocks (package mainttest builds
// the state). Tenants keep the default budget of 0: a tenant's node goes
// only when a spare from its leaf domain takes its place. An independent
// checker (mainttest.Checker) watches every admission round for budget
// violations.
//
// It prints a table and writes bench-results/maintenance.json; with
// -check it exits non-zero when an empty fleet's ratio exceeds 1.10 or
// any violation was found.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/railyard/railyard/internal/fleetgen"
	"github.com/railyard/railyard/internal/maintenance"
	"github.com/railyard/railyard/internal/maintenance/mainttest"
	"github.com/railyard/railyard/internal/model"
	samples "github.com/railyard/railyard/inventory-samples"
)

// Row is one simulated campaign.
type Row struct {
	Fleet  string `json:"fleet"`
	Budget string `json:"budget"`
	// AllocatedShare is the share of nodes in tenants' blocks asked for.
	AllocatedShare float64 `json:"allocated_share"`
	// DurationRatio is the campaign's duration over the lower bound.
	DurationRatio float64 `json:"duration_ratio"`
	// Violations counts the checker's findings (budget, spare, end-state).
	Violations int     `json:"violations"`
	SpareShare float64 `json:"spare_share"`
	Nodes      int     `json:"nodes"`
	// Allocated, Spares and Standby count the nodes in blocks, kept free
	// as spares, and reserved for the customer with no blocks.
	Allocated int `json:"allocated_nodes"`
	Spares    int `json:"spares"`
	Standby   int `json:"standby"`
	Blocks    int `json:"blocks"`
	// Limit is the fleet budget in nodes.
	Limit       int     `json:"limit"`
	Waves       int     `json:"waves"`
	Swaps       int     `json:"swaps"`
	Drains      int     `json:"drains"`
	Failed      int     `json:"failed"`
	DurationH   float64 `json:"duration_h"`
	LowerBoundH float64 `json:"lower_bound_h"`
	// SpareBoundH is mainttest.SpareBound: with tenant budgets of 0, the
	// most allocated nodes per free node of one leaf domain × (per-node
	// time + swap time). BoundRatio is the duration over the larger of
	// the two bounds.
	SpareBoundH float64 `json:"spare_bound_h,omitempty"`
	BoundRatio  float64 `json:"bound_ratio"`
	Stopped     string  `json:"stopped,omitempty"`
	WallMS      float64 `json:"wall_ms"`
	// Findings are the first violations, for reading.
	Findings []string `json:"findings,omitempty"`
}

// Config is what every row shares.
type Config struct {
	PerNode  time.Duration
	SwapTime time.Duration
	Spares   float64
	Seed     uint64
	Start    time.Time
}

// DefaultConfig is the setting: 1 h per node, 2 min per swap, 5%
// spares.
func DefaultConfig() Config {
	return Config{PerNode: time.Hour, SwapTime: 2 * time.Minute, Spares: 0.05, Seed: 1,
		Start: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)}
}

// Fleet is a named fleet to run.
type Fleet struct {
	Name string
	Snap *model.CarveSnapshot
}

// Fleets loads the superpod-4su sample and generates the 64-SU fleet.
func Fleets() ([]Fleet, error) {
	sp, err := samples.Load("superpod-4su")
	if err != nil {
		return nil, err
	}
	big, err := fleetgen.Generate(fleetgen.Spec{Shape: fleetgen.ShapeH100SuperPOD, GPUs: 64 * 256, Name: "su64"})
	if err != nil {
		return nil, err
	}
	return []Fleet{{"superpod-4su", mainttest.Snapshot(sp)}, {"fleetgen-64su", mainttest.Snapshot(big)}}, nil
}

// Run simulates one campaign: the fleet with allocated's share of nodes in
// blocks (and, when allocated > 0, cfg.Spares kept free and the rest on
// standby), at a fleet budget of pct percent.
func Run(f Fleet, pct, allocated float64, cfg Config) (Row, error) {
	row := Row{Fleet: f.Name, Budget: fmt.Sprintf("%g%%", pct), AllocatedShare: allocated}
	snap := f.Snap
	if allocated > 0 {
		row.SpareShare = cfg.Spares
		sc, err := mainttest.Build(f.Snap, mainttest.Options{Seed: cfg.Seed, Allocated: allocated, Spares: cfg.Spares, Standby: true})
		if err != nil {
			return row, err
		}
		snap = sc.Snapshot
		row.Allocated, row.Spares, row.Standby, row.Blocks = sc.Allocated, len(sc.Spares), len(sc.Standby), sc.Blocks
	}
	spec := &maintenance.Spec{
		Action:   maintenance.Action{Kind: maintenance.ActionPowerCycle},
		Budget:   maintenance.Budget{Fleet: maintenance.Percent(pct)},
		Estimate: maintenance.D(cfg.PerNode),
	}
	per := cfg.PerNode
	start := time.Now()
	o, err := mainttest.Run(mainttest.Campaign{Fleet: snap, Spec: spec, Sim: maintenance.SimOptions{
		Start: cfg.Start, SwapTime: cfg.SwapTime, Duration: func(string) time.Duration { return per },
	}})
	if err != nil {
		return row, err
	}
	row.WallMS = float64(time.Since(start).Microseconds()) / 1000
	r := o.Result
	row.Nodes, row.Limit, row.Waves = o.Targets, o.Limit, len(r.Waves)
	row.Swaps, row.Drains, row.Failed, row.Stopped = r.Swaps, r.Drains, r.Failed, r.Stopped
	row.DurationH, row.LowerBoundH = r.Duration.Hours(), o.LowerBound.Hours()
	if r.LowerBound != o.LowerBound || r.Limit != o.Limit {
		o.Violations = append(o.Violations, fmt.Sprintf("Simulate's lower bound %v (limit %d) differs from ceil(%d/%d) × %v = %v",
			r.LowerBound, r.Limit, o.Work, o.Limit, per, o.LowerBound))
	}
	bound := o.LowerBound
	if allocated > 0 {
		sb, ok := mainttest.SpareBound(snap, cfg.Start, per, cfg.SwapTime)
		if !ok {
			o.Violations = append(o.Violations, "a leaf domain has allocated nodes and no free node")
		}
		row.SpareBoundH = sb.Hours()
		bound = max(bound, sb)
	}
	if o.LowerBound > 0 {
		row.DurationRatio = round4(float64(r.Duration) / float64(o.LowerBound))
		row.BoundRatio = round4(float64(r.Duration) / float64(bound))
	}
	if r.Stopped != "" {
		o.Violations = append(o.Violations, "campaign did not finish: "+r.Stopped)
	}
	row.Violations = len(o.Violations)
	row.Findings = o.Violations[:min(len(o.Violations), 5)]
	return row, nil
}

func main() {
	out := flag.String("out", "bench-results/maintenance.json", "where to write the results")
	check := flag.Bool("check", false, "exit non-zero when an empty fleet's duration ratio exceeds 1.10 or a violation is found")
	cfg := DefaultConfig()
	flag.DurationVar(&cfg.PerNode, "per-node", cfg.PerNode, "time one node takes (the power cycle and its check)")
	flag.DurationVar(&cfg.SwapTime, "swap-time", cfg.SwapTime, "time added to a swapped node for the tenant's network to follow")
	flag.Float64Var(&cfg.Spares, "spares", cfg.Spares, "share of nodes kept free as spares in the allocated runs")
	allocated := flag.Float64("allocated", 0.70, "share of nodes in tenants' blocks in the allocated runs")
	flag.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the allocated state")
	flag.Parse()

	fleets, err := Fleets()
	must(err)
	var rows []Row
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "fleet\tnodes\tbudget\tlimit\tallocated\tspares\twaves\tswaps\tdrains\tduration\tlower bound\tratio\tspare bound\tvs both\tviolations\twall\t")
	for _, f := range fleets {
		for _, alloc := range []float64{0, *allocated} {
			for _, pct := range []float64{1, 5, 10} {
				r, err := Run(f, pct, alloc, cfg)
				must(err)
				rows = append(rows, r)
				sb := "-"
				if r.SpareBoundH > 0 {
					sb = fmt.Sprintf("%.1fh", r.SpareBoundH)
				}
				fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%.0f%% (%d)\t%d\t%d\t%d\t%d\t%.1fh\t%.0fh\t%.3f\t%s\t%.3f\t%d\t%.0fms\t\n",
					r.Fleet, r.Nodes, r.Budget, r.Limit, 100*r.AllocatedShare, r.Allocated, r.Spares, r.Waves, r.Swaps, r.Drains,
					r.DurationH, r.LowerBoundH, r.DurationRatio, sb, r.BoundRatio, r.Violations, r.WallMS)
			}
		}
	}
	must(tw.Flush())
	var failures []string
	for _, r := range rows {
		for _, v := range r.Findings {
			fmt.Printf("%s %s %.0f%%: %s\n", r.Fleet, r.Budget, 100*r.AllocatedShare, v)
		}
		if r.AllocatedShare == 0 && r.DurationRatio > 1.10 {
			failures = append(failures, fmt.Sprintf("%s at %s, empty: duration ratio %.3f > 1.10", r.Fleet, r.Budget, r.DurationRatio))
		}
		if r.Violations > 0 {
			failures = append(failures, fmt.Sprintf("%s at %s, %.0f%% allocated: %d violations", r.Fleet, r.Budget, 100*r.AllocatedShare, r.Violations))
		}
	}
	if *out != "" {
		b, err := json.MarshalIndent(rows, "", "  ")
		must(err)
		must(os.MkdirAll(filepath.Dir(*out), 0o755))
		must(os.WriteFile(*out, append(b, '\n'), 0o644))
		fmt.Println("wrote", *out)
	}
	if len(failures) > 0 {
		fmt.Fprintln(os.Stderr, "missed:\n  "+strings.Join(failures, "\n  "))
		if *check {
			os.Exit(1)
		}
	}
}

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "maintbench:", err)
		os.Exit(1)
	}
}
