// Package eosfake is a stateful fake Arista EOS switch for tests,
// benchmarks and end-to-end runs of the eos driver. It is written from
// Arista's EOS user manual (configuration sessions, commit timers,
// show running-config), not from what the driver sends: it keeps a real
// configuration tree, parses every command against per-mode grammars,
// and answers with EOS's error strings ("% Invalid input (at token N:
// 'x')", "% Incomplete command", "% Error: ...").
//
// What it models:
//
//   - exec and configuration modes, nested sub-modes (interface, vlan,
//     vrf instance, router bgp and its vlan / vrf / address-family
//     sub-modes) with IOS-style fallback: a command that is not valid in
//     the current mode is tried in the parent modes, and the terminal
//     moves there;
//   - "configure" / "configure terminal" (changes take effect at once)
//     and "configure session NAME": a copy of running-config edited apart,
//     "show session-config diffs" (a unified diff against running-config),
//     "commit", "commit timer hh:mm:ss" (the session is committed and
//     reverts when the timer expires unless "configure session NAME
//     commit" confirms it), "abort" and "configure session NAME abort"
//     (which rolls back a pending timer commit); "show configuration
//     sessions"; at most five pending sessions;
//   - the documented trap that "abort" below the top of a session only
//     leaves that sub-mode and the session stays open (ansible #36979);
//   - show running-config in EOS's layout (three-space indentation, "!"
//     separators, canonical order whatever the order of entry), with
//     default values hidden (no shutdown, switchport mode access);
//   - semantic checks: one BGP instance, a VNI mapped once on Vxlan1,
//     physical interfaces that exist, and the removal of an SVI's IP
//     addresses when its VRF changes.
//
// What it does not model: abbreviations and ambiguity ("int Et1"),
// eAPI / JSON output, "show running-config | section", range syntax in
// VLAN lists, config replace ("rollback clean-config"), the data plane.
// The clock is injectable (SetClock) so commit-timer expiry is tested
// without sleeping.
package eosfake
