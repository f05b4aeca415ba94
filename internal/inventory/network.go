package inventory

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/railyard/railyard/ent"
	"github.com/railyard/railyard/ent/deviceconfig"
	"github.com/railyard/railyard/ent/tenantnetwork"
	"github.com/railyard/railyard/internal/fabric"
	"github.com/railyard/railyard/internal/model"
)

// DeviceState is a device's stored desired configuration and what the
// reconciler last did there.
type DeviceState struct {
	Desired         fabric.DeviceConfig
	Revision        int64
	Hash            string
	UpdatedAt       time.Time
	AppliedRevision int64
	LastSync        time.Time
	LastError       string
	LastDuration    time.Duration
	LastCommands    int
	LastDrift       string
	DriftCount      int
}

// InSync reports whether the device's last sync applied its current
// revision without error.
func (d DeviceState) InSync() bool {
	return d.AppliedRevision == d.Revision && d.LastError == ""
}

// NetworkState is everything stored about tenant networks.
type NetworkState struct {
	Intents     []fabric.Intent
	Allocations []fabric.Allocation
	Devices     []DeviceState
}

// NetworkState reads the tenant networks, the allocations and the
// devices' desired configurations and sync status.
func (s *Store) NetworkState(ctx context.Context) (*NetworkState, error) {
	out := &NetworkState{}
	tns, err := s.client.TenantNetwork.Query().Order(ent.Asc(tenantnetwork.FieldTenant)).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, tn := range tns {
		in, err := intentOf(tn)
		if err != nil {
			return nil, err
		}
		out.Intents = append(out.Intents, in)
	}
	as, err := s.client.NetworkAllocation.Query().All(ctx)
	if err != nil {
		return nil, err
	}
	for _, a := range as {
		fa := fabric.Allocation{Tenant: a.Tenant, Fabric: a.Fabric, Kind: fabric.AllocKind(a.Kind), Value: a.Value}
		if a.ReleasedAt != nil {
			fa.ReleasedAt = a.ReleasedAt.UTC()
		}
		out.Allocations = append(out.Allocations, fa)
	}
	ds, err := s.client.DeviceConfig.Query().Order(ent.Asc(deviceconfig.FieldDevice)).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		st, err := deviceStateOf(d)
		if err != nil {
			return nil, err
		}
		out.Devices = append(out.Devices, st)
	}
	return out, nil
}

func intentOf(tn *ent.TenantNetwork) (fabric.Intent, error) {
	in := fabric.Intent{Tenant: tn.Tenant, Compute: tn.Compute, Storage: tn.Storage, State: fabric.IntentState(tn.State), Generation: tn.Generation}
	if tn.Overrides != "" {
		if err := json.Unmarshal([]byte(tn.Overrides), &in.Overrides); err != nil {
			return in, fmt.Errorf("tenant network %s: stored overrides: %w", tn.Tenant, err)
		}
	}
	return in, nil
}

func deviceStateOf(d *ent.DeviceConfig) (DeviceState, error) {
	st := DeviceState{Revision: d.Revision, Hash: d.Hash, UpdatedAt: d.UpdatedAt.UTC(), AppliedRevision: d.AppliedRevision,
		LastError: d.LastError, LastDuration: time.Duration(d.LastDurationMs) * time.Millisecond, LastCommands: d.LastCommands,
		LastDrift: d.LastDrift, DriftCount: d.DriftCount}
	if d.LastSync != nil {
		st.LastSync = d.LastSync.UTC()
	}
	if err := json.Unmarshal([]byte(d.Desired), &st.Desired); err != nil {
		return st, fmt.Errorf("device %s: stored configuration: %w", d.Device, err)
	}
	return st, nil
}

// SetTenantNetwork creates or replaces a tenant's network intent. The
// tenant must exist. A releasing network set again becomes active.
func (s *Store) SetTenantNetwork(ctx context.Context, in fabric.Intent, opts WriteOptions) (fabric.Intent, WriteResult, error) {
	in.State = fabric.Active
	if err := in.Validate(); err != nil {
		return in, WriteResult{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	ov, _ := json.Marshal(in.Overrides)
	if in.Overrides == (fabric.Overrides{}) {
		ov = nil
	}
	res, err := s.write(ctx, opts, func(tx *ent.Tx) ([]model.Change, error) {
		if _, err := tenantNamed(ctx, tx, in.Tenant); err != nil {
			return nil, err
		}
		now := time.Now().UTC()
		old, err := tx.TenantNetwork.Query().Where(tenantnetwork.Tenant(in.Tenant)).Only(ctx)
		switch {
		case ent.IsNotFound(err):
			in.Generation = 1
			if _, err := tx.TenantNetwork.Create().SetTenant(in.Tenant).SetCompute(in.Compute).SetStorage(in.Storage).
				SetOverrides(string(ov)).SetState(string(in.State)).SetGeneration(1).SetCreatedAt(now).SetUpdatedAt(now).Save(ctx); err != nil {
				return nil, err
			}
			after, _ := json.Marshal(in)
			return []model.Change{{Kind: model.KindTenantNetwork, Key: in.Tenant, Op: model.OpCreate, After: after}}, nil
		case err != nil:
			return nil, err
		}
		before, err := intentOf(old)
		if err != nil {
			return nil, err
		}
		in.Generation = before.Generation
		if before.Compute == in.Compute && before.Storage == in.Storage && before.Overrides == in.Overrides && before.State == in.State {
			return nil, nil
		}
		in.Generation++
		if _, err := old.Update().SetCompute(in.Compute).SetStorage(in.Storage).SetOverrides(string(ov)).
			SetState(string(in.State)).SetGeneration(in.Generation).SetUpdatedAt(now).Save(ctx); err != nil {
			return nil, err
		}
		b, _ := json.Marshal(before)
		a, _ := json.Marshal(in)
		return []model.Change{{Kind: model.KindTenantNetwork, Key: in.Tenant, Op: model.OpUpdate, Before: b, After: a}}, nil
	})
	return in, res, err
}

// ReleaseTenantNetwork marks a tenant's network releasing: the compiler
// takes it off every device, and FinishRelease deletes it once every
// device has synced.
func (s *Store) ReleaseTenantNetwork(ctx context.Context, tenant string, opts WriteOptions) (WriteResult, error) {
	return s.write(ctx, opts, func(tx *ent.Tx) ([]model.Change, error) {
		old, err := tx.TenantNetwork.Query().Where(tenantnetwork.Tenant(tenant)).Only(ctx)
		if ent.IsNotFound(err) {
			return nil, fmt.Errorf("%w: tenant %q has no network", ErrNotFound, tenant)
		}
		if err != nil {
			return nil, err
		}
		if old.State == string(fabric.Releasing) {
			return nil, nil
		}
		before, err := intentOf(old)
		if err != nil {
			return nil, err
		}
		after := before
		after.State, after.Generation = fabric.Releasing, before.Generation+1
		if _, err := old.Update().SetState(string(after.State)).SetGeneration(after.Generation).SetUpdatedAt(time.Now().UTC()).Save(ctx); err != nil {
			return nil, err
		}
		b, _ := json.Marshal(before)
		a, _ := json.Marshal(after)
		return []model.Change{{Kind: model.KindTenantNetwork, Key: tenant, Op: model.OpUpdate, Before: b, After: a}}, nil
	})
}

// FinishRelease deletes a releasing tenant network whose generation is
// still gen (so a network set again meanwhile stays). Its allocations are
// released by the next SaveNetworkPlan, and held from then.
func (s *Store) FinishRelease(ctx context.Context, tenant string, gen int64, opts WriteOptions) (bool, error) {
	done := false
	_, err := s.write(ctx, opts, func(tx *ent.Tx) ([]model.Change, error) {
		old, err := tx.TenantNetwork.Query().Where(tenantnetwork.Tenant(tenant)).Only(ctx)
		if ent.IsNotFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		if old.State != string(fabric.Releasing) || old.Generation != gen {
			return nil, nil
		}
		before, err := intentOf(old)
		if err != nil {
			return nil, err
		}
		if err := tx.TenantNetwork.DeleteOne(old).Exec(ctx); err != nil {
			return nil, err
		}
		done = true
		b, _ := json.Marshal(before)
		return []model.Change{{Kind: model.KindTenantNetwork, Key: tenant, Op: model.OpDelete, Before: b}}, nil
	})
	return done, err
}

// SaveNetworkPlan stores a compiled plan in one transaction: the
// allocations become exactly plan.Allocations (the unique index refuses a
// number held twice), and each device whose configuration changed gets a
// new revision. Devices the plan no longer lists are deleted. It returns
// the devices whose revision changed.
func (s *Store) SaveNetworkPlan(ctx context.Context, plan *fabric.Plan, opts WriteOptions) ([]string, WriteResult, error) {
	var changed []string
	res, err := s.write(ctx, opts, func(tx *ent.Tx) ([]model.Change, error) {
		changed = nil
		now := time.Now().UTC()
		// Allocations: diff against what is stored.
		stored, err := tx.NetworkAllocation.Query().All(ctx)
		if err != nil {
			return nil, err
		}
		type key struct{ fabric, kind, value string }
		want := map[key]fabric.Allocation{}
		for _, a := range plan.Allocations {
			want[key{a.Fabric, string(a.Kind), a.Value}] = a
		}
		for _, a := range stored {
			k := key{a.Fabric, a.Kind, a.Value}
			w, ok := want[k]
			delete(want, k)
			switch {
			case !ok || w.Tenant != a.Tenant:
				if err := tx.NetworkAllocation.DeleteOne(a).Exec(ctx); err != nil {
					return nil, err
				}
				if ok {
					want[k] = w
				}
			case w.ReleasedAt.IsZero() != (a.ReleasedAt == nil):
				u := a.Update()
				if w.ReleasedAt.IsZero() {
					u.ClearReleasedAt()
				} else {
					u.SetReleasedAt(w.ReleasedAt)
				}
				if _, err := u.Save(ctx); err != nil {
					return nil, err
				}
			}
		}
		var creates []*ent.NetworkAllocationCreate
		for _, a := range plan.Allocations {
			if _, ok := want[key{a.Fabric, string(a.Kind), a.Value}]; !ok {
				continue
			}
			c := tx.NetworkAllocation.Create().SetTenant(a.Tenant).SetFabric(a.Fabric).SetKind(string(a.Kind)).SetValue(a.Value)
			if !a.ReleasedAt.IsZero() {
				c.SetReleasedAt(a.ReleasedAt)
			}
			creates = append(creates, c)
		}
		for i := 0; i < len(creates); i += 500 {
			if err := tx.NetworkAllocation.CreateBulk(creates[i:min(i+500, len(creates))]...).Exec(ctx); err != nil {
				if ent.IsConstraintError(err) {
					return nil, fmt.Errorf("%w: a network number is already held: %v", ErrConflict, err)
				}
				return nil, err
			}
		}
		// Devices.
		rows, err := tx.DeviceConfig.Query().All(ctx)
		if err != nil {
			return nil, err
		}
		byName := map[string]*ent.DeviceConfig{}
		for _, r := range rows {
			byName[r.Device] = r
		}
		var cs []model.Change
		for _, d := range plan.Devices {
			h := d.Hash()
			body, err := json.Marshal(d)
			if err != nil {
				return nil, err
			}
			r, ok := byName[d.Device]
			delete(byName, d.Device)
			if ok && r.Hash == h {
				continue
			}
			changed = append(changed, d.Device)
			ref, _ := json.Marshal(map[string]any{"revision": revisionOf(r) + 1, "hash": h, "tenants": d.Tenants()})
			if !ok {
				if _, err := tx.DeviceConfig.Create().SetDevice(d.Device).SetDriver(d.Driver).SetFabric(d.Fabric).
					SetRevision(1).SetDesired(string(body)).SetHash(h).SetUpdatedAt(now).Save(ctx); err != nil {
					return nil, err
				}
				cs = append(cs, model.Change{Kind: model.KindDeviceConfig, Key: d.Device, Subject: d.Device, Op: model.OpCreate, After: ref})
				continue
			}
			before, _ := json.Marshal(map[string]any{"revision": r.Revision, "hash": r.Hash})
			if _, err := r.Update().SetDriver(d.Driver).SetFabric(d.Fabric).AddRevision(1).SetDesired(string(body)).
				SetHash(h).SetUpdatedAt(now).Save(ctx); err != nil {
				return nil, err
			}
			cs = append(cs, model.Change{Kind: model.KindDeviceConfig, Key: d.Device, Subject: d.Device, Op: model.OpUpdate, Before: before, After: ref})
		}
		for name, r := range byName {
			if err := tx.DeviceConfig.DeleteOne(r).Exec(ctx); err != nil {
				return nil, err
			}
			before, _ := json.Marshal(map[string]any{"revision": r.Revision, "hash": r.Hash})
			cs = append(cs, model.Change{Kind: model.KindDeviceConfig, Key: name, Subject: name, Op: model.OpDelete, Before: before})
		}
		return cs, nil
	})
	return changed, res, err
}

func revisionOf(r *ent.DeviceConfig) int64 {
	if r == nil {
		return 0
	}
	return r.Revision
}

// SyncRecord is what one reconcile of one device found and did.
type SyncRecord struct {
	Device   string
	Revision int64
	At       time.Time
	Duration time.Duration
	Commands int
	// Drift is the difference found when the sync began, rendered; empty
	// when the device matched.
	Drift string
	// Unexpected is set when Drift was found on a device whose current
	// revision had already been applied: someone changed it by hand.
	Unexpected bool
	Err        string
}

// RecordSync stores the outcome of a sync. It does not write history
// (syncs are frequent); the device's status fields are the record.
func (s *Store) RecordSync(ctx context.Context, r SyncRecord) error {
	u := s.client.DeviceConfig.Update().Where(deviceconfig.Device(r.Device)).
		SetLastSync(r.At.UTC()).SetLastError(r.Err).SetLastDurationMs(r.Duration.Milliseconds()).
		SetLastCommands(r.Commands).SetLastDrift(r.Drift)
	if r.Err == "" {
		u.SetAppliedRevision(r.Revision)
	}
	if r.Unexpected {
		u.AddDriftCount(1)
	}
	_, err := u.Save(ctx)
	if err == nil {
		s.notify()
	}
	return err
}
