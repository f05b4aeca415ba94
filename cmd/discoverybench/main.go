// Command discoverybench measures discovery at scale (make bench-discovery):
// it serves a DMTF Redfish mockup with a fixed added latency per request,
// discovers it as N targets at a given concurrency, and compares the wall
// time with the ideal, requests per target × latency × targets /
// concurrency. (The Redfish source itself reads up to four resources of
// one target at once, so a run can beat that ideal.) It then merges the N observations (made distinct, as N
// servers would be) into a fresh SQLite inventory and times that too. It
// writes one JSON row to -out and fails with -check when the run takes
// more than 1.5× the ideal.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/railyard/railyard/internal/discovery"
	_ "github.com/railyard/railyard/internal/discovery/redfish"
	"github.com/railyard/railyard/internal/discovery/redfish/redfishtest"
	"github.com/railyard/railyard/internal/inventory"
)

type row struct {
	Targets           int     `json:"targets"`
	Concurrency       int     `json:"concurrency"`
	LatencyMS         int     `json:"latency_ms"`
	WallS             float64 `json:"wall_s"`
	IdealS            float64 `json:"ideal_s"`
	Ratio             float64 `json:"ratio"`
	RequestsPerTarget float64 `json:"requests_per_target"`
	Found             int     `json:"found"`
	MergeS            float64 `json:"merge_s"`
	Mockup            string  `json:"mockup"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "discoverybench:", err)
		os.Exit(1)
	}
}

func run() error {
	targets := flag.Int("targets", 1000, "targets to discover")
	conc := flag.Int("concurrency", 64, "targets asked at once")
	latency := flag.Duration("latency", 50*time.Millisecond, "latency added to every Redfish request")
	mockup := flag.String("mockup", "internal/discovery/redfish/testdata/hgx", "mockup directory to serve")
	out := flag.String("out", "bench-results/discovery.json", "where to write the JSON row (empty: nowhere)")
	check := flag.Bool("check", false, "exit non-zero when the run takes more than 1.5x the ideal")
	flag.Parse()

	srv := redfishtest.New(*mockup, redfishtest.WithPlainHTTP(), redfishtest.WithLatency(*latency))
	defer srv.Close()
	t := srv.Target()
	os.Setenv("DISCOVERYBENCH_CRED", credLine(srv.Credentials()))
	t.Credential = "env:DISCOVERYBENCH_CRED"
	ts := make([]discovery.Target, *targets)
	for i := range ts {
		ts[i] = t
	}
	r := discovery.Runner{Concurrency: *conc, Timeout: time.Minute, Retries: 0}
	start := time.Now()
	results := r.Run(context.Background(), ts)
	wall := time.Since(start)
	sum := discovery.Summarize(results)
	if sum.Found != *targets {
		return fmt.Errorf("%d of %d targets answered; first failure: %+v", sum.Found, *targets, sum.Failures[0])
	}
	perTarget := float64(srv.Requests()) / float64(*targets)
	ideal := perTarget * latency.Seconds() * float64(*targets) / float64(*conc)

	// Merge, as if the targets were distinct servers.
	obs := discovery.Observations(results)
	for i := range obs {
		obs[i].Target = fmt.Sprintf("redfish://10.%d.%d.%d", i/65536, i/256%256, i%256)
		for j := range obs[i].Nodes {
			obs[i].Nodes[j].Serial = fmt.Sprintf("%s-%05d", obs[i].Nodes[j].Serial, i)
			obs[i].Nodes[j].Hostname = fmt.Sprintf("bench-%05d", i)
			for k := range obs[i].Nodes[j].GPUs {
				obs[i].Nodes[j].GPUs[k].UUID = fmt.Sprintf("%s-%05d", obs[i].Nodes[j].GPUs[k].UUID, i)
			}
		}
	}
	dir, err := os.MkdirTemp("", "discoverybench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	store, err := inventory.Open(ctx, filepath.Join(dir, "bench.db"))
	if err != nil {
		return err
	}
	defer store.Close()
	mstart := time.Now()
	res, err := store.Observe(ctx, obs, inventory.ObserveOptions{Actor: "bench"})
	if err != nil {
		return err
	}
	merge := time.Since(mstart)

	rw := row{Targets: *targets, Concurrency: *conc, LatencyMS: int(latency.Milliseconds()), WallS: round(wall.Seconds()),
		IdealS: round(ideal), Ratio: round(wall.Seconds() / ideal), RequestsPerTarget: round(perTarget), Found: sum.Found,
		MergeS: round(merge.Seconds()), Mockup: filepath.Base(*mockup)}
	fmt.Printf("discovered %d Redfish targets (%s, %.1f requests each, +%s per request) at concurrency %d\n",
		rw.Targets, rw.Mockup, perTarget, latency, rw.Concurrency)
	fmt.Printf("  wall %.2fs  ideal %.2fs  ratio %.3f (bar: <= 1.5)\n", rw.WallS, rw.IdealS, rw.Ratio)
	fmt.Printf("  merged %d observations (%d changes) into SQLite in %.2fs\n", len(obs), len(res.Changes), rw.MergeS)
	if *out != "" {
		if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
			return err
		}
		b, _ := json.MarshalIndent(rw, "", "  ")
		if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if *check && rw.Ratio > 1.5 {
		return fmt.Errorf("ratio %.3f is above the 1.5 bar", rw.Ratio)
	}
	return nil
}

func credLine(c discovery.Credentials) string { return c.Username + ":" + c.Password }

func round(x float64) float64 { return float64(int64(x*1000+0.5)) / 1000 }
