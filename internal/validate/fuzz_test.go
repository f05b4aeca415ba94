package validate_test

import (
	"bytes"
	stdcmp "cmp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/railyard/railyard/internal/fleetfile"
	"github.com/railyard/railyard/internal/model"
	"github.com/railyard/railyard/internal/validate"
)

var codes = []string{
	validate.CodeMissingName, validate.CodeDuplicateName, validate.CodeDuplicateSerial, validate.CodeDuplicateMAC,
	validate.CodeDuplicateGUID, validate.CodeDuplicateGPUUUID, validate.CodeDuplicateGPUIndex, validate.CodeBadValue,
	validate.CodeBadIdentifier, validate.CodeUnknownSite, validate.CodeUnknownPod, validate.CodeUnknownLeafDomain,
	validate.CodeUnknownRack, validate.CodeUnknownFabric, validate.CodeUnknownNVLinkDomain, validate.CodeLinkToMissingPort,
	validate.CodeLinkToSelf, validate.CodePortInTwoLinks, validate.CodeNonCanonicalID, validate.CodeWrongRail,
	validate.CodeWrongLeafDomain, validate.CodeWrongFabric, validate.CodeGPUCountMismatch, validate.CodeGPUModelMismatch,
	validate.CodeNVLinkDomainOverfull,
}

// check runs validate.Fleet on two equal fleets and checks what must hold
// of any result: known codes, sorted, deterministic, input untouched.
func check(t *testing.T, f, same *model.Fleet) {
	got := validate.Fleet(f)
	if diff := cmp.Diff(same, f); diff != "" {
		t.Fatalf("Fleet changed its input (-before +after):\n%s", diff)
	}
	for _, finding := range got {
		if !slices.Contains(codes, finding.Code) {
			t.Errorf("unknown code in %+v", finding)
		}
		if finding.Object == "" || finding.Message == "" {
			t.Errorf("finding without object or message: %+v", finding)
		}
	}
	if again := validate.Fleet(same); !cmp.Equal(got, again) {
		t.Errorf("Fleet is not deterministic:\n%v\n%v", got, again)
	}
	rank := map[model.Severity]int{model.SeverityError: 0, model.SeverityWarning: 1}
	if !slices.IsSortedFunc(got, func(a, b model.Finding) int {
		return stdcmp.Or(stdcmp.Compare(rank[a.Severity], rank[b.Severity]), strings.Compare(a.Code, b.Code), strings.Compare(a.Object, b.Object))
	}) {
		t.Errorf("findings are not sorted: %v", got)
	}
}

// FuzzFleetYAML validates whatever the YAML decoder accepts.
func FuzzFleetYAML(f *testing.F) {
	var buf bytes.Buffer
	if err := fleetfile.EncodeYAML(&buf, base()); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.String())
	broken := base()
	broken.Nodes = append(broken.Nodes, node2(), node2())
	broken.Links = append(broken.Links, cable("n2", "ib0", "leaf1", "1"), cable("n2", "eth0", "leaf9", "1"))
	buf.Reset()
	if err := fleetfile.EncodeYAML(&buf, broken); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.String())
	f.Fuzz(func(t *testing.T, in string) {
		fl, err := fleetfile.DecodeYAML(strings.NewReader(in), "fuzz.yaml")
		if err != nil {
			return
		}
		same, err := fleetfile.DecodeYAML(strings.NewReader(in), "fuzz.yaml")
		if err != nil {
			t.Fatal(err)
		}
		check(t, fl, same)
	})
}

// FuzzFleet validates fleets built from the fuzzer's bytes out of a few
// names and values, so that clashes, dangling references and bad values
// are common.
func FuzzFleet(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"))
	f.Add([]byte("a fleet with some of everything, twice: a fleet with some of everything"))
	f.Fuzz(func(t *testing.T, data []byte) {
		check(t, build(data), build(data))
	})
}

// build makes a fleet from data. Every byte picks something.
func build(data []byte) *model.Fleet {
	next := func() int {
		if len(data) == 0 {
			return 0
		}
		b := data[0]
		data = data[1:]
		return int(b)
	}
	pick := func(vs ...string) string { return vs[next()%len(vs)] }
	name := func() string { return pick("", "a", "b", "c", "a-nvl") }
	port := func() string { return pick("", "1", "2", "ib0", "eth0") }
	num := func() int { return next()%5 - 1 }
	f := &model.Fleet{}
	for len(data) > 0 {
		switch next() % 9 {
		case 0:
			f.Sites = append(f.Sites, model.Site{Name: name(), Pods: []model.Pod{{Name: name(),
				LeafDomains: []model.LeafDomain{{Name: name(), Racks: []model.Rack{{Name: name()}, {Name: name()}}}}}}})
		case 1:
			f.Fabrics = append(f.Fabrics, model.Fabric{Name: name(), Site: name(),
				Kind: model.LinkKind(pick("infiniband", "ethernet", "", "x")), Role: model.FabricRole(pick("compute", "storage", "management", "x"))})
		case 2:
			f.NVLinkDomains = append(f.NVLinkDomains, model.NVLinkDomain{Name: name(), Rack: name(), Size: num()})
		case 3:
			s := model.Switch{Name: name(), Role: model.SwitchRole(pick("leaf", "spine", "core", "x")), Fabric: name(),
				Serial: pick("", "S1"), Rack: name(), LeafDomain: name(), Pod: name(), Rail: num(),
				Provenance: model.Provenance(pick("", "declared", "x"))}
			for range next() % 4 {
				s.Ports = append(s.Ports, model.SwitchPort{Name: port(), SpeedGbps: num()})
			}
			f.Switches = append(f.Switches, s)
		case 4, 5:
			n := model.Node{Hostname: name(), Rack: name(), Serial: pick("", "S1"), Model: pick("", "DGX H100", "GB200 NVL72 compute tray"),
				State: model.NodeState(pick("", "available", "x")), Provenance: model.Provenance(pick("", "discovered", "x"))}
			for range next() % 4 {
				n.GPUs = append(n.GPUs, model.GPU{Index: num(), UUID: pick("", "GPU-1"), Serial: pick("", "G1"),
					Model: pick("H100-SXM5-80GB", "x"), MemoryMiB: num(), NVLinkDomain: name(),
					PCIBusID: pick("", "0000:18:00.0", "18:00.0", "0000:1B:00.0"), Health: model.GPUHealth(pick("", "healthy", "x"))})
			}
			for range next() % 3 {
				nic := model.NIC{Name: pick("", "ib0", "eth0"), Kind: model.LinkKind(pick("infiniband", "ethernet", "")),
					Role: model.FabricRole(pick("compute", "storage", "")), Rail: num(), Fabric: name()}
				for range next() % 3 {
					nic.Ports = append(nic.Ports, model.NICPort{Name: port(), MAC: pick("", "02:00:00:00:00:01", "0200.0000.0001", "zz"),
						GUID: pick("", "0x0000000000000001", "1"), SpeedGbps: num()})
				}
				n.NICs = append(n.NICs, nic)
			}
			f.Nodes = append(f.Nodes, n)
		case 6, 7:
			f.Links = append(f.Links, model.Link{
				A: model.Endpoint{Device: name(), Port: port()}, B: model.Endpoint{Device: name(), Port: port()},
				Provenance: model.Provenance(pick("", "declared", "x")),
			})
		case 8:
			f.Tenants = append(f.Tenants, model.Tenant{Name: name() + strconv.Itoa(next()%2)})
		}
	}
	return f
}
