// Package eos is the Railyard driver for Arista EOS leaves (registered
// as "eos"): tenant VRFs with L3VNIs, L2VNI segments with anycast
// gateways, and server-port bindings, over the EOS CLI (SSH through
// scrapligo, or the in-process fake in eosfake).
//
// The configuration follows Arista's EOS user manual and AVD's
// eos_cli_config_gen output:
//
//	vrf instance ry-t0001
//	ip routing vrf ry-t0001
//	vlan 2001 / name ry-t0001-s1
//	interface Vlan2001 / vrf ry-t0001 / ip address virtual 10.64.1.1/24
//	interface Vxlan1 / vxlan vlan 2001 vni 2000101 / vxlan vrf ry-t0001 vni 200001
//	router bgp 65100 / vlan 2001 / rd / route-target both / redistribute learned
//	router bgp 65100 / vrf ry-t0001 / rd / route-target import|export evpn / redistribute connected
//	interface Ethernet1 / switchport access vlan 2001   (isolated: shutdown, no VLAN)
//
// Observe reads one command, show running-config, and parses its
// indented text (three spaces per level, "!" separators). EOS does not
// give an L3VNI a VLAN, so a VRF's CoreVLAN is not on the device: Observe
// copies it from the scope so that it never shows as drift.
//
// Apply is atomic through a configuration session:
//
//	configure session railyard-<random>
//	<Commands>            every output checked for "% ..." error lines
//	end
//	configure session railyard-<random>
//	show session-config diffs          (empty: abort, nothing to commit)
//	commit timer 00:05:00              (commit confirmed: reverts unless confirmed)
//	show running-config                (verify the change is on the device)
//	configure session railyard-<random> commit   (confirm)
//
// On any error it leaves the session with "end" and sends "configure
// session NAME abort" from exec mode (an "abort" typed below the top of
// the session would only leave the sub-mode, ansible #36979), which also
// rolls back a commit whose timer is running, and checks with "show
// configuration sessions" that the session is gone.
package eos
