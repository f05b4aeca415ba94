package snmp_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/railyard/railyard/internal/discovery"
	"github.com/railyard/railyard/internal/discovery/snmp"
	"github.com/railyard/railyard/internal/discovery/snmp/snmptest"
	"github.com/railyard/railyard/internal/model"
)

var update = flag.Bool("update", false, "rewrite testdata/*.facts.json from the recordings")

// Recordings served by snmpsimd; the community selects one.
var recordings = map[string]string{
	"lab_sw1":         filepath.Join("testdata", "lab_sw1.snmprec"),
	"cisco_16_switch": filepath.Join("testdata", "cisco_16_switch.snmprec.gz"),
}

// wantLabSW1 is sw1 of labTopology as recorded in testdata/lab_sw1.snmprec
// (net-snmp 5.9.3 + lldpd 1.0.16 on Debian 12): ifIndex = LLDP port
// number, host port ids are MACs, the switch-to-switch port id is a name.
var wantLabSW1 = model.SwitchFacts{
	Name:        "sw1",
	ChassisID:   "02:ee:00:00:01:00",
	Vendor:      "Linux",
	OS:          "Linux",
	Version:     "6.18.44-fc-v769",
	Description: "Linux sw1 6.18.44-fc-v769 #1 railyard-lab",
	Ports: []model.PortFacts{
		{Name: "lo", Up: true},
		{Name: "mgmt0", SpeedGbps: 10, Up: true, MAC: "02:ee:00:00:01:ff"},
		{Name: "swp1", SpeedGbps: 10, Up: true, MAC: "02:ee:00:00:01:00"},
		{Name: "swp2", SpeedGbps: 10, Up: true, MAC: "02:ee:00:00:01:00"},
		{Name: "swp3", SpeedGbps: 10, Up: true, MAC: "02:ee:00:00:01:00"},
		{Name: "swp4", SpeedGbps: 10, MAC: "02:ee:00:00:01:00"},
	},
	Neighbors: []model.LLDPNeighbor{
		{LocalPort: "swp1", ChassisID: "02:00:00:00:01:00", PortID: "02:00:00:00:01:00", PortIDIsMAC: true, PortDesc: "eth0", SysName: "h1"},
		{LocalPort: "swp2", ChassisID: "02:00:00:00:02:00", PortID: "02:00:00:00:02:00", PortIDIsMAC: true, PortDesc: "eth0", SysName: "h2"},
		{LocalPort: "swp3", ChassisID: "02:ee:00:00:02:00", PortID: "swp3", PortDesc: "swp3", SysName: "sw2"},
	},
	Missing: []string{"model", "serial"},
}

// wantCisco is the head of what the Catalyst 3750 recording shipped with
// snmpsim reports: sysName, IOS version from sysDescr, model and serial of
// the chassis entity (3001, stack member 3; the stack entity 1 has none),
// vendor from sysObjectID (enterprises.9: entPhysicalMfgName is empty). It
// has CDP but no LLDP-MIB, so no chassis id and no neighbour list.
var wantCisco = model.SwitchFacts{
	Name:    "Profiler3750",
	Vendor:  "Cisco",
	Model:   "WS-C3750-48PS-S",
	OS:      "IOS",
	Version: "12.2(55)SE10",
	Serial:  "CAT0952N20R",
	Description: "Cisco IOS Software, C3750 Software (C3750-IPSERVICESK9-M), Version 12.2(55)SE10, RELEASE SOFTWARE (fc2)\r\n" +
		"Technical Support: http://www.cisco.com/techsupport\r\n" +
		"Copyright (c) 1986-2015 by Cisco Systems, Inc.\r\n" +
		"Compiled Wed 11-Feb-15 11:40 by prod_rel_team",
	Missing: []string{"chassis_id", "neighbors"},
}

func TestSnmpsim(t *testing.T) {
	t.Parallel()
	sim := snmptest.StartSnmpsim(t, recordings)
	src := &snmp.Source{Timeout: 2 * time.Second, Retries: 1}

	t.Run("lab", func(t *testing.T) {
		got, err := discover(t, src, sim.Target(), discovery.Credentials{Community: "lab_sw1"})
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(wantLabSW1, got); d != "" {
			t.Errorf("facts (-want +got):\n%s", d)
		}
	})

	t.Run("cisco", func(t *testing.T) {
		got, err := discover(t, src, sim.Target(), discovery.Credentials{Community: "cisco_16_switch"})
		if err != nil {
			t.Fatal(err)
		}
		head := got
		head.Ports = nil
		if d := cmp.Diff(wantCisco, head); d != "" {
			t.Errorf("facts (-want +got):\n%s", d)
		}
		// Spot checks of the port list (values read off the recording by
		// hand: ifIndex 11001, 11101, 1, 14501), then all of it against
		// the golden file.
		if len(got.Ports) != 59 {
			t.Errorf("%d ports, want the recording's 59 ifName rows", len(got.Ports))
		}
		byName := map[string]model.PortFacts{}
		for _, p := range got.Ports {
			byName[p.Name] = p
		}
		for _, want := range []model.PortFacts{
			{Name: "Fa3/0/1", MAC: "00:16:c7:02:6e:83"},                     // ifHighSpeed 10, down(2)
			{Name: "Gi3/0/1", MAC: "00:16:c7:02:6e:81"},                     // ifHighSpeed 10, down(2)
			{Name: "Vl1", SpeedGbps: 1, Up: true, MAC: "00:16:c7:02:6e:c0"}, // 1000, up(1)
			{Name: "Nu0", SpeedGbps: 10, Up: true},                          // 10000, up(1), no address
		} {
			if d := cmp.Diff(want, byName[want.Name]); d != "" {
				t.Errorf("port %s (-want +got):\n%s", want.Name, d)
			}
		}
		golden(t, filepath.Join("testdata", "cisco_16_switch.facts.json"), got)
	})

	t.Run("wrong-community", func(t *testing.T) {
		quick := &snmp.Source{Timeout: 300 * time.Millisecond, Retries: -1}
		_, err := discover(t, quick, sim.Target(), discovery.Credentials{Community: "no-such-recording"})
		if kindOf(err) != discovery.Unreachable {
			t.Errorf("err = %v, want unreachable", err)
		}
	})

	// What Discover finds over the network equals what Facts makes of the
	// recording file directly.
	for community, path := range recordings {
		t.Run("offline/"+community, func(t *testing.T) {
			vars, err := snmptest.ReadSnmprec(path)
			if err != nil {
				t.Fatal(err)
			}
			offline, err := snmp.Facts(vars)
			if err != nil {
				t.Fatal(err)
			}
			online, err := discover(t, src, sim.Target(), discovery.Credentials{Community: community})
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(offline, online); d != "" {
				t.Errorf("offline vs snmpsimd (-offline +online):\n%s", d)
			}
		})
	}
}

// golden compares got with the JSON in path (rewriting it with -update).
func golden(t *testing.T, path string, got model.SwitchFacts) {
	t.Helper()
	if *update {
		b, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want model.SwitchFacts
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("facts differ from %s (-want +got):\n%s", path, d)
	}
}
