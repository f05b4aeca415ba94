// Package redfish is the discovery source for BMCs that speak Redfish. It
// registers the schemes redfish (HTTPS; the target's insecure flag skips
// certificate checks) and redfish+http (plain HTTP), both recorded as source
// "redfish".
//
// Discover walks the service with gofish (github.com/stmcginnis/gofish): it
// logs in with a session when the service root offers one (HTTP basic auth
// otherwise) and deletes the session afterwards, even when the walk failed or
// its context ran out. It reads every ComputerSystem, its Processors and every
// Chassis, and reports one model.NodeFacts per compute server:
//
//   - A system with GPU processors and no CPU (NVIDIA HGX BMCs put the GPUs
//     of the server under Systems/HGX_Baseboard_0) is folded into the host
//     whose chassis contains its chassis, or into the only host. A system of
//     SystemType DPU (a SmartNIC's SoC) is not a server and is skipped.
//   - Serial, vendor and model come from the host system, or from its first
//     chassis where the system leaves them out. Power is "on" or "off"
//     (PoweringOn and PoweringOff count as unknown).
//   - GPUs are the processors of ProcessorType GPU that are not Absent, the
//     host's first and then each baseboard's, in natural order of their Id
//     (GPU_SXM_2 before GPU_SXM_10), indexed from 0. A resource's Id is the
//     last segment of its URI, as DSP0266 requires; where the Id property
//     says otherwise (public-tower's NIC1 calls itself 9fa725a1), the URI
//     wins.
//   - NICs are the NetworkAdapters of the node's chassis (the systems'
//     Links.Chassis, the chassis that list the systems, and what those
//     contain; a chassis two servers reach is left out). A NIC is named by
//     its adapter's Id, prefixed with the chassis Id where two adapters share
//     one ("Chassis_0.NIC_0"); its ports by "<nic>/<port Id>". Ports
//     come from the adapter's Ports (NetworkPorts on older services) or, when
//     it has none, its NetworkDeviceFunctions. A port's MAC (or InfiniBand
//     GUID) is the permanent address of its device function, else the current
//     one, else what the port lists, else that of an EthernetInterface of the
//     host linked to the port or function; MACs are lower-case colon form and
//     GUIDs 0x-prefixed hex. Speed is the current link speed.
//
// Nothing is guessed: every fact the service does not give is left empty and
// named in NodeFacts.Missing, as "serial", "gpus/0/uuid",
// "nics/NIC1/ports/1/mac" and so on; "gpus" and "nics" mean the server has no
// Processors or NetworkAdapters collection at all. Placeholders BMCs leave in
// fields nobody filled in ("N/A", "To Be Filled By O.E.M.", the nil UUID, an
// all-zero MAC) count as not given. Redfish has no PCI bus id or NUMA node for
// GPUs and NICs, so those are always named missing. GPU UUIDs are reported as
// the service writes them, without NVML's "GPU-" prefix.
//
// Errors are classified: refused connections, timeouts and 502/503/504 are
// discovery.Unreachable; 401 and 403 are discovery.Unauthorized; a document
// that is not JSON, is cut short, has the wrong shape, a link that does not
// resolve or a bad MAC is discovery.Malformed, and fails the whole target
// rather than reporting part of a server; certificate errors and other HTTP
// errors are discovery.Failed.
//
// The source is also a discovery.PowerController and a
// discovery.BootController, through bmclib's Redfish provider (see power.go).
//
// And it is a discovery.FirmwareUpdater, through gofish, since bmclib v2.3.5
// has no firmware update for a plain Redfish BMC (see firmware.go).
// FirmwareInstall finds the UpdateService from the service root and posts
// the image to its MultipartHttpPushUri (UpdateParameters naming the
// FirmwareInventory member the component names as Targets, then the image as
// UpdateFile, streamed with an exact Content-Length), or, on services
// without one, to HttpPushUri after naming the target in
// HttpPushUriTargets. It returns the id of the Task the BMC answers with
// (202 Accepted: the Task in the body, or the task monitor in Location).
// FirmwareTask reads /redfish/v1/TaskService/Tasks/<id>, so a stored id is
// all a restarted process needs, and maps its TaskState to "running",
// "done" (Completed) or "failed" (Exception, Killed, Cancelled, or Completed
// with TaskStatus Critical), with PercentComplete and the text of its
// Critical and Warning messages. A refused upload is an error of the kind its
// HTTP status deserves, as above, with the BMC's message; an image whose
// length is not the size given, a component the FirmwareInventory lacks or
// that is not Updateable, an image over MaxImageSizeBytes and a disabled
// UpdateService are discovery.Failed before anything is installed.
package redfish
