package executor

import (
	"context"
	"fmt"
	"time"

	"github.com/railyard/railyard/internal/inventory"
	"github.com/railyard/railyard/internal/maintenance"
)

// Manager is what operators do to campaigns: plan, start, pause, resume,
// cancel, confirm a technician's work, skip a node. Every write is one
// transaction; the executor (on the leader) does the rest.
type Manager struct {
	Store *inventory.Store
	Now   func() time.Time
}

func (m *Manager) now() time.Time {
	if m.Now != nil {
		return m.Now().UTC()
	}
	return time.Now().UTC()
}

// Preview is a plan for a campaign: the simulated waves and, for every
// node, why it is in its wave or held back.
type Preview struct {
	Campaign maintenance.Campaign
	Targets  int
	Result   *maintenance.SimResult
	// Now is the live admission decision: who would go this minute.
	Now *maintenance.Decision
}

// Plan simulates a campaign from where it stands (a stored one) or from
// the start (a spec not yet stored), against the current inventory.
func (m *Manager) Plan(ctx context.Context, c maintenance.Campaign, nodes []maintenance.NodeStatus) (*Preview, error) {
	now := m.now()
	in, err := loadInput(ctx, m.Store, c, nodes, now)
	if err != nil {
		return nil, err
	}
	if nodes == nil {
		if err := c.Spec.Selector.Check(in.Fleet); err != nil {
			return nil, err
		}
		for _, t := range c.Spec.Selector.Targets(in.Fleet) {
			in.Nodes = append(in.Nodes, maintenance.NodeStatus{Node: t, Phase: maintenance.PhasePending})
		}
	}
	start := now
	if c.State == maintenance.StateScheduled && c.NextRun.After(now) {
		start = c.NextRun
	}
	d, err := maintenance.Decide(in)
	if err != nil {
		return nil, err
	}
	res, err := maintenance.Simulate(in.Spec, in.Cal, in.Fleet, in.Nodes, maintenance.SimOptions{Start: start, Elsewhere: in.Elsewhere})
	if err != nil {
		return nil, err
	}
	return &Preview{Campaign: c, Targets: len(in.Nodes), Result: res, Now: d}, nil
}

// Create stores a campaign. Without a schedule it starts running now;
// with one it waits for the schedule's next activation.
func (m *Manager) Create(ctx context.Context, who inventory.WriteOptions, name string, spec maintenance.Spec) (maintenance.Campaign, error) {
	if err := maintenance.CheckName(name); err != nil {
		return maintenance.Campaign{}, err
	}
	cal, err := spec.Validate()
	if err != nil {
		return maintenance.Campaign{}, err
	}
	snap, _, err := m.Store.CarveSnapshot(ctx)
	if err != nil {
		return maintenance.Campaign{}, err
	}
	if err := spec.Selector.Check(snap); err != nil {
		return maintenance.Campaign{}, err
	}
	now := m.now()
	c := maintenance.Campaign{Name: name, Spec: spec}
	var targets []string
	if cal.Cron != nil {
		c.State, c.NextRun = maintenance.StateScheduled, cal.Cron.Next(now)
		c.Reason = "first run " + c.NextRun.Format(time.RFC3339)
	} else {
		targets = spec.Selector.Targets(snap)
		if len(targets) == 0 {
			return c, fmt.Errorf("%w: the selector matches no node", maintenance.ErrInvalid)
		}
		c.State, c.Run, c.StartedAt, c.Reason = maintenance.StateRunning, 1, now, "started"
	}
	c, _, err = m.Store.CreateCampaign(ctx, c, targets, who)
	return c, err
}

// Pause stops admitting; nodes in flight finish.
func (m *Manager) Pause(ctx context.Context, who inventory.WriteOptions, name, reason string) error {
	if reason == "" {
		reason = "paused by " + who.Actor
	}
	_, err := m.Store.UpdateCampaign(ctx, name, []string{}, who, func(e *inventory.CampaignEdit) error {
		switch e.Campaign.State {
		case maintenance.StateRunning, maintenance.StatePaused:
			e.Campaign.State, e.Campaign.Reason = maintenance.StatePaused, reason
			return nil
		}
		return fmt.Errorf("%w: campaign %s is %s, not running", inventory.ErrInvalid, name, e.Campaign.State)
	})
	return err
}

// Resume lets a paused campaign admit again. retryFailed sends failed
// nodes back through their action (they are still cordoned).
func (m *Manager) Resume(ctx context.Context, who inventory.WriteOptions, name string, retryFailed bool) error {
	_, err := m.Store.UpdateCampaign(ctx, name, nil, who, func(e *inventory.CampaignEdit) error {
		switch e.Campaign.State {
		case maintenance.StatePaused, maintenance.StateRunning:
		default:
			return fmt.Errorf("%w: campaign %s is %s; only a paused campaign resumes", inventory.ErrInvalid, name, e.Campaign.State)
		}
		failed := 0
		for i := range e.Nodes {
			n := &e.Nodes[i]
			if n.Phase != maintenance.PhaseFailed {
				continue
			}
			failed++
			if retryFailed {
				n.Phase, n.PhaseAt, n.StartedAt = maintenance.PhaseCordoned, m.now(), m.now()
				n.Attempt, n.Task, n.NextTry, n.Error = 0, "", time.Time{}, ""
				n.Reason = "retried by " + who.Actor
			}
		}
		if limit := e.Campaign.Spec.MaxFailures(len(e.Nodes)); !retryFailed && limit >= 0 && failed >= limit {
			return fmt.Errorf("%w: %d nodes failed and the campaign stops at %d: retry them (--retry-failed) or skip them first", inventory.ErrInvalid, failed, limit)
		}
		e.Campaign.State, e.Campaign.Reason = maintenance.StateRunning, "resumed by "+who.Actor
		return nil
	})
	return err
}

// Cancel stops a campaign: pending nodes are skipped, nodes in flight
// finish (or fail) and return.
func (m *Manager) Cancel(ctx context.Context, who inventory.WriteOptions, name string) error {
	_, err := m.Store.UpdateCampaign(ctx, name, []string{}, who, func(e *inventory.CampaignEdit) error {
		switch e.Campaign.State {
		case maintenance.StateDone, maintenance.StateCancelled:
			return nil
		}
		e.Campaign.State, e.Campaign.Reason, e.Campaign.NextRun = maintenance.StateCancelled, "cancelled by "+who.Actor, time.Time{}
		return nil
	})
	return err
}

// Confirm records a technician's confirmation that a node's hardware
// swap is done.
func (m *Manager) Confirm(ctx context.Context, who inventory.WriteOptions, name, node string) error {
	_, err := m.Store.UpdateCampaign(ctx, name, []string{node}, who, func(e *inventory.CampaignEdit) error {
		if len(e.Nodes) != 1 {
			return fmt.Errorf("%w: node %s is not in campaign %s", inventory.ErrNotFound, node, name)
		}
		n := &e.Nodes[0]
		if e.Campaign.Spec.Action.Kind != maintenance.ActionHardwareSwap {
			return fmt.Errorf("%w: campaign %s is a %s, not a hardware swap", inventory.ErrInvalid, name, e.Campaign.Spec.Action.Kind)
		}
		if n.Phase != maintenance.PhaseActing {
			return fmt.Errorf("%w: node %s is %s, not waiting for a technician", inventory.ErrInvalid, node, n.Phase)
		}
		n.Confirmed, n.NextTry = true, time.Time{}
		return nil
	})
	return err
}

// Skip takes a node out of a campaign. A pending node is just skipped; a
// failed one keeps a cordon in the operator's name (it never returns to
// service unverified) but stops counting against the budgets. A node in
// flight cannot be skipped: its step is running.
func (m *Manager) Skip(ctx context.Context, who inventory.WriteOptions, name, node string) error {
	_, err := m.Store.UpdateCampaign(ctx, name, []string{node}, who, func(e *inventory.CampaignEdit) error {
		if len(e.Nodes) != 1 {
			return fmt.Errorf("%w: node %s is not in campaign %s", inventory.ErrNotFound, node, name)
		}
		n := &e.Nodes[0]
		switch n.Phase {
		case maintenance.PhasePending:
		case maintenance.PhaseFailed:
			// The campaign's cordon becomes a plain one: the node stays
			// out of service, but no longer in the campaign's name.
			e.Cordon = map[string]string{node: "failed in maintenance campaign " + name + "; skipped by " + who.Actor}
		default:
			return fmt.Errorf("%w: node %s is %s; only pending or failed nodes can be skipped", inventory.ErrInvalid, node, n.Phase)
		}
		if n.Phase == maintenance.PhaseFailed {
			n.Reason = "skipped by " + who.Actor + " after failing: " + n.Error
		} else {
			n.Reason = "skipped by " + who.Actor
		}
		n.Phase, n.PhaseAt = maintenance.PhaseSkipped, m.now()
		return nil
	})
	return err
}

// Status returns a campaign, its nodes and the live admission decision
// (why each pending node waits).
func (m *Manager) Status(ctx context.Context, name string) (maintenance.Campaign, []maintenance.NodeStatus, *maintenance.Decision, error) {
	c, nodes, err := m.Store.Campaign(ctx, name)
	if err != nil {
		return c, nil, nil, err
	}
	var d *maintenance.Decision
	if c.State == maintenance.StateRunning || c.State == maintenance.StatePaused {
		in, err := loadInput(ctx, m.Store, c, nodes, m.now())
		if err != nil {
			return c, nodes, nil, err
		}
		if d, err = maintenance.Decide(in); err != nil {
			return c, nodes, nil, err
		}
		if c.State == maintenance.StatePaused {
			for _, a := range d.Admit {
				d.Held[a.Node] = "the campaign is paused: " + c.Reason
			}
			d.Admit = nil
		}
	}
	return c, nodes, d, nil
}
