package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/railyard/railyard/internal/discovery/ipmi/ipmisim"
	"github.com/railyard/railyard/internal/discovery/redfish/redfishtest"
	"github.com/railyard/railyard/internal/discovery/snmp/snmptest"
	"github.com/railyard/railyard/internal/discovery/switchcli"
	"github.com/railyard/railyard/internal/fleetfile"
	"github.com/railyard/railyard/internal/model"
)

// site is a small simulated site: two Redfish BMCs (an HGX H100 server
// and a DMTF tower), two IPMI BMCs (real ipmi_sim), a switch running real
// snmpd + lldpd in network namespaces with the two Redfish servers' NICs
// cabled to it, and an Arista switch whose CLI session is replayed through
// scrapligo's file transport.
type site struct {
	hgx, tower *redfishtest.Server
	bmc3, bmc4 *ipmisim.BMC
	lab        *snmptest.Lab
	targets    string // the targets file
}

const (
	hgxMAC0   = "b8:3f:d2:4a:10:20" // HGX NIC_1/Port_0
	hgxMAC1   = "b8:3f:d2:4a:10:21" // HGX NIC_1/Port_1
	towerMAC0 = "00:0c:29:9a:98:ed" // tower NIC1/1
	leaf1MAC  = "02:ee:00:00:01:00"
)

func startSite(t *testing.T) *site {
	t.Helper()
	ipmisim.Require(t)
	snmptest.Require(t)
	s := &site{}
	s.hgx = redfishtest.New("../../internal/discovery/redfish/testdata/hgx")
	t.Cleanup(s.hgx.Close)
	s.tower = redfishtest.New("../../internal/discovery/redfish/testdata/mockups/public-tower", redfishtest.WithPlainHTTP())
	t.Cleanup(s.tower.Close)
	s.bmc3 = ipmisim.Start(t, ipmisim.Config{Serial: "SRV-0003", Model: "AS-4125GS", Manufacturer: "Supermicro", PowerOn: true})
	s.bmc4 = ipmisim.Start(t, ipmisim.Config{Serial: "SRV-0004", Model: "AS-4125GS", Manufacturer: "Supermicro", PowerOn: false})
	s.lab = snmptest.Start(t, snmptest.Topology{
		Switches: []snmptest.Switch{{Name: "leaf-1", Ports: []string{"swp1", "swp2", "swp3", "swp4"}, MAC: leaf1MAC}},
		Hosts: []snmptest.Host{
			{Name: "gpu-001", Ifaces: []snmptest.Iface{{Name: "eth0", MAC: hgxMAC0}}},
			{Name: "gpu-002", Ifaces: []snmptest.Iface{{Name: "eth0", MAC: towerMAC0}}},
		},
		Cables: []snmptest.Cable{
			{A: snmptest.End{Node: "leaf-1", Port: "swp1"}, B: snmptest.End{Node: "gpu-001", Port: "eth0"}},
			{A: snmptest.End{Node: "leaf-1", Port: "swp2"}, B: snmptest.End{Node: "gpu-002", Port: "eth0"}},
		},
	})

	// leaf-2 is an Arista whose session is replayed: it hears the HGX's
	// second port and leaf-1's swp4.
	dir := t.TempDir()
	transcript, err := switchcli.Render("eos", model.SwitchFacts{
		Name: "leaf-2", ChassisID: "02:1c:73:00:00:02", Vendor: "Arista", Model: "DCS-7060X5-64S", OS: "EOS",
		Version: "4.31.2F", Serial: "JPE22440001",
		Ports: []model.PortFacts{{Name: "Ethernet1", SpeedGbps: 200, Up: true}, {Name: "Ethernet2", SpeedGbps: 200},
			{Name: "Ethernet49/1", SpeedGbps: 400, Up: true}},
		Neighbors: []model.LLDPNeighbor{
			{LocalPort: "Ethernet1", ChassisID: hgxMAC0, PortID: hgxMAC1, PortIDIsMAC: true, SysName: "gpu-001"},
			{LocalPort: "Ethernet49/1", ChassisID: leaf1MAC, PortID: "swp4", SysName: "leaf-1"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	leaf2 := filepath.Join(dir, "leaf-2.eos.txt")
	if err := os.WriteFile(leaf2, transcript, 0o644); err != nil {
		t.Fatal(err)
	}

	creds := func(name, user, pass string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(user+":"+pass+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return "file:" + p
	}
	hgxc, towc := s.hgx.Credentials(), s.tower.Credentials()
	b3, b4 := s.bmc3.Credentials(), s.bmc4.Credentials()
	v2 := snmptest.V2Credentials()
	closed := freeAddr(t) // nothing listens here
	_, closedPort, _ := net.SplitHostPort(closed)
	lines := []string{
		fmt.Sprintf("%s credential=%s hostname=gpu-001", s.hgx.TargetURL(), creds("hgx", hgxc.Username, hgxc.Password)),
		fmt.Sprintf("%s credential=%s hostname=gpu-002", s.tower.TargetURL(), creds("tower", towc.Username, towc.Password)),
		fmt.Sprintf("%s credential=%s hostname=gpu-003", s.bmc3.TargetURL(), creds("bmc3", b3.Username, b3.Password)),
		fmt.Sprintf("%s credential=%s hostname=gpu-004", s.bmc4.TargetURL(), creds("bmc4", b4.Username, b4.Password)),
		fmt.Sprintf("%s credential=%s role=leaf", s.lab.SwitchTarget("leaf-1"), creds("snmp", "", v2.Community)),
		"replay+eos://leaf-2" + leaf2 + " role=leaf",
		// Two targets that fail: a wrong password, and nothing listening.
		fmt.Sprintf("%s credential=%s hostname=gpu-009", s.hgx.TargetURL(), creds("wrong", hgxc.Username, "not-the-password")),
		fmt.Sprintf("ipmi://127.0.0.1:%s credential=%s hostname=gpu-010", closedPort, creds("bmc3b", b3.Username, b3.Password)),
	}
	s.targets = filepath.Join(dir, "site.targets")
	if err := os.WriteFile(s.targets, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return s
}

// inventoryView is what the test compares: the records discovery fills,
// without times.
type inventoryView struct {
	Nodes    []string // hostname state serial vendor model rack
	GPUs     []string // node/index serial model
	NICs     []string // node/name kind ports
	Switches []string // name vendor model serial ports
	Links    []string
}

func view(t *testing.T, addr string) inventoryView {
	t.Helper()
	fp, err := fleetfile.Decode(strings.NewReader(mustRun(t, addr, "export")), "export.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f := *fp
	var v inventoryView
	for _, n := range f.Nodes {
		v.Nodes = append(v.Nodes, strings.Join([]string{n.Hostname, string(n.State), n.Serial, n.Vendor, n.Model, n.Rack}, " "))
		for _, g := range n.GPUs {
			v.GPUs = append(v.GPUs, fmt.Sprintf("%s/%d %s %s", n.Hostname, g.Index, g.Serial, g.Model))
		}
		for _, c := range n.NICs {
			var ports []string
			for _, p := range c.Ports {
				ports = append(ports, p.Name+"="+p.MAC+p.GUID)
			}
			v.NICs = append(v.NICs, fmt.Sprintf("%s/%s %s %s", n.Hostname, c.Name, c.Kind, strings.Join(ports, ",")))
		}
	}
	for _, s := range f.Switches {
		v.Switches = append(v.Switches, fmt.Sprintf("%s %s %s %s ports=%d", s.Name, s.Vendor, s.Model, s.Serial, len(s.Ports)))
	}
	for _, l := range f.Links {
		v.Links = append(v.Links, l.Key())
	}
	slices.Sort(v.Links)
	return v
}

func discoverRun(t *testing.T, addr string, s *site) string {
	t.Helper()
	out, errOut, err := run(addr, "discover", "--targets", s.targets, "--insecure", "--target-timeout", "5s",
		"--retries", "0", "--concurrency", "4", "--progress", "always")
	if err != nil {
		t.Fatalf("discover: %v\n%s\n%s", err, out, errOut)
	}
	if !strings.Contains(errOut, "8/8") {
		t.Errorf("no progress bar on stderr:\n%s", errOut)
	}
	return out
}

// TestDiscoverSimulatedSite: an empty inventory discovers the site
// exactly; a second run changes nothing; after a GPU is swapped and a
// cable moved, a third run records exactly those two changes.
func TestDiscoverSimulatedSite(t *testing.T) {
	s := startSite(t)
	addr := serve(t, "--db", filepath.Join(t.TempDir(), "r.db"))

	out := discoverRun(t, addr, s)
	if !strings.HasPrefix(out, "targets 8: found 6, changed ") || !strings.Contains(out, "unreachable 1, failed 1") {
		t.Errorf("first run summary:\n%s", out)
	}
	if !strings.Contains(out, "unauthorized ") || !strings.Contains(out, "unreachable  ipmi://127.0.0.1:") {
		t.Errorf("failures not listed with reasons:\n%s", out)
	}
	if strings.Contains(out, "not-the-password") {
		t.Errorf("a password was printed:\n%s", out)
	}

	hgxGPU := func(i int, serial string) string {
		return fmt.Sprintf("gpu-001/%d %s NVIDIA H100 80GB HBM3", i, serial)
	}
	serials := []string{"1654922045871", "1654922045906", "1654922046012", "1654922046135", "1654922046208", "1654922046377", "1654922046419", "1654922046560"}
	want := inventoryView{
		Nodes: []string{
			"gpu-001 discovered 1660223000153 NVIDIA DGXH100 discovered",
			"gpu-002 discovered 437XR1238R2 Contoso 3500 discovered",
			"gpu-003 discovered SRV-0003 Supermicro AS-4125GS discovered",
			"gpu-004 discovered SRV-0004 Supermicro AS-4125GS discovered",
		},
		NICs: []string{
			"gpu-001/NIC_0 infiniband NIC_0/Port_0=0xa088c20300b12c3e",
			"gpu-001/NIC_1 ethernet NIC_1/Port_0=" + hgxMAC0 + ",NIC_1/Port_1=" + hgxMAC1,
			"gpu-002/NIC1 ethernet NIC1/1=" + towerMAC0 + ",NIC1/2=00:0c:29:9a:98:ef",
		},
		Switches: []string{
			"leaf-1 Linux   ports=6", // swp1-4, lo and mgmt0 from IF-MIB; net-snmp has no ENTITY-MIB model or serial
			"leaf-2 Arista DCS-7060X5-64S JPE22440001 ports=3",
		},
		Links: []string{
			"gpu-001:NIC_1/Port_0~leaf-1:swp1",
			"gpu-001:NIC_1/Port_1~leaf-2:Ethernet1",
			"gpu-002:NIC1/1~leaf-1:swp2",
			"leaf-1:swp4~leaf-2:Ethernet49/1",
		},
	}
	for i, sn := range serials {
		want.GPUs = append(want.GPUs, hgxGPU(i, sn))
	}
	want.GPUs = append(want.GPUs, "gpu-002/0  Nvidia(R) TU102", "gpu-002/1  Nvidia(R) TU102")
	got := view(t, addr)
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("inventory after the first run (-want +got):\n%s", d)
	}

	// Second run: nothing changed out there, nothing changes here.
	out = discoverRun(t, addr, s)
	if !strings.HasPrefix(out, "targets 8: found 6, changed 0,") {
		t.Errorf("second run:\n%s", out)
	}
	if d := cmp.Diff(want, view(t, addr)); d != "" {
		t.Errorf("inventory changed on the second run (-want +got):\n%s", d)
	}

	// A technician swaps GPU 0 of gpu-001 and moves its cable on leaf-1
	// from swp1 to swp3.
	if err := s.hgx.Patch("/redfish/v1/Systems/HGX_Baseboard_0/Processors/GPU_SXM_1", map[string]any{"SerialNumber": "1654922099999"}); err != nil {
		t.Fatal(err)
	}
	s.lab.Recable(t,
		snmptest.Cable{A: snmptest.End{Node: "leaf-1", Port: "swp1"}, B: snmptest.End{Node: "gpu-001", Port: "eth0"}},
		snmptest.Cable{A: snmptest.End{Node: "leaf-1", Port: "swp3"}, B: snmptest.End{Node: "gpu-001", Port: "eth0"}})

	out = discoverRun(t, addr, s)
	if !strings.HasPrefix(out, "targets 8: found 6, changed 2,") {
		t.Errorf("third run:\n%s", out)
	}
	var changes []string
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) == 4 && (f[0] == "create" || f[0] == "update" || f[0] == "delete") {
			changes = append(changes, strings.Join(f, " "))
		}
	}
	wantChanges := []string{
		"update link gpu-001:NIC_1/Port_0~leaf-1:swp3 discovery:snmp",
		"update gpu gpu-001/0 discovery:redfish",
	}
	if d := cmp.Diff(wantChanges, changes); d != "" {
		t.Errorf("third run's changes (-want +got):\n%s\n%s", d, out)
	}
	want.GPUs[0] = hgxGPU(0, "1654922099999")
	want.Links[0] = "gpu-001:NIC_1/Port_0~leaf-1:swp3"
	slices.Sort(want.Links)
	if d := cmp.Diff(want, view(t, addr)); d != "" {
		t.Errorf("inventory after the third run (-want +got):\n%s", d)
	}
	hist := mustRun(t, addr, "describe", "node", "gpu-001")
	if !strings.Contains(hist, "discovery:redfish") || !strings.Contains(hist, "discovery:snmp") {
		t.Errorf("gpu-001's history does not show the discovery changes:\n%s", hist)
	}
}

// TestServerDiscoversOnInterval: a server given a targets file discovers
// on its own schedule, and keeps the node's credential reference (never
// the secret).
func TestServerDiscoversOnInterval(t *testing.T) {
	hgx := redfishtest.New("../../internal/discovery/redfish/testdata/hgx")
	t.Cleanup(hgx.Close)
	c := hgx.Credentials()
	t.Setenv("RAILYARD_TEST_BMC", c.Username+":"+c.Password)
	targets := filepath.Join(t.TempDir(), "t.targets")
	os.WriteFile(targets, []byte(hgx.TargetURL()+" hostname=gpu-100 insecure=true\n"), 0o644)
	addr := serve(t, "--db", filepath.Join(t.TempDir(), "r.db"), "--discover-interval", "500ms",
		"--discover-targets", targets, "--discover-credential", "env:RAILYARD_TEST_BMC")
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, _, err := run(addr, "describe", "node", "gpu-100")
		if err == nil {
			if !strings.Contains(out, "env:RAILYARD_TEST_BMC") || strings.Contains(out, c.Password) {
				t.Errorf("credential shown wrongly:\n%s", out)
			}
			if !strings.Contains(out, "discovered") {
				t.Errorf("node not in state discovered:\n%s", out)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not discover gpu-100 within 30s: %v", err)
		}
		time.Sleep(300 * time.Millisecond)
	}
	if gpus := mustRun(t, addr, "get", "gpus", "--node", "gpu-100"); strings.Count(gpus, "H100") != 8 {
		t.Errorf("gpus of gpu-100:\n%s", gpus)
	}
}

// TestAgentWithoutNVML: on a host without the NVIDIA driver the agent says
// so and exits non-zero.
func TestAgentWithoutNVML(t *testing.T) {
	_, errOut, err := run("127.0.0.1:1", "agent", "--once")
	if err == nil || !strings.Contains(errOut, "NVML is not available on this host") {
		t.Errorf("agent without NVML: err %v, stderr %q", err, errOut)
	}
}
