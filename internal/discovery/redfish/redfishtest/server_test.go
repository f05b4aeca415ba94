package redfishtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

const tower = "../testdata/mockups/public-tower"

// client talks to s the way a Redfish client does.
type client struct {
	t     *testing.T
	s     *Server
	hc    *http.Client
	token string
	basic bool
}

func newClient(t *testing.T, s *Server) *client {
	return &client{t: t, s: s, hc: s.ts.Client()}
}

func (c *client) do(method, path string, body any) (*http.Response, []byte, error) {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.s.URL+path, r)
	if c.token != "" {
		req.Header.Set("X-Auth-Token", c.token)
	}
	if c.basic {
		req.SetBasicAuth(c.s.user, c.s.pass)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

func (c *client) status(method, path string, body any) int {
	c.t.Helper()
	resp, _, err := c.do(method, path, body)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp.StatusCode
}

func TestAuth(t *testing.T) {
	s := New(tower)
	defer s.Close()
	c := newClient(t, s)
	for _, p := range []string{"/redfish", "/redfish/v1/", "/redfish/v1"} {
		if got := c.status("GET", p, nil); got != http.StatusOK {
			t.Errorf("GET %s without credentials: %d", p, got)
		}
	}
	if got := c.status("GET", "/redfish/v1/Systems", nil); got != http.StatusUnauthorized {
		t.Errorf("GET Systems without credentials: %d, want 401", got)
	}
	if got := c.status("POST", "/redfish/v1/SessionService/Sessions", map[string]string{"UserName": "admin", "Password": "nope"}); got != http.StatusUnauthorized {
		t.Errorf("login with a wrong password: %d, want 401", got)
	}

	resp, body, err := c.do("POST", "/redfish/v1/SessionService/Sessions", map[string]string{"UserName": DefaultUsername, "Password": DefaultPassword})
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("login: %v %v %s", err, resp, body)
	}
	c.token = resp.Header.Get("X-Auth-Token")
	loc := resp.Header.Get("Location")
	if c.token == "" || !strings.HasPrefix(loc, "/redfish/v1/SessionService/Sessions/") || s.ActiveSessions() != 1 {
		t.Fatalf("login gave token %q, location %q, %d sessions", c.token, loc, s.ActiveSessions())
	}
	if got := c.status("GET", "/redfish/v1/Systems", nil); got != http.StatusOK {
		t.Errorf("GET Systems with the token: %d", got)
	}
	if got := c.status("GET", loc, nil); got != http.StatusOK {
		t.Errorf("GET %s: %d", loc, got)
	}
	if got := c.status("DELETE", loc, nil); got != http.StatusNoContent {
		t.Errorf("DELETE %s: %d", loc, got)
	}
	if got := c.status("GET", "/redfish/v1/Systems", nil); got != http.StatusUnauthorized || s.ActiveSessions() != 0 {
		t.Errorf("GET Systems with a deleted token: %d, %d sessions", got, s.ActiveSessions())
	}

	c.token, c.basic = "", true
	if got := c.status("GET", "/redfish/v1/Systems", nil); got != http.StatusOK {
		t.Errorf("GET Systems with basic auth: %d", got)
	}
	if got := c.status("GET", "/redfish/v1/NoSuchThing", nil); got != http.StatusNotFound {
		t.Errorf("GET a missing resource: %d", got)
	}
}

func TestResetAndPatch(t *testing.T) {
	s := New(tower, WithPlainHTTP(), WithCredentials("ops", "pw"))
	defer s.Close()
	if s.Credentials().Username != "ops" || !strings.HasPrefix(s.TargetURL(), "redfish+http://127.0.0.1:") {
		t.Fatalf("credentials %v, target %s", s.Credentials(), s.TargetURL())
	}
	c := newClient(t, s)
	c.basic = true
	const sys = "/redfish/v1/Systems/437XR1238R2"
	reset := func(rt string) int {
		return c.status("POST", sys+"/Actions/ComputerSystem.Reset", map[string]string{"ResetType": rt})
	}
	steps := []struct {
		rt    string
		code  int
		state string
	}{
		{"ForceOff", 204, "Off"},
		{"ForceRestart", 409, "Off"},
		{"PowerCycle", 400, "Off"}, // not among the system's allowable values
		{"PushPowerButton", 204, "On"},
		{"GracefulRestart", 204, "On"},
		{"Nmi", 204, "On"},
		{"Hibernate", 400, "On"},
	}
	for _, st := range steps {
		if got := reset(st.rt); got != st.code || s.PowerState(sys) != st.state {
			t.Errorf("%s: %d, power %s; want %d, %s", st.rt, got, s.PowerState(sys), st.code, st.state)
		}
	}
	if log := s.ResetLog(); len(log) != 4 || !log[2].Cycled || log[0].From != "On" || log[0].To != "Off" {
		t.Errorf("reset log %+v", log)
	}

	if got := c.status("PATCH", sys, map[string]any{"Boot": map[string]any{"BootSourceOverrideTarget": "Floppy"}}); got != http.StatusBadRequest {
		t.Errorf("PATCH a boot target the system does not allow: %d", got)
	}
	if got := c.status("PATCH", sys, map[string]any{"Boot": map[string]any{"BootSourceOverrideTarget": "Pxe"}, "AssetTag": nil}); got != http.StatusOK {
		t.Errorf("PATCH Boot: %d", got)
	}
	doc, _ := s.Resource("Systems/437XR1238R2")
	if doc["Boot"].(map[string]any)["BootSourceOverrideTarget"] != "Pxe" || doc["Boot"].(map[string]any)["BootSourceOverrideMode"] != "UEFI" {
		t.Errorf("Boot after PATCH: %v", doc["Boot"])
	}
	if _, ok := doc["AssetTag"]; ok {
		t.Errorf("AssetTag survived a null in the merge patch")
	}
	doc["Name"] = "changed"
	if again, _ := s.Resource(sys); again["Name"] == "changed" {
		t.Errorf("Resource returned the server's own document")
	}
	if err := s.Patch("Systems/NoSuchSystem", map[string]any{"Name": "x"}); err == nil {
		t.Errorf("Patch of a missing resource succeeded")
	}
}

func TestFaults(t *testing.T) {
	const gpu = "Systems/437XR1238R2/Processors/GPU1"
	s := New(tower, WithFault(gpu, BadJSON), WithLatency(20*time.Millisecond))
	defer s.Close()
	c := newClient(t, s)
	c.basic = true
	get := func() (*http.Response, []byte, error) { return c.do("GET", "/redfish/v1/"+gpu, nil) }

	start := time.Now()
	_, body, err := get()
	if err != nil || json.Valid(body) {
		t.Errorf("BadJSON: %v, valid JSON %q", err, body)
	}
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Errorf("request took %v with 20ms latency", d)
	}

	s.SetFault(gpu, Truncated)
	if _, _, err := get(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("Truncated: %v, want unexpected EOF", err)
	}

	s.SetFault(gpu, InternalError)
	if resp, _, err := get(); err != nil || resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("InternalError: %v %v", resp, err)
	}

	s.SetFault(gpu, Hang)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+"/redfish/v1/"+gpu, nil)
	req.SetBasicAuth(s.user, s.pass)
	if _, err := c.hc.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Hang: %v, want a deadline", err)
	}

	s.SetFault(gpu, NoFault)
	s.SetRaw(gpu, []byte("raw"))
	if _, body, _ := get(); string(body) != "raw" {
		t.Errorf("SetRaw: %q", body)
	}
	s.SetRaw(gpu, nil)
	if resp, body, _ := get(); resp.StatusCode != http.StatusOK || !json.Valid(body) {
		t.Errorf("after clearing faults: %d %q", resp.StatusCode, body)
	}

	// Close releases a request that hangs.
	s.SetFault(gpu, Hang)
	done := make(chan struct{})
	go func() {
		get()
		close(done)
	}()
	time.Sleep(50 * time.Millisecond)
	s.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Errorf("Close left a hanging request hanging")
	}
}
