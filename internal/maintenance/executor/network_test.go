package executor_test

import (
	"strings"
	"testing"
	"time"

	_ "github.com/railyard/railyard/drivers/all"
	"github.com/railyard/railyard/drivers/simfleet"
	"github.com/railyard/railyard/internal/fabric"
	"github.com/railyard/railyard/internal/maintenance"
	"github.com/railyard/railyard/internal/maintenance/executor"
	"github.com/railyard/railyard/internal/reconcile"
)

// TestSwapWaitsForTheTenantNetwork swaps maintained spares into a tenant
// whose storage and compute networks are programmed: each swapped-out
// node waits in "swapping" until the reconciler has moved the tenant's
// network to the spare, and when the campaign ends every device holds
// the tenant on its new nodes and isolates the ones it left.
func TestSwapWaitsForTheTenantNetwork(t *testing.T) {
	e := setup(t, nil)
	b := e.carve("acme", 64)
	if _, _, err := e.store.SetTenantNetwork(e.ctx, fabric.Intent{Tenant: "acme", Compute: true, Storage: true}, who); err != nil {
		t.Fatal(err)
	}
	sim := simfleet.New(simfleet.Default())
	net := reconcile.New(e.store, reconcile.Options{Transport: sim.Transport(), Targets: sim.Target, Retries: -1})
	actor := reconcile.Actor{Actor: "test", Source: "test"}
	if _, err := net.Round(e.ctx, actor, false); err != nil {
		t.Fatal(err)
	}
	if ok, why, err := net.Settled(e.ctx); !ok || err != nil {
		t.Fatalf("network not settled before the campaign: %s %v", why, err)
	}
	var old []string
	for _, m := range b.Members {
		old = append(old, m.Node)
	}
	spec := maintenance.Spec{
		Action:   maintenance.Action{Kind: maintenance.ActionPowerCycle},
		Selector: maintenance.Selector{Nodes: old[:2]},
		Budget:   maintenance.Budget{Fleet: maintenance.Count(2)},
	}
	if _, err := e.mgr.Create(e.ctx, who, "swap", spec); err != nil {
		t.Fatal(err)
	}
	x := executor.New(e.store, executor.Options{Owner: "a", BMC: newFakeBMC(), Now: e.clock.Now, Poll: time.Second, Network: net.Settled, Logf: t.Logf})
	if err := x.Tick(e.ctx); err != nil {
		t.Fatal(err)
	}
	x.Wait()
	_, nodes, err := e.store.Campaign(e.ctx, "swap")
	if err != nil {
		t.Fatal(err)
	}
	var spares []string
	for _, n := range nodes {
		if n.Phase != maintenance.PhaseSwapping || !strings.Contains(n.Reason, "waiting for the tenant network: ") {
			t.Errorf("%s before the reconciler ran: %s (%s)", n.Node, n.Phase, n.Reason)
		}
		spares = append(spares, n.Spares...)
	}
	if len(spares) != 2 {
		t.Fatalf("spares %v", spares)
	}
	if _, err := net.Round(e.ctx, actor, false); err != nil {
		t.Fatal(err)
	}
	c := e.drive(x, "swap", time.Minute, 20, nil)
	if c.State != maintenance.StateDone {
		t.Fatalf("campaign %s (%s)", c.State, c.Reason)
	}
	st, err := e.store.NetworkState(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	holds := map[string]map[string]bool{} // node → tenants on its ports
	isolated := map[string]bool{}
	for _, d := range st.Devices {
		if !d.InSync() {
			t.Errorf("device %s not in sync", d.Desired.Device)
		}
		for _, p := range d.Desired.Ports {
			if p.Node == "" {
				continue
			}
			if holds[p.Node] == nil {
				holds[p.Node] = map[string]bool{}
			}
			if p.Tenant != "" {
				holds[p.Node][p.Tenant] = true
			} else if p.Shutdown {
				isolated[p.Node] = true
			}
		}
	}
	for _, n := range old[:2] {
		if len(holds[n]) != 0 || !isolated[n] {
			t.Errorf("swapped-out node %s: tenants %v, isolated %v", n, holds[n], isolated[n])
		}
	}
	for _, s := range spares {
		if !holds[s]["acme"] {
			t.Errorf("spare %s does not carry acme's network", s)
		}
	}
}
