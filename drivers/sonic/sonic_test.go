package sonic

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/railyard/railyard/drivers"
	"github.com/railyard/railyard/drivers/drivertest"
	"github.com/railyard/railyard/drivers/sonic/sonicfake"
	"github.com/railyard/railyard/internal/fabric"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func newFake(t *testing.T, base fabric.DeviceConfig) (drivers.Target, drivers.Transport, drivertest.Fake) {
	f := sonicfake.New(base)
	return drivers.Target{Device: base.Device, Address: "leaf1.example:22", Username: "admin"}, f.Transport(), f
}

func drift(t *testing.T, f drivertest.Fake, cfg fabric.DeviceConfig) {
	d := f.(*sonicfake.Device)
	for _, cmd := range []string{
		"vtysh -c 'configure terminal' -c 'router bgp 65100 vrf Vrf-ry-t0001' -c 'address-family l2vpn evpn' -c 'no route-target import 65000:299999'",
		"sudo config vlan member del 2002 Ethernet4",
		"sudo config vlan member add -u 2001 Ethernet4",
	} {
		if out := d.Exec(cmd); out != "" {
			t.Fatalf("%s: %s", cmd, out)
		}
	}
}

func TestConformance(t *testing.T) {
	drivertest.Run(t, drivertest.Harness{
		Driver:    Driver{},
		Kind:      fabric.EVPNLeaf,
		New:       newFake,
		Drift:     drift,
		FailPoint: "vlan member add -u 2002 Ethernet3",
	})
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./drivers/sonic -update)", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("%s differs (-golden +got):\n%s", name, d)
	}
}

func cfg(tenants ...string) fabric.DeviceConfig {
	return drivertest.Config(fabric.EVPNLeaf, Name, tenants...)
}

func TestGolden(t *testing.T) {
	r, err := Driver{}.Render(cfg("a", "b", "c"))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "render-abc.txt", r)
	moved := cfg("a", "b")
	for i := range moved.Ports {
		if moved.Ports[i].Name == "Ethernet1" {
			moved.Ports[i].VLAN = 2002
		}
	}
	changedVRF := cfg("a")
	changedVRF.VRFs[0].ImportRTs = []string{"65000:200001"}
	changedVRF.VRFs[0].RD = "10.255.0.3:101"
	for _, c := range []struct {
		name     string
		from, to fabric.DeviceConfig
	}{
		{"commands-add-abc.txt", cfg(), cfg("a", "b", "c")},
		{"commands-remove-b.txt", cfg("a", "b"), cfg("a")},
		{"commands-remove-all.txt", cfg("a", "b", "c"), cfg()},
		{"commands-port-move.txt", cfg("a", "b"), moved},
		{"commands-vrf-rts.txt", cfg("a"), changedVRF},
	} {
		cmds, err := Driver{}.Commands(fabric.Diff(c.from, c.to), c.to)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, c.name, strings.Join(cmds, "\n")+"\n")
	}
}

// TestRenderRoundTrip: what Render prints parses back to the
// configuration it was made from.
func TestRenderRoundTrip(t *testing.T) {
	for _, ts := range [][]string{{}, {"a"}, {"a", "b", "c"}} {
		c := cfg(ts...)
		r, err := Driver{}.Render(c)
		if err != nil {
			t.Fatal(err)
		}
		js, frr, _ := strings.Cut(r, "\n!\n")
		db, err := ParseConfigDB(js)
		if err != nil {
			t.Fatal(err)
		}
		got := Build(db, ParseFRR(frr), portNames(c, fabric.Change{}))
		if d := cmp.Diff(drivertest.Strip(c), drivertest.Strip(got)); d != "" {
			t.Errorf("%v: parse(render) differs (-want +got):\n%s", ts, d)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*fabric.DeviceConfig)
		want string
	}{
		{"duplicate L2VNI", func(c *fabric.DeviceConfig) { c.Segments[1].L2VNI = c.Segments[0].L2VNI }, "VNI 2000101 is already used by segment ry-t0001-s1"},
		{"L2VNI equals an L3VNI", func(c *fabric.DeviceConfig) { c.Segments[0].L2VNI = 200002 }, "VNI 200002 is already used by vrf ry-t0002"},
		{"duplicate VLAN", func(c *fabric.DeviceConfig) { c.VRFs[1].CoreVLAN = 2001 }, "VLAN 2001 is already used by vrf ry-t0001"},
		{"duplicate RD", func(c *fabric.DeviceConfig) { c.VRFs[1].RD = c.VRFs[0].RD }, "RD 10.255.0.3:9999 is already used by vrf ry-storage"},
		{"long VRF name", func(c *fabric.DeviceConfig) {
			c.VRFs[0].Name = "ry-tenant-00001"
			c.Segments[0].VRF = "ry-tenant-00001"
		}, "longer than 15"},
		{"no core VLAN", func(c *fabric.DeviceConfig) { c.VRFs[0].CoreVLAN = 0 }, "needs a core VLAN"},
		{"unowned VRF", func(c *fabric.DeviceConfig) { c.VRFs[0].Name = "t0001" }, `must start with "ry-"`},
		{"quote in RT", func(c *fabric.DeviceConfig) { c.VRFs[0].ImportRTs = []string{"1:1'; reboot"} }, "malformed route-target"},
		{"bad gateway", func(c *fabric.DeviceConfig) { c.Segments[0].Gateway = "10.64.1.1" }, "gateway"},
		{"port in unknown VLAN", func(c *fabric.DeviceConfig) { c.Ports[0].VLAN = 2999 }, "VLAN 2999 is not a segment"},
		{"no ASN", func(c *fabric.DeviceConfig) { c.ASN = 0 }, "no BGP ASN"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := cfg("a", "b")
			c.edit(&d)
			_, err := Driver{}.Commands(fabric.Diff(cfg(), d), d)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
			if _, err := (Driver{}).Render(d); err == nil {
				t.Error("Render accepted it")
			}
		})
	}
}

func connect(t *testing.T, f *sonicfake.Device) drivers.Conn {
	t.Helper()
	c, err := Driver{}.Connect(context.Background(), drivers.Target{Device: "leaf1", Password: drivertest.Password}, f.Transport())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func sync(t *testing.T, c drivers.Conn, desired fabric.DeviceConfig) drivers.Report {
	t.Helper()
	return drivers.Sync(context.Background(), Driver{}, c, desired, drivers.SyncOptions{})
}

// TestRollbackAtEveryCommand fails each command of an apply in turn (and
// vtysh part-way through an invocation) and checks the switch is back as
// it was, with no checkpoint left.
func TestRollbackAtEveryCommand(t *testing.T) {
	from, to := cfg("a"), cfg("a", "b")
	to.VRFs[0].ExportRTs = append(to.VRFs[0].ExportRTs, "65000:1")
	cmds, err := Driver{}.Commands(fabric.Diff(from, to), to)
	if err != nil {
		t.Fatal(err)
	}
	points := append(cmds, "route-target export 65000:200002", "rd 10.255.0.3:2002", "route-target export 65000:1")
	for _, p := range points {
		t.Run(p, func(t *testing.T) {
			f := sonicfake.New(cfg())
			c := connect(t, f)
			if r := sync(t, c, from); r.Err != nil {
				t.Fatal(r.Err)
			}
			before := f.Running()
			f.FailOn(p)
			r := sync(t, c, to)
			if r.Err == nil {
				t.Fatal("apply succeeded")
			}
			if !strings.Contains(r.Err.Error(), "restored to its state before the apply") {
				t.Errorf("error does not say the switch was restored: %v", r.Err)
			}
			if d := cmp.Diff(before, f.Running()); d != "" {
				t.Errorf("switch changed (-before +after):\n%s", d)
			}
			if p := f.Pending(); len(p) > 0 {
				t.Errorf("left behind: %v", p)
			}
		})
	}
}

// TestRestoreFailureIsReported: when the undo itself fails, Apply says
// the switch could not be restored.
func TestRestoreFailureIsReported(t *testing.T) {
	f := sonicfake.New(cfg())
	c := connect(t, f)
	if r := sync(t, c, cfg("a")); r.Err != nil {
		t.Fatal(r.Err)
	}
	f.FailOn("vlan member add -u 2002 Ethernet4")
	f.FailOn("vlan member del 2002 Ethernet3")
	r := sync(t, c, cfg("a", "b"))
	if r.Err == nil || !strings.Contains(r.Err.Error(), "could not restore the switch") {
		t.Fatalf("got %v", r.Err)
	}
}

// stubCLI answers every command with the same output.
type stubCLI struct {
	out  string
	sent []string
}

func (s *stubCLI) Run(_ context.Context, cmd string) (string, error) {
	s.sent = append(s.sent, cmd)
	if cmd == showConfigDB {
		return "{}", nil
	}
	if cmd == showFRR || strings.Contains(cmd, "checkpoint") {
		return "", nil
	}
	return s.out, nil
}
func (s *stubCLI) Close() error { return nil }

func TestErrorMarkers(t *testing.T) {
	for _, out := range []string{
		"Usage: config vlan add [OPTIONS] <vid>\nTry \"config vlan add -h\" for help.\n\nError: Vlan2001 already exists\n",
		"Root privileges are required for this operation\n",
		"% Unknown command: route-target import x\n",
		"% Invalid input detected\n",
		"% Please unconfigure l3vni 200001\n",
		"BGP instance name and AS number mismatch\nBGP instance is already running; AS is 65100\n",
		"VNI is already configured as L3-VNI\n",
		"-bash: config: command not found\n",
	} {
		s := &stubCLI{out: out}
		tr := drivers.Transport{CLI: func(context.Context, drivers.Target) (drivers.CLI, error) { return s, nil }}
		c, err := Driver{}.Connect(context.Background(), drivers.Target{Device: "leaf1"}, tr)
		if err != nil {
			t.Fatal(err)
		}
		d := cfg("a")
		err = c.Apply(context.Background(), fabric.Diff(cfg(), d), d)
		if err == nil {
			t.Errorf("output %q was not taken as a failure", out)
		}
	}
}

func TestSecretsNotShown(t *testing.T) {
	tgt := drivers.Target{Device: "leaf1", Username: "admin", Password: drivertest.Password}
	tr := drivers.Transport{CLI: func(context.Context, drivers.Target) (drivers.CLI, error) {
		return nil, errors.New("ssh: unable to authenticate admin/" + drivertest.Password)
	}}
	_, err := Driver{}.Connect(context.Background(), tgt, tr)
	if err == nil || strings.Contains(err.Error(), drivertest.Password) {
		t.Fatalf("connect error: %v", err)
	}
	s := &stubCLI{out: "Error: login with " + drivertest.Password + " refused\n"}
	tr = drivers.Transport{CLI: func(context.Context, drivers.Target) (drivers.CLI, error) { return s, nil }}
	c, err := Driver{}.Connect(context.Background(), tgt, tr)
	if err != nil {
		t.Fatal(err)
	}
	d := cfg("a")
	err = c.Apply(context.Background(), fabric.Diff(cfg(), d), d)
	if err == nil || strings.Contains(err.Error(), drivertest.Password) {
		t.Fatalf("apply error: %v", err)
	}
}

// TestNoopSendsNothing: a sync of the state the switch holds sends only
// the two reads.
func TestNoopSendsNothing(t *testing.T) {
	f := sonicfake.New(cfg())
	m := &drivers.Meter{}
	c, err := Driver{}.Connect(context.Background(), drivers.Target{Device: "leaf1"}, m.Wrap(f.Transport()))
	if err != nil {
		t.Fatal(err)
	}
	if r := sync(t, c, cfg("a", "b")); r.Err != nil {
		t.Fatal(r.Err)
	}
	n := m.Total()
	if r := sync(t, c, cfg("a", "b")); r.Err != nil || r.Changed() {
		t.Fatalf("second sync: %+v", r)
	}
	if got := m.Total() - n; got != 2 {
		t.Errorf("no-op sync sent %d commands, want 2", got)
	}
}

// TestL3VNIChange moves a VRF to another L3VNI and core VLAN in place.
func TestL3VNIChange(t *testing.T) {
	f := sonicfake.New(cfg())
	c := connect(t, f)
	if r := sync(t, c, cfg("a", "b")); r.Err != nil {
		t.Fatal(r.Err)
	}
	d := cfg("a", "b")
	d.VRFs[1].L3VNI, d.VRFs[1].CoreVLAN = 200011, 3911
	d.Segments[0].Gateway = "10.64.1.254/24"
	d.Segments[1].VRF = "ry-t0001"
	if r := sync(t, c, d); r.Err != nil || r.Passes != 1 {
		t.Fatalf("%+v", r)
	}
	got, err := c.Observe(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(drivertest.Strip(d), drivertest.Strip(got)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
