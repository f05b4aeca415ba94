package inventory

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/railyard/railyard/internal/model"
)

func twoNodeBlock(name string, nodes ...string) *model.Block {
	b := &model.Block{Name: name, Tenant: "acme", GPUModel: "H100-SXM5-80GB", Required: "site", Generation: 1}
	for i, n := range nodes {
		b.Members = append(b.Members, model.BlockMember{Node: n, GPUs: []int{0, 1}, Segment: i})
		b.GPUs += 2
	}
	return b
}

func TestCommitBlocksAndSnapshot(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openStore(t, dsn)
		if _, err := s.Import(ctx, smallFleet(4), ImportOptions{Actor: "t"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetQuota(ctx, model.Quota{Tenant: "acme", GPUModel: "H100-SXM5-80GB", GPUs: 6}, WriteOptions{Actor: "t"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Cordon(ctx, "s1-n04", true, "fan", WriteOptions{Actor: "t"}); err != nil {
			t.Fatal(err)
		}
		until := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
		if _, err := s.CreateReservation(ctx, model.Reservation{Name: "r", Tenant: "acme", Nodes: []string{"s1-n03"}, Until: until}, WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		b := twoNodeBlock("b1", "s1-n01", "s1-n02")
		if _, err := s.CommitBlocks(ctx, []BlockChange{{Op: "carve", After: b}}, WriteOptions{Actor: "t"}); err != nil {
			t.Fatal(err)
		}
		snap, seq, err := s.CarveSnapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if latest, _ := s.LatestSeq(ctx); latest != seq {
			t.Errorf("snapshot at seq %d, latest %d", seq, latest)
		}
		ignore := cmpopts.IgnoreFields(model.Block{}, "CreatedAt", "UpdatedAt")
		if diff := cmp.Diff([]model.Block{*b}, snap.Blocks, ignore); diff != "" {
			t.Errorf("blocks (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]model.Quota{{Tenant: "acme", GPUModel: "H100-SXM5-80GB", GPUs: 6}}, snap.Quotas); diff != "" {
			t.Errorf("quotas (-want +got):\n%s", diff)
		}
		if len(snap.Reservations) != 1 || !snap.Reservations[0].Until.Equal(until) || snap.Reservations[0].Nodes[0] != "s1-n03" {
			t.Errorf("reservations: %+v", snap.Reservations)
		}
		want := model.NodeCapacity{Node: "s1-n04", Site: "s1", Pod: "s1-pod1", LeafDomain: "s1-su1", Rack: "s1-r2",
			NVLinkDomain: "s1-n04-nvl", GPUModel: "H100-SXM5-80GB", GPUs: 2, State: model.NodeAvailable, Cordoned: true, CordonReason: "fan"}
		if diff := cmp.Diff(want, snap.Nodes[3]); diff != "" {
			t.Errorf("node capacity (-want +got):\n%s", diff)
		}

		// A stale plan (wrong generation) and a double-booked GPU are both
		// refused, and neither changes anything.
		stale := twoNodeBlock("b1", "s1-n01", "s1-n02")
		stale.Generation = 7
		grown := twoNodeBlock("b1", "s1-n01", "s1-n02", "s1-n03")
		grown.Generation = 8
		if _, err := s.CommitBlocks(ctx, []BlockChange{{Op: "grow", Before: stale, After: grown}}, WriteOptions{}); !errors.Is(err, ErrConflict) {
			t.Errorf("stale generation: want ErrConflict, got %v", err)
		}
		other := twoNodeBlock("b2", "s1-n03")
		clash := twoNodeBlock("b3", "s1-n02")
		_, err = s.CommitBlocks(ctx, []BlockChange{{Op: "carve", After: other}, {Op: "carve", After: clash}}, WriteOptions{})
		if !errors.Is(err, ErrConflict) {
			t.Fatalf("double-booked GPU: want ErrConflict, got %v", err)
		}
		after, _, err := s.CarveSnapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(snap.Blocks, after.Blocks); diff != "" {
			t.Errorf("a refused commit changed the blocks:\n%s", diff)
		}

		// Import cannot delete a GPU a block holds.
		f := smallFleet(4)
		f.Nodes = f.Nodes[1:]
		f.Links = slices.DeleteFunc(f.Links, func(l model.Link) bool { return l.A.Device == "s1-n01" || l.B.Device == "s1-n01" })
		_, err = s.Import(ctx, f, ImportOptions{Actor: "t"})
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "block b1") {
			t.Fatalf("import dropping an allocated node: want ErrInvalid naming b1, got %v", err)
		}
		// Released, the node may go.
		if _, err := s.CommitBlocks(ctx, []BlockChange{{Op: "release", Before: b}}, WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Import(ctx, f, ImportOptions{Actor: "t"}); err != nil {
			t.Fatalf("import after release: %v", err)
		}
	})
}

func TestDeleteTenantKeepsOneWithBlocks(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, "sqlite:"+t.TempDir()+"/t.db")
	if _, err := s.Import(ctx, smallFleet(2), ImportOptions{Actor: "t"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CommitBlocks(ctx, []BlockChange{{Op: "carve", After: twoNodeBlock("b", "s1-n01")}}, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteTenant(ctx, "acme", WriteOptions{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("want ErrInvalid, got %v", err)
	}
	if _, err := s.CreateTenant(ctx, model.Tenant{Name: "acme"}, WriteOptions{}); !errors.Is(err, ErrAlreadyExists) {
		t.Errorf("want ErrAlreadyExists, got %v", err)
	}
}
