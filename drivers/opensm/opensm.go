package opensm

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/railyard/railyard/drivers"
	"github.com/railyard/railyard/internal/fabric"
)

// Name is the name the driver registers under.
const Name = "opensm"

// Paths on the OpenSM host.
const (
	DefaultPath = "/etc/opensm/partitions.conf"
	PIDPath     = "/var/run/opensm.pid"
)

// DefaultLine is the default partition the driver writes when the file
// has none or has one that lets tenants in as full members.
const DefaultLine = "Default=0x7fff, ipoib : SELF=full ;"

// Marker is the comment before Railyard's partitions, at the end of the
// file.
const Marker = "# Partitions named ry-* are managed by Railyard; edits to them are overwritten."

// Driver programs an OpenSM partition file. It is stateless.
type Driver struct{}

func init() { drivers.Register(Driver{}) }

// Name returns "opensm".
func (Driver) Name() string { return Name }

var nameRe = regexp.MustCompile(`^ry-[A-Za-z0-9_.-]+$`)

func validate(c fabric.DeviceConfig) error {
	keys := map[uint16]string{}
	names := map[string]bool{}
	for _, p := range c.Partitions {
		if !nameRe.MatchString(p.Name) {
			return fmt.Errorf("opensm: partition %q: the name must start with %q and use only letters, digits, '.', '_' and '-'", p.Name, fabric.OwnedPrefix)
		}
		if p.PKey < 0x0001 || p.PKey > 0x7ffe {
			return fmt.Errorf("opensm: partition %s: PKey %#04x is outside 0x0001-0x7ffe", p.Name, p.PKey)
		}
		if o, dup := keys[p.PKey]; dup {
			return fmt.Errorf("opensm: partition %s: PKey %#04x is already used by %s", p.Name, p.PKey, o)
		}
		keys[p.PKey] = p.Name
		if names[p.Name] {
			return fmt.Errorf("opensm: partition name %s is used twice", p.Name)
		}
		names[p.Name] = true
		if p.MTU < 0 || p.MTU > 5 {
			return fmt.Errorf("opensm: partition %s: MTU code %d is outside 1-5", p.Name, p.MTU)
		}
		for _, m := range p.Members {
			if g, ok := guid("0x" + m.GUID); !ok || g != strings.ToLower(m.GUID) || len(m.GUID) != 16 {
				return fmt.Errorf("opensm: partition %s: %q is not a port GUID (16 hex digits)", p.Name, m.GUID)
			}
			if m.Membership != fabric.Full && m.Membership != fabric.Limited {
				return fmt.Errorf("opensm: partition %s: GUID %s: membership %q is neither full nor limited", p.Name, m.GUID, m.Membership)
			}
		}
	}
	return nil
}

// line renders one partition.
func line(p fabric.Partition) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s=0x%04x", p.Name, p.PKey)
	if p.IPoIB {
		b.WriteString(", ipoib")
	}
	if p.MTU != 0 {
		fmt.Fprintf(&b, ", mtu=%d", p.MTU)
	}
	b.WriteString(" :")
	for i, m := range p.Members {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, " 0x%s=%s", strings.ToLower(m.GUID), m.Membership)
	}
	b.WriteString(" ;")
	return b.String()
}

// Splice returns the partition file that carries current's statements
// other than Railyard's (byte for byte, with a safe Default) and then
// desired's partitions after Marker. It refuses a file that ends in an
// unterminated statement, which would swallow the partitions after it.
func Splice(current string, desired fabric.DeviceConfig) (string, error) {
	c := desired.Clone()
	c.Normalize()
	tenant := map[string]bool{}
	for _, p := range c.Partitions {
		for _, m := range p.Members {
			tenant[strings.ToLower(m.GUID)] = true
		}
	}
	head, tail := cutMarker(current)
	var b strings.Builder
	hasDefault := false
	// Statements after the marker were added by hand below Railyard's
	// block: they move above it, without the blank lines before them.
	inTail := false
	keep := func(f File) {
		for _, st := range f.Statements {
			lead := st.Lead
			if inTail {
				lead = strings.TrimLeft(lead, " \t\r\n")
				if !st.Owned() && b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
					b.WriteByte('\n')
				}
			}
			switch {
			case st.Owned():
				if !inTail {
					b.WriteString(lead)
				}
			case st.IsDefault() && unsafeDefault(st, tenant):
				hasDefault = true
				b.WriteString(lead + DefaultLine)
			default:
				hasDefault = hasDefault || st.IsDefault()
				b.WriteString(lead + st.Text)
			}
		}
	}
	hf, tf := Parse(head), Parse(tail)
	for _, t := range []string{hf.Trailing, tf.Trailing} {
		if s := strings.TrimSpace(stripComments(t)); s != "" {
			return "", fmt.Errorf("opensm: the partition file has a statement without its ';': %.40q", s)
		}
	}
	keep(hf)
	b.WriteString(hf.Trailing)
	inTail = true
	keep(tf)
	if strings.TrimSpace(tf.Trailing) != "" {
		b.WriteString(tf.Trailing)
	}
	out := b.String()
	if !hasDefault {
		out = DefaultLine + "\n" + out
	}
	if len(c.Partitions) == 0 {
		return out, nil
	}
	if !strings.HasSuffix(out, "\n") {
		out += "\n"
	}
	out += Marker + "\n"
	for _, p := range c.Partitions {
		out += line(p) + "\n"
	}
	return out, nil
}

// cutMarker splits a file at the first line that is Marker.
func cutMarker(s string) (head, tail string) {
	for i := 0; i < len(s); {
		end := len(s)
		if j := strings.IndexByte(s[i:], '\n'); j >= 0 {
			end = i + j
		}
		if s[i:end] == Marker {
			return s[:i], s[min(end+1, len(s)):]
		}
		i = end + 1
	}
	return s, ""
}

// Render returns the partition file for cfg on a host whose file holds
// nothing else: the Default partition and Railyard's partitions.
func (Driver) Render(cfg fabric.DeviceConfig) (string, error) {
	if err := validate(cfg); err != nil {
		return "", err
	}
	return Splice("", cfg)
}

// quote makes s one single-quoted shell word.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// writeCommands are the commands that replace the file at path with
// content; existed says whether there is a file to back up.
func writeCommands(path, content string, existed bool) []string {
	var args []string
	for _, l := range strings.Split(strings.TrimSuffix(content, "\n"), "\n") {
		args = append(args, quote(l))
	}
	cmds := []string{"printf '%s\\n' " + strings.Join(args, " ") + " > " + quote(path+".ry-new")}
	if existed {
		cmds = append(cmds, "cp -p "+quote(path)+" "+quote(path+".ry-bak"))
	}
	cmds = append(cmds, "mv -f "+quote(path+".ry-new")+" "+quote(path), "kill -HUP $(cat "+PIDPath+")")
	if existed {
		cmds = append(cmds, "rm -f "+quote(path+".ry-bak"))
	}
	return cmds
}

// Commands returns the commands Apply sends for change on a host whose
// file at DefaultPath holds only Railyard's statements (see the package
// documentation).
func (Driver) Commands(ch fabric.Change, desired fabric.DeviceConfig) ([]string, error) {
	if err := validate(desired); err != nil {
		return nil, err
	}
	if ch.Empty() {
		return nil, nil
	}
	content, err := Splice("", desired)
	if err != nil {
		return nil, err
	}
	return writeCommands(DefaultPath, content, true), nil
}
