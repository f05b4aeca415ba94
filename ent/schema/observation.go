package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Observation is what one discovery source last saw of one record (a node,
// switch or cable), kept beside the declared inventory: the raw facts, the
// target that reported them, and when they were first and last seen.
type Observation struct{ ent.Schema }

// Fields of the Observation.
func (Observation) Fields() []ent.Field {
	return []ent.Field{
		field.String("kind").Comment("node, switch or link"),
		field.String("key").Comment("hostname, switch name or link key"),
		field.String("source").Comment("redfish, ipmi, snmp, cli or agent"),
		field.String("target").Default("").Comment("the URL asked, without credentials"),
		field.Text("facts").Default("").Comment("what the source reported, as JSON"),
		field.Time("first_seen"),
		field.Time("last_seen"),
	}
}

// Indexes of the Observation.
func (Observation) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("kind", "key", "source").Unique(),
		index.Fields("last_seen"),
	}
}
