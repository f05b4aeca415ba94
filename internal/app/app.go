// Package app wires the Railyard server: it opens the inventory, loads a
// sample fleet if asked, and serves the gRPC API with the standard health
// and reflection services until its context ends. Only cmd/railyard
// imports it.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"

	"github.com/railyard/railyard/internal/api"
	"github.com/railyard/railyard/internal/carve"
	"github.com/railyard/railyard/internal/carver"
	"github.com/railyard/railyard/internal/inventory"
	"github.com/railyard/railyard/internal/maintenance/executor"
	samples "github.com/railyard/railyard/inventory-samples"
)

// Config configures a server.
type Config struct {
	// Listen is the gRPC address, e.g. 127.0.0.1:7443.
	Listen string
	// DB is the inventory: a SQLite path or a postgres:// URL.
	DB string
	// Sample names a sample fleet to import at start (see
	// inventory-samples); importing it again is a no-op.
	Sample string
	// Log receives the server's log; nil discards it.
	Log *slog.Logger
	// Ready, if set, is called with the bound address once serving.
	Ready func(addr net.Addr)
	// Carve is the carving engine's policy (sub-node blocks).
	Carve carve.Policy
	// Discovery runs discovery from the server on an interval, and marks
	// records stale.
	Discovery DiscoveryConfig
	// Network runs the tenant-network reconciler.
	Network NetworkConfig
	// Maintenance runs the maintenance executor.
	Maintenance MaintenanceConfig
}

// Run serves until ctx is done, then stops gracefully.
func Run(ctx context.Context, cfg Config) error {
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	store, err := inventory.Open(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer store.Close()
	log.Info("inventory open", "db", cfg.DB, "dialect", store.Dialect())

	if cfg.Sample != "" {
		if err := LoadSample(ctx, store, cfg.Sample, log); err != nil {
			return err
		}
	}

	lis, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	g := grpc.NewServer(grpc.MaxRecvMsgSize(16 << 20))
	api.NewInventory(store).Register(g)
	api.NewCarve(carver.New(store, cfg.Carve)).Register(g)
	api.NewDiscovery(store, cfg.Discovery.StaleAfter).Register(g)
	network, err := newNetwork(store, cfg.Network)
	if err != nil {
		return fmt.Errorf("network: %w", err)
	}
	api.NewNetwork(store, network).Register(g)
	api.NewMaintenance(&executor.Manager{Store: store}).Register(g)
	hs := health.NewServer()
	hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	hs.SetServingStatus("railyard.v1.InventoryService", healthpb.HealthCheckResponse_SERVING)
	hs.SetServingStatus("railyard.v1.CarveService", healthpb.HealthCheckResponse_SERVING)
	hs.SetServingStatus("railyard.v1.DiscoveryService", healthpb.HealthCheckResponse_SERVING)
	hs.SetServingStatus("railyard.v1.NetworkService", healthpb.HealthCheckResponse_SERVING)
	hs.SetServingStatus("railyard.v1.MaintenanceService", healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(g, hs)
	reflection.Register(g)

	errc := make(chan error, 1)
	go func() { errc <- g.Serve(lis) }()
	log.Info("serving", "addr", lis.Addr().String())
	if cfg.Ready != nil {
		cfg.Ready(lis.Addr())
	}
	loopCtx, stopLoops := context.WithCancel(ctx)
	defer stopLoops()
	go discoveryLoop(loopCtx, store, cfg.Discovery, log)
	go networkLoop(loopCtx, network, cfg.Network, log)
	maintDone := make(chan struct{})
	go func() {
		defer close(maintDone)
		maintenanceLoop(loopCtx, store, cfg.Maintenance, network, cfg.Network, log)
	}()
	// The executor's steps write to the store: they end before it closes.
	defer func() { stopLoops(); <-maintDone }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	hs.Shutdown()
	stopped := make(chan struct{})
	go func() { g.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		g.Stop() // watchers and long streams do not block shutdown forever
	}
	if err := <-errc; err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return err
	}
	return nil
}

// LoadSample imports the named sample fleet into store.
func LoadSample(ctx context.Context, store *inventory.Store, name string, log *slog.Logger) error {
	rc, filename, err := samples.Open(name)
	if err != nil {
		return err
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return err
	}
	res, err := api.ImportFile(ctx, store, filename, data, "railyard", false)
	if err != nil {
		return fmt.Errorf("load sample %s: %w", name, err)
	}
	log.Info("sample loaded", "sample", name, "created", res.Created, "updated", res.Updated, "deleted", res.Deleted)
	return nil
}
