package frr

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/railyard/railyard/drivers"
	"github.com/railyard/railyard/drivers/drivertest"
	"github.com/railyard/railyard/drivers/frr/frrlab"
	"github.com/railyard/railyard/internal/fabric"
)

var update = flag.Bool("update", false, "rewrite testdata/golden")

// newLab starts a lab or skips the test with the reason.
func newLab(t *testing.T) *frrlab.Lab {
	t.Helper()
	if err := frrlab.Check(); err != nil {
		t.Skipf("real-FRR test skipped: %v", err)
	}
	l, err := frrlab.New("ryfr")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("lab teardown: %v", err)
		}
	})
	return l
}

// newDevice is the conformance harness's New: a fresh FRR leaf in its
// own namespace.
func newDevice(t *testing.T, base fabric.DeviceConfig) (drivers.Target, drivers.Transport, drivertest.Fake) {
	t.Helper()
	l := newLab(t)
	d, err := l.NewDevice("leaf", base, "")
	if err != nil {
		t.Fatal(err)
	}
	return drivers.Target{Device: base.Device, Address: d.Router.NS}, d.Transport(), d
}

func drift(t *testing.T, f drivertest.Fake, cfg fabric.DeviceConfig) {
	t.Helper()
	d := f.(*frrlab.Device)
	v := cfg.VRFs[len(cfg.VRFs)-1]
	if _, err := d.Lab.Vty(d.Router, "configure terminal", "router bgp 65100 vrf "+v.Name, "address-family l2vpn evpn",
		"no route-target import "+v.ImportRTs[0]); err != nil {
		t.Fatal(err)
	}
	if err := d.Lab.MustSh(d.Router.NS, "ip link set Ethernet1 nomaster"); err != nil {
		t.Fatal(err)
	}
}

func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("real FRR in namespaces; skipped with -short")
	}
	t.Parallel()
	drivertest.Run(t, drivertest.Harness{
		Driver: Driver{},
		Kind:   fabric.EVPNLeaf,
		New:    newDevice,
		Drift:  drift,
		// Adding tenant b: its VRF is already in FRR and its bridge made
		// when the VXLAN port fails, so the restore has work to do.
		FailPoint: "ip link add vx2000201",
	})
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test ./drivers/frr -update)", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("%s differs (-golden +got):\n%s", name, d)
	}
}

func TestGolden(t *testing.T) {
	cfg := func(ts ...string) fabric.DeviceConfig { return drivertest.Config(fabric.EVPNLeaf, Name, ts...) }
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
	changedRT := cfg("a")
	changedRT.VRFs[1].ImportRTs = []string{"65000:200001"}
	changedRT.Segments[0].RT = "65000:2000199"
	for _, tc := range []struct {
		name     string
		from, to fabric.DeviceConfig
	}{
		{"commands-add-abc.txt", cfg(), cfg("a", "b", "c")},
		{"commands-remove-b.txt", cfg("a", "b"), cfg("a")},
		{"commands-port-move.txt", cfg("a", "b"), moved},
		{"commands-change-rt.txt", cfg("a"), changedRT},
		{"commands-remove-all.txt", cfg("a", "b", "c"), cfg()},
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

// TestCommandOrder checks the dependency order on a change that does
// everything at once.
func TestCommandOrder(t *testing.T) {
	from := drivertest.Config(fabric.EVPNLeaf, Name, "a", "b")
	to := drivertest.Config(fabric.EVPNLeaf, Name, "a", "c")
	cmds, err := Driver{}.Commands(fabric.Diff(from, to), to)
	if err != nil {
		t.Fatal(err)
	}
	idx := func(sub string) int {
		for i, c := range cmds {
			if strings.Contains(c, sub) {
				return i
			}
		}
		t.Fatalf("no command contains %q:\n%s", sub, strings.Join(cmds, "\n"))
		return -1
	}
	order := []string{
		"ip link set Ethernet3 nomaster", // b's port leaves
		"no vni 2000201",                 // b's L2VNI block
		"ip link del br2002",             // b's bridge
		"no router bgp 65100 vrf ry-t0002",
		"vrf ry-t0003",
		"ip link add br2003",
		"ip link set Ethernet5 master br2003 up", // c's port joins
	}
	for i := 1; i < len(order); i++ {
		if idx(order[i-1]) >= idx(order[i]) {
			t.Errorf("%q is not sent before %q:\n%s", order[i-1], order[i], strings.Join(cmds, "\n"))
		}
	}
}

func TestValidate(t *testing.T) {
	base := func() fabric.DeviceConfig { return drivertest.Config(fabric.EVPNLeaf, Name, "a") }
	for _, tc := range []struct {
		name string
		edit func(c *fabric.DeviceConfig)
		want string
	}{
		{"shell in a VRF name", func(c *fabric.DeviceConfig) { c.VRFs[1].Name = "ry-x';reboot" }, `VRF "ry-x';reboot"`},
		{"VRF not owned", func(c *fabric.DeviceConfig) { c.VRFs[1].Name = "tenant" }, `VRF "tenant"`},
		{"long VRF name", func(c *fabric.DeviceConfig) { c.VRFs[1].Name = "ry-0123456789abc" }, "at most 15"},
		{"RD number FRR would truncate", func(c *fabric.DeviceConfig) { c.VRFs[1].RD = "10.255.0.3:99999" }, "at most 65535"},
		{"bad RT", func(c *fabric.DeviceConfig) { c.Segments[0].RT = "65000" }, "route-target"},
		{"VNI too big", func(c *fabric.DeviceConfig) { c.Segments[0].L2VNI = 1 << 24 }, "out of range"},
		{"VNI both L2 and L3", func(c *fabric.DeviceConfig) { c.Segments[0].L2VNI = 200001 }, "also VRF ry-t0001's"},
		{"segment VLAN not Railyard's", func(c *fabric.DeviceConfig) { c.Segments[0].VLAN = 100 }, "VLAN 100"},
		{"port VLAN without segment", func(c *fabric.DeviceConfig) { c.Ports[0].VLAN = 2999 }, "no segment"},
		{"port name with a space", func(c *fabric.DeviceConfig) { c.Ports[2].Name = "eth 1" }, "not a Linux interface name"},
		{"bad gateway", func(c *fabric.DeviceConfig) { c.Segments[0].Gateway = "10.64.1.1" }, "gateway"},
		{"no ASN", func(c *fabric.DeviceConfig) { c.ASN = 0 }, "no BGP ASN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base()
			tc.edit(&c)
			_, err := Driver{}.Render(c)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Render error = %v, want one containing %q", err, tc.want)
			}
			_, err = Driver{}.Commands(fabric.Diff(base(), c), c)
			if err == nil {
				t.Errorf("Commands accepted it")
			}
		})
	}
}

// scripted is a CLI that answers from a table (for tests of the
// driver's reading of outputs, not of FRR).
type scripted struct {
	answers map[string]string
	sent    []string
}

func (s *scripted) Run(_ context.Context, cmd string) (string, error) {
	s.sent = append(s.sent, cmd)
	for k, v := range s.answers {
		if strings.Contains(cmd, k) {
			return v, nil
		}
	}
	return "", nil
}
func (s *scripted) Close() error { return nil }

func TestProbe(t *testing.T) {
	for _, tc := range []struct {
		name    string
		answers map[string]string
		want    Caps
		sent    int
	}{
		{"no VRF devices", map[string]string{"type vrf": "Error: Unknown device type.\n% exit status 2\n"}, Caps{}, 1},
		{"VRF devices", map[string]string{}, Caps{VRF: true}, 2},
		{"leftover probe link", map[string]string{"type vrf": "RTNETLINK answers: File exists\n% exit status 2\n"}, Caps{}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &scripted{answers: tc.answers}
			tr := drivers.Transport{CLI: func(context.Context, drivers.Target) (drivers.CLI, error) { return s, nil }}
			c, err := Driver{}.Connect(context.Background(), drivers.Target{Device: "leaf1"}, tr)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.(*Conn).Caps(); got != tc.want {
				t.Errorf("caps = %+v, want %+v", got, tc.want)
			}
			if len(s.sent) != tc.sent {
				t.Errorf("sent %q, want %d commands", s.sent, tc.sent)
			}
		})
	}
}

// TestErrorBannerFails: FRR refuses some commands with exit status 0
// ("% Malformed Route Target list"); the apply must fail on the banner,
// restore the device, and keep the password out of the error even when
// the device echoes it.
func TestErrorBannerFails(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, to, want string
	}{
		{"banner with exit status 0", "route-target import 1.2.3.4:5:6", "Malformed Route Target"},
		{"device echoes the password", "route-target import " + drivertest.Password, "REDACTED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLab(t)
			d, err := l.NewDevice("leaf", drivertest.Config(fabric.EVPNLeaf, Name), "")
			if err != nil {
				t.Fatal(err)
			}
			tgt := drivers.Target{Device: "leaf1", Username: "ry", Password: drivertest.Password}
			inner := d.Transport()
			// The segment's RT import is rewritten after the VRFs went in.
			tr := drivers.Transport{CLI: func(ctx context.Context, t drivers.Target) (drivers.CLI, error) {
				c, err := inner.CLI(ctx, t)
				return &rewriting{CLI: c, from: "route-target import 65000:2000101", to: tc.to}, err
			}}
			before := d.Running()
			c, err := Driver{}.Connect(context.Background(), tgt, tr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			r := drivers.Sync(context.Background(), Driver{}, c, drivertest.Config(fabric.EVPNLeaf, Name, "a"), drivers.SyncOptions{})
			if r.Err == nil {
				t.Fatal("the apply succeeded")
			}
			if !strings.Contains(r.Err.Error(), tc.want) {
				t.Errorf("error lacks %q: %v", tc.want, r.Err)
			}
			if strings.Contains(r.Err.Error(), drivertest.Password) {
				t.Errorf("error shows the password: %v", r.Err)
			}
			if after := d.Running(); after != before {
				t.Errorf("failed apply changed the device:\n%s", cmp.Diff(before, after))
			}
		})
	}
}

type rewriting struct {
	drivers.CLI
	from, to string
}

func (r *rewriting) Run(ctx context.Context, cmd string) (string, error) {
	return r.CLI.Run(ctx, strings.ReplaceAll(cmd, r.from, r.to))
}

// TestL2OnlyNoGateway: on a kernel without VRF devices no segment
// bridge gets an address (tenants would share one routing table).
func TestL2OnlyNoGateway(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	cfg := drivertest.Config(fabric.EVPNLeaf, Name, "a", "b")
	d, err := l.NewDevice("leaf", drivertest.Config(fabric.EVPNLeaf, Name), "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Driver{}.Connect(context.Background(), drivers.Target{Device: "leaf1"}, d.Transport())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.(*Conn).Caps().VRF {
		t.Skip("this kernel has VRF devices; the L2-only case does not apply")
	}
	if r := drivers.Sync(context.Background(), Driver{}, c, cfg, drivers.SyncOptions{}); r.Err != nil {
		t.Fatal(r.Err)
	}
	out, err := l.Sh(d.Router.NS, "ip -4 -o addr show")
	if err != nil {
		t.Fatal(err)
	}
	for _, ln := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.Contains(ln, " lo ") {
			t.Errorf("an address outside lo on an L2-only leaf: %s", ln)
		}
	}
	run := d.Running()
	for _, want := range []string{"vrf ry-t0001\n vni 200001\nexit-vrf", "br2001 up", `alias "ry-seg vrf=ry-t0001 gw=10.64.1.1/24"`} {
		if !strings.Contains(run, want) {
			t.Errorf("running config lacks %q:\n%s", want, run)
		}
	}
}
