package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
)

// Rack is a physical rack in a leaf domain.
type Rack struct{ ent.Schema }

// Fields of the Rack.
func (Rack) Fields() []ent.Field {
	return []ent.Field{
		field.Int("leaf_domain_id"),
		field.String("name").NotEmpty().Unique(),
	}
}

// Edges of the Rack.
func (Rack) Edges() []ent.Edge {
	return []ent.Edge{
		// leaf_domain is the inverse of LeafDomain.racks.
		edge.From("leaf_domain", LeafDomain.Type).Ref("racks").Field("leaf_domain_id").Unique().Required(),
		edge.To("nodes", Node.Type),
		edge.To("switches", NetworkSwitch.Type),
		edge.To("nvlink_domains", NVLinkDomain.Type),
	}
}
