package carvebench

import (
	"fmt"
	"hash/fnv"
	"runtime"
	"sync"
	"time"

	"github.com/railyard/railyard/internal/carve"
	"github.com/railyard/railyard/internal/model"
)

// Row is one line of bench-results/carve.json: one (fleet, load, policy)
// simulation, or one fill level of a latency-scale run (Kind "scale").
//
// Utilisation is the GPUs held by blocks over all the fleet's GPUs
// (failed nodes included in the denominator). A rejection is a
// fragmentation rejection: a request refused although the fleet had at
// least as many free usable GPUs (nodes neither failed nor in a block);
// a request that did not fit the free GPU count is a capacity refusal and
// is counted apart. UtilFirstReject and UtilTenthReject are the
// utilisation at the first and tenth rejection, counted from an empty
// fleet; when there were fewer rejections they hold the utilisation at the
// end of the run and FirstIsEnd / TenthIsEnd say so.
//
// The span metrics cover new blocks placed after the warm-up:
// OptimalLeafShare is the share whose leaf-domain span equals the
// state-aware lower bound at the moment of decision, MeanSpanRatio the
// mean of span/bound, OptimalNVLinkShare the same share at the NVLink
// level (always 1 on H100, where a node is its own NVLink domain). P50ms
// and P99ms are the latency of the placement decision, refusals included:
// Place for Railyard; Eligible, the rule and PlanNodes for a baseline.
//
// In a scale row Load is the fill level, EndUtil the utilisation reached,
// the utilisation-at-rejection fields are null, Rejections counts the
// sampled decisions that were refused, and the span shares cover the
// sampled decisions (which are not applied).
type Row struct {
	Fleet            string   `json:"fleet"`
	GPUs             int      `json:"gpus"`
	Load             float64  `json:"load"`
	Policy           string   `json:"policy"`
	OptimalLeafShare float64  `json:"optimal_leaf_share"`
	MeanSpanRatio    float64  `json:"mean_span_ratio"`
	UtilFirstReject  *float64 `json:"util_first_reject"`
	UtilTenthReject  *float64 `json:"util_tenth_reject"`
	P50ms            float64  `json:"p50_ms"`
	P99ms            float64  `json:"p99_ms"`

	Kind               string  `json:"kind"`
	OptimalNVLinkShare float64 `json:"optimal_nvlink_share"`
	// OptimalLeafWithin and OptimalNVLinkWithin are the same shares
	// against the lower bound within one domain of the required level
	// (the fewest domains any valid placement could touch), which the
	// engine's fleet-wide bound can undercut.
	OptimalLeafWithin   float64 `json:"optimal_leaf_share_within_required"`
	OptimalNVLinkWithin float64 `json:"optimal_nvlink_share_within_required"`
	Rejections          int     `json:"rejections"`
	FirstIsEnd          bool    `json:"util_first_reject_is_end,omitempty"`
	TenthIsEnd          bool    `json:"util_tenth_reject_is_end,omitempty"`
	CapacityRefusals    int     `json:"capacity_refusals"`
	Requests            int     `json:"requests"`
	Placed              int     `json:"placed"`
	Measured            int     `json:"measured"`
	Decisions           int     `json:"decisions"`
	MaxMs               float64 `json:"max_ms"`
	Grows               int     `json:"grows"`
	FailedGrows         int     `json:"failed_grows"`
	Shrinks             int     `json:"shrinks"`
	Failures            int     `json:"node_failures"`
	Swaps               int     `json:"swaps"`
	FailedSwaps         int     `json:"failed_swaps"`
	LargestFreeGPUs     int     `json:"largest_free_block_gpus"`
	WholeFreeLeaves     int     `json:"whole_free_leaf_domains"`
	MeanUtil            float64 `json:"mean_util"`
	// MeanWholeLeaves is the time-averaged number of leaf domains with
	// every node free and usable.
	MeanWholeLeaves float64 `json:"mean_whole_free_leaf_domains"`
	EndUtil         float64 `json:"end_util"`
	// StaticFirst and StaticTenth are the utilisation at the first and
	// tenth fragmentation rejection of the static fill (experiment E1 of
	// carving-anchors §5.4: the trace's requests in order on an empty
	// fleet, no departures, failures or elastic events); *IsEnd as above.
	StaticFirst      *float64 `json:"static_util_first_reject,omitempty"`
	StaticTenth      *float64 `json:"static_util_tenth_reject,omitempty"`
	StaticFirstIsEnd bool     `json:"static_util_first_reject_is_end,omitempty"`
	StaticTenthIsEnd bool     `json:"static_util_tenth_reject_is_end,omitempty"`
	Elastic          bool     `json:"elastic"`
	SwapOn           bool     `json:"swap"`
	WallSeconds      float64  `json:"wall_s"`
}

// Options chooses what RunAll runs.
type Options struct {
	Fleets   []FleetSpec
	Loads    []float64
	Policies []string
	// Requests per trace; 0: max(5000, 4 × the fleet's nodes).
	Requests int
	Seed     uint64
	// Parallel is the number of simulations run at once (default: the CPUs).
	Parallel int
	// Elastic and Swap turn grow/shrink events and failed-node swaps on
	// where the engine supports them (for every policy alike).
	Elastic, Swap bool
	// NoStatic skips the static fill.
	NoStatic bool
	// Scale lists the latency-scale runs.
	Scale []ScaleSpec
	// Progress, when set, is told about each finished run.
	Progress func(string)
}

// DefaultLoads are the offered loads of the benchmark.
var DefaultLoads = []float64{0.7, 0.85, 1.0}

// DefaultOptions is what `make bench-carve` runs.
func DefaultOptions() Options {
	return Options{
		Fleets: Fleets, Loads: DefaultLoads, Seed: 20240601, Elastic: true, Swap: true,
		Scale: DefaultScale,
	}
}

// RunAll runs every (fleet, load, policy) simulation, then the scale runs,
// and returns the rows in fleet, load, policy order.
func RunAll(o Options) ([]Row, error) {
	if len(o.Policies) == 0 {
		for _, p := range Policies() {
			o.Policies = append(o.Policies, p.Name())
		}
	}
	pols := make([]Policy, len(o.Policies))
	for i, n := range o.Policies {
		p, err := PolicyNamed(n)
		if err != nil {
			return nil, err
		}
		pols[i] = p
	}
	par := o.Parallel
	if par <= 0 {
		par = runtime.GOMAXPROCS(0)
	}
	progress := o.Progress
	if progress == nil {
		progress = func(string) {}
	}

	type job struct {
		idx   int
		fleet *Fleet
		trace *Trace
		load  float64
		pol   Policy
		cfg   RunConfig
	}
	var jobs []job
	for _, spec := range o.Fleets {
		f, err := BuildFleet(spec)
		if err != nil {
			return nil, err
		}
		probe, err := carve.NewState(&model.CarveSnapshot{Nodes: f.Nodes[:1]}, carve.Policy{}, time.Time{})
		if err != nil {
			return nil, err
		}
		hasElastic, hasSwap := EngineHas(probe)
		n := o.Requests
		if n <= 0 {
			n = max(5000, 4*len(f.Nodes))
		}
		for _, load := range o.Loads {
			tr := NewTrace(f, TraceSpec{Load: load, Requests: n, Seed: TraceSeed(o.Seed, f.Name, load)})
			for _, p := range pols {
				jobs = append(jobs, job{idx: len(jobs), fleet: f, trace: tr, load: load, pol: p, cfg: RunConfig{
					Fleet: f, Trace: tr, Policy: p, Warmup: 2 * tr.Spec.MeanHours,
					Elastic: o.Elastic && hasElastic, Swap: o.Swap && hasSwap, Static: !o.NoStatic,
				}})
			}
		}
	}

	rows := make([]Row, len(jobs))
	errs := make([]error, len(jobs))
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			res, err := Run(j.cfg)
			if err != nil {
				errs[j.idx] = err
				return
			}
			rows[j.idx] = rowOf(j.fleet, j.load, j.pol.Name(), j.cfg, res)
			r := rows[j.idx]
			progress(fmt.Sprintf("%-14s load %.2f %-14s %5.1fs", r.Fleet, r.Load, r.Policy, r.WallSeconds))
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	for _, sc := range o.Scale {
		rs, err := RunScale(sc)
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			progress(fmt.Sprintf("%-14s fill %.2f %-14s %5.1fs", r.Fleet, r.Load, r.Policy, r.WallSeconds))
		}
		rows = append(rows, rs...)
	}
	return rows, nil
}

// TraceSeed is the seed of the trace of one (fleet, load) pair: the same
// whichever fleets and loads a run includes.
func TraceSeed(seed uint64, fleet string, load float64) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%g", fleet, load)
	return seed ^ h.Sum64()
}

func rowOf(f *Fleet, load float64, policy string, cfg RunConfig, res *Result) Row {
	r := Row{
		Fleet: f.Name, GPUs: f.GPUs, Load: load, Policy: policy, Kind: "trace",
		Rejections: res.Rejections, CapacityRefusals: res.CapacityRefusals,
		Requests: res.Requests, Placed: res.Placed, Measured: res.Measured, Decisions: len(res.Decisions),
		Grows: res.Grows, FailedGrows: res.FailedGrows, Shrinks: res.Shrinks,
		Failures: res.Failures, Swaps: res.Swaps, FailedSwaps: res.FailedSwaps,
		LargestFreeGPUs: res.LargestFreeGPUs, WholeFreeLeaves: res.WholeFreeLeaves,
		MeanUtil: round(res.MeanUtil, 4), EndUtil: round(res.EndUtil, 4), MeanWholeLeaves: round(res.MeanWholeLeaves, 3),
		Elastic: cfg.Elastic, SwapOn: cfg.Swap, WallSeconds: round(res.Wall.Seconds(), 2),
	}
	if res.Measured > 0 {
		r.OptimalLeafShare = round(float64(res.OptimalLeaf)/float64(res.Measured), 4)
		r.OptimalNVLinkShare = round(float64(res.OptimalNVLink)/float64(res.Measured), 4)
		r.MeanSpanRatio = round(res.SpanRatio/float64(res.Measured), 4)
		r.OptimalLeafWithin = round(float64(res.OptimalWithin[carve.LevelLeaf])/float64(res.Measured), 4)
		r.OptimalNVLinkWithin = round(float64(res.OptimalWithin[carve.LevelNVLink])/float64(res.Measured), 4)
	}
	at := func(n int) (*float64, bool) {
		if len(res.UtilAtReject) >= n {
			v := round(res.UtilAtReject[n-1], 4)
			return &v, false
		}
		v := round(res.EndUtil, 4)
		return &v, true
	}
	r.UtilFirstReject, r.FirstIsEnd = at(1)
	r.UtilTenthReject, r.TenthIsEnd = at(10)
	if cfg.Static {
		static := func(n int) (*float64, bool) {
			if len(res.StaticUtil) >= n {
				v := round(res.StaticUtil[n-1], 4)
				return &v, false
			}
			v := round(res.StaticEndUtil, 4)
			return &v, true
		}
		r.StaticFirst, r.StaticFirstIsEnd = static(1)
		r.StaticTenth, r.StaticTenthIsEnd = static(10)
	}
	r.P50ms = round(percentile(res.Decisions, 0.5)*1e3, 4)
	r.P99ms = round(percentile(res.Decisions, 0.99)*1e3, 4)
	if n := len(res.Decisions); n > 0 {
		r.MaxMs = round(res.Decisions[n-1]*1e3, 4) // sorted by percentile
	}
	return r
}

func round(x float64, digits int) float64 {
	p := 1.0
	for range digits {
		p *= 10
	}
	if x < 0 {
		return -float64(int64(-x*p+0.5)) / p
	}
	return float64(int64(x*p+0.5)) / p
}
