package agent

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/railyard/railyard/internal/model"
)

func TestParsePCIePath(t *testing.T) {
	tests := []struct {
		in   string
		want PCIePath
		err  bool
	}{
		{in: "/sys/devices/pci0000:00/0000:00:01.1/0000:01:00.0/0000:02:00.0/0000:07:00.0",
			want: PCIePath{HostBridge: "pci0000:00", Chain: []string{"0000:00:01.1", "0000:01:00.0", "0000:02:00.0", "0000:07:00.0"}}},
		{in: "/sys/devices/pci0000:b0/0000:b0:01.1/0000:b1:00.0/0000:b2:04.0/0000:BA:00.0/net/ib6",
			want: PCIePath{HostBridge: "pci0000:b0", Chain: []string{"0000:b0:01.1", "0000:b1:00.0", "0000:b2:04.0", "0000:ba:00.0"}, Rest: "net/ib6"}},
		{in: "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0",
			want: PCIePath{HostBridge: "pci0000:00", Chain: []string{"0000:00:14.0"}, Rest: "usb1/1-1/1-1:1.0"}},
		// Intel VMD: a second host bridge inside the tree.
		{in: "/sys/devices/pci0000:00/0000:00:0e.0/pci10000:e0/10000:e0:06.0/10000:e1:00.0",
			want: PCIePath{HostBridge: "pci0000:00", Chain: []string{"0000:00:0e.0", "pci10000:e0", "10000:e0:06.0", "10000:e1:00.0"}}},
		// Arm: a platform device in front of the host bridge.
		{in: "/sys/devices/platform/soc/3a000000.pcie/pci0002:00/0002:00:00.0/0002:01:00.0/",
			want: PCIePath{HostBridge: "platform/soc/3a000000.pcie/pci0002:00", Chain: []string{"0002:00:00.0", "0002:01:00.0"}}},
		{in: "/sys/devices/pci0000:00/./0000:00:01.0//0000:01:00.0",
			want: PCIePath{HostBridge: "pci0000:00", Chain: []string{"0000:00:01.0", "0000:01:00.0"}}},
		{in: "/sys/devices/virtual/net/lo", err: true},
		{in: "/sys/devices/pci0000:00", err: true},
		{in: "/sys/devices/pci0000:00/net", err: true},
		{in: "/sys/class/net/ib0", err: true},
		{in: "/sys/devices/../class/pci0000:00/0000:00:01.0", err: true},
		{in: "sys/devices/pci0000:00/0000:00:01.0", err: true},
		{in: "", err: true},
	}
	for _, tt := range tests {
		got, err := ParsePCIePath(tt.in)
		if tt.err {
			if !errors.Is(err, ErrNotPCIePath) {
				t.Errorf("ParsePCIePath(%q) = %+v, %v; want ErrNotPCIePath", tt.in, got, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParsePCIePath(%q): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParsePCIePath(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestSharePCIeSwitch(t *testing.T) {
	p := func(s string) PCIePath {
		t.Helper()
		v, err := ParsePCIePath(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	gpu0 := p("/sys/devices/pci0000:00/0000:00:01.1/0000:01:00.0/0000:02:00.0/0000:07:00.0")
	tests := []struct {
		name string
		nic  PCIePath
		want bool
	}{
		{"same switch, other downstream port (PXB)", p("/sys/devices/pci0000:00/0000:00:01.1/0000:01:00.0/0000:02:04.0/0000:0c:00.0"), true},
		{"same downstream port (PIX)", p("/sys/devices/pci0000:00/0000:00:01.1/0000:01:00.0/0000:02:00.0/0000:07:00.1"), true},
		{"nested switch below the shared one", p("/sys/devices/pci0000:00/0000:00:01.1/0000:01:00.0/0000:02:08.0/0000:03:00.0/0000:04:00.0/0000:05:00.0"), true},
		{"same host bridge, other root port (PHB)", p("/sys/devices/pci0000:00/0000:00:03.1/0000:25:00.0"), false},
		{"other host bridge", p("/sys/devices/pci0000:40/0000:40:01.1/0000:41:00.0/0000:42:04.0/0000:4b:00.0"), false},
		{"on the root complex itself", p("/sys/devices/pci0000:00/0000:00:14.0"), false},
	}
	for _, tt := range tests {
		if got := SharePCIeSwitch(gpu0, tt.nic); got != tt.want {
			t.Errorf("%s: SharePCIeSwitch = %v, want %v", tt.name, got, tt.want)
		}
		if got := SharePCIeSwitch(tt.nic, gpu0); got != tt.want {
			t.Errorf("%s (swapped): SharePCIeSwitch = %v, want %v", tt.name, got, tt.want)
		}
	}
	// Two NVMe drives behind one VMD controller but on different VMD
	// root ports share only the VMD domain's host bridge.
	a := p("/sys/devices/pci0000:00/0000:00:0e.0/pci10000:e0/10000:e0:06.0/10000:e1:00.0")
	b := p("/sys/devices/pci0000:00/0000:00:0e.0/pci10000:e0/10000:e0:07.0/10000:e2:00.0")
	if SharePCIeSwitch(a, b) {
		t.Error("VMD devices on different root ports share a switch")
	}
}

func TestSysFSDGX(t *testing.T) {
	sys := dgxTree(t, treeOpts{})
	p, err := sys.PCIDevice("0000:bd:00.0")
	if err != nil {
		t.Fatal(err)
	}
	want := "/sys/devices/pci0000:b0/0000:b0:01.1/0000:b1:00.0/0000:b2:0c.0/0000:bd:00.0"
	if p.String() != want {
		t.Errorf("GPU 7 path = %s, want %s", p, want)
	}
	if r, err := sys.Resolve("/sys/class/net/ib3/device"); err != nil || r != "/sys/devices/pci0000:40/0000:40:01.1/0000:41:00.0/0000:42:08.0/0000:54:00.0" {
		t.Errorf("ib3 device = %q, %v", r, err)
	}
	if n, err := sys.NUMANode("0000:47:00.0"); err != nil || n != 1 {
		t.Errorf("NUMA of GPU 2 = %d, %v", n, err)
	}
	if _, err := sys.PCIDevice("0000:ff:00.0"); err == nil {
		t.Error("an absent device resolved")
	}
}

func TestSysFSResolveStaysInRoot(t *testing.T) {
	s := sysTree{t: t, root: t.TempDir()}
	s.dir("/sys/class/net")
	if err := os.Symlink("../../../../../../../../etc", s.host("/sys/class/net/evil")); err != nil {
		t.Fatal(err)
	}
	if r, err := (SysFS{Root: s.root}).Resolve("/sys/class/net/evil"); err == nil {
		t.Errorf("Resolve left the root: %s", r)
	}
}

func TestNICsOddInterfaces(t *testing.T) {
	s := sysTree{t: t, root: t.TempDir()}
	dev := s.pciDev("pci0000:00", 0, "0000:00:02.0", "0000:03:00.0")
	s.netdev(dev, "eth0", "1", "00:00:00:00:00:00", "-1") // no MAC, link down
	dev2 := s.pciDev("pci0000:00", 0, "0000:00:02.0", "0000:03:00.1")
	s.netdev(dev2, "ib9", "32", "not-an-address", "")
	dev3 := s.pciDev("pci0000:00", 0, "0000:00:02.0", "0000:03:00.2")
	s.netdev(dev3, "can0", "280", "", "")
	// mlx4: one function, two ports.
	dev4 := s.pciDev("pci0000:00", 0, "0000:00:03.0", "0000:04:00.0")
	s.netdev(dev4, "ib10", "32", "80:00:02:08:fe:80:00:00:00:00:00:00:00:02:c9:03:00:0e:e1:01", "")
	s.netdev(dev4, "ib11", "32", "80:00:02:09:fe:80:00:00:00:00:00:00:00:02:c9:03:00:0e:e1:02", "")
	s.file(dev4+"/net/ib11/dev_port", "1")
	s.file(dev4+"/infiniband/mlx4_0/ports/1/rate", "40 Gb/sec (4X QDR)")
	s.file(dev4+"/infiniband/mlx4_0/ports/2/rate", "10 Gb/sec (4X SDR)")
	s.link(dev4+"/infiniband/mlx4_0/device", dev4)
	s.link("/sys/class/infiniband/mlx4_0", dev4+"/infiniband/mlx4_0")
	// A USB NIC is not a PCI function.
	usb := s.pciDev("pci0000:00", 0, "0000:00:14.0") + "/usb1/1-1/1-1:1.0"
	s.dir(usb)
	s.netdev(usb, "usb0", "1", "02:00:00:00:00:01", "")
	// An RDMA device with an unknown link layer and no netdev.
	dev5 := s.pciDev("pci0000:00", 0, "0000:00:04.0", "0000:05:00.0")
	s.rdma(dev5, "rxe0", "", "", "fe80:0000:0000:0000:0000:0000:0000:0000")

	got, missing, err := SysFS{Root: s.root}.nics()
	if err != nil {
		t.Fatal(err)
	}
	want := []model.NIC{
		{Name: "can0", PCIBusID: "0000:03:00.2", Ports: []model.NICPort{{Name: "can0"}}},
		{Name: "eth0", Kind: model.Ethernet, PCIBusID: "0000:03:00.0", Ports: []model.NICPort{{Name: "eth0"}}},
		{Name: "ib10", Kind: model.InfiniBand, PCIBusID: "0000:04:00.0", Ports: []model.NICPort{
			{Name: "ib10", GUID: "0x0002c903000ee101", SpeedGbps: 40},
			{Name: "ib11", GUID: "0x0002c903000ee102", SpeedGbps: 10},
		}},
		{Name: "ib9", Kind: model.InfiniBand, PCIBusID: "0000:03:00.1", Ports: []model.NICPort{{Name: "ib9"}}},
		{Name: "rxe0", PCIBusID: "0000:05:00.0", Ports: []model.NICPort{{Name: "rxe0/1"}}},
	}
	var gotNICs []model.NIC
	for _, n := range got {
		gotNICs = append(gotNICs, n.NIC)
	}
	if diff := cmp.Diff(want, gotNICs); diff != "" {
		t.Errorf("NICs (-want +got):\n%s", diff)
	}
	wantMissing := []string{"nics/can0/kind", "nics/eth0/mac", "nics/ib9/guid", "nics/rxe0/kind"}
	if diff := cmp.Diff(wantMissing, missing, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("missing (-want +got):\n%s", diff)
	}
}

func TestNICsNoSysfs(t *testing.T) {
	_, _, err := SysFS{Root: filepath.Join(t.TempDir(), "absent")}.nics()
	if err == nil {
		t.Fatal("no error without /sys/class/net")
	}
}

func TestDMIPlaceholders(t *testing.T) {
	s := sysTree{t: t, root: t.TempDir()}
	s.file("/sys/class/dmi/id/product_serial", "To Be Filled By O.E.M.")
	s.file("/sys/class/dmi/id/sys_vendor", "Supermicro")
	sys := SysFS{Root: s.root}
	if v, ok := sys.dmi("product_serial"); ok {
		t.Errorf("placeholder serial %q taken as a fact", v)
	}
	if v, ok := sys.dmi("sys_vendor"); !ok || v != "Supermicro" {
		t.Errorf("vendor = %q, %v", v, ok)
	}
	if _, ok := sys.dmi("product_name"); ok {
		t.Error("absent product name read")
	}
}

func TestNormalizePCIBusID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"0000:07:00.0", "0000:07:00.0"},
		{"00000000:B7:00.0", "0000:b7:00.0"},
		{"0000:BD:1F.7\x00\x00", "0000:bd:1f.7"},
		{" 1:02:03.4\n", "0001:02:03.4"},
		{"10000:e1:00.0", "10000:e1:00.0"},
		{"0000:07:20.0", ""},
		{"0000:07:00.8", ""},
		{"0000:7:00.0", ""},
		{"07:00.0", ""},
		{"000000000:07:00.0", ""},
		{"0x00:07:00.0", ""},
		{"+000:07:00.0", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, err := NormalizePCIBusID(tt.in)
		if tt.want == "" {
			if !errors.Is(err, ErrBadPCIBusID) {
				t.Errorf("NormalizePCIBusID(%q) = %q, %v; want ErrBadPCIBusID", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizePCIBusID(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func FuzzNormalizePCIBusID(f *testing.F) {
	for _, s := range []string{"0000:07:00.0", "00000000:B7:00.0", "10000:e1:00.0", "0000:07:20.0", " 1:02:03.4\x00", "a:bb:cc.d", "::."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := NormalizePCIBusID(s)
		want, merr := model.ParsePCIBusID(s)
		if merr == nil && (err != nil || got != want) {
			t.Fatalf("NormalizePCIBusID(%q) = %q, %v; model.ParsePCIBusID says %q", s, got, err, want)
		}
		if err != nil {
			return
		}
		again, err := NormalizePCIBusID(got)
		if err != nil || again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", s, got, again, err)
		}
		if strings.ToLower(got) != got || len(got) < len("0000:00:00.0") {
			t.Fatalf("not canonical: %q", got)
		}
		if len(got) == len("0000:00:00.0") {
			if m, err := model.ParsePCIBusID(got); err != nil || m != got {
				t.Fatalf("model.ParsePCIBusID(%q) = %q, %v", got, m, err)
			}
		}
	})
}

func FuzzParsePCIePath(f *testing.F) {
	for _, s := range []string{
		"/sys/devices/pci0000:00/0000:00:01.1/0000:01:00.0/0000:02:00.0/0000:07:00.0",
		"/sys/devices/pci0000:b0/0000:b0:01.1/0000:b1:00.0/0000:BA:00.0/net/ib6",
		"/sys/devices/pci0000:00/0000:00:0e.0/pci10000:e0/10000:e0:06.0/10000:e1:00.0",
		"/sys/devices/platform/soc/3a000000.pcie/pci0002:00/0002:00:00.0",
		"/sys/devices/pci0000:00/0000:00:14.0/usb1/1-1",
		"/sys/devices/virtual/net/lo",
	} {
		f.Add(s)
	}
	gpu, _ := ParsePCIePath("/sys/devices/pci0000:00/0000:00:01.1/0000:01:00.0/0000:02:00.0/0000:07:00.0")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePCIePath(s)
		if err != nil {
			if !errors.Is(err, ErrNotPCIePath) {
				t.Fatalf("ParsePCIePath(%q): unwrapped error %v", s, err)
			}
			return
		}
		if len(p.Chain) == 0 {
			t.Fatalf("ParsePCIePath(%q): empty chain", s)
		}
		if id, err := NormalizePCIBusID(p.Device()); err != nil || id != p.Device() {
			t.Fatalf("ParsePCIePath(%q): device %q is not canonical", s, p.Device())
		}
		back, err := ParsePCIePath(p.String())
		if err != nil {
			t.Fatalf("ParsePCIePath(%q) = %+v, which renders as %q that does not parse: %v", s, p, p.String(), err)
		}
		if diff := cmp.Diff(p, back); diff != "" {
			t.Fatalf("round trip of %q via %q (-first +second):\n%s", s, p.String(), diff)
		}
		if !SharePCIeSwitch(p, p) && len(p.Chain) >= 3 && !strings.HasPrefix(p.Chain[len(p.Chain)-2], "pci") && !strings.HasPrefix(p.Chain[len(p.Chain)-3], "pci") {
			t.Fatalf("%q does not share a switch with itself", s)
		}
		if SharePCIeSwitch(p, gpu) != SharePCIeSwitch(gpu, p) {
			t.Fatalf("SharePCIeSwitch is not symmetric for %q", s)
		}
	})
}
