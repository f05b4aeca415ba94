package l3lab

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/railyard/railyard/drivers/frr"
	"github.com/railyard/railyard/internal/fabric"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func storageVRF() string { return fabric.DefaultSettings().StorageVRF }

func services() netip.Prefix {
	return netip.MustParsePrefix(fabric.DefaultSettings().StorageServices[0])
}

func TestPlan(t *testing.T) {
	leaves := storageLeaves(t)
	lay, err := plan("x", leaves, storageVRF(), services())
	if err != nil {
		t.Fatal(err)
	}
	var routers []string
	for _, r := range lay.routers {
		routers = append(routers, fmt.Sprintf("%s %s vrf=%s domain=%q vtep=%s rmac=%s ns=%s/%s vrfs=%d segs=%d ports=%d",
			r.Name, r.Leaf, r.VRF.Name, r.Domain, r.VTEP, r.RMAC, r.NS, r.VRFNS, len(r.Config.VRFs), len(r.Config.Segments), len(r.Config.Ports)))
	}
	wantRouters := []string{
		`l1-storage lab-su01-stor-leaf1 vrf=ry-storage domain="" vtep=198.18.0.1 rmac=02:52:59:00:01:01 ns=x-l1-storage/x-l1-storage-v vrfs=1 segs=0 ports=0`,
		`l1-t0001 lab-su01-stor-leaf1 vrf=ry-t0001 domain="acme" vtep=198.18.0.2 rmac=02:52:59:00:01:02 ns=x-l1-t0001/x-l1-t0001-v vrfs=1 segs=1 ports=0`,
		`l1-t0002 lab-su01-stor-leaf1 vrf=ry-t0002 domain="globex" vtep=198.18.0.3 rmac=02:52:59:00:01:03 ns=x-l1-t0002/x-l1-t0002-v vrfs=1 segs=1 ports=0`,
		`l2-storage lab-su01-stor-leaf2 vrf=ry-storage domain="" vtep=198.18.0.4 rmac=02:52:59:00:02:01 ns=x-l2-storage/x-l2-storage-v vrfs=1 segs=0 ports=0`,
		`l2-t0001 lab-su01-stor-leaf2 vrf=ry-t0001 domain="acme" vtep=198.18.0.5 rmac=02:52:59:00:02:02 ns=x-l2-t0001/x-l2-t0001-v vrfs=1 segs=1 ports=0`,
		`l2-t0002 lab-su01-stor-leaf2 vrf=ry-t0002 domain="globex" vtep=198.18.0.6 rmac=02:52:59:00:02:03 ns=x-l2-t0002/x-l2-t0002-v vrfs=1 segs=1 ports=0`,
	}
	if d := cmp.Diff(wantRouters, routers); d != "" {
		t.Errorf("routers (-want +got):\n%s", d)
	}
	var hosts []string
	for _, h := range lay.hosts {
		seg := "routed"
		if h.Segment != nil {
			seg = fmt.Sprintf("l2vni %d", h.Segment.L2VNI)
		}
		hosts = append(hosts, fmt.Sprintf("%s on %s %s gw %s %s node=%t", h.Name, h.Router.Name, h.Addr, h.Gateway, seg, h.Node != ""))
	}
	wantHosts := []string{
		"h-l1-t0001 on l1-t0001 10.64.0.11/24 gw 10.64.0.1 l2vni 5000101 node=true",
		"h-l1-t0002 on l1-t0002 10.64.1.11/24 gw 10.64.1.1 l2vni 5000201 node=true",
		"h-l2-t0001 on l2-t0001 10.64.0.12/24 gw 10.64.0.1 l2vni 5000101 node=true",
		"h-l2-t0002 on l2-t0002 10.64.1.12/24 gw 10.64.1.1 l2vni 5000201 node=true",
		"h-l1-storage on l1-storage 10.250.1.10/24 gw 10.250.1.1 routed node=false",
		"h-l2-storage on l2-storage 10.250.2.10/24 gw 10.250.2.1 routed node=false",
	}
	if d := cmp.Diff(wantHosts, hosts); d != "" {
		t.Errorf("hosts (-want +got):\n%s", d)
	}
	var subnets []string
	for _, s := range lay.subnets {
		subnets = append(subnets, s.Prefix.String()+" "+s.Domain)
	}
	if d := cmp.Diff([]string{"10.64.0.0/24 acme", "10.64.1.0/24 globex", "10.250.1.0/24 ", "10.250.2.0/24 "}, subnets); d != "" {
		t.Errorf("subnets (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]uint32{200001, 200002, 299999}, lay.l3vnis); d != "" {
		t.Errorf("L3VNIs (-want +got):\n%s", d)
	}
}

func TestPlanErrors(t *testing.T) {
	leaves := storageLeaves(t)
	mod := func(f func(ls []fabric.DeviceConfig)) []fabric.DeviceConfig {
		ls := []fabric.DeviceConfig{leaves[0].Clone(), leaves[1].Clone()}
		f(ls)
		return ls
	}
	for _, tc := range []struct {
		name     string
		leaves   []fabric.DeviceConfig
		services string
		want     string
	}{
		{"none", nil, "10.250.0.0/16", "no leaves"},
		{"two ASes", mod(func(ls []fabric.DeviceConfig) { ls[1].ASN = 65200 }), "10.250.0.0/16", "AS 65100 and 65200"},
		{"RT admin is the ASN", mod(func(ls []fabric.DeviceConfig) { ls[0].VRFs[1].ImportRTs = append(ls[0].VRFs[1].ImportRTs, "65100:7") }), "10.250.0.0/16", "route target 65100:7 has the overlay AS"},
		{"not a leaf", mod(func(ls []fabric.DeviceConfig) { ls[1].Kind = fabric.SubnetManager }), "10.250.0.0/16", "not an EVPN leaf"},
		{"twice", mod(func(ls []fabric.DeviceConfig) { ls[1].Device = ls[0].Device }), "10.250.0.0/16", "listed twice"},
		{"segment without VRF", mod(func(ls []fabric.DeviceConfig) { ls[0].Segments[0].VRF = "ry-t0099" }), "10.250.0.0/16", "which the leaf does not have"},
		{"bad gateway", mod(func(ls []fabric.DeviceConfig) { ls[0].Segments[0].Gateway = "10.64.0.1" }), "10.250.0.0/16", "not an IPv4 address with a length"},
		{"small services", leaves, "10.250.0.0/24", "cannot hold a /24 per leaf"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := plan("x", tc.leaves, storageVRF(), netip.MustParsePrefix(tc.services))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func TestAllowed(t *testing.T) {
	lay, err := plan("x", storageLeaves(t), storageVRF(), services())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range lay.routers {
		s, h := lay.allowed(r)
		got[r.Name] = fmt.Sprint(s, " hosts ", h)
	}
	want := map[string]string{
		"l1-storage": "[10.64.0.0/24 10.64.1.0/24 10.250.1.0/24 10.250.2.0/24] hosts [10.64.0.11/32 10.64.0.12/32 10.64.1.11/32 10.64.1.12/32]",
		"l2-storage": "[10.64.0.0/24 10.64.1.0/24 10.250.1.0/24 10.250.2.0/24] hosts [10.64.0.11/32 10.64.0.12/32 10.64.1.11/32 10.64.1.12/32]",
		"l1-t0001":   "[10.64.0.0/24 10.250.1.0/24 10.250.2.0/24] hosts [10.64.0.12/32]",
		"l2-t0001":   "[10.64.0.0/24 10.250.1.0/24 10.250.2.0/24] hosts [10.64.0.11/32]",
		"l1-t0002":   "[10.64.1.0/24 10.250.1.0/24 10.250.2.0/24] hosts [10.64.1.12/32]",
		"l2-t0002":   "[10.64.1.0/24 10.250.1.0/24 10.250.2.0/24] hosts [10.64.1.11/32]",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("allowed routes (-want +got):\n%s", d)
	}
}

func TestReachable(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{{"acme", "acme", true}, {"acme", "", true}, {"", "globex", true}, {"", "", true}, {"acme", "globex", false}, {"globex", "acme", false}} {
		if got := Reachable(tc.a, tc.b); got != tc.want {
			t.Errorf("Reachable(%q, %q) = %t, want %t", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestLeaky(t *testing.T) {
	leaves := storageLeaves(t)
	leaky := Leaky(leaves, storageVRF())
	for i, l := range leaky {
		for j, v := range l.VRFs {
			orig := leaves[i].VRFs[j]
			want := orig.ImportRTs
			if v.Name != storageVRF() {
				want = []string{"65000:200001", "65000:299998", "65000:299999"}
				if v.Name == "ry-t0002" {
					want = []string{"65000:200002", "65000:299998", "65000:299999"}
				}
			}
			if d := cmp.Diff(want, v.ImportRTs); d != "" {
				t.Errorf("%s %s imports (-want +got):\n%s", l.Device, v.Name, d)
			}
			if d := cmp.Diff(orig.ExportRTs, v.ExportRTs); d != "" {
				t.Errorf("%s %s exports changed:\n%s", l.Device, v.Name, d)
			}
		}
	}
	// The input is left alone.
	if slices.Contains(leaves[0].VRFs[1].ImportRTs, "65000:299998") {
		t.Error("Leaky changed its input")
	}
}

// TestSanitize feeds the FRR driver's rendering of one VRF router and
// checks what the lab applies with vtysh: the FRR stanzas, without the
// driver's Linux netdev section.
func TestSanitize(t *testing.T) {
	lay, err := plan("x", storageLeaves(t), storageVRF(), services())
	if err != nil {
		t.Fatal(err)
	}
	text, err := frr.Driver{}.Render(lay.routers[1].Config)
	if err != nil {
		t.Fatal(err)
	}
	want := `vrf ry-t0001
 vni 200001
exit-vrf
router bgp 65100
 address-family l2vpn evpn
  vni 5000101
   rd 10.254.0.1:2000
   route-target import 65000:5000101
   route-target export 65000:5000101
  exit-vni
 exit-address-family
exit
router bgp 65100 vrf ry-t0001
 address-family ipv4 unicast
  redistribute connected
 exit-address-family
 address-family l2vpn evpn
  advertise ipv4 unicast
  rd 10.255.0.1:1
  route-target import 65000:200001
  route-target import 65000:299999
  route-target export 65000:200001
  route-target export 65000:299998
 exit-address-family
exit
`
	if d := cmp.Diff(want, Sanitize(text)); d != "" {
		t.Errorf("sanitized rendering (-want +got):\n%s\nrendered:\n%s", d, text)
	}
}

func TestSanitizeDropsHarnessLines(t *testing.T) {
	in := `frr version 8.4.4
frr defaults datacenter
hostname leaf1
log file /var/log/frr.log
service integrated-vtysh-config
!
router bgp 65100
 bgp router-id 10.255.0.1
 no bgp default ipv4-unicast
 neighbor 10.0.0.1 remote-as external
 address-family l2vpn evpn
  neighbor 10.0.0.1 activate
  vni 5000101
  exit-vni
 exit-address-family
exit
!
router bgp 65100 vrf ry-t0001
 bgp router-id 10.255.0.1
exit
end
`
	want := `router bgp 65100
 address-family l2vpn evpn
  vni 5000101
  exit-vni
 exit-address-family
exit
router bgp 65100 vrf ry-t0001
 bgp router-id 10.255.0.1
exit
`
	if d := cmp.Diff(want, Sanitize(in)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestVtyshArgs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		err  string
	}{
		{in: "vtysh -c 'configure terminal' -c 'router bgp 65100 vrf ry-t0001'", want: []string{"-c", "configure terminal", "-c", "router bgp 65100 vrf ry-t0001"}},
		{in: `vtysh -c "show version"`, want: []string{"-c", "show version"}},
		{in: "vtysh", want: []string{}},
		{in: "ip link add br2000 type bridge", err: "only vtysh"},
		{in: "vtysh -b", err: "want vtysh -c"},
		{in: "vtysh -f x -c y", err: `option "-f"`},
		{in: "vtysh -c 'x", err: "unterminated quote"},
		{in: "vtysh -c x; rm -rf /", err: "shell syntax"},
		{in: "vtysh -c $(id)", err: "shell syntax"},
	} {
		got, err := VtyshArgs(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("VtyshArgs(%q) = %q, %v; want error %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("VtyshArgs(%q): %v", tc.in, err)
			continue
		}
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("VtyshArgs(%q) (-want +got):\n%s", tc.in, d)
		}
	}
}

// TestDriverCommandsAreVtysh: the FRR driver's commands for the leak
// (an import route target added to a tenant VRF) are vtysh command
// lines that Reconfigure can run.
func TestDriverCommandsAreVtysh(t *testing.T) {
	leaves := storageLeaves(t)
	lay, err := plan("x", leaves, storageVRF(), services())
	if err != nil {
		t.Fatal(err)
	}
	leaky, err := plan("x", Leaky(leaves, storageVRF()), storageVRF(), services())
	if err != nil {
		t.Fatal(err)
	}
	r, n := lay.routers[1], leaky.routers[1]
	cmds, err := frr.Driver{}.Commands(fabric.Diff(r.Config, n.Config), n.Config)
	if err != nil {
		t.Fatal(err)
	}
	if len(cmds) == 0 {
		t.Fatal("no commands for an added import route target")
	}
	var all []string
	for _, c := range cmds {
		args, err := VtyshArgs(c)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, args...)
	}
	if !slices.Contains(all, "route-target import 65000:299998") {
		t.Errorf("the commands do not add the leaky import: %q", cmds)
	}
}

func prefixes(ss ...string) []netip.Prefix {
	var ps []netip.Prefix
	for _, s := range ss {
		ps = append(ps, netip.MustParsePrefix(s))
	}
	return ps
}

func TestParseKernelRoutes(t *testing.T) {
	rs, err := ParseKernelRoutes(readTestdata(t, "ip-route-storage.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rs {
		got = append(got, fmt.Sprintf("%s %s %v", r.Dst, r.Protocol, r.Nexthops))
	}
	want := []string{
		"10.64.0.0/24 bgp [{198.18.0.2 br299999} {198.18.0.5 br299999}]",
		"10.64.0.11/32 bgp [{198.18.0.2 br299999}]",
		"10.64.0.12/32 bgp [{198.18.0.5 br299999}]",
		"10.64.1.0/24 bgp [{198.18.0.3 br299999} {198.18.0.6 br299999}]",
		"10.64.1.11/32 bgp [{198.18.0.3 br299999}]",
		"10.64.1.12/32 bgp [{198.18.0.6 br299999}]",
		"10.250.1.0/24 kernel [{ hp4}]",
		"10.250.2.0/24 bgp [{198.18.0.4 br299999}]",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	for _, bad := range []string{`{}`, `[{"dst":"nonsense"}]`, `[`} {
		if _, err := ParseKernelRoutes([]byte(bad)); err == nil {
			t.Errorf("ParseKernelRoutes(%s): no error", bad)
		}
	}
	if rs, err := ParseKernelRoutes([]byte(`[{"dst":"default","gateway":"10.0.0.1","dev":"eth0"}]`)); err != nil || rs[0].Dst != netip.MustParsePrefix("0.0.0.0/0") {
		t.Errorf("default route: %v, %v", rs, err)
	}
}

func TestParseRIBAndBGP(t *testing.T) {
	want := prefixes("10.64.0.0/24", "10.64.0.11/32", "10.64.0.12/32", "10.64.1.0/24", "10.64.1.11/32", "10.64.1.12/32", "10.250.1.0/24", "10.250.2.0/24")
	for _, tc := range []struct {
		file  string
		parse func([]byte) ([]netip.Prefix, error)
	}{{"show-ip-route-storage.json", ParseRIB}, {"show-bgp-storage.json", ParseBGP}} {
		got, err := tc.parse(readTestdata(t, tc.file))
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(strs(want), strs(got)); d != "" {
			t.Errorf("%s (-want +got):\n%s", tc.file, d)
		}
		if _, err := tc.parse([]byte(`{"routes":{"x":[]},"x":[]}`)); err == nil {
			t.Errorf("%s: a key that is not a prefix gave no error", tc.file)
		}
	}
}

func TestParseBGPNeighbor(t *testing.T) {
	st, n, err := ParseBGPNeighbor(readTestdata(t, "show-bgp-neighbor.json"), "198.18.0.254")
	if err != nil || st != "Established" || n != 2 {
		t.Errorf("got %q %d %v, want Established 2", st, n, err)
	}
	if _, _, err := ParseBGPNeighbor(readTestdata(t, "show-bgp-neighbor.json"), "198.18.0.1"); err == nil {
		t.Error("a missing neighbor gave no error")
	}
}

// TestUnresolved uses a tenant VRF's tables captured after FRR 8.4.4
// dropped L3VNI next hops on an import route-target change: routes via
// 198.18.0.5 (no neighbor entry) and 198.18.0.4 (FAILED) are black
// holes; the multipath route with one resolved path passes.
func TestUnresolved(t *testing.T) {
	rs, err := ParseKernelRoutes(readTestdata(t, "ip-route-tenant-leaky.json"))
	if err != nil {
		t.Fatal(err)
	}
	ns, err := ParseNeighbors(readTestdata(t, "ip-neigh-tenant-broken.json"))
	if err != nil {
		t.Fatal(err)
	}
	r := &Router{Name: "l1-t0001", VRF: fabric.VRF{Name: "ry-t0001", L3VNI: 200001}}
	if d := cmp.Diff([]string{"nexthop l1-t0001 10.250.2.0/24: want resolved", "nexthop l1-t0001 10.64.0.12/32: want resolved"}, strs(unresolved(r, rs, ns))); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	// A partly resolved multipath route passes; an unresolved one fails.
	multi := []KernelRoute{{Dst: netip.MustParsePrefix("10.64.1.0/24"), Nexthops: []Nexthop{{"198.18.0.4", "br200001"}, {"198.18.0.6", "br200001"}}},
		{Dst: netip.MustParsePrefix("10.64.9.0/24"), Nexthops: []Nexthop{{"198.18.0.4", "br200001"}, {"198.18.0.5", "br200001"}}}}
	if d := cmp.Diff([]string{"nexthop l1-t0001 10.64.9.0/24: want resolved"}, strs(unresolved(r, multi, ns))); d != "" {
		t.Errorf("multipath (-want +got):\n%s", d)
	}
}

func TestJudge(t *testing.T) {
	lay, err := plan("x", storageLeaves(t), storageVRF(), services())
	if err != nil {
		t.Fatal(err)
	}
	tenant := lay.routers[1] // l1-t0001
	for _, tc := range []struct {
		name  string
		have  []netip.Prefix
		hosts bool
		want  []string
	}{
		{"policy met", prefixes("10.64.0.0/24", "10.250.1.0/24", "10.250.2.0/24", "10.64.0.12/32"), true, nil},
		{"host route missing", prefixes("10.64.0.0/24", "10.250.1.0/24", "10.250.2.0/24"), true, []string{"kernel l1-t0001 10.64.0.12/32: want route"}},
		{"host routes not asked", prefixes("10.64.0.0/24", "10.250.1.0/24", "10.250.2.0/24"), false, nil},
		{"storage missing", prefixes("10.64.0.0/24", "10.250.1.0/24"), false, []string{"kernel l1-t0001 10.250.2.0/24: want route"}},
		{"other tenant leaked", prefixes("10.64.0.0/24", "10.250.1.0/24", "10.250.2.0/24", "10.64.1.0/24", "10.64.1.11/32"), false,
			[]string{"kernel l1-t0001 10.64.1.0/24: want no route", "kernel l1-t0001 10.64.1.11/32: want no route"}},
		{"aggregate covering storage", prefixes("10.64.0.0/24", "10.250.1.0/24", "10.250.2.0/24", "10.250.0.0/16"), false, []string{"kernel l1-t0001 10.250.0.0/16: want no route"}},
		{"underlay in a VRF", prefixes("10.64.0.0/24", "10.250.1.0/24", "10.250.2.0/24", "198.18.0.0/24"), false, []string{"kernel l1-t0001 198.18.0.0/24: want no route"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, strs(lay.judge("kernel", tenant, tc.have, tc.hosts)), cmp.Comparer(func(a, b []string) bool { return len(a) == 0 && len(b) == 0 || slices.Equal(a, b) })); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestFailure(t *testing.T) {
	for _, tc := range []struct {
		f         Failure
		s         string
		isolation bool
	}{
		{Failure{Check: "ping", Where: "a -> b", Want: "isolated"}, "ping a -> b: want isolated", true},
		{Failure{Check: "ping", Where: "a -> b", Want: "reachable"}, "ping a -> b: want reachable", false},
		{Failure{Check: "bgp", Where: "l1-t0001", Prefix: netip.MustParsePrefix("10.64.1.0/24"), Want: "no route"}, "bgp l1-t0001 10.64.1.0/24: want no route", true},
		{Failure{Check: "rib", Where: "l1-t0001", Prefix: netip.MustParsePrefix("10.64.0.0/24"), Want: "route"}, "rib l1-t0001 10.64.0.0/24: want route", false},
		{Failure{Check: "nexthop", Where: "l1-t0001", Prefix: netip.MustParsePrefix("10.64.0.0/24"), Want: "resolved"}, "nexthop l1-t0001 10.64.0.0/24: want resolved", false},
	} {
		if got := tc.f.String(); got != tc.s {
			t.Errorf("String() = %q, want %q", got, tc.s)
		}
		if got := tc.f.Isolation(); got != tc.isolation {
			t.Errorf("%s: Isolation() = %t", tc.s, got)
		}
	}
}

func TestEcho(t *testing.T) {
	req := echoRequest(0x1234, 7, []byte("abc"))
	if checksum(req) != 0 {
		t.Errorf("request checksum does not verify: %x", req)
	}
	reply := slices.Clone(req)
	reply[0] = 0
	withIP := append([]byte{0x45, 0, 0, 31, 0, 0, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2}, reply...)
	for _, tc := range []struct {
		name    string
		b       []byte
		id, seq uint16
		ok      bool
	}{
		{"reply", reply, 0x1234, 7, true},
		{"reply with IPv4 header", withIP, 0x1234, 7, true},
		{"request", req, 0, 0, false},
		{"short", reply[:5], 0, 0, false},
		{"bad header length", []byte{0x41, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 0, 0, false},
	} {
		id, seq, ok := ParseEchoReply(tc.b)
		if id != tc.id || seq != tc.seq || ok != tc.ok {
			t.Errorf("%s: got %#x %d %t, want %#x %d %t", tc.name, id, seq, ok, tc.id, tc.seq, tc.ok)
		}
	}
}
