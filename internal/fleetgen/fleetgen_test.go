package fleetgen_test

import (
	"cmp"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/railyard/railyard/internal/fleetgen"
	"github.com/railyard/railyard/internal/model"
	"github.com/railyard/railyard/internal/validate"
)

// census counts what a fleet holds, the way the RA tables do.
type census struct {
	Sites, Pods, SUs, Racks, Nodes, GPUs int

	// Compute fabric switches and cables.
	Leaves, Spines, Cores                int
	NodeLeaf, LeafSpine, SpineCore       int
	StorageLeaves, StorageSpines         int
	MgmtLeaves, MgmtSpines               int
	Links, NVLinkDomains, MaxSwitchPorts int
}

func count(f *model.Fleet) census {
	var c census
	c.Sites = len(f.Sites)
	for _, s := range f.Sites {
		c.Pods += len(s.Pods)
		for _, p := range s.Pods {
			c.SUs += len(p.LeafDomains)
			for _, ld := range p.LeafDomains {
				c.Racks += len(ld.Racks)
			}
		}
	}
	c.Nodes = len(f.Nodes)
	for _, n := range f.Nodes {
		c.GPUs += len(n.GPUs)
	}
	role := map[string]model.FabricRole{}
	for _, fab := range f.Fabrics {
		role[fab.Name] = fab.Role
	}
	tier := map[string]model.SwitchRole{}
	for _, s := range f.Switches {
		tier[s.Name] = s.Role
		c.MaxSwitchPorts = max(c.MaxSwitchPorts, len(s.Ports))
		switch role[s.Fabric] {
		case model.RoleCompute:
			switch s.Role {
			case model.SwitchLeaf:
				c.Leaves++
			case model.SwitchSpine:
				c.Spines++
			case model.SwitchCore:
				c.Cores++
			}
		case model.RoleStorage:
			if s.Role == model.SwitchLeaf {
				c.StorageLeaves++
			} else {
				c.StorageSpines++
			}
		case model.RoleManagement:
			if s.Role == model.SwitchLeaf {
				c.MgmtLeaves++
			} else {
				c.MgmtSpines++
			}
		}
	}
	fabricOf := map[string]string{}
	for _, s := range f.Switches {
		fabricOf[s.Name] = s.Fabric
	}
	c.Links = len(f.Links)
	for _, l := range f.Links {
		a, b := tier[l.A.Device], tier[l.B.Device]
		if a > b {
			a, b = b, a
		}
		dev := l.A.Device
		if _, ok := fabricOf[dev]; !ok {
			dev = l.B.Device
		}
		if role[fabricOf[dev]] != model.RoleCompute {
			continue
		}
		switch {
		case a == "" && b == model.SwitchLeaf:
			c.NodeLeaf++
		case a == model.SwitchLeaf && b == model.SwitchSpine:
			c.LeafSpine++
		case a == model.SwitchCore && b == model.SwitchSpine:
			c.SpineCore++
		}
	}
	c.NVLinkDomains = len(f.NVLinkDomains)
	return c
}

func TestPresets(t *testing.T) {
	want := map[string]census{
		"lab-1su": {
			Sites: 1, Pods: 1, SUs: 1, Racks: 8, Nodes: 32, GPUs: 256,
			Leaves: 8, Spines: 4, NodeLeaf: 256, LeafSpine: 256,
			StorageLeaves: 2, StorageSpines: 2, MgmtLeaves: 8, MgmtSpines: 2,
			Links: 640, NVLinkDomains: 32, MaxSwitchPorts: 64,
		},
		"superpod-4su": {
			Sites: 1, Pods: 1, SUs: 4, Racks: 32, Nodes: 127, GPUs: 1016,
			Leaves: 32, Spines: 16, NodeLeaf: 1016, LeafSpine: 1024,
			StorageLeaves: 8, StorageSpines: 2, MgmtLeaves: 32, MgmtSpines: 2,
			Links: 2549, NVLinkDomains: 127, MaxSwitchPorts: 64,
		},
		"gb200-nvl72-8rack": {
			Sites: 1, Pods: 1, SUs: 1, Racks: 8, Nodes: 144, GPUs: 576,
			Leaves: 16, Spines: 8, NodeLeaf: 576, LeafSpine: 384,
			StorageLeaves: 8, StorageSpines: 2, MgmtLeaves: 8, MgmtSpines: 2,
			Links: 1472, NVLinkDomains: 8, MaxSwitchPorts: 64,
		},
	}
	for _, name := range fleetgen.Presets() {
		t.Run(name, func(t *testing.T) {
			f, err := fleetgen.Preset(name)
			if err != nil {
				t.Fatal(err)
			}
			if diff := gocmp.Diff(want[name], count(f)); diff != "" {
				t.Errorf("census (-want +got):\n%s", diff)
			}
			for _, finding := range validate.Fleet(f) {
				t.Errorf("finding: %+v", finding)
			}
			again, err := fleetgen.Preset(name)
			if err != nil {
				t.Fatal(err)
			}
			if diff := gocmp.Diff(f, again); diff != "" {
				t.Errorf("Preset is not deterministic (-first +second):\n%s", diff)
			}
		})
	}
	if got := len(mustPreset(t, "lab-1su").Tenants); got != 2 {
		t.Errorf("lab-1su has %d tenants, want 2", got)
	}
}

func mustPreset(t *testing.T, name string) *model.Fleet {
	t.Helper()
	f, err := fleetgen.Preset(name)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestGenerate checks generated fleets against the switch and cable counts
// of NVIDIA's SuperPOD reference architecture tables (for H100 at 2 to 64
// SUs) and against the rules in the package comment.
func TestGenerate(t *testing.T) {
	tests := []struct {
		spec fleetgen.Spec
		want census // compute fabric and totals; zero fields are not checked
	}{
		// One node still gets a whole SU's fabric.
		{fleetgen.Spec{GPUs: 8}, census{Nodes: 1, GPUs: 8, Racks: 1, Leaves: 8, Spines: 4, NodeLeaf: 8, LeafSpine: 256}},
		// Rounded up to whole nodes.
		{fleetgen.Spec{GPUs: 9}, census{Nodes: 2, GPUs: 16}},
		{fleetgen.Spec{GPUs: 264}, census{Nodes: 33, SUs: 2, Racks: 9, Leaves: 16, Spines: 8, NodeLeaf: 264, LeafSpine: 512}},
		// The RA's tables.
		{fleetgen.Spec{GPUs: 512}, census{Nodes: 64, Leaves: 16, Spines: 8, NodeLeaf: 512, LeafSpine: 512}},
		{fleetgen.Spec{GPUs: 1024}, census{Nodes: 128, Leaves: 32, Spines: 16, NodeLeaf: 1024, LeafSpine: 1024}},
		{fleetgen.Spec{GPUs: 2048}, census{Nodes: 256, Pods: 1, Leaves: 64, Spines: 32, NodeLeaf: 2048, LeafSpine: 2048, MaxSwitchPorts: 64}},
		{fleetgen.Spec{GPUs: 4096}, census{Nodes: 512, Pods: 4, Leaves: 128, Spines: 128, Cores: 64,
			NodeLeaf: 4096, LeafSpine: 4096, SpineCore: 4096, StorageLeaves: 32, StorageSpines: 8, MgmtLeaves: 128, MgmtSpines: 8, MaxSwitchPorts: 64}},
		{fleetgen.Spec{GPUs: 8192}, census{Nodes: 1024, Leaves: 256, Spines: 256, Cores: 128, NodeLeaf: 8192, LeafSpine: 8192, SpineCore: 8192, MaxSwitchPorts: 64}},
		{fleetgen.Spec{GPUs: 16384}, census{Nodes: 2048, Leaves: 512, Spines: 512, Cores: 256, NodeLeaf: 16384, LeafSpine: 16384, SpineCore: 16384, MaxSwitchPorts: 64}},
		// Nine SUs need a third tier: pods of four SUs.
		{fleetgen.Spec{GPUs: 2056}, census{Nodes: 257, SUs: 9, Pods: 3, Leaves: 72, Spines: 96, Cores: 64, LeafSpine: 72 * 32, SpineCore: 96 * 32, MaxSwitchPorts: 64}},
		// GB200: whole racks, 16 leaves per SU.
		{fleetgen.Spec{Shape: fleetgen.ShapeGB200NVL72, GPUs: 1}, census{Nodes: 18, GPUs: 72, Racks: 1, NVLinkDomains: 1, Leaves: 16, Spines: 8, NodeLeaf: 72, LeafSpine: 384}},
		{fleetgen.Spec{Shape: fleetgen.ShapeGB200NVL72, GPUs: 2304}, census{Racks: 32, SUs: 4, Leaves: 64, Spines: 28, NodeLeaf: 2304, LeafSpine: 64 * 28, MaxSwitchPorts: 64}},
		{fleetgen.Spec{Shape: fleetgen.ShapeGB200NVL72, GPUs: 4608}, census{Racks: 64, SUs: 8, Pods: 4, Leaves: 128, Spines: 112, Cores: 56,
			NodeLeaf: 4608, LeafSpine: 128 * 28, SpineCore: 112 * 32, MaxSwitchPorts: 64}},
		// Sites split the fleet.
		{fleetgen.Spec{GPUs: 5000, Sites: 3, Name: "dc"}, census{Sites: 3, Nodes: 625, GPUs: 5000, Pods: 3, SUs: 21}},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%s/%d/%d", cmp.Or(tt.spec.Shape, fleetgen.ShapeH100SuperPOD), tt.spec.GPUs, max(tt.spec.Sites, 1))
		t.Run(name, func(t *testing.T) {
			f, err := fleetgen.Generate(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			got := count(f)
			// Compare only what the test names.
			masked := mask(got, tt.want)
			if diff := gocmp.Diff(tt.want, masked); diff != "" {
				t.Errorf("census (-want +got):\n%s", diff)
			}
			for i, finding := range validate.Fleet(f) {
				if i < 10 {
					t.Errorf("finding: %+v", finding)
				}
			}
		})
	}
}

// mask zeroes the fields of got that want leaves zero.
func mask(got, want census) census {
	m := func(g *int, w int) {
		if w == 0 {
			*g = 0
		}
	}
	m(&got.Sites, want.Sites)
	m(&got.Pods, want.Pods)
	m(&got.SUs, want.SUs)
	m(&got.Racks, want.Racks)
	m(&got.Nodes, want.Nodes)
	m(&got.GPUs, want.GPUs)
	m(&got.Leaves, want.Leaves)
	m(&got.Spines, want.Spines)
	m(&got.Cores, want.Cores)
	m(&got.NodeLeaf, want.NodeLeaf)
	m(&got.LeafSpine, want.LeafSpine)
	m(&got.SpineCore, want.SpineCore)
	m(&got.StorageLeaves, want.StorageLeaves)
	m(&got.StorageSpines, want.StorageSpines)
	m(&got.MgmtLeaves, want.MgmtLeaves)
	m(&got.MgmtSpines, want.MgmtSpines)
	m(&got.Links, want.Links)
	m(&got.NVLinkDomains, want.NVLinkDomains)
	m(&got.MaxSwitchPorts, want.MaxSwitchPorts)
	return got
}

func TestNames(t *testing.T) {
	f := mustPreset(t, "lab-1su")
	has := func(kind, name string, names []string) {
		t.Helper()
		for _, n := range names {
			if n == name {
				return
			}
		}
		t.Errorf("no %s named %s", kind, name)
	}
	var switches, nodes, racks []string
	for _, s := range f.Switches {
		switches = append(switches, s.Name)
	}
	for _, n := range f.Nodes {
		nodes = append(nodes, n.Hostname)
	}
	for _, r := range f.Sites[0].Pods[0].LeafDomains[0].Racks {
		racks = append(racks, r.Name)
	}
	has("site", "lab", []string{f.Sites[0].Name})
	has("pod", "lab-pod1", []string{f.Sites[0].Pods[0].Name})
	has("leaf domain", "lab-su01", []string{f.Sites[0].Pods[0].LeafDomains[0].Name})
	has("rack", "lab-su01-r08", racks)
	has("node", "lab-su01-r01-n01", nodes)
	has("node", "lab-su01-r08-n04", nodes)
	for _, s := range []string{"lab-su01-leaf-r1", "lab-su01-leaf-r8", "lab-pod1-spine01", "lab-pod1-spine04",
		"lab-su01-stor-leaf1", "lab-su01-stor-leaf2", "lab-pod1-stor-spine1", "lab-su01-r01-mgmt", "lab-pod1-mgmt-spine2"} {
		has("switch", s, switches)
	}
	nvl := mustPreset(t, "gb200-nvl72-8rack")
	var nvlSwitches []string
	for _, s := range nvl.Switches {
		nvlSwitches = append(nvlSwitches, s.Name)
	}
	has("switch", "nvl-su01-leaf-r4d", nvlSwitches)
	has("NVLink domain", "nvl-su01-r08-nvl", []string{nvl.NVLinkDomains[7].Name})

	// Every name starts with the site's.
	big, err := fleetgen.Generate(fleetgen.Spec{GPUs: 4096, Sites: 2, Name: "east"})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range big.Switches {
		if !strings.HasPrefix(s.Name, "east1-") && !strings.HasPrefix(s.Name, "east2-") {
			t.Errorf("switch %s is not prefixed with its site", s.Name)
		}
	}
	for _, n := range big.Nodes {
		if !strings.HasPrefix(n.Hostname, "east1-") && !strings.HasPrefix(n.Hostname, "east2-") {
			t.Errorf("node %s is not prefixed with its site", n.Hostname)
		}
	}
}

// TestIdentitiesDifferAcrossFleets checks that two sample fleets could be
// imported into one inventory without clashing identifiers.
func TestIdentitiesDifferAcrossFleets(t *testing.T) {
	seen := map[string]string{}
	for _, name := range fleetgen.Presets() {
		for _, n := range mustPreset(t, name).Nodes {
			ids := []string{"serial " + n.Serial}
			for _, g := range n.GPUs {
				ids = append(ids, "uuid "+g.UUID, "gpu serial "+g.Serial)
			}
			for _, nic := range n.NICs {
				for _, p := range nic.Ports {
					if p.MAC != "" {
						ids = append(ids, "mac "+p.MAC)
					}
					if p.GUID != "" {
						ids = append(ids, "guid "+p.GUID)
					}
				}
			}
			for _, id := range ids {
				if prev, dup := seen[id]; dup {
					t.Errorf("%s of %s (%s) is also in %s", id, n.Hostname, name, prev)
				}
				seen[id] = name + " " + n.Hostname
			}
		}
	}
}

func TestGenerateErrors(t *testing.T) {
	for _, spec := range []fleetgen.Spec{
		{GPUs: 0},
		{GPUs: -8},
		{GPUs: fleetgen.MaxGPUs + 1},
		{GPUs: 8, Shape: "a100-pod"},
		{GPUs: 8, Name: "Lab"},
		{GPUs: 8, Name: "lab_1"},
		{GPUs: 8, Sites: -1},
		{GPUs: 8, Sites: fleetgen.MaxSites + 1},
		{GPUs: 8, Sites: 2},                        // one node, two sites
		{GPUs: 8 * (fleetgen.MaxNodesPerSite + 1)}, // one site too big
	} {
		if _, err := fleetgen.Generate(spec); !errors.Is(err, fleetgen.ErrBadSpec) {
			t.Errorf("Generate(%+v) = %v, want ErrBadSpec", spec, err)
		}
	}
	if _, err := fleetgen.Preset("lab-2su"); !errors.Is(err, fleetgen.ErrUnknownPreset) {
		t.Errorf("Preset(lab-2su) = %v, want ErrUnknownPreset", err)
	}
}

func TestGenerate100k(t *testing.T) {
	if testing.Short() {
		t.Skip("large fleet")
	}
	for _, shape := range fleetgen.Shapes() {
		start := time.Now()
		f, err := fleetgen.Generate(fleetgen.Spec{Shape: shape, GPUs: 100_000})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %+v in %v", shape, count(f), time.Since(start))
		if fs := validate.Fleet(f); len(fs) > 0 {
			t.Errorf("%d findings, first %+v", len(fs), fs[0])
		}
	}
}

func BenchmarkGenerate100k(b *testing.B) {
	for b.Loop() {
		if _, err := fleetgen.Generate(fleetgen.Spec{GPUs: 100_000}); err != nil {
			b.Fatal(err)
		}
	}
}
