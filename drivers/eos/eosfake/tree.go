package eosfake

import (
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/railyard/railyard/internal/fabric"
)

// node is one line of configuration and, for a mode, the lines under it.
type node struct {
	text string
	key  string
	rule *rule
	kids []*node
}

func (n *node) clone() *node {
	c := &node{text: n.text, key: n.key, rule: n.rule}
	for _, k := range n.kids {
		c.kids = append(c.kids, k.clone())
	}
	return c
}

func (n *node) find(r *rule, key string) *node {
	for _, k := range n.kids {
		if k.rule == r && k.key == key {
			return k
		}
	}
	return nil
}

// child returns the kid whose text starts with prefix (any rule).
func (n *node) child(prefix string) *node {
	for _, k := range n.kids {
		if strings.HasPrefix(k.text, prefix) {
			return k
		}
	}
	return nil
}

func (n *node) remove(k *node) {
	n.kids = slices.DeleteFunc(n.kids, func(x *node) bool { return x == k })
}

// sortKids orders lines the way EOS prints them: by the position of
// their command in the mode's grammar, then naturally by text.
func (n *node) sortKids() {
	slices.SortStableFunc(n.kids, func(a, b *node) int {
		if a.rule.order != b.rule.order {
			return a.rule.order - b.rule.order
		}
		return fabric.ComparePortNames(a.text, b.text)
	})
	for _, k := range n.kids {
		k.sortKids()
	}
}

// rule is one command of a mode.
type rule struct {
	// pat is the command, word by word: literals, or placeholders
	// <a-b> (a number in range), <word>, <rt> (ASN:n or IP:n, also for
	// RDs), <prefix> (a.b.c.d/len), <ip>, <mac>, <hms> (hh:mm:ss),
	// <if> (an interface name), <rest> (the rest of the line), {a|b}.
	pat []string
	// key is how many words identify the line: setting it again replaces
	// it, "no" with those words removes it. 0: every word (a set member).
	key int
	// mode, when set, makes the command enter a sub-mode (named by the
	// result).
	mode func(words []string) string
	// group joins top-level lines that EOS prints without "!" between.
	group string
	// hide reports a default value, which EOS does not store or print.
	hide func(words []string) bool
	// check runs before the command takes effect; it returns an error
	// line (and the command is refused) or a notice.
	check func(t *terminal, parent *node, words []string, neg bool) (out string, ok bool)
	order int
}

func mk(pat string, key int) *rule { return &rule{pat: strings.Fields(pat), key: key} }

func (r *rule) keyOf(words []string) string {
	if r.key == 0 || r.key > len(words) {
		return strings.Join(words, " ")
	}
	return strings.Join(words[:r.key], " ")
}

// match compares words with the rule. It returns the number of words
// that matched and whether the command is complete. For "no" a command
// is complete once its key words are there.
func (r *rule) match(words []string, neg bool) (n int, complete bool) {
	for i, p := range r.pat {
		if i == len(words) {
			need := len(r.pat)
			if neg && r.key > 0 {
				need = r.key
			}
			return i, i >= need
		}
		if p == "<rest>" {
			return len(words), true
		}
		if !matchWord(p, words[i]) {
			return i, false
		}
	}
	if len(words) > len(r.pat) {
		return len(r.pat), false
	}
	return len(words), true
}

var (
	rtRE  = regexp.MustCompile(`^(\d{1,10}|\d{1,3}(\.\d{1,3}){3}):\d{1,10}$`)
	macRE = regexp.MustCompile(`^[0-9a-f]{2}(:[0-9a-f]{2}){5}$`)
	hmsRE = regexp.MustCompile(`^\d{2}:[0-5]\d:[0-5]\d$`)
	ifRE  = regexp.MustCompile(`^(Ethernet\d+(/\d+)*|Loopback\d+|Vlan\d+|Vxlan1|Management\d+|Port-Channel\d+)$`)
)

func matchWord(p, w string) bool {
	switch {
	case p == "<word>":
		return w != ""
	case p == "<rt>":
		return rtRE.MatchString(w)
	case p == "<prefix>":
		pf, err := netip.ParsePrefix(w)
		return err == nil && pf.Addr().Is4()
	case p == "<ip>":
		a, err := netip.ParseAddr(w)
		return err == nil && a.Is4()
	case p == "<mac>":
		return macRE.MatchString(w)
	case p == "<hms>":
		return hmsRE.MatchString(w)
	case p == "<if>":
		return ifRE.MatchString(w)
	case strings.HasPrefix(p, "{"):
		return slices.Contains(strings.Split(strings.Trim(p, "{}"), "|"), w)
	case strings.HasPrefix(p, "<"):
		lo, hi, ok := strings.Cut(strings.Trim(p, "<>"), "-")
		if !ok {
			return false
		}
		v, err := strconv.ParseUint(w, 10, 32)
		a, _ := strconv.ParseUint(lo, 10, 32)
		b, _ := strconv.ParseUint(hi, 10, 32)
		return err == nil && a <= v && v <= b && w[0] != '0'
	}
	return p == w
}

// grammar is the commands of each mode.
type grammar map[string][]*rule

func (g grammar) init() grammar {
	for _, rs := range g {
		for i, r := range rs {
			r.order = i
		}
	}
	return g
}

// lookup finds the rule that accepts words in a mode; when none does it
// returns how far the best rule got and whether that was a prefix.
func (g grammar) lookup(mode string, words []string, neg bool) (r *rule, best int, incomplete bool) {
	for _, x := range g[mode] {
		n, ok := x.match(words, neg)
		if ok {
			return x, n, false
		}
		if inc := n == len(words); n > best || (n == best && inc) {
			best, incomplete = n, inc
		}
	}
	return nil, best, incomplete
}
