// Package nxos is the Railyard driver for Cisco NX-OS (Nexus 9000) VXLAN
// BGP EVPN leaves (registered as "nxos"): tenant VRFs with L3VNIs and
// their core VLANs, L2VNI segments with distributed anycast gateways,
// and server-port bindings, over the NX-OS CLI (SSH through scrapligo,
// or the in-process fake in nxosfake).
//
// The configuration follows Cisco's "Cisco Nexus 9000 Series NX-OS VXLAN
// Configuration Guide" (symmetric IRB with an L3VNI per VRF):
//
//	vlan 3901 / vn-segment 200001                       (VRF.CoreVLAN)
//	vrf context ry-t0001 / vni 200001 / rd ... / address-family ipv4 unicast / route-target import|export <rt> evpn
//	interface Vlan3901 / no shutdown / vrf member ry-t0001 / ip forward
//	interface nve1 / member vni 200001 associate-vrf
//	router bgp 65100 / vrf ry-t0001 / address-family ipv4 unicast / advertise l2vpn evpn
//	vlan 2001 / name ry-t0001-s1 / vn-segment 2000101
//	interface Vlan2001 / no shutdown / vrf member ry-t0001 / ip address 10.64.1.1/24 / fabric forwarding mode anycast-gateway
//	interface nve1 / member vni 2000101 / ingress-replication protocol bgp
//	evpn / vni 2000101 l2 / rd ... / route-target import|export <rt>
//	interface Ethernet1/1 / switchport access vlan 2001 / no shutdown   (isolated: shutdown, no VLAN)
//
// Ports named EthernetN (the single-number names the conformance suite
// and some inventories use) are Ethernet1/N on the switch; other names
// are used as given. Physical ports and SVIs are down by default, so "no
// shutdown" is rendered and a down port shows nothing.
//
// A VRF is removed in the order NX-OS demands: its BGP VRF, then "no
// member vni N" on nve1, the core SVI and VLAN, and "no vrf context"
// last (NX-OS refuses to delete a VRF whose L3VNI nve1 still carries).
//
// Observe reads one command, show running-config. Apply uses a
// checkpoint and rollback (NX-OS has no commit confirmed on the CLI):
//
//	checkpoint railyard-<random>
//	configure terminal
//	<Commands>              every output checked for NX-OS error lines
//	end
//	show running-config     (verify the change is on the device)
//	no checkpoint railyard-<random>
//
// On any error it leaves configuration mode, runs "rollback
// running-config checkpoint railyard-<random>" (atomic: all or nothing),
// checks that NX-OS reports "Rollback completed successfully", and
// deletes the checkpoint.
package nxos
