package validate

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/railyard/railyard/internal/model"
)

// Cabling finding codes: the declared cabling against what discovery saw.
const (
	CodeMiswiredRail   = "miswired-rail"   // a NIC seen on a leaf of another rail than declared
	CodeMiswired       = "miswired"        // a port seen cabled elsewhere than declared
	CodeMissingLink    = "missing-link"    // a declared cable the switch does not see
	CodeUnexpectedLink = "unexpected-link" // a cable seen where nothing is declared
)

// Cabling compares the declared cables of f with the cables discovery
// observed. walked names the switches whose neighbour tables were read in
// the observations' run: a declared cable to a switch not walked is not
// reported missing, since nobody looked. Only cables whose devices have
// declared cabling are judged, so a fleet that is all discovered has no
// findings. Findings are sorted like Fleet's.
func Cabling(f *model.Fleet, observed []model.Link, walked map[string]bool) []model.Finding {
	declared := map[string]model.Link{}
	declaredAt := map[model.Endpoint]model.Link{}
	hasDeclared := map[string]bool{}
	for _, l := range f.Links {
		if l.Provenance == model.Discovered {
			continue
		}
		l = l.Normalize()
		declared[l.Key()] = l
		declaredAt[l.A], declaredAt[l.B] = l, l
		hasDeclared[l.A.Device], hasDeclared[l.B.Device] = true, true
	}
	nicRail := map[model.Endpoint]int{}
	for _, n := range f.Nodes {
		for _, c := range n.NICs {
			for _, p := range c.Ports {
				nicRail[model.Endpoint{Device: n.Hostname, Port: p.Name}] = c.Rail
			}
		}
	}
	switchRail := map[string]int{}
	for _, s := range f.Switches {
		switchRail[s.Name] = s.Rail
	}
	c := &checker{}
	seen := map[string]bool{}
	explained := map[string]bool{} // declared cables a miswire accounts for
	for _, o := range observed {
		o = o.Normalize()
		k := o.Key()
		if seen[k] {
			continue
		}
		seen[k] = true
		if _, ok := declared[k]; ok {
			continue
		}
		if !hasDeclared[o.A.Device] && !hasDeclared[o.B.Device] {
			continue
		}
		var want []model.Link
		for _, e := range []model.Endpoint{o.A, o.B} {
			if d, ok := declaredAt[e]; ok && !slices.Contains(want, d) {
				want = append(want, d)
			}
		}
		obj := "link/" + k
		if len(want) == 0 {
			c.warnf(CodeUnexpectedLink, obj, "cable %s ~ %s is seen but not declared", o.A, o.B)
			continue
		}
		for _, d := range want {
			explained[d.Key()] = true
		}
		node, sw := nodeEnd(o, nicRail)
		if r := nicRail[node]; r > 0 && switchRail[sw.Device] > 0 && switchRail[sw.Device] != r {
			c.errorf(CodeMiswiredRail, obj, "%s (rail %d) is seen on %s, a rail-%d leaf; declared: %s", node, r, sw, switchRail[sw.Device], describe(want))
			continue
		}
		c.errorf(CodeMiswired, obj, "cable %s ~ %s is seen; declared: %s", o.A, o.B, describe(want))
	}
	for _, k := range slices.Sorted(maps.Keys(declared)) {
		d := declared[k]
		if seen[k] || explained[k] || !walked[d.A.Device] && !walked[d.B.Device] {
			continue
		}
		c.warnf(CodeMissingLink, "link/"+k, "declared cable %s ~ %s is not seen by %s", d.A, d.B, walkedEnd(d, walked))
	}
	slices.SortFunc(c.out, compareFindings)
	return c.out
}

func nodeEnd(l model.Link, nicRail map[model.Endpoint]int) (node, sw model.Endpoint) {
	if _, ok := nicRail[l.A]; ok {
		return l.A, l.B
	}
	return l.B, l.A
}

func walkedEnd(l model.Link, walked map[string]bool) string {
	if walked[l.A.Device] {
		return l.A.Device
	}
	return l.B.Device
}

func describe(ls []model.Link) string {
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = fmt.Sprintf("%s ~ %s", l.A, l.B)
	}
	return strings.Join(parts, ", ")
}
