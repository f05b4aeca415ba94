// Package junosfake is a stateful fake of a Juniper QFX switch running
// Junos OS, driven through its CLI one command at a time (a drivers.CLI),
// for the junos driver's tests, the benchmarks and end-to-end tests.
//
// It models, from Juniper's CLI documentation:
//
//   - operational and configuration mode (configure, configure private,
//     configure exclusive), with one candidate per private session and a
//     shared candidate that configure exclusive locks;
//   - set and delete against a schema of the hierarchies a tenant leaf
//     uses (system, interfaces, policy-options, routing-instances,
//     routing-options, protocols bgp/evpn, switch-options, vlans), with
//     Junos' answers to bad input: "syntax error.", "missing argument.",
//     "Value N is not within range (lo..hi)", "warning: statement not
//     found";
//   - show, show | compare (the [edit ...] +/- format), show | display
//     set, and show configuration [| display set] in operational mode;
//   - commit check, commit, commit confirmed N (reverted to the previous
//     commit when not confirmed by a commit or commit check in time, on an
//     injectable clock), commit and-quit, rollback N (50 revisions) and
//     the commit-time checks a tenant configuration trips (undefined
//     policies, communities, VLANs and IRB units, a VRF without a
//     route-distinguisher), reported as Junos does, ending in
//     "error: configuration check-out failed";
//   - the restriction that commit confirmed is not available on a private
//     copy of the configuration.
//
// It does not model edit levels (edit/up/top other than at [edit]), load
// merge|set terminal, annotations, apply-groups, inactive statements,
// several statements in one set command, or the operational state of
// anything (no show interfaces, no BGP). Lists are shown sorted
// naturally by name (Junos keeps insertion order for some of them),
// except policy terms and policy chains, which keep the order they were
// configured in. The schema is a little looser than Junos' (family inet
// and family ethernet-switching accept each other's statements). The
// "## Last commit" header is left out of show
// configuration so that two devices with the same configuration print
// the same text.
package junosfake
