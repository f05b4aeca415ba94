// Package frr is the Railyard driver for Linux leaves that run
// FRRouting (written against FRR 8.4.4 and iproute2 6.1; registered as
// "frr", kind fabric.EVPNLeaf).
//
// FRR owns the control plane: per tenant VRF a `vrf <name>` / `vni
// <l3vni>` stanza and a `router bgp <asn> vrf <name>` instance with
// `redistribute connected`, `advertise ipv4 unicast`, its RD and explicit
// route-targets; per segment an L2VNI `vni` block (RD, route-targets)
// under the default instance's `address-family l2vpn evpn`. The
// underlay (`router bgp <asn>`, neighbors, `advertise-all-vni`) belongs
// to the operator; the driver adds and removes only its child stanzas.
// Linux owns the data plane: per segment a bridge br<VLAN> (the VLAN is
// read back from the name) with a VXLAN port vx<L2VNI> (`local <vtep>
// dstport 4789 nolearning`, bridge port `learning off neigh_suppress
// on`); server ports are enslaved to it (`master br<VLAN> up`) or
// isolated (`nomaster down`). The bridge's ifalias records the segment's
// VRF and gateway ("ry-seg vrf=<vrf> gw=<prefix>").
//
// Capability gating: Connect probes once whether the kernel has VRF
// devices (`ip link add ry-probe type vrf table 4242`, then deletes it).
// Without them (the CI kernel) tenant VRFs exist only in FRR (shown
// inactive) and segments are L2-only: no gateway address is put on a
// segment bridge, because every bridge would share the host's single
// routing table and route between tenants. With them, Apply adds a VRF
// device per tenant VRF (table = L3VNI), an L3VNI bridge br<CoreVLAN>
// with vx<L3VNI>, enslaves segment bridges to their VRF and puts the
// anycast gateway on them. Driver.Commands (the dry run) shows the
// L2-only commands; Conn.Apply sends CommandsFor(change, desired, its
// probed Caps). The VRF-device branch is not exercised on the CI kernel.
//
// Every command is one shell command line (drivers/execcli runs them
// locally or in a namespace): `vtysh -c 'configure terminal' -c ...`
// for FRR, `ip ...` for netdevs. FRR 8.4's bgpd has no configuration
// transactions, so Apply is made atomic by compensation: it reads the
// device first, sends the commands checking every output for FRR's and
// iproute2's error markers (FRR prints some refusals with exit status 0,
// "% Specified VNI does not exist"), and on failure computes the diff
// back to what it read, applies that, and re-reads to confirm the device
// is as before.
package frr
