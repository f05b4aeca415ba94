package executor_test

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/railyard/railyard/internal/carve"
	"github.com/railyard/railyard/internal/carver"
	"github.com/railyard/railyard/internal/discovery"
	"github.com/railyard/railyard/internal/inventory"
	"github.com/railyard/railyard/internal/maintenance"
	"github.com/railyard/railyard/internal/maintenance/executor"
	"github.com/railyard/railyard/internal/model"
	samples "github.com/railyard/railyard/inventory-samples"
)

var who = inventory.WriteOptions{Actor: "test", Source: "test"}

// clock is a settable clock shared by the executor and the manager.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	t     *testing.T
	ctx   context.Context
	store *inventory.Store
	cv    *carver.Service
	clock *clock
	mgr   *executor.Manager
}

// setup loads lab-1su (32 nodes in one leaf domain) into a fresh store;
// edit, when set, changes the fleet before the import.
func setup(t *testing.T, edit func(*model.Fleet)) *env {
	t.Helper()
	ctx := context.Background()
	store, err := inventory.Open(ctx, filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	fleet, err := samples.Load("lab-1su")
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(fleet)
	}
	if _, err := store.Import(ctx, fleet, inventory.ImportOptions{Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)}
	return &env{t: t, ctx: ctx, store: store, cv: carver.New(store, carve.Policy{}), clock: c, mgr: &executor.Manager{Store: store, Now: c.Now}}
}

func (e *env) carve(tenant string, gpus int) model.Block {
	e.t.Helper()
	p, err := e.cv.Carve(e.ctx, carver.Caller{Actor: "test"}, carve.Request{Tenant: tenant, GPUs: gpus}, false)
	if err != nil {
		e.t.Fatal(err)
	}
	return *p.After
}

func (e *env) executor(owner string, bmc executor.BMC) *executor.Executor {
	return executor.New(e.store, executor.Options{
		Owner: owner, BMC: bmc, Now: e.clock.Now, LeaseTTL: 30 * time.Second,
		Poll: time.Second, Backoff: time.Second, Logf: e.t.Logf,
	})
}

// offline counts the nodes held by maintenance now.
func (e *env) offline() int {
	e.t.Helper()
	m, err := e.store.MaintenanceOffline(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return len(m)
}

// gpusOf sums the GPUs of a tenant's blocks.
func (e *env) gpusOf(tenant string) int {
	e.t.Helper()
	bs, err := e.store.Blocks(e.ctx, tenant)
	if err != nil {
		e.t.Fatal(err)
	}
	n := 0
	for _, b := range bs {
		for _, m := range b.Members {
			n += len(m.GPUs)
		}
	}
	return n
}

// drive ticks the executor, advancing the clock by step each time, until
// the campaign leaves running or rounds run out; check runs after every
// tick.
func (e *env) drive(x *executor.Executor, name string, step time.Duration, rounds int, check func()) maintenance.Campaign {
	e.t.Helper()
	var c maintenance.Campaign
	for range rounds {
		if err := x.Tick(e.ctx); err != nil {
			e.t.Logf("tick: %v", err)
		}
		x.Wait()
		if check != nil {
			check()
		}
		var err error
		if c, _, err = e.store.Campaign(e.ctx, name); err != nil {
			e.t.Fatal(err)
		}
		if c.State != maintenance.StateRunning {
			return c
		}
		e.clock.Add(step)
	}
	return c
}

// fakeBMC is a stateful BMC: power per address, firmware tasks that
// finish after a number of polls, and failures on demand.
type fakeBMC struct {
	mu       sync.Mutex
	power    map[string]string
	cycles   map[string]int
	failFor  map[string]bool
	tasks    map[string]int
	versions map[string]string
}

func newFakeBMC() *fakeBMC {
	return &fakeBMC{power: map[string]string{}, cycles: map[string]int{}, failFor: map[string]bool{}, tasks: map[string]int{}, versions: map[string]string{}}
}

func (f *fakeBMC) PowerState(_ context.Context, b model.BMC) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failFor[b.Address] {
		return "", fmt.Errorf("%s: no answer", b.Address)
	}
	if p, ok := f.power[b.Address]; ok {
		return p, nil
	}
	return "on", nil
}

func (f *fakeBMC) PowerCycle(_ context.Context, b model.BMC) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failFor[b.Address] {
		return fmt.Errorf("%s: no answer", b.Address)
	}
	f.cycles[b.Address]++
	f.power[b.Address] = "on"
	return nil
}

func (f *fakeBMC) FirmwareInstall(_ context.Context, b model.BMC, _ string, image io.Reader, _ int64) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, _ := io.ReadAll(image)
	id := fmt.Sprintf("%s#%d", b.Address, len(f.tasks))
	f.tasks[id] = 2
	f.versions[id] = strings.TrimSpace(string(v))
	return id, nil
}

func (f *fakeBMC) FirmwareTask(_ context.Context, _ model.BMC, task string) (discovery.FirmwareTaskStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	left, ok := f.tasks[task]
	if !ok {
		return discovery.FirmwareTaskStatus{}, fmt.Errorf("no task %s", task)
	}
	if left > 0 {
		f.tasks[task] = left - 1
		return discovery.FirmwareTaskStatus{State: "running", Percent: 50}, nil
	}
	return discovery.FirmwareTaskStatus{State: "done", Percent: 100}, nil
}

func (f *fakeBMC) FirmwareVersion(context.Context, model.BMC, string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return "", fmt.Errorf("the fake BMC keeps no firmware inventory")
}

// TestCampaignKeepsBudgetsAndTenantCapacity runs a power-cycle campaign
// over the whole of lab-1su with half of it allocated: at most 4 nodes
// out at once, idle nodes first, allocated ones swapped for maintained
// spares so the tenant never holds fewer GPUs, every cordon lifted at the
// end and the history telling each node's story.
func TestCampaignKeepsBudgetsAndTenantCapacity(t *testing.T) {
	e := setup(t, nil)
	e.carve("acme", 128) // 16 of the 32 nodes
	before := e.gpusOf("acme")
	spec := maintenance.Spec{Action: maintenance.Action{Kind: maintenance.ActionPowerCycle}, Budget: maintenance.Budget{Fleet: maintenance.Count(4)}}
	if _, err := e.mgr.Create(e.ctx, who, "cycle-all", spec); err != nil {
		t.Fatal(err)
	}
	bmc := newFakeBMC()
	x := e.executor("a", bmc)
	firstAllocatedWave, lastIdleWave := 0, 0
	c := e.drive(x, "cycle-all", time.Minute, 200, func() {
		if got := e.gpusOf("acme"); got != before {
			t.Fatalf("acme holds %d GPUs during the campaign, want %d", got, before)
		}
	})
	if c.State != maintenance.StateDone {
		t.Fatalf("campaign is %s (%s), want done", c.State, c.Reason)
	}
	maxOff := e.maxOffline()
	if maxOff > 4 {
		t.Errorf("%d nodes were offline at once; the budget is 4", maxOff)
	}
	if maxOff < 4 {
		t.Errorf("at most %d nodes were offline at once; the budget of 4 was never used", maxOff)
	}
	_, nodes, err := e.store.Campaign(e.ctx, "cycle-all")
	if err != nil {
		t.Fatal(err)
	}
	swaps := 0
	for _, n := range nodes {
		if n.Phase != maintenance.PhaseDone {
			t.Errorf("node %s is %s (%s)", n.Node, n.Phase, n.Reason)
		}
		switch n.Mode {
		case maintenance.ModeIdle:
			lastIdleWave = max(lastIdleWave, n.Wave)
		case maintenance.ModeSwap:
			swaps++
			if firstAllocatedWave == 0 || n.Wave < firstAllocatedWave {
				firstAllocatedWave = n.Wave
			}
		case maintenance.ModeDrain:
			t.Errorf("node %s was drained from its tenant though spares existed", n.Node)
		}
	}
	if swaps != 16 {
		t.Errorf("%d nodes were swapped out of acme's block, want 16", swaps)
	}
	if firstAllocatedWave <= lastIdleWave-1 {
		t.Errorf("allocated nodes went in wave %d, before the idle ones finished (last idle wave %d)", firstAllocatedWave, lastIdleWave)
	}
	if got := len(bmc.cycles); got != 32 {
		t.Errorf("%d nodes were power-cycled, want 32", got)
	}
	snap, _, err := e.store.CarveSnapshot(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range snap.Nodes {
		if n.Cordoned {
			t.Errorf("node %s is still cordoned: %s", n.Node, n.CordonReason)
		}
	}
	hist := e.history(model.KindCampaignNode)
	phases := map[string][]string{}
	for _, h := range hist {
		if h.Subject == "" {
			continue
		}
		var st maintenance.NodeStatus
		if err := jsonUnmarshal(h.After, &st); err != nil {
			t.Fatal(err)
		}
		if p := phases[st.Node]; len(p) == 0 || p[len(p)-1] != string(st.Phase) {
			phases[st.Node] = append(p, string(st.Phase))
		}
	}
	want := []string{"cordoned", "swapping", "acting", "verifying", "done"}
	if got := phases[nodes[0].Node]; len(got) == 0 {
		t.Errorf("no history for %s", nodes[0].Node)
	}
	for n, got := range phases {
		if !slices.Equal(got, want) && !slices.Equal(got, slices.Delete(slices.Clone(want), 1, 2)) {
			t.Errorf("history of %s: %v", n, got)
		}
	}
}

// history reads every change of a kind.
func (e *env) history(kind string) []model.Change {
	e.t.Helper()
	var out []model.Change
	var after int64
	for {
		cs, err := e.store.Changes(e.ctx, inventory.ChangeFilter{Kinds: []string{kind}, After: after, Limit: 1000})
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, cs...)
		if len(cs) < 1000 {
			return out
		}
		after = cs[len(cs)-1].Seq
	}
}

// maxOffline replays the campaign history in order and returns the most
// nodes that were ever out for maintenance at once: the budget check
// that does not depend on when a test happened to look.
func (e *env) maxOffline() int {
	e.t.Helper()
	off := map[string]bool{}
	most := 0
	for _, h := range e.history(model.KindCampaignNode) {
		if h.Subject == "" || h.After == nil {
			continue
		}
		var st maintenance.NodeStatus
		if err := jsonUnmarshal(h.After, &st); err != nil {
			e.t.Fatal(err)
		}
		off[h.Key] = st.Phase.Offline()
		n := 0
		for _, o := range off {
			if o {
				n++
			}
		}
		most = max(most, n)
	}
	return most
}
