package api

import (
	"context"
	"fmt"
	"slices"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/railyard/railyard/drivers"
	"github.com/railyard/railyard/internal/fabric"
	"github.com/railyard/railyard/internal/inventory"
	"github.com/railyard/railyard/internal/reconcile"
	pb "github.com/railyard/railyard/proto/railyard/v1"
)

// Network implements railyard.v1.NetworkService.
type Network struct {
	pb.UnimplementedNetworkServiceServer
	store *inventory.Store
	net   *reconcile.Network
}

// NewNetwork returns the network service.
func NewNetwork(s *inventory.Store, n *reconcile.Network) *Network { return &Network{store: s, net: n} }

// Register registers the service on g.
func (s *Network) Register(g *grpc.Server) { pb.RegisterNetworkServiceServer(g, s) }

func intentOfPB(r *pb.SetTenantNetworkRequest) fabric.Intent {
	o := r.GetOverrides()
	return fabric.Intent{Tenant: r.GetTenant(), Compute: r.GetCompute(), Storage: r.GetStorage(), State: fabric.Active,
		Overrides: fabric.Overrides{TenantID: int(o.GetTenantId()), L3VNI: o.GetL3Vni(), L2VNI: o.GetL2Vni(), VLAN: int(o.GetVlan()),
			PKey: uint16(o.GetPkey()), StorageSubnet: o.GetStorageSubnet()}}
}

func netFindingsPB(fs []fabric.Finding, tenant string) []*pb.NetworkFinding {
	var out []*pb.NetworkFinding
	for _, f := range fs {
		if tenant != "" && f.Tenant != tenant && f.Tenant != "" {
			continue
		}
		out = append(out, &pb.NetworkFinding{Tenant: f.Tenant, Fabric: f.Fabric, Device: f.Device, Node: f.Node, Reason: f.Reason})
	}
	return out
}

// networkPB describes a tenant's network from its intent, a plan and the
// stored device state.
func networkPB(in fabric.Intent, plan *fabric.Plan, st *inventory.NetworkState) *pb.TenantNetwork {
	o := in.Overrides
	out := &pb.TenantNetwork{Tenant: in.Tenant, Compute: in.Compute, Storage: in.Storage, State: string(in.State), Generation: in.Generation,
		Overrides: &pb.NetworkOverrides{TenantId: int32(o.TenantID), L3Vni: o.L3VNI, L2Vni: o.L2VNI, Vlan: int32(o.VLAN), Pkey: uint32(o.PKey), StorageSubnet: o.StorageSubnet}}
	var devices []string
	if plan != nil {
		for _, tp := range plan.Tenants {
			if tp.Tenant != in.Tenant {
				continue
			}
			out.Id = int32(tp.ID)
			for _, f := range tp.Fabrics {
				out.Fabrics = append(out.Fabrics, &pb.TenantFabricNetwork{Fabric: f.Fabric, Role: string(f.Role), Kind: string(f.Kind),
					Vrf: f.VRF, L3Vni: f.L3VNI, L2Vni: f.L2VNI, Vlan: int32(f.VLAN), CoreVlan: int32(f.CoreVLAN), RouteTarget: f.RT,
					Pkey: uint32(f.PKey), Subnet: f.Subnet, Gateway: f.Gateway, Devices: f.Devices, Ports: int32(f.Ports)})
				devices = append(devices, f.Devices...)
			}
		}
		out.Findings = netFindingsPB(plan.Findings, in.Tenant)
	}
	// Ready: every device that carries (or, releasing, carried) the
	// tenant applied the revision the plan stored.
	if st != nil {
		for _, d := range st.Devices {
			carries := slices.Contains(devices, d.Desired.Device) || slices.Contains(d.Desired.Tenants(), in.Tenant)
			if in.State == fabric.Releasing {
				carries = true
			}
			if carries && !d.InSync() {
				out.PendingDevices = append(out.PendingDevices, d.Desired.Device)
			}
		}
		out.Ready = len(out.PendingDevices) == 0 && in.State == fabric.Active
	}
	return out
}

func (s *Network) describe(ctx context.Context, tenant string) (*pb.TenantNetwork, error) {
	plan, st, err := s.net.Preview(ctx, nil)
	if err != nil {
		return nil, toStatus(err)
	}
	return describeIn(tenant, plan, st)
}

// describeCompiled describes a tenant's network from a plan just
// compiled and stored, without compiling again.
func (s *Network) describeCompiled(ctx context.Context, tenant string, plan *fabric.Plan) (*pb.TenantNetwork, error) {
	st, err := s.store.NetworkState(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	return describeIn(tenant, plan, st)
}

func describeIn(tenant string, plan *fabric.Plan, st *inventory.NetworkState) (*pb.TenantNetwork, error) {
	for _, in := range st.Intents {
		if in.Tenant == tenant {
			return networkPB(in, plan, st), nil
		}
	}
	return nil, toStatus(notFound("tenant %q has no network", tenant))
}

// SetTenantNetwork stores an intent and compiles it.
func (s *Network) SetTenantNetwork(ctx context.Context, r *pb.SetTenantNetworkRequest) (*pb.TenantNetwork, error) {
	in := intentOfPB(r)
	// Compile first: an intent the compiler refuses (a taken number) is
	// not stored.
	if _, _, err := s.net.Preview(ctx, &in); err != nil {
		return nil, toStatus(invalid("%v", err))
	}
	c := callerOf(ctx)
	if _, _, err := s.store.SetTenantNetwork(ctx, in, inventory.WriteOptions{Actor: c.Actor, Source: "api"}); err != nil {
		return nil, toStatus(err)
	}
	res, err := s.net.Compile(ctx, reconcile.Actor{Actor: c.Actor, Source: "api"})
	if err != nil {
		return nil, toStatus(err)
	}
	return s.describeCompiled(ctx, in.Tenant, res.Plan)
}

// GetTenantNetwork describes one tenant's network.
func (s *Network) GetTenantNetwork(ctx context.Context, r *pb.GetTenantNetworkRequest) (*pb.TenantNetwork, error) {
	return s.describe(ctx, r.GetTenant())
}

// ListTenantNetworks describes every tenant network.
func (s *Network) ListTenantNetworks(ctx context.Context, _ *pb.ListTenantNetworksRequest) (*pb.ListTenantNetworksResponse, error) {
	plan, st, err := s.net.Preview(ctx, nil)
	if err != nil {
		return nil, toStatus(err)
	}
	out := &pb.ListTenantNetworksResponse{}
	for _, in := range st.Intents {
		out.Networks = append(out.Networks, networkPB(in, plan, st))
	}
	return out, nil
}

// ReleaseTenantNetwork starts a release.
func (s *Network) ReleaseTenantNetwork(ctx context.Context, r *pb.ReleaseTenantNetworkRequest) (*pb.TenantNetwork, error) {
	c := callerOf(ctx)
	if _, err := s.store.ReleaseTenantNetwork(ctx, r.GetTenant(), inventory.WriteOptions{Actor: c.Actor, Source: "api"}); err != nil {
		return nil, toStatus(err)
	}
	res, err := s.net.Compile(ctx, reconcile.Actor{Actor: c.Actor, Source: "api"})
	if err != nil {
		return nil, toStatus(err)
	}
	n, err := s.describeCompiled(ctx, r.GetTenant(), res.Plan)
	if status.Code(err) == codes.NotFound {
		// The reconciler finished the release already.
		return &pb.TenantNetwork{Tenant: r.GetTenant(), State: "released", Ready: true}, nil
	}
	return n, err
}

// PlanTenantNetwork shows what an intent would change, per device.
func (s *Network) PlanTenantNetwork(ctx context.Context, r *pb.PlanTenantNetworkRequest) (*pb.NetworkPlan, error) {
	var in *fabric.Intent
	if r.GetIntent() != nil {
		x := intentOfPB(r.GetIntent())
		if x.Tenant == "" {
			x.Tenant = r.GetTenant()
		}
		in = &x
	}
	plan, st, err := s.net.Preview(ctx, in)
	if err != nil {
		return nil, toStatus(invalid("%v", err))
	}
	intent := fabric.Intent{Tenant: r.GetTenant()}
	if in != nil {
		intent = *in
	} else if i := slices.IndexFunc(st.Intents, func(x fabric.Intent) bool { return x.Tenant == r.GetTenant() }); i >= 0 {
		intent = st.Intents[i]
	} else {
		return nil, toStatus(notFound("tenant %q has no network; pass an intent to plan one", r.GetTenant()))
	}
	out := &pb.NetworkPlan{Network: networkPB(intent, plan, st), Findings: netFindingsPB(plan.Findings, intent.Tenant)}
	if !slices.ContainsFunc(st.Intents, func(x fabric.Intent) bool { return x.Tenant == intent.Tenant }) {
		out.Network.State, out.Network.Ready, out.Network.PendingDevices = "planned", false, nil
	}
	stored := map[string]inventory.DeviceState{}
	for _, d := range st.Devices {
		stored[d.Desired.Device] = d
	}
	var observed map[string]fabric.DeviceConfig
	if r.GetObserve() {
		observed, err = s.net.Observe(ctx, plan.Devices)
		if err != nil {
			return nil, toStatus(err)
		}
	}
	for _, d := range plan.Devices {
		old, had := stored[d.Device]
		base := old.Desired
		dp := &pb.DevicePlan{Device: d.Device, Driver: d.Driver, Revision: old.Revision}
		if !had {
			base = fabric.DeviceConfig{Device: d.Device, Kind: d.Kind}
		}
		if r.GetObserve() {
			o, ok := observed[d.Device]
			if !ok {
				dp.Error = "not observed"
				out.Devices = append(out.Devices, dp)
				continue
			}
			base, dp.Observed = o, true
		}
		ch := fabric.Diff(base, d)
		if ch.Empty() {
			continue
		}
		dp.Change = ch.String()
		if drv, err := drivers.Lookup(d.Driver); err != nil {
			dp.Error = err.Error()
		} else if cmds, err := drv.Commands(ch, d); err != nil {
			dp.Error = err.Error()
		} else {
			dp.Commands = cmds
		}
		out.Devices = append(out.Devices, dp)
	}
	return out, nil
}

// SyncNetwork runs a round now.
func (s *Network) SyncNetwork(ctx context.Context, r *pb.SyncNetworkRequest) (*pb.SyncNetworkResponse, error) {
	c := callerOf(ctx)
	who := reconcile.Actor{Actor: c.Actor, Source: "api"}
	if !r.GetDryRun() {
		if _, err := s.net.Compile(ctx, who); err != nil {
			return nil, toStatus(err)
		}
	}
	reports, err := s.net.Pass(ctx, reconcile.PassOptions{All: r.GetAll(), Devices: r.GetDevices(), DryRun: r.GetDryRun()})
	if err != nil {
		return nil, toStatus(err)
	}
	out := &pb.SyncNetworkResponse{}
	for _, rep := range reports {
		sr := &pb.SyncReport{Device: rep.Device, Driver: rep.Driver, Changed: rep.Changed(), Commands: int32(rep.Commands),
			Passes: int32(rep.Passes), DurationMs: rep.Duration.Milliseconds(), Drift: rep.Drift.String()}
		if rep.Err != nil {
			sr.Error = rep.Err.Error()
		}
		out.Reports = append(out.Reports, sr)
	}
	if !r.GetDryRun() {
		if out.Released, err = s.net.FinishReleases(ctx, who); err != nil {
			return nil, toStatus(err)
		}
		if len(out.Released) > 0 {
			if _, err := s.net.Compile(ctx, who); err != nil {
				return nil, toStatus(err)
			}
		}
	}
	return out, nil
}

// ListNetworkDevices lists every managed device's status.
func (s *Network) ListNetworkDevices(ctx context.Context, _ *pb.ListNetworkDevicesRequest) (*pb.ListNetworkDevicesResponse, error) {
	st, err := s.store.NetworkState(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	out := &pb.ListNetworkDevicesResponse{}
	for _, d := range st.Devices {
		nd := &pb.NetworkDevice{Device: d.Desired.Device, Driver: d.Desired.Driver, Fabric: d.Desired.Fabric, Revision: d.Revision,
			AppliedRevision: d.AppliedRevision, InSync: d.InSync(), LastError: d.LastError, LastDurationMs: d.LastDuration.Milliseconds(),
			LastCommands: int32(d.LastCommands), LastDrift: d.LastDrift, DriftCount: int32(d.DriftCount), Tenants: d.Desired.Tenants(),
			UpdatedAt: ts(d.UpdatedAt)}
		if !d.LastSync.IsZero() {
			nd.LastSync = ts(d.LastSync)
		}
		out.Devices = append(out.Devices, nd)
	}
	return out, nil
}

func notFound(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{inventory.ErrNotFound}, args...)...)
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{inventory.ErrInvalid}, args...)...)
}
