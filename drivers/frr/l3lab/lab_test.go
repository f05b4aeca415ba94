package l3lab

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/railyard/railyard/internal/fabric"
	"github.com/railyard/railyard/internal/fabric/fabrictest"
	"github.com/railyard/railyard/internal/model"
)

func pidOf(procPath string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(procPath)))
	return n
}

// storageLeaves compiles two tenants carved on the lab-1su sample (whose
// storage fabric has two leaves, here driven by "frr") and returns the
// storage leaves' configurations: the compiler's VNIs, route targets,
// RDs and subnets.
func storageLeaves(t testing.TB) []fabric.DeviceConfig {
	t.Helper()
	plan, _, _, err := fabrictest.Compile("lab-1su", map[string]int{"acme": 16, "globex": 16}, map[model.FabricRole]string{model.RoleStorage: "frr"})
	if err != nil {
		t.Fatal(err)
	}
	var leaves []fabric.DeviceConfig
	for _, d := range plan.Devices {
		if d.Kind == fabric.EVPNLeaf && d.Driver == "frr" {
			leaves = append(leaves, d)
		}
	}
	if len(leaves) != 2 {
		t.Fatalf("want 2 storage leaves, got %d", len(leaves))
	}
	for _, l := range leaves {
		if len(l.VRFs) != 3 || len(l.Segments) != 2 {
			t.Fatalf("%s: want the storage VRF and two tenant VRFs with a segment each, got %d VRFs, %d segments", l.Device, len(l.VRFs), len(l.Segments))
		}
	}
	return leaves
}

func strs[T fmt.Stringer](xs []T) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		out = append(out, x.String())
	}
	slices.Sort(out)
	return out
}

// TestStorageLeaking builds the real fabric from the compiler's output
// and checks, by ping and by routing tables (kernel, zebra, BGP), that
// every tenant reaches its own hosts across leaves and the storage
// hosts, storage reaches every tenant, and no tenant reaches another.
// Then it applies a deliberately leaky route-target scheme (tenants also
// import the storage-client RT) through the FRR driver's Commands and
// asserts that exactly the isolation checks fail, and restores the
// scheme.
func TestStorageLeaking(t *testing.T) {
	if testing.Short() {
		t.Skip("real FRR fabric: skipped in -short mode")
	}
	if err := Probe(""); err != nil {
		t.Skipf("no real FRR fabric here: %v", err)
	}
	leaves := storageLeaves(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	lab, err := Start(ctx, Options{Leaves: leaves, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if os.Getenv("L3LAB_KEEP") != "" {
			t.Logf("fabric kept in %s (the next run removes it)", lab.Dir())
			return
		}
		if err := lab.Close(); err != nil {
			t.Error(err)
		}
		// Nothing is left behind: no namespace, no scratch directory, no
		// daemon.
		tag := filepath.Base(lab.Dir())
		entries, _ := os.ReadDir("/run/netns")
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), tag+"-") {
				t.Errorf("namespace %s left behind", e.Name())
			}
		}
		if _, err := os.Stat(lab.Dir()); !os.IsNotExist(err) {
			t.Errorf("scratch directory %s left behind (%v)", lab.Dir(), err)
		}
		procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
		for _, p := range procs {
			if b, err := os.ReadFile(p); err == nil && strings.Contains(string(b), lab.Dir()+"/") && alive(pidOf(p)) {
				t.Errorf("process %s left behind: %q", p, b)
			}
		}
	})
	if err := lab.WaitConverged(ctx, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := lab.Prime(ctx, 15*time.Second); err != nil {
		t.Fatal(err)
	}

	t.Run("Isolated", func(t *testing.T) {
		fs, err := lab.Check(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			t.Errorf("policy not met: %s", f)
		}
	})

	t.Run("SymmetricIRB", func(t *testing.T) {
		// A tenant host behind leaf 2 is a /32 in leaf 1's tenant VRF, via
		// leaf 2's router on the L3VNI bridge (EVPN type-2, routed).
		for _, h := range lab.Hosts() {
			if h.Segment == nil || h.Router.LeafIndex != 2 {
				continue
			}
			r := lab.Router(leaves[0].Device, h.Router.VRF.Name)
			rs, err := lab.KernelRoutes(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			want := KernelRoute{Dst: netip.PrefixFrom(h.Addr.Addr(), 32), Protocol: "bgp",
				Nexthops: []Nexthop{{Dev: fmt.Sprintf("br%d", r.VRF.L3VNI), Gateway: h.Router.VTEP.String()}}}
			if !slices.ContainsFunc(rs, func(k KernelRoute) bool {
				return k.Dst == want.Dst && k.Protocol == want.Protocol && slices.Equal(k.Nexthops, want.Nexthops)
			}) {
				t.Errorf("%s: no route %+v; have %+v", r.Name, want, rs)
			}
		}
	})

	// The negative control: the checks must detect a leak.
	t.Run("LeakDetected", func(t *testing.T) {
		if err := lab.Reconfigure(ctx, Leaky(leaves, fabric.DefaultSettings().StorageVRF)); err != nil {
			t.Fatal(err)
		}
		var tenants []*Router
		for _, r := range lab.Routers() {
			if !r.Storage() {
				tenants = append(tenants, r)
			}
		}
		// Wait until every tenant VRF's kernel table holds every other
		// tenant's subnet.
		_, err := lab.WaitTables(ctx, 20*time.Second, "leaked routes in every tenant VRF", func(fs []Failure) bool {
			for _, f := range fs {
				if !f.Isolation() {
					return false
				}
			}
			for _, r := range tenants {
				for _, s := range lab.Subnets() {
					if s.Domain == "" || s.Domain == r.Domain {
						continue
					}
					if !slices.Contains(fs, Failure{Check: "kernel", Where: r.Name, Prefix: s.Prefix, Want: "no route"}) {
						return false
					}
				}
			}
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
		fs, err := lab.Check(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var pings, wantPings []string
		var tables []string
		for _, f := range fs {
			if !f.Isolation() {
				t.Errorf("the leaky scheme broke reachability the policy wants: %s", f)
			}
			if f.Check == "ping" {
				pings = append(pings, f.String())
			} else if f.Check != "ping" && !slices.Contains(tables, f.Check+" "+f.Where) {
				tables = append(tables, f.Check+" "+f.Where)
			}
		}
		for _, p := range lab.Pairs() {
			if !Reachable(p.Src.Domain(), p.Dst.Domain()) {
				wantPings = append(wantPings, Failure{Check: "ping", Where: p.String(), Want: "isolated"}.String())
			}
		}
		var wantTables []string
		for _, c := range []string{"kernel", "rib", "bgp"} {
			for _, r := range tenants {
				wantTables = append(wantTables, c+" "+r.Name)
			}
		}
		slices.Sort(pings)
		slices.Sort(wantPings)
		slices.Sort(tables)
		slices.Sort(wantTables)
		if len(wantPings) == 0 {
			t.Fatal("no pair of hosts is meant to be isolated: the fabric has one tenant")
		}
		if d := cmp.Diff(wantPings, pings); d != "" {
			t.Errorf("ping checks that failed under the leaky scheme (-want +got):\n%s", d)
		}
		if d := cmp.Diff(wantTables, tables); d != "" {
			t.Errorf("table checks that failed under the leaky scheme (-want +got):\n%s", d)
		}
	})

	t.Run("Restored", func(t *testing.T) {
		if err := lab.Reconfigure(ctx, leaves); err != nil {
			t.Fatal(err)
		}
		if _, err := lab.WaitTables(ctx, 20*time.Second, "the leak withdrawn", func(fs []Failure) bool { return len(fs) == 0 }); err != nil {
			t.Fatal(err)
		}
		for _, f := range lab.CheckPing(ctx) {
			t.Errorf("after restoring the scheme: %s", f)
		}
	})
}
