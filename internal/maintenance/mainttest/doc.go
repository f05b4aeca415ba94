// Package mainttest builds realistic allocated fleets for the
// rolling-maintenance planner and checks the planner's admission rounds
// against the campaign's budgets, independently of the planner itself.
//
// Build carves tenants' blocks with the carving engine (whole nodes, 1 to
// 16 nodes, mostly inside one leaf domain, several tenants) until a target
// share of the fleet is allocated, leaves a share of spare nodes spread
// evenly over the leaf domains and, optionally, holds every other idle
// node in reservations for a "standby" tenant that has no blocks, so that
// only the spares can stand in for a tenant's node.
//
// A Checker watches maintenance.Simulate through SimOptions.Observe. It
// re-implements, from the documentation in package maintenance and
// without calling Decide, what every round must respect: the fleet
// budget, the failure-domain budgets, each tenant's budget (inside and
// outside its windows), that a node leaves its tenant without a spare
// only when no spare in its leaf domain was free, and that every swap
// took a free node from the same leaf domain. Run ties a campaign, the
// simulation and the checker together for property tests and
// cmd/maintbench.
//
// The package is not a test package because the benchmark command uses
// it; it does no I/O.
package mainttest
