package agent

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"

	"github.com/railyard/railyard/internal/model"
)

// DefaultInterval is how often Run collects when Config.Interval is zero.
const DefaultInterval = time.Minute

// firstBackoff is the wait after the first failed round; it doubles with
// every further failure up to Config.MaxBackoff.
const firstBackoff = time.Second

// Config configures Run.
type Config struct {
	// Interval is the time between rounds; zero means DefaultInterval.
	Interval time.Duration
	// MaxBackoff caps the wait after failed rounds, which starts at one
	// second and doubles; zero means Interval.
	MaxBackoff time.Duration
	// Lib is the NVML library; nil means nvml.New().
	Lib nvml.Interface
	// Sys is the sysfs tree; the zero value reads /sys.
	Sys SysFS
	// Hostname names the node; nil means os.Hostname.
	Hostname func() (string, error)
	// WatchXIDs counts XID events between rounds and reports them.
	WatchXIDs bool
	// Logger receives the errors Run survives; nil means slog.Default().
	Logger *slog.Logger

	// sleep waits d or until ctx is done, reporting whether d passed;
	// tests replace it.
	sleep func(ctx context.Context, d time.Duration) bool
}

// Run collects an observation now and then every cfg.Interval, and hands
// each to report. A failed round (collect or report) is logged and the
// next one comes after a backoff instead of the interval. Run returns
// nil when ctx is done, and the error at once when the very first
// collection finds no NVML (errors.Is(err, ErrNoNVML)): a host without
// GPUs should not run the agent. Later NVML failures (a driver being
// upgraded) are survived like any other.
func Run(ctx context.Context, cfg Config, report func(context.Context, *model.Observation) error) error {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = cfg.Interval
	}
	if cfg.Lib == nil {
		cfg.Lib = nvml.New()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.sleep == nil {
		cfg.sleep = sleepCtx
	}
	log := cfg.Logger
	col := &Collector{Lib: cfg.Lib, Sys: cfg.Sys, Hostname: cfg.Hostname}
	if cfg.WatchXIDs {
		col.XIDs = &XIDCounter{}
	}

	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	failures := 0
	for round := 0; ; round++ {
		err := runRound(ctx, col, report)
		if ctx.Err() != nil {
			return nil
		}
		if round == 0 {
			if errors.Is(err, ErrNoNVML) {
				return err
			}
			if col.XIDs != nil {
				wg.Add(1)
				go func() {
					defer wg.Done()
					watchLoop(ctx, cfg, col.XIDs)
				}()
			}
		}
		wait := cfg.Interval
		if err != nil {
			failures++
			wait = backoff(failures, cfg.MaxBackoff)
			log.Warn("agent round failed", "err", err, "failures", failures, "retry_in", wait)
		} else {
			failures = 0
		}
		if !cfg.sleep(ctx, wait) {
			return nil
		}
	}
}

// runRound collects and reports once.
func runRound(ctx context.Context, col *Collector, report func(context.Context, *model.Observation) error) error {
	obs, err := col.Collect()
	if err != nil {
		return err
	}
	return report(ctx, obs)
}

// watchLoop keeps an XID watcher running until ctx is done, restarting it
// an interval after it fails; it gives up when no GPU reports XIDs.
func watchLoop(ctx context.Context, cfg Config, xids *XIDCounter) {
	for {
		err := xids.Watch(ctx, cfg.Lib)
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, ErrNoXIDEvents) {
			cfg.Logger.Warn("agent: not watching XID events", "err", err)
			return
		}
		cfg.Logger.Warn("agent: XID watcher stopped", "err", err, "restart_in", cfg.Interval)
		if !cfg.sleep(ctx, cfg.Interval) {
			return
		}
	}
}

// backoff is the wait after the n-th failure in a row: 1s, 2s, 4s, ...,
// at most max.
func backoff(n int, max time.Duration) time.Duration {
	d := firstBackoff
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
