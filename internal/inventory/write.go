package inventory

import (
	"context"
	"fmt"

	"github.com/railyard/railyard/ent"
	"github.com/railyard/railyard/ent/fabric"
	"github.com/railyard/railyard/ent/gpu"
	"github.com/railyard/railyard/ent/leafdomain"
	"github.com/railyard/railyard/ent/link"
	"github.com/railyard/railyard/ent/networkswitch"
	"github.com/railyard/railyard/ent/nic"
	"github.com/railyard/railyard/ent/node"
	"github.com/railyard/railyard/ent/nvlinkdomain"
	"github.com/railyard/railyard/ent/pod"
	"github.com/railyard/railyard/ent/port"
	"github.com/railyard/railyard/ent/rack"
	"github.com/railyard/railyard/ent/site"
	"github.com/railyard/railyard/ent/tenant"
	"github.com/railyard/railyard/internal/model"
)

// writer writes records through ent inside one transaction. Create and
// update share one setter per kind, written against the methods that ent's
// create and update-one builders have in common.
type writer struct {
	tx *ent.Tx
	m  ids
}

// maxBatchVars bounds the bind variables of one multi-row INSERT: SQLite
// allows 32766, PostgreSQL 65535.
const maxBatchVars = 30000

// bulk inserts recs in batches of rows with cols columns each, recording
// the new ids under kind.
func bulk[R any, B any, E any](ctx context.Context, w writer, kind string, cols int, ops []op,
	build func(R) (B, error), save func([]B) ([]E, error), id func(E) int) error {
	batch := maxBatchVars / cols
	for start := 0; start < len(ops); start += batch {
		end := min(start+batch, len(ops))
		bs := make([]B, 0, end-start)
		for _, o := range ops[start:end] {
			b, err := build(o.after.(R))
			if err != nil {
				return fmt.Errorf("%s %s: %w", kind, o.key, err)
			}
			bs = append(bs, b)
		}
		rows, err := save(bs)
		if err != nil {
			return err
		}
		for i, row := range rows {
			w.m.set(kind, ops[start+i].key, id(row))
		}
	}
	return nil
}

func (w writer) create(ctx context.Context, kind string, ops []op) error {
	if len(ops) == 0 {
		return nil
	}
	tx, m := w.tx, w.m
	switch kind {
	case model.KindSite:
		return bulk(ctx, w, kind, 3, ops, func(r recSite) (*ent.SiteCreate, error) {
			return setSite(tx.Site.Create(), r), nil
		}, func(bs []*ent.SiteCreate) ([]*ent.Site, error) { return tx.Site.CreateBulk(bs...).Save(ctx) },
			func(e *ent.Site) int { return e.ID })
	case model.KindPod:
		return bulk(ctx, w, kind, 3, ops, func(r recPod) (*ent.PodCreate, error) {
			return setPod(tx.Pod.Create(), r, m)
		}, func(bs []*ent.PodCreate) ([]*ent.Pod, error) { return tx.Pod.CreateBulk(bs...).Save(ctx) },
			func(e *ent.Pod) int { return e.ID })
	case model.KindLeafDomain:
		return bulk(ctx, w, kind, 3, ops, func(r recLeafDomain) (*ent.LeafDomainCreate, error) {
			return setLeafDomain(tx.LeafDomain.Create(), r, m)
		}, func(bs []*ent.LeafDomainCreate) ([]*ent.LeafDomain, error) {
			return tx.LeafDomain.CreateBulk(bs...).Save(ctx)
		},
			func(e *ent.LeafDomain) int { return e.ID })
	case model.KindRack:
		return bulk(ctx, w, kind, 3, ops, func(r recRack) (*ent.RackCreate, error) {
			return setRack(tx.Rack.Create(), r, m)
		}, func(bs []*ent.RackCreate) ([]*ent.Rack, error) { return tx.Rack.CreateBulk(bs...).Save(ctx) },
			func(e *ent.Rack) int { return e.ID })
	case model.KindFabric:
		return bulk(ctx, w, kind, 5, ops, func(r recFabric) (*ent.FabricCreate, error) {
			return setFabric(tx.Fabric.Create(), r, m)
		}, func(bs []*ent.FabricCreate) ([]*ent.Fabric, error) { return tx.Fabric.CreateBulk(bs...).Save(ctx) },
			func(e *ent.Fabric) int { return e.ID })
	case model.KindNVLinkDomain:
		return bulk(ctx, w, kind, 4, ops, func(r recNVLinkDomain) (*ent.NVLinkDomainCreate, error) {
			rack, err := m.ref(model.KindRack, r.Rack)
			if err != nil {
				return nil, err
			}
			return setNVLinkDomain(tx.NVLinkDomain.Create(), r).SetNillableRackID(rack), nil
		}, func(bs []*ent.NVLinkDomainCreate) ([]*ent.NVLinkDomain, error) {
			return tx.NVLinkDomain.CreateBulk(bs...).Save(ctx)
		}, func(e *ent.NVLinkDomain) int { return e.ID })
	case model.KindSwitch:
		return bulk(ctx, w, kind, 17, ops, func(r recSwitch) (*ent.NetworkSwitchCreate, error) {
			refs, err := switchRefs(r, m)
			if err != nil {
				return nil, err
			}
			return setSwitch(tx.NetworkSwitch.Create(), r, refs).
				SetNillableRackID(refs.rack).SetNillableLeafDomainID(refs.leafDomain).SetNillablePodID(refs.pod).
				SetNillableLastSeen(r.LastSeen.ptr()), nil
		}, func(bs []*ent.NetworkSwitchCreate) ([]*ent.NetworkSwitch, error) {
			return tx.NetworkSwitch.CreateBulk(bs...).Save(ctx)
		}, func(e *ent.NetworkSwitch) int { return e.ID })
	case model.KindSwitchPort:
		return bulk(ctx, w, kind, 8, ops, func(r recSwitchPort) (*ent.PortCreate, error) {
			sw, err := m.must(model.KindSwitch, r.Device)
			if err != nil {
				return nil, err
			}
			return tx.Port.Create().SetDevice(r.Device).SetName(r.Name).SetSpeedGbps(r.SpeedGbps).SetSwitchID(sw), nil
		}, func(bs []*ent.PortCreate) ([]*ent.Port, error) { return tx.Port.CreateBulk(bs...).Save(ctx) },
			func(e *ent.Port) int { return e.ID })
	case model.KindNode:
		return bulk(ctx, w, kind, 12, ops, func(r recNode) (*ent.NodeCreate, error) {
			b, err := setNode(tx.Node.Create(), r, m)
			if err != nil {
				return nil, err
			}
			return b.SetNillableLastSeen(r.LastSeen.ptr()), nil
		}, func(bs []*ent.NodeCreate) ([]*ent.Node, error) { return tx.Node.CreateBulk(bs...).Save(ctx) },
			func(e *ent.Node) int { return e.ID })
	case model.KindGPU:
		return bulk(ctx, w, kind, 12, ops, func(r recGPU) (*ent.GPUCreate, error) {
			nvl, err := m.ref(model.KindNVLinkDomain, r.NVLinkDomain)
			if err != nil {
				return nil, err
			}
			b, err := setGPU(tx.GPU.Create(), r, m)
			if err != nil {
				return nil, err
			}
			return b.SetNillableNvlinkDomainID(nvl), nil
		}, func(bs []*ent.GPUCreate) ([]*ent.GPU, error) { return tx.GPU.CreateBulk(bs...).Save(ctx) },
			func(e *ent.GPU) int { return e.ID })
	case model.KindNIC:
		return bulk(ctx, w, kind, 9, ops, func(r recNIC) (*ent.NICCreate, error) {
			fab, err := m.ref(model.KindFabric, r.Fabric)
			if err != nil {
				return nil, err
			}
			b, err := setNIC(tx.NIC.Create(), r, m)
			if err != nil {
				return nil, err
			}
			return b.SetNillableFabricID(fab), nil
		}, func(bs []*ent.NICCreate) ([]*ent.NIC, error) { return tx.NIC.CreateBulk(bs...).Save(ctx) },
			func(e *ent.NIC) int { return e.ID })
	case model.KindNICPort:
		return bulk(ctx, w, kind, 8, ops, func(r recNICPort) (*ent.PortCreate, error) {
			return setNICPort(tx.Port.Create(), r, m)
		}, func(bs []*ent.PortCreate) ([]*ent.Port, error) { return tx.Port.CreateBulk(bs...).Save(ctx) },
			func(e *ent.Port) int { return e.ID })
	case model.KindLink:
		return bulk(ctx, w, kind, 7, ops, func(r recLink) (*ent.LinkCreate, error) {
			b, err := setLink(tx.Link.Create(), r, m)
			if err != nil {
				return nil, err
			}
			return b.SetNillableLastSeen(r.LastSeen.ptr()), nil
		}, func(bs []*ent.LinkCreate) ([]*ent.Link, error) { return tx.Link.CreateBulk(bs...).Save(ctx) },
			func(e *ent.Link) int { return e.ID })
	case model.KindTenant:
		return bulk(ctx, w, kind, 3, ops, func(r recTenant) (*ent.TenantCreate, error) {
			return tx.Tenant.Create().SetName(r.Name).SetDescription(r.Description), nil
		}, func(bs []*ent.TenantCreate) ([]*ent.Tenant, error) { return tx.Tenant.CreateBulk(bs...).Save(ctx) },
			func(e *ent.Tenant) int { return e.ID })
	}
	return fmt.Errorf("unknown record kind %q", kind)
}

func (w writer) update(ctx context.Context, o op) error {
	tx, m := w.tx, w.m
	id, err := m.must(o.kind, o.key)
	if err != nil {
		return err
	}
	switch r := o.after.(type) {
	case recSite:
		return setSite(tx.Site.UpdateOneID(id), r).Exec(ctx)
	case recPod:
		b, err := setPod(tx.Pod.UpdateOneID(id), r, m)
		return execOr(ctx, b, err)
	case recLeafDomain:
		b, err := setLeafDomain(tx.LeafDomain.UpdateOneID(id), r, m)
		return execOr(ctx, b, err)
	case recRack:
		b, err := setRack(tx.Rack.UpdateOneID(id), r, m)
		return execOr(ctx, b, err)
	case recFabric:
		b, err := setFabric(tx.Fabric.UpdateOneID(id), r, m)
		return execOr(ctx, b, err)
	case recNVLinkDomain:
		rack, err := m.ref(model.KindRack, r.Rack)
		if err != nil {
			return err
		}
		b := setNVLinkDomain(tx.NVLinkDomain.UpdateOneID(id), r)
		if rack == nil {
			b.ClearRackID()
		} else {
			b.SetRackID(*rack)
		}
		return b.Exec(ctx)
	case recSwitch:
		refs, err := switchRefs(r, m)
		if err != nil {
			return err
		}
		b := setSwitch(tx.NetworkSwitch.UpdateOneID(id), r, refs)
		setOrClear(refs.rack, b.SetRackID, b.ClearRackID)
		setOrClear(refs.leafDomain, b.SetLeafDomainID, b.ClearLeafDomainID)
		setOrClear(refs.pod, b.SetPodID, b.ClearPodID)
		setOrClear(r.LastSeen.ptr(), b.SetLastSeen, b.ClearLastSeen)
		return b.Exec(ctx)
	case recSwitchPort:
		return tx.Port.UpdateOneID(id).SetSpeedGbps(r.SpeedGbps).Exec(ctx)
	case recNode:
		b, err := setNode(tx.Node.UpdateOneID(id), r, m)
		if err != nil {
			return err
		}
		setOrClear(r.LastSeen.ptr(), b.SetLastSeen, b.ClearLastSeen)
		return b.Exec(ctx)
	case recGPU:
		nvl, err := m.ref(model.KindNVLinkDomain, r.NVLinkDomain)
		if err != nil {
			return err
		}
		b, err := setGPU(tx.GPU.UpdateOneID(id), r, m)
		if err != nil {
			return err
		}
		setOrClear(nvl, b.SetNvlinkDomainID, b.ClearNvlinkDomainID)
		return b.Exec(ctx)
	case recNIC:
		fab, err := m.ref(model.KindFabric, r.Fabric)
		if err != nil {
			return err
		}
		b, err := setNIC(tx.NIC.UpdateOneID(id), r, m)
		if err != nil {
			return err
		}
		setOrClear(fab, b.SetFabricID, b.ClearFabricID)
		return b.Exec(ctx)
	case recNICPort:
		b, err := setNICPort(tx.Port.UpdateOneID(id), r, m)
		return execOr(ctx, b, err)
	case recLink:
		b := tx.Link.UpdateOneID(id).SetProvenance(r.Provenance).SetStale(r.Stale)
		setOrClear(r.LastSeen.ptr(), b.SetLastSeen, b.ClearLastSeen)
		return b.Exec(ctx)
	case recTenant:
		return tx.Tenant.UpdateOneID(id).SetDescription(r.Description).Exec(ctx)
	}
	return fmt.Errorf("unknown record %T", o.after)
}

func (w writer) delete(ctx context.Context, kind string, ops []op) error {
	if len(ops) == 0 {
		return nil
	}
	var idList []int
	for _, o := range ops {
		id, err := w.m.must(kind, o.key)
		if err != nil {
			return err
		}
		idList = append(idList, id)
	}
	tx := w.tx
	const batch = 10000
	for start := 0; start < len(idList); start += batch {
		chunk := idList[start:min(start+batch, len(idList))]
		var err error
		switch kind {
		case model.KindSite:
			_, err = tx.Site.Delete().Where(site.IDIn(chunk...)).Exec(ctx)
		case model.KindPod:
			_, err = tx.Pod.Delete().Where(pod.IDIn(chunk...)).Exec(ctx)
		case model.KindLeafDomain:
			_, err = tx.LeafDomain.Delete().Where(leafdomain.IDIn(chunk...)).Exec(ctx)
		case model.KindRack:
			_, err = tx.Rack.Delete().Where(rack.IDIn(chunk...)).Exec(ctx)
		case model.KindFabric:
			_, err = tx.Fabric.Delete().Where(fabric.IDIn(chunk...)).Exec(ctx)
		case model.KindNVLinkDomain:
			_, err = tx.NVLinkDomain.Delete().Where(nvlinkdomain.IDIn(chunk...)).Exec(ctx)
		case model.KindSwitch:
			_, err = tx.NetworkSwitch.Delete().Where(networkswitch.IDIn(chunk...)).Exec(ctx)
		case model.KindSwitchPort, model.KindNICPort:
			_, err = tx.Port.Delete().Where(port.IDIn(chunk...)).Exec(ctx)
		case model.KindNode:
			_, err = tx.Node.Delete().Where(node.IDIn(chunk...)).Exec(ctx)
		case model.KindGPU:
			_, err = tx.GPU.Delete().Where(gpu.IDIn(chunk...)).Exec(ctx)
		case model.KindNIC:
			_, err = tx.NIC.Delete().Where(nic.IDIn(chunk...)).Exec(ctx)
		case model.KindLink:
			_, err = tx.Link.Delete().Where(link.IDIn(chunk...)).Exec(ctx)
		case model.KindTenant:
			_, err = tx.Tenant.Delete().Where(tenant.IDIn(chunk...)).Exec(ctx)
		default:
			err = fmt.Errorf("unknown record kind %q", kind)
		}
		if err != nil {
			return fmt.Errorf("delete %s: %w", kind, err)
		}
	}
	return nil
}

// execer is an ent update-one builder.
type execer interface{ Exec(context.Context) error }

func execOr[B execer](ctx context.Context, b B, err error) error {
	if err != nil {
		return err
	}
	return b.Exec(ctx)
}

func setOrClear[T any, R any](v *T, set func(T) R, clear func() R) {
	if v == nil {
		clear()
		return
	}
	set(*v)
}

// The setters below are shared by create and update builders: ent gives
// both the same Set methods, each returning its own builder.

type siteSetter[T any] interface {
	SetName(string) T
	SetDescription(string) T
}

func setSite[T siteSetter[T]](b T, r recSite) T {
	b.SetName(r.Name)
	return b.SetDescription(r.Description)
}

type podSetter[T any] interface {
	SetName(string) T
	SetSiteID(int) T
}

func setPod[T podSetter[T]](b T, r recPod, m ids) (T, error) {
	id, err := m.must(model.KindSite, r.Site)
	if err != nil {
		return b, err
	}
	b.SetName(r.Name)
	return b.SetSiteID(id), nil
}

type leafDomainSetter[T any] interface {
	SetName(string) T
	SetPodID(int) T
}

func setLeafDomain[T leafDomainSetter[T]](b T, r recLeafDomain, m ids) (T, error) {
	id, err := m.must(model.KindPod, r.Pod)
	if err != nil {
		return b, err
	}
	b.SetName(r.Name)
	return b.SetPodID(id), nil
}

type rackSetter[T any] interface {
	SetName(string) T
	SetLeafDomainID(int) T
}

func setRack[T rackSetter[T]](b T, r recRack, m ids) (T, error) {
	id, err := m.must(model.KindLeafDomain, r.LeafDomain)
	if err != nil {
		return b, err
	}
	b.SetName(r.Name)
	return b.SetLeafDomainID(id), nil
}

type fabricSetter[T any] interface {
	SetName(string) T
	SetKind(string) T
	SetRole(string) T
	SetSiteID(int) T
}

func setFabric[T fabricSetter[T]](b T, r recFabric, m ids) (T, error) {
	id, err := m.must(model.KindSite, r.Site)
	if err != nil {
		return b, err
	}
	b.SetName(r.Name)
	b.SetKind(r.Kind)
	b.SetRole(r.Role)
	return b.SetSiteID(id), nil
}

type nvlSetter[T any] interface {
	SetName(string) T
	SetSize(int) T
}

func setNVLinkDomain[T nvlSetter[T]](b T, r recNVLinkDomain) T {
	b.SetName(r.Name)
	return b.SetSize(r.Size)
}

type switchRefIDs struct {
	fabric                int
	rack, leafDomain, pod *int
}

func switchRefs(r recSwitch, m ids) (switchRefIDs, error) {
	var refs switchRefIDs
	var err error
	if refs.fabric, err = m.must(model.KindFabric, r.Fabric); err != nil {
		return refs, err
	}
	if refs.rack, err = m.ref(model.KindRack, r.Rack); err != nil {
		return refs, err
	}
	if refs.leafDomain, err = m.ref(model.KindLeafDomain, r.LeafDomain); err != nil {
		return refs, err
	}
	refs.pod, err = m.ref(model.KindPod, r.Pod)
	return refs, err
}

type switchSetter[T any] interface {
	SetName(string) T
	SetRole(string) T
	SetFabricID(int) T
	SetVendor(string) T
	SetModel(string) T
	SetOs(string) T
	SetSerial(string) T
	SetMgmtAddress(string) T
	SetDriver(string) T
	SetRail(int) T
	SetStale(bool) T
	SetProvenance(string) T
}

func setSwitch[T switchSetter[T]](b T, r recSwitch, refs switchRefIDs) T {
	b.SetName(r.Name)
	b.SetRole(r.Role)
	b.SetFabricID(refs.fabric)
	b.SetVendor(r.Vendor)
	b.SetModel(r.Model)
	b.SetOs(r.OS)
	b.SetSerial(r.Serial)
	b.SetMgmtAddress(r.MgmtAddress)
	b.SetDriver(r.Driver)
	b.SetRail(r.Rail)
	b.SetStale(r.Stale)
	return b.SetProvenance(r.Provenance)
}

type nodeSetter[T any] interface {
	SetHostname(string) T
	SetRackID(int) T
	SetSerial(string) T
	SetVendor(string) T
	SetModel(string) T
	SetBmcAddress(string) T
	SetBmcCredentialRef(string) T
	SetState(string) T
	SetStale(bool) T
	SetProvenance(string) T
}

func setNode[T nodeSetter[T]](b T, r recNode, m ids) (T, error) {
	rack, err := m.must(model.KindRack, r.Rack)
	if err != nil {
		return b, err
	}
	b.SetHostname(r.Hostname)
	b.SetRackID(rack)
	b.SetSerial(r.Serial)
	b.SetVendor(r.Vendor)
	b.SetModel(r.Model)
	b.SetBmcAddress(r.BMCAddress)
	b.SetBmcCredentialRef(r.BMCCredential)
	b.SetState(r.State)
	b.SetStale(r.Stale)
	return b.SetProvenance(r.Provenance), nil
}

type gpuSetter[T any] interface {
	SetNodeID(int) T
	SetIndex(int) T
	SetUUID(string) T
	SetSerial(string) T
	SetModel(string) T
	SetMemoryMib(int) T
	SetPciBusID(string) T
	SetNumaNode(int) T
	SetHealth(string) T
}

func setGPU[T gpuSetter[T]](b T, r recGPU, m ids) (T, error) {
	n, err := m.must(model.KindNode, r.Node)
	if err != nil {
		return b, err
	}
	b.SetNodeID(n)
	b.SetIndex(r.Index)
	b.SetUUID(r.UUID)
	b.SetSerial(r.Serial)
	b.SetModel(r.Model)
	b.SetMemoryMib(r.MemoryMiB)
	b.SetPciBusID(r.PCIBusID)
	b.SetNumaNode(r.NUMANode)
	return b.SetHealth(r.Health), nil
}

type nicSetter[T any] interface {
	SetNodeID(int) T
	SetName(string) T
	SetModel(string) T
	SetKind(string) T
	SetRole(string) T
	SetRail(int) T
	SetPciBusID(string) T
}

func setNIC[T nicSetter[T]](b T, r recNIC, m ids) (T, error) {
	n, err := m.must(model.KindNode, r.Node)
	if err != nil {
		return b, err
	}
	b.SetNodeID(n)
	b.SetName(r.Name)
	b.SetModel(r.Model)
	b.SetKind(r.Kind)
	b.SetRole(r.Role)
	b.SetRail(r.Rail)
	return b.SetPciBusID(r.PCIBusID), nil
}

type nicPortSetter[T any] interface {
	SetDevice(string) T
	SetName(string) T
	SetMAC(string) T
	SetGUID(string) T
	SetSpeedGbps(int) T
	SetNicID(int) T
}

func setNICPort[T nicPortSetter[T]](b T, r recNICPort, m ids) (T, error) {
	n, err := m.must(model.KindNIC, nicKey(r.Device, r.NIC))
	if err != nil {
		return b, err
	}
	b.SetDevice(r.Device)
	b.SetName(r.Name)
	b.SetMAC(r.MAC)
	b.SetGUID(r.GUID)
	b.SetSpeedGbps(r.SpeedGbps)
	return b.SetNicID(n), nil
}

type linkSetter[T any] interface {
	SetKey(string) T
	SetAID(int) T
	SetBID(int) T
	SetStale(bool) T
	SetProvenance(string) T
}

func setLink[T linkSetter[T]](b T, r recLink, m ids) (T, error) {
	a, err := m.must(portKind(m, r.A), portKey(r.A.Device, r.A.Port))
	if err != nil {
		return b, err
	}
	z, err := m.must(portKind(m, r.B), portKey(r.B.Device, r.B.Port))
	if err != nil {
		return b, err
	}
	b.SetKey(r.key())
	b.SetAID(a)
	b.SetBID(z)
	b.SetStale(r.Stale)
	return b.SetProvenance(r.Provenance), nil
}

// portKind says whether an endpoint is a NIC port or a switch port.
func portKind(m ids, e model.Endpoint) string {
	if _, ok := m[model.KindNICPort][portKey(e.Device, e.Port)]; ok {
		return model.KindNICPort
	}
	return model.KindSwitchPort
}
