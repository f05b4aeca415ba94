package model

import (
	"cmp"
	"slices"
)

// Normalize puts f into canonical order: every slice sorted by its key,
// link endpoints in canonical order. Two fleets that hold the same inventory
// are deeply equal after Normalize.
func (f *Fleet) Normalize() {
	slices.SortFunc(f.Sites, func(a, b Site) int { return cmp.Compare(a.Name, b.Name) })
	for i := range f.Sites {
		s := &f.Sites[i]
		slices.SortFunc(s.Pods, func(a, b Pod) int { return cmp.Compare(a.Name, b.Name) })
		for j := range s.Pods {
			p := &s.Pods[j]
			slices.SortFunc(p.LeafDomains, func(a, b LeafDomain) int { return cmp.Compare(a.Name, b.Name) })
			for k := range p.LeafDomains {
				slices.SortFunc(p.LeafDomains[k].Racks, func(a, b Rack) int { return cmp.Compare(a.Name, b.Name) })
			}
		}
	}
	slices.SortFunc(f.Fabrics, func(a, b Fabric) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(f.NVLinkDomains, func(a, b NVLinkDomain) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(f.Switches, func(a, b Switch) int { return cmp.Compare(a.Name, b.Name) })
	for i := range f.Switches {
		slices.SortFunc(f.Switches[i].Ports, func(a, b SwitchPort) int { return ComparePortNames(a.Name, b.Name) })
	}
	slices.SortFunc(f.Nodes, func(a, b Node) int { return cmp.Compare(a.Hostname, b.Hostname) })
	for i := range f.Nodes {
		n := &f.Nodes[i]
		slices.SortFunc(n.GPUs, func(a, b GPU) int { return cmp.Compare(a.Index, b.Index) })
		slices.SortFunc(n.NICs, func(a, b NIC) int { return ComparePortNames(a.Name, b.Name) })
		for j := range n.NICs {
			slices.SortFunc(n.NICs[j].Ports, func(a, b NICPort) int { return ComparePortNames(a.Name, b.Name) })
		}
	}
	for i := range f.Links {
		f.Links[i] = f.Links[i].Normalize()
	}
	slices.SortFunc(f.Links, func(a, b Link) int {
		if c := cmp.Compare(a.A.Device, b.A.Device); c != 0 {
			return c
		}
		if c := ComparePortNames(a.A.Port, b.A.Port); c != 0 {
			return c
		}
		if c := cmp.Compare(a.B.Device, b.B.Device); c != 0 {
			return c
		}
		return ComparePortNames(a.B.Port, b.B.Port)
	})
	slices.SortFunc(f.Tenants, func(a, b Tenant) int { return cmp.Compare(a.Name, b.Name) })
}

// ComparePortNames orders interface names naturally, so that Ethernet2
// sorts before Ethernet10 and 1/2 before 1/10: runs of digits compare as
// numbers, everything else byte by byte.
func ComparePortNames(a, b string) int {
	for a != "" && b != "" {
		da, db := isDigit(a[0]), isDigit(b[0])
		if da && db {
			na, ra := leadingDigits(a)
			nb, rb := leadingDigits(b)
			// Compare numerically: strip leading zeros, longer is larger.
			ta, tb := trimZeros(na), trimZeros(nb)
			if c := cmp.Compare(len(ta), len(tb)); c != 0 {
				return c
			}
			if c := cmp.Compare(ta, tb); c != 0 {
				return c
			}
			if c := cmp.Compare(len(na), len(nb)); c != 0 {
				return c
			}
			a, b = ra, rb
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func leadingDigits(s string) (digits, rest string) {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return s[:i], s[i:]
}

func trimZeros(s string) string {
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	return s
}
