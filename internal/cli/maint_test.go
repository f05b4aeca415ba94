package cli

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/railyard/railyard/internal/maintenance"
	pb "github.com/railyard/railyard/proto/railyard/v1"
)

// specOf parses args with the spec flags and builds the spec.
func specOf(t *testing.T, args ...string) (maintenance.Spec, error) {
	t.Helper()
	var f specFlags
	cmd := &cobra.Command{Use: "x"}
	f.add(cmd)
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatalf("parse %v: %v", args, err)
	}
	return f.spec(cmd)
}

func TestMaintSpecFlags(t *testing.T) {
	zero, one, two := maintenance.Count(0), maintenance.Count(1), maintenance.Count(2)
	unlimited := maintenance.Limit{}
	tests := []struct {
		args []string
		want maintenance.Spec
	}{
		{[]string{"--action", "power-cycle", "--max-offline", "10%"},
			maintenance.Spec{Action: maintenance.Action{Kind: maintenance.ActionPowerCycle}, Budget: maintenance.Budget{Fleet: maintenance.Percent(10)}}},
		{[]string{"--action", "hook", "--hook", "/opt/patch.sh $RAILYARD_NODE", "--max-offline", "4,5%", "--rack", "r1,r2", "--node", "n1",
			"--domain-budget", "rack=1", "--domain-budget", "leaf=10%", "--tenant-budget", "0", "--tenant-budget-for", "acme=2",
			"--tenant-window", "acme=Sat 00:00-06:00 UTC", "--tenant-window", "globex=Sun 00:00-06:00", "--tenant-window", "*=daily 03:00-04:00",
			"--window", "Mon-Fri 22:00-06:00 Europe/Berlin", "--exclude", "2026-12-20/2027-01-03 freeze",
			"--health-command", "/opt/check.sh", "--health-timeout", "5m", "--skip-power-check", "--max-failures", "-1", "--max-failure-percent", "10",
			"--max-unavailable", "3%", "--node-timeout", "90m", "--estimate", "20m", "--schedule", "0 2 * * 6", "--recurring"},
			maintenance.Spec{
				Action:   maintenance.Action{Kind: maintenance.ActionHook, Command: []string{"/bin/sh", "-c", "/opt/patch.sh $RAILYARD_NODE"}},
				Selector: maintenance.Selector{Racks: []string{"r1", "r2"}, Nodes: []string{"n1"}},
				Budget: maintenance.Budget{
					Fleet:   maintenance.Limit{Count: maintenance.Count(4).Count, Percent: maintenance.Percent(5).Percent},
					Domains: []maintenance.DomainLimit{{Level: "rack", Limit: one}, {Level: "leaf", Limit: maintenance.Percent(10)}},
					Tenant:  maintenance.TenantBudget{Max: &zero, Windows: []string{"daily 03:00-04:00"}},
					Tenants: map[string]maintenance.TenantBudget{
						"acme":   {Max: &two, Windows: []string{"Sat 00:00-06:00 UTC"}},
						"globex": {Max: &zero, Windows: []string{"Sun 00:00-06:00"}},
					},
				},
				Windows:     []string{"Mon-Fri 22:00-06:00 Europe/Berlin"},
				Exclusions:  []string{"2026-12-20/2027-01-03 freeze"},
				Health:      maintenance.Health{Command: []string{"/bin/sh", "-c", "/opt/check.sh"}, Timeout: maintenance.D(5 * time.Minute), SkipPower: true},
				Stop:        maintenance.Stop{MaxFailures: -1, MaxFailurePercent: 10, MaxUnavailable: maintenance.Percent(3)},
				NodeTimeout: maintenance.D(90 * time.Minute),
				Estimate:    maintenance.D(20 * time.Minute),
				Schedule:    "0 2 * * 6",
				Recurring:   true,
			}},
		{[]string{"--action", "firmware", "--image", "/srv/bios.bin", "--component", "bios", "--version", "2.1", "--max-offline", "2", "--tenant-budget", "unlimited", "--tenant", "acme"},
			maintenance.Spec{Action: maintenance.Action{Kind: maintenance.ActionFirmware, Image: "/srv/bios.bin", Component: "bios", Version: "2.1"},
				Selector: maintenance.Selector{Tenants: []string{"acme"}},
				Budget:   maintenance.Budget{Fleet: two, Tenant: maintenance.TenantBudget{Max: &unlimited}}}},
		{[]string{"--action", "hardware-swap", "--parts", "PSU 2", "--max-offline", "1", "--gpu-model", "H100-SXM5-80GB"},
			maintenance.Spec{Action: maintenance.Action{Kind: maintenance.ActionHardwareSwap, Parts: "PSU 2"}, Selector: maintenance.Selector{GPUModel: "H100-SXM5-80GB"},
				Budget: maintenance.Budget{Fleet: one}}},
	}
	for _, tt := range tests {
		got, err := specOf(t, tt.args...)
		if err != nil {
			t.Errorf("%v: %v", tt.args, err)
			continue
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("%v (-want +got):\n%s", tt.args, d)
		}
		// The wire form carries the same spec.
		if js, _ := json.Marshal(got); !strings.Contains(string(js), `"kind"`) {
			t.Errorf("spec JSON: %s", js)
		}
	}
}

func TestMaintSpecFlagErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--max-offline", "10%"}, "--action is required"},
		{[]string{"--action", "reboot", "--max-offline", "1"}, `--action "reboot": want firmware, power-cycle, hook, hardware-swap`},
		{[]string{"--action", "power-cycle"}, "--max-offline is required"},
		{[]string{"--action", "power-cycle", "--max-offline", "lots"}, `--max-offline "lots": want a count`},
		{[]string{"--action", "power-cycle", "--max-offline", "1", "--domain-budget", "rack"}, `--domain-budget "rack": want NAME=VALUE`},
		{[]string{"--action", "power-cycle", "--max-offline", "1", "--domain-budget", "row=1"}, `level "row": want rack, nvlink, leaf or pod`},
		{[]string{"--action", "power-cycle", "--max-offline", "1", "--tenant-budget-for", "acme=x"}, `--tenant-budget-for "x"`},
		{[]string{"--action", "power-cycle", "--max-offline", "1", "--tenant-window", "Sat 00:00-06:00"}, "--tenant-window"},
		{[]string{"--action", "firmware", "--max-offline", "1"}, "--action firmware needs --image"},
		{[]string{"--action", "hook", "--max-offline", "1"}, "--action hook needs --hook"},
		{[]string{"--action", "hook", "--hook", " ", "--max-offline", "1"}, "--hook: empty command"},
		{[]string{"--action", "hardware-swap", "--max-offline", "1"}, "needs --parts"},
		{[]string{"--action", "power-cycle", "--max-offline", "1", "--recurring"}, "--recurring needs --schedule"},
		{[]string{"--action", "power-cycle", "--max-offline", "1", "--estimate", "0s"}, "--estimate 0s: want a positive duration"},
		{[]string{"--action", "power-cycle", "--max-offline", "1", "--max-failure-percent", "101"}, "--max-failure-percent 101"},
		{[]string{"--file", "/nonexistent/spec.json"}, "--file: open /nonexistent/spec.json"},
	}
	for _, tt := range tests {
		_, err := specOf(t, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err %v, want %q", tt.args, err, tt.want)
		}
	}
}

func TestMaintSpecFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "spec.json")
	os.WriteFile(file, []byte(`{"action": {"kind": "hook", "command": ["/opt/patch.sh"]}, "budget": {"fleet": {"percent": 5}, "tenant": {"max": {"count": 1}}},
		"windows": ["daily 02:00-06:00"], "node_timeout": "45m"}`), 0o644)
	got, err := specOf(t, "--file", file, "--max-offline", "2", "--window", "Sat 00:00-06:00")
	if err != nil {
		t.Fatal(err)
	}
	one := maintenance.Count(1)
	want := maintenance.Spec{Action: maintenance.Action{Kind: maintenance.ActionHook, Command: []string{"/opt/patch.sh"}},
		Budget:  maintenance.Budget{Fleet: maintenance.Count(2), Tenant: maintenance.TenantBudget{Max: &one}},
		Windows: []string{"Sat 00:00-06:00"}, NodeTimeout: maintenance.D(45 * time.Minute)}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("file + flags (-want +got):\n%s", d)
	}
	os.WriteFile(file, []byte(`{"action": {"kind": "hook"}, "budgett": {}}`), 0o644)
	if _, err := specOf(t, "--file", file); err == nil || !strings.Contains(err.Error(), `unknown field "budgett"`) {
		t.Errorf("misspelt field: %v", err)
	}
}

// fakeMaint is a small MaintenanceService: it records requests and
// answers with canned messages; GetCampaign walks through statuses, one
// per call, and stays on the last.
type fakeMaint struct {
	pb.UnimplementedMaintenanceServiceServer
	mu       sync.Mutex
	reqs     []proto.Message
	plan     *pb.CampaignPlan
	statuses []*pb.CampaignStatus
	gets     int
}

func (f *fakeMaint) start(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	pb.RegisterMaintenanceServiceServer(s, f)
	go s.Serve(lis)
	t.Cleanup(s.Stop)
	return lis.Addr().String()
}

func (f *fakeMaint) record(m proto.Message) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, proto.Clone(m))
}

func (f *fakeMaint) last() proto.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reqs[len(f.reqs)-1]
}

func (f *fakeMaint) current() *pb.CampaignStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.statuses[min(f.gets, len(f.statuses)-1)]
}

func (f *fakeMaint) PlanCampaign(_ context.Context, r *pb.PlanCampaignRequest) (*pb.CampaignPlan, error) {
	f.record(r)
	if r.Spec == nil && r.Name != "stored" {
		return nil, status.Errorf(codes.NotFound, "campaign %q", r.Name)
	}
	return f.plan, nil
}

func (f *fakeMaint) CreateCampaign(_ context.Context, r *pb.CreateCampaignRequest) (*pb.CampaignStatus, error) {
	f.record(r)
	return f.current(), nil
}

func (f *fakeMaint) GetCampaign(_ context.Context, r *pb.GetCampaignRequest) (*pb.CampaignStatus, error) {
	f.record(r)
	st := f.current()
	f.mu.Lock()
	f.gets++
	f.mu.Unlock()
	return st, nil
}

func (f *fakeMaint) ListCampaigns(_ context.Context, r *pb.ListCampaignsRequest) (*pb.ListCampaignsResponse, error) {
	f.record(r)
	return &pb.ListCampaignsResponse{Campaigns: []*pb.CampaignStatus{f.current()}}, nil
}

func (f *fakeMaint) PauseCampaign(_ context.Context, r *pb.PauseCampaignRequest) (*pb.CampaignStatus, error) {
	f.record(r)
	st := proto.Clone(f.current()).(*pb.CampaignStatus)
	st.Campaign.State, st.Campaign.Reason = "paused", r.Reason
	return st, nil
}

func (f *fakeMaint) ResumeCampaign(_ context.Context, r *pb.ResumeCampaignRequest) (*pb.CampaignStatus, error) {
	f.record(r)
	return f.current(), nil
}

func (f *fakeMaint) CancelCampaign(_ context.Context, r *pb.CancelCampaignRequest) (*pb.CampaignStatus, error) {
	f.record(r)
	return f.current(), nil
}

func (f *fakeMaint) ConfirmNode(_ context.Context, r *pb.ConfirmNodeRequest) (*pb.CampaignStatus, error) {
	f.record(r)
	return f.current(), nil
}

func (f *fakeMaint) SkipNode(_ context.Context, r *pb.SkipNodeRequest) (*pb.CampaignStatus, error) {
	f.record(r)
	return nil, status.Error(codes.InvalidArgument, "node n1 is acting; only pending or failed nodes can be skipped")
}

func testPlan() *pb.CampaignPlan {
	start := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *timestamppb.Timestamp { return timestamppb.New(start.Add(d)) }
	return &pb.CampaignPlan{
		Campaign: &pb.Campaign{Name: "pc", State: "planned", Spec: &pb.CampaignSpec{Action: &pb.MaintenanceAction{Kind: "power-cycle"},
			Budget: &pb.MaintenanceBudget{Fleet: "50%", Domains: []*pb.DomainBudget{{Level: "rack", Limit: "1"}}}}},
		Targets: 4, Limit: 2, Start: at(0), DurationMs: (20 * time.Minute).Milliseconds(), LowerBoundMs: (20 * time.Minute).Milliseconds(),
		EstimateMs: (10 * time.Minute).Milliseconds(), Swaps: 1,
		Waves: []*pb.PlanWave{
			{Index: 1, Start: at(0), Nodes: []string{"n1", "n3"}},
			{Index: 2, Start: at(10 * time.Minute), OffsetMs: (10 * time.Minute).Milliseconds(), Nodes: []string{"n2", "n4"}, Swaps: 1},
		},
		Nodes: []*pb.PlanNode{
			{Node: "n1", Wave: 1, Phase: "done", Mode: "idle", Start: at(0), End: at(10 * time.Minute), Reason: "idle: in no block"},
			{Node: "n2", Wave: 2, Phase: "done", Mode: "swap", Spares: []string{"n9"}, Start: at(10 * time.Minute), End: at(20 * time.Minute),
				Reason: "in acme-1; spare n9 from the same leaf domain takes its place", Held: "rack budget: 1 of 1 nodes of rack r1 already offline"},
			{Node: "n3", Wave: 1, Phase: "done", Mode: "idle", Start: at(0), End: at(10 * time.Minute), Reason: "idle: in no block"},
			{Node: "n4", Wave: 2, Phase: "done", Mode: "idle", Start: at(10 * time.Minute), End: at(20 * time.Minute), Reason: "idle: in no block",
				Held: "fleet budget: 2 of 2 nodes offline"},
		},
	}
}

func testStatus(state string, done, offline, pending int32) *pb.CampaignStatus {
	st := &pb.CampaignStatus{
		Campaign: &pb.Campaign{Name: "pc", State: state, Run: 1, Reason: "started", Spec: &pb.CampaignSpec{Action: &pb.MaintenanceAction{Kind: "power-cycle"},
			Budget: &pb.MaintenanceBudget{Fleet: "50%"}}, StartedAt: timestamppb.New(time.Now().Add(-time.Minute))},
		Progress:   &pb.CampaignProgress{Total: 4, Done: done, Offline: offline, Pending: pending, ByPhase: map[string]int32{"done": done, "acting": offline, "pending": pending}},
		FleetLimit: 2, FleetOffline: offline,
	}
	names := []string{"n1", "n2", "n3", "n4"}
	for i, n := range names {
		switch {
		case int32(i) < done:
			st.Nodes = append(st.Nodes, &pb.CampaignNode{Node: n, Phase: "done", Wave: 1})
		case int32(i) < done+offline:
			st.Nodes = append(st.Nodes, &pb.CampaignNode{Node: n, Phase: "acting", Mode: "swap", Spares: []string{"n9"}, Wave: 2,
				Reason: "power-cycled through its BMC", PhaseAt: timestamppb.Now()})
		default:
			st.Nodes = append(st.Nodes, &pb.CampaignNode{Node: n, Phase: "pending", Held: "fleet budget: 2 of 2 nodes offline"})
		}
	}
	if pending > 0 {
		st.Held = []*pb.HeldGroup{{Reason: "fleet budget: 2 of 2 nodes offline", Count: pending, Nodes: names[done+offline:]}}
	}
	if state == "done" {
		st.Campaign.Reason, st.Campaign.FinishedAt = "run 1 finished", timestamppb.Now()
	}
	return st
}

func TestMaintPlanOutput(t *testing.T) {
	f := &fakeMaint{plan: testPlan(), statuses: []*pb.CampaignStatus{testStatus("running", 0, 0, 4)}}
	addr := f.start(t)
	out := runOK(t, addr, "maint", "plan", "pc", "--action", "power-cycle", "--max-offline", "50%", "--domain-budget", "rack=1")
	for _, want := range []string{
		"campaign pc (planned): power-cycle on 4 nodes",
		"budget: fleet 50% (2 nodes), rack 1, tenants 0",
		"expected duration 20m (lower bound 20m at 10m a node); 2 waves, 1 swaps, 0 drains",
		"WAVE   START   NODES   SWAPS   DRAINS   FIRST NODES",
		"2      +10m    2       1       0        n2, n4",
		"  1   fleet budget: 2 of 2 nodes offline",
		"(--nodes lists every node",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	req := f.last().(*pb.PlanCampaignRequest)
	if req.Spec.GetBudget().GetFleet() != "50%" || req.Spec.GetBudget().GetDomains()[0].GetLimit() != "1" || req.Spec.GetAction().GetKind() != "power-cycle" {
		t.Errorf("plan request: %v", req)
	}
	out = runOK(t, addr, "maint", "plan", "stored", "--nodes")
	if f.last().(*pb.PlanCampaignRequest).Spec != nil {
		t.Error("plan NAME sent a spec")
	}
	if !strings.Contains(out, "n2     2      +10m    +20m   swap   n9       in acme-1; spare n9 from the same leaf domain takes its place; waited: rack budget") {
		t.Errorf("plan --nodes:\n%s", out)
	}
	if r := run(t, addr, "maint", "plan", "nope"); r.err == nil || !strings.Contains(r.stderr, "campaign nope is not stored: give its spec") {
		t.Errorf("plan of an unknown campaign: %v %s", r.err, r.stderr)
	}
	var js map[string]any
	if err := json.Unmarshal([]byte(runOK(t, addr, "maint", "plan", "stored", "-o", "json")), &js); err != nil || js["targets"] != float64(4) {
		t.Errorf("plan -o json: %v %v", err, js)
	}
}

func TestMaintStatusOutput(t *testing.T) {
	f := &fakeMaint{statuses: []*pb.CampaignStatus{testStatus("running", 1, 2, 1)}}
	addr := f.start(t)
	out := runOK(t, addr, "maint", "status", "pc")
	for _, want := range []string{
		"campaign pc: running, run 1: started",
		"progress: [#######~~~~~~~~~~~~~~~........] 1/4 done, 2 offline, 0 failed, 1 pending",
		"fleet: 2 of 2 nodes out for maintenance",
		"in flight (2):",
		"  n2     acting   swap   n9      2      0s ago   power-cycled through its BMC",
		"pending, held back (1):",
		"  1   fleet budget: 2 of 2 nodes offline   (n4)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	out = runOK(t, addr, "maint", "status")
	if !strings.Contains(out, "pc     running   1     power-cycle   1/4 done, 2 offline, 0 failed") {
		t.Errorf("status list:\n%s", out)
	}
	out = runOK(t, addr, "maint", "pause", "pc", "--reason", "freeze")
	if req := f.last().(*pb.PauseCampaignRequest); req.Reason != "freeze" || !strings.Contains(out, "campaign pc paused: freeze; 1/4 done") {
		t.Errorf("pause: %v\n%s", req, out)
	}
	runOK(t, addr, "maint", "resume", "pc", "--retry-failed")
	if req := f.last().(*pb.ResumeCampaignRequest); !req.RetryFailed {
		t.Errorf("resume request: %v", req)
	}
	if out := runOK(t, addr, "maint", "confirm", "pc", "n2"); !strings.Contains(out, "campaign pc: n2 confirmed") {
		t.Errorf("confirm: %s", out)
	}
	if r := run(t, addr, "maint", "skip", "pc", "n1"); r.err == nil || !strings.Contains(r.stderr, "railyard: invalid argument: node n1 is acting") {
		t.Errorf("skip: %v %s", r.err, r.stderr)
	}
	runOK(t, addr, "maint", "cancel", "pc")
	if _, ok := f.last().(*pb.CancelCampaignRequest); !ok {
		t.Errorf("cancel sent %T", f.last())
	}
}

func TestMaintWatch(t *testing.T) {
	f := &fakeMaint{statuses: []*pb.CampaignStatus{testStatus("running", 0, 2, 2), testStatus("running", 0, 2, 2), testStatus("running", 2, 2, 0), testStatus("done", 4, 0, 0)}}
	addr := f.start(t)
	out := runOK(t, addr, "maint", "status", "pc", "--watch", "--interval", "10ms")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	// One line per change (the second status repeats the first), then the
	// final status.
	if len(lines) < 4 || !strings.Contains(lines[0], "0/4 done, 2 offline, 0 failed, 2 pending; in flight: n1 acting, n2 acting") ||
		!strings.Contains(lines[1], "2/4 done") || !strings.Contains(lines[2], "done      [####################] 4/4 done") {
		t.Errorf("watch:\n%s", out)
	}
	if !strings.Contains(out, "campaign pc: done, run 1: run 1 finished") {
		t.Errorf("watch does not end with the status:\n%s", out)
	}

	f = &fakeMaint{statuses: []*pb.CampaignStatus{testStatus("paused", 1, 0, 3)}}
	f.statuses[0].Campaign.Reason = "1 nodes failed"
	addr = f.start(t)
	if r := run(t, addr, "maint", "status", "pc", "--watch", "--interval", "10ms"); r.err == nil || !strings.Contains(r.stderr, "campaign pc is paused: 1 nodes failed (railyard maint resume pc)") {
		t.Errorf("watch of a paused campaign: %v %s", r.err, r.stderr)
	}
	if r := run(t, addr, "maint", "status", "--watch"); r.err == nil || !strings.Contains(r.stderr, "--watch needs a campaign name") {
		t.Errorf("watch without a name: %v", r.err)
	}
}

func TestMaintStartRequest(t *testing.T) {
	f := &fakeMaint{statuses: []*pb.CampaignStatus{testStatus("running", 0, 0, 4)}}
	addr := f.start(t)
	out := runOK(t, addr, "maint", "start", "pc", "--action", "hook", "--hook", "sleep 1", "--max-offline", "3", "--tenant-budget-for", "acme=1")
	if !strings.Contains(out, "campaign pc started: power-cycle on 4 nodes; follow it with: railyard maint status pc --watch") {
		t.Errorf("start: %s", out)
	}
	req := f.last().(*pb.CreateCampaignRequest)
	if req.Name != "pc" || !cmp.Equal(req.Spec.Action.Command, []string{"/bin/sh", "-c", "sleep 1"}) || req.Spec.Budget.Fleet != "3" ||
		req.Spec.Budget.Tenants["acme"].GetMax() != "1" || req.Spec.Budget.Tenant.Max != nil {
		t.Errorf("create request: %v", req)
	}
	// Usage errors are caught before the server is asked.
	if r := run(t, "127.0.0.1:1", "maint", "start", "pc", "--action", "hook", "--max-offline", "1"); r.err == nil || !strings.Contains(r.stderr, "needs --hook") {
		t.Errorf("start without a hook: %v %s", r.err, r.stderr)
	}
	out = runOK(t, "127.0.0.1:1", "maint", "--help")
	for _, name := range []string{"plan", "start", "status", "pause", "resume", "cancel", "confirm", "skip"} {
		if !strings.Contains(out, "\n  "+name+" ") {
			t.Errorf("maint help does not list %s:\n%s", name, out)
		}
	}
}

func TestShortDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "0s", 90 * time.Minute: "1h30m", time.Hour: "1h", 10 * time.Minute: "10m",
		95 * time.Second: "1m35s", 1500 * time.Millisecond: "2s", 26*time.Hour + 5*time.Second: "26h0m5s"} {
		if got := shortDuration(d); got != want {
			t.Errorf("shortDuration(%s) = %q, want %q", d, got, want)
		}
	}
}
