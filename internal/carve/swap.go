package carve

import (
	"cmp"
	"fmt"
	"math/bits"
	"slices"

	"github.com/railyard/railyard/internal/model"
)

// Swap plans replacing one node of a block (failed, or due for
// maintenance) by a healthy spare: in the same NVLink domain if one is
// free, else the same leaf domain, and so on up to the block's required
// level; a segment's replacement stays in the segment's domain. The plan
// is what the network and maintenance layers execute.
func (s *State) Swap(name, node string) (*Plan, error) {
	b, ok := s.blocks[name]
	if !ok {
		return nil, fmt.Errorf("%w: block %s", ErrNotFound, name)
	}
	j := slices.IndexFunc(b.Members, func(m model.BlockMember) bool { return m.Node == node })
	if j < 0 {
		return nil, fmt.Errorf("%w: node %s is not in block %s", ErrInvalid, node, name)
	}
	q, err := s.searchFor(b)
	if err != nil {
		return nil, err
	}
	limit, _ := ParseLevel(b.Required)
	if limit == 0 {
		limit = LevelSite
	}
	if q.seg > 1 {
		limit = min(limit, q.segLevel)
	}
	if len(b.Members) == 1 {
		// One node sits inside one domain of every level wherever it is:
		// a one-node block's spare may come from anywhere in the site
		// (the search still walks outwards from the node).
		limit = LevelSite
	}
	// A swap moves one node, so single free nodes count even where whole
	// segments do not fit.
	q.seg, q.segLevel = 0, 0
	q.count()
	i := s.topo.byName[node]
	m := b.Members[j]
	var spare int32 = -1
	var at Level
	if len(m.GPUs) < q.perNode {
		spare, at = q.subNodeSpare(i, len(m.GPUs), limit)
	} else {
		touched := s.topo.touch(s.blockNodes(b))
		for l := LevelNVLink; l <= limit && spare < 0; l++ {
			d := s.topo.nodes[i].up[l]
			if q.cap[l][d] > 0 {
				spare, at = q.fillNear(l, d, 1, &touched, nil)[0], l
			}
		}
	}
	if spare < 0 {
		d := s.topo.nodes[i].up[limit]
		r := &Refusal{Request: fmt.Sprintf("a spare for node %s of block %s", node, name)}
		r.add("capacity", "no eligible %s node is free in its %s %s", b.GPUModel, limit.Noun(), s.topo.doms[limit][d].name)
		return nil, r
	}
	after := cloneBlock(b)
	gpus := m.GPUs
	if len(m.GPUs) < q.perNode {
		gpus = freeGPUs(s.used[spare]|s.bad[spare], len(m.GPUs))
	}
	after.Members[j] = model.BlockMember{Node: s.topo.nodes[spare].name, GPUs: gpus, Segment: m.Segment}
	slices.SortFunc(after.Members, func(x, y model.BlockMember) int {
		return cmp.Compare(s.topo.byName[x.Node], s.topo.byName[y.Node])
	})
	after.Generation = b.Generation + 1
	p := &Plan{Op: "swap", Before: b, After: &after, Removed: []model.BlockMember{m}, Added: []model.BlockMember{after.Members[slices.IndexFunc(after.Members, func(x model.BlockMember) bool { return x.Node == s.topo.nodes[spare].name })]}}
	p.Spans = s.topo.spans(s.blockNodes(&after))
	for l := LevelNVLink; l <= LevelSite; l++ {
		if p.Spans[l] == 1 {
			p.Level = l
			break
		}
	}
	p.Notes = append(p.Notes, fmt.Sprintf("spare %s is in the same %s (%s) as %s", s.topo.nodes[spare].name, at.Noun(), s.topo.doms[at][s.topo.nodes[spare].up[at]].name, node))
	return p, nil
}

// subNodeSpare finds the nearest other node with g free healthy GPUs.
func (q *search) subNodeSpare(i int32, g int, limit Level) (int32, Level) {
	for l := LevelNVLink; l <= limit; l++ {
		x := q.t.doms[l][q.t.nodes[i].up[l]]
		best, bestFree := int32(-1), 0
		for c := x.first; c < x.end; c++ {
			n := &q.t.nodes[c]
			if c == i || n.model != q.model || (q.s.why[c] != "" && q.s.why[c] != whyUnhealthy) {
				continue
			}
			if r := q.s.reserved[c]; r >= 0 && q.s.resv[r].Tenant != q.tenant {
				continue
			}
			free := n.gpus - bits.OnesCount64(q.s.used[c]|q.s.bad[c])
			if free >= g && (best < 0 || free < bestFree) {
				best, bestFree = c, free
			}
		}
		if best >= 0 {
			return best, l
		}
	}
	return -1, 0
}

// freeGPUs returns the lowest g GPU indexes not in taken.
func freeGPUs(taken uint64, g int) []int {
	var out []int
	for x := 0; len(out) < g; x++ {
		if taken&(1<<x) == 0 {
			out = append(out, x)
		}
	}
	return out
}
