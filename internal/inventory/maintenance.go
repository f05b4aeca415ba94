package inventory

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/railyard/railyard/ent"
	"github.com/railyard/railyard/ent/campaign"
	"github.com/railyard/railyard/ent/campaignnode"
	"github.com/railyard/railyard/ent/node"
	"github.com/railyard/railyard/internal/maintenance"
	"github.com/railyard/railyard/internal/model"
)

// CordonPrefix starts the cordon reason of every node a campaign holds;
// a campaign lifts only cordons that carry it, never an operator's.
const CordonPrefix = "maintenance: "

// CampaignEdit is what one campaign write changes. UpdateCampaign loads
// the campaign and the asked-for node records into it, the caller's
// function edits them, and whatever differs is written, with history, in
// the same transaction.
type CampaignEdit struct {
	Campaign maintenance.Campaign
	Nodes    []maintenance.NodeStatus
	// Reset deletes every node record of the campaign before Add (a new
	// run); the history keeps the old ones.
	Reset bool
	// Add creates node records.
	Add []maintenance.NodeStatus
	// Cordon sets (reason non-empty) or lifts (reason empty) a node's
	// cordon; a lift touches only cordons that start with CordonPrefix.
	Cordon map[string]string
	// Blocks are carving decisions (spare swaps) committed with the edit;
	// a stale one fails the whole write with ErrConflict.
	Blocks []BlockChange
}

func campaignOf(c *ent.Campaign) (maintenance.Campaign, error) {
	out := maintenance.Campaign{
		Name: c.Name, State: maintenance.State(c.State), Reason: c.Reason, Run: c.Run, Generation: c.Generation,
		CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(),
	}
	for _, x := range []struct {
		from *time.Time
		to   *time.Time
	}{{c.NextRun, &out.NextRun}, {c.StartedAt, &out.StartedAt}, {c.FinishedAt, &out.FinishedAt}} {
		if x.from != nil {
			*x.to = x.from.UTC()
		}
	}
	if err := json.Unmarshal([]byte(c.Spec), &out.Spec); err != nil {
		return out, fmt.Errorf("campaign %s: stored spec: %w", c.Name, err)
	}
	return out, nil
}

func nodeStatusOf(n *ent.CampaignNode) (maintenance.NodeStatus, error) {
	var st maintenance.NodeStatus
	if err := json.Unmarshal([]byte(n.Status), &st); err != nil {
		return st, fmt.Errorf("campaign %s node %s: stored status: %w", n.Campaign, n.Node, err)
	}
	st.Node, st.Phase, st.LeaseOwner = n.Node, maintenance.Phase(n.Phase), n.LeaseOwner
	st.LeaseUntil = time.Time{}
	if n.LeaseUntil != nil {
		st.LeaseUntil = n.LeaseUntil.UTC()
	}
	return st, nil
}

func nillable(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// CreateCampaign stores a new campaign and a pending record for each
// target.
func (s *Store) CreateCampaign(ctx context.Context, c maintenance.Campaign, targets []string, opts WriteOptions) (maintenance.Campaign, WriteResult, error) {
	if err := maintenance.CheckName(c.Name); err != nil {
		return c, WriteResult{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	spec, err := json.Marshal(c.Spec)
	if err != nil {
		return c, WriteResult{}, err
	}
	res, err := s.write(ctx, opts, func(tx *ent.Tx) ([]model.Change, error) {
		if n, err := tx.Campaign.Query().Where(campaign.Name(c.Name)).Count(ctx); err != nil {
			return nil, err
		} else if n > 0 {
			return nil, fmt.Errorf("%w: campaign %q", ErrAlreadyExists, c.Name)
		}
		now := time.Now().UTC()
		c.CreatedAt, c.UpdatedAt, c.Generation = now, now, 1
		if _, err := tx.Campaign.Create().SetName(c.Name).SetSpec(string(spec)).SetState(string(c.State)).SetReason(c.Reason).
			SetRun(c.Run).SetGeneration(1).SetNillableNextRun(nillable(c.NextRun)).SetNillableStartedAt(nillable(c.StartedAt)).
			SetCreatedAt(now).SetUpdatedAt(now).Save(ctx); err != nil {
			return nil, err
		}
		after, _ := json.Marshal(c)
		cs := []model.Change{{Kind: model.KindCampaign, Key: c.Name, Op: model.OpCreate, After: after}}
		add, err := s.addCampaignNodes(ctx, tx, c.Name, pendingFor(targets), now)
		return append(cs, add...), err
	})
	return c, res, err
}

func pendingFor(targets []string) []maintenance.NodeStatus {
	out := make([]maintenance.NodeStatus, len(targets))
	for i, t := range targets {
		out[i] = maintenance.NodeStatus{Node: t, Phase: maintenance.PhasePending}
	}
	return out
}

func (s *Store) addCampaignNodes(ctx context.Context, tx *ent.Tx, name string, ns []maintenance.NodeStatus, now time.Time) ([]model.Change, error) {
	var cs []model.Change
	const batch = 500
	for lo := 0; lo < len(ns); lo += batch {
		part := ns[lo:min(lo+batch, len(ns))]
		bulk := make([]*ent.CampaignNodeCreate, len(part))
		for i, n := range part {
			js, _ := json.Marshal(n)
			bulk[i] = tx.CampaignNode.Create().SetCampaign(name).SetNode(n.Node).SetPhase(string(n.Phase)).SetStatus(string(js)).
				SetLeaseOwner(n.LeaseOwner).SetNillableLeaseUntil(nillable(n.LeaseUntil)).SetUpdatedAt(now)
		}
		if err := tx.CampaignNode.CreateBulk(bulk...).Exec(ctx); err != nil {
			return nil, err
		}
	}
	// One history entry for the targets, not one per node: a campaign
	// over the whole fleet would otherwise write thousands at once.
	if len(ns) > 0 {
		nodes := make([]string, len(ns))
		for i, n := range ns {
			nodes[i] = n.Node
		}
		after, _ := json.Marshal(map[string]any{"targets": nodes})
		cs = append(cs, model.Change{Kind: model.KindCampaignNode, Key: name, Op: model.OpCreate, After: after})
	}
	return cs, nil
}

// Campaign returns a stored campaign and its node records, in node
// order.
func (s *Store) Campaign(ctx context.Context, name string) (maintenance.Campaign, []maintenance.NodeStatus, error) {
	var c maintenance.Campaign
	var ns []maintenance.NodeStatus
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		var err error
		c, ns, err = loadCampaign(ctx, tx, name, nil)
		return err
	})
	return c, ns, err
}

func loadCampaign(ctx context.Context, tx *ent.Tx, name string, nodes []string) (maintenance.Campaign, []maintenance.NodeStatus, error) {
	row, err := tx.Campaign.Query().Where(campaign.Name(name)).Only(ctx)
	if ent.IsNotFound(err) {
		return maintenance.Campaign{}, nil, fmt.Errorf("%w: campaign %q", ErrNotFound, name)
	}
	if err != nil {
		return maintenance.Campaign{}, nil, err
	}
	c, err := campaignOf(row)
	if err != nil {
		return c, nil, err
	}
	q := tx.CampaignNode.Query().Where(campaignnode.Campaign(name))
	if nodes != nil {
		if len(nodes) == 0 {
			return c, nil, nil
		}
		q = q.Where(campaignnode.NodeIn(nodes...))
	}
	rows, err := q.Order(ent.Asc(campaignnode.FieldNode)).All(ctx)
	if err != nil {
		return c, nil, err
	}
	ns := make([]maintenance.NodeStatus, 0, len(rows))
	for _, r := range rows {
		st, err := nodeStatusOf(r)
		if err != nil {
			return c, nil, err
		}
		ns = append(ns, st)
	}
	slices.SortFunc(ns, func(a, b maintenance.NodeStatus) int { return model.ComparePortNames(a.Node, b.Node) })
	return c, ns, nil
}

// Campaigns lists every campaign, by name.
func (s *Store) Campaigns(ctx context.Context) ([]maintenance.Campaign, error) {
	rows, err := s.client.Campaign.Query().Order(ent.Asc(campaign.FieldName)).All(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]maintenance.Campaign, 0, len(rows))
	for _, r := range rows {
		c, err := campaignOf(r)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// MaintenanceOffline maps every node out of service for maintenance
// (any campaign, any phase that counts against budgets) to its campaign.
func (s *Store) MaintenanceOffline(ctx context.Context) (map[string]string, error) {
	var phases []string
	for _, p := range []maintenance.Phase{maintenance.PhaseCordoned, maintenance.PhaseSwapping, maintenance.PhaseActing, maintenance.PhaseVerifying, maintenance.PhaseFailed} {
		phases = append(phases, string(p))
	}
	rows, err := s.client.CampaignNode.Query().Where(campaignnode.PhaseIn(phases...)).
		Select(campaignnode.FieldCampaign, campaignnode.FieldNode).All(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.Node] = r.Campaign
	}
	return out, nil
}

// UpdateCampaign edits a campaign in one transaction: it loads the
// campaign and the named node records (all of them when nodes is nil),
// runs fn, and writes what fn changed. fn returning an error, or a stale
// block change, writes nothing.
func (s *Store) UpdateCampaign(ctx context.Context, name string, nodes []string, opts WriteOptions, fn func(e *CampaignEdit) error) (WriteResult, error) {
	return s.write(ctx, opts, func(tx *ent.Tx) ([]model.Change, error) {
		c, ns, err := loadCampaign(ctx, tx, name, nodes)
		if err != nil {
			return nil, err
		}
		e := &CampaignEdit{Campaign: c, Nodes: slices.Clone(ns)}
		if err := fn(e); err != nil {
			return nil, err
		}
		now := time.Now().UTC()
		var cs []model.Change
		// Blocks first: a stale swap fails before anything else is written.
		for _, b := range e.Blocks {
			if err := s.commitBlock(ctx, tx, b, now); err != nil {
				return nil, err
			}
			cs = append(cs, blockHistory(b, now, opts))
		}
		if e.Campaign.Name != c.Name {
			return nil, fmt.Errorf("%w: a campaign cannot be renamed", ErrInvalid)
		}
		if !campaignEqual(c, e.Campaign) {
			e.Campaign.Generation = c.Generation + 1
			e.Campaign.UpdatedAt = now
			spec, _ := json.Marshal(e.Campaign.Spec)
			if err := tx.Campaign.Update().Where(campaign.Name(name)).SetSpec(string(spec)).SetState(string(e.Campaign.State)).
				SetReason(e.Campaign.Reason).SetRun(e.Campaign.Run).SetGeneration(e.Campaign.Generation).
				SetNillableNextRun(nillable(e.Campaign.NextRun)).SetNillableStartedAt(nillable(e.Campaign.StartedAt)).
				SetNillableFinishedAt(nillable(e.Campaign.FinishedAt)).SetUpdatedAt(now).Exec(ctx); err != nil {
				return nil, err
			}
			if e.Campaign.NextRun.IsZero() {
				if err := tx.Campaign.Update().Where(campaign.Name(name)).ClearNextRun().Exec(ctx); err != nil {
					return nil, err
				}
			}
			if e.Campaign.FinishedAt.IsZero() {
				if err := tx.Campaign.Update().Where(campaign.Name(name)).ClearFinishedAt().Exec(ctx); err != nil {
					return nil, err
				}
			}
			b, _ := json.Marshal(c)
			a, _ := json.Marshal(e.Campaign)
			cs = append(cs, model.Change{Kind: model.KindCampaign, Key: name, Op: model.OpUpdate, Before: b, After: a})
		}
		if e.Reset {
			if _, err := tx.CampaignNode.Delete().Where(campaignnode.Campaign(name)).Exec(ctx); err != nil {
				return nil, err
			}
		} else {
			old := map[string]maintenance.NodeStatus{}
			for _, n := range ns {
				old[n.Node] = n
			}
			for _, n := range e.Nodes {
				was, ok := old[n.Node]
				if !ok {
					return nil, fmt.Errorf("%w: node %s is not in campaign %s", ErrInvalid, n.Node, name)
				}
				b, _ := json.Marshal(was)
				a, _ := json.Marshal(n)
				if string(a) == string(b) {
					continue
				}
				if err := tx.CampaignNode.Update().Where(campaignnode.Campaign(name), campaignnode.Node(n.Node)).
					SetPhase(string(n.Phase)).SetStatus(string(a)).SetLeaseOwner(n.LeaseOwner).
					SetNillableLeaseUntil(nillable(n.LeaseUntil)).SetUpdatedAt(now).Exec(ctx); err != nil {
					return nil, err
				}
				// A lease renewal alone is not history.
				was.LeaseOwner, was.LeaseUntil = n.LeaseOwner, n.LeaseUntil
				if bb, _ := json.Marshal(was); string(bb) != string(a) {
					cs = append(cs, model.Change{Kind: model.KindCampaignNode, Key: name + "/" + n.Node, Subject: n.Node, Op: model.OpUpdate, Before: bb, After: a})
				}
			}
		}
		add, err := s.addCampaignNodes(ctx, tx, name, e.Add, now)
		if err != nil {
			return nil, err
		}
		cs = append(cs, add...)
		cordoned := slices.Sorted(func(yield func(string) bool) {
			for n := range e.Cordon {
				if !yield(n) {
					return
				}
			}
		})
		for _, host := range cordoned {
			ch, err := cordonTx(ctx, tx, host, e.Cordon[host])
			if err != nil {
				return nil, err
			}
			if ch != nil {
				cs = append(cs, *ch)
			}
		}
		return cs, nil
	})
}

// cordonTx sets or lifts a maintenance cordon.
func cordonTx(ctx context.Context, tx *ent.Tx, host, reason string) (*model.Change, error) {
	n, err := tx.Node.Query().Where(node.Hostname(host)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil // the node left the inventory; nothing to hold
	}
	if err != nil {
		return nil, err
	}
	cordoned := reason != ""
	if !cordoned && (!n.Cordoned || !strings.HasPrefix(n.CordonReason, CordonPrefix)) {
		return nil, nil
	}
	if cordoned && n.Cordoned {
		if !strings.HasPrefix(n.CordonReason, CordonPrefix) {
			return nil, nil // an operator's cordon stays as it is
		}
		if n.CordonReason == reason {
			return nil, nil
		}
	}
	ch, err := setCordon(ctx, tx, n, cordoned, reason)
	if err != nil {
		return nil, err
	}
	return &ch, nil
}

func campaignEqual(a, b maintenance.Campaign) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// DeleteCampaign deletes a campaign that has no node offline.
func (s *Store) DeleteCampaign(ctx context.Context, name string, opts WriteOptions) (WriteResult, error) {
	return s.write(ctx, opts, func(tx *ent.Tx) ([]model.Change, error) {
		c, ns, err := loadCampaign(ctx, tx, name, nil)
		if err != nil {
			return nil, err
		}
		for _, n := range ns {
			if n.Phase.Offline() {
				return nil, fmt.Errorf("%w: campaign %s still holds node %s (%s); cancel it and wait, or skip the node", ErrConflict, name, n.Node, n.Phase)
			}
		}
		if _, err := tx.CampaignNode.Delete().Where(campaignnode.Campaign(name)).Exec(ctx); err != nil {
			return nil, err
		}
		if _, err := tx.Campaign.Delete().Where(campaign.Name(name)).Exec(ctx); err != nil {
			return nil, err
		}
		b, _ := json.Marshal(c)
		return []model.Change{{Kind: model.KindCampaign, Key: name, Op: model.OpDelete, Before: b}}, nil
	})
}
