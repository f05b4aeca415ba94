package fleetfile_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/railyard/railyard/internal/fleetfile"
	"github.com/railyard/railyard/internal/model"
)

func TestDetect(t *testing.T) {
	tests := []struct {
		name string
		want fleetfile.Format
	}{
		{"lab.yaml", fleetfile.YAML},
		{"dir.d/lab.YML", fleetfile.YAML},
		{"sheet.csv", fleetfile.CSV},
		{"SHEET.CSV", fleetfile.CSV},
		{"lab.json", ""},
		{"yaml", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, err := fleetfile.Detect(tt.name)
		if got != tt.want {
			t.Errorf("Detect(%q) = %q, want %q", tt.name, got, tt.want)
		}
		if (err != nil) != (tt.want == "") {
			t.Errorf("Detect(%q) error = %v", tt.name, err)
		}
		if err != nil && !errors.Is(err, fleetfile.ErrUnknownFormat) {
			t.Errorf("Detect(%q) error %v does not wrap ErrUnknownFormat", tt.name, err)
		}
	}
}

func TestDecodeAndEncode(t *testing.T) {
	fromYAML, err := fleetfile.Decode(strings.NewReader(smallYAML), "small.yml")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(smallFleet(), fromYAML); diff != "" {
		t.Errorf("Decode(yml) (-want +got):\n%s", diff)
	}
	fromCSV, err := fleetfile.Decode(strings.NewReader(smallCSV), "small.csv")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(smallCSVFleet(), fromCSV); diff != "" {
		t.Errorf("Decode(csv) (-want +got):\n%s", diff)
	}
	if _, err := fleetfile.Decode(strings.NewReader(smallYAML), "small.txt"); !errors.Is(err, fleetfile.ErrUnknownFormat) {
		t.Errorf("Decode(txt) = %v, want ErrUnknownFormat", err)
	}

	// A CSV fleet converts to YAML and back.
	var buf bytes.Buffer
	if err := fleetfile.Encode(&buf, fromCSV, fleetfile.YAML); err != nil {
		t.Fatal(err)
	}
	back, err := fleetfile.Decode(&buf, "converted.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fromCSV, back); diff != "" {
		t.Errorf("CSV to YAML (-want +got):\n%s", diff)
	}
	if err := fleetfile.Encode(&buf, fromCSV, "json"); !errors.Is(err, fleetfile.ErrUnknownFormat) {
		t.Errorf("Encode(json) = %v, want ErrUnknownFormat", err)
	}
}

func TestEncodeNil(t *testing.T) {
	var buf bytes.Buffer
	if err := fleetfile.EncodeYAML(&buf, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), "apiVersion: railyard.dev/v1\nkind: Fleet\n"; got != want {
		t.Errorf("EncodeYAML(nil) = %q, want %q", got, want)
	}
	buf.Reset()
	if err := fleetfile.EncodeCSV(&buf, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), "site,pod,leaf_domain,rack,hostname,serial,vendor,model,bmc_address,bmc_credential_ref,state,gpu_model,gpu_count,gpu_memory_mib\n"; got != want {
		t.Errorf("EncodeCSV(nil) = %q, want %q", got, want)
	}
}

func TestError(t *testing.T) {
	tests := []struct {
		err  *fleetfile.Error
		want string
	}{
		{&fleetfile.Error{File: "a.yaml", Line: 3, Field: "nodes[0].rack", Err: fleetfile.ErrMissing}, "a.yaml:3: nodes[0].rack: missing value"},
		{&fleetfile.Error{File: "a.csv", Line: 1, Err: fleetfile.ErrSyntax}, "a.csv:1: syntax error"},
		{&fleetfile.Error{Err: model.ErrBadIdentifier}, "<input>: bad identifier"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
		if !errors.Is(tt.err, tt.err.Err) {
			t.Errorf("%v does not unwrap to %v", tt.err, tt.err.Err)
		}
	}
}

// TestFillNICFabric checks that a NIC without a fabric takes the fabric of
// the switch its first port is cabled to.
func TestFillNICFabric(t *testing.T) {
	in := header(`switches:
  - {name: sw, role: leaf, fabric: roce, ports: [{name: p1}]}
nodes:
  - hostname: n
    rack: r
    nics:
      - name: cx0
        kind: ethernet
        role: compute
        ports: [{name: b}, {name: a}]
      - name: cx1
        kind: ethernet
        role: compute
        ports: [{name: c}]
links:
  - {a: {device: sw, port: p1}, b: {device: n, port: a}}
  - {a: {device: n, port: c}, b: {device: nowhere, port: p}}
`)
	f, err := fleetfile.DecodeYAML(strings.NewReader(in), "fill.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := []string{f.Nodes[0].NICs[0].Fabric, f.Nodes[0].NICs[1].Fabric}; !cmp.Equal(got, []string{"roce", ""}) {
		t.Errorf("NIC fabrics = %q, want [roce \"\"]", got)
	}
}
