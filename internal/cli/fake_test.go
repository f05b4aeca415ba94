package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	pb "github.com/railyard/railyard/proto/railyard/v1"
)

// fakeServer is a small in-memory InventoryService that records what the
// CLI asks of it.
type fakeServer struct {
	pb.UnimplementedInventoryServiceServer

	mu        sync.Mutex
	nodes     []*pb.Node
	gpus      []*pb.GPU
	nics      []*pb.NIC
	switches  []*pb.Switch
	links     []*pb.Link
	tenants   []*pb.Tenant
	history   []*pb.Change
	findings  []*pb.Finding // what Validate finds
	export    []byte        // what Export sends
	importErr error         // what Import fails with, if set

	calls     []string // RPC names, in order
	lists     []*pb.ListRequest
	imports   []*pb.ImportChunk
	validated *pb.ValidateRequest
	exported  *pb.ExportRequest
	watched   *pb.WatchRequest
}

func newFakeServer() *fakeServer {
	return &fakeServer{
		nodes:    testNodes(),
		gpus:     testGPUs(),
		nics:     testNICs(),
		switches: testSwitches(),
		links:    testLinks(),
		tenants:  testTenants(),
		history:  testHistory(),
	}
}

// start serves f on a 127.0.0.1 port until the test ends and returns the
// address.
func (f *fakeServer) start(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	pb.RegisterInventoryServiceServer(s, f)
	go s.Serve(lis)
	t.Cleanup(s.Stop)
	return lis.Addr().String()
}

func (f *fakeServer) record(name string, req *pb.ListRequest) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, name)
	if req != nil {
		f.lists = append(f.lists, proto.Clone(req).(*pb.ListRequest))
	}
}

// filterNodes and filterGPUs apply the parts of a filter the tests use.
func (f *fakeServer) filterNodes(fl *pb.Filter) []*pb.Node {
	return slices.DeleteFunc(slices.Clone(f.nodes), func(n *pb.Node) bool {
		return fl.GetSite() != "" && n.GetSite() != fl.GetSite()
	})
}

func (f *fakeServer) filterGPUs(fl *pb.Filter) []*pb.GPU {
	return slices.DeleteFunc(slices.Clone(f.gpus), func(g *pb.GPU) bool {
		return fl.GetNode() != "" && g.GetNode() != fl.GetNode()
	})
}

// paginate returns the page of items that req asks for and the next
// page's token; tokens are offsets.
func paginate[T any](items []T, req *pb.ListRequest) ([]T, string, error) {
	start := 0
	if req.GetPageToken() != "" {
		var err error
		if start, err = strconv.Atoi(req.GetPageToken()); err != nil || start > len(items) {
			return nil, "", status.Errorf(codes.InvalidArgument, "bad page token %q", req.GetPageToken())
		}
	}
	size := int(req.GetPageSize())
	if size == 0 {
		size = 500
	}
	end := min(start+size, len(items))
	next := ""
	if end < len(items) {
		next = strconv.Itoa(end)
	}
	return items[start:end], next, nil
}

// batches sends items in batches of the request's page size (default 2,
// so that tests see several).
func batches[T any](items []T, req *pb.ListRequest, send func([]T) error) error {
	size := max(int(req.GetPageSize()), 2)
	for len(items) > 0 {
		n := min(size, len(items))
		if err := send(items[:n]); err != nil {
			return err
		}
		items = items[n:]
	}
	return nil
}

func (f *fakeServer) GetNode(ctx context.Context, req *pb.GetNodeRequest) (*pb.NodeDetail, error) {
	f.record("GetNode", nil)
	for _, n := range f.nodes {
		if n.GetHostname() == req.GetHostname() {
			d := &pb.NodeDetail{Node: n, Gpus: f.filterGPUs(&pb.Filter{Node: n.GetHostname()}), History: f.history}
			for _, nic := range f.nics {
				if nic.GetNode() == n.GetHostname() {
					d.Nics = append(d.Nics, nic)
				}
			}
			return d, nil
		}
	}
	return nil, status.Errorf(codes.NotFound, "node %q does not exist", req.GetHostname())
}

func (f *fakeServer) ListNodes(ctx context.Context, req *pb.ListRequest) (*pb.ListNodesResponse, error) {
	f.record("ListNodes", req)
	page, next, err := paginate(f.filterNodes(req.GetFilter()), req)
	return &pb.ListNodesResponse{Nodes: page, NextPageToken: next}, err
}

func (f *fakeServer) StreamNodes(req *pb.ListRequest, stream grpc.ServerStreamingServer[pb.ListNodesResponse]) error {
	f.record("StreamNodes", req)
	return batches(f.filterNodes(req.GetFilter()), req, func(b []*pb.Node) error {
		return stream.Send(&pb.ListNodesResponse{Nodes: b})
	})
}

func (f *fakeServer) ListGPUs(ctx context.Context, req *pb.ListRequest) (*pb.ListGPUsResponse, error) {
	f.record("ListGPUs", req)
	page, next, err := paginate(f.filterGPUs(req.GetFilter()), req)
	return &pb.ListGPUsResponse{Gpus: page, NextPageToken: next}, err
}

func (f *fakeServer) StreamGPUs(req *pb.ListRequest, stream grpc.ServerStreamingServer[pb.ListGPUsResponse]) error {
	f.record("StreamGPUs", req)
	return batches(f.filterGPUs(req.GetFilter()), req, func(b []*pb.GPU) error {
		return stream.Send(&pb.ListGPUsResponse{Gpus: b})
	})
}

func (f *fakeServer) StreamNICs(req *pb.ListRequest, stream grpc.ServerStreamingServer[pb.ListNICsResponse]) error {
	f.record("StreamNICs", req)
	return batches(f.nics, req, func(b []*pb.NIC) error {
		return stream.Send(&pb.ListNICsResponse{Nics: b})
	})
}

func (f *fakeServer) StreamLinks(req *pb.ListRequest, stream grpc.ServerStreamingServer[pb.ListLinksResponse]) error {
	f.record("StreamLinks", req)
	return batches(f.links, req, func(b []*pb.Link) error {
		return stream.Send(&pb.ListLinksResponse{Links: b})
	})
}

func (f *fakeServer) ListSwitches(ctx context.Context, req *pb.ListRequest) (*pb.ListSwitchesResponse, error) {
	f.record("ListSwitches", req)
	if req.GetFilter().GetState() != "" {
		return nil, status.Error(codes.InvalidArgument, "filter state does not apply to switches")
	}
	page, next, err := paginate(f.switches, req)
	return &pb.ListSwitchesResponse{Switches: page, NextPageToken: next}, err
}

func (f *fakeServer) GetSwitch(ctx context.Context, req *pb.GetSwitchRequest) (*pb.SwitchDetail, error) {
	f.record("GetSwitch", nil)
	for _, s := range f.switches {
		if s.GetName() == req.GetName() {
			return &pb.SwitchDetail{Switch: s}, nil
		}
	}
	return nil, status.Errorf(codes.NotFound, "switch %q does not exist", req.GetName())
}

func (f *fakeServer) ListTenants(ctx context.Context, req *pb.ListRequest) (*pb.ListTenantsResponse, error) {
	f.record("ListTenants", req)
	// One tenant a page, to exercise pagination.
	req = proto.Clone(req).(*pb.ListRequest)
	req.PageSize = 1
	page, next, err := paginate(f.tenants, req)
	return &pb.ListTenantsResponse{Tenants: page, NextPageToken: next}, err
}

func (f *fakeServer) Import(stream grpc.ClientStreamingServer[pb.ImportChunk, pb.ImportResponse]) error {
	f.record("Import", nil)
	var first *pb.ImportChunk
	for {
		c, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if first == nil {
			first = c
		}
		f.mu.Lock()
		f.imports = append(f.imports, c)
		f.mu.Unlock()
	}
	if f.importErr != nil {
		return f.importErr
	}
	return stream.SendAndClose(&pb.ImportResponse{
		Created:  3,
		Updated:  1,
		DryRun:   first.GetDryRun(),
		Findings: testFindings()[1:],
		Changes:  testHistory()[:2],
	})
}

func (f *fakeServer) Export(req *pb.ExportRequest, stream grpc.ServerStreamingServer[pb.ExportChunk]) error {
	f.record("Export", nil)
	f.mu.Lock()
	f.exported = req
	f.mu.Unlock()
	for b := f.export; len(b) > 0; {
		n := min(len(b), 5)
		if err := stream.Send(&pb.ExportChunk{Data: b[:n]}); err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

func (f *fakeServer) Validate(ctx context.Context, req *pb.ValidateRequest) (*pb.ValidateResponse, error) {
	f.record("Validate", nil)
	f.mu.Lock()
	f.validated = req
	f.mu.Unlock()
	return &pb.ValidateResponse{Findings: f.findings}, nil
}

// Watch sends the history after req.after_seq, oldest first, of the kinds
// asked for, and ends.
func (f *fakeServer) Watch(req *pb.WatchRequest, stream grpc.ServerStreamingServer[pb.Change]) error {
	f.record("Watch", nil)
	f.mu.Lock()
	f.watched = req
	f.mu.Unlock()
	for _, c := range slices.Backward(f.history) {
		if c.GetSeq() <= req.GetAfterSeq() {
			continue
		}
		if len(req.GetKinds()) > 0 && !slices.Contains(req.GetKinds(), c.GetKind()) {
			continue
		}
		if err := stream.Send(c); err != nil {
			return err
		}
	}
	return nil
}

// String helps failure messages.
func (f *fakeServer) String() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fmt.Sprintf("fake calls %v", f.calls)
}
