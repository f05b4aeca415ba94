package junos

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/railyard/railyard/drivers/drivertest"
	"github.com/railyard/railyard/drivers/junos/junosfake"
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

// FuzzParse feeds Parse display-set text: it must not panic, and what it
// reads must survive Render and Parse again.
func FuzzParse(f *testing.F) {
	cfg := drivertest.Config(fabric.EVPNLeaf, Name, "a", "b", "c")
	if b, err := os.ReadFile("testdata/golden/render-abc.txt"); err == nil {
		f.Add(string(b))
	}
	d := junosfake.New(cfg)
	f.Add(d.RunningSet())
	f.Add("set routing-instances ry-x instance-type vrf\nset routing-instances ry-x vrf-import p\nset policy-options policy-statement p term t from community c\nset policy-options policy-statement p term t then accept\nset policy-options community c members target:1:2\n")
	f.Add("set vlans \"ry v\" vlan-id 2001\nset interfaces et-0/0/0 unit 0 family ethernet-switching vlan members \"ry v\"\nset interfaces irb unit 2001 family inet address 10.0.0.1/24\n")
	f.Fuzz(func(t *testing.T, s string) {
		got := Parse(s, cfg)
		text, err := Driver{}.Render(got)
		if err != nil {
			return
		}
		again := Parse(text, cfg)
		if diff := cmp.Diff(got, again); diff != "" {
			t.Errorf("parse(render(parse(s))) differs (-first +again):\n%s\nrendered:\n%s", diff, text)
		}
	})
}
