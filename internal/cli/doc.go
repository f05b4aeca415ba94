// Package cli implements the railyard command tree for operations
// engineers: get, describe, import, export, validate, watch and completion
// over the inventory; tenant, carve, cordon and uncordon over carving;
// network over tenant access networks; and maint over rolling-maintenance
// campaigns (plan, start, status, pause, resume, cancel, confirm, skip).
//
// The CLI is a thin gRPC client of the railyard.v1 services (inventory,
// carve, discovery, network, maintenance); it never opens the database. The server address comes from --server, else the
// RAILYARD_SERVER environment variable, else DefaultServer. Output is a
// table for people, or JSON or YAML (-o) for scripts: lists print as one
// JSON array (or YAML sequence) of the API messages with their proto field
// names, so that `railyard get gpus -o json | jq length` counts GPUs.
//
// Errors are printed by cobra as one line, "railyard: <reason>", and the
// command exits 1. gRPC status errors read "railyard: <code in words>:
// <message>", and an unreachable server says so and how to point the CLI
// elsewhere. A status that carries a Refusal (a carve the server cannot
// place now) prints the request and then each reason, code first, on its
// own line.
package cli
