package cumulusfake

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/railyard/railyard/drivers"
	"github.com/railyard/railyard/internal/fabric"
)

func login(t *testing.T, d *Device, user string) func(string) string {
	t.Helper()
	cli, err := d.Transport().CLI(context.Background(), drivers.Target{Username: user})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return func(c string) string {
		out, err := cli.Run(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
}

func base() fabric.DeviceConfig {
	return fabric.DeviceConfig{Device: "leaf1", ASN: 65100, RouterID: "10.255.0.3", VTEP: "10.255.1.3",
		Ports: []fabric.Port{{Name: "Ethernet1"}, {Name: "swp9s1"}}}
}

func TestCLI(t *testing.T) {
	d := New(base())
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	d.SetClock(func() time.Time { return now })
	run := login(t, d, "cumulus")
	cases := []struct{ cmd, want string }{
		{"nv set bridge domain br_default vlan 5000 vni 1", "Error: 5000 is greater than the maximum of 4094\n"},
		{"nv set interface swp1 link state sideways", "Error: 'sideways' is not one of ['up', 'down']\n"},
		{"nv set vrf", "Error: Missing argument: <vrf>\n"},
		{"nv set colour red", "Error: 'colour' is not one of ['bridge', 'evpn', 'interface', 'nve', 'router', 'system', 'vrf']\n"},
		{"nv frobnicate", "Error: Unknown command 'frobnicate': expected one of ['action', 'config', 'set', 'show', 'unset']\n"},
		{"nv config diff -o commands", ""},
		{"nv set interface swp1 bridge domain br_default access 2001", ""},
		{"nv set interface swp1 link state up", ""},
		{"nv config diff -o commands", "nv set interface swp1 bridge domain br_default access 2001\n"},
		{"nv config apply -y", "Error: Invalid config [rev_id: 2]\n  interface swp1: access VLAN 2001 is not a VLAN of bridge domain br_default\n"},
		{"nv set bridge domain br_default vlan 2001 vni 2000101", ""},
		{"nv config apply --confirm 60s -y", "applied [rev_id: 2]\nConfirm the applied configuration within 60 seconds with 'nv config apply --confirm-yes', or it is rolled back.\n"},
		{"nv config apply --confirm-status", "rev_id 2 is waiting for confirmation: 60 seconds left before the automatic rollback\n"},
		{"nv config apply --confirm-yes", "rev_id 2 confirmed\n"},
		{"nv config apply --confirm-status", "No pending confirmation.\n"},
		{"nv set interface swp1 link state down", ""},
		{"nv config apply --confirm 1 -y", "applied [rev_id: 3]\nConfirm the applied configuration within 60 seconds with 'nv config apply --confirm-yes', or it is rolled back.\n"},
		{"nv config apply --confirm-no", "rev_id 3 rolled back to rev_id 2\n"},
		{"nv unset interface swp1 bridge domain", ""},
		{"nv config detach", ""},
		{"nv config diff -o commands", ""},
		{"nv config apply 1", "applied [rev_id: 1]\n"},
		{"nv config apply 2", "applied [rev_id: 2]\n"},
	}
	for _, c := range cases {
		if diff := cmp.Diff(c.want, run(c.cmd)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.cmd, diff)
		}
	}
	if !strings.Contains(d.Running(), "nv set interface swp1 bridge domain br_default access 2001\n") || strings.Contains(d.Running(), "link state") {
		t.Errorf("running:\n%s", d.Running())
	}
	if p := d.Pending(); len(p) != 0 {
		t.Errorf("pending: %v", p)
	}
}

func TestPendingPerUser(t *testing.T) {
	d := New(base())
	a, b := login(t, d, "alice"), login(t, d, "bob")
	a("nv set bridge domain br_default vlan 2001 vni 2000101")
	if got := b("nv config diff -o commands"); got != "" {
		t.Errorf("bob sees alice's pending revision: %q", got)
	}
	b("nv set system hostname leaf9")
	if got := len(d.Pending()); got != 2 {
		t.Errorf("pending = %v", d.Pending())
	}
	// A new login of alice finds her pending revision.
	a2 := login(t, d, "alice")
	if got := a2("nv config diff -o commands"); got != "nv set bridge domain br_default vlan 2001 vni 2000101\n" {
		t.Errorf("alice's revision after a new login: %q", got)
	}
	a2("nv config apply -y")
	b("nv config detach")
	if p := d.Pending(); len(p) != 0 {
		t.Errorf("pending: %v", p)
	}
	if !strings.Contains(d.Running(), "vlan 2001 vni 2000101") || strings.Contains(d.Running(), "leaf9") {
		t.Errorf("running:\n%s", d.Running())
	}
	if h := d.History(); len(h) != 2 || !strings.HasPrefix(h[1], "2 alice") {
		t.Errorf("history = %v", h)
	}
}

func TestPortNames(t *testing.T) {
	for in, want := range map[string]string{"Ethernet1": "swp1", "Ethernet48": "swp48", "swp9s1": "swp9s1", "Ethernet0": "Ethernet0"} {
		if got := PortName(in); got != want {
			t.Errorf("PortName(%s) = %s, want %s", in, got, want)
		}
	}
}

// FuzzCLI feeds the fake arbitrary command lines: it must not panic, and
// what it applies must print as commands that it accepts again.
func FuzzCLI(f *testing.F) {
	for _, s := range []string{"nv set vrf ry-a evpn vni 5", "nv unset interface", "nv config apply --confirm 5s -y", "nv config apply 1", "nv set interface swp1 link state down", "nv set evpn vni 7 route-target both 1:2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		d := New(base())
		run := login(t, d, "u")
		run(line)
		run("nv config diff -o commands")
		run("nv config apply -y")
		run("nv config detach")
		for _, l := range strings.Split(d.Running(), "\n") {
			if l == "" {
				continue
			}
			if out := run(l); out != "" {
				t.Fatalf("running config line %q refused: %s", l, out)
			}
		}
	})
}

func TestConcurrentUsers(t *testing.T) {
	d := New(base())
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			cli, _ := d.Transport().CLI(context.Background(), drivers.Target{Username: fmt.Sprintf("u%d", i)})
			defer cli.Close()
			cli.Run(context.Background(), fmt.Sprintf("nv set bridge domain br_default vlan %d vni %d", 2000+i, 5000+i))
			cli.Run(context.Background(), "nv config apply -y")
			_ = d.Running()
			_ = d.Pending()
		}(i)
	}
	wg.Wait()
	// Revisions are changes, so no user's apply undoes another's.
	for i := 0; i < 8; i++ {
		if !strings.Contains(d.Running(), fmt.Sprintf("vlan %d vni %d\n", 2000+i, 5000+i)) {
			t.Errorf("vlan %d lost:\n%s", 2000+i, d.Running())
		}
	}
	if p := d.Pending(); len(p) != 0 {
		t.Errorf("pending: %v", p)
	}
	if n := len(d.History()); n != 9 {
		t.Errorf("history has %d entries, want 9", n)
	}
}
