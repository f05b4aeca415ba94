package cumulus

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/railyard/railyard/drivers"
	"github.com/railyard/railyard/internal/fabric"
)

// ErrorMarkers are the strings that mark an NVUE command as failed.
var ErrorMarkers = []string{"Error:", "Invalid config", "Unknown", "command not found"}

// Connect opens a CLI session and reads the release (nv show system).
func (Driver) Connect(ctx context.Context, t drivers.Target, tr drivers.Transport) (drivers.Conn, error) {
	if tr.CLI == nil {
		return nil, errors.New("cumulus: the transport has no CLI")
	}
	cli, err := tr.CLI(ctx, t)
	if err != nil {
		return nil, fmt.Errorf("cumulus: connect %s: %s", t, drivers.Redact(err.Error(), t.Password))
	}
	c := &conn{t: t, cli: cli}
	out, err := c.run(ctx, "nv show system")
	if err != nil {
		cli.Close()
		return nil, err
	}
	c.version = Release(out)
	c.legacy = Legacy(c.version)
	return c, nil
}

// Release reads the Cumulus Linux release from nv show system ("build
// Cumulus Linux 5.9.1"); "" when it is not there.
func Release(out string) string {
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) >= 4 && f[0] == "build" && f[1] == "Cumulus" && f[2] == "Linux" {
			return f[3]
		}
	}
	return ""
}

// Legacy reports whether a release spells the enable attribute "enable
// on" (before 5.5). An unknown release is taken as current.
func Legacy(version string) bool {
	var maj, min int
	if _, err := fmt.Sscanf(version, "%d.%d", &maj, &min); err != nil {
		return false
	}
	return maj < 5 || (maj == 5 && min < 5)
}

type conn struct {
	t       drivers.Target
	cli     drivers.CLI
	version string
	legacy  bool
}

func (c *conn) Close() error { return c.cli.Close() }

func (c *conn) errorf(format string, a ...any) error {
	return errors.New(drivers.Redact(fmt.Sprintf(format, a...), c.t.Password))
}

func (c *conn) run(ctx context.Context, cmd string) (string, error) {
	out, err := c.cli.Run(ctx, cmd)
	if err != nil {
		return out, c.errorf("cumulus %s: %q: %v", c.t.Device, cmd, err)
	}
	if l := drivers.ErrorLine(out, ErrorMarkers); l != "" {
		return out, c.errorf("cumulus %s: %q: %s", c.t.Device, cmd, strings.TrimSpace(out))
	}
	return out, nil
}

// Observe reads the applied configuration (nv config show -o commands).
func (c *conn) Observe(ctx context.Context, scope fabric.DeviceConfig) (fabric.DeviceConfig, error) {
	out, err := c.run(ctx, "nv config show -o commands")
	if err != nil {
		return fabric.DeviceConfig{}, err
	}
	return Parse(out, scope), nil
}

// Apply stages the commands in the user's pending revision and applies
// it with a confirm window, confirmed once the device says it is
// waiting; on any error the pending revision is detached or the apply
// rolled back.
func (c *conn) Apply(ctx context.Context, ch fabric.Change, desired fabric.DeviceConfig) error {
	cmds, err := Driver{}.Commands(ch, desired)
	if err != nil {
		return err
	}
	if len(cmds) == 0 {
		return nil
	}
	detach := func(cause error) error {
		if _, err := c.run(context.WithoutCancel(ctx), "nv config detach"); err != nil {
			return c.errorf("%v; and detaching the pending revision failed: %v", cause, err)
		}
		return cause
	}
	for _, cmd := range cmds {
		if c.legacy {
			cmd = legacy(cmd)
		}
		if _, err := c.run(ctx, cmd); err != nil {
			return detach(err)
		}
	}
	diff, err := c.run(ctx, "nv config diff -o commands")
	if err != nil {
		return detach(err)
	}
	if strings.TrimSpace(diff) == "" {
		// Nothing to apply: every command was there already.
		return detach(nil)
	}
	out, err := c.run(ctx, "nv config apply --confirm "+ConfirmWindow+" -y")
	if err == nil && !strings.Contains(out, "applied") {
		err = c.errorf("cumulus %s: nv config apply: %s", c.t.Device, strings.TrimSpace(out))
	}
	if err != nil {
		// A refused apply leaves the revision pending; an apply that went
		// through leaves a confirm window, which the device would close
		// by itself. Try both.
		ctx := context.WithoutCancel(ctx)
		if st, e := c.run(ctx, "nv config apply --confirm-status"); e == nil && strings.Contains(st, "waiting for confirmation") {
			if _, e := c.run(ctx, "nv config apply --confirm-no"); e != nil {
				return c.errorf("%v; and rolling back failed (the device rolls back when the %s window ends): %v", err, ConfirmWindow, e)
			}
		}
		return detach(err)
	}
	st, err := c.run(ctx, "nv config apply --confirm-status")
	if err == nil && !strings.Contains(st, "waiting for confirmation") {
		err = c.errorf("cumulus %s: the applied revision is not waiting for confirmation: %s", c.t.Device, strings.TrimSpace(st))
	}
	if err == nil {
		_, err = c.run(ctx, "nv config apply --confirm-yes")
	}
	if err != nil {
		if _, e := c.run(context.WithoutCancel(ctx), "nv config apply --confirm-no"); e != nil {
			return c.errorf("%v; and rolling back failed (the device rolls back when the %s window ends): %v", err, ConfirmWindow, e)
		}
		return err
	}
	return nil
}
