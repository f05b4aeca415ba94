package executor_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/railyard/railyard/internal/maintenance"
)

// TestResumeAfterDeath kills an executor while its hooks run: the nodes
// it held stay offline and leased, a second executor leaves them alone
// until the leases expire, then takes them over from their stored phase
// and finishes the campaign. At no point are more nodes out than the
// budget allows.
func TestResumeAfterDeath(t *testing.T) {
	e := setup(t, nil)
	e.carve("acme", 64)
	flag := filepath.Join(t.TempDir(), "go")
	spec := maintenance.Spec{
		Action: maintenance.Action{Kind: maintenance.ActionHook, Command: []string{"/bin/sh", "-c", `test -f "$FLAG" || sleep 30`}},
		Budget: maintenance.Budget{Fleet: maintenance.Count(3)},
	}
	t.Setenv("FLAG", flag)
	if _, err := e.mgr.Create(e.ctx, who, "patch", spec); err != nil {
		t.Fatal(err)
	}
	ctxA, kill := context.WithCancel(e.ctx)
	a := e.executor("a", newFakeBMC())
	if err := a.Tick(ctxA); err != nil {
		t.Fatal(err)
	}
	// Wait until a's three hooks are running, then kill it.
	deadline := time.Now().Add(10 * time.Second)
	for len(a.Busy()) < 3 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	kill()
	a.Wait()
	_, nodes, err := e.store.Campaign(e.ctx, "patch")
	if err != nil {
		t.Fatal(err)
	}
	var held []string
	for _, n := range nodes {
		if n.Phase.Offline() {
			held = append(held, n.Node)
			if n.LeaseOwner != "a" || n.Phase != maintenance.PhaseActing {
				t.Errorf("after the kill %s is %s leased by %q, want acting leased by a", n.Node, n.Phase, n.LeaseOwner)
			}
		}
	}
	if len(held) != 3 {
		t.Fatalf("%d nodes offline after the kill, want 3", len(held))
	}

	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	b := e.executor("b", newFakeBMC())
	if err := b.Tick(e.ctx); err != nil {
		t.Fatal(err)
	}
	b.Wait()
	_, nodes, err = e.store.Campaign(e.ctx, "patch")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if n.Phase.Offline() && n.LeaseOwner != "a" {
			t.Errorf("b touched %s (%s, lease %q) before a's lease expired", n.Node, n.Phase, n.LeaseOwner)
		}
		if n.Phase == maintenance.PhaseDone {
			t.Errorf("b finished %s while a's nodes held the whole budget", n.Node)
		}
	}
	e.clock.Add(31 * time.Second)
	c := e.drive(b, "patch", time.Minute, 100, nil)
	if c.State != maintenance.StateDone {
		t.Fatalf("campaign %s (%s) after the takeover", c.State, c.Reason)
	}
	if got := e.maxOffline(); got > 3 {
		t.Errorf("%d nodes were offline at once; the budget is 3", got)
	}
	// The history shows b finishing what a started.
	for _, h := range e.history("campaign_node") {
		if h.Subject == held[0] && strings.Contains(string(h.After), `"phase":"done"`) {
			return
		}
	}
	t.Errorf("no history of %s finishing", held[0])
}
