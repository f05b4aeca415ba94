package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Node is a server.
type Node struct{ ent.Schema }

// Fields of the Node.
func (Node) Fields() []ent.Field {
	return []ent.Field{
		field.Int("rack_id"),
		field.String("hostname").NotEmpty().Unique(),
		field.String("serial").Default(""),
		field.String("vendor").Default(""),
		field.String("model").Default(""),
		field.String("bmc_address").Default(""),
		field.String("bmc_credential_ref").Default("").Comment("env:NAME or file:PATH; never the secret itself"),
		field.String("state").Default("available").Comment("discovered, available, allocated, maintenance, failed, retired"),
		field.String("provenance").Default("declared"),
		field.Time("last_seen").Optional().Nillable(),
		field.Bool("stale").Default(false).Comment("discovery has not seen it for longer than the stale threshold"),
		field.Bool("cordoned").Default(false).Comment("an operator keeps the node out of new blocks"),
		field.String("cordon_reason").Default(""),
	}
}

// Edges of the Node.
func (Node) Edges() []ent.Edge {
	return []ent.Edge{
		// rack is the inverse of Rack.nodes.
		edge.From("rack", Rack.Type).Ref("nodes").Field("rack_id").Unique().Required(),
		edge.To("gpus", GPU.Type),
		edge.To("nics", NIC.Type),
		edge.To("allocations", Allocation.Type),
	}
}

// Indexes of the Node.
func (Node) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("rack_id"),
		index.Fields("state"),
	}
}
