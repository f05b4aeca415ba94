package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
)

// Pod is a group of leaf domains under one spine group.
type Pod struct{ ent.Schema }

// Fields of the Pod.
func (Pod) Fields() []ent.Field {
	return []ent.Field{
		field.Int("site_id"),
		field.String("name").NotEmpty().Unique(),
	}
}

// Edges of the Pod.
func (Pod) Edges() []ent.Edge {
	return []ent.Edge{
		// site is the inverse of Site.pods.
		edge.From("site", Site.Type).Ref("pods").Field("site_id").Unique().Required(),
		edge.To("leaf_domains", LeafDomain.Type),
		edge.To("switches", NetworkSwitch.Type),
	}
}
