// Package carver runs the carving engine against the inventory: it keeps
// the engine's state in memory, decides one request at a time, commits
// each plan to the store in one transaction and only then applies it to
// the in-memory state.
//
// Concurrency is optimistic. Every write to the store appends to its
// history, so the history's sequence number tells a replica whether its
// in-memory state is current; before each decision the service compares
// it and reloads when another writer (an import, another replica) moved
// it. The store refuses a plan made on a stale view: a block whose
// generation changed, or a GPU that is already allocated (the allocations
// table holds each GPU once). The service then reloads and decides again.
package carver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/railyard/railyard/internal/carve"
	"github.com/railyard/railyard/internal/inventory"
	"github.com/railyard/railyard/internal/model"
)

// Service is the carving engine bound to a store.
type Service struct {
	store  *inventory.Store
	policy carve.Policy
	now    func() time.Time

	mu    sync.Mutex
	state *carve.State
	// seq is the history sequence the state reflects; expires is when the
	// earliest reservation ends (the state must then be rebuilt).
	seq     int64
	expires time.Time
}

// New returns a service; the state is loaded on first use.
func New(store *inventory.Store, policy carve.Policy) *Service {
	return &Service{store: store, policy: policy, now: time.Now}
}

// Caller says who asks, for the history.
type Caller struct {
	Actor, Source string
}

// sync brings the state up to the store. Block and quota changes by other
// writers are replayed from the history; anything else (an import, a
// reservation, a cordon) rebuilds the state from a snapshot. Call with mu
// held.
func (s *Service) sync(ctx context.Context) error {
	seq, err := s.store.LatestSeq(ctx)
	if err != nil {
		return err
	}
	now := s.now()
	if s.state != nil && (s.expires.IsZero() || now.Before(s.expires)) {
		if seq == s.seq {
			return nil
		}
		if s.replay(ctx) {
			return nil
		}
	}
	return s.reload(ctx, now)
}

// replay applies the history since s.seq to the state, if it holds only
// block and quota changes; it reports whether it did.
func (s *Service) replay(ctx context.Context) bool {
	const most = 1000
	cs, err := s.store.Changes(ctx, inventory.ChangeFilter{After: s.seq, Limit: most})
	if err != nil || len(cs) == 0 || len(cs) == most {
		return false
	}
	next := s.state.Clone()
	for _, c := range cs {
		switch c.Kind {
		case model.KindBlock:
			var p carve.Plan
			if c.Before != nil {
				var before model.Block
				if json.Unmarshal(c.Before, &before) != nil {
					return false
				}
				p.Before = &before
			}
			if c.After != nil {
				p.After = &model.Block{}
				if json.Unmarshal(c.After, p.After) != nil {
					return false
				}
			}
			if next.Apply(&p) != nil {
				return false
			}
		case model.KindQuota:
			var q model.Quota
			if c.After == nil {
				if json.Unmarshal(c.Before, &q) != nil {
					return false
				}
				q.GPUs = -1
			} else if json.Unmarshal(c.After, &q) != nil {
				return false
			}
			next.SetQuota(q)
		case model.KindTenant, model.KindTenantNetwork, model.KindDeviceConfig, model.KindCampaign, model.KindCampaignNode:
		default:
			return false
		}
	}
	s.state, s.seq = next, cs[len(cs)-1].Seq
	return true
}

func (s *Service) reload(ctx context.Context, now time.Time) error {
	snap, seq, err := s.store.CarveSnapshot(ctx)
	if err != nil {
		return err
	}
	st, err := carve.NewState(snap, s.policy, now)
	if err != nil {
		return fmt.Errorf("carving state: %w", err)
	}
	s.state, s.seq, s.expires = st, seq, time.Time{}
	for _, r := range snap.Reservations {
		if !r.Until.IsZero() && r.Until.After(now) && (s.expires.IsZero() || r.Until.Before(s.expires)) {
			s.expires = r.Until
		}
	}
	return nil
}

// read runs fn on a current state.
func (s *Service) read(ctx context.Context, fn func(st *carve.State) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.sync(ctx); err != nil {
		return err
	}
	return fn(s.state)
}

// decide plans on the current state and commits the plans; on a conflict
// with another writer it reloads and plans again, a few times.
func (s *Service) decide(ctx context.Context, who Caller, dryRun bool, plan func(st *carve.State) ([]*carve.Plan, error)) ([]*carve.Plan, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*carve.Plan
	err := s.store.WithCarveLock(ctx, func() error {
		var lastErr error
		for range 4 {
			if err := s.sync(ctx); err != nil {
				return err
			}
			ps, err := plan(s.state)
			if err != nil || dryRun || len(ps) == 0 {
				out = ps
				return err
			}
			now := s.now().UTC()
			changes := make([]inventory.BlockChange, len(ps))
			for i, p := range ps {
				if p.After != nil {
					p.After.CreatedAt, p.After.UpdatedAt = now, now
					if p.Before != nil {
						p.After.CreatedAt = p.Before.CreatedAt
					}
				}
				changes[i] = inventory.BlockChange{Op: p.Op, Before: p.Before, After: p.After}
			}
			res, err := s.store.CommitBlocks(ctx, changes, inventory.WriteOptions{Actor: who.Actor, Source: who.Source, Seen: s.seq})
			if errors.Is(err, inventory.ErrConflict) {
				lastErr = err
				s.state = nil // another writer got there first: reload, decide again
				continue
			}
			if err != nil {
				return err
			}
			s.afterWrite(res, func(st *carve.State) error {
				for _, p := range ps {
					if err := st.Apply(p); err != nil {
						return err
					}
				}
				return nil
			})
			out = ps
			return nil
		}
		return fmt.Errorf("gave up after repeated conflicts with other writers: %w", lastErr)
	})
	return out, err
}

// afterWrite brings the in-memory state up to a committed write: it
// applies the write itself, or drops the state when others wrote too.
func (s *Service) afterWrite(res inventory.WriteResult, apply func(st *carve.State) error) {
	if res.Others || s.state == nil {
		s.state = nil
		return
	}
	if err := apply(s.state); err != nil {
		s.state = nil
		return
	}
	s.seq = res.Seq
}

// Carve places and commits a new block.
func (s *Service) Carve(ctx context.Context, who Caller, req carve.Request, dryRun bool) (*carve.Plan, error) {
	ps, err := s.decide(ctx, who, dryRun, func(st *carve.State) ([]*carve.Plan, error) {
		if _, err := s.store.GetTenant(ctx, req.Tenant); err != nil {
			return nil, err
		}
		p, err := st.Place(req)
		if err != nil {
			return nil, err
		}
		return []*carve.Plan{p}, nil
	})
	return first(ps, err)
}

// Grow adds GPUs to a block.
func (s *Service) Grow(ctx context.Context, who Caller, block string, gpus int, dryRun bool) (*carve.Plan, error) {
	return first(s.decide(ctx, who, dryRun, one(func(st *carve.State) (*carve.Plan, error) { return st.Grow(block, gpus) })))
}

// Shrink removes GPUs from a block.
func (s *Service) Shrink(ctx context.Context, who Caller, block string, gpus int, dryRun bool) (*carve.Plan, error) {
	return first(s.decide(ctx, who, dryRun, one(func(st *carve.State) (*carve.Plan, error) { return st.Shrink(block, gpus) })))
}

// Release frees a block.
func (s *Service) Release(ctx context.Context, who Caller, block string, dryRun bool) (*carve.Plan, error) {
	return first(s.decide(ctx, who, dryRun, one(func(st *carve.State) (*carve.Plan, error) { return st.Release(block) })))
}

// Swap replaces a node of a block by a spare.
func (s *Service) Swap(ctx context.Context, who Caller, block, node string, dryRun bool) (*carve.Plan, error) {
	return first(s.decide(ctx, who, dryRun, one(func(st *carve.State) (*carve.Plan, error) { return st.Swap(block, node) })))
}

// Defrag plans, and with apply commits, moves that free whole domains.
func (s *Service) Defrag(ctx context.Context, who Caller, opts carve.DefragOptions, apply bool) (*carve.DefragPlan, error) {
	var plan *carve.DefragPlan
	_, err := s.decide(ctx, who, !apply, func(st *carve.State) ([]*carve.Plan, error) {
		var err error
		plan, err = st.Defrag(opts)
		if err != nil {
			return nil, err
		}
		return plan.Moves, nil
	})
	return plan, err
}

func one(fn func(st *carve.State) (*carve.Plan, error)) func(st *carve.State) ([]*carve.Plan, error) {
	return func(st *carve.State) ([]*carve.Plan, error) {
		p, err := fn(st)
		if err != nil {
			return nil, err
		}
		return []*carve.Plan{p}, nil
	}
}

func first(ps []*carve.Plan, err error) (*carve.Plan, error) {
	if err != nil {
		return nil, err
	}
	return ps[0], nil
}

// Block returns one block.
func (s *Service) Block(ctx context.Context, name string) (model.Block, error) {
	var b model.Block
	err := s.read(ctx, func(st *carve.State) error {
		var ok bool
		if b, ok = st.Block(name); !ok {
			return fmt.Errorf("%w: block %s", carve.ErrNotFound, name)
		}
		return nil
	})
	return b, err
}

// Blocks returns the blocks of a tenant, or all, by name.
func (s *Service) Blocks(ctx context.Context, tenant string) ([]model.Block, error) {
	var out []model.Block
	err := s.read(ctx, func(st *carve.State) error {
		for _, name := range st.Blocks() {
			if b, _ := st.Block(name); tenant == "" || b.Tenant == tenant {
				out = append(out, b)
			}
		}
		return nil
	})
	return out, err
}

// Capacity reports the free capacity of a model for a tenant, and the
// tenant's quota left (-1: none) and use.
func (s *Service) Capacity(ctx context.Context, tenant, gpuModel string) (carve.Fragmentation, string, int, int, error) {
	var f carve.Fragmentation
	var resolved string
	left, used := -1, 0
	err := s.read(ctx, func(st *carve.State) error {
		var err error
		if f, err = st.Fragmentation(tenant, gpuModel); err != nil {
			return err
		}
		resolved = gpuModel
		if resolved == "" {
			resolved = st.DefaultModel()
		}
		used = st.Used(tenant, resolved)
		if q, ok := st.Quota(tenant, resolved); ok {
			left = max(0, q-used)
		}
		return nil
	})
	return f, resolved, left, used, err
}

// Used returns the GPUs of a model a tenant holds.
func (s *Service) Used(ctx context.Context, tenant, gpuModel string) (int, error) {
	var n int
	err := s.read(ctx, func(st *carve.State) error { n = st.Used(tenant, gpuModel); return nil })
	return n, err
}

// write runs a store write and keeps the state in step with it.
func (s *Service) write(ctx context.Context, fn func(seen int64) (inventory.WriteResult, error), apply func(st *carve.State) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.sync(ctx); err != nil {
		return err
	}
	res, err := fn(s.seq)
	if err != nil {
		return err
	}
	if apply == nil {
		s.state = nil // rebuilt on next use
		return nil
	}
	s.afterWrite(res, apply)
	return nil
}

// CreateTenant adds a tenant.
func (s *Service) CreateTenant(ctx context.Context, who Caller, t model.Tenant) error {
	return s.write(ctx, func(seen int64) (inventory.WriteResult, error) {
		return s.store.CreateTenant(ctx, t, inventory.WriteOptions{Actor: who.Actor, Source: who.Source, Seen: seen})
	}, func(*carve.State) error { return nil })
}

// DeleteTenant removes a tenant that holds no blocks.
func (s *Service) DeleteTenant(ctx context.Context, who Caller, name string) error {
	return s.write(ctx, func(seen int64) (inventory.WriteResult, error) {
		return s.store.DeleteTenant(ctx, name, inventory.WriteOptions{Actor: who.Actor, Source: who.Source, Seen: seen})
	}, nil)
}

// SetQuota sets (gpus ≥ 0) or removes (gpus < 0) a quota.
func (s *Service) SetQuota(ctx context.Context, who Caller, q model.Quota) error {
	return s.write(ctx, func(seen int64) (inventory.WriteResult, error) {
		return s.store.SetQuota(ctx, q, inventory.WriteOptions{Actor: who.Actor, Source: who.Source, Seen: seen})
	}, func(st *carve.State) error { st.SetQuota(q); return nil })
}

// Reserve stores a reservation after checking that what it names exists.
func (s *Service) Reserve(ctx context.Context, who Caller, r model.Reservation) error {
	return s.write(ctx, func(seen int64) (inventory.WriteResult, error) {
		if err := s.state.CheckReservation(r); err != nil {
			return inventory.WriteResult{}, err
		}
		return s.store.CreateReservation(ctx, r, inventory.WriteOptions{Actor: who.Actor, Source: who.Source, Seen: seen})
	}, nil)
}

// Unreserve deletes a reservation.
func (s *Service) Unreserve(ctx context.Context, who Caller, name string) error {
	return s.write(ctx, func(seen int64) (inventory.WriteResult, error) {
		return s.store.DeleteReservation(ctx, name, inventory.WriteOptions{Actor: who.Actor, Source: who.Source, Seen: seen})
	}, nil)
}

// Cordon keeps a node out of new blocks, or lets it back in.
func (s *Service) Cordon(ctx context.Context, who Caller, node string, cordoned bool, reason string) error {
	return s.write(ctx, func(seen int64) (inventory.WriteResult, error) {
		return s.store.Cordon(ctx, node, cordoned, reason, inventory.WriteOptions{Actor: who.Actor, Source: who.Source, Seen: seen})
	}, nil)
}

// QuotaUse is a quota with the GPUs the tenant holds under it.
type QuotaUse struct {
	model.Quota
	Used int
}

// Quotas lists quotas, of one tenant or all, with what each tenant holds.
func (s *Service) Quotas(ctx context.Context, tenant string) ([]QuotaUse, error) {
	qs, err := s.store.Quotas(ctx, tenant)
	if err != nil {
		return nil, err
	}
	out := make([]QuotaUse, len(qs))
	err = s.read(ctx, func(st *carve.State) error {
		for i, q := range qs {
			out[i] = QuotaUse{q, st.Used(q.Tenant, q.GPUModel)}
		}
		return nil
	})
	return out, err
}

// Reservations lists reservations.
func (s *Service) Reservations(ctx context.Context) ([]model.Reservation, error) {
	return s.store.Reservations(ctx)
}
