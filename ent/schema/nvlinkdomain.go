package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
)

// NVLinkDomain is a set of GPUs joined by NVLink: an HGX board or an NVL72 rack.
type NVLinkDomain struct{ ent.Schema }

// Fields of the NVLinkDomain.
func (NVLinkDomain) Fields() []ent.Field {
	return []ent.Field{
		field.Int("rack_id").Optional().Nillable(),
		field.String("name").NotEmpty().Unique(),
		field.Int("size").NonNegative().Comment("GPU slots in the domain"),
	}
}

// Edges of the NVLinkDomain.
func (NVLinkDomain) Edges() []ent.Edge {
	return []ent.Edge{
		// rack is the inverse of Rack.nvlink_domains.
		edge.From("rack", Rack.Type).Ref("nvlink_domains").Field("rack_id").Unique(),
		edge.To("gpus", GPU.Type),
	}
}

// Annotations of the NVLinkDomain.
func (NVLinkDomain) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "nvlink_domains"}}
}
