package frr

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/railyard/railyard/drivers/drivertest"
	"github.com/railyard/railyard/internal/fabric"
)

func readTestdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// frrPart is the FRR half of Render's output.
func frrPart(r string) string {
	s, _, _ := strings.Cut(r, "# Linux netdevs")
	return s
}

// TestObserveCaptured reads outputs captured from FRR 8.4.4 and iproute2
// after applying tenants a and b, and must give back that configuration.
func TestObserveCaptured(t *testing.T) {
	want := drivertest.Config(fabric.EVPNLeaf, Name, "a", "b")
	fc, err := parseRunning(readTestdata(t, "running-ab.txt"))
	if err != nil {
		t.Fatal(err)
	}
	links, err := parseLinks([]byte(readTestdata(t, "links-ab.json")))
	if err != nil {
		t.Fatal(err)
	}
	got := assemble(fc, links, want, Caps{})
	if d := cmp.Diff(drivertest.Strip(want), drivertest.Strip(got)); d != "" {
		t.Errorf("observed (-want +got):\n%s", d)
	}
}

func TestParseRunning(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     frrConfig
		err      string
	}{
		{"empty", "", frrConfig{VRFs: map[string]*frrVRF{}, VNIs: map[uint32]*frrVNI{}}, ""},
		{"stub instance", "router bgp 65100 vrf ry-t0002\nexit\n", frrConfig{
			VRFs: map[string]*frrVRF{"ry-t0002": {Name: "ry-t0002", BGP: true, BGPASN: 65100}}, VNIs: map[uint32]*frrVNI{}}, ""},
		{"route-target both", "router bgp 1 vrf ry-a\n address-family l2vpn evpn\n  route-target both 65000:1\n exit-address-family\nexit\n", frrConfig{
			VRFs: map[string]*frrVRF{"ry-a": {Name: "ry-a", BGP: true, BGPASN: 1, Import: []string{"65000:1"}, Export: []string{"65000:1"}}}, VNIs: map[uint32]*frrVNI{}}, ""},
		{"vni in the default instance", "router bgp 7\n address-family l2vpn evpn\n  vni 5\n   rd 1.1.1.1:2\n  exit-vni\n exit-address-family\nexit\n", frrConfig{ASN: 7,
			VRFs: map[string]*frrVRF{}, VNIs: map[uint32]*frrVNI{5: {VNI: 5, RD: "1.1.1.1:2"}}}, ""},
		{"bad ASN", "router bgp x\n", frrConfig{}, "bad ASN"},
		{"bad VNI", "vrf ry-a\n vni 99999999\nexit-vrf\n", frrConfig{}, "bad VNI"},
		{"bad RT direction", "router bgp 1 vrf ry-a\n address-family l2vpn evpn\n  route-target sideways 1:1\n", frrConfig{}, "unknown direction"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseRunning(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestBridgeVLANAndAlias(t *testing.T) {
	for in, want := range map[string]int{"br2001": 2001, "br0": 0, "br02001": 0, "bridge": 0, "br4095": 0, "br": 0, "br1": 1} {
		if got := bridgeVLAN(in); got != want {
			t.Errorf("bridgeVLAN(%q) = %d, want %d", in, got, want)
		}
	}
	type r struct{ Kind, VRF, GW string }
	for in, want := range map[string]r{
		"ry-seg vrf=ry-t0001 gw=10.64.1.1/24": {"ry-seg", "ry-t0001", "10.64.1.1/24"},
		"ry-l3 vrf=ry-t0001":                  {"ry-l3", "ry-t0001", ""},
		"uplink to spine1":                    {},
		"":                                    {},
	} {
		k, v, g := parseAlias(in)
		if d := cmp.Diff(want, r{k, v, g}); d != "" {
			t.Errorf("parseAlias(%q) (-want +got):\n%s", in, d)
		}
	}
}

// TestRenderRoundTrip: the FRR part of Render parses back to the VRFs
// and L2VNI blocks it was made from.
func TestRenderRoundTrip(t *testing.T) {
	for _, ts := range [][]string{{}, {"a"}, {"a", "b", "c"}} {
		cfg := drivertest.Config(fabric.EVPNLeaf, Name, ts...)
		roundTrip(t, cfg)
	}
}

func roundTrip(t testing.TB, cfg fabric.DeviceConfig) {
	r, err := Driver{}.Render(cfg)
	if err != nil {
		t.Fatal(err)
	}
	fc, err := parseRunning(frrPart(r))
	if err != nil {
		t.Fatalf("parse of rendered config: %v\n%s", err, r)
	}
	var vrfs []fabric.VRF
	for _, name := range sortedKeys(fc.VRFs) {
		f := fc.VRFs[name]
		if !f.Stanza || !f.BGP || !f.Redistribute || !f.Advertise {
			t.Errorf("VRF %s incomplete after round trip: %+v", name, f)
		}
		vrfs = append(vrfs, fabric.VRF{Name: name, L3VNI: f.VNI, RD: f.RD, ImportRTs: f.Import, ExportRTs: f.Export})
	}
	want := cfg.Clone()
	want.Normalize()
	for i := range want.VRFs {
		want.VRFs[i].Tenant, want.VRFs[i].CoreVLAN = "", 0
	}
	got := fabric.DeviceConfig{VRFs: vrfs}
	got.Normalize()
	if d := cmp.Diff(want.VRFs, got.VRFs); d != "" {
		t.Errorf("VRFs after round trip (-want +got):\n%s", d)
	}
	for _, s := range want.Segments {
		n := fc.VNIs[s.L2VNI]
		if n == nil || n.RD != s.RD || len(n.Import) != 1 || n.Import[0] != s.RT || len(n.Export) != 1 || n.Export[0] != s.RT {
			t.Errorf("segment %d after round trip: %+v", s.VLAN, n)
		}
	}
}

func FuzzParseRunning(f *testing.F) {
	f.Add(readTestdata(f, "running-ab.txt"))
	for _, name := range []string{"render-abc.txt"} {
		f.Add(frrPart(readTestdata(f, "golden/"+name)))
	}
	f.Add("router bgp 65100 vrf ry-t0002\nexit\n")
	f.Add("vrf ry-a\n vni 1\nexit-vrf\nrouter bgp 1\n address-family l2vpn evpn\n  vni 2\n   route-target both 1:1\n")
	f.Fuzz(func(t *testing.T, s string) {
		fc, err := parseRunning(s)
		if err != nil {
			return
		}
		// Whatever parses assembles without panicking.
		assemble(fc, nil, drivertest.Config(fabric.EVPNLeaf, Name, "a"), Caps{})
	})
}

func FuzzParseLinks(f *testing.F) {
	f.Add([]byte(readTestdata(f, "links-ab.json")))
	f.Add([]byte(`[{"ifname":"br2001","flags":["UP"],"ifalias":"ry-seg vrf=ry-t0001 gw=10.64.1.1/24","linkinfo":{"info_kind":"bridge"}},` +
		`{"ifname":"vx5","master":"br2001","linkinfo":{"info_kind":"vxlan","info_data":{"id":5}}},{"ifname":"Ethernet1","master":"br2001"}]`))
	f.Add([]byte(`[{"ifname":"ry-t0001","linkinfo":{"info_kind":"vrf","info_data":{"table":200001}}}]`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		links, err := parseLinks(b)
		if err != nil {
			return
		}
		for _, caps := range []Caps{{}, {VRF: true}} {
			obs := assemble(frrConfig{VRFs: map[string]*frrVRF{}, VNIs: map[uint32]*frrVNI{}}, links, drivertest.Config(fabric.EVPNLeaf, Name, "a"), caps)
			for _, p := range obs.Ports {
				if p.VLAN != 0 && !fabric.OwnedVLAN(p.VLAN) {
					t.Errorf("port %s observed on VLAN %d, which is not Railyard's", p.Name, p.VLAN)
				}
			}
		}
	})
}

// FuzzRenderRoundTrip varies the numbers of a configuration; whatever
// Render accepts must parse back.
func FuzzRenderRoundTrip(f *testing.F) {
	f.Add(uint32(200001), uint32(2000101), uint16(2001), "65000:200001")
	f.Add(uint32(1), uint32(16777215), uint16(3899), "10.0.0.1:65535")
	f.Fuzz(func(t *testing.T, l3, l2 uint32, vlan uint16, rt string) {
		cfg := drivertest.Config(fabric.EVPNLeaf, Name, "a")
		cfg.VRFs[1].L3VNI = l3
		cfg.VRFs[1].ImportRTs = append(cfg.VRFs[1].ImportRTs, rt)
		cfg.Segments[0].L2VNI, cfg.Segments[0].VLAN, cfg.Segments[0].RT = l2, int(vlan), rt
		for i := range cfg.Ports {
			if cfg.Ports[i].VLAN != 0 {
				cfg.Ports[i].VLAN = int(vlan)
			}
		}
		if _, err := (Driver{}).Render(cfg); err != nil {
			return
		}
		roundTrip(t, cfg)
	})
}
