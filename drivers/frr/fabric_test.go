package frr

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/railyard/railyard/drivers"
	"github.com/railyard/railyard/drivers/drivertest"
	"github.com/railyard/railyard/drivers/frr/frrlab"
	"github.com/railyard/railyard/internal/fabric"
	"github.com/railyard/railyard/internal/fabric/fabrictest"
	"github.com/railyard/railyard/internal/model"
)

// fabricLeaf is one leaf of the test fabric.
type fabricLeaf struct {
	cfg  fabric.DeviceConfig
	dev  *frrlab.Device
	base string // running config before any tenant
}

// host is a tenant server: a namespace cabled to a leaf port.
type host struct {
	tenant, ns, addr string
}

// TestFabric builds 2 spines (iBGP route reflectors for ipv4 and EVPN,
// each its own underlay L2 segment) and 4 FRR leaves whose tenant
// configuration the compiler made for the superpod-4su sample's storage
// fabric (two tenants carved; Driver set to "frr"), with a host
// namespace on every tenant port. The leaves' kernel has no VRF
// devices, so segments are L2-only: reachability is tested inside a
// tenant's segment across leaves (L2VNI over VXLAN), isolation by giving
// tenant B's hosts an extra address in tenant A's subnet.
func TestFabric(t *testing.T) {
	if testing.Short() {
		t.Skip("real FRR fabric; skipped with -short")
	}
	t.Parallel()
	l := newLab(t)
	plan, _, _, err := fabrictest.Compile("superpod-4su", map[string]int{"a": 16, "b": 16},
		map[model.FabricRole]string{model.FabricRole("storage"): Name})
	if err != nil {
		t.Fatal(err)
	}
	// Four storage leaves: the tenants' two and two more.
	var leaves []*fabricLeaf
	for _, tenanted := range []bool{true, false} {
		for _, d := range plan.Devices {
			if d.Driver == Name && len(leaves) < 4 && (len(d.Tenants()) > 0) == tenanted {
				leaves = append(leaves, &fabricLeaf{cfg: d})
			}
		}
	}
	for _, lf := range leaves {
		t.Logf("%s: tenants %v, %d ports", lf.cfg.Device, lf.cfg.Tenants(), len(lf.cfg.Ports))
	}
	if len(leaves) < 4 {
		t.Fatalf("the plan has %d FRR leaves, want 4", len(leaves))
	}
	subnet := map[string]string{}
	for _, tp := range plan.Tenants {
		for _, f := range tp.Fabrics {
			if f.VRF != "" {
				subnet[tp.Tenant] = f.Subnet
			}
		}
	}
	if subnet["a"] == "" || subnet["b"] == "" {
		t.Fatalf("no storage subnets in the plan: %v", subnet)
	}

	// Spines: a bridge for the underlay segment and a route reflector.
	for s := 1; s <= 2; s++ {
		ns, err := l.AddNS(fmt.Sprintf("sp%d", s))
		if err != nil {
			t.Fatal(err)
		}
		if err := l.MustSh(ns, "ip link add fab type bridge stp_state 0", fmt.Sprintf("ip addr add 10.0.%d.254/24 dev fab", s), "ip link set fab up"); err != nil {
			t.Fatal(err)
		}
		conf := fmt.Sprintf(`router bgp %d
 bgp router-id 10.0.%[2]d.254
 bgp cluster-id 10.0.%[2]d.254
 neighbor LEAVES peer-group
 neighbor LEAVES remote-as internal
 bgp listen range 10.0.%[2]d.0/24 peer-group LEAVES
 address-family ipv4 unicast
  neighbor LEAVES activate
  neighbor LEAVES route-reflector-client
 exit-address-family
 address-family l2vpn evpn
  neighbor LEAVES activate
  neighbor LEAVES route-reflector-client
 exit-address-family
exit
`, leaves[0].cfg.ASN, s)
		if _, err := l.StartFRR(fmt.Sprintf("sp%d", s), ns, conf); err != nil {
			t.Fatal(err)
		}
	}
	// Leaves: the harness-owned underlay; the tenant part comes from the driver.
	hostN := 0
	var hosts []host
	for i, lf := range leaves {
		base := lf.cfg.Clone()
		base.VRFs, base.Segments = nil, nil
		for j := range base.Ports {
			base.Ports[j] = fabric.Port{Name: base.Ports[j].Name, Shutdown: true}
		}
		conf := fmt.Sprintf(`router bgp %d
 bgp router-id %s
 neighbor 10.0.1.254 remote-as internal
 neighbor 10.0.2.254 remote-as internal
 address-family ipv4 unicast
  network %s/32
  neighbor 10.0.1.254 activate
  neighbor 10.0.2.254 activate
 exit-address-family
 address-family l2vpn evpn
  neighbor 10.0.1.254 activate
  neighbor 10.0.2.254 activate
  advertise-all-vni
 exit-address-family
exit
`, base.ASN, base.RouterID, base.VTEP)
		d, err := l.NewDevice(fmt.Sprintf("lf%d", i+1), base, conf)
		if err != nil {
			t.Fatal(err)
		}
		lf.dev = d
		for s := 1; s <= 2; s++ {
			if err := l.MustSh(d.Router.NS,
				fmt.Sprintf("ip link add up%d mtu 9000 type veth peer name lf%d mtu 9000 netns %s", s, i+1, l.NS(fmt.Sprintf("sp%d", s))),
				fmt.Sprintf("ip addr add 10.0.%d.%d/24 dev up%d", s, i+1, s),
				fmt.Sprintf("ip link set up%d up", s)); err != nil {
				t.Fatal(err)
			}
			if err := l.MustSh(l.NS(fmt.Sprintf("sp%d", s)), fmt.Sprintf("ip link set lf%d master fab up", i+1)); err != nil {
				t.Fatal(err)
			}
		}
		// A host on every tenant port: the port's veth peer moves into it.
		for j, p := range lf.cfg.Ports {
			if p.Tenant == "" {
				continue
			}
			hostN++
			hns, err := l.AddNS(fmt.Sprintf("h%d", hostN))
			if err != nil {
				t.Fatal(err)
			}
			pfx := netip.MustParsePrefix(subnet[p.Tenant])
			addr := pfx.Addr()
			for k := 0; k < 10+hostN; k++ {
				addr = addr.Next()
			}
			cmds := []string{fmt.Sprintf("ip link set x%d netns %s", j+1, hns)}
			if err := l.MustSh(d.Router.NS, cmds...); err != nil {
				t.Fatal(err)
			}
			hc := []string{fmt.Sprintf("ip link set x%d name eth0", j+1), fmt.Sprintf("ip addr add %s/%d dev eth0", addr, pfx.Bits()), "ip link set eth0 up"}
			if p.Tenant == "b" {
				// B's extra address in A's subnet: only a leak between the
				// segments would let it reach A's hosts.
				pa := netip.MustParsePrefix(subnet["a"])
				hc = append(hc, fmt.Sprintf("ip addr add %s/%d dev eth0", addr200(pa, hostN), pa.Bits()))
			}
			if err := l.MustSh(hns, hc...); err != nil {
				t.Fatal(err)
			}
			hosts = append(hosts, host{tenant: p.Tenant, ns: hns, addr: addr.String()})
		}
		lf.base = d.Running()
	}
	var aHosts, bHosts []host
	for _, h := range hosts {
		if h.tenant == "a" {
			aHosts = append(aHosts, h)
		} else {
			bHosts = append(bHosts, h)
		}
	}
	if len(aHosts) < 2 || len(bHosts) < 1 {
		t.Fatalf("hosts: %d of a, %d of b; want at least 2 and 1", len(aHosts), len(bHosts))
	}

	ctx := context.Background()
	syncAll := func(cfgs func(lf *fabricLeaf) fabric.DeviceConfig) {
		t.Helper()
		for _, lf := range leaves {
			c, err := Driver{}.Connect(ctx, drivers.Target{Device: lf.cfg.Device}, lf.dev.Transport())
			if err != nil {
				t.Fatal(err)
			}
			want := cfgs(lf)
			r := drivers.Sync(ctx, Driver{}, c, want, drivers.SyncOptions{})
			if r.Err != nil {
				c.Close()
				t.Fatalf("%s: %v", lf.cfg.Device, r.Err)
			}
			obs, err := c.Observe(ctx, want)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(drivertest.Strip(want), drivertest.Strip(obs)); d != "" {
				t.Errorf("%s: observed differs from desired (-want +got):\n%s", lf.cfg.Device, d)
			}
			m := &drivers.Meter{}
			c2, _ := Driver{}.Connect(ctx, drivers.Target{Device: lf.cfg.Device}, m.Wrap(lf.dev.Transport()))
			if r := drivers.Sync(ctx, Driver{}, c2, want, drivers.SyncOptions{}); r.Err != nil || r.Changed() || r.Commands != 0 {
				t.Errorf("%s: re-sync changed the device: %+v", lf.cfg.Device, r)
			}
			c2.Close()
			c.Close()
		}
	}
	syncAll(func(lf *fabricLeaf) fabric.DeviceConfig { return lf.cfg })

	// ping is a TCP connect to a closed port (no ping binary is needed):
	// a reachable host answers with a reset ("Connection refused"); an
	// unreachable one times out or fails ARP ("No route to host").
	ping := func(from host, to string) bool {
		out, _ := l.Sh(from.ns, "timeout 1.5 bash -c 'exec 3<>/dev/tcp/"+to+"/9' 2>&1")
		return strings.Contains(out, "Connection refused")
	}
	// Tenant A's hosts reach each other (across leaves when the carve
	// put them on several), once EVPN has converged.
	deadline := time.Now().Add(20 * time.Second)
	for _, to := range aHosts[1:] {
		for !ping(aHosts[0], to.addr) {
			if time.Now().After(deadline) {
				out, _ := l.Vty(leaves[0].dev.Router, "show evpn vni", "show bgp l2vpn evpn summary")
				t.Fatalf("A host %s cannot reach A host %s over the L2VNI:\n%s", aHosts[0].addr, to.addr, out)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	// Negative probes wait for their timeout; run them all at once.
	type probe struct {
		from host
		to   string
	}
	unreachable := func(what string, ps []probe) {
		t.Helper()
		got := make([]bool, len(ps))
		var wg sync.WaitGroup
		for i, p := range ps {
			wg.Add(1)
			go func() { defer wg.Done(); got[i] = ping(p.from, p.to) }()
		}
		wg.Wait()
		for i, p := range ps {
			if got[i] {
				t.Errorf("%s: %s (%s) reaches %s", what, p.from.ns, p.from.tenant, p.to)
			}
		}
	}
	var iso []probe
	for _, b := range bHosts {
		for _, a := range aHosts {
			// b has an address in A's subnet too: only a leak between
			// the segments lets it through.
			iso = append(iso, probe{b, a.addr}, probe{a, b.addr})
		}
	}
	unreachable("tenant isolation", iso)

	// Release tenant A: its objects go, its ports are isolated.
	release := func(c fabric.DeviceConfig, tenant string) fabric.DeviceConfig {
		c = c.Clone()
		var vrfs []fabric.VRF
		for _, v := range c.VRFs {
			if v.Tenant != tenant {
				vrfs = append(vrfs, v)
			}
		}
		var segs []fabric.Segment
		for _, s := range c.Segments {
			if s.Tenant != tenant {
				segs = append(segs, s)
			}
		}
		c.VRFs, c.Segments = vrfs, segs
		for i, p := range c.Ports {
			if p.Tenant == tenant {
				c.Ports[i] = fabric.Port{Name: p.Name, Node: p.Node, NodePort: p.NodePort, Shutdown: true}
			}
		}
		return c
	}
	syncAll(func(lf *fabricLeaf) fabric.DeviceConfig { return release(lf.cfg, "a") })
	var rel []probe
	for _, a := range aHosts {
		for _, to := range append(append([]host{}, aHosts...), bHosts...) {
			if to.ns != a.ns {
				rel = append(rel, probe{a, to.addr})
			}
		}
	}
	unreachable("after tenant A was released", rel)
	// Removing every tenant leaves the leaves as they were built.
	syncAll(func(lf *fabricLeaf) fabric.DeviceConfig {
		c := release(release(lf.cfg, "a"), "b")
		c.VRFs = nil
		return c
	})
	for _, lf := range leaves {
		if got := lf.dev.Running(); got != lf.base {
			t.Errorf("%s: removing every tenant left something behind (-base +got):\n%s", lf.cfg.Device, cmp.Diff(lf.base, got))
		}
	}
}

// addr200 is an address high in p for host n.
func addr200(p netip.Prefix, n int) netip.Addr {
	a := p.Addr()
	for k := 0; k < 200+n; k++ {
		a = a.Next()
	}
	return a
}
