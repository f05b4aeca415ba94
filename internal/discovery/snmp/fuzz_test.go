package snmp_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/railyard/railyard/internal/discovery"
	"github.com/railyard/railyard/internal/discovery/snmp"
	"github.com/railyard/railyard/internal/discovery/snmp/snmptest"
)

var colonMAC = regexp.MustCompile(`^[0-9a-f]{2}(:[0-9a-f]{2}){5}$`)

// FuzzFacts feeds Facts variable lists written as snmprec text (lines
// that do not parse are dropped, so the fuzzer can also mutate types,
// OIDs and indexes). Facts must not panic; it either fails with a
// Malformed error or returns facts that are valid UTF-8 JSON with MACs in
// canonical form and no duplicate Missing entries.
func FuzzFacts(f *testing.F) {
	lab, err := os.ReadFile(filepath.Join("testdata", "lab_sw1.snmprec"))
	if err != nil {
		f.Fatal(err)
	}
	// The recording without the objects Facts does not read (counters,
	// lldpStatistics, management addresses) keeps the seed small.
	var seed strings.Builder
	for line := range strings.SplitSeq(string(lab), "\n") {
		for _, prefix := range []string{"1.3.6.1.2.1.1.", "1.3.6.1.2.1.2.2.1.2.", "1.3.6.1.2.1.2.2.1.6.", "1.3.6.1.2.1.2.2.1.8.",
			"1.3.6.1.2.1.31.1.1.1.1.", "1.3.6.1.2.1.31.1.1.1.15.", "1.0.8802.1.1.2.1.3.", "1.0.8802.1.1.2.1.4.1."} {
			if strings.HasPrefix(line, prefix) && !strings.HasPrefix(line, "1.0.8802.1.1.2.1.3.8.") {
				seed.WriteString(line + "\n")
				break
			}
		}
	}
	f.Add(seed.String())
	f.Add("1.3.6.1.2.1.31.1.1.1.1.3|4|swp1\n1.0.8802.1.1.2.1.4.1.1.4.0.3.1|2|4\n1.0.8802.1.1.2.1.4.1.1.5.0.3.1|4x|0c42a1000002\n")
	f.Add("1.0.8802.1.1.2.1.3.7.1.2.9|2|5\n1.0.8802.1.1.2.1.3.7.1.3.9|4|Ethernet1\n1.3.6.1.2.1.31.1.1.1.1.1001|4|Ethernet1\n1.0.8802.1.1.2.1.4.1.1.9.0.9.1|4|peer\n")
	f.Add("1.3.6.1.2.1.17.1.4.1.2.687|2|692\n1.3.6.1.2.1.31.1.1.1.1.692|4|xe-0/0/2\n1.0.8802.1.1.2.1.4.1.1.6.0.687.1|2|3\n1.0.8802.1.1.2.1.4.1.1.7.0.687.1|4|00:11:22:33:44:55\n")
	f.Add("1.3.6.1.2.1.47.1.1.1.1.5.1|2|3\n1.3.6.1.2.1.47.1.1.1.1.11.1|4|SN\n1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.30065.1\n")
	f.Add("1.3.6.1.2.1.2.2.1.8.1|2|9\n")
	f.Fuzz(func(t *testing.T, text string) {
		var vars []snmp.Var
		for line := range strings.SplitSeq(text, "\n") {
			if v, err := snmptest.ParseSnmprecLine(line); err == nil {
				vars = append(vars, v)
			}
		}
		facts, err := snmp.Facts(vars)
		if err != nil {
			if kindOf(err) != discovery.Malformed {
				t.Fatalf("error of kind %s: %v", kindOf(err), err)
			}
			return
		}
		if _, err := json.Marshal(facts); err != nil {
			t.Fatal(err)
		}
		check := func(what, s string) {
			if !utf8.ValidString(s) {
				t.Errorf("%s %q is not valid UTF-8", what, s)
			}
		}
		check("name", facts.Name)
		check("description", facts.Description)
		if strings.ContainsRune(facts.Description, 0) {
			t.Errorf("description %q contains NUL", facts.Description)
		}
		check("chassis id", facts.ChassisID)
		for _, p := range facts.Ports {
			check("port name", p.Name)
			if p.SpeedGbps < 0 {
				t.Errorf("port %q speed %d", p.Name, p.SpeedGbps)
			}
		}
		for _, n := range facts.Neighbors {
			check("local port", n.LocalPort)
			check("neighbour chassis id", n.ChassisID)
			check("neighbour port id", n.PortID)
			check("neighbour sys name", n.SysName)
			if n.PortIDIsMAC && !colonMAC.MatchString(n.PortID) {
				t.Errorf("port id %q flagged as MAC", n.PortID)
			}
		}
		sorted := slices.Clone(facts.Missing)
		slices.Sort(sorted)
		if len(slices.Compact(sorted)) != len(facts.Missing) {
			t.Errorf("duplicate Missing entries: %v", facts.Missing)
		}
	})
}

// FuzzDecode checks the octet-string decoders on arbitrary input: no
// panics, valid UTF-8 out, MACs only in canonical form.
func FuzzDecode(f *testing.F) {
	f.Add(4, []byte{0x00, 0x1c, 0x73, 0xaa, 0xbb, 0x01})
	f.Add(3, []byte("00:1C:73:AA:BB:01"))
	f.Add(3, []byte("001c.73aa.bb01"))
	f.Add(5, []byte{1, 10, 0, 0, 1})
	f.Add(4, []byte{2, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})
	f.Add(7, []byte("swp1\x00\x00"))
	f.Add(1, []byte{0xff, 0xfe, 0x00})
	f.Fuzz(func(t *testing.T, subtype int, b []byte) {
		if m, ok := snmp.DecodeMAC(b); ok != (m != "") || ok && !colonMAC.MatchString(m) {
			t.Errorf("DecodeMAC(%q) = %q, %v", b, m, ok)
		}
		if s := snmp.DecodeChassisID(subtype, b); !utf8.ValidString(s) {
			t.Errorf("DecodeChassisID(%d, %q) = %q", subtype, b, s)
		}
		id, isMAC := snmp.DecodePortID(subtype, b)
		if !utf8.ValidString(id) || isMAC && (subtype != snmp.PortMAC || !colonMAC.MatchString(id)) {
			t.Errorf("DecodePortID(%d, %q) = %q, %v", subtype, b, id, isMAC)
		}
		if s := snmp.DisplayString(b); !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
			t.Errorf("DisplayString(%q) = %q", b, s)
		}
		snmp.ParseSysDescr(string(b))
	})
}
