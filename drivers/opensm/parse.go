package opensm

import (
	"strconv"
	"strings"

	"github.com/railyard/railyard/internal/fabric"
)

// Statement is one partition definition of a partition file, with the
// text around it.
type Statement struct {
	// Lead is the text between the previous statement's ";" and this
	// statement (blanks and comments).
	Lead string
	// Text is the statement itself, up to and including its ";".
	Text string

	Name      string
	PKey      uint16
	HasPKey   bool
	IPoIB     bool
	MTU       int
	DefMember string
	// Members are the GUIDs (16 lower-case hex digits) and keywords
	// (ALL, ALL_CAS, ALL_SWITCHES, ALL_ROUTERS, SELF) with their
	// membership: explicit, else defmember, else "limited".
	Members []fabric.Member
}

// File is a parsed partition file: its statements and the text after the
// last one. Concatenating every Lead and Text and Trailing gives back the
// file.
type File struct {
	Statements []Statement
	Trailing   string
}

// Keywords that stand for groups of ports in a member list.
var Keywords = []string{"ALL", "ALL_CAS", "ALL_SWITCHES", "ALL_ROUTERS", "SELF"}

// Parse splits a partition file into statements. It never fails: a
// statement it cannot read keeps its text and has no name.
func Parse(s string) File {
	var f File
	start := 0 // start of the current chunk (Lead + Text)
	stmt := -1 // start of the statement text, -1 before it begins
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '#':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == ';':
			if stmt < 0 {
				stmt = i
			}
			st := parseStatement(s[stmt : i+1])
			st.Lead = s[start:stmt]
			f.Statements = append(f.Statements, st)
			start, stmt = i+1, -1
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		default:
			if stmt < 0 {
				stmt = i
			}
		}
	}
	f.Trailing = s[start:]
	return f
}

// stripComments removes "#" comments and joins the lines.
func stripComments(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if i := strings.IndexByte(l, '#'); i >= 0 {
			l = l[:i]
		}
		b.WriteString(l)
		b.WriteByte(' ')
	}
	return b.String()
}

func parseStatement(text string) Statement {
	st := Statement{Text: text}
	body := strings.TrimSuffix(strings.TrimSpace(stripComments(text)), ";")
	head, members, ok := strings.Cut(body, ":")
	if !ok {
		return st
	}
	flags := strings.Split(head, ",")
	name, pk, hasPK := strings.Cut(strings.TrimSpace(flags[0]), "=")
	st.Name = strings.TrimSpace(name)
	if hasPK {
		v, err := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(strings.TrimSpace(pk)), "0x"), 16, 16)
		if err != nil {
			st.Name = ""
			return st
		}
		st.PKey, st.HasPKey = uint16(v)&0x7fff, true
	} else if st.Name == "Default" {
		st.PKey, st.HasPKey = 0x7fff, true
	}
	for _, fl := range flags[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(fl), "=")
		switch strings.TrimSpace(k) {
		case "ipoib":
			st.IPoIB = true
		case "mtu":
			st.MTU, _ = strconv.Atoi(strings.TrimSpace(v))
		case "defmember":
			st.DefMember = strings.TrimSpace(v)
		}
	}
	def := st.DefMember
	if def == "" {
		def = "limited"
	}
	for _, piece := range strings.Split(members, ",") {
		for _, item := range strings.Fields(piece) {
			k, m, _ := strings.Cut(item, "=")
			if g, ok := guid(k); ok {
				k = g
			} else if !isKeyword(k) {
				continue // mgid=..., and the multicast group's flags
			}
			if m == "" {
				m = def
			}
			st.Members = append(st.Members, fabric.Member{GUID: k, Membership: fabric.Membership(m)})
		}
	}
	return st
}

func isKeyword(s string) bool {
	for _, k := range Keywords {
		if s == k {
			return true
		}
	}
	return false
}

// guid normalizes a port GUID (0x-prefixed hex, up to 64 bits) to 16
// lower-case hex digits.
func guid(s string) (string, bool) {
	h, ok := strings.CutPrefix(strings.ToLower(s), "0x")
	if !ok || h == "" || len(h) > 16 {
		return "", false
	}
	v, err := strconv.ParseUint(h, 16, 64)
	if err != nil {
		return "", false
	}
	g := strconv.FormatUint(v, 16)
	return strings.Repeat("0", 16-len(g)) + g, true
}

// Owned reports whether a statement defines a partition Railyard owns.
func (s Statement) Owned() bool { return strings.HasPrefix(s.Name, fabric.OwnedPrefix) }

// IsDefault reports whether a statement defines the default partition.
func (s Statement) IsDefault() bool { return s.HasPKey && s.PKey == 0x7fff }

// Partitions returns the partitions Railyard owns, statements with the
// same PKey merged as OpenSM merges them (members joined, a later
// membership for the same GUID winning, flags from whichever sets them).
func (f File) Partitions() []fabric.Partition {
	byKey := map[uint16]*fabric.Partition{}
	var order []uint16
	for _, st := range f.Statements {
		if !st.Owned() || !st.HasPKey {
			continue
		}
		p, ok := byKey[st.PKey]
		if !ok {
			p = &fabric.Partition{PKey: st.PKey, Name: st.Name}
			byKey[st.PKey] = p
			order = append(order, st.PKey)
		}
		p.IPoIB = p.IPoIB || st.IPoIB
		if st.MTU != 0 {
			p.MTU = st.MTU
		}
	next:
		for _, m := range st.Members {
			for i := range p.Members {
				if p.Members[i].GUID == m.GUID {
					p.Members[i].Membership = m.Membership
					continue next
				}
			}
			p.Members = append(p.Members, m)
		}
	}
	var out []fabric.Partition
	for _, k := range order {
		out = append(out, *byKey[k])
	}
	return out
}

// unsafeDefault reports whether a Default statement gives full
// membership to every port (ALL, ALL_CAS) or to one of the GUIDs.
func unsafeDefault(st Statement, tenantGUIDs map[string]bool) bool {
	for _, m := range st.Members {
		if m.Membership != fabric.Full && m.Membership != "both" {
			continue
		}
		if m.GUID == "ALL" || m.GUID == "ALL_CAS" || tenantGUIDs[m.GUID] {
			return true
		}
	}
	return false
}
