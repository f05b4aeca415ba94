package carvebench

import (
	"math"
	"math/bits"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func smallFleet(t *testing.T, spec FleetSpec) *Fleet {
	t.Helper()
	f, err := BuildFleet(spec)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestTraceDeterministic(t *testing.T) {
	f := smallFleet(t, Fleets[0])
	spec := TraceSpec{Load: 0.85, Requests: 500, Seed: 7}
	a, b := NewTrace(f, spec), NewTrace(f, spec)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Fatalf("same seed, different traces (-first +second):\n%s", diff)
	}
	spec.Seed = 8
	if c := NewTrace(f, spec); cmp.Equal(a.Arrivals, c.Arrivals) {
		t.Fatal("different seeds gave the same arrivals")
	}
}

func TestTraceLoad(t *testing.T) {
	tests := []struct {
		fleet FleetSpec
		load  float64
	}{
		{Fleets[0], 0.7},
		{Fleets[0], 1.0},
		{Fleets[3], 0.85},
	}
	for _, tc := range tests {
		t.Run(tc.fleet.Name, func(t *testing.T) {
			f := smallFleet(t, tc.fleet)
			tr := NewTrace(f, TraceSpec{Load: tc.load, Requests: 20000, Seed: 1})
			// The definition holds exactly ...
			if got := tr.OfferedLoad(f); math.Abs(got-tc.load) > 1e-9 {
				t.Errorf("offered load %.6f, want %.2f", got, tc.load)
			}
			// ... and the GPU-hours asked for over the trace's span come
			// close to it.
			if got := tr.RealisedLoad(f); math.Abs(got-tc.load)/tc.load > 0.1 {
				t.Errorf("realised load %.3f, want %.2f within 10%%", got, tc.load)
			}
			pow2, maxNodes := 0, 0
			for _, a := range tr.Arrivals {
				if bits.OnesCount(uint(a.Nodes)) == 1 {
					pow2++
				}
				maxNodes = max(maxNodes, a.Nodes)
				if want := f.Required(a.Nodes); a.Required != want || f.Largest[want] < a.Nodes {
					t.Fatalf("%d nodes required within one %s", a.Nodes, a.Required)
				}
			}
			if share := float64(pow2) / float64(len(tr.Arrivals)); share < 0.8 {
				t.Errorf("%.2f of sizes are powers of two, want at least 0.8", share)
			}
			if maxNodes > f.MaxRequest() {
				t.Errorf("a request of %d nodes; at most %d", maxNodes, f.MaxRequest())
			}
			if len(tr.Failures) == 0 {
				t.Error("no node failures")
			}
		})
	}
}

// TestRunNeverDoubleBooks replays short traces with every policy, checking
// after every event that no GPU is in two blocks, that every block stays
// within its required domain and that the counters match the state.
func TestRunNeverDoubleBooks(t *testing.T) {
	for _, spec := range []FleetSpec{Fleets[0], Fleets[3]} {
		f := smallFleet(t, spec)
		tr := NewTrace(f, TraceSpec{Load: 1.0, Requests: 400, Seed: 3, MinFailures: 40})
		for _, p := range Policies() {
			t.Run(spec.Name+"/"+p.Name(), func(t *testing.T) {
				res, err := Run(RunConfig{Fleet: f, Trace: tr, Policy: p, Elastic: true, Swap: true, Check: true, Static: true})
				if err != nil {
					t.Fatal(err)
				}
				if res.Placed == 0 || res.Failures == 0 || res.Grows+res.Shrinks == 0 {
					t.Errorf("a run that did little: %d placed, %d failures, %d grows, %d shrinks", res.Placed, res.Failures, res.Grows, res.Shrinks)
				}
				if len(res.Decisions) != res.Requests {
					t.Errorf("%d decisions timed for %d requests", len(res.Decisions), res.Requests)
				}
			})
		}
	}
}

func TestScaleFleetMatchesFleetgen(t *testing.T) {
	want := smallFleet(t, Fleets[2]) // h100-64su: 2,048 nodes
	got, err := ScaleFleet("x", 2048)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got.Nodes {
		n := &got.Nodes[i]
		for _, s := range []*string{&n.Node, &n.Site, &n.Pod, &n.LeafDomain, &n.Rack, &n.NVLinkDomain} {
			*s = strings.Replace(*s, "scale", "bench", 1)
		}
	}
	if diff := cmp.Diff(want.Nodes, got.Nodes); diff != "" {
		t.Errorf("scale fleet differs from fleetgen's (-fleetgen +scale):\n%s", diff)
	}
}

func TestCheck(t *testing.T) {
	u := func(v float64) *float64 { return &v }
	row := func(policy string, load, util float64, rejections int, optimal float64) Row {
		return Row{Kind: "trace", Fleet: "f", Load: load, Policy: policy, UtilFirstReject: u(util), Rejections: rejections, OptimalLeafShare: optimal}
	}
	rows := []Row{
		row(Railyard, 0.85, 0.9, 3, 0.96), row(FirstFit, 0.85, 0.8, 5, 0.5), row(SlurmTree, 0.85, 0.9, 1, 1),
		row(Railyard, 1.0, 0.7, 0, 0.9), row(FirstFit, 1.0, 0.8, 2, 0.9),
		row(Railyard, 0.7, 0.7, 4, 0.9), row(FirstFit, 0.7, 0.75, 0, 0.9),
		{Kind: "scale", Fleet: "h100-scale-16k", GPUs: 16384, Load: 0.9, Policy: Railyard, P99ms: 12},
		{Kind: "scale", Fleet: "h100-scale-131k", GPUs: 131072, Load: 0.9, Policy: Railyard, P99ms: 12},
	}
	type verdict struct {
		Bar  string
		Load float64
		Pass bool
	}
	var got []verdict
	for _, v := range Check(rows) {
		got = append(got, verdict{v.Bar, v.Load, v.Pass})
	}
	const opt, util = "optimal_leaf_share >= 95% at load 0.85", "util_first_reject above every baseline"
	want := []verdict{
		{opt, 0.85, true},
		{util, 0.85, false}, // a tie is not above
		{util, 1.0, true},   // Railyard never rejected
		{util, 0.7, false},  // a baseline never rejected
		{"Place p99 < 10 ms", 0.9, false},
		{"Place p99 < 50 ms", 0.9, true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("verdicts (-want +got):\n%s", diff)
	}
}
