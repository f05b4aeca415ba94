package maintenance_test

import (
	"fmt"
	"testing"

	"github.com/railyard/railyard/internal/carve"
	"github.com/railyard/railyard/internal/maintenance"
	"github.com/railyard/railyard/internal/maintenance/mainttest"
)

func TestDbgSeed(t *testing.T) {
	tr := newTrial(t, 637)
	for _, b := range tr.camp.Fleet.Blocks {
		if b.Name == "acme-2" || b.Name == "acme-3" {
			fmt.Printf("%s req=%s seg=%d/%s gen=%d members=", b.Name, b.Required, b.SegmentNodes, b.SegmentLevel, b.Generation)
			for _, m := range b.Members {
				fmt.Print(m.Node, " ")
			}
			fmt.Println()
		}
	}
	for _, n := range tr.camp.Fleet.Nodes {
		if n.Node == "nvl-su01-r02-n17" || n.Node == "nvl-su01-r01-n17" {
			fmt.Printf("%+v\n", n)
		}
	}
	st, _ := carve.NewState(tr.camp.Fleet, carve.Policy{SubNode: true}, tr.camp.Sim.Start)
	p, err := st.Swap("acme-2", "nvl-su01-r01-n17")
	fmt.Println(p, err)
	tr.camp.Sim.Observe = func(r *maintenance.Round) {
		for _, a := range r.Decision.Admit {
			if a.Mode != maintenance.ModeIdle {
				fmt.Println(r.At, a.Node, a.Mode, a.Reason)
			}
		}
	}
	tr.camp.Sim.Horizon = 0
	mainttestRun(t, tr)
}

func mainttestRun(t *testing.T, tr *trial) {
	o, err := mainttestRunImpl(tr)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println(o)
}

func mainttestRunImpl(tr *trial) ([]string, error) {
	o, err := mainttest.Run(tr.camp)
	if err != nil {
		return nil, err
	}
	return o.Violations, nil
}
