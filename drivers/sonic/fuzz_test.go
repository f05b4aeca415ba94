package sonic

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/railyard/railyard/drivers/drivertest"
	"github.com/railyard/railyard/drivers/sonic/sonicfake"
	"github.com/railyard/railyard/internal/fabric"
)

// seeds are the golden render and a fake switch's output after an apply.
func seeds(f *testing.F) (configDBs, frrs []string) {
	b, err := os.ReadFile(filepath.Join("testdata", "golden", "render-abc.txt"))
	if err != nil {
		f.Fatal(err)
	}
	js, frr, _ := strings.Cut(string(b), "\n!\n")
	configDBs, frrs = append(configDBs, js), append(frrs, frr)
	d := sonicfake.New(cfg())
	for _, cmd := range mustCommands(f, cfg(), cfg("a", "b")) {
		d.Exec(cmd)
	}
	configDBs = append(configDBs, d.Exec(showConfigDB), "{}", `{"VLAN":{"Vlan2001":{"vlanid":2001}}}`, "")
	frrs = append(frrs, d.Exec(showFRR), "router bgp 1 vrf Vrf-ry-x\n address-family l2vpn evpn\n  route-target both 1:1\n", "")
	return configDBs, frrs
}

func mustCommands(f *testing.F, from, to fabric.DeviceConfig) []string {
	cmds, err := Driver{}.Commands(fabric.Diff(from, to), to)
	if err != nil {
		f.Fatal(err)
	}
	return cmds
}

func FuzzParseConfigDB(f *testing.F) {
	dbs, _ := seeds(f)
	for _, s := range dbs {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		db, err := ParseConfigDB(s)
		if err != nil {
			return
		}
		c := Build(db, FRRConfig{}, []string{"Ethernet1", "Ethernet2"})
		for _, v := range c.VRFs {
			if !strings.HasPrefix(v.Name, fabric.OwnedPrefix) {
				t.Errorf("reported VRF %q that Railyard does not own", v.Name)
			}
		}
		for _, seg := range c.Segments {
			if !fabric.OwnedVLAN(seg.VLAN) {
				t.Errorf("reported VLAN %d that Railyard does not own", seg.VLAN)
			}
		}
		if len(c.Ports) > 2 {
			t.Errorf("reported ports outside the scope: %v", c.Ports)
		}
	})
}

func FuzzParseFRR(f *testing.F) {
	_, frrs := seeds(f)
	for _, s := range frrs {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := ParseFRR(s)
		for _, r := range c.VNIs {
			for _, rt := range append(r.Imp, r.Exp...) {
				if strings.ContainsAny(rt, " \t\n") {
					t.Errorf("route-target %q has blanks", rt)
				}
			}
		}
	})
}

// FuzzRenderRoundTrip: for any valid tenant, parse(render(x)) == x.
func FuzzRenderRoundTrip(f *testing.F) {
	f.Add(uint32(200001), uint32(2000101), uint16(2001), uint16(3901), uint32(7), byte(1), byte(24), true, false)
	f.Add(uint32(1), uint32(16777215), uint16(3899), uint16(3999), uint32(0), byte(255), byte(32), false, true)
	f.Fuzz(func(t *testing.T, l3, l2 uint32, vlan, core uint16, rt uint32, host, plen byte, bound, down bool) {
		c := drivertest.Config(fabric.EVPNLeaf, Name)
		c.VRFs = append(c.VRFs, fabric.VRF{Name: "ry-x", L3VNI: l3, CoreVLAN: int(core), RD: fmt.Sprintf("10.0.0.1:%d", rt),
			ImportRTs: []string{fmt.Sprintf("65000:%d", rt), "65000:1"}, ExportRTs: []string{fmt.Sprintf("65000:%d", rt)}})
		c.Segments = append(c.Segments, fabric.Segment{VLAN: int(vlan), L2VNI: l2, VRF: "ry-x",
			Gateway: fmt.Sprintf("10.1.2.%d/%d", host, plen), RD: fmt.Sprintf("10.0.0.1:%d", int(rt)+1), RT: fmt.Sprintf("1:%d", l2)})
		if bound {
			c.Ports[0].VLAN = int(vlan)
		}
		c.Ports[0].Shutdown = down
		c.Normalize()
		r, err := Driver{}.Render(c)
		if err != nil {
			return
		}
		js, frr, _ := strings.Cut(r, "\n!\n")
		db, err := ParseConfigDB(js)
		if err != nil {
			t.Fatal(err)
		}
		got := Build(db, ParseFRR(frr), portNames(c, fabric.Change{}))
		if d := cmp.Diff(drivertest.Strip(c), drivertest.Strip(got)); d != "" {
			t.Errorf("parse(render) differs (-want +got):\n%s", d)
		}
	})
}
