// Package executor runs maintenance campaigns against the inventory and
// the nodes' BMCs: the I/O edge of package maintenance.
//
// Each tick it starts scheduled runs whose cron time came, asks the
// planner (maintenance.Decide) for an admission round and commits it in
// one transaction (the nodes' records, their cordons and the carving
// engine's spare swaps), then moves every admitted node through a
// level-based state machine, one stored step at a time:
//
//	cordoned → swapping (a spare took its place; wait for the tenant
//	network to follow) → acting (firmware task, power cycle, hook,
//	technician) → verifying (power on, health command) → done (cordon
//	lifted)
//
// or failed (cordon kept, counted against the budgets until an operator
// retries or skips it). A node is worked under a lease with a TTL that a
// live worker renews; a process that dies holds nothing longer than the
// TTL, and the next one resumes from the stored phase. Steps are
// idempotent where the device allows it: a firmware task id is stored
// before it is polled, so a restart polls rather than uploads again; a
// power cycle interrupted before its record is written is issued again.
// Every step is a history entry.
//
// Manager holds the operators' verbs: plan, create (start or schedule),
// pause, resume (optionally retrying failed nodes), cancel, confirm a
// technician's swap, skip a node, status.
package executor
