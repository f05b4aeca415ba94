package inventory

import (
	"context"
	"fmt"

	"github.com/railyard/railyard/ent"
	"github.com/railyard/railyard/internal/model"
)

// ids maps each record kind's keys to row ids.
type ids map[string]map[string]int

func (m ids) set(kind, key string, id int) {
	if m[kind] == nil {
		m[kind] = map[string]int{}
	}
	m[kind][key] = id
}

// ref returns the id of kind/key, or nil for an empty key.
func (m ids) ref(kind, key string) (*int, error) {
	if key == "" {
		return nil, nil
	}
	id, ok := m[kind][key]
	if !ok {
		return nil, fmt.Errorf("%w: %s %q does not exist", ErrInvalid, kind, key)
	}
	return &id, nil
}

// must returns the id of kind/key, which must exist.
func (m ids) must(kind, key string) (int, error) {
	id, ok := m[kind][key]
	if !ok {
		return 0, fmt.Errorf("%w: %s %q does not exist", ErrInvalid, kind, key)
	}
	return id, nil
}

// loadAll reads the whole inventory as records, with the id of every row.
// Parents are resolved from id to key through the maps built on the way
// down the hierarchy, so each table is read once.
func loadAll(ctx context.Context, c *ent.Client) (*records, ids, error) {
	r, m := newRecords(), ids{}
	name := func(kind string) map[int]string {
		out := make(map[int]string, len(m[kind]))
		for k, id := range m[kind] {
			out[id] = k
		}
		return out
	}
	opt := func(names map[int]string, id *int) string {
		if id == nil {
			return ""
		}
		return names[*id]
	}

	sites, err := c.Site.Query().All(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("load sites: %w", err)
	}
	for _, s := range sites {
		r.sites[s.Name] = recSite{Name: s.Name, Description: s.Description}
		m.set(model.KindSite, s.Name, s.ID)
	}
	siteNames := name(model.KindSite)
	pods, err := c.Pod.Query().All(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("load pods: %w", err)
	}
	for _, p := range pods {
		r.pods[p.Name] = recPod{Name: p.Name, Site: siteNames[p.SiteID]}
		m.set(model.KindPod, p.Name, p.ID)
	}
	podNames := name(model.KindPod)
	lds, err := c.LeafDomain.Query().All(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("load leaf domains: %w", err)
	}
	for _, ld := range lds {
		r.leafDomains[ld.Name] = recLeafDomain{Name: ld.Name, Pod: podNames[ld.PodID]}
		m.set(model.KindLeafDomain, ld.Name, ld.ID)
	}
	ldNames := name(model.KindLeafDomain)
	racks, err := c.Rack.Query().All(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("load racks: %w", err)
	}
	for _, rk := range racks {
		r.racks[rk.Name] = recRack{Name: rk.Name, LeafDomain: ldNames[rk.LeafDomainID]}
		m.set(model.KindRack, rk.Name, rk.ID)
	}
	rackNames := name(model.KindRack)
	fabrics, err := c.Fabric.Query().All(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("load fabrics: %w", err)
	}
	for _, f := range fabrics {
		r.fabrics[f.Name] = recFabric{Name: f.Name, Site: siteNames[f.SiteID], Kind: f.Kind, Role: f.Role}
		m.set(model.KindFabric, f.Name, f.ID)
	}
	fabricNames := name(model.KindFabric)
	nvls, err := c.NVLinkDomain.Query().All(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("load nvlink domains: %w", err)
	}
	for _, d := range nvls {
		r.nvlDomains[d.Name] = recNVLinkDomain{Name: d.Name, Rack: opt(rackNames, d.RackID), Size: d.Size}
		m.set(model.KindNVLinkDomain, d.Name, d.ID)
	}
	nvlNames := name(model.KindNVLinkDomain)
	switches, err := c.NetworkSwitch.Query().All(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("load switches: %w", err)
	}
	for _, sw := range switches {
		r.switches[sw.Name] = recSwitch{
			Name: sw.Name, Role: sw.Role, Fabric: fabricNames[sw.FabricID], Vendor: sw.Vendor, Model: sw.Model,
			OS: sw.Os, Serial: sw.Serial, MgmtAddress: sw.MgmtAddress, Driver: sw.Driver,
			Rack: opt(rackNames, sw.RackID), LeafDomain: opt(ldNames, sw.LeafDomainID), Pod: opt(podNames, sw.PodID),
			Rail: sw.Rail, Provenance: sw.Provenance, LastSeen: stampPtr(sw.LastSeen), Stale: sw.Stale,
		}
		m.set(model.KindSwitch, sw.Name, sw.ID)
	}
	nodes, err := c.Node.Query().All(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("load nodes: %w", err)
	}
	for _, n := range nodes {
		r.nodes[n.Hostname] = recNode{
			Hostname: n.Hostname, Rack: rackNames[n.RackID], Serial: n.Serial, Vendor: n.Vendor, Model: n.Model,
			BMCAddress: n.BmcAddress, BMCCredential: n.BmcCredentialRef, State: n.State,
			Provenance: n.Provenance, LastSeen: stampPtr(n.LastSeen), Stale: n.Stale,
		}
		m.set(model.KindNode, n.Hostname, n.ID)
	}
	nodeNames := name(model.KindNode)
	gpus, err := c.GPU.Query().All(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("load gpus: %w", err)
	}
	for _, g := range gpus {
		rg := recGPU{
			Node: nodeNames[g.NodeID], Index: g.Index, UUID: g.UUID, Serial: g.Serial, Model: g.Model,
			MemoryMiB: g.MemoryMib, NVLinkDomain: opt(nvlNames, g.NvlinkDomainID), PCIBusID: g.PciBusID,
			NUMANode: g.NumaNode, Health: g.Health,
		}
		k := gpuKey(rg.Node, rg.Index)
		r.gpus[k] = rg
		m.set(model.KindGPU, k, g.ID)
	}
	nics, err := c.NIC.Query().All(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("load nics: %w", err)
	}
	nicByID := make(map[int]recNIC, len(nics))
	for _, n := range nics {
		rn := recNIC{
			Node: nodeNames[n.NodeID], Name: n.Name, Model: n.Model, Kind: n.Kind, Role: n.Role, Rail: n.Rail,
			Fabric: opt(fabricNames, n.FabricID), PCIBusID: n.PciBusID,
		}
		k := nicKey(rn.Node, rn.Name)
		r.nics[k] = rn
		nicByID[n.ID] = rn
		m.set(model.KindNIC, k, n.ID)
	}
	ports, err := c.Port.Query().All(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("load ports: %w", err)
	}
	portByID := make(map[int]model.Endpoint, len(ports))
	for _, p := range ports {
		k := portKey(p.Device, p.Name)
		portByID[p.ID] = model.Endpoint{Device: p.Device, Port: p.Name}
		if p.NicID != nil {
			r.nicPorts[k] = recNICPort{Device: p.Device, NIC: nicByID[*p.NicID].Name, Name: p.Name, MAC: p.MAC, GUID: p.GUID, SpeedGbps: p.SpeedGbps}
			m.set(model.KindNICPort, k, p.ID)
		} else {
			r.switchPorts[k] = recSwitchPort{Device: p.Device, Name: p.Name, SpeedGbps: p.SpeedGbps}
			m.set(model.KindSwitchPort, k, p.ID)
		}
	}
	links, err := c.Link.Query().All(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("load links: %w", err)
	}
	for _, l := range links {
		rl := recLink{A: portByID[l.AID], B: portByID[l.BID], Provenance: l.Provenance, LastSeen: stampPtr(l.LastSeen), Stale: l.Stale}
		r.links[l.Key] = rl
		m.set(model.KindLink, l.Key, l.ID)
	}
	tenants, err := c.Tenant.Query().All(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("load tenants: %w", err)
	}
	for _, t := range tenants {
		r.tenants[t.Name] = recTenant{Name: t.Name, Description: t.Description}
		m.set(model.KindTenant, t.Name, t.ID)
	}
	return r, m, nil
}
