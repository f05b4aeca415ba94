// Package fabrictest compiles tenant networks from carves on the sample
// fleets, for tests of drivers and real fabrics that want the
// compiler's numbers rather than hand-written ones.
package fabrictest

import (
	"fmt"
	"sort"
	"time"

	"github.com/railyard/railyard/internal/carve"
	"github.com/railyard/railyard/internal/fabric"
	"github.com/railyard/railyard/internal/model"
	samples "github.com/railyard/railyard/inventory-samples"
)

// Epoch is the fixed time compiles run at.
var Epoch = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// Carve places one block per tenant on fleet (tenant → GPUs, carved in
// tenant name order, each within one leaf domain when it fits) and
// returns the blocks.
func Carve(fleet *model.Fleet, tenants map[string]int) ([]model.Block, error) {
	st, err := carve.NewState(&model.CarveSnapshot{Nodes: carve.NodesOf(fleet)}, carve.Policy{}, Epoch)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(tenants))
	for t := range tenants {
		names = append(names, t)
	}
	sort.Strings(names)
	var blocks []model.Block
	for _, t := range names {
		p, err := st.Place(carve.Request{Block: t + "-1", Tenant: t, GPUs: tenants[t]})
		if err != nil {
			return nil, fmt.Errorf("carve %d GPUs for %s: %w", tenants[t], t, err)
		}
		if err := st.Apply(p); err != nil {
			return nil, err
		}
		blocks = append(blocks, *p.After)
	}
	return blocks, nil
}

// Compile loads a sample fleet, carves the tenants' blocks and compiles
// a compute and storage network for each tenant with the default
// settings. drivers, when not empty, replaces the driver of every
// managed switch of the named fabric role ("storage", "compute").
func Compile(sample string, tenants map[string]int, drivers map[model.FabricRole]string) (*fabric.Plan, []model.Block, *model.Fleet, error) {
	fleet, err := samples.Load(sample)
	if err != nil {
		return nil, nil, nil, err
	}
	roles := map[string]model.FabricRole{}
	for _, f := range fleet.Fabrics {
		roles[f.Name] = f.Role
	}
	for i := range fleet.Switches {
		if d, ok := drivers[roles[fleet.Switches[i].Fabric]]; ok {
			fleet.Switches[i].Driver = d
		}
	}
	blocks, err := Carve(fleet, tenants)
	if err != nil {
		return nil, nil, nil, err
	}
	var intents []fabric.Intent
	for t := range tenants {
		intents = append(intents, fabric.Intent{Tenant: t, Compute: true, Storage: true, State: fabric.Active})
	}
	plan, err := fabric.Compile(fabric.Snapshot{Fleet: fleet, Blocks: blocks}, intents, nil, fabric.Settings{}, Epoch)
	if err != nil {
		return nil, nil, nil, err
	}
	return plan, blocks, fleet, nil
}
