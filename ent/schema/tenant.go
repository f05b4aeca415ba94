package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
)

// Tenant is a customer of the GPU cloud.
type Tenant struct{ ent.Schema }

// Fields of the Tenant.
func (Tenant) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().Unique(),
		field.String("description").Default(""),
	}
}

// Edges of the Tenant.
func (Tenant) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("blocks", Block.Type),
		edge.To("quotas", Quota.Type),
		edge.To("reservations", Reservation.Type),
	}
}
