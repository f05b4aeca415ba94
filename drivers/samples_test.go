package drivers_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/railyard/railyard/drivers"
	_ "github.com/railyard/railyard/drivers/all"
	_ "github.com/railyard/railyard/drivers/frr"
	"github.com/railyard/railyard/internal/fabric"
	"github.com/railyard/railyard/internal/fabric/fabrictest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestSampleGoldens renders, with every driver, the configuration the
// compiler gives a storage leaf and the compute fabric's subnet manager
// of each sample fleet carrying two tenants, and compares it with the
// golden files in testdata/samples (go test ./drivers -update rewrites
// them).
func TestSampleGoldens(t *testing.T) {
	leafDrivers := []string{"eos", "nxos", "junos", "cumulus", "sonic", "frr"}
	smDrivers := []string{"ufm", "opensm"}
	for _, sample := range []string{"lab-1su", "superpod-4su", "gb200-nvl72-8rack"} {
		plan, _, _, err := fabrictest.Compile(sample, map[string]int{"acme": 64, "globex": 32}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var leaf, sm fabric.DeviceConfig
		for _, d := range plan.Devices {
			switch {
			case d.Kind == fabric.EVPNLeaf && leaf.Device == "" && len(d.Tenants()) > 0:
				leaf = d
			case d.Kind == fabric.SubnetManager && sm.Device == "":
				sm = d
			}
		}
		if leaf.Device == "" || sm.Device == "" {
			t.Fatalf("%s: no tenant leaf or subnet manager in the plan", sample)
		}
		for _, name := range append(leafDrivers, smDrivers...) {
			cfg := leaf
			if name == "ufm" || name == "opensm" {
				cfg = sm
			}
			cfg.Driver = name
			t.Run(sample+"/"+name, func(t *testing.T) {
				d, err := drivers.Lookup(name)
				if err != nil {
					t.Fatal(err)
				}
				got, err := d.Render(cfg)
				if err != nil {
					t.Fatal(err)
				}
				path := filepath.Join("testdata", "samples", sample, name+".txt")
				if *update {
					if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test ./drivers -update)", err)
				}
				if diff := cmp.Diff(string(want), got); diff != "" {
					t.Errorf("%s rendered for %s differs from %s (-want +got):\n%s", name, cfg.Device, path, diff)
				}
			})
		}
	}
}
