// Package drivers is the contract between Railyard and the devices that
// carry tenant networks, and the registry of the drivers that implement
// it (database/sql style: each vendor package registers itself by name
// in an init function; import it for its side effect).
//
// A driver is stateless. Railyard stores each device's desired
// configuration (a fabric.DeviceConfig, vendor-neutral and typed); the
// driver reads the device's managed state back into the same type
// (Observe), the typed difference is computed (fabric.Diff), the driver
// turns it into commands in dependency order (Commands) and applies them
// atomically (Apply: a config session, candidate or transaction, with
// commit confirmed where the OS has it; on error the device is left as it
// was). Sync runs that loop and re-reads until the difference is empty,
// within a bound, so re-applying the same state sends nothing and a
// removal that needs two passes (FRR's stub VRFs) converges.
//
// Drivers reach devices through a Transport: a command session (SSH via
// scrapligo, a shell in a network namespace, or an in-process fake) or
// an HTTP client (UFM). Tests and benchmarks put latency and counters on
// the transport with Meter.
package drivers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/railyard/railyard/internal/fabric"
)

// Target says which device to program and how to reach it.
type Target struct {
	Device string
	// Driver is the driver that programs the device (transports that
	// speak per-vendor dialects, such as SSH, pick theirs by it).
	Driver string
	// Address is where the device answers: host[:port] for SSH, a URL
	// for REST (https://ufm.example/), a path for files.
	Address string
	// Username and Password are resolved credentials; they are never
	// printed (see String) and drivers keep them out of errors.
	Username string
	Password string
}

// String names the target without its secret.
func (t Target) String() string {
	if t.Username == "" {
		return t.Device + "@" + t.Address
	}
	return t.Device + "@" + t.Username + ":REDACTED@" + t.Address
}

// CLI is a command session with a device: each call sends one command
// (a line) and returns what the device printed. It returns an error only
// when the session itself fails; a device that refuses a command says so
// in the output, and drivers look for their vendor's error markers.
type CLI interface {
	Run(ctx context.Context, cmd string) (string, error)
	Close() error
}

// Transport is how drivers reach devices.
type Transport struct {
	// CLI opens a command session to the target.
	CLI func(ctx context.Context, t Target) (CLI, error)
	// HTTP is the client for devices with a REST API.
	HTTP *http.Client
}

// Driver programs one kind of device.
type Driver interface {
	// Name is the name the driver registers under.
	Name() string
	// Render returns the device's native configuration for the managed
	// part of cfg, deterministically (golden files are compared
	// byte for byte).
	Render(cfg fabric.DeviceConfig) (string, error)
	// Commands returns the commands that make change, in the order Apply
	// sends them, for a device whose desired configuration is desired.
	// It is pure: the dry run shows exactly these.
	Commands(change fabric.Change, desired fabric.DeviceConfig) ([]string, error)
	// Connect opens a connection to a device.
	Connect(ctx context.Context, t Target, tr Transport) (Conn, error)
}

// Conn is a connection to one device.
type Conn interface {
	// Observe reads the managed state of the device: every object
	// Railyard owns (fabric.OwnedPrefix, fabric.OwnedVLAN) and the
	// ports that scope lists.
	Observe(ctx context.Context, scope fabric.DeviceConfig) (fabric.DeviceConfig, error)
	// Apply makes change atomically. When it returns an error the device
	// holds the configuration it had before (or the error says it could
	// not be restored).
	Apply(ctx context.Context, change fabric.Change, desired fabric.DeviceConfig) error
	Close() error
}

var (
	regMu    sync.RWMutex
	registry = map[string]Driver{}
)

// Register makes a driver available by name. It panics on a duplicate
// name or a nil driver, like database/sql.Register.
func Register(d Driver) {
	regMu.Lock()
	defer regMu.Unlock()
	if d == nil {
		panic("drivers: Register of a nil driver")
	}
	if _, dup := registry[d.Name()]; dup {
		panic("drivers: Register called twice for " + d.Name())
	}
	registry[d.Name()] = d
}

// Lookup returns the driver registered under name.
func Lookup(name string) (Driver, error) {
	regMu.RLock()
	defer regMu.RUnlock()
	d, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("no driver %q (registered: %s)", name, strings.Join(namesLocked(), ", "))
	}
	return d, nil
}

// Names lists the registered drivers, sorted.
func Names() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	return namesLocked()
}

func namesLocked() []string {
	var ns []string
	for n := range registry {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return ns
}

// Report is the outcome of one Sync of one device.
type Report struct {
	Device string
	Driver string
	// Drift is what differed between the device and the desired
	// configuration when Sync started; empty when they agreed.
	Drift fabric.Change
	// Commands is how many commands Apply sent, over every pass.
	Commands int
	// Passes counts the applies (0 when nothing differed).
	Passes   int
	Duration time.Duration
	Err      error
}

// Changed reports whether Sync had to change the device.
func (r Report) Changed() bool { return r.Passes > 0 }

// ErrNotConverged is returned by Sync when the device still differs
// from the desired configuration after the last pass.
var ErrNotConverged = errors.New("device did not converge")

// SyncOptions tune Sync.
type SyncOptions struct {
	// MaxPasses bounds the apply-and-reread loop (default 3).
	MaxPasses int
	// DryRun stops after computing the drift.
	DryRun bool
}

// Sync brings one device to desired: observe, diff, apply, re-observe,
// until the diff is empty or MaxPasses applies were made.
func Sync(ctx context.Context, d Driver, c Conn, desired fabric.DeviceConfig, opt SyncOptions) Report {
	start := time.Now()
	r := Report{Device: desired.Device, Driver: d.Name()}
	if opt.MaxPasses <= 0 {
		opt.MaxPasses = 3
	}
	defer func() { r.Duration = time.Since(start) }()
	for {
		obs, err := c.Observe(ctx, desired)
		if err != nil {
			r.Err = fmt.Errorf("observe %s: %w", desired.Device, err)
			return r
		}
		ch := fabric.Diff(obs, desired)
		if r.Passes == 0 {
			r.Drift = ch
		}
		if ch.Empty() || opt.DryRun {
			return r
		}
		if r.Passes == opt.MaxPasses {
			r.Err = fmt.Errorf("%s: %w after %d passes; still differs:\n%s", desired.Device, ErrNotConverged, r.Passes, ch)
			return r
		}
		cmds, err := d.Commands(ch, desired)
		if err != nil {
			r.Err = fmt.Errorf("render %s: %w", desired.Device, err)
			return r
		}
		r.Passes++
		r.Commands += len(cmds)
		if err := c.Apply(ctx, ch, desired); err != nil {
			r.Err = fmt.Errorf("apply %s: %w", desired.Device, err)
			return r
		}
	}
}

// Meter counts the commands and requests that go through a transport
// and adds a fixed latency to each, as a slow device or a long WAN link
// would.
type Meter struct {
	Latency time.Duration
	mu      sync.Mutex
	calls   map[string]int
}

// Calls returns how many commands or requests each device was sent.
func (m *Meter) Calls() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]int, len(m.calls))
	for k, v := range m.calls {
		out[k] = v
	}
	return out
}

// Total is the sum of Calls.
func (m *Meter) Total() int {
	n := 0
	for _, v := range m.Calls() {
		n += v
	}
	return n
}

func (m *Meter) tick(ctx context.Context, device string) error {
	m.mu.Lock()
	if m.calls == nil {
		m.calls = map[string]int{}
	}
	m.calls[device]++
	m.mu.Unlock()
	if m.Latency <= 0 {
		return nil
	}
	t := time.NewTimer(m.Latency)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Wrap returns tr with every command and request metered.
func (m *Meter) Wrap(tr Transport) Transport {
	out := tr
	if tr.CLI != nil {
		inner := tr.CLI
		out.CLI = func(ctx context.Context, t Target) (CLI, error) {
			c, err := inner(ctx, t)
			if err != nil {
				return nil, err
			}
			return &meteredCLI{CLI: c, m: m, device: t.Device}, nil
		}
	}
	if tr.HTTP != nil {
		c := *tr.HTTP
		base := c.Transport
		if base == nil {
			base = http.DefaultTransport
		}
		c.Transport = roundTripper(func(req *http.Request) (*http.Response, error) {
			if err := m.tick(req.Context(), req.URL.Host); err != nil {
				return nil, err
			}
			return base.RoundTrip(req)
		})
		out.HTTP = &c
	}
	return out
}

type meteredCLI struct {
	CLI
	m      *Meter
	device string
}

func (c *meteredCLI) Run(ctx context.Context, cmd string) (string, error) {
	if err := c.m.tick(ctx, c.device); err != nil {
		return "", err
	}
	return c.CLI.Run(ctx, cmd)
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Redact removes secrets from s (for errors and logs that may echo what
// a device printed).
func Redact(s string, secrets ...string) string {
	for _, x := range secrets {
		if len(x) >= 3 {
			s = strings.ReplaceAll(s, x, "REDACTED")
		}
	}
	return s
}

// ErrorLine returns the first line of output that contains one of the
// markers, or "".
func ErrorLine(output string, markers []string) string {
	for _, l := range strings.Split(output, "\n") {
		if slices.ContainsFunc(markers, func(m string) bool { return strings.Contains(l, m) }) {
			return strings.TrimSpace(l)
		}
	}
	return ""
}
