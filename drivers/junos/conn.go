package junos

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/railyard/railyard/drivers"
	"github.com/railyard/railyard/internal/fabric"
)

// ErrorMarkers are the strings that mark a Junos command as failed, even
// when the session carried on.
var ErrorMarkers = []string{"error:", "syntax error", "unknown command", "missing argument"}

// Connect opens a CLI session to the device.
func (Driver) Connect(ctx context.Context, t drivers.Target, tr drivers.Transport) (drivers.Conn, error) {
	if tr.CLI == nil {
		return nil, errors.New("junos: the transport has no CLI")
	}
	cli, err := tr.CLI(ctx, t)
	if err != nil {
		return nil, fmt.Errorf("junos: connect %s: %s", t, drivers.Redact(err.Error(), t.Password))
	}
	return &conn{t: t, cli: cli}, nil
}

type conn struct {
	t   drivers.Target
	cli drivers.CLI
}

func (c *conn) Close() error { return c.cli.Close() }

// errorf builds an error that never shows the password.
func (c *conn) errorf(format string, a ...any) error {
	return errors.New(drivers.Redact(fmt.Sprintf(format, a...), c.t.Password))
}

// run sends one command and fails on a transport error or an error
// marker in what the device printed.
func (c *conn) run(ctx context.Context, cmd string) (string, error) {
	out, err := c.cli.Run(ctx, cmd)
	if err != nil {
		return out, c.errorf("junos %s: %q: %v", c.t.Device, cmd, err)
	}
	if l := drivers.ErrorLine(out, ErrorMarkers); l != "" {
		return out, c.errorf("junos %s: %q: %s", c.t.Device, cmd, strings.TrimSpace(out))
	}
	return out, nil
}

// Observe reads the active configuration (show configuration | display
// set) and returns what Railyard owns on it and the scope's ports.
func (c *conn) Observe(ctx context.Context, scope fabric.DeviceConfig) (fabric.DeviceConfig, error) {
	out, err := c.run(ctx, "show configuration | display set")
	if err != nil {
		return fabric.DeviceConfig{}, err
	}
	return Parse(out, scope), nil
}

// Apply makes the change in one configure exclusive session with commit
// confirmed; on any error the device is put back as it was.
func (c *conn) Apply(ctx context.Context, ch fabric.Change, desired fabric.DeviceConfig) error {
	cmds, err := Driver{}.Commands(ch, desired)
	if err != nil {
		return err
	}
	if len(cmds) == 0 {
		return nil
	}
	if _, err := c.run(ctx, "configure exclusive"); err != nil {
		// Not in configuration mode: nothing to undo.
		return err
	}
	// abort discards the candidate and leaves configuration mode.
	abort := func(cause error) error {
		ctx := context.WithoutCancel(ctx)
		var errs []error
		if _, err := c.run(ctx, "rollback 0"); err != nil {
			errs = append(errs, err)
		}
		if _, err := c.run(ctx, "exit configuration-mode"); err != nil {
			errs = append(errs, err)
		}
		if len(errs) > 0 {
			return c.errorf("%v; and restoring the device failed: %v", cause, errors.Join(errs...))
		}
		return cause
	}
	for _, cmd := range cmds {
		if _, err := c.run(ctx, cmd); err != nil {
			return abort(err)
		}
	}
	diff, err := c.run(ctx, "show | compare")
	if err != nil {
		return abort(err)
	}
	if strings.TrimSpace(diff) == "" {
		// Every statement was there already.
		return abort(nil)
	}
	out, err := c.run(ctx, "commit check")
	if err == nil && !strings.Contains(out, "configuration check succeeds") {
		err = c.errorf("junos %s: commit check: %s", c.t.Device, strings.TrimSpace(out))
	}
	if err != nil {
		return abort(err)
	}
	out, err = c.run(ctx, fmt.Sprintf("commit confirmed %d", ConfirmMinutes))
	if err == nil && !strings.Contains(out, "commit complete") {
		err = c.errorf("junos %s: commit confirmed: %s", c.t.Device, strings.TrimSpace(out))
	}
	if err != nil {
		return abort(err)
	}
	out, err = c.run(ctx, "commit")
	if err == nil && !strings.Contains(out, "commit complete") {
		err = c.errorf("junos %s: confirming commit: %s", c.t.Device, strings.TrimSpace(out))
	}
	if err != nil {
		// The confirmed commit is active: put the previous one back now
		// rather than wait for the timer.
		ctx := context.WithoutCancel(ctx)
		var errs []error
		for _, cmd := range []string{"rollback 1", "commit", "exit configuration-mode"} {
			if _, e := c.run(ctx, cmd); e != nil {
				errs = append(errs, e)
			}
		}
		if len(errs) > 0 {
			return c.errorf("%v; and rolling back failed (the device reverts when the %d-minute commit confirmed window ends): %v", err, ConfirmMinutes, errors.Join(errs...))
		}
		return err
	}
	if _, err := c.run(ctx, "exit configuration-mode"); err != nil {
		return err
	}
	return nil
}
