package maintenance

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/railyard/railyard/internal/model"
	"github.com/railyard/railyard/internal/schedule"
)

// ErrInvalid marks a campaign spec that cannot run as written.
var ErrInvalid = errors.New("invalid campaign")

// ActionKind is what a campaign does to each node.
type ActionKind string

// Actions.
const (
	// ActionFirmware installs a firmware image through the BMC (bmclib,
	// Redfish UpdateService) and follows the BMC's task.
	ActionFirmware ActionKind = "firmware"
	// ActionPowerCycle power-cycles the node through its BMC (IPMI or
	// Redfish) and waits for it to come back on.
	ActionPowerCycle ActionKind = "power-cycle"
	// ActionHook runs an operator-supplied command (an OS or driver patch
	// through the operator's own tooling) with the node in the environment.
	ActionHook ActionKind = "hook"
	// ActionHardwareSwap waits for a technician to confirm that a part was
	// replaced (railyard maint confirm).
	ActionHardwareSwap ActionKind = "hardware-swap"
)

// ActionKinds lists the actions in the order the CLI documents them.
var ActionKinds = []ActionKind{ActionFirmware, ActionPowerCycle, ActionHook, ActionHardwareSwap}

// Action is a campaign's per-node work.
type Action struct {
	Kind ActionKind `json:"kind"`
	// Component and Image are the firmware target ("bios", "bmc", ... as
	// the BMC names it; empty lets the BMC decide) and the image path.
	Component string `json:"component,omitempty"`
	Image     string `json:"image,omitempty"`
	// Version, when set, is the firmware version the BMC must report
	// after the update for the node to pass verification.
	Version string `json:"version,omitempty"`
	// Command is the hook's argv. It runs with RAILYARD_NODE,
	// RAILYARD_BMC, RAILYARD_CAMPAIGN and RAILYARD_ATTEMPT set.
	Command []string `json:"command,omitempty"`
	// Parts describes a hardware swap for the technician.
	Parts string `json:"parts,omitempty"`
}

// Selector picks a campaign's nodes. Empty fields match everything; a
// node must match every non-empty field.
type Selector struct {
	Sites       []string `json:"sites,omitempty"`
	Pods        []string `json:"pods,omitempty"`
	LeafDomains []string `json:"leaf_domains,omitempty"`
	Racks       []string `json:"racks,omitempty"`
	Nodes       []string `json:"nodes,omitempty"`
	GPUModel    string   `json:"gpu_model,omitempty"`
	// Tenants keeps the nodes of these tenants' blocks (and no others).
	Tenants []string `json:"tenants,omitempty"`
}

// Limit bounds a number of nodes offline at once: a count, a percentage
// of the scope it applies to, or both (the smaller wins). A Limit with
// neither is unlimited.
type Limit struct {
	Count   *int     `json:"count,omitempty"`
	Percent *float64 `json:"percent,omitempty"`
}

// Unlimited reports whether l sets no bound.
func (l Limit) Unlimited() bool { return l.Count == nil && l.Percent == nil }

// Of returns the bound for a scope of total nodes. A percentage rounds
// down, as Cluster API's maxUnavailable does, but a positive percentage
// never rounds to zero when floor1 is set: 1% of 50 nodes would otherwise
// forbid any maintenance at all. An unlimited Limit returns total.
func (l Limit) Of(total int, floor1 bool) int {
	n := total
	if l.Count != nil {
		n = min(n, *l.Count)
	}
	if l.Percent != nil {
		p := int(math.Floor(*l.Percent*float64(total)/100 + 1e-9))
		if p == 0 && floor1 && *l.Percent > 0 && total > 0 {
			p = 1
		}
		n = min(n, p)
	}
	return max(n, 0)
}

// String renders the limit as ParseLimit reads it: "4", "5%", "4,5%", or
// "" when unlimited.
func (l Limit) String() string {
	var parts []string
	if l.Count != nil {
		parts = append(parts, strconv.Itoa(*l.Count))
	}
	if l.Percent != nil {
		parts = append(parts, strconv.FormatFloat(*l.Percent, 'f', -1, 64)+"%")
	}
	return strings.Join(parts, ",")
}

// ParseLimit reads "4", "5%", "4,5%" (both: the smaller wins) or "" (no
// limit).
func ParseLimit(s string) (Limit, error) {
	var l Limit
	s = strings.TrimSpace(s)
	if s == "" {
		return l, nil
	}
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if p, ok := strings.CutSuffix(part, "%"); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil || v < 0 || v > 100 || math.IsNaN(v) || l.Percent != nil {
				return Limit{}, fmt.Errorf("%w: limit %q: want a percentage from 0%% to 100%%, once", ErrInvalid, s)
			}
			l.Percent = &v
			continue
		}
		v, err := strconv.Atoi(part)
		if err != nil || v < 0 || l.Count != nil {
			return Limit{}, fmt.Errorf("%w: limit %q: want a count of nodes (0 or more), a percentage such as 5%%, or both as 4,5%%", ErrInvalid, s)
		}
		l.Count = &v
	}
	return l, nil
}

// Count returns a Limit of n nodes.
func Count(n int) Limit { return Limit{Count: &n} }

// Percent returns a Limit of p percent.
func Percent(p float64) Limit { return Limit{Percent: &p} }

// DomainLimit bounds the nodes offline at once in each failure domain of
// a level.
type DomainLimit struct {
	// Level is rack, nvlink, leaf or pod.
	Level string `json:"level"`
	Limit Limit  `json:"limit"`
}

// Domain levels a DomainLimit may name.
const (
	DomainRack   = "rack"
	DomainNVLink = "nvlink"
	DomainLeaf   = "leaf"
	DomainPod    = "pod"
)

// TenantBudget is what a campaign may take from one tenant's blocks
// without giving a spare back: the nodes of its blocks out at once.
type TenantBudget struct {
	// Max applies outside the tenant's windows. Unset means 0: a tenant
	// loses no node without a spare unless the operator says so.
	Max *Limit `json:"max,omitempty"`
	// Windows are the tenant's maintenance windows (schedule.Window
	// syntax); inside one, WindowMax applies instead of Max.
	Windows []string `json:"windows,omitempty"`
	// WindowMax applies inside a window; unset means unlimited (the
	// fleet and domain budgets still hold).
	WindowMax *Limit `json:"window_max,omitempty"`
}

// Budget bounds what a campaign takes offline at once.
type Budget struct {
	// Fleet bounds the nodes offline for maintenance across the whole
	// fleet (every campaign's nodes count). A percentage is of the fleet's
	// nodes, retired ones excluded.
	Fleet Limit `json:"fleet"`
	// Domains bound each failure domain of a level.
	Domains []DomainLimit `json:"domains,omitempty"`
	// Tenant is the default tenant budget; Tenants overrides it by name.
	Tenant  TenantBudget            `json:"tenant,omitzero"`
	Tenants map[string]TenantBudget `json:"tenants,omitempty"`
}

// tenant returns the budget that applies to one tenant.
func (b Budget) tenant(name string) TenantBudget {
	if t, ok := b.Tenants[name]; ok {
		return t
	}
	return b.Tenant
}

// Health is the check a node passes before it returns to service.
type Health struct {
	// Command runs with the same environment as a hook; exit 0 passes.
	Command []string `json:"command,omitempty"`
	// Timeout bounds the check (default 10m, Cluster API's
	// nodeStartupTimeout).
	Timeout Duration `json:"timeout,omitzero"`
	// SkipPower skips waiting for the BMC to report the power on.
	SkipPower bool `json:"skip_power,omitempty"`
}

// Stop says when a campaign pauses by itself.
type Stop struct {
	// MaxFailures pauses the campaign once this many nodes failed (default
	// 1, 0 means the default; -1 never pauses).
	MaxFailures int `json:"max_failures,omitempty"`
	// MaxFailurePercent pauses it once this share of its nodes failed.
	MaxFailurePercent float64 `json:"max_failure_percent,omitempty"`
	// MaxUnavailable holds every admission while more of the fleet than
	// this is unavailable for reasons other than this maintenance (failed,
	// unhealthy or cordoned by hand): Cluster API's MachineHealthCheck
	// short-circuit.
	MaxUnavailable Limit `json:"max_unavailable,omitzero"`
}

// Spec is a campaign as an operator writes it.
type Spec struct {
	Action   Action   `json:"action"`
	Selector Selector `json:"selector,omitzero"`
	Budget   Budget   `json:"budget"`
	// Windows and Exclusions are when the campaign may take nodes
	// offline (schedule package syntax). No windows means any time.
	Windows    []string `json:"windows,omitempty"`
	Exclusions []string `json:"exclusions,omitempty"`
	Health     Health   `json:"health,omitzero"`
	Stop       Stop     `json:"stop,omitzero"`
	// NodeTimeout is how long one node may take from cordon to return
	// before it is failed (default 2h; a hardware swap gets 72h).
	NodeTimeout Duration `json:"node_timeout,omitzero"`
	// Estimate is the expected time per node, for plans (default by
	// action).
	Estimate Duration `json:"estimate,omitzero"`
	// Schedule, a cron expression, starts the campaign; with Recurring it
	// starts a new run at every activation once the last one finished.
	Schedule  string `json:"schedule,omitempty"`
	Recurring bool   `json:"recurring,omitempty"`
}

// Duration is a time.Duration that reads and writes as "90m".
type Duration struct{ time.Duration }

// MarshalText writes the duration as Go spells it.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.Duration.String()), nil }

// UnmarshalText reads "90m", "2h30m".
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

// D wraps a time.Duration.
func D(v time.Duration) Duration { return Duration{v} }

// Default estimates and timeouts per action.
var defaultEstimate = map[ActionKind]time.Duration{
	ActionFirmware:     40 * time.Minute,
	ActionPowerCycle:   10 * time.Minute,
	ActionHook:         30 * time.Minute,
	ActionHardwareSwap: 4 * time.Hour,
}

// EstimateFor returns the expected time per node.
func (s *Spec) EstimateFor() time.Duration {
	if s.Estimate.Duration > 0 {
		return s.Estimate.Duration
	}
	return defaultEstimate[s.Action.Kind]
}

// Timeout returns how long one node may take.
func (s *Spec) Timeout() time.Duration {
	if s.NodeTimeout.Duration > 0 {
		return s.NodeTimeout.Duration
	}
	if s.Action.Kind == ActionHardwareSwap {
		return 72 * time.Hour
	}
	return 2 * time.Hour
}

// HealthTimeout returns how long the health check may take.
func (s *Spec) HealthTimeout() time.Duration {
	if s.Health.Timeout.Duration > 0 {
		return s.Health.Timeout.Duration
	}
	return 10 * time.Minute
}

// MaxFailures returns the failure count that pauses the campaign, or -1.
func (s *Spec) MaxFailures(targets int) int {
	n := s.Stop.MaxFailures
	switch {
	case n < 0:
		n = -1
	case n == 0:
		n = 1
	}
	if p := s.Stop.MaxFailurePercent; p > 0 {
		v := max(1, int(math.Ceil(p*float64(targets)/100)))
		if n < 0 || v < n {
			n = v
		}
	}
	return n
}

// Calendars are a spec's parsed windows.
type Calendars struct {
	Campaign schedule.Calendar
	Tenants  map[string]schedule.Calendar
	// DefaultTenant is the default tenant budget's calendar; HasDefault
	// says whether it has windows.
	DefaultTenant schedule.Calendar
	Cron          *schedule.Cron
}

// Validate checks the spec and parses its calendars.
func (s *Spec) Validate() (*Calendars, error) {
	bad := func(format string, args ...any) (*Calendars, error) {
		return nil, fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
	}
	a := s.Action
	switch a.Kind {
	case ActionFirmware:
		if a.Image == "" {
			return bad("a firmware action needs an image")
		}
	case ActionPowerCycle:
	case ActionHook:
		if len(a.Command) == 0 || a.Command[0] == "" {
			return bad("a hook action needs a command")
		}
	case ActionHardwareSwap:
		if a.Parts == "" {
			return bad("a hardware swap needs a description of the parts, for the technician")
		}
	default:
		return bad("unknown action %q (want %s)", a.Kind, joinKinds())
	}
	for _, d := range s.Budget.Domains {
		if !slices.Contains([]string{DomainRack, DomainNVLink, DomainLeaf, DomainPod}, d.Level) {
			return bad("domain budget level %q: want rack, nvlink, leaf or pod", d.Level)
		}
		if d.Limit.Unlimited() {
			return bad("domain budget for %s sets no limit", d.Level)
		}
	}
	if s.Budget.Fleet.Unlimited() {
		return bad("a campaign needs a fleet budget (a count, a percentage or both)")
	}
	if s.Budget.Fleet.Of(1<<30, false) == 0 {
		return bad("a fleet budget of 0 takes no node offline, ever")
	}
	c := &Calendars{Tenants: map[string]schedule.Calendar{}}
	var err error
	if c.Campaign, err = schedule.ParseCalendar(s.Windows, s.Exclusions); err != nil {
		return bad("%v", err)
	}
	if c.DefaultTenant, err = schedule.ParseCalendar(s.Budget.Tenant.Windows, nil); err != nil {
		return bad("default tenant windows: %v", err)
	}
	for name, t := range s.Budget.Tenants {
		cal, err := schedule.ParseCalendar(t.Windows, nil)
		if err != nil {
			return bad("tenant %s windows: %v", name, err)
		}
		c.Tenants[name] = cal
	}
	if s.Schedule != "" {
		cr, err := schedule.ParseCron(s.Schedule)
		if err != nil {
			return bad("schedule %q: %v", s.Schedule, err)
		}
		c.Cron = &cr
	} else if s.Recurring {
		return bad("a recurring campaign needs a schedule")
	}
	return c, nil
}

// tenantCalendar returns a tenant's windows and whether it has any.
func (c *Calendars) tenantCalendar(b Budget, tenant string) (schedule.Calendar, bool) {
	if _, ok := b.Tenants[tenant]; ok {
		cal := c.Tenants[tenant]
		return cal, len(cal.Windows) > 0
	}
	return c.DefaultTenant, len(c.DefaultTenant.Windows) > 0
}

func joinKinds() string {
	var s []string
	for _, k := range ActionKinds {
		s = append(s, string(k))
	}
	return strings.Join(s, ", ")
}

// Targets returns the nodes a selector picks from a fleet, in name order.
// Retired nodes are never picked.
func (s Selector) Targets(fleet *model.CarveSnapshot) []string {
	in := func(list []string, v string) bool { return len(list) == 0 || slices.Contains(list, v) }
	var tenantNodes map[string]bool
	if len(s.Tenants) > 0 {
		tenantNodes = map[string]bool{}
		for _, b := range fleet.Blocks {
			if slices.Contains(s.Tenants, b.Tenant) {
				for _, m := range b.Members {
					tenantNodes[m.Node] = true
				}
			}
		}
	}
	var out []string
	for _, c := range fleet.Nodes {
		if c.State == model.NodeRetired || !in(s.Sites, c.Site) || !in(s.Pods, c.Pod) ||
			!in(s.LeafDomains, c.LeafDomain) || !in(s.Racks, c.Rack) || !in(s.Nodes, c.Node) ||
			(s.GPUModel != "" && s.GPUModel != c.GPUModel) || (tenantNodes != nil && !tenantNodes[c.Node]) {
			continue
		}
		out = append(out, c.Node)
	}
	slices.SortFunc(out, model.ComparePortNames)
	return out
}

// Check reports selector names that match nothing in the fleet, so a typo
// is an error rather than an empty campaign.
func (s Selector) Check(fleet *model.CarveSnapshot) error {
	seen := map[string]map[string]bool{"site": {}, "pod": {}, "leaf domain": {}, "rack": {}, "node": {}, "GPU model": {}}
	for _, c := range fleet.Nodes {
		seen["site"][c.Site], seen["pod"][c.Pod], seen["leaf domain"][c.LeafDomain] = true, true, true
		seen["rack"][c.Rack], seen["node"][c.Node], seen["GPU model"][c.GPUModel] = true, true, true
	}
	check := func(what string, names ...string) error {
		for _, n := range names {
			if n != "" && !seen[what][n] {
				return fmt.Errorf("%w: selector names %s %q, which is not in the inventory", ErrInvalid, what, n)
			}
		}
		return nil
	}
	for _, e := range []error{check("site", s.Sites...), check("pod", s.Pods...), check("leaf domain", s.LeafDomains...),
		check("rack", s.Racks...), check("node", s.Nodes...), check("GPU model", s.GPUModel)} {
		if e != nil {
			return e
		}
	}
	return nil
}
