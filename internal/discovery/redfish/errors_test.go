package redfish

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/railyard/railyard/internal/discovery"
	"github.com/railyard/railyard/internal/discovery/redfish/redfishtest"
)

const gpu5 = "/redfish/v1/Systems/HGX_Baseboard_0/Processors/GPU_SXM_5"

func TestDiscoverErrors(t *testing.T) {
	tests := []struct {
		name    string
		dir     string // default hgxDir
		opts    []redfishtest.Option
		setup   func(*redfishtest.Server)
		target  func(*redfishtest.Server) discovery.Target
		cred    *discovery.Credentials
		timeout time.Duration
		want    discovery.Kind
		wantMsg string
	}{{
		name: "wrong password, session login",
		cred: &discovery.Credentials{Username: "admin", Password: "Guess-1234"},
		want: discovery.Unauthorized,
	}, {
		name: "wrong password, basic auth",
		dir:  mockup("public-cables"), // its service root offers no sessions
		cred: &discovery.Credentials{Username: "admin", Password: "Guess-1234"},
		want: discovery.Unauthorized,
	}, {
		name: "no credentials",
		cred: &discovery.Credentials{},
		want: discovery.Unauthorized,
	}, {
		name: "bad JSON in one GPU",
		opts: []redfishtest.Option{redfishtest.WithFault(gpu5, redfishtest.BadJSON)},
		want: discovery.Malformed, wantMsg: "GPU_SXM_5",
	}, {
		name: "truncated GPU",
		opts: []redfishtest.Option{redfishtest.WithFault(gpu5, redfishtest.Truncated)},
		want: discovery.Malformed, wantMsg: "GPU_SXM_5",
	}, {
		name: "truncated collection",
		opts: []redfishtest.Option{redfishtest.WithFault("Systems", redfishtest.Truncated)},
		want: discovery.Malformed,
	}, {
		name: "GPU document is not an object",
		setup: func(s *redfishtest.Server) {
			s.SetRaw(gpu5, []byte(`["GPU_SXM_5"]`))
		},
		want: discovery.Malformed, wantMsg: "not a JSON object",
	}, {
		name: "GPU serial is a number",
		setup: func(s *redfishtest.Server) {
			s.Patch(gpu5, map[string]any{"SerialNumber": 1654922046208})
		},
		want: discovery.Malformed, wantMsg: "GPU_SXM_5",
	}, {
		name: "link to a missing GPU",
		setup: func(s *redfishtest.Server) {
			s.SetRaw("Systems/HGX_Baseboard_0/Processors", []byte(`{"Members": [{"@odata.id": "/redfish/v1/Systems/HGX_Baseboard_0/Processors/GPU_SXM_9"}]}`))
		},
		want: discovery.Malformed, wantMsg: "GPU_SXM_9",
	}, {
		name: "link off the service",
		setup: func(s *redfishtest.Server) {
			s.SetRaw("Systems", []byte(`{"Members": [{"@odata.id": "https://elsewhere.example/redfish/v1/Systems/1"}]}`))
		},
		want: discovery.Malformed, wantMsg: "bad link",
	}, {
		name: "bad MAC",
		setup: func(s *redfishtest.Server) {
			s.Patch("Chassis/Chassis_0/NetworkAdapters/NIC_1/NetworkDeviceFunctions/Function_0",
				map[string]any{"Ethernet": map[string]any{"PermanentMACAddress": "B8:3F:D2:4A:10"}})
		},
		want: discovery.Malformed, wantMsg: "Function_0",
	}, {
		name: "collection pages loop",
		setup: func(s *redfishtest.Server) {
			s.SetRaw("Chassis", []byte(`{"Members": [], "Members@odata.nextLink": "/redfish/v1/Chassis"}`))
		},
		want: discovery.Malformed,
	}, {
		name: "500 on a chassis",
		opts: []redfishtest.Option{redfishtest.WithFault("Chassis/HGX_GPU_SXM_3", redfishtest.InternalError)},
		want: discovery.Failed, wantMsg: "500",
	}, {
		name:    "GPU never answers",
		opts:    []redfishtest.Option{redfishtest.WithFault(gpu5, redfishtest.Hang)},
		timeout: 300 * time.Millisecond,
		want:    discovery.Unreachable,
	}, {
		name:    "service root never answers",
		opts:    []redfishtest.Option{redfishtest.WithFault("/redfish/v1/", redfishtest.Hang)},
		timeout: 300 * time.Millisecond,
		want:    discovery.Unreachable,
	}, {
		name: "closed port",
		target: func(s *redfishtest.Server) discovery.Target {
			t := s.Target()
			s.Close()
			return t
		},
		want: discovery.Unreachable,
	}, {
		name: "untrusted certificate",
		target: func(s *redfishtest.Server) discovery.Target {
			t := s.Target()
			t.Insecure = false
			return t
		},
		want: discovery.Failed, wantMsg: "certificate",
	}, {
		name: "TLS to a plain HTTP service",
		opts: []redfishtest.Option{redfishtest.WithPlainHTTP()},
		target: func(s *redfishtest.Server) discovery.Target {
			t := s.Target()
			t.Scheme = "redfish"
			return t
		},
		want: discovery.Failed,
	}, {
		name: "unknown scheme",
		target: func(s *redfishtest.Server) discovery.Target {
			t := s.Target()
			t.Scheme = "ipmi"
			return t
		},
		want: discovery.Failed,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := tt.dir
			if dir == "" {
				dir = hgxDir
			}
			srv := redfishtest.New(dir, tt.opts...)
			defer srv.Close()
			if tt.setup != nil {
				tt.setup(srv)
			}
			target := srv.Target()
			if tt.target != nil {
				target = tt.target(srv)
			}
			cred := srv.Credentials()
			if tt.cred != nil {
				cred = *tt.cred
			}
			timeout := tt.timeout
			if timeout == 0 {
				timeout = 10 * time.Second
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			start := time.Now()
			obs, err := (&Source{}).Discover(ctx, target, cred)
			if err == nil {
				t.Fatalf("Discover = %+v, want a %s error", obs, tt.want)
			}
			if got := discovery.KindOf(err); got != tt.want {
				t.Errorf("kind %s, want %s: %v", got, tt.want, err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not mention %q", err, tt.wantMsg)
			}
			if d := time.Since(start); d > timeout+2*time.Second {
				t.Errorf("Discover took %v with a %v timeout", d, timeout)
			}
			if strings.Contains(err.Error(), cred.Password) && cred.Password != "" {
				t.Errorf("error %q shows the password", err)
			}
			if n := srv.ActiveSessions(); n != 0 {
				t.Errorf("%d sessions left open", n)
			}
		})
	}
}

// A web server that is not a Redfish service fails the target.
func TestDiscoverNotRedfish(t *testing.T) {
	ts := httptest.NewServer(http.NotFoundHandler())
	defer ts.Close()
	target, err := discovery.ParseTarget("redfish+http://" + strings.TrimPrefix(ts.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = (&Source{}).Discover(context.Background(), target, discovery.Credentials{Username: "u", Password: "p"})
	if got := discovery.KindOf(err); got != discovery.Failed {
		t.Errorf("kind %s, want failed: %v", got, err)
	}
}
