// Package api serves Railyard's gRPC API (railyard.v1). It is a thin shell:
// it decodes and checks requests, calls the inventory (and later the carve,
// fabric and maintenance engines), and encodes answers. Errors become
// status codes in one place, errors.go.
package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/railyard/railyard/internal/fleetfile"
	"github.com/railyard/railyard/internal/inventory"
	"github.com/railyard/railyard/internal/model"
	"github.com/railyard/railyard/internal/validate"
	pb "github.com/railyard/railyard/proto/railyard/v1"
)

// Limits of the API.
const (
	// MaxImportBytes bounds a fleet file sent to Import or Validate.
	MaxImportBytes = 512 << 20
	// defaultHistory is how many history entries Get* returns by default:
	// enough to see what happened lately, small enough to keep describe fast.
	defaultHistory = 20
	// watchPoll is how often Watch looks for changes committed by other
	// replicas; changes made through this server wake it at once.
	watchPoll = time.Second
	// exportChunk is the size of the chunks Export sends.
	exportChunk = 1 << 20
)

// errFindings marks a file that validation refused.
var errFindings = errors.New("validation failed")

// Inventory implements railyard.v1.InventoryService over a store.
type Inventory struct {
	pb.UnimplementedInventoryServiceServer
	store *inventory.Store
}

// NewInventory returns the inventory service.
func NewInventory(s *inventory.Store) *Inventory { return &Inventory{store: s} }

// Register registers the service on g.
func (s *Inventory) Register(g *grpc.Server) { pb.RegisterInventoryServiceServer(g, s) }

func page(r *pb.ListRequest) inventory.Page {
	return inventory.Page{Size: int(r.GetPageSize()), Token: r.GetPageToken()}
}

// GetNode returns a node with its GPUs, NICs, cables and history.
func (s *Inventory) GetNode(ctx context.Context, r *pb.GetNodeRequest) (*pb.NodeDetail, error) {
	if r.Hostname == "" {
		return nil, status.Error(codes.InvalidArgument, "hostname is required")
	}
	limit := int(r.HistoryLimit)
	if limit == 0 {
		limit = defaultHistory
	}
	d, err := s.store.GetNode(ctx, r.Hostname, limit)
	if err != nil {
		return nil, toStatus(err)
	}
	out := &pb.NodeDetail{Node: nodePB(d.Node), History: changesPB(d.History)}
	for _, g := range d.GPUs {
		out.Gpus = append(out.Gpus, gpuPB(d.Node.Hostname, g))
	}
	out.Nics = mapSlice(d.NICs, nicPB)
	return out, nil
}

// ListNodes returns a page of nodes.
func (s *Inventory) ListNodes(ctx context.Context, r *pb.ListRequest) (*pb.ListNodesResponse, error) {
	rows, next, err := s.store.ListNodes(ctx, filterFrom(r.Filter), page(r))
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.ListNodesResponse{Nodes: mapSlice(rows, nodePB), NextPageToken: next}, nil
}

// stream sends every page of a list, one message per page.
func stream[T any](ctx context.Context, r *pb.ListRequest, list func(context.Context, inventory.Filter, inventory.Page) ([]T, string, error), send func([]T) error) error {
	p := page(r)
	if p.Size == 0 {
		p.Size = inventory.MaxPageSize
	}
	f := filterFrom(r.Filter)
	for {
		rows, next, err := list(ctx, f, p)
		if err != nil {
			return toStatus(err)
		}
		if len(rows) > 0 {
			if err := send(rows); err != nil {
				return err
			}
		}
		if next == "" {
			return nil
		}
		p.Token = next
	}
}

// StreamNodes sends every matching node, in batches.
func (s *Inventory) StreamNodes(r *pb.ListRequest, g grpc.ServerStreamingServer[pb.ListNodesResponse]) error {
	return stream(g.Context(), r, s.store.ListNodes, func(rows []inventory.NodeRow) error {
		return g.Send(&pb.ListNodesResponse{Nodes: mapSlice(rows, nodePB)})
	})
}

// GetGPU returns one GPU by UUID, or by node and index.
func (s *Inventory) GetGPU(ctx context.Context, r *pb.GetGPURequest) (*pb.GPU, error) {
	g, err := s.store.GetGPU(ctx, r.Uuid, r.Node, int(r.Index))
	if err != nil {
		return nil, toStatus(err)
	}
	return gpuRowPB(g), nil
}

// ListGPUs returns a page of GPUs.
func (s *Inventory) ListGPUs(ctx context.Context, r *pb.ListRequest) (*pb.ListGPUsResponse, error) {
	rows, next, err := s.store.ListGPUs(ctx, filterFrom(r.Filter), page(r))
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.ListGPUsResponse{Gpus: mapSlice(rows, gpuRowPB), NextPageToken: next}, nil
}

// StreamGPUs sends every matching GPU, in batches.
func (s *Inventory) StreamGPUs(r *pb.ListRequest, g grpc.ServerStreamingServer[pb.ListGPUsResponse]) error {
	return stream(g.Context(), r, s.store.ListGPUs, func(rows []inventory.GPURow) error {
		return g.Send(&pb.ListGPUsResponse{Gpus: mapSlice(rows, gpuRowPB)})
	})
}

// ListNICs returns a page of NICs.
func (s *Inventory) ListNICs(ctx context.Context, r *pb.ListRequest) (*pb.ListNICsResponse, error) {
	rows, next, err := s.store.ListNICs(ctx, filterFrom(r.Filter), page(r))
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.ListNICsResponse{Nics: mapSlice(rows, nicPB), NextPageToken: next}, nil
}

// StreamNICs sends every matching NIC, in batches.
func (s *Inventory) StreamNICs(r *pb.ListRequest, g grpc.ServerStreamingServer[pb.ListNICsResponse]) error {
	return stream(g.Context(), r, s.store.ListNICs, func(rows []inventory.NICRow) error {
		return g.Send(&pb.ListNICsResponse{Nics: mapSlice(rows, nicPB)})
	})
}

// GetSwitch returns a switch with its ports, cables and history.
func (s *Inventory) GetSwitch(ctx context.Context, r *pb.GetSwitchRequest) (*pb.SwitchDetail, error) {
	if r.Name == "" {
		return nil, status.Error(codes.InvalidArgument, "name is required")
	}
	limit := int(r.HistoryLimit)
	if limit == 0 {
		limit = defaultHistory
	}
	d, err := s.store.GetSwitch(ctx, r.Name, limit)
	if err != nil {
		return nil, toStatus(err)
	}
	out := &pb.SwitchDetail{Switch: switchPB(d.Switch), History: changesPB(d.History)}
	for _, p := range d.Ports {
		sp := &pb.SwitchPort{Name: p.Name, SpeedGbps: int32(p.SpeedGbps)}
		if p.Peer != nil {
			sp.Peer = endpointPB(*p.Peer)
		}
		out.Ports = append(out.Ports, sp)
	}
	return out, nil
}

// ListSwitches returns a page of switches.
func (s *Inventory) ListSwitches(ctx context.Context, r *pb.ListRequest) (*pb.ListSwitchesResponse, error) {
	rows, next, err := s.store.ListSwitches(ctx, filterFrom(r.Filter), page(r))
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.ListSwitchesResponse{Switches: mapSlice(rows, switchPB), NextPageToken: next}, nil
}

// ListLinks returns a page of links.
func (s *Inventory) ListLinks(ctx context.Context, r *pb.ListRequest) (*pb.ListLinksResponse, error) {
	rows, next, err := s.store.ListLinks(ctx, filterFrom(r.Filter), page(r))
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.ListLinksResponse{Links: mapSlice(rows, linkPB), NextPageToken: next}, nil
}

// StreamLinks sends every matching link, in batches.
func (s *Inventory) StreamLinks(r *pb.ListRequest, g grpc.ServerStreamingServer[pb.ListLinksResponse]) error {
	return stream(g.Context(), r, s.store.ListLinks, func(rows []model.Link) error {
		return g.Send(&pb.ListLinksResponse{Links: mapSlice(rows, linkPB)})
	})
}

// GetTenant returns one tenant.
func (s *Inventory) GetTenant(ctx context.Context, r *pb.GetTenantRequest) (*pb.Tenant, error) {
	t, err := s.store.GetTenant(ctx, r.Name)
	if err != nil {
		return nil, toStatus(err)
	}
	return tenantPB(t), nil
}

// ListTenants returns a page of tenants.
func (s *Inventory) ListTenants(ctx context.Context, r *pb.ListRequest) (*pb.ListTenantsResponse, error) {
	rows, next, err := s.store.ListTenants(ctx, filterFrom(r.Filter), page(r))
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.ListTenantsResponse{Tenants: mapSlice(rows, tenantPB), NextPageToken: next}, nil
}

// Import receives a fleet file in chunks, checks it and applies it.
func (s *Inventory) Import(g grpc.ClientStreamingServer[pb.ImportChunk, pb.ImportResponse]) error {
	var first *pb.ImportChunk
	var buf bytes.Buffer
	for {
		c, err := g.Recv()
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return err
		}
		if first == nil {
			first = c
		}
		if buf.Len()+len(c.Data) > MaxImportBytes {
			return status.Errorf(codes.InvalidArgument, "%s: file is larger than %d MiB", first.Filename, MaxImportBytes>>20)
		}
		buf.Write(c.Data)
	}
	if first == nil || first.Filename == "" {
		return status.Error(codes.InvalidArgument, "import: the first chunk must name the file")
	}
	res, err := ImportFile(g.Context(), s.store, first.Filename, buf.Bytes(), first.Actor, first.DryRun)
	if err != nil {
		return toStatus(err)
	}
	return g.SendAndClose(res)
}

// ImportFile decodes, validates and imports one fleet file. Validation
// errors refuse the file (FailedPrecondition, every error listed);
// warnings are returned with the result.
func ImportFile(ctx context.Context, st *inventory.Store, filename string, data []byte, actor string, dryRun bool) (*pb.ImportResponse, error) {
	format, err := fleetfile.Detect(filename)
	if err != nil {
		return nil, err
	}
	f, err := fleetfile.Decode(bytes.NewReader(data), filename)
	if err != nil {
		return nil, err
	}
	findings := validate.Fleet(f)
	if err := refuse(filename, findings); err != nil {
		return nil, err
	}
	mode := inventory.ImportFleet
	if format == fleetfile.CSV {
		mode = inventory.ImportNodes
	}
	if actor == "" {
		actor = "unknown"
	}
	res, err := st.Import(ctx, f, inventory.ImportOptions{Mode: mode, Actor: actor, Source: "import:" + filename, DryRun: dryRun})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filename, err)
	}
	out := &pb.ImportResponse{Created: int32(res.Created), Updated: int32(res.Updated), Deleted: int32(res.Deleted),
		Findings: findingsPB(findings), DryRun: dryRun}
	cs := res.Changes
	if len(cs) > 1000 {
		cs = cs[:1000]
	}
	out.Changes = changesPB(cs)
	return out, nil
}

// refuse returns an error listing the error-severity findings, if any.
func refuse(filename string, fs []model.Finding) error {
	var errs []string
	for _, f := range fs {
		if f.Severity == model.SeverityError {
			errs = append(errs, fmt.Sprintf("  %s: %s: %s", f.Code, f.Object, f.Message))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	const show = 20
	more := ""
	if len(errs) > show {
		more = fmt.Sprintf("\n  ... and %d more (run railyard validate %s)", len(errs)-show, filename)
		errs = errs[:show]
	}
	return fmt.Errorf("%w: %s has %d error(s), nothing was imported:\n%s%s", errFindings, filename, len(errs), strings.Join(errs, "\n"), more)
}

// Export sends the inventory as a fleet file, in chunks.
func (s *Inventory) Export(r *pb.ExportRequest, g grpc.ServerStreamingServer[pb.ExportChunk]) error {
	format := fleetfile.Format(r.Format)
	if format == "" {
		format = fleetfile.YAML
	}
	if format != fleetfile.YAML && format != fleetfile.CSV {
		return status.Errorf(codes.InvalidArgument, "unknown export format %q (want yaml or csv)", r.Format)
	}
	if err := unsupportedExportFilter(r.Filter); err != nil {
		return toStatus(err)
	}
	f, err := s.store.Export(g.Context(), r.Filter.GetSite())
	if err != nil {
		return toStatus(err)
	}
	var buf bytes.Buffer
	if err := fleetfile.Encode(&buf, f, format); err != nil {
		return toStatus(err)
	}
	for b := buf.Bytes(); len(b) > 0; {
		n := min(len(b), exportChunk)
		if err := g.Send(&pb.ExportChunk{Data: b[:n]}); err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

func unsupportedExportFilter(f *pb.Filter) error {
	if f == nil {
		return nil
	}
	rest := filterFrom(f)
	rest.Site = ""
	if rest != (inventory.Filter{}) {
		return fmt.Errorf("%w: export can be filtered by site only", errInvalid)
	}
	return nil
}

// Validate checks a fleet file, or the stored inventory.
func (s *Inventory) Validate(ctx context.Context, r *pb.ValidateRequest) (*pb.ValidateResponse, error) {
	var f *model.Fleet
	var err error
	if r.Filename != "" {
		f, err = fleetfile.Decode(bytes.NewReader(r.Content), r.Filename)
	} else {
		f, err = s.store.Export(ctx, "")
	}
	if err != nil {
		return nil, toStatus(err)
	}
	findings := validate.Fleet(f)
	if r.Filename == "" {
		// The stored inventory: also compare the declared cabling with
		// what discovery saw.
		observed, walked, err := s.store.ObservedCabling(ctx)
		if err != nil {
			return nil, toStatus(err)
		}
		findings = append(findings, validate.Cabling(f, observed, walked)...)
	}
	return &pb.ValidateResponse{Findings: findingsPB(findings)}, nil
}

// Watch streams history entries after the requested sequence number, then
// follows new ones until the client goes away.
func (s *Inventory) Watch(r *pb.WatchRequest, g grpc.ServerStreamingServer[pb.Change]) error {
	ctx := g.Context()
	after := r.AfterSeq
	switch {
	case after == 0:
		seq, err := s.store.LatestSeq(ctx)
		if err != nil {
			return toStatus(err)
		}
		after = seq
	case after < 0:
		after = 0
	}
	wake, unsubscribe := s.store.Subscribe()
	defer unsubscribe()
	tick := time.NewTicker(watchPoll)
	defer tick.Stop()
	for {
		cs, err := s.store.Changes(ctx, inventory.ChangeFilter{After: after, Kinds: r.Kinds, Device: r.Subject})
		if err != nil {
			return toStatus(err)
		}
		for _, c := range cs {
			if err := g.Send(changePB(c)); err != nil {
				return err
			}
			after = c.Seq
		}
		if len(cs) == 1000 {
			continue // more waiting
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-tick.C:
		}
	}
}
