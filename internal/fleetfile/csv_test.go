package fleetfile_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/railyard/railyard/internal/fleetfile"
	"github.com/railyard/railyard/internal/model"
)

// gpus returns n declared GPUs as DecodeCSV makes them.
func gpus(n int, gpuModel string, mem int, domain string) []model.GPU {
	gs := make([]model.GPU, n)
	for i := range gs {
		gs[i] = model.GPU{Index: i, Model: gpuModel, MemoryMiB: mem, NVLinkDomain: domain, NUMANode: i * 2 / n, Health: model.GPUHealthy}
	}
	return gs
}

func topology(site, pod, ld string, racks ...string) model.Site {
	l := model.LeafDomain{Name: ld}
	for _, r := range racks {
		l.Racks = append(l.Racks, model.Rack{Name: r})
	}
	return model.Site{Name: site, Pods: []model.Pod{{Name: pod, LeafDomains: []model.LeafDomain{l}}}}
}

func link(a, ap, b, bp string) model.Link {
	return model.Link{A: model.Endpoint{Device: a, Port: ap}, B: model.Endpoint{Device: b, Port: bp}, Provenance: model.Declared}
}

const smallCSV = `hostname,rack,site,model,gpu_count,state,nic0_name,nic0_guid,nic0_rail,nic0_switch,nic0_switch_port,nic0_speed_gbps,nic1_port,nic1_mac,nic1_role,nic1_switch,nic1_switch_port
gpu01,c2-r1,colo2,HGX H100 8-GPU,,,ib0,0c42:a103:00ab:0001,1,c2-leaf1,1,400,eth0,AA-BB-CC-00-00-01,storage,c2-stor1,Ethernet1
gpu02 , c2-r1,colo2,HGX H100 8-GPU,8,maintenance,ib0,0x0c42a10300ab0002,1,c2-leaf1,2,400,eth0,aabb.cc00.0002,storage,,
`

func smallCSVFleet() *model.Fleet {
	const h100 = "H100-SXM5-80GB"
	node := func(host, guid, mac string, state model.NodeState) model.Node {
		return model.Node{
			Hostname: host, Rack: "c2-r1", Model: "HGX H100 8-GPU", State: state, Provenance: model.Declared,
			GPUs: gpus(8, h100, 81559, host+"-nvl"),
			NICs: []model.NIC{
				{Name: "eth0", Kind: model.Ethernet, Role: model.RoleStorage,
					Ports: []model.NICPort{{Name: "eth0", MAC: mac}}},
				{Name: "ib0", Kind: model.InfiniBand, Role: model.RoleCompute, Rail: 1, Fabric: "colo2-compute",
					Ports: []model.NICPort{{Name: "ib0", GUID: guid, SpeedGbps: 400}}},
			},
		}
	}
	n1 := node("gpu01", "0x0c42a10300ab0001", "aa:bb:cc:00:00:01", model.NodeAvailable)
	n1.NICs[0].Fabric = "colo2-storage"
	return &model.Fleet{
		Sites: []model.Site{topology("colo2", "colo2-pod1", "colo2-ld1", "c2-r1")},
		Fabrics: []model.Fabric{
			{Name: "colo2-compute", Site: "colo2", Kind: model.InfiniBand, Role: model.RoleCompute},
			{Name: "colo2-storage", Site: "colo2", Kind: model.Ethernet, Role: model.RoleStorage},
		},
		NVLinkDomains: []model.NVLinkDomain{
			{Name: "gpu01-nvl", Rack: "c2-r1", Size: 8},
			{Name: "gpu02-nvl", Rack: "c2-r1", Size: 8},
		},
		Switches: []model.Switch{
			{Name: "c2-leaf1", Role: model.SwitchLeaf, Fabric: "colo2-compute", LeafDomain: "colo2-ld1", Pod: "colo2-pod1",
				Rail: 1, Provenance: model.Declared,
				Ports: []model.SwitchPort{{Name: "1", SpeedGbps: 400}, {Name: "2", SpeedGbps: 400}}},
			{Name: "c2-stor1", Role: model.SwitchLeaf, Fabric: "colo2-storage", LeafDomain: "colo2-ld1", Pod: "colo2-pod1",
				Provenance: model.Declared, Ports: []model.SwitchPort{{Name: "Ethernet1"}}},
		},
		Nodes: []model.Node{n1, node("gpu02", "0x0c42a10300ab0002", "aa:bb:cc:00:00:02", model.NodeMaintenance)},
		Links: []model.Link{
			link("c2-leaf1", "1", "gpu01", "ib0"),
			link("c2-leaf1", "2", "gpu02", "ib0"),
			link("c2-stor1", "Ethernet1", "gpu01", "eth0"),
		},
	}
}

var csvTests = []struct {
	name   string
	in     string
	want   *model.Fleet // if err is empty
	err    string
	errIs  error
	prefix bool // err is a prefix of the message
}{
	{name: "small", in: smallCSV, want: smallCSVFleet()},
	{
		name: "defaults",
		in:   "Hostname,Rack\nn1,r1\n\n,\n",
		want: &model.Fleet{
			Sites: []model.Site{topology("default", "default-pod1", "default-ld1", "r1")},
			Nodes: []model.Node{{Hostname: "n1", Rack: "r1", State: model.NodeAvailable, Provenance: model.Declared}},
		},
	},
	{
		name: "byte-order-mark",
		in:   "\ufeffhostname,rack,pod,leaf_domain,gpu_count,gpu_model,gpu_memory_mib\nn1,r1,p,ld,2,X,\n",
		want: &model.Fleet{
			Sites:         []model.Site{topology("default", "p", "ld", "r1")},
			NVLinkDomains: []model.NVLinkDomain{{Name: "n1-nvl", Rack: "r1", Size: 2}},
			Nodes: []model.Node{{Hostname: "n1", Rack: "r1", State: model.NodeAvailable, Provenance: model.Declared,
				GPUs: gpus(2, "X", 0, "n1-nvl")}},
		},
	},
	{
		name: "nvl72",
		in: "hostname,rack,model,gpu_count\n" +
			"t2,nvl-r1,GB200 NVL72 compute tray,\n" +
			"t1,nvl-r1,GB200 NVL72 compute tray,4\n" +
			"t3,nvl-r2,GB200 NVL72 compute tray,0\n",
		want: &model.Fleet{
			Sites: []model.Site{topology("default", "default-pod1", "default-ld1", "nvl-r1", "nvl-r2")},
			NVLinkDomains: []model.NVLinkDomain{
				{Name: "nvl-r1-nvl", Rack: "nvl-r1", Size: 72},
			},
			Nodes: []model.Node{
				{Hostname: "t1", Rack: "nvl-r1", Model: "GB200 NVL72 compute tray", State: model.NodeAvailable, Provenance: model.Declared,
					GPUs: gpus(4, "GB200-186GB", 189471, "nvl-r1-nvl")},
				{Hostname: "t2", Rack: "nvl-r1", Model: "GB200 NVL72 compute tray", State: model.NodeAvailable, Provenance: model.Declared,
					GPUs: gpus(4, "GB200-186GB", 189471, "nvl-r1-nvl")},
				{Hostname: "t3", Rack: "nvl-r2", Model: "GB200 NVL72 compute tray", State: model.NodeAvailable, Provenance: model.Declared},
			},
		},
	},
	{
		name: "dual-port-nic",
		in: "hostname,rack,leaf_domain,nic0_name,nic0_port,nic0_kind,nic0_role,nic0_fabric,nic0_switch,nic0_switch_port,nic0_speed_gbps,nic1_name,nic1_port,nic1_switch,nic1_switch_port,nic1_speed_gbps\n" +
			"a,r1,ld1,cx0,p0,ethernet,compute,roce,sw1,1,100,cx0,p1,sw1,2,200\n" +
			"b,r2,ld2,cx0,p0,ethernet,compute,roce,sw1,1,400,,,,,\n",
		want: &model.Fleet{
			Sites: []model.Site{{Name: "default", Pods: []model.Pod{{Name: "default-pod1", LeafDomains: []model.LeafDomain{
				{Name: "ld1", Racks: []model.Rack{{Name: "r1"}}},
				{Name: "ld2", Racks: []model.Rack{{Name: "r2"}}},
			}}}}},
			Fabrics: []model.Fabric{{Name: "roce", Site: "default", Kind: model.Ethernet, Role: model.RoleCompute}},
			Switches: []model.Switch{{
				// Its nodes are in two leaf domains, so it is in neither; the
				// port's speed is the fastest NIC's.
				Name: "sw1", Role: model.SwitchLeaf, Fabric: "roce", Pod: "default-pod1", Provenance: model.Declared,
				Ports: []model.SwitchPort{{Name: "1", SpeedGbps: 400}, {Name: "2", SpeedGbps: 200}},
			}},
			Nodes: []model.Node{
				{Hostname: "a", Rack: "r1", State: model.NodeAvailable, Provenance: model.Declared,
					NICs: []model.NIC{{Name: "cx0", Kind: model.Ethernet, Role: model.RoleCompute, Fabric: "roce",
						Ports: []model.NICPort{{Name: "p0", SpeedGbps: 100}, {Name: "p1", SpeedGbps: 200}}}}},
				{Hostname: "b", Rack: "r2", State: model.NodeAvailable, Provenance: model.Declared,
					NICs: []model.NIC{{Name: "cx0", Kind: model.Ethernet, Role: model.RoleCompute, Fabric: "roce",
						Ports: []model.NICPort{{Name: "p0", SpeedGbps: 400}}}}},
			},
			Links: []model.Link{link("a", "p0", "sw1", "1"), link("a", "p1", "sw1", "2"), link("b", "p0", "sw1", "1")},
		},
	},
	{
		name: "port-named-after-group",
		in:   "hostname,rack,nic3_guid\nn1,r1,0x0000000000000003\n",
		want: &model.Fleet{
			Sites: []model.Site{topology("default", "default-pod1", "default-ld1", "r1")},
			Nodes: []model.Node{{Hostname: "n1", Rack: "r1", State: model.NodeAvailable, Provenance: model.Declared,
				NICs: []model.NIC{{Name: "nic3", Kind: model.InfiniBand, Role: model.RoleCompute,
					Ports: []model.NICPort{{Name: "nic3", GUID: "0x0000000000000003"}}}}}},
		},
	},

	// Errors.
	{name: "empty", in: "", err: "sheet.csv:1: missing value: empty file, want a header row", errIs: fleetfile.ErrMissing},
	{
		name: "unknown-column", in: "hostname,rack,colour\n",
		err: "sheet.csv:1: colour: unknown field (want site, pod,", prefix: true, errIs: fleetfile.ErrUnknownField,
	},
	{
		name: "unknown-port-column", in: "hostname,rack,nic0_colour\n",
		err: "sheet.csv:1: nic0_colour: unknown field", prefix: true, errIs: fleetfile.ErrUnknownField,
	},
	{name: "duplicate-column", in: "hostname,rack,Hostname\n", err: "sheet.csv:1: hostname: duplicate column", errIs: fleetfile.ErrDuplicate},
	{name: "duplicate-port-column", in: "hostname,rack,nic1_mac,nic01_mac\n", err: "sheet.csv:1: nic01_mac: duplicate column", errIs: fleetfile.ErrDuplicate},
	{name: "unnamed-column", in: "hostname,rack,\n", err: "sheet.csv:1: missing value: column 3 has no name", errIs: fleetfile.ErrMissing},
	{name: "no-rack-column", in: "hostname\nn1\n", err: "sheet.csv:1: rack: missing value: the header has no rack column", errIs: fleetfile.ErrMissing},
	{name: "no-hostname", in: "hostname,rack\n,r1\n", err: "sheet.csv:2: hostname: missing value: every row needs a hostname", errIs: fleetfile.ErrMissing},
	{name: "no-rack", in: "hostname,rack\nn1,\n", err: "sheet.csv:2: rack: missing value: n1 has no rack", errIs: fleetfile.ErrMissing},
	{
		name: "duplicate-hostname", in: "hostname,rack\nn1,r1\nn2,r1\nn1,r2\n",
		err: "sheet.csv:4: hostname: duplicate hostname n1 (first on line 2)", errIs: fleetfile.ErrDuplicate,
	},
	{
		name: "gpu-count-not-a-number", in: "hostname,rack,gpu_count\nn1,r1,eight\n",
		err: `sheet.csv:2: gpu_count: bad value: "eight" is not a whole number`, errIs: fleetfile.ErrBadValue,
	},
	{
		name: "gpu-count-out-of-range", in: "hostname,rack,gpu_count\nn1,r1,100000\n",
		err: `sheet.csv:2: gpu_count: bad value: 100000 is out of range 0 to 256`, errIs: fleetfile.ErrBadValue,
	},
	{
		name: "gpu-model-missing", in: "hostname,rack,gpu_count\nn1,r1,2\n",
		err: `sheet.csv:2: gpu_model: missing value: n1 has 2 GPUs of no model`, errIs: fleetfile.ErrMissing,
	},
	{
		name: "wrong-field-count", in: "hostname,rack\nn1,r1\nn2,r1,x\n",
		err: "sheet.csv:3: wrong number of fields: got 3, want 2", errIs: csv.ErrFieldCount,
	},
	{
		name: "bare-quote", in: "hostname,rack\nn\"1,r1\n",
		err: `sheet.csv:2: syntax error: bare " in non-quoted-field`, errIs: fleetfile.ErrSyntax,
	},
	{
		name: "bad-state", in: "hostname,rack,state\nn1,r1,up\n",
		err: `sheet.csv:2: state: bad value "up" (want discovered, available, allocated, maintenance, failed or retired)`, errIs: fleetfile.ErrBadValue,
	},
	{
		name: "bad-mac",
		in: "hostname,rack,nic0_mac,nic1_mac,nic2_mac,nic0_role,nic1_role,nic2_role\n" +
			"n1,r1,00:00:00:00:00:01,00:00:00:00:00:02,00:00:00:00:00:03,storage,storage,storage\n" +
			"n2,r1,00:00:00:00:01:01,00:00:00:00:01:02,zz:00:00:00:01:03,storage,storage,storage\n",
		err:   `sheet.csv:3: nic2_mac: bad identifier: MAC "zz:00:00:00:01:03": unexpected character 'z'`,
		errIs: model.ErrBadIdentifier,
	},
	{
		name: "bad-guid", in: "hostname,rack,nic0_guid\nn1,r1,0x1\n",
		err: `sheet.csv:2: nic0_guid: bad identifier: GUID "0x1": want 16 hex digits, got 1`, errIs: model.ErrBadIdentifier,
	},
	{
		name: "bad-rail", in: "hostname,rack,nic0_port,nic0_kind,nic0_rail\nn1,r1,ib0,infiniband,-1\n",
		err: `sheet.csv:2: nic0_rail: bad value: -1 is out of range 0 to 65536`, errIs: fleetfile.ErrBadValue,
	},
	{
		name: "bad-kind", in: "hostname,rack,nic0_port,nic0_kind\nn1,r1,x0,fibre\n",
		err: `sheet.csv:2: nic0_kind: bad value "fibre" (want infiniband or ethernet)`, errIs: fleetfile.ErrBadValue,
	},
	{
		name: "bad-role", in: "hostname,rack,nic0_port,nic0_kind,nic0_role\nn1,r1,x0,ethernet,frontend\n",
		err: `sheet.csv:2: nic0_role: bad value "frontend" (want compute, storage or management)`, errIs: fleetfile.ErrBadValue,
	},
	{
		name: "ethernet-without-role", in: "hostname,rack,nic0_mac\nn1,r1,00:00:00:00:00:01\n",
		err: `sheet.csv:2: nic0_role: missing value: Ethernet NIC nic0 needs a role (compute, storage or management)`, errIs: fleetfile.ErrMissing,
	},
	{
		name: "no-kind", in: "hostname,rack,nic0_port\nn1,r1,x0\n",
		err: `sheet.csv:2: nic0_kind: missing value: NIC x0 has no kind and no MAC or GUID to tell it by`, errIs: fleetfile.ErrMissing,
	},
	{
		name: "empty-port-group", in: "hostname,rack,nic0_port,nic0_speed_gbps\nn1,r1,,100\n",
		err: `sheet.csv:2: nic0_port: missing value: a NIC port needs a name, a MAC or a GUID`, errIs: fleetfile.ErrMissing,
	},
	{
		name: "duplicate-port", in: "hostname,rack,nic0_port,nic0_guid,nic1_port,nic1_guid\nn1,r1,ib0,0x1111111111111111,ib0,0x2222222222222222\n",
		err: `sheet.csv:2: nic1_port: duplicate port ib0 on n1 (also in nic0_port)`, errIs: fleetfile.ErrDuplicate,
	},
	{
		name: "nic-kind-conflict",
		in:   "hostname,rack,nic0_name,nic0_port,nic0_kind,nic1_name,nic1_port,nic1_kind\nn1,r1,cx0,p0,ethernet,cx0,p1,infiniband\n",
		err:  `sheet.csv:2: nic1_kind: conflict: NIC cx0 has kind "ethernet" in nic0_kind, "infiniband" here`, errIs: fleetfile.ErrConflict,
	},
	{
		name: "switch-without-port", in: "hostname,rack,nic0_guid,nic0_switch\nn1,r1,0x1111111111111111,leaf1\n",
		err: `sheet.csv:2: nic0_switch_port: missing value: nic0_switch names a switch but no port`, errIs: fleetfile.ErrMissing,
	},
	{
		name: "port-without-switch", in: "hostname,rack,nic0_guid,nic0_switch_port\nn1,r1,0x1111111111111111,7\n",
		err: `sheet.csv:2: nic0_switch: missing value: nic0_switch_port names a switch port but no switch`, errIs: fleetfile.ErrMissing,
	},
	{
		name: "rack-in-two-leaf-domains", in: "hostname,rack,site,leaf_domain\nn1,r1,s,ld1\nn2,r1,s,\n",
		err: `sheet.csv:3: rack: conflict: rack r1 is in leaf domain ld1 (line 2), not s-ld1`, errIs: fleetfile.ErrConflict,
	},
	{
		name: "pod-in-two-sites", in: "hostname,rack,site,pod,leaf_domain\nn1,r1,s1,p,l1\nn2,r2,s2,p,l2\n",
		err: `sheet.csv:3: pod: conflict: pod p is in site s1 (line 2), not s2`, errIs: fleetfile.ErrConflict,
	},
	{
		name: "switch-on-two-rails",
		in: "hostname,rack,nic0_guid,nic0_rail,nic0_switch,nic0_switch_port\n" +
			"n1,r1,0x1111111111111111,1,leaf1,1\n" +
			"n2,r1,0x2222222222222222,2,leaf1,2\n",
		err:   `sheet.csv:3: nic0_switch: conflict: switch leaf1 serves rail 1 (line 2), but NIC nic0 is on rail 2`,
		errIs: fleetfile.ErrConflict,
	},
	{
		name: "switch-in-two-fabrics",
		in: "hostname,rack,nic0_guid,nic0_fabric,nic0_switch,nic0_switch_port\n" +
			"n1,r1,0x1111111111111111,ib-a,leaf1,1\n" +
			"n2,r1,0x2222222222222222,ib-b,leaf1,2\n",
		err:   `sheet.csv:3: nic0_switch: conflict: switch leaf1 is in fabric ib-a (line 2), but NIC nic0 is in ib-b`,
		errIs: fleetfile.ErrConflict,
	},
	{
		name: "fabric-of-two-kinds",
		in: "hostname,rack,nic0_port,nic0_kind,nic0_role,nic0_fabric\n" +
			"n1,r1,ib0,infiniband,compute,net\n" +
			"n2,r1,eth0,ethernet,compute,net\n",
		err:   `sheet.csv:3: nic0_fabric: conflict: fabric net is infiniband compute in site default (line 2), not ethernet compute in site default`,
		errIs: fleetfile.ErrConflict,
	},
	{
		name: "switch-named-like-a-node",
		in: "hostname,rack,nic0_guid,nic0_switch,nic0_switch_port\n" +
			"n1,r1,0x1111111111111111,n2,1\n" +
			"n2,r1,,,\n",
		err:   `sheet.csv:2: nic0_switch: conflict: switch n2 has the hostname of the node on line 3`,
		errIs: fleetfile.ErrConflict,
	},
	{
		name: "nvlink-domain-clash",
		in: "hostname,rack,model\n" +
			"a,b,DGX H100\n" +
			"c,a,GB200 NVL72 compute tray\n",
		err:   `sheet.csv:3: gpu_count: conflict: NVLink domain a-nvl is rack b's (size 8) on line 2, not rack a's (size 72)`,
		errIs: fleetfile.ErrConflict,
	},
}

func TestDecodeCSV(t *testing.T) {
	for _, tt := range csvTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := fleetfile.DecodeCSV(strings.NewReader(tt.in), "sheet.csv")
			if tt.err != "" {
				if err == nil {
					t.Fatalf("DecodeCSV succeeded, want error %q", tt.err)
				}
				if msg := err.Error(); msg != tt.err && !(tt.prefix && strings.HasPrefix(msg, tt.err)) {
					t.Errorf("error:\n got %s\nwant %s", err, tt.err)
				}
				if !errors.Is(err, tt.errIs) {
					t.Errorf("error %q does not wrap %v", err, tt.errIs)
				}
				return
			}
			if err != nil {
				t.Fatalf("DecodeCSV: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("DecodeCSV (-want +got):\n%s", diff)
			}
			// The CSV form round-trips with itself.
			var buf bytes.Buffer
			if err := fleetfile.EncodeCSV(&buf, got); err != nil {
				t.Fatal(err)
			}
			again, err := fleetfile.DecodeCSV(&buf, "again.csv")
			if err != nil {
				t.Fatalf("decoding encoded fleet: %v\n%s", err, buf.String())
			}
			if diff := cmp.Diff(got, again); diff != "" {
				t.Errorf("round trip (-first +second):\n%s", diff)
			}
		})
	}
}

func TestEncodeCSV(t *testing.T) {
	// Lossy parts (the spine, the GPU UUID, the NIC model) are left out.
	f := smallCSVFleet()
	f.Switches = append(f.Switches, model.Switch{Name: "spine1", Role: model.SwitchSpine, Fabric: "colo2-compute", Ports: []model.SwitchPort{{Name: "1"}}})
	f.Links = append(f.Links, link("c2-leaf1", "64", "spine1", "1"))
	f.Nodes[0].GPUs[0].UUID = "GPU-1"
	f.Nodes[0].NICs[0].Model = "BlueField-3"
	const want = "site,pod,leaf_domain,rack,hostname,serial,vendor,model,bmc_address,bmc_credential_ref,state,gpu_model,gpu_count,gpu_memory_mib," +
		"nic0_name,nic0_kind,nic0_role,nic0_rail,nic0_fabric,nic0_port,nic0_mac,nic0_guid,nic0_speed_gbps,nic0_switch,nic0_switch_port," +
		"nic1_name,nic1_kind,nic1_role,nic1_rail,nic1_fabric,nic1_port,nic1_mac,nic1_guid,nic1_speed_gbps,nic1_switch,nic1_switch_port\n" +
		"colo2,colo2-pod1,colo2-ld1,c2-r1,gpu01,,,HGX H100 8-GPU,,,available,H100-SXM5-80GB,8,81559," +
		"eth0,ethernet,storage,,colo2-storage,eth0,aa:bb:cc:00:00:01,,,c2-stor1,Ethernet1," +
		"ib0,infiniband,compute,1,colo2-compute,ib0,,0x0c42a10300ab0001,400,c2-leaf1,1\n" +
		"colo2,colo2-pod1,colo2-ld1,c2-r1,gpu02,,,HGX H100 8-GPU,,,maintenance,H100-SXM5-80GB,8,81559," +
		"eth0,ethernet,storage,,,eth0,aa:bb:cc:00:00:02,,,,," +
		"ib0,infiniband,compute,1,colo2-compute,ib0,,0x0c42a10300ab0002,400,c2-leaf1,2\n"
	var buf bytes.Buffer
	if err := fleetfile.EncodeCSV(&buf, f); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("EncodeCSV (-want +got):\n%s", diff)
	}
}
