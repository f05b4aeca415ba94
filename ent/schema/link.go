package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
)

// Link is a cable between two ports; a is the lesser endpoint.
type Link struct{ ent.Schema }

// Fields of the Link.
func (Link) Fields() []ent.Field {
	return []ent.Field{
		field.Int("a_id"),
		field.Int("b_id"),
		field.String("key").NotEmpty().Unique().Comment("a-device:a-port~b-device:b-port"),
		field.String("provenance").Default("declared"),
		field.Time("last_seen").Optional().Nillable(),
		field.Bool("stale").Default(false).Comment("discovery has not seen it for longer than the stale threshold"),
	}
}

// Edges of the Link.
func (Link) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("a", Port.Type).Ref("link_a").Field("a_id").Unique().Required(),
		edge.From("b", Port.Type).Ref("link_b").Field("b_id").Unique().Required(),
	}
}
