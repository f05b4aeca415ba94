package validate

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/railyard/railyard/internal/model"
)

// railFleet: two nodes, each with a rail-1 and a rail-2 NIC, cabled to
// leaf1 (rail 1) and leaf2 (rail 2) on ports named after the node.
func railFleet() *model.Fleet {
	f := &model.Fleet{Switches: []model.Switch{{Name: "leaf1", Rail: 1}, {Name: "leaf2", Rail: 2}}}
	for _, n := range []string{"n1", "n2"} {
		f.Nodes = append(f.Nodes, model.Node{Hostname: n, NICs: []model.NIC{
			{Name: "cx0", Rail: 1, Ports: []model.NICPort{{Name: "ib0"}}},
			{Name: "cx1", Rail: 2, Ports: []model.NICPort{{Name: "ib1"}}},
		}})
		f.Links = append(f.Links,
			model.Link{A: ep(n, "ib0"), B: ep("leaf1", n)},
			model.Link{A: ep(n, "ib1"), B: ep("leaf2", n)})
	}
	return f
}

func ep(d, p string) model.Endpoint { return model.Endpoint{Device: d, Port: p} }

func TestCabling(t *testing.T) {
	both := map[string]bool{"leaf1": true, "leaf2": true}
	asDeclared := railFleet().Links
	tests := []struct {
		name     string
		observed []model.Link
		walked   map[string]bool
		want     []string // code object
	}{
		{"as declared", asDeclared, both, nil},
		{"nothing walked, nothing judged", nil, nil, nil},
		{"one cable unseen", asDeclared[1:], both, []string{"missing-link link/leaf1:n1~n1:ib0"}},
		{"unseen on a switch not walked", asDeclared[:2], map[string]bool{"leaf1": true},
			[]string{"missing-link link/leaf1:n2~n2:ib0"}},
		{"rails swapped on n1", []model.Link{
			{A: ep("n1", "ib0"), B: ep("leaf2", "n1")}, {A: ep("n1", "ib1"), B: ep("leaf1", "n1")}, asDeclared[2], asDeclared[3],
		}, both, []string{
			"miswired-rail link/leaf1:n1~n1:ib1",
			"miswired-rail link/leaf2:n1~n1:ib0",
		}},
		{"same rail, wrong port", []model.Link{
			{A: ep("n1", "ib0"), B: ep("leaf1", "n2")}, asDeclared[1], asDeclared[3],
		}, both, []string{"miswired link/leaf1:n2~n1:ib0"}},
		{"a cable between undeclared devices is not judged", append(append([]model.Link{}, asDeclared...),
			model.Link{A: ep("spine1", "p1"), B: ep("spine2", "p1")}), both, nil},
		{"an extra cable on a declared device", append(append([]model.Link{}, asDeclared...),
			model.Link{A: ep("leaf1", "spare"), B: ep("n9", "eth0")}), both, []string{"unexpected-link link/leaf1:spare~n9:eth0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, f := range Cabling(railFleet(), tt.observed, tt.walked) {
				got = append(got, f.Code+" "+f.Object)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("findings (-want +got):\n%s", d)
			}
		})
	}
}
