package agent

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/dgxa100"
)

// A DGX A100 as this package's tests see it: four PCIe switches, each with
// two A100 GPUs and two ConnectX-6 InfiniBand NICs (the compute rails), a
// dual-port ConnectX-6 Ethernet storage NIC on its own root port, an
// on-board management NIC beside the first switch's root port, and six
// NVSwitches that every GPU reaches with two NVLinks each.

// dgxSwitch is one PCIe switch: its host bridge bus, GPUs and NICs.
type dgxSwitch struct {
	bus  int       // root complex bus: the host bridge is pci0000:<bus>
	gpus [2]string // bus ids
	nics [2]string
	numa int
}

var dgxSwitches = [4]dgxSwitch{
	{bus: 0x00, gpus: [2]string{"0000:07:00.0", "0000:0f:00.0"}, nics: [2]string{"0000:0c:00.0", "0000:12:00.0"}, numa: 3},
	{bus: 0x40, gpus: [2]string{"0000:47:00.0", "0000:4e:00.0"}, nics: [2]string{"0000:4b:00.0", "0000:54:00.0"}, numa: 1},
	{bus: 0x80, gpus: [2]string{"0000:87:00.0", "0000:90:00.0"}, nics: [2]string{"0000:8d:00.0", "0000:94:00.0"}, numa: 7},
	{bus: 0xb0, gpus: [2]string{"0000:b7:00.0", "0000:bd:00.0"}, nics: [2]string{"0000:ba:00.0", "0000:cc:00.0"}, numa: 5},
}

// dgxGPUBus returns GPU i's bus id, dgxNICBus NIC (rail) i's.
func dgxGPUBus(i int) string { return dgxSwitches[i/2].gpus[i%2] }
func dgxNICBus(i int) string { return dgxSwitches[i/2].nics[i%2] }
func dgxGPUNUMA(i int) int   { return dgxSwitches[i/2].numa }

// dgxNVSwitches are the NVSwitches' bus ids; GPU link l goes to l/2.
var dgxNVSwitches = [6]string{"0000:c4:00.0", "0000:c5:00.0", "0000:c6:00.0", "0000:c7:00.0", "0000:c8:00.0", "0000:c9:00.0"}

func dgxUUID(i int) string   { return fmt.Sprintf("GPU-a1000000-0000-4000-8000-%012d", i) }
func dgxSerial(i int) string { return fmt.Sprintf("132062%07d", 1000+i) }
func dgxGUID(i int) string   { return fmt.Sprintf("0x0c42a1030010a0%02x", i) }

// nvmlPci is the PciInfo NVML returns for a bus id: an eight-digit
// domain in upper case, as the real library writes it.
func nvmlPci(busID string) nvml.PciInfo {
	var dom, bus, dev, fn uint32
	if _, err := fmt.Sscanf(busID, "%x:%x:%x.%x", &dom, &bus, &dev, &fn); err != nil {
		panic(err)
	}
	p := nvml.PciInfo{Domain: dom, Bus: bus, Device: dev, PciDeviceId: 0x20B010DE}
	copy8(p.BusId[:], fmt.Sprintf("%08X:%02X:%02X.%X", dom, bus, dev, fn))
	copy8(p.BusIdLegacy[:], fmt.Sprintf("%04X:%02X:%02X.%X", dom, bus, dev, fn))
	return p
}

func copy8(dst []int8, s string) {
	for i := 0; i < len(s) && i < len(dst)-1; i++ {
		dst[i] = int8(s[i])
	}
}

// gpuState is what a test wants one mock GPU to report.
type gpuState struct {
	linksDown    map[int]bool
	ecc          uint64
	eccRet       nvml.Return
	remapPending bool
	remapFailed  bool
	serialRet    nvml.Return
}

// newDGX returns the go-nvml DGX A100 mock with every method Collect calls
// filled in to match dgxSwitches; states (by GPU index) alter GPUs.
func newDGX(states map[int]gpuState) *dgxa100.Server {
	srv := dgxa100.New()
	for i := range srv.Devices {
		d := srv.Devices[i].(*dgxa100.Device)
		st := states[i]
		d.UUID = dgxUUID(i)
		d.PciBusID = dgxGPUBus(i)
		pci := nvmlPci(dgxGPUBus(i))
		d.GetPciInfoFunc = func() (nvml.PciInfo, nvml.Return) { return pci, nvml.SUCCESS }
		d.GetSerialFunc = func() (string, nvml.Return) {
			if st.serialRet != nvml.SUCCESS {
				return "", st.serialRet
			}
			return dgxSerial(i), nvml.SUCCESS
		}
		d.GetNumaNodeIdFunc = func() (int, nvml.Return) { return dgxGPUNUMA(i), nvml.SUCCESS }
		d.GetNvLinkStateFunc = func(l int) (nvml.EnableState, nvml.Return) {
			if l < 0 || l >= 12 {
				return 0, nvml.ERROR_INVALID_ARGUMENT
			}
			if st.linksDown[l] {
				return nvml.FEATURE_DISABLED, nvml.SUCCESS
			}
			return nvml.FEATURE_ENABLED, nvml.SUCCESS
		}
		d.GetNvLinkRemotePciInfoFunc = func(l int) (nvml.PciInfo, nvml.Return) {
			if l < 0 || l >= 12 {
				return nvml.PciInfo{}, nvml.ERROR_INVALID_ARGUMENT
			}
			return nvmlPci(dgxNVSwitches[l/2]), nvml.SUCCESS
		}
		d.GetTotalEccErrorsFunc = func(t nvml.MemoryErrorType, c nvml.EccCounterType) (uint64, nvml.Return) {
			if t != nvml.MEMORY_ERROR_TYPE_UNCORRECTED || c != nvml.VOLATILE_ECC {
				return 0, nvml.ERROR_INVALID_ARGUMENT
			}
			if st.eccRet != nvml.SUCCESS {
				return 0, st.eccRet
			}
			return st.ecc, nvml.SUCCESS
		}
		// A100s remap rows; page retirement is for earlier GPUs.
		d.GetRetiredPagesPendingStatusFunc = func() (nvml.EnableState, nvml.Return) { return 0, nvml.ERROR_NOT_SUPPORTED }
		d.GetRemappedRowsFunc = func() (int, int, bool, bool, nvml.Return) {
			unc := 0
			if st.remapPending || st.remapFailed {
				unc = 1
			}
			return 0, unc, st.remapPending, st.remapFailed, nvml.SUCCESS
		}
	}
	return srv
}

// sysTree builds a fake sysfs under a root directory.
type sysTree struct {
	t    *testing.T
	root string
}

func (s sysTree) host(p string) string { return filepath.Join(s.root, filepath.FromSlash(p)) }

// file writes a sysfs attribute (with the kernel's trailing newline).
func (s sysTree) file(p, content string) {
	s.t.Helper()
	h := s.host(p)
	if err := os.MkdirAll(filepath.Dir(h), 0o755); err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(h, []byte(content+"\n"), 0o644); err != nil {
		s.t.Fatal(err)
	}
}

func (s sysTree) dir(p string) {
	s.t.Helper()
	if err := os.MkdirAll(s.host(p), 0o755); err != nil {
		s.t.Fatal(err)
	}
}

// link makes the sysfs path p a relative symlink to target, as the
// kernel does.
func (s sysTree) link(p, target string) {
	s.t.Helper()
	rel, err := filepath.Rel(filepath.Dir(s.host(p)), s.host(target))
	if err != nil {
		s.t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(s.host(p)), 0o755); err != nil {
		s.t.Fatal(err)
	}
	if err := os.Symlink(rel, s.host(p)); err != nil {
		s.t.Fatal(err)
	}
}

// pciDev makes a PCI function at the end of chain below host bridge hb
// and returns its directory.
func (s sysTree) pciDev(hb string, numa int, chain ...string) string {
	p := "/sys/devices/" + hb
	for _, c := range chain {
		p += "/" + c
		if _, err := os.Lstat(s.host(p)); err == nil {
			continue
		}
		s.dir(p)
		s.file(p+"/numa_node", fmt.Sprint(numa))
		s.link("/sys/bus/pci/devices/"+c, p)
	}
	return p
}

// netdev makes network interface name of the PCI function at dev.
func (s sysTree) netdev(dev, name, typ, addr, speed string) {
	p := dev + "/net/" + name
	s.file(p+"/type", typ)
	s.file(p+"/address", addr)
	s.file(p+"/dev_port", "0")
	if speed != "" {
		s.file(p+"/speed", speed)
	}
	s.link(p+"/device", dev)
	s.link("/sys/class/net/"+name, p)
}

// rdma makes RDMA device name with one port of the PCI function at dev.
func (s sysTree) rdma(dev, name, linkLayer, rate, gid string) {
	p := dev + "/infiniband/" + name
	s.file(p+"/node_guid", "0c42:a103:0010:a0ff")
	s.file(p+"/ports/1/link_layer", linkLayer)
	s.file(p+"/ports/1/rate", rate)
	s.file(p+"/ports/1/gids/0", gid)
	s.link(p+"/device", dev)
	s.link("/sys/class/infiniband/"+name, p)
}

// treeOpts alter the fake DGX A100 tree.
type treeOpts struct {
	noIPoIB    bool         // RDMA devices only, no ib netdevs
	noSerial   bool         // product_serial unreadable (not root)
	numa       map[int]int  // GPU numa_node overrides
	skipGPUBus map[int]bool // GPUs missing from /sys/bus/pci/devices
}

// dgxTree builds a DGX A100's sysfs in a temporary directory.
func dgxTree(t *testing.T, o treeOpts) SysFS {
	t.Helper()
	s := sysTree{t: t, root: t.TempDir()}
	for k, sw := range dgxSwitches {
		hb := fmt.Sprintf("pci0000:%02x", sw.bus)
		rp := fmt.Sprintf("0000:%02x:01.1", sw.bus)
		up := fmt.Sprintf("0000:%02x:00.0", sw.bus+1)
		down := func(d int) string { return fmt.Sprintf("0000:%02x:%02x.0", sw.bus+2, d) }
		for j := 0; j < 2; j++ {
			gpu := 2*k + j
			numa := sw.numa
			if n, ok := o.numa[gpu]; ok {
				numa = n
			}
			dev := s.pciDev(hb, numa, rp, up, down(j*0xc), sw.gpus[j])
			s.file(dev+"/class", "0x030200")
			s.file(dev+"/vendor", "0x10de")
			if o.skipGPUBus[gpu] {
				os.Remove(s.host("/sys/bus/pci/devices/" + sw.gpus[j]))
			}
			rail := 2*k + j
			nic := s.pciDev(hb, sw.numa, rp, up, down(4+4*j), sw.nics[j])
			s.file(nic+"/class", "0x020700")
			guid := strings.TrimPrefix(dgxGUID(rail), "0x")
			if !o.noIPoIB {
				addr := "00:00:10:87:fe:80:00:00:00:00:00:00"
				for b := 0; b < 16; b += 2 {
					addr += ":" + guid[b:b+2]
				}
				s.netdev(nic, fmt.Sprintf("ib%d", rail), "32", addr, "")
			}
			s.rdma(nic, fmt.Sprintf("mlx5_%d", rail), "InfiniBand", "200 Gb/sec (4X HDR)",
				"fe80:0000:0000:0000:"+guid[0:4]+":"+guid[4:8]+":"+guid[8:12]+":"+guid[12:16])
		}
	}
	// Storage: a dual-port ConnectX-6 in Ethernet mode on its own root
	// port, with one SR-IOV virtual function.
	for f := 0; f < 2; f++ {
		dev := s.pciDev("pci0000:e0", 6, "0000:e0:03.1", fmt.Sprintf("0000:e1:00.%d", f))
		s.netdev(dev, fmt.Sprintf("enp225s0f%d", f), "1", fmt.Sprintf("B8:CE:F6:11:22:3%d", f), "100000")
		s.rdma(dev, fmt.Sprintf("mlx5_%d", 8+f), "Ethernet", "100 Gb/sec (4X EDR)", "fe80:0000:0000:0000:bace:f6ff:fe11:2230")
	}
	vf := s.pciDev("pci0000:e0", 6, "0000:e0:03.1", "0000:e1:00.2")
	s.link(vf+"/physfn", "/sys/devices/pci0000:e0/0000:e0:03.1/0000:e1:00.0")
	s.netdev(vf, "enp225s0f0v0", "1", "b8:ce:f6:11:22:40", "100000")
	// Management: on-board 10GbE on the first socket's root complex but
	// its own root port: it shares a host bridge with GPUs 0 and 1, not a
	// switch.
	mgmt := s.pciDev("pci0000:00", 3, "0000:00:03.1", "0000:25:00.0")
	s.netdev(mgmt, "eno1", "1", "3c:ec:ef:00:00:01", "10000")
	// Virtual interfaces have no device link.
	for _, v := range []string{"lo", "docker0"} {
		p := "/sys/devices/virtual/net/" + v
		s.file(p+"/type", map[string]string{"lo": "772", "docker0": "1"}[v])
		s.file(p+"/address", "00:00:00:00:00:00")
		s.link("/sys/class/net/"+v, p)
	}
	s.file("/sys/class/dmi/id/sys_vendor", "NVIDIA")
	s.file("/sys/class/dmi/id/product_name", "DGXA100 920-23687-2530-000")
	if !o.noSerial {
		s.file("/sys/class/dmi/id/product_serial", "1560221000123")
	}
	return SysFS{Root: s.root}
}
