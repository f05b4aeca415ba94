package frrlab

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/railyard/railyard/drivers"
	"github.com/railyard/railyard/drivers/execcli"
	"github.com/railyard/railyard/internal/fabric"
)

// Device is a Linux leaf running FRR in a lab namespace: its underlay
// (router bgp <ASN> with router-id and advertise-all-vni, the VTEP on
// lo, one veth per port of the base configuration) is configured when
// it is made. It satisfies drivertest.Fake.
type Device struct {
	Lab    *Lab
	Router *Router

	mu     sync.Mutex
	failOn []string
}

// UnderlayConfig is the bgpd configuration a lab leaf starts with:
// its BGP instance, router-id, the given extra lines (neighbors) and
// EVPN with advertise-all-vni.
func UnderlayConfig(asn uint32, routerID string, extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "router bgp %d\n bgp router-id %s\n", asn, routerID)
	for _, e := range extra {
		b.WriteString(e + "\n")
	}
	b.WriteString(" address-family l2vpn evpn\n  advertise-all-vni\n exit-address-family\nexit\n")
	return b.String()
}

// NewDevice makes a namespace named name with base's underlay and
// starts FRR in it with bgpdConf (UnderlayConfig(base.ASN,
// base.RouterID) when empty). Each port of base gets a veth named like
// the port whose peer ("x" and the port's index, from 1) stays in the
// namespace, down; a test moves peers into host namespaces.
func (l *Lab) NewDevice(name string, base fabric.DeviceConfig, bgpdConf string) (*Device, error) {
	ns, err := l.AddNS(name)
	if err != nil {
		return nil, err
	}
	if base.VTEP != "" {
		if err := l.MustSh(ns, "ip addr add "+base.VTEP+"/32 dev lo"); err != nil {
			return nil, err
		}
	}
	var batch strings.Builder
	for i, p := range base.Ports {
		fmt.Fprintf(&batch, "link add %s type veth peer name x%d\n", p.Name, i+1)
	}
	if batch.Len() > 0 {
		if err := l.MustSh(ns, "printf '"+batch.String()+"' | ip -batch -"); err != nil {
			return nil, err
		}
	}
	if bgpdConf == "" {
		bgpdConf = UnderlayConfig(base.ASN, base.RouterID)
	}
	r, err := l.StartFRR(name, ns, bgpdConf)
	if err != nil {
		return nil, err
	}
	return &Device{Lab: l, Router: r}, nil
}

// Running returns FRR's running configuration (stanzas whose order FRR
// prints by creation or hash order put in a canonical order, see
// Canonical) followed by a canonical dump of the namespace's links.
func (d *Device) Running() string {
	out, err := d.Lab.Sh(d.Router.NS, d.Router.Vtysh()+" -c 'show running-config'")
	if err != nil {
		return "ERROR " + err.Error()
	}
	links, err := d.Lab.Sh(d.Router.NS, "ip -j -d addr show")
	if err != nil {
		return "ERROR " + err.Error()
	}
	dump, err := DumpLinks([]byte(links))
	if err != nil {
		return "ERROR " + err.Error()
	}
	return Canonical(out) + "! links\n" + dump
}

// FailOn makes the next command containing s fail without running: it
// prints what FRR (for vtysh) or iproute2 prints for a refused command,
// with execcli's exit-status line.
func (d *Device) FailOn(s string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.failOn = append(d.failOn, s)
}

// Pending lists leftover temporary state: FRR here has no config
// sessions or candidates (each vtysh call commits line by line), so the
// only one is a capability-probe link the driver failed to delete.
func (d *Device) Pending() []string {
	out, err := d.Lab.Sh(d.Router.NS, "ip -o link show")
	if err != nil {
		return []string{err.Error()}
	}
	var p []string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "ry-probe") {
			p = append(p, strings.TrimSpace(l))
		}
	}
	return p
}

// Transport reaches the device: execcli in its namespace with vtysh
// pointed at its daemons, with FailOn's injected errors.
func (d *Device) Transport() drivers.Transport {
	opt := d.Router.Options()
	return drivers.Transport{CLI: func(ctx context.Context, t drivers.Target) (drivers.CLI, error) {
		return &failCLI{CLI: execcli.New(opt), d: d}, nil
	}}
}

type failCLI struct {
	*execcli.CLI
	d *Device
}

func (c *failCLI) Run(ctx context.Context, cmd string) (string, error) {
	c.d.mu.Lock()
	i := slices.IndexFunc(c.d.failOn, func(s string) bool { return strings.Contains(cmd, s) })
	if i >= 0 {
		c.d.failOn = slices.Delete(c.d.failOn, i, i+1)
	}
	c.d.mu.Unlock()
	if i < 0 {
		return c.CLI.Run(ctx, cmd)
	}
	if strings.HasPrefix(strings.TrimSpace(cmd), "vtysh") {
		return "% Configuration failed.\n" + execcli.ExitMarker + "1\n", nil
	}
	return "RTNETLINK answers: Operation not permitted\n" + execcli.ExitMarker + "2\n", nil
}

// Canonical puts FRR's running configuration in a canonical order: the
// top-level stanzas that FRR prints in creation order (router bgp ...
// vrf ...) and the vni blocks under address-family l2vpn evpn (printed
// in hash-table order) are sorted; everything else is unchanged.
func Canonical(running string) string {
	lines := strings.Split(running, "\n")
	// Split into top-level blocks separated by "!" lines.
	var blocks [][]string
	var cur []string
	for _, l := range lines {
		if l == "!" {
			blocks = append(blocks, cur)
			cur = nil
			continue
		}
		cur = append(cur, l)
	}
	blocks = append(blocks, cur)
	for i := range blocks {
		blocks[i] = sortVNIs(blocks[i])
	}
	// Sort the runs of consecutive "router bgp N vrf X" blocks.
	isVRF := func(b []string) bool {
		return len(b) > 0 && strings.HasPrefix(b[0], "router bgp ") && strings.Contains(b[0], " vrf ")
	}
	for i := 0; i < len(blocks); {
		j := i
		for j < len(blocks) && isVRF(blocks[j]) {
			j++
		}
		if j > i {
			sort.SliceStable(blocks[i:j], func(a, b int) bool { return blocks[i+a][0] < blocks[i+b][0] })
			i = j
		} else {
			i++
		}
	}
	var out []string
	for i, b := range blocks {
		if i > 0 {
			out = append(out, "!")
		}
		out = append(out, b...)
	}
	return strings.Join(out, "\n")
}

// sortVNIs sorts the "  vni N" ... "  exit-vni" runs of a block.
func sortVNIs(b []string) []string {
	out := make([]string, 0, len(b))
	for i := 0; i < len(b); {
		if !strings.HasPrefix(b[i], "  vni ") {
			out = append(out, b[i])
			i++
			continue
		}
		var vnis [][]string
		for i < len(b) && strings.HasPrefix(b[i], "  vni ") {
			j := i
			for j < len(b) && b[j] != "  exit-vni" {
				j++
			}
			if j < len(b) {
				j++
			}
			vnis = append(vnis, b[i:j])
			i = j
		}
		sort.SliceStable(vnis, func(x, y int) bool { return vnis[x][0] < vnis[y][0] })
		for _, v := range vnis {
			out = append(out, v...)
		}
	}
	return out
}

type ipLink struct {
	Name     string   `json:"ifname"`
	Flags    []string `json:"flags"`
	Master   string   `json:"master"`
	Alias    string   `json:"ifalias"`
	MTU      int      `json:"mtu"`
	LinkInfo *struct {
		Kind      string         `json:"info_kind"`
		Data      map[string]any `json:"info_data"`
		SlaveKind string         `json:"info_slave_kind"`
		SlaveData map[string]any `json:"info_slave_data"`
	} `json:"linkinfo"`
	AddrGenMode string `json:"inet6_addr_gen_mode"`
	Addrs       []struct {
		Family string `json:"family"`
		Local  string `json:"local"`
		Len    int    `json:"prefixlen"`
	} `json:"addr_info"`
}

// DumpLinks renders `ip -j -d addr show` as one sorted line per link
// with what configuration sets (kind, master, admin state, alias,
// VXLAN and bridge-port settings, addresses) and nothing that differs
// between two equal configurations (ifindex, MAC, counters, IPv6
// link-local addresses).
func DumpLinks(js []byte) (string, error) {
	var links []ipLink
	if err := json.Unmarshal(js, &links); err != nil {
		return "", fmt.Errorf("parse ip -j output: %w", err)
	}
	sort.Slice(links, func(i, j int) bool { return fabric.ComparePortNames(links[i].Name, links[j].Name) < 0 })
	var b strings.Builder
	for _, l := range links {
		state := "down"
		if slices.Contains(l.Flags, "UP") {
			state = "up"
		}
		fmt.Fprintf(&b, "%s %s mtu %d", l.Name, state, l.MTU)
		if l.LinkInfo != nil {
			fmt.Fprintf(&b, " kind %s", l.LinkInfo.Kind)
			if l.LinkInfo.Kind == "vxlan" {
				for _, k := range []string{"id", "local", "port", "learning"} {
					fmt.Fprintf(&b, " %s %v", k, l.LinkInfo.Data[k])
				}
			}
			if l.LinkInfo.Kind == "vrf" {
				fmt.Fprintf(&b, " table %v", l.LinkInfo.Data["table"])
			}
			if l.LinkInfo.SlaveKind == "bridge" {
				for _, k := range []string{"learning", "neigh_suppress"} {
					fmt.Fprintf(&b, " port_%s %v", k, l.LinkInfo.SlaveData[k])
				}
			}
		}
		if l.Master != "" {
			fmt.Fprintf(&b, " master %s", l.Master)
		}
		if l.AddrGenMode != "" {
			fmt.Fprintf(&b, " addrgenmode %s", l.AddrGenMode)
		}
		for _, a := range l.Addrs {
			if ip, err := netip.ParseAddr(a.Local); err == nil && ip.IsLinkLocalUnicast() {
				continue
			}
			fmt.Fprintf(&b, " addr %s/%d", a.Local, a.Len)
		}
		if l.Alias != "" {
			fmt.Fprintf(&b, " alias %q", l.Alias)
		}
		b.WriteString("\n")
	}
	return b.String(), nil
}
