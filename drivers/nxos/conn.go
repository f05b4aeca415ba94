package nxos

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

// Markers are NX-OS's error lines ("% Invalid command at '^' marker.",
// "% Invalid number, range is (1:4094) at '^' marker.", "ERROR: ...").
// Any other line starting with "% " is an error too; "Warning:" lines
// are not.
var Markers = []string{"% Invalid command", "% Incomplete command", "% Invalid number", "% Ambiguous command", "ERROR:", "Error:"}

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
		return nil, fmt.Errorf("nxos: %s: the transport has no CLI", t)
	}
	cli, err := tr.CLI(ctx, t)
	if err != nil {
		return nil, fmt.Errorf("nxos: connect %s: %s", t, drivers.Redact(err.Error(), t.Password))
	}
	return &conn{cli: cli, t: t}, nil
}

type conn struct {
	cli      drivers.CLI
	t        drivers.Target
	inConfig bool
}

func (c *conn) Close() error { return c.cli.Close() }

func (c *conn) run(ctx context.Context, cmd string) (string, error) {
	out, err := c.cli.Run(ctx, cmd)
	if err != nil {
		return out, fmt.Errorf("nxos: %s: %q: %s", c.t.Device, strings.TrimSpace(cmd), drivers.Redact(err.Error(), c.t.Password))
	}
	if l := errorLine(out); l != "" {
		return out, fmt.Errorf("nxos: %s: %q: %s", c.t.Device, strings.TrimSpace(cmd), drivers.Redact(l, c.t.Password))
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

func checkpointName() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "railyard-" + hex.EncodeToString(b)
}

// Apply implements drivers.Conn between a checkpoint and its deletion,
// rolling back to the checkpoint on any error (see the package
// documentation).
func (c *conn) Apply(ctx context.Context, change fabric.Change, desired fabric.DeviceConfig) error {
	if change.Empty() {
		return nil
	}
	body, err := Driver{}.Commands(change, desired)
	if err != nil {
		return err
	}
	cp := checkpointName()
	if _, err := c.run(ctx, "checkpoint "+cp); err != nil {
		// Nothing changed; a checkpoint may or may not exist.
		return c.dropCheckpoint(ctx, cp, err, true)
	}
	if _, err := c.run(ctx, "configure terminal"); err != nil {
		return c.rollback(ctx, cp, err)
	}
	c.inConfig = true
	for _, cmd := range body {
		if _, err := c.run(ctx, cmd); err != nil {
			return c.rollback(ctx, cp, err)
		}
	}
	if _, err := c.run(ctx, "end"); err != nil {
		return c.rollback(ctx, cp, err)
	}
	c.inConfig = false
	obs, err := c.Observe(ctx, desired)
	if err == nil {
		err = verify(obs, change)
	}
	if err != nil {
		return c.rollback(ctx, cp, fmt.Errorf("nxos: %s: verify: %w", c.t.Device, err))
	}
	return c.dropCheckpoint(ctx, cp, nil, false)
}

// rollback puts running-config back to the checkpoint, then deletes it.
func (c *conn) rollback(ctx context.Context, cp string, cause error) error {
	ctx = context.WithoutCancel(ctx)
	var errs []error
	if c.inConfig {
		if _, err := c.run(ctx, "end"); err != nil {
			errs = append(errs, err)
		}
		c.inConfig = false
	}
	out, err := c.run(ctx, "rollback running-config checkpoint "+cp)
	if err == nil && !strings.Contains(out, "Rollback completed successfully") {
		err = fmt.Errorf("nxos: %s: rollback to %s did not report success", c.t.Device, cp)
	}
	if err != nil {
		errs = append(errs, err)
		// Keep the checkpoint: an operator can still roll back to it.
		return errors.Join(cause, fmt.Errorf("nxos: %s: the device could not be restored (checkpoint %s kept): %w", c.t.Device, cp, errors.Join(errs...)))
	}
	if len(errs) > 0 {
		cause = errors.Join(cause, errors.Join(errs...))
	}
	return c.dropCheckpoint(ctx, cp, cause, false)
}

// dropCheckpoint deletes the checkpoint; missingOK when it may not exist.
func (c *conn) dropCheckpoint(ctx context.Context, cp string, cause error, missingOK bool) error {
	ctx = context.WithoutCancel(ctx)
	if _, err := c.run(ctx, "no checkpoint "+cp); err != nil && !(missingOK && strings.Contains(err.Error(), "No checkpoint")) {
		return errors.Join(cause, err)
	}
	return cause
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
