package eosfake

import (
	"fmt"
	"strings"
)

// eos is the part of the EOS command tree the fake knows, mode by mode,
// in the order EOS prints each mode's lines.
var eos = grammar{
	"root": {
		withGroup(mk("hostname <word>", 1), "hostname"),
		withGroup(mk("spanning-tree mode {mstp|rstp|none}", 2), "stp"),
		withGroup(mk("service routing protocols model {multi-agent|ribd}", 4), "svc"),
		withMode(mk("vlan <1-4094>", 2), "vlan"),
		withMode(mk("vrf instance <word>", 3), "vrf"),
		withCheck(&rule{pat: []string{"interface", "<if>"}, key: 2, mode: ifMode}, checkInterface),
		withGroup(mk("ip virtual-router mac-address <mac>", 3), "vr"),
		withGroup(mk("ip routing", 0), "routing"),
		withGroup(mk("ip routing vrf <word>", 0), "routing"),
		withCheck(withMode(mk("router bgp <1-4294967295>", 2), "bgp"), checkBGP),
	},
	"vlan": {mk("name <word>", 1)},
	"vrf":  {mk("description <rest>", 1)},
	"if-eth": {
		mk("description <rest>", 1),
		mk("shutdown", 1),
		mk("mtu <68-9214>", 1),
		{pat: strings.Fields("switchport mode {access|trunk}"), key: 2, hide: func(w []string) bool { return w[2] == "access" }},
		mk("switchport access vlan <1-4094>", 3),
	},
	"if-vlan": {
		mk("description <rest>", 1),
		mk("shutdown", 1),
		mk("mtu <68-9214>", 1),
		withCheck(mk("vrf <word>", 1), checkVRFMember),
		mk("ip address <prefix>", 2),
		mk("ip address virtual <prefix>", 3),
	},
	"if-lo": {
		mk("description <rest>", 1),
		mk("shutdown", 1),
		withCheck(mk("vrf <word>", 1), checkVRFMember),
		mk("ip address <prefix>", 2),
	},
	"if-vx": {
		mk("description <rest>", 1),
		mk("vxlan source-interface <if>", 2),
		mk("vxlan udp-port <1-65535>", 2),
		withCheck(mk("vxlan vlan <1-4094> vni <1-16777215>", 3), checkVNI),
		withCheck(mk("vxlan vrf <word> vni <1-16777215>", 3), checkVNI),
	},
	"bgp": {
		mk("router-id <ip>", 1),
		mk("maximum-paths <1-128>", 1),
		mk("neighbor <word> <rest>", 0),
		withMode(mk("vlan <1-4094>", 2), "bgp-vlan"),
		withMode(mk("address-family {evpn|ipv4}", 2), "bgp-af"),
		withMode(mk("vrf <word>", 2), "bgp-vrf"),
	},
	"bgp-vlan": {
		mk("rd <rt>", 1),
		mk("route-target both <rt>", 0),
		mk("route-target import <rt>", 0),
		mk("route-target export <rt>", 0),
		mk("redistribute learned", 0),
	},
	"bgp-af": {mk("neighbor <word> activate", 0)},
	"bgp-vrf": {
		mk("rd <rt>", 1),
		mk("route-target import evpn <rt>", 0),
		mk("route-target export evpn <rt>", 0),
		mk("router-id <ip>", 1),
		mk("redistribute connected", 0),
	},
}.init()

func withGroup(r *rule, g string) *rule { r.group = g; return r }

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
	case name == "Vxlan1":
		return "if-vx"
	case strings.HasPrefix(name, "Loopback"), strings.HasPrefix(name, "Management"):
		return "if-lo"
	}
	return "if-eth"
}

func physical(name string) bool {
	return !strings.HasPrefix(name, "Vlan") && !strings.HasPrefix(name, "Loopback") &&
		name != "Vxlan1" && !strings.HasPrefix(name, "Port-Channel")
}

// checkInterface refuses physical interfaces the switch does not have.
func checkInterface(t *terminal, _ *node, w []string, _ bool) (string, bool) {
	if physical(w[1]) && !t.d.physical[w[1]] {
		return fmt.Sprintf("%% Invalid input (at token 1: '%s')", w[1]), false
	}
	return "", true
}

// checkBGP allows one BGP instance.
func checkBGP(_ *terminal, parent *node, w []string, neg bool) (string, bool) {
	if n := parent.child("router bgp "); n != nil && n.text != strings.Join(w, " ") {
		if neg {
			return "", true
		}
		return "% BGP is already running with AS number " + strings.TrimPrefix(n.text, "router bgp "), false
	}
	return "", true
}

// checkVRFMember removes an interface's IP addresses when its VRF
// changes, as EOS does.
func checkVRFMember(_ *terminal, parent *node, w []string, neg bool) (string, bool) {
	cur := parent.child("vrf ")
	if !neg && cur != nil && cur.text == strings.Join(w, " ") {
		return "", true
	}
	if neg && cur == nil {
		return "", true
	}
	var out []string
	for _, k := range append([]*node(nil), parent.kids...) {
		if strings.HasPrefix(k.text, "ip address ") {
			parent.remove(k)
			out = append(out, "! IP configuration "+strings.TrimPrefix(k.text, "ip ")+" was removed")
		}
	}
	return strings.Join(out, "\n"), true
}

// checkVNI keeps each VNI mapped once on Vxlan1.
func checkVNI(_ *terminal, parent *node, w []string, neg bool) (string, bool) {
	if neg || len(w) < 5 {
		return "", true
	}
	key := strings.Join(w[:3], " ")
	for _, k := range parent.kids {
		f := strings.Fields(k.text)
		if len(f) == 5 && f[0] == "vxlan" && f[3] == "vni" && f[4] == w[4] && k.key != key {
			return fmt.Sprintf("%% Error: VNI %s is already mapped to %s %s", w[4], f[1], f[2]), false
		}
	}
	return "", true
}
