// Package cli implements the railyard command tree for operations
// engineers: get, describe, import, export, validate, watch and completion.
//
// The CLI is a thin gRPC client of railyard.v1.InventoryService; it never
// opens the database. The server address comes from --server, else the
// RAILYARD_SERVER environment variable, else DefaultServer. Output is a
// table for people, or JSON or YAML (-o) for scripts: lists print as one
// JSON array (or YAML sequence) of the API messages with their proto field
// names, so that `railyard get gpus -o json | jq length` counts GPUs.
//
// Errors are printed by cobra as one line, "railyard: <reason>", and the
// command exits 1. gRPC status errors read "railyard: <code in words>:
// <message>", and an unreachable server says so and how to point the CLI
// elsewhere.
package cli
