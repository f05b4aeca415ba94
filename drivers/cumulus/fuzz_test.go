package cumulus

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/railyard/railyard/drivers/cumulus/cumulusfake"
	"github.com/railyard/railyard/drivers/drivertest"
	"github.com/railyard/railyard/internal/fabric"
)

func TestParseRoundTrip(t *testing.T) {
	for _, ts := range [][]string{{}, {"a"}, {"a", "b", "c"}} {
		cfg := drivertest.Config(fabric.EVPNLeaf, Name, ts...)
		text, err := Driver{}.Render(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(drivertest.Strip(cfg), drivertest.Strip(Parse(text, cfg))); diff != "" {
			t.Errorf("%v: parse(render(x)) (-x +got):\n%s", ts, diff)
		}
	}
}

// FuzzParse feeds Parse nv config show -o commands text: it must not
// panic, and what it reads must survive Render and Parse again.
func FuzzParse(f *testing.F) {
	cfg := drivertest.Config(fabric.EVPNLeaf, Name, "a", "b", "c")
	if b, err := os.ReadFile("testdata/golden/render-abc.txt"); err == nil {
		f.Add(string(b))
	}
	f.Add(cumulusfake.New(cfg).Running())
	f.Add("nv set evpn vni 5 route-target both 1:2\nnv set bridge domain br_default vlan 2001 vni 5\nnv set interface vlan2001 ip vrf ry-x\n")
	f.Fuzz(func(t *testing.T, s string) {
		got := Parse(s, cfg)
		text, err := Driver{}.Render(got)
		if err != nil {
			return
		}
		if diff := cmp.Diff(got, Parse(text, cfg)); diff != "" {
			t.Errorf("parse(render(parse(s))) differs (-first +again):\n%s\nrendered:\n%s", diff, text)
		}
	})
}

// FuzzRelease feeds the nv show system parser.
func FuzzRelease(f *testing.F) {
	f.Add("hostname   leaf1  leaf1\nbuild      Cumulus Linux 5.9.1\n")
	f.Add("build Cumulus Linux x")
	f.Fuzz(func(t *testing.T, s string) {
		v := Release(s)
		_ = Legacy(v)
	})
}
