package inventory

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"entgo.io/ent/dialect"

	"github.com/railyard/railyard/ent"
	"github.com/railyard/railyard/ent/allocation"
	"github.com/railyard/railyard/ent/block"
	"github.com/railyard/railyard/ent/change"
	"github.com/railyard/railyard/ent/gpu"
	"github.com/railyard/railyard/ent/node"
	"github.com/railyard/railyard/ent/quota"
	"github.com/railyard/railyard/ent/reservation"
	"github.com/railyard/railyard/ent/tenant"
	"github.com/railyard/railyard/internal/model"
)

// tenantNamed looks a tenant up by name, inside a write.
func tenantNamed(ctx context.Context, tx *ent.Tx, name string) (*ent.Tenant, error) {
	t, err := tx.Tenant.Query().Where(tenant.Name(name)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, fmt.Errorf("%w: tenant %q does not exist", ErrNotFound, name)
	}
	return t, err
}

// CarveSnapshot reads what the carving engine needs, in a handful of
// queries, together with the history sequence number it reflects.
func (s *Store) CarveSnapshot(ctx context.Context) (*model.CarveSnapshot, int64, error) {
	var snap model.CarveSnapshot
	var seq int64
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) FROM changes").Scan(&seq); err != nil {
			return err
		}
		var err error
		if snap.Nodes, err = s.capacity(ctx, tx); err != nil {
			return fmt.Errorf("read nodes: %w", err)
		}
		if snap.Blocks, err = s.blocks(ctx, tx, ""); err != nil {
			return fmt.Errorf("read blocks: %w", err)
		}
		if snap.Quotas, err = s.quotas(ctx, tx, ""); err != nil {
			return fmt.Errorf("read quotas: %w", err)
		}
		if snap.Reservations, err = s.reservations(ctx, tx); err != nil {
			return fmt.Errorf("read reservations: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return &snap, seq, nil
}

// readTx runs fn in a read transaction, so that its queries see one state.
func (s *Store) readTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: s.dialect == dialect.Postgres})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(tx)
}

func (s *Store) capacity(ctx context.Context, tx *sql.Tx) ([]model.NodeCapacity, error) {
	rows, err := tx.QueryContext(ctx, `SELECT n.id, n.hostname, si.name, p.name, l.name, r.name, n.state, n.cordoned, n.cordon_reason
		FROM nodes n JOIN racks r ON r.id = n.rack_id JOIN leaf_domains l ON l.id = r.leaf_domain_id
		JOIN pods p ON p.id = l.pod_id JOIN sites si ON si.id = p.site_id ORDER BY n.id`)
	if err != nil {
		return nil, err
	}
	var out []model.NodeCapacity
	at := map[int]int{}
	for rows.Next() {
		var id int
		var c model.NodeCapacity
		var state string
		if err := rows.Scan(&id, &c.Node, &c.Site, &c.Pod, &c.LeafDomain, &c.Rack, &state, &c.Cordoned, &c.CordonReason); err != nil {
			rows.Close()
			return nil, err
		}
		c.State = model.NodeState(state)
		at[id] = len(out)
		out = append(out, c)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	rows, err = tx.QueryContext(ctx, s.rebind(`SELECT g.node_id, g.`+s.quoteIdent("index")+`, g.model, g.health, COALESCE(v.name, '')
		FROM gpus g LEFT JOIN nvlink_domains v ON v.id = g.nvlink_domain_id ORDER BY g.node_id, g.`+s.quoteIdent("index")))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var nodeID, index int
		var gpuModel, health, nvl string
		if err := rows.Scan(&nodeID, &index, &gpuModel, &health, &nvl); err != nil {
			return nil, err
		}
		c := &out[at[nodeID]]
		c.GPUs++
		if c.GPUModel == "" {
			c.GPUModel, c.NVLinkDomain = gpuModel, nvl
		}
		if health != string(model.GPUHealthy) {
			c.UnhealthyGPUs = append(c.UnhealthyGPUs, index)
		}
	}
	return out, rows.Err()
}

// blocks reads blocks and their members (one tenant's, or all).
func (s *Store) blocks(ctx context.Context, tx *sql.Tx, tenantName string) ([]model.Block, error) {
	q := `SELECT b.id, b.name, t.name, b.gpu_model, b.gpus, b.required, b.preferred, b.segment_nodes, b.segment_level,
		b.priority, b.preemptible, b.generation, b.created_at, b.updated_at FROM blocks b JOIN tenants t ON t.id = b.tenant_id`
	var args []any
	if tenantName != "" {
		q += " WHERE t.name = ?"
		args = append(args, tenantName)
	}
	rows, err := tx.QueryContext(ctx, s.rebind(q+" ORDER BY b.id"), args...)
	if err != nil {
		return nil, err
	}
	var out []model.Block
	at := map[int]int{}
	for rows.Next() {
		var id int
		var b model.Block
		if err := rows.Scan(&id, &b.Name, &b.Tenant, &b.GPUModel, &b.GPUs, &b.Required, &b.Preferred, &b.SegmentNodes,
			&b.SegmentLevel, &b.Priority, &b.Preemptible, &b.Generation, &b.CreatedAt, &b.UpdatedAt); err != nil {
			rows.Close()
			return nil, err
		}
		b.CreatedAt, b.UpdatedAt = b.CreatedAt.UTC(), b.UpdatedAt.UTC()
		at[id] = len(out)
		out = append(out, b)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, nil
	}
	q = `SELECT a.block_id, n.hostname, g.` + s.quoteIdent("index") + `, a.segment FROM allocations a
		JOIN gpus g ON g.id = a.gpu_id JOIN nodes n ON n.id = a.node_id`
	args = nil
	if tenantName != "" {
		q += " WHERE a.block_id IN (SELECT b.id FROM blocks b JOIN tenants t ON t.id = b.tenant_id WHERE t.name = ?)"
		args = append(args, tenantName)
	}
	rows, err = tx.QueryContext(ctx, s.rebind(q+" ORDER BY a.block_id, a.node_id, g."+s.quoteIdent("index")), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var blockID, index, segment int
		var host string
		if err := rows.Scan(&blockID, &host, &index, &segment); err != nil {
			return nil, err
		}
		b := &out[at[blockID]]
		if n := len(b.Members); n > 0 && b.Members[n-1].Node == host {
			b.Members[n-1].GPUs = append(b.Members[n-1].GPUs, index)
			continue
		}
		b.Members = append(b.Members, model.BlockMember{Node: host, GPUs: []int{index}, Segment: segment})
	}
	return out, rows.Err()
}

func (s *Store) quotas(ctx context.Context, tx *sql.Tx, tenantName string) ([]model.Quota, error) {
	q := "SELECT t.name, q.gpu_model, q.gpus FROM quotas q JOIN tenants t ON t.id = q.tenant_id"
	var args []any
	if tenantName != "" {
		q += " WHERE t.name = ?"
		args = append(args, tenantName)
	}
	rows, err := tx.QueryContext(ctx, s.rebind(q+" ORDER BY t.name, q.gpu_model"), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []model.Quota
	for rows.Next() {
		var x model.Quota
		if err := rows.Scan(&x.Tenant, &x.GPUModel, &x.GPUs); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

func (s *Store) reservations(ctx context.Context, tx *sql.Tx) ([]model.Reservation, error) {
	rows, err := tx.QueryContext(ctx, `SELECT r.name, t.name, r.level, r.domain, COALESCE(r.nodes, 'null'), r.note, r.until, r.created_at
		FROM reservations r JOIN tenants t ON t.id = r.tenant_id ORDER BY r.name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []model.Reservation
	for rows.Next() {
		var x model.Reservation
		var nodes []byte
		var until sql.NullTime
		if err := rows.Scan(&x.Name, &x.Tenant, &x.Level, &x.Domain, &nodes, &x.Note, &until, &x.CreatedAt); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(nodes, &x.Nodes); err != nil {
			return nil, fmt.Errorf("reservation %s: nodes: %w", x.Name, err)
		}
		if until.Valid {
			x.Until = until.Time.UTC()
		}
		x.CreatedAt = x.CreatedAt.UTC()
		out = append(out, x)
	}
	return out, rows.Err()
}

// WithCarveLock runs fn while holding the fleet-wide carving lock, so that
// replicas sharing a PostgreSQL database decide one at a time and a
// decision is never made on a view another replica is about to change.
// On SQLite the database's single writer already serialises commits, and
// fn runs directly; a conflicting commit then fails with ErrConflict.
func (s *Store) WithCarveLock(ctx context.Context, fn func() error) error {
	if s.dialect != dialect.Postgres {
		return fn()
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	const lockID = 0x6361727665 // "carve"
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", lockID); err != nil {
		return fmt.Errorf("carving lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", lockID)
	return fn()
}

// BlockChange is one committed decision: a block before and after (nil
// Before: created; nil After: released).
type BlockChange struct {
	Op            string
	Before, After *model.Block
}

// WriteOptions say who writes and what history sequence the writer's view
// reflects.
type WriteOptions struct {
	Actor, Source string
	// Seen is the newest history sequence the caller's in-memory state
	// reflects; the result reports whether anyone else wrote since.
	Seen int64
}

// WriteResult reports a committed write.
type WriteResult struct {
	// Seq is the newest history sequence after the write.
	Seq int64
	// Others is true when changes by other writers landed after Seen, so
	// the caller's in-memory state must be reloaded.
	Others bool
}

// CommitBlocks writes block decisions in one transaction. A block whose
// stored generation differs from Before's, or a GPU already in another
// block (the allocations table holds each GPU once), fails the whole
// write with ErrConflict and changes nothing.
func (s *Store) CommitBlocks(ctx context.Context, changes []BlockChange, opts WriteOptions) (WriteResult, error) {
	var res WriteResult
	now := time.Now().UTC()
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		var err error
		if res.Others, err = s.othersWrote(ctx, tx, opts.Seen); err != nil {
			return err
		}
		var hist []model.Change
		for _, c := range changes {
			if err := s.commitBlock(ctx, tx, c, now); err != nil {
				return err
			}
			hist = append(hist, blockHistory(c, now, opts))
		}
		seqs, err := writeChanges(ctx, tx, hist)
		if err != nil {
			return err
		}
		if len(seqs) > 0 {
			res.Seq = seqs[len(seqs)-1]
		}
		return nil
	})
	if err != nil {
		return WriteResult{}, err
	}
	s.notify()
	return res, nil
}

func (s *Store) othersWrote(ctx context.Context, tx *ent.Tx, seen int64) (bool, error) {
	latest, err := tx.Change.Query().Order(ent.Desc(change.FieldID)).FirstID(ctx)
	if ent.IsNotFound(err) {
		return seen != 0, nil
	}
	if err != nil {
		return false, err
	}
	return int64(latest) != seen, nil
}

func blockHistory(c BlockChange, now time.Time, opts WriteOptions) model.Change {
	h := model.Change{At: now, Actor: opts.Actor, Source: opts.Source, Kind: model.KindBlock, Op: model.OpUpdate}
	if c.Before != nil {
		h.Key, h.Subject, h.Before = c.Before.Name, c.Before.Tenant, blockJSON(c.Before)
	}
	if c.After != nil {
		h.Key, h.Subject, h.After = c.After.Name, c.After.Tenant, blockJSON(c.After)
	}
	switch {
	case c.Before == nil:
		h.Op = model.OpCreate
	case c.After == nil:
		h.Op = model.OpDelete
	}
	h.Peer = c.Op
	return h
}

func blockJSON(b *model.Block) json.RawMessage {
	out, _ := json.Marshal(b)
	return out
}

func (s *Store) commitBlock(ctx context.Context, tx *ent.Tx, c BlockChange, now time.Time) error {
	var id int
	if c.Before != nil {
		cur, err := tx.Block.Query().Where(block.Name(c.Before.Name)).Only(ctx)
		if ent.IsNotFound(err) {
			return fmt.Errorf("%w: block %s no longer exists", ErrConflict, c.Before.Name)
		}
		if err != nil {
			return err
		}
		if cur.Generation != c.Before.Generation {
			return fmt.Errorf("%w: block %s is at generation %d, the plan was made at %d", ErrConflict, c.Before.Name, cur.Generation, c.Before.Generation)
		}
		id = cur.ID
	}
	if c.After == nil {
		if _, err := tx.Allocation.Delete().Where(allocation.BlockID(id)).Exec(ctx); err != nil {
			return err
		}
		return tx.Block.DeleteOneID(id).Exec(ctx)
	}
	a := c.After
	if c.Before == nil {
		t, err := tenantNamed(ctx, tx, a.Tenant)
		if err != nil {
			return err
		}
		b, err := tx.Block.Create().SetName(a.Name).SetTenantID(t.ID).SetGpuModel(a.GPUModel).SetGpus(a.GPUs).
			SetRequired(a.Required).SetPreferred(a.Preferred).SetSegmentNodes(a.SegmentNodes).SetSegmentLevel(a.SegmentLevel).
			SetPriority(a.Priority).SetPreemptible(a.Preemptible).SetGeneration(a.Generation).
			SetCreatedAt(orNow(a.CreatedAt, now)).SetUpdatedAt(orNow(a.UpdatedAt, now)).Save(ctx)
		if ent.IsConstraintError(err) {
			return fmt.Errorf("%w: block %s already exists", ErrConflict, a.Name)
		}
		if err != nil {
			return err
		}
		id = b.ID
	} else {
		if err := tx.Block.UpdateOneID(id).SetGpus(a.GPUs).SetGeneration(a.Generation).SetUpdatedAt(orNow(a.UpdatedAt, now)).Exec(ctx); err != nil {
			return err
		}
	}
	return s.writeMembers(ctx, tx, id, c.Before, a)
}

func orNow(t, now time.Time) time.Time {
	if t.IsZero() {
		return now
	}
	return t
}

type gpuRef struct {
	node  string
	index int
}

// writeMembers turns the member difference into allocation deletes and
// inserts.
func (s *Store) writeMembers(ctx context.Context, tx *ent.Tx, blockID int, before, after *model.Block) error {
	old := map[gpuRef]int{}
	if before != nil {
		for _, m := range before.Members {
			for _, g := range m.GPUs {
				old[gpuRef{m.Node, g}] = m.Segment
			}
		}
	}
	var add []gpuRef
	seg := map[gpuRef]int{}
	for _, m := range after.Members {
		for _, g := range m.GPUs {
			r := gpuRef{m.Node, g}
			seg[r] = m.Segment
			if prev, ok := old[r]; ok && prev == m.Segment {
				delete(old, r)
				continue
			}
			add = append(add, r)
		}
	}
	var drop []gpuRef
	for r := range old {
		drop = append(drop, r)
	}
	ids, err := s.gpuIDs(ctx, tx, append(slices.Clone(drop), add...))
	if err != nil {
		return err
	}
	if len(drop) > 0 {
		gids := make([]int, len(drop))
		for i, r := range drop {
			gids[i] = ids[r][0]
		}
		for start := 0; start < len(gids); start += 500 {
			end := min(start+500, len(gids))
			if _, err := tx.Allocation.Delete().Where(allocation.BlockID(blockID), allocation.GpuIDIn(gids[start:end]...)).Exec(ctx); err != nil {
				return err
			}
		}
	}
	const batch = 1000
	for start := 0; start < len(add); start += batch {
		end := min(start+batch, len(add))
		bs := make([]*ent.AllocationCreate, 0, end-start)
		for _, r := range add[start:end] {
			bs = append(bs, tx.Allocation.Create().SetBlockID(blockID).SetGpuID(ids[r][0]).SetNodeID(ids[r][1]).SetSegment(seg[r]))
		}
		if err := tx.Allocation.CreateBulk(bs...).Exec(ctx); err != nil {
			if ent.IsConstraintError(err) {
				return fmt.Errorf("%w: a GPU of block %s is already allocated to another block", ErrConflict, after.Name)
			}
			return err
		}
	}
	return nil
}

// gpuIDs maps (node, index) to (gpu id, node id).
func (s *Store) gpuIDs(ctx context.Context, tx *ent.Tx, refs []gpuRef) (map[gpuRef][2]int, error) {
	hosts := map[string]bool{}
	for _, r := range refs {
		hosts[r.node] = true
	}
	names := make([]string, 0, len(hosts))
	for h := range hosts {
		names = append(names, h)
	}
	slices.Sort(names)
	out := map[gpuRef][2]int{}
	for start := 0; start < len(names); start += 500 {
		end := min(start+500, len(names))
		ns, err := tx.Node.Query().Where(node.HostnameIn(names[start:end]...)).Select(node.FieldID, node.FieldHostname).All(ctx)
		if err != nil {
			return nil, err
		}
		host := map[int]string{}
		ids := make([]int, len(ns))
		for i, n := range ns {
			host[n.ID], ids[i] = n.Hostname, n.ID
		}
		gs, err := tx.GPU.Query().Where(gpu.NodeIDIn(ids...)).Select(gpu.FieldID, gpu.FieldNodeID, gpu.FieldIndex).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, g := range gs {
			out[gpuRef{host[g.NodeID], g.Index}] = [2]int{g.ID, g.NodeID}
		}
	}
	for _, r := range refs {
		if _, ok := out[r]; !ok {
			return nil, fmt.Errorf("%w: GPU %d of node %s does not exist", ErrConflict, r.index, r.node)
		}
	}
	return out, nil
}

// Blocks returns the blocks of one tenant, or all.
func (s *Store) Blocks(ctx context.Context, tenantName string) ([]model.Block, error) {
	var out []model.Block
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = s.blocks(ctx, tx, tenantName)
		return err
	})
	return out, err
}

// CreateTenant adds a tenant.
func (s *Store) CreateTenant(ctx context.Context, t model.Tenant, opts WriteOptions) (WriteResult, error) {
	if t.Name == "" {
		return WriteResult{}, fmt.Errorf("%w: a tenant needs a name", ErrInvalid)
	}
	return s.write(ctx, opts, func(tx *ent.Tx) ([]model.Change, error) {
		if _, err := tx.Tenant.Create().SetName(t.Name).SetDescription(t.Description).Save(ctx); err != nil {
			if ent.IsConstraintError(err) {
				return nil, fmt.Errorf("%w: tenant %q", ErrAlreadyExists, t.Name)
			}
			return nil, err
		}
		after, _ := json.Marshal(t)
		return []model.Change{{Kind: model.KindTenant, Key: t.Name, Op: model.OpCreate, After: after}}, nil
	})
}

// DeleteTenant removes a tenant with no blocks, with its quotas and
// reservations.
func (s *Store) DeleteTenant(ctx context.Context, name string, opts WriteOptions) (WriteResult, error) {
	return s.write(ctx, opts, func(tx *ent.Tx) ([]model.Change, error) {
		t, err := tenantNamed(ctx, tx, name)
		if err != nil {
			return nil, err
		}
		if n, err := tx.Block.Query().Where(block.TenantID(t.ID)).Count(ctx); err != nil || n > 0 {
			if err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("%w: tenant %s still holds %d blocks; release them first", ErrInvalid, name, n)
		}
		if _, err := tx.Quota.Delete().Where(quota.TenantID(t.ID)).Exec(ctx); err != nil {
			return nil, err
		}
		if _, err := tx.Reservation.Delete().Where(reservation.TenantID(t.ID)).Exec(ctx); err != nil {
			return nil, err
		}
		if err := tx.Tenant.DeleteOneID(t.ID).Exec(ctx); err != nil {
			return nil, err
		}
		before, _ := json.Marshal(model.Tenant{Name: t.Name, Description: t.Description})
		return []model.Change{{Kind: model.KindTenant, Key: name, Op: model.OpDelete, Before: before}}, nil
	})
}

// Quotas returns one tenant's quotas, or all.
func (s *Store) Quotas(ctx context.Context, tenantName string) ([]model.Quota, error) {
	var out []model.Quota
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = s.quotas(ctx, tx, tenantName)
		return err
	})
	return out, err
}

// SetQuota sets a tenant's quota for a GPU model; a negative GPUs removes
// it.
func (s *Store) SetQuota(ctx context.Context, q model.Quota, opts WriteOptions) (WriteResult, error) {
	if q.GPUModel == "" {
		return WriteResult{}, fmt.Errorf("%w: a quota needs a GPU model", ErrInvalid)
	}
	return s.write(ctx, opts, func(tx *ent.Tx) ([]model.Change, error) {
		t, err := tenantNamed(ctx, tx, q.Tenant)
		if err != nil {
			return nil, err
		}
		key := q.Tenant + "/" + q.GPUModel
		cur, err := tx.Quota.Query().Where(quota.TenantID(t.ID), quota.GpuModel(q.GPUModel)).Only(ctx)
		if err != nil && !ent.IsNotFound(err) {
			return nil, err
		}
		c := model.Change{Kind: model.KindQuota, Key: key, Subject: q.Tenant}
		if cur != nil {
			c.Before, _ = json.Marshal(model.Quota{Tenant: q.Tenant, GPUModel: q.GPUModel, GPUs: cur.Gpus})
		}
		switch {
		case q.GPUs < 0 && cur == nil:
			return nil, nil
		case q.GPUs < 0:
			c.Op = model.OpDelete
			err = tx.Quota.DeleteOneID(cur.ID).Exec(ctx)
		case cur == nil:
			c.Op = model.OpCreate
			_, err = tx.Quota.Create().SetTenantID(t.ID).SetGpuModel(q.GPUModel).SetGpus(q.GPUs).Save(ctx)
		case cur.Gpus == q.GPUs:
			return nil, nil
		default:
			c.Op = model.OpUpdate
			err = tx.Quota.UpdateOneID(cur.ID).SetGpus(q.GPUs).Exec(ctx)
		}
		if err != nil {
			return nil, err
		}
		if q.GPUs >= 0 {
			c.After, _ = json.Marshal(q)
		}
		return []model.Change{c}, nil
	})
}

// CreateReservation stores a reservation; the caller has checked that its
// domain or nodes exist.
func (s *Store) CreateReservation(ctx context.Context, r model.Reservation, opts WriteOptions) (WriteResult, error) {
	if r.Name == "" || (r.Domain == "" && len(r.Nodes) == 0) {
		return WriteResult{}, fmt.Errorf("%w: a reservation needs a name and a domain or nodes", ErrInvalid)
	}
	return s.write(ctx, opts, func(tx *ent.Tx) ([]model.Change, error) {
		t, err := tenantNamed(ctx, tx, r.Tenant)
		if err != nil {
			return nil, err
		}
		r.CreatedAt = time.Now().UTC()
		c := tx.Reservation.Create().SetName(r.Name).SetTenantID(t.ID).SetLevel(r.Level).SetDomain(r.Domain).
			SetNodes(r.Nodes).SetNote(r.Note).SetCreatedAt(r.CreatedAt)
		if !r.Until.IsZero() {
			c.SetUntil(r.Until)
		}
		if _, err := c.Save(ctx); err != nil {
			if ent.IsConstraintError(err) {
				return nil, fmt.Errorf("%w: reservation %q", ErrAlreadyExists, r.Name)
			}
			return nil, err
		}
		after, _ := json.Marshal(r)
		return []model.Change{{Kind: model.KindReservation, Key: r.Name, Subject: r.Tenant, Op: model.OpCreate, After: after}}, nil
	})
}

// DeleteReservation removes a reservation.
func (s *Store) DeleteReservation(ctx context.Context, name string, opts WriteOptions) (WriteResult, error) {
	return s.write(ctx, opts, func(tx *ent.Tx) ([]model.Change, error) {
		n, err := tx.Reservation.Delete().Where(reservation.Name(name)).Exec(ctx)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, fmt.Errorf("%w: reservation %q does not exist", ErrNotFound, name)
		}
		return []model.Change{{Kind: model.KindReservation, Key: name, Op: model.OpDelete}}, nil
	})
}

// Reservations lists the reservations.
func (s *Store) Reservations(ctx context.Context) ([]model.Reservation, error) {
	var out []model.Reservation
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = s.reservations(ctx, tx)
		return err
	})
	return out, err
}

// Cordon keeps a node out of new blocks (or lets it back in).
func (s *Store) Cordon(ctx context.Context, hostname string, cordoned bool, reason string, opts WriteOptions) (WriteResult, error) {
	return s.write(ctx, opts, func(tx *ent.Tx) ([]model.Change, error) {
		n, err := tx.Node.Query().Where(node.Hostname(hostname)).Only(ctx)
		if ent.IsNotFound(err) {
			return nil, fmt.Errorf("%w: node %q does not exist", ErrNotFound, hostname)
		}
		if err != nil {
			return nil, err
		}
		if !cordoned {
			reason = ""
		}
		if n.Cordoned == cordoned && n.CordonReason == reason {
			return nil, nil
		}
		ch, err := setCordon(ctx, tx, n, cordoned, reason)
		if err != nil {
			return nil, err
		}
		return []model.Change{ch}, nil
	})
}

// setCordon writes a node's cordon and returns the history entry.
func setCordon(ctx context.Context, tx *ent.Tx, n *ent.Node, cordoned bool, reason string) (model.Change, error) {
	if err := tx.Node.UpdateOneID(n.ID).SetCordoned(cordoned).SetCordonReason(reason).Exec(ctx); err != nil {
		return model.Change{}, err
	}
	type cordon struct {
		Cordoned bool   `json:"cordoned"`
		Reason   string `json:"cordon_reason,omitempty"`
	}
	before, _ := json.Marshal(cordon{n.Cordoned, n.CordonReason})
	after, _ := json.Marshal(cordon{cordoned, reason})
	return model.Change{Kind: model.KindNode, Key: n.Hostname, Subject: n.Hostname, Op: model.OpUpdate, Before: before, After: after}, nil
}

// write runs fn in a transaction and records the changes it returns.
func (s *Store) write(ctx context.Context, opts WriteOptions, fn func(tx *ent.Tx) ([]model.Change, error)) (WriteResult, error) {
	var res WriteResult
	now := time.Now().UTC()
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		var err error
		if res.Others, err = s.othersWrote(ctx, tx, opts.Seen); err != nil {
			return err
		}
		cs, err := fn(tx)
		if err != nil {
			return err
		}
		for i := range cs {
			cs[i].At, cs[i].Actor, cs[i].Source = now, opts.Actor, opts.Source
		}
		seqs, err := writeChanges(ctx, tx, cs)
		if err != nil {
			return err
		}
		if len(seqs) > 0 {
			res.Seq = seqs[len(seqs)-1]
		} else {
			res.Seq = opts.Seen
		}
		return nil
	})
	if err != nil {
		return WriteResult{}, err
	}
	s.notify()
	return res, nil
}
