package smoke

import (
	"fmt"
	"testing"
	"time"
	"bytes"

	"github.com/railyard/railyard/internal/fleetfile"
	"github.com/railyard/railyard/internal/fleetgen"
	"github.com/railyard/railyard/internal/model"
	"github.com/railyard/railyard/internal/validate"
)

func count(f *model.Fleet) string {
	roles := map[string]int{}
	gpus := 0
	for _, s := range f.Switches { roles[s.Fabric[len(s.Fabric)-4:]+"/"+string(s.Role)]++ }
	for _, n := range f.Nodes { gpus += len(n.GPUs) }
	return fmt.Sprintf("nodes=%d gpus=%d switches=%d %v links=%d", len(f.Nodes), gpus, len(f.Switches), roles, len(f.Links))
}

func TestSmoke(t *testing.T) {
	for _, p := range fleetgen.Presets() {
		f, err := fleetgen.Preset(p)
		if err != nil { t.Fatal(err) }
		fs := validate.Fleet(f)
		t.Logf("%s: %s findings=%d", p, count(f), len(fs))
		for i, x := range fs { if i < 10 { t.Logf("  %+v", x) } }
		var b bytes.Buffer
		if err := fleetfile.EncodeYAML(&b, f); err != nil { t.Fatal(err) }
		t.Logf("yaml %d bytes", b.Len())
	}
	for _, sp := range []fleetgen.Spec{{GPUs: 100000}, {GPUs: 100000, Shape: "gb200-nvl72"}, {GPUs: 5000, Sites: 3}} {
		t0 := time.Now()
		f, err := fleetgen.Generate(sp)
		if err != nil { t.Fatal(err) }
		d := time.Since(t0)
		t0 = time.Now()
		fs := validate.Fleet(f)
		t.Logf("%+v: %s gen=%v validate=%v findings=%d", sp, count(f), d, time.Since(t0), len(fs))
		for i, x := range fs { if i < 10 { t.Logf("  %+v", x) } }
	}
}
