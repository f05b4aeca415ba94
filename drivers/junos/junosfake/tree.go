package junosfake

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/railyard/railyard/internal/fabric"
)

// The configuration schema the fake understands, one statement a line,
// indented by two spaces per level:
//
//	kw          a container, or a flag when it has no children
//	kw =CHECK   a leaf with one value (set replaces it)
//	kw +CHECK   a leaf with many values (set adds one); +o keeps order
//	kw *CHECK   a list entry named by the next word, with children;
//	            *o keeps the order entries were made in
//	<>          an entry named by the word itself (interfaces et-0/0/0)
//
// CHECK is empty, #lo-hi (a number), (a|b) (one of), %rd, %target or
// %prefix.
const schemaText = `
version =
system
  host-name =
interfaces
  <>
    description =
    disable
    mtu =#256-9216
    unit *#0-16385
      family *(inet|ethernet-switching)
        address *%prefix
        interface-mode =(access|trunk)
        vlan
          members +
policy-options
  policy-statement *
    term *o
      from
        community +
      then
        community
          add +
        accept
        reject
    then
      accept
      reject
  community *
    members +%target
routing-instances
  <>
    instance-type =(vrf|virtual-router|mac-vrf|evpn|forwarding)
    interface *
    route-distinguisher =%rd
    vrf-import +o
    vrf-export +o
    vrf-target =%target
    protocols
      evpn
        ip-prefix-routes
          advertise =(direct-nexthop|gateway-address)
          encapsulation =(vxlan|mpls)
          vni =#1-16777214
routing-options
  router-id =
  autonomous-system =#1-4294967295
protocols
  bgp
    group *
      type =(external|internal)
      local-address =
      multipath
      family
        evpn
          signaling
      neighbor *
        peer-as =#1-4294967295
  evpn
    encapsulation =(vxlan|mpls)
    extended-vni-list +#1-16777214
    vni-options
      vni *#1-16777214
        vrf-target =%target
switch-options
  vtep-source-interface =
  route-distinguisher =%rd
  vrf-target =%target
vlans
  <>
    description =
    vlan-id =#1-4094
    l3-interface =
    vxlan
      vni =#1-16777214
`

type kind int

const (
	container kind = iota
	leaf
	leafList
	list
	anon
)

// snode is a statement in the schema.
type snode struct {
	kw      string
	kind    kind
	ordered bool
	check   string
	kids    []*snode
}

func (s *snode) child(kw string) (*snode, int) {
	for i, k := range s.kids {
		if k.kind != anon && k.kw == kw {
			return k, i
		}
	}
	return nil, -1
}

func (s *snode) anonChild() *snode {
	for _, k := range s.kids {
		if k.kind == anon {
			return k
		}
	}
	return nil
}

func (s *snode) index(k *snode) int {
	for i, x := range s.kids {
		if x == k {
			return i
		}
	}
	return len(s.kids)
}

var schema = parseSchema(schemaText)

func parseSchema(text string) *snode {
	root := &snode{}
	stack := []*snode{root}
	for _, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		depth := (len(line) - len(strings.TrimLeft(line, " "))) / 2
		f := strings.Fields(line)
		n := &snode{kw: f[0]}
		if f[0] == "<>" {
			n.kw, n.kind = "", anon
		}
		if len(f) > 1 {
			spec := f[1]
			switch spec[0] {
			case '=':
				n.kind = leaf
			case '+':
				n.kind = leafList
			case '*':
				n.kind = list
			}
			spec = spec[1:]
			if strings.HasPrefix(spec, "o") {
				n.ordered, spec = true, spec[1:]
			}
			n.check = spec
		}
		stack = stack[:depth+1]
		parent := stack[depth]
		parent.kids = append(parent.kids, n)
		stack = append(stack, n)
	}
	return root
}

var (
	rdRe     = regexp.MustCompile(`^(\d+\.\d+\.\d+\.\d+|\d+L?):\d+$`)
	targetRe = regexp.MustCompile(`^target:(\d+\.\d+\.\d+\.\d+|\d+L?):\d+$`)
	rangeRe  = regexp.MustCompile(`^#(\d+)-(\d+)$`)
)

// validate checks a value against a schema check and returns Junos'
// complaint, or "".
func validate(check, v string) string {
	switch {
	case check == "":
		return ""
	case strings.HasPrefix(check, "#"):
		m := rangeRe.FindStringSubmatch(check)
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return fmt.Sprintf("error: invalid numeric value: '%s'", v)
		}
		lo, _ := strconv.ParseUint(m[1], 10, 64)
		hi, _ := strconv.ParseUint(m[2], 10, 64)
		if n < lo || n > hi {
			return fmt.Sprintf("error: Value %s is not within range (%s..%s)", v, m[1], m[2])
		}
	case strings.HasPrefix(check, "("):
		for _, a := range strings.Split(strings.Trim(check, "()"), "|") {
			if a == v {
				return ""
			}
		}
		return "syntax error."
	case check == "%rd":
		if !rdRe.MatchString(v) {
			return fmt.Sprintf("error: invalid route distinguisher: '%s'", v)
		}
	case check == "%target":
		if !targetRe.MatchString(v) {
			return fmt.Sprintf("error: invalid community: '%s': community members must be target:<asn|ip>:<number>", v)
		}
	case check == "%prefix":
		if _, err := netip.ParsePrefix(v); err != nil {
			return fmt.Sprintf("error: invalid prefix: '%s'", v)
		}
	}
	return ""
}

// node is a configuration statement: a keyword, a value (the name of a
// list entry or the value of a leaf) and children.
type node struct {
	s    *snode
	kw   string
	val  string
	kids []*node
}

func newRoot() *node { return &node{s: schema} }

func (n *node) clone() *node {
	c := &node{s: n.s, kw: n.kw, val: n.val}
	for _, k := range n.kids {
		c.kids = append(c.kids, k.clone())
	}
	return c
}

// words is how the statement reads.
func (n *node) words() string {
	v := n.val
	if strings.ContainsAny(v, " ;{}[]") || (v == "" && n.s.kind == leaf) {
		v = strconv.Quote(v)
	}
	switch {
	case n.kw == "":
		return v
	case n.s.kind == container:
		return n.kw
	default:
		return n.kw + " " + v
	}
}

// same reports whether two statements are the same one (a leaf with a
// different value is the same statement, changed).
func same(a, b *node) bool {
	if a.s != b.s {
		return false
	}
	switch a.s.kind {
	case list, anon, leafList:
		return a.val == b.val
	}
	return true
}

// before orders a parent's children: schema order, then names
// naturally, except in ordered lists.
func before(parent *snode, a, b *node) bool {
	ia, ib := parent.index(a.s), parent.index(b.s)
	if ia != ib {
		return ia < ib
	}
	if a.s.ordered {
		return false
	}
	return fabric.ComparePortNames(a.val, b.val) < 0
}

func (n *node) find(k *node) (int, *node) {
	for i, x := range n.kids {
		if same(x, k) {
			return i, x
		}
	}
	return -1, nil
}

func (n *node) insert(k *node) {
	i := len(n.kids)
	for j, x := range n.kids {
		if before(n.s, k, x) {
			i = j
			break
		}
	}
	n.kids = append(n.kids, nil)
	copy(n.kids[i+1:], n.kids[i:])
	n.kids[i] = k
}

// step is one statement of a parsed path.
type step struct {
	s   *snode
	kw  string
	val string
}

// parsePath walks words through the schema. For delete, the last leaf
// may come without its value. It returns the steps, or Junos' complaint
// and the index of the word it is about.
func parsePath(words []string, forDelete bool) ([]step, string, int) {
	cur := schema
	var out []step
	if len(words) == 0 {
		return nil, "missing argument.", 0
	}
	for i := 0; i < len(words); i++ {
		w := words[i]
		if strings.ContainsFunc(w, unicode.IsControl) {
			// A line break or other control character inside a word:
			// the CLI ends a command at a line break, and nothing stored
			// may contain one.
			return nil, "syntax error.", i
		}
		s, _ := cur.child(w)
		if s == nil {
			a := cur.anonChild()
			if a == nil || w == "" {
				return nil, "syntax error.", i
			}
			out = append(out, step{s: a, val: w})
			cur = a
			continue
		}
		switch s.kind {
		case container:
			out = append(out, step{s: s, kw: w})
			cur = s
		case leaf, leafList, list:
			if i+1 >= len(words) {
				if forDelete {
					out = append(out, step{s: s, kw: w})
					return out, "", 0
				}
				return nil, "missing argument.", i + 1
			}
			v := words[i+1]
			if v == "" {
				// An empty name or value ("" or a lone quote): the fake
				// refuses it rather than store a line it could not print
				// back.
				return nil, "missing argument.", i + 1
			}
			if msg := validate(s.check, v); msg != "" {
				return nil, msg, i + 1
			}
			out = append(out, step{s: s, kw: w, val: v})
			i++
			if s.kind != list {
				if i+1 < len(words) {
					return nil, "syntax error.", i + 1
				}
				return out, "", 0
			}
			cur = s
		}
	}
	return out, "", 0
}

// set adds the path to the tree; it reports whether anything changed.
func (n *node) set(path []step) bool {
	changed := false
	cur := n
	for _, st := range path {
		k := &node{s: st.s, kw: st.kw, val: st.val}
		_, x := cur.find(k)
		switch {
		case x == nil:
			cur.insert(k)
			x, changed = k, true
		case st.s.kind == leaf && x.val != st.val:
			x.val, changed = st.val, true
		}
		cur = x
	}
	return changed
}

// del removes the statement at path (all values of a leaf list when its
// value is left out) and prunes the containers it leaves empty. It
// reports whether the statement was there.
func (n *node) del(path []step) bool {
	chain := []*node{n}
	cur := n
	for i, st := range path {
		last := i == len(path)-1
		if last && st.val == "" && (st.s.kind == leaf || st.s.kind == leafList || st.s.kind == list) {
			found := false
			kept := cur.kids[:0]
			for _, x := range cur.kids {
				if x.s == st.s {
					found = true
					continue
				}
				kept = append(kept, x)
			}
			cur.kids = kept
			if found {
				prune(chain)
			}
			return found
		}
		k := &node{s: st.s, kw: st.kw, val: st.val}
		j, x := cur.find(k)
		if x == nil || (st.s.kind == leaf && st.val != "" && x.val != st.val) {
			return false
		}
		if last {
			cur.kids = append(cur.kids[:j], cur.kids[j+1:]...)
			prune(chain)
			return true
		}
		chain = append(chain, x)
		cur = x
	}
	return false
}

// prune removes the containers and entries that deleting left empty,
// from the bottom up (deleting the last unit of irb removes irb).
func prune(chain []*node) {
	for i := len(chain) - 1; i > 0; i-- {
		c := chain[i]
		if len(c.kids) > 0 {
			return
		}
		p := chain[i-1]
		for j, x := range p.kids {
			if x == c {
				p.kids = append(p.kids[:j], p.kids[j+1:]...)
				break
			}
		}
	}
}

// lookup returns the node at the path, or nil.
func (n *node) lookup(words ...string) *node {
	path, msg, _ := parsePath(words, true)
	if msg != "" {
		return nil
	}
	cur := n
	for _, st := range path {
		_, x := cur.find(&node{s: st.s, kw: st.kw, val: st.val})
		if x == nil {
			return nil
		}
		cur = x
	}
	return cur
}

// displaySet prints the tree as set commands.
func (n *node) displaySet(prefix string, b *strings.Builder) {
	for _, k := range n.kids {
		p := strings.TrimSpace(prefix + " " + k.words())
		if len(k.kids) == 0 {
			b.WriteString("set " + p + "\n")
			continue
		}
		k.displaySet(p, b)
	}
}

// text prints the tree in Junos' curly-brace format, marking each line
// with mark ("" for show, "+" or "-" for compare).
func (n *node) text(indent int, mark string, b *strings.Builder) {
	pad := func() string {
		if mark == "" {
			return strings.Repeat("    ", indent)
		}
		return mark + "   " + strings.Repeat("    ", indent)
	}
	for i := 0; i < len(n.kids); i++ {
		k := n.kids[i]
		if k.s.kind == leafList {
			vals := []string{k.words()[len(k.kw)+1:]}
			for i+1 < len(n.kids) && n.kids[i+1].s == k.s {
				i++
				vals = append(vals, n.kids[i].words()[len(k.kw)+1:])
			}
			if len(vals) == 1 {
				fmt.Fprintf(b, "%s%s %s;\n", pad(), k.kw, vals[0])
			} else {
				fmt.Fprintf(b, "%s%s [ %s ];\n", pad(), k.kw, strings.Join(vals, " "))
			}
			continue
		}
		if len(k.kids) == 0 {
			fmt.Fprintf(b, "%s%s;\n", pad(), k.words())
			continue
		}
		if k.s.kind == container && k.kw == "community" {
			// then community add X reads as one statement in Junos.
			for _, a := range k.kids {
				fmt.Fprintf(b, "%scommunity %s;\n", pad(), a.words())
			}
			continue
		}
		fmt.Fprintf(b, "%s%s {\n", pad(), k.words())
		k.text(indent+1, mark, b)
		fmt.Fprintf(b, "%s}\n", pad())
	}
}

// compare prints what changes from a (committed) to c (candidate) in
// Junos' show | compare format: statements in configuration order, each
// run of added or removed ones under the [edit ...] header of where it
// is.
func compare(a, c *node, path []string, b *strings.Builder) {
	header := false
	one := func(k *node, mark string) {
		if !header {
			if len(path) == 0 {
				b.WriteString("[edit]\n")
			} else {
				b.WriteString("[edit " + strings.Join(path, " ") + "]\n")
			}
			header = true
		}
		t := &node{s: a.s, kids: []*node{k}}
		t.text(0, mark, b)
	}
	merged := &node{s: a.s}
	for _, k := range a.kids {
		merged.kids = append(merged.kids, k)
	}
	for _, k := range c.kids {
		if _, x := a.find(k); x == nil {
			merged.insert(k)
		}
	}
	for _, k := range merged.kids {
		_, ka := a.find(k)
		_, kc := c.find(k)
		switch {
		case ka == nil:
			one(kc, "+")
		case kc == nil:
			one(ka, "-")
		case ka.s.kind == leaf:
			if ka.val != kc.val {
				one(ka, "-")
				one(kc, "+")
			}
		case len(ka.kids) > 0 || len(kc.kids) > 0:
			n := b.Len()
			compare(ka, kc, append(append([]string{}, path...), ka.words()), b)
			if b.Len() != n {
				header = false
			}
		}
	}
}
