package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// TenantNetwork is one tenant's network intent: which networks it asks
// for, the numbers it overrides, and where it is in its life (active,
// releasing). Keyed by tenant name, so allocations outlive the row.
type TenantNetwork struct{ ent.Schema }

// Fields of the TenantNetwork.
func (TenantNetwork) Fields() []ent.Field {
	return []ent.Field{
		field.String("tenant").NotEmpty().Unique(),
		field.Bool("compute").Default(true),
		field.Bool("storage").Default(true),
		field.Text("overrides").Default("").Comment("fabric.Overrides as JSON"),
		field.String("state").Default("active").Comment("active or releasing"),
		field.Int64("generation").Default(1),
		field.Time("created_at"),
		field.Time("updated_at"),
	}
}

// NetworkAllocation is one number (VNI, VLAN, PKey, subnet, tenant id)
// held by one tenant on one fabric. The unique index makes the database
// itself refuse to hand a number to two tenants; released rows stay until
// their hold passes.
type NetworkAllocation struct{ ent.Schema }

// Fields of the NetworkAllocation.
func (NetworkAllocation) Fields() []ent.Field {
	return []ent.Field{
		field.String("tenant"),
		field.String("fabric").Default(""),
		field.String("kind"),
		field.String("value"),
		field.Time("released_at").Optional().Nillable(),
	}
}

// Indexes of the NetworkAllocation.
func (NetworkAllocation) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("fabric", "kind", "value").Unique(),
		index.Fields("tenant"),
	}
}

// DeviceConfig is one device's desired tenant configuration, with a
// revision bumped whenever it changes, and what the reconciler last found
// and did there.
type DeviceConfig struct{ ent.Schema }

// Fields of the DeviceConfig.
func (DeviceConfig) Fields() []ent.Field {
	return []ent.Field{
		field.String("device").NotEmpty().Unique(),
		field.String("driver"),
		field.String("fabric").Default(""),
		field.Int64("revision").Default(1),
		field.Text("desired").Comment("fabric.DeviceConfig as JSON"),
		field.String("hash"),
		field.Time("updated_at"),
		field.Int64("applied_revision").Default(0),
		field.Time("last_sync").Optional().Nillable(),
		field.String("last_error").Default(""),
		field.Int64("last_duration_ms").Default(0),
		field.Int("last_commands").Default(0),
		field.Text("last_drift").Default("").Comment("what differed when the last sync began"),
		field.Int("drift_count").Default(0).Comment("syncs that found the device changed behind Railyard's back"),
	}
}
