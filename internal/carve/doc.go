// Package carve is Railyard's placement engine: it hands tenants
// topology-contiguous blocks of GPUs.
//
// The engine is pure. A State is built from a snapshot of the inventory
// (model.CarveSnapshot) and kept in memory by the server; Place, Grow,
// Shrink, Release, Swap and Defrag read it and return a Plan, which the
// caller commits to the store and then applies to the State. Nothing here
// touches a database or the network, so a decision never scans a table
// and every decision can be replayed.
//
// Placement runs in stages, in the manner of Nomad's scheduler:
//
//  1. feasibility: a node is eligible when it has the requested GPU model
//     and site, is available, healthy, not cordoned, not reserved for
//     another tenant and not in a block; the tenant's quota must allow the
//     request. Every node turned away is counted under its reason.
//  2. ranking: the engine walks the topology tree from the bottom (NVLink
//     domain, leaf domain, pod, site) and stops at the tightest level where
//     one domain can hold the whole request. Among those domains it picks
//     the one that needs the fewest child domains, then the best fit (the
//     least free capacity left behind), then the one whose parent is
//     fullest, so that whole domains stay whole.
//  3. selection: inside the chosen domain it recurses, taking the fewest
//     children and, among sets of that size, the tightest one.
//
// A request that cannot be placed gets a Refusal that says why in numbers:
// the quota left, the nodes turned away by reason, and the largest free
// domain at the required level.
package carve
