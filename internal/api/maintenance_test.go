package api

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	"github.com/railyard/railyard/internal/inventory"
	"github.com/railyard/railyard/internal/maintenance"
	"github.com/railyard/railyard/internal/maintenance/executor"
	pb "github.com/railyard/railyard/proto/railyard/v1"
)

func TestMaintStatusCodes(t *testing.T) {
	tests := []struct {
		err  error
		code codes.Code
		msg  string
	}{
		{nil, codes.OK, ""},
		{fmt.Errorf("%w: a campaign needs a fleet budget", maintenance.ErrInvalid), codes.InvalidArgument, "invalid campaign: a campaign needs a fleet budget"},
		{fmt.Errorf("%w: campaign \"x\"", inventory.ErrNotFound), codes.NotFound, `campaign "x"`},
		{fmt.Errorf("%w: campaign \"x\"", inventory.ErrAlreadyExists), codes.AlreadyExists, `campaign "x"`},
		{fmt.Errorf("%w: campaign changed while admitting", inventory.ErrConflict), codes.FailedPrecondition, "conflict: campaign changed while admitting"},
		{fmt.Errorf("%w: campaign x is done, not running", inventory.ErrInvalid), codes.InvalidArgument, "campaign x is done, not running"},
		{fmt.Errorf("%w: %w", inventory.ErrInvalid, fmt.Errorf("%w: campaign name", maintenance.ErrInvalid)), codes.InvalidArgument, "invalid campaign: campaign name"},
		{context.Canceled, codes.Canceled, "context canceled"},
		{status.Error(codes.Unavailable, "gone"), codes.Unavailable, "gone"},
		{errors.New("disk on fire"), codes.Internal, "disk on fire"},
	}
	for _, tt := range tests {
		err := maintStatus(tt.err)
		if got := status.Code(err); got != tt.code {
			t.Errorf("maintStatus(%v): code %v, want %v", tt.err, got, tt.code)
		}
		if tt.err != nil {
			if got := status.Convert(err).Message(); got != tt.msg {
				t.Errorf("maintStatus(%v): message %q, want %q", tt.err, got, tt.msg)
			}
		}
	}
}

func fullSpec() maintenance.Spec {
	two, half := maintenance.Count(2), maintenance.Percent(50)
	unlimited := maintenance.Limit{}
	zero := maintenance.Count(0)
	return maintenance.Spec{
		Action:   maintenance.Action{Kind: maintenance.ActionFirmware, Component: "bios", Image: "/srv/fw/bios.bin", Version: "2.1"},
		Selector: maintenance.Selector{Sites: []string{"lab"}, Racks: []string{"lab-su01-r01", "lab-su01-r02"}, GPUModel: "H100-SXM5-80GB", Tenants: []string{"acme"}},
		Budget: maintenance.Budget{
			Fleet:   maintenance.Limit{Count: two.Count, Percent: maintenance.Percent(5).Percent},
			Domains: []maintenance.DomainLimit{{Level: maintenance.DomainRack, Limit: maintenance.Count(1)}, {Level: maintenance.DomainLeaf, Limit: half}},
			Tenant:  maintenance.TenantBudget{Max: &zero, Windows: []string{"Sat 00:00-06:00 UTC"}},
			Tenants: map[string]maintenance.TenantBudget{
				"acme":   {Max: &two, WindowMax: &unlimited, Windows: []string{"daily 02:00-04:00"}},
				"globex": {Max: &unlimited},
			},
		},
		Windows:     []string{"Mon-Fri 22:00-06:00 Europe/Berlin"},
		Exclusions:  []string{"2026-12-20/2027-01-03 holiday freeze"},
		Health:      maintenance.Health{Command: []string{"/bin/true"}, Timeout: maintenance.D(5 * time.Minute), SkipPower: true},
		Stop:        maintenance.Stop{MaxFailures: -1, MaxFailurePercent: 10, MaxUnavailable: maintenance.Percent(3)},
		NodeTimeout: maintenance.D(90 * time.Minute),
		Estimate:    maintenance.D(40 * time.Minute),
		Schedule:    "0 2 * * 6",
		Recurring:   true,
	}
}

func TestMaintSpecRoundTrip(t *testing.T) {
	for _, s := range []maintenance.Spec{fullSpec(), {Action: maintenance.Action{Kind: maintenance.ActionPowerCycle}, Budget: maintenance.Budget{Fleet: maintenance.Percent(10)}}} {
		got, err := SpecOfPB(SpecPB(s))
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(s, got); d != "" {
			t.Errorf("spec round trip (-want +got):\n%s", d)
		}
	}
}

func TestMaintSpecErrors(t *testing.T) {
	base := func() *pb.CampaignSpec { return SpecPB(fullSpec()) }
	str := func(s string) *string { return &s }
	tests := []struct {
		name string
		edit func(*pb.CampaignSpec)
		want string
	}{
		{"fleet", func(s *pb.CampaignSpec) { s.Budget.Fleet = "lots" }, `budget.fleet: invalid campaign: limit "lots"`},
		{"domain", func(s *pb.CampaignSpec) { s.Budget.Domains[0].Limit = "150%" }, "budget.domains[0] (rack)"},
		{"tenant", func(s *pb.CampaignSpec) { s.Budget.Tenants["acme"].Max = str("-1") }, "budget.tenants[acme].max"},
		{"window max", func(s *pb.CampaignSpec) { s.Budget.Tenant.WindowMax = str("x%") }, "budget.tenant.window_max"},
		{"timeout", func(s *pb.CampaignSpec) { s.Health.Timeout = "soon" }, `health.timeout: "soon" is not a duration`},
		{"negative", func(s *pb.CampaignSpec) { s.NodeTimeout = "-1h" }, "node_timeout"},
		{"percent", func(s *pb.CampaignSpec) { s.Stop.MaxFailurePercent = 120 }, "max_failure_percent"},
		{"unavailable", func(s *pb.CampaignSpec) { s.Stop.MaxUnavailable = "some" }, "stop.max_unavailable"},
	}
	for _, tt := range tests {
		s := base()
		tt.edit(s)
		_, err := SpecOfPB(s)
		if !errors.Is(err, maintenance.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err %v, want ErrInvalid mentioning %q", tt.name, err, tt.want)
		}
	}
	if _, err := SpecOfPB(nil); !errors.Is(err, maintenance.ErrInvalid) {
		t.Errorf("nil spec: %v", err)
	}
}

// startMaint serves the maintenance service over a fresh SQLite store
// holding the lab-1su sample.
func startMaint(t *testing.T) (pb.MaintenanceServiceClient, *inventory.Store) {
	t.Helper()
	ctx := context.Background()
	st, err := inventory.Open(ctx, "sqlite:"+t.TempDir()+"/maint.db")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ImportFile(ctx, st, "lab-1su.yaml", presetYAML(t, "lab-1su"), "tester", false); err != nil {
		t.Fatal(err)
	}
	lis := bufconn.Listen(1 << 20)
	g := grpc.NewServer()
	NewMaintenance(&executor.Manager{Store: st}).Register(g)
	go g.Serve(lis)
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(context.Context, string) (net.Conn, error) { return lis.Dial() }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		g.Stop()
		st.Close()
	})
	return pb.NewMaintenanceServiceClient(conn), st
}

func hookSpec(fleet string) *pb.CampaignSpec {
	return &pb.CampaignSpec{
		Action: &pb.MaintenanceAction{Kind: "hook", Command: []string{"true"}},
		Budget: &pb.MaintenanceBudget{Fleet: fleet},
		Health: &pb.HealthCheck{SkipPower: true},
	}
}

func msDur(ms int64) time.Duration { return time.Duration(ms) * time.Millisecond }

func wantCode(t *testing.T, what string, err error, code codes.Code, msg string) {
	t.Helper()
	if status.Code(err) != code || !strings.Contains(status.Convert(err).Message(), msg) {
		t.Errorf("%s: %v, want %v mentioning %q", what, err, code, msg)
	}
}

func TestMaintPlan(t *testing.T) {
	ms, _ := startMaint(t)
	ctx := context.Background()
	spec := &pb.CampaignSpec{Action: &pb.MaintenanceAction{Kind: "power-cycle"}, Budget: &pb.MaintenanceBudget{Fleet: "10%"}}
	plan, err := ms.PlanCampaign(ctx, &pb.PlanCampaignRequest{Name: "pc", Spec: spec})
	if err != nil {
		t.Fatal(err)
	}
	// 32 idle nodes, 3 at a time (10% rounds down), 10 minutes each.
	if plan.Targets != 32 || plan.Limit != 3 || len(plan.Waves) != 11 || plan.Campaign.State != "planned" {
		t.Fatalf("plan: %d targets, limit %d, %d waves, state %s", plan.Targets, plan.Limit, len(plan.Waves), plan.Campaign.State)
	}
	if w := plan.Waves[1]; w.OffsetMs != (10*time.Minute).Milliseconds() || len(w.Nodes) != 3 {
		t.Errorf("wave 2: offset %dms, %d nodes", w.OffsetMs, len(w.Nodes))
	}
	if plan.DurationMs != (110*time.Minute).Milliseconds() || plan.LowerBoundMs != plan.DurationMs {
		t.Errorf("duration %d, lower bound %d", plan.DurationMs, plan.LowerBoundMs)
	}
	held := 0
	for _, n := range plan.Nodes {
		if n.Wave == 0 || n.Phase != "done" {
			t.Errorf("node %s: wave %d phase %s", n.Node, n.Wave, n.Phase)
		}
		if n.Held != "" {
			held++
			if !strings.Contains(n.Held, "fleet budget: 3 of 3 nodes offline") {
				t.Errorf("node %s held: %q", n.Node, n.Held)
			}
		}
	}
	if held != 29 {
		t.Errorf("%d nodes held back, want 29", held)
	}
	// A scheduled spec plans from the schedule's next activation, inside
	// its window whatever the time now.
	spec.Schedule, spec.Windows = "0 2 * * 6", []string{"Sat 01:00-02:30"}
	plan, err = ms.PlanCampaign(ctx, &pb.PlanCampaignRequest{Name: "pc", Spec: spec})
	if err != nil {
		t.Fatal(err)
	}
	if next := plan.Campaign.NextRun.AsTime(); next.Weekday() != time.Saturday || next.Hour() != 2 || !plan.Start.AsTime().Equal(next) ||
		!plan.Waves[0].Start.AsTime().Equal(next) || plan.Closed != "" {
		t.Errorf("scheduled plan: next run %v, start %v, first wave %v, closed %q", next, plan.Start.AsTime(), plan.Waves[0].Start.AsTime(), plan.Closed)
	}
	// The window closes at 02:30: waves 4 and later wait for next week.
	if len(plan.Waves) != 11 || plan.Waves[3].OffsetMs != (7*24*time.Hour-time.Hour).Milliseconds() {
		t.Errorf("windowed plan: %d waves, wave 4 at %v", len(plan.Waves), msDur(plan.Waves[min(3, len(plan.Waves)-1)].OffsetMs))
	}

	for _, tt := range []struct {
		what string
		req  *pb.PlanCampaignRequest
		code codes.Code
		msg  string
	}{
		{"stored campaign that does not exist", &pb.PlanCampaignRequest{Name: "nope"}, codes.NotFound, `campaign "nope"`},
		{"no fleet budget", &pb.PlanCampaignRequest{Name: "x", Spec: &pb.CampaignSpec{Action: &pb.MaintenanceAction{Kind: "power-cycle"}}}, codes.InvalidArgument, "needs a fleet budget"},
		{"unknown action", &pb.PlanCampaignRequest{Name: "x", Spec: &pb.CampaignSpec{Action: &pb.MaintenanceAction{Kind: "reboot"}, Budget: &pb.MaintenanceBudget{Fleet: "1"}}}, codes.InvalidArgument, `unknown action "reboot"`},
		{"unknown rack", &pb.PlanCampaignRequest{Name: "x", Spec: &pb.CampaignSpec{Action: &pb.MaintenanceAction{Kind: "power-cycle"}, Budget: &pb.MaintenanceBudget{Fleet: "1"},
			Selector: &pb.CampaignSelector{Racks: []string{"r99"}}}}, codes.InvalidArgument, `rack "r99"`},
		{"bad name", &pb.PlanCampaignRequest{Name: "Bad Name", Spec: hookSpec("1")}, codes.InvalidArgument, "campaign name"},
		{"bad window", &pb.PlanCampaignRequest{Name: "x", Spec: &pb.CampaignSpec{Action: &pb.MaintenanceAction{Kind: "power-cycle"}, Budget: &pb.MaintenanceBudget{Fleet: "1"},
			Windows: []string{"someday"}}}, codes.InvalidArgument, "someday"},
	} {
		_, err := ms.PlanCampaign(ctx, tt.req)
		wantCode(t, tt.what, err, tt.code, tt.msg)
	}
}

// TestMaintCampaignFlow creates a campaign through the API, runs the
// executor by hand, and pauses, resumes and cancels it.
func TestMaintCampaignFlow(t *testing.T) {
	ms, st := startMaint(t)
	ctx := metadata.AppendToOutgoingContext(context.Background(), ActorHeader, "alice")
	spec := hookSpec("3")
	spec.Selector = &pb.CampaignSelector{Racks: []string{"lab-su01-r03", "lab-su01-r04"}}
	got, err := ms.CreateCampaign(ctx, &pb.CreateCampaignRequest{Name: "patch", Spec: spec})
	if err != nil {
		t.Fatal(err)
	}
	if got.Campaign.State != "running" || got.Progress.Total != 8 || got.Progress.Pending != 8 || got.FleetLimit != 3 || len(got.Next) != 3 {
		t.Fatalf("created: state %s, progress %v, limit %d, next %v", got.Campaign.State, got.Progress, got.FleetLimit, got.Next)
	}
	if len(got.Held) != 1 || got.Held[0].Count != 5 || !strings.Contains(got.Held[0].Reason, "fleet budget") {
		t.Errorf("held: %v", got.Held)
	}
	if _, err := ms.CreateCampaign(ctx, &pb.CreateCampaignRequest{Name: "patch", Spec: spec}); status.Code(err) != codes.AlreadyExists {
		t.Errorf("second create: %v", err)
	}

	x := executor.New(st, executor.Options{Poll: 10 * time.Millisecond, Actor: "test"})
	tick := func() {
		t.Helper()
		if err := x.Tick(context.Background()); err != nil {
			t.Fatal(err)
		}
		x.Wait()
	}
	tick()
	got, err = ms.GetCampaign(ctx, &pb.GetCampaignRequest{Name: "patch"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Progress.Done != 3 || got.Progress.Pending != 5 {
		t.Fatalf("after a tick: %v", got.Progress)
	}
	for _, n := range got.Nodes {
		if n.Phase == "done" && (n.Wave != 1 || n.Mode != "idle" || n.Reason != "returned to service") {
			t.Errorf("done node %+v", n)
		}
	}
	// The live decision: three go next, the other two wait for them.
	if len(got.Next) != 3 || len(got.Held) != 1 || got.Held[0].Count != 2 || got.Held[0].Reason != "fleet budget: 3 of 3 nodes offline" {
		t.Errorf("next %v, held %v", got.Next, got.Held)
	}

	got, err = ms.PauseCampaign(ctx, &pb.PauseCampaignRequest{Name: "patch"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Campaign.State != "paused" || got.Campaign.Reason != "paused by alice" || len(got.Next) != 0 || len(got.Held) != 2 ||
		got.Held[0].Count != 3 || got.Held[0].Reason != "the campaign is paused: paused by alice" {
		t.Errorf("paused: %s %q, next %v, held %v", got.Campaign.State, got.Campaign.Reason, got.Next, got.Held)
	}
	tick()
	if got, _ = ms.GetCampaign(ctx, &pb.GetCampaignRequest{Name: "patch"}); got.Progress.Done != 3 {
		t.Errorf("a paused campaign admitted nodes: %v", got.Progress)
	}
	if got, err = ms.ResumeCampaign(ctx, &pb.ResumeCampaignRequest{Name: "patch"}); err != nil || got.Campaign.State != "running" || got.Campaign.Reason != "resumed by alice" {
		t.Fatalf("resume: %v %v", err, got.GetCampaign())
	}
	tick()
	if got, err = ms.CancelCampaign(ctx, &pb.CancelCampaignRequest{Name: "patch"}); err != nil || got.Campaign.State != "cancelled" {
		t.Fatalf("cancel: %v %v", err, got.GetCampaign())
	}
	tick()
	got, err = ms.GetCampaign(ctx, &pb.GetCampaignRequest{Name: "patch"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Progress.Done != 6 || got.Progress.Skipped != 2 || got.Progress.Offline != 0 || got.Campaign.FinishedAt == nil {
		t.Errorf("cancelled: progress %v, finished %v, reason %q", got.Progress, got.Campaign.FinishedAt, got.Campaign.Reason)
	}
	list, err := ms.ListCampaigns(ctx, &pb.ListCampaignsRequest{})
	if err != nil || len(list.Campaigns) != 1 || list.Campaigns[0].Progress.Total != 8 || list.Campaigns[0].Nodes != nil {
		t.Errorf("list: %v %v", err, list)
	}
	snap, _, err := st.CarveSnapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range snap.Nodes {
		if n.Cordoned {
			t.Errorf("%s still cordoned: %s", n.Node, n.CordonReason)
		}
	}

	for _, tt := range []struct {
		what string
		call func() error
		code codes.Code
		msg  string
	}{
		{"pause a cancelled campaign", func() error {
			_, err := ms.PauseCampaign(ctx, &pb.PauseCampaignRequest{Name: "patch"})
			return err
		}, codes.InvalidArgument, "campaign patch is cancelled, not running"},
		{"resume a cancelled campaign", func() error {
			_, err := ms.ResumeCampaign(ctx, &pb.ResumeCampaignRequest{Name: "patch"})
			return err
		}, codes.InvalidArgument, "only a paused campaign resumes"},
		{"confirm on a hook campaign", func() error {
			_, err := ms.ConfirmNode(ctx, &pb.ConfirmNodeRequest{Name: "patch", Node: got.Nodes[0].Node})
			return err
		}, codes.InvalidArgument, "not a hardware swap"},
		{"skip a node not in the campaign", func() error {
			_, err := ms.SkipNode(ctx, &pb.SkipNodeRequest{Name: "patch", Node: "lab-su01-r01-n01"})
			return err
		}, codes.NotFound, "node lab-su01-r01-n01 is not in campaign patch"},
		{"skip a done node", func() error {
			_, err := ms.SkipNode(ctx, &pb.SkipNodeRequest{Name: "patch", Node: got.Nodes[0].Node})
			return err
		}, codes.InvalidArgument, "only pending or failed nodes can be skipped"},
		{"pause a campaign that does not exist", func() error {
			_, err := ms.PauseCampaign(ctx, &pb.PauseCampaignRequest{Name: "nope"})
			return err
		}, codes.NotFound, `campaign "nope"`},
		{"get a campaign that does not exist", func() error {
			_, err := ms.GetCampaign(ctx, &pb.GetCampaignRequest{Name: "nope"})
			return err
		}, codes.NotFound, `campaign "nope"`},
		{"create without a spec", func() error {
			_, err := ms.CreateCampaign(ctx, &pb.CreateCampaignRequest{Name: "empty"})
			return err
		}, codes.InvalidArgument, "no campaign spec"},
	} {
		wantCode(t, tt.what, tt.call(), tt.code, tt.msg)
	}
}

// TestMaintHardwareSwap confirms and skips nodes of a hardware swap, and
// plans the stored campaign from where it stands.
func TestMaintHardwareSwap(t *testing.T) {
	ms, st := startMaint(t)
	ctx := context.Background()
	spec := &pb.CampaignSpec{Action: &pb.MaintenanceAction{Kind: "hardware-swap", Parts: "PSU 2"}, Budget: &pb.MaintenanceBudget{Fleet: "1"},
		Selector: &pb.CampaignSelector{Nodes: []string{"lab-su01-r05-n01", "lab-su01-r05-n02"}}, Health: &pb.HealthCheck{SkipPower: true}}
	if _, err := ms.CreateCampaign(ctx, &pb.CreateCampaignRequest{Name: "psu", Spec: spec}); err != nil {
		t.Fatal(err)
	}
	x := executor.New(st, executor.Options{Poll: time.Hour})
	if err := x.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	x.Wait()
	got, err := ms.GetCampaign(ctx, &pb.GetCampaignRequest{Name: "psu"})
	if err != nil {
		t.Fatal(err)
	}
	first := got.Nodes[0]
	if first.Phase != "acting" || !strings.Contains(first.Reason, "waiting for a technician to replace PSU 2") {
		t.Fatalf("first node: %+v", first)
	}
	plan, err := ms.PlanCampaign(ctx, &pb.PlanCampaignRequest{Name: "psu"})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Campaign.State != "running" || plan.Targets != 2 || len(plan.Waves) != 1 || plan.Waves[0].Nodes[0] != "lab-su01-r05-n02" {
		t.Errorf("stored plan: state %s, %d targets, waves %v", plan.Campaign.State, plan.Targets, plan.Waves)
	}
	if _, err := ms.ConfirmNode(ctx, &pb.ConfirmNodeRequest{Name: "psu", Node: got.Nodes[1].Node}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("confirm a pending node: %v", err)
	}
	if got, err = ms.ConfirmNode(ctx, &pb.ConfirmNodeRequest{Name: "psu", Node: first.Node}); err != nil || !got.Nodes[0].Confirmed {
		t.Fatalf("confirm: %v %+v", err, got.GetNodes())
	}
	if got, err = ms.SkipNode(ctx, &pb.SkipNodeRequest{Name: "psu", Node: "lab-su01-r05-n02"}); err != nil || got.Nodes[1].Phase != "skipped" {
		t.Fatalf("skip: %v %+v", err, got.GetNodes())
	}
	x = executor.New(st, executor.Options{Poll: time.Hour})
	for range 2 {
		if err := x.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		x.Wait()
	}
	if got, err = ms.GetCampaign(ctx, &pb.GetCampaignRequest{Name: "psu"}); err != nil || got.Campaign.State != "done" || got.Nodes[0].Phase != "done" {
		t.Errorf("after confirm: %v %v %v", err, got.GetCampaign().GetState(), got.GetNodes())
	}
}
