// Package carvebench is the carving benchmark behind `make bench-carve`: it
// replays request traces against the carving engine (package carve) on
// generated fleets and compares Railyard's placement with baselines
// re-implemented from their published descriptions (Slurm topology/tree and
// topology/block, Kueue TAS BestFit, first fit and worst fit).
//
// A run takes one fleet (fleetgen's DGX H100 SuperPOD or GB200 NVL72
// shapes), one offered load and one policy. The trace of a (fleet, load)
// pair is generated once from a fixed seed and replayed identically for
// every policy: Poisson arrivals of whole-node requests with a power-law
// size mix and lognormal durations, elastic grow/shrink events per block,
// and node failures with repairs. Rejected requests are dropped, not
// queued.
//
// The defaults (DefaultOptions, NewTrace): max(5000, 4 × nodes) requests
// per trace; sizes P(k) ∝ k^-2 on 1..min(128, nodes of the largest pod),
// 80% rounded to a power of two; the required level is the smallest whose
// domains hold the request (Fleet.Required); 30% preemptible; lognormal
// durations with a mean of 24 h (σ = 1); one elastic event per block per
// mean duration, Δ ∈ {+25%, +100%, −25%, −50%} of its nodes; node failures
// at 0.0038 per node-day (scaled up where a trace would see fewer than 30)
// with 24-72 h repairs. Span metrics skip the first 48 simulated hours.
//
// Every policy decides through the same engine State, so spans and the
// state-aware lower bounds are computed identically: Railyard calls
// (*carve.State).Place, Grow and Shrink; a baseline reads the eligible
// nodes with Eligible, chooses node indexes by its own rule and builds the
// plan with PlanNodes or PlanResize.
//
// The metrics (optimal leaf-span share, span ratio, utilisation at the
// first and tenth fragmentation rejection, decision latency, failed grows,
// fragmentation left at the end) and the acceptance bars are described on
// Row and Check. Nothing here does I/O except the command in
// cmd/carvebench, which writes the JSON results and prints a table.
package carvebench
