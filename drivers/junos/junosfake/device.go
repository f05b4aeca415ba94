package junosfake

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

// Version is the Junos release the fake reports.
const Version = "23.4R2.13"

// maxRollback is how many previous commits Junos keeps (rollback 0..49).
const maxRollback = 50

// Device is one fake Junos switch. It is safe for concurrent use.
type Device struct {
	mu       sync.Mutex
	now      func() time.Time
	hostname string
	// history[0] is the active configuration, history[n] rollback n.
	history []*node
	// shared is the candidate that configure and configure exclusive edit.
	shared   *node
	lockedBy *session
	sessions map[*session]bool
	// confirm is the pending commit confirmed, if any.
	confirm *confirmed
	failOn  []string
	failEq  []string
	log     []string
}

type confirmed struct {
	deadline time.Time
	user     string
}

type mode int

const (
	operational mode = iota
	configure
	private
	exclusive
)

func (m mode) String() string {
	return [...]string{"operational", "configure", "configure private", "configure exclusive"}[m]
}

type session struct {
	d    *Device
	user string
	mode mode
	// cand is the private candidate (configure private); base is the
	// active configuration it was copied from.
	cand, base *node
	closed     bool
}

// PortName is the Junos name of a port the conformance suite names
// EthernetN: et-0/0/(N-1). Other names are Junos names already.
func PortName(name string) string {
	if n, ok := strings.CutPrefix(name, "Ethernet"); ok {
		if i, err := strconv.Atoi(n); err == nil && i >= 1 {
			return fmt.Sprintf("et-0/0/%d", i-1)
		}
	}
	return name
}

// New returns a switch whose underlay is configured: host name, router
// id and AS, an EBGP EVPN group, the VTEP on lo0.0, and an interface
// (MTU 9216) for every port in base.Ports, named as PortName says.
func New(base fabric.DeviceConfig) *Device {
	d := &Device{now: time.Now, hostname: base.Device, sessions: map[*session]bool{}}
	if d.hostname == "" {
		d.hostname = "leaf1"
	}
	root := newRoot()
	lines := []string{
		"version " + Version,
		"system host-name " + d.hostname,
		"interfaces lo0 unit 0 family inet address " + orDefault(base.VTEP, "10.255.1.1") + "/32",
		"routing-options router-id " + orDefault(base.RouterID, "10.255.0.1"),
		"routing-options autonomous-system " + strconv.FormatUint(uint64(max(base.ASN, 1)), 10),
		"protocols bgp group overlay type external",
		"protocols bgp group overlay multipath",
		"protocols bgp group overlay family evpn signaling",
		"protocols bgp group overlay local-address " + orDefault(base.RouterID, "10.255.0.1"),
		"protocols bgp group overlay neighbor 10.255.0.1 peer-as 65001",
		"protocols evpn encapsulation vxlan",
		"switch-options vtep-source-interface lo0.0",
		"switch-options route-distinguisher " + orDefault(base.RouterID, "10.255.0.1") + ":1",
		"switch-options vrf-target target:65000:1",
	}
	for _, p := range base.Ports {
		lines = append(lines, "interfaces "+PortName(p.Name)+" mtu 9216")
	}
	for _, l := range lines {
		path, msg, _ := parsePath(tokens(l), false)
		if msg != "" {
			panic("junosfake: bad underlay line " + l + ": " + msg)
		}
		root.set(path)
	}
	d.history = []*node{root}
	d.shared = root.clone()
	return d
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// SetClock replaces the clock that commit confirmed deadlines are
// measured on (time.Now by default).
func (d *Device) SetClock(now func() time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.now = now
}

// Transport reaches the device: every CLI session is a login.
func (d *Device) Transport() drivers.Transport {
	return drivers.Transport{CLI: func(ctx context.Context, t drivers.Target) (drivers.CLI, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		user := t.Username
		if user == "" {
			user = "root"
		}
		s := &session{d: d, user: user}
		d.mu.Lock()
		d.sessions[s] = true
		d.mu.Unlock()
		return s, nil
	}}
}

// Running returns the active configuration as show configuration prints
// it (without the "## Last commit" header).
func (d *Device) Running() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.expire()
	var b strings.Builder
	d.history[0].text(0, "", &b)
	return b.String()
}

// RunningSet returns the active configuration as show configuration |
// display set prints it.
func (d *Device) RunningSet() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.expire()
	var b strings.Builder
	d.history[0].displaySet("", &b)
	return b.String()
}

// FailOn makes the next command containing s fail with an error, once.
func (d *Device) FailOn(s string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.failOn = append(d.failOn, s)
}

// FailOnExact makes the next command that is exactly s fail, once.
func (d *Device) FailOnExact(s string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.failEq = append(d.failEq, s)
}

// Pending lists sessions in configuration mode, an uncommitted shared
// candidate and a commit confirmed that waits for its confirmation.
func (d *Device) Pending() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.expire()
	var out []string
	for s := range d.sessions {
		if s.mode != operational {
			out = append(out, fmt.Sprintf("%s in %s", s.user, s.mode))
		}
	}
	if !equal(d.shared, d.history[0]) {
		out = append(out, "uncommitted changes in the shared candidate")
	}
	if d.confirm != nil {
		out = append(out, fmt.Sprintf("commit confirmed by %s, rolled back at %s unless confirmed", d.confirm.user, d.confirm.deadline.Format(time.RFC3339)))
	}
	sort.Strings(out)
	return out
}

// Commits returns how many commits the device keeps (rollback 0..n-1).
func (d *Device) Commits() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.expire()
	return len(d.history)
}

// Log returns every command the device was sent, in order.
func (d *Device) Log() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.log...)
}

func equal(a, b *node) bool {
	var x, y strings.Builder
	a.displaySet("", &x)
	b.displaySet("", &y)
	return x.String() == y.String()
}

// expire rolls back a commit confirmed whose deadline has passed, as
// Junos does: it loads rollback 1 and commits it.
func (d *Device) expire() {
	if d.confirm == nil || d.now().Before(d.confirm.deadline) {
		return
	}
	d.confirm = nil
	prev := d.history[1].clone()
	d.commitTree(prev)
	d.shared = prev.clone()
	d.log = append(d.log, "(commit confirmed expired: automatic rollback complete)")
}

func (d *Device) commitTree(t *node) {
	d.history = append([]*node{t}, d.history...)
	if len(d.history) > maxRollback {
		d.history = d.history[:maxRollback]
	}
}

// Close ends the session: a private candidate is discarded, the lock of
// configure exclusive released with its uncommitted changes.
func (s *session) Close() error {
	d := s.d
	d.mu.Lock()
	defer d.mu.Unlock()
	if s.closed {
		return nil
	}
	s.leave()
	s.closed = true
	delete(d.sessions, s)
	return nil
}

// leave exits configuration mode.
func (s *session) leave() {
	d := s.d
	if s.mode == exclusive {
		d.shared = d.history[0].clone()
		d.lockedBy = nil
	}
	s.mode, s.cand, s.base = operational, nil, nil
}

// Run executes one command line and returns what Junos prints.
func (s *session) Run(ctx context.Context, line string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	d := s.d
	d.mu.Lock()
	defer d.mu.Unlock()
	if s.closed {
		return "", errors.New("junosfake: session closed")
	}
	d.expire()
	line = strings.TrimSpace(line)
	d.log = append(d.log, line)
	for i, f := range d.failOn {
		if f != "" && strings.Contains(line, f) {
			d.failOn = append(d.failOn[:i], d.failOn[i+1:]...)
			return fmt.Sprintf("error: %s: operation failed (injected fault)\n", firstWord(line)), nil
		}
	}
	for i, f := range d.failEq {
		if line == f {
			d.failEq = append(d.failEq[:i], d.failEq[i+1:]...)
			return fmt.Sprintf("error: %s: operation failed (injected fault)\n", firstWord(line)), nil
		}
	}
	if line == "" {
		return "", nil
	}
	if s.mode == operational {
		return s.operational(line), nil
	}
	return s.config(line), nil
}

func firstWord(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// caret points at the word with index i of a command, as Junos points
// at the word it could not parse.
func caret(words []string, i int) string {
	col := 0
	for j := 0; j < i && j < len(words); j++ {
		col += len(words[j]) + 1
	}
	return strings.Repeat(" ", col) + "^\n"
}

func (s *session) operational(line string) string {
	d := s.d
	w := tokens(line)
	switch {
	case line == "configure" || line == "configure private" || line == "configure exclusive":
		return s.enter(w)
	case w[0] == "set" && len(w) == 4 && w[1] == "cli" && (w[2] == "screen-length" || w[2] == "screen-width"):
		if w[2] == "screen-length" {
			return "Screen length set to " + w[3] + "\n"
		}
		return "Screen width set to " + w[3] + "\n"
	case line == "show version":
		return fmt.Sprintf("Hostname: %s\nModel: qfx5120-48y-8c\nJunos: %s\n", d.hostname, Version)
	case w[0] == "show" && len(w) >= 2 && w[1] == "configuration":
		return showTree(d.history[0], w[2:])
	case line == "show system commit":
		var b strings.Builder
		for i := range d.history {
			fmt.Fprintf(&b, "%d   by railyard via cli\n", i)
		}
		if d.confirm != nil {
			fmt.Fprintf(&b, "commit confirmed, rollback at %s\n", d.confirm.deadline.Format("2006-01-02 15:04:05 MST"))
		}
		return b.String()
	case line == "exit" || line == "quit":
		return ""
	case w[0] == "show":
		return caret(w, 1) + "syntax error, expecting <command>.\n"
	}
	return caret(w, 0) + "unknown command.\n"
}

// showTree prints a configuration or part of it: [path...] [| display set].
func showTree(root *node, w []string) string {
	set := false
	if n := len(w); n >= 3 && w[n-3] == "|" && w[n-2] == "display" && w[n-1] == "set" {
		set, w = true, w[:n-3]
	}
	if len(w) > 0 && w[0] == "|" {
		return caret(w, 1) + "syntax error.\n"
	}
	t := root
	var prefix string
	if len(w) > 0 {
		t = root.lookup(w...)
		if t == nil {
			return ""
		}
		prefix = strings.Join(w, " ")
	}
	var b strings.Builder
	if set {
		if len(t.kids) == 0 && prefix != "" {
			return "set " + prefix + "\n"
		}
		t.displaySet(prefix, &b)
	} else {
		t.text(0, "", &b)
	}
	return b.String()
}

func (s *session) enter(w []string) string {
	d := s.d
	if d.lockedBy != nil && d.lockedBy != s {
		return fmt.Sprintf("error: configuration database locked by:\n  %s terminal p0 (pid 4242) on since %s\n      exclusive [edit]\n", d.lockedBy.user, d.now().Format("2006-01-02 15:04:05 MST"))
	}
	warn := ""
	switch {
	case len(w) == 1:
		s.mode = configure
		if !equal(d.shared, d.history[0]) {
			warn = "The configuration has been changed but not committed\n"
		}
	case w[1] == "private":
		if !equal(d.shared, d.history[0]) {
			return "error: shared configuration database modified\nProblem: uncommitted changes in the shared candidate; commit or discard them first\n"
		}
		s.mode = private
		s.base = d.history[0].clone()
		s.cand = d.history[0].clone()
		warn = "warning: uncommitted changes will be discarded on exit\n"
	case w[1] == "exclusive":
		if !equal(d.shared, d.history[0]) {
			return "error: configuration database modified\n"
		}
		s.mode = exclusive
		d.lockedBy = s
		warn = "warning: uncommitted changes will be discarded on exit\n"
	}
	return warn + "Entering configuration mode\n"
}

// candidate is the configuration the session edits.
func (s *session) candidate() *node {
	if s.mode == private {
		return s.cand
	}
	return s.d.shared
}

func (s *session) config(line string) string {
	d := s.d
	w := tokens(line)
	cand := s.candidate()
	switch w[0] {
	case "set", "delete":
		if s.mode == configure && d.lockedBy != nil && d.lockedBy != s {
			return "error: configuration database locked by " + d.lockedBy.user + "\n"
		}
		path, msg, at := parsePath(w[1:], w[0] == "delete")
		if msg != "" {
			if strings.HasPrefix(msg, "error:") {
				return msg + "\n"
			}
			return caret(w, at+1) + msg + "\n"
		}
		if w[0] == "set" {
			cand.set(path)
			return ""
		}
		if !cand.del(path) {
			return "warning: statement not found\n"
		}
		return ""
	case "show":
		switch {
		case line == "show | compare" || line == "show | compare rollback 0":
			var b strings.Builder
			compare(d.history[0], cand, nil, &b)
			return b.String()
		case strings.HasPrefix(line, "show | compare rollback "):
			n, err := strconv.Atoi(w[len(w)-1])
			if err != nil || n < 0 || n >= len(d.history) {
				return "error: invalid rollback number\n"
			}
			var b strings.Builder
			compare(d.history[n], cand, nil, &b)
			return b.String()
		}
		return showTree(cand, w[1:])
	case "commit":
		return s.commit(w)
	case "rollback":
		n := 0
		if len(w) > 1 {
			var err error
			if n, err = strconv.Atoi(w[1]); err != nil || len(w) > 2 {
				return caret(w, 1) + "syntax error.\n"
			}
		}
		if n < 0 || n >= len(d.history) {
			return fmt.Sprintf("error: rollback %d: configuration not found\n", n)
		}
		t := d.history[n].clone()
		if s.mode == private {
			s.cand = t
		} else {
			d.shared = t
		}
		return "load complete\n"
	case "run":
		return s.operational(strings.TrimSpace(strings.TrimPrefix(line, "run")))
	case "top":
		if len(w) == 1 {
			return ""
		}
	case "exit", "quit":
		if len(w) == 1 || (len(w) == 2 && w[1] == "configuration-mode") {
			s.leave()
			return "Exiting configuration mode\n"
		}
	case "edit", "up", "load", "annotate", "insert", "rename", "copy", "activate", "deactivate":
		return "error: " + w[0] + ": not supported by this device\n"
	}
	return caret(w, 0) + "unknown command.\n"
}

func (s *session) commit(w []string) string {
	d := s.d
	args := w[1:]
	check, confirm, andQuit := false, 0, false
	switch {
	case len(args) == 0:
	case len(args) == 1 && args[0] == "check":
		check = true
	case len(args) == 1 && args[0] == "and-quit":
		andQuit = true
	case args[0] == "confirmed" && len(args) <= 2:
		confirm = 10
		if len(args) == 2 {
			n, err := strconv.Atoi(args[1])
			if err != nil {
				return caret(w, 2) + "syntax error.\n"
			}
			if n < 1 || n > 65535 {
				return fmt.Sprintf("error: Value %d is not within range (1..65535)\n", n)
			}
			confirm = n
		}
	default:
		return caret(w, 1) + "syntax error.\n"
	}
	if confirm > 0 && s.mode == private {
		return "error: 'commit confirmed' is not supported on a private copy of the configuration\n"
	}
	if s.mode == configure && d.lockedBy != nil && d.lockedBy != s {
		return "error: configuration database locked by " + d.lockedBy.user + "\n"
	}
	cand := s.candidate()
	if s.mode == private && !equal(d.history[0], s.base) {
		return "error: configuration database modified\nerror: commit failed: (the active configuration changed since this private copy was made; exit and configure private again)\n"
	}
	if msg := checkConfig(cand); msg != "" {
		return msg
	}
	// A commit (or commit check) confirms a pending commit confirmed.
	wasPending := d.confirm != nil
	if check {
		d.confirm = nil
		return "configuration check succeeds\n"
	}
	d.confirm = nil
	if !equal(cand, d.history[0]) || confirm > 0 {
		d.commitTree(cand.clone())
	}
	if s.mode != private {
		d.shared = d.history[0].clone()
	} else {
		s.base = d.history[0].clone()
		s.cand = d.history[0].clone()
		d.shared = d.history[0].clone()
	}
	var b strings.Builder
	b.WriteString("configuration check succeeds\n")
	if confirm > 0 {
		d.confirm = &confirmed{deadline: d.now().Add(time.Duration(confirm) * time.Minute), user: s.user}
		fmt.Fprintf(&b, "commit confirmed will be automatically rolled back in %d minutes unless confirmed\n", confirm)
	}
	b.WriteString("commit complete\n")
	if confirm > 0 {
		fmt.Fprintf(&b, "\n# commit confirmed will be rolled back in %d minutes\n", confirm)
	}
	_ = wasPending
	if andQuit {
		s.leave()
		b.WriteString("Exiting configuration mode\n")
	}
	return b.String()
}

// checkConfig runs the commit-time checks: every reference resolves.
func checkConfig(t *node) string {
	var errs []string
	fail := func(path, stmt, msg string) {
		errs = append(errs, fmt.Sprintf("[edit %s]\n  '%s'\n    %s", path, stmt, msg))
	}
	missing := false
	policies := map[string]bool{}
	communities := map[string]bool{}
	if po := t.lookup("policy-options"); po != nil {
		for _, k := range po.kids {
			switch k.kw {
			case "policy-statement":
				policies[k.val] = true
			case "community":
				communities[k.val] = true
			}
		}
		for _, ps := range po.kids {
			if ps.kw != "policy-statement" {
				continue
			}
			walk(ps, func(n *node, path []string) {
				if n.kw == "community" && n.s.kind == leafList || n.kw == "add" {
					if !communities[n.val] {
						fail("policy-options policy-statement "+ps.val, n.kw+" "+n.val, "Policy error: community "+n.val+" referenced but not defined")
					}
				}
			}, nil)
		}
	}
	irb := map[string]bool{}
	if u := t.lookup("interfaces", "irb"); u != nil {
		for _, k := range u.kids {
			if k.kw == "unit" {
				irb["irb."+k.val] = true
			}
		}
	}
	vlanNames := map[string]bool{}
	vlanIDs := map[string]string{}
	if vs := t.lookup("vlans"); vs != nil {
		for _, v := range vs.kids {
			vlanNames[v.val] = true
			for _, k := range v.kids {
				switch k.kw {
				case "vlan-id":
					if other, dup := vlanIDs[k.val]; dup {
						fail("vlans "+v.val, "vlan-id "+k.val, "vlan-id "+k.val+" is already used by vlan "+other)
					}
					vlanIDs[k.val] = v.val
				case "l3-interface":
					if !irb[k.val] {
						fail("vlans "+v.val, "l3-interface "+k.val, "Interface "+k.val+" is not configured")
					}
				}
			}
		}
	}
	owner := map[string]string{}
	if ris := t.lookup("routing-instances"); ris != nil {
		for _, ri := range ris.kids {
			hasRD, isVRF := false, false
			for _, k := range ri.kids {
				switch k.kw {
				case "route-distinguisher":
					hasRD = true
				case "instance-type":
					isVRF = k.val == "vrf"
				case "vrf-import", "vrf-export":
					if !policies[k.val] {
						fail("routing-instances "+ri.val, k.kw, "Policy error: Policy "+k.val+" referenced but not defined")
					}
				case "interface":
					if strings.HasPrefix(k.val, "irb.") && !irb[k.val] {
						fail("routing-instances "+ri.val, "interface "+k.val, "Interface "+k.val+" is not configured")
					}
					if o, dup := owner[k.val]; dup {
						fail("routing-instances "+ri.val, "interface "+k.val, "Interface "+k.val+" is already assigned to routing instance "+o)
					}
					owner[k.val] = ri.val
				}
			}
			if isVRF && !hasRD {
				errs = append(errs, fmt.Sprintf("[edit routing-instances %s]\n  'route-distinguisher'\n    Missing mandatory statement: 'route-distinguisher'", ri.val))
				missing = true
			}
		}
	}
	if ifs := t.lookup("interfaces"); ifs != nil {
		for _, ifd := range ifs.kids {
			walk(ifd, func(n *node, path []string) {
				if n.kw == "members" && !vlanNames[n.val] {
					if _, err := strconv.Atoi(n.val); err != nil {
						fail("interfaces "+ifd.val+" "+strings.Join(path, " "), "members "+n.val, "VLAN "+n.val+" is not configured")
					}
				}
			}, nil)
		}
	}
	if len(errs) == 0 {
		return ""
	}
	tail := "error: configuration check-out failed\n"
	if missing {
		tail = "error: commit failed: (missing mandatory statements)\n"
	}
	return strings.Join(errs, "\n") + "\n" + tail
}

func walk(n *node, f func(*node, []string), path []string) {
	for _, k := range n.kids {
		f(k, path)
		walk(k, f, append(path, k.words()))
	}
}

// tokens splits a command line into words; a double-quoted string is
// one word.
func tokens(line string) []string {
	var out []string
	var cur strings.Builder
	in, has := false, false
	for _, r := range line {
		switch {
		case r == '"':
			in, has = !in, true
		case !in && (r == ' ' || r == '\t'):
			if has {
				out = append(out, cur.String())
				cur.Reset()
				has = false
			}
		default:
			cur.WriteRune(r)
			has = true
		}
	}
	if has {
		out = append(out, cur.String())
	}
	if len(out) == 0 {
		out = []string{""}
	}
	return out
}
