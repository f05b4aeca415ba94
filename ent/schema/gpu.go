package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// GPU is an accelerator in a node, keyed by (node, index).
type GPU struct{ ent.Schema }

// Fields of the GPU.
func (GPU) Fields() []ent.Field {
	return []ent.Field{
		field.Int("node_id"),
		field.Int("nvlink_domain_id").Optional().Nillable(),
		field.Int("index").NonNegative(),
		field.String("uuid").Default(""),
		field.String("serial").Default(""),
		field.String("model").Default(""),
		field.Int("memory_mib").Default(0),
		field.String("pci_bus_id").Default(""),
		field.Int("numa_node").Default(0),
		field.String("health").Default("healthy").Comment("healthy, degraded, failed, unknown"),
		field.Time("last_seen").Optional().Nillable(),
	}
}

// Edges of the GPU.
func (GPU) Edges() []ent.Edge {
	return []ent.Edge{
		// node is the inverse of Node.gpus.
		edge.From("node", Node.Type).Ref("gpus").Field("node_id").Unique().Required(),
		edge.From("nvlink_domain", NVLinkDomain.Type).Ref("gpus").Field("nvlink_domain_id").Unique(),
		edge.To("allocation", Allocation.Type).Unique(),
	}
}

// Indexes of the GPU.
func (GPU) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("node_id"),
		index.Fields("index").Edges("node").Unique(),
		index.Fields("uuid"),
	}
}

// Annotations of the GPU.
func (GPU) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "gpus"}}
}
