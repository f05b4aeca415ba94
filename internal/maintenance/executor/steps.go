package executor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/railyard/railyard/internal/inventory"
	"github.com/railyard/railyard/internal/maintenance"
	"github.com/railyard/railyard/internal/model"
)

// errLeased means another live process holds the node's lease.
var errLeased = errors.New("leased by another process")

// outcome is what one step decided.
type outcome struct {
	// next is the phase to move to (empty: stay).
	next maintenance.Phase
	// task records a BMC task or a marker that an action was issued.
	task *string
	// wait asks to look again after this long (a task running, a
	// technician to come).
	wait   time.Duration
	reason string
	// retry is a step error worth trying again; fail ends the node.
	retry error
	fail  string
}

// work takes the node's lease and moves it through as many steps as it
// can without waiting, writing each before taking the next.
func (x *Executor) work(ctx context.Context, campaign, node string) error {
	c, st, err := x.lease(ctx, campaign, node)
	if errors.Is(err, errLeased) {
		return nil
	}
	if err != nil {
		return err
	}
	stop := x.renew(ctx, campaign, node)
	defer stop()
	for {
		if !st.Phase.Offline() || st.Phase == maintenance.PhaseFailed {
			return nil
		}
		out := x.step(ctx, c, st)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var done bool
		st, done, err = x.record(ctx, c, st, out)
		if err != nil || done {
			return err
		}
	}
}

// lease takes node's lease when it is free, expired or already ours.
func (x *Executor) lease(ctx context.Context, campaign, node string) (maintenance.Campaign, maintenance.NodeStatus, error) {
	var c maintenance.Campaign
	var st maintenance.NodeStatus
	now := x.opt.Now().UTC()
	_, err := x.store.UpdateCampaign(ctx, campaign, []string{node}, x.wopts(), func(e *inventory.CampaignEdit) error {
		if len(e.Nodes) != 1 {
			return fmt.Errorf("%w: node %s is not in campaign %s", inventory.ErrNotFound, node, campaign)
		}
		n := &e.Nodes[0]
		if n.LeaseOwner != "" && n.LeaseOwner != x.opt.Owner && now.Before(n.LeaseUntil) {
			return errLeased
		}
		n.LeaseOwner, n.LeaseUntil = x.opt.Owner, now.Add(x.opt.LeaseTTL)
		c, st = e.Campaign, *n
		return nil
	})
	return c, st, err
}

// renew keeps the lease alive while a long step (a hook, a firmware
// upload) runs; the returned func stops it.
func (x *Executor) renew(ctx context.Context, campaign, node string) func() {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(x.opt.LeaseTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			now := x.opt.Now().UTC()
			_, _ = x.store.UpdateCampaign(ctx, campaign, []string{node}, x.wopts(), func(e *inventory.CampaignEdit) error {
				if len(e.Nodes) == 1 && e.Nodes[0].LeaseOwner == x.opt.Owner {
					e.Nodes[0].LeaseUntil = now.Add(x.opt.LeaseTTL)
				}
				return nil
			})
		}
	}()
	return func() { cancel(); <-done }
}

// record writes a step's outcome. It reports done when the worker should
// stop (the node waits, finished or failed, or the lease was lost).
func (x *Executor) record(ctx context.Context, c maintenance.Campaign, was maintenance.NodeStatus, out outcome) (maintenance.NodeStatus, bool, error) {
	now := x.opt.Now().UTC()
	var st maintenance.NodeStatus
	done := true
	_, err := x.store.UpdateCampaign(ctx, c.Name, []string{was.Node}, x.wopts(), func(e *inventory.CampaignEdit) error {
		if len(e.Nodes) != 1 {
			return fmt.Errorf("%w: node %s left campaign %s", inventory.ErrNotFound, was.Node, c.Name)
		}
		n := &e.Nodes[0]
		if n.LeaseOwner != x.opt.Owner || n.Phase != was.Phase {
			return fmt.Errorf("%w: lost the lease on %s", inventory.ErrConflict, was.Node)
		}
		if out.task != nil {
			n.Task = *out.task
		}
		if out.reason != "" {
			n.Reason = out.reason
		}
		switch {
		case out.fail != "":
			n.Phase, n.PhaseAt, n.Error = maintenance.PhaseFailed, now, out.fail
			n.Reason = "failed in " + string(was.Phase) + ": " + out.fail
			n.LeaseOwner, n.LeaseUntil = "", time.Time{}
			// The node stays cordoned: it never returns unverified.
			e.Cordon = map[string]string{n.Node: inventory.CordonPrefix + c.Name + " failed: " + oneLine(out.fail, 120)}
		case out.retry != nil:
			n.Attempt++
			n.Error = out.retry.Error()
			if n.Attempt >= x.opt.Attempts {
				n.Phase, n.PhaseAt = maintenance.PhaseFailed, now
				n.Reason = fmt.Sprintf("failed in %s after %d attempts: %s", was.Phase, n.Attempt, oneLine(n.Error, 200))
				n.LeaseOwner, n.LeaseUntil = "", time.Time{}
				e.Cordon = map[string]string{n.Node: inventory.CordonPrefix + c.Name + " failed: " + oneLine(n.Error, 120)}
			} else {
				n.NextTry = now.Add(x.opt.Backoff << (n.Attempt - 1))
				n.LeaseOwner, n.LeaseUntil = "", time.Time{}
			}
		case out.next != "" && out.next != n.Phase:
			n.Phase, n.PhaseAt, n.NextTry, n.Attempt, n.Error = out.next, now, time.Time{}, 0, ""
			if out.next == maintenance.PhaseDone {
				n.FinishedAt = now
				n.LeaseOwner, n.LeaseUntil = "", time.Time{}
				n.Reason = "returned to service"
				e.Cordon = map[string]string{n.Node: ""}
			} else {
				done = false
			}
		default:
			n.NextTry = now.Add(out.wait)
			n.LeaseOwner, n.LeaseUntil = "", time.Time{}
		}
		st = *n
		return nil
	})
	if err != nil {
		return st, true, err
	}
	if st.Phase == maintenance.PhaseFailed {
		x.logf("maintenance: campaign %s: node %s failed: %s", c.Name, st.Node, st.Reason)
	}
	return st, done, nil
}

// step runs the work of the node's current phase once.
func (x *Executor) step(ctx context.Context, c maintenance.Campaign, st maintenance.NodeStatus) outcome {
	now := x.opt.Now().UTC()
	if limit := c.Spec.Timeout(); !st.StartedAt.IsZero() && now.Sub(st.StartedAt) > limit {
		return outcome{fail: fmt.Sprintf("ran past its node timeout of %s (in %s since %s)", limit, st.Phase, st.PhaseAt.Format(time.RFC3339))}
	}
	switch st.Phase {
	case maintenance.PhaseCordoned:
		if st.Mode == maintenance.ModeSwap {
			return outcome{next: maintenance.PhaseSwapping, reason: "spare " + strings.Join(st.Spares, ", ") + " took its place; waiting for the tenant network"}
		}
		return outcome{next: maintenance.PhaseActing}
	case maintenance.PhaseSwapping:
		if x.opt.Network == nil {
			return outcome{next: maintenance.PhaseActing}
		}
		ok, why, err := x.opt.Network(ctx)
		switch {
		case err != nil:
			return outcome{wait: x.opt.Poll, reason: "waiting for the tenant network: " + err.Error()}
		case !ok:
			return outcome{wait: x.opt.Poll, reason: "waiting for the tenant network: " + why}
		}
		return outcome{next: maintenance.PhaseActing, reason: "tenant network follows the swap"}
	case maintenance.PhaseActing:
		return x.act(ctx, c, st)
	case maintenance.PhaseVerifying:
		return x.verify(ctx, c, st)
	}
	return outcome{fail: "unknown phase " + string(st.Phase)}
}

func (x *Executor) bmcOf(ctx context.Context, node string) (model.BMC, error) {
	d, err := x.store.GetNode(ctx, node, 0)
	if err != nil {
		return model.BMC{}, err
	}
	return d.Node.BMC, nil
}

func (x *Executor) act(ctx context.Context, c maintenance.Campaign, st maintenance.NodeStatus) outcome {
	a := c.Spec.Action
	switch a.Kind {
	case maintenance.ActionPowerCycle:
		if st.Task != "" {
			return outcome{next: maintenance.PhaseVerifying}
		}
		b, err := x.bmcOf(ctx, st.Node)
		if err != nil {
			return outcome{retry: err}
		}
		if err := x.opt.BMC.PowerCycle(ctx, b); err != nil {
			return outcome{retry: fmt.Errorf("power cycle: %w", err)}
		}
		task := "power-cycle@" + x.opt.Now().UTC().Format(time.RFC3339)
		return outcome{next: maintenance.PhaseVerifying, task: &task, reason: "power-cycled through its BMC"}
	case maintenance.ActionFirmware:
		b, err := x.bmcOf(ctx, st.Node)
		if err != nil {
			return outcome{retry: err}
		}
		if st.Task == "" {
			f, err := os.Open(a.Image)
			if err != nil {
				return outcome{fail: "firmware image: " + err.Error()}
			}
			defer f.Close()
			fi, err := f.Stat()
			if err != nil {
				return outcome{fail: "firmware image: " + err.Error()}
			}
			task, err := x.opt.BMC.FirmwareInstall(ctx, b, a.Component, f, fi.Size())
			if err != nil {
				return outcome{retry: fmt.Errorf("firmware upload: %w", err)}
			}
			return outcome{task: &task, wait: x.opt.Poll, reason: "firmware uploaded; BMC task " + task}
		}
		ts, err := x.opt.BMC.FirmwareTask(ctx, b, st.Task)
		if err != nil {
			return outcome{retry: fmt.Errorf("firmware task %s: %w", st.Task, err)}
		}
		switch ts.State {
		case "done":
			return outcome{next: maintenance.PhaseVerifying, reason: "firmware task " + st.Task + " completed"}
		case "failed":
			msg := ts.Message
			if msg == "" {
				msg = "no message"
			}
			return outcome{fail: "firmware task " + st.Task + " failed: " + msg}
		}
		return outcome{wait: x.opt.Poll, reason: fmt.Sprintf("firmware task %s running (%d%%)", st.Task, ts.Percent)}
	case maintenance.ActionHook:
		if err := x.runCommand(ctx, c, st, a.Command, c.Spec.Timeout()); err != nil {
			return outcome{retry: fmt.Errorf("hook: %w", err)}
		}
		return outcome{next: maintenance.PhaseVerifying, reason: "hook succeeded"}
	case maintenance.ActionHardwareSwap:
		if st.Confirmed {
			return outcome{next: maintenance.PhaseVerifying, reason: "the technician confirmed the swap"}
		}
		return outcome{wait: x.opt.Poll, reason: "waiting for a technician to replace " + a.Parts + " and confirm (railyard maint confirm " + c.Name + " " + st.Node + ")"}
	}
	return outcome{fail: "unknown action " + string(a.Kind)}
}

// verify is the health gate before return: the BMC reports the power on
// (unless the spec skips it or the node has no BMC), a firmware update's
// expected version (when the spec names one), and the health command
// passes, within the health timeout from entering the phase.
func (x *Executor) verify(ctx context.Context, c maintenance.Campaign, st maintenance.NodeStatus) outcome {
	now := x.opt.Now().UTC()
	late := now.Sub(st.PhaseAt) > c.Spec.HealthTimeout()
	waitOr := func(why string) outcome {
		if late {
			return outcome{fail: fmt.Sprintf("health check did not pass within %s: %s", c.Spec.HealthTimeout(), why)}
		}
		return outcome{wait: x.opt.Poll, reason: "health check: " + why}
	}
	if !c.Spec.Health.SkipPower {
		b, err := x.bmcOf(ctx, st.Node)
		if err != nil {
			return outcome{retry: err}
		}
		if b.Address != "" {
			p, err := x.opt.BMC.PowerState(ctx, b)
			if err != nil {
				return waitOr("power state: " + err.Error())
			}
			if p != "on" {
				return waitOr("the BMC reports the power " + p)
			}
		}
	}
	if a := c.Spec.Action; a.Kind == maintenance.ActionFirmware && a.Version != "" {
		b, err := x.bmcOf(ctx, st.Node)
		if err != nil {
			return outcome{retry: err}
		}
		v, err := x.opt.BMC.FirmwareVersion(ctx, b, a.Component)
		if err != nil {
			return waitOr("firmware version: " + err.Error())
		}
		if v != a.Version {
			return waitOr(fmt.Sprintf("the BMC reports %s firmware %q, want %q", a.Component, v, a.Version))
		}
	}
	if len(c.Spec.Health.Command) > 0 {
		if err := x.runCommand(ctx, c, st, c.Spec.Health.Command, c.Spec.HealthTimeout()); err != nil {
			return waitOr(err.Error())
		}
	}
	return outcome{next: maintenance.PhaseDone}
}

// runCommand runs an operator's command with the node in its environment.
func (x *Executor) runCommand(ctx context.Context, c maintenance.Campaign, st maintenance.NodeStatus, argv []string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	b, _ := x.bmcOf(ctx, st.Node)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(),
		"RAILYARD_NODE="+st.Node, "RAILYARD_BMC="+b.Address, "RAILYARD_CAMPAIGN="+c.Name,
		"RAILYARD_RUN="+strconv.Itoa(c.Run), "RAILYARD_ATTEMPT="+strconv.Itoa(st.Attempt+1))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		tail := strings.TrimSpace(out.String())
		if len(tail) > 300 {
			tail = "..." + tail[len(tail)-300:]
		}
		if tail != "" {
			return fmt.Errorf("%s: %v: %s", argv[0], err, oneLine(tail, 300))
		}
		return fmt.Errorf("%s: %v", argv[0], err)
	}
	return nil
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "..."
	}
	return s
}
