package opensm

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/railyard/railyard/drivers"
	"github.com/railyard/railyard/drivers/drivertest"
	"github.com/railyard/railyard/drivers/opensm/opensmfake"
	"github.com/railyard/railyard/internal/fabric"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func newFake(t *testing.T, base fabric.DeviceConfig) (drivers.Target, drivers.Transport, drivertest.Fake) {
	f := opensmfake.New(base)
	return drivers.Target{Device: base.Device, Address: opensmfake.PartitionsPath, Username: "root"}, f.Transport(), f
}

// drift removes a GUID from tenant a's partition, as an operator editing
// the file would.
func drift(t *testing.T, f drivertest.Fake, cfg fabric.DeviceConfig) {
	d := f.(*opensmfake.Device)
	s := d.Running()
	edited := strings.Replace(s, " 0x0c42a10300000101=full,", "", 1)
	if edited == s {
		t.Fatalf("no GUID to remove in:\n%s", s)
	}
	d.WriteFile(opensmfake.PartitionsPath, edited)
}

func TestConformance(t *testing.T) {
	drivertest.Run(t, drivertest.Harness{
		Driver:    Driver{},
		Kind:      fabric.SubnetManager,
		New:       newFake,
		Drift:     drift,
		FailPoint: "kill -HUP",
	})
}

func cfg(tenants ...string) fabric.DeviceConfig {
	return drivertest.Config(fabric.SubnetManager, Name, tenants...)
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./drivers/opensm -update)", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("%s differs (-golden +got):\n%s", name, d)
	}
}

func TestGolden(t *testing.T) {
	r, err := Driver{}.Render(cfg("a", "b", "c"))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "render-abc.txt", r)
	for _, c := range []struct {
		name     string
		from, to fabric.DeviceConfig
	}{
		{"commands-add-abc.txt", cfg(), cfg("a", "b", "c")},
		{"commands-remove-b.txt", cfg("a", "b"), cfg("a")},
	} {
		cmds, err := Driver{}.Commands(fabric.Diff(c.from, c.to), c.to)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, c.name, strings.Join(cmds, "\n")+"\n")
	}
	s, err := Splice(opensmfake.Header, cfg("a", "b"))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "splice-header-ab.txt", s)
}

func TestParse(t *testing.T) {
	const file = `# comment ; with a semicolon
Default=0x7fff,ipoib:ALL=limited,SELF=full;
ry-t0001 = 0x8101 , ipoib, mtu=4, rate=7, sl=0, defmember=full :
    0x0C42A10300000100,          # first
    0xc42a10300000101=limited ,
    ALL_SWITCHES=full
    ;
ry-t0001=0x0101, indx0 : 0x0c42a10300000102=both, 0x0c42a10300000100=limited ;
mcast=0x0002, ipoib, sl=0, scope=2 : mgid=ff12:401b::0707,sl=1 # IPv4
        mgid=ff12:601b::16
        ALL=full;
ry-nopkey : 0x1 ;
broken statement without colon ;
tail # no statement`
	f := Parse(file)
	var back strings.Builder
	for _, st := range f.Statements {
		back.WriteString(st.Lead + st.Text)
	}
	back.WriteString(f.Trailing)
	if back.String() != file {
		t.Errorf("statements do not reassemble the file:\n%s", cmp.Diff(file, back.String()))
	}
	want := []fabric.Partition{{PKey: 0x0101, Name: "ry-t0001", IPoIB: true, MTU: 4, Members: []fabric.Member{
		{GUID: "0c42a10300000100", Membership: "limited"},
		{GUID: "0c42a10300000101", Membership: "limited"},
		{GUID: "ALL_SWITCHES", Membership: "full"},
		{GUID: "0c42a10300000102", Membership: "both"},
	}}}
	if d := cmp.Diff(want, f.Partitions()); d != "" {
		t.Errorf("partitions (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"Default", "ry-t0001", "ry-t0001", "mcast", "ry-nopkey", ""}, names(f)); d != "" {
		t.Errorf("names (-want +got):\n%s", d)
	}
	if m := f.Statements[3].Members; len(m) != 1 || m[0].GUID != "ALL" {
		t.Errorf("multicast groups taken as members: %v", m)
	}
	if f.Trailing != "\ntail # no statement" {
		t.Errorf("trailing %q", f.Trailing)
	}
}

func names(f File) []string {
	var out []string
	for _, s := range f.Statements {
		out = append(out, s.Name)
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	for _, ts := range [][]string{{}, {"b"}, {"a", "b", "c"}} {
		c := cfg(ts...)
		r, err := Driver{}.Render(c)
		if err != nil {
			t.Fatal(err)
		}
		got := fabric.DeviceConfig{Partitions: Parse(r).Partitions()}
		if d := cmp.Diff(drivertest.Strip(fabric.DeviceConfig{Partitions: c.Partitions}), drivertest.Strip(got)); d != "" {
			t.Errorf("%v: parse(render) (-want +got):\n%s", ts, d)
		}
		if s, err := Splice(r, c); err != nil || s != r {
			t.Errorf("%v: splicing a rendered file changes it:\n%s", ts, cmp.Diff(r, s))
		}
	}
}

func connect(t *testing.T, f *opensmfake.Device) drivers.Conn {
	t.Helper()
	c, err := Driver{}.Connect(context.Background(), drivers.Target{Device: "sm1", Address: opensmfake.PartitionsPath, Password: drivertest.Password}, f.Transport())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func sync(t *testing.T, c drivers.Conn, desired fabric.DeviceConfig) drivers.Report {
	t.Helper()
	r := drivers.Sync(context.Background(), Driver{}, c, desired, drivers.SyncOptions{})
	if r.Err != nil {
		t.Fatalf("sync %v: %v", desired.Tenants(), r.Err)
	}
	return r
}

// TestDefaultNeverFull: a Default partition that lets every port (or a
// tenant's GUID) in as a full member is replaced, whatever else the
// file holds.
func TestDefaultNeverFull(t *testing.T) {
	for _, def := range []string{
		"Default=0x7fff, ipoib : ALL=full ;",
		"Default=0x7fff,ipoib,defmember=full:ALL_CAS;",
		"Default=0x7fff : SELF=full, 0x0c42a10300000201=both ;",
		"Default : ALL=full ;",
	} {
		t.Run(def, func(t *testing.T) {
			f := opensmfake.New(cfg())
			f.WriteFile(opensmfake.PartitionsPath, "# site file\n"+def+"\nmgmt=0x0002 : ALL=limited ;\n")
			c := connect(t, f)
			sync(t, c, cfg("a", "b"))
			got := Parse(f.Running())
			for _, st := range got.Statements {
				if st.IsDefault() && st.Text != DefaultLine {
					t.Errorf("Default left as %q", st.Text)
				}
			}
			if !strings.HasPrefix(f.Running(), "# site file\n"+DefaultLine+"\nmgmt=0x0002 : ALL=limited ;\n") {
				t.Errorf("operator's statements not kept:\n%s", f.Running())
			}
			if r := sync(t, c, cfg("a", "b")); r.Changed() {
				t.Errorf("second sync changed the file: %s", r.Drift)
			}
		})
	}
	// A safe Default of the operator's is kept as it is.
	f := opensmfake.New(cfg())
	c := connect(t, f)
	sync(t, c, cfg("a"))
	if !strings.Contains(f.Running(), "\nDefault=0x7fff, ipoib : SELF=full ;\n") {
		t.Errorf("Default changed:\n%s", f.Running())
	}
	r, _ := Driver{}.Render(cfg("a", "b", "c"))
	for _, st := range Parse(r).Statements {
		if st.IsDefault() && unsafeDefault(st, map[string]bool{"0c42a10300000100": true}) {
			t.Errorf("Render gives tenants full membership in Default: %s", st.Text)
		}
	}
}

// TestUnmanagedPreserved: the operator's statements and comments stay
// byte for byte through adds and removals, and statements the operator
// adds after Railyard's block are kept.
func TestUnmanagedPreserved(t *testing.T) {
	f := opensmfake.New(cfg())
	c := connect(t, f)
	sync(t, c, cfg("a", "b"))
	if !strings.HasPrefix(f.Running(), opensmfake.Header) {
		t.Fatalf("header changed:\n%s", f.Running())
	}
	f.WriteFile(opensmfake.PartitionsPath, f.Running()+"late=0x0003 :\n  0x0c42a103000000ff ; # added by hand\n")
	sync(t, c, cfg("a", "c"))
	sync(t, c, cfg())
	want := opensmfake.Header + "late=0x0003 :\n  0x0c42a103000000ff ; # added by hand\n"
	if got := f.Running(); got != want {
		t.Errorf("(-want +got):\n%s", cmp.Diff(want, got))
	}
}

// TestSIGHUPOncePerChange: opensm gets one SIGHUP for each apply that
// changes the file and none for a sync that finds nothing to do.
func TestSIGHUPOncePerChange(t *testing.T) {
	f := opensmfake.New(cfg())
	c := connect(t, f)
	changes := 0
	for _, ts := range [][]string{{"a"}, {"a"}, {"a", "b"}, {"a", "b"}, {"b"}, {}, {}} {
		r := sync(t, c, cfg(ts...))
		changes += r.Passes
		if got := f.HUPs(); got != changes {
			t.Fatalf("after %v: %d SIGHUPs for %d changing applies", ts, got, changes)
		}
		if f.Loaded() != f.Running() {
			t.Fatalf("after %v opensm has not read the file", ts)
		}
	}
	if changes != 4 {
		t.Errorf("%d changing applies, want 4", changes)
	}
}

// TestRollbackAtEveryStep fails each command of an apply in turn.
func TestRollbackAtEveryStep(t *testing.T) {
	for _, step := range []string{"printf", "cp -p", "mv -f", "kill -HUP", "rm -f"} {
		t.Run(step, func(t *testing.T) {
			f := opensmfake.New(cfg())
			c := connect(t, f)
			sync(t, c, cfg("a"))
			before, hups := f.Running(), f.HUPs()
			f.FailOn(step)
			r := drivers.Sync(context.Background(), Driver{}, c, cfg("a", "b"), drivers.SyncOptions{})
			if r.Err == nil {
				t.Fatal("apply succeeded")
			}
			if step == "rm -f" {
				// The change is in; only the backup is left.
				if !strings.Contains(r.Err.Error(), "the change was applied") || f.HUPs() != hups+1 {
					t.Errorf("err %v, %d SIGHUPs", r.Err, f.HUPs()-hups)
				}
				return
			}
			if !strings.Contains(r.Err.Error(), "left as it was") {
				t.Errorf("error does not say the file was restored: %v", r.Err)
			}
			if d := cmp.Diff(before, f.Running()); d != "" {
				t.Errorf("file changed:\n%s", d)
			}
			if f.HUPs() != hups {
				t.Errorf("opensm was signalled")
			}
			if p := f.Pending(); len(p) > 0 {
				t.Errorf("left behind: %v", p)
			}
		})
	}
}

// TestMissingFile: a host without a partition file gets one with the
// Default partition; a failed first apply removes what it wrote.
func TestMissingFile(t *testing.T) {
	f := opensmfake.New(cfg())
	f.RemoveFile(opensmfake.PartitionsPath)
	c := connect(t, f)
	f.FailOn("kill -HUP")
	if r := drivers.Sync(context.Background(), Driver{}, c, cfg("a"), drivers.SyncOptions{}); r.Err == nil {
		t.Fatal("apply succeeded")
	}
	if f.Running() != "" || len(f.Pending()) > 0 {
		t.Fatalf("failed first apply left %q, %v", f.Running(), f.Pending())
	}
	sync(t, c, cfg("a"))
	want, _ := Driver{}.Render(cfg("a"))
	if f.Running() != want {
		t.Errorf("(-want +got):\n%s", cmp.Diff(want, f.Running()))
	}
}

// TestMissingPIDFile: without opensm's pid file the apply fails (kill
// prints its usage after cat's error) and the file is put back.
func TestMissingPIDFile(t *testing.T) {
	f := opensmfake.New(cfg())
	f.RemoveFile(opensmfake.PIDPath)
	c := connect(t, f)
	before := f.Running()
	r := drivers.Sync(context.Background(), Driver{}, c, cfg("a"), drivers.SyncOptions{})
	if r.Err == nil || !strings.Contains(r.Err.Error(), "opensm.pid: No such file or directory") {
		t.Fatalf("got %v", r.Err)
	}
	if f.Running() != before {
		t.Error("file changed")
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*fabric.DeviceConfig)
		want string
	}{
		{"default pkey", func(c *fabric.DeviceConfig) { c.Partitions[0].PKey = 0x7fff }, "outside 0x0001-0x7ffe"},
		{"duplicate pkey", func(c *fabric.DeviceConfig) { c.Partitions[1].PKey = c.Partitions[0].PKey }, "already used by ry-t0001"},
		{"unowned name", func(c *fabric.DeviceConfig) { c.Partitions[0].Name = "t0001" }, "must start with"},
		{"name with a colon", func(c *fabric.DeviceConfig) { c.Partitions[0].Name = "ry-a:b" }, "must start with"},
		{"bad GUID", func(c *fabric.DeviceConfig) { c.Partitions[0].Members[0].GUID = "0c42'a1" }, "not a port GUID"},
		{"both", func(c *fabric.DeviceConfig) { c.Partitions[0].Members[0].Membership = "both" }, "neither full nor limited"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := cfg("a", "b")
			c.edit(&d)
			_, err := Driver{}.Commands(fabric.Diff(cfg(), d), d)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
}

type stubCLI struct{ out string }

func (s stubCLI) Run(_ context.Context, cmd string) (string, error) {
	if strings.HasPrefix(cmd, "cat ") {
		return "", nil
	}
	return s.out, nil
}
func (stubCLI) Close() error { return nil }

func TestErrorMarkersAndSecrets(t *testing.T) {
	for _, out := range []string{
		"bash: /etc/opensm/partitions.conf.ry-new: Read-only file system\n",
		"mv: cannot move 'a' to 'b': Permission denied\n",
		"bash: kill: (2417) - No such process\n",
		"sudo: a password is required for " + drivertest.Password + "\nbash: printf: command not found\n",
	} {
		tr := drivers.Transport{CLI: func(context.Context, drivers.Target) (drivers.CLI, error) { return stubCLI{out}, nil }}
		c, err := Driver{}.Connect(context.Background(), drivers.Target{Device: "sm1", Password: drivertest.Password}, tr)
		if err != nil {
			t.Fatal(err)
		}
		d := cfg("a")
		err = c.Apply(context.Background(), fabric.Diff(cfg(), d), d)
		if err == nil {
			t.Errorf("%q was not taken as a failure", out)
		} else if strings.Contains(err.Error(), drivertest.Password) {
			t.Errorf("error shows the password: %v", err)
		}
	}
	tr := drivers.Transport{CLI: func(context.Context, drivers.Target) (drivers.CLI, error) {
		return nil, errors.New("ssh: auth failed for root:" + drivertest.Password)
	}}
	if _, err := (Driver{}).Connect(context.Background(), drivers.Target{Device: "sm1", Password: drivertest.Password}, tr); err == nil || strings.Contains(err.Error(), drivertest.Password) {
		t.Errorf("connect error: %v", err)
	}
}
