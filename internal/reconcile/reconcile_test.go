package reconcile_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/railyard/railyard/drivers"
	_ "github.com/railyard/railyard/drivers/all"
	"github.com/railyard/railyard/drivers/eos/eosfake"
	"github.com/railyard/railyard/drivers/simfleet"
	"github.com/railyard/railyard/internal/carve"
	"github.com/railyard/railyard/internal/carver"
	"github.com/railyard/railyard/internal/fabric"
	"github.com/railyard/railyard/internal/inventory"
	"github.com/railyard/railyard/internal/model"
	"github.com/railyard/railyard/internal/reconcile"
	samples "github.com/railyard/railyard/inventory-samples"
)

type env struct {
	t     *testing.T
	ctx   context.Context
	store *inventory.Store
	sim   *simfleet.Fleet
	net   *reconcile.Network
	cv    *carver.Service
}

var who = reconcile.Actor{Actor: "test", Source: "test"}

func setup(t *testing.T) *env { return setupWith(t, "", "") }

// setupWith loads lab-1su with its storage leaves programmed by the
// storage driver and its InfiniBand fabric by the compute driver (empty:
// as the sample says, eos and ufm).
func setupWith(t *testing.T, storage, compute string) *env {
	t.Helper()
	ctx := context.Background()
	store, err := inventory.Open(ctx, filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	fleet, err := samples.Load("lab-1su")
	if err != nil {
		t.Fatal(err)
	}
	for i, sw := range fleet.Switches {
		switch {
		case storage != "" && strings.HasSuffix(sw.Fabric, "-storage"):
			fleet.Switches[i].Driver = storage
		case compute != "" && strings.HasSuffix(sw.Fabric, "-compute"):
			fleet.Switches[i].Driver = compute
		}
	}
	if _, err := store.Import(ctx, fleet, inventory.ImportOptions{Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	sim := simfleet.New(simfleet.Default())
	n := reconcile.New(store, reconcile.Options{Transport: sim.Transport(), Targets: sim.Target, Retries: -1})
	return &env{t: t, ctx: ctx, store: store, sim: sim, net: n, cv: carver.New(store, carve.Policy{})}
}

func (e *env) round(drift bool) []drivers.Report {
	e.t.Helper()
	rs, err := e.net.Round(e.ctx, who, drift)
	if err != nil {
		e.t.Fatal(err)
	}
	return rs
}

func (e *env) tenant(name string, gpus int) {
	e.t.Helper()
	if _, err := e.store.CreateTenant(e.ctx, model.Tenant{Name: name}, inventory.WriteOptions{}); err != nil && !strings.Contains(err.Error(), "already exists") {
		e.t.Fatal(err)
	}
	if _, err := e.cv.Carve(e.ctx, carver.Caller{Actor: "test"}, carve.Request{Block: name + "-1", Tenant: name, GPUs: gpus}, false); err != nil {
		e.t.Fatal(err)
	}
	if _, _, err := e.store.SetTenantNetwork(e.ctx, fabric.Intent{Tenant: name, Compute: true, Storage: true}, inventory.WriteOptions{}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) state() *inventory.NetworkState {
	e.t.Helper()
	st, err := e.store.NetworkState(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

func failed(rs []drivers.Report) []string {
	var out []string
	for _, r := range rs {
		if r.Err != nil {
			out = append(out, r.Device+": "+r.Err.Error())
		}
	}
	return out
}

// A tenant comes up on every device; a second round changes nothing; a
// hand edit on a switch is found by the drift check, counted and
// corrected; the tenant's block grows and the network follows.
func TestTenantUpDriftAndGrowth(t *testing.T) {
	e := setup(t)
	e.round(false) // the fabric in service: storage VRF, ports isolated
	e.tenant("acme", 64)
	rs := e.round(false)
	if f := failed(rs); len(f) > 0 {
		t.Fatalf("tenant up: %v", f)
	}
	if len(rs) == 0 {
		t.Fatal("no device synced after the tenant's network was set")
	}
	st := e.state()
	if p := reconcile.Pending(st); len(p) > 0 {
		t.Fatalf("pending after tenant up: %v", p)
	}
	var leaf fabric.DeviceConfig
	for _, d := range st.Devices {
		if d.Desired.Kind == fabric.EVPNLeaf && len(d.Desired.Tenants()) > 0 {
			leaf = d.Desired
		}
	}
	if leaf.Device == "" {
		t.Fatal("no leaf carries acme")
	}
	// Nothing changed: a drift check reads every device and sends nothing.
	for _, r := range e.round(true) {
		if r.Changed() || r.Err != nil {
			t.Errorf("idle drift check changed %s: %v %s", r.Device, r.Err, r.Drift)
		}
	}
	// Someone shuts a tenant port by hand.
	var port string
	for _, p := range leaf.Ports {
		if p.Tenant == "acme" {
			port = p.Name
			break
		}
	}
	dev, _ := e.sim.Lookup(leaf.Device)
	before := dev.Running()
	cli, err := dev.(*eosfake.Device).Transport().CLI(e.ctx, drivers.Target{Device: leaf.Device})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"configure terminal", "interface " + port, "shutdown", "end"} {
		if out, err := cli.Run(e.ctx, c); err != nil || strings.Contains(out, "%") {
			t.Fatalf("hand edit %q: %v %s", c, err, out)
		}
	}
	if dev.Running() == before {
		t.Fatal("the hand edit changed nothing")
	}
	rs = e.round(true)
	var saw bool
	for _, r := range rs {
		if r.Device == leaf.Device {
			saw = true
			if !r.Changed() || !strings.Contains(r.Drift.String(), port) {
				t.Errorf("drift on %s not reported: %+v", leaf.Device, r.Drift)
			}
		}
	}
	if !saw {
		t.Fatalf("drift check did not visit %s", leaf.Device)
	}
	if dev.Running() != before {
		t.Error("the drift was not corrected")
	}
	for _, d := range e.state().Devices {
		if d.Desired.Device == leaf.Device && (d.DriftCount != 1 || !strings.Contains(d.LastDrift, port)) {
			t.Errorf("device status after drift: count %d, last %q", d.DriftCount, d.LastDrift)
		}
	}
	// Growth: the block grows by a node; its ports join at the next round.
	bound := func() int {
		n := 0
		for _, d := range e.state().Devices {
			for _, p := range d.Desired.Ports {
				if p.Tenant == "acme" {
					n++
				}
			}
		}
		return n
	}
	was := bound()
	if _, err := e.cv.Grow(e.ctx, carver.Caller{Actor: "test"}, "acme-1", 8, false); err != nil {
		t.Fatal(err)
	}
	if f := failed(e.round(false)); len(f) > 0 {
		t.Fatal(f)
	}
	if got := bound(); got != was+2 {
		t.Errorf("after growing by a node the tenant has %d storage ports, want %d", got, was+2)
	}
	if p := reconcile.Pending(e.state()); len(p) > 0 {
		t.Errorf("pending after growth: %v", p)
	}
}

// A release completes only once every device has synced without the
// tenant: a device that fails keeps the network releasing.
func TestReleaseWaitsForEveryDevice(t *testing.T) {
	e := setup(t)
	e.tenant("acme", 64)
	e.tenant("globex", 64)
	if f := failed(e.round(false)); len(f) > 0 {
		t.Fatal(f)
	}
	var stuck string
	for _, d := range e.state().Devices {
		if d.Desired.Kind == fabric.EVPNLeaf && strings.Contains(strings.Join(d.Desired.Tenants(), ","), "acme") {
			stuck = d.Desired.Device
		}
	}
	dev, _ := e.sim.Lookup(stuck)
	dev.(*eosfake.Device).FailOn("ry-t0001")
	if _, err := e.store.ReleaseTenantNetwork(e.ctx, "acme", inventory.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	rs := e.round(false)
	if len(failed(rs)) != 1 {
		t.Fatalf("want exactly %s to fail, got %v", stuck, failed(rs))
	}
	st := e.state()
	if len(st.Intents) != 2 || st.Intents[0].State != fabric.Releasing {
		t.Fatalf("acme's network finished releasing while %s still carries it: %+v", stuck, st.Intents)
	}
	// The device recovers: the next round completes the release, and
	// acme's numbers are held, not deleted.
	if f := failed(e.round(false)); len(f) > 0 {
		t.Fatal(f)
	}
	st = e.state()
	if len(st.Intents) != 1 || st.Intents[0].Tenant != "globex" {
		t.Fatalf("intents after release: %+v", st.Intents)
	}
	held := 0
	for _, a := range st.Allocations {
		if a.Tenant == "acme" {
			if a.ReleasedAt.IsZero() {
				t.Errorf("acme allocation still active: %+v", a)
			}
			held++
		}
	}
	if held == 0 {
		t.Error("acme's numbers were dropped, not held")
	}
	for _, d := range st.Devices {
		for _, p := range d.Desired.Ports {
			if p.Tenant == "acme" || (p.Node != "" && p.VLAN != 0 && p.Tenant != "globex") {
				t.Errorf("%s %s still carries acme", d.Desired.Device, p.Name)
			}
		}
	}
}

// Every driver with a fake carries two tenants up, stays put on a drift
// check, and takes one off again, through the reconciler.
func TestEveryDriverThroughTheReconciler(t *testing.T) {
	for _, c := range [][2]string{{"eos", "ufm"}, {"nxos", "opensm"}, {"junos", "ufm"}, {"cumulus", "opensm"}, {"sonic", "ufm"}} {
		t.Run(c[0]+"+"+c[1], func(t *testing.T) {
			e := setupWith(t, c[0], c[1])
			if f := failed(e.round(false)); len(f) > 0 {
				t.Fatalf("fabric into service: %v", f)
			}
			e.tenant("acme", 64)
			e.tenant("globex", 32)
			if f := failed(e.round(false)); len(f) > 0 {
				t.Fatalf("tenant up: %v", f)
			}
			for _, r := range e.round(true) {
				if r.Err != nil || r.Changed() {
					t.Errorf("drift check changed %s: %v\n%s", r.Device, r.Err, r.Drift)
				}
			}
			if _, err := e.store.ReleaseTenantNetwork(e.ctx, "acme", inventory.WriteOptions{}); err != nil {
				t.Fatal(err)
			}
			if f := failed(e.round(false)); len(f) > 0 {
				t.Fatalf("release: %v", f)
			}
			st := e.state()
			if len(st.Intents) != 1 {
				t.Fatalf("acme not released: %+v", st.Intents)
			}
			for _, d := range st.Devices {
				dev, ok := e.sim.Lookup(d.Desired.Device)
				if !ok {
					continue
				}
				if strings.Contains(dev.Running(), "ry-t0001") {
					t.Errorf("%s still holds acme's objects after the release:\n%s", d.Desired.Device, dev.Running())
				}
			}
		})
	}
}
