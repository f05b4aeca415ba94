// Package maintenance plans rolling-maintenance campaigns: firmware
// updates, power cycles, OS and driver patches and hardware swaps over a
// set of nodes, with a bounded share of the fleet offline at once.
//
// It is pure. A campaign's Spec (action, selector, budgets, windows,
// health check, stop conditions) is checked by Validate; Decide takes a
// snapshot of the inventory (model.CarveSnapshot), the campaign's node
// records and the time, and returns one admission round, in the manner
// of Nomad's scheduler:
//
//  1. feasibility: the campaign's windows are open and no exclusion
//     applies; the fleet is not already degraded past Stop.MaxUnavailable;
//     the fleet budget (every campaign's nodes count), the node's failure
//     domains (rack, NVLink domain, leaf domain, pod) and, for a node in a
//     tenant's block that no spare can replace, the tenant's budget (its
//     nodes out at once; 0 unless the operator says otherwise, or the
//     tenant's own window) have room;
//  2. ranking: idle nodes first; then allocated nodes for which the
//     carving engine finds a spare in the same leaf domain (preferring a
//     spare the campaign already maintained), which is swapped into the
//     tenant's block so the tenant keeps its capacity; then allocated
//     nodes the tenant's budget lets go without one.
//
// Every pending node not admitted gets a reason ("fleet budget: 6 of 6
// nodes offline", "no free spare in leaf domain spod/pod1/su2; tenant
// acme budget: 0 of 0 of its nodes already out"), so "why is my node not
// patched yet?" has an answer.
//
// Simulate runs Decide round after round in simulated time, returning
// the plan an operator reads before starting (waves, expected duration,
// each node's wave and why) and what benchmarks and property tests
// measure. Limits round down, as Cluster API's maxUnavailable does, but a
// positive fleet or domain percentage never rounds to zero.
//
// The executor (package maintenance/executor) runs stored campaigns
// against the inventory and the BMCs.
package maintenance
