package cumulus

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
	"github.com/railyard/railyard/drivers/cumulus/cumulusfake"
	"github.com/railyard/railyard/drivers/drivertest"
	"github.com/railyard/railyard/internal/fabric"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func newFake(t *testing.T, base fabric.DeviceConfig) (drivers.Target, drivers.Transport, drivertest.Fake) {
	t.Helper()
	d := cumulusfake.New(base)
	return drivers.Target{Device: base.Device, Address: "fake:22", Username: "railyard"}, d.Transport(), d
}

// operator runs commands as another user, failing on any error marker.
func operator(t *testing.T, d *cumulusfake.Device, cmds ...string) {
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
			// brings an isolated port up.
			operator(t, f.(*cumulusfake.Device),
				"nv unset vrf ry-t0001 router bgp route-import from-evpn route-target 65000:299999",
				"nv unset interface swp8 link state",
				"nv config apply -y")
		},
		FailPoint: "interface swp3 bridge domain br_default access 2002",
	})
}

// TestConformanceLegacy runs the suite against a release that spells
// the enable attribute "enable on".
func TestConformanceLegacy(t *testing.T) {
	drivertest.Run(t, drivertest.Harness{
		Driver: Driver{},
		Kind:   fabric.EVPNLeaf,
		New: func(t *testing.T, base fabric.DeviceConfig) (drivers.Target, drivers.Transport, drivertest.Fake) {
			d := cumulusfake.NewVersion(base, "5.3.0")
			return drivers.Target{Device: base.Device, Username: "railyard"}, d.Transport(), d
		},
		Drift: func(t *testing.T, f drivertest.Fake, cfg fabric.DeviceConfig) {
			operator(t, f.(*cumulusfake.Device), "nv unset vrf ry-t0002 evpn enable", "nv config apply -y")
		},
		FailPoint: "nv set vrf ry-t0002 evpn enable on",
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
		t.Fatalf("%v (run go test ./drivers/cumulus -update)", err)
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
	// c goes, the storage VRF drops an import RT and b's segment gets a
	// new gateway.
	from := cfg("a", "b", "c")
	to := cfg("a", "b")
	to.VRFs[0].ImportRTs = []string{"65000:299999"}
	to.Segments[1].Gateway = "10.64.2.1/23"
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

func apply(t *testing.T, d *cumulusfake.Device, cfg fabric.DeviceConfig) drivers.Report {
	t.Helper()
	ctx := context.Background()
	c, err := Driver{}.Connect(ctx, drivers.Target{Device: "leaf1", Username: "railyard", Password: drivertest.Password}, d.Transport())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return drivers.Sync(ctx, Driver{}, c, cfg, drivers.SyncOptions{})
}

func TestConfirmExpiryReverts(t *testing.T) {
	cfg := drivertest.Config(fabric.EVPNLeaf, Name, "a")
	d := cumulusfake.New(cfg)
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	d.SetClock(func() time.Time { return now })
	before := d.Running()
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
	for _, c := range cmds {
		run(c)
	}
	// The driver dies after the apply, before it confirms.
	if out := run("nv config apply --confirm 300s -y"); !strings.Contains(out, "applied [rev_id: ") {
		t.Fatalf("apply said %q", out)
	}
	cli.Close()
	applied := d.Running()
	if applied == before {
		t.Fatal("apply changed nothing")
	}
	now = now.Add(299 * time.Second)
	if d.Running() != applied {
		t.Error("rolled back before the window ended")
	}
	if p := d.Pending(); len(p) != 1 {
		t.Errorf("pending = %v, want the confirm window", p)
	}
	now = now.Add(time.Second)
	if diff := cmp.Diff(before, d.Running()); diff != "" {
		t.Errorf("not rolled back (-before +after):\n%s", diff)
	}
	if p := d.Pending(); len(p) != 0 {
		t.Errorf("pending after the rollback: %v", p)
	}
	h := d.History()
	if last := h[len(h)-1]; !strings.Contains(last, "not confirmed in time") {
		t.Errorf("history does not record the rollback: %v", h)
	}
}

func TestConfirmedApplyStays(t *testing.T) {
	cfg := drivertest.Config(fabric.EVPNLeaf, Name, "a")
	d := cumulusfake.New(cfg)
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	d.SetClock(func() time.Time { return now })
	if r := apply(t, d, cfg); r.Err != nil {
		t.Fatal(r.Err)
	}
	applied := d.Running()
	now = now.Add(time.Hour)
	if got := d.Running(); got != applied {
		t.Errorf("a confirmed apply was rolled back:\n%s", cmp.Diff(applied, got))
	}
	log := strings.Join(d.Log(), "\n") + "\n"
	for _, want := range []string{"nv show system\n", "nv config diff -o commands\n", "nv config apply --confirm 300s -y\n", "nv config apply --confirm-status\n", "nv config apply --confirm-yes\n"} {
		if !strings.Contains(log, want) {
			t.Errorf("the driver never sent %q", want)
		}
	}
}

func TestApplyFailures(t *testing.T) {
	base := drivertest.Config(fabric.EVPNLeaf, Name, "a")
	want := drivertest.Config(fabric.EVPNLeaf, Name, "a", "b")
	cases := []struct{ name, failOn string }{
		{"first command", "nv set vrf ry-t0002 evpn vni"},
		{"segment", "nv set interface vlan2002 ip vrr"},
		{"diff", "nv config diff"},
		{"apply", "nv config apply --confirm 300s"},
		{"confirm status", "--confirm-status"},
		{"confirm", "--confirm-yes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := cumulusfake.New(base)
			if r := apply(t, d, base); r.Err != nil {
				t.Fatal(r.Err)
			}
			before := d.Running()
			d.FailOn(c.failOn)
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
			// The retry converges.
			if r := apply(t, d, want); r.Err != nil {
				t.Fatal(r.Err)
			}
		})
	}
}

func TestInvalidConfigDetected(t *testing.T) {
	// A port on a VLAN no segment has: NVUE refuses the revision at
	// apply; the driver must report it and leave nothing pending.
	cfg := drivertest.Config(fabric.EVPNLeaf, Name, "a")
	d := cumulusfake.New(cfg)
	bad := cfg.Clone()
	bad.Ports[7].VLAN, bad.Ports[7].Shutdown = 2999, false
	before := d.Running()
	r := apply(t, d, bad)
	if r.Err == nil || !strings.Contains(r.Err.Error(), "Invalid config") {
		t.Fatalf("err = %v, want NVUE's Invalid config", r.Err)
	}
	if d.Running() != before {
		t.Error("device changed")
	}
	if p := d.Pending(); len(p) != 0 {
		t.Errorf("left pending: %v", p)
	}
}

// banner prints an error for the first command starting with on,
// without running it.
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

func TestErrorMarkersDetected(t *testing.T) {
	cases := []struct{ name, out string }{
		{"error", "Error: 'x' is not one of ['vrf']\n"},
		{"invalid", "Invalid config [rev_id: 7]\n"},
		{"unknown", "Unknown option '--foo'\n"},
		{"shell", "-bash: nv: command not found\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := drivertest.Config(fabric.EVPNLeaf, Name, "a")
			d := cumulusfake.New(cfg)
			tr := d.Transport()
			inner := tr.CLI
			tr.CLI = func(ctx context.Context, tg drivers.Target) (drivers.CLI, error) {
				cli, err := inner(ctx, tg)
				return &banner{CLI: cli, on: "nv set bridge", out: c.out}, err
			}
			ctx := context.Background()
			conn, err := Driver{}.Connect(ctx, drivers.Target{Device: "leaf1", Username: "u", Password: drivertest.Password}, tr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			before := d.Running()
			r := drivers.Sync(ctx, Driver{}, conn, cfg, drivers.SyncOptions{})
			if r.Err == nil {
				t.Fatalf("apply succeeded although the device said %q", c.out)
			}
			if p := d.Pending(); len(p) != 0 {
				t.Errorf("left pending: %v", p)
			}
			if d.Running() != before {
				t.Error("device changed")
			}
		})
	}
}

func TestSecretsNotShown(t *testing.T) {
	cfg := drivertest.Config(fabric.EVPNLeaf, Name, "a")
	d := cumulusfake.New(cfg)
	tr := d.Transport()
	inner := tr.CLI
	tr.CLI = func(ctx context.Context, tg drivers.Target) (drivers.CLI, error) {
		cli, err := inner(ctx, tg)
		return &banner{CLI: cli, on: "nv config diff", out: "Error: sudo: password " + tg.Password + " rejected\n"}, err
	}
	ctx := context.Background()
	conn, err := Driver{}.Connect(ctx, drivers.Target{Device: "leaf1", Username: "u", Password: drivertest.Password}, tr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := drivers.Sync(ctx, Driver{}, conn, cfg, drivers.SyncOptions{})
	if r.Err == nil {
		t.Fatal("expected an error")
	}
	if strings.Contains(r.Err.Error(), drivertest.Password) {
		t.Errorf("error shows the password: %v", r.Err)
	}
}

func TestObserveReportsScopeNames(t *testing.T) {
	cfg := drivertest.Config(fabric.EVPNLeaf, Name, "a")
	cfg.Ports = append(cfg.Ports, fabric.Port{Name: "swp9s1", VLAN: 2001})
	d := cumulusfake.New(cfg)
	if r := apply(t, d, cfg); r.Err != nil {
		t.Fatal(r.Err)
	}
	operator(t, d, "nv set bridge domain br_default vlan 100 vni 10100", "nv set vrf mgmt2 evpn vni 4000", "nv config apply -y")
	got := Parse(d.Running(), cfg)
	if diff := cmp.Diff(drivertest.Strip(cfg), drivertest.Strip(got)); diff != "" {
		t.Errorf("observed (-want +got):\n%s", diff)
	}
	if !strings.Contains(d.Running(), "nv set interface swp9s1 bridge domain br_default access 2001\n") {
		t.Errorf("swp9s1 not configured under its own name:\n%s", d.Running())
	}
}

func TestLegacySpelling(t *testing.T) {
	cases := []struct {
		version string
		want    bool
	}{{"5.3.0", true}, {"5.4.1", true}, {"5.5.0", false}, {"5.14.0", false}, {"4.4.5", true}, {"", false}, {"6.0", false}}
	for _, c := range cases {
		if got := Legacy(c.version); got != c.want {
			t.Errorf("Legacy(%q) = %v, want %v", c.version, got, c.want)
		}
		if got := cumulusfake.Legacy(c.version); got != c.want {
			t.Errorf("cumulusfake.Legacy(%q) = %v, want %v", c.version, got, c.want)
		}
	}
	cfg := drivertest.Config(fabric.EVPNLeaf, Name, "a")
	d := cumulusfake.NewVersion(cfg, "5.4.0")
	if r := apply(t, d, cfg); r.Err != nil {
		t.Fatal(r.Err)
	}
	run := d.Running()
	if !strings.Contains(run, "nv set vrf ry-t0001 evpn enable on\n") || strings.Contains(run, "state enabled") {
		t.Errorf("5.4 device holds:\n%s", run)
	}
}
