package junosfake

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/railyard/railyard/drivers"
	"github.com/railyard/railyard/internal/fabric"
)

func login(t *testing.T, d *Device) func(string) string {
	t.Helper()
	cli, err := d.Transport().CLI(context.Background(), drivers.Target{Username: "ops"})
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
		Ports: []fabric.Port{{Name: "Ethernet1"}, {Name: "xe-0/0/9"}}}
}

func TestCLI(t *testing.T) {
	d := New(base())
	run := login(t, d)
	cases := []struct{ cmd, want string }{
		{"show bogus", "     ^\nsyntax error, expecting <command>.\n"},
		{"bogus", "^\nunknown command.\n"},
		{"configure exclusive", "warning: uncommitted changes will be discarded on exit\nEntering configuration mode\n"},
		{"set vlans v1 vlan-id 5000", "error: Value 5000 is not within range (1..4094)\n"},
		{"set vlans v1 vlan-id", strings.Repeat(" ", 21) + "^\nmissing argument.\n"},
		{"set vlans v1 colour red", "             ^\nsyntax error.\n"},
		{"set interfaces et-0/0/0 unit 0 family ethernet-switching interface-mode hybrid", strings.Repeat(" ", 72) + "^\nsyntax error.\n"},
		{"delete vlans nope", "warning: statement not found\n"},
		{"set vlans v1 vlan-id 2001", ""},
		{"set interfaces et-0/0/0 unit 0 family ethernet-switching vlan members v1", ""},
		{"set interfaces et-0/0/0 disable", ""},
		{"show | compare", "[edit interfaces et-0/0/0]\n+   disable;\n+   unit 0 {\n+       family ethernet-switching {\n+           vlan {\n+               members v1;\n+           }\n+       }\n+   }\n[edit]\n+   vlans {\n+       v1 {\n+           vlan-id 2001;\n+       }\n+   }\n"},
		{"set routing-instances ry-x instance-type vrf", ""},
		{"commit check", "[edit routing-instances ry-x]\n  'route-distinguisher'\n    Missing mandatory statement: 'route-distinguisher'\nerror: commit failed: (missing mandatory statements)\n"},
		{"delete routing-instances ry-x", ""},
		{"commit confirmed 2", "configuration check succeeds\ncommit confirmed will be automatically rolled back in 2 minutes unless confirmed\ncommit complete\n\n# commit confirmed will be rolled back in 2 minutes\n"},
		{"commit", "configuration check succeeds\ncommit complete\n"},
		{"show | compare", ""},
		{"delete vlans v1", ""},
		{"commit check", "[edit interfaces et-0/0/0 unit 0 family ethernet-switching vlan]\n  'members v1'\n    VLAN v1 is not configured\nerror: configuration check-out failed\n"},
		{"rollback 0", "load complete\n"},
		{"show | compare", ""},
		{"exit configuration-mode", "Exiting configuration mode\n"},
		{"show configuration vlans | display set", "set vlans v1 vlan-id 2001\n"},
		{"show configuration interfaces et-0/0/0", "disable;\nmtu 9216;\nunit 0 {\n    family ethernet-switching {\n        vlan {\n            members v1;\n        }\n    }\n}\n"},
	}
	for _, c := range cases {
		if diff := cmp.Diff(c.want, run(c.cmd)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.cmd, diff)
		}
	}
	if p := d.Pending(); len(p) != 0 {
		t.Errorf("pending: %v", p)
	}
}

func TestSessions(t *testing.T) {
	d := New(base())
	a, b := login(t, d), login(t, d)
	if out := a("configure exclusive"); !strings.Contains(out, "Entering") {
		t.Fatal(out)
	}
	if out := b("configure exclusive"); !strings.HasPrefix(out, "error: configuration database locked by:") {
		t.Errorf("second exclusive session: %q", out)
	}
	a("set vlans v1 vlan-id 2001")
	if out := b("configure"); !strings.Contains(out, "locked") {
		t.Errorf("configure while locked: %q", out)
	}
	a("exit")
	if !strings.Contains(b("configure private"), "Entering") {
		t.Fatal("configure private after the lock went")
	}
	if out := b("commit confirmed 1"); !strings.Contains(out, "not supported on a private copy") {
		t.Errorf("commit confirmed in private mode: %q", out)
	}
	b("set vlans v2 vlan-id 2002")
	if got := d.Pending(); len(got) != 1 {
		t.Errorf("pending = %v, want the private session", got)
	}
	if out := b("commit and-quit"); !strings.Contains(out, "commit complete") {
		t.Fatal(out)
	}
	if !strings.Contains(d.Running(), "v2 {") || strings.Contains(d.Running(), "v1 {") {
		t.Errorf("running:\n%s", d.Running())
	}
	if p := d.Pending(); len(p) != 0 {
		t.Errorf("pending: %v", p)
	}
	if n := d.Commits(); n != 2 {
		t.Errorf("commits = %d", n)
	}
	a("configure")
	a("rollback 1")
	a("commit")
	if strings.Contains(d.Running(), "v2 {") {
		t.Error("rollback 1 did not take v2 away")
	}
}

func TestPortNames(t *testing.T) {
	for in, want := range map[string]string{"Ethernet1": "et-0/0/0", "Ethernet48": "et-0/0/47", "xe-0/0/9": "xe-0/0/9", "Ethernet0": "Ethernet0", "Ethernetx": "Ethernetx"} {
		if got := PortName(in); got != want {
			t.Errorf("PortName(%s) = %s, want %s", in, got, want)
		}
	}
}

// FuzzCLI feeds the fake arbitrary command lines in every mode: it must
// not panic, and a configuration it accepted must print and reparse.
func FuzzCLI(f *testing.F) {
	for _, s := range []string{"set vlans v1 vlan-id 2001", "delete interfaces", "show | compare", "commit confirmed 3", "rollback 1", "set interfaces irb unit 5 family inet address 10.0.0.1/24", "show configuration vlans | display set", "set policy-options policy-statement p term t then community add c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		d := New(base())
		run := login(t, d)
		run(line)
		run("configure")
		run(line)
		run("show | compare")
		run("commit")
		run("exit")
		for _, l := range strings.Split(d.RunningSet(), "\n") {
			if l == "" {
				continue
			}
			if _, msg, _ := parsePath(tokens(strings.TrimPrefix(l, "set ")), false); msg != "" {
				t.Fatalf("running config line %q does not parse: %s", l, msg)
			}
		}
	})
}

func TestConcurrentSessions(t *testing.T) {
	d := New(base())
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			cli, _ := d.Transport().CLI(context.Background(), drivers.Target{Username: "u"})
			defer cli.Close()
			for {
				out, _ := cli.Run(context.Background(), "configure exclusive")
				if strings.Contains(out, "Entering") {
					break
				}
			}
			cli.Run(context.Background(), fmt.Sprintf("set vlans v%d vlan-id %d", i, 2000+i))
			cli.Run(context.Background(), "commit and-quit")
			_ = d.Running()
			_ = d.Pending()
		}(i)
	}
	wg.Wait()
	for i := 0; i < 8; i++ {
		if !strings.Contains(d.Running(), fmt.Sprintf("vlan-id %d;", 2000+i)) {
			t.Errorf("vlan %d lost:\n%s", 2000+i, d.Running())
		}
	}
	if p := d.Pending(); len(p) != 0 {
		t.Errorf("pending: %v", p)
	}
}
