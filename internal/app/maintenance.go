package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/railyard/railyard/internal/discovery"
	"github.com/railyard/railyard/internal/inventory"
	"github.com/railyard/railyard/internal/maintenance/executor"
	"github.com/railyard/railyard/internal/model"
	"github.com/railyard/railyard/internal/reconcile"
)

// MaintenanceConfig configures the maintenance executor, which runs the
// stored campaigns.
type MaintenanceConfig struct {
	// Interval is how often the executor ticks (starts scheduled runs,
	// admits nodes, starts the steps that are due); 0 disables it: the
	// API still plans and stores campaigns, but nothing runs them here.
	Interval time.Duration
	// LeaseTTL is how long a node's lease outlives its holder: a server
	// that dies holds its nodes no longer than this.
	LeaseTTL time.Duration
	// Parallel bounds the nodes worked at once.
	Parallel int
	// SimulateBMC puts an in-process BMC behind every node (power and
	// firmware tasks, stateful): for demos and trials, never for a real
	// fleet.
	SimulateBMC bool
	// BMC, when set, reaches BMCs instead of the discovery sources (tests).
	BMC executor.BMC
}

// maintenanceLoop runs the executor every cfg.Interval until ctx ends,
// then waits for the steps in flight. With several replicas on one
// PostgreSQL database, one leads each tick; leases keep a node's steps on
// one process even when leadership moves.
func maintenanceLoop(ctx context.Context, store *inventory.Store, cfg MaintenanceConfig, net *reconcile.Network, netCfg NetworkConfig, log *slog.Logger) {
	if cfg.Interval <= 0 {
		return
	}
	opts := executor.Options{
		LeaseTTL: cfg.LeaseTTL,
		Parallel: cfg.Parallel,
		// Waiting steps (a BMC task, a booting node, the network) look
		// again within a tick, at most every 5s.
		Poll:   min(cfg.Interval, 5*time.Second),
		Actor:  "railyard",
		Source: "maintenance",
		BMC:    cfg.BMC,
		Logf:   func(format string, args ...any) { log.Info(fmt.Sprintf(format, args...)) },
	}
	if cfg.SimulateBMC && opts.BMC == nil {
		opts.BMC = newSimBMC()
	}
	if net != nil && netCfg.Interval > 0 {
		// A swapped-in spare returns the node to nobody until the tenant's
		// network follows the swap.
		opts.Network = net.Settled
	}
	x := executor.New(store, opts)
	t := time.NewTicker(cfg.Interval)
	defer t.Stop()
	for {
		led, err := store.IfLeader(ctx, "maintenance", func() error { return x.Tick(ctx) })
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("maintenance tick failed", "err", err)
		case !led:
			log.Debug("maintenance tick skipped: another replica leads")
		}
		select {
		case <-ctx.Done():
			x.Wait()
			return
		case <-t.C:
		}
	}
}

// simBMC is an in-process BMC behind every node address, for
// `serve --maint-simulate-bmc`: a power cycle turns the node off, and it
// reports itself on again at the next power query after that (it
// "boots"); a firmware install reads the whole image and starts a task
// that runs for two polls and then completes, after which the component
// reports the image's version (imageVersion; every component starts at
// simInitialVersion). One update runs per BMC at a time. State is kept per BMC address and lost when
// the server stops, as a real node's would not be: a restarted server
// finds every simulated node on.
type simBMC struct {
	mu    sync.Mutex
	nodes map[string]*simNode
	tasks map[string]*simTask
	seq   int
}

type simNode struct {
	power string // "on" or "off"
	// booting is set by a power cycle: the next power query finds the
	// node on again.
	booting  bool
	cycles   int
	firmware map[string]string // component → version
}

type simTask struct {
	address, component string
	polls              int
	size               int64
	state              string
	version            string // what the image installs
}

func newSimBMC() *simBMC {
	return &simBMC{nodes: map[string]*simNode{}, tasks: map[string]*simTask{}}
}

// node returns the simulated node behind b, created powered on.
func (s *simBMC) node(b model.BMC) (*simNode, error) {
	if b.Address == "" {
		return nil, fmt.Errorf("the node has no BMC address")
	}
	t, err := discovery.ParseTarget(b.Address)
	if err != nil {
		return nil, err
	}
	switch t.Scheme {
	case "redfish", "redfish+http", "ipmi":
	default:
		return nil, fmt.Errorf("no BMC source for %s", t.Scheme)
	}
	n := s.nodes[b.Address]
	if n == nil {
		n = &simNode{power: "on", firmware: map[string]string{}}
		s.nodes[b.Address] = n
	}
	return n, nil
}

// simComponent names a component case-insensitively; the BMC's own
// firmware when none is named.
func simComponent(c string) string {
	if c == "" {
		return "bmc"
	}
	return strings.ToLower(c)
}

// FirmwareVersion reports a component's version: the last image
// installed on it, else simInitialVersion.
func (s *simBMC) FirmwareVersion(_ context.Context, b model.BMC, component string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.node(b)
	if err != nil {
		return "", err
	}
	if v, ok := n.firmware[simComponent(component)]; ok {
		return v, nil
	}
	return simInitialVersion, nil
}

// PowerState reports the power; a node that was cycled comes back on at
// the first query after the cycle.
func (s *simBMC) PowerState(_ context.Context, b model.BMC) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.node(b)
	if err != nil {
		return "", err
	}
	p := n.power
	if n.booting {
		n.booting, n.power = false, "on"
	}
	return p, nil
}

// PowerCycle turns the node off; it boots by itself.
func (s *simBMC) PowerCycle(_ context.Context, b model.BMC) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.node(b)
	if err != nil {
		return err
	}
	n.power, n.booting = "off", true
	n.cycles++
	return nil
}

// simInitialVersion is what a simulated component reports before its
// first update.
const simInitialVersion = "1.0.0"

// imageVersion is the version a simulated image installs: its first line
// when that is short printable text ("2.1.0\n..."), else "sim-" and the
// start of the image's SHA-256.
func imageVersion(image []byte) string {
	line, _, _ := strings.Cut(string(image), "\n")
	line = strings.TrimSpace(line)
	if line != "" && len(line) <= 64 && strings.IndexFunc(line, func(r rune) bool { return r < ' ' || r > '~' }) < 0 {
		return line
	}
	sum := sha256.Sum256(image)
	return "sim-" + hex.EncodeToString(sum[:6])
}

// FirmwareInstall reads the image and starts a task.
func (s *simBMC) FirmwareInstall(_ context.Context, b model.BMC, component string, image io.Reader, size int64) (string, error) {
	data, err := io.ReadAll(image)
	if err != nil {
		return "", fmt.Errorf("upload: %w", err)
	}
	read := int64(len(data))
	if size >= 0 && read != size {
		return "", fmt.Errorf("upload: read %d bytes of an image of %d", read, size)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.node(b)
	if err != nil {
		return "", err
	}
	if n.power != "on" {
		return "", fmt.Errorf("the node is powered off")
	}
	for _, t := range s.tasks {
		if t.address == b.Address && t.state == "running" {
			return "", fmt.Errorf("an update is already running on this BMC")
		}
	}
	s.seq++
	id := fmt.Sprintf("JID_%06d", s.seq)
	s.tasks[id] = &simTask{address: b.Address, component: component, size: read, state: "running", version: imageVersion(data)}
	return id, nil
}

// FirmwareTask reports a task: 50% at the first poll, done at the
// second.
func (s *simBMC) FirmwareTask(_ context.Context, b model.BMC, task string) (discovery.FirmwareTaskStatus, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tasks[task]
	if t == nil || t.address != b.Address {
		return discovery.FirmwareTaskStatus{}, fmt.Errorf("task %s: not found on %s", task, b.Address)
	}
	if t.state == "running" {
		t.polls++
		if t.polls >= 2 {
			t.state = "done"
			if n := s.nodes[b.Address]; n != nil {
				n.firmware[simComponent(t.component)] = t.version
			}
		}
	}
	st := discovery.FirmwareTaskStatus{State: t.state, Percent: min(100, 50*t.polls)}
	if t.state == "done" {
		st.Percent, st.Message = 100, fmt.Sprintf("installed %d bytes on %s", t.size, t.component)
	}
	return st, nil
}
