// Command networkbench measures tenant up (make bench-network): on a
// fresh SQLite inventory holding a fleet whose devices are simulated by
// the vendors' stateful fakes (package simfleet), with every command and
// request delayed by a fixed latency, it carves one tenant's block and
// sets its network, then compiles and pushes every device's configuration
// through the drivers until each has applied its revision. The clock runs
// from the carve to the last device in sync.
//
// The baseline, measured in the same run, is the critical path: the most
// commands any one device was sent, times the latency (a device takes its
// commands one after another; devices run in parallel). It writes
// bench-results/network.json and fails with -check when tenant up takes 5 s
// or more.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/railyard/railyard/drivers"
	_ "github.com/railyard/railyard/drivers/all"
	"github.com/railyard/railyard/drivers/simfleet"
	"github.com/railyard/railyard/internal/carve"
	"github.com/railyard/railyard/internal/carver"
	"github.com/railyard/railyard/internal/fabric"
	"github.com/railyard/railyard/internal/fleetgen"
	"github.com/railyard/railyard/internal/inventory"
	"github.com/railyard/railyard/internal/model"
	"github.com/railyard/railyard/internal/reconcile"
	samples "github.com/railyard/railyard/inventory-samples"
)

// Row is one run.
type Row struct {
	Fleet     string `json:"fleet"`
	GPUs      int    `json:"gpus"`
	Devices   int    `json:"devices"`
	Commands  int    `json:"commands"`
	LatencyMS int    `json:"latency_ms"`
	// WallS is tenant up: carve + network set + every device synced.
	WallS float64 `json:"wall_s"`
	// CarveS and CompileS are parts of WallS.
	CarveS   float64 `json:"carve_s"`
	CompileS float64 `json:"compile_s"`
	// BaselineS is the critical path: most commands to one device ×
	// latency; Ratio is WallS / BaselineS.
	BaselineS    float64 `json:"baseline_s"`
	Ratio        float64 `json:"ratio"`
	MostCommands int     `json:"most_commands_one_device"`
}

func main() {
	out := flag.String("out", "bench-results/network.json", "where to write the results")
	latency := flag.Duration("latency", 20*time.Millisecond, "added latency per command or request")
	check := flag.Bool("check", false, "fail when tenant up takes 5 s or more")
	flag.Parse()
	ctx := context.Background()
	var rows []Row
	// The figure: a 1,024-GPU tenant on the 4-SU SuperPOD shape.
	// The superpod-4su sample holds 1,016 GPUs (its 32nd slot in the last
	// SU is the UFM server), so the 1,024-GPU run uses the generated
	// 4 full SUs, and the sample runs with its largest tenant, 1,016.
	gen, err := fleetgen.Generate(fleetgen.Spec{GPUs: 1024, Name: "spod"})
	must(err)
	sample, err := samples.Load("superpod-4su")
	must(err)
	for _, c := range []struct {
		name  string
		fleet *model.Fleet
		gpus  int
	}{{"fleetgen 4 SUs (1,024 GPUs)", gen, 1024}, {"superpod-4su sample", sample, 1016}} {
		r, err := Run(ctx, c.fleet, c.gpus, *latency)
		must(err)
		r.Fleet = c.name
		rows = append(rows, r)
		fmt.Printf("%-30s gpus %5d devices %2d commands %5d latency %dms: tenant up %.2f s (carve %.2f s, compile %.2f s); critical path %.2f s (%d commands), ratio %.2f\n",
			r.Fleet, r.GPUs, r.Devices, r.Commands, r.LatencyMS, r.WallS, r.CarveS, r.CompileS, r.BaselineS, r.MostCommands, r.Ratio)
	}
	must(os.MkdirAll(filepath.Dir(*out), 0o755))
	// The first run's figures at the top level, every run under "runs".
	top := map[string]any{"gpus": rows[0].GPUs, "devices": rows[0].Devices, "commands": rows[0].Commands,
		"latency_ms": rows[0].LatencyMS, "wall_s": rows[0].WallS, "baseline_s": rows[0].BaselineS, "ratio": rows[0].Ratio, "runs": rows}
	b, _ := json.MarshalIndent(top, "", "  ")
	must(os.WriteFile(*out, append(b, '\n'), 0o644))
	if *check {
		for _, r := range rows {
			if r.WallS >= 5 {
				fmt.Fprintf(os.Stderr, "FAIL: tenant up on %s took %.2f s (bar: under 5 s)\n", r.Fleet, r.WallS)
				os.Exit(1)
			}
		}
	}
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "networkbench:", err)
		os.Exit(1)
	}
}

// Run imports fleet into a fresh SQLite inventory, brings every device
// to its tenant-less configuration (untimed: the fabric is in service
// before the tenant arrives), then times tenant up for one tenant of gpus
// GPUs.
func Run(ctx context.Context, fleet *model.Fleet, gpus int, latency time.Duration) (Row, error) {
	dir, err := os.MkdirTemp("", "networkbench")
	if err != nil {
		return Row{}, err
	}
	defer os.RemoveAll(dir)
	store, err := inventory.Open(ctx, filepath.Join(dir, "bench.db"))
	if err != nil {
		return Row{}, err
	}
	defer store.Close()
	if _, err := store.Import(ctx, fleet, inventory.ImportOptions{Actor: "bench", Source: "bench"}); err != nil {
		return Row{}, err
	}
	if _, err := store.CreateTenant(ctx, model.Tenant{Name: "bench"}, inventory.WriteOptions{Actor: "bench"}); err != nil {
		return Row{}, err
	}
	sim := simfleet.New(simfleet.Default())
	meter := &drivers.Meter{Latency: latency}
	net := reconcile.New(store, reconcile.Options{Transport: meter.Wrap(sim.Transport()), Targets: sim.Target, Parallel: 64})
	who := reconcile.Actor{Actor: "bench", Source: "bench"}
	if err := round(ctx, net, who); err != nil {
		return Row{}, fmt.Errorf("bringing the fabric up: %w", err)
	}
	before := meter.Calls()

	start := time.Now()
	cv := carver.New(store, carve.Policy{})
	if _, err := cv.Carve(ctx, carver.Caller{Actor: "bench", Source: "bench"}, carve.Request{Tenant: "bench", GPUs: gpus}, false); err != nil {
		return Row{}, err
	}
	carved := time.Since(start)
	if _, _, err := store.SetTenantNetwork(ctx, benchIntent(), inventory.WriteOptions{Actor: "bench"}); err != nil {
		return Row{}, err
	}
	cstart := time.Now()
	if _, err := net.Compile(ctx, who); err != nil {
		return Row{}, err
	}
	compiled := time.Since(cstart)
	if err := round(ctx, net, who); err != nil {
		return Row{}, err
	}
	wall := time.Since(start)

	st, err := store.NetworkState(ctx)
	if err != nil {
		return Row{}, err
	}
	if p := reconcile.Pending(st); len(p) > 0 {
		return Row{}, fmt.Errorf("devices not in sync after tenant up: %v", p)
	}
	r := Row{GPUs: gpus, Devices: len(st.Devices), LatencyMS: int(latency / time.Millisecond), WallS: wall.Seconds(),
		CarveS: carved.Seconds(), CompileS: compiled.Seconds()}
	for dev, n := range meter.Calls() {
		n -= before[dev]
		r.Commands += n
		r.MostCommands = max(r.MostCommands, n)
	}
	r.BaselineS = (time.Duration(r.MostCommands) * latency).Seconds()
	if r.BaselineS > 0 {
		r.Ratio = r.WallS / r.BaselineS
	}
	return r, nil
}

func round(ctx context.Context, net *reconcile.Network, who reconcile.Actor) error {
	reports, err := net.Round(ctx, who, false)
	if err != nil {
		return err
	}
	var errs []error
	for _, r := range reports {
		if r.Err != nil {
			errs = append(errs, r.Err)
		}
	}
	return errors.Join(errs...)
}

func benchIntent() fabric.Intent {
	return fabric.Intent{Tenant: "bench", Compute: true, Storage: true, State: fabric.Active}
}
