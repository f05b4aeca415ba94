// Command carvebench runs the carving benchmark (make bench-carve): it
// replays request traces against Railyard's carving engine and the
// baselines on generated fleets, writes the rows as JSON (-out) and prints
// a table and the acceptance bars. A missed bar is reported, not fatal,
// unless -check is given.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/railyard/railyard/internal/carvebench"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "carvebench:", err)
		os.Exit(1)
	}
}

func run() error {
	o := carvebench.DefaultOptions()
	out := flag.String("out", "bench-results/carve.json", "where to write the JSON rows (empty: nowhere)")
	check := flag.Bool("check", false, "exit non-zero when an acceptance bar is missed")
	fleets := flag.String("fleets", "", "comma-separated fleet names (default: all)")
	loads := flag.String("loads", "", "comma-separated offered loads (default: 0.7,0.85,1.0)")
	policies := flag.String("policies", "", "comma-separated policies (default: all)")
	flag.IntVar(&o.Requests, "requests", 0, "requests per trace (default: max(5000, 4 x nodes))")
	flag.Uint64Var(&o.Seed, "seed", o.Seed, "trace seed")
	flag.IntVar(&o.Parallel, "parallel", 0, "simulations at once (default: the CPUs)")
	flag.BoolVar(&o.Elastic, "elastic", o.Elastic, "replay grow/shrink events (where the engine has Grow and Shrink)")
	flag.BoolVar(&o.Swap, "swap", o.Swap, "swap failed nodes out of blocks (where the engine has Swap)")
	scale := flag.Bool("scale", true, "run the latency-scale runs")
	quiet := flag.Bool("q", false, "no progress on stderr")
	flag.Parse()

	if *fleets != "" {
		var fs []carvebench.FleetSpec
		for _, name := range strings.Split(*fleets, ",") {
			i := slices.IndexFunc(carvebench.Fleets, func(f carvebench.FleetSpec) bool { return f.Name == name })
			if i < 0 {
				return fmt.Errorf("unknown fleet %q", name)
			}
			fs = append(fs, carvebench.Fleets[i])
		}
		o.Fleets = fs
	}
	if *loads != "" {
		o.Loads = nil
		for _, s := range strings.Split(*loads, ",") {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return fmt.Errorf("load %q: %w", s, err)
			}
			o.Loads = append(o.Loads, v)
		}
	}
	if *policies != "" {
		o.Policies = strings.Split(*policies, ",")
	}
	if !*scale {
		o.Scale = nil
	}
	start := time.Now()
	if !*quiet {
		o.Progress = func(s string) { fmt.Fprintf(os.Stderr, "%6.1fs  %s\n", time.Since(start).Seconds(), s) }
	}
	rows, err := carvebench.RunAll(o)
	if err != nil {
		return err
	}
	if *out != "" {
		if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
			return err
		}
		b, err := json.MarshalIndent(rows, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if err := carvebench.WriteTable(os.Stdout, rows); err != nil {
		return err
	}
	fmt.Println()
	fmt.Println("opt leaf / opt nvl: share of new blocks (after warm-up) whose leaf / NVLink-domain span equals the engine's state-aware bound;")
	fmt.Println("  in req: against the bound within one domain of the required level. span ratio: mean leaf span / bound.")
	fmt.Println("util@1st, util@10th: GPU utilisation (held / all GPUs) at the 1st and 10th fragmentation rejection, from an empty fleet;")
	fmt.Println("  * = fewer rejections, end utilisation. rejects: fragmentation rejections; cap ref: requests larger than the free GPUs.")
	fmt.Println("p50/p99: placement decision latency (Place; or Eligible + rule + PlanNodes), refusals included.")
	fmt.Println()
	ok := carvebench.WriteVerdicts(os.Stdout, carvebench.Check(rows))
	fmt.Printf("\n%d rows in %.1fs", len(rows), time.Since(start).Seconds())
	if *out != "" {
		fmt.Printf("; written to %s", *out)
	}
	fmt.Println()
	if *check && !ok {
		return fmt.Errorf("acceptance bars missed")
	}
	return nil
}
