package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Port is a port on a NIC or on a switch. Device names its node or switch,
// so (device, name) is the endpoint a cable plugs into.
type Port struct{ ent.Schema }

// Fields of the Port.
func (Port) Fields() []ent.Field {
	return []ent.Field{
		field.Int("nic_id").Optional().Nillable(),
		field.Int("switch_id").Optional().Nillable(),
		field.String("device").NotEmpty().Comment("hostname of the node or name of the switch"),
		field.String("name").NotEmpty(),
		field.String("mac").Default(""),
		field.String("guid").Default(""),
		field.Int("speed_gbps").Default(0),
	}
}

// Edges of the Port.
func (Port) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("nic", NIC.Type).Ref("ports").Field("nic_id").Unique(),
		edge.From("switch", NetworkSwitch.Type).Ref("ports").Field("switch_id").Unique(),
		edge.To("link_a", Link.Type).Unique(),
		edge.To("link_b", Link.Type).Unique(),
	}
}

// Indexes of the Port.
func (Port) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("nic_id"),
		index.Fields("switch_id"),
		index.Fields("device", "name").Unique(),
		index.Fields("mac"),
		index.Fields("guid"),
	}
}
