package eos

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/railyard/railyard/drivers"
	"github.com/railyard/railyard/drivers/drivertest"
	"github.com/railyard/railyard/drivers/eos/eosfake"
	"github.com/railyard/railyard/internal/fabric"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func newFake(t *testing.T, base fabric.DeviceConfig) (drivers.Target, drivers.Transport, drivertest.Fake) {
	d := eosfake.New(base)
	return drivers.Target{Device: base.Device, Address: "fake:" + base.Device}, d.Transport(), d
}

// runAll sends commands on a terminal of the fake as an operator would
// and fails on any error line.
func runAll(t *testing.T, cli drivers.CLI, cmds ...string) {
	t.Helper()
	for _, c := range cmds {
		out, err := cli.Run(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		if l := errorLine(out); l != "" {
			t.Fatalf("%q: %s", c, l)
		}
	}
}

func drift(t *testing.T, f drivertest.Fake, cfg fabric.DeviceConfig) {
	d := f.(*eosfake.Device)
	cli := d.NewTerminal()
	defer cli.Close()
	// An operator removes the storage import from tenant a's VRF and
	// puts an isolated port into tenant a's VLAN.
	runAll(t, cli, "configure", "router bgp 65100", "vrf ry-t0001", "no route-target import evpn 65000:299999", "exit", "exit",
		"interface Ethernet8", "no shutdown", "switchport access vlan 2001", "end")
}

func harness() drivertest.Harness {
	return drivertest.Harness{Driver: Driver{}, Kind: fabric.EVPNLeaf, New: newFake, Drift: drift, FailPoint: "ip address virtual 10.64.2.1/24"}
}

func TestConformance(t *testing.T) { drivertest.Run(t, harness()) }

func cfg(tenants ...string) fabric.DeviceConfig {
	return drivertest.Config(fabric.EVPNLeaf, Name, tenants...)
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
		t.Fatalf("%v (run go test ./drivers/eos -update)", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("%s differs (-want +got):\n%s", name, d)
	}
}

func portMoved(c fabric.DeviceConfig) fabric.DeviceConfig {
	c = c.Clone()
	for i := range c.Ports {
		if c.Ports[i].Name == "Ethernet1" {
			c.Ports[i].VLAN, c.Ports[i].Tenant = 2002, "b"
		}
	}
	return c
}

func rtChanged(c fabric.DeviceConfig) fabric.DeviceConfig {
	c = c.Clone()
	for i := range c.VRFs {
		if c.VRFs[i].Name == "ry-t0001" {
			c.VRFs[i].ImportRTs = []string{"65000:200001", "65000:299997"}
		}
	}
	for i := range c.Segments {
		if c.Segments[i].VLAN == 2001 {
			c.Segments[i].RT, c.Segments[i].Gateway = "65000:2000199", "10.64.1.254/24"
		}
	}
	return c
}

func TestGolden(t *testing.T) {
	out, err := Driver{}.Render(cfg("a", "b", "c"))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "render-abc.txt", out)
	for _, tc := range []struct {
		name     string
		from, to fabric.DeviceConfig
	}{
		{"commands-add-abc.txt", cfg(), cfg("a", "b", "c")},
		{"commands-remove-b.txt", cfg("a", "b", "c"), cfg("a", "c")},
		{"commands-port-move.txt", cfg("a", "b"), portMoved(cfg("a", "b"))},
		{"commands-change-rts.txt", cfg("a"), rtChanged(cfg("a"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmds, err := Driver{}.Commands(fabric.Diff(tc.from, tc.to), tc.to)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, strings.Join(cmds, "\n")+"\n")
		})
	}
}

// TestRoundTrip: what Render prints, the parser reads back as the
// configuration it came from.
func TestRoundTrip(t *testing.T) {
	for _, ts := range [][]string{{}, {"a"}, {"b", "c"}, {"a", "b", "c"}} {
		c := cfg(ts...)
		out, err := Driver{}.Render(c)
		if err != nil {
			t.Fatal(err)
		}
		got := parseRunning(out, c)
		if d := cmp.Diff(drivertest.Strip(c), drivertest.Strip(got)); d != "" {
			t.Errorf("%v: parse(Render) (-want +got):\n%s", ts, d)
		}
	}
}

// TestDependencyOrder: every removal of a reference comes before the
// removal of what it references, and additions the other way round.
func TestDependencyOrder(t *testing.T) {
	is := func(s string) func(string) bool { return func(c string) bool { return strings.TrimSpace(c) == s } }
	rm, err := Driver{}.Commands(fabric.Diff(cfg("a", "b"), cfg("a")), cfg("a"))
	if err != nil {
		t.Fatal(err)
	}
	add, err := Driver{}.Commands(fabric.Diff(cfg("a"), cfg("a", "b")), cfg("a", "b"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		cmds          []string
		first, second string
	}{
		{rm, "no switchport access vlan", "no vlan 2002"},
		{rm, "no vxlan vlan 2002", "no vlan 2002"},
		{rm, "no interface Vlan2002", "no vrf instance ry-t0002"},
		{rm, "no vrf ry-t0002", "no vrf instance ry-t0002"},
		{rm, "no vlan 2002", "no vrf instance ry-t0002"},
		{add, "vrf instance ry-t0002", "vrf ry-t0002"},
		{add, "vrf instance ry-t0002", "interface Vlan2002"},
		{add, "vlan 2002", "switchport access vlan 2002"},
		{add, "vxlan vlan 2002 vni 2000201", "switchport access vlan 2002"},
	} {
		// The first occurrence of one, the last of the other ("no vlan
		// 2002" is both the BGP and the global command).
		i := slices.IndexFunc(tc.cmds, is(tc.first))
		j := -1
		for k, c := range tc.cmds {
			if is(tc.second)(c) {
				j = k
			}
		}
		if i < 0 || j < 0 || i > j {
			t.Errorf("%q (at %d) must come before %q (at %d) in:\n%s", tc.first, i, tc.second, j, strings.Join(tc.cmds, "\n"))
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*fabric.DeviceConfig)
		want string
	}{
		{"injected newline", func(c *fabric.DeviceConfig) { c.VRFs[0].Name = "ry-x\nusername evil secret x" }, "name must start with"},
		{"not owned", func(c *fabric.DeviceConfig) { c.VRFs[0].Name = "MGMT" }, "name must start with"},
		{"vlan out of range", func(c *fabric.DeviceConfig) { c.Segments[0].VLAN = 100 }, "not in a Railyard VLAN range"},
		{"bad gateway", func(c *fabric.DeviceConfig) { c.Segments[0].Gateway = "10.0.0.1" }, "gateway"},
		{"bad rt", func(c *fabric.DeviceConfig) { c.VRFs[1].ImportRTs = []string{"x"} }, "route target"},
		{"port with space", func(c *fabric.DeviceConfig) { c.Ports[0].Name = "Ethernet1 shutdown" }, "not an interface name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cfg("a")
			tc.edit(&c)
			_, err := Driver{}.Render(c)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Render: got %v, want an error with %q", err, tc.want)
			}
			_, err = Driver{}.Commands(fabric.Diff(cfg(), c), c)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Commands: got %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func connect(t *testing.T, d *eosfake.Device) drivers.Conn {
	t.Helper()
	c, err := Driver{}.Connect(context.Background(), drivers.Target{Device: "leaf1", Username: "railyard", Password: drivertest.Password}, d.Transport())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestCommitTimer: a timer commit that is not confirmed reverts when the
// timer runs out; a confirmed one stays.
func TestCommitTimer(t *testing.T) {
	for _, confirm := range []bool{false, true} {
		d := eosfake.New(cfg())
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		d.SetClock(func() time.Time { return now })
		before := d.Running()
		cli := d.NewTerminal()
		runAll(t, cli, "configure session s1", "vlan 2001", "name ry-x", "end", "configure session s1", "commit timer 00:05:00")
		if !strings.Contains(d.Running(), "vlan 2001\n") {
			t.Fatal("commit timer did not commit")
		}
		if got := d.Pending(); !slices.Equal(got, []string{"s1 (pendingCommitTimer)"}) {
			t.Errorf("pending %v", got)
		}
		if confirm {
			runAll(t, cli, "configure session s1 commit")
		}
		now = now.Add(5*time.Minute + time.Second)
		after := d.Running()
		if reverted := after == before; reverted == confirm {
			t.Errorf("confirm=%v: reverted=%v after the timer ran out:\n%s", confirm, reverted, cmp.Diff(before, after))
		}
		if p := d.Pending(); len(p) != 0 {
			t.Errorf("confirm=%v: pending after the timer: %v", confirm, p)
		}
	}
}

// TestAbortBelowTop: the fake keeps the trap that made ansible leave
// sessions open, and the driver's way out (end, then abort from exec)
// closes them.
func TestAbortBelowTop(t *testing.T) {
	d := eosfake.New(cfg())
	cli := d.NewTerminal()
	runAll(t, cli, "configure session s1", "interface Ethernet1", "shutdown", "abort")
	if p := d.Pending(); len(p) != 1 {
		t.Fatalf("abort in a sub-mode closed the session: %v", p)
	}
	runAll(t, cli, "end", "configure session s1 abort")
	if p := d.Pending(); len(p) != 0 {
		t.Errorf("session still open: %v", p)
	}
	if strings.Contains(d.Running(), "interface Ethernet1\n   shutdown") {
		t.Error("aborted session reached running-config")
	}
}

// TestVerifyFailureRollsBack: when the check after "commit timer" fails,
// the timer commit is rolled back at once, without waiting for it.
func TestVerifyFailureRollsBack(t *testing.T) {
	d := eosfake.New(cfg())
	c := connect(t, d)
	ctx := context.Background()
	want := cfg("a")
	obs, err := c.Observe(ctx, want)
	if err != nil {
		t.Fatal(err)
	}
	before := d.Running()
	d.FailOn("show running-config")
	err = c.Apply(ctx, fabric.Diff(obs, want), want)
	if err == nil || !strings.Contains(err.Error(), "verify before confirming") {
		t.Fatalf("got %v, want a verify error", err)
	}
	if after := d.Running(); after != before {
		t.Errorf("device changed:\n%s", cmp.Diff(before, after))
	}
	if p := d.Pending(); len(p) != 0 {
		t.Errorf("pending: %v", p)
	}
}

// TestErrorsNameTheCommand: an error banner fails the apply, and the
// error says which command and what the switch printed.
func TestErrorsNameTheCommand(t *testing.T) {
	for _, fail := range []string{"configure session", "vxlan vrf ry-t0001", "redistribute learned", "commit timer", "commit"} {
		t.Run(fail, func(t *testing.T) {
			d := eosfake.New(cfg())
			c := connect(t, d)
			before := d.Running()
			d.FailOn(fail)
			want := cfg("a")
			err := c.Apply(context.Background(), fabric.Diff(cfg(), want), want)
			if err == nil || !strings.Contains(err.Error(), "% Error") || !strings.Contains(err.Error(), fail) {
				t.Fatalf("got %v", err)
			}
			if after := d.Running(); after != before {
				t.Errorf("device changed:\n%s", cmp.Diff(before, after))
			}
			if p := d.Pending(); len(p) != 0 {
				t.Errorf("pending: %v", p)
			}
		})
	}
}

func TestErrorLine(t *testing.T) {
	for _, tc := range []struct{ out, want string }{
		{"", ""},
		{"! IP configuration address virtual 10.0.0.1/24 was removed", ""},
		{"% Invalid input (at token 1: 'x')", "% Invalid input (at token 1: 'x')"},
		{"foo\n% Incomplete command\n", "% Incomplete command"},
		{"% Ambiguous command", "% Ambiguous command"},
		{"% Error: VNI 1 is already mapped", "% Error: VNI 1 is already mapped"},
		{"% BGP is already running with AS number 65100", "% BGP is already running with AS number 65100"},
	} {
		if got := errorLine(tc.out); got != tc.want {
			t.Errorf("errorLine(%q) = %q, want %q", tc.out, got, tc.want)
		}
	}
}

type failingCLI struct{}

func (failingCLI) Run(context.Context, string) (string, error) {
	return "", errors.New("ssh: write to railyard:" + drivertest.Password + "@leaf1 failed")
}
func (failingCLI) Close() error { return nil }

func TestSecretsInTransportErrors(t *testing.T) {
	tgt := drivers.Target{Device: "leaf1", Username: "railyard", Password: drivertest.Password}
	_, err := Driver{}.Connect(context.Background(), tgt, drivers.Transport{CLI: func(context.Context, drivers.Target) (drivers.CLI, error) {
		return nil, errors.New("auth failed for password " + drivertest.Password)
	}})
	if err == nil || strings.Contains(err.Error(), drivertest.Password) {
		t.Errorf("connect error: %v", err)
	}
	c, err := Driver{}.Connect(context.Background(), tgt, drivers.Transport{CLI: func(context.Context, drivers.Target) (drivers.CLI, error) { return failingCLI{}, nil }})
	if err != nil {
		t.Fatal(err)
	}
	want := cfg("a")
	for _, err := range []error{c.Apply(context.Background(), fabric.Diff(cfg(), want), want), func() error { _, err := c.Observe(context.Background(), want); return err }()} {
		if err == nil || strings.Contains(err.Error(), drivertest.Password) {
			t.Errorf("error: %v", err)
		}
	}
}

// TestObserveLeavesOthersAlone: operator VRFs, VLANs outside the
// Railyard ranges and ports the scope does not list are not read.
func TestObserveLeavesOthersAlone(t *testing.T) {
	d := eosfake.New(cfg())
	cli := d.NewTerminal()
	runAll(t, cli, "configure", "vrf instance MGMT", "vlan 100", "name users", "interface Vlan100", "vrf MGMT", "ip address virtual 10.9.0.1/24",
		"interface Vxlan1", "vxlan vlan 100 vni 10100", "interface Ethernet2", "switchport access vlan 100", "end")
	scope := cfg()
	scope.Ports = scope.Ports[:1]
	got, err := connect(t, d).Observe(context.Background(), scope)
	if err != nil {
		t.Fatal(err)
	}
	want := fabric.DeviceConfig{Ports: []fabric.Port{{Name: "Ethernet1"}}}
	if d := cmp.Diff(drivertest.Strip(want), drivertest.Strip(got)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

// TestDriftShapes: hand edits that Observe folds into the model still
// show as drift and are repaired.
func TestDriftShapes(t *testing.T) {
	for _, tc := range []struct {
		name string
		cmds []string
	}{
		{"one-sided rt", []string{"router bgp 65100", "vlan 2001", "no route-target both 65000:2000101", "route-target import 65000:2000101"}},
		{"extra rt", []string{"router bgp 65100", "vlan 2001", "route-target both 65000:1"}},
		{"vni moved", []string{"interface Vxlan1", "vxlan vlan 2001 vni 7"}},
		{"svi vrf", []string{"interface Vlan2001", "vrf ry-storage"}},
		{"vlan gone", []string{"router bgp 65100", "no vlan 2001", "exit", "no interface Vlan2001"}},
		{"stray vrf", []string{"router bgp 65100", "vrf ry-stray", "rd 1.1.1.1:1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := eosfake.New(cfg())
			want := cfg("a")
			c := connect(t, d)
			if r := drivers.Sync(context.Background(), Driver{}, c, want, drivers.SyncOptions{}); r.Err != nil {
				t.Fatal(r.Err)
			}
			good := d.Running()
			cli := d.NewTerminal()
			runAll(t, cli, append(append([]string{"configure"}, tc.cmds...), "end")...)
			r := drivers.Sync(context.Background(), Driver{}, c, want, drivers.SyncOptions{})
			if r.Err != nil || r.Drift.Empty() {
				t.Fatalf("sync: err %v, drift %q", r.Err, r.Drift)
			}
			if got := d.Running(); got != good {
				t.Errorf("not repaired:\n%s", cmp.Diff(good, got))
			}
		})
	}
}

func FuzzParseRunning(f *testing.F) {
	for _, ts := range [][]string{{}, {"a"}, {"a", "b", "c"}} {
		out, err := Driver{}.Render(cfg(ts...))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(out)
		d := eosfake.New(cfg())
		c, err := Driver{}.Connect(context.Background(), drivers.Target{Device: "leaf1"}, d.Transport())
		if err != nil {
			f.Fatal(err)
		}
		want := cfg(ts...)
		if err := c.Apply(context.Background(), fabric.Diff(cfg(), want), want); err != nil {
			f.Fatal(err)
		}
		f.Add(d.Running())
	}
	f.Add("vlan 2001-2003,2005\ninterface Vxlan1\n   vxlan vlan 2001-2002 vni 2000101-2000102\n")
	f.Fuzz(func(t *testing.T, s string) {
		scope := cfg("a", "b")
		got := parseRunning(s, scope)
		// What parses and validates renders, and reads back the same.
		got.ASN = max(got.ASN, 1)
		for i := range got.VRFs {
			got.VRFs[i].CoreVLAN = 0
		}
		if validate(got) != nil {
			return
		}
		out, err := Driver{}.Render(got)
		if err != nil {
			t.Fatal(err)
		}
		again := parseRunning(out, fabric.DeviceConfig{Ports: got.Ports})
		if d := cmp.Diff(drivertest.Strip(got), drivertest.Strip(again)); d != "" {
			t.Errorf("parse(render(parse(s))) differs (-first +second):\n%s\nrendered:\n%s", d, out)
		}
	})
}

func FuzzSessionOutput(f *testing.F) {
	d := eosfake.New(cfg())
	cli := d.NewTerminal()
	for _, c := range []string{"configure session s1", "vlan 2001", "show session-config diffs", "show configuration sessions", "bogus"} {
		out, _ := cli.Run(context.Background(), c)
		f.Add(out, "s1")
	}
	f.Fuzz(func(t *testing.T, out, name string) {
		st := sessionState(out, name)
		if st != "" && !strings.Contains(out, name) {
			t.Errorf("state %q for a session the output does not name", st)
		}
		_ = hasChanges(out)
		if l := errorLine(out); l != "" && !strings.Contains(out, l) {
			t.Errorf("error line %q not in the output", l)
		}
	})
}
