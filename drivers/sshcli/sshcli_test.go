package sshcli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/railyard/railyard/drivers"
)

func TestPlatform(t *testing.T) {
	for _, c := range []struct{ driver, want, err string }{
		{"eos", "arista_eos", ""},
		{"nxos", "cisco_nxos", ""},
		{"junos", "juniper_junos", ""},
		{"cumulus", "cumulus_linux", ""},
		{"sonic", "linux_shell", ""},
		{"frr", "linux_shell", ""},
		{"opensm", "linux_shell", ""},
		{"EOS", "arista_eos", ""},
		{"ufm", "", `no SSH platform for driver "ufm"`},
	} {
		got, err := Platform(c.driver)
		if got != c.want || (err == nil) != (c.err == "") || err != nil && !strings.Contains(err.Error(), c.err) {
			t.Errorf("Platform(%q) = %q, %v; want %q, %q", c.driver, got, err, c.want, c.err)
		}
	}
}

func TestHostPort(t *testing.T) {
	type hp struct {
		Host string
		Port int
		Err  bool
	}
	for _, c := range []struct {
		addr string
		want hp
	}{
		{"leaf1", hp{"leaf1", 22, false}},
		{"leaf1:2222", hp{"leaf1", 2222, false}},
		{"10.0.0.1", hp{"10.0.0.1", 22, false}},
		{"[fd00::1]:830", hp{"fd00::1", 830, false}},
		{"fd00::1", hp{"fd00::1", 22, false}},
		{"leaf1:ssh", hp{Err: true}},
		{"leaf1:0", hp{Err: true}},
		{":22", hp{Err: true}},
		{"", hp{Err: true}},
	} {
		h, p, err := hostPort(c.addr)
		if d := cmp.Diff(c.want, hp{h, p, err != nil}); d != "" {
			t.Errorf("hostPort(%q) (-want +got):\n%s", c.addr, d)
		}
	}
}

// requireSSHD skips unless this machine can run a throwaway sshd that
// logs root in (root, sshd, ssh-keygen); with CI set it fails instead.
func requireSSHD(t *testing.T) {
	t.Helper()
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root")
	}
	for _, b := range []string{"/usr/sbin/sshd", "ssh-keygen", "bash"} {
		if _, err := exec.LookPath(b); err != nil {
			missing = append(missing, b)
		}
	}
	if len(missing) == 0 {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("CI is set but the loopback sshd cannot run here: missing %s", strings.Join(missing, ", "))
	}
	t.Skipf("the loopback sshd test needs %s", strings.Join(missing, ", "))
}

type sshd struct {
	addr string
	key  string // root's private key
}

// startSSHD runs sshd on 127.0.0.1 with a temporary host key; root logs
// in with a temporary key, or with a password (which never matches:
// root's password is not ours to know).
func startSSHD(t *testing.T) sshd {
	t.Helper()
	dir := t.TempDir()
	key, hostKey := filepath.Join(dir, "id_ed25519"), filepath.Join(dir, "host_ed25519")
	for _, k := range []string{key, hostKey} {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "sshcli-test", "-f", k).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
	}
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), pub, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil { // privilege separation directory
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cfg := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(cfg, []byte(strings.Join([]string{
		"ListenAddress 127.0.0.1",
		"HostKey " + hostKey,
		"PidFile " + filepath.Join(dir, "sshd.pid"),
		"AuthorizedKeysFile " + filepath.Join(dir, "authorized_keys"),
		"PermitRootLogin yes",
		"PubkeyAuthentication yes",
		"PasswordAuthentication yes",
		"KbdInteractiveAuthentication no",
		"UsePAM no",
		"StrictModes no",
		"PrintMotd no",
		"PrintLastLog no",
		"LogLevel ERROR",
		"",
	}, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/usr/sbin/sshd", "-D", "-e", "-f", cfg, "-p", strconv.Itoa(port))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("sshd: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }() //nolint:errcheck
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) //nolint:errcheck // our own process group
		select {
		case <-exited:
		case <-time.After(3 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) //nolint:errcheck
			<-exited
		}
		if t.Failed() {
			t.Logf("sshd:\n%s", out.String())
		}
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshd does not listen: %v\n%s", err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return sshd{addr: addr, key: key}
}

const secret = "n0t-r00ts-Passw0rd"

// TestSSH runs shell commands through a real SSH session.
func TestSSH(t *testing.T) {
	requireSSHD(t)
	s := startSSHD(t)
	var chlog bytes.Buffer
	defer func() {
		if t.Failed() {
			t.Logf("session:\n%q", chlog.String())
		}
	}()
	m := &drivers.Meter{}
	tr := m.Wrap(Transport(WithPlatform("frr"), WithPrivateKeyFile(s.key), WithTimeout(10*time.Second), WithChannelLog(&chlog)))
	tgt := drivers.Target{Device: "host1", Address: s.addr, Username: "root"}
	ctx := context.Background()
	cli, err := tr.CLI(ctx, tgt)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()

	for _, c := range []struct{ cmd, want string }{
		{"echo hello", "hello"},
		{"printf 'a\\nb\\n'", "a\nb"},
		{"false; echo rc=$?", "rc=1"},
		{"ls /nonexistent-railyard-path", "ls: cannot access '/nonexistent-railyard-path': No such file or directory"},
		{"cd /tmp && pwd", "/tmp"},
		{"pwd", "/tmp"}, // one session: state carries over
		{"echo done", "done"},
	} {
		out, err := cli.Run(ctx, c.cmd)
		if err != nil {
			t.Fatalf("%q: %v", c.cmd, err)
		}
		if got := strings.TrimSpace(out); got != c.want {
			t.Errorf("%q: got %q, want %q", c.cmd, got, c.want)
		}
	}
	if n := m.Calls()["host1"]; n != 7 {
		t.Errorf("meter counted %d commands, want 7", n)
	}

	// A context that ends mid-command ends the session.
	tctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = cli.Run(tctx, "sleep 5")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("sleep past the deadline: %v", err)
	}
	if el := time.Since(start); el > 4*time.Second {
		t.Errorf("Run returned %v after the deadline", el)
	}
	if _, err := cli.Run(ctx, "echo again"); err == nil || !strings.Contains(err.Error(), "unusable") {
		t.Errorf("Run after a timed-out command: %v", err)
	}
}

func TestSSHWrongPassword(t *testing.T) {
	requireSSHD(t)
	s := startSSHD(t)
	tgt := drivers.Target{Device: "host1", Address: s.addr, Username: "root", Password: secret}
	_, err := Dial(context.Background(), tgt, WithTimeout(10*time.Second))
	if err == nil {
		t.Fatal("login with a wrong password succeeded")
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("error shows the password: %v", err)
	}
	if !strings.Contains(err.Error(), "authentication refused") {
		t.Errorf("error does not say the login was refused: %v", err)
	}
}

func TestDialErrors(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	for _, c := range []struct {
		name string
		tgt  drivers.Target
		opts []Option
		want string
	}{
		{"nothing listening", drivers.Target{Device: "x", Address: closed, Username: "root", Password: secret}, nil, "login"},
		{"no username", drivers.Target{Device: "x", Address: closed}, nil, "no username"},
		{"unknown platform", drivers.Target{Device: "x", Address: closed, Username: "root"}, []Option{WithPlatform("ufm")}, "no SSH platform"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, err := Dial(ctx, c.tgt, append(c.opts, WithDialTimeout(2*time.Second))...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error with %q", err, c.want)
			}
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}
