package discovery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/railyard/railyard/internal/model"
)

// flaky is a fake fleet of devices keyed by host: each answers per its
// behaviour, counting the attempts it saw and the most callers at once.
type flaky struct {
	mu       sync.Mutex
	attempts map[string]int
	inflight int32
	peak     int32
	delay    time.Duration
}

func (f *flaky) Discover(ctx context.Context, t Target, c Credentials) (*model.Observation, error) {
	n := atomic.AddInt32(&f.inflight, 1)
	defer atomic.AddInt32(&f.inflight, -1)
	for {
		p := atomic.LoadInt32(&f.peak)
		if n <= p || atomic.CompareAndSwapInt32(&f.peak, p, n) {
			break
		}
	}
	f.mu.Lock()
	f.attempts[t.Host]++
	attempt := f.attempts[t.Host]
	f.mu.Unlock()
	select {
	case <-time.After(f.delay):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	switch {
	case strings.HasPrefix(t.Host, "ok"):
		return &model.Observation{Nodes: []model.NodeFacts{{Serial: t.Host}}}, nil
	case strings.HasPrefix(t.Host, "second"): // answers on the second attempt
		if attempt < 2 {
			return nil, Errorf(Unreachable, "connection refused")
		}
		return &model.Observation{Nodes: []model.NodeFacts{{Serial: t.Host}}}, nil
	case strings.HasPrefix(t.Host, "down"):
		return nil, Errorf(Unreachable, "connection refused")
	case strings.HasPrefix(t.Host, "locked"):
		if c.Password != "right" {
			return nil, Errorf(Unauthorized, "401 Unauthorized")
		}
		return &model.Observation{}, nil
	case strings.HasPrefix(t.Host, "garbage"):
		return nil, Errorf(Malformed, "bad JSON at offset 3")
	case strings.HasPrefix(t.Host, "hang"):
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return nil, errors.New("unexpected host")
}

var fake = &flaky{attempts: map[string]int{}}

func init() { Register("fake", "fake", fake) }

func targets(t *testing.T, hosts ...string) []Target {
	var out []Target
	for _, h := range hosts {
		tg, err := ParseTarget("fake://" + h)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tg)
	}
	return out
}

func TestRunner_ClassifiesRetriesAndSummarizes(t *testing.T) {
	*fake = flaky{attempts: map[string]int{}}
	t.Setenv("RIGHT", "admin:right")
	ts := targets(t, "ok-1", "second-1", "down-1", "locked-1", "garbage-1", "hang-1", "locked-2")
	ts[6].Credential = "env:RIGHT"
	var progress []int
	r := Runner{Concurrency: 4, Timeout: 200 * time.Millisecond, Retries: 2, Backoff: time.Millisecond,
		Progress: func(done, total int, _ Result) { progress = append(progress, done) }}
	res := r.Run(context.Background(), ts)
	type row struct {
		Host     string
		Kind     Kind
		Attempts int
	}
	var got []row
	for _, x := range res {
		got = append(got, row{x.Target.Host, x.Kind, x.Attempts})
	}
	want := []row{
		{"ok-1", "", 1},
		{"second-1", "", 2},
		{"down-1", Unreachable, 3},
		{"locked-1", Unauthorized, 1},
		{"garbage-1", Malformed, 1},
		{"hang-1", Unreachable, 3},
		{"locked-2", "", 1},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("results (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]int{1, 2, 3, 4, 5, 6, 7}, progress); d != "" {
		t.Errorf("progress (-want +got):\n%s", d)
	}
	s := Summarize(res)
	if s.Targets != 7 || s.Found != 3 || s.Unreachable != 2 || s.Failed != 2 || len(s.Failures) != 4 {
		t.Errorf("summary = %+v", s)
	}
	if !strings.Contains(s.Failures[3].Reason, "no answer within 200ms") {
		t.Errorf("hang reason = %q", s.Failures[3].Reason)
	}
	obs := Observations(res)
	if len(obs) != 3 || obs[0].Source != "fake" || obs[0].Target != "fake://ok-1" || obs[0].At.IsZero() {
		t.Errorf("observations = %+v", obs)
	}
	if obs[2].Hints.Credential != "env:RIGHT" {
		t.Errorf("credential reference not carried: %+v", obs[2].Hints)
	}
}

func TestRunner_BoundsConcurrency(t *testing.T) {
	*fake = flaky{attempts: map[string]int{}, delay: 10 * time.Millisecond}
	var hosts []string
	for i := range 40 {
		hosts = append(hosts, fmt.Sprintf("ok-%d", i))
	}
	r := Runner{Concurrency: 5}
	res := r.Run(context.Background(), targets(t, hosts...))
	if s := Summarize(res); s.Found != 40 {
		t.Fatalf("found %d of 40", s.Found)
	}
	if p := atomic.LoadInt32(&fake.peak); p > 5 || p < 2 {
		t.Errorf("peak concurrency %d, want 2..5", p)
	}
}

func TestRunner_UnknownSchemeAndMissingCredential(t *testing.T) {
	a, _ := ParseTarget("nosuch://x")
	b, _ := ParseTarget("fake://ok-1")
	b.Credential = "env:RAILYARD_TEST_UNSET_CREDENTIAL"
	res := (&Runner{}).Run(context.Background(), []Target{a, b})
	if res[0].Kind != Failed || !strings.Contains(res[0].Err.Error(), `no source for scheme "nosuch"`) {
		t.Errorf("unknown scheme: %v %v", res[0].Kind, res[0].Err)
	}
	if res[1].Kind != Failed || !strings.Contains(res[1].Err.Error(), "RAILYARD_TEST_UNSET_CREDENTIAL is not set") {
		t.Errorf("missing credential: %v %v", res[1].Kind, res[1].Err)
	}
}

func TestParseTargets(t *testing.T) {
	in := `# rack 12
redfish://10.0.0.5  credential=env:BMC hostname=gpu-001 rack=r12
snmp://10.0.1.1:1161?version=3 role=leaf fabric=eth   # a leaf
ssh+eos://leaf-2 insecure=true
`
	got, err := ParseTargets(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var urls []string
	for _, g := range got {
		urls = append(urls, g.String())
	}
	if d := cmp.Diff([]string{"redfish://10.0.0.5", "snmp://10.0.1.1:1161?version=3", "ssh+eos://leaf-2"}, urls); d != "" {
		t.Errorf("urls (-want +got):\n%s", d)
	}
	if got[0].Credential != "env:BMC" || got[0].Hints.Hostname != "gpu-001" || got[0].Hints.Rack != "r12" ||
		got[1].Port != 1161 || got[1].Hints.Role != "leaf" || !got[2].Insecure {
		t.Errorf("parsed = %+v", got)
	}
	for _, bad := range []string{
		"redfish://admin:secret@10.0.0.5",
		"10.0.0.5",
		"redfish://10.0.0.5 color=blue",
		"redfish://10.0.0.5 credential=secret",
		"ipmi://host:99999",
	} {
		_, err := ParseTargets(strings.NewReader(bad))
		if err == nil {
			t.Errorf("%q: no error", bad)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("%q: the error repeats the secret: %v", bad, err)
		}
	}
}

func TestCredentials(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "snmp")
	os.WriteFile(file, []byte("username=ops\npassword=authpass1\nauth_protocol=sha\npriv_protocol=aes\npriv_password=privpass1\n"), 0o600)
	t.Setenv("BMC", "root:hunter22")
	c, err := ResolveCredentials("env:BMC")
	if err != nil || c.Username != "root" || c.Password != "hunter22" {
		t.Errorf("env: %+v %v", c, err)
	}
	c, err = ResolveCredentials("file:" + file)
	if err != nil || c.Username != "ops" || c.AuthProtocol != "SHA" || c.PrivProtocol != "AES" || c.PrivPassword != "privpass1" {
		t.Errorf("file: %v", err)
	}
	// Credentials never print.
	js, _ := json.Marshal(struct{ C Credentials }{c})
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%+v %#v %v", c, c, &c), string(js)} {
		if strings.Contains(s, "pass") || strings.Contains(s, "ops") {
			t.Errorf("credentials leak: %s", s)
		}
	}
	if _, err := ResolveCredentials("file:" + filepath.Join(dir, "missing")); err == nil || strings.Contains(err.Error(), "hunter") {
		t.Errorf("missing file: %v", err)
	}
	os.WriteFile(file, []byte("color=blue\n"), 0o600)
	if _, err := ResolveCredentials("file:" + file); err == nil || strings.Contains(err.Error(), "blue") {
		t.Errorf("bad key: %v", err)
	}
}

// FuzzParseTargets: any input gives targets that render and re-parse to
// themselves, or an error that never repeats a password from the input.
func FuzzParseTargets(f *testing.F) {
	f.Add("redfish://10.0.0.5 credential=env:BMC hostname=a rack=b\n# c\nsnmp://h:161?version=3 role=leaf\n")
	f.Add("ipmi://[::1]:623\nssh+eos://leaf insecure=1")
	f.Add("redfish://u:pw@h")
	f.Fuzz(func(t *testing.T, in string) {
		ts, err := ParseTargets(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, tg := range ts {
			again, err := ParseTarget(tg.String())
			if err != nil {
				t.Fatalf("%q renders as %q, which does not parse: %v", in, tg.String(), err)
			}
			if again.String() != tg.String() {
				t.Fatalf("%q → %q → %q", in, tg.String(), again.String())
			}
		}
	})
}

// FuzzCredentials: parsing never panics, and errors never quote the input.
func FuzzCredentials(f *testing.F) {
	f.Add("root:calvin")
	f.Add("username=a\npassword=b\ncommunity=c\n")
	f.Add("x=supersecret")
	f.Fuzz(func(t *testing.T, raw string) {
		_, err := parseCredentials(raw)
		if err != nil && len(raw) > 8 && strings.Contains(err.Error(), raw) {
			t.Fatalf("error quotes the secret: %v", err)
		}
	})
}
