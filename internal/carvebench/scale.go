package carvebench

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/railyard/railyard/internal/carve"
	"github.com/railyard/railyard/internal/model"
)

// ScaleSpec is a latency-scale run: Railyard's Place on a large H100-shaped
// fleet pre-fragmented to each fill level.
type ScaleSpec struct {
	Name  string
	Nodes int
	// Fills are the utilisation levels measured at, highest first.
	Fills []float64
	// Samples is the number of Place decisions timed per fill level; Churn
	// the number of arrivals and departures between fill levels.
	Samples, Churn int
	Seed           uint64
}

// DefaultScale are the scale runs of `make bench-carve`: 16,384 and
// 131,072 GPUs at 90%, 75% and 60% utilisation.
var DefaultScale = []ScaleSpec{
	{Name: "h100-scale-16k", Nodes: 2048, Fills: []float64{0.9, 0.75, 0.6}, Samples: 500, Churn: 2000, Seed: 16},
	{Name: "h100-scale-131k", Nodes: 16384, Fills: []float64{0.9, 0.75, 0.6}, Samples: 300, Churn: 1500, Seed: 131},
}

// RunScale fragments the fleet with requests of the benchmark's size mix
// and measures Place at each fill level. The fleet is first filled to 95%
// (or until 200 requests in a row are refused); then, for each fill level
// from the highest, random blocks are released until the utilisation is
// at most the level, Churn steps follow (below the level a new request is
// placed, at or above it a random block leaves), and Samples fresh
// requests are decided by Place without being applied. Rows report the
// latency of those decisions and their span optimality.
func RunScale(spec ScaleSpec) ([]Row, error) {
	start := time.Now()
	f, err := ScaleFleet(spec.Name, spec.Nodes)
	if err != nil {
		return nil, err
	}
	s, err := carve.NewState(&model.CarveSnapshot{Nodes: f.Nodes}, carve.Policy{}, time.Time{})
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(spec.Seed, 0x7363616c65)) // "scale"
	sizes := newSizeMix(f.MaxRequest(), 2, 0.8)
	gpuModel := f.Nodes[0].GPUModel
	var live []string
	alloc, seq := 0, 0
	request := func() carve.Request {
		k := sizes.draw(rng)
		seq++
		return carve.Request{
			Block: fmt.Sprintf("s%d", seq), Tenant: fmt.Sprintf("t%d", rng.IntN(8)), GPUModel: gpuModel,
			GPUs: k * f.PerNode, Required: f.Required(k), Preemptible: rng.Float64() < 0.3,
		}
	}
	util := func() float64 { return float64(alloc) / float64(f.GPUs) }
	place := func() (bool, error) {
		p, err := s.Place(request())
		if err != nil {
			if isBug(err) {
				return false, err
			}
			return false, nil
		}
		if err := s.Apply(p); err != nil {
			return false, err
		}
		alloc += p.After.GPUs
		live = append(live, p.After.Name)
		return true, nil
	}
	release := func() error {
		j := rng.IntN(len(live))
		name := live[j]
		live[j] = live[len(live)-1]
		live = live[:len(live)-1]
		p, err := s.Release(name)
		if err != nil {
			return err
		}
		alloc -= p.Before.GPUs
		return s.Apply(p)
	}

	for refused := 0; util() < 0.95 && refused < 200; {
		ok, err := place()
		if err != nil {
			return nil, err
		}
		if ok {
			refused = 0
		} else {
			refused++
		}
	}
	var rows []Row
	for _, fill := range spec.Fills {
		for util() > fill && len(live) > 0 {
			if err := release(); err != nil {
				return nil, err
			}
		}
		for range spec.Churn {
			if util() < fill || len(live) == 0 {
				if _, err := place(); err != nil {
					return nil, err
				}
			} else if err := release(); err != nil {
				return nil, err
			}
		}
		res := Result{Requests: spec.Samples}
		for range spec.Samples {
			req := request()
			t0 := time.Now()
			p, err := s.Place(req)
			res.Decisions = append(res.Decisions, time.Since(t0).Seconds())
			if err != nil {
				if isBug(err) {
					return nil, err
				}
				res.Rejections++
				continue
			}
			res.Measured++
			if p.Span(carve.LevelLeaf) == p.Bound(carve.LevelLeaf) {
				res.OptimalLeaf++
			}
			if p.Span(carve.LevelNVLink) == p.Bound(carve.LevelNVLink) {
				res.OptimalNVLink++
			}
			res.SpanRatio += float64(p.Span(carve.LevelLeaf)) / float64(max(1, p.Bound(carve.LevelLeaf)))
		}
		res.EndUtil = util()
		res.Wall = time.Since(start)
		r := rowOf(f, fill, Railyard, RunConfig{}, &res)
		r.Kind = "scale"
		r.UtilFirstReject, r.UtilTenthReject, r.FirstIsEnd, r.TenthIsEnd = nil, nil, false, false
		r.Placed = 0
		rows = append(rows, r)
		start = time.Now()
	}
	return rows, nil
}
