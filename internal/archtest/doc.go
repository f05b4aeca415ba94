// Package archtest holds tests of the module's structure: every package has
// one package doc, and the layering rules of docs/architecture.md (pure core,
// I/O at the edges, only the store touches ent, the CLI speaks only gRPC)
// hold. It has no non-test code.
package archtest
