// Package junos is the Railyard driver for Juniper QFX leaves running
// Junos OS (EVPN-VXLAN, pure type-5 tenant VRFs and VLAN-based L2VNI
// segments in the default switch), programmed over the CLI with set and
// delete statements in a configure exclusive session. It registers as
// "junos".
//
// What a tenant becomes (names from the VRF and the route targets):
//
//	set policy-options community ry-rt-65000-200001 members target:65000:200001
//	set policy-options policy-statement ry-t0001-import term rt-65000-200001 from community ry-rt-65000-200001
//	set policy-options policy-statement ry-t0001-import term rt-65000-200001 then accept
//	set policy-options policy-statement ry-t0001-import then reject
//	set policy-options policy-statement ry-t0001-export term rt then community add ry-rt-65000-200001
//	set policy-options policy-statement ry-t0001-export term rt then accept
//	set routing-instances ry-t0001 instance-type vrf
//	set routing-instances ry-t0001 route-distinguisher 10.255.0.3:1
//	set routing-instances ry-t0001 vrf-import ry-t0001-import
//	set routing-instances ry-t0001 vrf-export ry-t0001-export
//	set routing-instances ry-t0001 protocols evpn ip-prefix-routes advertise direct-nexthop
//	set routing-instances ry-t0001 protocols evpn ip-prefix-routes encapsulation vxlan
//	set routing-instances ry-t0001 protocols evpn ip-prefix-routes vni 200001
//	set routing-instances ry-t0001 interface irb.2001
//	set interfaces irb unit 2001 family inet address 10.64.1.1/24
//	set vlans ry-t0001-s1 vlan-id 2001
//	set vlans ry-t0001-s1 l3-interface irb.2001
//	set vlans ry-t0001-s1 vxlan vni 2000101
//	set protocols evpn extended-vni-list 2000101
//	set protocols evpn vni-options vni 2000101 vrf-target target:65000:2000101
//	set interfaces et-0/0/0 unit 0 family ethernet-switching interface-mode access
//	set interfaces et-0/0/0 unit 0 family ethernet-switching vlan members ry-t0001-s1
//
// and an isolated port is "set interfaces et-0/0/N disable" with no unit.
//
// Choices and limits:
//
//   - The anycast gateway is the plain IRB address, the same on every leaf
//     (Juniper's "anycast gateway without virtual-gateway-address"); the
//     model has no per-leaf address for virtual-gateway-address.
//   - Route-target communities (ry-rt-<admin>-<number>) are shared by the
//     VRFs that use them and removed with the last one; the import policy
//     accepts any of the VRF's import RTs and rejects the rest.
//   - Ports: the suite's EthernetN is et-0/0/(N-1); any other name is
//     taken as a Junos interface name. Observe reports the scope's names.
//   - Junos holds no core VLAN for an L3VNI and, in the default switch, no
//     per-VNI route distinguisher (switch-options has one for all): Observe
//     reports VRF.CoreVLAN and Segment.RD as the scope has them for the
//     objects it finds, so they never show as drift.
//   - Apply: configure exclusive, the commands, show | compare, commit
//     check, commit confirmed 5, commit (the confirmation), exit
//     configuration-mode. Commit confirmed is not available in configure
//     private, hence exclusive. On an error before the commit: rollback 0
//     and exit; after commit confirmed: rollback 1, commit, exit. Error
//     markers: "error:", "syntax error", "unknown command", "missing
//     argument".
//
// Syntax follows Juniper's Junos CLI User Guide (configuration mode,
// commit confirmed, rollback, show | compare) and the EVPN-VXLAN user
// guide (routing-instances ... protocols evpn ip-prefix-routes, vlans ...
// vxlan vni, protocols evpn extended-vni-list and vni-options).
package junos
