package validate_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/railyard/railyard/internal/model"
	"github.com/railyard/railyard/internal/validate"
)

// base is a tiny valid fleet: node n1 in rack r1 (leaf domain ld1) with a
// compute NIC ib0 (rail 1) cabled to leaf1 (rail 1, ld1) and a storage NIC
// eth0; leaf2 serves rail 2 in ld1, leaf3 rail 1 in ld2 (rack r2).
func base() *model.Fleet {
	ports := []model.SwitchPort{{Name: "1", SpeedGbps: 400}, {Name: "2", SpeedGbps: 400}, {Name: "3", SpeedGbps: 400}}
	leaf := func(name string, rail int, ld string) model.Switch {
		return model.Switch{Name: name, Role: model.SwitchLeaf, Fabric: "ib", LeafDomain: ld, Pod: "p", Rail: rail,
			Provenance: model.Declared, Ports: append([]model.SwitchPort(nil), ports...)}
	}
	return &model.Fleet{
		Sites: []model.Site{{Name: "s", Pods: []model.Pod{{Name: "p", LeafDomains: []model.LeafDomain{
			{Name: "ld1", Racks: []model.Rack{{Name: "r1"}}},
			{Name: "ld2", Racks: []model.Rack{{Name: "r2"}}},
		}}}}},
		Fabrics: []model.Fabric{
			{Name: "ib", Site: "s", Kind: model.InfiniBand, Role: model.RoleCompute},
			{Name: "stor", Site: "s", Kind: model.Ethernet, Role: model.RoleStorage},
		},
		NVLinkDomains: []model.NVLinkDomain{{Name: "n1-nvl", Rack: "r1", Size: 8}},
		Switches:      []model.Switch{leaf("leaf1", 1, "ld1"), leaf("leaf2", 2, "ld1"), leaf("leaf3", 1, "ld2")},
		Nodes: []model.Node{{
			Hostname: "n1", Rack: "r1", Serial: "S1", State: model.NodeAvailable, Provenance: model.Declared,
			GPUs: []model.GPU{{Index: 0, UUID: "GPU-1", Serial: "G1", Model: "H100-SXM5-80GB", NVLinkDomain: "n1-nvl",
				PCIBusID: "0000:18:00.0", Health: model.GPUHealthy}},
			NICs: []model.NIC{
				{Name: "eth0", Kind: model.Ethernet, Role: model.RoleStorage, Fabric: "stor",
					Ports: []model.NICPort{{Name: "eth0", MAC: "02:00:00:00:00:01", SpeedGbps: 200}}},
				{Name: "ib0", Kind: model.InfiniBand, Role: model.RoleCompute, Rail: 1, Fabric: "ib",
					Ports: []model.NICPort{{Name: "ib0", GUID: "0x0000000000000001", SpeedGbps: 400}}},
			},
		}},
		Links: []model.Link{{
			A: model.Endpoint{Device: "leaf1", Port: "1"}, B: model.Endpoint{Device: "n1", Port: "ib0"}, Provenance: model.Declared,
		}},
		Tenants: []model.Tenant{{Name: "acme"}},
	}
}

// node2 returns a second valid node in rack r1, without cables.
func node2() model.Node {
	return model.Node{
		Hostname: "n2", Rack: "r1", Serial: "S2",
		NICs: []model.NIC{
			{Name: "eth0", Kind: model.Ethernet, Role: model.RoleStorage, Fabric: "stor",
				Ports: []model.NICPort{{Name: "eth0", MAC: "02:00:00:00:00:02"}}},
			{Name: "ib0", Kind: model.InfiniBand, Role: model.RoleCompute, Rail: 1, Fabric: "ib",
				Ports: []model.NICPort{{Name: "ib0", GUID: "0x0000000000000002"}}},
		},
	}
}

func cable(a, ap, b, bp string) model.Link {
	return model.Link{A: model.Endpoint{Device: a, Port: ap}, B: model.Endpoint{Device: b, Port: bp}}
}

func errorf(code, object, message string) model.Finding {
	return model.Finding{Severity: model.SeverityError, Code: code, Object: object, Message: message}
}

func warnf(code, object, message string) model.Finding {
	return model.Finding{Severity: model.SeverityWarning, Code: code, Object: object, Message: message}
}

func TestFleet(t *testing.T) {
	tests := []struct {
		name   string
		change func(f *model.Fleet)
		want   []model.Finding
	}{
		{name: "valid", change: func(*model.Fleet) {}},
		{
			name:   "duplicate-node",
			change: func(f *model.Fleet) { f.Nodes = append(f.Nodes, model.Node{Hostname: "n1", Rack: "r1"}) },
			want:   []model.Finding{errorf("duplicate-name", "node/n1", "more than one node is named n1")},
		},
		{
			name: "duplicate-rack",
			change: func(f *model.Fleet) {
				ld := &f.Sites[0].Pods[0].LeafDomains[1]
				ld.Racks = append(ld.Racks, model.Rack{Name: "r1"})
			},
			want: []model.Finding{errorf("duplicate-name", "rack/r1", "more than one rack is named r1")},
		},
		{
			name: "duplicate-switch-and-port",
			change: func(f *model.Fleet) {
				f.Switches = append(f.Switches, model.Switch{Name: "leaf3", Role: model.SwitchSpine, Fabric: "ib"})
				f.Switches[0].Ports = append(f.Switches[0].Ports, model.SwitchPort{Name: "2"})
			},
			want: []model.Finding{
				errorf("duplicate-name", "switch/leaf1/port/2", "switch leaf1 has more than one port named 2"),
				errorf("duplicate-name", "switch/leaf3", "more than one switch is named leaf3"),
			},
		},
		{
			name:   "node-named-like-switch",
			change: func(f *model.Fleet) { f.Nodes = append(f.Nodes, model.Node{Hostname: "leaf2", Rack: "r1"}) },
			want:   []model.Finding{errorf("duplicate-name", "node/leaf2", "node leaf2 has the name of a switch; cables to it are ambiguous")},
		},
		{
			name: "duplicate-nic-and-port-names",
			change: func(f *model.Fleet) {
				n := &f.Nodes[0]
				n.NICs = append(n.NICs, model.NIC{Name: "ib0", Kind: model.InfiniBand, Role: model.RoleCompute,
					Ports: []model.NICPort{{Name: "eth0"}}})
			},
			want: []model.Finding{
				errorf("duplicate-name", "node/n1/nic/ib0", "n1 has more than one NIC named ib0"),
				errorf("duplicate-name", "node/n1/nic/ib0/port/eth0", "n1 has more than one port named eth0"),
			},
		},
		{
			name: "missing-names",
			change: func(f *model.Fleet) {
				f.Tenants = append(f.Tenants, model.Tenant{})
				f.Nodes[0].NICs[0].Ports[0].Name = ""
			},
			want: []model.Finding{
				errorf("missing-name", "node/n1/nic/eth0/port/#0", "port #1 of n1 NIC eth0 has no name"),
				errorf("missing-name", "tenant/#1", "tenant #2 has no name"),
			},
		},
		{
			name: "duplicate-serials",
			change: func(f *model.Fleet) {
				n := node2()
				n.Serial = "S1"
				n.GPUs = []model.GPU{{Index: 0, Serial: "G1", Model: "H100-SXM5-80GB"}}
				f.Nodes = append(f.Nodes, n)
				f.Switches[0].Serial, f.Switches[1].Serial = "MT1", "MT1"
			},
			want: []model.Finding{
				errorf("duplicate-serial", "node/n2", "node n2 has serial S1, as does node n1"),
				errorf("duplicate-serial", "node/n2/gpu/0", "GPU 0 of n2 has serial G1, as does GPU 0 of n1"),
				errorf("duplicate-serial", "switch/leaf2", "switch leaf2 has serial MT1, as does switch leaf1"),
			},
		},
		{
			name: "duplicate-mac",
			change: func(f *model.Fleet) {
				n := node2()
				n.NICs[0].Ports[0].MAC = "02:00:00:00:00:01"
				f.Nodes = append(f.Nodes, n)
			},
			want: []model.Finding{errorf("duplicate-mac", "node/n2/nic/eth0/port/eth0", "n2 port eth0 has MAC 02:00:00:00:00:01, as does n1 port eth0")},
		},
		{
			name: "duplicate-mac-spelled-differently",
			change: func(f *model.Fleet) {
				n := node2()
				n.NICs[0].Ports[0].MAC = "0200.0000.0001"
				f.Nodes = append(f.Nodes, n)
			},
			want: []model.Finding{
				errorf("duplicate-mac", "node/n2/nic/eth0/port/eth0", "n2 port eth0 has MAC 02:00:00:00:00:01, as does n1 port eth0"),
				warnf("noncanonical-identifier", "node/n2/nic/eth0/port/eth0", "n2 port eth0 has MAC 0200.0000.0001, which is written 02:00:00:00:00:01 in canonical form"),
			},
		},
		{
			name: "duplicate-guid",
			change: func(f *model.Fleet) {
				n := node2()
				n.NICs[1].Ports[0].GUID = "0x0000000000000001"
				f.Nodes = append(f.Nodes, n)
			},
			want: []model.Finding{errorf("duplicate-guid", "node/n2/nic/ib0/port/ib0", "n2 port ib0 has GUID 0x0000000000000001, as does n1 port ib0")},
		},
		{
			name: "duplicate-gpu-uuid-and-index",
			change: func(f *model.Fleet) {
				n := &f.Nodes[0]
				n.GPUs = append(n.GPUs, model.GPU{Index: 0, UUID: "GPU-1", Model: "H100-SXM5-80GB"})
			},
			want: []model.Finding{
				errorf("duplicate-gpu-index", "node/n1/gpu/0", "n1 lists more than one GPU 0"),
				errorf("duplicate-gpu-uuid", "node/n1/gpu/0", "GPU 0 of n1 has UUID GPU-1, as does GPU 0 of n1"),
			},
		},
		{
			name: "unknown-references",
			change: func(f *model.Fleet) {
				f.Fabrics[1].Site = "nowhere"
				f.NVLinkDomains[0].Rack = "r9"
				f.Switches[1].Fabric = "eth"
				f.Switches[1].LeafDomain = "ld9"
				f.Switches[1].Pod = "p9"
				f.Switches[2].Rack = "r8"
				f.Switches[2].Fabric = ""
				f.Nodes[0].GPUs[0].NVLinkDomain = "n9-nvl"
				f.Nodes[0].NICs[0].Fabric = "stor2"
				f.Nodes = append(f.Nodes, model.Node{Hostname: "n2", Rack: "r7"}, model.Node{Hostname: "n3"})
			},
			want: []model.Finding{
				errorf("unknown-fabric", "node/n1/nic/eth0", "n1 NIC eth0 is in fabric \"stor2\", which does not exist"),
				errorf("unknown-fabric", "switch/leaf2", "switch leaf2 is in fabric \"eth\", which does not exist"),
				errorf("unknown-fabric", "switch/leaf3", "switch leaf3 has no fabric"),
				errorf("unknown-leaf-domain", "switch/leaf2", "switch leaf2 serves leaf domain \"ld9\", which does not exist"),
				errorf("unknown-nvlink-domain", "node/n1/gpu/0", "GPU 0 of n1 is in NVLink domain \"n9-nvl\", which does not exist"),
				errorf("unknown-pod", "switch/leaf2", "switch leaf2 is in pod \"p9\", which does not exist"),
				errorf("unknown-rack", "node/n2", "node n2 is in rack \"r7\", which does not exist"),
				errorf("unknown-rack", "node/n3", "node n3 has no rack"),
				errorf("unknown-rack", "nvlink_domain/n1-nvl", "NVLink domain n1-nvl is in rack \"r9\", which does not exist"),
				errorf("unknown-rack", "switch/leaf3", "switch leaf3 is in rack \"r8\", which does not exist"),
				errorf("unknown-site", "fabric/stor", "fabric stor is in site \"nowhere\", which does not exist"),
			},
		},
		{
			name: "link-to-missing-port",
			change: func(f *model.Fleet) {
				f.Links = append(f.Links, cable("leaf1", "99", "n1", "eth0"), cable("n1", "ib7", "spine9", "1"))
			},
			want: []model.Finding{
				errorf("link-to-missing-port", "link/leaf1:99~n1:eth0", "cable end leaf1:99 is on port 99, which leaf1 does not have"),
				errorf("link-to-missing-port", "link/n1:ib7~spine9:1", "cable end n1:ib7 is on port ib7, which n1 does not have"),
				errorf("link-to-missing-port", "link/n1:ib7~spine9:1", "cable end spine9:1 is on spine9, which is neither a node nor a switch"),
			},
		},
		{
			name: "port-in-two-links",
			change: func(f *model.Fleet) {
				f.Nodes = append(f.Nodes, node2())
				f.Links = append(f.Links, cable("leaf1", "1", "n2", "ib0"), cable("n1", "ib0", "leaf1", "1"))
			},
			want: []model.Finding{
				errorf("port-in-two-links", "link/leaf1:1~n1:ib0", "the cable leaf1:1~n1:ib0 is declared twice"),
				errorf("port-in-two-links", "switch/leaf1/port/1", "leaf1:1 is cabled to both n1:ib0 and n2:ib0"),
			},
		},
		{
			name:   "link-to-self",
			change: func(f *model.Fleet) { f.Links = append(f.Links, cable("leaf1", "2", "leaf1", "2")) },
			want:   []model.Finding{errorf("link-to-self", "link/leaf1:2~leaf1:2", "cable #2 joins leaf1:2 to itself")},
		},
		{
			name:   "wrong-rail",
			change: func(f *model.Fleet) { f.Links[0].A.Device = "leaf2" },
			want:   []model.Finding{warnf("wrong-rail", "node/n1/nic/ib0", "n1 nic ib0 (rail 1) is cabled to leaf2 (rail 2) port 1")},
		},
		{
			name:   "wrong-leaf-domain",
			change: func(f *model.Fleet) { f.Links[0].A = model.Endpoint{Device: "leaf3", Port: "2"} },
			want: []model.Finding{warnf("wrong-leaf-domain", "node/n1/nic/ib0",
				"n1 nic ib0 is cabled to leaf3 (leaf domain ld2) port 2, but rack r1 is in leaf domain ld1")},
		},
		{
			name:   "wrong-fabric",
			change: func(f *model.Fleet) { f.Links = append(f.Links, cable("n1", "eth0", "leaf1", "2")) },
			want:   []model.Finding{warnf("wrong-fabric", "node/n1/nic/eth0", "n1 nic eth0 is in fabric stor but is cabled to leaf1 of fabric ib port 2")},
		},
		{
			name: "gpu-count-mismatch",
			change: func(f *model.Fleet) {
				f.Nodes[0].Model = "DGX H100"
			},
			want: []model.Finding{warnf("gpu-count-mismatch", "node/n1", "n1 is a DGX H100, which has 8 GPUs, but lists 1")},
		},
		{
			name: "gpu-model-mismatch",
			change: func(f *model.Fleet) {
				n := &f.Nodes[0]
				n.Model = "DGX H100"
				for i := 1; i < 8; i++ {
					n.GPUs = append(n.GPUs, model.GPU{Index: i, Model: "H100-SXM5-80GB"})
				}
				n.GPUs[5].Model = "H200-SXM5-141GB"
			},
			want: []model.Finding{warnf("gpu-model-mismatch", "node/n1", "n1 is a DGX H100, which carries H100-SXM5-80GB GPUs, but GPU 5 is a \"H200-SXM5-141GB\"")},
		},
		{
			name: "nvlink-domain-overfull",
			change: func(f *model.Fleet) {
				f.NVLinkDomains[0].Size = 1
				f.Nodes[0].GPUs = append(f.Nodes[0].GPUs, model.GPU{Index: 1, Model: "H100-SXM5-80GB", NVLinkDomain: "n1-nvl"})
			},
			want: []model.Finding{warnf("nvlink-domain-overfull", "nvlink_domain/n1-nvl", "NVLink domain n1-nvl holds 2 GPUs but has room for 1")},
		},
		{
			name: "bad-values",
			change: func(f *model.Fleet) {
				f.Nodes[0].State = "up"
				f.Nodes[0].GPUs[0].Health = "sick"
				f.Nodes[0].NICs[0].Kind = ""
				f.Nodes[0].NICs[1].Role = "frontend"
				f.Nodes[0].NICs[1].Ports[0].SpeedGbps = -400
				f.Switches[1].Role = "tor"
				f.Switches[1].Provenance = "rumour"
				f.Fabrics[0].Kind = "fibre"
				f.NVLinkDomains[0].Size = 0
				f.Links[0].Provenance = "guess"
			},
			want: []model.Finding{
				errorf("bad-value", "fabric/ib", "fabric ib has kind \"fibre\", which Railyard does not know"),
				errorf("bad-value", "link/leaf1:1~n1:ib0", "cable leaf1:1~n1:ib0 has provenance \"guess\", which Railyard does not know"),
				errorf("bad-value", "node/n1", "node n1 has state \"up\", which Railyard does not know"),
				errorf("bad-value", "node/n1/gpu/0", "GPU 0 of n1 has health \"sick\", which Railyard does not know"),
				errorf("bad-value", "node/n1/nic/eth0", "n1 NIC eth0 has no kind"),
				errorf("bad-value", "node/n1/nic/ib0", "n1 NIC ib0 has role \"frontend\", which Railyard does not know"),
				errorf("bad-value", "node/n1/nic/ib0/port/ib0", "n1 port ib0 has speed -400; it cannot be negative"),
				errorf("bad-value", "nvlink_domain/n1-nvl", "NVLink domain n1-nvl has size 0; want a positive number of GPUs"),
				errorf("bad-value", "switch/leaf2", "switch leaf2 has provenance \"rumour\", which Railyard does not know"),
				errorf("bad-value", "switch/leaf2", "switch leaf2 has role \"tor\", which Railyard does not know"),
			},
		},
		{
			name: "bad-identifiers",
			change: func(f *model.Fleet) {
				f.Nodes[0].NICs[0].Ports[0].MAC = "zz"
				f.Nodes[0].NICs[1].Ports[0].GUID = "0x0000:0000:0000:0001"
				f.Nodes[0].GPUs[0].PCIBusID = "18:00.0"
			},
			want: []model.Finding{
				errorf("bad-identifier", "node/n1/gpu/0", `GPU 0 of n1 has a bad PCI bus id: bad identifier: PCI bus id "18:00.0": want domain:bus:device.function`),
				errorf("bad-identifier", "node/n1/nic/eth0/port/eth0", `n1 port eth0 has a bad MAC: bad identifier: MAC "zz": unexpected character 'z'`),
				warnf("noncanonical-identifier", "node/n1/nic/ib0/port/ib0", "n1 port ib0 has GUID 0x0000:0000:0000:0001, which is written 0x0000000000000001 in canonical form"),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := base()
			tt.change(f)
			got := validate.Fleet(f)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Fleet (-want +got):\n%s", diff)
			}
			if want := len(tt.want) > 0 && tt.want[0].Severity == model.SeverityError; validate.HasErrors(got) != want {
				t.Errorf("HasErrors = %v, want %v", !want, want)
			}
		})
	}
}

func TestFleetEmpty(t *testing.T) {
	if got := validate.Fleet(nil); got != nil {
		t.Errorf("Fleet(nil) = %v, want nil", got)
	}
	if got := validate.Fleet(&model.Fleet{}); got != nil {
		t.Errorf("Fleet(empty) = %v, want nil", got)
	}
}

// TestFleetPure checks that validation does not change the fleet.
func TestFleetPure(t *testing.T) {
	f := base()
	f.Nodes = append(f.Nodes, node2(), node2())
	f.Links = append(f.Links, cable("n2", "ib0", "leaf1", "1"))
	validate.Fleet(f)
	want := base()
	want.Nodes = append(want.Nodes, node2(), node2())
	want.Links = append(want.Links, cable("n2", "ib0", "leaf1", "1"))
	if diff := cmp.Diff(want, f); diff != "" {
		t.Errorf("Fleet changed its input (-before +after):\n%s", diff)
	}
}
