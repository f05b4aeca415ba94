package snmp_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/railyard/railyard/internal/discovery/snmp/snmptest"
)

// recordedSubtrees are the OID ranges [start, stop) recorded from the lab:
// LLDP-MIB, SNMPv2-MIB system and IF-MIB interfaces, IF-MIB ifMIB. (The lab's
// snmpd has no ENTITY-MIB or BRIDGE-MIB.)
var recordedSubtrees = [][2]string{
	{"1.0.8802.1.1.2", "1.0.8802.1.1.3"},
	{"1.3.6.1.2.1.1", "1.3.6.1.2.1.3"},
	{"1.3.6.1.2.1.31", "1.3.6.1.2.1.32"},
}

// TestRecordLab regenerates testdata/lab_sw1.snmprec with snmprec against
// sw1 of the lab topology. It only runs when RAILYARD_SNMP_RECORD=1:
//
//	RAILYARD_SNMP_RECORD=1 go test ./internal/discovery/snmp -run TestRecordLab
//
// TestSnmpsimLab asserts what discovery finds in the recording; update its
// expectations when the recording changes.
func TestRecordLab(t *testing.T) {
	if os.Getenv("RAILYARD_SNMP_RECORD") != "1" {
		t.Skip("set RAILYARD_SNMP_RECORD=1 to re-record testdata/lab_sw1.snmprec")
	}
	snmptest.Require(t, "snmprec")
	lab := snmptest.Start(t, labTopology)
	var all []byte
	for i, r := range recordedSubtrees {
		out := filepath.Join(t.TempDir(), "part.snmprec")
		cmd := exec.Command("snmprec",
			"--agent-udpv4-endpoint="+lab.SwitchAddr("sw1")+":161",
			"--protocol-version=2c", "--community="+snmptest.Community,
			"--use-getbulk", "--getbulk-repetitions=25",
			"--start-object="+r[0], "--stop-object="+r[1],
			"--output-file="+out)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("snmprec %d: %v\n%s", i, err, b)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	if !bytes.Contains(all, []byte("1.0.8802.1.1.2.1.4.1.1.9.")) {
		t.Fatalf("recording has no lldpRemSysName:\n%s", all)
	}
	if err := os.WriteFile(filepath.Join("testdata", "lab_sw1.snmprec"), all, 0o644); err != nil {
		t.Fatal(err)
	}
}
