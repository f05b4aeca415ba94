package sonic

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/railyard/railyard/internal/fabric"
)

// Render returns the managed part of a SONiC leaf's configuration: the
// CONFIG_DB tables as "show runningconfiguration all" prints them (VRF,
// VLAN, VLAN_MEMBER, VLAN_INTERFACE, VXLAN_TUNNEL_MAP and the ports'
// admin_status), then FRR's configuration for the tenant VRFs and
// L2VNIs as "show running-config" prints it.
func (Driver) Render(cfg fabric.DeviceConfig) (string, error) {
	if err := validate(cfg); err != nil {
		return "", err
	}
	c := cfg.Clone()
	c.Normalize()
	db := map[string]map[string]map[string]string{}
	set := func(t, k string, f map[string]string) {
		if db[t] == nil {
			db[t] = map[string]map[string]string{}
		}
		db[t][k] = f
	}
	vmap := func(vlan int, vni uint32) {
		set("VLAN", fmt.Sprintf("Vlan%d", vlan), map[string]string{"vlanid": fmt.Sprint(vlan)})
		set("VXLAN_TUNNEL_MAP", fmt.Sprintf("%s|map_%d_Vlan%d", TunnelName, vni, vlan), map[string]string{"vlan": fmt.Sprintf("Vlan%d", vlan), "vni": fmt.Sprint(vni)})
	}
	for _, v := range c.VRFs {
		set("VRF", DeviceVRF(v.Name), map[string]string{"vni": fmt.Sprint(v.L3VNI)})
		vmap(v.CoreVLAN, v.L3VNI)
		set("VLAN_INTERFACE", fmt.Sprintf("Vlan%d", v.CoreVLAN), map[string]string{"vrf_name": DeviceVRF(v.Name)})
	}
	for _, s := range c.Segments {
		vmap(s.VLAN, s.L2VNI)
		ifc := fmt.Sprintf("Vlan%d", s.VLAN)
		if s.VRF != "" {
			set("VLAN_INTERFACE", ifc, map[string]string{"vrf_name": DeviceVRF(s.VRF)})
		}
		for _, g := range gateways(s.Gateway) {
			if s.VRF == "" {
				set("VLAN_INTERFACE", ifc, map[string]string{})
			}
			set("VLAN_INTERFACE", ifc+"|"+g, map[string]string{})
		}
	}
	for _, p := range c.Ports {
		st := "up"
		if p.Shutdown {
			st = "down"
		}
		set("PORT", p.Name, map[string]string{"admin_status": st})
		if p.VLAN != 0 {
			set("VLAN_MEMBER", fmt.Sprintf("Vlan%d|%s", p.VLAN, p.Name), map[string]string{"tagging_mode": "untagged"})
		}
	}
	js, err := json.MarshalIndent(db, "", "    ")
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.Write(js)
	b.WriteString("\n!\n")
	for _, v := range c.VRFs {
		fmt.Fprintf(&b, "vrf %s\n vni %d\nexit-vrf\n!\n", DeviceVRF(v.Name), v.L3VNI)
	}
	if len(c.Segments) > 0 {
		fmt.Fprintf(&b, "router bgp %d\n address-family l2vpn evpn\n", c.ASN)
		for _, s := range c.Segments {
			fmt.Fprintf(&b, "  vni %d\n", s.L2VNI)
			writeRTs(&b, "   ", s.RD, single(s.RT), single(s.RT))
			b.WriteString("  exit-vni\n")
		}
		b.WriteString(" exit-address-family\nexit\n!\n")
	}
	for _, v := range c.VRFs {
		fmt.Fprintf(&b, "router bgp %d vrf %s\n !\n address-family ipv4 unicast\n  redistribute connected\n exit-address-family\n", c.ASN, DeviceVRF(v.Name))
		b.WriteString(" !\n address-family l2vpn evpn\n  advertise ipv4 unicast\n")
		writeRTs(&b, "  ", v.RD, v.ImportRTs, v.ExportRTs)
		b.WriteString(" exit-address-family\nexit\n!\n")
	}
	return b.String(), nil
}

func single(rt string) []string {
	if rt == "" {
		return nil
	}
	return []string{rt}
}

func writeRTs(b *strings.Builder, ind, rd string, imp, exp []string) {
	if rd != "" {
		fmt.Fprintf(b, "%srd %s\n", ind, rd)
	}
	for _, r := range sortedRTs(imp) {
		fmt.Fprintf(b, "%sroute-target import %s\n", ind, r)
	}
	for _, r := range sortedRTs(exp) {
		fmt.Fprintf(b, "%sroute-target export %s\n", ind, r)
	}
}
