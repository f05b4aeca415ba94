// Package execcli is a drivers.CLI for devices that are the local Linux
// host (or one of its network namespaces): each Run executes one command
// line with `sh -c`, optionally inside `ip netns exec <ns>`, and returns
// what it printed on stdout and stderr together.
//
// A leading `vtysh` word can be rewritten (for example into
// `vtysh --vty_socket /run/lab/leaf1`), so a driver sends the same
// commands to a production host and to a lab instance with private
// sockets.
//
// Run returns a non-nil error only when the command could not be started
// or the context ended. A command that ran and exited with a non-zero
// status is reported in the output: a last line "% exit status N" (see
// ExitMarker) is appended, in the "% ..." style FRR uses for its own
// errors, so drivers find it with their other error markers.
package execcli
