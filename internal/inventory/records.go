package inventory

import (
	"strconv"
	"time"

	"github.com/railyard/railyard/internal/model"
)

// The store diffs and writes the inventory as flat records: one comparable
// struct per row, with parents named by key. A fleet flattens into records,
// rows load into records, and two record sets diff with ==.

type recSite struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

type recPod struct {
	Name string `json:"name"`
	Site string `json:"site"`
}

type recLeafDomain struct {
	Name string `json:"name"`
	Pod  string `json:"pod"`
}

type recRack struct {
	Name       string `json:"name"`
	LeafDomain string `json:"leaf_domain"`
}

type recFabric struct {
	Name string `json:"name"`
	Site string `json:"site"`
	Kind string `json:"kind"`
	Role string `json:"role"`
}

type recNVLinkDomain struct {
	Name string `json:"name"`
	Rack string `json:"rack,omitempty"`
	Size int    `json:"size"`
}

type recSwitch struct {
	Name        string `json:"name"`
	Role        string `json:"role"`
	Fabric      string `json:"fabric"`
	Vendor      string `json:"vendor,omitempty"`
	Model       string `json:"model,omitempty"`
	OS          string `json:"os,omitempty"`
	Serial      string `json:"serial,omitempty"`
	MgmtAddress string `json:"mgmt_address,omitempty"`
	Driver      string `json:"driver,omitempty"`
	Rack        string `json:"rack,omitempty"`
	LeafDomain  string `json:"leaf_domain,omitempty"`
	Pod         string `json:"pod,omitempty"`
	Rail        int    `json:"rail,omitempty"`
	Provenance  string `json:"provenance"`
	LastSeen    stamp  `json:"last_seen,omitzero"`
	Stale       bool   `json:"stale,omitempty"`
}

type recSwitchPort struct {
	Device    string `json:"device"`
	Name      string `json:"name"`
	SpeedGbps int    `json:"speed_gbps,omitempty"`
}

type recNode struct {
	Hostname      string `json:"hostname"`
	Rack          string `json:"rack"`
	Serial        string `json:"serial,omitempty"`
	Vendor        string `json:"vendor,omitempty"`
	Model         string `json:"model,omitempty"`
	BMCAddress    string `json:"bmc_address,omitempty"`
	BMCCredential string `json:"bmc_credential_ref,omitempty"`
	State         string `json:"state"`
	Provenance    string `json:"provenance"`
	LastSeen      stamp  `json:"last_seen,omitzero"`
	Stale         bool   `json:"stale,omitempty"`
}

type recGPU struct {
	Node         string `json:"node"`
	Index        int    `json:"index"`
	UUID         string `json:"uuid,omitempty"`
	Serial       string `json:"serial,omitempty"`
	Model        string `json:"model"`
	MemoryMiB    int    `json:"memory_mib,omitempty"`
	NVLinkDomain string `json:"nvlink_domain,omitempty"`
	PCIBusID     string `json:"pci_bus_id,omitempty"`
	NUMANode     int    `json:"numa_node"`
	Health       string `json:"health"`
}

type recNIC struct {
	Node     string `json:"node"`
	Name     string `json:"name"`
	Model    string `json:"model,omitempty"`
	Kind     string `json:"kind"`
	Role     string `json:"role"`
	Rail     int    `json:"rail,omitempty"`
	Fabric   string `json:"fabric,omitempty"`
	PCIBusID string `json:"pci_bus_id,omitempty"`
}

type recNICPort struct {
	Device    string `json:"device"`
	NIC       string `json:"nic"`
	Name      string `json:"name"`
	MAC       string `json:"mac,omitempty"`
	GUID      string `json:"guid,omitempty"`
	SpeedGbps int    `json:"speed_gbps,omitempty"`
}

type recLink struct {
	A          model.Endpoint `json:"a"`
	B          model.Endpoint `json:"b"`
	Provenance string         `json:"provenance"`
	LastSeen   stamp          `json:"last_seen,omitzero"`
	Stale      bool           `json:"stale,omitempty"`
}

type recTenant struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// stamp is a time at microsecond precision (what every supported database
// keeps), comparable with ==. The zero stamp is "never".
type stamp int64

func stampOf(t time.Time) stamp {
	if t.IsZero() {
		return 0
	}
	return stamp(t.UnixMicro())
}

func stampPtr(t *time.Time) stamp {
	if t == nil {
		return 0
	}
	return stampOf(*t)
}

// Time returns the stamp as a UTC time (zero for the zero stamp).
func (s stamp) Time() time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.UnixMicro(int64(s)).UTC()
}

// ptr returns the stamp as a nillable time for ent.
func (s stamp) ptr() *time.Time {
	if s == 0 {
		return nil
	}
	t := s.Time()
	return &t
}

func (s stamp) IsZero() bool { return s == 0 }

func (s stamp) MarshalJSON() ([]byte, error) {
	return []byte(strconv.Quote(s.Time().Format(time.RFC3339Nano))), nil
}

// records is a whole inventory, or the part of one a file declares, as
// flat records by key.
type records struct {
	sites       map[string]recSite
	pods        map[string]recPod
	leafDomains map[string]recLeafDomain
	racks       map[string]recRack
	fabrics     map[string]recFabric
	nvlDomains  map[string]recNVLinkDomain
	switches    map[string]recSwitch
	switchPorts map[string]recSwitchPort
	nodes       map[string]recNode
	gpus        map[string]recGPU
	nics        map[string]recNIC
	nicPorts    map[string]recNICPort
	links       map[string]recLink
	tenants     map[string]recTenant
}

func newRecords() *records {
	return &records{
		sites: map[string]recSite{}, pods: map[string]recPod{}, leafDomains: map[string]recLeafDomain{},
		racks: map[string]recRack{}, fabrics: map[string]recFabric{}, nvlDomains: map[string]recNVLinkDomain{},
		switches: map[string]recSwitch{}, switchPorts: map[string]recSwitchPort{}, nodes: map[string]recNode{},
		gpus: map[string]recGPU{}, nics: map[string]recNIC{}, nicPorts: map[string]recNICPort{},
		links: map[string]recLink{}, tenants: map[string]recTenant{},
	}
}

func portKey(device, port string) string   { return device + ":" + port }
func gpuKey(node string, index int) string { return node + "/" + strconv.Itoa(index) }
func nicKey(node, name string) string      { return node + "/" + name }

func (r recLink) key() string { return model.Link{A: r.A, B: r.B}.Key() }

// flatten turns a fleet into records. The fleet must have passed
// validation: duplicate keys silently keep the last record.
func flatten(f *model.Fleet) *records {
	r := newRecords()
	for _, s := range f.Sites {
		r.sites[s.Name] = recSite{Name: s.Name, Description: s.Description}
		for _, p := range s.Pods {
			r.pods[p.Name] = recPod{Name: p.Name, Site: s.Name}
			for _, ld := range p.LeafDomains {
				r.leafDomains[ld.Name] = recLeafDomain{Name: ld.Name, Pod: p.Name}
				for _, rk := range ld.Racks {
					r.racks[rk.Name] = recRack{Name: rk.Name, LeafDomain: ld.Name}
				}
			}
		}
	}
	for _, fb := range f.Fabrics {
		r.fabrics[fb.Name] = recFabric{Name: fb.Name, Site: fb.Site, Kind: string(fb.Kind), Role: string(fb.Role)}
	}
	for _, d := range f.NVLinkDomains {
		r.nvlDomains[d.Name] = recNVLinkDomain{Name: d.Name, Rack: d.Rack, Size: d.Size}
	}
	for _, sw := range f.Switches {
		r.switches[sw.Name] = recSwitch{
			Name: sw.Name, Role: string(sw.Role), Fabric: sw.Fabric, Vendor: sw.Vendor, Model: sw.Model,
			OS: sw.OS, Serial: sw.Serial, MgmtAddress: sw.MgmtAddress, Driver: sw.Driver, Rack: sw.Rack,
			LeafDomain: sw.LeafDomain, Pod: sw.Pod, Rail: sw.Rail,
			Provenance: string(orProvenance(sw.Provenance)), LastSeen: stampOf(sw.LastSeen), Stale: sw.Stale,
		}
		for _, p := range sw.Ports {
			r.switchPorts[portKey(sw.Name, p.Name)] = recSwitchPort{Device: sw.Name, Name: p.Name, SpeedGbps: p.SpeedGbps}
		}
	}
	for _, n := range f.Nodes {
		state := n.State
		if state == "" {
			state = model.NodeAvailable
		}
		r.nodes[n.Hostname] = recNode{
			Hostname: n.Hostname, Rack: n.Rack, Serial: n.Serial, Vendor: n.Vendor, Model: n.Model,
			BMCAddress: n.BMC.Address, BMCCredential: n.BMC.CredentialRef, State: string(state),
			Provenance: string(orProvenance(n.Provenance)), LastSeen: stampOf(n.LastSeen), Stale: n.Stale,
		}
		for _, g := range n.GPUs {
			health := g.Health
			if health == "" {
				health = model.GPUHealthy
			}
			r.gpus[gpuKey(n.Hostname, g.Index)] = recGPU{
				Node: n.Hostname, Index: g.Index, UUID: g.UUID, Serial: g.Serial, Model: g.Model,
				MemoryMiB: g.MemoryMiB, NVLinkDomain: g.NVLinkDomain, PCIBusID: g.PCIBusID,
				NUMANode: g.NUMANode, Health: string(health),
			}
		}
		for _, c := range n.NICs {
			r.nics[nicKey(n.Hostname, c.Name)] = recNIC{
				Node: n.Hostname, Name: c.Name, Model: c.Model, Kind: string(c.Kind), Role: string(c.Role),
				Rail: c.Rail, Fabric: c.Fabric, PCIBusID: c.PCIBusID,
			}
			for _, p := range c.Ports {
				r.nicPorts[portKey(n.Hostname, p.Name)] = recNICPort{
					Device: n.Hostname, NIC: c.Name, Name: p.Name, MAC: p.MAC, GUID: p.GUID, SpeedGbps: p.SpeedGbps,
				}
			}
		}
	}
	for _, l := range f.Links {
		l = l.Normalize()
		rl := recLink{A: l.A, B: l.B, Provenance: string(orProvenance(l.Provenance)), LastSeen: stampOf(l.LastSeen), Stale: l.Stale}
		r.links[rl.key()] = rl
	}
	for _, t := range f.Tenants {
		r.tenants[t.Name] = recTenant{Name: t.Name, Description: t.Description}
	}
	return r
}

func orProvenance(p model.Provenance) model.Provenance {
	if p == "" {
		return model.Declared
	}
	return p
}

// fleet turns records back into a normalized fleet. keep, if not nil,
// selects the sites to include.
func (r *records) fleet(keep func(site string) bool) *model.Fleet {
	if keep == nil {
		keep = func(string) bool { return true }
	}
	f := &model.Fleet{}
	siteIdx := map[string]int{}
	for _, s := range r.sites {
		if !keep(s.Name) {
			continue
		}
		siteIdx[s.Name] = len(f.Sites)
		f.Sites = append(f.Sites, model.Site{Name: s.Name, Description: s.Description})
	}
	type podPos struct{ site, pod int }
	podIdx := map[string]podPos{}
	for _, p := range r.pods {
		si, ok := siteIdx[p.Site]
		if !ok {
			continue
		}
		podIdx[p.Name] = podPos{si, len(f.Sites[si].Pods)}
		f.Sites[si].Pods = append(f.Sites[si].Pods, model.Pod{Name: p.Name})
	}
	type ldPos struct{ site, pod, ld int }
	ldIdx := map[string]ldPos{}
	for _, ld := range r.leafDomains {
		pp, ok := podIdx[ld.Pod]
		if !ok {
			continue
		}
		pod := &f.Sites[pp.site].Pods[pp.pod]
		ldIdx[ld.Name] = ldPos{pp.site, pp.pod, len(pod.LeafDomains)}
		pod.LeafDomains = append(pod.LeafDomains, model.LeafDomain{Name: ld.Name})
	}
	for _, rk := range r.racks {
		lp, ok := ldIdx[rk.LeafDomain]
		if !ok {
			continue
		}
		ld := &f.Sites[lp.site].Pods[lp.pod].LeafDomains[lp.ld]
		ld.Racks = append(ld.Racks, model.Rack{Name: rk.Name})
	}
	for _, fb := range r.fabrics {
		if keep(fb.Site) {
			f.Fabrics = append(f.Fabrics, model.Fabric{Name: fb.Name, Site: fb.Site, Kind: model.LinkKind(fb.Kind), Role: model.FabricRole(fb.Role)})
		}
	}
	for _, d := range r.nvlDomains {
		if d.Rack == "" || keep(r.siteOfRack(d.Rack)) {
			f.NVLinkDomains = append(f.NVLinkDomains, model.NVLinkDomain{Name: d.Name, Rack: d.Rack, Size: d.Size})
		}
	}
	swIdx := map[string]int{}
	for _, sw := range r.switches {
		if !keep(r.fabrics[sw.Fabric].Site) {
			continue
		}
		swIdx[sw.Name] = len(f.Switches)
		f.Switches = append(f.Switches, model.Switch{
			Name: sw.Name, Role: model.SwitchRole(sw.Role), Fabric: sw.Fabric, Vendor: sw.Vendor, Model: sw.Model,
			OS: sw.OS, Serial: sw.Serial, MgmtAddress: sw.MgmtAddress, Driver: sw.Driver, Rack: sw.Rack,
			LeafDomain: sw.LeafDomain, Pod: sw.Pod, Rail: sw.Rail, Provenance: model.Provenance(sw.Provenance),
			LastSeen: sw.LastSeen.Time(), Stale: sw.Stale,
		})
	}
	for _, p := range r.switchPorts {
		if i, ok := swIdx[p.Device]; ok {
			f.Switches[i].Ports = append(f.Switches[i].Ports, model.SwitchPort{Name: p.Name, SpeedGbps: p.SpeedGbps})
		}
	}
	nodeIdx := map[string]int{}
	for _, n := range r.nodes {
		if !keep(r.siteOfRack(n.Rack)) {
			continue
		}
		nodeIdx[n.Hostname] = len(f.Nodes)
		f.Nodes = append(f.Nodes, model.Node{
			Hostname: n.Hostname, Rack: n.Rack, Serial: n.Serial, Vendor: n.Vendor, Model: n.Model,
			BMC: model.BMC{Address: n.BMCAddress, CredentialRef: n.BMCCredential}, State: model.NodeState(n.State),
			Provenance: model.Provenance(n.Provenance), LastSeen: n.LastSeen.Time(), Stale: n.Stale,
		})
	}
	for _, g := range r.gpus {
		if i, ok := nodeIdx[g.Node]; ok {
			f.Nodes[i].GPUs = append(f.Nodes[i].GPUs, model.GPU{
				Index: g.Index, UUID: g.UUID, Serial: g.Serial, Model: g.Model, MemoryMiB: g.MemoryMiB,
				NVLinkDomain: g.NVLinkDomain, PCIBusID: g.PCIBusID, NUMANode: g.NUMANode, Health: model.GPUHealth(g.Health),
			})
		}
	}
	nicIdx := map[string][2]int{}
	for _, c := range r.nics {
		if i, ok := nodeIdx[c.Node]; ok {
			nicIdx[nicKey(c.Node, c.Name)] = [2]int{i, len(f.Nodes[i].NICs)}
			f.Nodes[i].NICs = append(f.Nodes[i].NICs, model.NIC{
				Name: c.Name, Model: c.Model, Kind: model.LinkKind(c.Kind), Role: model.FabricRole(c.Role),
				Rail: c.Rail, Fabric: c.Fabric, PCIBusID: c.PCIBusID,
			})
		}
	}
	for _, p := range r.nicPorts {
		if pos, ok := nicIdx[nicKey(p.Device, p.NIC)]; ok {
			nic := &f.Nodes[pos[0]].NICs[pos[1]]
			nic.Ports = append(nic.Ports, model.NICPort{Name: p.Name, MAC: p.MAC, GUID: p.GUID, SpeedGbps: p.SpeedGbps})
		}
	}
	for _, l := range r.links {
		if keep(r.siteOfDevice(l.A.Device)) {
			f.Links = append(f.Links, model.Link{A: l.A, B: l.B, Provenance: model.Provenance(l.Provenance), LastSeen: l.LastSeen.Time(), Stale: l.Stale})
		}
	}
	for _, t := range r.tenants {
		f.Tenants = append(f.Tenants, model.Tenant{Name: t.Name, Description: t.Description})
	}
	f.Normalize()
	return f
}

func (r *records) siteOfRack(rack string) string {
	return r.pods[r.leafDomains[r.racks[rack].LeafDomain].Pod].Site
}

// siteOfDevice is the site of a node or switch ("" if unknown).
func (r *records) siteOfDevice(dev string) string {
	if n, ok := r.nodes[dev]; ok {
		return r.siteOfRack(n.Rack)
	}
	if sw, ok := r.switches[dev]; ok {
		return r.fabrics[sw.Fabric].Site
	}
	return ""
}
