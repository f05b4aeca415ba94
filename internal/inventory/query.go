package inventory

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/railyard/railyard/ent"
	"github.com/railyard/railyard/ent/change"
	"github.com/railyard/railyard/ent/gpu"
	"github.com/railyard/railyard/ent/leafdomain"
	"github.com/railyard/railyard/ent/link"
	"github.com/railyard/railyard/ent/networkswitch"
	"github.com/railyard/railyard/ent/nic"
	"github.com/railyard/railyard/ent/node"
	"github.com/railyard/railyard/ent/pod"
	"github.com/railyard/railyard/ent/port"
	"github.com/railyard/railyard/ent/predicate"
	"github.com/railyard/railyard/ent/tenant"
	"github.com/railyard/railyard/internal/model"
)

// Filter narrows a list; empty fields match everything. A field that does
// not apply to a list is an ErrInvalid error, never silently ignored.
type Filter struct {
	Site, Pod, LeafDomain, Rack string
	State                       string // node lifecycle state
	GPUModel                    string
	Fabric                      string
	Node                        string // hostname
	Role                        string // switch role, or NIC role for NICs
}

// Page asks for one page of a list.
type Page struct {
	// Size is the page size; 0 means DefaultPageSize, and it is capped at
	// MaxPageSize.
	Size int
	// Token is the NextToken of the previous page; empty for the first.
	Token string
}

// Page sizes.
const (
	DefaultPageSize = 500
	MaxPageSize     = 5000
)

// Location is where a node or GPU sits in the site hierarchy.
type Location struct {
	Site, Pod, LeafDomain, Rack string
}

// NodeRow is a node as lists show it: no GPUs or NICs, but counts and
// location.
type NodeRow struct {
	model.Node
	Location
	GPUCount int
	GPUModel string
}

// GPURow is a GPU with its node and location.
type GPURow struct {
	model.GPU
	Node      string
	NodeState model.NodeState
	Location
}

// NICRow is a NIC with its node and the far end of each port's cable.
type NICRow struct {
	model.NIC
	Node string
	// Peers maps a port name to the endpoint its cable reaches.
	Peers map[string]model.Endpoint
}

// SwitchRow is a switch (without its ports) as lists show it.
type SwitchRow struct {
	model.Switch
	Site      string
	PortCount int
}

// SwitchPortRow is a switch port and the far end of its cable, if any.
type SwitchPortRow struct {
	model.SwitchPort
	Peer *model.Endpoint
}

// NodeDetail is everything about one node.
type NodeDetail struct {
	Node    NodeRow
	GPUs    []model.GPU
	NICs    []NICRow
	History []model.Change
}

// SwitchDetail is everything about one switch.
type SwitchDetail struct {
	Switch  SwitchRow
	Ports   []SwitchPortRow
	History []model.Change
}

// hierarchy is the small, slow-changing part of the inventory (sites down
// to racks, fabrics, NVLink domains), cached by history sequence so lists
// resolve locations without joins.
type hierarchy struct {
	seq        int64
	rackLoc    map[int]Location // rack id → location
	fabricName map[int]string
	fabricSite map[int]string
	fabricID   map[string]int
	nvlName    map[int]string
	podName    map[int]string
	ldName     map[int]string
}

type hierCache struct {
	mu sync.Mutex
	h  *hierarchy
}

// LatestSeq is the sequence number of the newest change (0 if none).
func (s *Store) LatestSeq(ctx context.Context) (int64, error) {
	c, err := s.client.Change.Query().Order(ent.Desc(change.FieldID)).First(ctx)
	if ent.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return int64(c.ID), nil
}

func (s *Store) hierarchy(ctx context.Context) (*hierarchy, error) {
	seq, err := s.LatestSeq(ctx)
	if err != nil {
		return nil, err
	}
	s.hier.mu.Lock()
	defer s.hier.mu.Unlock()
	if s.hier.h != nil && s.hier.h.seq == seq {
		return s.hier.h, nil
	}
	c := s.client
	h := &hierarchy{seq: seq, rackLoc: map[int]Location{}, fabricName: map[int]string{}, fabricSite: map[int]string{},
		fabricID: map[string]int{}, nvlName: map[int]string{}, podName: map[int]string{}, ldName: map[int]string{}}
	sites, err := c.Site.Query().All(ctx)
	if err != nil {
		return nil, err
	}
	siteName := map[int]string{}
	for _, x := range sites {
		siteName[x.ID] = x.Name
	}
	pods, err := c.Pod.Query().All(ctx)
	if err != nil {
		return nil, err
	}
	podSite := map[int]string{}
	for _, x := range pods {
		h.podName[x.ID], podSite[x.ID] = x.Name, siteName[x.SiteID]
	}
	lds, err := c.LeafDomain.Query().All(ctx)
	if err != nil {
		return nil, err
	}
	ldLoc := map[int]Location{}
	for _, x := range lds {
		h.ldName[x.ID] = x.Name
		ldLoc[x.ID] = Location{Site: podSite[x.PodID], Pod: h.podName[x.PodID], LeafDomain: x.Name}
	}
	racks, err := c.Rack.Query().All(ctx)
	if err != nil {
		return nil, err
	}
	for _, x := range racks {
		l := ldLoc[x.LeafDomainID]
		l.Rack = x.Name
		h.rackLoc[x.ID] = l
	}
	fabrics, err := c.Fabric.Query().All(ctx)
	if err != nil {
		return nil, err
	}
	for _, x := range fabrics {
		h.fabricName[x.ID], h.fabricSite[x.ID], h.fabricID[x.Name] = x.Name, siteName[x.SiteID], x.ID
	}
	nvls, err := c.NVLinkDomain.Query().All(ctx)
	if err != nil {
		return nil, err
	}
	for _, x := range nvls {
		h.nvlName[x.ID] = x.Name
	}
	s.hier.h = h
	return h, nil
}

// racksWhere returns the ids of racks matching the location fields of f,
// and whether f constrains location at all.
func (h *hierarchy) racksWhere(f Filter) ([]int, bool) {
	if f.Site == "" && f.Pod == "" && f.LeafDomain == "" && f.Rack == "" {
		return nil, false
	}
	ids := []int{}
	for id, l := range h.rackLoc {
		if (f.Site == "" || l.Site == f.Site) && (f.Pod == "" || l.Pod == f.Pod) &&
			(f.LeafDomain == "" || l.LeafDomain == f.LeafDomain) && (f.Rack == "" || l.Rack == f.Rack) {
			ids = append(ids, id)
		}
	}
	sort.Ints(ids)
	return ids, true
}

func unsupported(list string, f Filter, allowed ...string) error {
	set := map[string]string{"site": f.Site, "pod": f.Pod, "leaf_domain": f.LeafDomain, "rack": f.Rack, "state": f.State,
		"gpu_model": f.GPUModel, "fabric": f.Fabric, "node": f.Node, "role": f.Role}
	var bad []string
	for name, v := range set {
		if v == "" {
			continue
		}
		ok := false
		for _, a := range allowed {
			ok = ok || a == name
		}
		if !ok {
			bad = append(bad, name)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	return fmt.Errorf("%w: %s cannot be filtered by %s (can by %s)", ErrInvalid, list, strings.Join(bad, ", "), strings.Join(allowed, ", "))
}

// inSubquery is "column IN (SELECT subColumn FROM table WHERE preds)".
// ent's HasXWith edges compile to a correlated EXISTS, which SQLite runs
// as a scan of the outer table; this form uses the index on column.
func inSubquery[P ~func(*entsql.Selector)](column, table, subColumn string, preds ...P) func(*entsql.Selector) {
	return func(s *entsql.Selector) {
		t := entsql.Table(table)
		sub := entsql.Select(t.C(subColumn)).From(t)
		for _, p := range preds {
			p(sub)
		}
		s.Where(entsql.In(s.C(column), sub))
	}
}

// nodePredicates turns the node-level fields of f into predicates.
func (h *hierarchy) nodePredicates(f Filter) ([]predicate.Node, error) {
	var ps []predicate.Node
	if ids, ok := h.racksWhere(f); ok {
		ps = append(ps, node.RackIDIn(ids...))
	}
	if f.State != "" {
		if !model.NodeState(f.State).Valid() {
			return nil, fmt.Errorf("%w: unknown node state %q (want one of %v)", ErrInvalid, f.State, model.NodeStates)
		}
		ps = append(ps, node.State(f.State))
	}
	if f.Node != "" {
		ps = append(ps, node.Hostname(f.Node))
	}
	if f.GPUModel != "" {
		ps = append(ps, predicate.Node(inSubquery(node.FieldID, gpu.Table, gpu.FieldNodeID, gpu.Model(f.GPUModel))))
	}
	if f.Fabric != "" {
		ps = append(ps, predicate.Node(inSubquery(node.FieldID, nic.Table, nic.FieldNodeID, nic.FabricID(h.fabricID[f.Fabric]))))
	}
	return ps, nil
}

func pageArgs(p Page) (size, after int, err error) {
	size = p.Size
	if size <= 0 {
		size = DefaultPageSize
	}
	size = min(size, MaxPageSize)
	if p.Token == "" {
		return size, 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(p.Token)
	if err == nil {
		var rest string
		var ok bool
		if rest, ok = strings.CutPrefix(string(raw), "after:"); ok {
			after, err = strconv.Atoi(rest)
			if err == nil && after >= 0 {
				return size, after, nil
			}
		}
	}
	return 0, 0, fmt.Errorf("%w: bad page token %q: pass back the next_page_token of the previous page", ErrInvalid, p.Token)
}

// nextPage is the token of the page after rows (which came from a query
// limited to size), or "" when rows was the last page.
func nextPage[E any](rows []E, size int, id func(E) int) string {
	if len(rows) < size || len(rows) == 0 {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte("after:" + strconv.Itoa(id(rows[len(rows)-1]))))
}

// listArgs checks a list request: that f uses only the allowed fields,
// and the page. It returns the page size, the id to list after, and the
// hierarchy cache.
func (s *Store) listArgs(ctx context.Context, list string, f Filter, p Page, allowed ...string) (int, int, *hierarchy, error) {
	if err := unsupported(list, f, allowed...); err != nil {
		return 0, 0, nil, err
	}
	size, after, err := pageArgs(p)
	if err != nil {
		return 0, 0, nil, err
	}
	h, err := s.hierarchy(ctx)
	return size, after, h, err
}

// ListNodes returns a page of nodes matching f, in id order, and the token
// of the next page ("" at the end).
func (s *Store) ListNodes(ctx context.Context, f Filter, p Page) ([]NodeRow, string, error) {
	size, after, h, err := s.listArgs(ctx, "nodes", f, p, "site", "pod", "leaf_domain", "rack", "state", "gpu_model", "fabric", "node")
	if err != nil {
		return nil, "", err
	}
	ps, err := h.nodePredicates(f)
	if err != nil {
		return nil, "", err
	}
	ns, err := s.client.Node.Query().Where(append(ps, node.IDGT(after))...).Order(ent.Asc(node.FieldID)).Limit(size).All(ctx)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.nodeRows(ctx, h, ns)
	if err != nil {
		return nil, "", err
	}
	return rows, nextPage(ns, size, func(e *ent.Node) int { return e.ID }), nil
}

func (s *Store) nodeRows(ctx context.Context, h *hierarchy, ns []*ent.Node) ([]NodeRow, error) {
	ids := make([]int, len(ns))
	for i, n := range ns {
		ids[i] = n.ID
	}
	type gpuAgg struct {
		NodeID int    `json:"node_id"`
		Model  string `json:"model"`
		Count  int    `json:"count"`
	}
	var aggs []gpuAgg
	if len(ids) > 0 {
		if err := s.client.GPU.Query().Where(gpu.NodeIDIn(ids...)).GroupBy(gpu.FieldNodeID, gpu.FieldModel).
			Aggregate(ent.Count()).Scan(ctx, &aggs); err != nil {
			return nil, err
		}
	}
	count, models := map[int]int{}, map[int][]string{}
	for _, a := range aggs {
		count[a.NodeID] += a.Count
		models[a.NodeID] = append(models[a.NodeID], a.Model)
	}
	rows := make([]NodeRow, len(ns))
	for i, n := range ns {
		ms := models[n.ID]
		sort.Strings(ms)
		loc := h.rackLoc[n.RackID]
		nm := nodeModel(n)
		nm.Rack = loc.Rack
		rows[i] = NodeRow{Node: nm, Location: loc, GPUCount: count[n.ID], GPUModel: strings.Join(ms, ",")}
	}
	return rows, nil
}

func nodeModel(n *ent.Node) model.Node {
	return model.Node{
		Hostname: n.Hostname, Serial: n.Serial, Vendor: n.Vendor, Model: n.Model,
		BMC:   model.BMC{Address: n.BmcAddress, CredentialRef: n.BmcCredentialRef},
		State: model.NodeState(n.State), Provenance: model.Provenance(n.Provenance), LastSeen: stampPtr(n.LastSeen).Time(), Stale: n.Stale,
	}
}

// ListGPUs returns a page of GPUs matching f, in id order.
func (s *Store) ListGPUs(ctx context.Context, f Filter, p Page) ([]GPURow, string, error) {
	size, after, h, err := s.listArgs(ctx, "gpus", f, p, "site", "pod", "leaf_domain", "rack", "state", "gpu_model", "fabric", "node")
	if err != nil {
		return nil, "", err
	}
	gpuModelName := f.GPUModel
	f.GPUModel = "" // applies to the GPU itself, not to its node
	nps, err := h.nodePredicates(f)
	if err != nil {
		return nil, "", err
	}
	ps := []predicate.GPU{gpu.IDGT(after)}
	if len(nps) > 0 {
		ps = append(ps, predicate.GPU(inSubquery(gpu.FieldNodeID, node.Table, node.FieldID, nps...)))
	}
	if gpuModelName != "" {
		ps = append(ps, gpu.Model(gpuModelName))
	}
	gs, err := s.client.GPU.Query().Where(ps...).Order(ent.Asc(gpu.FieldID)).Limit(size).All(ctx)
	if err != nil {
		return nil, "", err
	}
	nodeIDs := map[int]bool{}
	for _, g := range gs {
		nodeIDs[g.NodeID] = true
	}
	nodes, err := s.nodesByID(ctx, nodeIDs)
	if err != nil {
		return nil, "", err
	}
	rows := make([]GPURow, len(gs))
	for i, g := range gs {
		n := nodes[g.NodeID]
		rows[i] = GPURow{GPU: gpuModel(h, g), Node: n.Hostname, NodeState: model.NodeState(n.State), Location: h.rackLoc[n.RackID]}
	}
	return rows, nextPage(gs, size, func(e *ent.GPU) int { return e.ID }), nil
}

func gpuModel(h *hierarchy, g *ent.GPU) model.GPU {
	out := model.GPU{Index: g.Index, UUID: g.UUID, Serial: g.Serial, Model: g.Model, MemoryMiB: g.MemoryMib,
		PCIBusID: g.PciBusID, NUMANode: g.NumaNode, Health: model.GPUHealth(g.Health)}
	if g.NvlinkDomainID != nil {
		out.NVLinkDomain = h.nvlName[*g.NvlinkDomainID]
	}
	return out
}

func (s *Store) nodesByID(ctx context.Context, set map[int]bool) (map[int]*ent.Node, error) {
	ids := make([]int, 0, len(set))
	for id := range set {
		ids = append(ids, id)
	}
	out := make(map[int]*ent.Node, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	ns, err := s.client.Node.Query().Where(node.IDIn(ids...)).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, n := range ns {
		out[n.ID] = n
	}
	return out, nil
}

// ListNICs returns a page of NICs matching f, in id order. Role filters by
// NIC role (compute, storage, management).
func (s *Store) ListNICs(ctx context.Context, f Filter, p Page) ([]NICRow, string, error) {
	size, after, h, err := s.listArgs(ctx, "nics", f, p, "site", "pod", "leaf_domain", "rack", "state", "fabric", "node", "role")
	if err != nil {
		return nil, "", err
	}
	fabric, role := f.Fabric, f.Role
	f.Fabric, f.Role = "", ""
	nps, err := h.nodePredicates(f)
	if err != nil {
		return nil, "", err
	}
	ps := []predicate.NIC{nic.IDGT(after)}
	if len(nps) > 0 {
		ps = append(ps, predicate.NIC(inSubquery(nic.FieldNodeID, node.Table, node.FieldID, nps...)))
	}
	if fabric != "" {
		ps = append(ps, nic.FabricID(h.fabricID[fabric]))
	}
	if role != "" {
		ps = append(ps, nic.Role(role))
	}
	cs, err := s.client.NIC.Query().Where(ps...).Order(ent.Asc(nic.FieldID)).Limit(size).All(ctx)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.nicRows(ctx, h, cs, nil)
	if err != nil {
		return nil, "", err
	}
	return rows, nextPage(cs, size, func(e *ent.NIC) int { return e.ID }), nil
}

// nicRows fills in ports and cable peers for NICs. nodes, if not nil,
// already holds the NICs' nodes by id.
func (s *Store) nicRows(ctx context.Context, h *hierarchy, cs []*ent.NIC, nodes map[int]*ent.Node) ([]NICRow, error) {
	if len(cs) == 0 {
		return nil, nil
	}
	nicIDs := make([]int, len(cs))
	nodeIDs := map[int]bool{}
	for i, c := range cs {
		nicIDs[i] = c.ID
		nodeIDs[c.NodeID] = true
	}
	if nodes == nil {
		var err error
		if nodes, err = s.nodesByID(ctx, nodeIDs); err != nil {
			return nil, err
		}
	}
	ports, peers, err := s.portsWithPeers(ctx, "nic_id", nicIDs)
	if err != nil {
		return nil, err
	}
	byNIC := map[int][]*ent.Port{}
	for _, p := range ports {
		byNIC[*p.NicID] = append(byNIC[*p.NicID], p)
	}
	rows := make([]NICRow, len(cs))
	for i, c := range cs {
		row := NICRow{Node: nodes[c.NodeID].Hostname, NIC: model.NIC{Name: c.Name, Model: c.Model, Kind: model.LinkKind(c.Kind),
			Role: model.FabricRole(c.Role), Rail: c.Rail, PCIBusID: c.PciBusID}}
		if c.FabricID != nil {
			row.Fabric = h.fabricName[*c.FabricID]
		}
		for _, p := range byNIC[c.ID] {
			row.Ports = append(row.Ports, model.NICPort{Name: p.Name, MAC: p.MAC, GUID: p.GUID, SpeedGbps: p.SpeedGbps})
			if e, ok := peers[p.ID]; ok {
				if row.Peers == nil {
					row.Peers = map[string]model.Endpoint{}
				}
				row.Peers[p.Name] = e
			}
		}
		rows[i] = row
	}
	return rows, nil
}

// portsWithPeers returns the ports whose column (nic_id or switch_id) is
// one of ids, in id order, and the far end of each one's cable, in one
// query: a port is a link's a or its b, and the far port is the other.
func (s *Store) portsWithPeers(ctx context.Context, column string, ids []int) ([]*ent.Port, map[int]model.Endpoint, error) {
	peers := map[int]model.Endpoint{}
	if len(ids) == 0 {
		return nil, peers, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	q := `SELECT p.id, p.nic_id, p.switch_id, p.device, p.name, p.mac, p.guid, p.speed_gbps,
		COALESCE(fa.device, fb.device, ''), COALESCE(fa.name, fb.name, '')
		FROM ports p
		LEFT JOIN links la ON la.a_id = p.id LEFT JOIN ports fa ON fa.id = la.b_id
		LEFT JOIN links lb ON lb.b_id = p.id LEFT JOIN ports fb ON fb.id = lb.a_id
		WHERE p.` + column + ` IN (` + strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",") + `)
		ORDER BY p.id`
	rows, err := s.db.QueryContext(ctx, s.rebind(q), args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var ports []*ent.Port
	for rows.Next() {
		var p ent.Port
		var peerDev, peerPort string
		if err := rows.Scan(&p.ID, &p.NicID, &p.SwitchID, &p.Device, &p.Name, &p.MAC, &p.GUID, &p.SpeedGbps, &peerDev, &peerPort); err != nil {
			return nil, nil, err
		}
		if peerDev != "" {
			peers[p.ID] = model.Endpoint{Device: peerDev, Port: peerPort}
		}
		ports = append(ports, &p)
	}
	return ports, peers, rows.Err()
}

// rebind rewrites ? placeholders as $1, $2, ... for PostgreSQL.
func (s *Store) rebind(q string) string {
	if s.dialect != dialect.Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// ListSwitches returns a page of switches matching f, in id order.
func (s *Store) ListSwitches(ctx context.Context, f Filter, p Page) ([]SwitchRow, string, error) {
	size, after, h, err := s.listArgs(ctx, "switches", f, p, "site", "pod", "leaf_domain", "rack", "fabric", "role")
	if err != nil {
		return nil, "", err
	}
	ps := []predicate.NetworkSwitch{networkswitch.IDGT(after)}
	if f.Site != "" {
		var fids []int
		for id, site := range h.fabricSite {
			if site == f.Site {
				fids = append(fids, id)
			}
		}
		ps = append(ps, networkswitch.FabricIDIn(fids...))
	}
	if f.Fabric != "" {
		ps = append(ps, networkswitch.FabricID(h.fabricID[f.Fabric]))
	}
	if f.Role != "" {
		ps = append(ps, networkswitch.Role(f.Role))
	}
	if f.Rack != "" {
		ids, _ := h.racksWhere(Filter{Rack: f.Rack})
		ps = append(ps, networkswitch.RackIDIn(ids...))
	}
	if f.LeafDomain != "" {
		ps = append(ps, networkswitch.HasLeafDomainWith(leafdomain.Name(f.LeafDomain)))
	}
	if f.Pod != "" {
		ps = append(ps, networkswitch.HasPodWith(pod.Name(f.Pod)))
	}
	sws, err := s.client.NetworkSwitch.Query().Where(ps...).Order(ent.Asc(networkswitch.FieldID)).Limit(size).All(ctx)
	if err != nil {
		return nil, "", err
	}
	rows := make([]SwitchRow, len(sws))
	if len(sws) > 0 {
		ids := make([]int, len(sws))
		for i, sw := range sws {
			ids[i] = sw.ID
		}
		var counts []struct {
			SwitchID int `json:"switch_id"`
			Count    int `json:"count"`
		}
		if err := s.client.Port.Query().Where(port.SwitchIDIn(ids...)).GroupBy(port.FieldSwitchID).Aggregate(ent.Count()).Scan(ctx, &counts); err != nil {
			return nil, "", err
		}
		pc := map[int]int{}
		for _, c := range counts {
			pc[c.SwitchID] = c.Count
		}
		for i, sw := range sws {
			rows[i] = switchRow(h, sw, pc[sw.ID])
		}
	}
	return rows, nextPage(sws, size, func(e *ent.NetworkSwitch) int { return e.ID }), nil
}

func switchRow(h *hierarchy, sw *ent.NetworkSwitch, ports int) SwitchRow {
	row := SwitchRow{Switch: model.Switch{
		Name: sw.Name, Role: model.SwitchRole(sw.Role), Fabric: h.fabricName[sw.FabricID], Vendor: sw.Vendor, Model: sw.Model,
		OS: sw.Os, Serial: sw.Serial, MgmtAddress: sw.MgmtAddress, Driver: sw.Driver, Rail: sw.Rail,
		Provenance: model.Provenance(sw.Provenance), LastSeen: stampPtr(sw.LastSeen).Time(), Stale: sw.Stale,
	}, Site: h.fabricSite[sw.FabricID], PortCount: ports}
	if sw.RackID != nil {
		row.Rack = h.rackLoc[*sw.RackID].Rack
	}
	if sw.LeafDomainID != nil {
		row.LeafDomain = h.ldName[*sw.LeafDomainID]
	}
	if sw.PodID != nil {
		row.Pod = h.podName[*sw.PodID]
	}
	return row
}

// ListLinks returns a page of links, optionally those of one device
// (Filter.Node names a node or a switch), in id order.
func (s *Store) ListLinks(ctx context.Context, f Filter, p Page) ([]model.Link, string, error) {
	size, after, _, err := s.listArgs(ctx, "links", f, p, "node")
	if err != nil {
		return nil, "", err
	}
	ps := []predicate.Link{link.IDGT(after)}
	if f.Node != "" {
		ps = append(ps, link.Or(link.HasAWith(port.Device(f.Node)), link.HasBWith(port.Device(f.Node))))
	}
	ls, err := s.client.Link.Query().Where(ps...).Order(ent.Asc(link.FieldID)).Limit(size).All(ctx)
	if err != nil {
		return nil, "", err
	}
	portIDs := make([]int, 0, 2*len(ls))
	for _, l := range ls {
		portIDs = append(portIDs, l.AID, l.BID)
	}
	ep := map[int]model.Endpoint{}
	if len(portIDs) > 0 {
		ports, err := s.client.Port.Query().Where(port.IDIn(portIDs...)).All(ctx)
		if err != nil {
			return nil, "", err
		}
		for _, p := range ports {
			ep[p.ID] = model.Endpoint{Device: p.Device, Port: p.Name}
		}
	}
	out := make([]model.Link, len(ls))
	for i, l := range ls {
		out[i] = model.Link{A: ep[l.AID], B: ep[l.BID], Provenance: model.Provenance(l.Provenance), LastSeen: stampPtr(l.LastSeen).Time(), Stale: l.Stale}
	}
	return out, nextPage(ls, size, func(e *ent.Link) int { return e.ID }), nil
}

// ListTenants returns a page of tenants in id order.
func (s *Store) ListTenants(ctx context.Context, f Filter, p Page) ([]model.Tenant, string, error) {
	size, after, _, err := s.listArgs(ctx, "tenants", f, p)
	if err != nil {
		return nil, "", err
	}
	ts, err := s.client.Tenant.Query().Where(tenant.IDGT(after)).Order(ent.Asc(tenant.FieldID)).Limit(size).All(ctx)
	if err != nil {
		return nil, "", err
	}
	out := make([]model.Tenant, len(ts))
	for i, t := range ts {
		out[i] = model.Tenant{Name: t.Name, Description: t.Description}
	}
	return out, nextPage(ts, size, func(e *ent.Tenant) int { return e.ID }), nil
}

// GetTenant returns one tenant.
func (s *Store) GetTenant(ctx context.Context, name string) (model.Tenant, error) {
	t, err := s.client.Tenant.Query().Where(tenant.Name(name)).Only(ctx)
	if ent.IsNotFound(err) {
		return model.Tenant{}, fmt.Errorf("%w: tenant %q does not exist", ErrNotFound, name)
	}
	if err != nil {
		return model.Tenant{}, err
	}
	return model.Tenant{Name: t.Name, Description: t.Description}, nil
}

// GetGPU returns one GPU, by UUID or by node and index.
func (s *Store) GetGPU(ctx context.Context, uuid, nodeName string, index int) (GPURow, error) {
	h, err := s.hierarchy(ctx)
	if err != nil {
		return GPURow{}, err
	}
	q := s.client.GPU.Query()
	what := ""
	switch {
	case uuid != "":
		q, what = q.Where(gpu.UUID(uuid)), fmt.Sprintf("gpu with uuid %q", uuid)
	case nodeName != "":
		q, what = q.Where(gpu.Index(index), gpu.HasNodeWith(node.Hostname(nodeName))), fmt.Sprintf("gpu %d of node %q", index, nodeName)
	default:
		return GPURow{}, fmt.Errorf("%w: give a gpu uuid, or a node and an index", ErrInvalid)
	}
	gs, err := q.Limit(2).All(ctx)
	if err != nil {
		return GPURow{}, err
	}
	switch len(gs) {
	case 0:
		return GPURow{}, fmt.Errorf("%w: %s does not exist", ErrNotFound, what)
	case 2:
		return GPURow{}, fmt.Errorf("%w: more than one %s (run railyard validate)", ErrConflict, what)
	}
	n, err := s.client.Node.Get(ctx, gs[0].NodeID)
	if err != nil {
		return GPURow{}, err
	}
	return GPURow{GPU: gpuModel(h, gs[0]), Node: n.Hostname, NodeState: model.NodeState(n.State), Location: h.rackLoc[n.RackID]}, nil
}

// GetNode returns a node with its GPUs, NICs (with cable peers) and the
// newest historyLimit entries of its history (its parts' and cables'
// included).
func (s *Store) GetNode(ctx context.Context, hostname string, historyLimit int) (*NodeDetail, error) {
	h, err := s.hierarchy(ctx)
	if err != nil {
		return nil, err
	}
	n, err := s.client.Node.Query().Where(node.Hostname(hostname)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, fmt.Errorf("%w: node %q does not exist", ErrNotFound, hostname)
	}
	if err != nil {
		return nil, err
	}
	loc := h.rackLoc[n.RackID]
	nm := nodeModel(n)
	nm.Rack = loc.Rack
	d := &NodeDetail{Node: NodeRow{Node: nm, Location: loc}}
	gs, err := s.client.GPU.Query().Where(gpu.NodeID(n.ID)).Order(ent.Asc(gpu.FieldIndex)).All(ctx)
	if err != nil {
		return nil, err
	}
	var models []string
	for _, g := range gs {
		d.GPUs = append(d.GPUs, gpuModel(h, g))
		if !slices.Contains(models, g.Model) {
			models = append(models, g.Model)
		}
	}
	slices.Sort(models) // as lists show it
	d.Node.GPUCount, d.Node.GPUModel = len(gs), strings.Join(models, ",")
	cs, err := s.client.NIC.Query().Where(nic.NodeID(n.ID)).All(ctx)
	if err != nil {
		return nil, err
	}
	if d.NICs, err = s.nicRows(ctx, h, cs, map[int]*ent.Node{n.ID: n}); err != nil {
		return nil, err
	}
	sort.Slice(d.NICs, func(i, j int) bool { return model.ComparePortNames(d.NICs[i].Name, d.NICs[j].Name) < 0 })
	if d.History, err = s.deviceHistory(ctx, hostname, historyLimit); err != nil {
		return nil, err
	}
	return d, nil
}

// GetSwitch returns a switch with its ports, cable peers and history.
func (s *Store) GetSwitch(ctx context.Context, name string, historyLimit int) (*SwitchDetail, error) {
	h, err := s.hierarchy(ctx)
	if err != nil {
		return nil, err
	}
	sw, err := s.client.NetworkSwitch.Query().Where(networkswitch.Name(name)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, fmt.Errorf("%w: switch %q does not exist", ErrNotFound, name)
	}
	if err != nil {
		return nil, err
	}
	ports, peers, err := s.portsWithPeers(ctx, "switch_id", []int{sw.ID})
	if err != nil {
		return nil, err
	}
	d := &SwitchDetail{Switch: switchRow(h, sw, len(ports))}
	for _, p := range ports {
		row := SwitchPortRow{SwitchPort: model.SwitchPort{Name: p.Name, SpeedGbps: p.SpeedGbps}}
		if e, ok := peers[p.ID]; ok {
			row.Peer = &e
		}
		d.Ports = append(d.Ports, row)
	}
	sort.Slice(d.Ports, func(i, j int) bool { return model.ComparePortNames(d.Ports[i].Name, d.Ports[j].Name) < 0 })
	if d.History, err = s.deviceHistory(ctx, name, historyLimit); err != nil {
		return nil, err
	}
	return d, nil
}

func (s *Store) deviceHistory(ctx context.Context, device string, limit int) ([]model.Change, error) {
	if limit <= 0 {
		return nil, nil
	}
	// Newest first from each index, merged in one statement: an OR here
	// would walk the whole history backwards for a device whose changes
	// are old.
	const cols = "id, at, actor, source, kind, key, subject, peer, op, before, after"
	q := `SELECT ` + cols + ` FROM (SELECT ` + cols + ` FROM changes WHERE subject = ? ORDER BY id DESC LIMIT ?) AS bys
		UNION ALL SELECT ` + cols + ` FROM (SELECT ` + cols + ` FROM changes WHERE peer = ? ORDER BY id DESC LIMIT ?) AS byp
		ORDER BY id DESC LIMIT ?`
	rows, err := s.db.QueryContext(ctx, s.rebind(q), device, limit, device, limit, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cs []*ent.Change
	for rows.Next() {
		var c ent.Change
		if err := rows.Scan(&c.ID, &c.At, &c.Actor, &c.Source, &c.Kind, &c.Key, &c.Subject, &c.Peer, &c.Op, &c.Before, &c.After); err != nil {
			return nil, err
		}
		cs = append(cs, &c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return changeModels(cs), nil
}
