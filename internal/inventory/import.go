package inventory

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/railyard/railyard/ent"
	"github.com/railyard/railyard/ent/allocation"
	"github.com/railyard/railyard/ent/node"
	"github.com/railyard/railyard/internal/model"
)

// ImportMode says what an imported file is authoritative for.
type ImportMode int

const (
	// ImportFleet is for a full fleet file (YAML): within the sites the
	// file names, the file is the whole truth. Records of those sites that
	// the file lacks are deleted.
	ImportFleet ImportMode = iota
	// ImportNodes is for a node spreadsheet (CSV): it is authoritative for
	// the nodes of the sites it names (their GPUs, NICs, ports and cables).
	// The sites, racks, fabrics and switches it implies are created when
	// missing but never changed or deleted.
	ImportNodes
)

// ImportOptions tune Import.
type ImportOptions struct {
	Mode ImportMode
	// Actor and Source are written to the history (who, and how: e.g.
	// "import:lab.yaml").
	Actor, Source string
	// DryRun computes the changes and writes nothing.
	DryRun bool
}

// ImportResult says what an import changed (or would change).
type ImportResult struct {
	Created, Updated, Deleted int
	Changes                   []model.Change
}

// Import applies fleet f to the inventory in one transaction: records that
// are new are created, changed ones updated, and (per opts.Mode) missing
// ones deleted, each change recorded in the history. Importing the same
// fleet twice changes nothing the second time. On any error nothing is
// written. f should have passed validation; a dangling reference is
// reported as ErrInvalid.
func (s *Store) Import(ctx context.Context, f *model.Fleet, opts ImportOptions) (*ImportResult, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	var res *ImportResult
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		old, m, err := loadAll(ctx, tx.Client())
		if err != nil {
			return err
		}
		p := newImportPlan(old, flatten(f), opts)
		if err := s.checkAllocated(ctx, tx, p); err != nil {
			return err
		}
		res = p.result(s.now())
		if opts.DryRun || len(res.Changes) == 0 {
			return nil
		}
		if err := p.apply(ctx, tx, m); err != nil {
			return err
		}
		seqs, err := writeChanges(ctx, tx, res.Changes)
		if err != nil {
			return err
		}
		for i := range res.Changes {
			res.Changes[i].Seq = seqs[i]
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !opts.DryRun && len(res.Changes) > 0 {
		s.notify()
	}
	return res, nil
}

// op is one planned change of one record.
type op struct {
	kind          string
	key           string
	subject, peer string
	verb          model.ChangeOp
	before, after any
}

// importPlan is the difference between the stored records and a file's.
type importPlan struct {
	old, neu *records
	opts     ImportOptions
	scope    map[string]bool // sites the file names
	ops      []op
}

func newImportPlan(old, neu *records, opts ImportOptions) *importPlan {
	p := &importPlan{old: old, neu: neu, opts: opts, scope: map[string]bool{}}
	for name := range neu.sites {
		p.scope[name] = true
	}
	full := opts.Mode == ImportFleet
	keepObserved(old, neu)
	if !full {
		keepUncarried(old, neu)
	}
	inScope := func(site string) bool { return p.scope[site] }
	// In nodes mode, a node's parts are replaced wholesale when the file
	// lists the node, and deleted with it when the node is gone.
	nodeOwned := func(node string) bool {
		if full {
			return inScope(old.siteOfDevice(node))
		}
		_, listed := neu.nodes[node]
		return listed || inScope(old.siteOfDevice(node))
	}
	structural := rules{create: true, update: full, delete: full}
	diff(p, model.KindSite, old.sites, neu.sites, structural, func(r recSite) string { return r.Name }, noSubject[recSite])
	diff(p, model.KindPod, old.pods, neu.pods, structural, func(r recPod) string { return r.Site }, noSubject[recPod])
	diff(p, model.KindLeafDomain, old.leafDomains, neu.leafDomains, structural, func(r recLeafDomain) string { return old.pods[r.Pod].Site }, noSubject[recLeafDomain])
	diff(p, model.KindRack, old.racks, neu.racks, structural, func(r recRack) string { return old.siteOfRack(r.Name) }, noSubject[recRack])
	diff(p, model.KindFabric, old.fabrics, neu.fabrics, structural, func(r recFabric) string { return r.Site }, noSubject[recFabric])
	diff(p, model.KindNVLinkDomain, old.nvlDomains, neu.nvlDomains, structural, func(r recNVLinkDomain) string {
		if r.Rack == "" {
			return "" // a domain without a rack belongs to no site: never pruned
		}
		return old.siteOfRack(r.Rack)
	}, noSubject[recNVLinkDomain])
	diff(p, model.KindSwitch, old.switches, neu.switches, structural, func(r recSwitch) string { return old.fabrics[r.Fabric].Site },
		func(r recSwitch) (string, string) { return r.Name, "" })
	diff(p, model.KindSwitchPort, old.switchPorts, neu.switchPorts, structural, func(r recSwitchPort) string { return old.siteOfDevice(r.Device) },
		func(r recSwitchPort) (string, string) { return r.Device, "" })
	nodes := rules{create: true, update: true, delete: true}
	diff(p, model.KindNode, old.nodes, neu.nodes, nodes, func(r recNode) string { return old.siteOfRack(r.Rack) },
		func(r recNode) (string, string) { return r.Hostname, "" })
	owned := func(node string) string {
		if nodeOwned(node) {
			return inScopeMarker
		}
		return ""
	}
	parts := rules{create: true, update: true, delete: true, scopeIsMarker: true}
	diff(p, model.KindGPU, old.gpus, neu.gpus, parts, func(r recGPU) string { return owned(r.Node) },
		func(r recGPU) (string, string) { return r.Node, "" })
	diff(p, model.KindNIC, old.nics, neu.nics, parts, func(r recNIC) string { return owned(r.Node) },
		func(r recNIC) (string, string) { return r.Node, "" })
	diff(p, model.KindNICPort, old.nicPorts, neu.nicPorts, parts, func(r recNICPort) string { return owned(r.Device) },
		func(r recNICPort) (string, string) { return r.Device, "" })
	diff(p, model.KindLink, old.links, neu.links, parts, func(r recLink) string {
		if full {
			if inScope(old.siteOfDevice(r.A.Device)) || inScope(old.siteOfDevice(r.B.Device)) {
				return inScopeMarker
			}
			return ""
		}
		// A spreadsheet speaks for the cables of its nodes.
		for _, d := range []string{r.A.Device, r.B.Device} {
			if _, isNode := old.nodes[d]; isNode && nodeOwned(d) {
				return inScopeMarker
			}
		}
		return ""
	}, func(r recLink) (string, string) { return r.A.Device, r.B.Device })
	diff(p, model.KindTenant, old.tenants, neu.tenants, rules{create: true, update: true}, func(recTenant) string { return "" }, noSubject[recTenant])
	return p
}

// keepUncarried copies into neu the facts that a spreadsheet cannot carry
// (GPU UUIDs, serials and PCI addresses, NIC models, provenance and
// last-seen times), so that importing a spreadsheet does not erase what a
// fleet file or discovery recorded.
func keepUncarried(old, neu *records) {
	for k, n := range neu.nodes {
		if o, ok := old.nodes[k]; ok {
			n.Provenance, n.LastSeen = o.Provenance, o.LastSeen
			neu.nodes[k] = n
		}
	}
	for k, g := range neu.gpus {
		if o, ok := old.gpus[k]; ok {
			g.UUID, g.Serial, g.PCIBusID, g.NUMANode, g.Health, g.NVLinkDomain = o.UUID, o.Serial, o.PCIBusID, o.NUMANode, o.Health, o.NVLinkDomain
			if g.MemoryMiB == 0 {
				g.MemoryMiB = o.MemoryMiB
			}
			neu.gpus[k] = g
		}
	}
	for k, c := range neu.nics {
		if o, ok := old.nics[k]; ok {
			c.Model, c.PCIBusID = o.Model, o.PCIBusID
			neu.nics[k] = c
		}
	}
	for k, l := range neu.links {
		if o, ok := old.links[k]; ok {
			l.Provenance, l.LastSeen = o.Provenance, o.LastSeen
			neu.links[k] = l
		}
	}
}

// keepObserved copies into neu what only discovery knows of a record (when
// it was last seen, whether it is stale), so that importing a file, which
// declares intent, does not reset what discovery observed.
func keepObserved(old, neu *records) {
	for k, n := range neu.nodes {
		if o, ok := old.nodes[k]; ok {
			n.LastSeen, n.Stale = o.LastSeen, o.Stale
			neu.nodes[k] = n
		}
	}
	for k, n := range neu.switches {
		if o, ok := old.switches[k]; ok {
			n.LastSeen, n.Stale = o.LastSeen, o.Stale
			neu.switches[k] = n
		}
	}
	for k, l := range neu.links {
		if o, ok := old.links[k]; ok {
			l.LastSeen, l.Stale = o.LastSeen, o.Stale
			neu.links[k] = l
		}
	}
}

// inScopeMarker is what a scope function returns for "in scope" when the
// rule compares markers rather than site names.
const inScopeMarker = "\x00in-scope"

// rules say which kinds of change an import may make to a kind of record.
type rules struct {
	create, update, delete bool
	// scopeIsMarker: the scope function returns inScopeMarker or "",
	// rather than a site name.
	scopeIsMarker bool
}

func noSubject[R any](R) (string, string) { return "", "" }

// diff adds the ops that turn old into neu for one kind of record.
func diff[R comparable](p *importPlan, kind string, old, neu map[string]R, r rules, site func(R) string, subject func(R) (string, string)) {
	for _, k := range sortedKeys(neu) {
		n := neu[k]
		o, exists := old[k]
		switch {
		case !exists && r.create:
			sub, peer := subject(n)
			p.ops = append(p.ops, op{kind: kind, key: k, subject: sub, peer: peer, verb: model.OpCreate, after: n})
		case exists && o != n && r.update:
			sub, peer := subject(n)
			p.ops = append(p.ops, op{kind: kind, key: k, subject: sub, peer: peer, verb: model.OpUpdate, before: o, after: n})
		}
	}
	if !r.delete {
		return
	}
	for _, k := range sortedKeys(old) {
		if _, keep := neu[k]; keep {
			continue
		}
		o := old[k]
		sc := site(o)
		if r.scopeIsMarker && sc != inScopeMarker || !r.scopeIsMarker && !p.scope[sc] {
			continue
		}
		sub, peer := subject(o)
		p.ops = append(p.ops, op{kind: kind, key: k, subject: sub, peer: peer, verb: model.OpDelete, before: o})
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// result renders the plan as history entries, all stamped now.
func (p *importPlan) result(now time.Time) *ImportResult {
	res := &ImportResult{Changes: make([]model.Change, 0, len(p.ops))}
	for _, o := range p.ops {
		c := model.Change{
			At: now.UTC(), Actor: p.opts.Actor, Source: p.opts.Source, Kind: o.kind, Key: o.key,
			Subject: o.subject, Peer: o.peer, Op: o.verb,
		}
		if o.before != nil {
			c.Before, _ = json.Marshal(o.before)
		}
		if o.after != nil {
			c.After, _ = json.Marshal(o.after)
		}
		switch o.verb {
		case model.OpCreate:
			res.Created++
		case model.OpUpdate:
			res.Updated++
		case model.OpDelete:
			res.Deleted++
		}
		res.Changes = append(res.Changes, c)
	}
	return res
}

// kindOrder is the order in which kinds are created: parents first.
// Deletes run in the reverse order, except that links go first, so that a
// re-cabled port is free before its new cable is created.
var kindOrder = []string{
	model.KindSite, model.KindPod, model.KindLeafDomain, model.KindRack, model.KindFabric,
	model.KindNVLinkDomain, model.KindSwitch, model.KindSwitchPort, model.KindNode, model.KindGPU,
	model.KindNIC, model.KindNICPort, model.KindLink, model.KindTenant,
}

// apply writes the plan's ops inside tx; m maps the stored keys to ids
// and learns the ids of created rows.
func (p *importPlan) apply(ctx context.Context, tx *ent.Tx, m ids) error {
	byKind := map[string]map[model.ChangeOp][]op{}
	for _, o := range p.ops {
		if byKind[o.kind] == nil {
			byKind[o.kind] = map[model.ChangeOp][]op{}
		}
		byKind[o.kind][o.verb] = append(byKind[o.kind][o.verb], o)
	}
	w := writer{tx: tx, m: m}
	if err := w.delete(ctx, model.KindLink, byKind[model.KindLink][model.OpDelete]); err != nil {
		return err
	}
	for _, k := range kindOrder {
		if err := w.create(ctx, k, byKind[k][model.OpCreate]); err != nil {
			return fmt.Errorf("create %s: %w", k, err)
		}
	}
	for _, k := range kindOrder {
		for _, o := range byKind[k][model.OpUpdate] {
			if err := w.update(ctx, o); err != nil {
				return fmt.Errorf("update %s %s: %w", k, o.key, err)
			}
		}
	}
	for i := len(kindOrder) - 1; i >= 0; i-- {
		k := kindOrder[i]
		if k == model.KindLink {
			continue
		}
		if err := w.delete(ctx, k, byKind[k][model.OpDelete]); err != nil {
			return err
		}
	}
	return nil
}

// writeChanges appends changes to the history and returns their sequence
// numbers.
func writeChanges(ctx context.Context, tx *ent.Tx, cs []model.Change) ([]int64, error) {
	seqs := make([]int64, 0, len(cs))
	const batch = 30000 / 10
	for start := 0; start < len(cs); start += batch {
		end := min(start+batch, len(cs))
		builders := make([]*ent.ChangeCreate, 0, end-start)
		for _, c := range cs[start:end] {
			builders = append(builders, tx.Change.Create().SetAt(c.At).SetActor(c.Actor).SetSource(c.Source).
				SetKind(c.Kind).SetKey(c.Key).SetSubject(c.Subject).SetPeer(c.Peer).SetOp(string(c.Op)).
				SetBefore(string(c.Before)).SetAfter(string(c.After)))
		}
		rows, err := tx.Change.CreateBulk(builders...).Save(ctx)
		if err != nil {
			return nil, fmt.Errorf("write history: %w", err)
		}
		for _, r := range rows {
			seqs = append(seqs, int64(r.ID))
		}
	}
	return seqs, nil
}

// checkAllocated refuses a plan that deletes a GPU (or a node with its
// GPUs) that a block holds: the block must be shrunk, swapped or released
// first.
func (s *Store) checkAllocated(ctx context.Context, tx *ent.Tx, p *importPlan) error {
	var gone []string
	for _, o := range p.ops {
		if o.verb == model.OpDelete && o.kind == model.KindGPU {
			gone = append(gone, o.key)
		}
	}
	if len(gone) == 0 {
		return nil
	}
	hosts := map[string]bool{}
	for _, k := range gone {
		host, _, _ := strings.Cut(k, "/")
		hosts[host] = true
	}
	held := map[string]string{}
	names := slices.Sorted(maps.Keys(hosts))
	for start := 0; start < len(names); start += 500 {
		as, err := tx.Allocation.Query().
			Where(allocation.HasNodeWith(node.HostnameIn(names[start:min(start+500, len(names))]...))).
			WithGpu().WithNode().WithBlock().All(ctx)
		if err != nil {
			return err
		}
		for _, a := range as {
			held[gpuKey(a.Edges.Node.Hostname, a.Edges.Gpu.Index)] = a.Edges.Block.Name
		}
	}
	for _, k := range gone {
		if b, ok := held[k]; ok {
			return fmt.Errorf("%w: the file removes GPU %s, which block %s holds; shrink, swap or release the block first", ErrInvalid, k, b)
		}
	}
	return nil
}
