package snmptest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/railyard/railyard/internal/discovery"
)

// Credentials the lab's agents accept.
const (
	Community = "railyard-lab"

	V3User         = "railyard" // authPriv
	V3AuthUser     = "railyard-auth"
	V3NoAuthUser   = "railyard-noauth"
	V3AuthProtocol = "SHA"
	V3AuthPassword = "lab-auth-secret"
	V3PrivProtocol = "AES"
	V3PrivPassword = "lab-priv-secret"
)

// Deadline bounds every wait of the lab (start, recabling).
const Deadline = 20 * time.Second

// MgmtPort is the name of a switch's management interface. Its MAC is
// the switch's system MAC with ff as the last octet (fe if the system MAC
// ends in ff).
const MgmtPort = "mgmt0"

// Topology describes a lab: switches, hosts and the cables between their
// ports. Every port and interface named exists whether cabled or not.
type Topology struct {
	Switches []Switch
	Hosts    []Host
	Cables   []Cable
}

// Switch is a switch with front-panel ports (Linux interface names, at
// most 15 characters, not "mgmt0" or "lo").
type Switch struct {
	Name  string
	Ports []string
	// MAC is the system MAC: every port's address and the LLDP chassis
	// id. Default 02:ee:00:00:NN:00 with NN the switch's position (from 1).
	MAC string
}

// Host is a server with network interfaces.
type Host struct {
	Name   string
	Ifaces []Iface
}

// Iface is a host interface. MAC defaults to 02:ed:00:HH:II:00 (host and
// interface positions, from 1). The first interface's MAC is the host's
// LLDP chassis id.
type Iface struct {
	Name string
	MAC  string
}

// End is one end of a cable: a node (switch or host) and its port.
type End struct {
	Node, Port string
}

// Cable joins two ends.
type Cable struct {
	A, B End
}

func (c Cable) String() string {
	return fmt.Sprintf("%s/%s<->%s/%s", c.A.Node, c.A.Port, c.B.Node, c.B.Port)
}

func (c Cable) has(e End) bool { return c.A == e || c.B == e }

func (c Cable) same(d Cable) bool { return c == d || c.A == d.B && c.B == d.A }

// Lab is a running topology.
type Lab struct {
	dir     string
	prefix  string
	panelNS string
	nodes   map[string]*node
	order   []*node

	mu       sync.Mutex
	cables   []Cable
	dangling map[End]string // uncabled end -> its peer's name in the panel
	nextPeer int
	procs    []*proc
}

type node struct {
	name     string
	ns       string
	isSwitch bool
	ports    []string
	macs     map[string]string
	chassis  string
	dir      string
	lldpSock string
	agentx   string // switches: snmpd's AgentX master socket
	// switches only
	mgmtIP netip.Addr
	rootIf string
}

type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

var (
	labSeq  atomic.Int64
	linkSeq atomic.Int64
	nameRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$`)
	portRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$`)
)

// Require skips the test unless it runs as root and the named binaries
// are on PATH; when the environment variable CI is set it fails instead.
func Require(t testing.TB, bins ...string) {
	t.Helper()
	var why []string
	if os.Geteuid() != 0 {
		why = append(why, "not root")
	}
	for _, b := range bins {
		if _, err := exec.LookPath(b); err != nil {
			why = append(why, b+" not found")
		}
	}
	if len(why) > 0 {
		skipOrFail(t, strings.Join(why, ", "))
	}
}

func skipOrFail(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("snmptest: %s (CI is set, so this is an error)", why)
	}
	t.Skipf("snmptest: %s", why)
}

// Start builds the topology and waits until its agents answer and every
// cable is seen by LLDP. Everything is torn down by t.Cleanup.
func Start(t testing.TB, topo Topology) *Lab {
	t.Helper()
	Require(t, "ip", "snmpd", "lldpd", "lldpcli")
	if err := validate(topo); err != nil {
		t.Fatalf("snmptest: %v", err)
	}
	gcStale()

	dir, err := os.MkdirTemp("", "snmptest-")
	if err != nil {
		t.Fatal(err)
	}
	// lldpcli is setuid _lldpd: it must be able to reach the control
	// sockets and configuration files in the lab directory.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	l := &Lab{
		dir:      dir,
		prefix:   fmt.Sprintf("rysnmp-%d-%d", os.Getpid(), labSeq.Add(1)),
		nodes:    map[string]*node{},
		dangling: map[End]string{},
		cables:   slices.Clone(topo.Cables),
	}
	l.panelNS = l.prefix + "--panel"
	t.Cleanup(func() { l.close(t) })
	// Root without CAP_SYS_ADMIN (some containers) cannot make namespaces.
	if err := ip("netns", "add", l.panelNS); err != nil {
		skipOrFail(t, "cannot create a network namespace: "+err.Error())
	}

	for i, s := range topo.Switches {
		mac := s.MAC
		if mac == "" {
			mac = fmt.Sprintf("02:ee:00:00:%02x:00", i+1)
		}
		n := &node{name: s.Name, isSwitch: true, ports: s.Ports, macs: map[string]string{}, chassis: strings.ToLower(mac)}
		for _, p := range s.Ports {
			n.macs[p] = n.chassis
		}
		n.macs[MgmtPort] = mgmtMAC(n.chassis)
		l.add(n)
	}
	for i, h := range topo.Hosts {
		n := &node{name: h.Name, macs: map[string]string{}}
		for j, f := range h.Ifaces {
			mac := f.MAC
			if mac == "" {
				mac = fmt.Sprintf("02:ed:00:%02x:%02x:00", i+1, j+1)
			}
			n.ports = append(n.ports, f.Name)
			n.macs[f.Name] = strings.ToLower(mac)
		}
		n.chassis = n.macs[n.ports[0]]
		l.add(n)
	}

	if err := l.build(); err != nil {
		t.Fatalf("snmptest: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), Deadline)
	defer cancel()
	if err := l.startDaemons(ctx); err != nil {
		t.Fatalf("snmptest: %v", err)
	}
	if err := l.waitCabling(ctx); err != nil {
		t.Fatalf("snmptest: %v", err)
	}
	return l
}

// mgmtMAC is the address of a switch's management port: the system MAC
// with ff (or fe) as last octet.
func mgmtMAC(system string) string {
	m := system[:len(system)-2] + "ff"
	if m == system {
		m = system[:len(system)-2] + "fe"
	}
	return m
}

// checkMAC accepts "" (a default is chosen) or a unicast colon MAC.
func checkMAC(s string) error {
	if s == "" {
		return nil
	}
	hw, err := net.ParseMAC(s)
	if err != nil || len(hw) != 6 || !strings.Contains(s, ":") || hw[0]&1 == 1 {
		return fmt.Errorf("MAC %q: want a unicast aa:bb:cc:dd:ee:ff address", s)
	}
	return nil
}

func validate(topo Topology) error {
	seen := map[string]bool{}
	ends := map[End]bool{}
	for _, s := range topo.Switches {
		if !nameRE.MatchString(s.Name) || seen[s.Name] {
			return fmt.Errorf("switch name %q: invalid or duplicate", s.Name)
		}
		seen[s.Name] = true
		if len(s.Ports) == 0 {
			return fmt.Errorf("switch %s has no ports", s.Name)
		}
		if err := checkMAC(s.MAC); err != nil {
			return fmt.Errorf("switch %s: %v", s.Name, err)
		}
		for _, p := range s.Ports {
			if !portRE.MatchString(p) || p == MgmtPort || p == "lo" || ends[End{s.Name, p}] {
				return fmt.Errorf("switch %s port %q: invalid or duplicate", s.Name, p)
			}
			ends[End{s.Name, p}] = true
		}
	}
	for _, h := range topo.Hosts {
		if !nameRE.MatchString(h.Name) || seen[h.Name] {
			return fmt.Errorf("host name %q: invalid or duplicate", h.Name)
		}
		seen[h.Name] = true
		if len(h.Ifaces) == 0 {
			return fmt.Errorf("host %s has no interfaces", h.Name)
		}
		for _, f := range h.Ifaces {
			if !portRE.MatchString(f.Name) || f.Name == "lo" || ends[End{h.Name, f.Name}] {
				return fmt.Errorf("host %s interface %q: invalid or duplicate", h.Name, f.Name)
			}
			if err := checkMAC(f.MAC); err != nil {
				return fmt.Errorf("host %s interface %s: %v", h.Name, f.Name, err)
			}
			ends[End{h.Name, f.Name}] = true
		}
	}
	used := map[End]bool{}
	for _, c := range topo.Cables {
		for _, e := range []End{c.A, c.B} {
			if !ends[e] {
				return fmt.Errorf("cable %s: no port %s/%s", c, e.Node, e.Port)
			}
			if used[e] {
				return fmt.Errorf("cable %s: %s/%s is already cabled", c, e.Node, e.Port)
			}
			used[e] = true
		}
		if c.A.Node == c.B.Node {
			return fmt.Errorf("cable %s: both ends on one node", c)
		}
	}
	return nil
}

func (l *Lab) add(n *node) {
	n.ns = l.prefix + "-" + n.name
	n.dir = filepath.Join(l.dir, n.name)
	n.lldpSock = filepath.Join(n.dir, "lldpd.sock")
	n.agentx = filepath.Join(n.dir, "agentx.sock")
	l.nodes[n.name] = n
	l.order = append(l.order, n)
}

// ip runs ip(8) with the arguments.
func ip(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

func (l *Lab) build() error {
	for _, ns := range l.nsNames() {
		if err := ip("netns", "add", ns); err != nil {
			return err
		}
	}
	for _, ns := range append([]string{l.panelNS}, l.nsNames()...) {
		if err := ip("-n", ns, "link", "set", "lo", "up"); err != nil {
			return err
		}
	}
	for _, n := range l.order {
		if err := os.MkdirAll(n.dir, 0o755); err != nil {
			return err
		}
		if n.isSwitch {
			if err := l.mgmt(n); err != nil {
				return err
			}
		}
	}
	// Ports in declaration order, so ifIndexes follow it.
	for _, n := range l.order {
		for _, p := range n.ports {
			e := End{n.name, p}
			if l.exists(e) {
				continue
			}
			if c, ok := l.cableOf(e); ok {
				if err := l.connect(c); err != nil {
					return err
				}
			} else if err := l.dangle(e); err != nil {
				return err
			}
		}
	}
	return nil
}

func (l *Lab) nsNames() []string {
	var out []string
	for _, n := range l.order {
		out = append(out, n.ns)
	}
	return out
}

// exists reports whether an end's interface has been created.
func (l *Lab) exists(e End) bool {
	if _, ok := l.dangling[e]; ok {
		return true
	}
	n := l.nodes[e.Node]
	err := exec.Command("ip", "-n", n.ns, "link", "show", "dev", e.Port).Run()
	return err == nil
}

func (l *Lab) cableOf(e End) (Cable, bool) {
	for _, c := range l.cables {
		if c.has(e) {
			return c, true
		}
	}
	return Cable{}, false
}

// connect creates the veth pair of a cable, both ends up.
func (l *Lab) connect(c Cable) error {
	a, b := l.nodes[c.A.Node], l.nodes[c.B.Node]
	if err := ip("link", "add", c.A.Port, "netns", a.ns, "address", a.macs[c.A.Port],
		"type", "veth", "peer", "name", c.B.Port, "netns", b.ns, "address", b.macs[c.B.Port]); err != nil {
		return err
	}
	if err := ip("-n", a.ns, "link", "set", c.A.Port, "up"); err != nil {
		return err
	}
	return ip("-n", b.ns, "link", "set", c.B.Port, "up")
}

// dangle creates an uncabled port: a veth whose peer waits, down, in the
// panel namespace.
func (l *Lab) dangle(e End) error {
	n := l.nodes[e.Node]
	l.nextPeer++
	peer := fmt.Sprintf("p%d", l.nextPeer)
	if err := ip("link", "add", e.Port, "netns", n.ns, "address", n.macs[e.Port],
		"type", "veth", "peer", "name", peer, "netns", l.panelNS); err != nil {
		return err
	}
	l.dangling[e] = peer
	return ip("-n", n.ns, "link", "set", e.Port, "up")
}

func (l *Lab) undangle(e End) error {
	peer, ok := l.dangling[e]
	if !ok {
		return nil
	}
	delete(l.dangling, e)
	return ip("-n", l.panelNS, "link", "del", peer)
}

const (
	lockFile = "/run/railyard-snmptest.lock"
	mgmtNet  = "10.213."
)

// mgmt creates the management link of a switch: a /30 from 10.213.0.0/16
// that no interface of the root namespace uses yet, chosen under an flock
// so that concurrent labs do not pick the same one.
func (l *Lab) mgmt(n *node) error {
	f, err := os.OpenFile(lockFile, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN)

	out, err := exec.Command("ip", "-4", "-o", "addr", "show").Output()
	if err != nil {
		return fmt.Errorf("ip addr show: %v", err)
	}
	used := map[int]bool{}
	for _, fld := range strings.Fields(string(out)) {
		if a, err := netip.ParsePrefix(fld); err == nil && strings.HasPrefix(a.Addr().String(), mgmtNet) {
			b := a.Addr().As4()
			used[(int(b[2])*256+int(b[3]))/4] = true
		}
	}
	slot := -1
	for s := 1; s < 16384; s++ {
		if !used[s] {
			slot = s
			break
		}
	}
	if slot < 0 {
		return errors.New("no free /30 left in 10.213.0.0/16")
	}
	base := slot * 4
	root := netip.AddrFrom4([4]byte{10, 213, byte(base / 256), byte(base%256 + 1)})
	n.mgmtIP = root.Next()
	n.rootIf = fmt.Sprintf("rs%sx%s", strconv.FormatInt(int64(os.Getpid()), 36), strconv.FormatInt(linkSeq.Add(1), 36))
	for _, args := range [][]string{
		{"link", "add", n.rootIf, "type", "veth", "peer", "name", MgmtPort, "netns", n.ns, "address", n.macs[MgmtPort]},
		{"addr", "add", root.String() + "/30", "dev", n.rootIf},
		{"link", "set", n.rootIf, "up"},
		{"-n", n.ns, "addr", "add", n.mgmtIP.String() + "/30", "dev", MgmtPort},
		{"-n", n.ns, "link", "set", MgmtPort, "up"},
	} {
		if err := ip(args...); err != nil {
			return err
		}
	}
	return nil
}

func (l *Lab) spawn(name, ns string, env []string, args ...string) (*proc, error) {
	logPath := filepath.Join(l.dir, name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Own process group, so that cleanup reaches lldpd's privilege
	// separated child and the lldpcli it runs; killed with the test.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	l.mu.Lock()
	l.procs = append(l.procs, p)
	l.mu.Unlock()
	return p, nil
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *proc) tail() string {
	b, _ := os.ReadFile(p.log)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

func kernelRelease() string {
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		return "unknown"
	}
	var b []byte
	for _, c := range u.Release {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return string(b)
}

// SysDescr is the sysDescr a lab switch reports: net-snmp's Linux form
// with the switch's name and the running kernel's release.
func SysDescr(switchName string) string {
	return fmt.Sprintf("Linux %s %s #1 railyard-lab", switchName, kernelRelease())
}

func (l *Lab) startDaemons(ctx context.Context) error {
	var snmpds []*proc
	for _, n := range l.order {
		if !n.isSwitch {
			continue
		}
		conf := filepath.Join(n.dir, "snmpd.conf")
		text := fmt.Sprintf(`# written by snmptest
sysName %s
sysDescr %s
sysContact lab@railyard.invalid
sysLocation snmptest lab
rocommunity %s default
createUser %s %s %s %s %s
createUser %s %s %s
createUser %s
rouser %s priv
rouser %s auth
rouser %s noauth
master agentx
agentXSocket %s
agentXPerms 0660 0755 root _lldpd
agentXTimeout 5
dontLogTCPWrappersConnects yes
interface_replace_old yes
`, n.name, SysDescr(n.name), Community,
			V3User, V3AuthProtocol, V3AuthPassword, V3PrivProtocol, V3PrivPassword,
			V3AuthUser, V3AuthProtocol, V3AuthPassword,
			V3NoAuthUser,
			V3User, V3AuthUser, V3NoAuthUser,
			n.agentx)
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			return err
		}
		p, err := l.spawn(n.name+"-snmpd", n.ns,
			[]string{"SNMP_PERSISTENT_DIR=" + filepath.Join(n.dir, "persist"), "MIBS=", "MIBDIRS=/nonexistent"},
			"snmpd", "-f", "-Lo", "-C", "-c", conf, "udp:"+n.mgmtIP.String()+":161")
		if err != nil {
			return err
		}
		snmpds = append(snmpds, p)
	}
	for i, n := range l.switches() {
		if err := waitFor(ctx, "snmpd on "+n.name+" to answer", func() (bool, error) {
			if snmpds[i].exited() {
				return false, fmt.Errorf("snmpd on %s exited:\n%s", n.name, snmpds[i].tail())
			}
			_, ok := l.get(n, "1.3.6.1.2.1.1.5.0")
			return ok, nil
		}); err != nil {
			return err
		}
	}
	var lldpds []*proc
	for _, n := range l.order {
		conf := filepath.Join(n.dir, "lldpd.conf")
		subtype := "macaddress"
		if n.isSwitch {
			subtype = "ifname"
		}
		text := fmt.Sprintf("configure system hostname %s\nconfigure lldp tx-interval 1\nconfigure lldp portidsubtype %s\n", n.name, subtype)
		if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
			return err
		}
		ports := strings.Join(n.ports, ",")
		args := []string{"lldpd", "-d", "-I", ports, "-u", n.lldpSock, "-O", conf}
		if n.isSwitch {
			args = append(args, "-C", ports, "-x", "-X", n.agentx)
		} else {
			args = append(args, "-C", n.ports[0])
		}
		p, err := l.spawn(n.name+"-lldpd", n.ns, nil, args...)
		if err != nil {
			return err
		}
		lldpds = append(lldpds, p)
	}
	for i, n := range l.order {
		if err := waitFor(ctx, "lldpd on "+n.name, func() (bool, error) {
			if lldpds[i].exited() {
				return false, fmt.Errorf("lldpd on %s exited:\n%s", n.name, lldpds[i].tail())
			}
			if !n.isSwitch {
				_, err := l.lldpcli(n, "show", "chassis")
				return err == nil, nil
			}
			// The AgentX subagent has registered LLDP-MIB with snmpd.
			_, ok := l.get(n, "1.0.8802.1.1.2.1.3.2.0")
			return ok, nil
		}); err != nil {
			return err
		}
	}
	return nil
}

func (l *Lab) switches() []*node {
	var out []*node
	for _, n := range l.order {
		if n.isSwitch {
			out = append(out, n)
		}
	}
	return out
}

// get asks a switch's snmpd for one object over v2c.
func (l *Lab) get(n *node, oid string) (gosnmp.SnmpPDU, bool) {
	g := &gosnmp.GoSNMP{Target: n.mgmtIP.String(), Port: 161, Community: Community,
		Version: gosnmp.Version2c, Timeout: 300 * time.Millisecond, Retries: 0}
	if err := g.Connect(); err != nil {
		return gosnmp.SnmpPDU{}, false
	}
	defer g.Conn.Close()
	r, err := g.Get([]string{oid})
	if err != nil || len(r.Variables) != 1 {
		return gosnmp.SnmpPDU{}, false
	}
	v := r.Variables[0]
	switch v.Type {
	case gosnmp.NoSuchObject, gosnmp.NoSuchInstance, gosnmp.EndOfMibView, gosnmp.Null:
		return v, false
	}
	return v, true
}

func (l *Lab) lldpcli(n *node, args ...string) (string, error) {
	cmd := exec.Command("lldpcli", append([]string{"-u", n.lldpSock, "-f", "keyvalue"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil || bytes.Contains(out, []byte("unable to connect")) {
		return "", fmt.Errorf("lldpcli %s on %s: %v: %s", strings.Join(args, " "), n.name, err, out)
	}
	return string(out), nil
}

// heard is one LLDP neighbour as lldpcli shows it.
type heard struct {
	port, chassis, portID string
}

func (l *Lab) heard(n *node) ([]heard, error) {
	out, err := l.lldpcli(n, "show", "neighbors")
	if err != nil {
		return nil, err
	}
	var hs []heard
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		parts := strings.SplitN(k, ".", 4) // lldp.<port>.<chassis|port|via>.<field>
		if len(parts) < 3 || parts[0] != "lldp" {
			continue
		}
		if parts[2] == "via" {
			hs = append(hs, heard{port: parts[1]})
			continue
		}
		if len(hs) == 0 || len(parts) != 4 {
			continue
		}
		h := &hs[len(hs)-1]
		switch {
		case parts[2] == "chassis" && slices.Contains([]string{"mac", "local", "ifname", "ip"}, parts[3]):
			h.chassis = v
		case parts[2] == "port" && slices.Contains([]string{"mac", "local", "ifname", "ip"}, parts[3]):
			h.portID = v
		}
	}
	return hs, nil
}

// want is what the far end of e advertises.
func (l *Lab) want(far End) heard {
	n := l.nodes[far.Node]
	id := far.Port
	if !n.isSwitch {
		id = n.macs[far.Port]
	}
	return heard{chassis: n.chassis, portID: id}
}

// cablingSeen reports whether every switch hears exactly its cabled
// neighbours, one per cabled port, and nothing on uncabled ports.
func (l *Lab) cablingSeen() (bool, string, error) {
	for _, n := range l.switches() {
		hs, err := l.heard(n)
		if err != nil {
			return false, "", err
		}
		var want []heard
		for _, p := range n.ports {
			if c, ok := l.cableOf(End{n.name, p}); ok {
				far := c.B
				if c.B == (End{n.name, p}) {
					far = c.A
				}
				w := l.want(far)
				w.port = p
				want = append(want, w)
			}
		}
		cmpH := func(a, b heard) int { return strings.Compare(a.port+a.chassis+a.portID, b.port+b.chassis+b.portID) }
		slices.SortFunc(hs, cmpH)
		slices.SortFunc(want, cmpH)
		if !slices.Equal(hs, want) {
			return false, fmt.Sprintf("%s hears %v, want %v", n.name, hs, want), nil
		}
	}
	return true, "", nil
}

func (l *Lab) waitCabling(ctx context.Context) error {
	last := ""
	err := waitFor(ctx, "LLDP to see the cabling", func() (bool, error) {
		ok, why, err := l.cablingSeen()
		last = why
		return ok, err
	})
	if err != nil && last != "" {
		return fmt.Errorf("%v (%s)", err, last)
	}
	return err
}

func waitFor(ctx context.Context, what string, f func() (bool, error)) error {
	for {
		ok, err := f()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("timed out waiting for %s", what)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (l *Lab) node(t testing.TB, name string) *node {
	t.Helper()
	n, ok := l.nodes[name]
	if !ok {
		t.Fatalf("snmptest: no node %q", name)
	}
	return n
}

// SwitchAddr is the management address of a switch's snmpd.
func (l *Lab) SwitchAddr(name string) string {
	n, ok := l.nodes[name]
	if !ok || !n.isSwitch {
		panic("snmptest: no switch " + name)
	}
	return n.mgmtIP.String()
}

// SwitchTarget is the discovery target URL of a switch: snmp://ip:161.
func (l *Lab) SwitchTarget(name string) string {
	return "snmp://" + l.SwitchAddr(name) + ":161"
}

// Namespace is the network namespace of a node.
func (l *Lab) Namespace(name string) string {
	n, ok := l.nodes[name]
	if !ok {
		panic("snmptest: no node " + name)
	}
	return n.ns
}

// MAC is the hardware address of a node's port (lower-case colon form).
func (l *Lab) MAC(nodeName, port string) string {
	n, ok := l.nodes[nodeName]
	if !ok || n.macs[port] == "" {
		panic(fmt.Sprintf("snmptest: no port %s/%s", nodeName, port))
	}
	return n.macs[port]
}

// ChassisID is the LLDP chassis id a node advertises.
func (l *Lab) ChassisID(nodeName string) string {
	n, ok := l.nodes[nodeName]
	if !ok {
		panic("snmptest: no node " + nodeName)
	}
	return n.chassis
}

// V2Credentials are the lab's v2c credentials.
func V2Credentials() discovery.Credentials {
	return discovery.Credentials{Community: Community}
}

// V3Credentials are the credentials of the lab's authPriv v3 user.
func V3Credentials() discovery.Credentials {
	return discovery.Credentials{Username: V3User, AuthProtocol: V3AuthProtocol, Password: V3AuthPassword,
		PrivProtocol: V3PrivProtocol, PrivPassword: V3PrivPassword}
}

// Cables is the current cabling.
func (l *Lab) Cables() []Cable {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.cables)
}

// Recable moves a cable: from is unplugged (its ends become empty ports),
// to is plugged in (its ends must be uncabled, or be ends of from). It
// returns when every switch's LLDP table shows the new cabling.
func (l *Lab) Recable(t testing.TB, from, to Cable) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	i := slices.IndexFunc(l.cables, from.same)
	if i < 0 {
		t.Fatalf("snmptest: recable: %s is not plugged in", from)
	}
	for _, e := range []End{to.A, to.B} {
		n := l.node(t, e.Node)
		if !slices.Contains(n.ports, e.Port) {
			t.Fatalf("snmptest: recable: no port %s/%s", e.Node, e.Port)
		}
		if c, ok := l.cableOf(e); ok && !c.same(from) {
			t.Fatalf("snmptest: recable: %s/%s is in use by %s", e.Node, e.Port, c)
		}
	}
	if to.A.Node == to.B.Node {
		t.Fatalf("snmptest: recable: %s has both ends on one node", to)
	}
	l.cables = slices.Delete(l.cables, i, i+1)
	if err := ip("-n", l.nodes[from.A.Node].ns, "link", "del", from.A.Port); err != nil {
		t.Fatalf("snmptest: %v", err)
	}
	for _, e := range []End{from.A, from.B} {
		if !to.has(e) {
			if err := l.dangle(e); err != nil {
				t.Fatalf("snmptest: %v", err)
			}
		}
	}
	for _, e := range []End{to.A, to.B} {
		if err := l.undangle(e); err != nil {
			t.Fatalf("snmptest: %v", err)
		}
	}
	if err := l.connect(to); err != nil {
		t.Fatalf("snmptest: %v", err)
	}
	l.cables = append(l.cables, to)
	ctx, cancel := context.WithTimeout(context.Background(), Deadline)
	defer cancel()
	if err := l.waitCabling(ctx); err != nil {
		t.Fatalf("snmptest: recable %s -> %s: %v", from, to, err)
	}
	// snmpd caches IF-MIB for a few seconds: wait until it shows the
	// ports that changed at their new ifIndexes with the new status.
	var why string
	err := waitFor(ctx, "IF-MIB to show the recabled ports", func() (bool, error) {
		ok, w, err := l.ifMIBSeen([]End{from.A, from.B, to.A, to.B})
		why = w
		return ok, err
	})
	if err != nil {
		t.Fatalf("snmptest: recable %s -> %s: %v (%s)", from, to, err, why)
	}
}

const (
	oidIfName       = "1.3.6.1.2.1.31.1.1.1.1."
	oidIfOperStatus = "1.3.6.1.2.1.2.2.1.8."
)

// ifMIBSeen reports whether each switch end is in IF-MIB under its
// current ifIndex and is operationally up exactly when it is cabled.
func (l *Lab) ifMIBSeen(ends []End) (bool, string, error) {
	for _, e := range ends {
		n := l.nodes[e.Node]
		if !n.isSwitch {
			continue
		}
		out, err := exec.Command("ip", "-n", n.ns, "-o", "link", "show", "dev", e.Port).Output()
		if err != nil {
			return false, "", fmt.Errorf("ip link show %s in %s: %v", e.Port, n.ns, err)
		}
		idx, _, _ := strings.Cut(string(out), ":")
		name, ok := l.get(n, oidIfName+idx)
		if b, _ := name.Value.([]byte); !ok || string(b) != e.Port {
			return false, fmt.Sprintf("%s: ifName.%s is not %s yet", n.name, idx, e.Port), nil
		}
		st, ok := l.get(n, oidIfOperStatus+idx)
		_, cabled := l.cableOf(e)
		if up := ok && st.Value == 1; up != cabled {
			return false, fmt.Sprintf("%s: ifOperStatus.%s (%s) is %v, want up=%v", n.name, idx, e.Port, st.Value, cabled), nil
		}
	}
	return true, "", nil
}

// WaitNeighbors waits until switch sw's lldpd has exactly n neighbours.
func (l *Lab) WaitNeighbors(t testing.TB, sw string, n int) {
	t.Helper()
	nd := l.node(t, sw)
	ctx, cancel := context.WithTimeout(context.Background(), Deadline)
	defer cancel()
	var have []heard
	err := waitFor(ctx, fmt.Sprintf("%d neighbours on %s", n, sw), func() (bool, error) {
		hs, err := l.heard(nd)
		have = hs
		return err == nil && len(hs) == n, err
	})
	if err != nil {
		t.Fatalf("snmptest: %v (have %v)", err, have)
	}
}

func (l *Lab) close(t testing.TB) {
	l.mu.Lock()
	procs := slices.Clone(l.procs)
	l.mu.Unlock()
	if t.Failed() {
		for _, p := range procs {
			t.Logf("snmptest: log of %s:\n%s", p.name, p.tail())
		}
	}
	stopAll(procs)
	for _, n := range l.order {
		_ = ip("netns", "del", n.ns)
	}
	_ = ip("netns", "del", l.panelNS)
	os.RemoveAll(l.dir)
}

// stopAll stops processes we started: SIGTERM to each one's process group,
// then SIGKILL to those still running after two seconds.
func stopAll(procs []*proc) {
	for _, p := range procs {
		if !p.exited() {
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
		}
	}
	deadline := time.After(2 * time.Second)
	for _, p := range procs {
		select {
		case <-p.done:
		case <-deadline:
		}
	}
	for _, p := range procs {
		if !p.exited() {
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
	}
}

var staleRE = regexp.MustCompile(`^rysnmp-(\d+)-`)

// gcStale removes namespaces left behind by lab processes that died
// without cleaning up (their pid no longer exists), killing the daemons
// that still run in them.
func gcStale() {
	entries, err := os.ReadDir("/run/netns")
	if err != nil {
		return
	}
	for _, e := range entries {
		m := staleRE.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		if _, err := os.Stat("/proc/" + m[1]); err == nil {
			continue // its test process is alive
		}
		out, _ := exec.Command("ip", "netns", "pids", e.Name()).Output()
		for _, f := range strings.Fields(string(out)) {
			if pid, err := strconv.Atoi(f); err == nil && pid > 1 {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		_ = ip("netns", "del", e.Name())
	}
}
