package agent

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/dgxa100"
	"github.com/google/go-cmp/cmp"
)

// eventFeed is a mock NVML event set fed from a channel.
type eventFeed struct {
	mock.EventSet
	events chan nvml.EventData
	mu     sync.Mutex
	freed  bool
}

// withEvents gives srv an event set fed by the returned feed; GPUs in
// refuse answer RegisterEvents with NOT_SUPPORTED.
func withEvents(srv *dgxa100.Server, refuse ...int) *eventFeed {
	feed := &eventFeed{events: make(chan nvml.EventData)}
	feed.WaitFunc = func(uint32) (nvml.EventData, nvml.Return) {
		select {
		case e := <-feed.events:
			return e, nvml.SUCCESS
		case <-time.After(5 * time.Millisecond):
			return nvml.EventData{}, nvml.ERROR_TIMEOUT
		}
	}
	feed.FreeFunc = func() nvml.Return {
		feed.mu.Lock()
		feed.freed = true
		feed.mu.Unlock()
		return nvml.SUCCESS
	}
	srv.EventSetCreateFunc = func() (nvml.EventSet, nvml.Return) { return feed, nvml.SUCCESS }
	no := map[int]bool{}
	for _, i := range refuse {
		no[i] = true
	}
	for i, d := range srv.Devices {
		d.(*dgxa100.Device).RegisterEventsFunc = func(types uint64, set nvml.EventSet) nvml.Return {
			if no[i] {
				return nvml.ERROR_NOT_SUPPORTED
			}
			if types != nvml.EventTypeXidCriticalError || set != feed {
				return nvml.ERROR_INVALID_ARGUMENT
			}
			return nvml.SUCCESS
		}
	}
	return feed
}

func xidEvent(srv *dgxa100.Server, gpu int, xid uint64) nvml.EventData {
	return nvml.EventData{Device: srv.Devices[gpu], EventType: nvml.EventTypeXidCriticalError, EventData: xid}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestWatchXIDs(t *testing.T) {
	srv := newDGX(nil)
	feed := withEvents(srv)
	inits, shutdowns := 0, 0
	var mu sync.Mutex
	srv.InitFunc = func() nvml.Return { mu.Lock(); inits++; mu.Unlock(); return nvml.SUCCESS }
	srv.ShutdownFunc = func() nvml.Return { mu.Lock(); shutdowns++; mu.Unlock(); return nvml.SUCCESS }

	type xid struct {
		gpu int
		xid uint64
	}
	var got []xid
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		done <- WatchXIDs(ctx, srv, func(gpu int, x uint64) {
			mu.Lock()
			got = append(got, xid{gpu, x})
			mu.Unlock()
		})
	}()
	feed.events <- xidEvent(srv, 3, 79)
	feed.events <- nvml.EventData{Device: srv.Devices[3], EventType: 1 /* single-bit ECC */, EventData: 0}
	feed.events <- xidEvent(srv, 6, 48)
	feed.events <- nvml.EventData{Device: nil, EventType: nvml.EventTypeXidCriticalError, EventData: 13}
	other := dgxa100.NewDevice(5) // not a registered handle: placed by GetIndex
	feed.events <- nvml.EventData{Device: other, EventType: nvml.EventTypeXidCriticalError, EventData: 94}
	waitFor(t, "four XIDs", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == 4 })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("WatchXIDs after cancel = %v", err)
	}
	want := []xid{{3, 79}, {6, 48}, {-1, 13}, {5, 94}}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(xid{})); diff != "" {
		t.Errorf("XIDs (-want +got):\n%s", diff)
	}
	if inits != 1 || shutdowns != 1 || !feed.freed {
		t.Errorf("Init %d, Shutdown %d, event set freed %v; want 1, 1, true", inits, shutdowns, feed.freed)
	}
}

func TestWatchXIDsFailures(t *testing.T) {
	ctx := context.Background()
	srv := newDGX(nil)
	srv.InitFunc = func() nvml.Return { return nvml.ERROR_DRIVER_NOT_LOADED }
	if err := WatchXIDs(ctx, srv, func(int, uint64) {}); !errors.Is(err, ErrNoNVML) {
		t.Errorf("Init failing: %v, want ErrNoNVML", err)
	}

	srv = newDGX(nil)
	withEvents(srv, 0, 1, 2, 3, 4, 5, 6, 7)
	if err := WatchXIDs(ctx, srv, func(int, uint64) {}); !errors.Is(err, ErrNoXIDEvents) {
		t.Errorf("no GPU registering: %v, want ErrNoXIDEvents", err)
	}

	srv = newDGX(nil)
	feed := withEvents(srv)
	feed.WaitFunc = func(uint32) (nvml.EventData, nvml.Return) { return nvml.EventData{}, nvml.ERROR_UNKNOWN }
	var ne *NVMLError
	if err := WatchXIDs(ctx, srv, func(int, uint64) {}); !errors.As(err, &ne) || ne.Op != "EventSetWait" {
		t.Errorf("Wait failing: %v, want an EventSetWait NVMLError", err)
	}
}

// TestCollectReportsXIDs watches XIDs into a counter and checks that
// Collect reports the counts of the GPUs being watched, and stops
// reporting them once the watcher ends.
func TestCollectReportsXIDs(t *testing.T) {
	srv := newDGX(nil)
	feed := withEvents(srv, 7) // GPU 7 takes no registrations
	sys := dgxTree(t, treeOpts{})
	var xids XIDCounter
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- xids.Watch(ctx, srv) }()
	for _, e := range []struct {
		gpu int
		xid uint64
	}{{2, 79}, {2, 48}, {5, 13}} {
		feed.events <- xidEvent(srv, e.gpu, e.xid)
	}
	waitFor(t, "three XIDs counted", func() bool {
		a, _ := xids.Count(2)
		b, _ := xids.Count(5)
		return a+b == 3
	})

	got, err := collectDGX(t, srv, sys, &xids)
	if err != nil {
		t.Fatal(err)
	}
	want := wantDGX()
	n := &want.Nodes[0]
	for i := range n.GPUs[:7] {
		n.GPUs[i].XIDs = i64(0)
	}
	n.GPUs[2].XIDs, n.GPUs[5].XIDs = i64(2), i64(1)
	n.Missing = []string{"gpus/7/xids"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("observation (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[uint64]int64{79: 1, 48: 1}, xids.Codes(2)); diff != "" {
		t.Errorf("GPU 2 XID codes (-want +got):\n%s", diff)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got, err = collectDGX(t, srv, sys, &xids)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantDGX(), got); diff != "" {
		t.Errorf("after the watcher stopped (-want +got):\n%s", diff)
	}
	if c, watched := xids.Count(2); c != 2 || watched {
		t.Errorf("GPU 2 count %d, watched %v after stop; want 2, false", c, watched)
	}
}
