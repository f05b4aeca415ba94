package carvebench

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/railyard/railyard/internal/carve"
)

// TraceSpec parameterises a trace. Times are in hours.
type TraceSpec struct {
	// Load is the offered load ρ: mean GPUs × mean duration × arrival rate
	// / fleet GPUs.
	Load float64
	// Requests is the number of arrivals.
	Requests int
	// Seed fixes every random draw.
	Seed uint64
	// Alpha is the exponent of the size mix P(k) ∝ k^-Alpha on
	// 1..MaxNodes (default 2); Pow2 the share of draws rounded to a power
	// of two (default 0.8).
	Alpha, Pow2 float64
	MaxNodes    int
	// MeanHours and Sigma shape the lognormal durations (defaults 24 h,
	// 1.0).
	MeanHours, Sigma float64
	// Preemptible is the share of preemptible requests (default 0.3).
	Preemptible float64
	// ElasticPerHour is each block's rate of grow/shrink events (default:
	// one per mean duration).
	ElasticPerHour float64
	// FailPerNodeDay is the node failure rate (default 0.0038, the Llama 3
	// anchor); repairs take RepairMin to RepairMax hours (default 24-72).
	// MinFailures scales the failure rate up, when needed, so that the
	// trace expects at least that many failures (default 30).
	FailPerNodeDay       float64
	RepairMin, RepairMax float64
	MinFailures          float64
	Tenants              int
}

func (s *TraceSpec) defaults() {
	if s.Alpha == 0 {
		s.Alpha = 2
	}
	if s.Pow2 == 0 {
		s.Pow2 = 0.8
	}
	if s.MaxNodes == 0 {
		s.MaxNodes = 128
	}
	if s.MeanHours == 0 {
		s.MeanHours = 24
	}
	if s.Sigma == 0 {
		s.Sigma = 1
	}
	if s.Preemptible == 0 {
		s.Preemptible = 0.3
	}
	if s.ElasticPerHour == 0 {
		s.ElasticPerHour = 1 / s.MeanHours
	}
	if s.FailPerNodeDay == 0 {
		s.FailPerNodeDay = 0.0038
	}
	if s.RepairMin == 0 && s.RepairMax == 0 {
		s.RepairMin, s.RepairMax = 24, 72
	}
	if s.MinFailures == 0 {
		s.MinFailures = 30
	}
	if s.Tenants == 0 {
		s.Tenants = 8
	}
}

// Elastic deltas, as fractions of a block's size at the time of the event.
var elasticDeltas = []float64{0.25, 1, -0.25, -0.5}

// Arrival is one request of a trace.
type Arrival struct {
	At    float64
	Nodes int
	// Required is the level the block must stay within.
	Required    carve.Level
	Hours       float64
	Tenant      int
	Preemptible bool
	// Elastic lists the block's grow/shrink events, in order.
	Elastic []Elastic
}

// Elastic is one grow (Delta > 0) or shrink of a block, Delta a fraction
// of its size then, After hours after its arrival.
type Elastic struct {
	After, Delta float64
}

// Failure is a node failing At and being repaired RepairAt.
type Failure struct {
	At, RepairAt float64
	Node         int
}

// Trace is the replayable input of one (fleet, load) pair.
type Trace struct {
	Spec     TraceSpec
	Arrivals []Arrival
	Failures []Failure
	// Rate is the arrival rate per hour; End the last arrival.
	Rate, End float64
	// FailScale is the factor the failure rate was scaled up by.
	FailScale float64
}

// NewTrace draws a trace for the fleet. The same spec gives the same trace.
//
// Sizes and durations are drawn first; the arrival rate is then set from
// their means so that mean GPUs × mean duration × rate / fleet GPUs is
// exactly the offered load. Required levels follow the fleet
// (Fleet.Required). Failures hit uniformly random nodes as a Poisson
// process over the trace's span.
func NewTrace(f *Fleet, spec TraceSpec) *Trace {
	spec.defaults()
	spec.MaxNodes = min(spec.MaxNodes, f.MaxRequest())
	rng := rand.New(rand.NewPCG(spec.Seed, 0x6361727665)) // "carve"
	sizes := newSizeMix(spec.MaxNodes, spec.Alpha, spec.Pow2)
	mu := math.Log(spec.MeanHours) - spec.Sigma*spec.Sigma/2
	tr := &Trace{Spec: spec, Arrivals: make([]Arrival, spec.Requests)}
	var sumGPUs, sumHours float64
	for i := range tr.Arrivals {
		a := &tr.Arrivals[i]
		a.Nodes = sizes.draw(rng)
		a.Required = f.Required(a.Nodes)
		a.Hours = math.Exp(mu + spec.Sigma*rng.NormFloat64())
		a.Tenant = rng.IntN(spec.Tenants)
		a.Preemptible = rng.Float64() < spec.Preemptible
		for t := rng.ExpFloat64() / spec.ElasticPerHour; t < a.Hours; t += rng.ExpFloat64() / spec.ElasticPerHour {
			a.Elastic = append(a.Elastic, Elastic{After: t, Delta: elasticDeltas[rng.IntN(len(elasticDeltas))]})
		}
		sumGPUs += float64(a.Nodes * f.PerNode)
		sumHours += a.Hours
	}
	n := float64(max(1, spec.Requests))
	tr.Rate = spec.Load * float64(f.GPUs) / (sumGPUs / n * sumHours / n)
	t := 0.0
	for i := range tr.Arrivals {
		t += rng.ExpFloat64() / tr.Rate
		tr.Arrivals[i].At = t
	}
	tr.End = t

	perHour := spec.FailPerNodeDay / 24 * float64(len(f.Nodes))
	tr.FailScale = 1
	if want := spec.MinFailures; perHour*tr.End < want && perHour > 0 && tr.End > 0 {
		tr.FailScale = want / (perHour * tr.End)
		perHour *= tr.FailScale
	}
	if perHour > 0 {
		for t := rng.ExpFloat64() / perHour; t < tr.End; t += rng.ExpFloat64() / perHour {
			tr.Failures = append(tr.Failures, Failure{
				At: t, Node: rng.IntN(len(f.Nodes)),
				RepairAt: t + spec.RepairMin + rng.Float64()*(spec.RepairMax-spec.RepairMin),
			})
		}
	}
	return tr
}

// OfferedLoad is the trace's offered load as the definition computes it:
// mean GPUs × mean duration × rate / fleet GPUs.
func (tr *Trace) OfferedLoad(f *Fleet) float64 {
	var g, h float64
	for _, a := range tr.Arrivals {
		g += float64(a.Nodes * f.PerNode)
		h += a.Hours
	}
	n := float64(len(tr.Arrivals))
	return g / n * h / n * tr.Rate / float64(f.GPUs)
}

// RealisedLoad is the GPU-hours the trace asks for per GPU-hour of the
// fleet over its span: Σ GPUs × duration / (End × fleet GPUs).
func (tr *Trace) RealisedLoad(f *Fleet) float64 {
	var gh float64
	for _, a := range tr.Arrivals {
		gh += float64(a.Nodes*f.PerNode) * a.Hours
	}
	return gh / (tr.End * float64(f.GPUs))
}

// sizeMix draws request sizes in nodes: P(k) ∝ k^-alpha on 1..max, and a
// share pow2 of the draws rounded (in log scale) to the nearest power of
// two not above max.
type sizeMix struct {
	cdf  []float64
	pow2 float64
	max  int
}

func newSizeMix(maxNodes int, alpha, pow2 float64) *sizeMix {
	m := &sizeMix{cdf: make([]float64, maxNodes), pow2: pow2, max: maxNodes}
	sum := 0.0
	for k := 1; k <= maxNodes; k++ {
		sum += math.Pow(float64(k), -alpha)
		m.cdf[k-1] = sum
	}
	for i := range m.cdf {
		m.cdf[i] /= sum
	}
	return m
}

func (m *sizeMix) draw(rng *rand.Rand) int {
	u := rng.Float64()
	k, _ := slices.BinarySearch(m.cdf, u)
	k = min(k+1, m.max)
	if rng.Float64() < m.pow2 {
		p := 1 << int(math.Round(math.Log2(float64(k))))
		for p > m.max {
			p /= 2
		}
		k = p
	}
	return k
}
