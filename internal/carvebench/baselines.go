package carvebench

import (
	"cmp"
	"math/bits"
	"slices"

	"github.com/railyard/railyard/internal/carve"
)

// The baselines, re-implemented from carving-anchors.md §1 on the engine's
// topology. Each takes the free eligible nodes (a view), a size k in
// nodes and the level req one domain of which must hold the block, and
// returns k node indexes or nil. Domain indexes follow node order, which
// is name order, so "the first domain" and "by name" mean the lowest
// index.

// firstFit is naive first fit: the first domain at the required level, in
// index order, with k free nodes; inside it the lowest node indexes. It is
// Slurm without a topology plugin (nodes in bitmap order) restricted to the
// constraint.
func firstFit(v *view, k int, req carve.Level) []int {
	for d, f := range v.free[req] {
		if int(f) >= k {
			return v.lowest(req, d, k, make([]int, 0, k))
		}
	}
	return nil
}

// worstFit takes the domain with the most free nodes at the required level
// (NVIDIA's bare-metal controller style), and within it, level by level,
// the children with the most free nodes first; ties go to the lowest
// index.
func worstFit(v *view, k int, req carve.Level) []int {
	best := -1
	for d, f := range v.free[req] {
		if best < 0 || f > v.free[req][best] {
			best = d
		}
	}
	if best < 0 || int(v.free[req][best]) < k {
		return nil
	}
	return v.mostFreeFirst(req, best, k, make([]int, 0, k))
}

func (v *view) mostFreeFirst(l carve.Level, d, k int, out []int) []int {
	if l == carve.LevelNVLink {
		return v.lowest(l, d, k, out)
	}
	cs := v.children(l, d)
	slices.SortStableFunc(cs, func(a, b int) int { return cmp.Compare(v.free[l-1][b], v.free[l-1][a]) })
	for _, c := range cs {
		if k == 0 {
			break
		}
		n := min(k, int(v.free[l-1][c]))
		if n > 0 {
			out = v.mostFreeFirst(l-1, c, n, out)
			k -= n
		}
	}
	return out
}

// kueueBestFit is Kueue TAS BestFit in required mode (§1.4,
// tas_flavor_snapshot.go): the domains of the required level are sorted by
// free count, descending, then name; if the first can hold k, the domain
// with the smallest count that holds k is chosen (the first such in sort
// order). Then, level by level down to the nodes, the children of every
// chosen domain are pooled, sorted the same way and taken greedily, most
// free first, except that once a domain can hold the remainder the
// best-fitting domain among those left is taken instead ("optimise the
// last domain"). The pods here are whole nodes, so slices are pods.
func kueueBestFit(v *view, k int, req carve.Level) []int {
	ds := make([]int, len(v.free[req]))
	for d := range ds {
		ds[d] = d
	}
	v.kueueSort(req, ds)
	if len(ds) == 0 || int(v.free[req][ds[0]]) < k {
		return nil
	}
	chosen := []int{ds[v.bestFit(req, ds, k)]}
	for l := req; l > carve.LevelNVLink; l-- {
		var pool []int
		for _, d := range chosen {
			pool = append(pool, v.children(l, d)...)
		}
		v.kueueSort(l-1, pool)
		chosen = v.greedyLastBestFit(l-1, pool, k)
	}
	// The lowest level: the nodes of the chosen NVLink domains, each
	// holding one pod, sorted by name.
	var nodes []int
	for _, d := range chosen {
		first, end := v.t.DomainNodes(carve.LevelNVLink, d)
		for i := first; i < end; i++ {
			if v.elig[i] {
				nodes = append(nodes, i)
			}
		}
	}
	slices.Sort(nodes)
	if len(nodes) < k {
		return nil
	}
	return nodes[:k]
}

// kueueSort orders domains of level l as Kueue's sortedDomains does for
// BestFit: free count descending, then name.
func (v *view) kueueSort(l carve.Level, ds []int) {
	slices.SortFunc(ds, func(a, b int) int {
		if c := cmp.Compare(v.free[l][b], v.free[l][a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
}

// bestFit returns the position in ds of the first domain with the smallest
// free count that holds n, or 0 when none does.
func (v *view) bestFit(l carve.Level, ds []int, n int) int {
	best, bestCount := 0, int32(-1)
	for j, d := range ds {
		if c := v.free[l][d]; int(c) >= n && (bestCount < 0 || c < bestCount) {
			best, bestCount = j, c
		}
	}
	return best
}

// greedyLastBestFit is Kueue's updateCountsToMinimum: most free first,
// and the last domain the best fit among those not yet taken.
func (v *view) greedyLastBestFit(l carve.Level, ds []int, n int) []int {
	var out []int
	for j := 0; j < len(ds) && n > 0; j++ {
		d := ds[j]
		if int(v.free[l][d]) >= n {
			out = append(out, ds[j+v.bestFit(l, ds[j:], n)])
			return out
		}
		if v.free[l][d] == 0 {
			break
		}
		out = append(out, d)
		n -= int(v.free[l][d])
	}
	return out
}

// slurmTree is Slurm's topology/tree (§1.1, eval_nodes_tree.c
// _eval_nodes_topo) with uniform node weights: the switch tree is the leaf
// domains under pods under the site. Leaf switches are chosen one at a
// time: the first by _topo_compare_switches (a leaf that holds the rest,
// the tightest such; else climb to the parents and prefer the subtree that
// holds it, tightest first; else the most free), each later one the
// closest to those chosen by summed hop distance, a nearer leaf winning
// only if it (or the ancestor compare() stopped at) holds the rest
// (_topo_choose_best_switch). Nodes are taken in
// bitmap (index) order.
//
// The constraint: a block that must fit in one leaf domain is Slurm's
// --switches=1 (refused if it would span more); for a wider required level
// the search continues only under the required domain that holds the first
// leaf, which compare() picks among those that can hold the block. A block
// that must fit in one NVLink domain (GB200, up to 18 trays) uses the
// NVLink domains as leaf switches, as a site that wants rack locality from
// topology/tree would declare them.
func slurmTree(v *view, k int, req carve.Level) []int {
	leafLevel := carve.LevelLeaf
	if req < leafLevel {
		leafLevel = req
	}
	t := v.t
	nLeaves := t.Domains(leafLevel)
	// cnt holds switch counts per level, from leafLevel up to the site,
	// decremented as leaves are used.
	var cnt [carve.LevelSite + 1][]int32
	for l := leafLevel; l <= carve.LevelSite; l++ {
		cnt[l] = slices.Clone(v.free[l])
	}
	// hops between two leaves: twice the levels up to their common
	// ancestor.
	hops := func(a, b int) int {
		h := 0
		for l := leafLevel; a != b; l++ {
			a, b = t.Parent(l, a), t.Parent(l, b)
			h += 2
		}
		return h
	}
	// compare is _topo_compare_switches: whether leaf i is a better fit
	// than leaf j for r nodes (1), a worse one (-1) or neither (0), and
	// whether i (or, after climbing, its ancestor) holds r.
	compare := func(i, j, r int) (better int, iFit bool) {
		l := leafLevel
		for {
			fi, fj := int(cnt[l][i]) >= r, int(cnt[l][j]) >= r
			iFit = fi // as in C: the fit at the last level compared
			if fi && fj {
				if cnt[l][i] < cnt[l][j] {
					return 1, iFit
				}
				if cnt[l][i] > cnt[l][j] {
					return -1, iFit
				}
				break
			}
			if fi {
				return 1, iFit
			}
			if fj {
				return -1, iFit
			}
			if l < carve.LevelSite && t.Parent(l, i) != t.Parent(l, j) {
				i, j = t.Parent(l, i), t.Parent(l, j)
				l++
				continue
			}
			break
		}
		switch {
		case cnt[l][i] > cnt[l][j]:
			return 1, iFit
		case cnt[l][i] < cnt[l][j]:
			return -1, iFit
		}
		return 0, iFit
	}

	dist := make([]int, nLeaves)
	used := make([]bool, nLeaves)
	var chosen []int
	out := make([]int, 0, k)
	lo, hi := 0, nLeaves // leaves allowed, after the first
	for rem := k; rem > 0; {
		best := -1
		for i := lo; i < hi; i++ {
			if used[i] || cnt[leafLevel][i] == 0 {
				continue
			}
			if best < 0 {
				best = i
				continue
			}
			tcs, iFit := compare(i, best, rem)
			if (dist[i] < dist[best] && iFit) || (dist[i] == dist[best] && tcs > 0) {
				best = i
			}
		}
		if best < 0 {
			return nil
		}
		if len(chosen) == 0 {
			if req == leafLevel {
				if int(cnt[leafLevel][best]) < k {
					return nil // --switches=1
				}
			} else {
				// Stay under the required domain holding the first leaf.
				d := best
				for l := leafLevel; l < req; l++ {
					d = t.Parent(l, d)
				}
				if int(v.free[req][d]) < k {
					return nil
				}
				first, end := t.DomainNodes(req, d)
				lo, hi = t.DomainIndex(first, leafLevel), t.DomainIndex(end-1, leafLevel)+1
			}
		}
		before := len(out)
		out = v.lowest(leafLevel, best, rem, out)
		rem -= len(out) - before
		chosen = append(chosen, best)
		used[best] = true
		for i := range dist {
			dist[i] += hops(best, i)
		}
		// The leaf is used up; its ancestors lose its count.
		c := cnt[leafLevel][best]
		d := best
		for l := leafLevel; l < carve.LevelSite; l++ {
			d = t.Parent(l, d)
			cnt[l+1][d] -= c
		}
		cnt[leafLevel][best] = 0
	}
	return out
}

// slurmBlock is Slurm's topology/block (§1.2, eval_nodes_block.c) with
// uniform node weights and no segments. Base blocks are the NVLink domains
// where they span several nodes (GB200 racks of 18 trays), else the leaf
// domains (H100 SUs of 32 nodes), in configuration (index) order; every
// power-of-two aggregation level is enforced (BlockSizes = bb, 2bb, 4bb,
// ... up to the whole fleet), and base block i belongs to level-L
// aggregate i>>L (buddy aggregation).
//
// A request of k nodes needs 2^L base blocks with L = ceil(log2(ceil(k /
// bb))); the lower-level blocks (llblocks) are those of level L-1, and the
// job may use at most ceil(k / llblock size) of them. Among the level-L
// aggregates whose max_llblock largest llblocks hold k, the one with the
// fewest free nodes wins (ties: the last). Inside it, base blocks are
// taken one at a time by _choose_best_bblock (prefer one in an llblock
// already used; else an llblock that holds the rest, the one with the
// fewest free nodes, or, if none does, the most; then a base block that
// holds the rest with the fewest free nodes, else the most), nodes in
// bitmap order. Base blocks with no free node are skipped (the C code can
// pick one and stall).
func slurmBlock(v *view, k int, req carve.Level) []int {
	t := v.t
	bl := carve.LevelLeaf
	if t.Domains(carve.LevelNVLink) < t.Nodes() {
		bl = carve.LevelNVLink
	}
	nbb := t.Domains(bl)
	bb := 0 // the planning base-block size: the largest
	for d := range nbb {
		first, end := t.DomainNodes(bl, d)
		bb = max(bb, end-first)
	}
	need := (k + bb - 1) / bb
	level := bits.Len(uint(need - 1)) // ceil(log2(need)); 0 for need 1
	top := bits.Len(uint(nbb - 1))    // the level holding every base block
	bpb := nbb                        // base blocks per block
	if level <= top {
		bpb = 1 << level
	}
	ll := max(level-1, 0)
	bpll := 1 << ll
	maxLL := (k + bpll*bb - 1) / (bpll * bb)
	useLL := bpb != bpll*maxLL

	onBB := v.free[bl]
	nBlocks := (nbb + bpb - 1) / bpb
	nLL := (nbb + bpll - 1) / bpll
	onLL := make([]int, nLL)
	for i := range nbb {
		onLL[i/bpll] += int(onBB[i])
	}
	block, blockCnt := -1, 0
	for b := range nBlocks {
		bnc, avail := 0, 0
		for i := b * bpb; i < min(nbb, (b+1)*bpb); i++ {
			bnc += int(onBB[i])
		}
		avail = bnc
		if useLL {
			var lls []int
			for j := b * bpb / bpll; j < min(nLL, (b+1)*bpb/bpll); j++ {
				lls = append(lls, onLL[j])
			}
			slices.SortFunc(lls, func(x, y int) int { return cmp.Compare(y, x) })
			avail = 0
			for _, c := range lls[:min(maxLL, len(lls))] {
				avail += c
			}
		}
		if avail < k {
			continue
		}
		if block < 0 || bnc <= blockCnt {
			block, blockCnt = b, bnc
		}
	}
	if block < 0 {
		return nil
	}

	lo, hi := block*bpb, min(nbb, (block+1)*bpb)
	required := make([]bool, nbb)
	sameLL := func(a, b int) bool { return a >= 0 && a>>ll == b>>ll }
	out := make([]int, 0, k)
	for rem := k; rem > 0; {
		best, bestFit, bestSame := -1, false, true
		for i := lo; i < hi; i++ {
			if required[i] || onBB[i] == 0 {
				continue
			}
			fit := int(onBB[i]) >= rem
			if useLL && !sameLL(best, i) {
				same := false
				for j := i &^ (bpll - 1); j < min(nbb, i|(bpll-1)+1); j++ {
					if required[j] {
						same = true
						break
					}
				}
				if best < 0 || (same && !bestSame) {
					best, bestFit, bestSame = i, fit, same
					continue
				}
				if !same && bestSame {
					continue
				}
				bc, ic := onLL[best>>ll], onLL[i>>ll]
				iFit, bFit := ic >= rem, bc >= rem
				switch {
				case iFit && !bFit:
					best, bestFit, bestSame = i, fit, same
					continue
				case !iFit && bFit:
					continue
				case iFit && bFit:
					if ic < bc {
						best, bestFit, bestSame = i, fit, same
						continue
					}
					if ic > bc {
						continue
					}
				default:
					if ic > bc {
						best, bestFit, bestSame = i, fit, same
						continue
					}
					if ic < bc {
						continue
					}
				}
			}
			if best < 0 || (fit && !bestFit) ||
				(!fit && !bestFit && onBB[i] >= onBB[best]) ||
				(fit && onBB[i] <= onBB[best]) {
				best, bestFit = i, fit
			}
		}
		if best < 0 {
			return nil
		}
		if useLL && maxLL <= 0 && !bestSame {
			return nil
		}
		before := len(out)
		out = v.lowest(bl, best, rem, out)
		rem -= len(out) - before
		required[best] = true
		if useLL && !bestSame {
			maxLL--
		}
	}
	return out
}
