package carve

import (
	"cmp"
	"slices"

	"github.com/railyard/railyard/internal/model"
)

// Topology is the static shape of the fleet: every node with its domain at
// each level. Nodes are sorted so that every domain covers a contiguous
// range of node indexes, and its children a contiguous range of the level
// below; both make counting a domain's free capacity a single pass.
type Topology struct {
	nodes  []nodeInfo
	byName map[string]int32
	// doms[L] lists the domains of level L, in node order.
	doms [numLevels][]domain
	// byDomain maps a level and a domain name to its index.
	byDomain [numLevels]map[string]int32
}

type nodeInfo struct {
	name  string
	model string
	gpus  int
	// up[L] is the node's domain at level L.
	up [numLevels]int32
}

type domain struct {
	name   string
	parent int32
	// first and end bound the domain's node indexes; cfirst and cend its
	// children's indexes at the level below.
	first, end   int32
	cfirst, cend int32
}

func (d domain) size() int32 { return d.end - d.first }

// NewTopology builds the tree from the inventory's nodes. A node with no
// NVLink domain is its own.
func NewTopology(nodes []model.NodeCapacity) *Topology {
	type keyed struct {
		keys [numLevels]string
		n    *model.NodeCapacity
	}
	ks := make([]keyed, len(nodes))
	for i := range nodes {
		n := &nodes[i]
		nvl := n.NVLinkDomain
		if nvl == "" {
			nvl = n.Node
		}
		// Keys are paths, so a domain declared under two parents splits
		// rather than joining unrelated subtrees.
		k := keyed{n: n}
		k.keys[LevelSite] = n.Site
		k.keys[LevelPod] = k.keys[LevelSite] + "/" + n.Pod
		k.keys[LevelLeaf] = k.keys[LevelPod] + "/" + n.LeafDomain
		k.keys[LevelNVLink] = k.keys[LevelLeaf] + "/" + nvl
		k.keys[LevelNode] = n.Node
		ks[i] = k
	}
	slices.SortFunc(ks, func(a, b keyed) int {
		for l := LevelSite; l >= LevelNVLink; l-- {
			if c := cmp.Compare(a.keys[l], b.keys[l]); c != 0 {
				return c
			}
		}
		return model.ComparePortNames(a.n.Node, b.n.Node)
	})

	t := &Topology{nodes: make([]nodeInfo, len(ks)), byName: make(map[string]int32, len(ks))}
	for l := LevelNode; l <= LevelSite; l++ {
		t.byDomain[l] = map[string]int32{}
	}
	var last [numLevels]string
	for i, k := range ks {
		n := k.n
		ni := nodeInfo{name: n.Node, model: n.GPUModel, gpus: n.GPUs}
		// Walk top-down: a new domain at level L starts whenever its key
		// changes, and then every level below starts a new one too.
		changed := false
		for l := LevelSite; l >= LevelNode; l-- {
			if changed || i == 0 || k.keys[l] != last[l] || l == LevelNode {
				changed = true
				name := domainName(l, n)
				d := domain{name: name, parent: -1, first: int32(i), end: int32(i)}
				if l < LevelSite {
					d.parent = int32(len(t.doms[l+1]) - 1)
				}
				t.doms[l] = append(t.doms[l], d)
				if _, dup := t.byDomain[l][name]; !dup {
					t.byDomain[l][name] = int32(len(t.doms[l]) - 1)
				}
				last[l] = k.keys[l]
			}
			ni.up[l] = int32(len(t.doms[l]) - 1)
			t.doms[l][ni.up[l]].end = int32(i + 1)
		}
		t.nodes[i] = ni
		t.byName[n.Node] = int32(i)
	}
	for l := LevelNVLink; l <= LevelSite; l++ {
		for c := range t.doms[l-1] {
			p := t.doms[l-1][c].parent
			d := &t.doms[l][p]
			if d.cend == 0 {
				d.cfirst = int32(c)
			}
			d.cend = int32(c + 1)
		}
	}
	return t
}

func domainName(l Level, n *model.NodeCapacity) string {
	switch l {
	case LevelSite:
		return n.Site
	case LevelPod:
		return n.Pod
	case LevelLeaf:
		return n.LeafDomain
	case LevelNVLink:
		if n.NVLinkDomain == "" {
			return n.Node
		}
		return n.NVLinkDomain
	}
	return n.Node
}

// Nodes is the number of nodes.
func (t *Topology) Nodes() int { return len(t.nodes) }

// NodeName returns node i's hostname.
func (t *Topology) NodeName(i int) string { return t.nodes[i].name }

// NodeIndex returns the index of the named node.
func (t *Topology) NodeIndex(name string) (int, bool) {
	i, ok := t.byName[name]
	return int(i), ok
}

// Domain returns the name of node i's domain at level l.
func (t *Topology) Domain(i int, l Level) string {
	return t.doms[l][t.nodes[i].up[l]].name
}

// DomainIndex returns the index of node i's domain at level l; indexes
// are dense from 0 to Domains(l)-1.
func (t *Topology) DomainIndex(i int, l Level) int { return int(t.nodes[i].up[l]) }

// Domains is the number of domains at level l.
func (t *Topology) Domains(l Level) int { return len(t.doms[l]) }

// DomainNodes returns the node index range [first, end) of domain d at
// level l.
func (t *Topology) DomainNodes(l Level, d int) (first, end int) {
	x := t.doms[l][d]
	return int(x.first), int(x.end)
}

// DomainName returns the name of domain d at level l.
func (t *Topology) DomainName(l Level, d int) string { return t.doms[l][d].name }

// GPUs returns node i's GPU count.
func (t *Topology) GPUs(i int) int { return t.nodes[i].gpus }
