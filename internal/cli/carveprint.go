package cli

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	pb "github.com/railyard/railyard/proto/railyard/v1"
)

// Placement ops, as the server spells them.
const (
	opCarve   = "carve"
	opGrow    = "grow"
	opShrink  = "shrink"
	opRelease = "release"
	opSwap    = "swap"
	opMove    = "move"
)

var (
	blockColumns = []column[*pb.Block]{
		{"NAME", (*pb.Block).GetName},
		{"TENANT", (*pb.Block).GetTenant},
		{"MODEL", (*pb.Block).GetGpuModel},
		{"GPUS", func(b *pb.Block) string { return itoa(b.GetGpus()) }},
		{"NODES", func(b *pb.Block) string { return strconv.Itoa(len(nodesOf(b.GetMembers()))) }},
		{"REQUIRED", (*pb.Block).GetRequired},
		{"SEGMENTS", segmentCount},
		{"PREEMPTIBLE", func(b *pb.Block) string { return yesNo(b.GetPreemptible()) }},
		{"PRIORITY", func(b *pb.Block) string { return itoa(b.GetPriority()) }},
		{"GENERATION", func(b *pb.Block) string { return strconv.FormatInt(b.GetGeneration(), 10) }},
	}
	memberColumns = []column[*pb.BlockMember]{
		{"NODE", (*pb.BlockMember).GetNode},
		{"GPUS", func(m *pb.BlockMember) string { return gpuRanges(m.GetGpus()) }},
		{"SEGMENT", func(m *pb.BlockMember) string { return itoa(m.GetSegment()) }},
	}
	reservationColumns = []column[*pb.Reservation]{
		{"NAME", (*pb.Reservation).GetName},
		{"TENANT", (*pb.Reservation).GetTenant},
		{"DOMAIN/NODES", reservedText},
		{"UNTIL", func(r *pb.Reservation) string { return timeText(r.GetUntil()) }},
		{"NOTE", (*pb.Reservation).GetNote},
	}
)

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// segmentCount is the number of segments of a segmented block, or "".
func segmentCount(b *pb.Block) string {
	if b.GetSegmentNodes() <= 0 {
		return ""
	}
	segs := map[int32]bool{}
	for _, m := range b.GetMembers() {
		segs[m.GetSegment()] = true
	}
	return strconv.Itoa(len(segs))
}

// reservedText reads "leaf:lab-su01" for a domain, else lists the nodes.
func reservedText(r *pb.Reservation) string {
	if r.GetDomain() != "" {
		if r.GetLevel() == "" {
			return r.GetDomain()
		}
		return r.GetLevel() + ":" + r.GetDomain()
	}
	return strings.Join(r.GetNodes(), ",")
}

// gpuRanges compresses GPU indexes: [0 1 2 3 6] reads "0-3,6".
func gpuRanges(gpus []int32) string {
	gpus = slices.Clone(gpus)
	slices.Sort(gpus)
	gpus = slices.Compact(gpus)
	var parts []string
	for i := 0; i < len(gpus); {
		j := i
		for j+1 < len(gpus) && gpus[j+1] == gpus[j]+1 {
			j++
		}
		if j == i {
			parts = append(parts, itoa(gpus[i]))
		} else {
			parts = append(parts, itoa(gpus[i])+"-"+itoa(gpus[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// nodesOf returns the distinct nodes of members, in order.
func nodesOf(members []*pb.BlockMember) []string {
	var nodes []string
	for _, m := range members {
		if !slices.Contains(nodes, m.GetNode()) {
			nodes = append(nodes, m.GetNode())
		}
	}
	return nodes
}

// gpuCount is the number of GPUs of members.
func gpuCount(members []*pb.BlockMember) int {
	n := 0
	for _, m := range members {
		n += len(m.GetGpus())
	}
	return n
}

// plural reads "1 node", "8 nodes".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// gpusText reads "64 H100-SXM5-80GB GPUs (8 nodes)".
func gpusText(gpus, nodes int, model string) string {
	s := strconv.Itoa(gpus) + " "
	if model != "" {
		s += model + " "
	}
	if gpus == 1 {
		s += "GPU"
	} else {
		s += "GPUs"
	}
	return s + " (" + plural(nodes, "node") + ")"
}

// blockText reads "64 H100-SXM5-80GB GPUs (8 nodes) for acme".
func blockText(b *pb.Block) string {
	s := gpusText(int(b.GetGpus()), len(nodesOf(b.GetMembers())), b.GetGpuModel())
	if b.GetTenant() != "" {
		s += " for " + b.GetTenant()
	}
	return s
}

// levelNoun names one domain of a level in prose: "leaf domain".
func levelNoun(level string) string {
	switch level {
	case "nvlink":
		return "NVLink domain"
	case "leaf":
		return "leaf domain"
	}
	return level
}

// spansText reads "nvlink 8 (bound 8), leaf 1 (bound 1), pod 1, site 1".
func spansText(spans []*pb.LevelSpan) string {
	var parts []string
	for _, s := range spans {
		part := fmt.Sprintf("%s %d", s.GetLevel(), s.GetSpan())
		if s.GetBound() > 0 {
			part += fmt.Sprintf(" (bound %d)", s.GetBound())
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, ", ")
}

// printPlacement prints a placement: as text for people, or whole as JSON
// or YAML.
func printPlacement(p *printer, pl *pb.Placement) error {
	if p.table() {
		return writePlacement(p.w, pl)
	}
	return p.printMessage(pl)
}

// writePlacement writes what a decision did to a block: a headline, where
// the block sits, its nodes (the added marked "+", the removed "-"), and
// the server's notes.
func writePlacement(w io.Writer, pl *pb.Placement) error {
	fmt.Fprintln(w, placementHeadline(pl))
	if pl.GetOp() != opRelease {
		if where := placementWhere(pl); where != "" {
			fmt.Fprintln(w, where)
		}
	}
	if err := writeMembers(w, pl); err != nil {
		return err
	}
	for _, n := range pl.GetNotes() {
		fmt.Fprintln(w, "note: "+oneLine(n))
	}
	if pl.GetDryRun() {
		fmt.Fprintln(w, "(dry run: nothing was committed)")
	}
	return nil
}

// placementHeadline reads like "block acme-1: 64 H100-SXM5-80GB GPUs (8
// nodes) for acme", or for a dry run "would place block acme-1: ...".
func placementHeadline(pl *pb.Placement) string {
	b := pl.GetBlock()
	added, removed := pl.GetAdded(), pl.GetRemoved()
	// verb is the past tense, or "would" and the verb for a dry run.
	verb := func(past, present string) string {
		if pl.GetDryRun() {
			return "would " + present
		}
		return past
	}
	switch pl.GetOp() {
	case opCarve:
		if pl.GetDryRun() {
			return fmt.Sprintf("would place block %s: %s", b.GetName(), blockText(b))
		}
		return fmt.Sprintf("block %s: %s", b.GetName(), blockText(b))
	case opGrow:
		return fmt.Sprintf("%s block %s by %s to %s", verb("grew", "grow"), b.GetName(),
			gpusText(gpuCount(added), len(nodesOf(added)), ""), blockText(b))
	case opShrink:
		return fmt.Sprintf("%s block %s by %s to %s", verb("shrank", "shrink"), b.GetName(),
			gpusText(gpuCount(removed), len(nodesOf(removed)), ""), blockText(b))
	case opRelease:
		return fmt.Sprintf("%s block %s: %s", verb("released", "release"), b.GetName(), blockText(b))
	case opSwap:
		return fmt.Sprintf("%s %s → %s in block %s", verb("swap", "swap"), nodeList(removed), nodeList(added), b.GetName())
	case opMove:
		return fmt.Sprintf("%s block %s: %s → %s", verb("move", "move"), b.GetName(), nodeList(removed), nodeList(added))
	}
	return fmt.Sprintf("%s block %s: %s", verb(pl.GetOp(), pl.GetOp()), b.GetName(), blockText(b))
}

// nodeList reads "n1, n2", or "none".
func nodeList(members []*pb.BlockMember) string {
	nodes := nodesOf(members)
	if len(nodes) == 0 {
		return "none"
	}
	return strings.Join(nodes, ", ")
}

// placementWhere reads like "placed within one leaf domain; spans: nvlink
// 8 (bound 8), leaf 1 (bound 1), pod 1, site 1".
func placementWhere(pl *pb.Placement) string {
	var parts []string
	if l := pl.GetLevel(); l != "" {
		verb := "within"
		switch {
		case pl.GetOp() == opCarve && pl.GetDryRun():
			verb = "would be placed within"
		case pl.GetOp() == opCarve:
			verb = "placed within"
		case pl.GetDryRun():
			verb = "would then be within"
		default:
			verb = "now within"
		}
		parts = append(parts, fmt.Sprintf("%s one %s", verb, levelNoun(l)))
	}
	if s := spansText(pl.GetSpans()); s != "" {
		parts = append(parts, "spans: "+s)
	}
	return strings.Join(parts, "; ")
}

// writeMembers writes the block's nodes. For a new block it is a plain
// table; after any other decision each row is marked: "+" added, "-"
// removed, " " kept.
func writeMembers(w io.Writer, pl *pb.Placement) error {
	b := pl.GetBlock()
	if pl.GetOp() == opCarve {
		return writeTable(w, "", b.GetMembers(), memberColumns)
	}
	type row struct {
		mark string
		m    *pb.BlockMember
	}
	var rows []row
	removed := pl.GetRemoved()
	if pl.GetOp() == opRelease {
		if len(removed) == 0 {
			removed = b.GetMembers()
		}
	} else {
		added := nodesOf(pl.GetAdded())
		for _, m := range b.GetMembers() {
			mark := " "
			if slices.Contains(added, m.GetNode()) {
				mark = "+"
			}
			rows = append(rows, row{mark, m})
		}
	}
	for _, m := range removed {
		rows = append(rows, row{"-", m})
	}
	if len(rows) == 0 {
		return nil
	}
	tw := newTabWriter(w)
	fmt.Fprintln(tw, "  NODE\tGPUS\tSEGMENT")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s %s\t%s\t%s\n", r.mark, cell(r.m.GetNode()), cell(gpuRanges(r.m.GetGpus())), itoa(r.m.GetSegment()))
	}
	return tw.Flush()
}

// writeBlock writes a block and its nodes, for carve show.
func writeBlock(w io.Writer, b *pb.Block) error {
	segments := ""
	if n := b.GetSegmentNodes(); n > 0 {
		count, _ := strconv.Atoi(segmentCount(b))
		segments = fmt.Sprintf("%s of %s", plural(count, "segment"), plural(int(n), "node"))
		if l := b.GetSegmentLevel(); l != "" {
			segments += ", each within one " + levelNoun(l)
		}
	}
	if err := writeFields(w, []field{
		{"Name", b.GetName()},
		{"Tenant", b.GetTenant()},
		{"GPUs", gpusText(int(b.GetGpus()), len(nodesOf(b.GetMembers())), b.GetGpuModel())},
		{"Required", b.GetRequired()},
		{"Preferred", b.GetPreferred()},
		{"Segments", segments},
		{"Priority", itoa(b.GetPriority())},
		{"Preemptible", yesNo(b.GetPreemptible())},
		{"Generation", strconv.FormatInt(b.GetGeneration(), 10)},
		{"Created", timeText(b.GetCreatedAt())},
		{"Updated", timeText(b.GetUpdatedAt())},
	}); err != nil {
		return err
	}
	section(w, "Nodes", len(b.GetMembers()))
	return writeTable(w, "  ", b.GetMembers(), memberColumns)
}

// writeDefragPlan writes the moves of a defrag plan, what they cost and
// free, and the fragmentation before and after.
func writeDefragPlan(w io.Writer, d *pb.DefragPlan) error {
	level := d.GetLevel()
	if level == "" {
		level = "leaf"
	}
	noun := levelNoun(level)
	what := "defrag plan"
	if d.GetApplied() {
		what = "defrag applied"
	}
	model := ""
	if d.GetGpuModel() != "" {
		model = " " + d.GetGpuModel()
	}
	fmt.Fprintf(w, "%s: free whole%s %ss\n", what, model, noun)
	moves := d.GetMoves()
	if len(moves) == 0 {
		fmt.Fprintln(w, "no moves: no preemptible block stands in the way of a whole "+noun)
	} else {
		fmt.Fprintf(w, "moves (%d):\n", len(moves))
		tw := newTabWriter(w)
		for _, m := range moves {
			fmt.Fprintf(tw, "  block %s\t%s\t→ %s\n", m.GetBlock().GetName(), nodeList(m.GetRemoved()), nodeList(m.GetAdded()))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		for _, m := range moves {
			for _, n := range m.GetNotes() {
				fmt.Fprintf(w, "  note (%s): %s\n", m.GetBlock().GetName(), oneLine(n))
			}
		}
	}
	fmt.Fprintf(w, "cost: %s moved\n", plural(int(d.GetNodesMoved()), "node"))
	if freed := d.GetFreed(); len(freed) > 0 {
		fmt.Fprintf(w, "frees: %s (%s)\n", strings.Join(freed, ", "), plural(len(freed), noun))
	} else {
		fmt.Fprintln(w, "frees: none")
	}
	fmt.Fprintln(w)
	b, a := d.GetBefore(), d.GetAfter()
	tw := newTabWriter(w)
	fmt.Fprintln(tw, "\tBEFORE\tAFTER")
	for _, r := range []struct {
		name          string
		before, after int32
	}{
		{"free GPUs", b.GetFreeGpus(), a.GetFreeGpus()},
		{"largest leaf block (GPUs)", b.GetLargestLeafBlock(), a.GetLargestLeafBlock()},
		{"whole free leaf domains", b.GetWholeLeafDomains(), a.GetWholeLeafDomains()},
		{"largest NVLink block (GPUs)", b.GetLargestNvlinkBlock(), a.GetLargestNvlinkBlock()},
		{"whole free NVLink domains", b.GetWholeNvlinkDomains(), a.GetWholeNvlinkDomains()},
	} {
		fmt.Fprintf(tw, "%s\t%d\t%d\n", r.name, r.before, r.after)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if !d.GetApplied() && len(moves) > 0 {
		fmt.Fprintln(w, "(plan only: nothing was moved; run with --apply to move the blocks)")
	}
	return nil
}

// writeCapacity writes a capacity report, for carve capacity.
func writeCapacity(w io.Writer, tenant string, c *pb.CapacityResponse) error {
	f := c.GetFree()
	fields := []field{{"Model", c.GetGpuModel()}}
	if tenant != "" {
		fields = append(fields, field{"Tenant", tenant})
	}
	fields = append(fields,
		field{"Free GPUs", itoa(f.GetFreeGpus())},
		field{"Largest leaf block", plural(int(f.GetLargestLeafBlock()), "GPU")},
		field{"Largest NVLink block", plural(int(f.GetLargestNvlinkBlock()), "GPU")},
		field{"Whole free leaf domains", itoa(f.GetWholeLeafDomains())},
		field{"Whole free NVLink domains", itoa(f.GetWholeNvlinkDomains())},
	)
	if tenant != "" {
		left := "no quota"
		if c.GetQuotaLeft() >= 0 {
			left = plural(int(c.GetQuotaLeft()), "GPU")
		}
		fields = append(fields,
			field{"Quota left", left},
			field{"Used", plural(int(c.GetUsed()), "GPU")},
		)
	}
	return writeFields(w, fields)
}
