package discovery

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/railyard/railyard/internal/model"
)

// Runner asks many targets in parallel: at most Concurrency at once, each
// attempt bounded by Timeout, failed attempts that may be transient
// (Unreachable) retried up to Retries times with exponential backoff.
type Runner struct {
	Concurrency int
	Timeout     time.Duration
	Retries     int
	// Backoff is the wait before the first retry; it doubles each time.
	Backoff time.Duration
	// Resolve turns a credential reference into credentials; nil means
	// ResolveCredentials.
	Resolve func(ref string) (Credentials, error)
	// Progress, when set, is called (from the runner's goroutines, one
	// call at a time) after each target finishes.
	Progress func(done, total int, r Result)
	// Now stamps observations; nil means time.Now.
	Now func() time.Time
}

// Result is the outcome for one target.
type Result struct {
	Target      Target
	Observation *model.Observation // nil on failure
	Err         error
	Kind        Kind // empty on success
	Attempts    int
	Duration    time.Duration
}

// Defaults for a zero Runner.
const (
	DefaultConcurrency = 32
	DefaultTimeout     = 30 * time.Second
	DefaultRetries     = 2
	DefaultBackoff     = 500 * time.Millisecond
)

func (r *Runner) defaults() Runner {
	c := *r
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Retries < 0 {
		c.Retries = 0
	}
	if c.Backoff <= 0 {
		c.Backoff = DefaultBackoff
	}
	if c.Resolve == nil {
		c.Resolve = ResolveCredentials
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Run asks every target and returns one result per target, in the order
// given. It returns early only if ctx ends; targets not yet asked then
// fail as Unreachable with ctx's error.
func (r *Runner) Run(ctx context.Context, targets []Target) []Result {
	c := r.defaults()
	results := make([]Result, len(targets))
	work := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	workers := min(c.Concurrency, len(targets))
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				results[i] = c.one(ctx, targets[i])
				if c.Progress != nil {
					mu.Lock()
					done++
					c.Progress(done, len(targets), results[i])
					mu.Unlock()
				}
			}
		}()
	}
feed:
	for i := range targets {
		select {
		case work <- i:
		case <-ctx.Done():
			for j := i; j < len(targets); j++ {
				results[j] = Result{Target: targets[j], Err: ctx.Err(), Kind: Unreachable}
			}
			break feed
		}
	}
	close(work)
	wg.Wait()
	return results
}

func (c Runner) one(ctx context.Context, t Target) Result {
	start := time.Now()
	res := c.attempts(ctx, t)
	res.Duration = time.Since(start)
	return res
}

// attempts asks t until it answers, fails for good, or runs out of retries.
func (c Runner) attempts(ctx context.Context, t Target) Result {
	res := Result{Target: t}
	src, name, ok := Lookup(t.Scheme)
	if !ok {
		res.Err, res.Kind = fmt.Errorf("no source for scheme %q (have %v)", t.Scheme, Schemes()), Failed
		return res
	}
	cred, err := c.Resolve(t.Credential)
	if err != nil {
		res.Err, res.Kind = err, Failed
		return res
	}
	wait := c.Backoff
	for attempt := 0; ; attempt++ {
		res.Attempts = attempt + 1
		actx, cancel := context.WithTimeout(ctx, c.Timeout)
		obs, err := src.Discover(actx, t, cred)
		timedOut := actx.Err() != nil
		cancel()
		if err == nil && obs == nil {
			err = Errorf(Malformed, "source returned nothing")
		}
		if err == nil {
			obs.Target, obs.Source, obs.Hints = t.String(), name, t.Hints
			obs.Hints.Credential = t.Credential
			if obs.At.IsZero() {
				obs.At = c.Now()
			}
			res.Observation, res.Err, res.Kind = obs, nil, ""
			break
		}
		if timedOut && ctx.Err() == nil {
			err = Classify(Unreachable, fmt.Errorf("no answer within %s: %w", c.Timeout, err))
		}
		res.Err, res.Kind = err, KindOf(err)
		if res.Kind != Unreachable || attempt >= c.Retries || ctx.Err() != nil {
			break
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
		}
		wait *= 2
	}
	return res
}

// MergeTargets adds to given the known targets (from the inventory) that it
// does not already name, with credential for those that name none. Given
// targets win: an operator's file overrides what the inventory holds.
func MergeTargets(given, known []Target, credential string) []Target {
	seen := map[string]bool{}
	for _, t := range given {
		seen[t.String()] = true
	}
	for _, t := range known {
		if seen[t.String()] {
			continue
		}
		if t.Credential == "" {
			t.Credential = credential
		}
		seen[t.String()] = true
		given = append(given, t)
	}
	return given
}

// Summary counts a run's results.
type Summary struct {
	Targets     int
	Found       int // targets that answered
	Unreachable int
	Failed      int // unauthorized, malformed, failed
	// Failures are the failed targets with their reasons, in target order.
	Failures []Failure
}

// Failure is one target that did not answer usefully.
type Failure struct {
	Target string `json:"target"`
	Kind   Kind   `json:"kind"`
	Reason string `json:"reason"`
}

// Summarize counts results.
func Summarize(rs []Result) Summary {
	s := Summary{Targets: len(rs)}
	for _, r := range rs {
		switch {
		case r.Err == nil:
			s.Found++
			continue
		case r.Kind == Unreachable:
			s.Unreachable++
		default:
			s.Failed++
		}
		msg := r.Err.Error()
		var e *Error
		if errors.As(r.Err, &e) {
			msg = e.Err.Error()
		}
		s.Failures = append(s.Failures, Failure{Target: r.Target.String(), Kind: r.Kind, Reason: msg})
	}
	return s
}

// Observations returns the observations of the targets that answered.
func Observations(rs []Result) []model.Observation {
	var out []model.Observation
	for _, r := range rs {
		if r.Observation != nil {
			out = append(out, *r.Observation)
		}
	}
	return out
}
