package redfish

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/railyard/railyard/internal/discovery"
	"github.com/railyard/railyard/internal/discovery/redfish/redfishtest"
	"github.com/railyard/railyard/internal/model"
)

func mockup(name string) string { return filepath.Join("testdata", "mockups", name) }

const hgxDir = "testdata/hgx"

// discover runs the registered source against srv.
func discover(t *testing.T, srv *redfishtest.Server) (*model.Observation, error) {
	t.Helper()
	src, name, ok := discovery.Lookup(srv.Target().Scheme)
	if !ok || name != "redfish" {
		t.Fatalf("scheme %s: registered %v as %q", srv.Target().Scheme, ok, name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return src.Discover(ctx, srv.Target(), srv.Credentials())
}

func mustDiscover(t *testing.T, srv *redfishtest.Server) []model.NodeFacts {
	t.Helper()
	obs, err := discover(t, srv)
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	if n := srv.ActiveSessions(); n != 0 {
		t.Errorf("%d sessions left open after Discover", n)
	}
	return obs.Nodes
}

func gpuMissing(n int, fields ...string) []string {
	var out []string
	for i := range n {
		for _, f := range fields {
			out = append(out, fmt.Sprintf("gpus/%d/%s", i, f))
		}
	}
	return out
}

// The expected facts are read off the mockups' JSON by hand.
func TestDiscoverMockups(t *testing.T) {
	tests := []struct {
		mockup string
		want   []model.NodeFacts
	}{{
		// One system with no identity, power or Processors; its chassis
		// (chassis, hsbp, bmc) have no NetworkAdapters. The serials of
		// the bmc and hsbp chassis are not the server's.
		mockup: "public-cables",
		want: []model.NodeFacts{{
			Missing: []string{"hostname", "serial", "vendor", "model", "power", "gpus", "nics"},
		}},
	}, {
		// CPU1, CPU2 (Absent) and an FPGA: no GPUs, and no NetworkAdapters
		// (the host's MACs are in EthernetInterfaces, which name no
		// adapter).
		mockup: "public-liquid-cooled-server",
		want: []model.NodeFacts{{
			Hostname: "web483", Serial: "437XR1138R2", Vendor: "Contoso", Model: "3500", Power: "on",
			Missing: []string{"nics"},
		}},
	}, {
		mockup: "public-rackmount1",
		want: []model.NodeFacts{{
			Hostname: "web483", Serial: "437XR1138R2", Vendor: "Contoso", Model: "3500", Power: "on",
			Missing: []string{"nics"},
		}},
	}, {
		// The SmartNIC's SoC (Systems/Card1-SoC, SystemType DPU) is not a
		// server. Its adapter sits in Chassis/Card1, which Chassis/1U
		// contains; 1U also lists Card2, which the mockup leaves out.
		// Ports get the functions' permanent MACs, not the current ones
		// (aa:bb:cc:dd:ee:f5/ff).
		mockup: "public-smartnic",
		want: []model.NodeFacts{{
			Hostname: "web483", Serial: "437XR1138R2", Vendor: "Contoso", Model: "3500", Power: "on",
			NICs: []model.NIC{{
				Name: "Slot1", Model: "Contoso SuperC 2000 25Gb 2p Adapter", Kind: model.Ethernet,
				Ports: []model.NICPort{
					{Name: "Slot1/SC2KP1", MAC: "a1:b1:c1:d1:e1:f1", SpeedGbps: 25},
					{Name: "Slot1/SC2KP2", MAC: "a0:b0:c0:d0:e0:f0", SpeedGbps: 25},
				},
			}},
			Missing: []string{"nics/Slot1/pci_bus_id"},
		}},
	}, {
		// Eight CPUs and two TU102 GPUs with 11264 MiB and no serial or
		// UUID; NIC1 (whose Id property is 9fa725a1) has two 10 Gb/s
		// ports, each with the MAC of its device function.
		mockup: "public-tower",
		want: []model.NodeFacts{{
			Hostname: "devrender2", Serial: "437XR1238R2", Vendor: "Contoso", Model: "3500", Power: "on",
			GPUs: []model.GPUFacts{
				{GPU: model.GPU{Index: 0, Model: "Nvidia(R) TU102", MemoryMiB: 11264, Health: model.GPUHealthy}},
				{GPU: model.GPU{Index: 1, Model: "Nvidia(R) TU102", MemoryMiB: 11264, Health: model.GPUHealthy}},
			},
			NICs: []model.NIC{{
				Name: "NIC1", Model: "SuperNIC 2000", Kind: model.Ethernet,
				Ports: []model.NICPort{
					{Name: "NIC1/1", MAC: "00:0c:29:9a:98:ed", SpeedGbps: 10},
					{Name: "NIC1/2", MAC: "00:0c:29:9a:98:ef", SpeedGbps: 10},
				},
			}},
			Missing: []string{
				"gpus/0/serial", "gpus/0/uuid", "gpus/0/pci_bus_id", "gpus/0/numa_node",
				"gpus/1/serial", "gpus/1/uuid", "gpus/1/pci_bus_id", "gpus/1/numa_node",
				"nics/NIC1/pci_bus_id",
			},
		}},
	}}
	for _, tt := range tests {
		t.Run(tt.mockup, func(t *testing.T) {
			t.Parallel()
			srv := redfishtest.New(mockup(tt.mockup))
			defer srv.Close()
			if diff := cmp.Diff(tt.want, mustDiscover(t, srv)); diff != "" {
				t.Errorf("facts (-want +got):\n%s", diff)
			}
		})
	}
}

var (
	hgxSerials = []string{"1654922045871", "1654922045906", "1654922046012", "1654922046135",
		"1654922046208", "1654922046377", "1654922046419", "1654922046560"}
	hgxUUIDs = []string{"2f8b5c61-0a4e-4d3b-9e27-6c1f8a9d0b41", "9d04e7a2-6b3c-4f18-a5d9-3e2c7b1f6a52",
		"4a7e1c93-8f2d-4b06-b1e4-0d5a9c3e7f63", "b3c6d8e1-2a9f-4e57-8c0b-7f1e4d2a9b74",
		"e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a85", "5c9a2e7f-3b1d-4c86-9f0e-2a4b6d8c1e96",
		"d7e8f9a0-b1c2-4d3e-8f4a-5b6c7d8e9fa7", "08f1e2d3-c4b5-4a69-8788-796a5b4c3db8"}
)

// hgxWant is what the HGX fixture holds: the host System_0 with the eight
// GPUs of HGX_Baseboard_0 folded in, the serial of Chassis_0 (System_0
// gives none), and two ConnectX-7 adapters.
func hgxWant() model.NodeFacts {
	f := model.NodeFacts{
		Serial: "1660223000153", Vendor: "NVIDIA", Model: "DGXH100", Power: "on",
		NICs: []model.NIC{{
			Name: "NIC_0", Model: "ConnectX-7", Kind: model.InfiniBand,
			Ports: []model.NICPort{{Name: "NIC_0/Port_0", GUID: "0xa088c20300b12c3e", SpeedGbps: 400}},
		}, {
			Name: "NIC_1", Model: "ConnectX-7", Kind: model.Ethernet,
			Ports: []model.NICPort{
				{Name: "NIC_1/Port_0", MAC: "b8:3f:d2:4a:10:20", SpeedGbps: 200},
				{Name: "NIC_1/Port_1", MAC: "b8:3f:d2:4a:10:21", SpeedGbps: 200},
			},
		}},
		Missing: []string{"hostname"},
	}
	for i := range 8 {
		f.GPUs = append(f.GPUs, model.GPUFacts{GPU: model.GPU{
			Index: i, Model: "NVIDIA H100 80GB HBM3", Serial: hgxSerials[i], UUID: hgxUUIDs[i],
			MemoryMiB: 81559, Health: model.GPUHealthy,
		}})
	}
	f.Missing = append(f.Missing, gpuMissing(8, "pci_bus_id", "numa_node")...)
	f.Missing = append(f.Missing, "nics/NIC_0/pci_bus_id", "nics/NIC_1/pci_bus_id")
	return f
}

func TestDiscoverHGX(t *testing.T) {
	srv := redfishtest.New(hgxDir)
	defer srv.Close()
	if diff := cmp.Diff([]model.NodeFacts{hgxWant()}, mustDiscover(t, srv)); diff != "" {
		t.Errorf("facts (-want +got):\n%s", diff)
	}
}

// Without the Contains link from the host's chassis, the baseboard still
// belongs to the only host.
func TestDiscoverHGXFoldsIntoOnlyHost(t *testing.T) {
	srv := redfishtest.New(hgxDir)
	defer srv.Close()
	if err := srv.Patch("Chassis/Chassis_0", map[string]any{"Links": map[string]any{"Contains": nil}}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]model.NodeFacts{hgxWant()}, mustDiscover(t, srv)); diff != "" {
		t.Errorf("facts (-want +got):\n%s", diff)
	}
}

func TestDiscoverPlainHTTP(t *testing.T) {
	srv := redfishtest.New(hgxDir, redfishtest.WithPlainHTTP())
	defer srv.Close()
	if got := srv.TargetURL(); got != fmt.Sprintf("redfish+http://127.0.0.1:%d", srv.Port()) {
		t.Errorf("TargetURL = %s", got)
	}
	if diff := cmp.Diff([]model.NodeFacts{hgxWant()}, mustDiscover(t, srv)); diff != "" {
		t.Errorf("facts (-want +got):\n%s", diff)
	}
}

// A GPU swapped between two runs shows up as a new serial in the second.
func TestDiscoverSeesSwappedGPU(t *testing.T) {
	srv := redfishtest.New(hgxDir)
	defer srv.Close()
	if got := mustDiscover(t, srv)[0].GPUs[2].Serial; got != hgxSerials[2] {
		t.Fatalf("first run: GPU 2 serial %s", got)
	}
	err := srv.Patch("Systems/HGX_Baseboard_0/Processors/GPU_SXM_3", map[string]any{
		"SerialNumber": "1654922099999", "UUID": "11111111-2222-4333-8444-555555555555", "Status": map[string]any{"Health": "Warning"},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := mustDiscover(t, srv)[0].GPUs[2]
	want := model.GPUFacts{GPU: model.GPU{Index: 2, Model: "NVIDIA H100 80GB HBM3", Serial: "1654922099999",
		UUID: "11111111-2222-4333-8444-555555555555", MemoryMiB: 81559, Health: model.GPUDegraded}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GPU 2 after the swap (-want +got):\n%s", diff)
	}
}

// Facts a resource leaves out, or fills with a placeholder, are named
// missing; an absent GPU is not a GPU.
func TestDiscoverNamesMissingFacts(t *testing.T) {
	srv := redfishtest.New(hgxDir)
	defer srv.Close()
	patches := map[string]map[string]any{
		"Systems/System_0":                             {"Manufacturer": "To Be Filled By O.E.M.", "Model": nil, "PowerState": "PoweringOn"},
		"Chassis/Chassis_0":                            {"Model": nil, "SerialNumber": " "},
		"Systems/HGX_Baseboard_0/Processors/GPU_SXM_1": {"SerialNumber": nil, "UUID": "00000000-0000-0000-0000-000000000000", "MemorySummary": nil, "Status": map[string]any{"Health": nil}},
		"Systems/HGX_Baseboard_0/Processors/GPU_SXM_8": {"Status": map[string]any{"State": "Absent"}},
		"Chassis/Chassis_0/NetworkAdapters/NIC_1/NetworkDeviceFunctions/Function_1": {"Ethernet": nil},
		"Chassis/Chassis_0/NetworkAdapters/NIC_1/Ports/Port_1":                      {"CurrentSpeedGbps": 0},
		"Chassis/Chassis_0/NetworkAdapters/NIC_0/NetworkDeviceFunctions/Function_0": {"InfiniBand": nil},
		"Chassis/Chassis_0/NetworkAdapters/NIC_0":                                   {"Model": "N/A"},
	}
	for p, patch := range patches {
		if err := srv.Patch(p, patch); err != nil {
			t.Fatal(err)
		}
	}
	got := mustDiscover(t, srv)[0]
	if len(got.GPUs) != 7 || got.GPUs[0].Serial != "" || got.GPUs[0].UUID != "" || got.GPUs[0].MemoryMiB != 0 || got.GPUs[6].Serial != hgxSerials[6] {
		t.Errorf("GPUs = %+v", got.GPUs)
	}
	if got.Vendor != "NVIDIA" {
		t.Errorf("vendor %q, want NVIDIA from Chassis_0", got.Vendor)
	}
	want := []string{"hostname", "serial", "model", "power",
		"gpus/0/serial", "gpus/0/uuid", "gpus/0/memory_mib", "gpus/0/pci_bus_id", "gpus/0/numa_node", "gpus/0/health"}
	want = append(want, gpuMissing(7, "pci_bus_id", "numa_node")[2:]...)
	want = append(want,
		"nics/NIC_0/model", "nics/NIC_0/pci_bus_id", "nics/NIC_0/ports/Port_0/guid",
		"nics/NIC_1/pci_bus_id", "nics/NIC_1/ports/Port_1/mac", "nics/NIC_1/ports/Port_1/speed_gbps")
	if diff := cmp.Diff(want, got.Missing); diff != "" {
		t.Errorf("missing (-want +got):\n%s", diff)
	}
}

// A port whose adapter gives no MAC takes it from the host's
// EthernetInterface that links to its device function.
func TestDiscoverMACFromEthernetInterface(t *testing.T) {
	srv := redfishtest.New(mockup("public-tower"))
	defer srv.Close()
	const fn = "/redfish/v1/Chassis/Tower/NetworkAdapters/NIC1/NetworkDeviceFunctions/2"
	if err := srv.Patch(fn, map[string]any{"Ethernet": nil}); err != nil {
		t.Fatal(err)
	}
	err := srv.Patch("Systems/437XR1238R2/EthernetInterfaces/Network2", map[string]any{
		"Links": map[string]any{"NetworkDeviceFunctions": []any{map[string]any{"@odata.id": fn}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	nics := mustDiscover(t, srv)[0].NICs
	want := []model.NICPort{
		{Name: "NIC1/1", MAC: "00:0c:29:9a:98:ed", SpeedGbps: 10},
		{Name: "NIC1/2", MAC: "fb:aa:1d:4e:d0:7c", SpeedGbps: 10},
	}
	if diff := cmp.Diff(want, nics[0].Ports); diff != "" {
		t.Errorf("ports (-want +got):\n%s", diff)
	}
}

// Two adapters with the same name in different chassis are told apart by
// their chassis.
func TestDiscoverNICNamesUnique(t *testing.T) {
	srv := redfishtest.New(hgxDir)
	defer srv.Close()
	// Give the baseboard chassis an adapter collection that holds a
	// second NIC_0.
	srv.Patch("Chassis/HGX_Chassis_0", map[string]any{"NetworkAdapters": map[string]any{"@odata.id": "/redfish/v1/Chassis/HGX_Chassis_0/NetworkAdapters"}})
	srv.SetRaw("Chassis/HGX_Chassis_0/NetworkAdapters", []byte(`{"Members": [{"@odata.id": "/redfish/v1/Chassis/HGX_Chassis_0/NetworkAdapters/NIC_0"}]}`))
	srv.SetRaw("Chassis/HGX_Chassis_0/NetworkAdapters/NIC_0", []byte(`{"@odata.id": "/redfish/v1/Chassis/HGX_Chassis_0/NetworkAdapters/NIC_0", "Id": "NIC_0", "Model": "BlueField-3"}`))
	var names []string
	for _, n := range mustDiscover(t, srv)[0].NICs {
		names = append(names, n.Name)
	}
	if diff := cmp.Diff([]string{"Chassis_0.NIC_0", "HGX_Chassis_0.NIC_0", "NIC_1"}, names); diff != "" {
		t.Errorf("NIC names (-want +got):\n%s", diff)
	}
}

func TestRegistered(t *testing.T) {
	for _, scheme := range []string{"redfish", "redfish+http"} {
		src, name, ok := discovery.Lookup(scheme)
		if !ok || name != "redfish" {
			t.Errorf("Lookup(%s) = %v, %q", scheme, ok, name)
			continue
		}
		if _, ok := src.(discovery.PowerController); !ok {
			t.Errorf("%s: not a PowerController", scheme)
		}
		if _, ok := src.(discovery.BootController); !ok {
			t.Errorf("%s: not a BootController", scheme)
		}
		if _, ok := src.(discovery.FirmwareUpdater); !ok {
			t.Errorf("%s: not a FirmwareUpdater", scheme)
		}
	}
}

// BenchmarkDiscoverHGX discovers the HGX fixture with 2 ms added to every
// request, about what a BMC on the same network takes for a small document.
func BenchmarkDiscoverHGX(b *testing.B) {
	srv := redfishtest.New(hgxDir, redfishtest.WithLatency(2*time.Millisecond))
	defer srv.Close()
	src := &Source{}
	start := srv.Requests()
	for b.Loop() {
		if _, err := src.Discover(context.Background(), srv.Target(), srv.Credentials()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(srv.Requests()-start)/float64(b.N), "requests/op")
}
