package nxosfake

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/railyard/railyard/drivers"
	"github.com/railyard/railyard/internal/fabric"
)

// Device is one fake NX-OS switch. It is safe for concurrent use.
type Device struct {
	mu          sync.Mutex
	hostname    string
	running     *node
	physical    map[string]bool
	checkpoints map[string]*checkpoint
	failOn      []string
	now         func() time.Time
	terms       map[*terminal]bool
	nterms      int
}

type checkpoint struct {
	name    string
	cfg     *node
	user    string
	created time.Time
}

var ethRE = regexp.MustCompile(`^Ethernet(\d+)$`)

// InterfaceName is the NX-OS name of a port: Ethernet1/N for the
// single-number names the suite uses (EthernetN); other names as given.
func InterfaceName(port string) string {
	if m := ethRE.FindStringSubmatch(port); m != nil {
		return "Ethernet1/" + m[1]
	}
	return port
}

// New builds a switch with its underlay configured from base: hostname,
// the features VXLAN EVPN needs, the anycast gateway MAC, loopbacks for
// the router id (base.RouterID) and the VTEP (base.VTEP), nve1, the BGP
// instance (base.ASN) and a physical interface for every port in
// base.Ports (EthernetN becomes Ethernet1/N).
func New(base fabric.DeviceConfig) *Device {
	d := &Device{hostname: base.Device, running: &node{}, physical: map[string]bool{"mgmt0": true},
		checkpoints: map[string]*checkpoint{}, now: time.Now, terms: map[*terminal]bool{}}
	if d.hostname == "" {
		d.hostname = "leaf1"
	}
	asn, rid, vtep := base.ASN, base.RouterID, base.VTEP
	if asn == 0 {
		asn = 65100
	}
	if rid == "" {
		rid = "10.255.0.1"
	}
	if vtep == "" {
		vtep = "10.255.1.1"
	}
	for _, p := range base.Ports {
		d.physical[InterfaceName(p.Name)] = true
	}
	t := &terminal{d: d, name: "console"}
	cmds := []string{"configure terminal", "hostname " + d.hostname, "nv overlay evpn",
		"feature bgp", "feature interface-vlan", "feature vn-segment-vlan-based", "feature nv overlay",
		"system default switchport", "system default switchport shutdown",
		// NX-OS reserves VLANs 3968-4095 by default; Railyard's core
		// VLANs reach 3999, so the reserved block is moved below them.
		"system vlan 1800 reserve",
		"fabric forwarding anycast-gateway-mac 0000.2222.3333", "vlan 1"}
	for _, p := range base.Ports {
		cmds = append(cmds, "interface "+InterfaceName(p.Name))
	}
	cmds = append(cmds,
		"interface mgmt0", "vrf member management", "ip address 192.0.2.10/24",
		"interface loopback0", "ip address "+rid+"/32",
		"interface loopback1", "ip address "+vtep+"/32",
		"interface nve1", "no shutdown", "host-reachability protocol bgp", "source-interface loopback1",
		fmt.Sprintf("router bgp %d", asn), "router-id "+rid,
		"address-family l2vpn evpn", "advertise-pip", "exit",
		"neighbor 10.254.0.1", "remote-as 65000", "address-family l2vpn evpn", "send-community extended", "exit", "exit",
		"exit", "evpn", "end")
	for _, c := range cmds {
		if out := t.run(c); isError(out) {
			panic(fmt.Sprintf("nxosfake: underlay %q: %s", c, out))
		}
	}
	return d
}

// SetClock replaces the switch's clock (time.Now); checkpoints are
// stamped with it.
func (d *Device) SetClock(now func() time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.now = now
}

// Running returns show running-config.
func (d *Device) Running() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.print(d.running)
}

// FailOn makes the next command that contains s fail with an error.
func (d *Device) FailOn(s string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.failOn = append(d.failOn, s)
}

// Pending lists the checkpoints on the switch and the terminals still in
// configuration mode.
func (d *Device) Pending() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for n := range d.checkpoints {
		out = append(out, "checkpoint "+n)
	}
	for t := range d.terms {
		if len(t.stack) > 0 {
			out = append(out, "terminal "+t.name+" in configuration mode")
		}
	}
	slices.Sort(out)
	return out
}

// Transport reaches the switch: every CLI opened is a new terminal on
// it; the credentials are accepted.
func (d *Device) Transport() drivers.Transport {
	return drivers.Transport{CLI: func(ctx context.Context, tg drivers.Target) (drivers.CLI, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return d.NewTerminal(), nil
	}}
}

// NewTerminal opens a terminal on the switch, as an SSH session would.
func (d *Device) NewTerminal() drivers.CLI {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.nterms++
	t := &terminal{d: d, name: fmt.Sprintf("pts/%d", d.nterms)}
	d.terms[t] = true
	return t
}

type frame struct {
	mode string
	n    *node
}

// terminal is one CLI session on the switch.
type terminal struct {
	d     *Device
	name  string
	stack []frame // empty in exec mode
}

func (t *terminal) root() *node { return t.stack[0].n }

// Run feeds one command to the switch and returns what it printed.
func (t *terminal) Run(ctx context.Context, cmd string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	t.d.mu.Lock()
	defer t.d.mu.Unlock()
	if !t.d.terms[t] {
		return "", errors.New("nxosfake: terminal closed")
	}
	return t.run(cmd), nil
}

// Close ends the terminal (leaving configuration mode).
func (t *terminal) Close() error {
	t.d.mu.Lock()
	defer t.d.mu.Unlock()
	delete(t.d.terms, t)
	return nil
}

func isError(out string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "% ") || strings.HasPrefix(l, "ERROR:") {
			return true
		}
	}
	return false
}

// caret points at word i of words, as NX-OS does above its message.
func caret(words []string, i int, msg string) string {
	col := 0
	for _, w := range words[:min(i, len(words))] {
		col += len(w) + 1
	}
	return strings.Repeat(" ", col) + "^\n" + msg
}

func invalid(words []string, i int) string {
	if i >= len(words) {
		return caret(words, i, "% Incomplete command at '^' marker.")
	}
	return caret(words, i, "% Invalid command at '^' marker.")
}

func (t *terminal) run(cmd string) string {
	d := t.d
	line := strings.TrimSpace(cmd)
	if line == "" {
		return ""
	}
	for i, s := range d.failOn {
		if strings.Contains(line, s) {
			d.failOn = slices.Delete(d.failOn, i, i+1)
			return "ERROR: " + line + ": failed to apply (TCAM resources exhausted)"
		}
	}
	words := strings.Fields(line)
	if strings.HasPrefix(words[0], "!") {
		return ""
	}
	if words[0] == "show" {
		return t.show(words)
	}
	if len(t.stack) == 0 {
		return t.exec(words)
	}
	return t.config(words)
}

func (t *terminal) exec(words []string) string {
	d := t.d
	switch {
	case words[0] == "terminal" && len(words) >= 2, words[0] == "exit" && len(words) == 1:
		return ""
	case words[0] == "configure" && (len(words) == 1 || len(words) == 2 && words[1] == "terminal"):
		t.stack = []frame{{mode: "root", n: d.running}}
		return "Enter configuration commands, one per line. End with CNTL/Z."
	case words[0] == "checkpoint":
		if len(words) == 1 {
			// NX-OS names it auto-<n>.
			words = append(words, fmt.Sprintf("auto-%d", len(d.checkpoints)+1))
		}
		if !cpRE.MatchString(words[1]) || (len(words) > 2 && (words[2] != "description" || len(words) == 3)) {
			return invalid(words, min(2, len(words)-1))
		}
		if d.checkpoints[words[1]] != nil {
			return "ERROR: Checkpoint name \"" + words[1] + "\" is already in use"
		}
		if len(d.checkpoints) >= 10 {
			return "ERROR: Maximum number of checkpoints reached; delete one first"
		}
		d.checkpoints[words[1]] = &checkpoint{name: words[1], cfg: d.running.clone(), user: "admin", created: d.now()}
		return "...........Done"
	case words[0] == "no" && len(words) == 3 && words[1] == "checkpoint":
		if d.checkpoints[words[2]] == nil {
			return "ERROR: No checkpoint with name \"" + words[2] + "\""
		}
		delete(d.checkpoints, words[2])
		return ""
	case words[0] == "clear" && len(words) == 3 && words[1] == "checkpoint" && words[2] == "database":
		clear(d.checkpoints)
		return ""
	case words[0] == "rollback":
		if len(words) < 4 || words[1] != "running-config" || words[2] != "checkpoint" {
			return invalid(words, min(len(words), 3))
		}
		if len(words) > 5 || len(words) == 5 && words[4] != "atomic" {
			return invalid(words, 4)
		}
		cp := d.checkpoints[words[3]]
		if cp == nil {
			return "ERROR: Checkpoint \"" + words[3] + "\" does not exist"
		}
		d.running = cp.cfg.clone()
		return "Note: Applying config parallelly may fail Rollback verification\nCollecting Running-Config\n#Generating Rollback Patch\nExecuting Rollback Patch\nGenerating Running-config for verification\nGenerating Patch for verification\nVerification is Successful.\n\nRollback completed successfully."
	}
	return invalid(words, 0)
}

func (t *terminal) config(words []string) string {
	switch {
	case words[0] == "end" && len(words) == 1:
		t.stack = nil
		return ""
	case words[0] == "exit" && len(words) == 1:
		t.stack = t.stack[:len(t.stack)-1]
		return ""
	}
	neg := words[0] == "no"
	w := words
	if neg {
		w = words[1:]
		if len(w) == 0 {
			return caret(words, 1, "% Incomplete command at '^' marker.")
		}
	}
	var best miss
	best.at = -1
	for lvl := len(t.stack) - 1; lvl >= 0; lvl-- {
		f := t.stack[lvl]
		r, m := nxos.lookup(f.mode, w, neg)
		if r == nil {
			if m.at > best.at || (m.at == best.at && m.incomplete) {
				best = m
			}
			continue
		}
		t.stack = t.stack[:lvl+1]
		return t.apply(f.n, r, w, neg)
	}
	off := 0
	if neg {
		off = 1
	}
	if best.incomplete {
		return caret(words, len(words), "% Incomplete command at '^' marker.")
	}
	if lo, hi, ok := strings.Cut(strings.Trim(best.failed, "<>"), "-"); ok && strings.HasPrefix(best.failed, "<") {
		if _, err := strconv.Atoi(w[best.at]); err == nil {
			return caret(words, best.at+off, fmt.Sprintf("%% Invalid number, range is (%s:%s) at '^' marker.", lo, hi))
		}
	}
	return invalid(words, best.at+off)
}

// apply makes one matched command take effect under parent.
func (t *terminal) apply(parent *node, r *rule, w []string, neg bool) string {
	out := ""
	if r.check != nil {
		o, ok := r.check(t, parent, w, neg)
		if !ok {
			return o
		}
		out = o
	}
	key := r.keyOf(w)
	if r.inverted {
		// "no shutdown" is the stored line; "shutdown" is the default.
		cur := parent.find(r, "no shutdown")
		if neg && cur == nil {
			parent.kids = append(parent.kids, &node{text: "no shutdown", key: "no shutdown", rule: r})
		} else if !neg && cur != nil {
			parent.remove(cur)
		}
		return out
	}
	cur := parent.find(r, key)
	if neg {
		if cur == nil {
			cur = parent.findKey(key)
		}
		if cur != nil {
			parent.remove(cur)
		}
		return out
	}
	if r.hide != nil && r.hide(w) {
		if cur != nil {
			parent.remove(cur)
		}
		return out
	}
	if cur == nil {
		if other := parent.findKey(key); other != nil {
			return "ERROR: " + other.text + " is already configured; remove it first"
		}
		cur = &node{key: key, rule: r}
		parent.kids = append(parent.kids, cur)
	}
	cur.text = strings.Join(w, " ")
	if r.mode != nil {
		t.stack = append(t.stack, frame{mode: r.mode(w), n: cur})
	}
	return out
}

func (t *terminal) show(words []string) string {
	d := t.d
	switch arg := strings.Join(words[1:], " "); arg {
	case "running-config":
		return d.print(d.running)
	case "checkpoint summary":
		var b strings.Builder
		b.WriteString("User Checkpoint Summary\n--------------------------------------------------------------------------------\n")
		var names []string
		for n := range d.checkpoints {
			names = append(names, n)
		}
		slices.Sort(names)
		for i, n := range names {
			cp := d.checkpoints[n]
			fmt.Fprintf(&b, "%d) %s:\nCreated by %s\nCreated at %s\nSize is %d bytes\nDescription: None\n\n",
				i+1, n, cp.user, cp.created.UTC().Format("Mon, 15:04:05 02 Jan 2006"), len(d.print(cp.cfg)))
		}
		return b.String()
	case "version":
		return "Cisco Nexus Operating System (NX-OS) Software\n  NXOS: version 10.3(4a) [Maintenance Release] (fake)\n"
	case "hostname":
		return d.hostname
	}
	if len(words) == 1 {
		return caret(words, 1, "% Incomplete command at '^' marker.")
	}
	return invalid(words, 1)
}

// vlanSummary is NX-OS's "vlan 1,2001-2003" line.
func vlanSummary(ids []int) string {
	slices.Sort(ids)
	var parts []string
	for i := 0; i < len(ids); {
		j := i
		for j+1 < len(ids) && ids[j+1] == ids[j]+1 {
			j++
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d-%d", ids[i], ids[j]))
		} else {
			parts = append(parts, strconv.Itoa(ids[i]))
		}
		i = j + 1
	}
	return "vlan " + strings.Join(parts, ",")
}

// print renders a configuration tree as show running-config does.
func (d *Device) print(root *node) string {
	root.sortKids()
	var b strings.Builder
	b.WriteString("\n!Command: show running-config\n!No configuration change since last restart\n\nversion 10.3(4a) Bios:version 05.47\n")
	var vlans []int
	for _, n := range root.kids {
		if v, ok := strings.CutPrefix(n.text, "vlan "); ok {
			id, _ := strconv.Atoi(v)
			vlans = append(vlans, id)
		}
	}
	prev := ""
	for _, n := range root.kids {
		kind := strings.Fields(n.text)[0]
		if kind == "vlan" && prev != "vlan" {
			b.WriteString(vlanSummary(vlans) + "\n")
		}
		if (kind != prev && (kind == "vrf" || kind == "fabric")) || kind == "interface" {
			b.WriteString("\n")
		}
		prev = kind
		if kind == "vlan" && len(n.kids) == 0 {
			continue // only in the summary line
		}
		b.WriteString(n.text + "\n")
		printKids(&b, n, 1)
	}
	return b.String()
}

func printKids(b *strings.Builder, n *node, depth int) {
	ind := strings.Repeat("  ", depth)
	for _, k := range n.kids {
		b.WriteString(ind + k.text + "\n")
		printKids(b, k, depth+1)
	}
}
