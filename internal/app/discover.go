package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/railyard/railyard/internal/discovery"
	"github.com/railyard/railyard/internal/inventory"
)

// DiscoveryConfig runs discovery from the server on an interval.
type DiscoveryConfig struct {
	// Interval between runs; 0 disables the loop.
	Interval time.Duration
	// TargetsFile is a targets file (discovery.ParseTargets) read at each
	// run; targets the inventory knows (BMC and management addresses) are
	// always added.
	TargetsFile string
	// Credential is the reference used for targets that name none.
	Credential string
	// StaleAfter marks records not seen for this long as stale.
	StaleAfter time.Duration
	// Runner bounds concurrency, timeouts and retries.
	Runner discovery.Runner
}

// discoveryLoop runs discovery every cfg.Interval until ctx ends. With
// several replicas on one PostgreSQL database, one leads each round.
func discoveryLoop(ctx context.Context, store *inventory.Store, cfg DiscoveryConfig, log *slog.Logger) {
	if cfg.Interval <= 0 {
		return
	}
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		led, err := store.IfLeader(ctx, "discovery", func() error { return discoverOnce(ctx, store, cfg, log) })
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("discovery run failed", "err", err)
		case !led:
			log.Debug("discovery run skipped: another replica leads")
		}
		t.Reset(cfg.Interval)
	}
}

// discoverOnce runs one discovery round and merges what it saw.
func discoverOnce(ctx context.Context, store *inventory.Store, cfg DiscoveryConfig, log *slog.Logger) error {
	targets, err := serverTargets(ctx, store, cfg)
	if err != nil {
		return err
	}
	start := time.Now()
	results := cfg.Runner.Run(ctx, targets)
	sum := discovery.Summarize(results)
	res, err := store.Observe(ctx, discovery.Observations(results), inventory.ObserveOptions{Actor: "railyard", StaleAfter: cfg.StaleAfter})
	if err != nil {
		return err
	}
	log.Info("discovery run", "targets", sum.Targets, "found", sum.Found, "changed", len(res.Changes),
		"unreachable", sum.Unreachable, "failed", sum.Failed, "took", time.Since(start).Round(time.Millisecond))
	for _, f := range sum.Failures {
		log.Warn("discovery target failed", "target", f.Target, "kind", f.Kind, "reason", f.Reason)
	}
	return nil
}

// serverTargets merges the targets file with the addresses the inventory
// knows; the file wins where both name one address.
func serverTargets(ctx context.Context, store *inventory.Store, cfg DiscoveryConfig) ([]discovery.Target, error) {
	var given []discovery.Target
	if cfg.TargetsFile != "" {
		f, err := os.Open(cfg.TargetsFile)
		if err != nil {
			return nil, err
		}
		ts, err := discovery.ParseTargets(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", cfg.TargetsFile, err)
		}
		for _, t := range ts {
			if t.Credential == "" {
				t.Credential = cfg.Credential
			}
			given = append(given, t)
		}
	}
	known, err := store.DiscoveryTargets(ctx)
	if err != nil {
		return nil, err
	}
	var stored []discovery.Target
	for _, k := range known {
		t, err := discovery.ParseTarget(k.URL)
		if err != nil {
			continue // an address that is not a URL is not ours to probe
		}
		if _, _, ok := discovery.Lookup(t.Scheme); !ok {
			continue
		}
		t.Credential, t.Hints.Hostname = k.Credential, k.Hostname
		stored = append(stored, t)
	}
	return discovery.MergeTargets(given, stored, cfg.Credential), nil
}
