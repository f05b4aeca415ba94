package fleetfile_test

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/railyard/railyard/internal/fleetfile"
	"github.com/railyard/railyard/internal/model"
	samples "github.com/railyard/railyard/inventory-samples"
)

// addSample adds the named sample file to the fuzz corpus.
func addSample(f *testing.F, name string) {
	r, _, err := samples.Open(name)
	if err != nil {
		f.Fatal(err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(data))
}

// addSampleNode adds one node of the named YAML sample to the fuzz corpus,
// with everything it refers to: whole samples are too big to mutate.
func addSampleNode(f *testing.F, name string) {
	fleet, err := samples.Load(name)
	if err != nil {
		f.Fatal(err)
	}
	n := fleet.Nodes[0]
	fleet.Nodes = fleet.Nodes[:1]
	fleet.NVLinkDomains = slices.DeleteFunc(fleet.NVLinkDomains, func(d model.NVLinkDomain) bool { return d.Name != n.GPUs[0].NVLinkDomain })
	cabled := map[model.Endpoint]bool{}
	fleet.Links = slices.DeleteFunc(fleet.Links, func(l model.Link) bool {
		if l.A.Device != n.Hostname && l.B.Device != n.Hostname {
			return true
		}
		cabled[l.A], cabled[l.B] = true, true
		return false
	})
	fleet.Switches = slices.DeleteFunc(fleet.Switches, func(s model.Switch) bool {
		s.Ports = slices.DeleteFunc(s.Ports, func(p model.SwitchPort) bool { return !cabled[model.Endpoint{Device: s.Name, Port: p.Name}] })
		return len(s.Ports) == 0
	})
	for i := range fleet.Switches {
		s := &fleet.Switches[i]
		s.Ports = slices.DeleteFunc(s.Ports, func(p model.SwitchPort) bool { return !cabled[model.Endpoint{Device: s.Name, Port: p.Name}] })
	}
	var buf bytes.Buffer
	if err := fleetfile.EncodeYAML(&buf, fleet); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.String())
}

// FuzzDecodeYAML checks that DecodeYAML never panics and that what it
// decodes survives an encode and a decode unchanged.
func FuzzDecodeYAML(f *testing.F) {
	for _, tt := range yamlTests {
		f.Add(tt.in)
	}
	addSampleNode(f, "lab-1su")
	addSampleNode(f, "gb200-nvl72-8rack")
	f.Fuzz(func(t *testing.T, in string) {
		fleet, err := fleetfile.DecodeYAML(strings.NewReader(in), "fuzz.yaml")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Errorf("error %q does not name the file", err)
			}
			return
		}
		var buf bytes.Buffer
		if err := fleetfile.EncodeYAML(&buf, fleet); err != nil {
			t.Fatalf("EncodeYAML: %v", err)
		}
		again, err := fleetfile.DecodeYAML(&buf, "again.yaml")
		if err != nil {
			t.Fatalf("decoding encoded fleet: %v\n%s", err, buf.String())
		}
		if diff := cmp.Diff(fleet, again); diff != "" {
			t.Errorf("round trip (-first +second):\n%s", diff)
		}
	})
}

// FuzzDecodeCSV checks that DecodeCSV never panics and that what it decodes
// survives an encode and a decode unchanged.
func FuzzDecodeCSV(f *testing.F) {
	for _, tt := range csvTests {
		f.Add(tt.in)
	}
	addSample(f, "spreadsheet")
	f.Fuzz(func(t *testing.T, in string) {
		fleet, err := fleetfile.DecodeCSV(strings.NewReader(in), "fuzz.csv")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.csv") {
				t.Errorf("error %q does not name the file", err)
			}
			return
		}
		var buf bytes.Buffer
		if err := fleetfile.EncodeCSV(&buf, fleet); err != nil {
			t.Fatalf("EncodeCSV: %v", err)
		}
		again, err := fleetfile.DecodeCSV(&buf, "again.csv")
		if err != nil {
			t.Fatalf("decoding encoded fleet: %v\n%s", err, buf.String())
		}
		if diff := cmp.Diff(fleet, again); diff != "" {
			t.Errorf("round trip (-first +second):\n%s", diff)
		}
	})
}
