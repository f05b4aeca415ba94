package inventory

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/railyard/railyard/internal/model"
)

// Discovery merge: observations are folded into a copy of the stored
// records, then the two record sets are diffed like an import. The rules:
//
//   - A device is matched by its BMC or management address, then by the
//     hostname the operator gave the target, then by serial, then by the
//     name it reports. A device matching nothing is created with
//     provenance "discovered" (nodes in state "discovered") in the rack and
//     fabric the target's hints name, or in the holding area
//     (HoldingName) until an operator places it.
//   - Facts of parts (serials, models, UUIDs, MACs, PCI addresses) are
//     observed truth: a value the device reports replaces the stored one. A
//     value the device does not report is left as it was.
//   - Cables are intent when declared: an observed cable that contradicts
//     a declared one is kept as an observation and reported by validation
//     (miswired, missing, unexpected), never written over the declaration.
//     Discovered cables follow what is observed: a cable seen on a new
//     port replaces the old discovered one (a "moved" change).
//   - Nothing is deleted for being absent. Records that discovery saw once
//     and has not seen for StaleAfter are marked stale.

// HoldingName names the site, pod, leaf domain, rack and fabric where
// discovered devices wait until an operator places them.
const HoldingName = "discovered"

// linkObs is one cable as discovery observed it.
type linkObs struct {
	link   model.Link
	source string
	target string
}

// merger folds observations into records.
type merger struct {
	old, neu *records
	now      stamp
	// srcOf remembers which source last changed a record (kind/key).
	srcOf map[string]string
	// seen are the records observed in this run, by kind then key.
	seen map[string]map[string]bool
	// observed are the device observations to store, by kind/key/source.
	devObs  []deviceObs
	links   []linkObs
	notes   []string
	chassis map[string]string // LLDP chassis id → switch name
}

type deviceObs struct {
	kind, key, source, target string
	facts                     any
}

func newMerger(old *records, now time.Time, chassis map[string]string) *merger {
	return &merger{old: old, neu: old.clone(), now: stampOf(now), srcOf: map[string]string{},
		seen: map[string]map[string]bool{}, chassis: chassis}
}

func (m *merger) markSeen(kind, key string) {
	if m.seen[kind] == nil {
		m.seen[kind] = map[string]bool{}
	}
	m.seen[kind][key] = true
}

func (m *merger) touched(kind, key, source string) { m.srcOf[kind+"/"+key] = "discovery:" + source }

// clone copies a record set (records are values, so maps copy deep).
func (r *records) clone() *records {
	return &records{
		sites: maps.Clone(r.sites), pods: maps.Clone(r.pods), leafDomains: maps.Clone(r.leafDomains),
		racks: maps.Clone(r.racks), fabrics: maps.Clone(r.fabrics), nvlDomains: maps.Clone(r.nvlDomains),
		switches: maps.Clone(r.switches), switchPorts: maps.Clone(r.switchPorts), nodes: maps.Clone(r.nodes),
		gpus: maps.Clone(r.gpus), nics: maps.Clone(r.nics), nicPorts: maps.Clone(r.nicPorts),
		links: maps.Clone(r.links), tenants: maps.Clone(r.tenants),
	}
}

// sourceOrder merges the richer sources last, so that where two sources
// disagree the richer one's value is the one kept, run after run.
var sourceOrder = map[string]int{"ipmi": 0, "snmp": 1, "cli": 2, "redfish": 3, "agent": 4}

// observe folds one run's observations into m.neu.
func (m *merger) observe(obs []model.Observation) {
	obs = append([]model.Observation(nil), obs...)
	sort.SliceStable(obs, func(i, j int) bool {
		if a, b := sourceOrder[obs[i].Source], sourceOrder[obs[j].Source]; a != b {
			return a < b
		}
		return obs[i].Target < obs[j].Target
	})
	type pending struct {
		sw     string
		source string
		target string
		n      model.LLDPNeighbor
	}
	var nbrs []pending
	for _, o := range obs {
		for _, nf := range o.Nodes {
			m.node(o, nf)
		}
		for _, sf := range o.Switches {
			name := m.switch_(o, sf)
			for _, n := range sf.Neighbors {
				nbrs = append(nbrs, pending{sw: name, source: o.Source, target: o.Target, n: n})
			}
		}
	}
	macs := m.macIndex()
	for _, p := range nbrs {
		far, ok := m.resolve(p.n, macs)
		if !ok {
			m.notes = append(m.notes, fmt.Sprintf("%s:%s hears %s, which is not in the inventory", p.sw, p.n.LocalPort, describeNeighbor(p.n)))
			continue
		}
		m.ensureSwitchPort(p.sw, p.n.LocalPort, 0, p.source)
		l := model.Link{A: model.Endpoint{Device: p.sw, Port: p.n.LocalPort}, B: far}.Normalize()
		m.links = append(m.links, linkObs{link: l, source: p.source, target: p.target})
	}
	m.cables()
}

func describeNeighbor(n model.LLDPNeighbor) string {
	var parts []string
	if n.SysName != "" {
		parts = append(parts, n.SysName)
	}
	if n.ChassisID != "" {
		parts = append(parts, "chassis "+n.ChassisID)
	}
	if n.PortID != "" {
		parts = append(parts, "port "+n.PortID)
	}
	return strings.Join(parts, " ")
}

// addrKey reduces a device address (a URL or a bare host) to host, and
// port when one is given, for matching targets to stored addresses.
func addrKey(s string) (host, port string) {
	if s == "" {
		return "", ""
	}
	if !strings.Contains(s, "://") {
		s = "x://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", ""
	}
	return strings.ToLower(u.Hostname()), u.Port()
}

func sameAddr(a, b string) bool {
	ha, pa := addrKey(a)
	hb, pb := addrKey(b)
	return ha != "" && ha == hb && (pa == "" || pb == "" || pa == pb)
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// newName makes a record name from what is known of a new device.
func newName(prefix string, candidates ...string) string {
	for _, c := range candidates {
		c = strings.Trim(unsafeName.ReplaceAllString(c, "-"), "-")
		if c != "" {
			if prefix != "" {
				return prefix + c
			}
			return c
		}
	}
	return ""
}

// holding creates the holding area's records when a device needs them.
func (m *merger) holdingRack() string {
	if _, ok := m.neu.racks[HoldingName]; ok {
		return HoldingName
	}
	m.neu.sites[HoldingName] = recSite{Name: HoldingName, Description: "devices found by discovery that no operator has placed yet"}
	m.neu.pods[HoldingName] = recPod{Name: HoldingName, Site: HoldingName}
	m.neu.leafDomains[HoldingName] = recLeafDomain{Name: HoldingName, Pod: HoldingName}
	m.neu.racks[HoldingName] = recRack{Name: HoldingName, LeafDomain: HoldingName}
	return HoldingName
}

func (m *merger) holdingFabric() string {
	if _, ok := m.neu.fabrics[HoldingName]; ok {
		return HoldingName
	}
	m.holdingRack()
	m.neu.fabrics[HoldingName] = recFabric{Name: HoldingName, Site: HoldingName, Kind: string(model.Ethernet), Role: string(model.RoleManagement)}
	return HoldingName
}

// isBMC says whether a source speaks to a BMC (whose address is the
// node's BMC address).
func isBMC(source string) bool { return source == "redfish" || source == "ipmi" }

// findNode matches a node observation to a stored node.
func (m *merger) findNode(o model.Observation, nf model.NodeFacts) string {
	if isBMC(o.Source) {
		for _, k := range sortedKeys(m.neu.nodes) {
			if sameAddr(m.neu.nodes[k].BMCAddress, o.Target) {
				return k
			}
		}
	}
	if h := o.Hints.Hostname; h != "" {
		if _, ok := m.neu.nodes[h]; ok {
			return h
		}
	}
	if nf.Serial != "" {
		for _, k := range sortedKeys(m.neu.nodes) {
			if m.neu.nodes[k].Serial == nf.Serial {
				return k
			}
		}
	}
	if nf.Hostname != "" {
		if _, ok := m.neu.nodes[nf.Hostname]; ok {
			return nf.Hostname
		}
	}
	return ""
}

func setIf(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

// node folds one server's facts in and returns its hostname.
func (m *merger) node(o model.Observation, nf model.NodeFacts) string {
	name := m.findNode(o, nf)
	if name == "" {
		host, port := addrKey(o.Target)
		name = newName("", o.Hints.Hostname, nf.Hostname)
		if name == "" {
			name = newName("node-", nf.Serial, host+"-"+port)
		}
		rack := o.Hints.Rack
		if _, ok := m.neu.racks[rack]; !ok || rack == "" {
			if rack != "" {
				m.notes = append(m.notes, fmt.Sprintf("%s: rack %q does not exist; placed in the holding rack %q", o.Target, rack, HoldingName))
			}
			rack = m.holdingRack()
		}
		m.neu.nodes[name] = recNode{Hostname: name, Rack: rack, State: string(model.NodeDiscovered), Provenance: string(model.Discovered)}
	}
	n := m.neu.nodes[name]
	setIf(&n.Serial, nf.Serial)
	setIf(&n.Vendor, nf.Vendor)
	setIf(&n.Model, nf.Model)
	if isBMC(o.Source) && n.BMCAddress == "" {
		n.BMCAddress = o.Target
		setIf(&n.BMCCredential, o.Hints.Credential)
	}
	n.Stale = false
	if n != m.neu.nodes[name] {
		m.neu.nodes[name] = n
		m.touched(model.KindNode, name, o.Source)
	}
	m.markSeen(model.KindNode, name)
	m.devObs = append(m.devObs, deviceObs{kind: model.KindNode, key: name, source: o.Source, target: o.Target, facts: nf})
	for _, g := range nf.GPUs {
		m.gpu(o.Source, name, g)
	}
	for _, c := range nf.NICs {
		m.nic(o.Source, name, c)
	}
	return name
}

func (m *merger) gpu(source, node string, g model.GPUFacts) {
	k := gpuKey(node, g.Index)
	r, ok := m.neu.gpus[k]
	if !ok {
		r = recGPU{Node: node, Index: g.Index, Health: string(model.GPUUnknown)}
	}
	before := r
	setIf(&r.UUID, gpuUUID(g.UUID))
	setIf(&r.Serial, g.Serial)
	setIf(&r.Model, g.Model)
	setIf(&r.PCIBusID, g.PCIBusID)
	if g.MemoryMiB > 0 {
		r.MemoryMiB = g.MemoryMiB
	}
	if source == "agent" {
		// Only the node agent reads NUMA placement and health.
		r.NUMANode = g.NUMANode
		if g.Health != "" {
			r.Health = string(g.Health)
		}
	}
	if !ok || r != before {
		m.neu.gpus[k] = r
		m.touched(model.KindGPU, k, source)
	}
}

// gpuUUID spells a GPU UUID the way NVML does ("GPU-" and lower-case
// hex), so that a BMC's bare UUID and the node agent's agree and do not
// flip the record on every run.
func gpuUUID(u string) string {
	if u == "" {
		return ""
	}
	bare := u
	if len(u) > 4 && strings.EqualFold(u[:4], "GPU-") {
		bare = u[4:]
	}
	return "GPU-" + strings.ToLower(bare)
}

func (m *merger) nic(source, node string, c model.NIC) {
	k := nicKey(node, c.Name)
	r, ok := m.neu.nics[k]
	if !ok {
		r = recNIC{Node: node, Name: c.Name, Kind: string(model.Ethernet)}
	}
	before := r
	setIf(&r.Model, c.Model)
	setIf(&r.Kind, string(c.Kind))
	setIf(&r.PCIBusID, c.PCIBusID)
	if !ok || r != before {
		m.neu.nics[k] = r
		m.touched(model.KindNIC, k, source)
	}
	for _, p := range c.Ports {
		pk := portKey(node, p.Name)
		pr, ok := m.neu.nicPorts[pk]
		if ok && pr.NIC != c.Name {
			m.notes = append(m.notes, fmt.Sprintf("%s: port %s is on NIC %s in the inventory but reported on %s; left as is", node, p.Name, pr.NIC, c.Name))
			continue
		}
		if !ok {
			pr = recNICPort{Device: node, NIC: c.Name, Name: p.Name}
		}
		before := pr
		setIf(&pr.MAC, p.MAC)
		setIf(&pr.GUID, p.GUID)
		if p.SpeedGbps > 0 {
			pr.SpeedGbps = p.SpeedGbps
		}
		if !ok || pr != before {
			m.neu.nicPorts[pk] = pr
			m.touched(model.KindNICPort, pk, source)
		}
	}
}

// switch_ folds one switch's facts in and returns its name.
func (m *merger) switch_(o model.Observation, sf model.SwitchFacts) string {
	name := ""
	for _, k := range sortedKeys(m.neu.switches) {
		if sameAddr(m.neu.switches[k].MgmtAddress, o.Target) {
			name = k
			break
		}
	}
	if name == "" {
		for _, c := range []string{o.Hints.Hostname, sf.Name} {
			if _, ok := m.neu.switches[c]; ok && c != "" {
				name = c
				break
			}
		}
	}
	if name == "" && sf.Serial != "" {
		for _, k := range sortedKeys(m.neu.switches) {
			if m.neu.switches[k].Serial == sf.Serial {
				name = k
				break
			}
		}
	}
	if name == "" {
		host, port := addrKey(o.Target)
		name = newName("", o.Hints.Hostname, sf.Name)
		if name == "" {
			name = newName("switch-", sf.Serial, host+"-"+port)
		}
		fabric := o.Hints.Fabric
		if _, ok := m.neu.fabrics[fabric]; !ok || fabric == "" {
			if fabric != "" {
				m.notes = append(m.notes, fmt.Sprintf("%s: fabric %q does not exist; placed in the holding fabric %q", o.Target, fabric, HoldingName))
			}
			fabric = m.holdingFabric()
		}
		role := o.Hints.Role
		if !model.SwitchRole(role).Valid() {
			role = string(model.SwitchLeaf)
		}
		r := recSwitch{Name: name, Role: role, Fabric: fabric, MgmtAddress: o.Target, Provenance: string(model.Discovered), Driver: driverOf(o.Target)}
		if _, ok := m.neu.racks[o.Hints.Rack]; ok {
			r.Rack = o.Hints.Rack
		}
		m.neu.switches[name] = r
	}
	s := m.neu.switches[name]
	setIf(&s.Vendor, sf.Vendor)
	setIf(&s.Model, sf.Model)
	setIf(&s.OS, sf.OS)
	setIf(&s.Serial, sf.Serial)
	if s.MgmtAddress == "" {
		s.MgmtAddress = o.Target
	}
	s.Stale = false
	if s != m.neu.switches[name] {
		m.neu.switches[name] = s
		m.touched(model.KindSwitch, name, o.Source)
	}
	m.markSeen(model.KindSwitch, name)
	if sf.ChassisID != "" {
		m.chassis[strings.ToLower(sf.ChassisID)] = name
	}
	for _, p := range sf.Ports {
		m.ensureSwitchPort(name, p.Name, p.SpeedGbps, o.Source)
	}
	m.devObs = append(m.devObs, deviceObs{kind: model.KindSwitch, key: name, source: o.Source, target: o.Target, facts: sf})
	return name
}

// driverOf names the vendor driver a CLI target implies (ssh+eos → eos).
func driverOf(target string) string {
	scheme, _, _ := strings.Cut(target, "://")
	if d, ok := strings.CutPrefix(scheme, "ssh+"); ok {
		return d
	}
	return ""
}

func (m *merger) ensureSwitchPort(sw, port string, speed int, source string) {
	if port == "" {
		return
	}
	k := portKey(sw, port)
	r, ok := m.neu.switchPorts[k]
	if !ok {
		r = recSwitchPort{Device: sw, Name: port}
	}
	before := r
	if speed > 0 {
		r.SpeedGbps = speed
	}
	if !ok || r != before {
		m.neu.switchPorts[k] = r
		m.touched(model.KindSwitchPort, k, source)
	}
}

// macIndex maps every known port MAC to its endpoint.
func (m *merger) macIndex() map[string]model.Endpoint {
	out := map[string]model.Endpoint{}
	for _, p := range m.neu.nicPorts {
		if p.MAC != "" {
			out[strings.ToLower(p.MAC)] = model.Endpoint{Device: p.Device, Port: p.Name}
		}
	}
	return out
}

// resolve finds the device and port an LLDP neighbour names.
func (m *merger) resolve(n model.LLDPNeighbor, macs map[string]model.Endpoint) (model.Endpoint, bool) {
	pid := strings.ToLower(n.PortID)
	if n.PortIDIsMAC {
		if e, ok := macs[pid]; ok {
			return e, true
		}
	}
	device := ""
	if e, ok := macs[strings.ToLower(n.ChassisID)]; ok {
		device = e.Device
	} else if sw, ok := m.chassis[strings.ToLower(n.ChassisID)]; ok && n.ChassisID != "" {
		device = sw
	} else if n.SysName != "" {
		short, _, _ := strings.Cut(n.SysName, ".")
		for _, c := range []string{n.SysName, short} {
			if _, ok := m.neu.switches[c]; ok {
				device = c
				break
			}
			if _, ok := m.neu.nodes[c]; ok {
				device = c
				break
			}
		}
	}
	if device == "" {
		return model.Endpoint{}, false
	}
	for _, port := range []string{n.PortID, n.PortDesc} {
		if port == "" {
			continue
		}
		if _, ok := m.neu.switchPorts[portKey(device, port)]; ok {
			return model.Endpoint{Device: device, Port: port}, true
		}
		if _, ok := m.neu.nicPorts[portKey(device, port)]; ok {
			return model.Endpoint{Device: device, Port: port}, true
		}
	}
	// A switch we have not walked yet: its port is known by name only.
	if _, ok := m.neu.switches[device]; ok && !n.PortIDIsMAC && n.PortID != "" {
		m.ensureSwitchPort(device, n.PortID, 0, "")
		return model.Endpoint{Device: device, Port: n.PortID}, true
	}
	return model.Endpoint{}, false
}

// cables applies the observed cables: known ones are seen, new ones
// created, discovered ones on a port that moved replaced; declared ones
// are never replaced.
func (m *merger) cables() {
	byPort := map[string]string{} // endpoint → link key, in neu
	for k, l := range m.neu.links {
		byPort[l.A.String()] = k
		byPort[l.B.String()] = k
	}
	done := map[string]bool{}
	for _, lo := range m.links {
		l := recLink{A: lo.link.A, B: lo.link.B}
		k := l.key()
		if done[k] {
			continue
		}
		done[k] = true
		m.devObs = append(m.devObs, deviceObs{kind: model.KindLink, key: k, source: lo.source, target: lo.target, facts: lo.link})
		if r, ok := m.neu.links[k]; ok {
			m.markSeen(model.KindLink, k)
			if r.Stale {
				r.Stale = false
				m.neu.links[k] = r
				m.touched(model.KindLink, k, lo.source)
			}
			continue
		}
		var conflicts []string
		declared := false
		for _, e := range []model.Endpoint{l.A, l.B} {
			if ck, ok := byPort[e.String()]; ok {
				conflicts = append(conflicts, ck)
				if m.neu.links[ck].Provenance == string(model.Declared) {
					declared = true
				}
			}
		}
		if declared {
			m.notes = append(m.notes, fmt.Sprintf("observed cable %s contradicts the declared cabling; see railyard validate", k))
			continue
		}
		for _, ck := range conflicts {
			old := m.neu.links[ck]
			delete(byPort, old.A.String())
			delete(byPort, old.B.String())
			delete(m.neu.links, ck)
			m.touched(model.KindLink, ck, lo.source)
		}
		l.Provenance = string(model.Discovered)
		l.LastSeen = m.now
		m.neu.links[k] = l
		byPort[l.A.String()], byPort[l.B.String()] = k, k
		m.markSeen(model.KindLink, k)
		m.touched(model.KindLink, k, lo.source)
	}
}

// markStale flags records discovery saw once but not within staleAfter.
func (m *merger) markStale(staleAfter time.Duration) {
	if staleAfter <= 0 {
		return
	}
	cut := stampOf(m.now.Time().Add(-staleAfter))
	for k, r := range m.neu.nodes {
		if !r.Stale && !r.LastSeen.IsZero() && r.LastSeen < cut && !m.seen[model.KindNode][k] {
			r.Stale = true
			m.neu.nodes[k] = r
			m.srcOf[model.KindNode+"/"+k] = "discovery:stale"
		}
	}
	for k, r := range m.neu.switches {
		if !r.Stale && !r.LastSeen.IsZero() && r.LastSeen < cut && !m.seen[model.KindSwitch][k] {
			r.Stale = true
			m.neu.switches[k] = r
			m.srcOf[model.KindSwitch+"/"+k] = "discovery:stale"
		}
	}
	for k, r := range m.neu.links {
		if !r.Stale && !r.LastSeen.IsZero() && r.LastSeen < cut && !m.seen[model.KindLink][k] {
			r.Stale = true
			m.neu.links[k] = r
			m.srcOf[model.KindLink+"/"+k] = "discovery:stale"
		}
	}
}

// plan diffs the merged records against the stored ones. Last-seen times
// are not part of the diff (seeing a device again is not a change); the
// caller writes them separately.
func (m *merger) plan(opts ImportOptions) *importPlan {
	for k, r := range m.neu.nodes {
		if o, ok := m.old.nodes[k]; ok {
			r.LastSeen = o.LastSeen
			m.neu.nodes[k] = r
		}
	}
	for k, r := range m.neu.switches {
		if o, ok := m.old.switches[k]; ok {
			r.LastSeen = o.LastSeen
			m.neu.switches[k] = r
		}
	}
	for k, r := range m.neu.links {
		if o, ok := m.old.links[k]; ok {
			r.LastSeen = o.LastSeen
			m.neu.links[k] = r
		}
	}
	p := &importPlan{old: m.old, neu: m.neu, opts: opts, scope: map[string]bool{}}
	all := rules{create: true, update: true, delete: true, scopeIsMarker: true}
	in := func(string) string { return inScopeMarker }
	diff(p, model.KindSite, m.old.sites, m.neu.sites, all, func(recSite) string { return inScopeMarker }, noSubject[recSite])
	diff(p, model.KindPod, m.old.pods, m.neu.pods, all, func(recPod) string { return inScopeMarker }, noSubject[recPod])
	diff(p, model.KindLeafDomain, m.old.leafDomains, m.neu.leafDomains, all, func(recLeafDomain) string { return inScopeMarker }, noSubject[recLeafDomain])
	diff(p, model.KindRack, m.old.racks, m.neu.racks, all, func(recRack) string { return inScopeMarker }, noSubject[recRack])
	diff(p, model.KindFabric, m.old.fabrics, m.neu.fabrics, all, func(recFabric) string { return inScopeMarker }, noSubject[recFabric])
	diff(p, model.KindSwitch, m.old.switches, m.neu.switches, all, func(r recSwitch) string { return in(r.Name) },
		func(r recSwitch) (string, string) { return r.Name, "" })
	diff(p, model.KindSwitchPort, m.old.switchPorts, m.neu.switchPorts, all, func(r recSwitchPort) string { return in(r.Device) },
		func(r recSwitchPort) (string, string) { return r.Device, "" })
	diff(p, model.KindNode, m.old.nodes, m.neu.nodes, all, func(r recNode) string { return in(r.Hostname) },
		func(r recNode) (string, string) { return r.Hostname, "" })
	diff(p, model.KindGPU, m.old.gpus, m.neu.gpus, all, func(r recGPU) string { return in(r.Node) },
		func(r recGPU) (string, string) { return r.Node, "" })
	diff(p, model.KindNIC, m.old.nics, m.neu.nics, all, func(r recNIC) string { return in(r.Node) },
		func(r recNIC) (string, string) { return r.Node, "" })
	diff(p, model.KindNICPort, m.old.nicPorts, m.neu.nicPorts, all, func(r recNICPort) string { return in(r.Device) },
		func(r recNICPort) (string, string) { return r.Device, "" })
	diff(p, model.KindLink, m.old.links, m.neu.links, all, func(recLink) string { return inScopeMarker },
		func(r recLink) (string, string) { return r.A.Device, r.B.Device })
	return p
}

// changes renders the plan as history: each entry carries the source that
// caused it, and a discovered cable that moved (one deleted and one
// created sharing an endpoint) is one "update" entry, not two.
func (m *merger) changes(p *importPlan, now time.Time) *ImportResult {
	res := p.result(now)
	for i := range res.Changes {
		c := &res.Changes[i]
		if s := m.srcOf[c.Kind+"/"+c.Key]; s != "" {
			c.Source = s
		}
	}
	var out []model.Change
	used := map[int]bool{}
	for i, c := range res.Changes {
		if used[i] || c.Kind != model.KindLink || c.Op != model.OpCreate {
			continue
		}
		var nl recLink
		_ = json.Unmarshal(c.After, &nl)
		for j, d := range res.Changes {
			if used[j] || d.Kind != model.KindLink || d.Op != model.OpDelete {
				continue
			}
			var ol recLink
			_ = json.Unmarshal(d.Before, &ol)
			if shareEndpoint(nl, ol) {
				used[i], used[j] = true, true
				moved := c
				moved.Op, moved.Before = model.OpUpdate, d.Before
				out = append(out, moved)
				break
			}
		}
	}
	for i, c := range res.Changes {
		if !used[i] {
			out = append(out, c)
		}
	}
	res.Changes = out
	res.Created, res.Updated, res.Deleted = 0, 0, 0
	for _, c := range out {
		switch c.Op {
		case model.OpCreate:
			res.Created++
		case model.OpUpdate:
			res.Updated++
		case model.OpDelete:
			res.Deleted++
		}
	}
	return res
}

func shareEndpoint(a, b recLink) bool {
	return a.A == b.A || a.A == b.B || a.B == b.A || a.B == b.B
}
