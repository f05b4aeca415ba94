package app

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/railyard/railyard/drivers"
	_ "github.com/railyard/railyard/drivers/all"
	"github.com/railyard/railyard/drivers/simfleet"
	"github.com/railyard/railyard/drivers/sshcli"
	"github.com/railyard/railyard/internal/discovery"
	"github.com/railyard/railyard/internal/fabric"
	"github.com/railyard/railyard/internal/inventory"
	"github.com/railyard/railyard/internal/reconcile"
)

// NetworkConfig configures the tenant-network reconciler.
type NetworkConfig struct {
	// Interval is how often the reconciler runs a round when nothing
	// changes (it also runs on every inventory change); 0 disables it.
	Interval time.Duration
	// DriftEvery is how often every device is read back and compared
	// (drift detection); 0 disables drift checks.
	DriftEvery time.Duration
	// ReportOnly reports drift and changes nothing.
	ReportOnly bool
	// Credential is the reference (env:NAME, file:PATH) of the devices'
	// login; Endpoints a file of "device address [credential-ref]" lines
	// for devices whose address is not their management address (subnet
	// managers: UFM URLs, OpenSM hosts).
	Credential string
	Endpoints  string
	// Parallel bounds concurrent device syncs per fabric.
	Parallel int
	// Simulate puts an in-process fake device (package simfleet) behind
	// every managed device: for demos and trials, never for a real fabric.
	Simulate bool
	// Transport reaches devices; the zero value uses SSH (scrapligo) for
	// command-line devices and net/http for REST ones.
	Transport drivers.Transport
}

type endpoint struct{ address, credential string }

func readEndpoints(path string) (map[string]endpoint, error) {
	out := map[string]endpoint{}
	if path == "" {
		return out, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Fields(line)
		if len(fs) < 2 || len(fs) > 3 {
			return nil, fmt.Errorf("%s:%d: want \"device address [credential-ref]\"", path, n)
		}
		e := endpoint{address: fs[1]}
		if len(fs) == 3 {
			if err := discovery.CheckCredentialRef(fs[2]); err != nil {
				return nil, fmt.Errorf("%s:%d: %v", path, n, err)
			}
			e.credential = fs[2]
		}
		out[fs[0]] = e
	}
	return out, sc.Err()
}

// targets resolves devices to addresses: the endpoints file first, then
// the switch's management address in the inventory.
func targets(store *inventory.Store, cfg NetworkConfig) (reconcile.Targets, error) {
	eps, err := readEndpoints(cfg.Endpoints)
	if err != nil {
		return nil, err
	}
	if cfg.Credential != "" {
		if err := discovery.CheckCredentialRef(cfg.Credential); err != nil {
			return nil, err
		}
	}
	return func(ctx context.Context, d fabric.DeviceConfig) (drivers.Target, error) {
		t := drivers.Target{Device: d.Device}
		ref := cfg.Credential
		if e, ok := eps[d.Device]; ok {
			t.Address = e.address
			if e.credential != "" {
				ref = e.credential
			}
		} else if sw, err := store.GetSwitch(ctx, d.Device, 0); err == nil && sw.Switch.MgmtAddress != "" {
			t.Address = sw.Switch.MgmtAddress
		} else {
			return t, fmt.Errorf("device %s: no address (set the switch's management address or list it in the endpoints file)", d.Device)
		}
		c, err := discovery.ResolveCredentials(ref)
		if err != nil {
			return t, fmt.Errorf("device %s: %w", d.Device, err)
		}
		t.Username, t.Password = c.Username, c.Password
		return t, nil
	}, nil
}

// newNetwork builds the reconciler the API and the loop share.
func newNetwork(store *inventory.Store, cfg NetworkConfig) (*reconcile.Network, error) {
	tg, err := targets(store, cfg)
	if err != nil {
		return nil, err
	}
	tr := cfg.Transport
	if cfg.Simulate {
		sim := simfleet.New(simfleet.Default())
		tg, tr = sim.Target, sim.Transport()
	}
	if tr.HTTP == nil {
		tr.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	if tr.CLI == nil {
		tr.CLI = defaultCLI
	}
	return reconcile.New(store, reconcile.Options{Transport: tr, Targets: tg, Parallel: cfg.Parallel, ReportOnly: cfg.ReportOnly}), nil
}

func networkLoop(ctx context.Context, n *reconcile.Network, cfg NetworkConfig, log *slog.Logger) {
	if cfg.Interval <= 0 {
		return
	}
	n.Run(ctx, reconcile.Actor{Actor: "railyard", Source: "network-loop"}, cfg.Interval, cfg.DriftEvery, func(format string, args ...any) {
		log.Info(fmt.Sprintf(format, args...))
	})
}

// defaultCLI reaches command-line devices over SSH (scrapligo), in the
// dialect of the device's driver.
func defaultCLI(ctx context.Context, t drivers.Target) (drivers.CLI, error) {
	return sshcli.Dial(ctx, t, sshcli.WithPlatform(t.Driver))
}
