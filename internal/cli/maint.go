package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/railyard/railyard/internal/maintenance"
	pb "github.com/railyard/railyard/proto/railyard/v1"
)

// maintCall dials the server and calls f with a maintenance client and a
// context limited by --timeout that names the actor.
func (o *options) maintCall(cmd *cobra.Command, f func(ctx context.Context, ms pb.MaintenanceServiceClient) error) error {
	c, err := o.dial()
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := o.context(cmd)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, actorHeader, actor())
	return c.rpcError(f(ctx, pb.NewMaintenanceServiceClient(c.cc)))
}

func newMaintCommand(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "maint",
		Aliases: []string{"maintenance"},
		Short:   "Rolling maintenance campaigns: plan, start, status, pause, resume, cancel",
		Long: `A maintenance campaign takes a selection of nodes out of service a few at a
time, does one thing to each (a firmware update through the BMC, a power
cycle, an operator's hook command, a hardware swap a technician confirms),
checks its health and returns it. Budgets bound what is out at once: the
fleet (--max-offline, required), each failure domain (--domain-budget) and
each tenant (--tenant-budget: how many nodes of its blocks may be out
without a spare taking their place; 0 by default). Idle nodes go first,
then nodes a spare from the same leaf domain can replace, then nodes their
tenant's budget or window lets go.

plan shows the waves, the expected duration and why every node is where it
is, before anything changes. The server runs campaigns (serve
--maint-interval); every step is stored, so a restarted server resumes.`,
		Example: `  railyard maint plan pc-1 --action power-cycle --max-offline 10%
  railyard maint start pc-1 --action power-cycle --max-offline 10% --domain-budget rack=1
  railyard maint status pc-1 --watch
  railyard maint start bios --action firmware --image /srv/fw/bios-2.1.bin --component bios --max-offline 4,5% --window "Mon-Fri 22:00-06:00 Europe/Berlin"
  railyard maint start patch --action hook --hook "/opt/ops/patch.sh" --max-offline 5% --schedule "0 2 * * 6" --recurring
  railyard maint pause pc-1 --reason "change freeze"
  railyard maint resume pc-1 --retry-failed`,
	}
	cmd.AddCommand(newMaintPlanCommand(o), newMaintStartCommand(o), newMaintStatusCommand(o), newMaintPauseCommand(o),
		newMaintResumeCommand(o), newMaintCancelCommand(o), newMaintConfirmCommand(o), newMaintSkipCommand(o))
	return cmd
}

// specFlags are the flags that write a campaign spec.
type specFlags struct {
	file                                     string
	action, image, component, version, parts string
	hook                                     string
	sites, pods, leaves, racks, nodes        []string
	gpuModel                                 string
	tenants                                  []string
	maxOffline                               string
	domainBudgets                            []string
	tenantBudget                             string
	tenantBudgetFor, tenantWindows           []string
	windows, exclusions                      []string
	healthCommand                            string
	healthTimeout                            time.Duration
	skipPower                                bool
	maxFailures                              int
	maxFailurePercent                        float64
	maxUnavailable                           string
	nodeTimeout, estimate                    time.Duration
	schedule                                 string
	recurring                                bool
}

// specFlagNames are the flags add defines; any of them set means the
// command describes a spec.
var specFlagNames = []string{"file", "action", "image", "component", "version", "parts", "hook", "site", "pod", "leaf", "rack", "node",
	"gpu-model", "tenant", "max-offline", "domain-budget", "tenant-budget", "tenant-budget-for", "tenant-window", "window", "exclude",
	"health-command", "health-timeout", "skip-power-check", "max-failures", "max-failure-percent", "max-unavailable", "node-timeout",
	"estimate", "schedule", "recurring"}

func (f *specFlags) add(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.file, "file", "", "read the spec from this JSON file (the flags override its fields)")
	fs.StringVar(&f.action, "action", "", "what to do to each node: firmware, power-cycle, hook or hardware-swap")
	fs.StringVar(&f.image, "image", "", "firmware: the image file, on the server")
	fs.StringVar(&f.component, "component", "", "firmware: the component the BMC updates (bios, bmc, ...; empty lets the BMC decide)")
	fs.StringVar(&f.version, "version", "", "firmware: the version the BMC must report afterwards")
	fs.StringVar(&f.hook, "hook", "", `hook: a shell command run on the server for each node (/bin/sh -c; $RAILYARD_NODE, $RAILYARD_BMC set)`)
	fs.StringVar(&f.parts, "parts", "", "hardware-swap: what the technician replaces")
	fs.StringSliceVar(&f.sites, "site", nil, "only nodes in these sites (comma list)")
	fs.StringSliceVar(&f.pods, "pod", nil, "only nodes in these pods")
	fs.StringSliceVar(&f.leaves, "leaf", nil, "only nodes in these leaf domains")
	fs.StringSliceVar(&f.racks, "rack", nil, "only nodes in these racks")
	fs.StringSliceVar(&f.nodes, "node", nil, "only these nodes")
	fs.StringVar(&f.gpuModel, "gpu-model", "", "only nodes with this GPU model")
	fs.StringSliceVar(&f.tenants, "tenant", nil, "only the nodes of these tenants' blocks")
	fs.StringVar(&f.maxOffline, "max-offline", "", "fleet budget (required): nodes out for maintenance at once, as a count (4), a share of the fleet (5%) or both (4,5%)")
	fs.StringArrayVar(&f.domainBudgets, "domain-budget", nil, "LEVEL=LIMIT: at most LIMIT nodes out per failure domain of LEVEL (rack, nvlink, leaf, pod); repeatable")
	fs.StringVar(&f.tenantBudget, "tenant-budget", "", "nodes of a tenant's blocks out at once without a spare (default 0); a count, a share or \"unlimited\"")
	fs.StringArrayVar(&f.tenantBudgetFor, "tenant-budget-for", nil, "TENANT=LIMIT: another budget for one tenant; repeatable")
	fs.StringArrayVar(&f.tenantWindows, "tenant-window", nil, `TENANT=WINDOW: inside the tenant's window ("acme=Sat 00:00-06:00 UTC") its nodes may go without a spare; "*=WINDOW" for every tenant; repeatable`)
	fs.StringArrayVar(&f.windows, "window", nil, `when nodes may be taken out ("Mon-Fri 22:00-06:00 Europe/Berlin", "daily 02:00-06:00"); repeatable; none: any time`)
	fs.StringArrayVar(&f.exclusions, "exclude", nil, `when they may not ("2026-12-20/2027-01-03 holiday freeze"); repeatable`)
	fs.StringVar(&f.healthCommand, "health-command", "", "a shell command that must pass before a node returns (same environment as a hook)")
	fs.DurationVar(&f.healthTimeout, "health-timeout", 0, "how long the health check may take (default 10m)")
	fs.BoolVar(&f.skipPower, "skip-power-check", false, "do not wait for the BMC to report the power on before a node returns")
	fs.IntVar(&f.maxFailures, "max-failures", 0, "pause after this many failed nodes (default 1; -1: never)")
	fs.Float64Var(&f.maxFailurePercent, "max-failure-percent", 0, "pause after this share of the campaign's nodes failed")
	fs.StringVar(&f.maxUnavailable, "max-unavailable", "", "hold admissions while more of the fleet than this is out for other reasons (failed, unhealthy, cordoned)")
	fs.DurationVar(&f.nodeTimeout, "node-timeout", 0, "fail a node that takes longer than this (default 2h; hardware-swap 72h)")
	fs.DurationVar(&f.estimate, "estimate", 0, "expected time per node, for the plan (default by action)")
	fs.StringVar(&f.schedule, "schedule", "", `start at the next activation of this cron expression ("0 2 * * 6", "CRON_TZ=Europe/Berlin 0 22 * * Mon-Fri")`)
	fs.BoolVar(&f.recurring, "recurring", false, "with --schedule: start a new run at every activation once the last one finished")
	_ = cmd.RegisterFlagCompletionFunc("action", cobra.FixedCompletions(actionNames(), cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("file", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"json"}, cobra.ShellCompDirectiveFilterFileExt
	})
}

func actionNames() []string {
	var out []string
	for _, k := range maintenance.ActionKinds {
		out = append(out, string(k))
	}
	return out
}

// given reports whether any spec flag was set.
func (f *specFlags) given(cmd *cobra.Command) bool {
	return slices.ContainsFunc(specFlagNames, cmd.Flags().Changed)
}

// parseLimitFlag reads a limit flag; "unlimited" sets no bound.
func parseLimitFlag(flag, s string) (maintenance.Limit, error) {
	if strings.TrimSpace(s) == "unlimited" {
		return maintenance.Limit{}, nil
	}
	l, err := maintenance.ParseLimit(s)
	if err != nil {
		return l, fmt.Errorf("--%s %q: want a count of nodes (4), a percentage (5%%) or both (4,5%%)", flag, s)
	}
	return l, nil
}

// keyValue splits "KEY=VALUE" for flag.
func keyValue(flag, s string) (string, string, error) {
	k, v, ok := strings.Cut(s, "=")
	k, v = strings.TrimSpace(k), strings.TrimSpace(v)
	if !ok || k == "" || v == "" {
		return "", "", fmt.Errorf("--%s %q: want NAME=VALUE", flag, s)
	}
	return k, v, nil
}

// spec builds the campaign spec: --file first, then every flag given.
func (f *specFlags) spec(cmd *cobra.Command) (maintenance.Spec, error) {
	var s maintenance.Spec
	if f.file != "" {
		data, err := os.ReadFile(f.file)
		if err != nil {
			return s, fmt.Errorf("--file: %v", err)
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&s); err != nil {
			return s, fmt.Errorf("--file %s: not a campaign spec: %v", f.file, err)
		}
	}
	set := cmd.Flags().Changed
	if set("action") {
		if !slices.Contains(actionNames(), f.action) {
			return s, fmt.Errorf("--action %q: want %s", f.action, strings.Join(actionNames(), ", "))
		}
		s.Action.Kind = maintenance.ActionKind(f.action)
	}
	for _, x := range []struct {
		flag string
		dst  *string
		val  string
	}{{"image", &s.Action.Image, f.image}, {"component", &s.Action.Component, f.component}, {"version", &s.Action.Version, f.version},
		{"parts", &s.Action.Parts, f.parts}, {"gpu-model", &s.Selector.GPUModel, f.gpuModel}, {"schedule", &s.Schedule, f.schedule}} {
		if set(x.flag) {
			*x.dst = x.val
		}
	}
	if set("hook") {
		if strings.TrimSpace(f.hook) == "" {
			return s, fmt.Errorf("--hook: empty command")
		}
		s.Action.Command = []string{"/bin/sh", "-c", f.hook}
	}
	for _, x := range []struct {
		flag string
		dst  *[]string
		val  []string
	}{{"site", &s.Selector.Sites, f.sites}, {"pod", &s.Selector.Pods, f.pods}, {"leaf", &s.Selector.LeafDomains, f.leaves},
		{"rack", &s.Selector.Racks, f.racks}, {"node", &s.Selector.Nodes, f.nodes}, {"tenant", &s.Selector.Tenants, f.tenants},
		{"window", &s.Windows, f.windows}, {"exclude", &s.Exclusions, f.exclusions}} {
		if set(x.flag) {
			*x.dst = x.val
		}
	}
	var err error
	if set("max-offline") {
		if s.Budget.Fleet, err = parseLimitFlag("max-offline", f.maxOffline); err != nil {
			return s, err
		}
	}
	if set("domain-budget") {
		s.Budget.Domains = nil
		for _, d := range f.domainBudgets {
			level, lim, err := keyValue("domain-budget", d)
			if err != nil {
				return s, err
			}
			if !slices.Contains([]string{maintenance.DomainRack, maintenance.DomainNVLink, maintenance.DomainLeaf, maintenance.DomainPod}, level) {
				return s, fmt.Errorf("--domain-budget %q: level %q: want rack, nvlink, leaf or pod", d, level)
			}
			l, err := parseLimitFlag("domain-budget", lim)
			if err != nil {
				return s, err
			}
			s.Budget.Domains = append(s.Budget.Domains, maintenance.DomainLimit{Level: level, Limit: l})
		}
	}
	if set("tenant-budget") {
		l, err := parseLimitFlag("tenant-budget", f.tenantBudget)
		if err != nil {
			return s, err
		}
		s.Budget.Tenant.Max = &l
	}
	// A tenant's own budget replaces the default one whole: it starts as
	// a copy of the default's limit.
	override := func(t string) maintenance.TenantBudget {
		if s.Budget.Tenants == nil {
			s.Budget.Tenants = map[string]maintenance.TenantBudget{}
		}
		tb, ok := s.Budget.Tenants[t]
		if !ok {
			tb = maintenance.TenantBudget{Max: s.Budget.Tenant.Max}
		}
		return tb
	}
	for _, x := range f.tenantBudgetFor {
		t, lim, err := keyValue("tenant-budget-for", x)
		if err != nil {
			return s, err
		}
		l, err := parseLimitFlag("tenant-budget-for", lim)
		if err != nil {
			return s, err
		}
		tb := override(t)
		tb.Max = &l
		s.Budget.Tenants[t] = tb
	}
	for _, x := range f.tenantWindows {
		t, w, err := keyValue("tenant-window", x)
		if err != nil {
			return s, err
		}
		if t == "*" {
			s.Budget.Tenant.Windows = append(s.Budget.Tenant.Windows, w)
			continue
		}
		tb := override(t)
		tb.Windows = append(tb.Windows, w)
		s.Budget.Tenants[t] = tb
	}
	if set("health-command") {
		s.Health.Command = nil
		if strings.TrimSpace(f.healthCommand) != "" {
			s.Health.Command = []string{"/bin/sh", "-c", f.healthCommand}
		}
	}
	if set("health-timeout") {
		s.Health.Timeout = maintenance.D(f.healthTimeout)
	}
	if set("skip-power-check") {
		s.Health.SkipPower = f.skipPower
	}
	if set("max-failures") {
		s.Stop.MaxFailures = f.maxFailures
	}
	if set("max-failure-percent") {
		if f.maxFailurePercent < 0 || f.maxFailurePercent > 100 {
			return s, fmt.Errorf("--max-failure-percent %v: want 0 to 100", f.maxFailurePercent)
		}
		s.Stop.MaxFailurePercent = f.maxFailurePercent
	}
	if set("max-unavailable") {
		if s.Stop.MaxUnavailable, err = parseLimitFlag("max-unavailable", f.maxUnavailable); err != nil {
			return s, err
		}
	}
	for _, x := range []struct {
		flag string
		dst  *maintenance.Duration
		val  time.Duration
	}{{"node-timeout", &s.NodeTimeout, f.nodeTimeout}, {"estimate", &s.Estimate, f.estimate}} {
		if set(x.flag) {
			if x.val <= 0 {
				return s, fmt.Errorf("--%s %s: want a positive duration", x.flag, x.val)
			}
			*x.dst = maintenance.D(x.val)
		}
	}
	if set("recurring") {
		s.Recurring = f.recurring
	}
	switch {
	case s.Action.Kind == "":
		return s, fmt.Errorf("--action is required: %s", strings.Join(actionNames(), ", "))
	case s.Budget.Fleet.Unlimited():
		return s, fmt.Errorf("--max-offline is required: the most nodes out at once, as a count (4), a share of the fleet (10%%) or both (4,10%%)")
	case s.Action.Kind == maintenance.ActionFirmware && s.Action.Image == "":
		return s, fmt.Errorf("--action firmware needs --image")
	case s.Action.Kind == maintenance.ActionHook && len(s.Action.Command) == 0:
		return s, fmt.Errorf("--action hook needs --hook \"COMMAND\"")
	case s.Action.Kind == maintenance.ActionHardwareSwap && s.Action.Parts == "":
		return s, fmt.Errorf("--action hardware-swap needs --parts (what the technician replaces)")
	case s.Recurring && s.Schedule == "":
		return s, fmt.Errorf("--recurring needs --schedule")
	}
	return s, nil
}

// specPB converts a spec to the wire's (as the server's API does).
func specPB(s maintenance.Spec) *pb.CampaignSpec {
	optLimit := func(l *maintenance.Limit) *string {
		if l == nil {
			return nil
		}
		v := l.String()
		if l.Unlimited() {
			v = "unlimited"
		}
		return &v
	}
	tenant := func(t maintenance.TenantBudget) *pb.TenantBudget {
		return &pb.TenantBudget{Max: optLimit(t.Max), Windows: t.Windows, WindowMax: optLimit(t.WindowMax)}
	}
	dur := func(d maintenance.Duration) string {
		if d.Duration == 0 {
			return ""
		}
		return d.Duration.String()
	}
	a := s.Action
	out := &pb.CampaignSpec{
		Action: &pb.MaintenanceAction{Kind: string(a.Kind), Component: a.Component, Image: a.Image, Version: a.Version, Command: a.Command, Parts: a.Parts},
		Selector: &pb.CampaignSelector{Sites: s.Selector.Sites, Pods: s.Selector.Pods, LeafDomains: s.Selector.LeafDomains, Racks: s.Selector.Racks,
			Nodes: s.Selector.Nodes, GpuModel: s.Selector.GPUModel, Tenants: s.Selector.Tenants},
		Budget:      &pb.MaintenanceBudget{Fleet: s.Budget.Fleet.String(), Tenant: tenant(s.Budget.Tenant)},
		Windows:     s.Windows,
		Exclusions:  s.Exclusions,
		Health:      &pb.HealthCheck{Command: s.Health.Command, Timeout: dur(s.Health.Timeout), SkipPower: s.Health.SkipPower},
		Stop:        &pb.StopConditions{MaxFailures: int32(s.Stop.MaxFailures), MaxFailurePercent: s.Stop.MaxFailurePercent, MaxUnavailable: s.Stop.MaxUnavailable.String()},
		NodeTimeout: dur(s.NodeTimeout),
		Estimate:    dur(s.Estimate),
		Schedule:    s.Schedule,
		Recurring:   s.Recurring,
	}
	for _, d := range s.Budget.Domains {
		out.Budget.Domains = append(out.Budget.Domains, &pb.DomainBudget{Level: d.Level, Limit: d.Limit.String()})
	}
	if len(s.Budget.Tenants) > 0 {
		out.Budget.Tenants = map[string]*pb.TenantBudget{}
		for name, t := range s.Budget.Tenants {
			out.Budget.Tenants[name] = tenant(t)
		}
	}
	return out
}

func (o *options) completeCampaignArg(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var names []string
	_ = o.maintCall(cmd, func(ctx context.Context, ms pb.MaintenanceServiceClient) error {
		r, err := ms.ListCampaigns(ctx, &pb.ListCampaignsRequest{})
		for _, c := range r.GetCampaigns() {
			names = append(names, c.GetCampaign().GetName())
		}
		return err
	})
	return names, cobra.ShellCompDirectiveNoFileComp
}

func newMaintPlanCommand(o *options) *cobra.Command {
	var (
		f     specFlags
		nodes bool
	)
	cmd := &cobra.Command{
		Use:   "plan NAME [spec flags]",
		Short: "Simulate a campaign: waves, expected duration, and why each node waits",
		Long: `plan simulates a campaign against the current inventory and changes nothing.
With spec flags (or --file) it plans a new campaign from its start; with only
a name, a stored campaign from where it stands. It prints the waves (when
each starts, how many nodes, how many a spare replaces and how many leave
their tenant short), the expected duration against the lower bound the
fleet budget allows, and why nodes wait; --nodes lists every node.`,
		Example: `  railyard maint plan pc-1 --action power-cycle --max-offline 10%
  railyard maint plan pc-1 --action power-cycle --max-offline 10% --domain-budget rack=1 --nodes
  railyard maint plan bios                # a stored campaign: what is left`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: o.completeCampaignArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := o.printer(cmd)
			if err != nil {
				return err
			}
			req := &pb.PlanCampaignRequest{Name: args[0]}
			if f.given(cmd) {
				s, err := f.spec(cmd)
				if err != nil {
					return err
				}
				req.Spec = specPB(s)
			}
			return o.maintCall(cmd, func(ctx context.Context, ms pb.MaintenanceServiceClient) error {
				plan, err := ms.PlanCampaign(ctx, req)
				if err != nil {
					if req.Spec == nil && status.Code(err) == codes.NotFound {
						return fmt.Errorf("campaign %s is not stored: give its spec (--action, --max-offline, ...) to plan a new one", args[0])
					}
					return err
				}
				if !p.table() {
					return p.printMessage(plan)
				}
				return writePlan(p.w, plan, nodes)
			})
		},
	}
	f.add(cmd)
	cmd.Flags().BoolVar(&nodes, "nodes", false, "list every node: its wave and why it waits")
	return cmd
}

func newMaintStartCommand(o *options) *cobra.Command {
	var f specFlags
	cmd := &cobra.Command{
		Use:   "start NAME [spec flags]",
		Short: "Create a campaign and start it (or schedule it with --schedule)",
		Long: `start stores a campaign and starts it: the server's executor admits nodes as
the budgets allow. With --schedule it waits for the cron expression's next
activation instead; with --recurring it starts a new run at every
activation once the last one finished. Plan it first with maint plan.`,
		Example: `  railyard maint start pc-1 --action power-cycle --max-offline 10%
  railyard maint start patch --action hook --hook "/opt/ops/patch.sh \$RAILYARD_NODE" --max-offline 5% --health-command "/opt/ops/check.sh"
  railyard maint start psu --action hardware-swap --parts "PSU 2" --node lab-su01-r04-n04 --max-offline 1
  railyard maint start weekly --file weekly.json --schedule "0 2 * * 6" --recurring`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := o.printer(cmd)
			if err != nil {
				return err
			}
			s, err := f.spec(cmd)
			if err != nil {
				return err
			}
			return o.maintCall(cmd, func(ctx context.Context, ms pb.MaintenanceServiceClient) error {
				st, err := ms.CreateCampaign(ctx, &pb.CreateCampaignRequest{Name: args[0], Spec: specPB(s)})
				if err != nil {
					return err
				}
				if !p.table() {
					return p.printMessage(st)
				}
				c := st.GetCampaign()
				if c.GetState() == string(maintenance.StateScheduled) {
					fmt.Fprintf(p.w, "campaign %s scheduled: %s; first run %s\n", c.GetName(), campaignWhat(c), timeText(c.GetNextRun()))
					return nil
				}
				fmt.Fprintf(p.w, "campaign %s started: %s on %d nodes; follow it with: railyard maint status %s --watch\n",
					c.GetName(), campaignWhat(c), st.GetProgress().GetTotal(), c.GetName())
				return nil
			})
		},
	}
	f.add(cmd)
	return cmd
}

// terminal reports whether a campaign has nothing more to do without an
// operator, and the error a watch ends with (nil when it finished).
func terminal(st *pb.CampaignStatus) (bool, error) {
	c := st.GetCampaign()
	switch maintenance.State(c.GetState()) {
	case maintenance.StateDone:
		return true, nil
	case maintenance.StateCancelled:
		if c.GetFinishedAt() != nil {
			return true, fmt.Errorf("campaign %s was cancelled", c.GetName())
		}
	case maintenance.StatePaused:
		if st.GetProgress().GetOffline() == st.GetProgress().GetFailed() {
			return true, fmt.Errorf("campaign %s is paused: %s (railyard maint resume %s)", c.GetName(), c.GetReason(), c.GetName())
		}
	}
	return false, nil
}

func newMaintStatusCommand(o *options) *cobra.Command {
	var (
		watch    bool
		interval time.Duration
		all      bool
	)
	cmd := &cobra.Command{
		Use:     "status [NAME]",
		Aliases: []string{"get", "list", "ls"},
		Short:   "Show a campaign's progress, its nodes in flight and why the others wait; or list campaigns",
		Long: `status shows a campaign: its state, progress by phase, the nodes in flight
(phase, how they left their tenant, the spare that took their place, since
when, and why) and, for pending nodes, why the planner holds them back,
grouped by reason. Without a name it lists every campaign. --watch prints a
line whenever the progress changes until the campaign is done (exit 0),
paused or cancelled (exit 1).`,
		Example: `  railyard maint status
  railyard maint status pc-1
  railyard maint status pc-1 --watch
  railyard maint status pc-1 --all -o json`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: o.completeCampaignArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := o.printer(cmd)
			if err != nil {
				return err
			}
			if len(args) == 0 {
				if watch {
					return fmt.Errorf("--watch needs a campaign name")
				}
				return o.maintCall(cmd, func(ctx context.Context, ms pb.MaintenanceServiceClient) error {
					r, err := ms.ListCampaigns(ctx, &pb.ListCampaignsRequest{})
					if err != nil {
						return err
					}
					return printList(p, r.GetCampaigns(), campaignColumns)
				})
			}
			if !watch {
				return o.maintCall(cmd, func(ctx context.Context, ms pb.MaintenanceServiceClient) error {
					st, err := ms.GetCampaign(ctx, &pb.GetCampaignRequest{Name: args[0]})
					if err != nil {
						return err
					}
					if !p.table() {
						return p.printMessage(st)
					}
					return writeStatus(p.w, st, all)
				})
			}
			return o.watchCampaign(cmd, p, args[0], interval, all)
		},
	}
	cmd.Flags().BoolVarP(&watch, "watch", "w", false, "follow the campaign until it is done, paused or cancelled")
	cmd.Flags().DurationVar(&interval, "interval", 2*time.Second, "with --watch: how often to ask")
	cmd.Flags().BoolVar(&all, "all", false, "list every node, not only those in flight")
	return cmd
}

// watchCampaign polls a campaign and prints a progress line whenever it
// changes, then the final status.
func (o *options) watchCampaign(cmd *cobra.Command, p *printer, name string, interval time.Duration, all bool) error {
	if interval <= 0 {
		return fmt.Errorf("--interval %s: want a positive duration", interval)
	}
	c, err := o.dial()
	if err != nil {
		return err
	}
	defer c.Close()
	ms := pb.NewMaintenanceServiceClient(c.cc)
	last := ""
	for {
		ctx, cancel := o.context(cmd)
		ctx = metadata.AppendToOutgoingContext(ctx, actorHeader, actor())
		st, err := ms.GetCampaign(ctx, &pb.GetCampaignRequest{Name: name})
		cancel()
		if isCanceled(cmd.Context(), err) {
			return nil
		}
		if err != nil {
			return c.rpcError(err)
		}
		done, end := terminal(st)
		if p.table() {
			if line := progressLine(st); line != last {
				fmt.Fprintf(p.w, "%s  %s\n", time.Now().Format("15:04:05"), line)
				last = line
			}
		}
		if done {
			if p.table() {
				fmt.Fprintln(p.w)
				if err := writeStatus(p.w, st, all); err != nil {
					return err
				}
			} else if err := p.printMessage(st); err != nil {
				return err
			}
			return end
		}
		select {
		case <-cmd.Context().Done():
			return nil
		case <-time.After(interval):
		}
	}
}

// maintAct runs a campaign operation and prints what it left: a line in a
// table, the campaign's status in JSON or YAML.
func (o *options) maintAct(cmd *cobra.Command, call func(ctx context.Context, ms pb.MaintenanceServiceClient) (*pb.CampaignStatus, error), done func(*pb.CampaignStatus) string) error {
	p, err := o.printer(cmd)
	if err != nil {
		return err
	}
	return o.maintCall(cmd, func(ctx context.Context, ms pb.MaintenanceServiceClient) error {
		st, err := call(ctx, ms)
		if err != nil {
			return err
		}
		if !p.table() {
			return p.printMessage(st)
		}
		_, err = fmt.Fprintln(p.w, done(st))
		return err
	})
}

func stateLine(st *pb.CampaignStatus) string {
	c := st.GetCampaign()
	return fmt.Sprintf("campaign %s %s: %s; %s", c.GetName(), c.GetState(), c.GetReason(), progressText(st.GetProgress()))
}

func newMaintPauseCommand(o *options) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:               "pause NAME",
		Short:             "Stop admitting nodes; nodes in flight finish",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: o.completeCampaignArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.maintAct(cmd, func(ctx context.Context, ms pb.MaintenanceServiceClient) (*pb.CampaignStatus, error) {
				return ms.PauseCampaign(ctx, &pb.PauseCampaignRequest{Name: args[0], Reason: reason})
			}, stateLine)
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why (shown in status and the history)")
	return cmd
}

func newMaintResumeCommand(o *options) *cobra.Command {
	var retry bool
	cmd := &cobra.Command{
		Use:   "resume NAME",
		Short: "Let a paused campaign admit nodes again",
		Long: `resume lets a paused campaign admit nodes again. A campaign its failures
paused resumes only once they are dealt with: --retry-failed sends the failed
nodes (still cordoned) back through their action, or skip them first.`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: o.completeCampaignArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.maintAct(cmd, func(ctx context.Context, ms pb.MaintenanceServiceClient) (*pb.CampaignStatus, error) {
				return ms.ResumeCampaign(ctx, &pb.ResumeCampaignRequest{Name: args[0], RetryFailed: retry})
			}, stateLine)
		},
	}
	cmd.Flags().BoolVar(&retry, "retry-failed", false, "send failed nodes back through their action")
	return cmd
}

func newMaintCancelCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:               "cancel NAME",
		Short:             "Cancel a campaign: pending nodes are skipped, nodes in flight finish",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: o.completeCampaignArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.maintAct(cmd, func(ctx context.Context, ms pb.MaintenanceServiceClient) (*pb.CampaignStatus, error) {
				return ms.CancelCampaign(ctx, &pb.CancelCampaignRequest{Name: args[0]})
			}, stateLine)
		},
	}
}

func newMaintConfirmCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:               "confirm NAME NODE",
		Short:             "Confirm that a technician finished a node's hardware swap",
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: o.completeCampaignArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.maintAct(cmd, func(ctx context.Context, ms pb.MaintenanceServiceClient) (*pb.CampaignStatus, error) {
				return ms.ConfirmNode(ctx, &pb.ConfirmNodeRequest{Name: args[0], Node: args[1]})
			}, func(*pb.CampaignStatus) string {
				return fmt.Sprintf("campaign %s: %s confirmed; its health check runs next", args[0], args[1])
			})
		},
	}
}

func newMaintSkipCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "skip NAME NODE",
		Short: "Take a pending or failed node out of a campaign",
		Long: `skip takes a node out of a campaign. A pending node is simply skipped; a
failed one stays cordoned, in your name rather than the campaign's, and
stops counting against the campaign's budgets.`,
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: o.completeCampaignArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.maintAct(cmd, func(ctx context.Context, ms pb.MaintenanceServiceClient) (*pb.CampaignStatus, error) {
				return ms.SkipNode(ctx, &pb.SkipNodeRequest{Name: args[0], Node: args[1]})
			}, func(*pb.CampaignStatus) string {
				return fmt.Sprintf("campaign %s: %s skipped", args[0], args[1])
			})
		},
	}
}
