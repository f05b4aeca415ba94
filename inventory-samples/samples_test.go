package samples_test

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/railyard/railyard/internal/fleetfile"
	"github.com/railyard/railyard/internal/fleetgen"
	"github.com/railyard/railyard/internal/validate"
	samples "github.com/railyard/railyard/inventory-samples"
)

var update = flag.Bool("update", false, "rewrite the generated sample files")

// TestGenerated checks that the committed YAML samples are what fleetgen
// and the encoder produce today.
func TestGenerated(t *testing.T) {
	for _, name := range fleetgen.Presets() {
		t.Run(name, func(t *testing.T) {
			f, err := fleetgen.Preset(name)
			if err != nil {
				t.Fatal(err)
			}
			var want bytes.Buffer
			if err := fleetfile.EncodeYAML(&want, f); err != nil {
				t.Fatal(err)
			}
			filename := name + ".yaml"
			if *update {
				if err := os.WriteFile(filename, want.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			r, gotName, err := samples.Open(name)
			if err != nil {
				t.Fatalf("Open: %v (run go test ./inventory-samples -update)", err)
			}
			defer r.Close()
			got, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if gotName != filename {
				t.Errorf("Open(%q) file name = %q, want %q", name, gotName, filename)
			}
			if !bytes.Equal(got, want.Bytes()) {
				t.Errorf("%s is stale: run go test ./inventory-samples -update", filename)
			}
		})
	}
}

// TestLoad checks that every sample decodes, validates cleanly, and has
// what README.md says it has.
func TestLoad(t *testing.T) {
	type counts struct {
		Nodes, GPUs, Switches, Links, Tenants int
	}
	want := map[string]counts{
		"lab-1su":           {Nodes: 32, GPUs: 256, Switches: 26, Links: 640, Tenants: 2},
		"superpod-4su":      {Nodes: 127, GPUs: 1016, Switches: 92, Links: 2549},
		"gb200-nvl72-8rack": {Nodes: 144, GPUs: 576, Switches: 44, Links: 1472},
		"spreadsheet":       {Nodes: 16, GPUs: 128, Switches: 10, Links: 160},
	}
	if got := samples.Names(); !slices.Equal(got, []string{"lab-1su", "superpod-4su", "gb200-nvl72-8rack", "spreadsheet"}) {
		t.Errorf("Names() = %v", got)
	}
	for _, name := range samples.Names() {
		t.Run(name, func(t *testing.T) {
			f, err := samples.Load(name)
			if err != nil {
				t.Fatal(err)
			}
			for _, finding := range validate.Fleet(f) {
				t.Errorf("finding: %+v", finding)
			}
			got := counts{Nodes: len(f.Nodes), Switches: len(f.Switches), Links: len(f.Links), Tenants: len(f.Tenants)}
			for _, n := range f.Nodes {
				got.GPUs += len(n.GPUs)
			}
			if diff := cmp.Diff(want[name], got); diff != "" {
				t.Errorf("counts (-want +got):\n%s", diff)
			}
		})
	}
}

// TestGeneratedSamplesDecodeToPresets checks the YAML samples hold the
// preset fleets exactly.
func TestGeneratedSamplesDecodeToPresets(t *testing.T) {
	for _, name := range fleetgen.Presets() {
		want, err := fleetgen.Preset(name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := samples.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: Load differs from Preset (-preset +loaded):\n%s", name, diff)
		}
	}
}

func TestUnknown(t *testing.T) {
	if _, err := samples.Load("nope"); !errors.Is(err, samples.ErrUnknown) {
		t.Errorf("Load(nope) = %v, want ErrUnknown", err)
	}
	if _, _, err := samples.Open("nope"); !errors.Is(err, samples.ErrUnknown) {
		t.Errorf("Open(nope) = %v, want ErrUnknown", err)
	}
}
