package agent

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
)

// ErrNoXIDEvents says no GPU accepted a registration for XID events.
var ErrNoXIDEvents = errors.New("no GPU reports XID events")

// xidWaitMS is how long one EventSetWait blocks; it bounds how late
// WatchXIDs notices that its context is done.
const xidWaitMS = 1000

// WatchXIDs registers every GPU for XID critical-error events and calls fn
// with the GPU's NVML index and the XID number for each event, until ctx
// is done (then it returns nil). gpu is -1 when the event names a device
// NVML cannot place. GPUs that refuse the registration are not watched;
// when none accepts it, WatchXIDs returns ErrNoXIDEvents. It holds its own
// NVML initialisation (NVML counts them), so Collect may run beside it.
func WatchXIDs(ctx context.Context, lib nvml.Interface, fn func(gpu int, xid uint64)) error {
	return watchXIDs(ctx, lib, nil, fn)
}

// watchXIDs is WatchXIDs that also says which GPUs it registered.
func watchXIDs(ctx context.Context, lib nvml.Interface, registered func([]int), fn func(gpu int, xid uint64)) error {
	if ret := lib.Init(); ret != nvml.SUCCESS {
		return fmt.Errorf("%w: %w", ErrNoNVML, &NVMLError{Op: "Init", Ret: ret})
	}
	defer lib.Shutdown()
	set, ret := lib.EventSetCreate()
	if ret != nvml.SUCCESS {
		return &NVMLError{Op: "EventSetCreate", Ret: ret}
	}
	defer set.Free()
	count, ret := lib.DeviceGetCount()
	if ret != nvml.SUCCESS {
		return &NVMLError{Op: "DeviceGetCount", Ret: ret}
	}
	var devs []nvml.Device
	var idx []int
	for i := 0; i < count; i++ {
		dev, ret := lib.DeviceGetHandleByIndex(i)
		if ret != nvml.SUCCESS {
			continue
		}
		if dev.RegisterEvents(nvml.EventTypeXidCriticalError, set) != nvml.SUCCESS {
			continue
		}
		devs = append(devs, dev)
		idx = append(idx, i)
	}
	if len(idx) == 0 {
		return ErrNoXIDEvents
	}
	if registered != nil {
		registered(idx)
	}
	for ctx.Err() == nil {
		data, ret := set.Wait(xidWaitMS)
		switch ret {
		case nvml.SUCCESS:
		case nvml.ERROR_TIMEOUT:
			continue
		default:
			return &NVMLError{Op: "EventSetWait", Ret: ret}
		}
		if data.EventType&nvml.EventTypeXidCriticalError == 0 {
			continue
		}
		fn(deviceIndex(data.Device, devs, idx), data.EventData)
	}
	return nil
}

// deviceIndex places an event's device among the registered handles,
// asking NVML when the handle is not one of them.
func deviceIndex(d nvml.Device, devs []nvml.Device, idx []int) int {
	if d == nil {
		return -1
	}
	for k, h := range devs {
		if h == d {
			return idx[k]
		}
	}
	if i, ret := d.GetIndex(); ret == nvml.SUCCESS {
		return i
	}
	return -1
}

// XIDCounter keeps per-GPU counts of XID events for a Collector to
// report. Counts run from when the counter first watched a GPU and
// survive watcher restarts; a GPU counts as watched only while a watcher
// has it registered, so events missed between watchers cannot be
// mistaken for none. The zero value is ready to use.
type XIDCounter struct {
	mu      sync.Mutex
	watched map[int]bool
	counts  map[int]int64
	codes   map[int]map[uint64]int64
}

// Add counts one XID event on GPU gpu; negative indexes are ignored.
func (c *XIDCounter) Add(gpu int, xid uint64) {
	if gpu < 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts == nil {
		c.counts = map[int]int64{}
		c.codes = map[int]map[uint64]int64{}
	}
	c.counts[gpu]++
	if c.codes[gpu] == nil {
		c.codes[gpu] = map[uint64]int64{}
	}
	c.codes[gpu][xid]++
}

// Count returns the number of XID events seen on GPU gpu, and whether a
// watcher is watching it now.
func (c *XIDCounter) Count(gpu int) (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[gpu], c.watched[gpu]
}

// Codes returns how often each XID number was seen on GPU gpu.
func (c *XIDCounter) Codes(gpu int) map[uint64]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[uint64]int64, len(c.codes[gpu]))
	for k, v := range c.codes[gpu] {
		out[k] = v
	}
	return out
}

func (c *XIDCounter) setWatched(idx []int, on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.watched == nil {
		c.watched = map[int]bool{}
	}
	for _, i := range idx {
		if on {
			c.watched[i] = true
		} else {
			delete(c.watched, i)
		}
	}
}

// Watch runs WatchXIDs into the counter until ctx is done or the watcher
// fails; the GPUs it registered count as watched meanwhile.
func (c *XIDCounter) Watch(ctx context.Context, lib nvml.Interface) error {
	var reg []int
	defer func() { c.setWatched(reg, false) }()
	return watchXIDs(ctx, lib, func(idx []int) {
		reg = idx
		c.setWatched(idx, true)
	}, c.Add)
}
