package eos

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/railyard/railyard/drivers"
	"github.com/railyard/railyard/internal/fabric"
)

// CommitTimer is how long a commit stays unconfirmed before EOS rolls it
// back by itself (should the driver lose the switch before confirming).
const CommitTimer = "00:05:00"

// Markers are EOS's error lines. Any other line starting with "% " is an
// error too; warnings and notices start with "! ".
var Markers = []string{"% Invalid input", "% Incomplete command", "% Ambiguous command", "% Error"}

// errorLine returns the first error line in output, or "".
func errorLine(output string) string {
	if l := drivers.ErrorLine(output, Markers); l != "" {
		return l
	}
	for _, l := range strings.Split(output, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "% ") {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

// Connect implements drivers.Driver.
func (Driver) Connect(ctx context.Context, t drivers.Target, tr drivers.Transport) (drivers.Conn, error) {
	if tr.CLI == nil {
		return nil, fmt.Errorf("eos: %s: the transport has no CLI", t)
	}
	cli, err := tr.CLI(ctx, t)
	if err != nil {
		return nil, fmt.Errorf("eos: connect %s: %s", t, drivers.Redact(err.Error(), t.Password))
	}
	return &conn{cli: cli, t: t}, nil
}

type conn struct {
	cli drivers.CLI
	t   drivers.Target
	// inConfig is set while the terminal is in a configuration mode.
	inConfig bool
}

func (c *conn) Close() error { return c.cli.Close() }

// run sends one command and fails on a transport error or an error line.
func (c *conn) run(ctx context.Context, cmd string) (string, error) {
	out, err := c.cli.Run(ctx, cmd)
	if err != nil {
		return out, fmt.Errorf("eos: %s: %q: %s", c.t.Device, strings.TrimSpace(cmd), drivers.Redact(err.Error(), c.t.Password))
	}
	if l := errorLine(out); l != "" {
		return out, fmt.Errorf("eos: %s: %q: %s", c.t.Device, strings.TrimSpace(cmd), drivers.Redact(l, c.t.Password))
	}
	return out, nil
}

// Observe implements drivers.Conn with one command, show running-config.
func (c *conn) Observe(ctx context.Context, scope fabric.DeviceConfig) (fabric.DeviceConfig, error) {
	out, err := c.run(ctx, "show running-config")
	if err != nil {
		return fabric.DeviceConfig{}, err
	}
	cfg := parseRunning(out, scope)
	cfg.Device, cfg.Driver, cfg.Fabric, cfg.Kind = scope.Device, Name, scope.Fabric, fabric.EVPNLeaf
	cfg.RouterID, cfg.VTEP = scope.RouterID, scope.VTEP
	return cfg, nil
}

func sessionName() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "railyard-" + hex.EncodeToString(b)
}

// Apply implements drivers.Conn through a configuration session and a
// commit timer (see the package documentation).
func (c *conn) Apply(ctx context.Context, change fabric.Change, desired fabric.DeviceConfig) error {
	if change.Empty() {
		return nil
	}
	body, err := Driver{}.Commands(change, desired)
	if err != nil {
		return err
	}
	name := sessionName()
	if _, err := c.run(ctx, "configure session "+name); err != nil {
		return c.abort(ctx, name, err)
	}
	c.inConfig = true
	for _, cmd := range body {
		if _, err := c.run(ctx, cmd); err != nil {
			return c.abort(ctx, name, err)
		}
	}
	// Back to the top of the session: end leaves it pending, and
	// re-entering it lands at its top level.
	if _, err := c.run(ctx, "end"); err != nil {
		return c.abort(ctx, name, err)
	}
	c.inConfig = false
	if _, err := c.run(ctx, "configure session "+name); err != nil {
		return c.abort(ctx, name, err)
	}
	c.inConfig = true
	diff, err := c.run(ctx, "show session-config diffs")
	if err != nil {
		return c.abort(ctx, name, err)
	}
	if !hasChanges(diff) {
		// The device already holds the change: nothing to commit.
		return c.abort(ctx, name, nil)
	}
	if _, err := c.run(ctx, "commit timer "+CommitTimer); err != nil {
		return c.abort(ctx, name, err)
	}
	c.inConfig = false
	obs, err := c.Observe(ctx, desired)
	if err == nil {
		err = verify(obs, change)
	}
	if err != nil {
		return c.abort(ctx, name, fmt.Errorf("eos: %s: verify before confirming: %w", c.t.Device, err))
	}
	if _, err := c.run(ctx, "configure session "+name+" commit"); err != nil {
		return c.abort(ctx, name, err)
	}
	return nil
}

// hasChanges reports whether show session-config diffs shows a change.
func hasChanges(diff string) bool {
	for _, l := range strings.Split(diff, "\n") {
		if (strings.HasPrefix(l, "+") && !strings.HasPrefix(l, "+++")) || (strings.HasPrefix(l, "-") && !strings.HasPrefix(l, "---")) {
			return true
		}
	}
	return false
}

// abort ends the session from exec mode (rolling back a commit whose
// timer runs) and checks that it is gone. cause is what went wrong;
// abort returns it, or a worse error when the device could not be put
// back.
func (c *conn) abort(ctx context.Context, name string, cause error) error {
	ctx = context.WithoutCancel(ctx)
	var errs []error
	if c.inConfig {
		if _, err := c.run(ctx, "end"); err != nil {
			errs = append(errs, err)
		}
		c.inConfig = false
	}
	if _, err := c.run(ctx, "configure session "+name+" abort"); err != nil && !strings.Contains(err.Error(), "does not exist") {
		errs = append(errs, err)
	}
	out, err := c.run(ctx, "show configuration sessions")
	if err != nil {
		errs = append(errs, err)
	} else if state := sessionState(out, name); state != "" && state != "completed" {
		errs = append(errs, fmt.Errorf("eos: %s: session %s is still %s after abort", c.t.Device, name, state))
	}
	if len(errs) > 0 {
		restore := fmt.Errorf("eos: %s: the device could not be restored: %w", c.t.Device, errors.Join(errs...))
		if cause == nil {
			return restore
		}
		return errors.Join(cause, restore)
	}
	return cause
}

// sessionState finds a session's state in show configuration sessions.
func sessionState(out, name string) string {
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(l), "*"))
		if len(f) >= 2 && f[0] == name {
			return f[1]
		}
	}
	return ""
}

// verify checks that the objects change touches are on the device as
// change wants them.
func verify(obs fabric.DeviceConfig, ch fabric.Change) error {
	var want, got fabric.DeviceConfig
	vrfs, segs, ports := map[string]bool{}, map[int]bool{}, map[string]bool{}
	for _, v := range ch.VRFs {
		if v.New != nil {
			vrfs[v.New.Name] = true
			want.VRFs = append(want.VRFs, *v.New)
		} else {
			vrfs[v.Old.Name] = true
		}
	}
	for _, s := range ch.Segments {
		if s.New != nil {
			segs[s.New.VLAN] = true
			want.Segments = append(want.Segments, *s.New)
		} else {
			segs[s.Old.VLAN] = true
		}
	}
	for _, p := range ch.Ports {
		ports[p.New.Name] = true
		want.Ports = append(want.Ports, p.New)
	}
	for _, v := range obs.VRFs {
		if vrfs[v.Name] {
			got.VRFs = append(got.VRFs, v)
		}
	}
	for _, s := range obs.Segments {
		if segs[s.VLAN] {
			got.Segments = append(got.Segments, s)
		}
	}
	for _, p := range obs.Ports {
		if ports[p.Name] {
			got.Ports = append(got.Ports, p)
		}
	}
	if d := fabric.Diff(got, want); !d.Empty() {
		return fmt.Errorf("the device still differs:\n%s", d)
	}
	return nil
}
