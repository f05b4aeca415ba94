package api

import (
	"context"
	"time"

	"google.golang.org/grpc"

	"github.com/railyard/railyard/internal/discovery/report"
	"github.com/railyard/railyard/internal/inventory"
	"github.com/railyard/railyard/internal/model"
	pb "github.com/railyard/railyard/proto/railyard/v1"
)

// Discovery implements railyard.v1.DiscoveryService on the inventory.
type Discovery struct {
	pb.UnimplementedDiscoveryServiceServer
	store      *inventory.Store
	staleAfter time.Duration
}

// NewDiscovery returns the discovery service. Records not seen for
// staleAfter are marked stale on each report (0: never).
func NewDiscovery(s *inventory.Store, staleAfter time.Duration) *Discovery {
	return &Discovery{store: s, staleAfter: staleAfter}
}

// Register registers the service on g.
func (s *Discovery) Register(g *grpc.Server) { pb.RegisterDiscoveryServiceServer(g, s) }

// Report merges observations into the inventory.
func (s *Discovery) Report(ctx context.Context, r *pb.ReportRequest) (*pb.ReportResponse, error) {
	obs := make([]model.Observation, 0, len(r.GetObservations()))
	for _, o := range r.GetObservations() {
		obs = append(obs, report.FromPB(o))
	}
	res, err := s.store.Observe(ctx, obs, inventory.ObserveOptions{Actor: callerOf(ctx).Actor, StaleAfter: s.staleAfter, DryRun: r.GetDryRun()})
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.ReportResponse{Created: int32(res.Created), Updated: int32(res.Updated), Deleted: int32(res.Deleted),
		Seen: int32(res.Seen), Changes: changesPB(res.Changes), Notes: res.Notes}, nil
}

// ListObservations returns stored observations.
func (s *Discovery) ListObservations(ctx context.Context, r *pb.ListObservationsRequest) (*pb.ListObservationsResponse, error) {
	rows, err := s.store.Observations(ctx, r.GetKind(), r.GetKey())
	if err != nil {
		return nil, toStatus(err)
	}
	out := &pb.ListObservationsResponse{}
	for _, o := range rows {
		out.Observations = append(out.Observations, &pb.StoredObservation{Kind: o.Kind, Key: o.Key, Source: o.Source,
			Target: o.Target, FactsJson: string(o.Facts), FirstSeen: ts(o.FirstSeen), LastSeen: ts(o.LastSeen)})
	}
	return out, nil
}
