// Package cumulusfake is a stateful fake of an NVIDIA Cumulus Linux
// switch managed with NVUE, driven through its CLI one command at a time
// (a drivers.CLI), for the cumulus driver's tests, the benchmarks and
// end-to-end tests.
//
// It models, from NVIDIA's NVUE documentation (Cumulus Linux user guide
// and the NVUE command reference):
//
//   - the object model of the parts a tenant leaf uses (bridge domain
//     VLANs and VNIs, evpn vni route targets and RDs, interfaces with
//     bridge access VLANs, link state, VRF and VRR addresses, VRFs with
//     their L3VNI and BGP RD and route targets, nve, router bgp, system),
//     checked as nv set and nv unset run, with jsonschema-style
//     complaints ("Error: 5000 is greater than the maximum of 4094",
//     "Error: 'x' is not one of [...]");
//   - one pending revision per user, kept across logins: the changes nv
//     set and nv unset staged, replayed on the applied configuration when
//     it is diffed or applied (two users' revisions do not undo each
//     other); nv config diff (-o commands), nv config detach (the
//     pending revision is dropped), nv config show -o commands (the
//     applied configuration), nv config history, nv config apply [-y]
//     [--confirm <time>] with the checks NVUE makes before it applies
//     ("Error: Invalid config [rev_id: N]" and one line per dangling
//     reference), --confirm-status, --confirm-yes, --confirm-no, and
//     nv config apply <rev>;
//   - the confirm window on an injectable clock: not confirmed in time,
//     the applied configuration goes back to the revision before it;
//   - the enable attribute's spelling by release: "state enabled" from
//     Cumulus Linux 5.5, "enable on" before (NewVersion);
//   - attributes set to their default (link state up, table auto) are not
//     stored, so they never appear in nv config show.
//
// It does not model nv show beyond nv show system, YAML or JSON output,
// nv config save, snippets, nv action, the Linux side (ifupdown2, FRR)
// or prompts (nv config apply behaves as if -y were given).
package cumulusfake
