package fabric

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/railyard/railyard/internal/model"
)

// Compile is the compiler's entry point; package fabrictest wraps it for
// tests that want a plan compiled from a carve on a sample fleet.

// Plan is the compiler's output: every managed device's desired
// configuration, what each tenant got, the allocations to store, and
// the reasons anything asked for was not done.
type Plan struct {
	Devices     []DeviceConfig `json:"devices"`
	Tenants     []TenantPlan   `json:"tenants"`
	Allocations []Allocation   `json:"allocations"`
	Findings    []Finding      `json:"findings,omitempty"`
}

// Device returns the named device's configuration.
func (p *Plan) Device(name string) (DeviceConfig, bool) {
	i, ok := slices.BinarySearchFunc(p.Devices, name, func(d DeviceConfig, n string) int { return cmp.Compare(d.Device, n) })
	if !ok {
		return DeviceConfig{}, false
	}
	return p.Devices[i], true
}

// TenantPlan is what one tenant's networks came to.
type TenantPlan struct {
	Tenant  string         `json:"tenant"`
	ID      int            `json:"id"`
	State   IntentState    `json:"state"`
	Fabrics []TenantFabric `json:"fabrics,omitempty"`
}

// TenantFabric is one tenant's network on one fabric.
type TenantFabric struct {
	Fabric   string           `json:"fabric"`
	Role     model.FabricRole `json:"role"`
	Kind     model.LinkKind   `json:"kind"`
	VRF      string           `json:"vrf,omitempty"`
	L3VNI    uint32           `json:"l3vni,omitempty"`
	L2VNI    uint32           `json:"l2vni,omitempty"`
	VLAN     int              `json:"vlan,omitempty"`
	CoreVLAN int              `json:"core_vlan,omitempty"`
	RT       string           `json:"rt,omitempty"`
	PKey     uint16           `json:"pkey,omitempty"`
	Subnet   string           `json:"subnet,omitempty"`
	Gateway  string           `json:"gateway,omitempty"`
	// Devices lists the devices that carry the network; Ports counts the
	// tenant's ports (or partition members) on them.
	Devices []string `json:"devices,omitempty"`
	Ports   int      `json:"ports"`
}

// Finding says why something was left out.
type Finding struct {
	Tenant string `json:"tenant,omitempty"`
	Fabric string `json:"fabric,omitempty"`
	Device string `json:"device,omitempty"`
	Node   string `json:"node,omitempty"`
	Reason string `json:"reason"`
}

func (f Finding) String() string {
	s := ""
	for _, kv := range [][2]string{{"tenant", f.Tenant}, {"fabric", f.Fabric}, {"device", f.Device}, {"node", f.Node}} {
		if kv[1] != "" {
			s += kv[0] + " " + kv[1] + ": "
		}
	}
	return s + f.Reason
}

// VRFName is the name of tenant id's VRF on every device.
func VRFName(id int) string { return fmt.Sprintf("%st%04d", OwnedPrefix, id) }

// attachment is one server port of a node cabled to a managed device.
type attachment struct {
	fabric   string
	device   string
	port     string // switch port (Ethernet leaves)
	node     string
	nodePort string
	guid     string
}

type compiler struct {
	set       Settings
	fleet     *model.Fleet
	fabrics   map[string]model.Fabric
	switches  map[string]*model.Switch
	nodes     map[string]*model.Node
	leaves    map[string][]string // fabric → managed leaves (Ethernet)
	sm        map[string]string   // fabric → subnet manager driver (InfiniBand)
	loopIndex map[string]int
	// byFabric lists every server attachment per managed fabric.
	byFabric map[string][]attachment
	// nodeTenants: the tenants that hold GPUs of each node.
	nodeTenants map[string][]string
	findings    []Finding
}

// Compile turns the snapshot and the tenants' intents into a plan. prior
// is every stored allocation; the plan's Allocations replace them.
// Compile is deterministic: the same inputs give the same plan.
func Compile(s Snapshot, intents []Intent, prior []Allocation, set Settings, now time.Time) (*Plan, error) {
	set = set.withDefaults()
	if set.RTAdmin == set.OverlayASN {
		return nil, fmt.Errorf("settings: the route-target administrator %d equals the overlay AS; FRR would hide route targets equal to its automatic ones", set.RTAdmin)
	}
	if s.Fleet == nil {
		s.Fleet = &model.Fleet{}
	}
	intents = slices.Clone(intents)
	slices.SortFunc(intents, func(a, b Intent) int { return cmp.Compare(a.Tenant, b.Tenant) })
	active := map[string]bool{}
	for i, in := range intents {
		if err := in.Validate(); err != nil {
			return nil, err
		}
		if i > 0 && intents[i-1].Tenant == in.Tenant {
			return nil, fmt.Errorf("tenant network %s: declared twice", in.Tenant)
		}
		active[in.Tenant] = true
	}
	c := &compiler{set: set, fleet: s.Fleet}
	c.index(s)
	p := newPool(prior, active, now, set.Hold)
	plan := &Plan{}
	devices := c.baseDevices()

	for _, in := range intents {
		tp, err := c.tenant(in, p, devices)
		if err != nil {
			return nil, err
		}
		plan.Tenants = append(plan.Tenants, tp)
	}
	for _, d := range devices {
		d.Normalize()
		plan.Devices = append(plan.Devices, *d)
	}
	slices.SortFunc(plan.Devices, func(a, b DeviceConfig) int { return cmp.Compare(a.Device, b.Device) })
	plan.Allocations = p.result()
	plan.Findings = c.findings
	if err := Check(plan.Devices); err != nil {
		return nil, err
	}
	return plan, nil
}

func (c *compiler) index(s Snapshot) {
	f := s.Fleet
	c.fabrics = map[string]model.Fabric{}
	for _, fb := range f.Fabrics {
		c.fabrics[fb.Name] = fb
	}
	c.switches = map[string]*model.Switch{}
	c.leaves = map[string][]string{}
	c.sm = map[string]string{}
	var managed []string
	for i := range f.Switches {
		sw := &f.Switches[i]
		c.switches[sw.Name] = sw
		fb, ok := c.fabrics[sw.Fabric]
		if !ok || fb.Role == model.RoleManagement || sw.Driver == "" {
			continue
		}
		if fb.Kind == model.InfiniBand {
			if c.sm[fb.Name] == "" || sw.Driver < c.sm[fb.Name] {
				c.sm[fb.Name] = sw.Driver
			}
			continue
		}
		if sw.Role == model.SwitchLeaf {
			c.leaves[fb.Name] = append(c.leaves[fb.Name], sw.Name)
			managed = append(managed, sw.Name)
		}
	}
	for fb, ls := range c.leaves {
		sort.Strings(ls)
		c.leaves[fb] = ls
	}
	sort.Strings(managed)
	c.loopIndex = map[string]int{}
	for i, n := range managed {
		c.loopIndex[n] = i + 1
	}
	c.nodes = map[string]*model.Node{}
	for i := range f.Nodes {
		c.nodes[f.Nodes[i].Hostname] = &f.Nodes[i]
	}
	// Node port → switch port.
	type ep = model.Endpoint
	peer := map[ep]ep{}
	for _, l := range f.Links {
		_, aSwitch := c.switches[l.A.Device]
		_, bSwitch := c.switches[l.B.Device]
		if aSwitch && !bSwitch {
			peer[l.B] = l.A
		} else if bSwitch && !aSwitch {
			peer[l.A] = l.B
		}
	}
	c.byFabric = map[string][]attachment{}
	for _, n := range f.Nodes {
		for _, nic := range n.NICs {
			for _, np := range nic.Ports {
				sp, ok := peer[ep{Device: n.Hostname, Port: np.Name}]
				if !ok {
					continue
				}
				sw := c.switches[sp.Device]
				fb := c.fabrics[sw.Fabric]
				if fb.Role == model.RoleManagement {
					continue
				}
				a := attachment{fabric: fb.Name, node: n.Hostname, nodePort: np.Name, guid: strings.TrimPrefix(strings.ToLower(np.GUID), "0x")}
				if fb.Kind == model.InfiniBand {
					if c.sm[fb.Name] == "" {
						continue
					}
					a.device = smDevice(fb.Name)
				} else {
					if sw.Driver == "" || sw.Role != model.SwitchLeaf {
						continue
					}
					a.device, a.port = sw.Name, sp.Port
				}
				c.byFabric[fb.Name] = append(c.byFabric[fb.Name], a)
			}
		}
	}
	c.nodeTenants = map[string][]string{}
	for _, b := range s.Blocks {
		for _, m := range b.Members {
			ts := c.nodeTenants[m.Node]
			if !slices.Contains(ts, b.Tenant) {
				c.nodeTenants[m.Node] = append(ts, b.Tenant)
			}
		}
	}
	for n := range c.nodeTenants {
		sort.Strings(c.nodeTenants[n])
	}
}

// smDevice names the subnet manager of an InfiniBand fabric.
func smDevice(fabric string) string { return fabric + "-sm" }

// SubnetManagerDevice names the device that stands for an InfiniBand
// fabric's subnet manager (UFM or OpenSM).
func SubnetManagerDevice(fabric string) string { return smDevice(fabric) }

func (c *compiler) loopback(sw string) (rid, vtep string) {
	if l, ok := c.set.Loopbacks[sw]; ok {
		return l.RouterID, l.VTEP
	}
	i := c.loopIndex[sw]
	return addOffset(c.set.RouterIDPool, i), addOffset(c.set.VTEPPool, i)
}

func addOffset(base string, i int) string {
	a, err := netip.ParseAddr(base)
	if err != nil || !a.Is4() {
		return ""
	}
	b := a.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v += uint32(i)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}).String()
}

// baseDevices builds every managed device with no tenant on it: leaves
// with every server port isolated (and the storage VRF on storage
// leaves), subnet managers with no partitions.
func (c *compiler) baseDevices() map[string]*DeviceConfig {
	ds := map[string]*DeviceConfig{}
	for fbName, ls := range c.leaves {
		fb := c.fabrics[fbName]
		for _, l := range ls {
			sw := c.switches[l]
			rid, vtep := c.loopback(l)
			asn := c.set.OverlayASN
			if lb, ok := c.set.Loopbacks[l]; ok && lb.ASN != 0 {
				asn = lb.ASN
			}
			d := &DeviceConfig{Device: l, Driver: sw.Driver, Fabric: fbName, Kind: EVPNLeaf, ASN: asn, RouterID: rid, VTEP: vtep}
			if fb.Role == model.RoleStorage {
				d.VRFs = append(d.VRFs, VRF{Name: c.set.StorageVRF, L3VNI: c.set.StorageL3VNI, CoreVLAN: c.set.StorageCoreVLAN,
					RD: rid + ":" + strconv.Itoa(storageRDNumber),
					// The hub imports its own routes and every tenant's
					// "storage client" routes, and exports to tenants.
					ImportRTs: []string{c.set.RT(c.set.StorageL3VNI), c.set.RT(c.set.StorageClientL3VNI)},
					ExportRTs: []string{c.set.RT(c.set.StorageL3VNI)}})
			}
			ds[l] = d
		}
	}
	for fbName, drv := range c.sm {
		ds[smDevice(fbName)] = &DeviceConfig{Device: smDevice(fbName), Driver: drv, Fabric: fbName, Kind: SubnetManager}
	}
	for fbName, as := range c.byFabric {
		if c.fabrics[fbName].Kind == model.InfiniBand {
			continue
		}
		for _, a := range as {
			d := ds[a.device]
			d.Ports = append(d.Ports, Port{Name: a.port, Node: a.node, NodePort: a.nodePort, Shutdown: true})
		}
	}
	return ds
}

// storageRDNumber is the RD assigned number of the storage VRF; tenant
// ids stay below it.
const storageRDNumber = 65535

func (c *compiler) tenant(in Intent, p *pool, devices map[string]*DeviceConfig) (TenantPlan, error) {
	tp := TenantPlan{Tenant: in.Tenant, State: in.State}
	want := ""
	if in.Overrides.TenantID != 0 {
		want = itoa(in.Overrides.TenantID)
	}
	idv, err := p.ensure(in.Tenant, "", KindTenantID, want, func(i int) (string, bool) { return itoa(i + 1), i+1 <= MaxTenantID })
	if err != nil {
		return tp, fmt.Errorf("tenant network %s: %w", in.Tenant, err)
	}
	id, _ := strconv.Atoi(idv)
	tp.ID = id
	if in.State != Active {
		return tp, nil
	}
	// The tenant's attachments per fabric, from the nodes it holds alone.
	mine := map[string][]attachment{}
	var fabrics []string
	for _, fbName := range slices.Sorted(maps.Keys(c.byFabric)) {
		as := c.byFabric[fbName]
		fb := c.fabrics[fbName]
		if fb.Role == model.RoleCompute && !in.Compute || fb.Role == model.RoleStorage && !in.Storage {
			continue
		}
		for _, a := range as {
			ts := c.nodeTenants[a.node]
			if !slices.Contains(ts, in.Tenant) {
				continue
			}
			if len(ts) > 1 {
				c.findings = append(c.findings, Finding{Tenant: in.Tenant, Fabric: fbName, Node: a.node,
					Reason: fmt.Sprintf("node is shared by tenants %v; its port %s stays isolated", ts, a.nodePort)})
				continue
			}
			if fb.Kind == model.InfiniBand && a.guid == "" {
				c.findings = append(c.findings, Finding{Tenant: in.Tenant, Fabric: fbName, Node: a.node,
					Reason: fmt.Sprintf("port %s has no GUID; it cannot join the partition", a.nodePort)})
				continue
			}
			if len(mine[fbName]) == 0 {
				fabrics = append(fabrics, fbName)
			}
			mine[fbName] = append(mine[fbName], a)
		}
	}
	for _, fbName := range fabrics {
		fb := c.fabrics[fbName]
		as := mine[fbName]
		tf := TenantFabric{Fabric: fbName, Role: fb.Role, Kind: fb.Kind, Ports: len(as)}
		if fb.Kind == model.InfiniBand {
			if err := c.partition(in, id, as, p, devices, &tf); err != nil {
				return tp, err
			}
		} else if err := c.evpn(in, id, as, p, devices, &tf); err != nil {
			return tp, err
		}
		tp.Fabrics = append(tp.Fabrics, tf)
	}
	return tp, nil
}

func (c *compiler) partition(in Intent, id int, as []attachment, p *pool, devices map[string]*DeviceConfig, tf *TenantFabric) error {
	want := itoa(id)
	if in.Overrides.PKey != 0 {
		want = itoa(int(in.Overrides.PKey))
	}
	v, err := p.ensure(in.Tenant, tf.Fabric, KindPKey, want, nil)
	if err != nil {
		return fmt.Errorf("tenant network %s: %w", in.Tenant, err)
	}
	pk, _ := strconv.Atoi(v)
	if pk < 1 || pk > MaxPKey {
		return fmt.Errorf("tenant network %s: PKey %#04x out of range 0x0001-%#04x", in.Tenant, pk, MaxPKey)
	}
	part := Partition{PKey: uint16(pk), Name: VRFName(id), Tenant: in.Tenant, IPoIB: true, MTU: 5}
	for _, a := range as {
		part.Members = append(part.Members, Member{GUID: a.guid, Membership: Full})
	}
	d := devices[smDevice(tf.Fabric)]
	d.Partitions = append(d.Partitions, part)
	tf.PKey, tf.Devices = uint16(pk), []string{d.Device}
	return nil
}

func (c *compiler) evpn(in Intent, id int, as []attachment, p *pool, devices map[string]*DeviceConfig, tf *TenantFabric) error {
	set := c.set
	l3base, l2base, poolStr := set.ComputeL3Base, set.ComputeL2Base, set.ComputePool
	if tf.Role == model.RoleStorage {
		l3base, l2base, poolStr = set.StorageL3Base, set.StorageL2Base, set.StoragePool
	}
	fail := func(err error) error { return fmt.Errorf("tenant network %s: %w", in.Tenant, err) }
	l3 := uint32(int(l3base) + id)
	if in.Overrides.L3VNI != 0 {
		l3 = in.Overrides.L3VNI
	}
	l2 := uint32(int(l2base) + id*100 + 1)
	if in.Overrides.L2VNI != 0 {
		l2 = in.Overrides.L2VNI
	}
	// VNIs are unique across fabrics too: hold them on the "" fabric.
	if _, err := p.ensure(in.Tenant, "vni:"+tf.Fabric, KindL3VNI, strconv.FormatUint(uint64(l3), 10), nil); err != nil {
		return fail(err)
	}
	if _, err := p.ensure(in.Tenant, "vni:"+tf.Fabric, KindL2VNI, strconv.FormatUint(uint64(l2), 10), nil); err != nil {
		return fail(err)
	}
	for _, v := range []uint32{l3, l2} {
		if v == set.StorageL3VNI || v == set.StorageClientL3VNI {
			return fail(fmt.Errorf("VNI %d is the shared storage VRF's", v))
		}
	}
	wantVLAN := ""
	if in.Overrides.VLAN != 0 {
		wantVLAN = itoa(in.Overrides.VLAN)
	}
	vv, err := p.ensure(in.Tenant, tf.Fabric, KindVLAN, wantVLAN, func(i int) (string, bool) {
		return itoa(SegmentVLANs.First + i), SegmentVLANs.First+i <= SegmentVLANs.Last
	})
	if err != nil {
		return fail(err)
	}
	vlan, _ := strconv.Atoi(vv)
	cv, err := p.ensure(in.Tenant, tf.Fabric, KindCoreVLAN, "", func(i int) (string, bool) {
		v := CoreVLANs.First + i
		if v == set.StorageCoreVLAN {
			v++
		}
		return itoa(v), v <= CoreVLANs.Last && v != set.StorageCoreVLAN
	})
	if err != nil {
		return fail(err)
	}
	core, _ := strconv.Atoi(cv)
	subnet, err := c.subnet(in, tf, len(as), poolStr, p)
	if err != nil {
		return fail(err)
	}
	gw := netip.PrefixFrom(subnet.Addr().Next(), subnet.Bits()).String()
	vrf := VRFName(id)
	imports := []string{set.RT(l3)}
	exports := []string{set.RT(l3)}
	if tf.Role == model.RoleStorage {
		imports = append(imports, set.RT(set.StorageL3VNI))
		exports = append(exports, set.RT(set.StorageClientL3VNI))
	}
	byDevice := map[string][]attachment{}
	for _, a := range as {
		byDevice[a.device] = append(byDevice[a.device], a)
	}
	for dev, das := range byDevice {
		d := devices[dev]
		d.VRFs = append(d.VRFs, VRF{Name: vrf, Tenant: in.Tenant, L3VNI: l3, CoreVLAN: core,
			RD: d.RouterID + ":" + itoa(id), ImportRTs: imports, ExportRTs: exports})
		d.Segments = append(d.Segments, Segment{Name: vrf + "-s1", Tenant: in.Tenant, VLAN: vlan, L2VNI: l2, VRF: vrf,
			Gateway: gw, RD: d.VTEP + ":" + itoa(vlan), RT: set.RT(l2)})
		bound := map[string]bool{}
		for _, a := range das {
			bound[a.port] = true
		}
		for i := range d.Ports {
			if bound[d.Ports[i].Name] {
				d.Ports[i].Tenant, d.Ports[i].VLAN, d.Ports[i].Shutdown = in.Tenant, vlan, false
			}
		}
		tf.Devices = append(tf.Devices, dev)
	}
	sort.Strings(tf.Devices)
	tf.VRF, tf.L3VNI, tf.L2VNI, tf.VLAN, tf.CoreVLAN, tf.RT = vrf, l3, l2, vlan, core, set.RT(l3)
	tf.Subnet, tf.Gateway = subnet.String(), gw
	return nil
}

func (c *compiler) subnet(in Intent, tf *TenantFabric, ports int, poolStr string, p *pool) (netip.Prefix, error) {
	if cur, ok := p.get(in.Tenant, tf.Fabric, KindSubnet); ok && (in.Overrides.StorageSubnet == "" || tf.Role != model.RoleStorage || cur == in.Overrides.StorageSubnet) {
		pr, err := netip.ParsePrefix(cur)
		if err != nil {
			return pr, fmt.Errorf("stored subnet %q: %w", cur, err)
		}
		if capacity := 1<<(32-pr.Bits()) - 3; ports > capacity {
			c.findings = append(c.findings, Finding{Tenant: in.Tenant, Fabric: tf.Fabric,
				Reason: fmt.Sprintf("subnet %s holds %d hosts; the tenant now has %d ports: set a larger storage subnet", pr, capacity, ports)})
		}
		return pr, nil
	}
	pool, err := netip.ParsePrefix(poolStr)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("settings: subnet pool %q: %w", poolStr, err)
	}
	sp := &subnetPool{pool: pool}
	for _, a := range p.held {
		if a.Kind != KindSubnet || a.Fabric != tf.Fabric || a.Tenant == in.Tenant && a.ReleasedAt.IsZero() {
			continue
		}
		if pr, err := netip.ParsePrefix(a.Value); err == nil {
			sp.add(pr)
		}
	}
	if tf.Role == model.RoleStorage {
		for _, s := range c.set.StorageServices {
			if pr, err := netip.ParsePrefix(s); err == nil {
				sp.add(pr)
			}
		}
	}
	if o := in.Overrides.StorageSubnet; o != "" && tf.Role == model.RoleStorage {
		pr := netip.MustParsePrefix(o)
		if t, bad := sp.overlaps(pr); bad {
			return pr, fmt.Errorf("storage subnet %s overlaps %s, which another tenant or the storage services hold", pr, t)
		}
		return pr, p.take(in.Tenant, tf.Fabric, KindSubnet, pr.String())
	}
	pr, ok := sp.next(bitsFor(ports, c.set.MinSubnetBits))
	if !ok {
		return pr, fmt.Errorf("subnet pool %s of fabric %s has no free /%d", pool, tf.Fabric, bitsFor(ports, c.set.MinSubnetBits))
	}
	return pr, p.take(in.Tenant, tf.Fabric, KindSubnet, pr.String())
}

// Check verifies the invariants a set of device configurations must
// hold before anything is pushed, with one message per violation:
//   - no two tenants share an L3VNI, an L2VNI, a route target a VRF
//     exports, a PKey or an overlapping subnet;
//   - on each device, VLANs, RDs and VRF names are unique and no VNI is
//     both L2 and L3;
//   - a port carries only a VLAN of a segment on its device, and a tenant
//     VRF imports only its own routes and the storage hub's.
func Check(devices []DeviceConfig) error {
	var errs []error
	owner := map[string]string{} // "l3vni 200001" → tenant
	claim := func(what, tenant string) {
		if tenant == "" {
			tenant = "(shared)"
		}
		if o, ok := owner[what]; ok && o != tenant {
			a, b := min(o, tenant), max(o, tenant)
			errs = append(errs, fmt.Errorf("%s is used by tenants %s and %s", what, a, b))
			return
		}
		owner[what] = tenant
	}
	type subnet struct {
		p      netip.Prefix
		tenant string
	}
	var subnets []subnet
	exporters := map[string]map[string]bool{} // RT → tenants exporting it
	for _, d := range devices {
		vlans := map[int]string{}
		rds := map[string]string{}
		l3 := map[uint32]bool{}
		segVLAN := map[int]bool{}
		for _, v := range d.VRFs {
			claim(fmt.Sprintf("L3VNI %d", v.L3VNI), v.Tenant)
			if o, dup := rds[v.RD]; dup {
				errs = append(errs, fmt.Errorf("device %s: RD %s is used by %s and vrf %s", d.Device, v.RD, o, v.Name))
			}
			rds[v.RD] = "vrf " + v.Name
			if v.CoreVLAN != 0 {
				if o, dup := vlans[v.CoreVLAN]; dup {
					errs = append(errs, fmt.Errorf("device %s: VLAN %d is used by %s and vrf %s", d.Device, v.CoreVLAN, o, v.Name))
				}
				vlans[v.CoreVLAN] = "vrf " + v.Name
			}
			l3[v.L3VNI] = true
			if v.Tenant != "" {
				for _, rt := range v.ExportRTs {
					if exporters[rt] == nil {
						exporters[rt] = map[string]bool{}
					}
					exporters[rt][v.Tenant] = true
				}
			}
		}
		for _, s := range d.Segments {
			claim(fmt.Sprintf("L2VNI %d", s.L2VNI), s.Tenant)
			if l3[s.L2VNI] {
				errs = append(errs, fmt.Errorf("device %s: VNI %d is both an L3VNI and an L2VNI", d.Device, s.L2VNI))
			}
			if o, dup := vlans[s.VLAN]; dup {
				errs = append(errs, fmt.Errorf("device %s: VLAN %d is used by %s and segment %s", d.Device, s.VLAN, o, s.Name))
			}
			vlans[s.VLAN] = "segment " + s.Name
			segVLAN[s.VLAN] = true
			if o, dup := rds[s.RD]; dup {
				errs = append(errs, fmt.Errorf("device %s: RD %s is used by %s and segment %s", d.Device, s.RD, o, s.Name))
			}
			rds[s.RD] = "segment " + s.Name
			if pr, err := netip.ParsePrefix(s.Gateway); err == nil {
				subnets = append(subnets, subnet{pr.Masked(), s.Tenant})
			} else {
				errs = append(errs, fmt.Errorf("device %s: segment %s: gateway %q: %v", d.Device, s.Name, s.Gateway, err))
			}
		}
		for _, pt := range d.Ports {
			if pt.VLAN != 0 && !segVLAN[pt.VLAN] {
				errs = append(errs, fmt.Errorf("device %s: port %s carries VLAN %d, which no segment on the device has", d.Device, pt.Name, pt.VLAN))
			}
		}
		pkeys := map[uint16]bool{}
		guids := map[string]string{}
		for _, pa := range d.Partitions {
			claim(fmt.Sprintf("PKey %#04x on %s", pa.PKey, d.Fabric), pa.Tenant)
			if pkeys[pa.PKey] {
				errs = append(errs, fmt.Errorf("device %s: PKey %#04x appears twice", d.Device, pa.PKey))
			}
			pkeys[pa.PKey] = true
			if pa.PKey == 0 || pa.PKey > MaxPKey {
				errs = append(errs, fmt.Errorf("device %s: PKey %#04x out of range 0x0001-%#04x", d.Device, pa.PKey, MaxPKey))
			}
			for _, m := range pa.Members {
				if m.Membership != Full {
					continue
				}
				if o, ok := guids[m.GUID]; ok && o != pa.Tenant {
					errs = append(errs, fmt.Errorf("device %s: GUID %s is a full member of the partitions of tenants %s and %s", d.Device, m.GUID, o, pa.Tenant))
				}
				guids[m.GUID] = pa.Tenant
			}
		}
	}
	// A tenant VRF must not import what another tenant exports.
	for _, d := range devices {
		for _, v := range d.VRFs {
			if v.Tenant == "" {
				continue
			}
			for _, rt := range v.ImportRTs {
				for _, o := range slices.Sorted(maps.Keys(exporters[rt])) {
					if o != v.Tenant {
						errs = append(errs, fmt.Errorf("device %s: vrf %s of tenant %s imports route target %s, which tenant %s exports", d.Device, v.Name, v.Tenant, rt, o))
					}
				}
			}
		}
	}
	// Sweep the subnets in address order, remembering the one that
	// reaches furthest.
	sort.Slice(subnets, func(i, j int) bool { return subnets[i].p.Addr().Less(subnets[j].p.Addr()) })
	var far subnet
	var farEnd uint32
	for i, sn := range subnets {
		start, end := span(sn.p)
		if i > 0 && start <= farEnd && far.tenant != sn.tenant {
			errs = append(errs, fmt.Errorf("subnet %s of tenant %s overlaps subnet %s of tenant %s", far.p, far.tenant, sn.p, sn.tenant))
		}
		if i == 0 || end > farEnd {
			far, farEnd = sn, end
		}
	}
	return errors.Join(dedupe(errs)...)
}

func dedupe(errs []error) []error {
	seen := map[string]bool{}
	var out []error
	for _, e := range errs {
		if !seen[e.Error()] {
			seen[e.Error()] = true
			out = append(out, e)
		}
	}
	return out
}

func span(p netip.Prefix) (uint32, uint32) {
	b := p.Masked().Addr().As4()
	start := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	return start, start + uint32(uint64(1)<<(32-p.Bits())-1)
}
