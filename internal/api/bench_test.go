package api

import (
	"context"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/railyard/railyard/internal/fleetgen"
	"github.com/railyard/railyard/internal/inventory"
	pb "github.com/railyard/railyard/proto/railyard/v1"
)

// fleet100k is a server on loopback TCP over a SQLite store holding a
// generated 100,000-GPU fleet, shared by the benchmarks of one run.
var fleet100k struct {
	once   sync.Once
	err    error
	store  *inventory.Store
	conn   *grpc.ClientConn
	client pb.InventoryServiceClient
	health healthpb.HealthClient
	hosts  []string
	dir    string
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fleet100k.store != nil {
		fleet100k.conn.Close()
		fleet100k.store.Close()
	}
	if fleet100k.dir != "" {
		os.RemoveAll(fleet100k.dir)
	}
	os.Exit(code)
}

func load100k(b *testing.B) {
	b.Helper()
	f := &fleet100k
	f.once.Do(func() {
		fleet, err := fleetgen.Generate(fleetgen.Spec{GPUs: 100_000, Name: "bench"})
		if err != nil {
			f.err = err
			return
		}
		if f.dir, f.err = os.MkdirTemp("", "railyard-bench-"); f.err != nil {
			return
		}
		f.store, f.err = inventory.Open(context.Background(), "sqlite:"+f.dir+"/bench.db")
		if f.err != nil {
			return
		}
		if _, f.err = f.store.Import(context.Background(), fleet, inventory.ImportOptions{Actor: "bench"}); f.err != nil {
			return
		}
		for _, n := range fleet.Nodes {
			f.hosts = append(f.hosts, n.Hostname)
		}
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			f.err = err
			return
		}
		g := grpc.NewServer()
		NewInventory(f.store).Register(g)
		healthpb.RegisterHealthServer(g, health.NewServer())
		go g.Serve(lis)
		f.conn, f.err = grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
		f.client = pb.NewInventoryServiceClient(f.conn)
		f.health = healthpb.NewHealthClient(f.conn)
	})
	if f.err != nil {
		b.Fatal(f.err)
	}
}

// BenchmarkStreamGPUs lists all 100,000 GPUs through StreamGPUs over
// loopback TCP. Target (issue 2): under 2 s.
func BenchmarkStreamGPUs(b *testing.B) {
	load100k(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := fleet100k.client.StreamGPUs(context.Background(), &pb.ListRequest{})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			m, err := s.Recv()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n += len(m.Gpus)
		}
		if n != 100_000 {
			b.Fatalf("streamed %d gpus, want 100000", n)
		}
	}
}

// BenchmarkListGPUsStoreBaseline pages through the same 100,000 GPUs
// straight from the store, without gRPC: the baseline for StreamGPUs.
func BenchmarkListGPUsStoreBaseline(b *testing.B) {
	load100k(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n, token := 0, ""
		for {
			rows, next, err := fleet100k.store.ListGPUs(context.Background(), inventory.Filter{}, inventory.Page{Size: inventory.MaxPageSize, Token: token})
			if err != nil {
				b.Fatal(err)
			}
			n += len(rows)
			if next == "" {
				break
			}
			token = next
		}
		if n != 100_000 {
			b.Fatalf("listed %d gpus", n)
		}
	}
}

// latencies runs call n times and reports p50 and p99 in milliseconds.
func latencies(b *testing.B, n int, call func(i int) error) {
	b.Helper()
	ds := make([]time.Duration, n)
	for i := range ds {
		start := time.Now()
		if err := call(i); err != nil {
			b.Fatal(err)
		}
		ds[i] = time.Since(start)
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	b.ReportMetric(float64(ds[n/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(ds[n*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkDescribeNode calls GetNode (what `railyard describe node`
// sends) for random nodes of the 100k fleet. Target (issue 2): p99 under 5 ms.
func BenchmarkDescribeNode(b *testing.B) {
	load100k(b)
	b.ResetTimer()
	r := rand.New(rand.NewPCG(1, 2))
	hosts := fleet100k.hosts
	for i := 0; i < b.N; i++ {
		latencies(b, 2000, func(int) error {
			d, err := fleet100k.client.GetNode(context.Background(), &pb.GetNodeRequest{Hostname: hosts[r.IntN(len(hosts))]})
			if err == nil && len(d.Gpus) != 8 {
				b.Fatalf("node has %d gpus", len(d.Gpus))
			}
			return err
		})
	}
}

// BenchmarkHealthCheckBaseline is the baseline for DescribeNode: a gRPC
// health check, the cheapest round trip to the same server.
func BenchmarkHealthCheckBaseline(b *testing.B) {
	load100k(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		latencies(b, 2000, func(int) error {
			_, err := fleet100k.health.Check(context.Background(), &healthpb.HealthCheckRequest{})
			return err
		})
	}
}
