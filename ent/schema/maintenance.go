package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Campaign is a rolling-maintenance campaign: the operator's spec, where
// it is in its life (scheduled, running, paused, cancelled, done) and
// which run it is on (a recurring campaign runs again at every cron
// activation).
type Campaign struct{ ent.Schema }

// Fields of the Campaign.
func (Campaign) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().Unique(),
		field.Text("spec").Comment("maintenance.Spec as JSON"),
		field.String("state"),
		field.Text("reason").Default("").Comment("why the campaign is in its state (paused on failures, ...)"),
		field.Int("run").Default(0),
		field.Int64("generation").Default(1),
		field.Time("next_run").Optional().Nillable(),
		field.Time("started_at").Optional().Nillable(),
		field.Time("finished_at").Optional().Nillable(),
		field.Time("created_at"),
		field.Time("updated_at"),
	}
}

// CampaignNode is one node's record in one campaign: its phase, how it
// left its tenant, its lease and its BMC task. The executor moves it one
// phase at a time, so a restarted server resumes from here.
type CampaignNode struct{ ent.Schema }

// Fields of the CampaignNode.
func (CampaignNode) Fields() []ent.Field {
	return []ent.Field{
		field.String("campaign"),
		field.String("node"),
		field.String("phase"),
		field.Text("status").Comment("maintenance.NodeStatus as JSON"),
		field.String("lease_owner").Default(""),
		field.Time("lease_until").Optional().Nillable(),
		field.Time("updated_at"),
	}
}

// Indexes of the CampaignNode.
func (CampaignNode) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("campaign", "node").Unique(),
		index.Fields("phase"),
		index.Fields("node"),
	}
}
