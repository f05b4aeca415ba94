package sonic

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-cmp/cmp"
	"github.com/railyard/railyard/drivers"
	"github.com/railyard/railyard/internal/fabric"
)

// Markers are the strings that, anywhere in a command's output, mean the
// command failed: click's usage banner and "Error:", FRR's "% ..."
// refusals, zebra's and bgpd's unprefixed ones, and bash's. Removing
// what is already gone is not a failure: FRR's "% Can't find BGP
// instance", "VNI doesn't exist" and "% Specified VNI does not exist"
// are not markers (the driver puts those removals last in their vtysh
// invocation, so nothing after them is skipped).
var Markers = []string{
	"Error:", "Usage:", "% Unknown command", "% Invalid", "% Command incomplete", "% Ambiguous command",
	"% Malformed", "% Only inactive", "% Please unconfigure", "% Failed",
	"AS number mismatch", "is already configured", "Root privileges are required",
	"command not found", "Traceback (most recent call last)",
}

const (
	showConfigDB = "show runningconfiguration all"
	showFRR      = "vtysh -c 'show running-config'"
)

// Connect opens a CLI session (bash on the switch) to the target.
func (Driver) Connect(ctx context.Context, t drivers.Target, tr drivers.Transport) (drivers.Conn, error) {
	if tr.CLI == nil {
		return nil, fmt.Errorf("sonic: %s: the transport has no CLI", t)
	}
	cli, err := tr.CLI(ctx, t)
	if err != nil {
		return nil, errors.New(drivers.Redact(fmt.Sprintf("sonic: connect %s: %v", t, err), t.Password))
	}
	return &conn{t: t, cli: cli}, nil
}

type conn struct {
	t   drivers.Target
	cli drivers.CLI
}

func (c *conn) Close() error { return c.cli.Close() }

func (c *conn) errorf(format string, a ...any) error {
	return errors.New(drivers.Redact(fmt.Sprintf("sonic: %s: ", c.t.Device)+fmt.Sprintf(format, a...), c.t.Password))
}

// run sends one command and fails when the session fails or the output
// carries an error marker.
func (c *conn) run(ctx context.Context, cmd string) (string, error) {
	out, err := c.cli.Run(ctx, cmd)
	if err != nil {
		return out, c.errorf("%s: %v", cmd, err)
	}
	if l := drivers.ErrorLine(out, Markers); l != "" {
		return out, c.errorf("%s: %s", cmd, l)
	}
	return out, nil
}

// snapshot is what the switch printed for the managed state.
type snapshot struct {
	raw string
	cfg fabric.DeviceConfig
}

func (c *conn) read(ctx context.Context, ports []string) (snapshot, error) {
	js, err := c.cli.Run(ctx, showConfigDB)
	if err != nil {
		return snapshot{}, c.errorf("%s: %v", showConfigDB, err)
	}
	db, err := ParseConfigDB(js)
	if err != nil {
		return snapshot{}, c.errorf("%v", err)
	}
	frr, err := c.run(ctx, showFRR)
	if err != nil {
		return snapshot{}, err
	}
	return snapshot{raw: js + frr, cfg: Build(db, ParseFRR(frr), ports)}, nil
}

func portNames(cfg fabric.DeviceConfig, ch fabric.Change) []string {
	var ns []string
	for _, p := range cfg.Ports {
		ns = append(ns, p.Name)
	}
	for _, p := range ch.Ports {
		ns = append(ns, p.New.Name)
	}
	slices.Sort(ns)
	return slices.Compact(ns)
}

// Observe reads the managed state of the switch.
func (c *conn) Observe(ctx context.Context, scope fabric.DeviceConfig) (fabric.DeviceConfig, error) {
	s, err := c.read(ctx, portNames(scope, fabric.Change{}))
	if err != nil {
		return fabric.DeviceConfig{}, err
	}
	s.cfg.Device, s.cfg.Driver, s.cfg.Kind = scope.Device, Name, fabric.EVPNLeaf
	return s.cfg, nil
}

// Apply makes change as a compensating transaction (see the package
// documentation).
func (c *conn) Apply(ctx context.Context, ch fabric.Change, desired fabric.DeviceConfig) error {
	if ch.Empty() {
		return nil
	}
	cmds, err := Driver{}.Commands(ch, desired)
	if err != nil {
		return err
	}
	ports := portNames(desired, ch)
	before, err := c.read(ctx, ports)
	if err != nil {
		return err
	}
	cp := "ry-" + desired.Hash()
	if _, err := c.run(ctx, clickCmd("checkpoint", cp)); err != nil {
		return err
	}
	err = c.send(ctx, cmds)
	if err != nil {
		if rerr := c.restore(ctx, before, ports, desired.ASN); rerr != nil {
			err = fmt.Errorf("%w; %w", err, rerr)
		} else {
			err = fmt.Errorf("%w (the switch was restored to its state before the apply)", err)
		}
	}
	if _, derr := c.run(ctx, clickCmd("delete-checkpoint", cp)); derr != nil && err == nil {
		err = derr
	}
	return err
}

func (c *conn) send(ctx context.Context, cmds []string) error {
	for _, cmd := range cmds {
		if _, err := c.run(ctx, cmd); err != nil {
			return err
		}
	}
	return nil
}

// restore undoes a partial apply: it reads where the switch stopped,
// sends the commands that lead back to before, and checks that the
// switch prints what it printed before.
func (c *conn) restore(ctx context.Context, before snapshot, ports []string, asn uint32) error {
	ctx = context.WithoutCancel(ctx)
	now, err := c.read(ctx, ports)
	if err != nil {
		return fmt.Errorf("could not restore the switch: %w", err)
	}
	back := before.cfg.Clone()
	back.ASN = asn
	if err := c.send(ctx, commands(fabric.Diff(now.cfg, back), asn)); err != nil {
		return fmt.Errorf("could not restore the switch: %w", err)
	}
	after, err := c.read(ctx, ports)
	if err != nil {
		return fmt.Errorf("could not verify the restore: %w", err)
	}
	if d := cmp.Diff(before.cfg, after.cfg); d != "" {
		return c.errorf("the switch was not restored; its managed state differs from before the apply (-before +after):\n%s", d)
	}
	if before.raw != after.raw {
		return c.errorf("the switch was not restored; its running configuration differs from before the apply:\n%s", lineDiff(before.raw, after.raw))
	}
	return nil
}

// lineDiff lists the lines only one of a and b has.
func lineDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out []string
	for _, l := range al {
		if !slices.Contains(bl, l) {
			out = append(out, "- "+l)
		}
	}
	for _, l := range bl {
		if !slices.Contains(al, l) {
			out = append(out, "+ "+l)
		}
	}
	if len(out) > 20 {
		out = append(out[:20], "...")
	}
	return strings.Join(out, "\n")
}
