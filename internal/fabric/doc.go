// Package fabric turns tenants' network intents into per-device desired
// configuration. It is pure: it reads a snapshot of the inventory (the
// fleet, the tenants' blocks) and the stored allocations, and returns a
// plan; it does no I/O.
//
// The pipeline follows Arista AVD's: tenant intent → allocations (VNIs,
// VLANs, route targets, PKeys, storage subnets: deterministic formulas,
// overrides, released IDs held back before reuse) → a typed,
// vendor-neutral DeviceConfig per device (VRFs with L3VNIs, L2VNI
// segments, server-port bindings, InfiniBand partitions) → vendor text,
// which the drivers render (package drivers). Uniqueness and isolation
// are checked on the typed layer, with exact messages, before anything
// reaches a device.
package fabric
