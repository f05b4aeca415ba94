package carvebench

import (
	"fmt"

	"github.com/railyard/railyard/internal/carve"
	"github.com/railyard/railyard/internal/fleetgen"
	"github.com/railyard/railyard/internal/model"
)

// Fleet is one benchmark fleet: the engine's view of its nodes and the
// sizes of its topology domains.
type Fleet struct {
	// Name is the fleet's name in results: "h100-4su", "gb200-32rack".
	Name  string
	Shape string
	Nodes []model.NodeCapacity
	// GPUs is the number of GPUs; PerNode the GPUs of one node.
	GPUs, PerNode int
	// Largest[l] is the most nodes one domain of level l has.
	Largest [carve.LevelSite + 1]int
}

// FleetSpec names a fleet to build.
type FleetSpec struct {
	Name  string
	Shape string
	GPUs  int
}

// Fleets are the benchmark's fleets (carving-anchors §5.1): DGX H100
// SuperPODs of 4 SUs (the RA's 127 nodes), 16 and 64 SUs, and GB200 NVL72
// SuperPODs of 32 and 128 racks.
var Fleets = []FleetSpec{
	{"h100-4su", fleetgen.ShapeH100SuperPOD, 1016},
	{"h100-16su", fleetgen.ShapeH100SuperPOD, 4096},
	{"h100-64su", fleetgen.ShapeH100SuperPOD, 16384},
	{"gb200-32rack", fleetgen.ShapeGB200NVL72, 2304},
	{"gb200-128rack", fleetgen.ShapeGB200NVL72, 9216},
}

// BuildFleet generates the fleet with fleetgen and reduces it to what the
// engine reads.
func BuildFleet(spec FleetSpec) (*Fleet, error) {
	f, err := fleetgen.Generate(fleetgen.Spec{Shape: spec.Shape, GPUs: spec.GPUs, Name: "bench"})
	if err != nil {
		return nil, fmt.Errorf("fleet %s: %w", spec.Name, err)
	}
	return NewFleet(spec.Name, spec.Shape, carve.NodesOf(f))
}

// NewFleet wraps nodes that all have the same GPU model and count.
func NewFleet(name, shape string, nodes []model.NodeCapacity) (*Fleet, error) {
	if len(nodes) == 0 {
		return nil, fmt.Errorf("fleet %s: no nodes", name)
	}
	fl := &Fleet{Name: name, Shape: shape, Nodes: nodes, PerNode: nodes[0].GPUs}
	for _, n := range nodes {
		if n.GPUs != fl.PerNode || n.GPUModel != nodes[0].GPUModel {
			return nil, fmt.Errorf("fleet %s: node %s has %d %s GPUs, not %d %s", name, n.Node, n.GPUs, n.GPUModel, fl.PerNode, nodes[0].GPUModel)
		}
		fl.GPUs += n.GPUs
	}
	t := carve.NewTopology(nodes)
	for l := carve.LevelNVLink; l <= carve.LevelSite; l++ {
		for d := range t.Domains(l) {
			first, end := t.DomainNodes(l, d)
			fl.Largest[l] = max(fl.Largest[l], end-first)
		}
	}
	return fl, nil
}

// Required is the level a request of k nodes must stay within: the
// smallest level one domain of which can hold it. NVLink domains count
// only where they span several nodes (GB200 racks); on H100, where an
// NVLink domain is one node, the smallest is the leaf domain (the SU).
func (f *Fleet) Required(k int) carve.Level {
	for l := carve.LevelNVLink; l < carve.LevelSite; l++ {
		if l == carve.LevelNVLink && f.Largest[l] <= 1 {
			continue
		}
		if f.Largest[l] >= k {
			return l
		}
	}
	return carve.LevelSite
}

// MaxRequest is the largest request in nodes: 128, capped at the nodes of
// the largest pod.
func (f *Fleet) MaxRequest() int { return min(128, f.Largest[carve.LevelPod]) }

// ScaleFleet builds an H100-shaped fleet of the given number of nodes
// directly, without fleetgen's cabling: SUs of 32 nodes in 8 racks of 4,
// pods of 4 SUs, one site, one NVLink domain per node, named as fleetgen
// names them. It is for the latency-scale runs, where generating 16,384
// fully cabled nodes would cost more than the runs themselves.
func ScaleFleet(name string, nodes int) (*Fleet, error) {
	const nodesPerRack, racksPerSU, susPerPod = 4, 8, 4
	gpuModel := model.NodeModels["DGX H100"].GPUModel
	site := "scale"
	sus := (nodes + nodesPerRack*racksPerSU - 1) / (nodesPerRack * racksPerSU)
	pods := (sus + susPerPod - 1) / susPerPod
	suW, podW := max(2, len(fmt.Sprint(sus))), len(fmt.Sprint(pods))
	out := make([]model.NodeCapacity, 0, nodes)
	for i := range nodes {
		su := i / (nodesPerRack * racksPerSU)
		rack := i / nodesPerRack % racksPerSU
		pod := su / susPerPod
		suName := fmt.Sprintf("%s-su%0*d", site, suW, su+1)
		rackName := fmt.Sprintf("%s-r%02d", suName, rack+1)
		host := fmt.Sprintf("%s-n%02d", rackName, i%nodesPerRack+1)
		out = append(out, model.NodeCapacity{
			Node: host, Site: site, Pod: fmt.Sprintf("%s-pod%0*d", site, podW, pod+1),
			LeafDomain: suName, Rack: rackName, NVLinkDomain: host + "-nvl",
			GPUModel: gpuModel, GPUs: 8, State: model.NodeAvailable,
		})
	}
	return NewFleet(name, fleetgen.ShapeH100SuperPOD, out)
}
