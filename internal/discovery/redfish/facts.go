package redfish

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/stmcginnis/gofish/common"
	"github.com/stmcginnis/gofish/redfish"

	"github.com/railyard/railyard/internal/model"
)

// facts turns a node into NodeFacts, reading its NICs on the way.
func (w *walker) facts(n *node) (model.NodeFacts, error) {
	var f model.NodeFacts
	miss := func(format string, args ...any) { f.Missing = append(f.Missing, fmt.Sprintf(format, args...)) }

	h := n.host
	var pri redfish.Chassis
	if n.primary != nil {
		pri = n.primary.rf
	}
	f.Hostname = text(h.rf.HostName)
	f.Serial = text(h.rf.SerialNumber, pri.SerialNumber)
	f.Vendor = text(h.rf.Manufacturer, pri.Manufacturer)
	f.Model = text(h.rf.Model, pri.Model)
	f.Power = power(h.rf.PowerState)
	for _, m := range []struct{ name, v string }{
		{"hostname", f.Hostname}, {"serial", f.Serial}, {"vendor", f.Vendor}, {"model", f.Model}, {"power", f.Power},
	} {
		if m.v == "" {
			miss("%s", m.name)
		}
	}

	systems := append([]*system{h}, n.baseboards...)
	if !slices.ContainsFunc(systems, func(s *system) bool { return s.hasProcessors }) {
		miss("gpus")
	}
	for _, s := range systems {
		for _, p := range s.procs {
			if p.rf.ProcessorType != redfish.GPUProcessorType {
				continue
			}
			g := gpu(len(f.GPUs), p)
			f.GPUs = append(f.GPUs, g)
			for _, m := range []struct {
				name string
				ok   bool
			}{
				{"model", g.Model != ""}, {"serial", g.Serial != ""}, {"uuid", g.UUID != ""},
				{"memory_mib", g.MemoryMiB > 0}, {"pci_bus_id", false}, {"numa_node", false},
				{"health", g.Health != ""},
			} {
				if !m.ok {
					miss("gpus/%d/%s", g.Index, m.name)
				}
			}
		}
	}

	nics, err := w.nics(n)
	if err != nil {
		return model.NodeFacts{}, err
	}
	if nics == nil {
		miss("nics")
	}
	for _, nic := range nics {
		f.NICs = append(f.NICs, nic.NIC)
		f.Missing = append(f.Missing, nic.missing...)
	}
	return f, nil
}

func gpu(index int, proc *processor) model.GPUFacts {
	p := &proc.rf
	g := model.GPUFacts{GPU: model.GPU{
		Index:     index,
		Model:     text(p.Model),
		Serial:    text(p.SerialNumber),
		UUID:      uuid(p.UUID),
		MemoryMiB: count(proc.nav.MemorySummary.TotalMemorySizeMiB),
	}}
	switch p.Status.Health {
	case common.OKHealth:
		g.Health = model.GPUHealthy
	case common.WarningHealth:
		g.Health = model.GPUDegraded
	case common.CriticalHealth:
		g.Health = model.GPUFailed
	}
	return g
}

// count rounds a size or speed to an int; what is negative or absurd (more
// than 2^32) counts as not given.
func count(v float64) int {
	if v < 0 || v > 1<<32 {
		return 0
	}
	return int(math.Round(v))
}

// placeholders are what BMCs write where a field was never filled in.
var placeholders = []string{
	"n/a", "na", "none", "null", "unknown", "not available", "not specified",
	"to be filled by o.e.m.", "default string", "system serial number", "0123456789",
}

// text is the first of vs that says something.
func text(vs ...string) string {
	for _, v := range vs {
		v = strings.TrimSpace(v)
		if v != "" && !slices.Contains(placeholders, strings.ToLower(v)) {
			return v
		}
	}
	return ""
}

// uuid is a UUID as the service wrote it; the nil UUID means none.
func uuid(s string) string {
	s = text(s)
	if strings.Trim(s, "0-") == "" {
		return ""
	}
	return s
}

// power maps a PowerState to "on" or "off"; transitions are unknown.
func power(s redfish.PowerState) string {
	switch s {
	case redfish.OnPowerState, redfish.PausedPowerState:
		return "on"
	case redfish.OffPowerState:
		return "off"
	}
	return ""
}

// linkKind maps a Redfish link technology or protocol to a model.LinkKind.
func linkKind(vs ...string) model.LinkKind {
	for _, v := range vs {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "ethernet":
			return model.Ethernet
		case "infiniband":
			return model.InfiniBand
		}
	}
	return ""
}

// nic is a NIC and the facts about it that are missing.
type nic struct {
	model.NIC
	missing []string
}

// portDraft is a NIC port while its facts are gathered.
type portDraft struct {
	id      string
	uris    []string // the port's and its function's, for EthernetInterface links
	kind    model.LinkKind
	speed   int
	macs    []candidate // best first
	guids   []candidate
	hasFunc bool
	mac     string
	guid    string
}

// candidate is an identifier and the resource that gave it.
type candidate struct{ v, from string }

func candidates(from string, vs ...string) []candidate {
	var out []candidate
	for _, v := range vs {
		if v = text(v); v != "" {
			out = append(out, candidate{v, from})
		}
	}
	return out
}

// nics reads the NetworkAdapters of a node's chassis. It returns nil when
// no chassis has a NetworkAdapters collection.
func (w *walker) nics(n *node) ([]nic, error) {
	var withAdapters []*chassis
	for _, c := range n.chassis {
		if c.adapters != "" {
			withAdapters = append(withAdapters, c)
		}
	}
	if len(withAdapters) == 0 {
		return nil, nil
	}
	per := make([][]*adapter, len(withAdapters))
	err := w.each(len(withAdapters), func(i int) error {
		var err error
		per[i], err = w.adapters(withAdapters[i])
		return err
	})
	if err != nil {
		return nil, err
	}
	adapters := slices.Concat(per...)
	names := map[string]int{}
	for _, a := range adapters {
		names[name(a.uri)]++
	}

	drafts := make([][]*portDraft, len(adapters))
	var unresolved bool
	for i, a := range adapters {
		drafts[i] = portDrafts(a)
		for _, d := range drafts[i] {
			if err := d.resolve(); err != nil {
				return nil, err
			}
			unresolved = unresolved || d.needsMAC()
		}
	}
	// Ports that gave no MAC may be named by one of the host's
	// EthernetInterfaces; read those only when needed.
	if unresolved && n.host.nav.ifaces != "" {
		macs, err := w.ifaceMACs(n.host)
		if err != nil {
			return nil, err
		}
		for _, ds := range drafts {
			for _, d := range ds {
				if !d.needsMAC() {
					continue
				}
				for _, u := range d.uris {
					d.macs = append(d.macs, candidates(u, macs[u]...)...)
				}
				if err := d.resolve(); err != nil {
					return nil, err
				}
			}
		}
	}

	out := make([]nic, len(adapters))
	for i, a := range adapters {
		nicName := name(a.uri)
		if names[nicName] > 1 {
			nicName = name(a.chassis.uri) + "." + nicName
		}
		out[i] = build(nicName, a, drafts[i])
	}
	slices.SortStableFunc(out, func(a, b nic) int { return model.ComparePortNames(a.Name, b.Name) })
	return out, nil
}

// portDrafts gathers an adapter's ports: its Ports (or NetworkPorts), each
// with the first device function assigned to it; an adapter that lists only
// functions gets a port per function.
func portDrafts(a *adapter) []*portDraft {
	var ds []*portDraft
	byURI := map[string]*portDraft{}
	for _, p := range a.ports {
		d := &portDraft{
			id:    name(p.uri),
			uris:  []string{p.uri},
			kind:  linkKind(string(p.rf.LinkNetworkTechnology), string(p.rf.PortProtocol)),
			speed: count(float64(p.rf.CurrentSpeedGbps)),
			macs:  candidates(p.uri, p.rf.Ethernet.AssociatedMACAddresses...),
			guids: candidates(p.uri, p.rf.InfiniBand.AssociatedPortGUIDs...),
		}
		ds = append(ds, d)
		byURI[p.uri] = d
	}
	for _, p := range a.netPort {
		d := &portDraft{
			id:    name(p.uri),
			uris:  []string{p.uri},
			kind:  linkKind(string(p.rf.ActiveLinkTechnology)),
			speed: count(float64(p.rf.CurrentLinkSpeedMbps) / 1000),
			macs:  candidates(p.uri, p.rf.AssociatedNetworkAddresses...),
		}
		ds = append(ds, d)
		byURI[p.uri] = d
	}
	onlyFuncs := len(ds) == 0
	for _, f := range a.funcs {
		var d *portDraft
		switch {
		case onlyFuncs:
			d = &portDraft{id: name(f.uri)}
			ds = append(ds, d)
		case f.port != "":
			d = byURI[f.port]
		case len(ds) == 1:
			d = ds[0]
		}
		if d == nil || d.hasFunc {
			continue
		}
		d.hasFunc = true
		d.uris = append(d.uris, f.uri)
		d.macs = append(candidates(f.uri, f.rf.Ethernet.PermanentMACAddress, f.rf.Ethernet.MACAddress), d.macs...)
		d.guids = append(candidates(f.uri, f.rf.InfiniBand.PermanentPortGUID, f.rf.InfiniBand.PortGUID), d.guids...)
		if d.kind == "" {
			d.kind = linkKind(string(f.rf.NetDevFuncType))
		}
	}
	slices.SortStableFunc(ds, func(x, y *portDraft) int { return model.ComparePortNames(x.id, y.id) })
	return ds
}

// needsMAC reports a port that should have a MAC and has none.
func (d *portDraft) needsMAC() bool {
	return d.mac == "" && d.kind != model.InfiniBand && (d.kind == model.Ethernet || d.guid == "")
}

// resolve picks the port's MAC and GUID: the first candidate that is not
// all zeros. A candidate that is not a MAC (GUID) at all makes the
// document malformed.
func (d *portDraft) resolve() error {
	var err error
	if d.mac, err = pick(d.macs, model.ParseMAC); err != nil {
		return err
	}
	d.guid, err = pick(d.guids, model.ParseGUID)
	return err
}

func pick(cs []candidate, parse func(string) (string, error)) (string, error) {
	for _, c := range cs {
		v, err := parse(c.v)
		if err != nil {
			return "", malformed(c.from, "%v", err)
		}
		if strings.Trim(v, "0x:") != "" {
			return v, nil
		}
	}
	return "", nil
}

// build finishes a NIC from its adapter and port drafts.
func build(nicName string, a *adapter, ds []*portDraft) nic {
	n := nic{NIC: model.NIC{Name: nicName, Model: text(a.rf.Model)}}
	miss := func(format string, args ...any) {
		n.missing = append(n.missing, fmt.Sprintf("nics/%s/", nicName)+fmt.Sprintf(format, args...))
	}
	var kinds []model.LinkKind
	for _, d := range ds {
		if d.kind != "" && !slices.Contains(kinds, d.kind) {
			kinds = append(kinds, d.kind)
		}
	}
	if len(kinds) == 1 {
		n.Kind = kinds[0]
	}
	if n.Model == "" {
		miss("model")
	}
	if n.Kind == "" {
		miss("kind")
	}
	miss("pci_bus_id")
	if len(ds) == 0 {
		miss("ports")
	}
	for _, d := range ds {
		n.Ports = append(n.Ports, model.NICPort{Name: nicName + "/" + d.id, MAC: d.mac, GUID: d.guid, SpeedGbps: max(d.speed, 0)})
		switch {
		case d.kind == model.InfiniBand && d.guid == "":
			miss("ports/%s/guid", d.id)
		case d.kind == model.Ethernet && d.mac == "":
			miss("ports/%s/mac", d.id)
		case d.kind == "" && d.mac == "" && d.guid == "":
			miss("ports/%s/mac", d.id)
		}
		if d.speed <= 0 {
			miss("ports/%s/speed_gbps", d.id)
		}
	}
	return n
}
