package eosfake

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/railyard/railyard/drivers"
	"github.com/railyard/railyard/internal/fabric"
)

// MaxPendingSessions is how many uncommitted sessions EOS keeps.
const MaxPendingSessions = 5

// Device is one fake EOS switch. It is safe for concurrent use.
type Device struct {
	mu       sync.Mutex
	hostname string
	running  *node
	physical map[string]bool
	sessions map[string]*session
	// completed is the last completed session, kept for show.
	completed string
	failOn    []string
	now       func() time.Time
	terms     int
}

// session is a configuration session.
type session struct {
	name  string
	cfg   *node
	state string // pending, pendingCommitTimer
	// deadline and rollback are set while a commit timer runs.
	deadline time.Time
	rollback *node
	term     string
}

// New builds a switch with its underlay configured from base: hostname,
// the BGP instance (base.ASN, base.RouterID), Loopback1 as the VTEP
// source (base.VTEP), Vxlan1, and a physical interface for every port in
// base.Ports.
func New(base fabric.DeviceConfig) *Device {
	d := &Device{hostname: base.Device, running: &node{}, physical: map[string]bool{}, sessions: map[string]*session{}, now: time.Now}
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
	d.physical["Management1"] = true
	for _, p := range base.Ports {
		d.physical[p.Name] = true
	}
	t := &terminal{d: d, name: "con0", user: "admin"}
	cmds := []string{"configure", "hostname " + d.hostname, "spanning-tree mode mstp", "service routing protocols model multi-agent"}
	for _, p := range base.Ports {
		cmds = append(cmds, "interface "+p.Name)
	}
	cmds = append(cmds,
		"interface Loopback0", "ip address "+rid+"/32",
		"interface Loopback1", "ip address "+vtep+"/32",
		"interface Management1", "ip address 192.0.2.10/24",
		"interface Vxlan1", "vxlan source-interface Loopback1", "vxlan udp-port 4789",
		"ip virtual-router mac-address 00:1c:73:00:00:99",
		"ip routing",
		fmt.Sprintf("router bgp %d", asn), "router-id "+rid, "maximum-paths 4",
		"neighbor SPINES peer group", "neighbor SPINES remote-as 65000", "neighbor SPINES send-community extended",
		"address-family evpn", "neighbor SPINES activate", "exit", "exit", "end")
	for _, c := range cmds {
		if out := t.run(c); isError(out) {
			panic(fmt.Sprintf("eosfake: underlay %q: %s", c, out))
		}
	}
	return d
}

// SetClock replaces the switch's clock (time.Now), so tests can expire
// commit timers without sleeping.
func (d *Device) SetClock(now func() time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.now = now
}

// Running returns show running-config.
func (d *Device) Running() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.expire()
	return d.print(d.running)
}

// FailOn makes the next command that contains s fail with "% Error".
func (d *Device) FailOn(s string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.failOn = append(d.failOn, s)
}

// Pending lists the sessions that are open or wait for a commit timer.
func (d *Device) Pending() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.expire()
	var out []string
	for _, s := range d.sessions {
		out = append(out, s.name+" ("+s.state+")")
	}
	slices.Sort(out)
	return out
}

// Transport reaches the switch: every CLI opened is a new terminal
// (vty) on it; the credentials are accepted.
func (d *Device) Transport() drivers.Transport {
	return drivers.Transport{CLI: func(ctx context.Context, tg drivers.Target) (drivers.CLI, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		d.mu.Lock()
		d.terms++
		name := fmt.Sprintf("vty%d", d.terms)
		d.mu.Unlock()
		user := tg.Username
		if user == "" {
			user = "admin"
		}
		return &terminal{d: d, name: name, user: user}, nil
	}}
}

// NewTerminal opens a terminal on the switch, as an operator's SSH
// session would (for out-of-band edits in tests).
func (d *Device) NewTerminal() drivers.CLI {
	d.mu.Lock()
	d.terms++
	name := fmt.Sprintf("vty%d", d.terms)
	d.mu.Unlock()
	return &terminal{d: d, name: name, user: "operator"}
}

// expire rolls back commits whose timer ran out.
func (d *Device) expire() {
	now := d.now()
	for name, s := range d.sessions {
		if s.state == "pendingCommitTimer" && !now.Before(s.deadline) {
			d.running = s.rollback
			delete(d.sessions, name)
		}
	}
}

type frame struct {
	mode string
	n    *node
}

// terminal is one CLI session on the switch.
type terminal struct {
	d      *Device
	name   string
	user   string
	stack  []frame // empty in exec mode
	sess   *session
	closed bool
}

// Run feeds one command to the switch and returns what it printed.
func (t *terminal) Run(ctx context.Context, cmd string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	t.d.mu.Lock()
	defer t.d.mu.Unlock()
	if t.closed {
		return "", errors.New("eosfake: terminal closed")
	}
	t.d.expire()
	return t.run(cmd), nil
}

// Close ends the terminal. An open session stays pending, as on EOS.
func (t *terminal) Close() error {
	t.d.mu.Lock()
	defer t.d.mu.Unlock()
	t.closed = true
	return nil
}

func isError(out string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "% ") {
			return true
		}
	}
	return false
}

func invalid(words []string, i int) string {
	if i >= len(words) {
		return "% Incomplete command"
	}
	return fmt.Sprintf("%% Invalid input (at token %d: '%s')", i, words[i])
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
			return "% Error: configuration of '" + line + "' failed: hardware resources exhausted"
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
	case words[0] == "enable", words[0] == "terminal" && len(words) >= 2, words[0] == "exit" && len(words) == 1:
		return ""
	case words[0] == "configure" && (len(words) == 1 || len(words) == 2 && words[1] == "terminal"):
		t.sess = nil
		t.stack = []frame{{mode: "root", n: d.running}}
		return ""
	case words[0] == "configure" && words[1] == "session":
		return t.configureSession(words)
	}
	return invalid(words, 0)
}

var sessionNameRE = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)

func (t *terminal) configureSession(words []string) string {
	d := t.d
	if len(words) == 2 {
		words = append(words, fmt.Sprintf("session%d", d.terms*1000+len(d.sessions)))
	}
	name := words[2]
	if !sessionNameRE.MatchString(name) {
		return invalid(words, 2)
	}
	s := d.sessions[name]
	if len(words) == 4 {
		switch words[3] {
		case "commit":
			if s == nil {
				return "% Error: session " + name + " does not exist"
			}
			if s.state == "pending" {
				d.running = s.cfg.clone()
			}
			delete(d.sessions, name)
			d.completed = name
			return ""
		case "abort":
			if s == nil {
				return "% Error: session " + name + " does not exist"
			}
			if s.state == "pendingCommitTimer" {
				d.running = s.rollback
			}
			delete(d.sessions, name)
			return ""
		}
		return invalid(words, 3)
	}
	if len(words) > 4 {
		return invalid(words, 4)
	}
	if s == nil {
		if name == d.completed {
			return "% Error: cannot enter session " + name + " (session already completed)"
		}
		if len(d.sessions) >= MaxPendingSessions {
			return "% Error: Maximum number of pending sessions has been reached. Please commit or abort previous sessions before creating a new one."
		}
		s = &session{name: name, cfg: d.running.clone(), state: "pending", term: t.name}
		d.sessions[name] = s
	}
	if s.state != "pending" {
		return "% Error: cannot enter session " + name + " (commit timer pending)"
	}
	t.sess = s
	t.stack = []frame{{mode: "root", n: s.cfg}}
	return ""
}

func (t *terminal) config(words []string) string {
	d := t.d
	switch {
	case words[0] == "end" && len(words) == 1:
		t.stack, t.sess = nil, nil
		return ""
	case words[0] == "exit" && len(words) == 1:
		t.stack = t.stack[:len(t.stack)-1]
		if len(t.stack) == 0 {
			t.sess = nil
		}
		return ""
	case words[0] == "abort" && len(words) == 1 && t.sess != nil:
		if len(t.stack) > 1 {
			// Below the top of the session "abort" only leaves the
			// sub-mode; the session stays open (ansible #36979).
			t.stack = t.stack[:len(t.stack)-1]
			return ""
		}
		delete(d.sessions, t.sess.name)
		t.stack, t.sess = nil, nil
		return ""
	case words[0] == "commit" && t.sess != nil:
		return t.commit(words)
	}
	neg := words[0] == "no"
	w := words
	if neg {
		w = words[1:]
		if len(w) == 0 {
			return "% Incomplete command"
		}
	}
	best, incomplete := -1, false
	for lvl := len(t.stack) - 1; lvl >= 0; lvl-- {
		f := t.stack[lvl]
		r, n, inc := eos.lookup(f.mode, w, neg)
		if r == nil {
			if n > best || (n == best && inc) {
				best, incomplete = n, inc
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
	if incomplete {
		return "% Incomplete command"
	}
	return invalid(words, best+off)
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
	cur := parent.find(r, key)
	if neg {
		if cur != nil {
			if r.mode != nil && len(w) >= 2 && w[0] == "interface" && physical(w[1]) {
				cur.kids = nil // a physical interface returns to defaults
			} else {
				parent.remove(cur)
			}
		}
		return out
	}
	if r.hide != nil && r.hide(w) {
		if cur != nil {
			parent.remove(cur)
		}
		return out
	}
	text := strings.Join(w, " ")
	if cur == nil {
		cur = &node{key: key, rule: r}
		parent.kids = append(parent.kids, cur)
	}
	cur.text = text
	if r.mode != nil {
		t.stack = append(t.stack, frame{mode: r.mode(w), n: cur})
	}
	return out
}

func (t *terminal) commit(words []string) string {
	d, s := t.d, t.sess
	switch {
	case len(words) == 1:
		d.running = s.cfg.clone()
		delete(d.sessions, s.name)
		d.completed = s.name
	case len(words) == 3 && words[1] == "timer" && hmsRE.MatchString(words[2]):
		var h, m, sec int
		fmt.Sscanf(words[2], "%d:%d:%d", &h, &m, &sec)
		dur := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec)*time.Second
		if dur <= 0 {
			return invalid(words, 2)
		}
		s.rollback = d.running
		d.running = s.cfg.clone()
		s.state, s.deadline = "pendingCommitTimer", d.now().Add(dur)
	default:
		if len(words) >= 2 && words[1] == "timer" {
			if len(words) == 2 {
				return "% Incomplete command"
			}
			return invalid(words, 2)
		}
		return invalid(words, 1)
	}
	t.stack, t.sess = nil, nil
	return ""
}

func (t *terminal) show(words []string) string {
	d := t.d
	arg := strings.Join(words[1:], " ")
	switch arg {
	case "running-config":
		return d.print(d.running)
	case "configuration sessions", "configuration sessions detail":
		return d.showSessions(t)
	case "session-config diffs":
		if t.sess == nil {
			return "% Error: not in a configuration session"
		}
		return unifiedDiff(d.print(d.running), d.print(t.sess.cfg), "system:/running-config", "session:/"+t.sess.name+"-session-config")
	case "session-config":
		if t.sess == nil {
			return "% Error: not in a configuration session"
		}
		return d.print(t.sess.cfg)
	case "version":
		return "Arista cEOSLab\nSoftware image version: 4.32.2F (fake)\n"
	case "hostname":
		return "Hostname: " + d.hostname + "\nFQDN:     " + d.hostname + "\n"
	}
	if len(words) == 1 {
		return "% Incomplete command"
	}
	return invalid(words, 1)
}

func (d *Device) showSessions(t *terminal) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Maximum number of completed sessions: 1\nMaximum number of pending sessions: %d\n\n", MaxPendingSessions)
	fmt.Fprintf(&b, "  %-24s %-20s %-10s %s\n", "Name", "State", "User", "Terminal")
	fmt.Fprintf(&b, "  %-24s %-20s %-10s %s\n", strings.Repeat("-", 24), strings.Repeat("-", 20), strings.Repeat("-", 10), "--------")
	var names []string
	for n := range d.sessions {
		names = append(names, n)
	}
	if d.completed != "" {
		names = append(names, d.completed)
	}
	slices.Sort(names)
	for _, n := range names {
		state, term, mark := "completed", "", " "
		if s := d.sessions[n]; s != nil {
			state, term = s.state, s.term
			if t.sess == s {
				mark = "*"
			}
		}
		fmt.Fprintf(&b, "%s %-24s %-20s %-10s %s\n", mark, n, state, "", term)
	}
	return b.String()
}

// print renders a configuration tree as show running-config does.
func (d *Device) print(root *node) string {
	root.sortKids()
	var b strings.Builder
	b.WriteString("! Command: show running-config\n! device: " + d.hostname + " (cEOSLab, EOS-4.32.2F)\n!\n")
	b.WriteString("no aaa root\n!\n")
	prev := ""
	for i, n := range root.kids {
		if i > 0 && (n.rule.group == "" || n.rule.group != prev) {
			b.WriteString("!\n")
		}
		prev = n.rule.group
		if n.rule.mode != nil {
			prev = ""
		}
		b.WriteString(n.text + "\n")
		printKids(&b, n, 1)
	}
	b.WriteString("!\nend\n")
	return b.String()
}

func printKids(b *strings.Builder, n *node, depth int) {
	ind := strings.Repeat("   ", depth)
	for _, k := range n.kids {
		if k.rule.mode != nil {
			b.WriteString(ind + "!\n")
		}
		b.WriteString(ind + k.text + "\n")
		printKids(b, k, depth+1)
	}
}
