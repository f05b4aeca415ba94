package inventory

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/railyard/railyard/ent"
	"github.com/railyard/railyard/ent/change"
	"github.com/railyard/railyard/ent/predicate"
	"github.com/railyard/railyard/internal/model"
)

// ChangeFilter selects history entries.
type ChangeFilter struct {
	// After returns entries with a larger sequence number only.
	After int64
	// Kinds keeps entries of these record kinds; empty keeps all.
	Kinds []string
	// Device keeps entries of this node or switch, its parts and cables.
	Device string
	// Limit caps the entries returned (default and maximum 1000).
	Limit int
}

// Changes returns history entries matching f, oldest first.
func (s *Store) Changes(ctx context.Context, f ChangeFilter) ([]model.Change, error) {
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	ps := []predicate.Change{change.IDGT(int(f.After))}
	if len(f.Kinds) > 0 {
		ps = append(ps, change.KindIn(f.Kinds...))
	}
	if f.Device != "" {
		ps = append(ps, change.Or(change.Subject(f.Device), change.Peer(f.Device)))
	}
	cs, err := s.client.Change.Query().Where(ps...).Order(ent.Asc(change.FieldID)).Limit(limit).All(ctx)
	if err != nil {
		return nil, err
	}
	return changeModels(cs), nil
}

func changeModels(cs []*ent.Change) []model.Change {
	out := make([]model.Change, len(cs))
	for i, c := range cs {
		out[i] = model.Change{
			Seq: int64(c.ID), At: c.At.UTC(), Actor: c.Actor, Source: c.Source, Kind: c.Kind, Key: c.Key,
			Subject: c.Subject, Peer: c.Peer, Op: model.ChangeOp(c.Op),
		}
		if c.Before != "" {
			out[i].Before = json.RawMessage(c.Before)
		}
		if c.After != "" {
			out[i].After = json.RawMessage(c.After)
		}
	}
	return out
}

// Export returns the stored inventory as a fleet; site, if not empty,
// keeps that site only.
func (s *Store) Export(ctx context.Context, site string) (*model.Fleet, error) {
	r, _, err := loadAll(ctx, s.client)
	if err != nil {
		return nil, err
	}
	if site == "" {
		return r.fleet(nil), nil
	}
	if _, ok := r.sites[site]; !ok {
		return nil, fmt.Errorf("%w: site %q does not exist", ErrNotFound, site)
	}
	return r.fleet(func(s string) bool { return s == site }), nil
}
