package execcli

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/railyard/railyard/drivers"
)

func TestRun(t *testing.T) {
	for _, tc := range []struct {
		name, cmd, want string
	}{
		{"stdout", "echo hello", "hello\n"},
		{"stderr is combined", "echo out; echo err >&2", "out\nerr\n"},
		{"exit status is reported", "echo oops; exit 3", "oops\n% exit status 3\n"},
		{"exit status without output", "false", "% exit status 1\n"},
		{"missing newline", "printf partial; exit 2", "partial\n% exit status 2\n"},
		{"success is silent", "true", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := New(Options{}).Run(context.Background(), tc.cmd)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("Run(%q) (-want +got):\n%s", tc.cmd, d)
			}
		})
	}
}

func TestRewrite(t *testing.T) {
	c := New(Options{Vtysh: "vtysh --vty_socket /run/x"})
	for _, tc := range []struct{ in, want string }{
		{"vtysh -c 'show running-config'", "vtysh --vty_socket /run/x -c 'show running-config'"},
		{"vtysh", "vtysh --vty_socket /run/x"},
		{"  vtysh -c x", "vtysh --vty_socket /run/x -c x"},
		{"vtyshx -c x", "vtyshx -c x"},
		{"ip link show", "ip link show"},
		{"echo vtysh", "echo vtysh"},
	} {
		if got := c.Rewrite(tc.in); got != tc.want {
			t.Errorf("Rewrite(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := New(Options{}).Rewrite("vtysh -c x"); got != "vtysh -c x" {
		t.Errorf("no rewrite configured, got %q", got)
	}
}

func TestRunUsesRewrittenVtysh(t *testing.T) {
	// "vtysh" becomes a shell function call here, so the test needs no FRR.
	c := New(Options{Vtysh: "printf '%s|' called"})
	got, err := c.Run(context.Background(), "vtysh -c 'show version'")
	if err != nil {
		t.Fatal(err)
	}
	if want := "called|-c|show version|"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestContextEnds(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := New(Options{KillDelay: time.Second}).Run(ctx, "sleep 5 & sleep 5; wait")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Run took %v after its context ended", d)
	}
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if _, err := New(Options{}).Run(ctx, "true"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: err = %v", err)
	}
}

func TestCannotStart(t *testing.T) {
	_, err := New(Options{Shell: "/nonexistent/shell"}).Run(context.Background(), "true")
	if err == nil {
		t.Fatal("a shell that does not exist gave no error")
	}
	if !strings.Contains(err.Error(), "run true") {
		t.Errorf("error does not name the command: %v", err)
	}
}

func TestTransport(t *testing.T) {
	tr := Transport(Options{})
	c, err := tr.CLI(context.Background(), drivers.Target{Device: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	out, err := c.Run(context.Background(), "echo ok")
	if err != nil || out != "ok\n" {
		t.Errorf("Run = %q, %v", out, err)
	}
}

func TestNetns(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a network namespace")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2")
	}
	ns := "ryfr-execcli-test"
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Skipf("cannot create a network namespace: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	got, err := New(Options{Netns: ns}).Run(context.Background(), "ip -o link show | wc -l")
	if err != nil {
		t.Fatal(err)
	}
	// A fresh namespace has only its loopback.
	if strings.TrimSpace(got) != "1" {
		t.Errorf("links in the namespace: %q, want 1", got)
	}
	got, _ = New(Options{Netns: "ryfr-execcli-missing"}).Run(context.Background(), "true")
	if !strings.Contains(got, ExitMarker) {
		t.Errorf("a missing namespace was not reported: %q", got)
	}
}
