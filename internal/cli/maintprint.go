package cli

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/railyard/railyard/internal/maintenance"
	pb "github.com/railyard/railyard/proto/railyard/v1"
)

// shortDuration reads like "1h50m", "40s" or "0s": rounded to the
// second, without zero trailing units.
func shortDuration(d time.Duration) string {
	d = d.Round(time.Second)
	if d == 0 {
		return "0s"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func msDuration(ms int64) time.Duration { return time.Duration(ms) * time.Millisecond }

// campaignWhat reads like "power-cycle", "firmware bios from /srv/fw.bin"
// or "hook /opt/ops/patch.sh".
func campaignWhat(c *pb.Campaign) string {
	a := c.GetSpec().GetAction()
	switch maintenance.ActionKind(a.GetKind()) {
	case maintenance.ActionFirmware:
		s := "firmware"
		if a.GetComponent() != "" {
			s += " " + a.GetComponent()
		}
		s += " from " + a.GetImage()
		if a.GetVersion() != "" {
			s += " (to " + a.GetVersion() + ")"
		}
		return s
	case maintenance.ActionHook:
		cmd := a.GetCommand()
		if len(cmd) == 3 && cmd[0] == "/bin/sh" && cmd[1] == "-c" {
			return "hook " + oneLine(cmd[2])
		}
		return "hook " + oneLine(strings.Join(cmd, " "))
	case maintenance.ActionHardwareSwap:
		return "hardware swap: " + a.GetParts()
	}
	return a.GetKind()
}

// budgetText reads like "fleet 10% (3 nodes), rack 1, tenants 0".
func budgetText(b *pb.MaintenanceBudget, limit int32) string {
	s := "fleet " + b.GetFleet()
	if limit > 0 {
		s += " (" + plural(int(limit), "node") + ")"
	}
	for _, d := range b.GetDomains() {
		s += fmt.Sprintf(", %s %s", d.GetLevel(), d.GetLimit())
	}
	t := "0"
	if b.GetTenant() != nil && b.GetTenant().Max != nil {
		t = b.GetTenant().GetMax()
	}
	s += ", tenants " + t
	if len(b.GetTenant().GetWindows()) > 0 {
		s += " (windows " + strings.Join(b.GetTenant().GetWindows(), "; ") + ")"
	}
	names := make([]string, 0, len(b.GetTenants()))
	for n := range b.GetTenants() {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		tb := b.GetTenants()[n]
		m := "0"
		if tb != nil && tb.Max != nil {
			m = tb.GetMax()
		}
		s += fmt.Sprintf(", %s %s", n, m)
		if len(tb.GetWindows()) > 0 {
			s += " (windows " + strings.Join(tb.GetWindows(), "; ") + ")"
		}
	}
	return s
}

// firstNodes lists up to n names, then how many more.
func firstNodes(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s, ... (%d more)", strings.Join(names[:n], ", "), len(names)-n)
}

var planWaveColumns = []column[*pb.PlanWave]{
	{"WAVE", func(w *pb.PlanWave) string { return itoa(w.GetIndex()) }},
	{"START", func(w *pb.PlanWave) string { return "+" + shortDuration(msDuration(w.GetOffsetMs())) }},
	{"NODES", func(w *pb.PlanWave) string { return strconv.Itoa(len(w.GetNodes())) }},
	{"SWAPS", func(w *pb.PlanWave) string { return itoa(w.GetSwaps()) }},
	{"DRAINS", func(w *pb.PlanWave) string { return itoa(w.GetDrains()) }},
	{"FIRST NODES", func(w *pb.PlanWave) string { return firstNodes(w.GetNodes(), 3) }},
}

// planNodeColumns list every node of a plan; start is the plan's start.
func planNodeColumns(start time.Time) []column[*pb.PlanNode] {
	offset := func(t time.Time) string {
		if t.IsZero() || start.IsZero() {
			return ""
		}
		return "+" + shortDuration(t.Sub(start))
	}
	return []column[*pb.PlanNode]{
		{"NODE", (*pb.PlanNode).GetNode},
		{"WAVE", func(n *pb.PlanNode) string {
			if n.GetWave() == 0 {
				return ""
			}
			return itoa(n.GetWave())
		}},
		{"START", func(n *pb.PlanNode) string {
			if n.GetStart() == nil {
				return ""
			}
			return offset(n.GetStart().AsTime())
		}},
		{"END", func(n *pb.PlanNode) string {
			if n.GetEnd() == nil {
				return ""
			}
			return offset(n.GetEnd().AsTime())
		}},
		{"MODE", (*pb.PlanNode).GetMode},
		{"SPARES", func(n *pb.PlanNode) string { return strings.Join(n.GetSpares(), ",") }},
		{"WHY", planWhy},
	}
}

// planWhy is why a node is where the plan puts it: held back, then
// admitted.
func planWhy(n *pb.PlanNode) string {
	switch {
	case n.GetWave() == 0 && n.GetHeld() != "":
		return "held: " + n.GetHeld()
	case n.GetHeld() != "":
		return n.GetReason() + "; waited: " + n.GetHeld()
	}
	return n.GetReason()
}

// writePlan writes a plan: the summary, the waves, the reasons nodes
// waited and, with nodes, every node.
func writePlan(w io.Writer, plan *pb.CampaignPlan, nodes bool) error {
	c := plan.GetCampaign()
	start := time.Time{}
	if plan.GetStart() != nil {
		start = plan.GetStart().AsTime()
	}
	fmt.Fprintf(w, "campaign %s (%s): %s on %d nodes\n", c.GetName(), c.GetState(), campaignWhat(c), plan.GetTargets())
	fmt.Fprintf(w, "budget: %s\n", budgetText(c.GetSpec().GetBudget(), plan.GetLimit()))
	if c.GetSpec().GetSchedule() != "" {
		rec := ""
		if c.GetSpec().GetRecurring() {
			rec = ", recurring"
		}
		fmt.Fprintf(w, "schedule: %s%s; next run %s\n", c.GetSpec().GetSchedule(), rec, timeText(c.GetNextRun()))
	}
	if ws := c.GetSpec().GetWindows(); len(ws) > 0 {
		fmt.Fprintf(w, "windows: %s\n", strings.Join(ws, "; "))
	}
	if xs := c.GetSpec().GetExclusions(); len(xs) > 0 {
		fmt.Fprintf(w, "exclusions: %s\n", strings.Join(xs, "; "))
	}
	fmt.Fprintf(w, "expected duration %s (lower bound %s at %s a node); %d waves, %d swaps, %d drains\n",
		shortDuration(msDuration(plan.GetDurationMs())), shortDuration(msDuration(plan.GetLowerBoundMs())),
		shortDuration(msDuration(plan.GetEstimateMs())), len(plan.GetWaves()), plan.GetSwaps(), plan.GetDrains())
	if plan.GetClosed() != "" {
		fmt.Fprintf(w, "now: nothing can go: %s\n", plan.GetClosed())
	}
	if plan.GetStopped() != "" {
		fmt.Fprintf(w, "stops: %s\n", plan.GetStopped())
	}
	if len(plan.GetWaves()) > 0 {
		fmt.Fprintln(w)
		if err := writeTable(w, "", plan.GetWaves(), planWaveColumns); err != nil {
			return err
		}
	}
	// Why nodes waited: every node held back at some round, by reason.
	held := map[string]int{}
	for _, n := range plan.GetNodes() {
		if n.GetHeld() != "" {
			held[n.GetHeld()]++
		}
	}
	if len(held) > 0 {
		fmt.Fprintln(w, "\nwaiting (the last reason each node was held back):")
		writeCounts(w, held)
	}
	if nodes {
		fmt.Fprintln(w)
		return writeTable(w, "", plan.GetNodes(), planNodeColumns(start))
	}
	if len(plan.GetNodes()) > 0 {
		fmt.Fprintln(w, "\n(--nodes lists every node with its wave and why)")
	}
	return nil
}

// writeCounts writes "  COUNT  REASON" lines, the most common first.
func writeCounts(w io.Writer, counts map[string]int) {
	type kv struct {
		reason string
		n      int
	}
	var xs []kv
	for r, n := range counts {
		xs = append(xs, kv{r, n})
	}
	slices.SortFunc(xs, func(a, b kv) int {
		if c := cmp.Compare(b.n, a.n); c != 0 {
			return c
		}
		return cmp.Compare(a.reason, b.reason)
	})
	tw := newTabWriter(w)
	for _, x := range xs {
		fmt.Fprintf(tw, "  %d\t%s\n", x.n, cell(x.reason))
	}
	tw.Flush()
}

// progressText reads like "12/32 done, 4 offline, 0 failed, 16 pending".
func progressText(p *pb.CampaignProgress) string {
	s := fmt.Sprintf("%d/%d done, %d offline, %d failed, %d pending", p.GetDone(), p.GetTotal(), p.GetOffline(), p.GetFailed(), p.GetPending())
	if p.GetSkipped() > 0 {
		s += fmt.Sprintf(", %d skipped", p.GetSkipped())
	}
	return s
}

// campaignBar is a bar of width cells: done (#), in flight or failed
// (~), skipped (-), pending (.).
func campaignBar(p *pb.CampaignProgress, width int) string {
	total := int(p.GetTotal())
	if total == 0 {
		return "[" + strings.Repeat(".", width) + "]"
	}
	cells := func(n int32) int { return int(n) * width / total }
	done, off, skip := cells(p.GetDone()), cells(p.GetOffline()), cells(p.GetSkipped())
	rest := max(0, width-done-off-skip)
	return "[" + strings.Repeat("#", done) + strings.Repeat("~", off) + strings.Repeat("-", skip) + strings.Repeat(".", rest) + "]"
}

// progressLine is one line of a watch: state, bar, counts, and the nodes
// in flight.
func progressLine(st *pb.CampaignStatus) string {
	p := st.GetProgress()
	s := fmt.Sprintf("%-9s %s %s", st.GetCampaign().GetState(), campaignBar(p, 20), progressText(p))
	var flight []string
	for _, n := range st.GetNodes() {
		ph := maintenance.Phase(n.GetPhase())
		if ph.Offline() && ph != maintenance.PhaseFailed {
			flight = append(flight, n.GetNode()+" "+n.GetPhase())
		}
	}
	if len(flight) > 0 {
		s += "; in flight: " + firstNodes(flight, 4)
	}
	return s
}

var campaignColumns = []column[*pb.CampaignStatus]{
	{"NAME", func(s *pb.CampaignStatus) string { return s.GetCampaign().GetName() }},
	{"STATE", func(s *pb.CampaignStatus) string { return s.GetCampaign().GetState() }},
	{"RUN", func(s *pb.CampaignStatus) string { return itoa(s.GetCampaign().GetRun()) }},
	{"ACTION", func(s *pb.CampaignStatus) string { return campaignWhat(s.GetCampaign()) }},
	{"PROGRESS", func(s *pb.CampaignStatus) string {
		p := s.GetProgress()
		if p.GetTotal() == 0 {
			return ""
		}
		return fmt.Sprintf("%d/%d done, %d offline, %d failed", p.GetDone(), p.GetTotal(), p.GetOffline(), p.GetFailed())
	}},
	{"NEXT-RUN", func(s *pb.CampaignStatus) string { return timeText(s.GetCampaign().GetNextRun()) }},
	{"REASON", func(s *pb.CampaignStatus) string { return s.GetCampaign().GetReason() }},
}

// sinceText reads like "2m10s ago".
func sinceText(n *pb.CampaignNode) string {
	if n.GetPhaseAt() == nil {
		return ""
	}
	return shortDuration(time.Since(n.GetPhaseAt().AsTime())) + " ago"
}

var flightColumns = []column[*pb.CampaignNode]{
	{"NODE", (*pb.CampaignNode).GetNode},
	{"PHASE", (*pb.CampaignNode).GetPhase},
	{"MODE", (*pb.CampaignNode).GetMode},
	{"SPARE", func(n *pb.CampaignNode) string { return strings.Join(n.GetSpares(), ",") }},
	{"WAVE", func(n *pb.CampaignNode) string { return itoa(n.GetWave()) }},
	{"SINCE", sinceText},
	{"REASON", func(n *pb.CampaignNode) string {
		if n.GetError() != "" && n.GetPhase() != string(maintenance.PhaseFailed) {
			return n.GetReason() + " (last error: " + n.GetError() + ")"
		}
		return n.GetReason()
	}},
}

// writeStatus writes a campaign's status: its state and progress, the
// nodes in flight, the failed ones, and why the pending ones wait; with
// all, every node.
func writeStatus(w io.Writer, st *pb.CampaignStatus, all bool) error {
	c := st.GetCampaign()
	p := st.GetProgress()
	fmt.Fprintf(w, "campaign %s: %s, run %d: %s\n", c.GetName(), c.GetState(), c.GetRun(), c.GetReason())
	fmt.Fprintf(w, "action: %s\n", campaignWhat(c))
	fmt.Fprintf(w, "budget: %s\n", budgetText(c.GetSpec().GetBudget(), st.GetFleetLimit()))
	if c.GetSpec().GetSchedule() != "" {
		rec := ""
		if c.GetSpec().GetRecurring() {
			rec = ", recurring"
		}
		fmt.Fprintf(w, "schedule: %s%s", c.GetSpec().GetSchedule(), rec)
		if c.GetNextRun() != nil {
			fmt.Fprintf(w, "; next run %s", timeText(c.GetNextRun()))
		}
		fmt.Fprintln(w)
	}
	if c.GetStartedAt() != nil {
		fmt.Fprintf(w, "started: %s", timeText(c.GetStartedAt()))
		if c.GetFinishedAt() != nil {
			fmt.Fprintf(w, "; finished %s (%s)", timeText(c.GetFinishedAt()), shortDuration(c.GetFinishedAt().AsTime().Sub(c.GetStartedAt().AsTime())))
		}
		fmt.Fprintln(w)
	}
	if p.GetTotal() == 0 {
		fmt.Fprintln(w, "progress: no run yet")
	} else {
		fmt.Fprintf(w, "progress: %s %s\n", campaignBar(p, 30), progressText(p))
	}
	if st.GetFleetLimit() > 0 {
		fmt.Fprintf(w, "fleet: %d of %d nodes out for maintenance (every campaign)\n", st.GetFleetOffline(), st.GetFleetLimit())
	}
	if st.GetClosed() != "" {
		fmt.Fprintf(w, "admitting nothing now: %s\n", st.GetClosed())
	}
	var flight, failed []*pb.CampaignNode
	for _, n := range st.GetNodes() {
		switch ph := maintenance.Phase(n.GetPhase()); {
		case ph == maintenance.PhaseFailed:
			failed = append(failed, n)
		case ph.Offline():
			flight = append(flight, n)
		}
	}
	if len(flight) > 0 {
		fmt.Fprintf(w, "\nin flight (%d):\n", len(flight))
		if err := writeTable(w, "  ", flight, flightColumns); err != nil {
			return err
		}
	}
	if len(failed) > 0 {
		fmt.Fprintf(w, "\nfailed (%d; still cordoned: resume --retry-failed, or skip):\n", len(failed))
		if err := writeTable(w, "  ", failed, []column[*pb.CampaignNode]{
			{"NODE", (*pb.CampaignNode).GetNode},
			{"ATTEMPTS", func(n *pb.CampaignNode) string { return itoa(n.GetAttempt()) }},
			{"SINCE", sinceText},
			{"ERROR", func(n *pb.CampaignNode) string { return cmp.Or(n.GetError(), n.GetReason()) }},
		}); err != nil {
			return err
		}
	}
	if len(st.GetHeld()) > 0 {
		fmt.Fprintf(w, "\npending, held back (%d):\n", p.GetPending())
		tw := newTabWriter(w)
		for _, h := range st.GetHeld() {
			fmt.Fprintf(tw, "  %d\t%s\t(%s)\n", h.GetCount(), cell(h.GetReason()), firstNodes(h.GetNodes(), 3))
		}
		tw.Flush()
	}
	if len(st.GetNext()) > 0 {
		fmt.Fprintf(w, "\nnext to go: %s\n", firstNodes(st.GetNext(), 6))
	}
	if all && len(st.GetNodes()) > 0 {
		fmt.Fprintln(w, "\nnodes:")
		return writeTable(w, "  ", st.GetNodes(), []column[*pb.CampaignNode]{
			{"NODE", (*pb.CampaignNode).GetNode},
			{"PHASE", (*pb.CampaignNode).GetPhase},
			{"MODE", (*pb.CampaignNode).GetMode},
			{"WAVE", func(n *pb.CampaignNode) string {
				if n.GetWave() == 0 {
					return ""
				}
				return itoa(n.GetWave())
			}},
			{"FINISHED", func(n *pb.CampaignNode) string { return timeText(n.GetFinishedAt()) }},
			{"REASON", func(n *pb.CampaignNode) string { return cmp.Or(n.GetHeld(), n.GetReason()) }},
		})
	}
	return nil
}
