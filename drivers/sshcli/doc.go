// Package sshcli is the SSH command-session transport for the command
// line drivers: a drivers.CLI over scrapligo v1 (pure Go, its
// "standard" SSH transport), one interactive session per Dial.
//
// Each Run sends one line with scrapligo's generic SendCommand and
// returns what the device printed up to its next prompt. The privilege
// level is left alone: a driver enters and leaves configuration modes
// (configure session x, configure private, nv config apply, vtysh) by
// sending those commands itself, and the platform's joined prompt
// pattern recognises every level's prompt. A refused command is not an
// error of Run (drivers look for their vendor's error markers in the
// output); Run fails only when the session does: a lost connection, no
// prompt within the timeout, or the context ending, after which the
// session is closed and every later Run fails.
//
// Driver names map to scrapligo platforms: eos to arista_eos, nxos to
// cisco_nxos, junos to juniper_junos, cumulus to cumulus_linux, and
// sonic, frr and opensm to a Linux shell platform defined here (prompt
// user@host:cwd$ or #), synchronised at login the way
// internal/discovery/switchcli does (TERM=dumb, PAGER=cat, and a marker
// that absorbs bash's start-up echo race).
//
// Credentials come from the target; the password (also sent as the
// enable secret) never appears in an error.
package sshcli
