package ufmfake

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/railyard/railyard/internal/fabric"
)

type call struct {
	method, path, body string
	// status and a substring of the answer
	status int
	want   string
}

func do(t *testing.T, d *Device, c call, user, pass string) (int, string) {
	t.Helper()
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	r := httptest.NewRequest(c.method, c.path, body)
	if user != "" {
		r.SetBasicAuth(user, pass)
	}
	w := httptest.NewRecorder()
	d.ServeHTTP(w, r)
	return w.Code, w.Body.String()
}

const (
	create101 = `{"pkey":"0x101","partition_name":"ry-t0001","index0":true,"ip_over_ib":true,"mtu_limit":4,"service_level":0}`
	guids101  = `{"pkey":"0x0101","guids":["0C42A10300000100","0c42a10300000101"],"memberships":["full","limited"],"index0":true,"ip_over_ib":true}`
)

// TestQuirks plays request sequences against a fresh fake and checks
// each answer: the documented UFM behaviours the driver depends on.
func TestQuirks(t *testing.T) {
	for _, c := range []struct {
		name  string
		calls []call
	}{
		{"missing pkey reads as {}", []call{{"GET", "/ufmRest/resources/pkeys/0x123?guids_data=true", "", 200, "{}"}}},
		{"create twice", []call{
			{"POST", "/ufmRest/resources/pkeys/add", create101, 200, "{}"},
			{"POST", "/ufmRest/resources/pkeys/add", create101, 400, "already exists"},
		}},
		{"pkey range", []call{
			{"POST", "/ufmRest/resources/pkeys/add", `{"pkey":"0x7fff"}`, 400, "between 0x0-0x7fff exclusive"},
			{"POST", "/ufmRest/resources/pkeys/add", `{"pkey":"0x0"}`, 400, "exclusive"},
			{"POST", "/ufmRest/resources/pkeys/add", `{"pkey":"0x8000"}`, 400, "exclusive"},
			{"POST", "/ufmRest/resources/pkeys/add", `{"pkey":"101"}`, 400, "exclusive"},
			{"DELETE", "/ufmRest/resources/pkeys/0x7fff", "", 400, "exclusive"},
			{"GET", "/ufmRest/resources/pkeys/0x7fff?guids_data=true", "", 200, `"partition":"management"`},
		}},
		{"guids lower-cased, set semantics", []call{
			{"POST", "/ufmRest/resources/pkeys/add", create101, 200, "{}"},
			{"POST", "/ufmRest/resources/pkeys", guids101, 200, "{}"},
			{"POST", "/ufmRest/resources/pkeys/", `{"pkey":"0x101","guids":["0c42a10300000100"],"index0":true}`, 200, "{}"},
			{"GET", "/ufmRest/resources/pkeys/0x101?guids_data=true", "", 200,
				`"guids":[{"guid":"0c42a10300000100","membership":"full","index0":true},{"guid":"0c42a10300000101","membership":"limited","index0":true}]`},
			{"DELETE", "/ufmRest/resources/pkeys/0x101/guids/0C42A10300000101,0c42a103000001ff", "", 200, "{}"},
			{"GET", "/ufmRest/resources/pkeys/0x101?guids_data=true", "", 200, `"guids":[{"guid":"0c42a10300000100","membership":"full","index0":true}]}`},
		}},
		{"put replaces", []call{
			{"POST", "/ufmRest/resources/pkeys", guids101, 200, "{}"},
			{"PUT", "/ufmRest/resources/pkeys", `{"pkey":"0x101","guids":["0c42a10300000109"],"membership":"limited","ip_over_ib":false}`, 200, "{}"},
			{"GET", "/ufmRest/resources/pkeys/0x101?guids_data=true", "", 200,
				`{"partition":"","ip_over_ib":false,"guids":[{"guid":"0c42a10300000109","membership":"limited","index0":false}]}`},
		}},
		{"delete only when empty", []call{
			{"POST", "/ufmRest/resources/pkeys/add", create101, 200, "{}"},
			{"POST", "/ufmRest/resources/pkeys", guids101, 200, "{}"},
			{"DELETE", "/ufmRest/resources/pkeys/0x101", "", 400, "remove them before deleting"},
			{"DELETE", "/ufmRest/resources/pkeys/0x101/guids/0c42a10300000100,0c42a10300000101", "", 200, "{}"},
			{"DELETE", "/ufmRest/resources/pkeys/0x101", "", 200, "{}"},
			{"DELETE", "/ufmRest/resources/pkeys/0x101", "", 404, "not found"},
			{"GET", "/ufmRest/resources/pkeys/0x101", "", 200, "{}"},
		}},
		{"bad input", []call{
			{"POST", "/ufmRest/resources/pkeys", `{"pkey":"0x101","guids":["0c42"]}`, 400, "Invalid GUID"},
			{"POST", "/ufmRest/resources/pkeys", `{"pkey":"0x101","guids":["0c42a10300000100"],"memberships":[]}`, 400, "same length"},
			{"POST", "/ufmRest/resources/pkeys", `{"pkey":"0x101","guids":["0c42a10300000100"],"membership":"both"}`, 400, "Invalid membership"},
			{"POST", "/ufmRest/resources/pkeys", `{"pkey":"0x101","guids":[]}`, 400, "guids"},
			{"POST", "/ufmRest/resources/pkeys/add", `{"pkey":"0x101","colour":"blue"}`, 400, "unknown field"},
			{"POST", "/ufmRest/resources/pkeys/add", `{"pkey":"0x101","mtu_limit":5}`, 400, "mtu_limit"},
			{"PUT", "/ufmRest/resources/pkeys/qos_conf", `{"pkey":"0x101","mtu_limit":4}`, 404, "not found"},
			{"PATCH", "/ufmRest/resources/pkeys", "", 405, "Method Not Allowed"},
			{"GET", "/ufmRest/resources/nothing", "", 404, "Not Found"},
		}},
		{"qos", []call{
			{"POST", "/ufmRest/resources/pkeys/add", create101, 200, "{}"},
			{"PUT", "/ufmRest/resources/pkeys/qos_conf", `{"pkey":"0x101","mtu_limit":2,"service_level":3}`, 200, "{}"},
			{"GET", "/ufmRest/resources/pkeys/0x101?qos_conf=true", "", 200, `"mtu_limit":2,"service_level":3,"rate_limit":2.5`},
		}},
		{"list shapes", []call{
			{"POST", "/ufmRest/resources/pkeys/add", create101, 200, "{}"},
			{"GET", "/ufmRest/resources/pkeys", "", 200, `["0x101","0x7fff"]`},
			{"GET", "/ufmRest/resources/pkeys?guids_data=true&qos_conf=true", "", 200, `"0x101":{"partition":"ry-t0001","ip_over_ib":true,"mtu_limit":4`},
			{"GET", "/ufmRest/app/ufm_version", "", 200, `"ufm_release_version"`},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := New(fabric.DeviceConfig{Device: "sm1"})
			for i, k := range c.calls {
				code, body := do(t, d, k, DefaultUsername, DefaultPassword)
				if code != k.status || !strings.Contains(body, k.want) {
					t.Errorf("call %d %s %s: %d %s, want %d with %q", i, k.method, k.path, code, body, k.status, k.want)
				}
			}
		})
	}
}

func TestAuth(t *testing.T) {
	d := New(fabric.DeviceConfig{Device: "sm1"})
	d.SetCredentials("ops", "pw-1")
	get := call{method: "GET", path: "/ufmRest/app/ufm_version"}
	for _, c := range []struct {
		user, pass string
		want       int
	}{{"ops", "pw-1", 200}, {"ops", "wrong", 401}, {"", "", 401}, {DefaultUsername, DefaultPassword, 401}} {
		if code, _ := do(t, d, get, c.user, c.pass); code != c.want {
			t.Errorf("%s:%s -> %d, want %d", c.user, c.pass, code, c.want)
		}
	}
}

func TestFaults(t *testing.T) {
	d := New(fabric.DeviceConfig{Device: "sm1"})
	before := d.Running()
	d.FailOn(`"pkey":"0x101"`)
	c := call{method: "POST", path: "/ufmRest/resources/pkeys/add", body: create101}
	if code, body := do(t, d, c, DefaultUsername, DefaultPassword); code != 500 || !strings.Contains(body, `"error"`) {
		t.Errorf("injected failure: %d %s", code, body)
	}
	if d.Running() != before {
		t.Error("a failed request changed the state")
	}
	d.ErrorBodyOn("/add")
	if code, body := do(t, d, c, DefaultUsername, DefaultPassword); code != 200 || !strings.Contains(body, `"error"`) {
		t.Errorf("error body: %d %s", code, body)
	}
	if code, _ := do(t, d, c, DefaultUsername, DefaultPassword); code != 200 {
		t.Errorf("faults fire once; got %d", code)
	}
	if d.Running() == before {
		t.Error("the request after the faults did nothing")
	}
	// /_dev/reset puts the initial state back.
	if code, _ := do(t, d, call{method: "POST", path: "/_dev/reset"}, "", ""); code != 200 {
		t.Fatal(code)
	}
	if _, state := do(t, d, call{method: "GET", path: "/_dev/state"}, "", ""); state != before {
		t.Errorf("after reset (-want +got):\n%s", cmp.Diff(before, state))
	}
}

// TestLastUpdated moves on every change, and only then.
func TestLastUpdated(t *testing.T) {
	d := New(fabric.DeviceConfig{Device: "sm1"})
	lu := call{method: "GET", path: "/ufmRest/resources/pkeys/last_updated"}
	_, a := do(t, d, lu, DefaultUsername, DefaultPassword)
	do(t, d, call{method: "GET", path: "/ufmRest/resources/pkeys?guids_data=true"}, DefaultUsername, DefaultPassword)
	_, b := do(t, d, lu, DefaultUsername, DefaultPassword)
	do(t, d, call{method: "POST", path: "/ufmRest/resources/pkeys/add", body: create101}, DefaultUsername, DefaultPassword)
	_, c := do(t, d, lu, DefaultUsername, DefaultPassword)
	if a != b || b == c || !strings.Contains(a, "last_updated") {
		t.Errorf("last_updated: %s, %s, %s", a, b, c)
	}
}

// TestConcurrent: many clients at once (run with -race).
func TestConcurrent(t *testing.T) {
	d := New(fabric.DeviceConfig{Device: "sm1"})
	srv := httptest.NewServer(d)
	defer srv.Close()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := strings.NewReader(`{"pkey":"0x10` + string(rune('0'+i)) + `","guids":["0c42a1030000010` + string(rune('0'+i)) + `"]}`)
			req, _ := http.NewRequest("POST", srv.URL+"/ufmRest/resources/pkeys", body)
			req.SetBasicAuth(DefaultUsername, DefaultPassword)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("status %d", resp.StatusCode)
			}
		}()
	}
	wg.Wait()
	if n := strings.Count(d.Running(), `"guid"`); n != 8 {
		t.Errorf("%d members after 8 concurrent adds", n)
	}
}
