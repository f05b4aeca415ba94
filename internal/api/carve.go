package api

import (
	"context"
	"errors"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/railyard/railyard/internal/carve"
	"github.com/railyard/railyard/internal/carver"
	"github.com/railyard/railyard/internal/model"
	pb "github.com/railyard/railyard/proto/railyard/v1"
)

// ActorHeader is the gRPC metadata key a client sets to name the person or
// system making a change; it is recorded in the history.
const ActorHeader = "x-railyard-actor"

// Carve implements railyard.v1.CarveService on a carver.Service.
type Carve struct {
	pb.UnimplementedCarveServiceServer
	svc *carver.Service
}

// NewCarve returns the carving service.
func NewCarve(svc *carver.Service) *Carve { return &Carve{svc: svc} }

// Register registers the service on g.
func (s *Carve) Register(g *grpc.Server) { pb.RegisterCarveServiceServer(g, s) }

func callerOf(ctx context.Context) carver.Caller {
	c := carver.Caller{Actor: "api", Source: "api"}
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get(ActorHeader); len(v) > 0 && v[0] != "" {
			c.Actor = v[0]
		}
	}
	return c
}

// refusalStatus turns a carve.Refusal into RESOURCE_EXHAUSTED with the
// reasons as a structured detail.
func refusalStatus(r *carve.Refusal) error {
	d := &pb.Refusal{Request: r.Request}
	for _, x := range r.Reasons {
		d.Reasons = append(d.Reasons, &pb.RefusalReason{Code: x.Code, Message: x.Message})
	}
	st, err := status.New(codes.ResourceExhausted, r.Error()).WithDetails(d)
	if err != nil {
		return status.Error(codes.ResourceExhausted, r.Error())
	}
	return st.Err()
}

func carveErr(err error) error {
	var r *carve.Refusal
	if errors.As(err, &r) {
		return refusalStatus(r)
	}
	return toStatus(err)
}

func parseLevel(field, s string) (carve.Level, error) {
	l, err := carve.ParseLevel(s)
	if err != nil {
		return 0, status.Errorf(codes.InvalidArgument, "%s: %v", field, err)
	}
	return l, nil
}

// CreateTenant adds a tenant.
func (s *Carve) CreateTenant(ctx context.Context, r *pb.CreateTenantRequest) (*pb.Tenant, error) {
	t := model.Tenant{Name: r.Name, Description: r.Description}
	if err := s.svc.CreateTenant(ctx, callerOf(ctx), t); err != nil {
		return nil, toStatus(err)
	}
	return &pb.Tenant{Name: t.Name, Description: t.Description}, nil
}

// DeleteTenant removes a tenant without blocks.
func (s *Carve) DeleteTenant(ctx context.Context, r *pb.DeleteTenantRequest) (*pb.DeleteTenantResponse, error) {
	if err := s.svc.DeleteTenant(ctx, callerOf(ctx), r.Name); err != nil {
		return nil, toStatus(err)
	}
	return &pb.DeleteTenantResponse{}, nil
}

// SetQuota sets or removes a quota.
func (s *Carve) SetQuota(ctx context.Context, r *pb.SetQuotaRequest) (*pb.Quota, error) {
	q := model.Quota{Tenant: r.Tenant, GPUModel: r.GpuModel, GPUs: int(r.Gpus)}
	if q.GPUs < 0 {
		q.GPUs = -1
	}
	if err := s.svc.SetQuota(ctx, callerOf(ctx), q); err != nil {
		return nil, toStatus(err)
	}
	used, err := s.svc.Used(ctx, q.Tenant, q.GPUModel)
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.Quota{Tenant: q.Tenant, GpuModel: q.GPUModel, Gpus: int32(q.GPUs), Used: int32(used)}, nil
}

// ListQuotas lists quotas with what each tenant holds.
func (s *Carve) ListQuotas(ctx context.Context, r *pb.ListQuotasRequest) (*pb.ListQuotasResponse, error) {
	qs, err := s.svc.Quotas(ctx, r.Tenant)
	if err != nil {
		return nil, toStatus(err)
	}
	out := &pb.ListQuotasResponse{}
	for _, q := range qs {
		out.Quotas = append(out.Quotas, &pb.Quota{Tenant: q.Tenant, GpuModel: q.GPUModel, Gpus: int32(q.GPUs), Used: int32(q.Used)})
	}
	return out, nil
}

// Carve places a new block.
func (s *Carve) Carve(ctx context.Context, r *pb.CarveRequest) (*pb.Placement, error) {
	req := carve.Request{
		Block: r.Block, Tenant: r.Tenant, GPUModel: r.GpuModel, Site: r.Site, GPUs: int(r.Gpus),
		SegmentNodes: int(r.SegmentNodes), Priority: int(r.Priority), Preemptible: r.Preemptible,
	}
	var err error
	if req.Required, err = parseLevel("required", r.Required); err != nil {
		return nil, err
	}
	if req.Preferred, err = parseLevel("preferred", r.Preferred); err != nil {
		return nil, err
	}
	if req.SegmentLevel, err = parseLevel("segment_level", r.SegmentLevel); err != nil {
		return nil, err
	}
	p, err := s.svc.Carve(ctx, callerOf(ctx), req, r.DryRun)
	if err != nil {
		return nil, carveErr(err)
	}
	return placementProto(p, r.DryRun), nil
}

// GetBlock returns one block.
func (s *Carve) GetBlock(ctx context.Context, r *pb.GetBlockRequest) (*pb.Block, error) {
	b, err := s.svc.Block(ctx, r.Name)
	if err != nil {
		return nil, carveErr(err)
	}
	return blockProto(&b), nil
}

// ListBlocks lists blocks, of one tenant or all.
func (s *Carve) ListBlocks(ctx context.Context, r *pb.ListBlocksRequest) (*pb.ListBlocksResponse, error) {
	bs, err := s.svc.Blocks(ctx, r.Tenant)
	if err != nil {
		return nil, carveErr(err)
	}
	out := &pb.ListBlocksResponse{}
	for i := range bs {
		out.Blocks = append(out.Blocks, blockProto(&bs[i]))
	}
	return out, nil
}

// Grow adds GPUs to a block.
func (s *Carve) Grow(ctx context.Context, r *pb.ResizeRequest) (*pb.Placement, error) {
	p, err := s.svc.Grow(ctx, callerOf(ctx), r.Block, int(r.Gpus), r.DryRun)
	if err != nil {
		return nil, carveErr(err)
	}
	return placementProto(p, r.DryRun), nil
}

// Shrink removes GPUs from a block.
func (s *Carve) Shrink(ctx context.Context, r *pb.ResizeRequest) (*pb.Placement, error) {
	p, err := s.svc.Shrink(ctx, callerOf(ctx), r.Block, int(r.Gpus), r.DryRun)
	if err != nil {
		return nil, carveErr(err)
	}
	return placementProto(p, r.DryRun), nil
}

// Release frees a block.
func (s *Carve) Release(ctx context.Context, r *pb.ReleaseRequest) (*pb.Placement, error) {
	p, err := s.svc.Release(ctx, callerOf(ctx), r.Block, r.DryRun)
	if err != nil {
		return nil, carveErr(err)
	}
	return placementProto(p, r.DryRun), nil
}

// Swap replaces a node of a block by a spare.
func (s *Carve) Swap(ctx context.Context, r *pb.SwapRequest) (*pb.Placement, error) {
	p, err := s.svc.Swap(ctx, callerOf(ctx), r.Block, r.Node, r.DryRun)
	if err != nil {
		return nil, carveErr(err)
	}
	return placementProto(p, r.DryRun), nil
}

// Defrag proposes or applies moves that free whole domains.
func (s *Carve) Defrag(ctx context.Context, r *pb.DefragRequest) (*pb.DefragPlan, error) {
	l, err := parseLevel("level", r.Level)
	if err != nil {
		return nil, err
	}
	p, err := s.svc.Defrag(ctx, callerOf(ctx), carve.DefragOptions{GPUModel: r.GpuModel, MaxNodes: int(r.MaxNodes), Level: l}, r.Apply)
	if err != nil {
		return nil, carveErr(err)
	}
	out := &pb.DefragPlan{GpuModel: p.GPUModel, Level: p.Level.String(), NodesMoved: int32(p.NodesMoved), Freed: p.Freed,
		Before: fragProto(p.Before), After: fragProto(p.After), Applied: r.Apply}
	for _, m := range p.Moves {
		out.Moves = append(out.Moves, placementProto(m, !r.Apply))
	}
	return out, nil
}

// Reserve sets capacity aside for a tenant.
func (s *Carve) Reserve(ctx context.Context, r *pb.ReserveRequest) (*pb.Reservation, error) {
	x := r.GetReservation()
	if x == nil {
		return nil, status.Error(codes.InvalidArgument, "reservation is required")
	}
	res := model.Reservation{Name: x.Name, Tenant: x.Tenant, Level: x.Level, Domain: x.Domain, Nodes: x.Nodes, Note: x.Note}
	if x.Until != nil {
		res.Until = x.Until.AsTime()
	}
	if _, err := parseLevel("level", x.Level); err != nil {
		return nil, err
	}
	if err := s.svc.Reserve(ctx, callerOf(ctx), res); err != nil {
		return nil, carveErr(err)
	}
	return reservationProto(res), nil
}

// Unreserve deletes a reservation.
func (s *Carve) Unreserve(ctx context.Context, r *pb.UnreserveRequest) (*pb.UnreserveResponse, error) {
	if err := s.svc.Unreserve(ctx, callerOf(ctx), r.Name); err != nil {
		return nil, toStatus(err)
	}
	return &pb.UnreserveResponse{}, nil
}

// ListReservations lists reservations.
func (s *Carve) ListReservations(ctx context.Context, _ *pb.ListReservationsRequest) (*pb.ListReservationsResponse, error) {
	rs, err := s.svc.Reservations(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	out := &pb.ListReservationsResponse{}
	for _, r := range rs {
		out.Reservations = append(out.Reservations, reservationProto(r))
	}
	return out, nil
}

// Cordon keeps a node out of new blocks, or lets it back in.
func (s *Carve) Cordon(ctx context.Context, r *pb.CordonRequest) (*pb.CordonResponse, error) {
	if err := s.svc.Cordon(ctx, callerOf(ctx), r.Node, r.Cordoned, r.Reason); err != nil {
		return nil, toStatus(err)
	}
	return &pb.CordonResponse{}, nil
}

// Capacity reports how usable the free GPUs are.
func (s *Carve) Capacity(ctx context.Context, r *pb.CapacityRequest) (*pb.CapacityResponse, error) {
	f, gpuModel, left, used, err := s.svc.Capacity(ctx, r.Tenant, r.GpuModel)
	if err != nil {
		return nil, carveErr(err)
	}
	return &pb.CapacityResponse{GpuModel: gpuModel, Free: fragProto(f), QuotaLeft: int32(left), Used: int32(used)}, nil
}

func blockProto(b *model.Block) *pb.Block {
	out := &pb.Block{
		Name: b.Name, Tenant: b.Tenant, GpuModel: b.GPUModel, Gpus: int32(b.GPUs), Required: b.Required,
		Preferred: b.Preferred, SegmentNodes: int32(b.SegmentNodes), SegmentLevel: b.SegmentLevel,
		Priority: int32(b.Priority), Preemptible: b.Preemptible, Generation: b.Generation,
		Members: membersProto(b.Members), CreatedAt: tsOrNil(b.CreatedAt), UpdatedAt: tsOrNil(b.UpdatedAt),
	}
	return out
}

func membersProto(ms []model.BlockMember) []*pb.BlockMember {
	out := make([]*pb.BlockMember, len(ms))
	for i, m := range ms {
		g := make([]int32, len(m.GPUs))
		for j, x := range m.GPUs {
			g[j] = int32(x)
		}
		out[i] = &pb.BlockMember{Node: m.Node, Gpus: g, Segment: int32(m.Segment)}
	}
	return out
}

func placementProto(p *carve.Plan, dryRun bool) *pb.Placement {
	out := &pb.Placement{Op: p.Op, Added: membersProto(p.Added), Removed: membersProto(p.Removed),
		Level: p.Level.String(), Notes: p.Notes, DryRun: dryRun}
	switch {
	case p.After != nil:
		out.Block = blockProto(p.After)
	case p.Before != nil:
		out.Block = blockProto(p.Before)
	}
	if p.After != nil {
		for _, l := range []carve.Level{carve.LevelNVLink, carve.LevelLeaf, carve.LevelPod, carve.LevelSite} {
			out.Spans = append(out.Spans, &pb.LevelSpan{Level: l.String(), Span: int32(p.Span(l)), Bound: int32(p.Bound(l))})
		}
	}
	return out
}

func fragProto(f carve.Fragmentation) *pb.Fragmentation {
	return &pb.Fragmentation{FreeGpus: int32(f.FreeGPUs), LargestLeafBlock: int32(f.LargestLeafBlock),
		LargestNvlinkBlock: int32(f.LargestNVLinkBlock), WholeLeafDomains: int32(f.WholeLeafDomains),
		WholeNvlinkDomains: int32(f.WholeNVLinkDomains)}
}

func reservationProto(r model.Reservation) *pb.Reservation {
	return &pb.Reservation{Name: r.Name, Tenant: r.Tenant, Level: r.Level, Domain: r.Domain, Nodes: r.Nodes,
		Note: r.Note, Until: tsOrNil(r.Until), CreatedAt: tsOrNil(r.CreatedAt)}
}

func tsOrNil(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}
