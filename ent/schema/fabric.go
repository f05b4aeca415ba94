package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
)

// Fabric is one network of a site: compute, storage or management.
type Fabric struct{ ent.Schema }

// Fields of the Fabric.
func (Fabric) Fields() []ent.Field {
	return []ent.Field{
		field.Int("site_id"),
		field.String("name").NotEmpty().Unique(),
		field.String("kind").Comment("infiniband or ethernet"),
		field.String("role").Comment("compute, storage or management"),
	}
}

// Edges of the Fabric.
func (Fabric) Edges() []ent.Edge {
	return []ent.Edge{
		// site is the inverse of Site.fabrics.
		edge.From("site", Site.Type).Ref("fabrics").Field("site_id").Unique().Required(),
		edge.To("switches", NetworkSwitch.Type),
		edge.To("nics", NIC.Type),
	}
}
