package execcli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/railyard/railyard/drivers"
)

// ExitMarker starts the line Run appends to the output of a command that
// exited with a non-zero status: "% exit status 2".
const ExitMarker = "% exit status "

// Options say where and how commands run.
type Options struct {
	// Netns, when set, runs every command inside that network namespace
	// (`ip netns exec <Netns> sh -c <cmd>`).
	Netns string
	// Vtysh, when set, replaces a leading "vtysh" word of a command
	// ("vtysh -c 'show running-config'" becomes
	// "<Vtysh> -c 'show running-config'").
	Vtysh string
	// Shell is the shell (default "sh").
	Shell string
	// KillDelay is how long a command whose context ended may take to
	// exit after it was killed (default 2s).
	KillDelay time.Duration
}

// CLI runs commands on the local host. It is safe for concurrent use;
// each Run is an independent process.
type CLI struct {
	opt Options
}

// New returns a CLI with the given options.
func New(opt Options) *CLI {
	if opt.Shell == "" {
		opt.Shell = "sh"
	}
	if opt.KillDelay <= 0 {
		opt.KillDelay = 2 * time.Second
	}
	return &CLI{opt: opt}
}

// Transport returns a drivers.Transport whose sessions are CLIs with opt
// (the target is not consulted: the device is this host).
func Transport(opt Options) drivers.Transport {
	return drivers.Transport{CLI: func(ctx context.Context, t drivers.Target) (drivers.CLI, error) {
		return New(opt), nil
	}}
}

// Rewrite returns the command line Run executes for cmd (after the
// vtysh substitution; without the shell and namespace wrapping).
func (c *CLI) Rewrite(cmd string) string {
	if c.opt.Vtysh == "" {
		return cmd
	}
	t := strings.TrimLeft(cmd, " \t")
	if t == "vtysh" || strings.HasPrefix(t, "vtysh ") || strings.HasPrefix(t, "vtysh\t") {
		return c.opt.Vtysh + t[len("vtysh"):]
	}
	return cmd
}

// Run executes one command line and returns its combined stdout and
// stderr; a non-zero exit status adds a last line ExitMarker+N.
func (c *CLI) Run(ctx context.Context, cmd string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	line := c.Rewrite(cmd)
	args := []string{c.opt.Shell, "-c", line}
	if c.opt.Netns != "" {
		args = append([]string{"ip", "netns", "exec", c.opt.Netns}, args...)
	}
	x := exec.CommandContext(ctx, args[0], args[1:]...)
	x.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	x.Cancel = func() error {
		// The whole process group: sh and what it started.
		return syscall.Kill(-x.Process.Pid, syscall.SIGKILL)
	}
	x.WaitDelay = c.opt.KillDelay
	var out bytes.Buffer
	x.Stdout, x.Stderr = &out, &out
	err := x.Run()
	if ctx.Err() != nil {
		return out.String(), fmt.Errorf("%s: %w", firstWord(cmd), ctx.Err())
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		return out.String(), nil
	case errors.As(err, &ee) && ee.Exited():
		s := out.String()
		if s != "" && !strings.HasSuffix(s, "\n") {
			s += "\n"
		}
		return s + fmt.Sprintf("%s%d\n", ExitMarker, ee.ExitCode()), nil
	default:
		return out.String(), fmt.Errorf("run %s: %w", firstWord(cmd), err)
	}
}

// Close does nothing: there is no session to end.
func (c *CLI) Close() error { return nil }

func firstWord(cmd string) string {
	f := strings.Fields(cmd)
	if len(f) == 0 {
		return "(empty command)"
	}
	return f[0]
}
