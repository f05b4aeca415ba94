package api

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	"github.com/railyard/railyard/internal/carve"
	"github.com/railyard/railyard/internal/carver"
	"github.com/railyard/railyard/internal/inventory"
	"github.com/railyard/railyard/internal/inventory/dbtest"
	"github.com/railyard/railyard/internal/model"
	pb "github.com/railyard/railyard/proto/railyard/v1"
)

// replica is one railyard server: its own store connection, carving state
// and gRPC server, over a database that other replicas may share.
type replica struct {
	inv      pb.InventoryServiceClient
	carve    pb.CarveServiceClient
	discover pb.DiscoveryServiceClient
	store    *inventory.Store
}

func startReplica(t testing.TB, dsn string) replica {
	t.Helper()
	st, err := inventory.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	lis := bufconn.Listen(1 << 20)
	g := grpc.NewServer()
	NewInventory(st).Register(g)
	NewCarve(carver.New(st, carve.Policy{})).Register(g)
	NewDiscovery(st, 0).Register(g)
	go g.Serve(lis)
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(context.Context, string) (net.Conn, error) { return lis.Dial() }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		g.Stop()
		st.Close()
	})
	return replica{pb.NewInventoryServiceClient(conn), pb.NewCarveServiceClient(conn), pb.NewDiscoveryServiceClient(conn), st}
}

// refusalOf returns the Refusal detail of a RESOURCE_EXHAUSTED error.
func refusalOf(err error) *pb.Refusal {
	st, _ := status.FromError(err)
	if st.Code() != codes.ResourceExhausted {
		return nil
	}
	for _, d := range st.Details() {
		if r, ok := d.(*pb.Refusal); ok {
			return r
		}
	}
	return nil
}

func memberNodes(b *pb.Block) []string {
	var out []string
	for _, m := range b.Members {
		out = append(out, m.Node)
	}
	return out
}

func TestCarveLifecycle(t *testing.T) {
	dbtest.ForEachDialect(t, func(t *testing.T, dsn string) {
		r := startReplica(t, dsn)
		ctx := metadata.AppendToOutgoingContext(context.Background(), ActorHeader, "alice")
		if _, err := importBytes(t, r.inv, "lab.yaml", presetYAML(t, "lab-1su"), false); err != nil {
			t.Fatal(err)
		}
		c := r.carve
		if _, err := c.CreateTenant(ctx, &pb.CreateTenantRequest{Name: "initech"}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.CreateTenant(ctx, &pb.CreateTenantRequest{Name: "initech"}); status.Code(err) != codes.AlreadyExists {
			t.Fatalf("second create: want AlreadyExists, got %v", err)
		}
		if _, err := c.SetQuota(ctx, &pb.SetQuotaRequest{Tenant: "initech", GpuModel: "H100-SXM5-80GB", Gpus: 128}); err != nil {
			t.Fatal(err)
		}

		// A dry run decides but commits nothing.
		dry, err := c.Carve(ctx, &pb.CarveRequest{Tenant: "initech", Gpus: 64, Required: "leaf", DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		if bs, _ := c.ListBlocks(ctx, &pb.ListBlocksRequest{}); len(bs.Blocks) != 0 {
			t.Fatalf("dry run committed %d blocks", len(bs.Blocks))
		}
		p, err := c.Carve(ctx, &pb.CarveRequest{Tenant: "initech", Block: "train", Gpus: 64, Required: "leaf"})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(memberNodes(dry.Block), memberNodes(p.Block)); diff != "" {
			t.Errorf("the dry run and the real carve chose differently:\n%s", diff)
		}
		if p.Block.Gpus != 64 || len(p.Block.Members) != 8 || p.Level != "leaf" {
			t.Errorf("carved %d GPUs on %d nodes at level %s", p.Block.Gpus, len(p.Block.Members), p.Level)
		}

		// Over quota: refused, with the numbers in a structured detail.
		_, err = c.Carve(ctx, &pb.CarveRequest{Tenant: "initech", Gpus: 128})
		ref := refusalOf(err)
		if ref == nil || ref.Reasons[0].Code != "quota" || !strings.Contains(ref.Reasons[0].Message, "quota allows 64 more") {
			t.Fatalf("over quota: want a quota refusal, got %v", err)
		}
		if _, err := c.Carve(ctx, &pb.CarveRequest{Tenant: "nobody", Gpus: 8}); status.Code(err) != codes.NotFound {
			t.Errorf("unknown tenant: want NotFound, got %v", err)
		}
		if _, err := c.Carve(ctx, &pb.CarveRequest{Tenant: "initech", Gpus: 12}); status.Code(err) != codes.InvalidArgument {
			t.Errorf("12 GPUs on 8-GPU nodes: want InvalidArgument, got %v", err)
		}
		if _, err := c.Carve(ctx, &pb.CarveRequest{Tenant: "initech", Gpus: 8, Required: "rackish"}); status.Code(err) != codes.InvalidArgument {
			t.Errorf("unknown level: want InvalidArgument, got %v", err)
		}

		g, err := c.Grow(ctx, &pb.ResizeRequest{Block: "train", Gpus: 16})
		if err != nil {
			t.Fatal(err)
		}
		if g.Block.Gpus != 80 || len(g.Added) != 2 || g.Block.Generation != 2 {
			t.Errorf("grow: %d GPUs, %d added, generation %d", g.Block.Gpus, len(g.Added), g.Block.Generation)
		}
		sw, err := c.Swap(ctx, &pb.SwapRequest{Block: "train", Node: g.Block.Members[0].Node})
		if err != nil {
			t.Fatal(err)
		}
		if len(sw.Added) != 1 || len(sw.Removed) != 1 || sw.Removed[0].Node != g.Block.Members[0].Node {
			t.Errorf("swap: added %v removed %v", sw.Added, sw.Removed)
		}
		sh, err := c.Shrink(ctx, &pb.ResizeRequest{Block: "train", Gpus: 32})
		if err != nil {
			t.Fatal(err)
		}
		if sh.Block.Gpus != 48 || len(sh.Removed) != 4 {
			t.Errorf("shrink: %d GPUs left, %d removed", sh.Block.Gpus, len(sh.Removed))
		}

		// What the API says is what the store holds, after a restart too.
		stored, err := r.store.Blocks(ctx, "initech")
		if err != nil {
			t.Fatal(err)
		}
		if len(stored) != 1 || stored[0].GPUs != 48 || stored[0].Generation != sh.Block.Generation {
			t.Fatalf("store holds %+v", stored)
		}
		got := blockProto(&stored[0])
		got.CreatedAt, got.UpdatedAt = nil, nil
		want := sh.Block
		want.CreatedAt, want.UpdatedAt = nil, nil
		if diff := cmp.Diff(want.String(), got.String()); diff != "" {
			t.Errorf("stored block differs from the API's answer:\n%s", diff)
		}
		again := startReplica(t, dsn)
		b, err := again.carve.GetBlock(ctx, &pb.GetBlockRequest{Name: "train"})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(memberNodes(sh.Block), memberNodes(b)); diff != "" {
			t.Errorf("a second replica sees other members:\n%s", diff)
		}

		if _, err := c.DeleteTenant(ctx, &pb.DeleteTenantRequest{Name: "initech"}); status.Code(err) != codes.InvalidArgument {
			t.Errorf("deleting a tenant with blocks: want InvalidArgument, got %v", err)
		}
		if _, err := c.Release(ctx, &pb.ReleaseRequest{Block: "train"}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.DeleteTenant(ctx, &pb.DeleteTenantRequest{Name: "initech"}); err != nil {
			t.Fatal(err)
		}

		// Every step is in the history, by alice.
		hist, err := r.store.Changes(ctx, inventory.ChangeFilter{Kinds: []string{model.KindBlock}})
		if err != nil {
			t.Fatal(err)
		}
		var ops []string
		for _, h := range hist {
			if h.Actor != "alice" {
				t.Errorf("change %d by %q, want alice", h.Seq, h.Actor)
			}
			ops = append(ops, string(h.Op)+":"+h.Peer)
		}
		if diff := cmp.Diff([]string{"create:carve", "update:grow", "update:swap", "update:shrink", "delete:release"}, ops); diff != "" {
			t.Errorf("block history (-want +got):\n%s", diff)
		}
	})
}

func TestReservationsAndCordonThroughTheAPI(t *testing.T) {
	r := startReplica(t, "sqlite:"+t.TempDir()+"/r.db")
	ctx := context.Background()
	if _, err := importBytes(t, r.inv, "lab.yaml", presetYAML(t, "lab-1su"), false); err != nil {
		t.Fatal(err)
	}
	c := r.carve
	if _, err := c.Reserve(ctx, &pb.ReserveRequest{Reservation: &pb.Reservation{Name: "x", Tenant: "acme", Level: "leaf", Domain: "no-such-leaf"}}); status.Code(err) != codes.NotFound {
		t.Fatalf("reserving a missing domain: want NotFound, got %v", err)
	}
	// Reserve all of the leaf domain but 4 nodes: globex can get 4 nodes, not 5.
	var nodes []string
	ns, err := r.inv.ListNodes(ctx, &pb.ListRequest{PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ns.Nodes[4:] {
		nodes = append(nodes, n.Hostname)
	}
	if _, err := c.Reserve(ctx, &pb.ReserveRequest{Reservation: &pb.Reservation{Name: "acme-next-week", Tenant: "acme", Nodes: nodes}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.Carve(ctx, &pb.CarveRequest{Tenant: "globex", Gpus: 40, DryRun: true})
	if ref := refusalOf(err); ref == nil || !strings.Contains(fmt.Sprint(ref.Reasons), "acme-next-week") {
		t.Fatalf("want a refusal naming the reservation, got %v", err)
	}
	if _, err := c.Cordon(ctx, &pb.CordonRequest{Node: ns.Nodes[0].Hostname, Cordoned: true, Reason: "flaky PSU"}); err != nil {
		t.Fatal(err)
	}
	p, err := c.Carve(ctx, &pb.CarveRequest{Tenant: "globex", Gpus: 24})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range memberNodes(p.Block) {
		if n == ns.Nodes[0].Hostname {
			t.Errorf("carved onto the cordoned node %s", n)
		}
	}
	if _, err := c.Carve(ctx, &pb.CarveRequest{Tenant: "globex", Gpus: 8}); refusalOf(err) == nil {
		t.Errorf("the last unreserved node is cordoned: want a refusal, got %v", err)
	}
	if _, err := c.Unreserve(ctx, &pb.UnreserveRequest{Name: "acme-next-week"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Carve(ctx, &pb.CarveRequest{Tenant: "globex", Gpus: 8}); err != nil {
		t.Errorf("after the reservation ends: %v", err)
	}
}

// TestConcurrentCarvesNeverDoubleBook fires 1,000 carve requests at once
// at two replicas sharing one database, on a fleet that is already half
// carved. Every request must get a valid block or a clear refusal, and no
// GPU may be in two blocks, neither in the answers nor in the store.
func TestConcurrentCarvesNeverDoubleBook(t *testing.T) {
	dbtest.ForEachDialect(t, func(t *testing.T, dsn string) {
		a := startReplica(t, dsn)
		b := startReplica(t, dsn)
		ctx := context.Background()
		if _, err := importBytes(t, a.inv, "spod.yaml", presetYAML(t, "superpod-4su"), false); err != nil {
			t.Fatal(err)
		}
		for _, tenant := range []string{"t0", "t1", "t2", "t3"} {
			if _, err := a.carve.CreateTenant(ctx, &pb.CreateTenantRequest{Name: tenant}); err != nil {
				t.Fatal(err)
			}
		}
		// Load: a third of the fleet in small blocks.
		const preload = 30
		for i := range preload {
			if _, err := a.carve.Carve(ctx, &pb.CarveRequest{Tenant: "t0", Gpus: int32(8 * (1 + i%2))}); err != nil {
				t.Fatal(err)
			}
		}
		const n = 1000
		type result struct {
			p   *pb.Placement
			err error
		}
		results := make([]result, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(i), 1))
				c := []pb.CarveServiceClient{a.carve, b.carve}[i%2]
				req := &pb.CarveRequest{Tenant: fmt.Sprintf("t%d", r.IntN(4)), Gpus: int32(8 * (1 + r.IntN(6)))}
				if r.IntN(3) == 0 {
					req.Required = "leaf"
				}
				p, err := c.Carve(ctx, req)
				results[i] = result{p, err}
			}()
		}
		wg.Wait()

		owner := map[string]string{} // node/gpu → block
		placed, refused := 0, 0
		for i, r := range results {
			if r.err != nil {
				ref := refusalOf(r.err)
				if ref == nil || len(ref.Reasons) == 0 {
					t.Fatalf("request %d: neither a block nor a clear refusal: %v", i, r.err)
				}
				refused++
				continue
			}
			placed++
			for _, m := range r.p.Block.Members {
				for _, g := range m.Gpus {
					k := fmt.Sprintf("%s/%d", m.Node, g)
					if prev, dup := owner[k]; dup {
						t.Fatalf("GPU %s given to both %s and %s", k, prev, r.p.Block.Name)
					}
					owner[k] = r.p.Block.Name
				}
			}
		}
		t.Logf("%d placed, %d refused", placed, refused)
		if placed == 0 || refused == 0 {
			t.Fatalf("want both placements and refusals under load, got %d and %d", placed, refused)
		}
		// The store holds exactly the answers given, plus the preload.
		stored, err := a.store.Blocks(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]string{}
		for _, blk := range stored {
			for _, m := range blk.Members {
				for _, g := range m.GPUs {
					k := fmt.Sprintf("%s/%d", m.Node, g)
					if prev, dup := seen[k]; dup {
						t.Fatalf("store: GPU %s in both %s and %s", k, prev, blk.Name)
					}
					seen[k] = blk.Name
					if want, ok := owner[k]; ok && want != blk.Name {
						t.Fatalf("GPU %s answered as %s, stored in %s", k, want, blk.Name)
					}
				}
			}
		}
		if len(stored) != preload+placed {
			t.Errorf("store has %d blocks, want %d", len(stored), preload+placed)
		}
	})
}
