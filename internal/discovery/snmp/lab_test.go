package snmp_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/railyard/railyard/internal/discovery"
	"github.com/railyard/railyard/internal/discovery/snmp"
	"github.com/railyard/railyard/internal/discovery/snmp/snmptest"
	"github.com/railyard/railyard/internal/model"
)

// labTopology: two switches, two hosts. h1 is dual-homed (eth0 to sw1,
// eth1 to sw2), h2 single-homed to sw1, the switches joined by swp3; sw1's
// swp4 and sw2's swp2 are empty.
var labTopology = snmptest.Topology{
	Switches: []snmptest.Switch{
		{Name: "sw1", Ports: []string{"swp1", "swp2", "swp3", "swp4"}},
		{Name: "sw2", Ports: []string{"swp1", "swp2", "swp3"}},
	},
	Hosts: []snmptest.Host{
		{Name: "h1", Ifaces: []snmptest.Iface{{Name: "eth0", MAC: "02:00:00:00:01:00"}, {Name: "eth1", MAC: "02:00:00:00:01:01"}}},
		{Name: "h2", Ifaces: []snmptest.Iface{{Name: "eth0", MAC: "02:00:00:00:02:00"}}},
	},
	Cables: []snmptest.Cable{
		{A: snmptest.End{Node: "sw1", Port: "swp1"}, B: snmptest.End{Node: "h1", Port: "eth0"}},
		{A: snmptest.End{Node: "sw2", Port: "swp1"}, B: snmptest.End{Node: "h1", Port: "eth1"}},
		{A: snmptest.End{Node: "sw1", Port: "swp2"}, B: snmptest.End{Node: "h2", Port: "eth0"}},
		{A: snmptest.End{Node: "sw1", Port: "swp3"}, B: snmptest.End{Node: "sw2", Port: "swp3"}},
	},
}

// Order ports and neighbours by name: the kernel assigns ifIndexes (and
// so LLDP port numbers) in creation order, which recabling changes.
var sortFacts = cmp.Options{
	cmpopts.SortSlices(func(a, b model.PortFacts) bool { return a.Name < b.Name }),
	cmpopts.SortSlices(func(a, b model.LLDPNeighbor) bool { return a.LocalPort < b.LocalPort }),
}

func discover(t *testing.T, src *snmp.Source, target string, c discovery.Credentials) (model.SwitchFacts, error) {
	t.Helper()
	tg, err := discovery.ParseTarget(target)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	obs, err := src.Discover(ctx, tg, c)
	if err != nil {
		return model.SwitchFacts{}, err
	}
	if len(obs.Switches) != 1 {
		t.Fatalf("Discover returned %d switches, want 1", len(obs.Switches))
	}
	return obs.Switches[0], nil
}

func kindOf(err error) discovery.Kind {
	var de *discovery.Error
	if errors.As(err, &de) {
		return de.Kind
	}
	return "unclassified"
}

func TestLab(t *testing.T) {
	t.Parallel()
	lab := snmptest.Start(t, labTopology)
	src := &snmp.Source{Timeout: time.Second, Retries: -1}
	release := strings.Fields(snmptest.SysDescr("x"))[2]

	host := func(h, iface, port string) model.LLDPNeighbor {
		return model.LLDPNeighbor{LocalPort: port, ChassisID: lab.ChassisID(h), PortID: lab.MAC(h, iface),
			PortIDIsMAC: true, PortDesc: iface, SysName: h}
	}
	sw := func(s, remote, port string) model.LLDPNeighbor {
		return model.LLDPNeighbor{LocalPort: port, ChassisID: lab.ChassisID(s), PortID: remote, PortDesc: remote, SysName: s}
	}
	swFacts := func(name string, ports []model.PortFacts, neigh []model.LLDPNeighbor) model.SwitchFacts {
		return model.SwitchFacts{
			Name: name, ChassisID: lab.ChassisID(name), Vendor: "Linux", OS: "Linux", Version: release,
			Description: snmptest.SysDescr(name),
			Ports: append([]model.PortFacts{
				{Name: "lo", Up: true},
				{Name: "mgmt0", SpeedGbps: 10, Up: true, MAC: lab.MAC(name, "mgmt0")},
			}, ports...),
			Neighbors: neigh,
			Missing:   []string{"model", "serial"},
		}
	}
	port := func(sw, name string, up bool) model.PortFacts {
		return model.PortFacts{Name: name, SpeedGbps: 10, Up: up, MAC: lab.MAC(sw, name)}
	}

	wantSW1 := swFacts("sw1",
		[]model.PortFacts{port("sw1", "swp1", true), port("sw1", "swp2", true), port("sw1", "swp3", true), port("sw1", "swp4", false)},
		[]model.LLDPNeighbor{host("h1", "eth0", "swp1"), host("h2", "eth0", "swp2"), sw("sw2", "swp3", "swp3")})
	wantSW2 := swFacts("sw2",
		[]model.PortFacts{port("sw2", "swp1", true), port("sw2", "swp2", false), port("sw2", "swp3", true)},
		[]model.LLDPNeighbor{host("h1", "eth1", "swp1"), sw("sw1", "swp3", "swp3")})

	t.Run("v2c", func(t *testing.T) {
		for name, want := range map[string]model.SwitchFacts{"sw1": wantSW1, "sw2": wantSW2} {
			got, err := discover(t, src, lab.SwitchTarget(name), snmptest.V2Credentials())
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if d := cmp.Diff(want, got, sortFacts); d != "" {
				t.Errorf("%s facts (-want +got):\n%s", name, d)
			}
		}
	})

	t.Run("v3", func(t *testing.T) {
		for _, c := range []discovery.Credentials{
			snmptest.V3Credentials(),
			{Username: snmptest.V3AuthUser, AuthProtocol: "SHA", Password: snmptest.V3AuthPassword},
			{Username: snmptest.V3NoAuthUser},
		} {
			got, err := discover(t, src, lab.SwitchTarget("sw1")+"?version=3", c)
			if err != nil {
				t.Fatalf("user %s: %v", c.Username, err)
			}
			if d := cmp.Diff(wantSW1, got, sortFacts); d != "" {
				t.Errorf("user %s: facts (-want +got):\n%s", c.Username, d)
			}
		}
	})

	t.Run("v3-refused", func(t *testing.T) {
		wrongAuth := snmptest.V3Credentials()
		wrongAuth.Password = "not-the-password"
		wrongPriv := snmptest.V3Credentials()
		wrongPriv.PrivPassword = "not-the-priv-password"
		unknown := snmptest.V3Credentials()
		unknown.Username = "mallory"
		for name, c := range map[string]discovery.Credentials{"wrong auth": wrongAuth, "wrong priv": wrongPriv, "unknown user": unknown} {
			start := time.Now()
			_, err := discover(t, src, lab.SwitchTarget("sw1")+"?version=3", c)
			if kindOf(err) != discovery.Unauthorized {
				t.Errorf("%s: err = %v (kind %s), want unauthorized", name, err, kindOf(err))
			}
			if time.Since(start) > 3*time.Second {
				t.Errorf("%s: took %v; a refusal should not wait for timeouts", name, time.Since(start))
			}
		}
	})

	t.Run("wrong-community", func(t *testing.T) {
		quick := &snmp.Source{Timeout: 300 * time.Millisecond, Retries: 1}
		start := time.Now()
		_, err := discover(t, quick, lab.SwitchTarget("sw1"), discovery.Credentials{Community: "guess"})
		took := time.Since(start)
		if kindOf(err) != discovery.Unreachable || !strings.Contains(err.Error(), "no answer (wrong community?)") {
			t.Errorf("err = %v, want unreachable: no answer (wrong community?)", err)
		}
		if took > 2*time.Second {
			t.Errorf("took %v with a 300ms timeout and 1 retry", took)
		}
	})

	t.Run("recable", func(t *testing.T) {
		// Move h2 from sw1/swp2 to sw2/swp2.
		lab.Recable(t,
			snmptest.Cable{A: snmptest.End{Node: "sw1", Port: "swp2"}, B: snmptest.End{Node: "h2", Port: "eth0"}},
			snmptest.Cable{A: snmptest.End{Node: "sw2", Port: "swp2"}, B: snmptest.End{Node: "h2", Port: "eth0"}})
		lab.WaitNeighbors(t, "sw1", 2)
		lab.WaitNeighbors(t, "sw2", 3)

		want1 := swFacts("sw1",
			[]model.PortFacts{port("sw1", "swp1", true), port("sw1", "swp2", false), port("sw1", "swp3", true), port("sw1", "swp4", false)},
			[]model.LLDPNeighbor{host("h1", "eth0", "swp1"), sw("sw2", "swp3", "swp3")})
		want2 := swFacts("sw2",
			[]model.PortFacts{port("sw2", "swp1", true), port("sw2", "swp2", true), port("sw2", "swp3", true)},
			[]model.LLDPNeighbor{host("h1", "eth1", "swp1"), host("h2", "eth0", "swp2"), sw("sw1", "swp3", "swp3")})
		for name, want := range map[string]model.SwitchFacts{"sw1": want1, "sw2": want2} {
			got, err := discover(t, src, lab.SwitchTarget(name), snmptest.V2Credentials())
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if d := cmp.Diff(want, got, sortFacts); d != "" {
				t.Errorf("%s after recabling (-want +got):\n%s", name, d)
			}
		}
	})
}
