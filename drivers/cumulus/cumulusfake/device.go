package cumulusfake

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/railyard/railyard/drivers"
	"github.com/railyard/railyard/internal/fabric"
)

// DefaultVersion is the Cumulus Linux release New reports.
const DefaultVersion = "5.9.1"

// DefaultConfirm is how long nv config apply --confirm waits without a
// time (ten minutes).
const DefaultConfirm = 10 * time.Minute

// Device is one fake Cumulus Linux switch managed with NVUE. It is safe
// for concurrent use.
type Device struct {
	mu         sync.Mutex
	now        func() time.Time
	version    string
	legacy     bool
	schema     *node
	hostname   string
	applied    *node
	appliedRev int
	nextRev    int
	// pending is each user's pending revision.
	pending map[string]*revision
	history []entry
	// trees holds every revision that was applied, for nv config apply
	// <rev>.
	trees   map[int]*node
	confirm *window
	failOn  []string
	log     []string
}

// revision is a pending revision: the changes a user staged, replayed
// on the applied configuration when it is shown or applied (so two
// users' revisions do not undo each other).
type revision struct {
	id  int
	ops []op
}

type op struct {
	unset bool
	path  []step
}

func (r *revision) on(applied *node) *node {
	t := applied.clone()
	for _, o := range r.ops {
		if o.unset {
			t.unset(o.path)
		} else {
			t.set(o.path)
		}
	}
	return t
}

type entry struct {
	rev     int
	user    string
	date    time.Time
	message string
}

type window struct {
	rev      int
	prev     *node
	prevRev  int
	deadline time.Time
	user     string
}

// PortName is the NVUE name of a port the conformance suite names
// EthernetN: swpN. Other names are NVUE names already.
func PortName(name string) string {
	if n, ok := strings.CutPrefix(name, "Ethernet"); ok {
		if i, err := strconv.Atoi(n); err == nil && i >= 1 {
			return "swp" + n
		}
	}
	return name
}

// Legacy reports whether a release spells the enable attribute
// "enable on" (before 5.5) rather than "state enabled".
func Legacy(version string) bool {
	var maj, min int
	if _, err := fmt.Sscanf(version, "%d.%d", &maj, &min); err != nil {
		return false
	}
	return maj < 5 || (maj == 5 && min < 5)
}

// New returns a switch running DefaultVersion whose underlay is applied:
// host name, BGP AS and router id, the VXLAN source address, EVPN, the
// bridge br_default, and every port in base.Ports (MTU 9216), named as
// PortName says.
func New(base fabric.DeviceConfig) *Device { return NewVersion(base, DefaultVersion) }

// NewVersion is New for another Cumulus Linux release.
func NewVersion(base fabric.DeviceConfig, version string) *Device {
	d := &Device{now: time.Now, version: version, legacy: Legacy(version), hostname: base.Device, pending: map[string]*revision{}, nextRev: 1, trees: map[int]*node{}}
	if d.hostname == "" {
		d.hostname = "leaf1"
	}
	d.schema = &node{s: parseSchema(schemaText, d.legacy)}
	on := "state enabled"
	if d.legacy {
		on = "enable on"
	}
	rid := base.RouterID
	if rid == "" {
		rid = "10.255.0.1"
	}
	vtep := base.VTEP
	if vtep == "" {
		vtep = "10.255.1.1"
	}
	lines := []string{
		"system hostname " + d.hostname,
		"router bgp " + on,
		"router bgp autonomous-system " + strconv.FormatUint(uint64(max(base.ASN, 1)), 10),
		"router bgp router-id " + rid,
		"nve vxlan " + on,
		"nve vxlan source address " + vtep,
		"evpn " + on,
		"interface lo ip address " + rid + "/32",
		"interface lo type loopback",
		"bridge domain br_default type vlan-aware",
	}
	for _, p := range base.Ports {
		lines = append(lines, "interface "+PortName(p.Name)+" type swp", "interface "+PortName(p.Name)+" link mtu 9216")
	}
	t := d.schema.clone()
	for _, l := range lines {
		path, msg := parsePath(d.schema.s, strings.Fields(l), false)
		if msg != "" {
			panic("cumulusfake: underlay " + l + ": " + msg)
		}
		t.set(path)
	}
	d.applied = t
	d.appliedRev = d.nextRev
	d.trees[d.appliedRev] = t
	d.history = append(d.history, entry{rev: d.nextRev, user: "cumulus", date: d.now(), message: "underlay"})
	d.nextRev++
	return d
}

// SetClock replaces the clock confirm windows are measured on.
func (d *Device) SetClock(now func() time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.now = now
}

// Version is the release the device reports.
func (d *Device) Version() string { return d.version }

// Transport reaches the device: every CLI session is an SSH login as
// the target's user; NVUE keeps one pending revision per user.
func (d *Device) Transport() drivers.Transport {
	return drivers.Transport{CLI: func(ctx context.Context, t drivers.Target) (drivers.CLI, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		user := t.Username
		if user == "" {
			user = "cumulus"
		}
		return &session{d: d, user: user}, nil
	}}
}

// Running returns the applied configuration as nv config show -o
// commands prints it.
func (d *Device) Running() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.expire()
	return d.applied.text()
}

// FailOn makes the next command containing s fail, once.
func (d *Device) FailOn(s string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.failOn = append(d.failOn, s)
}

// Pending lists pending revisions and open confirm windows.
func (d *Device) Pending() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.expire()
	var out []string
	for u, r := range d.pending {
		out = append(out, fmt.Sprintf("pending revision %d of %s", r.id, u))
	}
	if w := d.confirm; w != nil {
		out = append(out, fmt.Sprintf("revision %d applied by %s waits for confirmation until %s", w.rev, w.user, w.deadline.Format(time.RFC3339)))
	}
	sort.Strings(out)
	return out
}

// History returns nv config history's entries, oldest first, as
// "rev user message".
func (d *Device) History() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.expire()
	var out []string
	for _, e := range d.history {
		out = append(out, fmt.Sprintf("%d %s %s", e.rev, e.user, e.message))
	}
	return out
}

// Log returns every command the device was sent.
func (d *Device) Log() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.log...)
}

// expire rolls a confirm window whose time is up back to the revision
// before it.
func (d *Device) expire() {
	w := d.confirm
	if w == nil || d.now().Before(w.deadline) {
		return
	}
	d.confirm = nil
	d.applied = w.prev
	d.appliedRev = w.prevRev
	d.history = append(d.history, entry{rev: w.prevRev, user: "system", date: d.now(), message: fmt.Sprintf("rollback of revision %d: not confirmed in time", w.rev)})
}

type session struct {
	d      *Device
	user   string
	closed bool
}

// Close ends the login; NVUE keeps the user's pending revision.
func (s *session) Close() error {
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	s.closed = true
	return nil
}

// Run runs one command line and returns what NVUE prints.
func (s *session) Run(ctx context.Context, line string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	d := s.d
	d.mu.Lock()
	defer d.mu.Unlock()
	if s.closed {
		return "", errors.New("cumulusfake: session closed")
	}
	d.expire()
	line = strings.TrimSpace(line)
	d.log = append(d.log, line)
	for i, f := range d.failOn {
		if f != "" && strings.Contains(line, f) {
			d.failOn = append(d.failOn[:i], d.failOn[i+1:]...)
			return "Error: Internal error while processing the request (injected fault)\n", nil
		}
	}
	w := strings.Fields(line)
	if len(w) == 0 {
		return "", nil
	}
	if w[0] != "nv" {
		return fmt.Sprintf("-bash: %s: command not found\n", w[0]), nil
	}
	if len(w) == 1 {
		return "Error: Missing command: expected one of ['action', 'config', 'set', 'show', 'unset']\n", nil
	}
	switch w[1] {
	case "set", "unset":
		return s.edit(w[1] == "unset", w[2:]), nil
	case "config":
		return s.config(w[2:]), nil
	case "show":
		if len(w) == 3 && w[2] == "system" {
			return fmt.Sprintf("                operational          applied\n--------------  -------------------  -------\nhostname        %-20s %s\nbuild           Cumulus Linux %s\n", d.hostname, d.hostname, d.version), nil
		}
		return "Error: The requested item does not exist.\n", nil
	}
	return fmt.Sprintf("Error: Unknown command '%s': expected one of ['action', 'config', 'set', 'show', 'unset']\n", w[1]), nil
}

func (s *session) edit(unset bool, words []string) string {
	d := s.d
	path, msg := parsePath(d.schema.s, words, unset)
	if msg != "" {
		return "Error: " + msg + "\n"
	}
	if unset && len(path) > 0 && path[len(path)-1].s.kind == attr && path[len(path)-1].val != "" {
		// nv unset of an attribute takes no value.
		return fmt.Sprintf("Error: Unexpected argument: '%s'\n", path[len(path)-1].val)
	}
	r := d.pending[s.user]
	if r == nil {
		r = &revision{id: d.nextRev}
		d.nextRev++
		d.pending[s.user] = r
	}
	r.ops = append(r.ops, op{unset: unset, path: path})
	return ""
}

func (s *session) config(w []string) string {
	d := s.d
	if len(w) == 0 {
		return "Error: Missing command: expected one of ['apply', 'detach', 'diff', 'history', 'show']\n"
	}
	args := w[1:]
	switch w[0] {
	case "diff":
		if len(args) > 0 && !(len(args) == 2 && args[0] == "-o" && args[1] == "commands") {
			return "Error: only '-o commands' output is supported\n"
		}
		r := d.pending[s.user]
		if r == nil {
			return ""
		}
		return diff(d.applied, r.on(d.applied))
	case "show":
		if !(len(args) == 2 && args[0] == "-o" && args[1] == "commands") {
			return "Error: only '-o commands' output is supported\n"
		}
		return d.applied.text()
	case "detach":
		delete(d.pending, s.user)
		return ""
	case "history":
		var b strings.Builder
		for i := len(d.history) - 1; i >= 0; i-- {
			e := d.history[i]
			fmt.Fprintf(&b, "- rev_id: %d\n  date: %s\n  message: %s\n  type: CLI\n  user: %s\n", e.rev, e.date.UTC().Format("2006-01-02 15:04:05"), e.message, e.user)
		}
		return b.String()
	case "apply":
		return s.apply(args)
	}
	return fmt.Sprintf("Error: Unknown command '%s': expected one of ['apply', 'detach', 'diff', 'history', 'show']\n", w[0])
}

func (s *session) apply(args []string) string {
	d := s.d
	var confirm time.Duration
	yes := false
	for i := 0; i < len(args); i++ {
		switch a := args[i]; a {
		case "-y", "--y", "--assume-yes":
			yes = true
		case "--assume-no":
			return "Aborted by user.\n"
		case "--confirm-status":
			if d.confirm == nil {
				return "No pending confirmation.\n"
			}
			left := d.confirm.deadline.Sub(d.now()).Round(time.Second)
			return fmt.Sprintf("rev_id %d is waiting for confirmation: %d seconds left before the automatic rollback\n", d.confirm.rev, int(left.Seconds()))
		case "--confirm-yes":
			if d.confirm == nil {
				return "Error: There is no applied revision waiting for confirmation.\n"
			}
			rev := d.confirm.rev
			d.confirm = nil
			return fmt.Sprintf("rev_id %d confirmed\n", rev)
		case "--confirm-no":
			if d.confirm == nil {
				return "Error: There is no applied revision waiting for confirmation.\n"
			}
			w := d.confirm
			d.confirm = nil
			d.applied, d.appliedRev = w.prev, w.prevRev
			d.history = append(d.history, entry{rev: w.prevRev, user: s.user, date: d.now(), message: fmt.Sprintf("rollback of revision %d", w.rev)})
			return fmt.Sprintf("rev_id %d rolled back to rev_id %d\n", w.rev, w.prevRev)
		case "--confirm":
			confirm = DefaultConfirm
			if i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
				i++
				t, err := parseDuration(args[i])
				if err != nil {
					return fmt.Sprintf("Error: Invalid confirm time '%s'\n", args[i])
				}
				confirm = t
			}
		default:
			if n, err := strconv.Atoi(a); err == nil {
				return d.applyRevision(s, n)
			}
			return fmt.Sprintf("Error: Unknown option '%s'\n", a)
		}
	}
	_ = yes
	if d.confirm != nil {
		return fmt.Sprintf("Error: rev_id %d is waiting for confirmation; run 'nv config apply --confirm-yes' or '--confirm-no' first\n", d.confirm.rev)
	}
	r := d.pending[s.user]
	if r == nil {
		return "Warning: There are no configuration changes to apply.\n"
	}
	tree := r.on(d.applied)
	if msg := d.check(tree); msg != "" {
		return fmt.Sprintf("Error: Invalid config [rev_id: %d]\n%s", r.id, msg)
	}
	delete(d.pending, s.user)
	prev, prevRev := d.applied, d.appliedRev
	d.applied, d.appliedRev = tree, r.id
	d.trees[r.id] = tree
	d.history = append(d.history, entry{rev: r.id, user: s.user, date: d.now(), message: "Config update by " + s.user})
	out := fmt.Sprintf("applied [rev_id: %d]\n", r.id)
	if confirm > 0 {
		d.confirm = &window{rev: r.id, prev: prev, prevRev: prevRev, deadline: d.now().Add(confirm), user: s.user}
		out += fmt.Sprintf("Confirm the applied configuration within %d seconds with 'nv config apply --confirm-yes', or it is rolled back.\n", int(confirm.Seconds()))
	}
	return out
}

// applyRevision re-applies an earlier applied revision (nv config
// apply <rev>), the way to roll back past a confirmed apply.
func (d *Device) applyRevision(s *session, rev int) string {
	if d.confirm != nil {
		return fmt.Sprintf("Error: rev_id %d is waiting for confirmation\n", d.confirm.rev)
	}
	t, ok := d.trees[rev]
	if !ok {
		return fmt.Sprintf("Error: Revision %d does not exist or was never applied\n", rev)
	}
	d.applied, d.appliedRev = t.clone(), rev
	d.history = append(d.history, entry{rev: rev, user: s.user, date: d.now(), message: fmt.Sprintf("apply of revision %d", rev)})
	return fmt.Sprintf("applied [rev_id: %d]\n", rev)
}

func parseDuration(s string) (time.Duration, error) {
	if n, err := strconv.Atoi(s); err == nil {
		// A bare number is minutes.
		return time.Duration(n) * time.Minute, nil
	}
	unit := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour}
	if len(s) > 1 {
		if u, ok := unit[s[len(s)-1]]; ok {
			if n, err := strconv.Atoi(s[:len(s)-1]); err == nil && n > 0 {
				return time.Duration(n) * u, nil
			}
		}
	}
	return 0, errors.New("bad time")
}

// check validates a revision the way nv config apply does: every
// reference must resolve.
func (d *Device) check(t *node) string {
	var errs []string
	bad := func(f string, a ...any) { errs = append(errs, "  "+fmt.Sprintf(f, a...)) }
	vrfs := map[string]bool{"default": true, "mgmt": true}
	l3 := map[string]string{}
	for _, v := range t.keys("vrf") {
		vrfs[v.val] = true
		for _, n := range v.lookupKids("evpn", "vni") {
			l3[n.val] = v.val
		}
	}
	l2 := map[string]bool{}
	domains := map[string]map[string]bool{}
	for _, dom := range t.lookupKids("bridge", "domain") {
		domains[dom.val] = map[string]bool{}
		for _, v := range dom.keys("vlan") {
			domains[dom.val][v.val] = true
			for _, n := range v.keys("vni") {
				if l2[n.val] {
					bad("bridge domain %s vlan %s: vni %s is mapped to another VLAN", dom.val, v.val, n.val)
				}
				l2[n.val] = true
				if vrf, ok := l3[n.val]; ok {
					bad("bridge domain %s vlan %s: vni %s is the L3 VNI of vrf %s", dom.val, v.val, n.val, vrf)
				}
			}
		}
	}
	for _, ifc := range t.keys("interface") {
		ip := ifc.find(&node{s: ifc.s.child("ip")})
		if vrf := ip.attr("vrf"); vrf != "" && !vrfs[vrf] {
			bad("interface %s: ip vrf %s does not exist", ifc.val, vrf)
		}
		if id, ok := strings.CutPrefix(ifc.val, "vlan"); ok {
			found := false
			for _, vl := range domains {
				found = found || vl[id]
			}
			if !found {
				bad("interface %s: VLAN %s is not in any bridge domain", ifc.val, id)
			}
		}
		br := ifc.find(&node{s: ifc.s.child("bridge")})
		if br == nil {
			continue
		}
		for _, dom := range br.keys("domain") {
			vl, ok := domains[dom.val]
			if !ok {
				bad("interface %s: bridge domain %s does not exist", ifc.val, dom.val)
				continue
			}
			if a := dom.attr("access"); a != "" && !vl[a] {
				bad("interface %s: access VLAN %s is not a VLAN of bridge domain %s", ifc.val, a, dom.val)
			}
		}
	}
	for _, v := range t.lookupKids("evpn", "vni") {
		if !l2[v.val] {
			bad("evpn vni %s: the VNI is not mapped to a VLAN of any bridge domain", v.val)
		}
	}
	if len(errs) == 0 {
		return ""
	}
	return strings.Join(errs, "\n") + "\n"
}

// lookupKids returns the entries of the collection at the end of words
// (an object path, then the collection's keyword).
func (n *node) lookupKids(words ...string) []*node {
	cur := n
	for _, w := range words[:len(words)-1] {
		s := cur.s.child(w)
		if s == nil {
			return nil
		}
		cur = cur.find(&node{s: s, kw: w})
		if cur == nil {
			return nil
		}
	}
	return cur.keys(words[len(words)-1])
}
