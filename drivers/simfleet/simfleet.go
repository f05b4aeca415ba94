// Package simfleet stands a simulated device behind every device of a
// plan: each vendor's stateful fake (eosfake, nxosfake, junosfake,
// sonicfake, cumulusfake, ufmfake, opensmfake; FRR has no in-process fake
// and is simulated by none), created on first use with the device's
// ports, all reachable through one Transport. The benchmark and `railyard
// serve --network-simulate` use it; so do end-to-end tests.
package simfleet

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/railyard/railyard/drivers"
	"github.com/railyard/railyard/internal/fabric"
)

// Device is a simulated device.
type Device interface {
	Transport() drivers.Transport
	Running() string
}

// Factory makes a fake device for a device whose base (underlay and
// ports) is given.
type Factory func(base fabric.DeviceConfig) Device

// Fleet is a set of simulated devices, made on demand.
type Fleet struct {
	factories map[string]Factory
	mu        sync.Mutex
	devices   map[string]Device
}

// New returns an empty fleet that makes devices with the factories
// (driver name → factory); see Default.
func New(factories map[string]Factory) *Fleet {
	return &Fleet{factories: factories, devices: map[string]Device{}}
}

// Device returns the simulated device, making it from cfg (its tenant
// objects stripped: a fresh device holds only its underlay) if needed.
func (f *Fleet) Device(cfg fabric.DeviceConfig) (Device, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if d, ok := f.devices[cfg.Device]; ok {
		return d, nil
	}
	mk, ok := f.factories[cfg.Driver]
	if !ok {
		return nil, fmt.Errorf("device %s: no simulator for driver %q", cfg.Device, cfg.Driver)
	}
	base := cfg.Clone()
	base.VRFs, base.Segments, base.Partitions = nil, nil, nil
	for i := range base.Ports {
		base.Ports[i].Tenant, base.Ports[i].VLAN, base.Ports[i].Shutdown = "", 0, false
	}
	d := mk(base)
	f.devices[cfg.Device] = d
	return d, nil
}

// Lookup returns a device made earlier.
func (f *Fleet) Lookup(name string) (Device, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.devices[name]
	return d, ok
}

// Names lists the devices made so far.
func (f *Fleet) Names() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for n := range f.devices {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

const (
	simDomain   = ".sim.invalid"
	simUser     = "railyard"
	simPassword = "simulated"
)

// Target returns how to reach the simulated device for cfg (making it).
func (f *Fleet) Target(_ context.Context, cfg fabric.DeviceConfig) (drivers.Target, error) {
	if _, err := f.Device(cfg); err != nil {
		return drivers.Target{}, err
	}
	addr := "http://" + cfg.Device + simDomain
	if cfg.Driver == "opensm" {
		addr = "" // the driver's default partitions.conf path
	}
	return drivers.Target{Device: cfg.Device, Address: addr, Username: simUser, Password: simPassword}, nil
}

// Transport reaches every device of the fleet: command sessions by
// target device, HTTP requests by host name.
func (f *Fleet) Transport() drivers.Transport {
	return drivers.Transport{
		CLI: func(ctx context.Context, t drivers.Target) (drivers.CLI, error) {
			d, ok := f.Lookup(t.Device)
			if !ok {
				return nil, fmt.Errorf("no simulated device %s", t.Device)
			}
			tr := d.Transport()
			if tr.CLI == nil {
				return nil, fmt.Errorf("simulated device %s has no command line", t.Device)
			}
			return tr.CLI(ctx, t)
		},
		HTTP: &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
			name := strings.TrimSuffix(r.URL.Hostname(), simDomain)
			d, ok := f.Lookup(name)
			if !ok {
				return nil, fmt.Errorf("no simulated device %s", name)
			}
			tr := d.Transport()
			if tr.HTTP == nil {
				return nil, fmt.Errorf("simulated device %s has no HTTP API", name)
			}
			rt := tr.HTTP.Transport
			if rt == nil {
				rt = http.DefaultTransport
			}
			return rt.RoundTrip(r)
		})},
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
