package carvebench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Acceptance bars (carving-anchors §5.7, as set for this benchmark).
const (
	BarOptimalLeafShare = 0.95 // Railyard at load 0.85, every fleet
	BarOptimalLoad      = 0.85
	BarP99ms16k         = 10.0 // Place p99 at 16,384 GPUs
	BarP99ms131k        = 50.0 // Place p99 at 131,072 GPUs
)

// Verdict is the outcome of one acceptance bar on one fleet (and load).
type Verdict struct {
	Bar    string
	Fleet  string
	Load   float64
	Pass   bool
	Detail string
}

// Check evaluates the acceptance bars on the rows:
//
//   - Railyard's optimal_leaf_share is at least 95% at load 0.85, on every
//     fleet;
//   - Railyard's util_first_reject is strictly above every baseline's, on
//     every fleet, compared load by load (the same trace). A policy with
//     no rejection reports its end utilisation; Railyard with no rejection
//     passes, and a baseline with none while Railyard has some fails it;
//   - Place p99 is under 10 ms on the 16,384-GPU scale fleet and under
//     50 ms on the 131,072-GPU one, at every fill level.
func Check(rows []Row) []Verdict {
	var out []Verdict
	type key struct {
		fleet string
		load  float64
	}
	ours := map[key]Row{}
	var order []key
	for _, r := range rows {
		if r.Kind == "trace" && r.Policy == Railyard {
			k := key{r.Fleet, r.Load}
			ours[k] = r
			order = append(order, k)
		}
	}
	for _, k := range order {
		r := ours[k]
		if k.load == BarOptimalLoad {
			out = append(out, Verdict{
				Bar: "optimal_leaf_share >= 95% at load 0.85", Fleet: k.fleet, Load: k.load,
				Pass:   r.OptimalLeafShare >= BarOptimalLeafShare,
				Detail: fmt.Sprintf("%.1f%% of %d blocks", 100*r.OptimalLeafShare, r.Measured),
			})
		}
		v := Verdict{Bar: "util_first_reject above every baseline", Fleet: k.fleet, Load: k.load, Pass: true}
		var worse []string
		bestName, best := "", -1.0
		for _, b := range rows {
			if b.Kind != "trace" || b.Policy == Railyard || b.Fleet != k.fleet || b.Load != k.load {
				continue
			}
			bu := *b.UtilFirstReject
			if bu > best {
				bestName, best = b.Policy, bu
			}
			switch {
			case r.Rejections == 0:
			case b.Rejections == 0:
				v.Pass = false
				worse = append(worse, b.Policy+" never rejected")
			case *r.UtilFirstReject <= bu:
				v.Pass = false
				worse = append(worse, fmt.Sprintf("%s %.3f", b.Policy, bu))
			}
		}
		ourTxt := fmt.Sprintf("%.3f", *r.UtilFirstReject)
		if r.Rejections == 0 {
			ourTxt += " (no rejection: end utilisation)"
		}
		v.Detail = fmt.Sprintf("railyard %s, best baseline %s %.3f", ourTxt, bestName, best)
		if len(worse) > 0 {
			v.Detail += "; not above: " + strings.Join(worse, ", ")
		}
		out = append(out, v)
	}
	for _, r := range rows {
		if r.Kind != "scale" {
			continue
		}
		bar := 0.0
		switch {
		case r.GPUs <= 16384:
			bar = BarP99ms16k
		case r.GPUs <= 131072:
			bar = BarP99ms131k
		default:
			continue
		}
		out = append(out, Verdict{
			Bar: fmt.Sprintf("Place p99 < %g ms", bar), Fleet: r.Fleet, Load: r.Load,
			Pass: r.P99ms < bar, Detail: fmt.Sprintf("p99 %.2f ms (p50 %.2f, max %.2f) at %.0f%% utilisation", r.P99ms, r.P50ms, r.MaxMs, 100*r.EndUtil),
		})
	}
	return out
}

// WriteTable prints the rows as a table.
func WriteTable(w io.Writer, rows []Row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "fleet\tload\tpolicy\topt leaf\tleaf in req\tspan ratio\topt nvl\tnvl in req\tutil@1st\tutil@10th\trejects\tcap ref\tgrows\tfail grows\tfree blk GPUs\tfree leaves\tavg free leaves\tmean util\tp50 ms\tp99 ms\t")
	prev := ""
	for _, r := range rows {
		if r.Kind != "trace" {
			continue
		}
		if k := fmt.Sprintf("%s/%g", r.Fleet, r.Load); k != prev && prev != "" {
			fmt.Fprintln(tw, strings.Repeat("\t", 20))
			prev = k
		} else {
			prev = k
		}
		fmt.Fprintf(tw, "%s\t%.2f\t%s\t%.1f%%\t%.1f%%\t%.3f\t%.1f%%\t%.1f%%\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%.2f\t%.3f\t%.3f\t%.3f\t\n",
			r.Fleet, r.Load, r.Policy, 100*r.OptimalLeafShare, 100*r.OptimalLeafWithin, r.MeanSpanRatio,
			100*r.OptimalNVLinkShare, 100*r.OptimalNVLinkWithin,
			utilText(r.UtilFirstReject, r.FirstIsEnd), utilText(r.UtilTenthReject, r.TenthIsEnd),
			r.Rejections, r.CapacityRefusals, r.Grows, r.FailedGrows, r.LargestFreeGPUs, r.WholeFreeLeaves,
			r.MeanWholeLeaves, r.MeanUtil, r.P50ms, r.P99ms)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var scale []Row
	for _, r := range rows {
		if r.Kind == "scale" {
			scale = append(scale, r)
		}
	}
	if len(scale) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Latency scale (railyard Place on a pre-fragmented fleet, decisions not applied):")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "fleet\tGPUs\tfill\tutil\tdecisions\trefused\topt leaf\tp50 ms\tp99 ms\tmax ms\t")
		for _, r := range scale {
			fmt.Fprintf(tw, "%s\t%d\t%.2f\t%.3f\t%d\t%d\t%.1f%%\t%.3f\t%.3f\t%.3f\t\n",
				r.Fleet, r.GPUs, r.Load, r.EndUtil, r.Decisions, r.Rejections, 100*r.OptimalLeafShare, r.P50ms, r.P99ms, r.MaxMs)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

func utilText(v *float64, isEnd bool) string {
	if v == nil {
		return "-"
	}
	s := fmt.Sprintf("%.3f", *v)
	if isEnd {
		s += "*"
	}
	return s
}

// WriteVerdicts prints the acceptance summary and reports whether every
// bar passed.
func WriteVerdicts(w io.Writer, vs []Verdict) bool {
	all := true
	fmt.Fprintln(w, "Acceptance bars:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, v := range vs {
		mark := "PASS"
		if !v.Pass {
			mark, all = "MISS", false
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\tload %.2f\t%s\n", mark, v.Bar, v.Fleet, v.Load, v.Detail)
	}
	tw.Flush()
	return all
}
