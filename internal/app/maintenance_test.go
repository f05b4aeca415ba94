package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/railyard/railyard/internal/api"
	"github.com/railyard/railyard/internal/inventory"
	"github.com/railyard/railyard/internal/maintenance"
	"github.com/railyard/railyard/internal/maintenance/executor"
	"github.com/railyard/railyard/internal/model"
	samples "github.com/railyard/railyard/inventory-samples"
)

func TestSimBMCPower(t *testing.T) {
	ctx := context.Background()
	s := newSimBMC()
	b := model.BMC{Address: "redfish://10.1.0.1"}
	if p, err := s.PowerState(ctx, b); err != nil || p != "on" {
		t.Fatalf("a new node: %q %v", p, err)
	}
	if err := s.PowerCycle(ctx, b); err != nil {
		t.Fatal(err)
	}
	// Off at the first query after the cycle, on (booted) at the next.
	for i, want := range []string{"off", "on", "on"} {
		if p, _ := s.PowerState(ctx, b); p != want {
			t.Errorf("query %d after a cycle: %q, want %q", i+1, p, want)
		}
	}
	// Nodes are independent.
	other := model.BMC{Address: "ipmi://10.1.0.2:623"}
	s.PowerCycle(ctx, other)
	if p, _ := s.PowerState(ctx, b); p != "on" {
		t.Errorf("cycling one node changed another: %q", p)
	}
	if s.nodes[other.Address].cycles != 1 || s.nodes[b.Address].cycles != 1 {
		t.Errorf("cycles: %d %d", s.nodes[other.Address].cycles, s.nodes[b.Address].cycles)
	}
	for _, bad := range []model.BMC{{}, {Address: "carrier-pigeon://x"}} {
		if err := s.PowerCycle(ctx, bad); err == nil {
			t.Errorf("cycle of %q succeeded", bad.Address)
		}
		if _, err := s.PowerState(ctx, bad); err == nil {
			t.Errorf("power state of %q succeeded", bad.Address)
		}
	}
}

func TestSimBMCFirmware(t *testing.T) {
	ctx := context.Background()
	s := newSimBMC()
	b := model.BMC{Address: "redfish://10.1.0.1"}
	if v, _ := s.FirmwareVersion(ctx, b, "BIOS"); v != simInitialVersion {
		t.Errorf("initial version %q", v)
	}
	image := []byte("2.1.0\nbinary blob")
	task, err := s.FirmwareInstall(ctx, b, "BIOS", bytes.NewReader(image), int64(len(image)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.FirmwareInstall(ctx, b, "bmc", bytes.NewReader(image), int64(len(image))); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Errorf("a second update while one runs: %v", err)
	}
	if _, err := s.FirmwareInstall(ctx, b, "bmc", bytes.NewReader(image), 99); err == nil || !strings.Contains(err.Error(), "read 17 bytes of an image of 99") {
		t.Errorf("short upload: %v", err)
	}
	st, err := s.FirmwareTask(ctx, b, task)
	if err != nil || st.State != "running" || st.Percent != 50 {
		t.Errorf("first poll: %+v %v", st, err)
	}
	if v, _ := s.FirmwareVersion(ctx, b, "bios"); v != simInitialVersion {
		t.Errorf("version while the task runs: %q", v)
	}
	st, err = s.FirmwareTask(ctx, b, task)
	if err != nil || st.State != "done" || st.Percent != 100 {
		t.Errorf("second poll: %+v %v", st, err)
	}
	if v, _ := s.FirmwareVersion(ctx, b, "bios"); v != "2.1.0" {
		t.Errorf("version after the update: %q", v)
	}
	if v, _ := s.FirmwareVersion(ctx, b, "bmc"); v != simInitialVersion {
		t.Errorf("another component changed: %q", v)
	}
	if _, err := s.FirmwareTask(ctx, model.BMC{Address: "redfish://10.1.0.2"}, task); err == nil {
		t.Error("another BMC knows the task")
	}
	s.PowerCycle(ctx, b)
	if _, err := s.FirmwareInstall(ctx, b, "bmc", bytes.NewReader(image), int64(len(image))); err == nil || !strings.Contains(err.Error(), "powered off") {
		t.Errorf("update of a node that is off: %v", err)
	}
	if v := imageVersion([]byte{0x7f, 'E', 'L', 'F', 0, 1}); !strings.HasPrefix(v, "sim-") || len(v) != 16 {
		t.Errorf("binary image version %q", v)
	}
}

// TestSimBMCCampaign runs firmware and power-cycle campaigns through the
// executor against the simulated BMCs.
func TestSimBMCCampaign(t *testing.T) {
	ctx := context.Background()
	store, err := inventory.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	rc, name, err := samples.Open("lab-1su")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	buf.ReadFrom(rc)
	rc.Close()
	if _, err := api.ImportFile(ctx, store, name, buf.Bytes(), "test", false); err != nil {
		t.Fatal(err)
	}
	image := filepath.Join(t.TempDir(), "bios.bin")
	os.WriteFile(image, []byte("2.1.0\n\x00\x01firmware"), 0o644)
	bmc := newSimBMC()
	m := &executor.Manager{Store: store}
	who := inventory.WriteOptions{Actor: "test", Source: "test"}
	specs := map[string]maintenance.Spec{
		"fw": {Action: maintenance.Action{Kind: maintenance.ActionFirmware, Image: image, Component: "BIOS", Version: "2.1.0"},
			Selector: maintenance.Selector{Racks: []string{"lab-su01-r01"}}, Budget: maintenance.Budget{Fleet: maintenance.Count(2)}},
		"pc": {Action: maintenance.Action{Kind: maintenance.ActionPowerCycle},
			Selector: maintenance.Selector{Racks: []string{"lab-su01-r02"}}, Budget: maintenance.Budget{Fleet: maintenance.Count(4)}},
	}
	for name, spec := range specs {
		if _, err := m.Create(ctx, who, name, spec); err != nil {
			t.Fatal(err)
		}
	}
	x := executor.New(store, executor.Options{BMC: bmc, Poll: time.Millisecond})
	deadline := time.Now().Add(20 * time.Second)
	for {
		if err := x.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		x.Wait()
		cs, err := store.Campaigns(ctx)
		if err != nil {
			t.Fatal(err)
		}
		done := 0
		for _, c := range cs {
			if c.State == maintenance.StateDone {
				done++
			}
			if c.State == maintenance.StatePaused {
				_, nodes, _ := store.Campaign(ctx, c.Name)
				t.Fatalf("campaign %s paused: %s %+v", c.Name, c.Reason, nodes)
			}
		}
		if done == len(specs) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("campaigns not done: %+v", cs)
		}
		time.Sleep(2 * time.Millisecond)
	}
	// Every node of r01 runs the new BIOS; every node of r02 was cycled
	// once and is on.
	snap, _, err := store.CarveSnapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range snap.Nodes {
		d, err := store.GetNode(ctx, n.Node, 0)
		if err != nil {
			t.Fatal(err)
		}
		b := d.Node.BMC
		switch n.Rack {
		case "lab-su01-r01":
			if v, _ := bmc.FirmwareVersion(ctx, b, "bios"); v != "2.1.0" {
				t.Errorf("%s runs BIOS %q", n.Node, v)
			}
		case "lab-su01-r02":
			if sn := bmc.nodes[b.Address]; sn == nil || sn.cycles != 1 || sn.power != "on" {
				t.Errorf("%s: %+v", n.Node, sn)
			}
		default:
			if bmc.nodes[b.Address] != nil {
				t.Errorf("%s outside the campaigns was touched", n.Node)
			}
		}
		if n.Cordoned {
			t.Errorf("%s still cordoned: %s", n.Node, n.CordonReason)
		}
	}
}
