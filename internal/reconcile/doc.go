// Package reconcile runs tenant networks against the inventory and the
// devices: it compiles the stored intents and the tenants' blocks into
// per-device desired configuration (package fabric), stores each device's
// revision, and brings devices to it through their drivers (package
// drivers), level-based, like controller-runtime: desired state stored,
// observed state read back, re-applying the same state a no-op.
//
// A pass syncs the devices whose stored revision is newer than the one
// last applied, and — on a drift check — every device, so a hand edit on
// a switch is found, reported (the device's drift count and last drift)
// and corrected. Devices are synced in parallel, bounded per fabric;
// failures are retried with exponential backoff. A releasing tenant's
// network is deleted only when every device has applied a revision
// without it, so "released" means every one of its ports is isolated.
package reconcile
