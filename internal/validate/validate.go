// Package validate checks a fleet for the mistakes that inventories
// accumulate: names and identifiers given twice, references to records that
// do not exist, cables to ports that do not exist or that are already
// taken, compute NICs cabled to the wrong rail or the wrong leaf domain,
// and nodes that do not carry what their model says they carry.
//
// Fleet is pure: it reads the fleet, never changes it, and returns its
// findings, each with a stable code (the Code constants) that tools can
// filter on, an object naming the record (node/dgx-001/nic/ib3), and a
// message for a person. Errors are inconsistencies that make the inventory
// wrong; warnings are probable mistakes in the physical world (miscabling,
// a node with a missing GPU). Empty optional values (a node's state, a
// record's provenance) are not findings; decoders fill them in.
package validate

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"

	"github.com/railyard/railyard/internal/model"
)

// Finding codes.
const (
	// Errors.
	CodeMissingName         = "missing-name"          // a record with an empty name
	CodeDuplicateName       = "duplicate-name"        // two records of a kind share a name, or a node and a switch do
	CodeDuplicateSerial     = "duplicate-serial"      // two nodes, switches or GPUs share a serial
	CodeDuplicateMAC        = "duplicate-mac"         // two NIC ports share a MAC
	CodeDuplicateGUID       = "duplicate-guid"        // two NIC ports share an InfiniBand GUID
	CodeDuplicateGPUUUID    = "duplicate-gpu-uuid"    // two GPUs share a UUID
	CodeDuplicateGPUIndex   = "duplicate-gpu-index"   // a node lists two GPUs with one index
	CodeBadValue            = "bad-value"             // an unknown enum value or a negative number
	CodeBadIdentifier       = "bad-identifier"        // a MAC, GUID or PCI bus id that does not parse
	CodeUnknownSite         = "unknown-site"          // a fabric in a site that does not exist
	CodeUnknownPod          = "unknown-pod"           // a switch in a pod that does not exist
	CodeUnknownLeafDomain   = "unknown-leaf-domain"   // a switch serving a leaf domain that does not exist
	CodeUnknownRack         = "unknown-rack"          // a node, switch or NVLink domain in a rack that does not exist
	CodeUnknownFabric       = "unknown-fabric"        // a switch or NIC in a fabric that does not exist
	CodeUnknownNVLinkDomain = "unknown-nvlink-domain" // a GPU in an NVLink domain that does not exist
	CodeLinkToMissingPort   = "link-to-missing-port"  // a cable to a device or port that does not exist
	CodeLinkToSelf          = "link-to-self"          // a cable from a port to itself
	CodePortInTwoLinks      = "port-in-two-links"     // a port with two cables

	// Warnings.
	CodeNonCanonicalID       = "noncanonical-identifier" // a MAC, GUID or PCI id not in canonical form
	CodeWrongRail            = "wrong-rail"              // a compute NIC cabled to a leaf of another rail
	CodeWrongLeafDomain      = "wrong-leaf-domain"       // a compute NIC cabled to a leaf of another leaf domain
	CodeWrongFabric          = "wrong-fabric"            // a NIC cabled to a switch of another fabric
	CodeGPUCountMismatch     = "gpu-count-mismatch"      // a node whose GPU count differs from its model's
	CodeGPUModelMismatch     = "gpu-model-mismatch"      // a node whose GPUs are not its model's
	CodeNVLinkDomainOverfull = "nvlink-domain-overfull"  // an NVLink domain with more GPUs than its size
)

// HasErrors reports whether findings holds an error.
func HasErrors(findings []model.Finding) bool {
	return slices.ContainsFunc(findings, func(f model.Finding) bool { return f.Severity == model.SeverityError })
}

// Fleet checks f and returns its findings sorted by severity (errors
// first), code and object. A nil fleet has none.
func Fleet(f *model.Fleet) []model.Finding {
	if f == nil {
		return nil
	}
	c := &checker{
		f:        f,
		sites:    map[string]bool{},
		pods:     map[string]bool{},
		lds:      map[string]bool{},
		rackLD:   map[string]string{},
		fabrics:  map[string]bool{},
		domains:  map[string]*model.NVLinkDomain{},
		switches: map[string]*model.Switch{},
		nodes:    map[string]*model.Node{},
		swPorts:  map[model.Endpoint]bool{},
		goodPCI:  map[string]bool{},
	}
	c.topology()
	c.checkFabrics()
	c.checkDomains()
	c.checkSwitches()
	c.checkNodes()
	c.checkLinks()
	c.names(model.KindTenant, len(f.Tenants), func(i int) string { return f.Tenants[i].Name })
	slices.SortFunc(c.out, compareFindings)
	return c.out
}

var severityRank = map[model.Severity]int{model.SeverityError: 0, model.SeverityWarning: 1, model.SeverityInfo: 2}

func compareFindings(a, b model.Finding) int {
	ra, oka := severityRank[a.Severity]
	rb, okb := severityRank[b.Severity]
	if !oka {
		ra = len(severityRank)
	}
	if !okb {
		rb = len(severityRank)
	}
	return cmp.Or(
		cmp.Compare(ra, rb),
		cmp.Compare(a.Code, b.Code),
		cmp.Compare(a.Object, b.Object),
		cmp.Compare(a.Message, b.Message),
	)
}

// nodePort is a NIC port of a node.
type nodePort struct {
	node *model.Node
	nic  *model.NIC
}

type checker struct {
	f   *model.Fleet
	out []model.Finding

	sites     map[string]bool
	pods      map[string]bool
	lds       map[string]bool
	rackLD    map[string]string // rack -> its leaf domain
	fabrics   map[string]bool
	domains   map[string]*model.NVLinkDomain
	switches  map[string]*model.Switch
	nodes     map[string]*model.Node
	swPorts   map[model.Endpoint]bool
	nodePorts map[model.Endpoint]nodePort
	goodPCI   map[string]bool // canonical PCI bus ids seen
}

func (c *checker) add(sev model.Severity, code, object, format string, args ...any) {
	c.out = append(c.out, model.Finding{Severity: sev, Code: code, Object: object, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) errorf(code, object, format string, args ...any) {
	c.add(model.SeverityError, code, object, format, args...)
}

func (c *checker) warnf(code, object, format string, args ...any) {
	c.add(model.SeverityWarning, code, object, format, args...)
}

// object names a record: kind/name, or kind/#i for a record with no name.
func object(kind, name string, i int) string {
	if name == "" {
		return kind + "/#" + strconv.Itoa(i)
	}
	return kind + "/" + name
}

// words are the kinds as a person says them.
var words = map[string]string{
	model.KindSite:         "site",
	model.KindPod:          "pod",
	model.KindLeafDomain:   "leaf domain",
	model.KindRack:         "rack",
	model.KindFabric:       "fabric",
	model.KindNVLinkDomain: "NVLink domain",
	model.KindSwitch:       "switch",
	model.KindNode:         "node",
	model.KindTenant:       "tenant",
}

// names checks the names of n records of a kind: present and unique. It
// returns the index of the first record of each name.
func (c *checker) names(kind string, n int, name func(i int) string) map[string]int {
	first := make(map[string]int, n)
	for i := range n {
		nm := name(i)
		if nm == "" {
			c.errorf(CodeMissingName, object(kind, "", i), "%s #%d has no name", words[kind], i+1)
			continue
		}
		if _, dup := first[nm]; dup {
			c.errorf(CodeDuplicateName, object(kind, nm, i), "more than one %s is named %s", words[kind], nm)
			continue
		}
		first[nm] = i
	}
	return first
}

// topology indexes sites, pods, leaf domains and racks.
func (c *checker) topology() {
	type rec struct{ name, parent string }
	var pods, lds, racks []rec
	for _, s := range c.f.Sites {
		for _, p := range s.Pods {
			pods = append(pods, rec{p.Name, s.Name})
			for _, ld := range p.LeafDomains {
				lds = append(lds, rec{ld.Name, p.Name})
				for _, r := range ld.Racks {
					racks = append(racks, rec{r.Name, ld.Name})
				}
			}
		}
	}
	for name := range c.names(model.KindSite, len(c.f.Sites), func(i int) string { return c.f.Sites[i].Name }) {
		c.sites[name] = true
	}
	for name := range c.names(model.KindPod, len(pods), func(i int) string { return pods[i].name }) {
		c.pods[name] = true
	}
	for name := range c.names(model.KindLeafDomain, len(lds), func(i int) string { return lds[i].name }) {
		c.lds[name] = true
	}
	for name, i := range c.names(model.KindRack, len(racks), func(i int) string { return racks[i].name }) {
		c.rackLD[name] = racks[i].parent
	}
}

func (c *checker) checkFabrics() {
	fs := c.f.Fabrics
	for name := range c.names(model.KindFabric, len(fs), func(i int) string { return fs[i].Name }) {
		c.fabrics[name] = true
	}
	for i, fab := range fs {
		obj := object(model.KindFabric, fab.Name, i)
		if !c.sites[fab.Site] {
			c.errorf(CodeUnknownSite, obj, "fabric %s is in site %q, which does not exist", fab.Name, fab.Site)
		}
		enum(c, obj, "fabric "+fab.Name, "kind", fab.Kind, true)
		enum(c, obj, "fabric "+fab.Name, "role", fab.Role, true)
	}
}

func (c *checker) checkDomains() {
	ds := c.f.NVLinkDomains
	for name, i := range c.names(model.KindNVLinkDomain, len(ds), func(i int) string { return ds[i].Name }) {
		c.domains[name] = &ds[i]
	}
	for i, d := range ds {
		obj := object(model.KindNVLinkDomain, d.Name, i)
		if d.Rack != "" {
			c.rack(obj, "NVLink domain "+d.Name, d.Rack)
		}
		if d.Size <= 0 {
			c.errorf(CodeBadValue, obj, "NVLink domain %s has size %d; want a positive number of GPUs", d.Name, d.Size)
		}
	}
}

// rack reports a reference to an unknown rack.
func (c *checker) rack(obj, who, rack string) {
	if _, ok := c.rackLD[rack]; !ok {
		c.errorf(CodeUnknownRack, obj, "%s is in rack %q, which does not exist", who, rack)
	}
}

// enum reports an invalid enum value of who; an empty one only if required.
func enum[E interface {
	~string
	Valid() bool
}](c *checker, obj, who, what string, v E, required bool) {
	if v.Valid() || (v == "" && !required) {
		return
	}
	if v == "" {
		c.errorf(CodeBadValue, obj, "%s has no %s", who, what)
		return
	}
	c.errorf(CodeBadValue, obj, "%s has %s %q, which Railyard does not know", who, what, string(v))
}

// negative reports a negative number.
func (c *checker) negative(obj, who, what string, v int) {
	if v < 0 {
		c.errorf(CodeBadValue, obj, "%s has %s %d; it cannot be negative", who, what, v)
	}
}

// serials finds duplicate serials within one kind of record.
type serials map[string]string // serial -> who

func (s serials) check(c *checker, obj, who, serial string) {
	if serial == "" {
		return
	}
	if first, dup := s[serial]; dup {
		c.errorf(CodeDuplicateSerial, obj, "%s has serial %s, as does %s", who, serial, first)
		return
	}
	s[serial] = who
}

func (c *checker) checkSwitches() {
	ss := c.f.Switches
	ports := 0
	for i := range ss {
		ports += len(ss[i].Ports)
	}
	c.swPorts = make(map[model.Endpoint]bool, ports)
	for name, i := range c.names(model.KindSwitch, len(ss), func(i int) string { return ss[i].Name }) {
		c.switches[name] = &ss[i]
	}
	sers := serials{}
	for i := range ss {
		s := &ss[i]
		obj := object(model.KindSwitch, s.Name, i)
		enum(c, obj, "switch "+s.Name, "role", s.Role, true)
		enum(c, obj, "switch "+s.Name, "provenance", s.Provenance, false)
		switch {
		case s.Fabric == "":
			c.errorf(CodeUnknownFabric, obj, "switch %s has no fabric", s.Name)
		case !c.fabrics[s.Fabric]:
			c.errorf(CodeUnknownFabric, obj, "switch %s is in fabric %q, which does not exist", s.Name, s.Fabric)
		}
		if s.Rack != "" {
			c.rack(obj, "switch "+s.Name, s.Rack)
		}
		if s.LeafDomain != "" && !c.lds[s.LeafDomain] {
			c.errorf(CodeUnknownLeafDomain, obj, "switch %s serves leaf domain %q, which does not exist", s.Name, s.LeafDomain)
		}
		if s.Pod != "" && !c.pods[s.Pod] {
			c.errorf(CodeUnknownPod, obj, "switch %s is in pod %q, which does not exist", s.Name, s.Pod)
		}
		c.negative(obj, "switch "+s.Name, "rail", s.Rail)
		sers.check(c, obj, "switch "+s.Name, s.Serial)
		// The switch that owns its name registers its ports in c.swPorts;
		// others (duplicates, unnamed) are checked on their own.
		ports := c.swPorts
		if s.Name == "" || c.switches[s.Name] != s {
			ports = map[model.Endpoint]bool{}
		}
		for j, p := range s.Ports {
			pobj := func() string { return obj + "/" + object("port", p.Name, j) }
			if p.Name == "" {
				c.errorf(CodeMissingName, pobj(), "port #%d of switch %s has no name", j+1, s.Name)
				continue
			}
			e := model.Endpoint{Device: s.Name, Port: p.Name}
			if ports[e] {
				c.errorf(CodeDuplicateName, pobj(), "switch %s has more than one port named %s", s.Name, p.Name)
				continue
			}
			ports[e] = true
			if p.SpeedGbps < 0 {
				c.negative(pobj(), "switch "+s.Name+" port "+p.Name, "speed", p.SpeedGbps)
			}
		}
	}
}

// ident checks an identifier: it must parse, and should be canonical. It
// returns the canonical form, or "" if it does not parse. obj and who name
// the record, for findings.
func (c *checker) ident(obj, who func() string, what, v string, parse func(string) (string, error)) string {
	if v == "" {
		return ""
	}
	canon, err := parse(v)
	if err != nil {
		c.errorf(CodeBadIdentifier, obj(), "%s has a bad %s: %v", who(), what, err)
		return ""
	}
	if canon != v {
		c.warnf(CodeNonCanonicalID, obj(), "%s has %s %s, which is written %s in canonical form", who(), what, v, canon)
	}
	return canon
}

// pciID checks a PCI bus id. Fleets repeat the same few, so results are
// remembered.
func (c *checker) pciID(obj, who func() string, v string) {
	if v == "" {
		return
	}
	if c.goodPCI[v] {
		return
	}
	if c.ident(obj, who, "PCI bus id", v, model.ParsePCIBusID) == v {
		c.goodPCI[v] = true
	}
}

func (c *checker) checkNodes() {
	ns := c.f.Nodes
	ports := 0
	for i := range ns {
		for j := range ns[i].NICs {
			ports += len(ns[i].NICs[j].Ports)
		}
	}
	c.nodePorts = make(map[model.Endpoint]nodePort, ports)
	for name, i := range c.names(model.KindNode, len(ns), func(i int) string { return ns[i].Hostname }) {
		c.nodes[name] = &ns[i]
		if _, clash := c.switches[name]; clash {
			c.errorf(CodeDuplicateName, object(model.KindNode, name, i), "node %s has the name of a switch; cables to it are ambiguous", name)
		}
	}
	nodeSerials := serials{}
	gpuSerials := map[string]gpuRef{}
	uuids := map[string]gpuRef{}
	macs := make(map[string]portRef, ports)
	guids := make(map[string]portRef, ports)
	inDomain := map[string]int{}
	var nicNames, portNames []string // per node; nodes have few
	var indexes []int
	for i := range ns {
		n := &ns[i]
		first := c.nodes[n.Hostname] == n // the node that owns the name
		obj := object(model.KindNode, n.Hostname, i)
		switch {
		case n.Rack == "":
			c.errorf(CodeUnknownRack, obj, "node %s has no rack", n.Hostname)
		default:
			c.rack(obj, "node "+n.Hostname, n.Rack)
		}
		enum(c, obj, "node "+n.Hostname, "state", n.State, false)
		enum(c, obj, "node "+n.Hostname, "provenance", n.Provenance, false)
		nodeSerials.check(c, obj, "node "+n.Hostname, n.Serial)

		indexes = indexes[:0]
		for j := range n.GPUs {
			g := &n.GPUs[j]
			ref := gpuRef{n.Hostname, g.Index}
			if slices.Contains(indexes, g.Index) {
				c.errorf(CodeDuplicateGPUIndex, ref.object(), "%s lists more than one GPU %d", n.Hostname, g.Index)
			}
			indexes = append(indexes, g.Index)
			if g.Index < 0 || g.MemoryMiB < 0 || (g.Health != "" && !g.Health.Valid()) {
				c.negative(ref.object(), ref.String(), "index", g.Index)
				c.negative(ref.object(), ref.String(), "memory", g.MemoryMiB)
				enum(c, ref.object(), ref.String(), "health", g.Health, false)
			}
			if g.Serial != "" {
				if prev, dup := gpuSerials[g.Serial]; dup {
					c.errorf(CodeDuplicateSerial, ref.object(), "%s has serial %s, as does %s", ref, g.Serial, prev)
				} else {
					gpuSerials[g.Serial] = ref
				}
			}
			if g.UUID != "" {
				if prev, dup := uuids[g.UUID]; dup {
					c.errorf(CodeDuplicateGPUUUID, ref.object(), "%s has UUID %s, as does %s", ref, g.UUID, prev)
				} else {
					uuids[g.UUID] = ref
				}
			}
			c.pciID(ref.object, ref.String, g.PCIBusID)
			if g.NVLinkDomain != "" {
				if _, ok := c.domains[g.NVLinkDomain]; !ok {
					c.errorf(CodeUnknownNVLinkDomain, ref.object(), "%s is in NVLink domain %q, which does not exist", ref, g.NVLinkDomain)
				} else {
					inDomain[g.NVLinkDomain]++
				}
			}
		}
		c.checkNodeModel(obj, n)

		nicNames, portNames = nicNames[:0], portNames[:0]
		for j := range n.NICs {
			nic := &n.NICs[j]
			nref := portRef{host: n.Hostname, nic: nic.Name, nicIndex: j, index: -1}
			switch {
			case nic.Name == "":
				c.errorf(CodeMissingName, nref.object(), "NIC #%d of %s has no name", j+1, n.Hostname)
			case slices.Contains(nicNames, nic.Name):
				c.errorf(CodeDuplicateName, nref.object(), "%s has more than one NIC named %s", n.Hostname, nic.Name)
			}
			nicNames = append(nicNames, nic.Name)
			if !nic.Kind.Valid() || !nic.Role.Valid() || nic.Rail < 0 {
				enum(c, nref.object(), nref.String(), "kind", nic.Kind, true)
				enum(c, nref.object(), nref.String(), "role", nic.Role, true)
				c.negative(nref.object(), nref.String(), "rail", nic.Rail)
			}
			if nic.Fabric != "" && !c.fabrics[nic.Fabric] {
				c.errorf(CodeUnknownFabric, nref.object(), "%s is in fabric %q, which does not exist", nref, nic.Fabric)
			}
			c.pciID(nref.object, nref.String, nic.PCIBusID)
			for k := range nic.Ports {
				p := &nic.Ports[k]
				pref := nref
				pref.port, pref.index = p.Name, k
				switch {
				case p.Name == "":
					c.errorf(CodeMissingName, pref.object(), "port #%d of %s has no name", k+1, nref)
				case slices.Contains(portNames, p.Name):
					c.errorf(CodeDuplicateName, pref.object(), "%s has more than one port named %s", n.Hostname, p.Name)
				default:
					portNames = append(portNames, p.Name)
					if first && n.Hostname != "" {
						c.nodePorts[model.Endpoint{Device: n.Hostname, Port: p.Name}] = nodePort{node: n, nic: nic}
					}
				}
				if p.SpeedGbps < 0 {
					c.negative(pref.object(), pref.String(), "speed", p.SpeedGbps)
				}
				if mac := c.ident(pref.object, pref.String, "MAC", p.MAC, model.ParseMAC); mac != "" {
					if prev, dup := macs[mac]; dup {
						c.errorf(CodeDuplicateMAC, pref.object(), "%s has MAC %s, as does %s", pref, mac, prev)
					} else {
						macs[mac] = pref
					}
				}
				if guid := c.ident(pref.object, pref.String, "GUID", p.GUID, model.ParseGUID); guid != "" {
					if prev, dup := guids[guid]; dup {
						c.errorf(CodeDuplicateGUID, pref.object(), "%s has GUID %s, as does %s", pref, guid, prev)
					} else {
						guids[guid] = pref
					}
				}
			}
		}
	}
	for name, count := range inDomain {
		d := c.domains[name]
		if d.Size > 0 && count > d.Size {
			c.warnf(CodeNVLinkDomainOverfull, object(model.KindNVLinkDomain, name, 0),
				"NVLink domain %s holds %d GPUs but has room for %d", name, count, d.Size)
		}
	}
}

// gpuRef names a GPU; its strings are built only for findings.
type gpuRef struct {
	host  string
	index int
}

func (r gpuRef) String() string { return fmt.Sprintf("GPU %d of %s", r.index, r.host) }
func (r gpuRef) object() string { return "node/" + r.host + "/gpu/" + strconv.Itoa(r.index) }

// portRef names a NIC (index < 0) or a NIC port.
type portRef struct {
	host, nic, port string
	nicIndex, index int
}

func (r portRef) String() string {
	if r.index < 0 {
		return r.host + " NIC " + r.nic
	}
	return r.host + " port " + r.port
}

func (r portRef) object() string {
	o := "node/" + r.host + "/" + object("nic", r.nic, r.nicIndex)
	if r.index >= 0 {
		o += "/" + object("port", r.port, r.index)
	}
	return o
}

// checkNodeModel compares a node's GPUs with its model's catalogue entry.
func (c *checker) checkNodeModel(obj string, n *model.Node) {
	nm, ok := model.NodeModels[n.Model]
	if !ok {
		return
	}
	if len(n.GPUs) != nm.GPUs {
		c.warnf(CodeGPUCountMismatch, obj, "%s is a %s, which has %d GPUs, but lists %d", n.Hostname, n.Model, nm.GPUs, len(n.GPUs))
	}
	for _, g := range n.GPUs {
		if g.Model != nm.GPUModel {
			c.warnf(CodeGPUModelMismatch, obj, "%s is a %s, which carries %s GPUs, but GPU %d is a %q", n.Hostname, n.Model, nm.GPUModel, g.Index, g.Model)
			return
		}
	}
}

// portObject names the record of a cable endpoint.
func (c *checker) portObject(e model.Endpoint) string {
	if np, ok := c.nodePorts[e]; ok {
		return "node/" + e.Device + "/nic/" + np.nic.Name + "/port/" + e.Port
	}
	if c.swPorts[e] {
		return "switch/" + e.Device + "/port/" + e.Port
	}
	return "port/" + e.String()
}

func (c *checker) checkLinks() {
	cabled := make(map[model.Endpoint]model.Endpoint, 2*len(c.f.Links)) // port -> the other end of its first cable
	for i, l := range c.f.Links {
		if l.Provenance != "" && !l.Provenance.Valid() {
			enum(c, "link/"+l.Key(), "cable "+l.Key(), "provenance", l.Provenance, false)
		}
		if l.A == l.B {
			c.errorf(CodeLinkToSelf, "link/"+l.Key(), "cable #%d joins %s to itself", i+1, l.A)
			continue
		}
		if prev, taken := cabled[l.A]; taken && prev == l.B {
			c.errorf(CodePortInTwoLinks, "link/"+l.Key(), "the cable %s is declared twice", l.Key())
			continue
		}
		ok := c.endpoint(l, l.A)
		ok = c.endpoint(l, l.B) && ok
		for _, ends := range [2][2]model.Endpoint{{l.A, l.B}, {l.B, l.A}} {
			e, other := ends[0], ends[1]
			if prev, taken := cabled[e]; taken {
				c.errorf(CodePortInTwoLinks, c.portObject(e), "%s is cabled to both %s and %s", e, prev, other)
				continue
			}
			cabled[e] = other
		}
		if ok {
			c.checkCabling(l.A, l.B)
			c.checkCabling(l.B, l.A)
		}
	}
}

// endpoint checks that a cable end names a port that exists.
func (c *checker) endpoint(l model.Link, e model.Endpoint) bool {
	obj := func() string { return "link/" + l.Key() }
	if e.Device == "" || e.Port == "" {
		c.errorf(CodeLinkToMissingPort, obj(), "cable end %q names no device or no port", e.String())
		return false
	}
	if c.nodePorts[e].nic != nil || c.swPorts[e] {
		return true
	}
	_, isNode := c.nodes[e.Device]
	_, isSwitch := c.switches[e.Device]
	if !isNode && !isSwitch {
		c.errorf(CodeLinkToMissingPort, obj(), "cable end %s is on %s, which is neither a node nor a switch", e, e.Device)
	} else {
		c.errorf(CodeLinkToMissingPort, obj(), "cable end %s is on port %s, which %s does not have", e, e.Port, e.Device)
	}
	return false
}

// checkCabling checks the cable from node port e to switch port sw, if e is
// a node port and sw a switch port.
func (c *checker) checkCabling(e, swEnd model.Endpoint) {
	np, ok := c.nodePorts[e]
	s := c.switches[swEnd.Device]
	if !ok || s == nil || !c.swPorts[swEnd] {
		return
	}
	if _, clash := c.switches[e.Device]; clash {
		return // reported as a duplicate name
	}
	n, nic := np.node, np.nic
	obj := "node/" + n.Hostname + "/nic/" + nic.Name
	if nic.Fabric != "" && s.Fabric != "" && nic.Fabric != s.Fabric {
		c.warnf(CodeWrongFabric, obj, "%s nic %s is in fabric %s but is cabled to %s of fabric %s port %s",
			n.Hostname, nic.Name, nic.Fabric, s.Name, s.Fabric, swEnd.Port)
	}
	if nic.Role != model.RoleCompute || s.Role != model.SwitchLeaf {
		return
	}
	if nic.Rail > 0 && s.Rail > 0 && nic.Rail != s.Rail {
		c.warnf(CodeWrongRail, obj, "%s nic %s (rail %d) is cabled to %s (rail %d) port %s",
			n.Hostname, nic.Name, nic.Rail, s.Name, s.Rail, swEnd.Port)
	}
	if ld, ok := c.rackLD[n.Rack]; ok && s.LeafDomain != "" && s.LeafDomain != ld {
		c.warnf(CodeWrongLeafDomain, obj, "%s nic %s is cabled to %s (leaf domain %s) port %s, but rack %s is in leaf domain %s",
			n.Hostname, nic.Name, s.Name, s.LeafDomain, swEnd.Port, n.Rack, ld)
	}
}
