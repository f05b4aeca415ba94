package frrlab

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/railyard/railyard/drivers/execcli"
)

// FRRDir is where Debian installs the FRR daemons.
var FRRDir = "/usr/lib/frr"

// Check reports why a lab cannot run here (nil when it can): it needs
// root, iproute2 with network namespaces, FRR's zebra, bgpd and vtysh,
// and the frr user.
func Check() error {
	if os.Geteuid() != 0 {
		return errors.New("frrlab needs root (network namespaces, FRR daemons)")
	}
	for _, b := range []string{filepath.Join(FRRDir, "zebra"), filepath.Join(FRRDir, "bgpd")} {
		if _, err := os.Stat(b); err != nil {
			return fmt.Errorf("FRR is not installed (%s missing; apt-get install frr)", b)
		}
	}
	for _, b := range []string{"vtysh", "ip", "bridge"} {
		if _, err := exec.LookPath(b); err != nil {
			return fmt.Errorf("%s not found", b)
		}
	}
	if _, err := user.Lookup("frr"); err != nil {
		return errors.New("no frr user (FRR's daemons drop privileges to it)")
	}
	name := "ryfr-chk-" + randHex(3)
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		return fmt.Errorf("cannot create network namespaces: %v %s", err, strings.TrimSpace(string(out)))
	}
	exec.Command("ip", "netns", "del", name).Run()
	return nil
}

// Lab is a set of namespaces and FRR instances whose names all start
// with Prefix. Close removes everything it made.
type Lab struct {
	// Prefix starts every namespace name (and is unique per lab).
	Prefix string
	// Dir is the scratch directory (owned by frr).
	Dir string

	mu      sync.Mutex
	netns   []string
	routers []*Router
	closed  bool
}

// New makes an empty lab. prefix should be short (namespace names are
// <prefix><4 hex>-<name>); "ryfr" is this package's convention.
func New(prefix string) (*Lab, error) {
	if err := Check(); err != nil {
		return nil, err
	}
	p := prefix + randHex(2)
	dir, err := os.MkdirTemp("", p+"-")
	if err != nil {
		return nil, err
	}
	if err := chownFRR(dir); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return &Lab{Prefix: p, Dir: dir}, nil
}

// NS returns the full name of the lab's namespace name.
func (l *Lab) NS(name string) string { return l.Prefix + "-" + name }

// AddNS creates the namespace NS(name) with its loopback up and IPv4
// forwarding on.
func (l *Lab) AddNS(name string) (string, error) {
	ns := l.NS(name)
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		return "", fmt.Errorf("ip netns add %s: %v: %s", ns, err, out)
	}
	l.mu.Lock()
	l.netns = append(l.netns, ns)
	l.mu.Unlock()
	if _, err := l.Sh(ns, "ip link set lo up && sysctl -qw net.ipv4.ip_forward=1"); err != nil {
		return "", err
	}
	return ns, nil
}

// Sh runs a shell command in namespace ns (the host when ns is ""),
// failing when it exits non-zero.
func (l *Lab) Sh(ns, cmd string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := execcli.New(execcli.Options{Netns: ns}).Run(ctx, cmd)
	if err != nil {
		return out, err
	}
	if i := strings.LastIndex(out, execcli.ExitMarker); i >= 0 {
		return out, fmt.Errorf("%s: %q: %s", ns, cmd, strings.TrimSpace(out))
	}
	return out, nil
}

// MustSh is Sh for a list of commands, stopping at the first failure.
func (l *Lab) MustSh(ns string, cmds ...string) error {
	for _, c := range cmds {
		if _, err := l.Sh(ns, c); err != nil {
			return err
		}
	}
	return nil
}

// Router is one FRR instance (zebra + bgpd) in a namespace.
type Router struct {
	Name string
	// NS is the namespace the daemons run in.
	NS string
	// Dir holds the router's config files; Dir/run its pid files and
	// vty sockets.
	Dir string
}

// Vtysh is the vtysh invocation that reaches this router.
func (r *Router) Vtysh() string { return "vtysh --vty_socket " + filepath.Join(r.Dir, "run") }

// Options returns the execcli options that reach this router: commands
// run in its namespace and "vtysh" talks to its daemons.
func (r *Router) Options() execcli.Options {
	return execcli.Options{Netns: r.NS, Vtysh: r.Vtysh()}
}

// StartFRR starts zebra and bgpd in namespace ns with the given bgpd
// configuration (zebra's starts empty; both use `frr defaults
// datacenter`) and waits until vtysh reaches both.
func (l *Lab) StartFRR(name, ns, bgpdConf string) (*Router, error) {
	r := &Router{Name: name, NS: ns, Dir: filepath.Join(l.Dir, name)}
	run := filepath.Join(r.Dir, "run")
	if err := os.MkdirAll(run, 0o755); err != nil {
		return nil, err
	}
	files := map[string]string{
		"zebra.conf": "frr defaults datacenter\n",
		"bgpd.conf":  "frr defaults datacenter\n" + bgpdConf,
		"vtysh.conf": "",
	}
	for f, s := range files {
		if err := os.WriteFile(filepath.Join(r.Dir, f), []byte(s), 0o640); err != nil {
			return nil, err
		}
	}
	if err := chownFRR(r.Dir); err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.routers = append(l.routers, r)
	l.mu.Unlock()
	d := r.Dir
	script := fmt.Sprintf(`set -e
ulimit -c 0
mount -t tmpfs -o mode=1777 %[1]s-tmp /var/tmp
%[2]s/zebra -d -F datacenter -f %[3]s/zebra.conf -i %[3]s/run/zebra.pid -z %[3]s/run/zserv.api --vty_socket %[3]s/run >>%[3]s/stderr 2>&1
for i in $(seq 100); do [ -S %[3]s/run/zserv.api ] && break; sleep 0.05; done
%[2]s/bgpd -d -F datacenter -f %[3]s/bgpd.conf -i %[3]s/run/bgpd.pid -z %[3]s/run/zserv.api --vty_socket %[3]s/run >>%[3]s/stderr 2>&1
for i in $(seq 100); do [ -S %[3]s/run/bgpd.vty ] && [ -S %[3]s/run/zebra.vty ] && break; sleep 0.05; done
`, l.Prefix, FRRDir, d)
	if out, err := l.Sh(ns, "bash -c '"+strings.ReplaceAll(script, "'", `'\''`)+"'"); err != nil {
		b, _ := os.ReadFile(filepath.Join(d, "stderr"))
		return nil, fmt.Errorf("start FRR %s: %v %s %s", name, err, out, b)
	}
	// vtysh answers once both daemons accept connections.
	var last string
	for i := 0; i < 100; i++ {
		out, err := l.Sh(ns, r.Vtysh()+" -c 'show running-config'")
		if err == nil && strings.Contains(out, "router bgp") {
			return r, nil
		}
		last = out
		time.Sleep(50 * time.Millisecond)
	}
	return nil, fmt.Errorf("FRR %s did not answer: %s", name, last)
}

// Vty runs vtysh commands (each one -c) on router r.
func (l *Lab) Vty(r *Router, cmds ...string) (string, error) {
	var b strings.Builder
	b.WriteString(r.Vtysh())
	for _, c := range cmds {
		b.WriteString(" -c '" + strings.ReplaceAll(c, "'", `'\''`) + "'")
	}
	out, err := l.Sh(r.NS, b.String())
	if err == nil && strings.Contains(out, "% ") {
		err = fmt.Errorf("%s: %s", r.Name, strings.TrimSpace(out))
	}
	return out, err
}

// Close stops every router (zebra and bgpd with SIGKILL, by their pid
// files), deletes the namespaces and the scratch
// directory. It is safe to call twice.
func (l *Lab) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	var errs []error
	for _, r := range l.routers {
		// SIGKILL both: bgpd's graceful SIGTERM shutdown takes seconds
		// and zebra 8.4.4 may crash on SIGTERM; nothing of theirs
		// outlives them (their /var/tmp is a private tmpfs).
		stop(filepath.Join(r.Dir, "run", "bgpd.pid"), syscall.SIGKILL)
		stop(filepath.Join(r.Dir, "run", "zebra.pid"), syscall.SIGKILL)
	}
	for i := len(l.netns) - 1; i >= 0; i-- {
		if out, err := exec.Command("ip", "netns", "del", l.netns[i]).CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("ip netns del %s: %v %s", l.netns[i], err, out))
		}
	}
	if err := os.RemoveAll(l.Dir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// stop signals the process in pidfile and waits (up to 2 s, then
// SIGKILL) until it is gone.
func stop(pidfile string, sig syscall.Signal) {
	b, err := os.ReadFile(pidfile)
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		return
	}
	// Only a process that is still the FRR daemon we started.
	if cmd, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err != nil || !strings.Contains(string(cmd), filepath.Dir(pidfile)) {
		return
	}
	syscall.Kill(pid, sig)
	for i := 0; i < 200 && alive(pid); i++ {
		if i == 100 {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// alive reports whether pid runs (a zombie, which whoever adopted the
// daemon has yet to reap, does not).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || (s[i+2] != 'Z' && s[i+2] != 'X')
}

func chownFRR(dir string) error {
	u, err := user.Lookup("frr")
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Chown(p, uid, gid)
	})
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
