package api

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/railyard/railyard/internal/inventory"
	"github.com/railyard/railyard/internal/maintenance"
	"github.com/railyard/railyard/internal/maintenance/executor"
	"github.com/railyard/railyard/internal/model"
	pb "github.com/railyard/railyard/proto/railyard/v1"
)

// Maintenance implements railyard.v1.MaintenanceService over the
// maintenance manager. It only writes campaigns; the executor, on the
// leader, runs them.
type Maintenance struct {
	pb.UnimplementedMaintenanceServiceServer
	m *executor.Manager
}

// NewMaintenance returns the maintenance service.
func NewMaintenance(m *executor.Manager) *Maintenance { return &Maintenance{m: m} }

// Register registers the service on g.
func (s *Maintenance) Register(g *grpc.Server) { pb.RegisterMaintenanceServiceServer(g, s) }

// limitUnlimited spells a limit that sets no bound.
const limitUnlimited = "unlimited"

// maintStatus converts err to a gRPC status: the planner's ErrInvalid (a
// spec that cannot run as written) is InvalidArgument; everything else
// maps as codeOf says. The message drops a leading sentinel that only
// repeats the code ("invalid argument: invalid argument: ...").
func maintStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok && status.Code(err) != codes.Unknown {
		return err
	}
	code := codeOf(err)
	msg := err.Error()
	for _, s := range []error{inventory.ErrInvalid, inventory.ErrNotFound, inventory.ErrAlreadyExists} {
		if errors.Is(err, s) {
			msg = strings.TrimPrefix(msg, s.Error()+": ")
		}
	}
	return status.Error(code, msg)
}

func (s *Maintenance) who(ctx context.Context) inventory.WriteOptions {
	c := callerOf(ctx)
	return inventory.WriteOptions{Actor: c.Actor, Source: "api"}
}

// limitOf reads a limit field: "4", "5%", "4,5%", "unlimited" or "".
func limitOf(field, s string) (maintenance.Limit, error) {
	if s == limitUnlimited {
		return maintenance.Limit{}, nil
	}
	l, err := maintenance.ParseLimit(s)
	if err != nil {
		return l, fmt.Errorf("%s: %w", field, err)
	}
	return l, nil
}

func optLimitOf(field string, s *string) (*maintenance.Limit, error) {
	if s == nil {
		return nil, nil
	}
	l, err := limitOf(field, *s)
	if err != nil {
		return nil, err
	}
	return &l, nil
}

func limitText(l maintenance.Limit) string { return l.String() }

func optLimitText(l *maintenance.Limit) *string {
	if l == nil {
		return nil
	}
	s := l.String()
	if l.Unlimited() {
		s = limitUnlimited
	}
	return &s
}

func durationOf(field, s string) (maintenance.Duration, error) {
	if s == "" {
		return maintenance.Duration{}, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return maintenance.Duration{}, fmt.Errorf("%w: %s: %q is not a duration such as 90m or 2h30m", maintenance.ErrInvalid, field, s)
	}
	return maintenance.D(d), nil
}

func durationText(d maintenance.Duration) string {
	if d.Duration == 0 {
		return ""
	}
	return d.Duration.String()
}

func tenantBudgetOf(field string, t *pb.TenantBudget) (maintenance.TenantBudget, error) {
	var out maintenance.TenantBudget
	if t == nil {
		return out, nil
	}
	var err error
	if out.Max, err = optLimitOf(field+".max", t.Max); err != nil {
		return out, err
	}
	if out.WindowMax, err = optLimitOf(field+".window_max", t.WindowMax); err != nil {
		return out, err
	}
	out.Windows = t.GetWindows()
	return out, nil
}

func tenantBudgetPB(t maintenance.TenantBudget) *pb.TenantBudget {
	return &pb.TenantBudget{Max: optLimitText(t.Max), Windows: t.Windows, WindowMax: optLimitText(t.WindowMax)}
}

// SpecOfPB converts a wire spec to the planner's. It checks only what the
// conversion needs (limits and durations parse); Spec.Validate checks the
// rest.
func SpecOfPB(p *pb.CampaignSpec) (maintenance.Spec, error) {
	var s maintenance.Spec
	if p == nil {
		return s, fmt.Errorf("%w: no campaign spec", maintenance.ErrInvalid)
	}
	a := p.GetAction()
	s.Action = maintenance.Action{Kind: maintenance.ActionKind(a.GetKind()), Component: a.GetComponent(), Image: a.GetImage(),
		Version: a.GetVersion(), Command: a.GetCommand(), Parts: a.GetParts()}
	sel := p.GetSelector()
	s.Selector = maintenance.Selector{Sites: sel.GetSites(), Pods: sel.GetPods(), LeafDomains: sel.GetLeafDomains(), Racks: sel.GetRacks(),
		Nodes: sel.GetNodes(), GPUModel: sel.GetGpuModel(), Tenants: sel.GetTenants()}
	b := p.GetBudget()
	var err error
	if s.Budget.Fleet, err = limitOf("budget.fleet", b.GetFleet()); err != nil {
		return s, err
	}
	for i, d := range b.GetDomains() {
		l, err := limitOf(fmt.Sprintf("budget.domains[%d] (%s)", i, d.GetLevel()), d.GetLimit())
		if err != nil {
			return s, err
		}
		s.Budget.Domains = append(s.Budget.Domains, maintenance.DomainLimit{Level: d.GetLevel(), Limit: l})
	}
	if s.Budget.Tenant, err = tenantBudgetOf("budget.tenant", b.GetTenant()); err != nil {
		return s, err
	}
	for name, t := range b.GetTenants() {
		if s.Budget.Tenants == nil {
			s.Budget.Tenants = map[string]maintenance.TenantBudget{}
		}
		if s.Budget.Tenants[name], err = tenantBudgetOf("budget.tenants["+name+"]", t); err != nil {
			return s, err
		}
	}
	s.Windows, s.Exclusions = p.GetWindows(), p.GetExclusions()
	h := p.GetHealth()
	s.Health.Command, s.Health.SkipPower = h.GetCommand(), h.GetSkipPower()
	if s.Health.Timeout, err = durationOf("health.timeout", h.GetTimeout()); err != nil {
		return s, err
	}
	st := p.GetStop()
	s.Stop.MaxFailures, s.Stop.MaxFailurePercent = int(st.GetMaxFailures()), st.GetMaxFailurePercent()
	if s.Stop.MaxFailurePercent < 0 || s.Stop.MaxFailurePercent > 100 {
		return s, fmt.Errorf("%w: stop.max_failure_percent %v: want 0 to 100", maintenance.ErrInvalid, s.Stop.MaxFailurePercent)
	}
	if s.Stop.MaxUnavailable, err = limitOf("stop.max_unavailable", st.GetMaxUnavailable()); err != nil {
		return s, err
	}
	if s.NodeTimeout, err = durationOf("node_timeout", p.GetNodeTimeout()); err != nil {
		return s, err
	}
	if s.Estimate, err = durationOf("estimate", p.GetEstimate()); err != nil {
		return s, err
	}
	s.Schedule, s.Recurring = p.GetSchedule(), p.GetRecurring()
	return s, nil
}

// SpecPB converts the planner's spec to the wire's.
func SpecPB(s maintenance.Spec) *pb.CampaignSpec {
	a := s.Action
	out := &pb.CampaignSpec{
		Action: &pb.MaintenanceAction{Kind: string(a.Kind), Component: a.Component, Image: a.Image, Version: a.Version, Command: a.Command, Parts: a.Parts},
		Selector: &pb.CampaignSelector{Sites: s.Selector.Sites, Pods: s.Selector.Pods, LeafDomains: s.Selector.LeafDomains, Racks: s.Selector.Racks,
			Nodes: s.Selector.Nodes, GpuModel: s.Selector.GPUModel, Tenants: s.Selector.Tenants},
		Budget:      &pb.MaintenanceBudget{Fleet: limitText(s.Budget.Fleet), Tenant: tenantBudgetPB(s.Budget.Tenant)},
		Windows:     s.Windows,
		Exclusions:  s.Exclusions,
		Health:      &pb.HealthCheck{Command: s.Health.Command, Timeout: durationText(s.Health.Timeout), SkipPower: s.Health.SkipPower},
		Stop:        &pb.StopConditions{MaxFailures: int32(s.Stop.MaxFailures), MaxFailurePercent: s.Stop.MaxFailurePercent, MaxUnavailable: limitText(s.Stop.MaxUnavailable)},
		NodeTimeout: durationText(s.NodeTimeout),
		Estimate:    durationText(s.Estimate),
		Schedule:    s.Schedule,
		Recurring:   s.Recurring,
	}
	for _, d := range s.Budget.Domains {
		out.Budget.Domains = append(out.Budget.Domains, &pb.DomainBudget{Level: d.Level, Limit: limitText(d.Limit)})
	}
	if len(s.Budget.Tenants) > 0 {
		out.Budget.Tenants = map[string]*pb.TenantBudget{}
		for name, t := range s.Budget.Tenants {
			out.Budget.Tenants[name] = tenantBudgetPB(t)
		}
	}
	return out
}

func campaignPB(c maintenance.Campaign) *pb.Campaign {
	return &pb.Campaign{Name: c.Name, Spec: SpecPB(c.Spec), State: string(c.State), Reason: c.Reason, Run: int32(c.Run),
		Generation: c.Generation, NextRun: ts(c.NextRun), StartedAt: ts(c.StartedAt), FinishedAt: ts(c.FinishedAt),
		CreatedAt: ts(c.CreatedAt), UpdatedAt: ts(c.UpdatedAt)}
}

func progressPB(nodes []maintenance.NodeStatus) *pb.CampaignProgress {
	p := maintenance.Summarize(nodes)
	out := &pb.CampaignProgress{Total: int32(p.Total), Offline: int32(p.Offline), ByPhase: map[string]int32{},
		Done: int32(p.ByPhase[maintenance.PhaseDone]), Failed: int32(p.ByPhase[maintenance.PhaseFailed]),
		Pending: int32(p.ByPhase[maintenance.PhasePending]), Skipped: int32(p.ByPhase[maintenance.PhaseSkipped])}
	for ph, n := range p.ByPhase {
		out.ByPhase[string(ph)] = int32(n)
	}
	return out
}

func campaignNodePB(n maintenance.NodeStatus, held string) *pb.CampaignNode {
	return &pb.CampaignNode{Node: n.Node, Phase: string(n.Phase), Mode: string(n.Mode), Blocks: n.Blocks, Tenants: n.Tenants,
		Spares: n.Spares, Wave: int32(n.Wave), Reason: n.Reason, Attempt: int32(n.Attempt), Task: n.Task, Confirmed: n.Confirmed,
		NextTry: ts(n.NextTry), StartedAt: ts(n.StartedAt), PhaseAt: ts(n.PhaseAt), FinishedAt: ts(n.FinishedAt),
		LeaseOwner: n.LeaseOwner, LeaseUntil: ts(n.LeaseUntil), Error: n.Error, Held: held}
}

// heldGroups groups held nodes by reason: the most common reason first.
func heldGroups(held map[string]string) []*pb.HeldGroup {
	by := map[string][]string{}
	for n, why := range held {
		by[why] = append(by[why], n)
	}
	out := make([]*pb.HeldGroup, 0, len(by))
	for why, ns := range by {
		slices.SortFunc(ns, model.ComparePortNames)
		out = append(out, &pb.HeldGroup{Reason: why, Count: int32(len(ns)), Nodes: ns})
	}
	slices.SortFunc(out, func(a, b *pb.HeldGroup) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return cmp.Compare(a.Reason, b.Reason)
	})
	return out
}

// statusPB describes a campaign with its nodes and the live decision (d
// may be nil: a campaign that is not running or paused).
func statusPB(c maintenance.Campaign, nodes []maintenance.NodeStatus, d *maintenance.Decision, offline int) *pb.CampaignStatus {
	out := &pb.CampaignStatus{Campaign: campaignPB(c), Progress: progressPB(nodes), FleetOffline: int32(offline)}
	var held map[string]string
	if d != nil {
		held = d.Held
		out.Closed, out.FleetLimit, out.Held = d.Closed, int32(d.Limit), heldGroups(d.Held)
		for _, a := range d.Admit {
			out.Next = append(out.Next, a.Node)
		}
	}
	for _, n := range nodes {
		out.Nodes = append(out.Nodes, campaignNodePB(n, held[n.Node]))
	}
	return out
}

func (s *Maintenance) status(ctx context.Context, name string) (*pb.CampaignStatus, error) {
	c, nodes, d, err := s.m.Status(ctx, name)
	if err != nil {
		return nil, maintStatus(err)
	}
	off, err := s.m.Store.MaintenanceOffline(ctx)
	if err != nil {
		return nil, maintStatus(err)
	}
	return statusPB(c, nodes, d, len(off)), nil
}

// PlanCampaign simulates a new spec or a stored campaign.
func (s *Maintenance) PlanCampaign(ctx context.Context, r *pb.PlanCampaignRequest) (*pb.CampaignPlan, error) {
	var (
		c     maintenance.Campaign
		nodes []maintenance.NodeStatus
		fresh = r.GetSpec() != nil
	)
	if fresh {
		if r.GetName() != "" {
			if err := maintenance.CheckName(r.GetName()); err != nil {
				return nil, maintStatus(err)
			}
		}
		spec, err := SpecOfPB(r.GetSpec())
		if err != nil {
			return nil, maintStatus(err)
		}
		cal, err := spec.Validate()
		if err != nil {
			return nil, maintStatus(err)
		}
		c = maintenance.Campaign{Name: r.GetName(), Spec: spec}
		if cal.Cron != nil {
			// Plan the first run from the schedule's next activation.
			c.State, c.NextRun = maintenance.StateScheduled, cal.Cron.Next(s.now())
		}
	} else {
		var err error
		if c, nodes, err = s.m.Store.Campaign(ctx, r.GetName()); err != nil {
			return nil, maintStatus(err)
		}
		if c.State == maintenance.StateScheduled {
			// The next run evaluates the selector afresh.
			nodes = nil
		} else if nodes == nil {
			nodes = []maintenance.NodeStatus{}
		}
	}
	start, startsNow := s.now(), true
	if c.State == maintenance.StateScheduled && c.NextRun.After(start) {
		start, startsNow = c.NextRun, false
	}
	p, err := s.m.Plan(ctx, c, nodes)
	if err != nil {
		return nil, maintStatus(err)
	}
	if fresh && p.Targets == 0 {
		return nil, maintStatus(fmt.Errorf("%w: the selector matches no node", maintenance.ErrInvalid))
	}
	out := planPB(p, start, startsNow)
	if fresh {
		out.Campaign.State = "planned"
	}
	return out, nil
}

func (s *Maintenance) now() time.Time {
	if s.m.Now != nil {
		return s.m.Now().UTC()
	}
	return time.Now().UTC()
}

// planPB describes a plan that starts at start: the manager's clock read
// a moment before it planned (startsNow; a first wave within a second of
// it starts the plan), or a scheduled run's activation.
func planPB(p *executor.Preview, start time.Time, startsNow bool) *pb.CampaignPlan {
	res := p.Result
	if len(res.Waves) > 0 {
		if d := res.Waves[0].Start.Sub(start); d > -time.Second && d < time.Second {
			start = res.Waves[0].Start
		}
	}
	out := &pb.CampaignPlan{Campaign: campaignPB(p.Campaign), Targets: int32(p.Targets), Limit: int32(res.Limit),
		DurationMs: res.Duration.Milliseconds(), LowerBoundMs: res.LowerBound.Milliseconds(), Stopped: res.Stopped,
		Swaps: int32(res.Swaps), Drains: int32(res.Drains), EstimateMs: p.Campaign.Spec.EstimateFor().Milliseconds()}
	if p.Now != nil && startsNow {
		// What holds everything now matters to a plan that starts now.
		out.Closed = p.Now.Closed
	}
	for _, w := range res.Waves {
		out.Waves = append(out.Waves, &pb.PlanWave{Index: int32(w.Index), Start: ts(w.Start), OffsetMs: w.Start.Sub(start).Milliseconds(),
			Nodes: w.Nodes, Swaps: int32(w.Swaps), Drains: int32(w.Drains)})
	}
	out.Start = ts(start)
	nodes := slices.Clone(res.Nodes)
	slices.SortStableFunc(nodes, func(a, b maintenance.NodePlan) int { return model.ComparePortNames(a.Node, b.Node) })
	for _, n := range nodes {
		out.Nodes = append(out.Nodes, &pb.PlanNode{Node: n.Node, Wave: int32(n.Wave), Phase: string(n.Phase), Mode: string(n.Mode),
			Blocks: n.Blocks, Tenants: n.Tenants, Spares: n.Spares, Start: ts(n.Start), End: ts(n.End), Reason: n.Reason, Held: n.Held})
	}
	return out
}

// CreateCampaign stores a campaign and starts (or schedules) it.
func (s *Maintenance) CreateCampaign(ctx context.Context, r *pb.CreateCampaignRequest) (*pb.CampaignStatus, error) {
	spec, err := SpecOfPB(r.GetSpec())
	if err != nil {
		return nil, maintStatus(err)
	}
	if _, err := s.m.Create(ctx, s.who(ctx), r.GetName(), spec); err != nil {
		return nil, maintStatus(err)
	}
	return s.status(ctx, r.GetName())
}

// GetCampaign describes one campaign.
func (s *Maintenance) GetCampaign(ctx context.Context, r *pb.GetCampaignRequest) (*pb.CampaignStatus, error) {
	return s.status(ctx, r.GetName())
}

// ListCampaigns lists every campaign with its progress.
func (s *Maintenance) ListCampaigns(ctx context.Context, _ *pb.ListCampaignsRequest) (*pb.ListCampaignsResponse, error) {
	cs, err := s.m.Store.Campaigns(ctx)
	if err != nil {
		return nil, maintStatus(err)
	}
	out := &pb.ListCampaignsResponse{}
	for _, c := range cs {
		c, nodes, err := s.m.Store.Campaign(ctx, c.Name)
		if errors.Is(err, inventory.ErrNotFound) {
			continue // deleted since the list
		}
		if err != nil {
			return nil, maintStatus(err)
		}
		st := &pb.CampaignStatus{Campaign: campaignPB(c), Progress: progressPB(nodes)}
		out.Campaigns = append(out.Campaigns, st)
	}
	return out, nil
}

// PauseCampaign stops admissions.
func (s *Maintenance) PauseCampaign(ctx context.Context, r *pb.PauseCampaignRequest) (*pb.CampaignStatus, error) {
	if err := s.m.Pause(ctx, s.who(ctx), r.GetName(), r.GetReason()); err != nil {
		return nil, maintStatus(err)
	}
	return s.status(ctx, r.GetName())
}

// ResumeCampaign lets a paused campaign admit again.
func (s *Maintenance) ResumeCampaign(ctx context.Context, r *pb.ResumeCampaignRequest) (*pb.CampaignStatus, error) {
	if err := s.m.Resume(ctx, s.who(ctx), r.GetName(), r.GetRetryFailed()); err != nil {
		return nil, maintStatus(err)
	}
	return s.status(ctx, r.GetName())
}

// CancelCampaign skips the pending nodes.
func (s *Maintenance) CancelCampaign(ctx context.Context, r *pb.CancelCampaignRequest) (*pb.CampaignStatus, error) {
	if err := s.m.Cancel(ctx, s.who(ctx), r.GetName()); err != nil {
		return nil, maintStatus(err)
	}
	return s.status(ctx, r.GetName())
}

// ConfirmNode records a technician's confirmation.
func (s *Maintenance) ConfirmNode(ctx context.Context, r *pb.ConfirmNodeRequest) (*pb.CampaignStatus, error) {
	if err := s.m.Confirm(ctx, s.who(ctx), r.GetName(), r.GetNode()); err != nil {
		return nil, maintStatus(err)
	}
	return s.status(ctx, r.GetName())
}

// SkipNode takes a node out of a campaign.
func (s *Maintenance) SkipNode(ctx context.Context, r *pb.SkipNodeRequest) (*pb.CampaignStatus, error) {
	if err := s.m.Skip(ctx, s.who(ctx), r.GetName(), r.GetNode()); err != nil {
		return nil, maintStatus(err)
	}
	return s.status(ctx, r.GetName())
}
