package inventory

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/railyard/railyard/internal/fleetgen"
	"github.com/railyard/railyard/internal/maintenance"
)

// TestCampaignStore covers what the maintenance executor relies on, on
// both dialects: a campaign and its node records round-trip; an edit
// writes node records, cordons and history in one transaction and a
// failing edit writes nothing; a maintenance cordon never overrides an
// operator's, and lifting it leaves theirs alone; MaintenanceOffline sees
// every campaign's nodes out of service; a campaign holding nodes cannot
// be deleted.
func TestCampaignStore(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openStore(t, dsn)
		f, err := fleetgen.Preset("lab-1su")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Import(ctx, f, ImportOptions{Actor: "test"}); err != nil {
			t.Fatal(err)
		}
		n1, n2, n3 := f.Nodes[0].Hostname, f.Nodes[1].Hostname, f.Nodes[2].Hostname
		opts := WriteOptions{Actor: "test", Source: "test"}
		spec := maintenance.Spec{Action: maintenance.Action{Kind: maintenance.ActionPowerCycle}, Budget: maintenance.Budget{Fleet: maintenance.Count(2)}}
		c, _, err := s.CreateCampaign(ctx, maintenance.Campaign{Name: "c1", Spec: spec, State: maintenance.StateRunning, Run: 1}, []string{n1, n2, n3}, opts)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.CreateCampaign(ctx, maintenance.Campaign{Name: "c1", Spec: spec}, nil, opts); !errors.Is(err, ErrAlreadyExists) {
			t.Errorf("second c1: %v", err)
		}
		if _, _, err := s.CreateCampaign(ctx, maintenance.Campaign{Name: "Bad Name", Spec: spec}, nil, opts); !errors.Is(err, ErrInvalid) {
			t.Errorf("bad name: %v", err)
		}
		got, nodes, err := s.Campaign(ctx, "c1")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(c.Spec, got.Spec); diff != "" || got.State != maintenance.StateRunning || len(nodes) != 3 {
			t.Fatalf("stored campaign %+v, %d nodes; spec diff:\n%s", got, len(nodes), diff)
		}

		// An operator cordoned n2 by hand.
		if _, err := s.Cordon(ctx, n2, true, "bad DIMM, ticket 42", opts); err != nil {
			t.Fatal(err)
		}
		lease := time.Date(2026, 11, 23, 1, 0, 30, 0, time.UTC)
		if _, err := s.UpdateCampaign(ctx, "c1", []string{n1, n2}, opts, func(e *CampaignEdit) error {
			e.Cordon = map[string]string{}
			for i := range e.Nodes {
				e.Nodes[i].Phase, e.Nodes[i].LeaseOwner, e.Nodes[i].LeaseUntil = maintenance.PhaseActing, "a", lease
				e.Cordon[e.Nodes[i].Node] = CordonPrefix + "c1"
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		off, err := s.MaintenanceOffline(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[string]string{n1: "c1", n2: "c1"}, off); diff != "" {
			t.Errorf("offline (-want +got):\n%s", diff)
		}
		_, nodes, err = s.Campaign(ctx, "c1")
		if err != nil {
			t.Fatal(err)
		}
		if nodes[0].LeaseOwner != "a" || !nodes[0].LeaseUntil.Equal(lease) || nodes[0].Phase != maintenance.PhaseActing {
			t.Errorf("node record after the edit: %+v", nodes[0])
		}
		cordons := func() map[string]string {
			snap, _, err := s.CarveSnapshot(ctx)
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]string{}
			for _, n := range snap.Nodes {
				if n.Cordoned {
					out[n.Node] = n.CordonReason
				}
			}
			return out
		}
		if diff := cmp.Diff(map[string]string{n1: "maintenance: c1", n2: "bad DIMM, ticket 42"}, cordons()); diff != "" {
			t.Errorf("cordons while in maintenance (-want +got):\n%s", diff)
		}

		// A failing edit writes nothing: not the records, not the cordons.
		boom := errors.New("boom")
		if _, err := s.UpdateCampaign(ctx, "c1", nil, opts, func(e *CampaignEdit) error {
			for i := range e.Nodes {
				e.Nodes[i].Phase = maintenance.PhaseDone
			}
			e.Cordon = map[string]string{n1: "", n3: CordonPrefix + "c1"}
			e.Campaign.State = maintenance.StateDone
			return boom
		}); !errors.Is(err, boom) {
			t.Fatalf("failing edit: %v", err)
		}
		if got, nodes, _ := s.Campaign(ctx, "c1"); got.State != maintenance.StateRunning || nodes[0].Phase != maintenance.PhaseActing || nodes[2].Phase != maintenance.PhasePending {
			t.Errorf("a failed edit changed the campaign: %s %s %s", got.State, nodes[0].Phase, nodes[2].Phase)
		}
		if _, err := s.DeleteCampaign(ctx, "c1", opts); !errors.Is(err, ErrConflict) {
			t.Errorf("deleting a campaign that holds nodes: %v", err)
		}

		// Done: lifting the maintenance cordons leaves the operator's.
		if _, err := s.UpdateCampaign(ctx, "c1", nil, opts, func(e *CampaignEdit) error {
			e.Cordon = map[string]string{}
			for i := range e.Nodes {
				e.Nodes[i].Phase, e.Nodes[i].LeaseOwner, e.Nodes[i].LeaseUntil = maintenance.PhaseDone, "", time.Time{}
				e.Cordon[e.Nodes[i].Node] = ""
			}
			e.Campaign.State = maintenance.StateDone
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[string]string{n2: "bad DIMM, ticket 42"}, cordons()); diff != "" {
			t.Errorf("cordons after the campaign (-want +got):\n%s", diff)
		}
		hist, err := s.Changes(ctx, ChangeFilter{Device: n1})
		if err != nil {
			t.Fatal(err)
		}
		var story []string
		for _, h := range hist {
			switch {
			case h.Kind == "campaign_node":
				story = append(story, "record")
			case h.Kind == "node" && strings.Contains(string(h.After), "maintenance: c1"):
				story = append(story, "cordon")
			case h.Kind == "node" && strings.Contains(string(h.Before), "maintenance: c1"):
				story = append(story, "uncordon")
			}
		}
		if diff := cmp.Diff([]string{"record", "cordon", "record", "uncordon"}, story); diff != "" {
			t.Errorf("%s's history (-want +got):\n%s", n1, diff)
		}
		if _, err := s.DeleteCampaign(ctx, "c1", opts); err != nil {
			t.Errorf("deleting a finished campaign: %v", err)
		}
		if _, _, err := s.Campaign(ctx, "c1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("after delete: %v", err)
		}
	})
}
