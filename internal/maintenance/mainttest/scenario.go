package mainttest

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/railyard/railyard/internal/carve"
	"github.com/railyard/railyard/internal/model"
)

// StandbyTenant holds the idle nodes that Options.Standby sets aside: a
// customer's capacity, reserved but not yet carved.
const StandbyTenant = "standby"

// Options say what allocated state Build makes.
type Options struct {
	// Seed makes the build deterministic: the same snapshot, options and
	// seed give the same blocks.
	Seed uint64
	// Allocated is the share of the fleet's nodes (retired ones excluded)
	// to put in tenants' blocks, from 0 to 1. Build stops short when no
	// more blocks fit.
	Allocated float64
	// Spares is the share of the fleet's nodes left free as spares, spread
	// evenly over the leaf domains.
	Spares float64
	// Standby holds every idle node that is not a spare in reservations
	// for StandbyTenant, which has no blocks.
	Standby bool
	// Tenants is the number of tenants (default 6).
	Tenants int
	// SubNode is the share of blocks smaller than one node (default 0:
	// whole nodes only).
	SubNode float64
	// NVLinkSingles lets one-node blocks require one NVLink domain, as
	// sub-node blocks always do. The carving engine's Swap then looks for
	// a spare only inside the node's own NVLink domain (none, on H100),
	// although a single node is inside one NVLink domain wherever it is;
	// off, one-node blocks require a leaf domain.
	NVLinkSingles bool
	// At is the instant reservations are evaluated at (zero: all active).
	At time.Time
}

// Scenario is an allocated fleet.
type Scenario struct {
	// Snapshot is the fleet with its blocks and reservations; its Nodes
	// are a copy the caller may change.
	Snapshot *model.CarveSnapshot
	// Tenants are the tenants that hold blocks.
	Tenants []string
	// Blocks counts the blocks carved; Allocated the nodes holding at
	// least one block's GPU; Nodes the fleet's nodes, retired excluded.
	Blocks, Allocated, Nodes int
	// Spares are the nodes left free on purpose; Standby the nodes
	// reserved for StandbyTenant.
	Spares, Standby []string
}

// Snapshot reduces a fleet to the carving engine's view, with no blocks.
func Snapshot(f *model.Fleet) *model.CarveSnapshot {
	return &model.CarveSnapshot{Nodes: carve.NodesOf(f)}
}

var tenantNames = []string{"acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "tyrell", "cyberdyne", "soylent", "wonka", "aperture"}

// Build carves blocks on a copy of base (which may already hold blocks and
// reservations) as o says.
func Build(base *model.CarveSnapshot, o Options) (*Scenario, error) {
	if o.Allocated < 0 || o.Allocated > 1 || o.Spares < 0 || o.Spares > 1 || o.SubNode < 0 || o.SubNode > 1 {
		return nil, errors.New("mainttest: shares must be between 0 and 1")
	}
	if o.Tenants <= 0 {
		o.Tenants = 6
	}
	r := rand.New(rand.NewPCG(o.Seed, 0x6d61696e74))
	snap := &model.CarveSnapshot{
		Nodes:        slices.Clone(base.Nodes),
		Blocks:       slices.Clone(base.Blocks),
		Quotas:       slices.Clone(base.Quotas),
		Reservations: slices.Clone(base.Reservations),
	}
	st, err := carve.NewState(snap, carve.Policy{SubNode: o.SubNode > 0}, o.At)
	if err != nil {
		return nil, err
	}
	topo := st.Topology()
	sc := &Scenario{Snapshot: snap}
	for _, c := range snap.Nodes {
		if c.State != model.NodeRetired {
			sc.Nodes++
		}
	}
	gpuModel, perNode := majority(snap.Nodes)
	reserved := reservedNodes(snap.Reservations, snap.Nodes, o.At)
	// free reports whether node i is usable and wholly free.
	free := func(i int) bool {
		ok, _ := st.Usable(i)
		return ok && st.FreeGPUs(i) == topo.GPUs(i) && !reserved[topo.NodeName(i)]
	}
	used := make([]bool, topo.Nodes())
	for i := range used {
		used[i] = len(st.Owners(i)) > 0
		if used[i] {
			sc.Allocated++
		}
	}

	// Spares: a share of the fleet, spread over the leaf domains in
	// proportion to their free nodes, evenly inside each.
	leaves := topo.Domains(carve.LevelLeaf)
	freeIn := make([][]int, leaves)
	nfree := 0
	for d := range leaves {
		first, end := topo.DomainNodes(carve.LevelLeaf, d)
		for i := first; i < end; i++ {
			if free(i) {
				freeIn[d] = append(freeIn[d], i)
				nfree++
			}
		}
	}
	spare := make([]bool, topo.Nodes())
	if want := min(nfree, int(math.Round(o.Spares*float64(sc.Nodes)))); want > 0 {
		quota := apportion(want, freeIn)
		for d, q := range quota {
			n := len(freeIn[d])
			for j := range q {
				i := freeIn[d][(2*j+1)*n/(2*q)]
				spare[i] = true
				st.MarkNode(i, "kept as a spare")
				sc.Spares = append(sc.Spares, topo.NodeName(i))
			}
		}
	}

	// Blocks until the target share is allocated or nothing more fits.
	target := int(math.Round(o.Allocated * float64(sc.Nodes)))
	tenants := tenantNames[:min(o.Tenants, len(tenantNames))]
	if o.Tenants > len(tenantNames) {
		for i := len(tenantNames); i < o.Tenants; i++ {
			tenants = append(tenants, fmt.Sprintf("tenant%02d", i+1))
		}
	}
	nvlinkMulti := false
	for d := range topo.Domains(carve.LevelNVLink) {
		if first, end := topo.DomainNodes(carve.LevelNVLink, d); end-first > 1 {
			nvlinkMulti = true
			break
		}
	}
	seen := map[string]bool{}
	for sc.Allocated < target && gpuModel != "" {
		// A few tenants hold most of the blocks, as in real clouds.
		tenant := tenants[min(len(tenants)-1, int(float64(len(tenants))*r.Float64()*r.Float64()))]
		req := carve.Request{Tenant: tenant, GPUModel: gpuModel}
		if o.SubNode > 0 && perNode > 1 && r.Float64() < o.SubNode {
			req.GPUs = 1 + r.IntN(perNode-1)
		} else {
			k := min(blockSize(r), target-sc.Allocated)
			req.GPUs = k * perNode
			req.Required = carve.LevelLeaf
			switch x := r.Float64(); {
			case nvlinkMulti && x < 0.2 && (k > 1 || o.NVLinkSingles):
				req.Required = carve.LevelNVLink
			case x < 0.85:
			case x < 0.95:
				req.Required = carve.LevelPod
			default:
				req.Required = carve.LevelSite
			}
		}
		p, err := place(st, req, perNode)
		if err != nil {
			return nil, err
		}
		if p == nil {
			break // full
		}
		if err := st.Apply(p); err != nil {
			return nil, err
		}
		sc.Blocks++
		if !seen[tenant] {
			seen[tenant] = true
			sc.Tenants = append(sc.Tenants, tenant)
		}
		for _, m := range p.Added {
			i, _ := topo.NodeIndex(m.Node)
			if !used[i] {
				used[i] = true
				sc.Allocated++
			}
		}
	}
	slices.Sort(sc.Tenants)
	for _, name := range st.Blocks() {
		b, _ := st.Block(name)
		if !slices.ContainsFunc(base.Blocks, func(x model.Block) bool { return x.Name == name }) {
			snap.Blocks = append(snap.Blocks, b)
		}
	}

	if o.Standby {
		for d := range leaves {
			var nodes []string
			first, end := topo.DomainNodes(carve.LevelLeaf, d)
			for i := first; i < end; i++ {
				if !spare[i] && free(i) {
					nodes = append(nodes, topo.NodeName(i))
				}
			}
			if len(nodes) > 0 {
				snap.Reservations = append(snap.Reservations, model.Reservation{
					Name: fmt.Sprintf("standby-%03d", d), Tenant: StandbyTenant, Nodes: nodes,
					Note: "capacity held for a customer that has not carved it yet",
				})
				sc.Standby = append(sc.Standby, nodes...)
			}
		}
	}
	return sc, nil
}

// place tries a request, then with looser levels and fewer nodes; nil when
// not even one node fits.
func place(st *carve.State, req carve.Request, perNode int) (*carve.Plan, error) {
	for {
		p, err := st.Place(req)
		if err == nil {
			return p, nil
		}
		var refusal *carve.Refusal
		if !errors.As(err, &refusal) {
			return nil, err
		}
		switch {
		case req.GPUs < perNode:
			return nil, nil
		case req.Required != carve.LevelSite:
			req.Required = carve.LevelSite
		case req.GPUs > perNode:
			req.GPUs = max(1, req.GPUs/perNode/2) * perNode
		default:
			return nil, nil
		}
	}
}

// blockSize draws a block size in nodes: many small blocks, some of 8 and
// 16, a few odd sizes.
func blockSize(r *rand.Rand) int {
	switch x := r.IntN(100); {
	case x < 25:
		return 1
	case x < 40:
		return 2
	case x < 55:
		return 4
	case x < 70:
		return 8
	case x < 80:
		return 16
	default:
		return 3 + r.IntN(13)
	}
}

// apportion splits want spares over the leaf domains in proportion to
// their free nodes (largest remainder), never more than a domain has.
func apportion(want int, freeIn [][]int) []int {
	total := 0
	for _, f := range freeIn {
		total += len(f)
	}
	out := make([]int, len(freeIn))
	if total == 0 {
		return out
	}
	type rem struct {
		d    int
		frac float64
	}
	var rems []rem
	given := 0
	for d, f := range freeIn {
		share := float64(want) * float64(len(f)) / float64(total)
		out[d] = int(share)
		given += out[d]
		rems = append(rems, rem{d, share - float64(out[d])})
	}
	slices.SortStableFunc(rems, func(a, b rem) int { return cmp.Compare(b.frac, a.frac) })
	for _, x := range rems {
		if given == want {
			break
		}
		if out[x.d] < len(freeIn[x.d]) {
			out[x.d]++
			given++
		}
	}
	return out
}

// majority returns the most common GPU model and its most common GPU count.
func majority(nodes []model.NodeCapacity) (string, int) {
	models := map[string]int{}
	for _, c := range nodes {
		if c.GPUModel != "" {
			models[c.GPUModel]++
		}
	}
	best := ""
	for m, n := range models {
		if best == "" || n > models[best] || n == models[best] && m < best {
			best = m
		}
	}
	counts := map[int]int{}
	for _, c := range nodes {
		if c.GPUModel == best {
			counts[c.GPUs]++
		}
	}
	per := 0
	for g, n := range counts {
		if n > counts[per] || n == counts[per] && g > per {
			per = g
		}
	}
	return best, per
}

// reservedNodes returns the nodes held by reservations active at t.
func reservedNodes(rs []model.Reservation, nodes []model.NodeCapacity, t time.Time) map[string]bool {
	out := map[string]bool{}
	for _, r := range rs {
		if !r.Until.IsZero() && !t.Before(r.Until) {
			continue
		}
		for _, n := range r.Nodes {
			out[n] = true
		}
		if r.Domain != "" {
			for i := range nodes {
				if inDomain(&nodes[i], r.Level, r.Domain) {
					out[nodes[i].Node] = true
				}
			}
		}
	}
	return out
}

// inDomain reports whether node c is in the reservation domain named at a
// level, as reservations name domains (bare names).
func inDomain(c *model.NodeCapacity, level, name string) bool {
	l, err := carve.ParseLevel(level)
	if err != nil {
		return false
	}
	switch l {
	case carve.LevelNode:
		return c.Node == name
	case carve.LevelNVLink:
		return nvlinkOf(c) == name
	case carve.LevelLeaf:
		return c.LeafDomain == name
	case carve.LevelPod:
		return c.Pod == name
	case carve.LevelSite:
		return c.Site == name
	}
	return false
}

func nvlinkOf(c *model.NodeCapacity) string {
	if c.NVLinkDomain == "" {
		return c.Node
	}
	return c.NVLinkDomain
}
