package fleetfile

import (
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/railyard/railyard/internal/model"
)

// Node columns of the CSV form, in the order EncodeCSV writes them.
var nodeColumns = []string{
	"site", "pod", "leaf_domain", "rack", "hostname", "serial", "vendor", "model",
	"bmc_address", "bmc_credential_ref", "state", "gpu_model", "gpu_count", "gpu_memory_mib",
}

// Per-port columns: nicN_name, nicN_kind, ... for N = 0, 1, 2, ...
var portColumns = []string{
	"name", "kind", "role", "rail", "fabric", "port", "mac", "guid", "speed_gbps", "switch", "switch_port",
}

// Indexes into portColumns.
const (
	pcName = iota
	pcKind
	pcRole
	pcRail
	pcFabric
	pcPort
	pcMAC
	pcGUID
	pcSpeed
	pcSwitch
	pcSwitchPort
	numPortColumns
)

// maxGPUsPerNode bounds gpu_count.
const maxGPUsPerNode = 256

// CSV defaults.
const (
	DefaultSite = "default"
)

var portColumnRE = regexp.MustCompile(`^nic(\d{1,4})_([a-z_]+)$`)

// DecodeCSV reads a fleet from the spreadsheet form: a header row, then one
// row per node. filename is used in error messages only; lines are
// counted from the header, which is line 1.
//
// Columns may come in any order and all but hostname and rack may be left
// out; an unknown column is an error. Node columns:
//
//	site, pod, leaf_domain, rack, hostname, serial, vendor, model,
//	bmc_address, bmc_credential_ref, state, gpu_model, gpu_count, gpu_memory_mib
//
// then, for each NIC port, a group of columns numbered N = 0, 1, 2, ...:
//
//	nicN_name, nicN_kind, nicN_role, nicN_rail, nicN_fabric, nicN_port,
//	nicN_mac, nicN_guid, nicN_speed_gbps, nicN_switch, nicN_switch_port
//
// A group whose cells are all empty is skipped. Defaults and derived
// records:
//
//   - site is "default", pod "<site>-pod1", leaf_domain "<site>-ld1", state
//     "available". Sites, pods, leaf domains and racks are created from the
//     rows; a rack (leaf domain, pod) that two rows place differently is an
//     error.
//   - gpu_count, gpu_model and gpu_memory_mib default from the node model's
//     entry in model.NodeModels, if it has one. The node gets gpu_count
//     GPUs, indexed from 0, health "healthy", on NUMA node index*2/count
//     (two sockets). Their NVLink domain is "<rack>-nvl" (size 72) for
//     models with 72-GPU domains (NVL72) and "<hostname>-nvl" otherwise; the
//     domains are created.
//   - A group is one NIC port. It needs a port name, a MAC or a GUID. The
//     port name defaults to the NIC name, then to "nicN"; the NIC name
//     defaults to the port name. Groups with the same NIC name are ports of
//     one NIC and must agree on kind, role, rail and fabric. kind defaults
//     to infiniband if a port has a GUID, else ethernet if it has a MAC;
//     role defaults to compute for InfiniBand and is required for Ethernet.
//   - nicN_switch and nicN_switch_port name the switch port the NIC port is
//     cabled to; they come together. The switch is created: a leaf, in
//     fabric nicN_fabric or else "<site>-<role>", on the NIC's rail, with
//     the named ports (speed from the NIC port), in the leaf domain and pod
//     of the nodes cabled to it if they all agree. A switch that two rows
//     put on different rails or fabrics is an error. The NIC's fabric
//     is the switch's; a cable (provenance declared) joins the two ports.
//   - Fabrics named by NICs are created with the NIC's kind and role in the
//     node's site.
func DecodeCSV(r io.Reader, filename string) (*model.Fleet, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	d := &csvDecoder{
		file:     filename,
		sites:    map[string]*placed{},
		pods:     map[string]*placed{},
		lds:      map[string]*placed{},
		racks:    map[string]*placed{},
		hosts:    map[string]int{},
		domains:  map[string]*domainDecl{},
		fabrics:  map[string]*fabricDecl{},
		switches: map[string]*switchDecl{},
	}
	header, err := cr.Read()
	if err == io.EOF {
		return nil, &Error{File: filename, Line: 1, Err: fmt.Errorf("%w: empty file, want a header row", ErrMissing)}
	}
	if err != nil {
		return nil, d.readError(err)
	}
	if err := d.header(header); err != nil {
		return nil, err
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, d.readError(err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(d.cols) {
			return nil, &Error{File: filename, Line: line, Err: fmt.Errorf("%w: got %d, want %d", csv.ErrFieldCount, len(rec), len(d.cols))}
		}
		row := csvRow{d: d, rec: rec, line: line}
		row.fieldLine = func(i int) int { l, _ := cr.FieldPos(i); return l }
		if err := d.row(&row); err != nil {
			return nil, err
		}
	}
	if err := d.finish(); err != nil {
		return nil, err
	}
	complete(&d.f)
	return &d.f, nil
}

// placed is a site, pod, leaf domain or rack, with its parent and the line
// that first named it.
type placed struct {
	parent string
	line   int
}

type domainDecl struct {
	model.NVLinkDomain
	line int
}

type fabricDecl struct {
	model.Fabric
	line int
}

type switchDecl struct {
	model.Switch
	line   int
	column string
	ports  map[string]int // port name -> speed
	lds    map[string]bool
	pods   map[string]bool
}

type csvDecoder struct {
	file   string
	cols   []string // column names, by index
	node   map[string]int
	groups []csvGroup // sorted by N

	f        model.Fleet
	sites    map[string]*placed
	pods     map[string]*placed
	lds      map[string]*placed
	racks    map[string]*placed
	hosts    map[string]int // hostname -> line
	domains  map[string]*domainDecl
	fabrics  map[string]*fabricDecl
	switches map[string]*switchDecl
}

// csvGroup is the columns of one NIC port group; -1 for absent columns.
type csvGroup struct {
	n   int
	col [numPortColumns]int
}

func (d *csvDecoder) readError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &Error{File: d.file, Line: pe.Line, Err: fmt.Errorf("%w: %v", ErrSyntax, pe.Err)}
	}
	return fmt.Errorf("reading %s: %w", d.file, err)
}

func (d *csvDecoder) header(rec []string) error {
	d.cols = make([]string, len(rec))
	d.node = map[string]int{}
	groups := map[int]*csvGroup{}
	seen := map[string]bool{}
	for i, name := range rec {
		if i == 0 {
			name = strings.TrimPrefix(name, "\ufeff") // Excel's byte order mark
		}
		name = strings.ToLower(strings.TrimSpace(name))
		d.cols[i] = name
		if name == "" {
			return &Error{File: d.file, Line: 1, Err: fmt.Errorf("%w: column %d has no name", ErrMissing, i+1)}
		}
		key := name
		if slices.Contains(nodeColumns, name) {
			d.node[name] = i
		} else if m := portColumnRE.FindStringSubmatch(name); m != nil && slices.Contains(portColumns, m[2]) {
			n, _ := strconv.Atoi(m[1])
			g := groups[n]
			if g == nil {
				g = &csvGroup{n: n}
				for j := range g.col {
					g.col[j] = -1
				}
				groups[n] = g
			}
			k := slices.Index(portColumns, m[2])
			key = fmt.Sprintf("nic%d_%s", n, m[2])
			g.col[k] = i
		} else {
			return &Error{File: d.file, Line: 1, Field: name, Err: fmt.Errorf("%w (want %s, or nicN_ followed by %s)",
				ErrUnknownField, strings.Join(nodeColumns, ", "), strings.Join(portColumns, ", "))}
		}
		if seen[key] {
			return &Error{File: d.file, Line: 1, Field: name, Err: fmt.Errorf("%w column", ErrDuplicate)}
		}
		seen[key] = true
	}
	for _, c := range []string{"hostname", "rack"} {
		if _, ok := d.node[c]; !ok {
			return &Error{File: d.file, Line: 1, Field: c, Err: fmt.Errorf("%w: the header has no %s column", ErrMissing, c)}
		}
	}
	for _, g := range groups {
		d.groups = append(d.groups, *g)
	}
	slices.SortFunc(d.groups, func(a, b csvGroup) int { return cmp.Compare(a.n, b.n) })
	return nil
}

type csvRow struct {
	d         *csvDecoder
	rec       []string
	line      int
	fieldLine func(int) int
}

// get returns the trimmed cell of the named node column.
func (r *csvRow) get(name string) string {
	i, ok := r.d.node[name]
	if !ok {
		return ""
	}
	return strings.TrimSpace(r.rec[i])
}

// cell returns the trimmed cell at column index i (-1: absent).
func (r *csvRow) cell(i int) string {
	if i < 0 {
		return ""
	}
	return strings.TrimSpace(r.rec[i])
}

// errorf returns an error about column col of the row.
func (r *csvRow) errorf(col string, format string, args ...any) error {
	line := r.line
	if i := slices.Index(r.d.cols, col); i >= 0 {
		line = r.fieldLine(i)
	}
	return &Error{File: r.d.file, Line: line, Field: col, Err: fmt.Errorf(format, args...)}
}

// number parses the integer in column col; empty is def.
func (r *csvRow) number(col, s string, def, max int) (int, error) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, r.errorf(col, "%w: %q is not a whole number", ErrBadValue, s)
	}
	if n < 0 || n > max {
		return 0, r.errorf(col, "%w: %d is out of range 0 to %d", ErrBadValue, n, max)
	}
	return n, nil
}

func (r *csvRow) empty() bool {
	for _, c := range r.rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// place records that name (a site, pod, leaf domain or rack, per kind) is
// in parent, checking that earlier rows agree.
func (d *csvDecoder) place(r *csvRow, m map[string]*placed, col, kind, name, parentKind, parent string) error {
	p, ok := m[name]
	if !ok {
		m[name] = &placed{parent: parent, line: r.line}
		return nil
	}
	if p.parent != parent {
		return r.errorf(col, "%w: %s %s is in %s %s (line %d), not %s", ErrConflict, kind, name, parentKind, p.parent, p.line, parent)
	}
	return nil
}

func (d *csvDecoder) row(r *csvRow) error {
	if r.empty() {
		return nil
	}
	host := r.get("hostname")
	if host == "" {
		return r.errorf("hostname", "%w: every row needs a hostname", ErrMissing)
	}
	if first, dup := d.hosts[host]; dup {
		return r.errorf("hostname", "%w hostname %s (first on line %d)", ErrDuplicate, host, first)
	}
	d.hosts[host] = r.line
	rack := r.get("rack")
	if rack == "" {
		return r.errorf("rack", "%w: %s has no rack", ErrMissing, host)
	}
	site := cmp.Or(r.get("site"), DefaultSite)
	pod := cmp.Or(r.get("pod"), site+"-pod1")
	ld := cmp.Or(r.get("leaf_domain"), site+"-ld1")
	if err := d.place(r, d.sites, "site", "site", site, "", ""); err != nil {
		return err
	}
	if err := d.place(r, d.pods, "pod", "pod", pod, "site", site); err != nil {
		return err
	}
	if err := d.place(r, d.lds, "leaf_domain", "leaf domain", ld, "pod", pod); err != nil {
		return err
	}
	if err := d.place(r, d.racks, "rack", "rack", rack, "leaf domain", ld); err != nil {
		return err
	}

	n := model.Node{
		Hostname:   host,
		Rack:       rack,
		Serial:     r.get("serial"),
		Vendor:     r.get("vendor"),
		Model:      r.get("model"),
		BMC:        model.BMC{Address: r.get("bmc_address"), CredentialRef: r.get("bmc_credential_ref")},
		State:      model.NodeState(cmp.Or(r.get("state"), string(model.NodeAvailable))),
		Provenance: model.Declared,
	}
	if err := checkEnum(n.State); err != nil {
		return r.errorf("state", "%w", err)
	}
	if err := d.gpus(r, &n); err != nil {
		return err
	}
	if err := d.nics(r, &n, site, pod, ld); err != nil {
		return err
	}
	d.f.Nodes = append(d.f.Nodes, n)
	return nil
}

// gpus fills in n's GPUs and creates their NVLink domain.
func (d *csvDecoder) gpus(r *csvRow, n *model.Node) error {
	nm, known := model.NodeModels[n.Model]
	count, err := r.number("gpu_count", r.get("gpu_count"), nm.GPUs, maxGPUsPerNode)
	if err != nil {
		return err
	}
	if count == 0 {
		return nil
	}
	gpuModel := cmp.Or(r.get("gpu_model"), nm.GPUModel)
	if gpuModel == "" {
		return r.errorf("gpu_model", "%w: %s has %d GPUs of no model", ErrMissing, n.Hostname, count)
	}
	defMem := 0
	if known && gpuModel == nm.GPUModel {
		defMem = nm.GPUMemoryMiB
	}
	mem, err := r.number("gpu_memory_mib", r.get("gpu_memory_mib"), defMem, 1<<30)
	if err != nil {
		return err
	}
	dom := model.NVLinkDomain{Name: n.Hostname + "-nvl", Rack: n.Rack, Size: count}
	if known {
		dom.Size = nm.NVLinkDomainSize
		if nm.NVLinkDomainSize == 72 {
			dom.Name = n.Rack + "-nvl"
		}
	}
	if prev, ok := d.domains[dom.Name]; ok {
		if prev.NVLinkDomain != dom {
			return r.errorf("gpu_count", "%w: NVLink domain %s is rack %s's (size %d) on line %d, not rack %s's (size %d)",
				ErrConflict, dom.Name, prev.Rack, prev.Size, prev.line, dom.Rack, dom.Size)
		}
	} else {
		d.domains[dom.Name] = &domainDecl{NVLinkDomain: dom, line: r.line}
	}
	n.GPUs = make([]model.GPU, count)
	for i := range n.GPUs {
		n.GPUs[i] = model.GPU{
			Index:        i,
			Model:        gpuModel,
			MemoryMiB:    mem,
			NVLinkDomain: dom.Name,
			NUMANode:     i * 2 / count,
			Health:       model.GPUHealthy,
		}
	}
	return nil
}

// portGroup is one decoded nicN_ group.
type portGroup struct {
	g      csvGroup
	nic    string // NIC name
	kind   string
	role   string
	rail   int
	fabric string
	port   model.NICPort
	sw     string
	swPort string
}

func (g *portGroup) col(k int) string { return fmt.Sprintf("nic%d_%s", g.g.n, portColumns[k]) }

// nics decodes the row's port groups into n's NICs, and the switches,
// fabrics and links they imply.
func (d *csvDecoder) nics(r *csvRow, n *model.Node, site, pod, ld string) error {
	var groups []*portGroup
	portSeen := map[string]string{} // port name -> column
	for _, g := range d.groups {
		pg := &portGroup{g: g}
		allEmpty := true
		for _, c := range g.col {
			if r.cell(c) != "" {
				allEmpty = false
				break
			}
		}
		if allEmpty {
			continue
		}
		pg.nic = r.cell(g.col[pcName])
		pg.kind = r.cell(g.col[pcKind])
		pg.role = r.cell(g.col[pcRole])
		pg.fabric = r.cell(g.col[pcFabric])
		pg.sw = r.cell(g.col[pcSwitch])
		pg.swPort = r.cell(g.col[pcSwitchPort])
		var err error
		if pg.rail, err = r.number(pg.col(pcRail), r.cell(g.col[pcRail]), 0, 1<<16); err != nil {
			return err
		}
		if pg.port.SpeedGbps, err = r.number(pg.col(pcSpeed), r.cell(g.col[pcSpeed]), 0, 1<<20); err != nil {
			return err
		}
		if mac := r.cell(g.col[pcMAC]); mac != "" {
			if pg.port.MAC, err = model.ParseMAC(mac); err != nil {
				return r.errorf(pg.col(pcMAC), "%w", err)
			}
		}
		if guid := r.cell(g.col[pcGUID]); guid != "" {
			if pg.port.GUID, err = model.ParseGUID(guid); err != nil {
				return r.errorf(pg.col(pcGUID), "%w", err)
			}
		}
		pg.port.Name = r.cell(g.col[pcPort])
		if pg.port.Name == "" && pg.nic == "" && pg.port.MAC == "" && pg.port.GUID == "" {
			return r.errorf(pg.col(pcPort), "%w: a NIC port needs a name, a MAC or a GUID", ErrMissing)
		}
		pg.port.Name = cmp.Or(pg.port.Name, pg.nic, fmt.Sprintf("nic%d", g.n))
		pg.nic = cmp.Or(pg.nic, pg.port.Name)
		if prev, dup := portSeen[pg.port.Name]; dup {
			return r.errorf(pg.col(pcPort), "%w port %s on %s (also in %s)", ErrDuplicate, pg.port.Name, n.Hostname, prev)
		}
		portSeen[pg.port.Name] = pg.col(pcPort)
		if (pg.sw == "") != (pg.swPort == "") {
			if pg.sw == "" {
				return r.errorf(pg.col(pcSwitch), "%w: %s names a switch port but no switch", ErrMissing, pg.col(pcSwitchPort))
			}
			return r.errorf(pg.col(pcSwitchPort), "%w: %s names a switch but no port", ErrMissing, pg.col(pcSwitch))
		}
		groups = append(groups, pg)
	}

	// Merge groups into NICs, by name.
	type nicDecl struct {
		nic    model.NIC
		groups []*portGroup
		from   [numPortColumns]string // column each NIC attribute came from
		vals   [numPortColumns]string // and its value
	}
	var nics []*nicDecl
	byName := map[string]*nicDecl{}
	for _, pg := range groups {
		nd := byName[pg.nic]
		if nd == nil {
			nd = &nicDecl{nic: model.NIC{Name: pg.nic}}
			byName[pg.nic] = nd
			nics = append(nics, nd)
		}
		for _, a := range []struct {
			k   int
			dst *string
			v   string
		}{
			{pcKind, (*string)(&nd.nic.Kind), pg.kind},
			{pcRole, (*string)(&nd.nic.Role), pg.role},
			{pcFabric, &nd.nic.Fabric, pg.fabric},
			{pcRail, nil, itoa(pg.rail)},
		} {
			if a.v == "" {
				continue
			}
			if prev := nd.from[a.k]; prev != "" {
				if old := nd.vals[a.k]; old != a.v {
					return r.errorf(pg.col(a.k), "%w: NIC %s has %s %q in %s, %q here", ErrConflict, pg.nic, portColumns[a.k], old, prev, a.v)
				}
				continue
			}
			nd.from[a.k] = pg.col(a.k)
			nd.vals[a.k] = a.v
			if a.dst != nil {
				*a.dst = a.v
			} else {
				nd.nic.Rail = pg.rail
			}
		}
		nd.nic.Ports = append(nd.nic.Ports, pg.port)
		nd.groups = append(nd.groups, pg)
	}

	for _, nd := range nics {
		nic := &nd.nic
		g0 := nd.groups[0]
		if nic.Kind == "" {
			for _, p := range nic.Ports {
				if p.GUID != "" {
					nic.Kind = model.InfiniBand
					break
				}
			}
		}
		if nic.Kind == "" {
			for _, p := range nic.Ports {
				if p.MAC != "" {
					nic.Kind = model.Ethernet
					break
				}
			}
		}
		if nic.Kind == "" {
			return r.errorf(g0.col(pcKind), "%w: NIC %s has no kind and no MAC or GUID to tell it by", ErrMissing, nic.Name)
		}
		if err := checkEnum(nic.Kind); err != nil {
			return r.errorf(g0.col(pcKind), "%w", err)
		}
		if nic.Role == "" && nic.Kind == model.InfiniBand {
			nic.Role = model.RoleCompute
		}
		if nic.Role == "" {
			return r.errorf(g0.col(pcRole), "%w: Ethernet NIC %s needs a role (compute, storage or management)", ErrMissing, nic.Name)
		}
		if err := checkEnum(nic.Role); err != nil {
			return r.errorf(g0.col(pcRole), "%w", err)
		}
		if nic.Fabric == "" && slices.ContainsFunc(nd.groups, func(pg *portGroup) bool { return pg.sw != "" }) {
			nic.Fabric = site + "-" + string(nic.Role)
		}
		if nic.Fabric != "" {
			if err := d.fabric(r, g0, model.Fabric{Name: nic.Fabric, Site: site, Kind: nic.Kind, Role: nic.Role}); err != nil {
				return err
			}
		}
		for i, pg := range nd.groups {
			if pg.sw == "" {
				continue
			}
			if err := d.cable(r, pg, nic, nic.Ports[i], n.Hostname, pod, ld); err != nil {
				return err
			}
		}
		n.NICs = append(n.NICs, *nic)
	}
	return nil
}

// fabric records a fabric named by a NIC, checking that earlier rows agree.
func (d *csvDecoder) fabric(r *csvRow, pg *portGroup, fab model.Fabric) error {
	prev, ok := d.fabrics[fab.Name]
	if !ok {
		d.fabrics[fab.Name] = &fabricDecl{Fabric: fab, line: r.line}
		return nil
	}
	if prev.Fabric != fab {
		return r.errorf(pg.col(pcFabric), "%w: fabric %s is %s %s in site %s (line %d), not %s %s in site %s",
			ErrConflict, fab.Name, prev.Kind, prev.Role, prev.Site, prev.line, fab.Kind, fab.Role, fab.Site)
	}
	return nil
}

// cable records the switch port that port of nic is cabled to.
func (d *csvDecoder) cable(r *csvRow, pg *portGroup, nic *model.NIC, port model.NICPort, host, pod, ld string) error {
	sd, ok := d.switches[pg.sw]
	if !ok {
		sd = &switchDecl{
			Switch: model.Switch{
				Name:       pg.sw,
				Role:       model.SwitchLeaf,
				Fabric:     nic.Fabric,
				Rail:       nic.Rail,
				Provenance: model.Declared,
			},
			line:   r.line,
			column: pg.col(pcSwitch),
			ports:  map[string]int{},
			lds:    map[string]bool{},
			pods:   map[string]bool{},
		}
		d.switches[pg.sw] = sd
	}
	if sd.Fabric != nic.Fabric {
		return r.errorf(pg.col(pcSwitch), "%w: switch %s is in fabric %s (line %d), but NIC %s is in %s",
			ErrConflict, sd.Name, sd.Fabric, sd.line, nic.Name, nic.Fabric)
	}
	if sd.Rail != nic.Rail {
		return r.errorf(pg.col(pcSwitch), "%w: switch %s serves rail %d (line %d), but NIC %s is on rail %d",
			ErrConflict, sd.Name, sd.Rail, sd.line, nic.Name, nic.Rail)
	}
	sd.ports[pg.swPort] = max(sd.ports[pg.swPort], port.SpeedGbps)
	sd.lds[ld] = true
	sd.pods[pod] = true
	d.f.Links = append(d.f.Links, model.Link{
		A:          model.Endpoint{Device: host, Port: port.Name},
		B:          model.Endpoint{Device: pg.sw, Port: pg.swPort},
		Provenance: model.Declared,
	}.Normalize())
	return nil
}

// finish builds the records that rows implied.
func (d *csvDecoder) finish() error {
	// A switch named like a node would make cable endpoints ambiguous.
	names := make([]string, 0, len(d.switches))
	for name := range d.switches {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		sd := d.switches[name]
		if line, ok := d.hosts[name]; ok {
			return &Error{File: d.file, Line: sd.line, Field: sd.column,
				Err: fmt.Errorf("%w: switch %s has the hostname of the node on line %d", ErrConflict, name, line)}
		}
		s := sd.Switch
		if len(sd.lds) == 1 {
			for ld := range sd.lds {
				s.LeafDomain = ld
			}
		}
		if len(sd.pods) == 1 {
			for pod := range sd.pods {
				s.Pod = pod
			}
		}
		for p, speed := range sd.ports {
			s.Ports = append(s.Ports, model.SwitchPort{Name: p, SpeedGbps: speed})
		}
		d.f.Switches = append(d.f.Switches, s)
	}
	for _, fd := range d.fabrics {
		d.f.Fabrics = append(d.f.Fabrics, fd.Fabric)
	}
	for _, dd := range d.domains {
		d.f.NVLinkDomains = append(d.f.NVLinkDomains, dd.NVLinkDomain)
	}
	// Topology: sites > pods > leaf domains > racks.
	ldRacks := map[string][]model.Rack{}
	for name, p := range d.racks {
		ldRacks[p.parent] = append(ldRacks[p.parent], model.Rack{Name: name})
	}
	podLDs := map[string][]model.LeafDomain{}
	for name, p := range d.lds {
		podLDs[p.parent] = append(podLDs[p.parent], model.LeafDomain{Name: name, Racks: ldRacks[name]})
	}
	sitePods := map[string][]model.Pod{}
	for name, p := range d.pods {
		sitePods[p.parent] = append(sitePods[p.parent], model.Pod{Name: name, LeafDomains: podLDs[name]})
	}
	for name := range d.sites {
		d.f.Sites = append(d.f.Sites, model.Site{Name: name, Pods: sitePods[name]})
	}
	return nil
}

// EncodeCSV writes f in the spreadsheet form that DecodeCSV reads: one row
// per node, sorted by hostname, with one column group per NIC port (as
// many groups as the node with the most ports needs). What the form cannot
// hold is left out: switches other than the ones nodes are cabled to,
// cables between switches, GPU identities, PCI ids, NIC models, tenants.
// f is not modified.
func EncodeCSV(w io.Writer, f *model.Fleet) error {
	if f == nil {
		f = new(model.Fleet)
	}
	type where struct{ site, pod, ld string }
	rackAt := map[string]where{}
	for _, s := range f.Sites {
		for _, p := range s.Pods {
			for _, ld := range p.LeafDomains {
				for _, r := range ld.Racks {
					if _, dup := rackAt[r.Name]; !dup {
						rackAt[r.Name] = where{s.Name, p.Name, ld.Name}
					}
				}
			}
		}
	}
	isSwitch := map[string]bool{}
	for _, s := range f.Switches {
		isSwitch[s.Name] = true
	}
	isNode := map[string]bool{}
	for _, n := range f.Nodes {
		isNode[n.Hostname] = true
	}
	cabled := map[model.Endpoint]model.Endpoint{} // node port -> switch port
	for _, l := range f.Links {
		for _, e := range [][2]model.Endpoint{{l.A, l.B}, {l.B, l.A}} {
			if isNode[e[0].Device] && isSwitch[e[1].Device] && !isNode[e[1].Device] {
				if _, dup := cabled[e[0]]; !dup {
					cabled[e[0]] = e[1]
				}
			}
		}
	}

	nodes := make([]*model.Node, len(f.Nodes))
	groups := 0
	for i := range f.Nodes {
		n := &f.Nodes[i]
		nodes[i] = n
		ports := 0
		for _, nic := range n.NICs {
			ports += len(nic.Ports)
		}
		groups = max(groups, ports)
	}
	slices.SortStableFunc(nodes, func(a, b *model.Node) int { return cmp.Compare(a.Hostname, b.Hostname) })

	cw := csv.NewWriter(w)
	header := slices.Clone(nodeColumns)
	for g := range groups {
		for _, c := range portColumns {
			header = append(header, fmt.Sprintf("nic%d_%s", g, c))
		}
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, n := range nodes {
		at := rackAt[n.Rack]
		gpuModel, gpuMem := "", ""
		if len(n.GPUs) > 0 {
			gpuModel = n.GPUs[0].Model
			gpuMem = strconv.Itoa(n.GPUs[0].MemoryMiB)
		}
		rec := []string{
			at.site, at.pod, at.ld, n.Rack, n.Hostname, n.Serial, n.Vendor, n.Model,
			n.BMC.Address, n.BMC.CredentialRef, string(n.State),
			gpuModel, strconv.Itoa(len(n.GPUs)), gpuMem,
		}
		for _, nic := range n.NICs {
			for _, p := range nic.Ports {
				peer := cabled[model.Endpoint{Device: n.Hostname, Port: p.Name}]
				rec = append(rec, nic.Name, string(nic.Kind), string(nic.Role), itoa(nic.Rail), nic.Fabric,
					p.Name, p.MAC, p.GUID, itoa(p.SpeedGbps), peer.Device, peer.Port)
			}
		}
		for len(rec) < len(header) {
			rec = append(rec, "")
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// itoa formats n, or nothing for 0.
func itoa(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}
