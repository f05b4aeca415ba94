// Package drivertest is the conformance suite every driver passes. A
// driver package runs it against its stateful fake device:
//
//	func TestConformance(t *testing.T) {
//		drivertest.Run(t, drivertest.Harness{Driver: eos.Driver{}, New: newFake})
//	}
//
// The suite checks the properties a tenant network depends on:
// deterministic rendering, idempotent apply (the second sync sends
// nothing), exact removal (apply A+B, then A, equals a fresh A),
// independence from the order of adds and removes, atomicity (an error
// injected part-way leaves the device as it was, with no open session),
// drift detection and correction, and keeping secrets out of errors.
package drivertest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/railyard/railyard/drivers"
	"github.com/railyard/railyard/internal/fabric"
)

// Fake is the test handle on a fake device.
type Fake interface {
	// Running returns the device's whole running configuration (the
	// managed part and the rest) as the device would print it.
	Running() string
	// FailOn makes the next command (or request) whose text contains s
	// fail the way the device reports errors; once.
	FailOn(s string)
	// Pending lists open configuration sessions, uncommitted candidates
	// or pending confirmed commits; it must be empty after every Apply.
	Pending() []string
}

// Harness describes a driver under test.
type Harness struct {
	Driver drivers.Driver
	// Kind picks the configurations the suite applies.
	Kind fabric.DeviceKind
	// New starts a fresh fake device, with its underlay already
	// configured, and returns how to reach it. The password the suite
	// sets on the target must be accepted.
	New func(t *testing.T, base fabric.DeviceConfig) (drivers.Target, drivers.Transport, Fake)
	// Drift edits the device out of band the way an operator would (for
	// example removes a route-target import from one of cfg's VRFs, or a
	// GUID from a partition).
	Drift func(t *testing.T, f Fake, cfg fabric.DeviceConfig)
	// FailPoint is a substring of a command the driver sends while adding
	// tenant B to a device that holds A (used to inject an error).
	FailPoint string
}

// Password is the secret the suite sets on every target; it must never
// appear in an error.
const Password = "s3cret-Pa55w0rd"

// Run runs the conformance suite.
func Run(t *testing.T, h Harness) {
	t.Run("RenderDeterministic", func(t *testing.T) { renderDeterministic(t, h) })
	t.Run("IdempotentApply", func(t *testing.T) { idempotent(t, h) })
	t.Run("ExactRemoval", func(t *testing.T) { exactRemoval(t, h) })
	t.Run("OrderIndependent", func(t *testing.T) { orderIndependent(t, h) })
	t.Run("PortMove", func(t *testing.T) { portMove(t, h) })
	t.Run("AtomicOnError", func(t *testing.T) { atomic(t, h) })
	t.Run("Drift", func(t *testing.T) { drift(t, h) })
	t.Run("Secrets", func(t *testing.T) { secrets(t, h) })
}

// Config returns the suite's configuration for a device of kind k that
// carries the given tenants (a subset of "a", "b", "c"): the storage VRF
// always, and for each tenant a VRF, a segment and two bound ports; the
// other ports of the device are isolated. Drivers use it in their own
// tests and golden files too.
func Config(k fabric.DeviceKind, driver string, tenants ...string) fabric.DeviceConfig {
	has := map[string]bool{}
	for _, t := range tenants {
		has[t] = true
	}
	if k == fabric.SubnetManager {
		c := fabric.DeviceConfig{Device: "sm1", Driver: driver, Fabric: "ib1", Kind: k}
		for i, t := range []string{"a", "b", "c"} {
			if !has[t] {
				continue
			}
			p := fabric.Partition{PKey: uint16(0x101 + i), Name: "ry-t000" + fmt.Sprint(i+1), Tenant: t, IPoIB: true, MTU: 5}
			for n := 0; n < 3; n++ {
				p.Members = append(p.Members, fabric.Member{GUID: fmt.Sprintf("0c42a1030000%02x%02x", i+1, n), Membership: fabric.Full})
			}
			c.Partitions = append(c.Partitions, p)
		}
		c.Normalize()
		return c
	}
	c := fabric.DeviceConfig{Device: "leaf1", Driver: driver, Fabric: "stor1", Kind: fabric.EVPNLeaf,
		ASN: 65100, RouterID: "10.255.0.3", VTEP: "10.255.1.3"}
	c.VRFs = append(c.VRFs, fabric.VRF{Name: "ry-storage", L3VNI: 299999, CoreVLAN: 3999, RD: "10.255.0.3:9999",
		ImportRTs: []string{"65000:299998", "65000:299999"}, ExportRTs: []string{"65000:299999"}})
	ports := []string{"Ethernet1", "Ethernet2", "Ethernet3", "Ethernet4", "Ethernet5", "Ethernet6", "Ethernet7", "Ethernet8"}
	bound := map[string]fabric.Port{}
	for i, t := range []string{"a", "b", "c"} {
		if !has[t] {
			continue
		}
		id := i + 1
		vrf := fmt.Sprintf("ry-t%04d", id)
		l3 := uint32(200000 + id)
		vlan := 2000 + id
		l2 := uint32(2000000 + id*100 + 1)
		c.VRFs = append(c.VRFs, fabric.VRF{Name: vrf, Tenant: t, L3VNI: l3, CoreVLAN: 3900 + id, RD: fmt.Sprintf("10.255.0.3:%d", id),
			ImportRTs: []string{fmt.Sprintf("65000:%d", l3), "65000:299999"},
			ExportRTs: []string{fmt.Sprintf("65000:%d", l3), "65000:299998"}})
		c.Segments = append(c.Segments, fabric.Segment{Name: vrf + "-s1", Tenant: t, VLAN: vlan, L2VNI: l2, VRF: vrf,
			Gateway: fmt.Sprintf("10.64.%d.1/24", id), RD: fmt.Sprintf("10.255.0.3:%d", vlan), RT: fmt.Sprintf("65000:%d", l2)})
		for _, p := range ports[2*i : 2*i+2] {
			bound[p] = fabric.Port{Name: p, Node: "node-" + p, NodePort: "eth0", Tenant: t, VLAN: vlan}
		}
	}
	for _, p := range ports {
		if b, ok := bound[p]; ok {
			c.Ports = append(c.Ports, b)
		} else {
			c.Ports = append(c.Ports, fabric.Port{Name: p, Node: "node-" + p, NodePort: "eth0", Shutdown: true})
		}
	}
	c.Normalize()
	return c
}

func (h Harness) config(tenants ...string) fabric.DeviceConfig {
	return Config(h.Kind, h.Driver.Name(), tenants...)
}

type device struct {
	t    *testing.T
	h    Harness
	tgt  drivers.Target
	tr   drivers.Transport
	fake Fake
	m    *drivers.Meter
}

func (h Harness) start(t *testing.T) *device {
	t.Helper()
	tgt, tr, f := h.New(t, h.config())
	tgt.Password = Password
	if tgt.Username == "" {
		tgt.Username = "railyard"
	}
	m := &drivers.Meter{}
	return &device{t: t, h: h, tgt: tgt, tr: m.Wrap(tr), fake: f, m: m}
}

// sync applies cfg and returns the report; it fails the test on error.
func (d *device) sync(cfg fabric.DeviceConfig) drivers.Report {
	d.t.Helper()
	r := d.trySync(cfg)
	if r.Err != nil {
		d.t.Fatalf("sync %v: %v", cfg.Tenants(), r.Err)
	}
	return r
}

func (d *device) trySync(cfg fabric.DeviceConfig) drivers.Report {
	d.t.Helper()
	ctx := context.Background()
	c, err := d.h.Driver.Connect(ctx, d.tgt, d.tr)
	if err != nil {
		d.t.Fatalf("connect: %v", err)
	}
	defer c.Close()
	r := drivers.Sync(ctx, d.h.Driver, c, cfg, drivers.SyncOptions{})
	if p := d.fake.Pending(); len(p) > 0 {
		d.t.Errorf("after sync %v the device has open sessions or pending commits: %v", cfg.Tenants(), p)
	}
	return r
}

func (d *device) observe(scope fabric.DeviceConfig) fabric.DeviceConfig {
	d.t.Helper()
	ctx := context.Background()
	c, err := d.h.Driver.Connect(ctx, d.tgt, d.tr)
	if err != nil {
		d.t.Fatalf("connect: %v", err)
	}
	defer c.Close()
	o, err := c.Observe(ctx, scope)
	if err != nil {
		d.t.Fatalf("observe: %v", err)
	}
	return o
}

func renderDeterministic(t *testing.T, h Harness) {
	cfg := h.config("a", "b", "c")
	want, err := h.Driver.Render(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(want) == "" {
		t.Fatal("Render gave nothing for three tenants")
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20; i++ {
		s := cfg.Clone()
		r.Shuffle(len(s.VRFs), func(i, j int) { s.VRFs[i], s.VRFs[j] = s.VRFs[j], s.VRFs[i] })
		r.Shuffle(len(s.Segments), func(i, j int) { s.Segments[i], s.Segments[j] = s.Segments[j], s.Segments[i] })
		r.Shuffle(len(s.Ports), func(i, j int) { s.Ports[i], s.Ports[j] = s.Ports[j], s.Ports[i] })
		r.Shuffle(len(s.Partitions), func(i, j int) { s.Partitions[i], s.Partitions[j] = s.Partitions[j], s.Partitions[i] })
		for k := range s.Partitions {
			m := s.Partitions[k].Members
			r.Shuffle(len(m), func(i, j int) { m[i], m[j] = m[j], m[i] })
		}
		got, err := h.Driver.Render(s)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("Render depends on input order:\n%s", cmp.Diff(want, got))
		}
	}
	// The dry run of a fresh apply names every tenant object.
	cmds, err := h.Driver.Commands(fabric.Diff(h.config(), cfg), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(cmds) == 0 {
		t.Fatal("Commands gave nothing for adding three tenants")
	}
}

func idempotent(t *testing.T, h Harness) {
	d := h.start(t)
	cfg := h.config("a", "b")
	r := d.sync(cfg)
	if !r.Changed() || r.Commands == 0 {
		t.Fatalf("first sync changed nothing: %+v", r)
	}
	if diff := cmp.Diff(Strip(cfg), Strip(d.observe(cfg))); diff != "" {
		t.Errorf("observed after apply differs from desired (-want +got):\n%s", diff)
	}
	before := d.fake.Running()
	calls := d.m.Total()
	r = d.sync(cfg)
	if r.Changed() || r.Commands != 0 {
		t.Errorf("second sync of the same state changed the device: passes %d, commands %d, drift:\n%s", r.Passes, r.Commands, r.Drift)
	}
	if after := d.fake.Running(); after != before {
		t.Errorf("second sync changed the running config:\n%s", cmp.Diff(before, after))
	}
	// A no-op sync reads; it must not write. Reading takes a few calls.
	if n := d.m.Total() - calls; n > 10 {
		t.Errorf("no-op sync made %d calls", n)
	}
}

func exactRemoval(t *testing.T, h Harness) {
	d := h.start(t)
	d.sync(h.config("a", "b"))
	d.sync(h.config("a"))
	fresh := h.start(t)
	fresh.sync(h.config("a"))
	if diff := cmp.Diff(fresh.fake.Running(), d.fake.Running()); diff != "" {
		t.Errorf("apply(A+B) then apply(A) differs from a fresh apply(A) (-fresh +got):\n%s", diff)
	}
	d.sync(h.config())
	empty := h.start(t)
	empty.sync(h.config())
	if diff := cmp.Diff(empty.fake.Running(), d.fake.Running()); diff != "" {
		t.Errorf("removing every tenant left something behind (-fresh +got):\n%s", diff)
	}
}

func orderIndependent(t *testing.T, h Harness) {
	final := h.config("a", "c")
	fresh := h.start(t)
	fresh.sync(final)
	seqs := [][][]string{
		{{"a"}, {"a", "b"}, {"a", "b", "c"}, {"a", "c"}},
		{{"c"}, {"b", "c"}, {"b"}, {"a", "b"}, {"a", "c"}},
		{{"b"}, {"a", "b", "c"}, {}, {"c"}, {"a", "c"}},
	}
	for _, seq := range seqs {
		d := h.start(t)
		for _, ts := range seq {
			d.sync(h.config(ts...))
		}
		if diff := cmp.Diff(fresh.fake.Running(), d.fake.Running()); diff != "" {
			t.Errorf("sequence %v converged elsewhere than a fresh apply (-fresh +got):\n%s", seq, diff)
		}
	}
}

func portMove(t *testing.T, h Harness) {
	if h.Kind != fabric.EVPNLeaf {
		// GUIDs move between partitions the same way; covered by
		// OrderIndependent.
		return
	}
	d := h.start(t)
	cfg := h.config("a", "b")
	d.sync(cfg)
	// Ethernet1 leaves tenant a for tenant b.
	moved := cfg.Clone()
	var bvlan int
	for _, s := range moved.Segments {
		if s.Tenant == "b" {
			bvlan = s.VLAN
		}
	}
	for i := range moved.Ports {
		if moved.Ports[i].Name == "Ethernet1" {
			moved.Ports[i].Tenant, moved.Ports[i].VLAN = "b", bvlan
		}
	}
	d.sync(moved)
	if diff := cmp.Diff(Strip(moved), Strip(d.observe(moved))); diff != "" {
		t.Errorf("port move (-want +got):\n%s", diff)
	}
}

func atomic(t *testing.T, h Harness) {
	if h.FailPoint == "" {
		t.Fatal("Harness.FailPoint is empty")
	}
	d := h.start(t)
	d.sync(h.config("a"))
	before := d.fake.Running()
	d.fake.FailOn(h.FailPoint)
	r := d.trySync(h.config("a", "b"))
	if r.Err == nil {
		t.Fatalf("sync with an injected error at %q succeeded", h.FailPoint)
	}
	if after := d.fake.Running(); after != before {
		t.Errorf("failed apply changed the device (-before +after):\n%s", cmp.Diff(before, after))
	}
	// The retry converges.
	d.sync(h.config("a", "b"))
	if r := d.sync(h.config("a", "b")); r.Changed() {
		t.Errorf("retry did not converge: %s", r.Drift)
	}
}

func drift(t *testing.T, h Harness) {
	if h.Drift == nil {
		t.Fatal("Harness.Drift is nil")
	}
	d := h.start(t)
	cfg := h.config("a", "b")
	d.sync(cfg)
	want := d.fake.Running()
	h.Drift(t, d.fake, cfg)
	if d.fake.Running() == want {
		t.Fatal("Harness.Drift did not change the device")
	}
	ctx := context.Background()
	c, err := h.Driver.Connect(ctx, d.tgt, d.tr)
	if err != nil {
		t.Fatal(err)
	}
	r := drivers.Sync(ctx, h.Driver, c, cfg, drivers.SyncOptions{DryRun: true})
	c.Close()
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if r.Drift.Empty() {
		t.Fatal("a hand edit was not reported as drift")
	}
	t.Logf("drift reported:\n%s", r.Drift)
	d.sync(cfg)
	if got := d.fake.Running(); got != want {
		t.Errorf("sync did not correct the drift (-want +got):\n%s", cmp.Diff(want, got))
	}
}

func secrets(t *testing.T, h Harness) {
	d := h.start(t)
	d.fake.FailOn(h.FailPoint)
	r := d.trySync(h.config("a", "b"))
	if r.Err == nil {
		t.Fatal("expected an error")
	}
	if strings.Contains(r.Err.Error(), Password) {
		t.Errorf("error shows the password: %v", r.Err)
	}
	if s := fmt.Sprint(d.tgt); strings.Contains(s, Password) {
		t.Errorf("target prints the password: %s", s)
	}
}

// Strip clears what a device does not hold (owners, segment names, the
// underlay fields), so an observed configuration compares equal to the
// desired one it was made from.
func Strip(c fabric.DeviceConfig) fabric.DeviceConfig {
	c = c.Clone()
	c.Normalize()
	c.Device, c.Driver, c.Fabric, c.Kind, c.ASN, c.RouterID, c.VTEP = "", "", "", "", 0, "", ""
	for i := range c.VRFs {
		c.VRFs[i].Tenant = ""
	}
	for i := range c.Segments {
		c.Segments[i].Tenant, c.Segments[i].Name = "", ""
	}
	for i := range c.Ports {
		c.Ports[i].Tenant, c.Ports[i].Node, c.Ports[i].NodePort = "", "", ""
	}
	for i := range c.Partitions {
		c.Partitions[i].Tenant = ""
	}
	return c
}
