package agent

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"

	"github.com/railyard/railyard/internal/model"
)

// ErrNoNVML says NVML could not be initialised on this host: the library
// (libnvidia-ml.so.1) is absent, the driver is not loaded, or Init failed
// otherwise. Collect wraps it with NVML's own error string, so the message
// reads "NVML is not available on this host: ERROR_LIBRARY_NOT_FOUND".
var ErrNoNVML = errors.New("NVML is not available on this host")

// NVMLError is an NVML call that failed.
type NVMLError struct {
	Op  string      // the call: "Init", "DeviceGetCount"
	Ret nvml.Return // what it returned
}

func (e *NVMLError) Error() string { return "nvml " + e.Op + ": " + e.Ret.Error() }

// Source is the Observation.Source of what the agent collects.
const Source = "agent"

// Collector collects one observation of the node it runs on. The zero
// value is not usable: Lib is required.
type Collector struct {
	// Lib is the NVML library: nvml.New() on a node, a mock in tests.
	Lib nvml.Interface
	// Sys is the sysfs tree to read; the zero value reads /sys.
	Sys SysFS
	// Hostname names the node; nil means os.Hostname.
	Hostname func() (string, error)
	// Now stamps the observation; nil means time.Now.
	Now func() time.Time
	// XIDs, when set and watching, supplies per-GPU XID event counts.
	// Without it GPUFacts.XIDs stays nil and is named in Missing.
	XIDs *XIDCounter
}

// Collect collects one observation with default settings; see
// Collector.Collect.
func Collect(lib nvml.Interface, sys SysFS) (*model.Observation, error) {
	return (&Collector{Lib: lib, Sys: sys}).Collect()
}

// Collect initialises NVML, reads the node's GPUs and NICs and shuts NVML
// down again. The observation has one NodeFacts. It fails only when NVML
// cannot be initialised (an error wrapping ErrNoNVML and an *NVMLError);
// anything narrower that cannot be read is named in NodeFacts.Missing.
func (c *Collector) Collect() (*model.Observation, error) {
	lib := c.Lib
	if ret := lib.Init(); ret != nvml.SUCCESS {
		return nil, fmt.Errorf("%w: %w", ErrNoNVML, &NVMLError{Op: "Init", Ret: ret})
	}
	defer lib.Shutdown()

	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	hostname := os.Hostname
	if c.Hostname != nil {
		hostname = c.Hostname
	}
	obs := &model.Observation{Source: Source, At: now().UTC()}
	var node model.NodeFacts
	miss := func(f string) { node.Missing = append(node.Missing, f) }

	if h, err := hostname(); err == nil && h != "" {
		node.Hostname = h
	} else {
		miss("hostname")
	}
	obs.Target = "agent://" + node.Hostname
	// The agent runs on the node, so the node is on.
	node.Power = "on"
	for _, f := range []struct {
		attr, name string
		dst        *string
	}{
		{"sys_vendor", "vendor", &node.Vendor},
		{"product_name", "model", &node.Model},
		{"product_serial", "serial", &node.Serial},
	} {
		if v, ok := c.Sys.dmi(f.attr); ok {
			*f.dst = v
		} else {
			miss(f.name)
		}
	}

	// NICs first: the GPUs' near NICs are computed against them.
	nics, nicMissing, nicErr := c.Sys.nics()

	numaFromNVML := lib.Extensions().LookupSymbol("nvmlDeviceGetNumaNodeId") == nil
	count, ret := lib.DeviceGetCount()
	if ret != nvml.SUCCESS {
		miss("gpus")
	}
	for i := 0; i < count; i++ {
		g := c.gpu(i, numaFromNVML, nics, nicErr == nil)
		node.GPUs = append(node.GPUs, g.facts)
		node.Missing = append(node.Missing, g.missing...)
	}

	if nicErr != nil {
		miss("nics")
	}
	for _, n := range nics {
		node.NICs = append(node.NICs, n.NIC)
	}
	node.Missing = append(node.Missing, nicMissing...)
	obs.Nodes = []model.NodeFacts{node}
	return obs, nil
}

// gpuRead is one GPU being read.
type gpuRead struct {
	facts   model.GPUFacts
	missing []string
	lost    bool
}

// check reports whether an NVML call succeeded; when it did not, the
// field is named missing and a lost GPU is remembered.
func (g *gpuRead) check(ret nvml.Return, field string) bool {
	if ret == nvml.SUCCESS {
		return true
	}
	if ret == nvml.ERROR_GPU_IS_LOST {
		g.lost = true
	}
	g.miss(field)
	return false
}

func (g *gpuRead) miss(field string) {
	g.missing = append(g.missing, "gpus/"+strconv.Itoa(g.facts.Index)+"/"+field)
}

// gpu reads GPU i.
func (c *Collector) gpu(i int, numaFromNVML bool, nics []sysNIC, nicsKnown bool) gpuRead {
	g := gpuRead{facts: model.GPUFacts{GPU: model.GPU{Index: i}}}
	dev, ret := c.Lib.DeviceGetHandleByIndex(i)
	if ret != nvml.SUCCESS {
		// The driver counts the GPU but cannot hand it out: say so once.
		g.facts.Health = model.GPUUnknown
		if ret == nvml.ERROR_GPU_IS_LOST {
			g.facts.Health = model.GPUFailed
		}
		g.missing = append(g.missing, "gpus/"+strconv.Itoa(i))
		return g
	}
	f := &g.facts

	if v, ret := dev.GetUUID(); g.check(ret, "uuid") {
		f.UUID = v
	}
	if v, ret := dev.GetName(); g.check(ret, "model") {
		f.Model = v
	}
	if v, ret := dev.GetSerial(); g.check(ret, "serial") {
		f.Serial = v
	}
	if m, ret := dev.GetMemoryInfo(); g.check(ret, "memory_mib") {
		f.MemoryMiB = int(m.Total / (1 << 20))
	}
	if p, ret := dev.GetPciInfo(); g.check(ret, "pci_bus_id") {
		if id, err := busIDFromPciInfo(p); err == nil {
			f.PCIBusID = id
		} else {
			g.miss("pci_bus_id")
		}
	}
	c.numa(&g, dev, numaFromNVML)
	c.nvlinks(&g, dev)
	c.nearNICs(&g, nics, nicsKnown)
	c.health(&g, dev)
	if c.XIDs != nil {
		if n, ok := c.XIDs.Count(i); ok {
			f.XIDs = &n
		}
	}
	if f.XIDs == nil {
		g.miss("xids")
	}
	return g
}

// numa sets the GPU's NUMA node from NVML when the library has
// nvmlDeviceGetNumaNodeId, else from sysfs; -1 (no affinity reported)
// leaves 0 and names the fact missing.
func (c *Collector) numa(g *gpuRead, dev nvml.Device, fromNVML bool) {
	if fromNVML {
		n, ret := dev.GetNumaNodeId()
		if ret == nvml.SUCCESS && n >= 0 {
			g.facts.NUMANode = n
			return
		}
		if ret == nvml.ERROR_GPU_IS_LOST {
			g.lost = true
		}
	}
	if g.facts.PCIBusID != "" {
		if n, err := c.Sys.NUMANode(g.facts.PCIBusID); err == nil && n >= 0 {
			g.facts.NUMANode = n
			return
		}
	}
	g.miss("numa_node")
}

// nvlinks counts the GPU's NVLinks by state and lists the PCI bus ids at
// the far end of the active ones (NVSwitches on HGX boards, GPUs on
// directly connected boards), each once, in order of first appearance.
// Links NVML calls unsupported are skipped; an invalid link number ends
// the walk.
func (c *Collector) nvlinks(g *gpuRead, dev nvml.Device) {
	f := &g.facts
	stateMissing, peersMissing := false, false
	seen := map[string]bool{}
	for l := 0; l < nvml.NVLINK_MAX_LINKS; l++ {
		st, ret := dev.GetNvLinkState(l)
		switch ret {
		case nvml.SUCCESS:
		case nvml.ERROR_NOT_SUPPORTED:
			continue
		case nvml.ERROR_INVALID_ARGUMENT:
			l = nvml.NVLINK_MAX_LINKS
			continue
		default:
			if ret == nvml.ERROR_GPU_IS_LOST {
				g.lost = true
			}
			stateMissing = true
			continue
		}
		if st != nvml.FEATURE_ENABLED {
			f.NVLinksDown++
			continue
		}
		f.NVLinksUp++
		p, ret := dev.GetNvLinkRemotePciInfo(l)
		if ret != nvml.SUCCESS {
			peersMissing = true
			continue
		}
		id, err := busIDFromPciInfo(p)
		if err != nil {
			peersMissing = true
			continue
		}
		if !seen[id] {
			seen[id] = true
			f.NVLinkPeers = append(f.NVLinkPeers, id)
		}
	}
	if stateMissing {
		g.miss("nvlinks")
	}
	if peersMissing {
		g.miss("nvlink_peers")
	}
}

// nearNICs lists the NICs under the same PCIe switch as the GPU (see
// SharePCIeSwitch), by PCI bus id, sorted.
func (c *Collector) nearNICs(g *gpuRead, nics []sysNIC, nicsKnown bool) {
	if !nicsKnown || g.facts.PCIBusID == "" {
		g.miss("near_nics")
		return
	}
	p, err := c.Sys.PCIDevice(g.facts.PCIBusID)
	if err != nil {
		g.miss("near_nics")
		return
	}
	for _, n := range nics {
		if SharePCIeSwitch(p, n.Path) {
			g.facts.NearNICs = append(g.facts.NearNICs, n.PCIBusID)
		}
	}
	sort.Strings(g.facts.NearNICs)
}

// health reads volatile uncorrected ECC, pending page retirement and row
// remapping, and sets Health by the rule in the package comment.
func (c *Collector) health(g *gpuRead, dev nvml.Device) {
	f := &g.facts
	var ecc *int64
	if n, ret := dev.GetTotalEccErrors(nvml.MEMORY_ERROR_TYPE_UNCORRECTED, nvml.VOLATILE_ECC); g.check(ret, "ecc_uncorrected") {
		v := int64(n)
		ecc = &v
		f.ECC = ecc
	}
	// Page retirement (pre-Ampere) and row remapping (Ampere on) are
	// optional signals: NOT_SUPPORTED on the other generation.
	retirePending := false
	if st, ret := dev.GetRetiredPagesPendingStatus(); ret == nvml.SUCCESS {
		retirePending = st == nvml.FEATURE_ENABLED
	} else if ret == nvml.ERROR_GPU_IS_LOST {
		g.lost = true
	}
	remapPending, remapFailed := false, false
	if _, _, pending, failed, ret := dev.GetRemappedRows(); ret == nvml.SUCCESS {
		remapPending, remapFailed = pending, failed
	} else if ret == nvml.ERROR_GPU_IS_LOST {
		g.lost = true
	}
	switch {
	case g.lost || remapFailed:
		f.Health = model.GPUFailed
	case ecc == nil:
		f.Health = model.GPUUnknown
	case *ecc > 0 && (retirePending || remapPending):
		f.Health = model.GPUFailed
	case *ecc > 0:
		f.Health = model.GPUDegraded
	default:
		f.Health = model.GPUHealthy
	}
}
