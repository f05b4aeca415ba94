// Package cumulus is the Railyard driver for NVIDIA Cumulus Linux leaves
// managed with NVUE (EVPN-VXLAN with symmetric IRB: tenant VRFs with an
// L3VNI, L2VNI segments on the VLAN-aware bridge br_default with a VRR
// anycast gateway, access ports), programmed over the CLI with nv set and
// nv unset. It registers as "cumulus".
//
// What a tenant becomes:
//
//	nv set vrf ry-t0001 evpn vni 200001
//	nv set vrf ry-t0001 evpn state enabled
//	nv set vrf ry-t0001 router bgp state enabled
//	nv set vrf ry-t0001 router bgp rd 10.255.0.3:1
//	nv set vrf ry-t0001 router bgp address-family ipv4-unicast state enabled
//	nv set vrf ry-t0001 router bgp address-family ipv4-unicast redistribute connected state enabled
//	nv set vrf ry-t0001 router bgp address-family ipv4-unicast route-export to-evpn state enabled
//	nv set vrf ry-t0001 router bgp route-import from-evpn route-target 65000:200001
//	nv set vrf ry-t0001 router bgp route-export to-evpn route-target 65000:200001
//	nv set bridge domain br_default vlan 2001 vni 2000101
//	nv set interface vlan2001 ip vrf ry-t0001
//	nv set interface vlan2001 ip vrr address 10.64.1.1/24
//	nv set evpn vni 2000101 rd 10.255.0.3:2001
//	nv set evpn vni 2000101 route-target import 65000:2000101
//	nv set evpn vni 2000101 route-target export 65000:2000101
//	nv set interface swp1 bridge domain br_default access 2001
//
// and an isolated port is "nv set interface swpN link state down" with no
// bridge domain.
//
// Choices and limits:
//
//   - The SVI carries only the VRR (anycast) address: the model has no
//     per-leaf SVI address. NVUE's defaults are never set: the VRR MAC
//     (00:00:5e:00:01:01), the VRF table (auto); a port is brought back
//     up by unsetting link state, not by setting it to up.
//   - Ports: the suite's EthernetN is swpN; any other name is taken as an
//     NVUE interface name. Observe reports the scope's names.
//   - NVUE allocates the VLAN of an L3VNI itself, so VRF.CoreVLAN is not
//     sent; Observe reports it as the scope has it for the VRFs it finds.
//   - Releases: Commands writes the enable attribute as "state enabled"
//     (Cumulus Linux 5.5 and later). Connect reads the release from nv show
//     system, and on an older one Apply sends "enable on" instead (the only
//     difference from what Commands returns).
//   - Apply: the nv set/unset commands, nv config diff -o commands,
//     nv config apply --confirm 300s -y, nv config apply --confirm-status,
//     nv config apply --confirm-yes. On an error before the apply: nv config
//     detach (the pending revision is dropped); after it: nv config apply
//     --confirm-no. Error markers: "Error:", "Invalid config", "Unknown",
//     "command not found".
//
// Syntax follows NVIDIA's Cumulus Linux user guide (EVPN, VRFs, VRR,
// bridges, NVUE CLI and configuration management) and the NVUE command
// reference (nv config apply --confirm, --confirm-status, nv config detach).
package cumulus
