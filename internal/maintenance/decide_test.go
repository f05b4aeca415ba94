package maintenance

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/railyard/railyard/internal/model"
)

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) // a Monday

// tinyFleet is one leaf domain of two racks of four 8-GPU nodes:
// n1..n4 in r1, n5..n8 in r2.
func tinyFleet() *model.CarveSnapshot {
	f := &model.CarveSnapshot{}
	for i := 1; i <= 8; i++ {
		rack := "r1"
		if i > 4 {
			rack = "r2"
		}
		f.Nodes = append(f.Nodes, model.NodeCapacity{
			Node: fmt.Sprintf("n%d", i), Site: "s", Pod: "p", LeafDomain: "su1", Rack: rack,
			GPUModel: "H100", GPUs: 8, State: model.NodeAvailable,
		})
	}
	return f
}

func block(name, tenant string, nodes ...string) model.Block {
	b := model.Block{Name: name, Tenant: tenant, GPUModel: "H100", GPUs: 8 * len(nodes), Required: "leaf", Generation: 1}
	for _, n := range nodes {
		b.Members = append(b.Members, model.BlockMember{Node: n, GPUs: []int{0, 1, 2, 3, 4, 5, 6, 7}})
	}
	return b
}

func pending(nodes ...string) []NodeStatus {
	var out []NodeStatus
	for _, n := range nodes {
		out = append(out, NodeStatus{Node: n, Phase: PhasePending})
	}
	return out
}

func all8() []string { return []string{"n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8"} }

func decide(t *testing.T, spec Spec, f *model.CarveSnapshot, nodes []NodeStatus, now time.Time) *Decision {
	t.Helper()
	if spec.Action.Kind == "" {
		spec.Action.Kind = ActionPowerCycle
	}
	cal, err := spec.Validate()
	if err != nil {
		t.Fatal(err)
	}
	d, err := Decide(&Input{Spec: &spec, Cal: cal, Fleet: f, Nodes: nodes, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

type got struct {
	Admit map[string]string // node → mode (+spares)
	Held  map[string]string
}

func summary(d *Decision) got {
	g := got{Admit: map[string]string{}, Held: d.Held}
	for _, a := range d.Admit {
		g.Admit[a.Node] = string(a.Mode) + strings.Join(a.Spares, ",")
	}
	return g
}

func TestDecide(t *testing.T) {
	one, two := Count(1), Count(2)
	tests := []struct {
		name  string
		spec  Spec
		fleet func(*model.CarveSnapshot)
		nodes []NodeStatus
		now   time.Time
		want  got
	}{{
		name:  "rack budget spreads a wave across racks",
		spec:  Spec{Budget: Budget{Fleet: Count(3), Domains: []DomainLimit{{Level: DomainRack, Limit: one}}}},
		nodes: pending(all8()...),
		want: got{Admit: map[string]string{"n1": "idle", "n5": "idle"}, Held: map[string]string{
			"n2": "rack budget: 1 of 1 nodes of rack r1 already offline", "n3": "rack budget: 1 of 1 nodes of rack r1 already offline", "n4": "rack budget: 1 of 1 nodes of rack r1 already offline",
			"n6": "rack budget: 1 of 1 nodes of rack r2 already offline", "n7": "rack budget: 1 of 1 nodes of rack r2 already offline", "n8": "rack budget: 1 of 1 nodes of rack r2 already offline",
		}},
	}, {
		name:  "nodes in flight use the fleet budget; 10% of 8 rounds to 1, never 0",
		spec:  Spec{Budget: Budget{Fleet: Percent(10)}},
		nodes: append(pending("n2", "n3"), NodeStatus{Node: "n1", Phase: PhaseActing}),
		want:  got{Admit: map[string]string{}, Held: map[string]string{"n2": "fleet budget: 1 of 1 nodes offline", "n3": "fleet budget: 1 of 1 nodes offline"}},
	}, {
		name:  "outside its window the campaign admits nothing, and says when it opens",
		spec:  Spec{Budget: Budget{Fleet: Count(8)}, Windows: []string{"Sat,Sun 00:00-06:00 UTC"}},
		nodes: pending("n1"),
		want:  got{Admit: map[string]string{}, Held: map[string]string{"n1": "outside window Sat,Sun 00:00-06:00; next opens 2026-11-28T00:00:00Z"}},
	}, {
		name:  "a degraded fleet holds everything",
		spec:  Spec{Budget: Budget{Fleet: Count(8)}, Stop: Stop{MaxUnavailable: one}},
		fleet: func(f *model.CarveSnapshot) { f.Nodes[6].State = model.NodeFailed; f.Nodes[7].Cordoned = true },
		nodes: pending("n1"),
		want:  got{Admit: map[string]string{}, Held: map[string]string{"n1": "fleet degraded: 2 nodes failed, unhealthy or cordoned outside maintenance (limit 1)"}},
	}, {
		name: "idle first, then a swap with the spare already maintained",
		spec: Spec{Budget: Budget{Fleet: Count(2)}},
		fleet: func(f *model.CarveSnapshot) {
			f.Blocks = []model.Block{block("acme-1", "acme", "n1", "n2", "n3", "n4", "n5", "n6")}
		},
		nodes: append(pending("n1", "n2", "n8"), NodeStatus{Node: "n7", Phase: PhaseDone}),
		want: got{Admit: map[string]string{"n8": "idle", "n1": "swapn7"}, Held: map[string]string{
			"n2": "fleet budget: 2 of 2 nodes offline",
		}},
	}, {
		name: "no spare and no tenant budget: held with both reasons",
		spec: Spec{Budget: Budget{Fleet: Count(4)}},
		fleet: func(f *model.CarveSnapshot) {
			f.Blocks = []model.Block{block("acme-1", "acme", all8()...)}
		},
		nodes: pending("n1"),
		want: got{Admit: map[string]string{}, Held: map[string]string{
			"n1": "no free spare in leaf domain s/p/su1; tenant acme budget: 0 of 0 of its nodes already out",
		}},
	}, {
		name: "a tenant budget of 2 lets two of its nodes drain",
		spec: Spec{Budget: Budget{Fleet: Count(4), Tenants: map[string]TenantBudget{"acme": {Max: &two}}}},
		fleet: func(f *model.CarveSnapshot) {
			f.Blocks = []model.Block{block("acme-1", "acme", all8()...)}
		},
		nodes: pending("n1", "n2", "n3"),
		want: got{Admit: map[string]string{"n1": "drain", "n2": "drain"}, Held: map[string]string{
			"n3": "no free spare in leaf domain s/p/su1; tenant acme budget: 2 of 2 of its nodes already out",
		}},
	}, {
		name: "a spare reserved for another tenant is no spare",
		spec: Spec{Budget: Budget{Fleet: Count(4)}},
		fleet: func(f *model.CarveSnapshot) {
			f.Blocks = []model.Block{block("acme-1", "acme", "n1", "n2", "n3", "n4", "n5", "n6", "n7")}
			f.Reservations = []model.Reservation{{Name: "r", Tenant: "globex", Nodes: []string{"n8"}}}
		},
		nodes: pending("n1"),
		want: got{Admit: map[string]string{}, Held: map[string]string{
			"n1": "no free spare in leaf domain s/p/su1; tenant acme budget: 0 of 0 of its nodes already out",
		}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tinyFleet()
			if tt.fleet != nil {
				tt.fleet(f)
			}
			now := tt.now
			if now.IsZero() {
				now = t0
			}
			if diff := cmp.Diff(tt.want, summary(decide(t, tt.spec, f, tt.nodes, now))); diff != "" {
				t.Errorf("decision (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLimit(t *testing.T) {
	tests := []struct {
		in     string
		total  int
		floor1 bool
		want   int
		str    string
	}{
		{"4", 100, true, 4, "4"},
		{"5%", 127, true, 6, "5%"},
		{"1%", 50, true, 1, "1%"},
		{"1%", 50, false, 0, "1%"},
		{"0", 50, true, 0, "0"},
		{"10,5%", 100, true, 5, "10,5%"},
		{"2, 50%", 100, true, 2, "2,50%"},
		{"", 30, true, 30, ""},
	}
	for _, tt := range tests {
		l, err := ParseLimit(tt.in)
		if err != nil {
			t.Fatalf("ParseLimit(%q): %v", tt.in, err)
		}
		if got := l.Of(tt.total, tt.floor1); got != tt.want {
			t.Errorf("%q of %d (floor1 %v) = %d, want %d", tt.in, tt.total, tt.floor1, got, tt.want)
		}
		if l.String() != tt.str {
			t.Errorf("%q renders as %q, want %q", tt.in, l.String(), tt.str)
		}
	}
	for _, bad := range []string{"-1", "101%", "x", "5%,6%", "1,2", "%", "NaN%"} {
		if _, err := ParseLimit(bad); err == nil {
			t.Errorf("ParseLimit(%q) accepted", bad)
		}
	}
}

func FuzzParseLimit(f *testing.F) {
	for _, s := range []string{"4", "5%", "4,5%", "", "0", "100%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLimit(s)
		if err != nil {
			return
		}
		back, err := ParseLimit(l.String())
		if err != nil || back.String() != l.String() {
			t.Fatalf("%q → %q does not read back: %v", s, l.String(), err)
		}
		for _, total := range []int{0, 1, 7, 1000} {
			if n := l.Of(total, true); n < 0 || n > total {
				t.Fatalf("%q of %d = %d", s, total, n)
			}
		}
	})
}

func TestValidate(t *testing.T) {
	tests := []struct {
		spec Spec
		want string
	}{
		{Spec{Action: Action{Kind: "reboot"}, Budget: Budget{Fleet: Count(1)}}, `unknown action "reboot"`},
		{Spec{Action: Action{Kind: ActionFirmware}, Budget: Budget{Fleet: Count(1)}}, "needs an image"},
		{Spec{Action: Action{Kind: ActionHook}, Budget: Budget{Fleet: Count(1)}}, "needs a command"},
		{Spec{Action: Action{Kind: ActionHardwareSwap}, Budget: Budget{Fleet: Count(1)}}, "description of the parts"},
		{Spec{Action: Action{Kind: ActionPowerCycle}}, "needs a fleet budget"},
		{Spec{Action: Action{Kind: ActionPowerCycle}, Budget: Budget{Fleet: Count(0)}}, "takes no node offline"},
		{Spec{Action: Action{Kind: ActionPowerCycle}, Budget: Budget{Fleet: Count(1), Domains: []DomainLimit{{Level: "row", Limit: Count(1)}}}}, `level "row"`},
		{Spec{Action: Action{Kind: ActionPowerCycle}, Budget: Budget{Fleet: Count(1)}, Windows: []string{"Mon 25:00-26:00"}}, "window"},
		{Spec{Action: Action{Kind: ActionPowerCycle}, Budget: Budget{Fleet: Count(1)}, Recurring: true}, "needs a schedule"},
		{Spec{Action: Action{Kind: ActionPowerCycle}, Budget: Budget{Fleet: Count(1)}, Schedule: "every day"}, "schedule"},
	}
	for _, tt := range tests {
		if _, err := tt.spec.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate(%+v) = %v, want an error with %q", tt.spec, err, tt.want)
		}
	}
}
