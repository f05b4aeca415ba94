// Package fleetgen generates realistic fleets: deterministic, valid (package
// validate finds nothing wrong with them) and as large as asked, for
// samples, demos, tests and benchmarks. It does no I/O.
//
// # Shapes
//
// h100-superpod follows NVIDIA's DGX H100 SuperPOD reference architecture.
// A scalable unit (SU, a model.LeafDomain) has 32 DGX H100 slots in 8 racks
// of 4. Each node has 8 ConnectX-7 compute NICs (ib0..ib7, rails 1..8,
// InfiniBand NDR 400 Gb/s), each cabled to the leaf of its rail in its SU:
// 8 Quantum-2 QM9700 leaves per SU, 32 ports down and 32 up. A node count
// that does not fill the last SU leaves it partial, but its leaves and
// their uplinks are all built, as the RA asks.
//
// gb200-nvl72 has racks of 18 GB200 NVL72 compute trays (4 GPUs each, the
// rack's 72 GPUs one NVLink domain) and SUs of 8 racks. Each tray has one
// ConnectX-7 per GPU (ib0..ib3, rails 1..4). Each rail has 4 leaves per
// SU, each serving 2 racks: 36 ports down and 28 up.
//
// Compute spines and cores. While a site has at most 64 compute leaves
// (8 H100 SUs, 4 GB200 SUs), the fabric has two tiers: one pod, with the
// smallest power-of-two number of spines that gives every leaf uplink a
// spine port (for H100: 4 spines for 1 SU, 8 for 2, 16 for 3 or 4, 32 for
// 5 to 8, as in the RA), and every leaf cabled to every spine with
// uplinks/spines parallel cables. Larger sites have three tiers: pods of
// 32 leaves (4 H100 SUs, 2 GB200 SUs), each with one spine per leaf
// uplink, every leaf cabled once to every spine of its pod; spine i of
// every pod is cabled to core group i, ceil(pods/2) cores, with 32 uplinks
// spread evenly. For H100 that reproduces the RA's 16-SU (128 leaves, 128
// spines, 64 cores) and larger configurations.
//
// Storage: each node has 2 BlueField-3 NICs (eth0, eth1, Ethernet 200 Gb/s)
// cabled to a pair of Arista 7060X5 storage leaves (one NIC to each): one
// pair per SU for H100, one per 2 racks for GB200. Every storage leaf has
// up to 4 cables to each of its pod's 2 storage spines (Arista 7800R3).
//
// Management: each node has one 1 Gb/s NIC (mgmt0) cabled to its rack's
// NVIDIA SN2201 (Cumulus) switch, which has one uplink to each of its
// pod's 2 SN4600C management spines.
//
// # Names
//
// Every name starts with its site's name, so fleets and sites never
// clash. With site "lab":
//
//	lab                      site
//	lab-pod1                 pod
//	lab-su01                 scalable unit (leaf domain)
//	lab-su01-r01             rack
//	lab-su01-r01-n01         node (compute tray for GB200)
//	lab-su01-r01-n01-nvl     NVLink domain of an H100 node
//	lab-su01-r01-nvl         NVLink domain of a GB200 rack
//	lab-compute, lab-storage, lab-management   fabrics
//	lab-su01-leaf-r1         compute leaf of rail 1 (GB200: lab-su01-leaf-r1a..d)
//	lab-pod1-spine01         compute spine
//	lab-core01               compute core
//	lab-su01-stor-leaf1      storage leaf (GB200: ...stor-leaf1..8)
//	lab-pod1-stor-spine1     storage spine
//	lab-su01-r01-mgmt        management switch of a rack
//	lab-pod1-mgmt-spine1     management spine
//
// Numbers are zero-padded to the width their count needs (at least two
// digits for SUs, racks, nodes, spines and cores), so that names sort in
// order. Node ports are ib0.., eth0, eth1 and mgmt0; switch ports are
// 1..64 on InfiniBand switches, Ethernet1.. on Arista and swp1.. on
// Cumulus switches.
//
// # Identities
//
// Serials, GPU UUIDs, MACs (Mellanox and Intel OUIs), GUIDs and BMC
// addresses (redfish://10.<site number>.x.y; switch management addresses
// 10.<100+site number>.x.y) are derived from counters through bijective
// mixing functions seeded by the fleet name: they look random, are the
// same on every run, and are unique within a fleet by construction
// (fleets with different names are very unlikely to share any).
package fleetgen

import (
	"errors"
	"fmt"
	"hash/fnv"
	"regexp"
	"strconv"

	"github.com/railyard/railyard/internal/model"
)

// Shapes of fleet that Generate builds.
const (
	ShapeH100SuperPOD = "h100-superpod"
	ShapeGB200NVL72   = "gb200-nvl72"
)

// Shapes lists the shapes Generate builds.
func Shapes() []string { return []string{ShapeH100SuperPOD, ShapeGB200NVL72} }

// Limits of Generate.
const (
	MaxGPUs         = 4_000_000
	MaxSites        = 100
	MaxNodesPerSite = 64_000 // BMC addresses are 10.<site>.x.y
)

// Errors.
var (
	ErrBadSpec       = errors.New("bad fleet spec")
	ErrUnknownPreset = errors.New("unknown preset")
)

// Spec says what fleet to generate.
type Spec struct {
	// Shape is ShapeH100SuperPOD (the default) or ShapeGB200NVL72.
	Shape string
	// GPUs is the number of GPUs, across all sites. It is rounded up to
	// whole nodes (H100) or whole NVL72 racks (GB200).
	GPUs int
	// Sites is the number of sites the GPUs are split across, evenly; 0
	// means 1.
	Sites int
	// Name is the site name; with several sites, the sites are Name1,
	// Name2, ... It must be lower-case letters, digits and dashes, starting
	// with a letter. Empty means "dc".
	Name string
}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)

// Generate builds the fleet that spec describes, normalized.
func Generate(spec Spec) (*model.Fleet, error) {
	if spec.Shape == "" {
		spec.Shape = ShapeH100SuperPOD
	}
	if spec.Sites == 0 {
		spec.Sites = 1
	}
	if spec.Name == "" {
		spec.Name = "dc"
	}
	sh, ok := shapes[spec.Shape]
	switch {
	case !ok:
		return nil, fmt.Errorf("%w: unknown shape %q (want %s or %s)", ErrBadSpec, spec.Shape, ShapeH100SuperPOD, ShapeGB200NVL72)
	case spec.GPUs <= 0 || spec.GPUs > MaxGPUs:
		return nil, fmt.Errorf("%w: %d GPUs; want 1 to %d", ErrBadSpec, spec.GPUs, MaxGPUs)
	case spec.Sites < 0 || spec.Sites > MaxSites:
		return nil, fmt.Errorf("%w: %d sites; want 1 to %d", ErrBadSpec, spec.Sites, MaxSites)
	case !nameRE.MatchString(spec.Name):
		return nil, fmt.Errorf("%w: name %q; want up to 32 lower-case letters, digits and dashes, starting with a letter", ErrBadSpec, spec.Name)
	}

	// Split the fleet into units (nodes, or racks for GB200) per site.
	unitGPUs := sh.gpusPerNode
	if sh.wholeRacks {
		unitGPUs *= sh.nodesPerRack
	}
	units := (spec.GPUs + unitGPUs - 1) / unitGPUs
	if units < spec.Sites {
		return nil, fmt.Errorf("%w: %d GPUs are too few for %d sites", ErrBadSpec, spec.GPUs, spec.Sites)
	}
	g := newGen(sh, spec.Name, units*unitGPUs)
	for i := range spec.Sites {
		n := units / spec.Sites
		if i < units%spec.Sites {
			n++
		}
		if sh.wholeRacks {
			n *= sh.nodesPerRack
		}
		if n > MaxNodesPerSite {
			return nil, fmt.Errorf("%w: %d nodes in one site; at most %d, use more sites", ErrBadSpec, n, MaxNodesPerSite)
		}
		name := spec.Name
		if spec.Sites > 1 {
			name += strconv.Itoa(i + 1)
		}
		g.site(name, i+1, n)
	}
	g.f.Normalize()
	return g.f, nil
}

// Presets lists the named sample fleets that Preset builds.
func Presets() []string { return []string{"lab-1su", "superpod-4su", "gb200-nvl72-8rack"} }

// Preset builds one of the named sample fleets:
//
//   - lab-1su: site lab, one full DGX H100 SU (32 nodes, 256 GPUs) with
//     tenants acme and globex;
//   - superpod-4su: site spod, the RA's 4-SU, 127-node SuperPOD (1,016
//     GPUs; the last SU has 31 nodes, one slot holding the UFM server);
//   - gb200-nvl72-8rack: site nvl, one SU of 8 GB200 NVL72 racks (576 GPUs).
func Preset(name string) (*model.Fleet, error) {
	switch name {
	case "lab-1su":
		f, err := Generate(Spec{Shape: ShapeH100SuperPOD, GPUs: 256, Name: "lab"})
		if err != nil {
			return nil, err
		}
		f.Tenants = []model.Tenant{
			{Name: "acme", Description: "Acme Corp: foundation model training"},
			{Name: "globex", Description: "Globex: inference and fine-tuning"},
		}
		return f, nil
	case "superpod-4su":
		return Generate(Spec{Shape: ShapeH100SuperPOD, GPUs: 1016, Name: "spod"})
	case "gb200-nvl72-8rack":
		return Generate(Spec{Shape: ShapeGB200NVL72, GPUs: 576, Name: "nvl"})
	}
	return nil, fmt.Errorf("%w %q (want one of %v)", ErrUnknownPreset, name, Presets())
}

// shape is the hardware and topology of one shape of fleet.
type shape struct {
	name             string
	nodeVendor       string
	nodeModel        string
	nodeSerial       string // serial number prefix
	gpusPerNode      int
	nodesPerRack     int
	racksPerSU       int
	wholeRacks       bool     // round GPUs up to whole racks
	rackNVLink       bool     // one NVLink domain per rack, not per node
	rails            int      // compute NICs per node, one per rail
	leavesPerRail    int      // compute leaves per rail per SU
	leafDown, leafUp int      // compute leaf ports to nodes, to spines
	storageGroup     int      // nodes per pair of storage leaves
	gpuBus, railBus  []string // PCI bus ids
	storageBus       [2]string
	mgmtBus          string
	nodesPerSU       int
}

var shapes = map[string]*shape{
	ShapeH100SuperPOD: {
		name:          ShapeH100SuperPOD,
		nodeVendor:    "NVIDIA",
		nodeModel:     "DGX H100",
		nodeSerial:    "1562",
		gpusPerNode:   8,
		nodesPerRack:  4,
		racksPerSU:    8,
		rails:         8,
		leavesPerRail: 1,
		leafDown:      32,
		leafUp:        32,
		storageGroup:  32,
		gpuBus: []string{"0000:18:00.0", "0000:2a:00.0", "0000:3a:00.0", "0000:5d:00.0",
			"0000:9a:00.0", "0000:ab:00.0", "0000:ba:00.0", "0000:db:00.0"},
		railBus: []string{"0000:19:00.0", "0000:2b:00.0", "0000:3b:00.0", "0000:5e:00.0",
			"0000:9b:00.0", "0000:ac:00.0", "0000:bb:00.0", "0000:dc:00.0"},
		storageBus: [2]string{"0000:41:00.0", "0000:c1:00.0"},
		mgmtBus:    "0000:05:00.0",
	},
	ShapeGB200NVL72: {
		name:          ShapeGB200NVL72,
		nodeVendor:    "NVIDIA",
		nodeModel:     "GB200 NVL72 compute tray",
		nodeSerial:    "1830",
		gpusPerNode:   4,
		nodesPerRack:  18,
		racksPerSU:    8,
		wholeRacks:    true,
		rackNVLink:    true,
		rails:         4,
		leavesPerRail: 4,
		leafDown:      36,
		leafUp:        28,
		storageGroup:  36,
		gpuBus:        []string{"0008:01:00.0", "0009:01:00.0", "0018:01:00.0", "0019:01:00.0"},
		railBus:       []string{"0000:03:00.0", "0002:03:00.0", "0010:03:00.0", "0012:03:00.0"},
		storageBus:    [2]string{"0006:01:00.0", "0016:01:00.0"},
		mgmtBus:       "0000:01:00.0",
	},
}

func init() {
	for _, sh := range shapes {
		sh.nodesPerSU = sh.nodesPerRack * sh.racksPerSU
		if sh.nodesPerSU != sh.leavesPerRail*sh.leafDown || sh.nodesPerSU%sh.storageGroup != 0 {
			panic("fleetgen: inconsistent shape " + sh.name)
		}
	}
}

// Switch hardware.
type switchModel struct {
	vendor, model, os, driver string
	serial                    string // serial number prefix
	ports                     int
	prefix                    string   // of port names
	portName                  []string // port names, 1-based: portName[1] is the first
}

func newModel(vendor, model, os, driver, serial, prefix string, ports int) *switchModel {
	m := &switchModel{vendor: vendor, model: model, os: os, driver: driver, serial: serial, ports: ports, prefix: prefix}
	m.portName = make([]string, ports+1)
	for i := 1; i <= ports; i++ {
		m.portName[i] = prefix + strconv.Itoa(i)
	}
	return m
}

var (
	qm9700  = newModel("nvidia", "QM9700", "MLNX-OS", "ufm", "MT", "", 64)
	a7060x5 = newModel("arista", "7060X5", "EOS", "eos", "JPE", "Ethernet", 64)
	a7800r3 = newModel("arista", "7800R3", "EOS", "eos", "JPE", "Ethernet", 64)
	sn2201  = newModel("nvidia", "SN2201", "Cumulus Linux", "cumulus", "MT", "swp", 52)
	sn4600c = newModel("nvidia", "SN4600C", "Cumulus Linux", "cumulus", "MT", "swp", 64)
)

// Port speeds, Gb/s.
const (
	speed400G    = 400
	speedStorage = 200
	speedMgmt    = 1
	speed100G    = 100
)

// gen accumulates a fleet.
type gen struct {
	sh   *shape
	f    *model.Fleet
	seed uint64

	// Counters behind unique identities.
	nodes, gpus, switches, macs, mgmtMACs, guids uint64

	siteSwitches int         // switches in the current site
	coreUsed     map[int]int // core switch index -> cables so far
}

func newGen(sh *shape, name string, gpus int) *gen {
	h := fnv.New64a()
	h.Write([]byte(name))
	nodes := gpus / sh.gpusPerNode
	ports := sh.rails + 3
	return &gen{
		sh:       sh,
		seed:     h.Sum64(),
		coreUsed: map[int]int{},
		f: &model.Fleet{
			Nodes: make([]model.Node, 0, nodes),
			Links: make([]model.Link, 0, nodes*ports*3),
		},
	}
}

func pad(n, width int) string {
	s := strconv.Itoa(n)
	for len(s) < width {
		s = "0" + s
	}
	return s
}

// plural writes n things.
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return strconv.Itoa(n) + " " + thing + "s"
}

func digits(n int) int { return len(strconv.Itoa(n)) }

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// nextPow2 returns the smallest power of two >= n (n >= 1).
func nextPow2(n int) int {
	p := 1
	for p < n {
		p *= 2
	}
	return p
}

// swBuild is a switch being built, with its ports by number.
type swBuild struct {
	idx int // index in f.Switches
	hw  *switchModel
}

func (g *gen) sw(b swBuild) *model.Switch { return &g.f.Switches[b.idx] }

// newSwitch adds a switch with all its ports, at the given speeds: ports
// 1..split at speedLow, the rest at speedHigh.
func (g *gen) newSwitch(siteNo int, s model.Switch, hw *switchModel, split, speedLow, speedHigh int) swBuild {
	k := int(g.switches)
	g.switches++
	a := g.siteSwitches % 64000
	g.siteSwitches++
	s.Vendor, s.Model, s.OS, s.Driver = hw.vendor, hw.model, hw.os, hw.driver
	s.Serial = hw.serial + pad(int(perm32(uint32(g.seed>>32)+uint32(k))), 10)
	s.MgmtAddress = fmt.Sprintf("10.%d.%d.%d", 100+siteNo, a/250, a%250+1)
	s.Provenance = model.Declared
	s.Ports = make([]model.SwitchPort, hw.ports)
	for i := range s.Ports {
		speed := speedHigh
		if i < split {
			speed = speedLow
		}
		s.Ports[i] = model.SwitchPort{Name: hw.portName[i+1], SpeedGbps: speed}
	}
	g.f.Switches = append(g.f.Switches, s)
	return swBuild{idx: len(g.f.Switches) - 1, hw: hw}
}

// port returns the name of port i (1-based) of b, adding it (at speed) if
// the switch has fewer ports.
func (g *gen) port(b swBuild, i, speed int) string {
	s := g.sw(b)
	for len(s.Ports) < i {
		n := len(s.Ports) + 1
		name := b.hw.prefix + strconv.Itoa(n)
		if n < len(b.hw.portName) {
			name = b.hw.portName[n]
		}
		s.Ports = append(s.Ports, model.SwitchPort{Name: name, SpeedGbps: speed})
	}
	return s.Ports[i-1].Name
}

func (g *gen) link(a, aPort, b, bPort string) {
	g.f.Links = append(g.f.Links, model.Link{
		A:          model.Endpoint{Device: a, Port: aPort},
		B:          model.Endpoint{Device: b, Port: bPort},
		Provenance: model.Declared,
	}.Normalize())
}

// site generates site number siteNo (from 1), named name, with n nodes.
func (g *gen) site(name string, siteNo, n int) {
	sh := g.sh
	f := g.f
	g.siteSwitches = 0
	compute, storage, mgmt := name+"-compute", name+"-storage", name+"-management"
	f.Fabrics = append(f.Fabrics,
		model.Fabric{Name: compute, Site: name, Kind: model.InfiniBand, Role: model.RoleCompute},
		model.Fabric{Name: storage, Site: name, Kind: model.Ethernet, Role: model.RoleStorage},
		model.Fabric{Name: mgmt, Site: name, Kind: model.Ethernet, Role: model.RoleManagement},
	)
	sus := ceilDiv(n, sh.nodesPerSU)
	leavesPerSU := sh.rails * sh.leavesPerRail
	twoTier := sus*leavesPerSU <= 64
	suPerPod := sus
	if !twoTier {
		suPerPod = 32 / leavesPerSU
	}
	pods := ceilDiv(sus, suPerPod)
	spines := sh.leafUp // three tiers: one spine per leaf uplink
	if twoTier {
		spines = min(nextPow2(ceilDiv(sus*leavesPerSU*sh.leafUp, 64)), sh.leafUp)
	}
	lpp := sh.leafUp / spines // cables per leaf-spine pair
	suW, podW, spW := max(2, digits(sus)), digits(pods), max(2, digits(spines))
	nodeW, rackW := max(2, digits(sh.nodesPerRack)), max(2, digits(sh.racksPerSU))
	racks := ceilDiv(n, sh.nodesPerRack)

	site := model.Site{
		Name: name,
		Description: fmt.Sprintf("%s: %s (%d GPUs) in %s of %s",
			sh.name, plural(n, sh.nodeModel+" node"), n*sh.gpusPerNode, plural(sus, "SU"), plural(racks, "rack")),
	}

	// Cores: groups of ceil(pods/2), one group per spine index.
	var cores [][]swBuild
	if !twoTier {
		per := ceilDiv(pods, 2)
		coreW := max(2, digits(spines*per))
		for j := range spines {
			var group []swBuild
			for m := range per {
				c := g.newSwitch(siteNo, model.Switch{
					Name:   name + "-core" + pad(j*per+m+1, coreW),
					Role:   model.SwitchCore,
					Fabric: compute,
				}, qm9700, 0, speed400G, speed400G)
				group = append(group, c)
			}
			cores = append(cores, group)
		}
	}

	nodeNo := 0 // within site
	for p := range pods {
		podName := name + "-pod" + pad(p+1, podW)
		pod := model.Pod{Name: podName}
		spineSw := make([]swBuild, spines)
		for j := range spines {
			split := 64
			if !twoTier {
				split = 32
			}
			spineSw[j] = g.newSwitch(siteNo, model.Switch{
				Name: podName + "-spine" + pad(j+1, spW), Role: model.SwitchSpine, Fabric: compute, Pod: podName,
			}, qm9700, split, speed400G, speed400G)
			if !twoTier {
				g.cableCores(spineSw[j], cores[j], p)
			}
		}
		var storSpines, mgmtSpines [2]swBuild
		for j := range 2 {
			storSpines[j] = g.newSwitch(siteNo, model.Switch{
				Name: podName + "-stor-spine" + strconv.Itoa(j+1), Role: model.SwitchSpine, Fabric: storage, Pod: podName,
			}, a7800r3, 0, speed400G, speed400G)
			mgmtSpines[j] = g.newSwitch(siteNo, model.Switch{
				Name: podName + "-mgmt-spine" + strconv.Itoa(j+1), Role: model.SwitchSpine, Fabric: mgmt, Pod: podName,
			}, sn4600c, 0, speed100G, speed100G)
		}
		podSUs := min(suPerPod, sus-p*suPerPod)
		storPairs := sh.nodesPerSU / sh.storageGroup
		lpps := min(4, max(1, 64/(podSUs*storPairs*2))) // cables per storage leaf-spine pair
		leafInPod, storInPod, rackInPod := 0, 0, 0
		for u := range podSUs {
			suNo := p*suPerPod + u + 1
			suName := name + "-su" + pad(suNo, suW)
			ld := model.LeafDomain{Name: suName}

			// Compute leaves, by rail, and their uplinks.
			leaves := make([][]swBuild, sh.rails)
			for r := range sh.rails {
				for k := range sh.leavesPerRail {
					leafName := suName + "-leaf-r" + strconv.Itoa(r+1)
					if sh.leavesPerRail > 1 {
						leafName += string(rune('a' + k))
					}
					l := g.newSwitch(siteNo, model.Switch{
						Name: leafName, Role: model.SwitchLeaf, Fabric: compute,
						LeafDomain: suName, Pod: podName, Rail: r + 1,
					}, qm9700, sh.leafDown, speed400G, speed400G)
					leaves[r] = append(leaves[r], l)
					for j := range spines {
						for c := range lpp {
							g.link(leafName, g.port(l, sh.leafDown+1+j*lpp+c, speed400G),
								g.sw(spineSw[j]).Name, g.port(spineSw[j], leafInPod*lpp+c+1, speed400G))
						}
					}
					leafInPod++
				}
			}
			// Storage leaves, in pairs, and their uplinks.
			stor := make([]swBuild, 0, storPairs*2)
			for k := range storPairs * 2 {
				s := g.newSwitch(siteNo, model.Switch{
					Name: suName + "-stor-leaf" + strconv.Itoa(k+1), Role: model.SwitchLeaf, Fabric: storage,
					LeafDomain: suName, Pod: podName,
				}, a7060x5, sh.storageGroup, speedStorage, speed400G)
				stor = append(stor, s)
				for j := range 2 {
					for c := range lpps {
						g.link(g.sw(s).Name, g.port(s, sh.storageGroup+1+j*lpps+c, speed400G),
							g.sw(storSpines[j]).Name, g.port(storSpines[j], storInPod*lpps+c+1, speed400G))
					}
				}
				storInPod++
			}

			// Racks and nodes.
			suNodes := min(sh.nodesPerSU, n-(suNo-1)*sh.nodesPerSU)
			for rk := range ceilDiv(suNodes, sh.nodesPerRack) {
				rackName := suName + "-r" + pad(rk+1, rackW)
				ld.Racks = append(ld.Racks, model.Rack{Name: rackName})
				ms := g.newSwitch(siteNo, model.Switch{
					Name: rackName + "-mgmt", Role: model.SwitchLeaf, Fabric: mgmt,
					Rack: rackName, LeafDomain: suName, Pod: podName,
				}, sn2201, 48, speedMgmt, speed100G)
				for j := range 2 {
					g.link(g.sw(ms).Name, g.port(ms, 49+j, speed100G),
						g.sw(mgmtSpines[j]).Name, g.port(mgmtSpines[j], rackInPod+1, speed100G))
				}
				rackInPod++
				if sh.rackNVLink {
					f.NVLinkDomains = append(f.NVLinkDomains, model.NVLinkDomain{Name: rackName + "-nvl", Rack: rackName, Size: 72})
				}
				for i := range min(sh.nodesPerRack, suNodes-rk*sh.nodesPerRack) {
					slot := rk*sh.nodesPerRack + i
					host := rackName + "-n" + pad(i+1, nodeW)
					g.node(siteNo, nodeNo, host, rackName, compute, storage, mgmt)
					nodeNo++
					nd := &f.Nodes[len(f.Nodes)-1]
					for r := range sh.rails {
						leaf := leaves[r][slot/sh.leafDown]
						g.link(host, nd.NICs[r].Ports[0].Name, g.sw(leaf).Name, g.port(leaf, slot%sh.leafDown+1, speed400G))
					}
					pair := slot / sh.storageGroup
					for j := range 2 {
						s := stor[pair*2+j]
						g.link(host, nd.NICs[sh.rails+j].Ports[0].Name, g.sw(s).Name, g.port(s, slot%sh.storageGroup+1, speedStorage))
					}
					g.link(host, nd.NICs[sh.rails+2].Ports[0].Name, g.sw(ms).Name, g.port(ms, i+1, speedMgmt))
				}
			}
			pod.LeafDomains = append(pod.LeafDomains, ld)
		}
		site.Pods = append(site.Pods, pod)
	}
	f.Sites = append(f.Sites, site)
}

// cableCores cables spine (of pod number p) to its core group: 32
// uplinks, ports 33..64, spread evenly over the group.
func (g *gen) cableCores(spine swBuild, group []swBuild, p int) {
	per := len(group)
	for k := range 32 {
		m := (p*32 + k) % per // more cores than uplinks: spread pods over them
		if per <= 32 {
			m = k / (32 / per) // 32/per cables to each core
			if m >= per {
				break // 32 is not a multiple of per: leave the rest unused
			}
		}
		core := group[m]
		g.coreUsed[core.idx]++
		g.link(g.sw(spine).Name, g.port(spine, 33+k, speed400G), g.sw(core).Name, g.port(core, g.coreUsed[core.idx], speed400G))
	}
}
