// Package sonicfake is a stateful fake of a SONiC leaf switch for tests
// and benchmarks of the sonic driver: a bash login whose commands are the
// click CLI (sudo config vlan|vxlan|vrf|interface|checkpoint ..., show
// runningconfiguration all) over a model of CONFIG_DB, and vtysh over a
// small model of FRR's configuration (zebra VRF/VNI bindings, the default
// BGP instance's L2VNI blocks and per-VRF BGP instances).
//
// The click commands validate their input the way sonic-utilities'
// config/{main,vlan,vxlan}.py do (a VLAN member needs the VLAN and the
// port; add_vrf_vni_map needs the VRF and a VXLAN_TUNNEL_MAP for the
// VNI; a VLAN with members, an IP interface or a VNI mapping cannot be
// deleted) and fail with click's usage banner and "Error: ...". vtysh
// runs its -c commands in order and stops at the first that fails, as
// FRR's vtysh does, printing "% Unknown command: ..." and FRR's other
// messages; FRR refuses "no router bgp ... vrf" while the VRF still has
// an L3VNI and "no vrf" while the VRF exists in the kernel.
//
// Simplifications: BGP VRF instances and VNI blocks print sorted by
// name and number (real FRR prints BGP instances in creation order);
// only the commands the driver and an operator's drift edits use are
// modelled; GCU checkpoints are kept (and listed by Pending) but "config
// rollback" restores CONFIG_DB only, like GCU, and FRR not at all.
package sonicfake
