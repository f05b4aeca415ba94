package l3lab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/railyard/railyard/internal/fabric"
)

// Failure is one expectation of the isolation policy the fabric does not
// meet.
type Failure struct {
	// Check is "ping", "kernel" (the VRF namespace's routing table),
	// "nexthop" (a kernel route whose remote VTEPs have no neighbor
	// entry),
	// "rib" (zebra's, show ip route vrf) or "bgp" (show bgp vrf … ipv4
	// unicast).
	Check string
	// Where is "src -> dst" (host names) for pings, the router otherwise.
	Where string
	// Prefix is the route concerned (tables only).
	Prefix netip.Prefix
	// Want is what the policy asks: "reachable" or "isolated" (pings),
	// "route" or "no route" (tables), "resolved" (next hops).
	Want string
}

func (f Failure) String() string {
	if f.Check == "ping" {
		return fmt.Sprintf("ping %s: want %s", f.Where, f.Want)
	}
	return fmt.Sprintf("%s %s %s: want %s", f.Check, f.Where, f.Prefix, f.Want)
}

// Isolation reports whether the failure is a breach of isolation (a
// host or route that should not be there), as opposed to missing
// reachability.
func (f Failure) Isolation() bool { return f.Want == "isolated" || f.Want == "no route" }

// KernelRoute is one route of `ip -j route show`.
type KernelRoute struct {
	Dst      netip.Prefix
	Protocol string
	// Nexthops has one entry for a single-path route (Gateway empty for
	// a connected one) and one per path for a multipath route.
	Nexthops []Nexthop
}

// Nexthop is one path of a kernel route.
type Nexthop struct {
	Gateway string
	Dev     string
}

// ParseKernelRoutes parses `ip -j route show` output.
func ParseKernelRoutes(out []byte) ([]KernelRoute, error) {
	var raw []struct {
		Dst      string    `json:"dst"`
		Dev      string    `json:"dev"`
		Gateway  string    `json:"gateway"`
		Protocol string    `json:"protocol"`
		Nexthops []Nexthop `json:"nexthops"`
	}
	if err := json.Unmarshal(out, &raw); err != nil {
		return nil, fmt.Errorf("ip route json: %w", err)
	}
	rs := make([]KernelRoute, 0, len(raw))
	for _, r := range raw {
		p, err := parseDst(r.Dst)
		if err != nil {
			return nil, err
		}
		kr := KernelRoute{Dst: p, Protocol: r.Protocol, Nexthops: r.Nexthops}
		if len(kr.Nexthops) == 0 {
			kr.Nexthops = []Nexthop{{Gateway: r.Gateway, Dev: r.Dev}}
		}
		rs = append(rs, kr)
	}
	return rs, nil
}

// Neighbor is one entry of `ip -j neigh show`.
type Neighbor struct {
	Dst    netip.Addr
	Dev    string
	LLAddr string
	State  []string
}

// Resolved reports whether the entry has a link-layer address that the
// kernel uses (not FAILED or INCOMPLETE).
func (n Neighbor) Resolved() bool {
	return n.LLAddr != "" && !slices.Contains(n.State, "FAILED") && !slices.Contains(n.State, "INCOMPLETE")
}

// ParseNeighbors parses `ip -j neigh show` output.
func ParseNeighbors(out []byte) ([]Neighbor, error) {
	var raw []struct {
		Dst    string   `json:"dst"`
		Dev    string   `json:"dev"`
		LLAddr string   `json:"lladdr"`
		State  []string `json:"state"`
	}
	if err := json.Unmarshal(out, &raw); err != nil {
		return nil, fmt.Errorf("ip neigh json: %w", err)
	}
	ns := make([]Neighbor, 0, len(raw))
	for _, r := range raw {
		a, err := netip.ParseAddr(r.Dst)
		if err != nil {
			return nil, fmt.Errorf("ip neigh json: destination %q: %w", r.Dst, err)
		}
		ns = append(ns, Neighbor{Dst: a, Dev: r.Dev, LLAddr: r.LLAddr, State: r.State})
	}
	return ns, nil
}

// ParseBGPNeighbor reads FRR's `show bgp neighbors <addr> json`: the
// session state and how many times it has been established.
func ParseBGPNeighbor(out []byte, addr string) (state string, established int, err error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(out, &m); err != nil {
		return "", 0, fmt.Errorf("show bgp neighbors json: %w", err)
	}
	raw, ok := m[addr]
	if !ok {
		return "", 0, fmt.Errorf("show bgp neighbors json: no neighbor %s", addr)
	}
	var n struct {
		State       string `json:"bgpState"`
		Established int    `json:"connectionsEstablished"`
	}
	if err := json.Unmarshal(raw, &n); err != nil {
		return "", 0, fmt.Errorf("show bgp neighbors json: %s: %w", addr, err)
	}
	return n.State, n.Established, nil
}

// parseDst reads a route destination: a prefix, a bare address (a host
// route) or "default".
func parseDst(s string) (netip.Prefix, error) {
	if s == "default" {
		return netip.PrefixFrom(netip.IPv4Unspecified(), 0), nil
	}
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("route destination %q: not a prefix or an address", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// ParseRIB parses FRR's `show ip route vrf X json`: the prefixes zebra
// holds (keys of the top-level object).
func ParseRIB(out []byte) ([]netip.Prefix, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(out, &m); err != nil {
		return nil, fmt.Errorf("show ip route json: %w", err)
	}
	return prefixKeys(m)
}

// ParseBGP parses FRR's `show bgp vrf X json`: the prefixes of its
// "routes" object.
func ParseBGP(out []byte) ([]netip.Prefix, error) {
	var v struct {
		Routes map[string]json.RawMessage `json:"routes"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		return nil, fmt.Errorf("show bgp json: %w", err)
	}
	return prefixKeys(v.Routes)
}

func prefixKeys(m map[string]json.RawMessage) ([]netip.Prefix, error) {
	ps := make([]netip.Prefix, 0, len(m))
	for k := range m {
		p, err := parseDst(k)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return sortedPrefixes(ps), nil
}

// Tables are the routes a router holds, per source.
type Tables struct {
	Kernel []KernelRoute
	// Neighbors are the VRF namespace's neighbor entries (the remote
	// VTEPs' router MACs on the L3VNI bridge, which zebra installs).
	Neighbors []Neighbor
	RIB       []netip.Prefix
	BGP       []netip.Prefix
}

// KernelRoutes reads the routing table of a router's VRF namespace.
func (l *Lab) KernelRoutes(ctx context.Context, r *Router) ([]KernelRoute, error) {
	out, err := exec.CommandContext(ctx, "ip", "-j", "-n", r.VRFNS, "route", "show").Output()
	if err != nil {
		return nil, fmt.Errorf("ip -n %s route: %w", r.VRFNS, err)
	}
	return ParseKernelRoutes(out)
}

// Neighbors reads the neighbor table of a router's VRF namespace.
func (l *Lab) Neighbors(ctx context.Context, r *Router) ([]Neighbor, error) {
	out, err := exec.CommandContext(ctx, "ip", "-j", "-n", r.VRFNS, "neigh", "show").Output()
	if err != nil {
		return nil, fmt.Errorf("ip -n %s neigh: %w", r.VRFNS, err)
	}
	return ParseNeighbors(out)
}

// unresolved returns a failure for every kernel route on the router's
// L3VNI bridge none of whose next hops (remote VTEPs) has a usable
// neighbor entry: zebra installs one per remote VTEP with its router
// MAC, and without it the route is a black hole.
//
// A multipath route passes when one path resolves: FRR 8.4.4 installs
// the neighbor entry of only one path of an ECMP type-5 route (a
// subnet stretched over two leaves), which is a known limit here, not
// what these checks are about; the segment hosts' /32 routes (EVPN
// type-2) are single-path and must resolve.
func unresolved(r *Router, routes []KernelRoute, neigh []Neighbor) []Failure {
	br := "br" + strconv.FormatUint(uint64(r.VRF.L3VNI), 10)
	var fs []Failure
	for _, kr := range routes {
		onBridge, ok := false, false
		for _, nh := range kr.Nexthops {
			if nh.Dev != br || nh.Gateway == "" {
				continue
			}
			onBridge = true
			gw, err := netip.ParseAddr(nh.Gateway)
			if err == nil && slices.ContainsFunc(neigh, func(n Neighbor) bool { return n.Dst == gw && n.Dev == br && n.Resolved() }) {
				ok = true
			}
		}
		if onBridge && !ok {
			fs = append(fs, Failure{Check: "nexthop", Where: r.Name, Prefix: kr.Dst, Want: "resolved"})
		}
	}
	return fs
}

// ReadTables reads a router's kernel table, RIB and BGP table.
func (l *Lab) ReadTables(ctx context.Context, r *Router) (Tables, error) {
	var t Tables
	var err error
	if t.Kernel, err = l.KernelRoutes(ctx, r); err != nil {
		return t, err
	}
	if t.Neighbors, err = l.Neighbors(ctx, r); err != nil {
		return t, err
	}
	out, err := l.Vtysh(ctx, r.Name, "show ip route vrf "+r.VRF.Name+" json")
	if err != nil {
		return t, err
	}
	if t.RIB, err = ParseRIB([]byte(out)); err != nil {
		return t, fmt.Errorf("%s: %w", r.Name, err)
	}
	out, err = l.Vtysh(ctx, r.Name, "show bgp vrf "+r.VRF.Name+" ipv4 unicast json")
	if err != nil {
		return t, err
	}
	if t.BGP, err = ParseBGP([]byte(out)); err != nil {
		return t, fmt.Errorf("%s: %w", r.Name, err)
	}
	return t, nil
}

// judge compares one table of router r with the policy: every allowed
// subnet (and, when hosts is set, every host route the router must have)
// is present, and nothing outside the allowed subnets is.
func (lay *layout) judge(check string, r *Router, have []netip.Prefix, hosts bool) []Failure {
	subnets, hostRoutes := lay.allowed(r)
	want := subnets
	if hosts {
		want = append(slices.Clone(subnets), hostRoutes...)
	}
	var fs []Failure
	for _, w := range want {
		if !slices.Contains(have, w) {
			fs = append(fs, Failure{Check: check, Where: r.Name, Prefix: w, Want: "route"})
		}
	}
	for _, h := range sortedPrefixes(have) {
		if !h.Addr().Is4() {
			continue
		}
		if !slices.ContainsFunc(subnets, func(s netip.Prefix) bool { return s.Bits() <= h.Bits() && s.Contains(h.Addr()) }) {
			fs = append(fs, Failure{Check: check, Where: r.Name, Prefix: h, Want: "no route"})
		}
	}
	return fs
}

// CheckTables compares every router's kernel table, RIB and BGP table
// with the policy: a tenant VRF holds routes for its own subnets and the
// storage subnets and nothing else; the storage VRF holds every subnet;
// and (kernel only, after Prime) each holds the /32 host routes of the
// segment hosts behind other routers it may reach (symmetric IRB), the
// storage VRF all of them, a tenant VRF its own.
func (l *Lab) CheckTables(ctx context.Context) ([]Failure, error) {
	var fs []Failure
	for _, r := range l.routers {
		t, err := l.ReadTables(ctx, r)
		if err != nil {
			return nil, err
		}
		var k []netip.Prefix
		for _, kr := range t.Kernel {
			k = append(k, kr.Dst)
		}
		fs = append(fs, l.judge("kernel", r, k, true)...)
		fs = append(fs, unresolved(r, t.Kernel, t.Neighbors)...)
		fs = append(fs, l.judge("rib", r, t.RIB, false)...)
		fs = append(fs, l.judge("bgp", r, t.BGP, false)...)
	}
	return fs, nil
}

// Pair is an ordered pair of hosts.
type Pair struct{ Src, Dst *Host }

func (p Pair) String() string { return p.Src.Name + " -> " + p.Dst.Name }

// Pairs lists every ordered pair of distinct hosts.
func (l *Lab) Pairs() []Pair {
	var ps []Pair
	for _, a := range l.hosts {
		for _, b := range l.hosts {
			if a != b {
				ps = append(ps, Pair{a, b})
			}
		}
	}
	return ps
}

// Ping reports whether src gets at least one reply from dst (three
// echo requests, 0.2 s apart, 1 s timeout).
func (l *Lab) Ping(ctx context.Context, src *Host, dst netip.Addr) bool {
	ok, err := PingNS(ctx, src.NS, dst, 3, 200*time.Millisecond, time.Second)
	return ok && err == nil
}

// CheckPing pings every ordered pair of hosts (concurrently) and returns
// the pairs whose reachability differs from the policy.
func (l *Lab) CheckPing(ctx context.Context) []Failure {
	ps := l.Pairs()
	got := make([]bool, len(ps))
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for i, p := range ps {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			got[i] = l.Ping(ctx, p.Src, p.Dst.Addr.Addr())
		}()
	}
	wg.Wait()
	var fs []Failure
	for i, p := range ps {
		want := Reachable(p.Src.Domain(), p.Dst.Domain())
		if got[i] != want {
			w := "reachable"
			if !want {
				w = "isolated"
			}
			fs = append(fs, Failure{Check: "ping", Where: p.String(), Want: w})
		}
	}
	return fs
}

// Check runs every check: pings and tables.
func (l *Lab) Check(ctx context.Context) ([]Failure, error) {
	fs := l.CheckPing(ctx)
	ts, err := l.CheckTables(ctx)
	return append(fs, ts...), err
}

// waitFor polls cond every 100 ms until it holds or timeout passes; the
// error carries the last reason cond gave.
func waitFor(ctx context.Context, timeout time.Duration, what string, cond func() (bool, string)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		ok, why := cond()
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: not after %v: %s", what, timeout, why)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// kernelPresent reports the first expected kernel route that is missing
// (subnets; and host routes when hosts is set), or "".
func (l *Lab) kernelPresent(ctx context.Context, hosts bool) string {
	for _, r := range l.routers {
		rs, err := l.KernelRoutes(ctx, r)
		if err != nil {
			return err.Error()
		}
		subnets, hostRoutes := l.allowed(r)
		want := subnets
		if hosts {
			want = append(slices.Clone(subnets), hostRoutes...)
		}
		for _, w := range want {
			if !slices.ContainsFunc(rs, func(k KernelRoute) bool { return k.Dst == w }) {
				return fmt.Sprintf("%s has no route to %s", r.Name, w)
			}
		}
		ns, err := l.Neighbors(ctx, r)
		if err != nil {
			return err.Error()
		}
		if fs := unresolved(r, rs, ns); len(fs) > 0 {
			return fs[0].String()
		}
	}
	return ""
}

// WaitConverged waits until every router's VRF namespace has a kernel
// route to every subnet the policy lets it reach (EVPN type-5 over the
// L3VNI), within timeout.
func (l *Lab) WaitConverged(ctx context.Context, timeout time.Duration) error {
	err := waitFor(ctx, timeout, "type-5 routes in every VRF", func() (bool, string) {
		why := l.kernelPresent(ctx, false)
		return why == "", why
	})
	if err == nil {
		l.logf("every VRF has its subnet routes")
	}
	return err
}

// Prime has every segment host send one packet to its gateway, so the
// local router learns it and originates its EVPN type-2 MAC/IP route (a
// remote router cannot resolve a silent host behind an anycast gateway),
// then waits until every router holds the /32 host routes it should.
func (l *Lab) Prime(ctx context.Context, timeout time.Duration) error {
	var wg sync.WaitGroup
	for _, h := range l.hosts {
		if h.Segment == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			PingNS(ctx, h.NS, h.Gateway, 1, 0, time.Second)
		}()
	}
	wg.Wait()
	err := waitFor(ctx, timeout, "type-2 host routes", func() (bool, string) {
		why := l.kernelPresent(ctx, true)
		return why == "", why
	})
	if err == nil {
		l.logf("every VRF has its host routes (symmetric IRB)")
	}
	return err
}

// WaitTables waits until CheckTables returns failures that satisfy ok
// (for example none, or a leak), within timeout, and returns the last
// failures it saw.
func (l *Lab) WaitTables(ctx context.Context, timeout time.Duration, what string, ok func([]Failure) bool) ([]Failure, error) {
	var last []Failure
	err := waitFor(ctx, timeout, what, func() (bool, string) {
		fs, err := l.CheckTables(ctx)
		if err != nil {
			return false, err.Error()
		}
		last = fs
		return ok(fs), fmt.Sprint(fs)
	})
	if err == nil {
		l.logf("%s", what)
	}
	return last, err
}

// Reconfigure moves the fabric to leaves (the same leaves, VRFs and
// segments, other route targets or RDs) the way the driver would: per
// router, the typed difference between its current and its new
// configuration (fabric.Diff) goes through Options.Commands (the FRR
// driver's), and each command, which must be a vtysh command line, is
// run against the router's daemons. Changes that need netdevs (new VRFs
// or segments, other VNIs) are refused: the lab builds those itself.
//
// FRR 8.4.4 (Debian 12) has a bug this works around, unless
// Options.KeepNextHopBug is set: after any "route-target import" change
// in a VRF (even adding an unrelated RT), zebra drops every L3VNI next
// hop and router MAC of the VRF's imported routes (show evpn next-hops
// vni all empties, the kernel's NOARP neighbor entries for the remote
// VTEPs go, later FAILED) while the routes stay installed: traffic to
// every remote VTEP is black-holed until the routes are re-learned. So
// each changed router's EVPN session is hard-reset (clear bgp l2vpn
// evpn <reflector>) and waited for. A real leaf on 8.4.4 has the same
// problem when the driver changes import RTs.
func (l *Lab) Reconfigure(ctx context.Context, leaves []fabric.DeviceConfig) error {
	next, err := plan(l.tag, leaves, l.opt.StorageVRF, l.opt.StorageServices)
	if err != nil {
		return err
	}
	if len(next.routers) != len(l.routers) {
		return fmt.Errorf("l3lab: reconfigure changes the set of VRFs; only route targets and RDs may change")
	}
	var errs []error
	var changed []*Router
	for i, r := range l.routers {
		n := next.routers[i]
		if n.Name != r.Name || n.VRF.L3VNI != r.VRF.L3VNI || n.Domain != r.Domain || !sameSegmentNetdevs(r.Config.Segments, n.Config.Segments) {
			return fmt.Errorf("l3lab: reconfigure changes %s beyond its route targets and RDs", r.Name)
		}
		ch := fabric.Diff(r.Config, n.Config)
		if ch.Empty() {
			continue
		}
		cmds, err := l.opt.Commands(ch, n.Config)
		if err != nil {
			return fmt.Errorf("commands for %s: %w", r.Name, err)
		}
		if err := l.runVtyshLines(ctx, r, cmds); err != nil {
			errs = append(errs, err)
			continue
		}
		r.VRF, r.Config = n.VRF, n.Config
		changed = append(changed, r)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	l.logf("driver commands applied to %d routers", len(changed))
	if l.opt.KeepNextHopBug {
		return nil
	}
	// FRR 8.4.4 workaround: a route-target import change makes bgpd
	// re-install the VRF's imported routes and zebra drop their L3VNI
	// next hops (remote VTEP → router MAC neighbor entries) while the
	// routes stay: a black hole. Re-learning the routes restores them.
	errs = make([]error, len(changed))
	var wg sync.WaitGroup
	for i, r := range changed {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = l.resetSession(ctx, r)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	l.logf("EVPN sessions of %d routers re-established", len(changed))
	return nil
}

// resetSession hard-resets a router's EVPN session to the route
// reflector and waits until it is established again.
func (l *Lab) resetSession(ctx context.Context, r *Router) error {
	peer := reflector.String()
	session := func() (string, int, error) {
		out, err := l.Vtysh(ctx, r.Name, "show bgp neighbors "+peer+" json")
		if err != nil {
			return "", 0, err
		}
		return ParseBGPNeighbor([]byte(out), peer)
	}
	_, before, err := session()
	if err != nil {
		return err
	}
	if _, err := l.Vtysh(ctx, r.Name, "clear bgp l2vpn evpn "+peer); err != nil {
		return err
	}
	return waitFor(ctx, 30*time.Second, r.Name+": EVPN session re-established", func() (bool, string) {
		st, n, err := session()
		if err != nil {
			return false, err.Error()
		}
		return st == "Established" && n > before, fmt.Sprintf("state %s, established %d times (%d before the reset)", st, n, before)
	})
}

func sameSegmentNetdevs(a, b []fabric.Segment) bool {
	return slices.EqualFunc(a, b, func(x, y fabric.Segment) bool {
		return x.VLAN == y.VLAN && x.L2VNI == y.L2VNI && x.VRF == y.VRF && x.Gateway == y.Gateway
	})
}

// runVtyshLines runs driver command lines ("vtysh -c '…' -c '…'") on a
// router, checking each output for FRR's error markers.
func (l *Lab) runVtyshLines(ctx context.Context, r *Router, cmds []string) error {
	for _, c := range cmds {
		args, err := VtyshArgs(c)
		if err != nil {
			return fmt.Errorf("%s: %w", r.Name, err)
		}
		out, err := run(ctx, "vtysh", append([]string{"--vty_socket", filepath.Join(l.dir, r.Name, "run")}, args...)...)
		if err == nil {
			if line := vtyError(out); line != "" {
				err = errors.New(line)
			}
		}
		if err != nil {
			return fmt.Errorf("%s: %s: %w", r.Name, c, err)
		}
	}
	return nil
}

// VtyshArgs splits a driver's vtysh command line into vtysh's arguments
// (shell words: blanks separate, single and double quotes group). It
// refuses anything that is not a vtysh invocation made only of -c
// arguments, and any shell syntax beyond quoting.
func VtyshArgs(cmd string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, c := range cmd {
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteRune(c)
			}
		case c == '\'' || c == '"':
			quote, inWord = c, true
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case strings.ContainsRune("\\$`;&|<>()\n*?", c):
			return nil, fmt.Errorf("command %q: shell syntax %q is not supported", cmd, c)
		default:
			cur.WriteRune(c)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("command %q: unterminated quote", cmd)
	}
	if inWord {
		words = append(words, cur.String())
	}
	if len(words) == 0 || words[0] != "vtysh" {
		return nil, fmt.Errorf("command %q: the lab runs only vtysh commands (it builds netdevs itself)", cmd)
	}
	args := words[1:]
	if len(args)%2 != 0 {
		return nil, fmt.Errorf("command %q: want vtysh -c CMD ...", cmd)
	}
	for i := 0; i < len(args); i += 2 {
		if args[i] != "-c" {
			return nil, fmt.Errorf("command %q: vtysh option %q is not supported", cmd, args[i])
		}
	}
	return args, nil
}
