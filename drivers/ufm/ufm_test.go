package ufm

import (
	"context"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/railyard/railyard/drivers"
	"github.com/railyard/railyard/drivers/drivertest"
	"github.com/railyard/railyard/drivers/ufm/ufmfake"
	"github.com/railyard/railyard/internal/fabric"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

const user = "railyard"

// newFake starts a fake UFM reached in process.
func newFake(t *testing.T, base fabric.DeviceConfig) (drivers.Target, drivers.Transport, drivertest.Fake) {
	t.Helper()
	d := ufmfake.New(base)
	d.SetCredentials(user, drivertest.Password)
	return drivers.Target{Device: base.Device, Address: "https://ufm-" + base.Device + ".example", Username: user}, d.Transport(), d
}

// failPoint is the member add of tenant b's partition, after its create:
// the apply has something to undo.
const failPoint = `POST /ufmRest/resources/pkeys {"pkey":"0x0102"`

func TestConformance(t *testing.T) {
	drivertest.Run(t, drivertest.Harness{
		Driver: Driver{},
		Kind:   fabric.SubnetManager,
		New:    newFake,
		Drift: func(t *testing.T, f drivertest.Fake, cfg fabric.DeviceConfig) {
			p := cfg.Partitions[0]
			f.(*ufmfake.Device).RemoveGUIDs(p.PKey, p.Members[0].GUID)
		},
		FailPoint: failPoint,
	})
}

func config(tenants ...string) fabric.DeviceConfig {
	return drivertest.Config(fabric.SubnetManager, Name, tenants...)
}

// lab is a fake UFM and a connection to it.
type lab struct {
	t    *testing.T
	dev  *ufmfake.Device
	tgt  drivers.Target
	tr   drivers.Transport
	conn drivers.Conn
}

func newLab(t *testing.T) *lab {
	t.Helper()
	dev := ufmfake.New(config())
	dev.SetCredentials(user, drivertest.Password)
	l := &lab{t: t, dev: dev, tr: dev.Transport(),
		tgt: drivers.Target{Device: "sm1", Address: "https://ufm.example/", Username: user, Password: drivertest.Password}}
	c, err := Driver{}.Connect(context.Background(), l.tgt, l.tr)
	if err != nil {
		t.Fatal(err)
	}
	l.conn = c
	return l
}

func (l *lab) sync(cfg fabric.DeviceConfig) drivers.Report {
	l.t.Helper()
	return drivers.Sync(context.Background(), Driver{}, l.conn, cfg, drivers.SyncOptions{})
}

func (l *lab) mustSync(cfg fabric.DeviceConfig) drivers.Report {
	l.t.Helper()
	r := l.sync(cfg)
	if r.Err != nil {
		l.t.Fatalf("sync: %v", r.Err)
	}
	return r
}

func (l *lab) observe(scope fabric.DeviceConfig) fabric.DeviceConfig {
	l.t.Helper()
	o, err := l.conn.Observe(context.Background(), scope)
	if err != nil {
		l.t.Fatal(err)
	}
	return o
}

// writes lists the requests that changed something, from index from.
func (l *lab) writes(from int) []string {
	var out []string
	for _, r := range l.dev.Requests()[from:] {
		if !strings.HasPrefix(r, "GET ") {
			out = append(out, r)
		}
	}
	return out
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
		t.Fatalf("%v (run go test ./drivers/ufm -update)", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, d)
	}
}

// storage is a shared storage partition: targets full, tenant HCAs
// limited.
func storage() fabric.Partition {
	return fabric.Partition{PKey: 0x0f00, Name: "ry-storage", IPoIB: true, MTU: 5, Members: []fabric.Member{
		{GUID: "0c42a10300ff0001", Membership: fabric.Full},
		{GUID: "0c42a10300000100", Membership: fabric.Limited},
		{GUID: "0c42a10300000200", Membership: fabric.Limited},
	}}
}

func TestGolden(t *testing.T) {
	abc := config("a", "b", "c")
	r, err := Driver{}.Render(abc)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "render_abc.txt", r)

	withStorage := abc.Clone()
	withStorage.Partitions = append(withStorage.Partitions, storage())
	withStorage.Normalize()

	// members: tenant a loses a GUID and one turns limited; b gains one.
	members := abc.Clone()
	members.Partitions[0].Members = members.Partitions[0].Members[1:]
	members.Partitions[0].Members[0].Membership = fabric.Limited
	members.Partitions[1].Members = append(members.Partitions[1].Members, fabric.Member{GUID: "0C42A10300000203", Membership: fabric.Full})
	members.Normalize()

	// a's MTU drops to 2048; b is renamed; c loses every member.
	other := abc.Clone()
	other.Partitions[0].MTU = 4
	other.Partitions[1].Name = "ry-t0002-renamed"
	other.Partitions[2].Members = nil

	for _, c := range []struct {
		name     string
		from, to fabric.DeviceConfig
	}{
		{"commands_add_abc.txt", config(), abc},
		{"commands_remove_b.txt", abc, config("a", "c")},
		{"commands_add_storage.txt", abc, withStorage},
		{"commands_members.txt", abc, members},
		{"commands_mtu_rename_empty.txt", abc, other},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmds, err := Driver{}.Commands(fabric.Diff(c.from, c.to), c.to)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, c.name, strings.Join(cmds, "\n")+"\n")
		})
	}
}

// TestCommandsAreWhatApplySends: the dry run shows exactly the requests
// Apply makes, for each golden change.
func TestCommandsAreWhatApplySends(t *testing.T) {
	abc := config("a", "b", "c")
	other := abc.Clone()
	other.Partitions[0].MTU = 4
	other.Partitions[1].Name = "ry-t0002-renamed"
	other.Partitions[2].Members = nil
	for _, c := range []struct {
		name     string
		from, to fabric.DeviceConfig
	}{
		{"add", config(), abc},
		{"remove", abc, config("b")},
		{"change", abc, other},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := newLab(t)
			l.mustSync(c.from)
			ch := fabric.Diff(l.observe(c.to), c.to)
			want, err := Driver{}.Commands(ch, c.to)
			if err != nil {
				t.Fatal(err)
			}
			n := len(l.dev.Requests())
			if err := l.conn.Apply(context.Background(), ch, c.to); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want, l.writes(n)); d != "" {
				t.Errorf("Apply sent other requests than Commands shows (-commands +sent):\n%s", d)
			}
		})
	}
}

func TestValidation(t *testing.T) {
	part := func(f func(p *fabric.Partition)) fabric.DeviceConfig {
		c := config("a")
		f(&c.Partitions[0])
		return c
	}
	for _, c := range []struct {
		name string
		cfg  fabric.DeviceConfig
		want string
	}{
		{"default pkey", part(func(p *fabric.Partition) { p.PKey = 0x7fff }), "out of range"},
		{"pkey 0", part(func(p *fabric.Partition) { p.PKey = 0 }), "out of range"},
		{"pkey beyond 15 bits", part(func(p *fabric.Partition) { p.PKey = 0x8001 }), "out of range"},
		{"not owned", part(func(p *fabric.Partition) { p.Name = "t0001" }), `does not start with "ry-"`},
		{"short guid", part(func(p *fabric.Partition) { p.Members[0].GUID = "0c42a103" }), "16 to 20 hex digits"},
		{"not hex", part(func(p *fabric.Partition) { p.Members[0].GUID = "0c42a1030000zz00" }), "16 to 20 hex digits"},
		{"same guid in two cases", part(func(p *fabric.Partition) {
			p.Members = append(p.Members, fabric.Member{GUID: strings.ToUpper(p.Members[0].GUID), Membership: fabric.Full})
		}), "listed twice"},
		{"membership", part(func(p *fabric.Partition) { p.Members[0].Membership = "both" }), `membership "both"`},
		{"mtu", part(func(p *fabric.Partition) { p.MTU = 3 }), "mtu code 3"},
		{"ports", func() fabric.DeviceConfig { c := config("a"); c.Ports = []fabric.Port{{Name: "Ethernet1"}}; return c }(), "partitions only"},
		{"duplicate pkey", func() fabric.DeviceConfig {
			c := config("a")
			c.Partitions = append(c.Partitions, fabric.Partition{PKey: c.Partitions[0].PKey, Name: "ry-other", MTU: 5})
			return c
		}(), "share pkey"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Driver{}.Commands(fabric.Diff(config(), c.cfg), c.cfg)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Commands: got %v, want an error with %q", err, c.want)
			}
			if _, err := (Driver{}).Render(c.cfg); err == nil {
				t.Error("Render accepted it")
			}
		})
	}
}

// TestCaseInsensitiveGUIDs: desired GUIDs in upper case converge, are
// sent lower-cased, and are observed in the desired spelling.
func TestCaseInsensitiveGUIDs(t *testing.T) {
	l := newLab(t)
	cfg := config("a")
	for i := range cfg.Partitions[0].Members {
		cfg.Partitions[0].Members[i].GUID = strings.ToUpper(cfg.Partitions[0].Members[i].GUID)
	}
	cfg.Normalize()
	l.mustSync(cfg)
	if r := l.mustSync(cfg); r.Changed() {
		t.Fatalf("second sync changed UFM: %s", r.Drift)
	}
	if d := cmp.Diff(drivertest.Strip(cfg), drivertest.Strip(l.observe(cfg))); d != "" {
		t.Errorf("observed (-want +got):\n%s", d)
	}
	if run := l.dev.Running(); !strings.Contains(run, `"guid": "0c42a10300000100"`) {
		t.Errorf("UFM does not hold the GUID lower-cased:\n%s", run)
	}
}

// TestCreateIsIdempotent: an apply planned from a stale read (the
// partition is there already) does not create it again.
func TestCreateIsIdempotent(t *testing.T) {
	l := newLab(t)
	cfg := config("a")
	l.mustSync(cfg)
	n := len(l.dev.Requests())
	if err := l.conn.Apply(context.Background(), fabric.Diff(config(), cfg), cfg); err != nil {
		t.Fatalf("apply of a partition that exists: %v", err)
	}
	if w := l.writes(n); len(w) != 0 {
		t.Errorf("apply re-sent requests for a partition UFM holds: %q", w)
	}
}

// TestForeignPartitions: partitions Railyard does not own (the default
// one, an operator's) are never touched, and a PKey an operator holds
// is refused rather than taken over.
func TestForeignPartitions(t *testing.T) {
	l := newLab(t)
	op := fabric.Partition{PKey: 0x0f01, Name: "storage-ib", IPoIB: true, MTU: 5,
		Members: []fabric.Member{{GUID: "0c42a10300ff0009", Membership: fabric.Full}, {GUID: "0c42a10300000100", Membership: fabric.Limited}}}
	l.dev.Put(op)
	start := l.dev.Running()
	l.mustSync(config("a", "b"))
	if o := l.observe(config()); len(o.Partitions) != 2 {
		t.Errorf("observed %d partitions, want tenant a's and b's only: %+v", len(o.Partitions), o.Partitions)
	}
	l.mustSync(config())
	if d := cmp.Diff(start, l.dev.Running()); d != "" {
		t.Errorf("add and remove of tenants changed other partitions (-before +after):\n%s", d)
	}

	taken := config("a")
	taken.Partitions[0].PKey = op.PKey
	r := l.sync(taken)
	if r.Err == nil || !strings.Contains(r.Err.Error(), `held by partition "storage-ib"`) {
		t.Fatalf("sync onto an operator's pkey: %v", r.Err)
	}
	if d := cmp.Diff(start, l.dev.Running()); d != "" {
		t.Errorf("refused sync changed UFM:\n%s", d)
	}
}

// TestLimitedMembership: a storage partition with full targets and
// limited tenant members round-trips, in one member request.
func TestLimitedMembership(t *testing.T) {
	l := newLab(t)
	cfg := config("a")
	cfg.Partitions = append(cfg.Partitions, storage())
	cfg.Normalize()
	n := len(l.dev.Requests())
	l.mustSync(cfg)
	if d := cmp.Diff(drivertest.Strip(cfg), drivertest.Strip(l.observe(cfg))); d != "" {
		t.Errorf("observed (-want +got):\n%s", d)
	}
	if w := l.writes(n); len(w) != 4 {
		t.Errorf("%d requests for two new partitions, want 4 (create + members each): %q", len(w), w)
	}
	// Turning a limited member full is one PUT.
	cfg.Partitions[1].Members[0].Membership = fabric.Full
	n = len(l.dev.Requests())
	l.mustSync(cfg)
	w := l.writes(n)
	if len(w) != 1 || !strings.HasPrefix(w[0], "PUT /ufmRest/resources/pkeys {") {
		t.Errorf("membership change sent %q, want one PUT", w)
	}
}

// TestDeleteAfterEmpty: a partition with members is emptied before it
// is deleted (UFM refuses to delete one with GUIDs).
func TestDeleteAfterEmpty(t *testing.T) {
	l := newLab(t)
	l.mustSync(config("a", "b"))
	n := len(l.dev.Requests())
	l.mustSync(config("a"))
	want := []string{
		"DELETE /ufmRest/resources/pkeys/0x0102/guids/0c42a10300000200,0c42a10300000201,0c42a10300000202",
		"DELETE /ufmRest/resources/pkeys/0x0102",
	}
	if d := cmp.Diff(want, l.writes(n)); d != "" {
		t.Errorf("removal (-want +got):\n%s", d)
	}
}

func TestMTUAndRename(t *testing.T) {
	l := newLab(t)
	cfg := config("a", "b")
	l.mustSync(cfg)
	cfg.Partitions[0].MTU = 4
	cfg.Partitions[1].Name = "ry-t0002-new"
	cfg.Partitions[1].IPoIB = false
	l.mustSync(cfg)
	if d := cmp.Diff(drivertest.Strip(cfg), drivertest.Strip(l.observe(cfg))); d != "" {
		t.Errorf("observed (-want +got):\n%s", d)
	}
	if r := l.mustSync(cfg); r.Changed() {
		t.Errorf("not converged: %s", r.Drift)
	}
}

// TestRollback: a failure part-way undoes what was done; the error says
// whether UFM is back as it was.
func TestRollback(t *testing.T) {
	abc := config("a", "b", "c")
	changed := abc.Clone()
	changed.Partitions[0].MTU = 4
	changed.Partitions[0].Members = changed.Partitions[0].Members[:1]
	changed.Partitions[1].Name = "ry-renamed"
	for _, c := range []struct {
		name     string
		from, to fabric.DeviceConfig
		inject   func(d *ufmfake.Device)
		want     string
	}{
		{"500 on the last request", abc, changed, func(d *ufmfake.Device) { d.FailOn(`POST /ufmRest/resources/pkeys {"pkey":"0x0102"`) },
			"restored: undid 5 requests"},
		{"error body with 200", config("a"), abc, func(d *ufmfake.Device) { d.ErrorBodyOn(`POST /ufmRest/resources/pkeys {"pkey":"0x0103"`) },
			"HTTP 200 with an error"},
		{"the undo fails too", config("a"), abc, func(d *ufmfake.Device) {
			d.FailOn(`POST /ufmRest/resources/pkeys {"pkey":"0x0103"`)
			d.FailOn("DELETE /ufmRest/resources/pkeys/0x0102/guids")
		}, "NOT RESTORED: after undoing 3 requests, partitions 0x0102 differ"},
		{"removal fails after members went", abc, config("a"), func(d *ufmfake.Device) { d.FailOn("DELETE /ufmRest/resources/pkeys/0x0103") },
			"restored"},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := newLab(t)
			l.mustSync(c.from)
			before := l.dev.Running()
			c.inject(l.dev)
			r := l.sync(c.to)
			if r.Err == nil {
				t.Fatal("sync succeeded")
			}
			if !strings.Contains(r.Err.Error(), c.want) {
				t.Errorf("error %q does not say %q", r.Err, c.want)
			}
			if strings.Contains(c.want, "NOT RESTORED") {
				return
			}
			if d := cmp.Diff(before, l.dev.Running()); d != "" {
				t.Errorf("failed apply changed UFM (-before +after):\n%s", d)
			}
		})
	}
}

// TestSecrets: the password appears in no error, whatever UFM answers.
func TestSecrets(t *testing.T) {
	dev := ufmfake.New(config())
	dev.SetCredentials(user, "another-password")
	tgt := drivers.Target{Device: "sm1", Address: "https://ufm.example", Username: user, Password: drivertest.Password}
	_, err := Driver{}.Connect(context.Background(), tgt, dev.Transport())
	if err == nil || !strings.Contains(err.Error(), "HTTP 401") {
		t.Fatalf("connect with a wrong password: %v", err)
	}
	if strings.Contains(err.Error(), drivertest.Password) {
		t.Errorf("error shows the password: %v", err)
	}

	// A UFM (or a proxy) that echoes the credentials in its error.
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, p, _ := r.BasicAuth()
		w.WriteHeader(500)
		w.Write([]byte(`{"error": "bad request from ` + p + `"}`)) //nolint:errcheck
	}))
	defer echo.Close()
	tgt.Address = echo.URL
	_, err = Driver{}.Connect(context.Background(), tgt, drivers.Transport{HTTP: echo.Client()})
	if err == nil {
		t.Fatal("connect succeeded")
	}
	if strings.Contains(err.Error(), drivertest.Password) || !strings.Contains(err.Error(), "REDACTED") {
		t.Errorf("error: %v", err)
	}
	tgt.Address = "https://user:" + drivertest.Password + "@ufm.example"
	c, err := Driver{}.Connect(context.Background(), tgt, dev.Transport())
	if err == nil {
		c.Close()
	} else if strings.Contains(err.Error(), drivertest.Password) {
		t.Errorf("error shows the password from the address: %v", err)
	}
}

// TestOverHTTP runs a sync over a real loopback HTTP server.
func TestOverHTTP(t *testing.T) {
	dev := ufmfake.New(config())
	dev.SetCredentials(user, drivertest.Password)
	srv := httptest.NewTLSServer(dev)
	defer srv.Close()
	tgt := drivers.Target{Device: "sm1", Address: srv.URL, Username: user, Password: drivertest.Password}
	m := &drivers.Meter{}
	tr := m.Wrap(drivers.Transport{HTTP: srv.Client()})
	c, err := Driver{}.Connect(context.Background(), tgt, tr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cfg := config("a", "b")
	if r := drivers.Sync(context.Background(), Driver{}, c, cfg, drivers.SyncOptions{}); r.Err != nil || r.Passes != 1 {
		t.Fatalf("sync: passes %d, %v", r.Passes, r.Err)
	}
	// connect 1; observe 2; apply: read 1 + 4 writes; observe 2.
	if n := m.Total(); n != 10 {
		t.Errorf("%d requests, want 10: %v", n, dev.Requests())
	}
}

// TestObserveCache: a long-lived connection re-reads the partitions
// only when last_updated moved.
func TestObserveCache(t *testing.T) {
	l := newLab(t)
	cfg := config("a")
	l.mustSync(cfg)
	l.observe(cfg)
	n := len(l.dev.Requests())
	l.observe(cfg)
	if got := l.dev.Requests()[n:]; len(got) != 1 || got[0] != "GET "+pathLastUpdated {
		t.Errorf("unchanged UFM: observe sent %q, want the last_updated poll only", got)
	}
	l.dev.RemoveGUIDs(0x0101, "0c42a10300000100")
	if o := l.observe(cfg); len(o.Partitions[0].Members) != 2 {
		t.Errorf("out-of-band removal not seen: %+v", o.Partitions)
	}
}
