package main

import (
	"testing"

	"github.com/railyard/railyard/internal/maintenance/mainttest"
	samples "github.com/railyard/railyard/inventory-samples"
)

// TestSuperpodRows runs the superpod-4su rows: empty, the campaign is
// within 10% of the lower bound at every budget; 70% allocated with 5%
// spares, it finishes, swaps every allocated node and breaks nothing.
func TestSuperpodRows(t *testing.T) {
	f, err := samples.Load("superpod-4su")
	if err != nil {
		t.Fatal(err)
	}
	fl := Fleet{"superpod-4su", mainttest.Snapshot(f)}
	cfg := DefaultConfig()
	for _, pct := range []float64{1, 5, 10} {
		r, err := Run(fl, pct, 0, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if r.Violations != 0 || r.DurationRatio > 1.10 || r.DurationRatio < 1 || r.Nodes != 127 || r.Stopped != "" {
			t.Errorf("empty at %s: ratio %.3f, violations %d %q, nodes %d, stopped %q", r.Budget, r.DurationRatio, r.Violations, r.Findings, r.Nodes, r.Stopped)
		}
	}
	r, err := Run(fl, 5, 0.7, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if r.Violations != 0 || r.Swaps != r.Allocated || r.Drains != 0 || r.DurationRatio < 1 || r.BoundRatio < 1 || r.Spares != 6 {
		t.Errorf("70%% allocated at 5%%: %+v", r)
	}
}
