package agent

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/dgxa100"
	"github.com/google/go-cmp/cmp"

	"github.com/railyard/railyard/internal/model"
)

var testNow = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func i64(v int64) *int64 { return &v }

// wantDGX is the observation of a healthy DGX A100 named dgx-a100-01.
func wantDGX() *model.Observation {
	node := model.NodeFacts{
		Hostname: "dgx-a100-01",
		Serial:   "1560221000123",
		Vendor:   "NVIDIA",
		Model:    "DGXA100 920-23687-2530-000",
		Power:    "on",
	}
	for i := 0; i < 8; i++ {
		node.GPUs = append(node.GPUs, model.GPUFacts{
			GPU: model.GPU{
				Index:     i,
				UUID:      dgxUUID(i),
				Serial:    dgxSerial(i),
				Model:     "Mock NVIDIA A100-SXM4-40GB",
				MemoryMiB: 40960,
				PCIBusID:  dgxGPUBus(i),
				NUMANode:  dgxGPUNUMA(i),
				Health:    model.GPUHealthy,
			},
			NVLinkPeers: dgxNVSwitches[:],
			NVLinksUp:   12,
			NearNICs:    []string{dgxNICBus(i / 2 * 2), dgxNICBus(i/2*2 + 1)},
			ECC:         i64(0),
		})
		node.Missing = append(node.Missing, fmt.Sprintf("gpus/%d/xids", i))
	}
	node.NICs = append(node.NICs,
		model.NIC{Name: "eno1", Kind: model.Ethernet, PCIBusID: "0000:25:00.0",
			Ports: []model.NICPort{{Name: "eno1", MAC: "3c:ec:ef:00:00:01", SpeedGbps: 10}}},
		model.NIC{Name: "enp225s0f0", Kind: model.Ethernet, PCIBusID: "0000:e1:00.0",
			Ports: []model.NICPort{{Name: "enp225s0f0", MAC: "b8:ce:f6:11:22:30", SpeedGbps: 100}}},
		model.NIC{Name: "enp225s0f1", Kind: model.Ethernet, PCIBusID: "0000:e1:00.1",
			Ports: []model.NICPort{{Name: "enp225s0f1", MAC: "b8:ce:f6:11:22:31", SpeedGbps: 100}}},
	)
	for r := 0; r < 8; r++ {
		name := fmt.Sprintf("ib%d", r)
		node.NICs = append(node.NICs, model.NIC{Name: name, Kind: model.InfiniBand, PCIBusID: dgxNICBus(r),
			Ports: []model.NICPort{{Name: name, GUID: dgxGUID(r), SpeedGbps: 200}}})
	}
	return &model.Observation{
		Target: "agent://dgx-a100-01",
		Source: "agent",
		At:     testNow,
		Nodes:  []model.NodeFacts{node},
	}
}

func collectDGX(t *testing.T, srv *dgxa100.Server, sys SysFS, xids *XIDCounter) (*model.Observation, error) {
	t.Helper()
	c := &Collector{
		Lib:      srv,
		Sys:      sys,
		Hostname: func() (string, error) { return "dgx-a100-01", nil },
		Now:      func() time.Time { return testNow.In(time.FixedZone("CET", 3600)) },
		XIDs:     xids,
	}
	return c.Collect()
}

func TestCollectDGXA100(t *testing.T) {
	tests := []struct {
		name   string
		states map[int]gpuState
		tree   treeOpts
		lib    func(*dgxa100.Server)
		host   func() (string, error)
		want   func(*model.Observation)
	}{
		{
			name: "healthy",
			want: func(*model.Observation) {},
		},
		{
			name: "links down and ECC errors",
			states: map[int]gpuState{
				1: {linksDown: map[int]bool{4: true, 5: true}},
				2: {linksDown: map[int]bool{11: true}},
				3: {ecc: 2},
				5: {ecc: 1, remapPending: true},
				6: {remapFailed: true},
			},
			want: func(o *model.Observation) {
				g := o.Nodes[0].GPUs
				// GPU 1 lost both links to NVSwitch 2, GPU 2 one of two
				// to NVSwitch 5.
				g[1].NVLinksUp, g[1].NVLinksDown = 10, 2
				g[1].NVLinkPeers = []string{"0000:c4:00.0", "0000:c5:00.0", "0000:c7:00.0", "0000:c8:00.0", "0000:c9:00.0"}
				g[2].NVLinksUp, g[2].NVLinksDown = 11, 1
				g[3].ECC, g[3].Health = i64(2), model.GPUDegraded
				g[5].ECC, g[5].Health = i64(1), model.GPUFailed
				g[6].Health = model.GPUFailed
			},
		},
		{
			name:   "no ECC, NUMA from sysfs",
			states: map[int]gpuState{0: {eccRet: nvml.ERROR_NOT_SUPPORTED}, 4: {eccRet: nvml.ERROR_NOT_SUPPORTED, ecc: 3}},
			tree:   treeOpts{numa: map[int]int{7: -1}},
			lib: func(srv *dgxa100.Server) {
				srv.LookupSymbolFunc = func(s string) error {
					if s == "nvmlDeviceGetNumaNodeId" {
						return errors.New("undefined symbol")
					}
					return nil
				}
				for _, d := range srv.Devices {
					d.(*dgxa100.Device).GetNumaNodeIdFunc = nil // must not be called
				}
			},
			want: func(o *model.Observation) {
				n := &o.Nodes[0]
				for _, i := range []int{0, 4} {
					n.GPUs[i].ECC, n.GPUs[i].Health = nil, model.GPUUnknown
				}
				n.GPUs[7].NUMANode = 0
				n.Missing = []string{
					"gpus/0/ecc_uncorrected", "gpus/0/xids", "gpus/1/xids", "gpus/2/xids", "gpus/3/xids",
					"gpus/4/ecc_uncorrected", "gpus/4/xids", "gpus/5/xids", "gpus/6/xids",
					"gpus/7/numa_node", "gpus/7/xids",
				}
			},
		},
		{
			name: "RDMA devices without IPoIB",
			tree: treeOpts{noIPoIB: true},
			want: func(o *model.Observation) {
				n := &o.Nodes[0]
				n.NICs = n.NICs[:3]
				for r := 0; r < 8; r++ {
					name := fmt.Sprintf("mlx5_%d", r)
					n.NICs = append(n.NICs, model.NIC{Name: name, Kind: model.InfiniBand, PCIBusID: dgxNICBus(r),
						Ports: []model.NICPort{{Name: name + "/1", GUID: dgxGUID(r), SpeedGbps: 200}}})
				}
			},
		},
		{
			name:   "lost GPU and unreadable facts",
			states: map[int]gpuState{2: {serialRet: nvml.ERROR_NOT_SUPPORTED}},
			tree:   treeOpts{noSerial: true, skipGPUBus: map[int]bool{6: true}},
			lib: func(srv *dgxa100.Server) {
				get := srv.DeviceGetHandleByIndexFunc
				srv.DeviceGetHandleByIndexFunc = func(i int) (nvml.Device, nvml.Return) {
					if i == 4 {
						return nil, nvml.ERROR_GPU_IS_LOST
					}
					return get(i)
				}
			},
			host: func() (string, error) { return "", errors.New("no name") },
			want: func(o *model.Observation) {
				o.Target = "agent://"
				n := &o.Nodes[0]
				n.Hostname, n.Serial = "", ""
				n.GPUs[2].Serial = ""
				n.GPUs[4] = model.GPUFacts{GPU: model.GPU{Index: 4, Health: model.GPUFailed}}
				n.GPUs[6].NearNICs = nil
				n.Missing = []string{
					"hostname", "serial",
					"gpus/0/xids", "gpus/1/xids", "gpus/2/serial", "gpus/2/xids", "gpus/3/xids",
					"gpus/4",
					"gpus/5/xids", "gpus/6/near_nics", "gpus/6/xids", "gpus/7/xids",
				}
			},
		},
		{
			name: "device count fails",
			lib: func(srv *dgxa100.Server) {
				srv.DeviceGetCountFunc = func() (int, nvml.Return) { return 0, nvml.ERROR_UNKNOWN }
			},
			want: func(o *model.Observation) {
				n := &o.Nodes[0]
				n.GPUs = nil
				n.Missing = []string{"gpus"}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newDGX(tt.states)
			if tt.lib != nil {
				tt.lib(srv)
			}
			c := &Collector{
				Lib:      srv,
				Sys:      dgxTree(t, tt.tree),
				Hostname: func() (string, error) { return "dgx-a100-01", nil },
				Now:      func() time.Time { return testNow.In(time.FixedZone("CET", 3600)) },
			}
			if tt.host != nil {
				c.Hostname = tt.host
			}
			got, err := c.Collect()
			if err != nil {
				t.Fatal(err)
			}
			want := wantDGX()
			tt.want(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("observation (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCollectShutsNVMLDown(t *testing.T) {
	srv := newDGX(nil)
	inits, shutdowns := 0, 0
	srv.InitFunc = func() nvml.Return { inits++; return nvml.SUCCESS }
	srv.ShutdownFunc = func() nvml.Return { shutdowns++; return nvml.SUCCESS }
	if _, err := collectDGX(t, srv, dgxTree(t, treeOpts{}), nil); err != nil {
		t.Fatal(err)
	}
	if inits != 1 || shutdowns != 1 {
		t.Errorf("Init called %d times, Shutdown %d; want 1 and 1", inits, shutdowns)
	}
}

func TestCollectInitFails(t *testing.T) {
	for _, ret := range []nvml.Return{nvml.ERROR_LIBRARY_NOT_FOUND, nvml.ERROR_DRIVER_NOT_LOADED, nvml.ERROR_NO_PERMISSION} {
		t.Run(ret.Error(), func(t *testing.T) {
			srv := newDGX(nil)
			srv.InitFunc = func() nvml.Return { return ret }
			srv.ShutdownFunc = func() nvml.Return { t.Error("Shutdown after a failed Init"); return nvml.SUCCESS }
			obs, err := collectDGX(t, srv, dgxTree(t, treeOpts{}), nil)
			if !errors.Is(err, ErrNoNVML) || obs != nil {
				t.Fatalf("Collect = %v, %v; want nil, ErrNoNVML", obs, err)
			}
			var ne *NVMLError
			if !errors.As(err, &ne) || ne.Ret != ret || ne.Op != "Init" {
				t.Errorf("error %v does not carry the NVML return %v", err, ret)
			}
			want := "NVML is not available on this host: nvml Init: " + ret.Error()
			if err.Error() != want {
				t.Errorf("error = %q, want %q", err, want)
			}
		})
	}
}

// TestCollectRealNVML runs Collect against the real library. This machine
// has no NVIDIA driver, so Init fails and Collect says NVML is missing.
func TestCollectRealNVML(t *testing.T) {
	lib := nvml.New()
	obs, err := Collect(lib, SysFS{})
	if err == nil {
		t.Skipf("NVML is available here (%d nodes observed); nothing to check", len(obs.Nodes))
	}
	if !errors.Is(err, ErrNoNVML) {
		t.Fatalf("Collect with no driver = %v, want ErrNoNVML", err)
	}
	if !strings.HasPrefix(err.Error(), "NVML is not available on this host: ") {
		t.Errorf("error %q", err)
	}
	t.Log(err)
}

func TestBusIDFromPciInfo(t *testing.T) {
	tests := []struct {
		name string
		in   nvml.PciInfo
		want string // "" for an error
	}{
		{"BusId", nvmlPci("0000:b7:00.0"), "0000:b7:00.0"},
		{"legacy only", func() nvml.PciInfo { p := nvmlPci("0001:0a:1f.0"); p.BusId = [32]int8{}; return p }(), "0001:0a:1f.0"},
		{"numeric only", nvml.PciInfo{Domain: 2, Bus: 0xc4, Device: 3}, "0002:c4:03.0"},
		{"empty", nvml.PciInfo{PciDeviceId: 0x20B010DE}, ""},
		{"garbage", func() nvml.PciInfo { var p nvml.PciInfo; copy8(p.BusId[:], "GPU0"); return p }(), ""},
	}
	for _, tt := range tests {
		got, err := busIDFromPciInfo(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("%s: got %q, want an error", tt.name, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: got %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
}
