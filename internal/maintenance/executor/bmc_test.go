package executor_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/railyard/railyard/internal/discovery/ipmi"
	"github.com/railyard/railyard/internal/discovery/ipmi/ipmisim"
	_ "github.com/railyard/railyard/internal/discovery/redfish"
	"github.com/railyard/railyard/internal/discovery/redfish/redfishtest"
	"github.com/railyard/railyard/internal/maintenance"
	"github.com/railyard/railyard/internal/maintenance/executor"
	"github.com/railyard/railyard/internal/model"
)

// withBMCs points the first len(addrs) nodes of the fleet at real BMCs,
// with the credential reference cred; it returns their hostnames.
func withBMCs(addrs []string, cred string, names *[]string) func(*model.Fleet) {
	return func(f *model.Fleet) {
		for i, a := range addrs {
			f.Nodes[i].BMC = model.BMC{Address: a, CredentialRef: cred}
			*names = append(*names, f.Nodes[i].Hostname)
		}
	}
}

// driveReal ticks in real time (the BMCs are real processes) until the
// campaign leaves running and no node is in flight.
func (e *env) driveReal(x *executor.Executor, name string, within time.Duration) maintenance.Campaign {
	e.t.Helper()
	deadline := time.Now().Add(within)
	for {
		c := e.drive(x, name, time.Second, 1, nil)
		_, nodes, err := e.store.Campaign(e.ctx, name)
		if err != nil {
			e.t.Fatal(err)
		}
		busy := slices.ContainsFunc(nodes, func(n maintenance.NodeStatus) bool {
			return n.Phase.Offline() && n.Phase != maintenance.PhaseFailed
		})
		if c.State != maintenance.StateRunning && !busy || time.Now().After(deadline) {
			return c
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestPowerCycleThroughIPMISim power-cycles two nodes through a real IPMI
// BMC (OpenIPMI's ipmi_sim) with bmclib, and checks the BMC saw an off
// and an on for each before the nodes returned. A third node whose BMC
// refuses the credentials fails after its attempts, stays cordoned, and pauses
// the campaign.
func TestPowerCycleThroughIPMISim(t *testing.T) {
	sims := []*ipmisim.BMC{ipmisim.Start(t, ipmisim.Config{PowerOn: true}), ipmisim.Start(t, ipmisim.Config{PowerOn: true}), ipmisim.Start(t, ipmisim.Config{PowerOn: true})}
	c := sims[0].Credentials()
	t.Setenv("RY_TEST_IPMI", c.Username+":"+c.Password)
	t.Setenv("RY_TEST_IPMI_WRONG", c.Username+":not-"+c.Password)
	var names []string
	e := setup(t, func(f *model.Fleet) {
		withBMCs([]string{sims[0].TargetURL(), sims[1].TargetURL()}, "env:RY_TEST_IPMI", &names)(f)
		// The third BMC refuses the campaign's credentials.
		f.Nodes[2].BMC = model.BMC{Address: sims[2].TargetURL(), CredentialRef: "env:RY_TEST_IPMI_WRONG"}
		names = append(names, f.Nodes[2].Hostname)
	})
	spec := maintenance.Spec{
		Action:   maintenance.Action{Kind: maintenance.ActionPowerCycle},
		Selector: maintenance.Selector{Nodes: names},
		Budget:   maintenance.Budget{Fleet: maintenance.Count(3)},
		Health:   maintenance.Health{Timeout: maintenance.D(20 * time.Second)},
	}
	if _, err := e.mgr.Create(e.ctx, who, "ipmi", spec); err != nil {
		t.Fatal(err)
	}
	x := executor.New(e.store, executor.Options{Owner: "a", Poll: 100 * time.Millisecond, Backoff: 100 * time.Millisecond, Attempts: 2, Logf: t.Logf})
	camp := e.driveReal(x, "ipmi", 60*time.Second)
	if camp.State != maintenance.StatePaused || !strings.Contains(camp.Reason, "1 nodes failed") {
		t.Fatalf("campaign %s (%s), want paused on the failure", camp.State, camp.Reason)
	}
	_, nodes, err := e.store.Campaign(e.ctx, "ipmi")
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range nodes {
		switch n.Node {
		case names[2]:
			if n.Phase != maintenance.PhaseFailed || !strings.Contains(n.Reason, "power cycle") {
				t.Errorf("node whose BMC refuses the credentials: %s (%s)", n.Phase, n.Reason)
			}
			if ev := sims[2].PowerEvents(); len(ev) != 0 {
				t.Errorf("the refusing BMC changed power: %v", ev)
			}
		default:
			if n.Phase != maintenance.PhaseDone {
				t.Errorf("node %s: %s (%s)", n.Node, n.Phase, n.Reason)
				continue
			}
			sim := sims[slices.Index(names, n.Node)]
			if ev := sim.PowerEvents(); !slices.Equal(ev, []string{"off", "on"}) {
				t.Errorf("node %d BMC power events %v, want [off on] (one cycle)", i, ev)
			}
			if p := sim.Power(); p != "on" {
				t.Errorf("node %s is %s after the campaign", n.Node, p)
			}
		}
	}
	snap, _, err := e.store.CarveSnapshot(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range snap.Nodes {
		switch {
		case n.Node == names[2] && (!n.Cordoned || !strings.Contains(n.CordonReason, "ipmi failed")):
			t.Errorf("failed node's cordon: %v %q", n.Cordoned, n.CordonReason)
		case n.Node != names[2] && n.Cordoned:
			t.Errorf("node %s still cordoned: %q", n.Node, n.CordonReason)
		}
	}
}

// TestFirmwareThroughRedfish updates the BIOS of two nodes through a
// stateful Redfish UpdateService (multipart push, then the task followed
// to completion) and checks the BMCs report the new version; a third BMC
// whose task ends in an exception fails its node with the BMC's message.
func TestFirmwareThroughRedfish(t *testing.T) {
	dir := filepath.Join("..", "..", "discovery", "redfish", "testdata", "mockups", "public-rackmount1")
	ok1 := redfishtest.New(dir, redfishtest.WithTaskDuration(300*time.Millisecond))
	defer ok1.Close()
	ok2 := redfishtest.New(dir, redfishtest.WithTaskDuration(300*time.Millisecond))
	defer ok2.Close()
	bad := redfishtest.New(dir, redfishtest.WithTaskFailure("image signature check failed"))
	defer bad.Close()
	c := ok1.Credentials()
	t.Setenv("RY_TEST_REDFISH", c.Username+":"+c.Password)
	image := filepath.Join(t.TempDir(), "bios.bin")
	if err := os.WriteFile(image, redfishtest.Image("BIOS", "P79 v9.99"), 0o644); err != nil {
		t.Fatal(err)
	}
	var names []string
	e := setup(t, withBMCs([]string{ok1.TargetURL() + "?insecure=true", ok2.TargetURL() + "?insecure=true", bad.TargetURL() + "?insecure=true"}, "env:RY_TEST_REDFISH", &names))
	before := bad.FirmwareVersion("BIOS")
	spec := maintenance.Spec{
		Action:   maintenance.Action{Kind: maintenance.ActionFirmware, Component: "BIOS", Image: image, Version: "P79 v9.99"},
		Selector: maintenance.Selector{Nodes: names},
		Budget:   maintenance.Budget{Fleet: maintenance.Count(3)},
		Stop:     maintenance.Stop{MaxFailures: 2},
	}
	if _, err := e.mgr.Create(e.ctx, who, "bios", spec); err != nil {
		t.Fatal(err)
	}
	x := executor.New(e.store, executor.Options{Owner: "a", Poll: 100 * time.Millisecond, Backoff: 100 * time.Millisecond, Logf: t.Logf})
	camp := e.driveReal(x, "bios", 60*time.Second)
	if camp.State != maintenance.StatePaused {
		t.Fatalf("campaign %s (%s), want paused with one failure left to handle", camp.State, camp.Reason)
	}
	_, nodes, err := e.store.Campaign(e.ctx, "bios")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if n.Node == names[2] {
			if n.Phase != maintenance.PhaseFailed || !strings.Contains(n.Reason, "image signature check failed") {
				t.Errorf("node with the failing task: %s (%s)", n.Phase, n.Reason)
			}
			continue
		}
		if n.Phase != maintenance.PhaseDone || n.Task == "" {
			t.Errorf("node %s: %s task %q (%s)", n.Node, n.Phase, n.Task, n.Reason)
		}
	}
	for i, s := range []*redfishtest.Server{ok1, ok2} {
		if v := s.FirmwareVersion("BIOS"); v != "P79 v9.99" {
			t.Errorf("BMC %d reports BIOS %q after the campaign", i, v)
		}
		if n := len(s.Tasks()); n != 1 {
			t.Errorf("BMC %d ran %d tasks, want 1 (the upload is never repeated)", i, n)
		}
	}
	if v := bad.FirmwareVersion("BIOS"); v != before {
		t.Errorf("the failed BMC's BIOS moved from %q to %q", before, v)
	}
	// Skipping the failed node keeps it out of service but frees the
	// budget; the campaign then finishes.
	if err := e.mgr.Skip(e.ctx, who, "bios", names[2]); err != nil {
		t.Fatal(err)
	}
	if err := e.mgr.Resume(e.ctx, who, "bios", false); err != nil {
		t.Fatal(err)
	}
	if camp = e.driveReal(x, "bios", 10*time.Second); camp.State != maintenance.StateDone {
		t.Errorf("after skip and resume: %s (%s)", camp.State, camp.Reason)
	}
	snap, _, err := e.store.CarveSnapshot(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range snap.Nodes {
		if n.Node == names[2] && (!n.Cordoned || strings.HasPrefix(n.CordonReason, "maintenance: ")) {
			t.Errorf("skipped failed node: cordoned %v %q, want an operator's cordon", n.Cordoned, n.CordonReason)
		}
	}
}
