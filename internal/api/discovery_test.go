package api

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/railyard/railyard/internal/discovery/report"
	"github.com/railyard/railyard/internal/model"
	pb "github.com/railyard/railyard/proto/railyard/v1"
)

// TestReportThenValidateCabling: a leaf's LLDP table, reported through the
// API, shows a node's rail-1 NIC on a rail-2 leaf. The declared cabling is
// kept, the observation is stored, and validation of the stored inventory
// names the miswire and the cable the leaf no longer sees.
func TestReportThenValidateCabling(t *testing.T) {
	r := startReplica(t, "sqlite:"+t.TempDir()+"/api.db")
	ctx := context.Background()
	if _, err := importBytes(t, r.inv, "lab.yaml", presetYAML(t, "lab-1su"), false); err != nil {
		t.Fatal(err)
	}
	links, err := r.inv.ListLinks(ctx, &pb.ListRequest{})
	if err != nil {
		t.Fatal(err)
	}
	// Find a compute leaf of rail 2 and the node cabled to its first port.
	sws, err := r.inv.ListSwitches(ctx, &pb.ListRequest{})
	if err != nil {
		t.Fatal(err)
	}
	rail := map[string]int32{}
	for _, s := range sws.GetSwitches() {
		rail[s.GetName()] = s.GetRail()
	}
	// ends returns a leaf-to-node cable's leaf end and node end.
	ends := func(l *pb.Link) (leaf, node *pb.Endpoint, ok bool) {
		_, aSwitch := rail[l.GetA().GetDevice()]
		_, bSwitch := rail[l.GetB().GetDevice()]
		switch {
		case aSwitch && !bSwitch:
			return l.GetA(), l.GetB(), true
		case bSwitch && !aSwitch:
			return l.GetB(), l.GetA(), true
		}
		return nil, nil, false
	}
	var rail1, rail2 *pb.Link
	for _, l := range links.GetLinks() {
		sw, _, ok := ends(l)
		if ok && rail[sw.GetDevice()] == 1 && rail1 == nil {
			rail1 = l
		}
		if ok && rail[sw.GetDevice()] == 2 && rail2 == nil {
			rail2 = l
		}
	}
	if rail1 == nil || rail2 == nil {
		t.Fatalf("no rail-1 and rail-2 cables in the sample")
	}
	// The rail-2 leaf hears a rail-1 NIC on the port where its own cable
	// is declared; every other declared cable of the leaf is seen as
	// declared.
	sw2, _, _ := ends(rail2)
	_, n1, _ := ends(rail1)
	leaf, port := sw2.GetDevice(), sw2.GetPort()
	node, nicPort := n1.GetDevice(), n1.GetPort()
	nbrs := []model.LLDPNeighbor{{LocalPort: port, SysName: node, PortID: nicPort}}
	for _, l := range links.GetLinks() {
		for _, e := range [][2]*pb.Endpoint{{l.GetA(), l.GetB()}, {l.GetB(), l.GetA()}} {
			if e[0].GetDevice() == leaf && e[0].GetPort() != port {
				nbrs = append(nbrs, model.LLDPNeighbor{LocalPort: e[0].GetPort(), SysName: e[1].GetDevice(), PortID: e[1].GetPort()})
			}
		}
	}
	obs := model.Observation{Target: "snmp://10.99.0.1", Source: "snmp", Hints: model.TargetHints{Hostname: leaf},
		Switches: []model.SwitchFacts{{Name: leaf, Neighbors: nbrs}}}
	resp, err := r.discover.Report(ctx, &pb.ReportRequest{Observations: []*pb.Observation{report.ToPB(obs)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetNotes()) != 1 {
		t.Errorf("notes = %q, want one about the contradicted declaration", resp.GetNotes())
	}
	v, err := r.inv.Validate(ctx, &pb.ValidateRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range v.GetFindings() {
		switch f.GetCode() {
		case "miswired-rail", "miswired", "missing-link", "unexpected-link":
			got = append(got, f.GetCode()+" "+f.GetObject())
		}
	}
	observed := model.Link{A: model.Endpoint{Device: leaf, Port: port}, B: model.Endpoint{Device: node, Port: nicPort}}
	want := []string{"miswired-rail link/" + observed.Key()}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("cabling findings (-want +got):\n%s", d)
	}
	stored, err := r.discover.ListObservations(ctx, &pb.ListObservationsRequest{Kind: "link"})
	if err != nil {
		t.Fatal(err)
	}
	if len(stored.GetObservations()) != len(nbrs) || stored.GetObservations()[0].GetSource() != "snmp" {
		t.Errorf("stored link observations = %v", stored.GetObservations())
	}
}
