// Package l3lab runs a real FRR EVPN fabric in Linux network namespaces
// to test Railyard's storage-fabric tenancy scheme end to end: per-tenant
// VRFs with L3VNIs (symmetric IRB, EVPN type-5 and type-2 routes), a
// stretched L2VNI segment per tenant with an anycast gateway, and the
// shared storage VRF that every tenant reaches by route-target leaking
// while tenants cannot reach each other.
//
// The input is the compiler's output: one fabric.DeviceConfig per leaf
// (VNIs, route targets, RDs and subnets are taken from it, never written
// by hand), the storage service subnets, and a function that renders a
// DeviceConfig as FRR configuration (the FRR driver's Render).
//
// # Model
//
// The machines this runs on have no VRF devices (CONFIG_NET_VRF unset),
// so it follows option 2 of reference/frr-l3vni-experiment.md, "one FRR
// router per (leaf, VRF)": every (leaf, VRF) pair is its own FRR 8.4
// instance (zebra -n, the network-namespace VRF backend, and bgpd) in
// its own namespace, with its own VTEP address and therefore its own
// VXLAN UDP socket. The VRF itself is a second namespace that zebra sees
// under the VRF's real name (ry-t0001, ry-storage) through a private
// /run/netns in the daemons' mount namespace. It holds the L3VNI bridge
// (whose MAC is the router MAC), the segments' bridges with the anycast
// gateway, the host-facing ports and, for every other L3VNI of the
// fabric, an unbridged "receive-only" VXLAN port whose MAC is the router
// MAC. FRR 8.4 has no downstream VNI: it encapsulates leaked traffic
// with the ingress VRF's L3VNI, so the receiver must accept every L3VNI,
// and reachability is then decided by the route-target scheme alone.
//
// Each router is fed, with vtysh -f, the FRR stanzas of its VRF (and the
// VRF's segments) exactly as the FRR driver (drivers/frr) renders the
// leaf's DeviceConfig filtered down to that VRF; the driver's Linux
// netdev section and the lines the harness owns are dropped (Sanitize).
// The underlay is the harness's: the BGP session to the route reflector
// (shut down until the VRF configuration is in), advertise-all-vni, and
// the router id of the default and the VRF instance (the router's VTEP;
// left to FRR, a tenant VRF's id would be its anycast gateway, the same
// on every leaf). Reconfigure changes route targets through the driver's
// Commands, run as vtysh command lines.
//
// What is emulated, and differs from a real leaf:
//   - one VTEP and one BGP speaker per (leaf, VRF) instead of per leaf, so
//     type-5 next hops are per-VRF VTEP addresses (198.18.0.0/24 here,
//     not the compiler's VTEP pool), and the RDs of one leaf's VRFs are
//     originated by different speakers;
//   - the underlay is a flat L2 segment with an iBGP route reflector in
//     the overlay AS the compiler uses (every VRF router is in that AS),
//     not per-leaf eBGP;
//   - the receive-only ports stand in for downstream-VNI acceptance: the
//     VNI on the wire for leaked traffic is the ingress VRF's;
//   - storage hosts are not in the inventory: each leaf's storage VRF gets
//     one routed storage host in a /24 carved, in leaf order, from the
//     compiler's first storage service prefix (10.250.0.0/16 by default:
//     10.250.1.0/24 on the first leaf, 10.250.2.0/24 on the second);
//   - one host per (leaf, segment) stands for the tenant's bound ports: it
//     is attached to the segment's bridge with the address .11, .12, …
//     of the segment's subnet, in leaf order;
//   - not covered: MLAG/ESI, IPv6, route-map-filtered leaks, overlapping
//     tenant prefixes, server-port VLAN bindings (the kernel has no
//     VLAN devices; a port is the host's veth on the segment bridge).
//
// # FRR 8.4.4 behaviour found here
//
//   - Changing a VRF's import route targets while it holds imported
//     routes (even adding an unrelated RT) makes zebra drop every L3VNI
//     next hop and router MAC of those routes (show evpn next-hops vni
//     all empties; the kernel's NOARP neighbor entries for the remote
//     VTEPs go) while the routes stay installed: a black hole until the
//     routes are re-learned. Reconfigure therefore hard-resets the
//     changed routers' EVPN sessions (Options.KeepNextHopBug leaves that
//     out), and routers apply their VRF configuration before their
//     session comes up. A real FRR 8.4.4 leaf has the same problem when
//     its driver changes import RTs.
//   - Of an ECMP type-5 route (a subnet stretched over two leaves) only
//     one path gets its next-hop neighbor entry; the hosts' /32 type-2
//     routes are unaffected. The next-hop check accepts a multipath route
//     with one resolved path.
//
// # Checks
//
// The checks compare the fabric with the isolation policy, not with the
// route targets: a host reaches another iff both are in the same tenant
// or either is a storage host. They look at the data plane (ping between
// every ordered pair of hosts), the kernel routing tables of the VRF
// namespaces, zebra's RIB (show ip route vrf … json) and the BGP table
// (show bgp vrf … ipv4 unicast json), and that every kernel route over
// the L3VNI has a resolved next hop. A one-way leak passes a ping check
// (the reply cannot come back), which is why the tables are checked
// too. Pings are sent by the package itself (raw ICMP sockets opened in
// the host's namespace with setns), so no ping binary is needed.
//
// # Isolation from other tests
//
// Every namespace is named <prefix>-<pid in base 36>-<n>-… (n counts the
// process's labs), the scratch directory is /tmp/<prefix>-<pid36>-<n>,
// and the daemons get explicit config,
// pid, zserv and vty paths there, a private /run/netns and a private
// /var/tmp; nothing under /etc/frr or /run/frr is read or written, and
// vtysh write / frr-reload are never run. Close stops the daemons by
// their pid files (bgpd by SIGTERM, zebra by SIGKILL: zebra -n in 8.4.4
// crashes on SIGTERM), deletes the namespaces and the scratch directory.
// Start first removes what an earlier run whose process is gone left
// behind.
package l3lab
