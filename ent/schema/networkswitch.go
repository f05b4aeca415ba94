package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
)

// NetworkSwitch is an Ethernet or InfiniBand switch.
type NetworkSwitch struct{ ent.Schema }

// Fields of the NetworkSwitch.
func (NetworkSwitch) Fields() []ent.Field {
	return []ent.Field{
		field.Int("fabric_id"),
		field.Int("rack_id").Optional().Nillable(),
		field.Int("leaf_domain_id").Optional().Nillable(),
		field.Int("pod_id").Optional().Nillable(),
		field.String("name").NotEmpty().Unique(),
		field.String("role").Comment("leaf, spine or core"),
		field.String("vendor").Default(""),
		field.String("model").Default(""),
		field.String("os").Default(""),
		field.String("serial").Default(""),
		field.String("mgmt_address").Default(""),
		field.String("driver").Default("").Comment("vendor driver name: eos, nxos, junos, sonic, cumulus, frr, ufm, opensm"),
		field.Int("rail").Default(0).Comment("rail served by a leaf, from 1; 0 for none"),
		field.String("provenance").Default("declared"),
		field.Time("last_seen").Optional().Nillable(),
		field.Bool("stale").Default(false).Comment("discovery has not seen it for longer than the stale threshold"),
	}
}

// Edges of the NetworkSwitch.
func (NetworkSwitch) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("fabric", Fabric.Type).Ref("switches").Field("fabric_id").Unique().Required(),
		edge.From("rack", Rack.Type).Ref("switches").Field("rack_id").Unique(),
		edge.From("leaf_domain", LeafDomain.Type).Ref("switches").Field("leaf_domain_id").Unique(),
		edge.From("pod", Pod.Type).Ref("switches").Field("pod_id").Unique(),
		edge.To("ports", Port.Type),
	}
}

// Annotations of the NetworkSwitch.
func (NetworkSwitch) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "switches"}}
}
