package executor_test

import (
	"strings"
	"testing"
	"time"

	"github.com/railyard/railyard/internal/maintenance"
)

// TestRecurringCampaign starts on its cron schedule, finishes its run,
// goes back to scheduled for the next activation and runs again over
// fresh node records.
func TestRecurringCampaign(t *testing.T) {
	e := setup(t, nil)
	spec := maintenance.Spec{
		Action:    maintenance.Action{Kind: maintenance.ActionPowerCycle},
		Selector:  maintenance.Selector{Racks: []string{"lab-su01-r01"}},
		Budget:    maintenance.Budget{Fleet: maintenance.Percent(10)},
		Schedule:  "0 2 * * *",
		Recurring: true,
	}
	c, err := e.mgr.Create(e.ctx, who, "nightly", spec)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC); c.State != maintenance.StateScheduled || !c.NextRun.Equal(want) {
		t.Fatalf("created %s next %s, want scheduled for %s", c.State, c.NextRun, want)
	}
	x := e.executor("a", newFakeBMC())
	if c = e.drive(x, "nightly", time.Minute, 1, nil); c.State != maintenance.StateScheduled || c.Run != 0 {
		t.Fatalf("before its time the campaign is %s run %d", c.State, c.Run)
	}
	for run := 1; run <= 2; run++ {
		e.clock.t = c.NextRun
		for range 50 {
			if c = e.drive(x, "nightly", time.Minute, 1, nil); c.State == maintenance.StateScheduled && c.Run == run {
				break
			}
		}
		if c.State != maintenance.StateScheduled || c.Run != run || !strings.Contains(c.Reason, "finished") {
			t.Fatalf("run %d: campaign %s run %d (%s)", run, c.State, c.Run, c.Reason)
		}
		_, nodes, err := e.store.Campaign(e.ctx, "nightly")
		if err != nil {
			t.Fatal(err)
		}
		if len(nodes) == 0 {
			t.Fatal("no nodes in the run")
		}
		for _, n := range nodes {
			if n.Phase != maintenance.PhaseDone {
				t.Errorf("run %d: %s is %s", run, n.Node, n.Phase)
			}
		}
		if want := time.Date(2026, 11, 23+run, 2, 0, 0, 0, time.UTC); !c.NextRun.Equal(want) {
			t.Errorf("after run %d the next run is %s, want %s", run, c.NextRun, want)
		}
	}
}

// TestDrainWaitsForTenantWindow fills the fleet with one tenant's block,
// so no spare exists: with a tenant budget of 0 the allocated nodes wait,
// with the reason, until the tenant's window opens; inside it, at most
// the window's budget of the tenant's nodes is out at once.
func TestDrainWaitsForTenantWindow(t *testing.T) {
	e := setup(t, nil)
	e.carve("acme", 256) // every node
	one := maintenance.Count(1)
	spec := maintenance.Spec{
		Action:   maintenance.Action{Kind: maintenance.ActionPowerCycle},
		Selector: maintenance.Selector{Racks: []string{"lab-su01-r01"}},
		Budget: maintenance.Budget{
			Fleet:  maintenance.Count(4),
			Tenant: maintenance.TenantBudget{Windows: []string{"daily 03:00-05:00"}, WindowMax: &one},
		},
	}
	if _, err := e.mgr.Create(e.ctx, who, "drain", spec); err != nil {
		t.Fatal(err)
	}
	x := e.executor("a", newFakeBMC())
	c := e.drive(x, "drain", time.Minute, 1, nil)
	_, nodes, d, err := e.mgr.Status(e.ctx, "drain")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if n.Phase != maintenance.PhasePending {
			t.Errorf("before the window %s is %s", n.Node, n.Phase)
		}
		if why := d.Held[n.Node]; !strings.Contains(why, "no free spare in leaf domain") || !strings.Contains(why, "tenant acme budget: 0 of 0") || !strings.Contains(why, "next opens 2026-11-23T03:00:00Z") {
			t.Errorf("%s held because %q", n.Node, why)
		}
	}
	e.clock.t = time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)
	before := e.gpusOf("acme")
	c = e.drive(x, "drain", time.Minute, 100, func() {
		if got := e.gpusOf("acme"); got != before {
			t.Fatalf("a drain changed acme's block: %d GPUs, want %d (the node stays in its block)", got, before)
		}
	})
	if c.State != maintenance.StateDone {
		t.Fatalf("campaign %s (%s)", c.State, c.Reason)
	}
	if got := e.maxOffline(); got != 1 {
		t.Errorf("%d of acme's nodes were out at once; the window allows 1", got)
	}
	_, nodes, err = e.store.Campaign(e.ctx, "drain")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if n.Mode != maintenance.ModeDrain || n.Phase != maintenance.PhaseDone {
			t.Errorf("%s: %s %s", n.Node, n.Mode, n.Phase)
		}
	}
}
