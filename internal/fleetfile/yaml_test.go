package fleetfile_test

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/railyard/railyard/internal/fleetfile"
	"github.com/railyard/railyard/internal/model"
)

// smallYAML is a complete small fleet, written the way a person might:
// out of order, identifiers in assorted spellings, defaults left out.
const smallYAML = `apiVersion: railyard.dev/v1
kind: Fleet
sites:
  - name: lab
    description: the lab
    pods:
      - name: lab-pod1
        leaf_domains:
          - name: lab-su01
            racks: [{name: lab-r02}, {name: lab-r01}]
fabrics:
  - {name: lab-compute, site: lab, kind: infiniband, role: compute}
nvlink_domains:
  - {name: dgx-01-nvl, rack: lab-r01, size: 8}
switches:
  - name: lab-leaf-r1
    role: leaf
    fabric: lab-compute
    vendor: nvidia
    model: QM9700
    driver: ufm
    leaf_domain: lab-su01
    pod: lab-pod1
    rail: 1
    ports:
      - {name: "10", speed_gbps: 400}
      - {name: "2", speed_gbps: 400}
nodes:
  - hostname: dgx-01
    rack: lab-r01
    serial: "0012345"
    model: DGX H100
    bmc: {address: "redfish://10.0.0.5", credential_ref: "env:BMC"}
    gpus:
      - index: 1
        model: H100-SXM5-80GB
        pci_bus_id: 00000000:2A:00.0
        nvlink_domain: dgx-01-nvl
        numa_node: 0
      - index: 0
        uuid: GPU-0
        model: H100-SXM5-80GB
        nvlink_domain: dgx-01-nvl
        numa_node: 0
        health: degraded
    nics:
      - name: ib0
        kind: infiniband
        role: compute
        rail: 1
        ports:
          - {name: ib0, guid: "0c42:a103:00ab:cdef", speed_gbps: 400}
      - name: eth0
        kind: ethernet
        role: storage
        ports:
          - {name: eth0, mac: "AA-BB-CC-DD-EE-0F"}
links:
  - a: {device: lab-leaf-r1, port: "2"}
    b: {device: dgx-01, port: ib0}
    last_seen: 2025-03-01T12:00:00+02:00
tenants:
  - name: acme
`

// smallFleet is what smallYAML decodes to.
func smallFleet() *model.Fleet {
	return &model.Fleet{
		Sites: []model.Site{{
			Name:        "lab",
			Description: "the lab",
			Pods: []model.Pod{{
				Name: "lab-pod1",
				LeafDomains: []model.LeafDomain{{
					Name:  "lab-su01",
					Racks: []model.Rack{{Name: "lab-r01"}, {Name: "lab-r02"}},
				}},
			}},
		}},
		Fabrics:       []model.Fabric{{Name: "lab-compute", Site: "lab", Kind: model.InfiniBand, Role: model.RoleCompute}},
		NVLinkDomains: []model.NVLinkDomain{{Name: "dgx-01-nvl", Rack: "lab-r01", Size: 8}},
		Switches: []model.Switch{{
			Name: "lab-leaf-r1", Role: model.SwitchLeaf, Fabric: "lab-compute",
			Vendor: "nvidia", Model: "QM9700", Driver: "ufm",
			LeafDomain: "lab-su01", Pod: "lab-pod1", Rail: 1, Provenance: model.Declared,
			Ports: []model.SwitchPort{{Name: "2", SpeedGbps: 400}, {Name: "10", SpeedGbps: 400}},
		}},
		Nodes: []model.Node{{
			Hostname: "dgx-01", Rack: "lab-r01", Serial: "0012345", Model: "DGX H100",
			BMC:        model.BMC{Address: "redfish://10.0.0.5", CredentialRef: "env:BMC"},
			State:      model.NodeAvailable,
			Provenance: model.Declared,
			GPUs: []model.GPU{
				{Index: 0, UUID: "GPU-0", Model: "H100-SXM5-80GB", NVLinkDomain: "dgx-01-nvl", Health: model.GPUDegraded},
				{Index: 1, Model: "H100-SXM5-80GB", PCIBusID: "0000:2a:00.0", NVLinkDomain: "dgx-01-nvl", Health: model.GPUHealthy},
			},
			NICs: []model.NIC{
				{Name: "eth0", Kind: model.Ethernet, Role: model.RoleStorage,
					Ports: []model.NICPort{{Name: "eth0", MAC: "aa:bb:cc:dd:ee:0f"}}},
				{Name: "ib0", Kind: model.InfiniBand, Role: model.RoleCompute, Rail: 1, Fabric: "lab-compute",
					Ports: []model.NICPort{{Name: "ib0", GUID: "0x0c42a10300abcdef", SpeedGbps: 400}}},
			},
		}},
		Links: []model.Link{{
			A:          model.Endpoint{Device: "dgx-01", Port: "ib0"},
			B:          model.Endpoint{Device: "lab-leaf-r1", Port: "2"},
			Provenance: model.Declared,
			LastSeen:   time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC),
		}},
		Tenants: []model.Tenant{{Name: "acme"}},
	}
}

func header(body string) string { return "apiVersion: railyard.dev/v1\nkind: Fleet\n" + body }

var yamlTests = []struct {
	name   string
	in     string
	want   *model.Fleet // if err is empty
	err    string       // the whole error message
	errIs  error
	prefix bool // err is a prefix of the message (the rest lists model fields)
}{
	{name: "small", in: smallYAML, want: smallFleet()},
	{name: "header-only", in: header(""), want: &model.Fleet{}},
	{name: "empty-lists", in: header("nodes: []\nlinks:\n"), want: &model.Fleet{}},
	{
		name: "bad-mac",
		in: header(`nodes:
  - hostname: a
    rack: r
    nics:
      - name: eth0
        kind: ethernet
        role: storage
        ports:
          - name: eth0
            mac: "zz:00:00:00:00:00"
`),
		err:   `lab.yaml:12: nodes[0].nics[0].ports[0].mac: bad identifier: MAC "zz:00:00:00:00:00": unexpected character 'z'`,
		errIs: model.ErrBadIdentifier,
	},
	{
		name:  "bad-guid",
		in:    header("nodes:\n  - hostname: a\n    nics:\n      - ports: [{name: ib0, guid: 0x12}]\n"),
		err:   `lab.yaml:6: nodes[0].nics[0].ports[0].guid: bad identifier: GUID "0x12": want 16 hex digits, got 2`,
		errIs: model.ErrBadIdentifier,
	},
	{
		name:  "bad-pci",
		in:    header("nodes:\n  - hostname: a\n    gpus:\n      - {index: 0, model: x, numa_node: 0, pci_bus_id: 1b:00.0}\n"),
		err:   `lab.yaml:6: nodes[0].gpus[0].pci_bus_id: bad identifier: PCI bus id "1b:00.0": want domain:bus:device.function`,
		errIs: model.ErrBadIdentifier,
	},
	{
		name:   "unknown-field",
		in:     header("nodes:\n  - hostname: a\n    rack: r\n    gpuz: []\n"),
		err:    `lab.yaml:6: nodes[0].gpuz: unknown field (want one of hostname, rack, serial, vendor, model, bmc, state, provenance, `,
		prefix: true,
		errIs:  fleetfile.ErrUnknownField,
	},
	{
		name:  "unknown-top-level-field",
		in:    header("machines: []\n"),
		errIs: fleetfile.ErrUnknownField,
		err:   `lab.yaml:3: machines: unknown field (want one of sites, fabrics, nvlink_domains, switches, nodes, links, tenants)`,
	},
	{
		name:  "bad-state",
		in:    header("nodes:\n  - hostname: a\n    state: availble\n"),
		err:   `lab.yaml:5: nodes[0].state: bad value "availble" (want discovered, available, allocated, maintenance, failed or retired)`,
		errIs: fleetfile.ErrBadValue,
	},
	{
		name:  "bad-switch-role",
		in:    header("switches:\n  - {name: s, role: tor, fabric: f}\n"),
		err:   `lab.yaml:4: switches[0].role: bad value "tor" (want leaf, spine or core)`,
		errIs: fleetfile.ErrBadValue,
	},
	{
		name:  "not-an-integer",
		in:    header("nvlink_domains:\n  - name: d\n    size: eight\n"),
		err:   `lab.yaml:5: nvlink_domains[0].size: bad value: want an integer, got "eight"`,
		errIs: fleetfile.ErrBadValue,
	},
	{
		name:  "float-for-integer",
		in:    header("nvlink_domains:\n  - {name: d, size: 8.5}\n"),
		errIs: fleetfile.ErrBadValue,
		err:   `lab.yaml:4: nvlink_domains[0].size: bad value: want an integer, got "8.5"`,
	},
	{
		name:  "mapping-for-list",
		in:    header("nodes:\n  hostname: a\n"),
		err:   `lab.yaml:4: nodes: bad value: want a list, got a mapping`,
		errIs: fleetfile.ErrBadValue,
	},
	{
		name:  "list-for-string",
		in:    header("tenants:\n  - name: [a]\n"),
		err:   `lab.yaml:4: tenants[0].name: bad value: want a string, got a list`,
		errIs: fleetfile.ErrBadValue,
	},
	{
		name:  "duplicate-key",
		in:    header("tenants:\n  - name: a\n    name: b\n"),
		err:   `lab.yaml:5: tenants[0].name: duplicate key`,
		errIs: fleetfile.ErrDuplicate,
	},
	{
		name:  "alias",
		in:    header("tenants:\n  - &t {name: a}\n  - *t\n"),
		err:   `lab.yaml:5: tenants[1]: bad value: YAML aliases are not supported`,
		errIs: fleetfile.ErrBadValue,
	},
	{
		name:  "bad-timestamp",
		in:    header("links:\n  - a: {device: x, port: p}\n    b: {device: y, port: q}\n    last_seen: yesterday\n"),
		err:   `lab.yaml:6: links[0].last_seen: bad value: "yesterday" is not a timestamp`,
		errIs: fleetfile.ErrBadValue,
	},
	{
		name:  "syntax",
		in:    header("nodes:\n\t- hostname: a\n"),
		err:   `lab.yaml:4: syntax error: found character that cannot start any token`,
		errIs: fleetfile.ErrSyntax,
	},
	{
		name:  "missing-api-version",
		in:    "kind: Fleet\n",
		err:   `lab.yaml:1: apiVersion: missing value: want apiVersion: railyard.dev/v1`,
		errIs: fleetfile.ErrMissing,
	},
	{
		name:  "wrong-api-version",
		in:    "apiVersion: railyard.dev/v2\nkind: Fleet\n",
		err:   `lab.yaml:1: apiVersion: bad value: got "railyard.dev/v2", want railyard.dev/v1`,
		errIs: fleetfile.ErrBadValue,
	},
	{
		name:  "wrong-kind",
		in:    "apiVersion: railyard.dev/v1\nkind: Node\n",
		err:   `lab.yaml:2: kind: bad value: got "Node", want Fleet`,
		errIs: fleetfile.ErrBadValue,
	},
	{
		name:  "not-a-mapping",
		in:    "- a\n- b\n",
		err:   `lab.yaml:1: bad value: want a mapping with apiVersion: railyard.dev/v1 and kind: Fleet`,
		errIs: fleetfile.ErrBadValue,
	},
	{
		name:  "empty-file",
		in:    "",
		err:   `lab.yaml:1: missing value: empty file, want a Fleet document`,
		errIs: fleetfile.ErrMissing,
	},
	{
		name:  "empty-document",
		in:    "# nothing here\n---\n",
		errIs: fleetfile.ErrMissing,
		err:   `lab.yaml:3: missing value: empty document, want a Fleet document`,
	},
	{
		name:  "two-documents",
		in:    header("") + "---\n" + header(""),
		err:   `lab.yaml:3: syntax error: more than one YAML document`,
		errIs: fleetfile.ErrSyntax,
	},
}

func TestDecodeYAML(t *testing.T) {
	for _, tt := range yamlTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := fleetfile.DecodeYAML(strings.NewReader(tt.in), "lab.yaml")
			if tt.err != "" {
				if err == nil {
					t.Fatalf("DecodeYAML succeeded, want error %q", tt.err)
				}
				if msg := err.Error(); msg != tt.err && !(tt.prefix && strings.HasPrefix(msg, tt.err)) {
					t.Errorf("error:\n got %s\nwant %s", err, tt.err)
				}
				if !errors.Is(err, tt.errIs) {
					t.Errorf("error %q does not wrap %v", err, tt.errIs)
				}
				var fe *fleetfile.Error
				if !errors.As(err, &fe) || fe.File != "lab.yaml" || fe.Line == 0 {
					t.Errorf("error %#v is not an *Error with file and line", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("DecodeYAML: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("DecodeYAML (-want +got):\n%s", diff)
			}
		})
	}
}

func TestYAMLRoundTrip(t *testing.T) {
	f := smallFleet()
	before := smallFleet()
	var buf bytes.Buffer
	if err := fleetfile.EncodeYAML(&buf, f); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, f); diff != "" {
		t.Fatalf("EncodeYAML changed its input (-before +after):\n%s", diff)
	}
	got, err := fleetfile.DecodeYAML(&buf, "round.yaml")
	if err != nil {
		t.Fatalf("decoding encoded fleet: %v\n%s", err, buf.String())
	}
	if diff := cmp.Diff(f, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestEncodeYAML(t *testing.T) {
	f := &model.Fleet{
		Switches: []model.Switch{{
			Name: "s1", Role: model.SwitchLeaf, Fabric: "f", Provenance: model.Declared,
			Ports: []model.SwitchPort{{Name: "1", SpeedGbps: 400}},
		}},
		Nodes: []model.Node{{
			Hostname: "n1", Rack: "r1", State: model.NodeAvailable,
			GPUs: []model.GPU{{Index: 0, Model: "H100", NUMANode: 0, Health: model.GPUHealthy}},
			NICs: []model.NIC{{
				Name: "ib0", Kind: model.InfiniBand, Role: model.RoleCompute, Rail: 1, Fabric: "f",
				Ports: []model.NICPort{{Name: "ib0", GUID: "0x0000000000000001", SpeedGbps: 400}},
			}},
		}},
		Links: []model.Link{{
			A: model.Endpoint{Device: "n1", Port: "ib0"}, B: model.Endpoint{Device: "s1", Port: "1"},
			Provenance: model.Declared,
		}},
	}
	const want = `apiVersion: railyard.dev/v1
kind: Fleet
switches:
  - name: s1
    role: leaf
    fabric: f
    provenance: declared
    ports:
      - {name: "1", speed_gbps: 400}
nodes:
  - hostname: n1
    rack: r1
    state: available
    gpus:
      - index: 0
        model: H100
        numa_node: 0
        health: healthy
    nics:
      - name: ib0
        kind: infiniband
        role: compute
        rail: 1
        fabric: f
        ports:
          - {name: ib0, guid: "0x0000000000000001", speed_gbps: 400}
links:
  - a: {device: n1, port: ib0}
    b: {device: s1, port: "1"}
    provenance: declared
`
	var buf bytes.Buffer
	if err := fleetfile.EncodeYAML(&buf, f); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("EncodeYAML (-want +got):\n%s", diff)
	}
}

// TestYAMLStrings checks that awkward strings survive encoding, in block
// and in flow context.
func TestYAMLStrings(t *testing.T) {
	strs := []string{
		"", " ", " x", "x ", "a  b", "true", "Yes", "off", "NULL", "~", "123", "-1", "0x1f", "1.5", ".inf",
		"2025-01-01", "a: b", "a:b", "a:", "redfish://10.0.0.1", "a #b", "#x", "line\nbreak", "tab\there",
		"é", "日本", "\u2028", "\ufeffbom", "\x00", "\x7f", "-x", "- x", "? x", "[x]", "{x}", "a,b", "a]b", "'q'", `"q"`,
		"&anchor", "*alias", "!tag", "%x", "@x", "`x", "|", ">", "a\\b",
	}
	f := &model.Fleet{}
	for i, s := range strs {
		f.Tenants = append(f.Tenants, model.Tenant{Name: s, Description: s})
		f.Links = append(f.Links, model.Link{
			A:          model.Endpoint{Device: "d" + strconv.Itoa(i), Port: s},
			B:          model.Endpoint{Device: s, Port: s},
			Provenance: model.Declared,
		})
	}
	var buf bytes.Buffer
	if err := fleetfile.EncodeYAML(&buf, f); err != nil {
		t.Fatal(err)
	}
	got, err := fleetfile.DecodeYAML(bytes.NewReader(buf.Bytes()), "strings.yaml")
	if err != nil {
		t.Fatalf("DecodeYAML: %v\n%s", err, buf.String())
	}
	f.Normalize()
	if diff := cmp.Diff(f, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s\n%s", diff, buf.String())
	}
	for _, plain := range []string{"name: redfish://10.0.0.1\n", "name: a:b\n", "description: \"é\"\n", "{device: d12, port: \"0x1f\"}", "name: \"true\"\n"} {
		if !strings.Contains(buf.String(), plain) {
			t.Errorf("encoded fleet does not contain %q", plain)
		}
	}
}
