package junos

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/railyard/railyard/drivers"
	"github.com/railyard/railyard/drivers/drivertest"
	"github.com/railyard/railyard/drivers/junos/junosfake"
	"github.com/railyard/railyard/internal/fabric"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func newFake(t *testing.T, base fabric.DeviceConfig) (drivers.Target, drivers.Transport, drivertest.Fake) {
	t.Helper()
	d := junosfake.New(base)
	return drivers.Target{Device: base.Device, Address: "fake:22", Username: "railyard"}, d.Transport(), d
}

// operator runs commands on the device as a person would, failing the
// test on any error marker.
func operator(t *testing.T, d *junosfake.Device, cmds ...string) {
	t.Helper()
	cli, err := d.Transport().CLI(context.Background(), drivers.Target{Username: "ops"})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	for _, c := range cmds {
		out, err := cli.Run(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		if l := drivers.ErrorLine(out, ErrorMarkers); l != "" {
			t.Fatalf("%s: %s", c, out)
		}
	}
}

func TestConformance(t *testing.T) {
	drivertest.Run(t, drivertest.Harness{
		Driver: Driver{},
		Kind:   fabric.EVPNLeaf,
		New:    newFake,
		Drift: func(t *testing.T, f drivertest.Fake, cfg fabric.DeviceConfig) {
			// An operator drops the storage RT import of tenant a's VRF and
			// re-enables an isolated port.
			operator(t, f.(*junosfake.Device),
				"configure",
				"delete policy-options policy-statement ry-t0001-import term rt-65000-299999",
				"delete interfaces et-0/0/7 disable",
				"commit and-quit")
		},
		FailPoint: "vlan members ry-t0002-s1",
	})
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./drivers/junos -update)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-golden +got):\n%s", name, diff)
	}
}

func TestGolden(t *testing.T) {
	cfg := func(ts ...string) fabric.DeviceConfig { return drivertest.Config(fabric.EVPNLeaf, Name, ts...) }
	render, err := Driver{}.Render(cfg("a", "b", "c"))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "render-abc.txt", render)

	// Ethernet1 moves from tenant a to b, Ethernet2 is isolated, tenant
	// c goes and the storage VRF changes its import RTs.
	from := cfg("a", "b", "c")
	to := cfg("a", "b")
	to.VRFs[0].ImportRTs = []string{"65000:200001"}
	for i := range to.Ports {
		switch to.Ports[i].Name {
		case "Ethernet1":
			to.Ports[i].VLAN = 2002
		case "Ethernet2":
			to.Ports[i].VLAN, to.Ports[i].Shutdown = 0, true
		}
	}
	cases := []struct {
		name     string
		from, to fabric.DeviceConfig
	}{
		{"commands-add-b.txt", cfg("a"), cfg("a", "b")},
		{"commands-remove-all.txt", cfg("a", "b"), cfg()},
		{"commands-change.txt", from, to},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmds, err := Driver{}.Commands(fabric.Diff(c.from, c.to), c.to)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, c.name, strings.Join(cmds, "\n")+"\n")
		})
	}
}

// apply syncs cfg onto d and returns the error.
func apply(t *testing.T, d *junosfake.Device, cfg fabric.DeviceConfig) drivers.Report {
	t.Helper()
	ctx := context.Background()
	c, err := Driver{}.Connect(ctx, drivers.Target{Device: "leaf1", Username: "railyard", Password: drivertest.Password}, d.Transport())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return drivers.Sync(ctx, Driver{}, c, cfg, drivers.SyncOptions{})
}

func TestCommitConfirmedExpiryReverts(t *testing.T) {
	cfg := drivertest.Config(fabric.EVPNLeaf, Name, "a")
	d := junosfake.New(cfg)
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	d.SetClock(func() time.Time { return now })
	before := d.Running()
	// A driver that dies between commit confirmed and the confirming
	// commit: the device must go back by itself.
	cli, _ := d.Transport().CLI(context.Background(), drivers.Target{Username: "railyard"})
	cmds, err := Driver{}.Commands(fabric.Diff(drivertest.Config(fabric.EVPNLeaf, Name), cfg), cfg)
	if err != nil {
		t.Fatal(err)
	}
	run := func(c string) string {
		out, err := cli.Run(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		if l := drivers.ErrorLine(out, ErrorMarkers); l != "" {
			t.Fatalf("%s: %s", c, out)
		}
		return out
	}
	run("configure exclusive")
	for _, c := range cmds {
		run(c)
	}
	out := run("commit confirmed 5")
	if !strings.Contains(out, "commit confirmed will be automatically rolled back in 5 minutes unless confirmed") {
		t.Errorf("commit confirmed said:\n%s", out)
	}
	cli.Close()
	applied := d.Running()
	if applied == before {
		t.Fatal("commit confirmed changed nothing")
	}
	if len(d.Pending()) != 1 {
		t.Errorf("pending = %v, want the commit confirmed", d.Pending())
	}
	now = now.Add(4*time.Minute + 59*time.Second)
	if got := d.Running(); got != applied {
		t.Error("rolled back before the window ended")
	}
	now = now.Add(time.Second)
	if diff := cmp.Diff(before, d.Running()); diff != "" {
		t.Errorf("not rolled back after the window (-before +after):\n%s", diff)
	}
	if p := d.Pending(); len(p) != 0 {
		t.Errorf("pending after the rollback: %v", p)
	}
}

func TestCommitConfirmedThenCommitKeeps(t *testing.T) {
	cfg := drivertest.Config(fabric.EVPNLeaf, Name, "a")
	d := junosfake.New(cfg)
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	d.SetClock(func() time.Time { return now })
	if r := apply(t, d, cfg); r.Err != nil {
		t.Fatal(r.Err)
	}
	applied := d.Running()
	now = now.Add(time.Hour)
	if got := d.Running(); got != applied {
		t.Errorf("a confirmed commit was rolled back:\n%s", cmp.Diff(applied, got))
	}
	log := strings.Join(d.Log(), "\n")
	for _, want := range []string{"configure exclusive", "show | compare", "commit check", "commit confirmed 5", "commit\n", "exit configuration-mode"} {
		if !strings.Contains(log+"\n", want) {
			t.Errorf("the driver never sent %q", want)
		}
	}
}

func TestApplyFailures(t *testing.T) {
	base := drivertest.Config(fabric.EVPNLeaf, Name, "a")
	want := drivertest.Config(fabric.EVPNLeaf, Name, "a", "b")
	cases := []struct {
		name, failOn string
		// rolledBack says the driver had to undo a commit.
		rolledBack bool
	}{
		{"first statement", "set policy-options community ry-rt-65000-200002", false},
		{"segment", "set vlans ry-t0002-s1 vxlan vni", false},
		{"compare", "show | compare", false},
		{"commit check", "commit check", false},
		{"commit confirmed", "commit confirmed", false},
		{"confirming commit", "commit", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := junosfake.New(base)
			if r := apply(t, d, base); r.Err != nil {
				t.Fatal(r.Err)
			}
			before := d.Running()
			commits := d.Commits()
			if c.failOn == "commit" {
				// Fail only the plain commit that confirms.
				d.FailOnExact("commit")
			} else {
				d.FailOn(c.failOn)
			}
			r := apply(t, d, want)
			if r.Err == nil {
				t.Fatal("apply succeeded")
			}
			if strings.Contains(r.Err.Error(), drivertest.Password) {
				t.Errorf("error shows the password: %v", r.Err)
			}
			if !strings.Contains(r.Err.Error(), "injected fault") {
				t.Errorf("error does not carry the device's message: %v", r.Err)
			}
			if diff := cmp.Diff(before, d.Running()); diff != "" {
				t.Errorf("device changed (-before +after):\n%s", diff)
			}
			if p := d.Pending(); len(p) != 0 {
				t.Errorf("left pending: %v", p)
			}
			if got := d.Commits() > commits; got != c.rolledBack {
				t.Errorf("commits went from %d to %d; want a rollback commit: %v", commits, d.Commits(), c.rolledBack)
			}
		})
	}
}

func TestErrorMarkersDetected(t *testing.T) {
	// A device that prints an error and carries on must fail the apply.
	cases := []struct{ name, out string }{
		{"syntax", "                 ^\nsyntax error.\n"},
		{"missing", "                                ^\nmissing argument.\n"},
		{"unknown", "^\nunknown command.\n"},
		{"error", "error: configuration database locked by:\n  ops terminal p0\n"},
		{"range", "error: Value 5000 is not within range (1..4094)\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := drivertest.Config(fabric.EVPNLeaf, Name, "a")
			d := junosfake.New(cfg)
			tr := d.Transport()
			inner := tr.CLI
			tr.CLI = func(ctx context.Context, tg drivers.Target) (drivers.CLI, error) {
				cli, err := inner(ctx, tg)
				return &banner{CLI: cli, on: "set vlans", out: c.out}, err
			}
			ctx := context.Background()
			conn, err := Driver{}.Connect(ctx, drivers.Target{Device: "leaf1", Username: "u", Password: drivertest.Password}, tr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			r := drivers.Sync(ctx, Driver{}, conn, cfg, drivers.SyncOptions{})
			if r.Err == nil {
				t.Fatalf("apply succeeded although the device said %q", c.out)
			}
			if p := d.Pending(); len(p) != 0 {
				t.Errorf("left pending: %v", p)
			}
			if got := Parse(d.RunningSet(), cfg); len(got.VRFs) != 0 {
				t.Errorf("device changed: %v", got.VRFs)
			}
		})
	}
}

// banner is a CLI that prints an error banner for the first command
// starting with on, without executing it, as a device whose command
// "succeeds" with an error would.
type banner struct {
	drivers.CLI
	on, out string
	once    sync.Once
}

func (b *banner) Run(ctx context.Context, cmd string) (string, error) {
	hit := false
	if strings.HasPrefix(cmd, b.on) {
		b.once.Do(func() { hit = true })
	}
	if hit {
		return b.out, nil
	}
	return b.CLI.Run(ctx, cmd)
}

func TestSecretsNotShown(t *testing.T) {
	cfg := drivertest.Config(fabric.EVPNLeaf, Name, "a")
	d := junosfake.New(cfg)
	// The device echoes the password in its error (a misconfigured banner
	// or a command that carried it).
	d.FailOn("set routing-instances ry-t0001 instance-type")
	tr := d.Transport()
	inner := tr.CLI
	tr.CLI = func(ctx context.Context, tg drivers.Target) (drivers.CLI, error) {
		cli, err := inner(ctx, tg)
		return &banner{CLI: cli, on: "commit check", out: "error: login " + tg.Password + " rejected\n"}, err
	}
	ctx := context.Background()
	tgt := drivers.Target{Device: "leaf1", Username: "u", Password: drivertest.Password}
	conn, err := Driver{}.Connect(ctx, tgt, tr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for i := 0; i < 2; i++ {
		r := drivers.Sync(ctx, Driver{}, conn, cfg, drivers.SyncOptions{})
		if r.Err == nil {
			t.Fatal("expected an error")
		}
		if strings.Contains(r.Err.Error(), drivertest.Password) {
			t.Errorf("error shows the password: %v", r.Err)
		}
	}
}

func TestObserveReportsScopeNames(t *testing.T) {
	// A fleet port named the Junos way is reported under that name, and a
	// VLAN outside Railyard's ranges is left out.
	cfg := drivertest.Config(fabric.EVPNLeaf, Name, "a")
	cfg.Ports = append(cfg.Ports, fabric.Port{Name: "xe-0/0/9", VLAN: 2001})
	d := junosfake.New(cfg)
	if r := apply(t, d, cfg); r.Err != nil {
		t.Fatal(r.Err)
	}
	operator(t, d, "configure", "set vlans ops-mgmt vlan-id 100", "set routing-instances mgmt instance-type virtual-router", "commit and-quit")
	got := Parse(d.RunningSet(), cfg)
	if diff := cmp.Diff(drivertest.Strip(cfg), drivertest.Strip(got)); diff != "" {
		t.Errorf("observed (-want +got):\n%s", diff)
	}
	if !strings.Contains(d.Running(), "xe-0/0/9 {") {
		t.Errorf("port xe-0/0/9 not configured under its own name:\n%s", d.Running())
	}
}
