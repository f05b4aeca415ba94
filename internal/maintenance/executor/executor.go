package executor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/railyard/railyard/internal/carve"
	"github.com/railyard/railyard/internal/inventory"
	"github.com/railyard/railyard/internal/maintenance"
	"github.com/railyard/railyard/internal/model"
)

// Options configure an Executor.
type Options struct {
	// Owner names this process in leases; default host-pid-random.
	Owner string
	// LeaseTTL is how long a node's lease lasts without renewal (default
	// 30s). A process that dies holds nothing longer than this.
	LeaseTTL time.Duration
	// Parallel bounds the nodes worked at once (default 64).
	Parallel int
	// Poll is how soon a waiting step looks again (a firmware task, a
	// technician, the network; default 5s); Backoff the first delay
	// after a failed step, doubled per attempt (default 15s).
	Poll, Backoff time.Duration
	// Attempts is how many times a failing action is tried before the
	// node fails (default 3).
	Attempts int
	BMC      BMC
	// Network reports whether tenant networks have caught up with the
	// inventory (a swapped-in spare programmed, the old node isolated);
	// nil means there is nothing to wait for.
	Network func(ctx context.Context) (bool, string, error)
	// Now is the clock (tests move it).
	Now func() time.Time
	// Actor and Source go into the history.
	Actor, Source string
	// Logf logs what the executor does; nil is silent.
	Logf func(format string, args ...any)
}

// Executor runs stored campaigns against the inventory: it starts
// scheduled runs, admits nodes with the planner, and moves every admitted
// node through its phases. It keeps nothing that matters in memory: every
// step is written before the next is taken, so a new process resumes
// where a dead one stopped, once the dead one's leases expire.
type Executor struct {
	store *inventory.Store
	opt   Options

	mu      sync.Mutex
	working map[string]bool // campaign/node being worked here
	sem     chan struct{}
	wg      sync.WaitGroup
}

// New returns an Executor on store.
func New(store *inventory.Store, opt Options) *Executor {
	if opt.Owner == "" {
		host, _ := os.Hostname()
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		opt.Owner = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
	}
	if opt.LeaseTTL <= 0 {
		opt.LeaseTTL = 30 * time.Second
	}
	if opt.Parallel <= 0 {
		opt.Parallel = 64
	}
	if opt.Poll <= 0 {
		opt.Poll = 5 * time.Second
	}
	if opt.Backoff <= 0 {
		opt.Backoff = 15 * time.Second
	}
	if opt.Attempts <= 0 {
		opt.Attempts = 3
	}
	if opt.BMC == nil {
		opt.BMC = SourceBMC{}
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Actor == "" {
		opt.Actor = "system"
	}
	if opt.Source == "" {
		opt.Source = "maintenance"
	}
	return &Executor{store: store, opt: opt, working: map[string]bool{}, sem: make(chan struct{}, opt.Parallel)}
}

func (x *Executor) logf(format string, args ...any) {
	if x.opt.Logf != nil {
		x.opt.Logf(format, args...)
	}
}

func (x *Executor) wopts() inventory.WriteOptions {
	return inventory.WriteOptions{Actor: x.opt.Actor, Source: x.opt.Source}
}

// Run ticks every interval until ctx ends, then waits for the steps in
// flight. Run it on the leader only (inventory.Store.IfLeader).
func (x *Executor) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := x.Tick(ctx); err != nil && ctx.Err() == nil {
			x.logf("maintenance: %v", err)
		}
		select {
		case <-ctx.Done():
			x.Wait()
			return
		case <-t.C:
		}
	}
}

// Wait waits for the node steps started by earlier ticks.
func (x *Executor) Wait() { x.wg.Wait() }

// Tick is one pass over every campaign: start what is due, admit what
// the budgets allow, and start a step for every node that is due one.
// Steps run in the background; Wait waits for them.
func (x *Executor) Tick(ctx context.Context) error {
	cs, err := x.store.Campaigns(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, c := range cs {
		if err := x.tickCampaign(ctx, c); err != nil {
			errs = append(errs, fmt.Errorf("campaign %s: %w", c.Name, err))
		}
	}
	return errors.Join(errs...)
}

func (x *Executor) tickCampaign(ctx context.Context, c maintenance.Campaign) error {
	now := x.opt.Now().UTC()
	switch c.State {
	case maintenance.StateDone:
		return nil
	case maintenance.StateScheduled:
		if c.NextRun.IsZero() || now.Before(c.NextRun) {
			return nil
		}
		return x.startRun(ctx, c.Name)
	}
	_, nodes, err := x.store.Campaign(ctx, c.Name)
	if err != nil {
		return err
	}
	if c.State == maintenance.StateCancelled {
		if err := x.skipPending(ctx, c.Name, nodes); err != nil {
			return err
		}
	}
	if c.State == maintenance.StateRunning {
		if err := x.admit(ctx, c, nodes); err != nil && !errors.Is(err, inventory.ErrConflict) {
			return err
		}
		if _, nodes, err = x.store.Campaign(ctx, c.Name); err != nil {
			return err
		}
	}
	for _, n := range nodes {
		if n.Phase.Offline() && n.Phase != maintenance.PhaseFailed && !now.Before(n.NextTry) {
			x.dispatch(ctx, c.Name, n.Node)
		}
	}
	return x.settle(ctx, c.Name)
}

// startRun starts a campaign's next run now: the selector is evaluated
// against the current inventory and every target starts pending.
func (x *Executor) startRun(ctx context.Context, name string) error {
	snap, _, err := x.store.CarveSnapshot(ctx)
	if err != nil {
		return err
	}
	now := x.opt.Now().UTC()
	_, err = x.store.UpdateCampaign(ctx, name, []string{}, x.wopts(), func(e *inventory.CampaignEdit) error {
		if e.Campaign.State != maintenance.StateScheduled {
			return nil
		}
		e.Reset = true
		e.Add = nil
		for _, t := range e.Campaign.Spec.Selector.Targets(snap) {
			e.Add = append(e.Add, maintenance.NodeStatus{Node: t, Phase: maintenance.PhasePending})
		}
		e.Campaign.State, e.Campaign.Run, e.Campaign.StartedAt, e.Campaign.FinishedAt = maintenance.StateRunning, e.Campaign.Run+1, now, time.Time{}
		e.Campaign.Reason = fmt.Sprintf("run %d started by its schedule", e.Campaign.Run)
		e.Campaign.NextRun = time.Time{}
		return nil
	})
	if err == nil {
		x.logf("maintenance: campaign %s: run started by its schedule", name)
	}
	return err
}

func (x *Executor) skipPending(ctx context.Context, name string, nodes []maintenance.NodeStatus) error {
	var pending []string
	for _, n := range nodes {
		if n.Phase == maintenance.PhasePending {
			pending = append(pending, n.Node)
		}
	}
	if len(pending) == 0 {
		return nil
	}
	_, err := x.store.UpdateCampaign(ctx, name, pending, x.wopts(), func(e *inventory.CampaignEdit) error {
		for i := range e.Nodes {
			if e.Nodes[i].Phase == maintenance.PhasePending {
				e.Nodes[i].Phase, e.Nodes[i].Reason = maintenance.PhaseSkipped, "the campaign was cancelled"
			}
		}
		return nil
	})
	return err
}

// loadInput reads what one admission decision needs: the spec's
// calendars, the carving snapshot, and the nodes other campaigns hold.
func loadInput(ctx context.Context, store *inventory.Store, c maintenance.Campaign, nodes []maintenance.NodeStatus, now time.Time) (*maintenance.Input, error) {
	cal, err := c.Spec.Validate()
	if err != nil {
		return nil, err
	}
	snap, _, err := store.CarveSnapshot(ctx)
	if err != nil {
		return nil, err
	}
	off, err := store.MaintenanceOffline(ctx)
	if err != nil {
		return nil, err
	}
	for n, camp := range off {
		if camp == c.Name {
			delete(off, n)
		}
	}
	return &maintenance.Input{Spec: &c.Spec, Cal: cal, Fleet: snap, Nodes: nodes, Elsewhere: off, Now: now}, nil
}

// admit runs one admission round and commits it in one transaction:
// the nodes' records, their cordons and the spare swaps. A swap made
// stale by another writer fails the whole round, which the next tick
// plans again.
func (x *Executor) admit(ctx context.Context, c maintenance.Campaign, nodes []maintenance.NodeStatus) error {
	if failed, limit := failures(nodes), c.Spec.MaxFailures(len(nodes)); limit >= 0 && failed >= limit {
		return x.pause(ctx, c.Name, fmt.Sprintf("%d nodes failed (the campaign stops at %d); retry or skip them, then resume", failed, limit))
	}
	in, err := loadInput(ctx, x.store, c, nodes, x.opt.Now().UTC())
	if err != nil {
		return err
	}
	d, err := maintenance.Decide(in)
	if err != nil || len(d.Admit) == 0 {
		return err
	}
	wave := 0
	for _, n := range nodes {
		wave = max(wave, n.Wave)
	}
	wave++
	names := make([]string, len(d.Admit))
	byNode := map[string]maintenance.Admission{}
	for i, a := range d.Admit {
		names[i] = a.Node
		byNode[a.Node] = a
	}
	now := x.opt.Now().UTC()
	_, err = x.store.UpdateCampaign(ctx, c.Name, names, x.wopts(), func(e *inventory.CampaignEdit) error {
		if e.Campaign.State != maintenance.StateRunning || e.Campaign.Generation != c.Generation {
			return fmt.Errorf("%w: campaign changed while admitting", inventory.ErrConflict)
		}
		e.Cordon = map[string]string{}
		for i := range e.Nodes {
			n := &e.Nodes[i]
			a := byNode[n.Node]
			if n.Phase != maintenance.PhasePending {
				return fmt.Errorf("%w: node %s is no longer pending", inventory.ErrConflict, n.Node)
			}
			n.Phase, n.Mode, n.Blocks, n.Tenants, n.Spares = maintenance.PhaseCordoned, a.Mode, a.Blocks, a.Tenants, a.Spares
			n.Wave, n.Reason, n.StartedAt, n.PhaseAt = wave, a.Reason, now, now
			n.Attempt, n.Task, n.Error, n.Confirmed, n.NextTry, n.FinishedAt = 0, "", "", false, time.Time{}, time.Time{}
			e.Cordon[n.Node] = inventory.CordonPrefix + c.Name
			for _, p := range a.Swaps {
				e.Blocks = append(e.Blocks, inventory.BlockChange{Op: "swap", Before: p.Before, After: stamped(p, now)})
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	x.logf("maintenance: campaign %s: wave %d admits %d nodes (%d of %d offline fleet-wide)", c.Name, wave, len(names), d.Offline, d.Limit)
	return nil
}

func stamped(p *carve.Plan, now time.Time) *model.Block {
	b := *p.After
	b.UpdatedAt = now
	if p.Before != nil {
		b.CreatedAt = p.Before.CreatedAt
	}
	return &b
}

func failures(nodes []maintenance.NodeStatus) int {
	n := 0
	for _, s := range nodes {
		if s.Phase == maintenance.PhaseFailed {
			n++
		}
	}
	return n
}

func (x *Executor) pause(ctx context.Context, name, reason string) error {
	_, err := x.store.UpdateCampaign(ctx, name, []string{}, x.wopts(), func(e *inventory.CampaignEdit) error {
		if e.Campaign.State == maintenance.StateRunning {
			e.Campaign.State, e.Campaign.Reason = maintenance.StatePaused, reason
		}
		return nil
	})
	if err == nil {
		x.logf("maintenance: campaign %s paused: %s", name, reason)
	}
	return err
}

// settle finishes a run whose nodes are all final: done, or scheduled
// again when recurring; a cancelled campaign with nothing in flight is
// finished too.
func (x *Executor) settle(ctx context.Context, name string) error {
	now := x.opt.Now().UTC()
	c, nodes, err := x.store.Campaign(ctx, name)
	if err != nil {
		return err
	}
	if c.State != maintenance.StateRunning && c.State != maintenance.StateCancelled {
		return nil
	}
	for _, n := range nodes {
		if !n.Phase.Final() {
			if c.State == maintenance.StateRunning && n.Phase == maintenance.PhaseFailed {
				continue
			}
			return nil
		}
	}
	if c.State == maintenance.StateRunning && failures(nodes) > 0 {
		return x.pause(ctx, name, fmt.Sprintf("every other node is done; %d failed: retry or skip them", failures(nodes)))
	}
	if !c.FinishedAt.IsZero() {
		return nil
	}
	_, err = x.store.UpdateCampaign(ctx, name, []string{}, x.wopts(), func(e *inventory.CampaignEdit) error {
		if e.Campaign.State != c.State {
			return nil
		}
		e.Campaign.FinishedAt = now
		if e.Campaign.State == maintenance.StateCancelled {
			e.Campaign.Reason = "cancelled; nothing left in flight"
			return nil
		}
		e.Campaign.State, e.Campaign.Reason = maintenance.StateDone, fmt.Sprintf("run %d finished", e.Campaign.Run)
		if e.Campaign.Spec.Recurring {
			cal, err := e.Campaign.Spec.Validate()
			if err != nil {
				return err
			}
			e.Campaign.State, e.Campaign.NextRun = maintenance.StateScheduled, cal.Cron.Next(now)
			e.Campaign.Reason += "; next run " + e.Campaign.NextRun.UTC().Format(time.RFC3339)
		}
		return nil
	})
	if err == nil {
		x.logf("maintenance: campaign %s: run finished", name)
	}
	return err
}

// dispatch starts a step for one node in the background, unless one is
// already running here.
func (x *Executor) dispatch(ctx context.Context, campaign, node string) {
	key := campaign + "/" + node
	x.mu.Lock()
	if x.working[key] {
		x.mu.Unlock()
		return
	}
	x.working[key] = true
	x.mu.Unlock()
	x.wg.Add(1)
	go func() {
		defer x.wg.Done()
		defer func() {
			x.mu.Lock()
			delete(x.working, key)
			x.mu.Unlock()
		}()
		select {
		case x.sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		defer func() { <-x.sem }()
		if err := x.work(ctx, campaign, node); err != nil && ctx.Err() == nil {
			x.logf("maintenance: campaign %s node %s: %v", campaign, node, err)
		}
	}()
}

// Busy lists the nodes this process is working on, for tests.
func (x *Executor) Busy() []string {
	x.mu.Lock()
	defer x.mu.Unlock()
	var out []string
	for k := range x.working {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
