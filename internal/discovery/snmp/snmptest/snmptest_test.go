package snmptest

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gosnmp/gosnmp"

	"github.com/railyard/railyard/internal/discovery/snmp"
)

func TestParseSnmprec(t *testing.T) {
	in := `# comment
1.3.6.1.2.1.1.1.0|4|Linux sw1
1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.8072.3.2.10
1.3.6.1.2.1.1.3.0|67|195
1.3.6.1.2.1.2.2.1.5.2|66|4294967295
1.3.6.1.2.1.2.2.1.6.2|4x|02ee00000100
1.3.6.1.2.1.2.2.1.8.2|2|-1
1.3.6.1.2.1.4.20.1.1.10.0.0.1|64x|0a000001
1.3.6.1.2.1.31.1.1.1.6.2|70|18446744073709551615
1.3.6.1.2.1.31.1.1.1.18.2|4|

`
	got, err := ParseSnmprec(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []snmp.Var{
		{OID: ".1.3.6.1.2.1.1.1.0", Type: gosnmp.OctetString, Value: []byte("Linux sw1")},
		{OID: ".1.3.6.1.2.1.1.2.0", Type: gosnmp.ObjectIdentifier, Value: ".1.3.6.1.4.1.8072.3.2.10"},
		{OID: ".1.3.6.1.2.1.1.3.0", Type: gosnmp.TimeTicks, Value: uint32(195)},
		{OID: ".1.3.6.1.2.1.2.2.1.5.2", Type: gosnmp.Gauge32, Value: uint(4294967295)},
		{OID: ".1.3.6.1.2.1.2.2.1.6.2", Type: gosnmp.OctetString, Value: []byte{0x02, 0xee, 0, 0, 1, 0}},
		{OID: ".1.3.6.1.2.1.2.2.1.8.2", Type: gosnmp.Integer, Value: -1},
		{OID: ".1.3.6.1.2.1.4.20.1.1.10.0.0.1", Type: gosnmp.IPAddress, Value: "10.0.0.1"},
		{OID: ".1.3.6.1.2.1.31.1.1.1.6.2", Type: gosnmp.Counter64, Value: uint64(18446744073709551615)},
		{OID: ".1.3.6.1.2.1.31.1.1.1.18.2", Type: gosnmp.OctetString, Value: []byte{}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	for _, bad := range []string{"1.3.6|4", "1.3.6|2|x", "1.3.6|4x|zz", "1.3.6|2:numeric|1", "1.3.6|66|-1", "1.3.6|99|1"} {
		if _, err := ParseSnmprec(strings.NewReader(bad)); err == nil {
			t.Errorf("ParseSnmprec(%q) succeeded", bad)
		}
	}
}

func TestValidate(t *testing.T) {
	ok := Topology{
		Switches: []Switch{{Name: "sw1", Ports: []string{"swp1"}}},
		Hosts:    []Host{{Name: "h1", Ifaces: []Iface{{Name: "eth0", MAC: "02:00:00:00:00:01"}}}},
		Cables:   []Cable{{A: End{"sw1", "swp1"}, B: End{"h1", "eth0"}}},
	}
	if err := validate(ok); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(*Topology){
		"duplicate node":     func(t *Topology) { t.Hosts[0].Name = "sw1" },
		"mgmt port":          func(t *Topology) { t.Switches[0].Ports = []string{"mgmt0"} },
		"long port name":     func(t *Topology) { t.Switches[0].Ports = []string{"swp1234567890123"} },
		"multicast MAC":      func(t *Topology) { t.Hosts[0].Ifaces[0].MAC = "01:00:5e:00:00:01" },
		"bad MAC":            func(t *Topology) { t.Switches[0].MAC = "02-00-00-00-00-01" },
		"cable to nowhere":   func(t *Topology) { t.Cables[0].B.Port = "eth9" },
		"port cabled twice":  func(t *Topology) { t.Cables = append(t.Cables, t.Cables[0]) },
		"loop on one node":   func(t *Topology) { t.Cables[0].B = End{"sw1", "swp1"} },
		"namespace-unsafe":   func(t *Topology) { t.Switches[0].Name = "sw 1"; t.Cables = nil },
		"host without iface": func(t *Topology) { t.Hosts[0].Ifaces = nil; t.Cables = nil },
	} {
		topo := Topology{
			Switches: []Switch{{Name: "sw1", Ports: []string{"swp1"}}},
			Hosts:    []Host{{Name: "h1", Ifaces: []Iface{{Name: "eth0", MAC: "02:00:00:00:00:01"}}}},
			Cables:   []Cable{{A: End{"sw1", "swp1"}, B: End{"h1", "eth0"}}},
		}
		mutate(&topo)
		if err := validate(topo); err == nil {
			t.Errorf("%s: validate succeeded", name)
		}
	}
}
