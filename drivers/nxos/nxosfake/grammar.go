package nxosfake

import (
	"fmt"
	"strconv"
	"strings"
)

var (
	memberL3 = withCheck(mk("member vni <1-16777214> associate-vrf", 3), checkAssociate)
	memberL2 = withMode(mk("member vni <1-16777214>", 3), "nve-vni")
)

// nxos is the part of the NX-OS command tree the fake knows, mode by
// mode, in the order NX-OS prints each mode's lines.
var nxos = func() grammar {
	g := grammar{
		"root": {
			mk("hostname <word>", 1),
			mk("nv overlay evpn", 0),
			mk("feature <rest>", 0),
			mk("system default switchport", 0),
			mk("system default switchport shutdown", 0),
			mk("system vlan <2-3968> reserve", 2),
			mk("fabric forwarding anycast-gateway-mac <mac>", 3),
			withCheck(withMode(mk("vlan <1-4094>", 2), "vlan"), checkReserved),
			withCheck(withMode(mk("vrf context <word>", 3), "vrf"), checkVRFRemoval),
			withCheck(&rule{pat: []string{"interface", "<if>"}, key: 2, mode: ifMode, sortKey: ifOrder}, checkInterface),
			withCheck(withMode(mk("router bgp <1-4294967295>", 2), "bgp"), checkBGP),
			withMode(mk("evpn", 0), "evpn"),
		},
		"vlan": {
			mk("name <word>", 1),
			withCheck(mk("vn-segment <1-16777214>", 1), checkVNSegment),
		},
		"vrf": {
			withCheck(mk("vni <1-16777214>", 1), checkVRFVNI),
			mk("rd <rd>", 1),
			withMode(mk("address-family ipv4 unicast", 0), "vrf-af"),
		},
		"vrf-af": {
			mk("route-target import <rt> evpn", 0),
			mk("route-target export <rt> evpn", 0),
		},
		"if-vlan": {
			mk("description <rest>", 1),
			{pat: []string{"shutdown"}, key: 1, inverted: true},
			mk("mtu <576-9216>", 1),
			withCheck(mk("vrf member <word>", 2), checkVRFMember),
			mk("ip forward", 0),
			mk("ip address <prefix>", 2),
			mk("fabric forwarding mode anycast-gateway", 0),
		},
		"if-eth": {
			mk("description <rest>", 1),
			{pat: strings.Fields("switchport mode {access|trunk}"), key: 2, hide: func(w []string) bool { return w[2] == "access" }},
			mk("switchport access vlan <1-4094>", 3),
			mk("mtu <576-9216>", 1),
			{pat: []string{"shutdown"}, key: 1, inverted: true},
		},
		"if-lo": {
			mk("description <rest>", 1),
			mk("vrf member <word>", 2),
			mk("ip address <prefix>", 2),
		},
		"if-nve": {
			{pat: []string{"shutdown"}, key: 1, inverted: true},
			mk("host-reachability protocol bgp", 0),
			mk("source-interface <if>", 1),
			memberL3,
			memberL2,
		},
		"nve-vni": {
			mk("ingress-replication protocol bgp", 0),
		},
		"bgp": {
			mk("router-id <ip>", 1),
			withMode(mk("address-family l2vpn evpn", 0), "bgp-af"),
			withMode(mk("neighbor <ip>", 2), "bgp-nbr"),
			withMode(mk("vrf <word>", 2), "bgp-vrf"),
		},
		"bgp-af":     {mk("advertise-pip", 0)},
		"bgp-nbr":    {mk("remote-as <1-4294967295>", 1), withMode(mk("address-family l2vpn evpn", 0), "bgp-nbr-af")},
		"bgp-nbr-af": {mk("send-community extended", 0)},
		"bgp-vrf":    {withMode(mk("address-family ipv4 unicast", 0), "bgp-vrf-af")},
		"bgp-vrf-af": {mk("advertise l2vpn evpn", 0)},
		"evpn":       {withMode(mk("vni <1-16777214> l2", 2), "evpn-vni")},
		"evpn-vni":   {mk("rd <rd>", 1), mk("route-target import <rt>", 0), mk("route-target export <rt>", 0)},
		"if-mgmt":    {mk("vrf member <word>", 2), mk("ip address <prefix>", 2)},
	}.init()
	// nve1 prints its members by VNI, L2 and L3 together.
	memberL2.order = memberL3.order
	return g
}()

func withMode(r *rule, m string) *rule {
	r.mode = func([]string) string { return m }
	return r
}

func withCheck(r *rule, c func(*terminal, *node, []string, bool) (string, bool)) *rule {
	r.check = c
	return r
}

func ifMode(w []string) string {
	switch name := w[1]; {
	case strings.HasPrefix(name, "Vlan"):
		return "if-vlan"
	case name == "nve1":
		return "if-nve"
	case strings.HasPrefix(name, "loopback"):
		return "if-lo"
	case name == "mgmt0":
		return "if-mgmt"
	}
	return "if-eth"
}

// ifOrder sorts interfaces as NX-OS prints them: SVIs, port-channels,
// nve, Ethernet, mgmt0, loopbacks.
func ifOrder(text string) string {
	name := strings.TrimPrefix(text, "interface ")
	for i, p := range []string{"Vlan", "port-channel", "nve", "Ethernet", "mgmt", "loopback"} {
		if strings.HasPrefix(name, p) {
			return strconv.Itoa(i) + name
		}
	}
	return "9" + name
}

func physical(name string) bool {
	return strings.HasPrefix(name, "Ethernet") || name == "mgmt0"
}

// checkReserved refuses the 128 VLANs NX-OS reserves for internal use:
// 3968-4095 unless "system vlan N reserve" moved them.
func checkReserved(_ *terminal, root *node, w []string, neg bool) (string, bool) {
	start := 3968
	if n := root.child("system vlan "); n != nil {
		start, _ = strconv.Atoi(strings.Fields(n.text)[2])
	}
	v, _ := strconv.Atoi(w[1])
	if v >= start && v < start+128 {
		return fmt.Sprintf("ERROR: VLAN %d is in the reserved range %d-%d", v, start, start+127), false
	}
	return "", true
}

func errorf(s string) (string, bool) { return "ERROR: " + s, false }

// checkInterface refuses physical interfaces the switch does not have
// and the deletion of physical ones.
func checkInterface(t *terminal, _ *node, w []string, neg bool) (string, bool) {
	if physical(w[1]) {
		if !t.d.physical[w[1]] {
			return "ERROR: Invalid interface " + w[1], false
		}
		if neg {
			return errorf("Deletion of physical interface " + w[1] + " is not allowed")
		}
	}
	return "", true
}

func checkBGP(_ *terminal, parent *node, w []string, neg bool) (string, bool) {
	if n := parent.child("router bgp "); n != nil && n.text != strings.Join(w, " ") && !neg {
		return errorf("BGP is already running; AS is " + strings.TrimPrefix(n.text, "router bgp "))
	}
	return "", true
}

// nve returns interface nve1 of the configuration root.
func nve(root *node) *node { return root.child("interface nve1") }

func nveCarries(root *node, vni string) bool {
	n := nve(root)
	return n != nil && n.findKey("member vni "+vni) != nil
}

func vrfVNI(v *node) string {
	if x := v.child("vni "); x != nil {
		return strings.TrimPrefix(x.text, "vni ")
	}
	return ""
}

// checkVRFRemoval is the NX-OS order rule for deleting a VRF: its L3VNI
// must be off nve1 and no SVI may still be a member.
func checkVRFRemoval(t *terminal, root *node, w []string, neg bool) (string, bool) {
	if !neg {
		return "", true
	}
	for _, k := range root.kids {
		if k.text == "vrf context "+w[2] {
			if vni := vrfVNI(k); vni != "" && nveCarries(root, vni) {
				return errorf("VRF " + w[2] + " is in use: remove \"member vni " + vni + " associate-vrf\" from nve1 first")
			}
		}
	}
	for _, k := range root.kids {
		if strings.HasPrefix(k.text, "interface Vlan") && k.child("vrf member "+w[2]) != nil && len(strings.Fields(k.child("vrf member "+w[2]).text)) == 3 {
			return errorf("VRF " + w[2] + " is in use by " + strings.TrimPrefix(k.text, "interface ") + ": remove the interface from the VRF first")
		}
	}
	return "", true
}

// checkVRFVNI: a VRF's VNI cannot change or go while nve1 carries it.
func checkVRFVNI(t *terminal, parent *node, w []string, neg bool) (string, bool) {
	cur := vrfVNI(parent)
	if cur == "" || (!neg && len(w) == 2 && w[1] == cur) {
		return "", true
	}
	if nveCarries(t.root(), cur) {
		return errorf("Please remove \"member vni " + cur + " associate-vrf\" from nve1 before changing the VRF's VNI")
	}
	return "", true
}

// checkVNSegment: a VNI maps to one VLAN, and cannot change or go while
// nve1 carries it.
func checkVNSegment(t *terminal, parent *node, w []string, neg bool) (string, bool) {
	root := t.root()
	var cur string
	if x := parent.child("vn-segment "); x != nil {
		cur = strings.TrimPrefix(x.text, "vn-segment ")
	}
	if !neg && len(w) == 2 {
		if w[1] == cur {
			return "", true
		}
		for _, k := range root.kids {
			if k != parent && strings.HasPrefix(k.text, "vlan ") && k.child("vn-segment "+w[1]) != nil && k.child("vn-segment "+w[1]).text == "vn-segment "+w[1] {
				return errorf("vn-segment " + w[1] + " is already mapped to " + k.text)
			}
		}
	}
	if cur != "" && nveCarries(root, cur) {
		return errorf("vn-segment " + cur + " is in use by nve1; remove \"member vni " + cur + "\" first")
	}
	return "", true
}

// checkAssociate: "member vni N associate-vrf" needs a VRF with VNI N.
func checkAssociate(t *terminal, _ *node, w []string, neg bool) (string, bool) {
	if neg {
		return "", true
	}
	for _, k := range t.root().kids {
		if strings.HasPrefix(k.text, "vrf context ") && vrfVNI(k) == w[2] {
			return "", true
		}
	}
	return errorf("VNI " + w[2] + " is not configured as the VNI of any VRF")
}

// checkVRFMember deletes an SVI's layer-3 configuration when its VRF
// changes, as NX-OS does.
func checkVRFMember(_ *terminal, parent *node, w []string, neg bool) (string, bool) {
	cur := parent.child("vrf member ")
	if !neg && cur != nil && cur.text == strings.Join(w, " ") {
		return "", true
	}
	if neg && cur == nil {
		return "", true
	}
	removed := false
	for _, k := range append([]*node(nil), parent.kids...) {
		if strings.HasPrefix(k.text, "ip ") || strings.HasPrefix(k.text, "fabric forwarding ") {
			parent.remove(k)
			removed = true
		}
	}
	if removed {
		return "Warning: Deleted all L3 config on interface " + strings.TrimPrefix(parent.text, "interface "), true
	}
	return "", true
}
