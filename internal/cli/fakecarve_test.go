package cli

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	pb "github.com/railyard/railyard/proto/railyard/v1"
)

// fakeModel is the one GPU model of the fake carving fleet; its nodes
// have fakePerNode GPUs each.
const (
	fakeModel   = "H100-SXM5-80GB"
	fakePerNode = 8
)

// fakeCarve is a small in-memory CarveService. Its fleet is capacity GPUs
// on sequentially named nodes of fakeModel; Carve takes the lowest free
// nodes and refuses, with a Refusal detail, what does not fit or exceeds
// a quota. Tenants live in the inventory fake, so that tenant list sees
// those created here.
type fakeCarve struct {
	pb.UnimplementedCarveServiceServer
	inv *fakeServer

	mu           sync.Mutex
	capacity     int32                       // GPUs in the fleet
	taken        map[int]bool                // node index → in a block
	quotas       map[string]map[string]int32 // tenant → model → GPUs
	blocks       []*pb.Block
	seq          map[string]int // tenant → blocks carved
	reservations []*pb.Reservation
	refusal      *pb.Refusal    // what Carve refuses with, when set
	defrag       *pb.DefragPlan // what Defrag plans

	reqs   []proto.Message // every request, in order
	actors []string        // who sent each
}

func newFakeCarve(inv *fakeServer) *fakeCarve {
	return &fakeCarve{
		inv:      inv,
		capacity: 256,
		taken:    map[int]bool{},
		quotas:   map[string]map[string]int32{},
		seq:      map[string]int{},
		defrag:   testDefragPlan(),
	}
}

// startCarve serves a fake inventory and a fake carving API on one
// 127.0.0.1 port until the test ends.
func startCarve(t *testing.T) (*fakeCarve, string) {
	t.Helper()
	f := newFakeCarve(newFakeServer())
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	pb.RegisterInventoryServiceServer(s, f.inv)
	pb.RegisterCarveServiceServer(s, f)
	go s.Serve(lis)
	t.Cleanup(s.Stop)
	return f, lis.Addr().String()
}

// record notes req and who sent it, and locks f; the caller unlocks.
func (f *fakeCarve) record(ctx context.Context, req proto.Message) {
	f.mu.Lock()
	f.reqs = append(f.reqs, proto.Clone(req))
	md, _ := metadata.FromIncomingContext(ctx)
	f.actors = append(f.actors, strings.Join(md.Get(actorHeader), ","))
}

// last returns the last request recorded, or nil.
func (f *fakeCarve) last() proto.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reqs) == 0 {
		return nil
	}
	return f.reqs[len(f.reqs)-1]
}

// fakeNode names node i: eight to a rack, four racks to a leaf domain.
func fakeNode(i int) string {
	return fmt.Sprintf("lab-su%02d-r%02d-n%02d", i/32+1, i/8%4+1, i%8+1)
}

func (f *fakeCarve) tenantExists(name string) bool {
	return slices.ContainsFunc(f.inv.tenants, func(t *pb.Tenant) bool { return t.GetName() == name })
}

func (f *fakeCarve) block(name string) (*pb.Block, error) {
	for _, b := range f.blocks {
		if b.GetName() == name {
			return b, nil
		}
	}
	return nil, status.Errorf(codes.NotFound, "block %q does not exist", name)
}

func (f *fakeCarve) freeNodes() int {
	return int(f.capacity)/fakePerNode - len(f.taken)
}

// used is how many GPUs of model tenant holds.
func (f *fakeCarve) used(tenant, model string) int32 {
	var n int32
	for _, b := range f.blocks {
		if b.GetTenant() == tenant && b.GetGpuModel() == model {
			n += b.GetGpus()
		}
	}
	return n
}

// nodesFor is how many nodes hold gpus GPUs.
func nodesFor(gpus int32) int {
	return int((gpus + fakePerNode - 1) / fakePerNode)
}

// take takes the k lowest free nodes (all their GPUs, or the first gpus
// for a block smaller than a node) without marking them taken.
func (f *fakeCarve) take(k int, gpus int32, segNodes int32, firstSeg int) []*pb.BlockMember {
	var ms []*pb.BlockMember
	for i := 0; len(ms) < k; i++ {
		if f.taken[i] {
			continue
		}
		m := &pb.BlockMember{Node: fakeNode(i)}
		for g := range int32(min(gpus, fakePerNode)) {
			m.Gpus = append(m.Gpus, g)
		}
		if segNodes > 0 {
			m.Segment = int32(firstSeg + len(ms)/int(segNodes))
		}
		ms = append(ms, m)
	}
	return ms
}

func (f *fakeCarve) mark(ms []*pb.BlockMember, taken bool) {
	for _, m := range ms {
		i := 0
		for fakeNode(i) != m.GetNode() {
			i++
		}
		if taken {
			f.taken[i] = true
		} else {
			delete(f.taken, i)
		}
	}
}

// spans makes up the spans of a block of k nodes.
func spans(k int) (string, []*pb.LevelSpan) {
	leaves := int32((k + 31) / 32)
	level := "leaf"
	switch {
	case k <= 1:
		level = "nvlink"
	case leaves > 1:
		level = "pod"
	}
	return level, []*pb.LevelSpan{
		{Level: "nvlink", Span: int32(k), Bound: int32(k)},
		{Level: "leaf", Span: leaves, Bound: leaves},
		{Level: "pod", Span: 1},
		{Level: "site", Span: 1},
	}
}

// refuse returns the RESOURCE_EXHAUSTED status that carries r.
func (f *fakeCarve) refuse(r *pb.Refusal) error {
	st, err := status.New(codes.ResourceExhausted, "cannot place "+r.GetRequest()).WithDetails(r)
	if err != nil {
		return status.Error(codes.Internal, err.Error())
	}
	return st.Err()
}

// check returns the refusal of gpus more GPUs for tenant, or nil.
func (f *fakeCarve) check(request, tenant string, gpus int32) *pb.Refusal {
	r := &pb.Refusal{Request: request}
	if q, ok := f.quotas[tenant][fakeModel]; ok {
		if used := f.used(tenant, fakeModel); used+gpus > q {
			r.Reasons = append(r.Reasons, &pb.RefusalReason{Code: "quota", Message: fmt.Sprintf(
				"quota allows %d more %s GPUs for %s (holds %d of %d)", max(q-used, 0), fakeModel, tenant, used, q)})
		}
	}
	if free := f.freeNodes(); nodesFor(gpus) > free {
		r.Reasons = append(r.Reasons, &pb.RefusalReason{Code: "capacity", Message: fmt.Sprintf(
			"only %d %s GPUs (%d nodes) are free in the fleet", free*fakePerNode, fakeModel, free)})
	}
	if len(r.Reasons) == 0 {
		return nil
	}
	return r
}

func (f *fakeCarve) CreateTenant(ctx context.Context, req *pb.CreateTenantRequest) (*pb.Tenant, error) {
	f.record(ctx, req)
	defer f.mu.Unlock()
	if f.tenantExists(req.GetName()) {
		return nil, status.Errorf(codes.AlreadyExists, "tenant %q exists", req.GetName())
	}
	t := &pb.Tenant{Name: req.GetName(), Description: req.GetDescription()}
	f.inv.tenants = append(f.inv.tenants, t)
	return t, nil
}

func (f *fakeCarve) DeleteTenant(ctx context.Context, req *pb.DeleteTenantRequest) (*pb.DeleteTenantResponse, error) {
	f.record(ctx, req)
	defer f.mu.Unlock()
	if !f.tenantExists(req.GetName()) {
		return nil, status.Errorf(codes.NotFound, "tenant %q does not exist", req.GetName())
	}
	if slices.ContainsFunc(f.blocks, func(b *pb.Block) bool { return b.GetTenant() == req.GetName() }) {
		return nil, status.Errorf(codes.FailedPrecondition, "tenant %q holds blocks", req.GetName())
	}
	f.inv.tenants = slices.DeleteFunc(f.inv.tenants, func(t *pb.Tenant) bool { return t.GetName() == req.GetName() })
	delete(f.quotas, req.GetName())
	return &pb.DeleteTenantResponse{}, nil
}

func (f *fakeCarve) SetQuota(ctx context.Context, req *pb.SetQuotaRequest) (*pb.Quota, error) {
	f.record(ctx, req)
	defer f.mu.Unlock()
	if !f.tenantExists(req.GetTenant()) {
		return nil, status.Errorf(codes.NotFound, "tenant %q does not exist", req.GetTenant())
	}
	q := &pb.Quota{Tenant: req.GetTenant(), GpuModel: req.GetGpuModel(), Gpus: req.GetGpus(), Used: f.used(req.GetTenant(), req.GetGpuModel())}
	if req.GetGpus() < 0 {
		delete(f.quotas[req.GetTenant()], req.GetGpuModel())
		q.Gpus = -1
		return q, nil
	}
	if f.quotas[req.GetTenant()] == nil {
		f.quotas[req.GetTenant()] = map[string]int32{}
	}
	f.quotas[req.GetTenant()][req.GetGpuModel()] = req.GetGpus()
	return q, nil
}

func (f *fakeCarve) ListQuotas(ctx context.Context, req *pb.ListQuotasRequest) (*pb.ListQuotasResponse, error) {
	f.record(ctx, req)
	defer f.mu.Unlock()
	resp := &pb.ListQuotasResponse{}
	for tenant, models := range f.quotas {
		if req.GetTenant() != "" && tenant != req.GetTenant() {
			continue
		}
		for model, gpus := range models {
			resp.Quotas = append(resp.Quotas, &pb.Quota{Tenant: tenant, GpuModel: model, Gpus: gpus, Used: f.used(tenant, model)})
		}
	}
	// Unordered, as a map gives them: the CLI sorts.
	return resp, nil
}

func (f *fakeCarve) Carve(ctx context.Context, req *pb.CarveRequest) (*pb.Placement, error) {
	f.record(ctx, req)
	defer f.mu.Unlock()
	if !f.tenantExists(req.GetTenant()) {
		return nil, status.Errorf(codes.NotFound, "tenant %q does not exist", req.GetTenant())
	}
	if m := req.GetGpuModel(); m != "" && m != fakeModel {
		return nil, status.Errorf(codes.InvalidArgument, "no %s GPUs in the fleet", m)
	}
	if f.refusal != nil {
		return nil, f.refuse(f.refusal)
	}
	k := nodesFor(req.GetGpus())
	if k > 1 && req.GetGpus()%fakePerNode != 0 {
		return nil, status.Errorf(codes.InvalidArgument, "a block of more than one node takes whole nodes: %d GPUs is not a multiple of %d", req.GetGpus(), fakePerNode)
	}
	request := fmt.Sprintf("%d %s GPUs (%d nodes) for %s", req.GetGpus(), fakeModel, k, req.GetTenant())
	if l := req.GetRequired(); l != "" && l != "site" {
		request += " within one " + levelNoun(l)
	}
	if r := f.check(request, req.GetTenant(), req.GetGpus()); r != nil {
		return nil, f.refuse(r)
	}
	name := req.GetBlock()
	if name == "" {
		name = fmt.Sprintf("%s-%d", req.GetTenant(), f.seq[req.GetTenant()]+1)
	}
	if _, err := f.block(name); err == nil {
		return nil, status.Errorf(codes.AlreadyExists, "block %q exists", name)
	}
	b := &pb.Block{
		Name: name, Tenant: req.GetTenant(), GpuModel: fakeModel, Gpus: req.GetGpus(),
		Required: req.GetRequired(), Preferred: req.GetPreferred(),
		SegmentNodes: req.GetSegmentNodes(), SegmentLevel: req.GetSegmentLevel(),
		Priority: req.GetPriority(), Preemptible: req.GetPreemptible(), Generation: 1,
		Members:   f.take(k, req.GetGpus(), req.GetSegmentNodes(), 0),
		CreatedAt: ts("2025-03-01T10:00:00Z"), UpdatedAt: ts("2025-03-01T10:00:00Z"),
	}
	level, sp := spans(k)
	pl := &pb.Placement{Op: "carve", Block: b, Added: b.GetMembers(), Level: level, Spans: sp, DryRun: req.GetDryRun()}
	if req.GetPreferred() == "nvlink" && k > 1 {
		pl.Notes = append(pl.Notes, fmt.Sprintf("preferred one NVLink domain; the block spans %d", k))
	}
	if !req.GetDryRun() {
		f.seq[req.GetTenant()]++
		f.mark(b.GetMembers(), true)
		f.blocks = append(f.blocks, b)
	}
	return pl, nil
}

func (f *fakeCarve) GetBlock(ctx context.Context, req *pb.GetBlockRequest) (*pb.Block, error) {
	f.record(ctx, req)
	defer f.mu.Unlock()
	return f.block(req.GetName())
}

func (f *fakeCarve) ListBlocks(ctx context.Context, req *pb.ListBlocksRequest) (*pb.ListBlocksResponse, error) {
	f.record(ctx, req)
	defer f.mu.Unlock()
	resp := &pb.ListBlocksResponse{}
	for _, b := range f.blocks {
		if req.GetTenant() == "" || b.GetTenant() == req.GetTenant() {
			resp.Blocks = append(resp.Blocks, b)
		}
	}
	return resp, nil
}

// after returns a copy of b one generation on, with members.
func after(b *pb.Block, members []*pb.BlockMember) *pb.Block {
	nb := proto.Clone(b).(*pb.Block)
	nb.Members = members
	nb.Gpus = int32(gpuCount(members))
	nb.Generation++
	nb.UpdatedAt = ts("2025-03-02T10:00:00Z")
	return nb
}

// commit replaces b by nb unless dry.
func (f *fakeCarve) commit(b, nb *pb.Block, added, removed []*pb.BlockMember, dry bool) {
	if dry {
		return
	}
	f.mark(removed, false)
	f.mark(added, true)
	i := slices.Index(f.blocks, b)
	if nb == nil {
		f.blocks = slices.Delete(f.blocks, i, i+1)
		return
	}
	f.blocks[i] = nb
}

func (f *fakeCarve) placement(op string, b *pb.Block, added, removed []*pb.BlockMember, dry bool) *pb.Placement {
	level, sp := spans(len(b.GetMembers()))
	return &pb.Placement{Op: op, Block: b, Added: added, Removed: removed, Level: level, Spans: sp, DryRun: dry}
}

func (f *fakeCarve) Grow(ctx context.Context, req *pb.ResizeRequest) (*pb.Placement, error) {
	f.record(ctx, req)
	defer f.mu.Unlock()
	b, err := f.block(req.GetBlock())
	if err != nil {
		return nil, err
	}
	k := nodesFor(req.GetGpus())
	request := fmt.Sprintf("%d more %s GPUs (%d nodes) for block %s", req.GetGpus(), fakeModel, k, b.GetName())
	if r := f.check(request, b.GetTenant(), req.GetGpus()); r != nil {
		return nil, f.refuse(r)
	}
	seg := 0
	if len(b.GetMembers()) > 0 {
		seg = int(b.GetMembers()[len(b.GetMembers())-1].GetSegment()) + 1
	}
	added := f.take(k, req.GetGpus(), b.GetSegmentNodes(), seg)
	nb := after(b, append(slices.Clone(b.GetMembers()), added...))
	f.commit(b, nb, added, nil, req.GetDryRun())
	return f.placement("grow", nb, added, nil, req.GetDryRun()), nil
}

func (f *fakeCarve) Shrink(ctx context.Context, req *pb.ResizeRequest) (*pb.Placement, error) {
	f.record(ctx, req)
	defer f.mu.Unlock()
	b, err := f.block(req.GetBlock())
	if err != nil {
		return nil, err
	}
	k := nodesFor(req.GetGpus())
	if k >= len(b.GetMembers()) {
		return nil, status.Errorf(codes.InvalidArgument, "block %s has %d GPUs: release it rather than shrink it by %d", b.GetName(), b.GetGpus(), req.GetGpus())
	}
	keep := len(b.GetMembers()) - k
	removed := b.GetMembers()[keep:]
	nb := after(b, slices.Clone(b.GetMembers()[:keep]))
	f.commit(b, nb, nil, removed, req.GetDryRun())
	pl := f.placement("shrink", nb, nil, removed, req.GetDryRun())
	pl.Notes = []string{"kept the nodes that leave the block most contiguous"}
	return pl, nil
}

func (f *fakeCarve) Release(ctx context.Context, req *pb.ReleaseRequest) (*pb.Placement, error) {
	f.record(ctx, req)
	defer f.mu.Unlock()
	b, err := f.block(req.GetBlock())
	if err != nil {
		return nil, err
	}
	f.commit(b, nil, nil, b.GetMembers(), req.GetDryRun())
	return &pb.Placement{Op: "release", Block: b, Removed: b.GetMembers(), DryRun: req.GetDryRun()}, nil
}

func (f *fakeCarve) Swap(ctx context.Context, req *pb.SwapRequest) (*pb.Placement, error) {
	f.record(ctx, req)
	defer f.mu.Unlock()
	b, err := f.block(req.GetBlock())
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(b.GetMembers(), func(m *pb.BlockMember) bool { return m.GetNode() == req.GetNode() })
	if i < 0 {
		return nil, status.Errorf(codes.InvalidArgument, "node %s is not in block %s", req.GetNode(), b.GetName())
	}
	old := b.GetMembers()[i]
	if f.freeNodes() == 0 {
		return nil, f.refuse(&pb.Refusal{
			Request: fmt.Sprintf("a spare for node %s of block %s", req.GetNode(), b.GetName()),
			Reasons: []*pb.RefusalReason{{Code: "capacity", Message: "no healthy " + fakeModel + " node is free in the fleet"}},
		})
	}
	spare := f.take(1, int32(len(old.GetGpus())), 0, 0)[0]
	spare.Segment = old.GetSegment()
	members := slices.Clone(b.GetMembers())
	members[i] = spare
	nb := after(b, members)
	added, removed := []*pb.BlockMember{spare}, []*pb.BlockMember{old}
	f.commit(b, nb, added, removed, req.GetDryRun())
	pl := f.placement("swap", nb, added, removed, req.GetDryRun())
	pl.Notes = []string{"the spare is in the same leaf domain as the node it replaces"}
	return pl, nil
}

func (f *fakeCarve) Defrag(ctx context.Context, req *pb.DefragRequest) (*pb.DefragPlan, error) {
	f.record(ctx, req)
	defer f.mu.Unlock()
	d := proto.Clone(f.defrag).(*pb.DefragPlan)
	if req.GetLevel() != "" {
		d.Level = req.GetLevel()
	}
	d.Applied = req.GetApply()
	return d, nil
}

func (f *fakeCarve) Reserve(ctx context.Context, req *pb.ReserveRequest) (*pb.Reservation, error) {
	f.record(ctx, req)
	defer f.mu.Unlock()
	r := proto.Clone(req.GetReservation()).(*pb.Reservation)
	if !f.tenantExists(r.GetTenant()) {
		return nil, status.Errorf(codes.NotFound, "tenant %q does not exist", r.GetTenant())
	}
	r.CreatedAt = ts("2025-03-01T10:00:00Z")
	f.reservations = append(f.reservations, r)
	return r, nil
}

func (f *fakeCarve) Unreserve(ctx context.Context, req *pb.UnreserveRequest) (*pb.UnreserveResponse, error) {
	f.record(ctx, req)
	defer f.mu.Unlock()
	n := len(f.reservations)
	f.reservations = slices.DeleteFunc(f.reservations, func(r *pb.Reservation) bool { return r.GetName() == req.GetName() })
	if len(f.reservations) == n {
		return nil, status.Errorf(codes.NotFound, "reservation %q does not exist", req.GetName())
	}
	return &pb.UnreserveResponse{}, nil
}

func (f *fakeCarve) ListReservations(ctx context.Context, req *pb.ListReservationsRequest) (*pb.ListReservationsResponse, error) {
	f.record(ctx, req)
	defer f.mu.Unlock()
	rs := slices.Clone(f.reservations)
	slices.SortFunc(rs, func(a, b *pb.Reservation) int { return cmp.Compare(a.GetName(), b.GetName()) })
	return &pb.ListReservationsResponse{Reservations: rs}, nil
}

func (f *fakeCarve) Cordon(ctx context.Context, req *pb.CordonRequest) (*pb.CordonResponse, error) {
	f.record(ctx, req)
	defer f.mu.Unlock()
	if !strings.HasPrefix(req.GetNode(), "lab-") {
		return nil, status.Errorf(codes.NotFound, "node %q does not exist", req.GetNode())
	}
	return &pb.CordonResponse{}, nil
}

func (f *fakeCarve) Capacity(ctx context.Context, req *pb.CapacityRequest) (*pb.CapacityResponse, error) {
	f.record(ctx, req)
	defer f.mu.Unlock()
	free := int32(f.freeNodes() * fakePerNode)
	resp := &pb.CapacityResponse{
		GpuModel: fakeModel,
		Free: &pb.Fragmentation{
			FreeGpus: free, LargestLeafBlock: min(free, 32*fakePerNode), LargestNvlinkBlock: min(free, fakePerNode),
			WholeLeafDomains: free / (32 * fakePerNode), WholeNvlinkDomains: free / fakePerNode,
		},
		QuotaLeft: -1,
	}
	if t := req.GetTenant(); t != "" {
		resp.Used = f.used(t, fakeModel)
		if q, ok := f.quotas[t][fakeModel]; ok {
			resp.QuotaLeft = max(q-resp.Used, 0)
		}
	}
	return resp, nil
}

// testDefragPlan moves two preemptible blocks out of lab-su01.
func testDefragPlan() *pb.DefragPlan {
	member := func(node string) *pb.BlockMember {
		return &pb.BlockMember{Node: node, Gpus: []int32{0, 1, 2, 3, 4, 5, 6, 7}}
	}
	return &pb.DefragPlan{
		GpuModel: fakeModel,
		Level:    "leaf",
		Moves: []*pb.Placement{
			{
				Op:      "move",
				Block:   &pb.Block{Name: "beta-2", Tenant: "beta", GpuModel: fakeModel, Gpus: 16, Preemptible: true},
				Removed: []*pb.BlockMember{member("lab-su01-r04-n07"), member("lab-su01-r04-n08")},
				Added:   []*pb.BlockMember{member("lab-su02-r01-n01"), member("lab-su02-r01-n02")},
			},
			{
				Op:      "move",
				Block:   &pb.Block{Name: "gamma-1", Tenant: "gamma", GpuModel: fakeModel, Gpus: 8, Preemptible: true},
				Removed: []*pb.BlockMember{member("lab-su01-r02-n03")},
				Added:   []*pb.BlockMember{member("lab-su02-r01-n03")},
				Notes:   []string{"gamma-1 requires one pod: it stays in lab-pod1"},
			},
		},
		NodesMoved: 3,
		Freed:      []string{"lab-su01"},
		Before:     &pb.Fragmentation{FreeGpus: 512, LargestLeafBlock: 232, LargestNvlinkBlock: 8, WholeLeafDomains: 0, WholeNvlinkDomains: 58},
		After:      &pb.Fragmentation{FreeGpus: 512, LargestLeafBlock: 256, LargestNvlinkBlock: 8, WholeLeafDomains: 1, WholeNvlinkDomains: 58},
	}
}
