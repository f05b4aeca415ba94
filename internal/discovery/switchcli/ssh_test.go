package switchcli

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/railyard/railyard/internal/discovery"
	"github.com/railyard/railyard/internal/model"
)

// requireLab skips the test unless this machine can host the loopback
// lab (root, sshd, FRR, lldpd, iproute2, util-linux); with CI set it
// fails instead, so that CI cannot silently lose the test.
func requireLab(t *testing.T) {
	t.Helper()
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root")
	}
	for _, b := range []string{"/usr/sbin/sshd", "ssh-keygen", "/usr/lib/frr/zebra", "vtysh", "lldpd", "lldpcli", "ip", "unshare", "nsenter"} {
		if _, err := exec.LookPath(b); err != nil {
			missing = append(missing, b)
		}
	}
	if len(missing) == 0 {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("CI is set but the SSH/FRR lab cannot run here: missing %s", strings.Join(missing, ", "))
	}
	t.Skipf("SSH/FRR lab needs %s", strings.Join(missing, ", "))
}

// lab is a Linux host running FRR and lldpd in its own network namespace
// (A), cabled by two veth pairs to a neighbour namespace (B) running
// lldpd, and an sshd on 127.0.0.1 that logs root in with a throwaway key.
//
//	A: swp1 <-> p1 :B   (B's port id is its ifname: p1 has an alias)
//	A: swp2 <-> p2 :B   (no alias: lldpd sends the MAC as port id)
type lab struct {
	dir              string
	sshPort          int
	key, wrongKey    string
	lldpA, lldpB     string
	pidA, pidB       int
	chassisA         string
	chassisB         string
	macP2            string
	macSwp1, macSwp2 string
}

func startLab(t *testing.T) *lab {
	t.Helper()
	dir, err := os.MkdirTemp("", "switchcli-lab-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	// zebra and lldpd drop to their own users: they need to reach dir.
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	l := &lab{dir: dir, lldpA: filepath.Join(dir, "lldpd-a.sock"), lldpB: filepath.Join(dir, "lldpd-b.sock")}

	// Two namespaces, each held by a sleeping process (they vanish with
	// their last process).
	l.pidA = start(t, "holder-a", "unshare", "--net", "--uts", "sleep", "300")
	l.pidB = start(t, "holder-b", "unshare", "--net", "--uts", "sleep", "300")
	waitFor(t, 5*time.Second, "namespaces", func() error {
		for _, p := range []int{l.pidA, l.pidB} {
			self, _ := os.Readlink("/proc/self/ns/net")
			ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", p))
			if err != nil || ns == self {
				return fmt.Errorf("pid %d not in its own netns yet", p)
			}
		}
		return nil
	})
	inNS := func(pid int, flags string, args ...string) string {
		return run(t, "nsenter", append([]string{"-t", strconv.Itoa(pid), flags, "--"}, args...)...)
	}
	inNS(l.pidB, "-u", "hostname", "spine-lab")
	inNS(l.pidA, "-u", "hostname", "frr-lab")
	b := strconv.Itoa(l.pidB)
	inNS(l.pidA, "-n", "sh", "-ec", "ip link set lo up; "+
		"ip link add swp1 type veth peer name p1 netns "+b+"; "+
		"ip link add swp2 type veth peer name p2 netns "+b+"; "+
		"ip link set swp1 up; ip link set swp2 up")
	inNS(l.pidB, "-n", "sh", "-ec", "ip link set lo up; ip link set p1 alias 'uplink to frr-lab'; ip link set p1 up; ip link set p2 up")
	// (/sys shows the test's own namespace: ask ip.)
	mac := func(pid int, dev string) string {
		f := strings.Fields(inNS(pid, "-n", "ip", "-o", "link", "show", "dev", dev))
		for i := range f[:len(f)-1] {
			if f[i] == "link/ether" {
				return f[i+1]
			}
		}
		t.Fatalf("no MAC for %s", dev)
		return ""
	}
	l.macP2, l.macSwp1, l.macSwp2 = mac(l.pidB, "p2"), mac(l.pidA, "swp1"), mac(l.pidA, "swp2")

	// zebra in A with its sockets in dir, so that nothing touches
	// /run/frr; vtysh reaches it with --vty_socket.
	conf := filepath.Join(dir, "frr.conf")
	if err := os.WriteFile(conf, []byte("frr defaults traditional\n!\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	start(t, "zebra", "nsenter", "-t", strconv.Itoa(l.pidA), "-n", "--",
		"/usr/lib/frr/zebra", "--vty_socket", dir, "-z", filepath.Join(dir, "zserv.api"),
		"-i", filepath.Join(dir, "zebra.pid"), "-f", conf, "--log", "stdout", "--log-level", "warn")
	// lldpd in both namespaces, ignoring the system configuration.
	empty := filepath.Join(dir, "lldpd.conf")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	start(t, "lldpd-a", "nsenter", "-t", strconv.Itoa(l.pidA), "-n", "-u", "--", "lldpd", "-d", "-O", empty, "-u", l.lldpA)
	start(t, "lldpd-b", "nsenter", "-t", strconv.Itoa(l.pidB), "-n", "-u", "--", "lldpd", "-d", "-O", empty, "-u", l.lldpB)
	waitFor(t, 10*time.Second, "zebra", func() error {
		_, err := exec.Command("vtysh", "--vty_socket", dir, "-c", "show version").CombinedOutput()
		return err
	})
	waitFor(t, 20*time.Second, "LLDP neighbours", func() error {
		exec.Command("lldpcli", "-u", l.lldpB, "update").Run() //nolint:errcheck
		exec.Command("lldpcli", "-u", l.lldpA, "update").Run() //nolint:errcheck
		out, err := exec.Command("lldpcli", "-u", l.lldpA, "-f", "json", "show", "neighbors", "details").Output()
		if err != nil {
			return err
		}
		n, err := parseLLDPDNeighbors("lldpcli", string(out))
		if err != nil || len(n) < 2 {
			st, _ := exec.Command("lldpcli", "-u", l.lldpA, "show", "statistics").CombinedOutput()
			ifs, _ := exec.Command("lldpcli", "-u", l.lldpB, "show", "interfaces").CombinedOutput()
			return fmt.Errorf("%d neighbours (%v)\n%s\n%s", len(n), err, st, ifs)
		}
		return nil
	})
	for sock, dst := range map[string]*string{l.lldpA: &l.chassisA, l.lldpB: &l.chassisB} {
		out, err := exec.Command("lldpcli", "-u", sock, "-f", "json", "show", "chassis").Output()
		if err != nil {
			t.Fatal(err)
		}
		if *dst, err = parseLLDPDChassis("lldpcli", string(out)); err != nil {
			t.Fatal(err)
		}
	}

	// sshd on loopback: a temporary host key, root by key only, the
	// authorised key in dir.
	l.key = filepath.Join(dir, "id_ed25519")
	l.wrongKey = filepath.Join(dir, "id_wrong")
	hostKey := filepath.Join(dir, "ssh_host_ed25519_key")
	for _, k := range []string{l.key, l.wrongKey, hostKey} {
		run(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "switchcli-test", "-f", k)
	}
	pub, err := os.ReadFile(l.key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), pub, 0o600); err != nil {
		t.Fatal(err)
	}
	// sshd refuses to start without its privilege separation directory.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatal(err)
	}
	l.sshPort = freePort(t)
	cfg := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(cfg, []byte(strings.Join([]string{
		"ListenAddress 127.0.0.1",
		"HostKey " + hostKey,
		"PidFile " + filepath.Join(dir, "sshd.pid"),
		"AuthorizedKeysFile " + filepath.Join(dir, "authorized_keys"),
		"PermitRootLogin yes",
		"PubkeyAuthentication yes",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"UsePAM no",
		"StrictModes no", // dir is under world-writable /tmp
		"PrintMotd no",
		"PrintLastLog no",
		"LogLevel ERROR",
		"",
	}, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	start(t, "sshd", "/usr/sbin/sshd", "-D", "-e", "-f", cfg, "-p", strconv.Itoa(l.sshPort))
	waitFor(t, 5*time.Second, "sshd", func() error {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", l.sshPort), time.Second)
		if err == nil {
			c.Close()
		}
		return err
	})
	return l
}

func (l *lab) target(t *testing.T) discovery.Target {
	t.Helper()
	q := url.Values{"vty_socket": {l.dir}, "lldpd_socket": {l.lldpA}}
	tg, err := discovery.ParseTarget(fmt.Sprintf("ssh+frr://127.0.0.1:%d?%s", l.sshPort, q.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// TestSSHFRR discovers a real FRR/Linux host over real SSH.
func TestSSHFRR(t *testing.T) {
	requireLab(t)
	l := startLab(t)

	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	ver, err := exec.Command("vtysh", "--vty_socket", l.dir, "-c", "show version").Output()
	if err != nil {
		t.Fatal(err)
	}
	m := frrBannerRe.FindStringSubmatch(strings.SplitN(string(ver), "\n", 2)[0])
	if m == nil {
		t.Fatalf("vtysh banner %q", ver)
	}
	want := model.SwitchFacts{
		// vtysh runs in the SSH session, on the host: its banner names
		// the host, not the namespace's UTS name.
		Name: host, OS: "FRRouting", Version: m[1], Description: m[0],
		ChassisID: l.chassisA,
		Ports: []model.PortFacts{
			{Name: "swp1", SpeedGbps: 10, Up: true, MAC: l.macSwp1},
			{Name: "swp2", SpeedGbps: 10, Up: true, MAC: l.macSwp2},
		},
		Neighbors: []model.LLDPNeighbor{
			{LocalPort: "swp1", ChassisID: l.chassisB, PortID: "p1", PortDesc: "uplink to frr-lab", SysName: "spine-lab"},
			{LocalPort: "swp2", ChassisID: l.chassisB, PortID: l.macP2, PortIDIsMAC: true, PortDesc: "p2", SysName: "spine-lab"},
		},
		Missing: []string{"vendor", "model", "serial"},
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var chlog bytes.Buffer
	src := New(Options{PrivateKeyFile: l.key, Timeout: 20 * time.Second, ChannelLog: &chlog})
	defer func() {
		if t.Failed() {
			t.Logf("session:\n%q", chlog.String())
		}
	}()
	start := time.Now()
	obs, err := src.Discover(ctx, l.target(t), discovery.Credentials{Username: "root"})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("discovered over SSH in %v", time.Since(start).Round(time.Millisecond))
	if d := cmp.Diff(want, obs.Switches[0]); d != "" {
		t.Errorf("SSH discovery mismatch (-want +got):\n%s", d)
	}

	t.Run("wrong key", func(t *testing.T) {
		_, err := New(Options{PrivateKeyFile: l.wrongKey, Timeout: 10 * time.Second}).
			Discover(ctx, l.target(t), discovery.Credentials{Username: "root"})
		if k := discovery.KindOf(err); k != discovery.Unauthorized {
			t.Errorf("kind %s, want unauthorized: %v", k, err)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		_, err := New(Options{Timeout: 10 * time.Second}).
			Discover(ctx, l.target(t), discovery.Credentials{Username: "root", Password: "hunter2"})
		if k := discovery.KindOf(err); k != discovery.Unauthorized {
			t.Errorf("kind %s, want unauthorized: %v", k, err)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error leaks the password: %v", err)
		}
	})
	t.Run("daemons down", func(t *testing.T) {
		// vtysh pointed at an empty socket directory answers "failed to
		// connect to any daemons": malformed, not a hang.
		tg := l.target(t)
		tg.Params.Set("vty_socket", filepath.Join(l.dir, "nothing-here"))
		_, err := src.Discover(ctx, tg, discovery.Credentials{Username: "root"})
		if k := discovery.KindOf(err); k != discovery.Malformed {
			t.Errorf("kind %s, want malformed: %v", k, err)
		}
	})
}

// start runs a long-lived process in its own process group and arranges
// for the whole group to be killed and reaped at cleanup.
func start(t *testing.T, name string, bin string, args ...string) int {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }() //nolint:errcheck
	t.Cleanup(func() {
		pgid := cmd.Process.Pid
		syscall.Kill(-pgid, syscall.SIGTERM) //nolint:errcheck
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			syscall.Kill(-pgid, syscall.SIGKILL) //nolint:errcheck
			<-done
		}
		if t.Failed() && out.Len() > 0 {
			t.Logf("%s output:\n%s", name, out.String())
		}
	})
	return cmd.Process.Pid
}

func run(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", bin, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func waitFor(t *testing.T, d time.Duration, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
