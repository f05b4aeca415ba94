package redfish

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/stmcginnis/gofish/common"

	"github.com/railyard/railyard/internal/discovery"
	"github.com/railyard/railyard/internal/discovery/redfish/redfishtest"
	"github.com/railyard/railyard/internal/model"
)

// handlerClient is gofish's client interface served by an http.Handler in
// process, answering errors the way gofish's APIClient does. The walker
// only GETs.
type handlerClient struct {
	common.Client
	h    http.Handler
	cred discovery.Credentials
}

func (c handlerClient) Get(uri string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodGet, "http://bmc"+uri, nil)
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(c.cred.Username, c.cred.Password)
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	resp := rec.Result()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		return nil, common.ConstructError(resp.StatusCode, body)
	}
	return resp, nil
}

// fuzzPaths are the resources whose body the fuzzer replaces: one of each
// kind the walker reads.
var fuzzPaths = []string{
	"/redfish/v1",
	"/redfish/v1/Systems",
	"/redfish/v1/Systems/System_0",
	"/redfish/v1/Systems/HGX_Baseboard_0/Processors",
	"/redfish/v1/Systems/HGX_Baseboard_0/Processors/GPU_SXM_5",
	"/redfish/v1/Chassis",
	"/redfish/v1/Chassis/Chassis_0",
	"/redfish/v1/Chassis/HGX_Chassis_0",
	"/redfish/v1/Chassis/Chassis_0/NetworkAdapters/NIC_1",
	"/redfish/v1/Chassis/Chassis_0/NetworkAdapters/NIC_1/Ports/Port_0",
	"/redfish/v1/Chassis/Chassis_0/NetworkAdapters/NIC_1/NetworkDeviceFunctions/Function_0",
	"/redfish/v1/Chassis/Chassis_0/NetworkAdapters/NIC_0/NetworkDeviceFunctions/Function_0",
}

// FuzzParseResource replaces one resource of the HGX fixture with arbitrary
// bytes and walks the service: the walk must not panic, and must either
// fail as Malformed or report facts that hold together.
func FuzzParseResource(f *testing.F) {
	srv := redfishtest.New(hgxDir)
	f.Cleanup(srv.Close)
	for i, p := range fuzzPaths {
		doc, _ := srv.Resource(p)
		b, _ := json.Marshal(doc)
		f.Add(uint8(i), b)
	}
	for _, seed := range []string{
		``, `null`, `[]`, `"x"`, `{}`, `{"Members": [{}]}`, `{"Members": [{"@odata.id": 7}]}`,
		`{"Members": [{"@odata.id": "/redfish/v1/Systems"}]}`,
		`{"Members": [], "Members@odata.nextLink": "/redfish/v1/Systems"}`,
		`{"ProcessorType": "GPU", "MemorySummary": {"TotalMemorySizeMiB": 1e300}, "UUID": "0-0"}`,
		`{"Links": {"Chassis": [{"@odata.id": "/redfish/v1/Chassis/HGX_Chassis_0"}], "Contains": [{"@odata.id": "/redfish/v1/Chassis/Chassis_0"}]}}`,
		`{"Ethernet": {"PermanentMACAddress": "00:00:00:00:00:00", "MACAddress": "aabb.ccdd.eeff"}}`,
		`{"InfiniBand": {"PermanentPortGUID": "0:0:0:0"}, "Links": {"PhysicalNetworkPortAssignment": {"@odata.id": "/x y"}}}`,
		`{"NetworkAdapters": {"@odata.id": "/redfish/v1/$metadata"}, "Links": {"ComputerSystems": [{"@odata.id": "/redfish/v1/Systems/HGX_Baseboard_0"}]}}`,
	} {
		for i := range fuzzPaths {
			f.Add(uint8(i), []byte(seed))
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		p := fuzzPaths[int(which)%len(fuzzPaths)]
		srv.SetRaw(p, body)
		defer srv.SetRaw(p, nil)
		w := &walker{ctx: context.Background(), c: handlerClient{h: srv.Handler(), cred: srv.Credentials()}, serial: true}
		nodes, err := w.discover()
		if err != nil {
			if k := discovery.KindOf(err); k != discovery.Malformed {
				t.Fatalf("%s = %q: error of kind %s, want malformed: %v", p, body, k, err)
			}
			return
		}
		if err := checkFacts(nodes); err != nil {
			t.Fatalf("%s = %q: %v", p, body, err)
		}
	})
}

// checkFacts checks what every observation must satisfy.
func checkFacts(nodes []model.NodeFacts) error {
	for _, n := range nodes {
		if n.Power != "" && n.Power != "on" && n.Power != "off" {
			return fmt.Errorf("power %q", n.Power)
		}
		for i, g := range n.GPUs {
			if g.Index != i || g.MemoryMiB < 0 || g.Health != "" && !g.Health.Valid() {
				return fmt.Errorf("GPU %d: %+v", i, g)
			}
		}
		var nics, ports []string
		for _, nic := range n.NICs {
			if nic.Name == "" || slices.Contains(nics, nic.Name) || nic.Kind != "" && !nic.Kind.Valid() {
				return fmt.Errorf("NIC %+v", nic)
			}
			nics = append(nics, nic.Name)
			for _, p := range nic.Ports {
				if p.Name == "" || slices.Contains(ports, p.Name) || p.SpeedGbps < 0 {
					return fmt.Errorf("port %+v", p)
				}
				ports = append(ports, p.Name)
				if p.MAC != "" {
					if m, err := model.ParseMAC(p.MAC); err != nil || m != p.MAC {
						return fmt.Errorf("port %s: MAC %q not canonical", p.Name, p.MAC)
					}
				}
				if p.GUID != "" {
					if g, err := model.ParseGUID(p.GUID); err != nil || g != p.GUID {
						return fmt.Errorf("port %s: GUID %q not canonical", p.Name, p.GUID)
					}
				}
			}
		}
	}
	return nil
}

// FuzzTaskIDFromResponse feeds the parser of an upload's answer arbitrary
// Location headers and bodies: it must not panic, and an id it returns must
// be one path segment that leads back to itself.
func FuzzTaskIDFromResponse(f *testing.F) {
	for _, seed := range []struct{ location, body string }{
		{"/redfish/v1/TaskService/Tasks/7", ``},
		{"/redfish/v1/TaskService/TaskMonitors/7", `{"@odata.id": "/redfish/v1/TaskService/Tasks/7"}`},
		{"https://bmc/redfish/v1/TaskService/Tasks/3/Monitor", `{}`},
		{"", `{"Accepted": {"@Message.ExtendedInfo": [{"MessageArgs": ["/redfish/v1/TaskService/Tasks/1", 2]}]}}`},
		{"/redfish/v1/TaskService/Tasks/%2F..", `{"error": {"@Message.ExtendedInfo": [{"MessageArgs": null}]}}`},
		{"::", `[]`},
	} {
		f.Add(seed.location, []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, location string, body []byte) {
		id, err := taskIDFromResponse(location, body)
		if err != nil {
			return
		}
		if !validTaskID(id) {
			t.Fatalf("%q, %q: invalid id %q", location, body, id)
		}
		if back, ok := taskIDFromURI(tasksPath+url.PathEscape(id), false); !ok || back != id {
			t.Fatalf("%q, %q: id %q does not lead back to itself (%q, %v)", location, body, id, back, ok)
		}
	})
}

// FuzzParseTask feeds the Task parser arbitrary bodies: it must not panic,
// and a status it returns must hold together.
func FuzzParseTask(f *testing.F) {
	for _, seed := range []string{
		`{"TaskState": "Running", "PercentComplete": 42}`,
		`{"TaskState": "Completed", "TaskStatus": "Critical", "Messages": [{"Message": "x", "Severity": "Critical"}]}`,
		`{"TaskState": "Exception", "PercentComplete": -1e308, "Messages": [{"Message": "\u00e9\u00e9", "MessageSeverity": "Warning"}, {}]}`,
		`{"TaskState": null}`, `{"Messages": 5}`, `[]`, ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		st, err := parseTask(body)
		if err != nil {
			return
		}
		switch {
		case st.State != "running" && st.State != "done" && st.State != "failed",
			st.Percent < 0 || st.Percent > 100,
			st.State == "done" && st.Percent != 100,
			len(st.Message) > maxTaskMessage+len("…"),
			!utf8.ValidString(st.Message):
			t.Fatalf("%q: %+v", body, st)
		}
	})
}
