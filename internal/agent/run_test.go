package agent

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/google/go-cmp/cmp"

	"github.com/railyard/railyard/internal/model"
)

// fakeClock records Run's waits and ends the run after a number of them.
type fakeClock struct {
	mu     sync.Mutex
	waits  []time.Duration
	cancel context.CancelFunc
	stopAt int
}

func (c *fakeClock) sleep(ctx context.Context, d time.Duration) bool {
	c.mu.Lock()
	c.waits = append(c.waits, d)
	stop := len(c.waits) >= c.stopAt
	c.mu.Unlock()
	if stop {
		c.cancel()
		return false
	}
	return ctx.Err() == nil
}

func testConfig(t *testing.T, lib nvml.Interface, log *bytes.Buffer) Config {
	return Config{
		Interval: time.Minute,
		Lib:      lib,
		Sys:      dgxTree(t, treeOpts{}),
		Hostname: func() (string, error) { return "dgx-a100-01", nil },
		Logger:   slog.New(slog.NewTextHandler(log, nil)),
	}
}

func TestRunReportsEveryInterval(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	clock := &fakeClock{cancel: cancel, stopAt: 3}
	var log bytes.Buffer
	cfg := testConfig(t, newDGX(nil), &log)
	cfg.sleep = clock.sleep
	var got []*model.Observation
	err := Run(ctx, cfg, func(_ context.Context, o *model.Observation) error {
		got = append(got, o)
		return nil
	})
	if err != nil {
		t.Fatalf("Run = %v", err)
	}
	if len(got) != 3 {
		t.Fatalf("%d reports, want 3", len(got))
	}
	for _, o := range got {
		o.At = testNow
		if diff := cmp.Diff(wantDGX(), o); diff != "" {
			t.Errorf("report (-want +got):\n%s", diff)
		}
	}
	if diff := cmp.Diff([]time.Duration{time.Minute, time.Minute, time.Minute}, clock.waits); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
	if log.Len() != 0 {
		t.Errorf("log: %s", log.String())
	}
}

func TestRunBacksOff(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	clock := &fakeClock{cancel: cancel, stopAt: 8}
	var log bytes.Buffer
	srv := newDGX(nil)
	cfg := testConfig(t, srv, &log)
	cfg.Interval, cfg.MaxBackoff = 10*time.Second, 5*time.Second
	cfg.sleep = clock.sleep
	// Rounds 1-3 fail to report, round 4 succeeds, round 5 finds the
	// driver unloaded (an upgrade), round 6 the report context expired,
	// rounds 7 and 8 succeed.
	round := -1 // one Init per round
	srv.InitFunc = func() nvml.Return {
		round++
		if round == 4 {
			return nvml.ERROR_DRIVER_NOT_LOADED
		}
		return nvml.SUCCESS
	}
	reports := 0
	err := Run(ctx, cfg, func(context.Context, *model.Observation) error {
		reports++
		switch round {
		case 0, 1, 2:
			return errors.New("inventory unreachable")
		case 5:
			return context.DeadlineExceeded
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Run = %v", err)
	}
	want := []time.Duration{1 * time.Second, 2 * time.Second, 4 * time.Second, 10 * time.Second,
		1 * time.Second, 2 * time.Second, 10 * time.Second, 10 * time.Second}
	if diff := cmp.Diff(want, clock.waits); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
	if reports != 7 {
		t.Errorf("%d reports, want 7 (one round had no NVML)", reports)
	}
	for _, s := range []string{"inventory unreachable", "failures=3", "NVML is not available on this host", "deadline exceeded"} {
		if !strings.Contains(log.String(), s) {
			t.Errorf("log lacks %q:\n%s", s, log.String())
		}
	}
}

func TestRunNoNVML(t *testing.T) {
	srv := newDGX(nil)
	srv.InitFunc = func() nvml.Return { return nvml.ERROR_LIBRARY_NOT_FOUND }
	var log bytes.Buffer
	cfg := testConfig(t, srv, &log)
	cfg.WatchXIDs = true
	cfg.sleep = func(context.Context, time.Duration) bool { t.Error("Run waited"); return false }
	err := Run(context.Background(), cfg, func(context.Context, *model.Observation) error {
		t.Error("reported without NVML")
		return nil
	})
	if !errors.Is(err, ErrNoNVML) {
		t.Fatalf("Run = %v, want ErrNoNVML", err)
	}
	if err.Error() != "NVML is not available on this host: nvml Init: ERROR_LIBRARY_NOT_FOUND" {
		t.Errorf("error %q", err)
	}
}

func TestRunStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var log bytes.Buffer
	cfg := testConfig(t, newDGX(nil), &log)
	cfg.Interval = time.Hour // real sleep: only cancellation ends it
	done := make(chan error)
	reported := make(chan struct{}, 1)
	go func() {
		done <- Run(ctx, cfg, func(context.Context, *model.Observation) error {
			reported <- struct{}{}
			return nil
		})
	}()
	<-reported
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop")
	}
}

func TestRunWatchesXIDs(t *testing.T) {
	srv := newDGX(nil)
	feed := withEvents(srv)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var log bytes.Buffer
	cfg := testConfig(t, srv, &log)
	cfg.WatchXIDs = true
	// Between rounds, wait until the watcher has counted one XID on GPU 1.
	next := make(chan struct{})
	cfg.sleep = func(ctx context.Context, d time.Duration) bool {
		select {
		case <-next:
			return true
		case <-ctx.Done():
			return false
		}
	}
	reports := make(chan *model.Observation)
	done := make(chan error)
	go func() {
		done <- Run(ctx, cfg, func(_ context.Context, o *model.Observation) error {
			reports <- o
			return nil
		})
	}()
	first := <-reports
	if x := first.Nodes[0].GPUs[1].XIDs; x != nil {
		t.Errorf("first report has XIDs %d before any watcher ran", *x)
	}
	// Once Wait takes the event the watcher is registered; the count
	// shows in a later round.
	feed.events <- xidEvent(srv, 1, 31)
	var second *model.Observation
	for try := 0; try < 1000; try++ {
		next <- struct{}{}
		second = <-reports
		if x := second.Nodes[0].GPUs[1].XIDs; x != nil && *x == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if x := second.Nodes[0].GPUs[1].XIDs; x == nil || *x != 1 {
		t.Fatalf("GPU 1 XIDs = %v, want 1", x)
	}
	if x := second.Nodes[0].GPUs[0].XIDs; x == nil || *x != 0 {
		t.Errorf("GPU 0 XIDs = %v, want 0", x)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
}

func TestBackoff(t *testing.T) {
	var got []time.Duration
	for n := 1; n <= 8; n++ {
		got = append(got, backoff(n, 30*time.Second))
	}
	want := []time.Duration{1e9, 2e9, 4e9, 8e9, 16e9, 30e9, 30e9, 30e9}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("backoff (-want +got):\n%s", diff)
	}
	if d := backoff(1000, time.Hour); d != time.Hour {
		t.Errorf("backoff(1000) = %v", d)
	}
}
