package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Change is one entry of the inventory history. Its id is the sequence
// number that Watch streams from.
type Change struct{ ent.Schema }

// Fields of the Change.
func (Change) Fields() []ent.Field {
	return []ent.Field{
		field.Time("at").Default(time.Now).Immutable(),
		field.String("actor").Default("").Immutable(),
		field.String("source").Default("").Immutable(),
		field.String("kind").Immutable(),
		field.String("key").Immutable(),
		field.String("subject").Default("").Immutable().Comment("node or switch the record belongs to"),
		field.String("peer").Default("").Immutable().Comment("for links: the device at the other end"),
		field.String("op").Immutable().Comment("create, update or delete"),
		field.Text("before").Default("").Immutable(),
		field.Text("after").Default("").Immutable(),
	}
}

// Indexes of the Change.
func (Change) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("subject"),
		index.Fields("peer"),
		index.Fields("kind", "key"),
	}
}
