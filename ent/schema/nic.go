package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// NIC is a network adapter in a node, keyed by (node, name).
type NIC struct{ ent.Schema }

// Fields of the NIC.
func (NIC) Fields() []ent.Field {
	return []ent.Field{
		field.Int("node_id"),
		field.Int("fabric_id").Optional().Nillable(),
		field.String("name").NotEmpty(),
		field.String("model").Default(""),
		field.String("kind").Comment("infiniband or ethernet"),
		field.String("role").Comment("compute, storage or management"),
		field.Int("rail").Default(0).Comment("rail index from 1; 0 for none"),
		field.String("pci_bus_id").Default(""),
	}
}

// Edges of the NIC.
func (NIC) Edges() []ent.Edge {
	return []ent.Edge{
		// node is the inverse of Node.nics.
		edge.From("node", Node.Type).Ref("nics").Field("node_id").Unique().Required(),
		edge.From("fabric", Fabric.Type).Ref("nics").Field("fabric_id").Unique(),
		edge.To("ports", Port.Type),
	}
}

// Indexes of the NIC.
func (NIC) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("node_id"),
		index.Fields("name").Edges("node").Unique(),
	}
}

// Annotations of the NIC.
func (NIC) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "nics"}}
}
