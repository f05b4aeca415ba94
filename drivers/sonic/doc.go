// Package sonic is the Railyard driver for SONiC leaf switches (community
// SONiC with FRR in split mode), registered as "sonic".
//
// The switch side goes through the click CLI (sudo config vlan, vlan
// member, vxlan map, vrf, interface vrf/ip/shutdown/startup), the routing
// side through vtysh -c lines (zebra "vrf NAME / vni N", "router bgp ASN
// vrf NAME" with type-5 advertisement, RD and route-targets, and L2VNI
// "vni N" blocks under the default instance's l2vpn evpn family). The
// state is read back from "show runningconfiguration all" (CONFIG_DB as
// JSON) and vtysh's "show running-config".
//
// SONiC VRF names must begin with "Vrf" and are at most 15 characters:
// the fabric VRF "ry-t0001" is "Vrf-ry-t0001" on the switch, and a name
// that would not fit is refused. An L3VNI needs a core VLAN (VRF.CoreVLAN)
// mapped to it in VXLAN_TUNNEL_MAP before "config vrf add_vrf_vni_map",
// and is removed in the reverse order. The VXLAN tunnel is the one named
// TunnelName.
//
// SONiC has no reliable configuration transaction (the Generic Config
// Updater's rollback fails in cases: sonic-buildimage #13267, #23907), so
// Apply is a driver-level compensating transaction: it reads the
// managed state, takes a GCU checkpoint for the operator (never rolled
// back to by the driver; deleted when Apply returns), sends the commands
// and checks every output for SONiC's and FRR's error markers. On a
// failure it computes, with the same typed diff, the commands that take
// the device from where it stopped back to the state it read, sends
// them, and re-reads the device to verify that it is exactly as before.
// VNI, VLAN and RD uniqueness is checked by the driver (SONiC's REST
// accepted duplicate VNIs, sonic-buildimage #6766).
package sonic
