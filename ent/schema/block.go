package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Block is a set of GPUs allocated to one tenant as a unit.
type Block struct{ ent.Schema }

// Fields of the Block.
func (Block) Fields() []ent.Field {
	return []ent.Field{
		field.Int("tenant_id"),
		field.String("name").NotEmpty().Unique(),
		field.String("gpu_model"),
		field.Int("gpus").Positive(),
		field.String("required").Default("site").Comment("nvlink, leaf, pod or site"),
		field.String("preferred").Default(""),
		field.Int("segment_nodes").Default(0),
		field.String("segment_level").Default(""),
		field.Int("priority").Default(0),
		field.Bool("preemptible").Default(false),
		field.Int64("generation").Default(1).Comment("bumped by every membership change; optimistic concurrency"),
		field.Time("created_at"),
		field.Time("updated_at"),
	}
}

// Edges of the Block.
func (Block) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("tenant", Tenant.Type).Ref("blocks").Field("tenant_id").Unique().Required(),
		edge.To("allocations", Allocation.Type),
	}
}

// Indexes of the Block.
func (Block) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id")}
}

// Allocation gives one GPU to a block. The GPU is unique, so the database
// itself refuses to put a GPU in two blocks.
type Allocation struct{ ent.Schema }

// Fields of the Allocation.
func (Allocation) Fields() []ent.Field {
	return []ent.Field{
		field.Int("block_id"),
		field.Int("gpu_id").Unique(),
		field.Int("node_id"),
		field.Int("segment").Default(0),
	}
}

// Edges of the Allocation.
func (Allocation) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("block", Block.Type).Ref("allocations").Field("block_id").Unique().Required(),
		edge.From("gpu", GPU.Type).Ref("allocation").Field("gpu_id").Unique().Required(),
		edge.From("node", Node.Type).Ref("allocations").Field("node_id").Unique().Required(),
	}
}

// Indexes of the Allocation.
func (Allocation) Indexes() []ent.Index {
	return []ent.Index{index.Fields("block_id"), index.Fields("node_id")}
}

// Quota caps the GPUs of one model a tenant may hold.
type Quota struct{ ent.Schema }

// Annotations of the Quota.
func (Quota) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "quotas"}}
}

// Fields of the Quota.
func (Quota) Fields() []ent.Field {
	return []ent.Field{
		field.Int("tenant_id"),
		field.String("gpu_model"),
		field.Int("gpus").NonNegative(),
	}
}

// Edges of the Quota.
func (Quota) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("tenant", Tenant.Type).Ref("quotas").Field("tenant_id").Unique().Required(),
	}
}

// Indexes of the Quota.
func (Quota) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "gpu_model").Unique()}
}

// Reservation sets a domain or a list of nodes aside for a tenant.
type Reservation struct{ ent.Schema }

// Fields of the Reservation.
func (Reservation) Fields() []ent.Field {
	return []ent.Field{
		field.Int("tenant_id"),
		field.String("name").NotEmpty().Unique(),
		field.String("level").Default(""),
		field.String("domain").Default(""),
		field.Strings("nodes").Optional(),
		field.String("note").Default(""),
		field.Time("until").Optional().Nillable(),
		field.Time("created_at"),
	}
}

// Edges of the Reservation.
func (Reservation) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("tenant", Tenant.Type).Ref("reservations").Field("tenant_id").Unique().Required(),
	}
}
