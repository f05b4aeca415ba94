// Package nxosfake is a stateful fake Cisco NX-OS (Nexus 9000) switch for
// tests, benchmarks and end-to-end runs of the nxos driver. It is
// written from Cisco's NX-OS configuration guides (VXLAN BGP EVPN,
// configuration rollback, checkpoints), not from what the driver sends:
// it keeps a real configuration tree, parses every command against
// per-mode grammars and answers with NX-OS's error strings ("% Invalid
// command at '^' marker.", "% Incomplete command at '^' marker.",
// "% Invalid number, range is (a:b) at '^' marker.", "ERROR: ...").
//
// What it models:
//
//   - exec and configuration modes ("configure terminal": changes take
//     effect at once), nested sub-modes (vlan, vrf context and its
//     address family, interfaces, nve1 members, router bgp vrf address
//     families, evpn vni) with IOS-style fallback to parent modes;
//   - checkpoints: "checkpoint NAME", "no checkpoint NAME",
//     "show checkpoint summary", and "rollback running-config checkpoint
//     NAME", which puts running-config back exactly (atomic rollback);
//   - show running-config in NX-OS's layout (two-space indentation, the
//     "vlan 1,2001-2002" summary line, blank lines between interfaces,
//     canonical order), with defaults hidden: physical ports and SVIs are
//     down by default ("system default switchport shutdown"), so an up
//     port shows "no shutdown" and a down one shows nothing;
//   - the dependency rules a real box enforces: "no vrf context" is
//     refused while nve1 has "member vni N associate-vrf" for its VNI or
//     an SVI is still a member of the VRF; "member vni N associate-vrf"
//     needs a VRF with that VNI; a VNI on one VLAN only; a vn-segment or
//     VRF VNI cannot change while nve1 carries it; changing an SVI's
//     "vrf member" deletes its layer-3 configuration.
//
// What it does not model: abbreviations, "configure session" and
// "configure replace", features being required before their commands,
// the checkpoint file contents ("show checkpoint NAME"), the data plane.
// Pending lists the checkpoints left on the switch and terminals left in
// configuration mode.
package nxosfake
