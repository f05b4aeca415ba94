package nxos

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/railyard/railyard/drivers"
	"github.com/railyard/railyard/drivers/drivertest"
	"github.com/railyard/railyard/drivers/nxos/nxosfake"
	"github.com/railyard/railyard/internal/fabric"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func newFake(t *testing.T, base fabric.DeviceConfig) (drivers.Target, drivers.Transport, drivertest.Fake) {
	d := nxosfake.New(base)
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
	d := f.(*nxosfake.Device)
	cli := d.NewTerminal()
	defer cli.Close()
	// An operator removes the storage import from tenant a's VRF and
	// puts an isolated port into tenant a's VLAN.
	runAll(t, cli, "configure terminal", "vrf context ry-t0001", "address-family ipv4 unicast", "no route-target import 65000:299999 evpn", "exit", "exit",
		"interface Ethernet1/8", "no shutdown", "switchport access vlan 2001", "end")
}

func harness() drivertest.Harness {
	return drivertest.Harness{Driver: Driver{}, Kind: fabric.EVPNLeaf, New: newFake, Drift: drift, FailPoint: "member vni 200002 associate-vrf"}
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
		t.Fatalf("%v (run go test ./drivers/nxos -update)", err)
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
		{rm, "no vni 2000201 l2", "no member vni 2000201"},
		{rm, "no member vni 2000201", "no vlan 2002"},
		{rm, "no interface Vlan2002", "no vrf context ry-t0002"},
		{rm, "no vrf ry-t0002", "no vrf context ry-t0002"},
		{rm, "no member vni 200002", "no vrf context ry-t0002"},
		{rm, "no interface Vlan3902", "no vrf context ry-t0002"},
		{rm, "no vlan 3902", "no vrf context ry-t0002"},
		{add, "vrf context ry-t0002", "member vni 200002 associate-vrf"},
		{add, "vrf context ry-t0002", "interface Vlan2002"},
		{add, "vlan 2002", "switchport access vlan 2002"},
		{add, "member vni 2000201", "switchport access vlan 2002"},
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
		{"vlan out of range", func(c *fabric.DeviceConfig) { c.Segments[0].VLAN = 100 }, "not in the segment VLAN range"},
		{"no core vlan", func(c *fabric.DeviceConfig) { c.VRFs[0].CoreVLAN = 0 }, "needs a core VLAN"},
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

func connect(t *testing.T, d *nxosfake.Device) drivers.Conn {
	t.Helper()
	c, err := Driver{}.Connect(context.Background(), drivers.Target{Device: "leaf1", Username: "railyard", Password: drivertest.Password}, d.Transport())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestCheckpointRollback: a rollback to a checkpoint puts running-config
// back exactly, and the fake refuses what NX-OS refuses.
func TestCheckpointRollback(t *testing.T) {
	d := nxosfake.New(cfg())
	before := d.Running()
	cli := d.NewTerminal()
	runAll(t, cli, "checkpoint cp1", "configure terminal", "vlan 2001", "vn-segment 2000101", "interface Ethernet1/1", "no shutdown", "end")
	if d.Running() == before {
		t.Fatal("configure terminal changed nothing")
	}
	out, _ := cli.Run(context.Background(), "show checkpoint summary")
	if !strings.Contains(out, "1) cp1:") {
		t.Errorf("show checkpoint summary:\n%s", out)
	}
	runAll(t, cli, "rollback running-config checkpoint cp1")
	if after := d.Running(); after != before {
		t.Errorf("rollback (-before +after):\n%s", cmp.Diff(before, after))
	}
	if got := d.Pending(); !slices.Equal(got, []string{"checkpoint cp1"}) {
		t.Errorf("pending %v", got)
	}
	runAll(t, cli, "no checkpoint cp1")
	if got := d.Pending(); len(got) != 0 {
		t.Errorf("pending %v", got)
	}
}

// TestFakeRefuses: NX-OS's rules that make the order of commands matter.
func TestFakeRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		cmds []string
		want string
	}{
		{"vrf with its vni on nve1", []string{"vrf context ry-a", "vni 5", "interface nve1", "member vni 5 associate-vrf", "no vrf context ry-a"}, "ERROR: VRF ry-a is in use"},
		{"vrf with a member svi", []string{"vrf context ry-a", "interface Vlan2001", "vrf member ry-a", "no vrf context ry-a"}, "ERROR: VRF ry-a is in use by Vlan2001"},
		{"associate without a vrf", []string{"interface nve1", "member vni 5 associate-vrf"}, "ERROR: VNI 5 is not configured"},
		{"vni on two vlans", []string{"vlan 2001", "vn-segment 5", "vlan 2002", "vn-segment 5"}, "ERROR: vn-segment 5 is already mapped"},
		{"vn-segment carried by nve1", []string{"vlan 2001", "vn-segment 5", "interface nve1", "member vni 5", "vlan 2001", "vn-segment 6"}, "ERROR: vn-segment 5 is in use"},
		{"reserved vlan", []string{"vlan 1850"}, "ERROR: VLAN 1850 is in the reserved range"},
		{"vlan number", []string{"vlan 5000"}, "% Invalid number, range is (1:4094) at '^' marker."},
		{"unknown", []string{"vlan 2001", "vn-segmnt 5"}, "% Invalid command at '^' marker."},
		{"incomplete", []string{"vlan"}, "% Incomplete command at '^' marker."},
		{"missing port", []string{"interface Ethernet1/99"}, "ERROR: Invalid interface"},
		{"delete a port", []string{"no interface Ethernet1/1"}, "ERROR: Deletion of physical interface"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cli := nxosfake.New(cfg()).NewTerminal()
			var out string
			for _, c := range append([]string{"configure terminal"}, tc.cmds...) {
				out, _ = cli.Run(context.Background(), c)
				if strings.Contains(out, "ERROR") || strings.Contains(out, "% ") {
					break
				}
			}
			if !strings.Contains(out, tc.want) {
				t.Errorf("got %q, want %q", out, tc.want)
			}
		})
	}
}

// TestFailedRollbackKeepsCheckpoint: when the rollback itself fails the
// error says so and the checkpoint stays for an operator.
func TestFailedRollbackKeepsCheckpoint(t *testing.T) {
	d := nxosfake.New(cfg())
	c := connect(t, d)
	d.FailOn("vn-segment 2000101")
	d.FailOn("rollback running-config")
	want := cfg("a")
	err := c.Apply(context.Background(), fabric.Diff(cfg(), want), want)
	if err == nil || !strings.Contains(err.Error(), "could not be restored") || !strings.Contains(err.Error(), "vn-segment 2000101") {
		t.Fatalf("got %v", err)
	}
	if p := d.Pending(); len(p) != 1 || !strings.HasPrefix(p[0], "checkpoint railyard-") {
		t.Errorf("pending %v", p)
	}
}

// TestPortNames: single-number names become Ethernet1/N; slot/port
// names are used as given.
func TestPortNames(t *testing.T) {
	for in, want := range map[string]string{"Ethernet5": "Ethernet1/5", "Ethernet1/7": "Ethernet1/7", "Ethernet1/1/2": "Ethernet1/1/2", "port-channel10": "port-channel10"} {
		if got := InterfaceName(in); got != want {
			t.Errorf("InterfaceName(%q) = %q, want %q", in, got, want)
		}
		if got := nxosfake.InterfaceName(in); got != want {
			t.Errorf("nxosfake.InterfaceName(%q) = %q, want %q", in, got, want)
		}
	}
	base := cfg("a")
	for i := range base.Ports {
		base.Ports[i].Name = InterfaceName(base.Ports[i].Name)
	}
	base.Normalize()
	d := nxosfake.New(base)
	c := connect(t, d)
	if r := drivers.Sync(context.Background(), Driver{}, c, base, drivers.SyncOptions{}); r.Err != nil || r.Passes != 1 {
		t.Fatalf("sync: %+v", r)
	}
	obs, err := c.Observe(context.Background(), base)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(drivertest.Strip(base), drivertest.Strip(obs)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

// TestVerifyFailureRollsBack: when the check after "commit timer" fails,
// the timer commit is rolled back at once, without waiting for it.
func TestVerifyFailureRollsBack(t *testing.T) {
	d := nxosfake.New(cfg())
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
	if err == nil || !strings.Contains(err.Error(), "verify") {
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
	for _, fail := range []string{"checkpoint", "configure terminal", "vni 200001", "ingress-replication", "advertise l2vpn evpn", "route-target export 65000:2000101", "switchport access vlan"} {
		t.Run(fail, func(t *testing.T) {
			d := nxosfake.New(cfg())
			c := connect(t, d)
			before := d.Running()
			d.FailOn(fail)
			want := cfg("a")
			err := c.Apply(context.Background(), fabric.Diff(cfg(), want), want)
			if err == nil || !strings.Contains(err.Error(), "ERROR:") || !strings.Contains(err.Error(), fail) {
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
		{"Warning: Deleted all L3 config on interface Vlan2001", ""},
		{"Enter configuration commands, one per line. End with CNTL/Z.", ""},
		{"     ^\n% Invalid command at '^' marker.", "% Invalid command at '^' marker."},
		{"   ^\n% Incomplete command at '^' marker.\n", "% Incomplete command at '^' marker."},
		{"% Invalid number, range is (1:4094) at '^' marker.", "% Invalid number, range is (1:4094) at '^' marker."},
		{"ERROR: VRF ry-a is in use", "ERROR: VRF ry-a is in use"},
		{"% Permission denied", "% Permission denied"},
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
	d := nxosfake.New(cfg())
	cli := d.NewTerminal()
	runAll(t, cli, "configure terminal", "vrf context MGMT", "vni 10000", "vlan 100", "name users", "vn-segment 10100", "interface Vlan100", "vrf member MGMT", "ip address 10.9.0.1/24",
		"interface nve1", "member vni 10100", "exit", "member vni 10000 associate-vrf", "interface Ethernet1/2", "switchport access vlan 100", "end")
	scope := cfg()
	scope.Ports = scope.Ports[:1]
	got, err := connect(t, d).Observe(context.Background(), scope)
	if err != nil {
		t.Fatal(err)
	}
	want := fabric.DeviceConfig{Ports: []fabric.Port{{Name: "Ethernet1", Shutdown: true}}}
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
		{"one-sided rt", []string{"evpn", "vni 2000101 l2", "no route-target export 65000:2000101"}},
		{"extra rt", []string{"evpn", "vni 2000101 l2", "route-target import 65000:1"}},
		{"l2 member gone", []string{"interface nve1", "no member vni 2000101"}},
		{"l3 member gone", []string{"interface nve1", "no member vni 200001"}},
		{"bgp vrf gone", []string{"router bgp 65100", "no vrf ry-t0001"}},
		{"svi vrf", []string{"interface Vlan2001", "vrf member ry-storage"}},
		{"core svi vrf", []string{"interface Vlan3901", "vrf member ry-storage"}},
		{"vlan gone", []string{"interface nve1", "no member vni 2000101", "exit", "no interface Vlan2001", "no vlan 2001"}},
		{"stray vrf", []string{"vrf context ry-stray", "rd 1.1.1.1:1"}},
		{"stray vlan", []string{"vlan 3950", "vn-segment 77"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := nxosfake.New(cfg())
			want := cfg("a")
			c := connect(t, d)
			if r := drivers.Sync(context.Background(), Driver{}, c, want, drivers.SyncOptions{}); r.Err != nil {
				t.Fatal(r.Err)
			}
			good := d.Running()
			cli := d.NewTerminal()
			runAll(t, cli, append(append([]string{"configure terminal"}, tc.cmds...), "end")...)
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
		d := nxosfake.New(cfg())
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
	f.Add("vlan 1,2001-2003\nvlan 2001\n  vn-segment 2000101\ninterface nve1\n  member vni 2000101\nevpn\n  vni 2000101 l2\n    rd auto\n")
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

func FuzzCommandOutput(f *testing.F) {
	d := nxosfake.New(cfg())
	cli := d.NewTerminal()
	for _, c := range []string{"checkpoint cp1", "show checkpoint summary", "configure terminal", "vlan 5000", "vlan", "bogus", "end", "rollback running-config checkpoint cp1"} {
		out, _ := cli.Run(context.Background(), c)
		f.Add(out)
	}
	f.Fuzz(func(t *testing.T, out string) {
		if l := errorLine(out); l != "" && !strings.Contains(out, l) {
			t.Errorf("error line %q not in the output", l)
		}
	})
}

// TestRemoveBrokenVRF: a VRF whose L3VNI an operator half took apart is
// still removed completely.
func TestRemoveBrokenVRF(t *testing.T) {
	for _, edit := range [][]string{
		{"interface Vlan3902", "no ip forward"},
		{"interface nve1", "no member vni 200002"},
		{"router bgp 65100", "no vrf ry-t0002"},
		{"interface Vlan3902", "vrf member ry-storage"},
	} {
		d := nxosfake.New(cfg())
		c := connect(t, d)
		if r := drivers.Sync(context.Background(), Driver{}, c, cfg("a", "b"), drivers.SyncOptions{}); r.Err != nil {
			t.Fatal(r.Err)
		}
		runAll(t, d.NewTerminal(), append(append([]string{"configure terminal"}, edit...), "end")...)
		if r := drivers.Sync(context.Background(), Driver{}, c, cfg("a"), drivers.SyncOptions{}); r.Err != nil {
			t.Fatalf("%v: %v", edit, r.Err)
		}
		fresh := nxosfake.New(cfg())
		if r := drivers.Sync(context.Background(), Driver{}, connect(t, fresh), cfg("a"), drivers.SyncOptions{}); r.Err != nil {
			t.Fatal(r.Err)
		}
		if diff := cmp.Diff(fresh.Running(), d.Running()); diff != "" {
			t.Errorf("%v: (-fresh +got):\n%s", edit, diff)
		}
	}
}
