package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
)

// LeafDomain is a scalable unit: nodes whose compute NICs share one set of
// leaf switches.
type LeafDomain struct{ ent.Schema }

// Fields of the LeafDomain.
func (LeafDomain) Fields() []ent.Field {
	return []ent.Field{
		field.Int("pod_id"),
		field.String("name").NotEmpty().Unique(),
	}
}

// Edges of the LeafDomain.
func (LeafDomain) Edges() []ent.Edge {
	return []ent.Edge{
		// pod is the inverse of Pod.leaf_domains.
		edge.From("pod", Pod.Type).Ref("leaf_domains").Field("pod_id").Unique().Required(),
		edge.To("racks", Rack.Type),
		edge.To("switches", NetworkSwitch.Type),
	}
}
