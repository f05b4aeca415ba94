package redfish

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

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
