// Package agent is the collecting half of Railyard's on-node agent: it asks
// NVML about the node's GPUs and Linux sysfs about its PCIe tree and NICs,
// and turns the answers into one model.Observation with Source "agent".
//
// The pieces:
//
//   - Collect (and Collector, its configurable form) initialises NVML,
//     reads every GPU (UUID, name, serial, memory, PCI bus id, NUMA node,
//     NVLink state and peers, volatile uncorrected ECC, page retirement and
//     row remapping), reads the NICs from sysfs, computes which NICs sit
//     near which GPU, and shuts NVML down again. When NVML cannot be
//     initialised at all it returns an error wrapping ErrNoNVML.
//   - SysFS reads /sys from a root directory, so tests build a fake tree in
//     a temporary directory; ParsePCIePath splits a resolved sysfs device
//     path into its host bridge and chain of PCI functions.
//   - WatchXIDs and XIDCounter count XID critical-error events per GPU
//     through an NVML event set; a Collector given the counter reports the
//     counts.
//   - Run collects every Config.Interval and hands each observation to a
//     report function (the gRPC client lives elsewhere), backing off after
//     failures.
//
// Facts the node did not provide are left empty and named in
// NodeFacts.Missing ("gpus/3/serial", "nics/ib0/guid"); nothing is guessed.
//
// # NIC affinity
//
// A NIC is near a GPU (GPUFacts.NearNICs) when the deepest common ancestor
// of the two PCI functions in the PCIe tree is a bridge strictly below the
// root port: both hang under the same PCIe switch, which is what
// nvidia-smi topo calls PIX or PXB. NICs that only share a root port's host
// bridge (PHB), a NUMA node (NODE) or nothing (SYS) are not near. On a DGX
// A100 each of the four PCIe switches carries two GPUs and two ConnectX
// NICs, so every GPU has exactly two near NICs.
//
// # GPU health
//
// A GPU is failed when NVML says it is lost, when row remapping has failed,
// or when it has volatile uncorrected ECC errors and a page retirement or
// row remap is pending (it needs a reset before it can be trusted); it is
// degraded when it has any volatile uncorrected ECC errors; healthy when
// its ECC counter reads zero; and unknown when NVML cannot report ECC.
// XID events are counted but do not change health, because most XIDs (13,
// 31, 43) are application faults.
//
// The package needs cgo: go-nvml does not build without it.
package agent
