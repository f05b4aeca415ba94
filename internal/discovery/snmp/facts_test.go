package snmp_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gosnmp/gosnmp"

	"github.com/railyard/railyard/internal/discovery"
	"github.com/railyard/railyard/internal/discovery/snmp"
	"github.com/railyard/railyard/internal/model"
)

// Helpers to write variable lists compactly.
func str(oid, s string) snmp.Var {
	return snmp.Var{OID: oid, Type: gosnmp.OctetString, Value: []byte(s)}
}
func raw(oid string, b ...byte) snmp.Var {
	return snmp.Var{OID: oid, Type: gosnmp.OctetString, Value: b}
}
func num(oid string, n int) snmp.Var { return snmp.Var{OID: oid, Type: gosnmp.Integer, Value: n} }
func gauge(oid string, n uint) snmp.Var {
	return snmp.Var{OID: oid, Type: gosnmp.Gauge32, Value: n}
}
func objid(oid, v string) snmp.Var {
	return snmp.Var{OID: oid, Type: gosnmp.ObjectIdentifier, Value: v}
}

const (
	sysDescr    = ".1.3.6.1.2.1.1.1.0"
	sysObjectID = ".1.3.6.1.2.1.1.2.0"
	sysName     = ".1.3.6.1.2.1.1.5.0"
	ifDescr     = ".1.3.6.1.2.1.2.2.1.2."
	ifSpeed     = ".1.3.6.1.2.1.2.2.1.5."
	ifPhys      = ".1.3.6.1.2.1.2.2.1.6."
	ifOper      = ".1.3.6.1.2.1.2.2.1.8."
	ifName      = ".1.3.6.1.2.1.31.1.1.1.1."
	ifHigh      = ".1.3.6.1.2.1.31.1.1.1.15."
	ifAlias     = ".1.3.6.1.2.1.31.1.1.1.18."
	entClass    = ".1.3.6.1.2.1.47.1.1.1.1.5."
	entSwRev    = ".1.3.6.1.2.1.47.1.1.1.1.10."
	entSerial   = ".1.3.6.1.2.1.47.1.1.1.1.11."
	entMfg      = ".1.3.6.1.2.1.47.1.1.1.1.12."
	entModel    = ".1.3.6.1.2.1.47.1.1.1.1.13."
	basePort    = ".1.3.6.1.2.1.17.1.4.1.2."
	locCIDType  = ".1.0.8802.1.1.2.1.3.1.0"
	locCID      = ".1.0.8802.1.1.2.1.3.2.0"
	locPortType = ".1.0.8802.1.1.2.1.3.7.1.2."
	locPortID   = ".1.0.8802.1.1.2.1.3.7.1.3."
	locPortDesc = ".1.0.8802.1.1.2.1.3.7.1.4."
	rem         = ".1.0.8802.1.1.2.1.4.1.1."
)

// iface is an IF-MIB row.
func iface(idx, name string, highMbps uint, up bool, mac ...byte) []snmp.Var {
	oper := 2
	if up {
		oper = 1
	}
	return []snmp.Var{
		str(ifDescr+idx, name), raw(ifPhys+idx, mac...), num(ifOper+idx, oper),
		str(ifName+idx, name), gauge(ifHigh+idx, highMbps),
	}
}

// remote is an lldpRemTable row at timeMark 0.
func remote(port, index string, cidType int, cid []byte, pidType int, pid []byte, desc, name string) []snmp.Var {
	ix := "0." + port + "." + index
	return []snmp.Var{
		num(rem+"4."+ix, cidType), raw(rem+"5."+ix, cid...),
		num(rem+"6."+ix, pidType), raw(rem+"7."+ix, pid...),
		str(rem+"8."+ix, desc), str(rem+"9."+ix, name),
	}
}

func cat(parts ...[]snmp.Var) []snmp.Var { return slices.Concat(parts...) }

var (
	macA = []byte{0x00, 0x1c, 0x73, 0xaa, 0xbb, 0x01}
	macB = []byte{0x0c, 0x42, 0xa1, 0x00, 0x00, 0x02}
)

// An Arista-like switch whose LLDP port numbers are not its ifIndexes:
// lldpLocPortTable names the ports (subtype interfaceName).
func TestFactsLocPortTable(t *testing.T) {
	vars := cat(
		[]snmp.Var{
			str(sysDescr, "Arista Networks EOS version 4.28.3M running on an Arista Networks DCS-7050SX3-48YC8"),
			objid(sysObjectID, ".1.3.6.1.4.1.30065.1.3011.7050.3741.48"),
			str(sysName, "leaf-1"),
			num(entClass+"1", 3), str(entSerial+"1", "JPE12345678"), str(entMfg+"1", "Arista Networks"),
			str(entModel+"1", "DCS-7050SX3-48YC8"), str(entSwRev+"1", "4.28.3M"),
			num(locCIDType, 4), raw(locCID, 0x00, 0x1c, 0x73, 0x00, 0x00, 0x99),
			num(locPortType+"1", 5), str(locPortID+"1", "Ethernet1"), str(locPortDesc+"1", "to gpu-001"),
			num(locPortType+"2", 5), str(locPortID+"2", "Ethernet2"), str(locPortDesc+"2", ""),
		},
		iface("1001", "Ethernet1", 25000, true, 0x00, 0x1c, 0x73, 0x00, 0x00, 0x01),
		iface("1002", "Ethernet2", 100000, true, 0x00, 0x1c, 0x73, 0x00, 0x00, 0x02),
		iface("999999", "Management1", 1000, true, 0x00, 0x1c, 0x73, 0x00, 0x00, 0x98),
		remote("1", "7", 4, macB, 3, macB, "eth0", "gpu-001"),
		remote("2", "3", 4, macA, 5, []byte("Ethernet49/1"), "spine uplink", "spine-1.example.net"),
	)
	got, err := snmp.Facts(vars)
	if err != nil {
		t.Fatal(err)
	}
	want := model.SwitchFacts{
		Name: "leaf-1", ChassisID: "00:1c:73:00:00:99", Vendor: "Arista Networks", Model: "DCS-7050SX3-48YC8",
		OS: "EOS", Version: "4.28.3M", Serial: "JPE12345678",
		Description: "Arista Networks EOS version 4.28.3M running on an Arista Networks DCS-7050SX3-48YC8",
		Ports: []model.PortFacts{
			{Name: "Ethernet1", SpeedGbps: 25, Up: true, MAC: "00:1c:73:00:00:01"},
			{Name: "Ethernet2", SpeedGbps: 100, Up: true, MAC: "00:1c:73:00:00:02"},
			{Name: "Management1", SpeedGbps: 1, Up: true, MAC: "00:1c:73:00:00:98"},
		},
		Neighbors: []model.LLDPNeighbor{
			{LocalPort: "Ethernet1", ChassisID: "0c:42:a1:00:00:02", PortID: "0c:42:a1:00:00:02", PortIDIsMAC: true, PortDesc: "eth0", SysName: "gpu-001"},
			{LocalPort: "Ethernet2", ChassisID: "00:1c:73:aa:bb:01", PortID: "Ethernet49/1", PortDesc: "spine uplink", SysName: "spine-1.example.net"},
		},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("facts (-want +got):\n%s", d)
	}
}

func TestFactsLocalPortResolution(t *testing.T) {
	base := cat(
		iface("10", "ge-0/0/0", 10000, true),
		iface("11", "ge-0/0/1", 10000, true),
		[]snmp.Var{str(ifAlias+"11", "rack r07 uplink"), str(ifDescr+"11", "xe-0/0/1 descr")},
		iface("692", "xe-0/0/2", 10000, true, 0x02, 0, 0, 0, 0, 0x92),
	)
	nb := remote("687", "1", 4, macA, 5, []byte("Ethernet1"), "", "peer")
	tests := []struct {
		name    string
		vars    []snmp.Var
		want    string
		missing []string
	}{
		{
			// Juniper EX: lldpRemLocalPortNum 687 is a bridge port whose
			// dot1dBasePortIfIndex is 692.
			name: "bridge port",
			vars: []snmp.Var{num(basePort+"687", 692), num(basePort+"10", 10)},
			want: "xe-0/0/2",
		},
		{
			name: "lldpLocPortId over bridge",
			vars: []snmp.Var{num(basePort+"687", 692), num(locPortType+"687", 5), str(locPortID+"687", "ge-0/0/0")},
			want: "ge-0/0/0",
		},
		{
			name: "lldpLocPortDesc matches ifAlias",
			vars: []snmp.Var{num(locPortType+"687", 7), str(locPortID+"687", "17"), str(locPortDesc+"687", "rack r07 uplink")},
			want: "ge-0/0/1",
		},
		{
			name: "lldpLocPortId matches ifDescr",
			vars: []snmp.Var{num(locPortType+"687", 1), str(locPortID+"687", "xe-0/0/1 descr")},
			want: "ge-0/0/1",
		},
		{
			name: "unique MAC",
			vars: []snmp.Var{num(locPortType+"687", 3), raw(locPortID+"687", 0x02, 0, 0, 0, 0, 0x92)},
			want: "xe-0/0/2",
		},
		{
			// No lldpLocPortTable row, no BRIDGE-MIB, and 687 is no
			// ifIndex either.
			name:    "no ifIndex 687",
			vars:    nil,
			want:    "",
			missing: []string{"neighbors/0/local_port"},
		},
		{
			name: "LLDP's own name when nothing matches",
			vars: []snmp.Var{num(basePort+"1", 10), num(locPortType+"687", 7), str(locPortID+"687", "port 687"), str(locPortDesc+"687", "")},
			want: "port 687",
		},
		{
			name:    "unresolvable",
			vars:    []snmp.Var{num(basePort+"1", 10)},
			missing: []string{"neighbors/0/local_port"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := snmp.Facts(cat(base, nb, tc.vars))
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Neighbors) != 1 {
				t.Fatalf("neighbours = %v", f.Neighbors)
			}
			if f.Neighbors[0].LocalPort != tc.want {
				t.Errorf("LocalPort = %q, want %q", f.Neighbors[0].LocalPort, tc.want)
			}
			var extra []string
			for _, m := range f.Missing {
				if strings.HasPrefix(m, "neighbors/") {
					extra = append(extra, m)
				}
			}
			if d := cmp.Diff(tc.missing, extra); d != "" {
				t.Errorf("neighbour Missing (-want +got):\n%s", d)
			}
		})
	}
	// The identity case with a matching ifIndex.
	f, err := snmp.Facts(cat(base, remote("692", "1", 4, macA, 5, []byte("x"), "", "")))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Neighbors[0].LocalPort; got != "xe-0/0/2" {
		t.Errorf("identity: LocalPort = %q, want xe-0/0/2", got)
	}
}

func TestFactsRemoteIDs(t *testing.T) {
	tests := []struct {
		name                 string
		cidType              int
		cid                  []byte
		pidType              int
		pid                  []byte
		wantCID, wantPID     string
		wantMAC              bool
		wantDesc, wantSysNam string
	}{
		{"mac/mac", 4, macA, 3, macB, "00:1c:73:aa:bb:01", "0c:42:a1:00:00:02", true, "d", "n"},
		{"mac as text", 4, []byte("00:1C:73:AA:BB:01"), 3, []byte("0c-42-a1-00-00-02"), "00:1c:73:aa:bb:01", "0c:42:a1:00:00:02", true, "d", "n"},
		{"cisco dotted mac", 4, []byte("001c.73aa.bb01"), 3, []byte("0c42.a100.0002"), "00:1c:73:aa:bb:01", "0c:42:a1:00:00:02", true, "d", "n"},
		{"short mac", 4, []byte{1, 2, 3}, 3, []byte{1, 2, 3, 4, 5}, "01:02:03", "01:02:03:04:05", false, "d", "n"},
		{"ipv4 network address", 5, []byte{1, 10, 0, 1, 1}, 4, []byte{1, 192, 0, 2, 7}, "10.0.1.1", "192.0.2.7", false, "d", "n"},
		{"ipv6 network address", 5, append([]byte{2}, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), 7, []byte("17"), "2001:db8::1", "17", false, "d", "n"},
		{"names", 7, []byte("spine-1\x00"), 5, []byte(" swp51 "), "spine-1", "swp51", false, "d", "n"},
		{"binary local", 1, []byte{0xff, 0x00, 0x10}, 2, []byte{0x80}, "ff:00:10", "80", false, "d", "n"},
		{"interface alias", 2, []byte("chassis"), 1, []byte("uplink to spine"), "chassis", "uplink to spine", false, "d", "n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := snmp.Facts(cat(iface("1", "swp1", 100000, true),
				remote("1", "1", tc.cidType, tc.cid, tc.pidType, tc.pid, tc.wantDesc, tc.wantSysNam)))
			if err != nil {
				t.Fatal(err)
			}
			want := []model.LLDPNeighbor{{LocalPort: "swp1", ChassisID: tc.wantCID, PortID: tc.wantPID,
				PortIDIsMAC: tc.wantMAC, PortDesc: tc.wantDesc, SysName: tc.wantSysNam}}
			if d := cmp.Diff(want, f.Neighbors); d != "" {
				t.Errorf("neighbours (-want +got):\n%s", d)
			}
		})
	}
}

func TestFactsTimeMarks(t *testing.T) {
	// The same neighbour under two time marks, listed oldest last: the
	// newest copy wins, and the old one leaves no trace.
	vars := cat(iface("1", "swp1", 100000, true),
		[]snmp.Var{
			num(rem+"4.500.1.1", 4), raw(rem+"5.500.1.1", macB...), str(rem+"9.500.1.1", "new-name"),
			num(rem+"4.100.1.1", 4), raw(rem+"5.100.1.1", macA...), str(rem+"9.100.1.1", "old-name"), str(rem+"8.100.1.1", "old-desc"),
		})
	f, err := snmp.Facts(vars)
	if err != nil {
		t.Fatal(err)
	}
	want := []model.LLDPNeighbor{{LocalPort: "swp1", ChassisID: "0c:42:a1:00:00:02", SysName: "new-name"}}
	if d := cmp.Diff(want, f.Neighbors); d != "" {
		t.Errorf("neighbours (-want +got):\n%s", d)
	}
}

func TestFactsEntityAndVendor(t *testing.T) {
	tests := []struct {
		name                          string
		vars                          []snmp.Var
		vendor, model, serial, versio string
	}{
		{
			name: "chassis wins over a module with a serial",
			vars: []snmp.Var{
				num(entClass+"1", 9), str(entSerial+"1", "MODULE-SN"), str(entModel+"1", "module"),
				num(entClass+"2", 3), str(entSerial+"2", "CHASSIS-SN"), str(entModel+"2", "MSN4700"), str(entMfg+"2", "Mellanox"),
				objid(sysObjectID, ".1.3.6.1.4.1.33049.12"),
			},
			vendor: "Mellanox", model: "MSN4700", serial: "CHASSIS-SN",
		},
		{
			name: "no chassis: first with a serial; vendor from sysObjectID",
			vars: []snmp.Var{
				num(entClass+"1", 11), str(entSerial+"1", ""),
				num(entClass+"5", 9), str(entSerial+"5", "SN5"), str(entModel+"5", "QFX5120-48Y"), str(entSwRev+"5", "21.4R3"),
				objid(sysObjectID, "1.3.6.1.4.1.2636.1.1.1.2.82"),
			},
			vendor: "Juniper", model: "QFX5120-48Y", serial: "SN5", versio: "21.4R3",
		},
		{name: "NVIDIA", vars: []snmp.Var{objid(sysObjectID, ".1.3.6.1.4.1.33049.2.1")}, vendor: "NVIDIA"},
		{name: "Dell", vars: []snmp.Var{objid(sysObjectID, ".1.3.6.1.4.1.674.11000.5000.100.2.1.7")}, vendor: "Dell"},
		{name: "Cisco", vars: []snmp.Var{objid(sysObjectID, ".1.3.6.1.4.1.9.1.516")}, vendor: "Cisco"},
		{name: "Arista", vars: []snmp.Var{objid(sysObjectID, ".1.3.6.1.4.1.30065.1.3011")}, vendor: "Arista"},
		{name: "net-snmp", vars: []snmp.Var{objid(sysObjectID, ".1.3.6.1.4.1.8072.3.2.10")}, vendor: "Linux"},
		{name: "unknown enterprise", vars: []snmp.Var{objid(sysObjectID, ".1.3.6.1.4.1.99999.1")}},
		{name: "not an enterprise", vars: []snmp.Var{objid(sysObjectID, ".1.3.6.1.2.1.1")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := snmp.Facts(tc.vars)
			if err != nil {
				t.Fatal(err)
			}
			got := []string{f.Vendor, f.Model, f.Serial, f.Version}
			if d := cmp.Diff([]string{tc.vendor, tc.model, tc.serial, tc.versio}, got); d != "" {
				t.Errorf("vendor, model, serial, version (-want +got):\n%s", d)
			}
		})
	}
}

func TestParseSysDescr(t *testing.T) {
	tests := []struct{ descr, os, version string }{
		{"Cisco IOS Software, C3750 Software (C3750-IPSERVICESK9-M), Version 12.2(55)SE10, RELEASE SOFTWARE (fc2)", "IOS", "12.2(55)SE10"},
		{"Cisco IOS Software [Cupertino], Catalyst L3 Switch Software (CAT9K_IOSXE), Version 17.9.3, RELEASE SOFTWARE (fc6)", "IOS-XE", "17.9.3"},
		{"Cisco NX-OS(tm) n9000, Software (n9000-dk9), Version 9.3(8), RELEASE SOFTWARE Copyright (c) 2002-2021", "NX-OS", "9.3(8)"},
		{"Cisco IOS XR Software (Cisco ASR9K Series),  Version 6.4.2[Default]", "IOS-XR", "6.4.2"},
		{"Arista Networks EOS version 4.28.3M running on an Arista Networks DCS-7050SX3-48YC8", "EOS", "4.28.3M"},
		{"Juniper Networks, Inc. qfx5100-48s-6q Ethernet Switch, kernel JUNOS 18.4R2-S5.4, Build date: 2020-08-19", "Junos", "18.4R2-S5.4"},
		{"Cumulus Linux version 5.4.0 running on Mellanox Technologies Ltd. MSN3700", "Cumulus Linux", "5.4.0"},
		{"SONiC Software Version: SONiC.4.0.1-Enterprise_Base - HwSku: Mellanox-SN4700 - Distribution: Debian 11.6", "SONiC", "4.0.1-Enterprise_Base"},
		{"Mellanox MSN2700,Onyx,SWv3.9.3124", "Onyx", "3.9.3124"},
		{"Dell EMC Networking OS10 Enterprise.\r\nCopyright (c) 1999-2021 by Dell Inc.\r\nOS Version: 10.5.2.2.\r\nSystem Type: S5248F-ON", "OS10", "10.5.2.2"},
		{"Linux sw1 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 x86_64", "Linux", "6.1.0-18-amd64"},
		{"ProCurve J9280A Switch 2510G-48", "", ""},
		{"", "", ""},
	}
	for _, tc := range tests {
		os, v := snmp.ParseSysDescr(tc.descr)
		if os != tc.os || v != tc.version {
			t.Errorf("ParseSysDescr(%q) = %q, %q; want %q, %q", tc.descr, os, v, tc.os, tc.version)
		}
	}
}

func TestFactsMissing(t *testing.T) {
	f, err := snmp.Facts(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := model.SwitchFacts{Missing: []string{"name", "description", "vendor", "model", "serial", "os", "version", "chassis_id", "ports", "neighbors"}}
	if d := cmp.Diff(want, f); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	// noSuchObject and friends count as absent; an LLDP-MIB with an empty
	// remote table is an empty neighbour list, not a missing one.
	f, err = snmp.Facts([]snmp.Var{
		{OID: sysName, Type: gosnmp.NoSuchObject},
		{OID: sysDescr, Type: gosnmp.NoSuchInstance},
		{OID: ifName + "1", Type: gosnmp.EndOfMibView},
		num(locCIDType, 7), str(locCID, "leaf-7"),
		str(ifName+"1", "swp1"),
		{OID: ifSpeed + "1", Type: gosnmp.Gauge32, Value: uint(4294967295)}, // saturated: unknown
	})
	if err != nil {
		t.Fatal(err)
	}
	want = model.SwitchFacts{
		ChassisID: "leaf-7",
		Ports:     []model.PortFacts{{Name: "swp1"}},
		Missing:   []string{"name", "description", "vendor", "model", "serial", "os", "version"},
	}
	if d := cmp.Diff(want, f); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestFactsMalformed(t *testing.T) {
	tests := []struct {
		name string
		v    snmp.Var
	}{
		{"string for ifOperStatus", str(ifOper+"1", "up")},
		{"ifOperStatus out of range", num(ifOper+"1", 9)},
		{"negative ifHighSpeed", num(ifHigh+"1", -1)},
		{"ifTable index of two arcs", num(ifOper+"1.2", 1)},
		{"ifTable without index", num(".1.3.6.1.2.1.2.2.1.8", 1)},
		{"lldpRemTable index of two arcs", str(rem+"9.0.1", "x")},
		{"chassis id subtype 0", num(rem+"4.0.1.1", 0)},
		{"port id subtype 8", num(rem+"6.0.1.1", 8)},
		{"local chassis subtype 99", num(locCIDType, 99)},
		{"sysObjectID as string", str(sysObjectID, "1.3.6.1.4.1.9")},
		{"integer for sysName", num(sysName, 5)},
		{"not an OID", str("1.3.6.x", "a")},
		{"arc beyond 32 bits", str(ifName+"4294967296", "a")},
		{"entPhysicalClass 0", num(entClass+"1", 0)},
		{"dot1dBasePortIfIndex string", str(basePort+"1", "1")},
		{"counter64 too large", snmp.Var{OID: ifHigh + "1", Type: gosnmp.Counter64, Value: uint64(1) << 63}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := snmp.Facts([]snmp.Var{str(sysName, "ok"), tc.v})
			if kindOf(err) != discovery.Malformed {
				t.Fatalf("err = %v, want malformed", err)
			}
			if !strings.Contains(err.Error(), strings.TrimPrefix(tc.v.OID, ".")) {
				t.Errorf("error %q does not name the OID", err)
			}
		})
	}
}

func TestDecodeMAC(t *testing.T) {
	for in, want := range map[string]string{
		"\x00\x1c\x73\xaa\xbb\x01": "00:1c:73:aa:bb:01",
		"00:1C:73:AA:BB:01":        "00:1c:73:aa:bb:01",
		"00-1c-73-aa-bb-01":        "00:1c:73:aa:bb:01",
		"001c.73aa.bb01":           "00:1c:73:aa:bb:01",
		"001c73aabb01":             "00:1c:73:aa:bb:01",
		"00:1c-73:aa:bb:01":        "",
		"00:1c:73:aa:bb:0g":        "",
		"001c:73aa:bb01":           "",
		"\x01\x02":                 "",
	} {
		got, ok := snmp.DecodeMAC([]byte(in))
		if got != want || ok != (want != "") {
			t.Errorf("DecodeMAC(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}
