package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/railyard/railyard/internal/fleetfile"
	"github.com/railyard/railyard/internal/fleetgen"
	"github.com/railyard/railyard/internal/inventory"
	"github.com/railyard/railyard/internal/model"
	pb "github.com/railyard/railyard/proto/railyard/v1"
)

// serve starts the services on an in-process listener over a fresh
// SQLite store and returns an inventory client.
func serve(t testing.TB) (pb.InventoryServiceClient, *inventory.Store) {
	t.Helper()
	r := startReplica(t, "sqlite:"+t.TempDir()+"/api.db")
	return r.inv, r.store
}

func importBytes(t testing.TB, c pb.InventoryServiceClient, filename string, data []byte, dryRun bool) (*pb.ImportResponse, error) {
	t.Helper()
	stream, err := c.Import(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	first := true
	for len(data) > 0 || first {
		n := min(len(data), 64<<10)
		chunk := &pb.ImportChunk{Data: data[:n]}
		if first {
			chunk.Filename, chunk.DryRun, chunk.Actor = filename, dryRun, "tester"
			first = false
		}
		if err := stream.Send(chunk); err != nil {
			t.Fatal(err)
		}
		data = data[n:]
	}
	return stream.CloseAndRecv()
}

func presetYAML(t testing.TB, name string) []byte {
	t.Helper()
	f, err := fleetgen.Preset(name)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := fleetfile.EncodeYAML(&buf, f); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestImportStreamAndDescribe(t *testing.T) {
	c, _ := serve(t)
	ctx := context.Background()
	res, err := importBytes(t, c, "lab-1su.yaml", presetYAML(t, "lab-1su"), false)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if res.Created == 0 || res.Updated != 0 || res.Deleted != 0 {
		t.Fatalf("import result %d/%d/%d", res.Created, res.Updated, res.Deleted)
	}
	again, err := importBytes(t, c, "lab-1su.yaml", presetYAML(t, "lab-1su"), false)
	if err != nil || again.Created+again.Updated+again.Deleted != 0 {
		t.Fatalf("re-import: %v, %d/%d/%d changes", err, again.Created, again.Updated, again.Deleted)
	}

	s, err := c.StreamGPUs(ctx, &pb.ListRequest{PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	gpus, batches := 0, 0
	for {
		m, err := s.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		batches++
		gpus += len(m.Gpus)
	}
	if gpus != 256 || batches != 3 {
		t.Fatalf("streamed %d gpus in %d batches, want 256 in 3", gpus, batches)
	}

	nodes, err := c.ListNodes(ctx, &pb.ListRequest{Filter: &pb.Filter{Site: "lab"}, PageSize: 10})
	if err != nil || len(nodes.Nodes) != 10 || nodes.NextPageToken == "" {
		t.Fatalf("ListNodes page: %v, %d nodes, token %q", err, len(nodes.GetNodes()), nodes.GetNextPageToken())
	}
	d, err := c.GetNode(ctx, &pb.GetNodeRequest{Hostname: nodes.Nodes[0].Hostname})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Gpus) != 8 || len(d.Nics) == 0 || len(d.History) == 0 {
		t.Fatalf("describe: %d gpus %d nics %d history", len(d.Gpus), len(d.Nics), len(d.History))
	}
	cabled := 0
	for _, n := range d.Nics {
		for _, p := range n.Ports {
			if p.Peer != nil {
				cabled++
			}
		}
	}
	if cabled == 0 {
		t.Error("describe node shows no cable peers")
	}
}

func TestErrorsCarryCodes(t *testing.T) {
	c, _ := serve(t)
	ctx := context.Background()
	if _, err := importBytes(t, c, "lab-1su.yaml", presetYAML(t, "lab-1su"), false); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		call func() error
		code codes.Code
		msg  string
	}{
		{"missing-node", func() error { _, err := c.GetNode(ctx, &pb.GetNodeRequest{Hostname: "nope"}); return err }, codes.NotFound, `node "nope" does not exist`},
		{"empty-hostname", func() error { _, err := c.GetNode(ctx, &pb.GetNodeRequest{}); return err }, codes.InvalidArgument, "hostname is required"},
		{"bad-state", func() error {
			_, err := c.ListNodes(ctx, &pb.ListRequest{Filter: &pb.Filter{State: "asleep"}})
			return err
		}, codes.InvalidArgument, `unknown node state "asleep"`},
		{"bad-token", func() error { _, err := c.ListGPUs(ctx, &pb.ListRequest{PageToken: "x"}); return err }, codes.InvalidArgument, "bad page token"},
		{"missing-tenant", func() error { _, err := c.GetTenant(ctx, &pb.GetTenantRequest{Name: "zz"}); return err }, codes.NotFound, "tenant"},
		{"bad-format", func() error { _, err := importBytes(t, c, "fleet.txt", []byte("x"), false); return err }, codes.InvalidArgument, "fleet.txt"},
		{"malformed-csv", func() error {
			_, err := importBytes(t, c, "bad.csv", []byte("hostname,rack,gpu_model,gpu_count\nn1,r1,H100,8\nn2,r1,H100,eight\n"), false)
			return err
		}, codes.InvalidArgument, "bad.csv:3"},
		{"duplicate-serials", func() error {
			f, _ := fleetgen.Preset("lab-1su")
			f.Nodes[1].Serial = f.Nodes[0].Serial
			var buf bytes.Buffer
			fleetfile.EncodeYAML(&buf, f)
			_, err := importBytes(t, c, "dup.yaml", buf.Bytes(), false)
			return err
		}, codes.FailedPrecondition, "duplicate-serial"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if status.Code(err) != tt.code || !strings.Contains(status.Convert(err).Message(), tt.msg) {
				t.Errorf("got %v, want code %v with %q", err, tt.code, tt.msg)
			}
		})
	}
	// None of the refused imports changed anything.
	n, err := c.ListNodes(ctx, &pb.ListRequest{PageSize: 1000})
	if err != nil || len(n.Nodes) != 32 {
		t.Fatalf("after refused imports: %d nodes (%v), want 32", len(n.GetNodes()), err)
	}
}

func TestCodeOf(t *testing.T) {
	tests := []struct {
		err  error
		want codes.Code
	}{
		{fmt.Errorf("x: %w", inventory.ErrNotFound), codes.NotFound},
		{fmt.Errorf("x: %w", inventory.ErrInvalid), codes.InvalidArgument},
		{fmt.Errorf("x: %w", inventory.ErrAlreadyExists), codes.AlreadyExists},
		{fmt.Errorf("x: %w", inventory.ErrConflict), codes.FailedPrecondition},
		{fmt.Errorf("x: %w", errFindings), codes.FailedPrecondition},
		{fmt.Errorf("x: %w", model.ErrBadIdentifier), codes.InvalidArgument},
		{context.DeadlineExceeded, codes.DeadlineExceeded},
		{status.Error(codes.Unavailable, "x"), codes.Unavailable},
		{errors.New("boom"), codes.Internal},
	}
	for _, tt := range tests {
		if got := codeOf(tt.err); got != tt.want {
			t.Errorf("codeOf(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestWatchFollowsImports(t *testing.T) {
	c, _ := serve(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	w, err := c.Watch(ctx, &pb.WatchRequest{Kinds: []string{"tenant"}})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // let the watch take its starting point
	if _, err := importBytes(t, c, "lab-1su.yaml", presetYAML(t, "lab-1su"), false); err != nil {
		t.Fatal(err)
	}
	var got []string
	for len(got) < 2 {
		ch, err := w.Recv()
		if err != nil {
			t.Fatalf("watch: %v (got %v)", err, got)
		}
		if ch.Kind != "tenant" || ch.Op != "create" {
			t.Fatalf("watch sent %s %s, want tenant creates only", ch.Op, ch.Kind)
		}
		got = append(got, ch.Key)
	}
}

func TestExportRoundTrip(t *testing.T) {
	c, _ := serve(t)
	in := presetYAML(t, "lab-1su")
	if _, err := importBytes(t, c, "lab-1su.yaml", in, false); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"yaml", "csv"} {
		s, err := c.Export(context.Background(), &pb.ExportRequest{Format: format})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		for {
			m, err := s.Recv()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			buf.Write(m.Data)
		}
		if format == "yaml" && !bytes.Equal(buf.Bytes(), in) {
			t.Errorf("yaml export differs from the imported file")
		}
		res, err := importBytes(t, c, "export."+format, buf.Bytes(), false)
		if err != nil {
			t.Fatalf("re-import %s export: %v", format, err)
		}
		if res.Created+res.Updated+res.Deleted != 0 {
			t.Errorf("re-import of %s export changed %d/%d/%d records; first change: %v", format, res.Created, res.Updated, res.Deleted, res.Changes[0])
		}
	}
}
