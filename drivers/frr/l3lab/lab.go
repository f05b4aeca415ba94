package l3lab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/railyard/railyard/drivers/frr"
	"github.com/railyard/railyard/internal/fabric"
)

// Options configure a lab.
type Options struct {
	// Leaves are the leaves' desired configurations, as the compiler made
	// them. Every leaf must be in the same overlay AS.
	Leaves []fabric.DeviceConfig
	// StorageVRF names the shared storage VRF; default
	// fabric.DefaultSettings().StorageVRF.
	StorageVRF string
	// StorageServices is the storage systems' prefix; each leaf's storage
	// host gets a /24 of it (leaf i the i-th). Default: the first of
	// fabric.DefaultSettings().StorageServices.
	StorageServices netip.Prefix
	// Render renders a DeviceConfig (one VRF and its segments) as FRR
	// configuration, and Commands turns a change into the commands that
	// make it (only vtysh command lines are accepted on a running lab);
	// default: the FRR driver's (drivers/frr). Lines the lab owns are
	// dropped from the rendering (Sanitize).
	Render   func(fabric.DeviceConfig) (string, error)
	Commands func(fabric.Change, fabric.DeviceConfig) ([]string, error)
	// KeepNextHopBug leaves out Reconfigure's workaround for FRR 8.4.4
	// dropping a VRF's L3VNI next hops when its import route targets
	// change (see Reconfigure), to observe the bug.
	KeepNextHopBug bool
	// Prefix starts every namespace and the scratch directory; default
	// "ryl3".
	Prefix string
	// FRRDir holds zebra and bgpd; default /usr/lib/frr.
	FRRDir string
	// Logf, when set, is told the milestones.
	Logf func(format string, args ...any)
}

func (o *Options) defaults() {
	d := fabric.DefaultSettings()
	if o.StorageVRF == "" {
		o.StorageVRF = d.StorageVRF
	}
	if !o.StorageServices.IsValid() && len(d.StorageServices) > 0 {
		o.StorageServices = netip.MustParsePrefix(d.StorageServices[0])
	}
	if o.Render == nil {
		o.Render = frr.Driver{}.Render
	}
	if o.Commands == nil {
		o.Commands = frr.Driver{}.Commands
	}
	if o.Prefix == "" {
		o.Prefix = "ryl3"
	}
	if o.FRRDir == "" {
		o.FRRDir = "/usr/lib/frr"
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
}

// Lab is a running fabric.
type Lab struct {
	opt   Options
	tag   string
	dir   string
	start time.Time
	*layout

	mu         sync.Mutex
	namespaces []string
	closed     bool
}

// Probe says why a lab cannot run here, or nil: it needs root, FRR's
// zebra, bgpd and vtysh, iproute2, the frr user, and a kernel with
// network namespaces, veth, bridges and VXLAN.
func Probe(frrDir string) error {
	if frrDir == "" {
		frrDir = "/usr/lib/frr"
	}
	if os.Geteuid() != 0 {
		return errors.New("l3lab needs root (network namespaces, FRR daemons)")
	}
	for _, d := range []string{"zebra", "bgpd"} {
		if fi, err := os.Stat(filepath.Join(frrDir, d)); err != nil || fi.Mode()&0o111 == 0 {
			return fmt.Errorf("FRR not found: no %s in %s (apt-get install frr)", d, frrDir)
		}
	}
	for _, c := range []string{"vtysh", "ip", "mount", "chown", "sysctl"} {
		if _, err := exec.LookPath(c); err != nil {
			return fmt.Errorf("%s not found on PATH", c)
		}
	}
	if _, err := user.Lookup("frr"); err != nil {
		return fmt.Errorf("no frr user: %v", err)
	}
	ns := fmt.Sprintf("ryl3probe-%s", strconv.FormatInt(int64(os.Getpid()), 36))
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		return fmt.Errorf("network namespaces unavailable: ip netns add: %v: %s", err, bytes.TrimSpace(out))
	}
	defer exec.Command("ip", "netns", "del", ns).Run()
	for _, args := range [][]string{
		{"link", "add", "pa", "type", "veth", "peer", "name", "pb"},
		{"link", "add", "pbr", "type", "bridge"},
		{"link", "add", "pvx", "type", "vxlan", "id", "42", "dstport", "4789", "nolearning"},
	} {
		if out, err := exec.Command("ip", append([]string{"-n", ns}, args...)...).CombinedOutput(); err != nil {
			return fmt.Errorf("kernel lacks %s links: %v: %s", args[len(args)-1], err, bytes.TrimSpace(out))
		}
	}
	return nil
}

// labSeq numbers the labs of this process.
var labSeq atomic.Int64

// Start builds the fabric for opt.Leaves, starts every router and
// applies each router's rendered VRF configuration. It does not wait for
// BGP: call WaitConverged. On error nothing is left behind.
func Start(ctx context.Context, opt Options) (*Lab, error) {
	opt.defaults()
	tag := fmt.Sprintf("%s-%s-%d", opt.Prefix, strconv.FormatInt(int64(os.Getpid()), 36), labSeq.Add(1))
	lay, err := plan(tag, opt.Leaves, opt.StorageVRF, opt.StorageServices)
	if err != nil {
		return nil, err
	}
	removeStale(opt.Prefix)
	l := &Lab{opt: opt, tag: tag, dir: filepath.Join(os.TempDir(), tag), layout: lay}
	if err := l.build(ctx); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// Routers lists the routers, in leaf then VRF order.
func (l *Lab) Routers() []*Router { return l.routers }

// Hosts lists the hosts: the segment hosts in leaf order, then the
// storage hosts.
func (l *Lab) Hosts() []*Host { return l.hosts }

// Subnets lists the lab's subnets and who owns them.
func (l *Lab) Subnets() []Subnet { return l.subnets }

// Dir is the scratch directory (configs, logs, sockets).
func (l *Lab) Dir() string { return l.dir }

// Router returns the router of a VRF on a leaf.
func (l *Lab) Router(leaf, vrf string) *Router {
	for _, r := range l.routers {
		if r.Leaf == leaf && r.VRF.Name == vrf {
			return r
		}
	}
	return nil
}

func (l *Lab) logf(format string, args ...any) {
	l.opt.Logf("l3lab %5.1fs: "+format, append([]any{time.Since(l.start).Seconds()}, args...)...)
}

// run runs a command and returns its output; the error carries the
// command and what it printed.
func run(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return string(out), nil
}

// ipBatch runs ip commands, stopping at the first error.
func ipBatch(ctx context.Context, cmds [][]string) error {
	for _, c := range cmds {
		if _, err := run(ctx, "ip", c...); err != nil {
			return err
		}
	}
	return nil
}

func (l *Lab) addNS(ctx context.Context, ns string) error {
	if _, err := run(ctx, "ip", "netns", "add", ns); err != nil {
		return err
	}
	l.mu.Lock()
	l.namespaces = append(l.namespaces, ns)
	l.mu.Unlock()
	_, err := run(ctx, "ip", "-n", ns, "link", "set", "lo", "up")
	return err
}

func (l *Lab) forwarding(ctx context.Context, ns string) error {
	_, err := run(ctx, "ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1")
	return err
}

// gwMAC is a segment's anycast gateway MAC (the same on every leaf).
func gwMAC(vni uint32) string {
	return fmt.Sprintf("02:52:5a:%02x:%02x:%02x", byte(vni>>16), byte(vni>>8), byte(vni))
}

func (l *Lab) build(ctx context.Context) error {
	l.start = time.Now()
	if err := os.MkdirAll(l.dir, 0o755); err != nil {
		return err
	}
	if err := os.Chmod(l.dir, 0o755); err != nil {
		return err
	}
	// The underlay: bridge "fab" and the route reflector.
	fab := l.tag + "-fab"
	if err := l.addNS(ctx, fab); err != nil {
		return err
	}
	if err := ipBatch(ctx, [][]string{
		{"-n", fab, "link", "add", "fab", "mtu", "9000", "type", "bridge", "stp_state", "0"},
		{"-n", fab, "link", "set", "fab", "up"},
		{"-n", fab, "addr", "add", netip.PrefixFrom(reflector, underlay.Bits()).String(), "dev", "fab"},
	}); err != nil {
		return err
	}
	if err := l.writeConf("fab", fmt.Sprintf("log file %s\n", filepath.Join(l.dir, "fab", "zebra.log")), fmt.Sprintf(`log file %s
router bgp %d
 bgp router-id %s
 bgp cluster-id %s
 no bgp default ipv4-unicast
 neighbor VTEPS peer-group
 neighbor VTEPS remote-as %d
 bgp listen range %s peer-group VTEPS
 address-family l2vpn evpn
  neighbor VTEPS activate
  neighbor VTEPS route-reflector-client
 exit-address-family
exit
`, filepath.Join(l.dir, "fab", "bgpd.log"), l.asn, reflector, reflector, l.asn, underlay)); err != nil {
		return err
	}

	// One VRF router per (leaf, VRF), built concurrently.
	errs := make([]error, len(l.routers))
	var wg sync.WaitGroup
	for i, r := range l.routers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = l.buildRouter(ctx, i, r)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, h := range l.hosts {
		if err := l.buildHost(ctx, h); err != nil {
			return err
		}
	}
	l.logf("namespaces and links built")

	// Daemons: the reflector, then every router, concurrently.
	if err := l.startFRR(ctx, "fab", fab, "", ""); err != nil {
		return err
	}
	for i, r := range l.routers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.startFRR(ctx, r.Name, r.NS, r.VRFNS, r.VRF.Name); err != nil {
				errs[i] = err
				return
			}
			errs[i] = l.applyRendered(ctx, r)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	l.logf("daemons started, VRF configuration applied")
	return nil
}

func (l *Lab) buildRouter(ctx context.Context, i int, r *Router) error {
	for _, ns := range []string{r.NS, r.VRFNS} {
		if err := l.addNS(ctx, ns); err != nil {
			return err
		}
		if err := l.forwarding(ctx, ns); err != nil {
			return err
		}
	}
	rns, vns, vtep := r.NS, r.VRFNS, r.VTEP.String()
	fab := l.tag + "-fab"
	up := "u" + strconv.Itoa(i)
	cmds := [][]string{
		// Underlay port with the VTEP address: one VXLAN socket per router.
		{"link", "add", "ul0", "mtu", "9000", "netns", rns, "type", "veth", "peer", "name", up, "mtu", "9000", "netns", fab},
		{"-n", rns, "addr", "add", netip.PrefixFrom(r.VTEP, underlay.Bits()).String(), "dev", "ul0"},
		{"-n", rns, "link", "set", "ul0", "up"},
		{"-n", fab, "link", "set", up, "master", "fab", "up"},
	}
	// The own L3VNI: created in the router namespace (socket and
	// link-netns there, as zebra requires), moved into the VRF, enslaved
	// to the L3VNI bridge whose MAC is the router MAC.
	vni := strconv.FormatUint(uint64(r.VRF.L3VNI), 10)
	vx, br := "vx"+vni, "br"+vni
	cmds = append(cmds,
		[]string{"-n", rns, "link", "add", vx, "type", "vxlan", "id", vni, "local", vtep, "dstport", "4789", "nolearning"},
		[]string{"-n", rns, "link", "set", vx, "mtu", "1500", "netns", vns},
		[]string{"-n", vns, "link", "add", br, "type", "bridge", "stp_state", "0"},
		[]string{"-n", vns, "link", "set", br, "address", r.RMAC, "addrgenmode", "none"},
		[]string{"-n", vns, "link", "set", vx, "master", br},
		[]string{"-n", vns, "link", "set", vx, "type", "bridge_slave", "learning", "off"},
		[]string{"-n", vns, "link", "set", br, "up"},
		[]string{"-n", vns, "link", "set", vx, "up"},
	)
	// Receive-only ports for every other L3VNI of the fabric: unbridged,
	// MAC = router MAC, so what arrives on them is routed in this VRF.
	for _, x := range l.l3vnis {
		if x == r.VRF.L3VNI {
			continue
		}
		xs := strconv.FormatUint(uint64(x), 10)
		cmds = append(cmds,
			[]string{"-n", rns, "link", "add", "vx" + xs, "type", "vxlan", "id", xs, "local", vtep, "dstport", "4789", "nolearning"},
			[]string{"-n", rns, "link", "set", "vx" + xs, "mtu", "1500", "address", r.RMAC, "netns", vns},
			[]string{"-n", vns, "link", "set", "vx" + xs, "up"},
		)
	}
	// The VRF's segments: L2VNI bridge with the anycast gateway.
	for _, s := range r.Config.Segments {
		vs := strconv.FormatUint(uint64(s.L2VNI), 10)
		cmds = append(cmds,
			[]string{"-n", rns, "link", "add", "vx" + vs, "type", "vxlan", "id", vs, "local", vtep, "dstport", "4789", "nolearning"},
			[]string{"-n", rns, "link", "set", "vx" + vs, "mtu", "1500", "netns", vns},
			[]string{"-n", vns, "link", "add", "br" + vs, "type", "bridge", "stp_state", "0"},
			[]string{"-n", vns, "link", "set", "br" + vs, "address", gwMAC(s.L2VNI)},
			[]string{"-n", vns, "link", "set", "vx" + vs, "master", "br" + vs},
			[]string{"-n", vns, "link", "set", "vx" + vs, "type", "bridge_slave", "learning", "off", "neigh_suppress", "on"},
			[]string{"-n", vns, "addr", "add", s.Gateway, "dev", "br" + vs},
			[]string{"-n", vns, "link", "set", "br" + vs, "up"},
			[]string{"-n", vns, "link", "set", "vx" + vs, "up"},
		)
	}
	if err := ipBatch(ctx, cmds); err != nil {
		return fmt.Errorf("router %s: %w", r.Name, err)
	}
	d := filepath.Join(l.dir, r.Name)
	return l.writeConf(r.Name, fmt.Sprintf("log file %s\n", filepath.Join(d, "zebra.log")), fmt.Sprintf(`log file %s
router bgp %d
 bgp router-id %s
 no bgp default ipv4-unicast
 neighbor %s remote-as %d
 neighbor %s shutdown
 address-family l2vpn evpn
  neighbor %s activate
  advertise-all-vni
 exit-address-family
exit
router bgp %d vrf %s
 bgp router-id %s
exit
`, filepath.Join(d, "bgpd.log"), l.asn, vtep, reflector, l.asn, reflector, reflector, l.asn, r.VRF.Name, vtep))
}

func (l *Lab) buildHost(ctx context.Context, h *Host) error {
	if err := l.addNS(ctx, h.NS); err != nil {
		return err
	}
	vns := h.Router.VRFNS
	cmds := [][]string{
		{"link", "add", h.port, "netns", vns, "type", "veth", "peer", "name", "eth0", "netns", h.NS},
		{"-n", h.NS, "addr", "add", h.Addr.String(), "dev", "eth0"},
		{"-n", h.NS, "link", "set", "eth0", "up"},
		{"-n", h.NS, "route", "add", "default", "via", h.Gateway.String()},
	}
	if h.Segment != nil {
		cmds = append(cmds, []string{"-n", vns, "link", "set", h.port, "master", "br" + strconv.FormatUint(uint64(h.Segment.L2VNI), 10), "up"})
	} else {
		cmds = append(cmds,
			[]string{"-n", vns, "addr", "add", netip.PrefixFrom(h.Gateway, h.Addr.Bits()).String(), "dev", h.port},
			[]string{"-n", vns, "link", "set", h.port, "up"})
	}
	// The host's default route needs its port up first.
	slices.SortStableFunc(cmds, func(a, b []string) int {
		ra, rb := slices.Contains(a, "route"), slices.Contains(b, "route")
		switch {
		case ra && !rb:
			return 1
		case rb && !ra:
			return -1
		}
		return 0
	})
	if err := ipBatch(ctx, cmds); err != nil {
		return fmt.Errorf("host %s: %w", h.Name, err)
	}
	return nil
}

// writeConf writes an instance's daemon configuration files.
func (l *Lab) writeConf(name, zebra, bgpd string) error {
	d := filepath.Join(l.dir, name)
	if err := os.MkdirAll(filepath.Join(d, "run"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(d, "zebra.conf"), []byte(zebra), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(d, "bgpd.conf"), []byte(bgpd), 0o644)
}

// startFRR starts zebra and bgpd for instance name in namespace ns. The
// shell that ip netns exec runs is in a fresh (slave) mount namespace,
// which the daemons keep: in it a tmpfs over /var/tmp (FRR's log
// buffers and crash directories stay private) and, for VRF routers, a
// private /run/netns that shows only the router's VRF namespace, under
// the VRF's name (zebra -n turns every entry there into a VRF).
func (l *Lab) startFRR(ctx context.Context, name, ns, vrfNS, vrf string) error {
	d := filepath.Join(l.dir, name)
	if err := os.WriteFile(filepath.Join(d, "nsref"), nil, 0o644); err != nil {
		return err
	}
	if _, err := run(ctx, "chown", "-R", "frr:frr", d); err != nil {
		return err
	}
	var sh strings.Builder
	fmt.Fprintf(&sh, "set -e\nulimit -c 0\nmount -t tmpfs -o mode=1777 %s-tmp /var/tmp\n", l.tag)
	flag := ""
	if vrfNS != "" {
		flag = "-n "
		fmt.Fprintf(&sh, "mount --bind /run/netns/%s %s/nsref\n", vrfNS, d)
		fmt.Fprintf(&sh, "mount -t tmpfs %s-netns /run/netns\n", l.tag)
		fmt.Fprintf(&sh, "touch /run/netns/%s\nmount --bind %s/nsref /run/netns/%s\n", vrf, d, vrf)
	}
	common := fmt.Sprintf("-i %[1]s/run/%%s.pid -z %[1]s/run/zserv.api --vty_socket %[1]s/run", d)
	fmt.Fprintf(&sh, "%s/zebra -d %s-F datacenter -f %s/zebra.conf %s >>%s/stderr 2>&1\n", l.opt.FRRDir, flag, d, fmt.Sprintf(common, "zebra"), d)
	fmt.Fprintf(&sh, "i=0; while [ ! -S %s/run/zserv.api ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done\n", d)
	fmt.Fprintf(&sh, "%s/bgpd -d -F datacenter -f %s/bgpd.conf %s >>%s/stderr 2>&1\n", l.opt.FRRDir, d, fmt.Sprintf(common, "bgpd"), d)
	if _, err := run(ctx, "ip", "netns", "exec", ns, "sh", "-c", sh.String()); err != nil {
		return fmt.Errorf("start FRR %s: %w", name, err)
	}
	// Wait for both vty sockets.
	deadline := time.Now().Add(10 * time.Second)
	for _, s := range []string{"zebra.vty", "bgpd.vty"} {
		for {
			if fi, err := os.Stat(filepath.Join(d, "run", s)); err == nil && fi.Mode()&os.ModeSocket != 0 {
				break
			}
			if time.Now().After(deadline) {
				b, _ := os.ReadFile(filepath.Join(d, "stderr"))
				return fmt.Errorf("start FRR %s: no %s after 10s: %s", name, s, bytes.TrimSpace(b))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return nil
}

// Vtysh runs vtysh commands (each -c) on a router ("fab" for the route
// reflector) and returns the output.
func (l *Lab) Vtysh(ctx context.Context, router string, cmds ...string) (string, error) {
	args := []string{"--vty_socket", filepath.Join(l.dir, router, "run")}
	for _, c := range cmds {
		args = append(args, "-c", c)
	}
	out, err := run(ctx, "vtysh", args...)
	if err == nil {
		if line := vtyError(out); line != "" {
			err = fmt.Errorf("vtysh %s: %s", router, line)
		}
	}
	return out, err
}

// vtyError returns the first line of vtysh output that reports an error.
func vtyError(out string) string {
	for _, l := range strings.Split(out, "\n") {
		t := strings.TrimSpace(l)
		for _, m := range []string{"% Unknown command", "% Invalid", "% Ambiguous", "% Command incomplete", "% There is no", "% Configuration failed", "% Failed", "% Error", "line "} {
			if strings.HasPrefix(t, m) {
				if m == "line " && !strings.Contains(t, "Error") && !strings.Contains(t, "Unknown") {
					continue
				}
				return t
			}
		}
	}
	return ""
}

// applyRendered renders the router's configuration and applies it with
// vtysh -f on top of the underlay.
func (l *Lab) applyRendered(ctx context.Context, r *Router) error {
	text, err := l.opt.Render(r.Config)
	if err != nil {
		return fmt.Errorf("render %s: %w", r.Name, err)
	}
	if err := l.applyText(ctx, r, Sanitize(text), "rendered.conf"); err != nil {
		return err
	}
	// The session to the reflector starts shut down and comes up only
	// now: FRR 8.4.4 loses a VRF's L3VNI next hops when its import route
	// targets change while routes are imported (see Reconfigure).
	_, err = l.Vtysh(ctx, r.Name, "configure terminal", fmt.Sprintf("router bgp %d", l.asn), "no neighbor "+reflector.String()+" shutdown")
	return err
}

func (l *Lab) applyText(ctx context.Context, r *Router, text, file string) error {
	f := filepath.Join(l.dir, r.Name, file)
	if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
		return err
	}
	out, err := run(ctx, "vtysh", "--vty_socket", filepath.Join(l.dir, r.Name, "run"), "-f", f)
	if err == nil {
		if line := vtyError(out); line != "" {
			err = errors.New(line)
		}
	}
	if err != nil {
		return fmt.Errorf("apply %s to %s: %w\n%s", file, r.Name, err, text)
	}
	return nil
}

// Close stops every daemon, deletes the namespaces and the scratch
// directory. It is safe to call more than once.
func (l *Lab) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	err := stopDaemons(l.dir)
	for _, ns := range slices.Backward(l.namespaces) {
		if out, e := exec.Command("ip", "netns", "del", ns).CombinedOutput(); e != nil {
			err = errors.Join(err, fmt.Errorf("ip netns del %s: %v: %s", ns, e, bytes.TrimSpace(out)))
		}
	}
	l.namespaces = nil
	if e := os.RemoveAll(l.dir); e != nil {
		err = errors.Join(err, e)
	}
	return err
}

// stopDaemons stops the daemons whose pid files are under dir: bgpd by
// SIGTERM, zebra by SIGKILL (zebra -n in 8.4.4 crashes on SIGTERM), and
// waits for them to exit. A pid is signalled only when its command line
// names a daemon with a path under dir (so a reused pid is left alone).
func stopDaemons(dir string) error {
	var pids []int
	for _, d := range []struct {
		name string
		sig  syscall.Signal
	}{{"bgpd", syscall.SIGTERM}, {"zebra", syscall.SIGKILL}} {
		files, _ := filepath.Glob(filepath.Join(dir, "*", "run", d.name+".pid"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				continue
			}
			pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil || pid <= 1 || !ours(pid, d.name, dir) {
				continue
			}
			if syscall.Kill(pid, d.sig) == nil {
				pids = append(pids, pid)
			}
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	var err error
	for _, pid := range pids {
		for alive(pid) {
			if time.Now().After(deadline) {
				err = errors.Join(err, fmt.Errorf("daemon %d did not exit", pid))
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return err
}

// ours reports whether pid runs FRR daemon name with a path under dir.
func ours(pid int, name, dir string) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	args := strings.Split(string(b), "\x00")
	return len(args) > 0 && filepath.Base(args[0]) == name && strings.Contains(string(b), dir+"/")
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z' && s[i+2] != 'X'
	}
	return true
}

// removeStale removes what earlier runs with this prefix left behind
// when their process is gone: daemons (by pid file), namespaces and
// scratch directories named <prefix>-<pid36>.
func removeStale(prefix string) {
	dead := func(name string) bool {
		rest, ok := strings.CutPrefix(name, prefix+"-")
		if !ok {
			return false
		}
		id, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.ParseInt(id, 36, 64)
		if err != nil || pid <= 0 || pid == int64(os.Getpid()) {
			return false
		}
		return !alive(int(pid))
	}
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), prefix+"-*"))
	for _, d := range dirs {
		if dead(filepath.Base(d)) {
			stopDaemons(d)
		}
	}
	entries, _ := os.ReadDir("/run/netns")
	for _, e := range entries {
		if dead(e.Name()) {
			exec.Command("ip", "netns", "del", e.Name()).Run()
		}
	}
	for _, d := range dirs {
		if dead(filepath.Base(d)) {
			os.RemoveAll(d)
		}
	}
}
