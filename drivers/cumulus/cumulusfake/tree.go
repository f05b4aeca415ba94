package cumulusfake

import (
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/railyard/railyard/internal/fabric"
)

// The NVUE object model the fake understands, one attribute a line,
// indented by two spaces per level:
//
//	kw            an object
//	kw =CHECK     an attribute with a value (set replaces it); a trailing
//	              !DEFAULT is the default, which NVUE does not store
//	kw *CHECK     a collection keyed by the next word
//	@toggle       the enable attribute: "state enabled|disabled" from
//	              Cumulus Linux 5.5, "enable on|off" before
//
// CHECK is empty, #lo-hi, (a|b), %ip, %prefix, %rd, %rt or %ifname.
const schemaText = `
bridge
  domain *%ifname
    type =(vlan-aware)
    vlan *#1-4094
      vni *#1-16777214
evpn
  @toggle
  vni *#1-16777214
    rd =%rd
    route-target
      both *%rt
      export *%rt
      import *%rt
interface *%ifname
  bridge
    domain *%ifname
      access =#1-4094
      vlan *
  ip
    address *%prefix
    vrf =%ifname
    vrr
      address *%prefix
      mac-address =
  link
    mtu =#552-9216
    state =(up|down)!up
  type =(swp|loopback|svi|bond|eth|sub)
nve
  vxlan
    @toggle
    source
      address =%ip
router
  bgp
    @toggle
    autonomous-system =#1-4294967295
    router-id =%ip
system
  hostname =%hostname
vrf *%ifname
  evpn
    @toggle
    vni *#1-16777214
  router
    bgp
      @toggle
      address-family
        ipv4-unicast
          @toggle
          redistribute
            connected
              @toggle
          route-export
            to-evpn
              @toggle
      rd =%rd
      route-export
        to-evpn
          route-target *%rt
      route-import
        from-evpn
          route-target *%rt
  table =!auto
`

type kind int

const (
	object kind = iota
	attr
	collection
)

type snode struct {
	kw    string
	kind  kind
	check string
	def   string
	kids  []*snode
}

func (s *snode) child(kw string) *snode {
	for _, k := range s.kids {
		if k.kw == kw {
			return k
		}
	}
	return nil
}

func (s *snode) names() string {
	var n []string
	for _, k := range s.kids {
		n = append(n, "'"+k.kw+"'")
	}
	return "[" + strings.Join(n, ", ") + "]"
}

func parseSchema(text string, legacy bool) *snode {
	toggle := "state =(enabled|disabled)"
	if legacy {
		toggle = "enable =(on|off)"
	}
	text = strings.ReplaceAll(text, "@toggle", toggle)
	root := &snode{}
	stack := []*snode{root}
	for _, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		depth := (len(line) - len(strings.TrimLeft(line, " "))) / 2
		f := strings.Fields(line)
		n := &snode{kw: f[0]}
		if len(f) > 1 {
			spec := f[1]
			if spec[0] == '=' {
				n.kind = attr
			} else {
				n.kind = collection
			}
			spec = spec[1:]
			if i := strings.Index(spec, "!"); i >= 0 {
				spec, n.def = spec[:i], spec[i+1:]
			}
			n.check = spec
		}
		stack = stack[:depth+1]
		stack[depth].kids = append(stack[depth].kids, n)
		stack = append(stack, n)
	}
	return root
}

var (
	hostnameRe = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)
	rdRe       = regexp.MustCompile(`^(\d+\.\d+\.\d+\.\d+|\d+):\d+$`)
	rtRe       = regexp.MustCompile(`^(\d+\.\d+\.\d+\.\d+|\d+|\*):\d+$`)
	ifnameRe   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]{0,14}$`)
	rangeRe    = regexp.MustCompile(`^#(\d+)-(\d+)$`)
)

// validate returns NVUE's complaint about a value, or "".
func validate(check, v string) string {
	switch {
	case check == "":
	case strings.HasPrefix(check, "#"):
		m := rangeRe.FindStringSubmatch(check)
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return fmt.Sprintf("'%s' is not of type 'integer'", v)
		}
		lo, _ := strconv.ParseUint(m[1], 10, 64)
		hi, _ := strconv.ParseUint(m[2], 10, 64)
		if n < lo {
			return fmt.Sprintf("%s is less than the minimum of %s", v, m[1])
		}
		if n > hi {
			return fmt.Sprintf("%s is greater than the maximum of %s", v, m[2])
		}
	case strings.HasPrefix(check, "("):
		var q []string
		for _, a := range strings.Split(strings.Trim(check, "()"), "|") {
			if a == v {
				return ""
			}
			q = append(q, "'"+a+"'")
		}
		return fmt.Sprintf("'%s' is not one of [%s]", v, strings.Join(q, ", "))
	case check == "%ip":
		if _, err := netip.ParseAddr(v); err != nil {
			return fmt.Sprintf("'%s' is not a 'ipv4' or 'ipv6'", v)
		}
	case check == "%prefix":
		if _, err := netip.ParsePrefix(v); err != nil {
			return fmt.Sprintf("'%s' is not a 'ip-prefix'", v)
		}
	case check == "%rd":
		if !rdRe.MatchString(v) {
			return fmt.Sprintf("'%s' is not a 'route-distinguisher'", v)
		}
	case check == "%rt":
		if !rtRe.MatchString(v) {
			return fmt.Sprintf("'%s' is not a 'route-target'", v)
		}
	case check == "%hostname":
		// NVUE: an RFC 1123 host name of up to 63 characters.
		if !hostnameRe.MatchString(v) {
			return fmt.Sprintf("'%s' is not a 'idn-hostname'", v)
		}
	case check == "%ifname":
		if !ifnameRe.MatchString(v) {
			return fmt.Sprintf("'%s' is not a 'interface-name'", v)
		}
	}
	return ""
}

// node is an object, an attribute (kw and val) or a collection entry
// (kw and the key in val).
type node struct {
	s    *snode
	kw   string
	val  string
	kids []*node
}

func (n *node) clone() *node {
	c := &node{s: n.s, kw: n.kw, val: n.val}
	for _, k := range n.kids {
		c.kids = append(c.kids, k.clone())
	}
	return c
}

func (n *node) words() string {
	if n.s.kind == object {
		return n.kw
	}
	return n.kw + " " + n.val
}

func same(a, b *node) bool {
	if a.s != b.s {
		return false
	}
	return a.s.kind != collection || a.val == b.val
}

func (n *node) find(k *node) *node {
	for _, x := range n.kids {
		if same(x, k) {
			return x
		}
	}
	return nil
}

func (n *node) insert(k *node) {
	n.kids = append(n.kids, k)
	sort.SliceStable(n.kids, func(i, j int) bool {
		a, b := n.kids[i], n.kids[j]
		if a.kw != b.kw {
			return a.kw < b.kw
		}
		return fabric.ComparePortNames(a.val, b.val) < 0
	})
}

type step struct {
	s   *snode
	kw  string
	val string
}

// parsePath walks words through the schema; for unset the last
// attribute or collection may come without its value. It returns the
// steps or NVUE's complaint.
func parsePath(root *snode, words []string, unset bool) ([]step, string) {
	cur := root
	var out []step
	if len(words) == 0 {
		return nil, "Missing argument: expected one of " + root.names()
	}
	for i := 0; i < len(words); i++ {
		w := words[i]
		s := cur.child(w)
		if s == nil {
			return nil, fmt.Sprintf("'%s' is not one of %s", w, cur.names())
		}
		if s.kind == object {
			out = append(out, step{s: s, kw: w})
			cur = s
			continue
		}
		if i+1 >= len(words) {
			if unset {
				out = append(out, step{s: s, kw: w})
				return out, ""
			}
			return nil, "Missing argument: <" + w + ">"
		}
		v := words[i+1]
		if msg := validate(s.check, v); msg != "" {
			return nil, msg
		}
		out = append(out, step{s: s, kw: w, val: v})
		i++
		if s.kind == attr {
			if i+1 < len(words) {
				return nil, fmt.Sprintf("Unexpected argument: '%s'", words[i+1])
			}
			return out, ""
		}
		cur = s
	}
	return out, ""
}

// set stores the path; an attribute set to its default is not stored.
func (n *node) set(path []step) {
	last := path[len(path)-1]
	if last.s.kind == attr && last.s.def != "" && last.val == last.s.def {
		n.unset(path)
		return
	}
	cur := n
	for _, st := range path {
		k := &node{s: st.s, kw: st.kw, val: st.val}
		x := cur.find(k)
		switch {
		case x == nil:
			cur.insert(k)
			x = k
		case st.s.kind == attr:
			x.val = st.val
		}
		cur = x
	}
}

// unset removes the path (and every entry of a collection named without
// a key) and the objects it leaves empty. Unsetting what is not there
// is not an error in NVUE.
func (n *node) unset(path []step) {
	chain := []*node{n}
	cur := n
	for i, st := range path {
		last := i == len(path)-1
		if last && st.val == "" && st.s.kind != object {
			kept := cur.kids[:0]
			for _, x := range cur.kids {
				if x.s != st.s {
					kept = append(kept, x)
				}
			}
			cur.kids = kept
			prune(chain)
			return
		}
		x := cur.find(&node{s: st.s, kw: st.kw, val: st.val})
		if x == nil || (st.s.kind == attr && x.val != st.val) {
			return
		}
		if last {
			for j, k := range cur.kids {
				if k == x {
					cur.kids = append(cur.kids[:j], cur.kids[j+1:]...)
					break
				}
			}
			prune(chain)
			return
		}
		chain = append(chain, x)
		cur = x
	}
}

func prune(chain []*node) {
	for i := len(chain) - 1; i > 0; i-- {
		c := chain[i]
		if len(c.kids) > 0 || c.s.kind != object {
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

// commands prints the tree as nv set commands (nv config show -o
// commands).
func (n *node) commands(prefix string, b *strings.Builder) {
	for _, k := range n.kids {
		p := strings.TrimSpace(prefix + " " + k.words())
		if len(k.kids) == 0 {
			b.WriteString("nv set " + p + "\n")
			continue
		}
		k.commands(p, b)
	}
}

func (n *node) text() string {
	var b strings.Builder
	n.commands("", &b)
	return b.String()
}

// diff prints the commands that turn a into c (nv config diff -o
// commands): unsets first, then sets.
func diff(a, c *node) string {
	var unsets, sets strings.Builder
	var walk func(a, c *node, prefix string)
	walk = func(a, c *node, prefix string) {
		for _, ka := range a.kids {
			kc := c.find(ka)
			if kc == nil {
				p := prefix + " " + ka.kw
				if ka.s.kind == collection {
					p += " " + ka.val
				}
				unsets.WriteString("nv unset " + strings.TrimSpace(p) + "\n")
			}
		}
		for _, kc := range c.kids {
			ka := a.find(kc)
			p := strings.TrimSpace(prefix + " " + kc.words())
			switch {
			case ka == nil || (kc.s.kind == attr && ka.val != kc.val):
				if len(kc.kids) == 0 {
					sets.WriteString("nv set " + p + "\n")
				} else {
					kc.commands(p, &sets)
				}
			default:
				walk(ka, kc, p)
			}
		}
	}
	walk(a, c, "")
	return unsets.String() + sets.String()
}

// lookup returns the node at words, or nil.
func (n *node) lookup(words ...string) *node {
	path, msg := parsePath(n.s, words, true)
	if msg != "" {
		return nil
	}
	cur := n
	for _, st := range path {
		x := cur.find(&node{s: st.s, kw: st.kw, val: st.val})
		if x == nil {
			return nil
		}
		cur = x
	}
	return cur
}

// keys lists the keys of the collection kw under n.
func (n *node) keys(kw string) []*node {
	if n == nil {
		return nil
	}
	var out []*node
	for _, k := range n.kids {
		if k.kw == kw {
			out = append(out, k)
		}
	}
	return out
}

func (n *node) attr(kw string) string {
	if n == nil {
		return ""
	}
	for _, k := range n.kids {
		if k.kw == kw && k.s.kind == attr {
			return k.val
		}
	}
	return ""
}
