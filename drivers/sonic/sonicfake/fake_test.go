package sonicfake

import (
	"strings"
	"testing"

	"github.com/railyard/railyard/internal/fabric"
)

func base() fabric.DeviceConfig {
	return fabric.DeviceConfig{Device: "leaf1", ASN: 65100, RouterID: "10.255.0.3", VTEP: "10.255.1.3",
		Ports: []fabric.Port{{Name: "Ethernet1"}, {Name: "Ethernet2"}}}
}

// TestRules runs sequences of commands and checks the last one's output:
// the click and FRR validations the driver's ordering depends on.
func TestRules(t *testing.T) {
	for _, c := range []struct {
		name string
		cmds []string
		want string // substring of the last command's output; "" = no output
	}{
		{"config needs root", []string{"config vlan add 2001"}, "Root privileges are required"},
		{"unknown command", []string{"sudo config vlam add 2001"}, "Error: No such command \"vlam\"."},
		{"missing argument", []string{"sudo config vlan add"}, "Error: Missing argument \"<vid>\"."},
		{"vlan range", []string{"sudo config vlan add 4095"}, "Error: Invalid VLAN ID 4095 (1-4094)"},
		{"vlan twice", []string{"sudo config vlan add 2001", "sudo config vlan add 2001"}, "Error: Vlan2001 already exists"},
		{"member needs vlan", []string{"sudo config vlan member add -u 2001 Ethernet1"}, "Error: Vlan2001 does not exist"},
		{"member needs port", []string{"sudo config vlan add 2001", "sudo config vlan member add -u 2001 Ethernet9"}, "Error: Ethernet9 does not exist"},
		{"one untagged vlan per port", []string{"sudo config vlan add 2001", "sudo config vlan add 2002",
			"sudo config vlan member add -u 2001 Ethernet1", "sudo config vlan member add -u 2002 Ethernet1"}, "Error: Ethernet1 is already untagged member!"},
		{"vlan del with members", []string{"sudo config vlan add 2001", "sudo config vlan member add -u 2001 Ethernet1", "sudo config vlan del 2001"},
			"Error: VLAN ID 2001 can not be removed. First remove all members assigned to this VLAN."},
		{"vlan del with map", []string{"sudo config vlan add 2001", "sudo config vxlan map add vtep 2001 2000101", "sudo config vlan del 2001"},
			"First remove vxlan mapping 'map_2000101_Vlan2001' assigned to VLAN"},
		{"map needs vlan", []string{"sudo config vxlan map add vtep 2001 2000101"}, "Error: Vlan2001 not configured"},
		{"map needs vtep", []string{"sudo config vlan add 2001", "sudo config vxlan map add vtep9 2001 2000101"}, "Error: VTEP vtep9 not configured"},
		{"vni mapped once", []string{"sudo config vlan add 2001", "sudo config vlan add 2002", "sudo config vxlan map add vtep 2001 7", "sudo config vxlan map add vtep 2002 7"}, "VNI Id already mapped"},
		{"vrf name", []string{"sudo config vrf add ry-t0001"}, "'vrf_name' must begin with 'Vrf'"},
		{"vrf name length", []string{"sudo config vrf add Vrf-0123456789ab"}, "'vrf_name' is too long!"},
		{"vni map needs vrf", []string{"sudo config vrf add_vrf_vni_map Vrf-a 200001"}, "Error: vrf Vrf-a doesnt exists"},
		{"vni map needs tunnel map", []string{"sudo config vrf add Vrf-a", "sudo config vrf add_vrf_vni_map Vrf-a 200001"},
			"Error: VLAN VNI not mapped. Please create VLAN VNI map entry first"},
		{"map del while vrf uses vni", []string{"sudo config vrf add Vrf-a", "sudo config vlan add 3901", "sudo config vxlan map add vtep 3901 200001",
			"sudo config vrf add_vrf_vni_map Vrf-a 200001", "sudo config vxlan map del vtep 3901 200001"}, "VNI mapped to vrf Vrf-a, Please remove VRF VNI mapping"},
		{"vlan del with ip", []string{"sudo config vlan add 2001", "sudo config interface ip add Vlan2001 10.0.0.1/24", "sudo config vlan del 2001"},
			"can not be removed. First remove IP addresses assigned to this VLAN"},
		{"bind needs vrf", []string{"sudo config interface vrf bind Vlan2001 Vrf-a"}, "Error: VRF Vrf-a does not exist!"},
		{"vtysh unknown", []string{"vtysh -c 'configure terminal' -c 'router bgp 65100' -c 'frobnicate'"}, "% Unknown command: frobnicate"},
		{"vtysh stops at the first failure", []string{"vtysh -c 'configure terminal' -c 'bogus' -c 'vrf Vrf-a' -c 'vni 5'", "vtysh -c 'show running-config'"}, "service integrated-vtysh-config\n!\nrouter bgp 65100\n"},
		{"asn mismatch", []string{"vtysh -c 'configure terminal' -c 'router bgp 1'"}, "AS number mismatch"},
		{"no router bgp vrf with l3vni", []string{"vtysh -c 'configure terminal' -c 'vrf Vrf-a' -c 'vni 5' -c 'exit-vrf' -c 'router bgp 65100 vrf Vrf-a'",
			"vtysh -c 'configure terminal' -c 'no router bgp 65100 vrf Vrf-a'"}, "% Please unconfigure l3vni 5"},
		{"no vrf while active", []string{"sudo config vrf add Vrf-a", "vtysh -c 'configure terminal' -c 'no vrf Vrf-a'"}, "% Only inactive VRFs can be deleted"},
		{"l3vni unique", []string{"vtysh -c 'configure terminal' -c 'vrf Vrf-a' -c 'vni 5' -c 'exit-vrf' -c 'vrf Vrf-b' -c 'vni 5'"}, "VNI is already configured as L3-VNI"},
		{"malformed rt", []string{"vtysh -c 'configure terminal' -c 'router bgp 65100 vrf Vrf-a' -c 'address-family l2vpn evpn' -c 'route-target import x'"}, "% Malformed Route Target list"},
		{"bash", []string{"frobnicate"}, "-bash: frobnicate: command not found"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := New(base())
			var out string
			for _, cmd := range c.cmds {
				out = d.Exec(cmd)
			}
			if c.want == "" && out != "" || !strings.Contains(out, c.want) {
				t.Errorf("output %q, want it to contain %q", out, c.want)
			}
		})
	}
}

func TestCheckpointsArePending(t *testing.T) {
	d := New(base())
	if out := d.Exec("sudo config checkpoint ry-1"); !strings.Contains(out, "Checkpoint created successfully.") {
		t.Fatal(out)
	}
	d.Exec("sudo config vlan add 2001")
	if p := d.Pending(); len(p) != 1 || p[0] != "checkpoint ry-1" {
		t.Fatalf("pending %v", p)
	}
	d.Exec("sudo config rollback ry-1")
	if strings.Contains(d.Running(), "Vlan2001") {
		t.Error("rollback kept Vlan2001")
	}
	d.Exec("sudo config delete-checkpoint ry-1")
	if p := d.Pending(); len(p) != 0 {
		t.Fatalf("pending %v", p)
	}
	if out := d.Exec("sudo config delete-checkpoint ry-1"); !strings.Contains(out, "Error: Checkpoint 'ry-1' does not exist") {
		t.Error(out)
	}
}
