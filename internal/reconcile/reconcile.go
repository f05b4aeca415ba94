package reconcile

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/railyard/railyard/drivers"
	"github.com/railyard/railyard/internal/fabric"
	"github.com/railyard/railyard/internal/inventory"
)

// Targets resolves how to reach a device (its address and credentials).
type Targets func(ctx context.Context, d fabric.DeviceConfig) (drivers.Target, error)

// Options configure a Network.
type Options struct {
	Settings  fabric.Settings
	Transport drivers.Transport
	Targets   Targets
	// Parallel bounds the devices synced at once per fabric (default 16).
	Parallel int
	// Retries is how many times a failed device sync is retried in one
	// pass (default 2), waiting Backoff, then twice that, and so on.
	Retries int
	Backoff time.Duration
	// Observe only: report drift, change nothing.
	ReportOnly bool
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Network compiles and reconciles tenant networks.
type Network struct {
	store *inventory.Store
	opt   Options
	// mu serialises compiles and passes of this replica; a device is
	// synced by one goroutine at a time.
	mu sync.Mutex
}

// New returns a Network on store.
func New(store *inventory.Store, opt Options) *Network {
	if opt.Parallel <= 0 {
		opt.Parallel = 16
	}
	if opt.Retries < 0 {
		opt.Retries = 0
	} else if opt.Retries == 0 {
		opt.Retries = 2
	}
	if opt.Backoff <= 0 {
		opt.Backoff = 200 * time.Millisecond
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Network{store: store, opt: opt}
}

// Actor names who caused a write, for the history.
type Actor struct{ Actor, Source string }

// CompileResult is what a compile produced and stored.
type CompileResult struct {
	Plan *fabric.Plan
	// Changed lists the devices that got a new revision.
	Changed []string
}

// snapshot reads what the compiler needs.
func (n *Network) snapshot(ctx context.Context) (fabric.Snapshot, *inventory.NetworkState, error) {
	fleet, err := n.store.Export(ctx, "")
	if err != nil {
		return fabric.Snapshot{}, nil, err
	}
	blocks, err := n.store.Blocks(ctx, "")
	if err != nil {
		return fabric.Snapshot{}, nil, err
	}
	st, err := n.store.NetworkState(ctx)
	if err != nil {
		return fabric.Snapshot{}, nil, err
	}
	return fabric.Snapshot{Fleet: fleet, Blocks: blocks}, st, nil
}

// Preview compiles with intents replaced by (or extended with) the given
// one, without storing anything. It returns the plan and the stored
// state it was compiled against.
func (n *Network) Preview(ctx context.Context, in *fabric.Intent) (*fabric.Plan, *inventory.NetworkState, error) {
	snap, st, err := n.snapshot(ctx)
	if err != nil {
		return nil, nil, err
	}
	intents := st.Intents
	if in != nil {
		intents = slices.DeleteFunc(slices.Clone(intents), func(x fabric.Intent) bool { return x.Tenant == in.Tenant })
		intents = append(intents, *in)
	}
	plan, err := fabric.Compile(snap, intents, st.Allocations, n.opt.Settings, n.opt.Now())
	return plan, st, err
}

// Compile compiles the stored intents against the current inventory and
// stores the result: allocations and new device revisions.
func (n *Network) Compile(ctx context.Context, who Actor) (CompileResult, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.compileLocked(ctx, who)
}

func (n *Network) compileLocked(ctx context.Context, who Actor) (CompileResult, error) {
	plan, _, err := n.Preview(ctx, nil)
	if err != nil {
		return CompileResult{}, err
	}
	changed, _, err := n.store.SaveNetworkPlan(ctx, plan, inventory.WriteOptions{Actor: who.Actor, Source: who.Source})
	if err != nil {
		return CompileResult{}, err
	}
	return CompileResult{Plan: plan, Changed: changed}, nil
}

// PassOptions choose what a pass syncs.
type PassOptions struct {
	// All syncs every device (a drift check), not only those behind.
	All bool
	// Devices, when set, limits the pass to these devices.
	Devices []string
	// DryRun observes and diffs, changing nothing and storing nothing.
	DryRun bool
}

// Pass syncs devices to their stored revisions and records the outcome
// of each. It returns one report per device synced, in device order.
func (n *Network) Pass(ctx context.Context, po PassOptions) ([]drivers.Report, error) {
	st, err := n.store.NetworkState(ctx)
	if err != nil {
		return nil, err
	}
	var todo []inventory.DeviceState
	for _, d := range st.Devices {
		if len(po.Devices) > 0 && !slices.Contains(po.Devices, d.Desired.Device) {
			continue
		}
		if po.All || po.DryRun || len(po.Devices) > 0 || !d.InSync() {
			todo = append(todo, d)
		}
	}
	if len(po.Devices) > 0 {
		for _, want := range po.Devices {
			if !slices.ContainsFunc(todo, func(d inventory.DeviceState) bool { return d.Desired.Device == want }) {
				return nil, fmt.Errorf("%w: device %q has no stored configuration", inventory.ErrNotFound, want)
			}
		}
	}
	// Bounded parallelism per fabric.
	sems := map[string]chan struct{}{}
	for _, d := range todo {
		if sems[d.Desired.Fabric] == nil {
			sems[d.Desired.Fabric] = make(chan struct{}, n.opt.Parallel)
		}
	}
	reports := make([]drivers.Report, len(todo))
	var wg sync.WaitGroup
	for i, d := range todo {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem := sems[d.Desired.Fabric]
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				reports[i] = drivers.Report{Device: d.Desired.Device, Driver: d.Desired.Driver, Err: ctx.Err()}
				return
			}
			defer func() { <-sem }()
			reports[i] = n.syncDevice(ctx, d, po.DryRun || n.opt.ReportOnly)
		}()
	}
	wg.Wait()
	return reports, nil
}

// syncDevice syncs one device with retries and records the outcome.
func (n *Network) syncDevice(ctx context.Context, d inventory.DeviceState, dry bool) drivers.Report {
	start := n.opt.Now()
	var r drivers.Report
	wait := n.opt.Backoff
	for attempt := 0; ; attempt++ {
		r = n.syncOnce(ctx, d.Desired, dry)
		if r.Err == nil || attempt >= n.opt.Retries || ctx.Err() != nil {
			break
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
		wait *= 2
	}
	if dry {
		return r
	}
	rec := inventory.SyncRecord{Device: d.Desired.Device, Revision: d.Revision, At: start, Duration: n.opt.Now().Sub(start),
		Commands: r.Commands}
	if !r.Drift.Empty() {
		rec.Drift = r.Drift.String()
		// The device was at this revision already: someone changed it.
		rec.Unexpected = d.AppliedRevision == d.Revision
	}
	if r.Err != nil {
		rec.Err = r.Err.Error()
	}
	// Record even when the caller's context is gone: the device changed.
	if err := n.store.RecordSync(context.WithoutCancel(ctx), rec); err != nil && r.Err == nil {
		r.Err = fmt.Errorf("record sync of %s: %w", d.Desired.Device, err)
	}
	return r
}

func (n *Network) syncOnce(ctx context.Context, desired fabric.DeviceConfig, dry bool) drivers.Report {
	fail := func(err error) drivers.Report {
		return drivers.Report{Device: desired.Device, Driver: desired.Driver, Err: err}
	}
	drv, err := drivers.Lookup(desired.Driver)
	if err != nil {
		return fail(err)
	}
	if n.opt.Targets == nil {
		return fail(errors.New("no way to reach devices is configured"))
	}
	t, err := n.opt.Targets(ctx, desired)
	if err != nil {
		return fail(err)
	}
	t.Driver = desired.Driver
	conn, err := drv.Connect(ctx, t, n.opt.Transport)
	if err != nil {
		return fail(fmt.Errorf("connect %s: %s", desired.Device, drivers.Redact(err.Error(), t.Password)))
	}
	defer conn.Close()
	r := drivers.Sync(ctx, drv, conn, desired, drivers.SyncOptions{DryRun: dry})
	if r.Err != nil {
		r.Err = errors.New(drivers.Redact(r.Err.Error(), t.Password))
	}
	return r
}

// FinishReleases deletes the releasing tenant networks whose tenant no
// device carries any more, once every device is in sync. It returns the
// tenants released.
func (n *Network) FinishReleases(ctx context.Context, who Actor) ([]string, error) {
	st, err := n.store.NetworkState(ctx)
	if err != nil {
		return nil, err
	}
	var done []string
	for _, in := range st.Intents {
		if in.State != fabric.Releasing || !n.released(st, in.Tenant) {
			continue
		}
		ok, err := n.store.FinishRelease(ctx, in.Tenant, in.Generation, inventory.WriteOptions{Actor: who.Actor, Source: who.Source})
		if err != nil {
			return done, err
		}
		if ok {
			done = append(done, in.Tenant)
		}
	}
	sort.Strings(done)
	return done, nil
}

// released reports whether no device's desired configuration holds the
// tenant and every device applied its current revision.
func (n *Network) released(st *inventory.NetworkState, tenant string) bool {
	for _, d := range st.Devices {
		if slices.Contains(d.Desired.Tenants(), tenant) || !d.InSync() {
			return false
		}
	}
	return true
}

// Pending lists the devices that have not yet applied their current
// revision, or whose last sync failed.
func Pending(st *inventory.NetworkState) []string {
	var out []string
	for _, d := range st.Devices {
		if !d.InSync() {
			out = append(out, d.Desired.Device)
		}
	}
	return out
}

// Round is one iteration of the loop: compile, sync what is behind,
// finish releases. driftCheck syncs every device.
func (n *Network) Round(ctx context.Context, who Actor, driftCheck bool) ([]drivers.Report, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, err := n.compileLocked(ctx, who); err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	reports, err := n.Pass(ctx, PassOptions{All: driftCheck})
	if err != nil {
		return reports, err
	}
	released, err := n.FinishReleases(ctx, who)
	if err != nil {
		return reports, err
	}
	if len(released) > 0 {
		// Their allocations are released (and held) by the next compile.
		if _, err := n.compileLocked(ctx, who); err != nil {
			return reports, err
		}
	}
	return reports, nil
}

// Run loops until ctx ends: a round whenever the inventory changes (a
// carve, a release, an intent) and at least every interval, with a drift
// check (every device) every driftEvery. With several replicas on
// PostgreSQL only the leader runs rounds. Errors go to logf.
func (n *Network) Run(ctx context.Context, who Actor, interval, driftEvery time.Duration, logf func(format string, args ...any)) {
	events, cancel := n.store.Subscribe()
	defer cancel()
	t := time.NewTicker(interval)
	defer t.Stop()
	lastDrift := time.Time{}
	var lastSeq int64 = -1
	tick := true
	for {
		seq, err := n.store.LatestSeq(ctx)
		drift := driftEvery > 0 && time.Since(lastDrift) >= driftEvery
		// Failed devices are retried on the ticker, not on every event
		// (recording a failure is itself an event).
		if err == nil && (seq != lastSeq || drift || tick && n.behind(ctx)) {
			_, err = n.store.IfLeader(ctx, "network", func() error {
				reports, err := n.Round(ctx, who, drift)
				for _, r := range reports {
					if r.Err != nil {
						logf("network: %s: %v", r.Device, r.Err)
					} else if r.Changed() {
						logf("network: %s: %d commands in %d passes (%s)", r.Device, r.Commands, r.Passes, r.Duration.Round(time.Millisecond))
					}
				}
				return err
			})
			if drift {
				lastDrift = time.Now()
			}
			lastSeq = seq
		}
		if err != nil && ctx.Err() == nil {
			logf("network: %v", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-events:
			tick = false
		case <-t.C:
			tick = true
		}
	}
}

// behind reports whether some device is not in sync (a failed sync is
// retried every interval).
func (n *Network) behind(ctx context.Context) bool {
	st, err := n.store.NetworkState(ctx)
	return err == nil && len(Pending(st)) > 0
}

// Observe reads the given devices through their drivers (in parallel,
// bounded per fabric) and returns what each holds; devices that could not
// be read are left out.
func (n *Network) Observe(ctx context.Context, devices []fabric.DeviceConfig) (map[string]fabric.DeviceConfig, error) {
	var mu sync.Mutex
	out := map[string]fabric.DeviceConfig{}
	sem := make(chan struct{}, n.opt.Parallel)
	var wg sync.WaitGroup
	for _, d := range devices {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			drv, err := drivers.Lookup(d.Driver)
			if err != nil || n.opt.Targets == nil {
				return
			}
			t, err := n.opt.Targets(ctx, d)
			if err != nil {
				return
			}
			t.Driver = d.Driver
			c, err := drv.Connect(ctx, t, n.opt.Transport)
			if err != nil {
				return
			}
			defer c.Close()
			o, err := c.Observe(ctx, d)
			if err != nil {
				return
			}
			mu.Lock()
			out[d.Device] = o
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out, nil
}

// Settled reports whether every device has applied the configuration the
// current inventory compiles to. Right after a block changes (a spare
// swapped in by maintenance) it is false until the loop has compiled and
// synced the change; the string names what is still behind.
func (n *Network) Settled(ctx context.Context) (bool, string, error) {
	plan, st, err := n.Preview(ctx, nil)
	if err != nil {
		return false, "", err
	}
	stored := make(map[string]inventory.DeviceState, len(st.Devices))
	for _, d := range st.Devices {
		stored[d.Desired.Device] = d
	}
	var behind []string
	for _, d := range plan.Devices {
		s, ok := stored[d.Device]
		if !ok || s.Hash != d.Hash() || !s.InSync() {
			behind = append(behind, d.Device)
		}
	}
	if len(behind) == 0 {
		return true, "", nil
	}
	if len(behind) > 5 {
		return false, fmt.Sprintf("%d devices behind (%s, ...)", len(behind), strings.Join(behind[:5], ", ")), nil
	}
	return false, "devices behind: " + strings.Join(behind, ", "), nil
}
