package opensm

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/railyard/railyard/drivers"
	"github.com/railyard/railyard/internal/fabric"
)

// Markers are what bash and coreutils print when a command fails.
var Markers = []string{
	"No such file or directory", "Permission denied", "No such process", "Operation not permitted",
	"cannot ", "command not found", "usage:", "invalid option", "Read-only file system",
	"No space left on device", "arguments must be", "Is a directory", "syntax error", "unexpected EOF",
	"invalid signal", "not supported",
}

// Connect opens a shell on the OpenSM host.
func (Driver) Connect(ctx context.Context, t drivers.Target, tr drivers.Transport) (drivers.Conn, error) {
	if tr.CLI == nil {
		return nil, fmt.Errorf("opensm: %s: the transport has no CLI", t)
	}
	cli, err := tr.CLI(ctx, t)
	if err != nil {
		return nil, errors.New(drivers.Redact(fmt.Sprintf("opensm: connect %s: %v", t, err), t.Password))
	}
	path := t.Address
	if path == "" {
		path = DefaultPath
	}
	return &conn{t: t, cli: cli, path: path}, nil
}

type conn struct {
	t    drivers.Target
	cli  drivers.CLI
	path string
}

func (c *conn) Close() error { return c.cli.Close() }

func (c *conn) errorf(format string, a ...any) error {
	return errors.New(drivers.Redact(fmt.Sprintf("opensm: %s: ", c.t.Device)+fmt.Sprintf(format, a...), c.t.Password))
}

func (c *conn) run(ctx context.Context, cmd string) error {
	out, err := c.cli.Run(ctx, cmd)
	if err != nil {
		return c.errorf("%s: %v", short(cmd), err)
	}
	if l := drivers.ErrorLine(out, Markers); l != "" {
		return c.errorf("%s: %s", short(cmd), l)
	}
	return nil
}

// short keeps a printf of a whole file out of error messages.
func short(cmd string) string {
	if len(cmd) > 100 {
		return cmd[:100] + "..."
	}
	return cmd
}

// read returns the file and whether it exists.
func (c *conn) read(ctx context.Context) (string, bool, error) {
	cmd := "cat " + quote(c.path)
	out, err := c.cli.Run(ctx, cmd)
	if err != nil {
		return "", false, c.errorf("%s: %v", cmd, err)
	}
	if strings.HasPrefix(out, "cat: ") {
		l, _, _ := strings.Cut(out, "\n")
		if strings.HasSuffix(l, ": No such file or directory") {
			return "", false, nil
		}
		return "", false, c.errorf("%s: %s", cmd, l)
	}
	return out, true, nil
}

// Observe reads the partition file and returns Railyard's partitions
// (none while the Default partition lets tenants in as full members).
func (c *conn) Observe(ctx context.Context, scope fabric.DeviceConfig) (fabric.DeviceConfig, error) {
	s, _, err := c.read(ctx)
	if err != nil {
		return fabric.DeviceConfig{}, err
	}
	obs := fabric.DeviceConfig{Device: scope.Device, Driver: Name, Fabric: scope.Fabric, Kind: fabric.SubnetManager}
	f := Parse(s)
	parts := f.Partitions()
	tenant := map[string]bool{}
	for _, cfg := range []fabric.DeviceConfig{scope, {Partitions: parts}} {
		for _, p := range cfg.Partitions {
			for _, m := range p.Members {
				tenant[strings.ToLower(m.GUID)] = true
			}
		}
	}
	for _, st := range f.Statements {
		if st.IsDefault() && !st.Owned() && unsafeDefault(st, tenant) {
			return obs, nil
		}
	}
	obs.Partitions = parts
	obs.Normalize()
	return obs, nil
}

// Apply rewrites the partition file and signals opensm once (see the
// package documentation).
func (c *conn) Apply(ctx context.Context, ch fabric.Change, desired fabric.DeviceConfig) error {
	if err := validate(desired); err != nil {
		return err
	}
	if ch.Empty() {
		return nil
	}
	cur, existed, err := c.read(ctx)
	if err != nil {
		return err
	}
	next, err := Splice(cur, desired)
	if err != nil {
		return c.errorf("%s: %v", c.path, err)
	}
	if existed && next == cur {
		return nil
	}
	cmds := writeCommands(c.path, next, existed)
	for i, cmd := range cmds {
		err := c.run(ctx, cmd)
		if err == nil {
			continue
		}
		if i == len(cmds)-1 && existed {
			// Only the backup could not be removed; opensm has the new
			// file.
			return fmt.Errorf("%w (the change was applied; remove %s.ry-bak)", err, c.path)
		}
		if rerr := c.restore(context.WithoutCancel(ctx), cur, existed, i); rerr != nil {
			return fmt.Errorf("%w; %w", err, rerr)
		}
		return fmt.Errorf("%w (the partition file was left as it was)", err)
	}
	return nil
}

// restore undoes the steps before failed (an index into writeCommands)
// and checks that the file is as it was.
func (c *conn) restore(ctx context.Context, old string, existed bool, failed int) error {
	var errs []error
	renamed := existed && failed >= 3 || !existed && failed >= 2 // mv ran
	if renamed {
		if existed {
			errs = append(errs, c.run(ctx, "mv -f "+quote(c.path+".ry-bak")+" "+quote(c.path)))
		} else {
			errs = append(errs, c.run(ctx, "rm -f "+quote(c.path)))
		}
	}
	errs = append(errs, c.run(ctx, "rm -f "+quote(c.path+".ry-new")+" "+quote(c.path+".ry-bak")))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("could not restore the partition file: %w", err)
	}
	now, exists, err := c.read(ctx)
	if err != nil {
		return fmt.Errorf("could not verify the partition file: %w", err)
	}
	if exists != existed || now != old {
		return c.errorf("the partition file was not restored: it differs from before the apply")
	}
	return nil
}
