package opensmfake

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/railyard/railyard/drivers"
	"github.com/railyard/railyard/internal/fabric"
)

// Default paths on the host.
const (
	PartitionsPath = "/etc/opensm/partitions.conf"
	PIDPath        = "/var/run/opensm.pid"
)

// Header is the operator's part of the partition file the host starts
// with: comments, the Default partition and a storage partition that is
// not Railyard's.
const Header = `# OpenSM partition configuration (see partition-config.txt).
# Lines are "Name[=PKey][,flags] : members ;"; statements may span lines.

Default=0x7fff, ipoib : SELF=full ;

# storage targets are full members, every client limited
storage-ib=0x0f00, ipoib, mtu=5, defmember=limited :
	0x0c42a10300ff0001=full,
	0x0c42a10300ff0002=full ;   # two targets
`

// Device is a fake OpenSM host. It is safe for concurrent use.
type Device struct {
	mu      sync.Mutex
	files   map[string]string
	dirs    map[string]bool
	initial map[string]bool
	pid     int
	hups    int
	loaded  string
	failOn  []string
}

// New returns a host running opensm with the partition file at
// PartitionsPath: Header, then base's partitions (one line each).
func New(base fabric.DeviceConfig) *Device {
	d := &Device{files: map[string]string{}, dirs: map[string]bool{}, initial: map[string]bool{}, pid: 2417}
	for _, dir := range []string{"/", "/etc", "/etc/opensm", "/var", "/var/run", "/tmp"} {
		d.dirs[dir] = true
	}
	conf := Header
	for _, p := range base.Partitions {
		var ms []string
		for _, m := range p.Members {
			ms = append(ms, "0x"+m.GUID+"="+string(m.Membership))
		}
		conf += fmt.Sprintf("%s=0x%04x, ipoib, mtu=%d : %s ;\n", p.Name, p.PKey, p.MTU, strings.Join(ms, ", "))
	}
	d.files[PartitionsPath] = conf
	d.files["/etc/opensm/opensm.conf"] = "# opensm.conf\npartition_config_file " + PartitionsPath + "\nsweep_interval 10\n"
	d.files[PIDPath] = fmt.Sprintln(d.pid)
	for p := range d.files {
		d.initial[p] = true
	}
	d.loaded = conf
	return d
}

// Running returns the partition file as it is on disk ("" if absent).
func (d *Device) Running() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.files[PartitionsPath]
}

// Loaded returns the partition file as opensm last read it (at start or
// at its last SIGHUP).
func (d *Device) Loaded() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.loaded
}

// HUPs counts the SIGHUPs opensm received.
func (d *Device) HUPs() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.hups
}

// WriteFile changes a file out of band (an operator's edit).
func (d *Device) WriteFile(p, content string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.files[p] = content
}

// RemoveFile removes a file out of band.
func (d *Device) RemoveFile(p string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.files, p)
}

// FailOn makes the next command whose text contains s fail; once.
func (d *Device) FailOn(s string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.failOn = append(d.failOn, s)
}

// Pending lists the files the host did not start with, other than the
// partition file (left-over temporary and backup files).
func (d *Device) Pending() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for _, p := range slices.Sorted(maps.Keys(d.files)) {
		if !d.initial[p] && p != PartitionsPath {
			out = append(out, "file "+p)
		}
	}
	return out
}

// Exec runs one command line and returns what it printed.
func (d *Device) Exec(line string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.exec(line)
}

// Transport reaches the host through an in-process shell session.
func (d *Device) Transport() drivers.Transport {
	return drivers.Transport{CLI: func(ctx context.Context, t drivers.Target) (drivers.CLI, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return &session{d: d}, nil
	}}
}

type session struct {
	d      *Device
	closed bool
}

func (s *session) Run(ctx context.Context, cmd string) (string, error) {
	if s.closed {
		return "", errors.New("session closed")
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	return s.d.Exec(cmd), nil
}

func (s *session) Close() error { s.closed = true; return nil }

func (d *Device) failing(line string) bool {
	for i, s := range d.failOn {
		if strings.Contains(line, s) {
			d.failOn = slices.Delete(d.failOn, i, i+1)
			return true
		}
	}
	return false
}

func (d *Device) exec(line string) string {
	toks, errOut, err := d.split(line)
	if err != nil {
		return errOut + "bash: " + err.Error() + "\n"
	}
	var words []string
	redirect := ""
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t.op && t.s == ">":
			if i+1 >= len(toks) || toks[i+1].op {
				return errOut + "bash: syntax error near unexpected token `newline'\n"
			}
			redirect = toks[i+1].s
			i++
		case t.op:
			return errOut + "bash: syntax error near unexpected token `" + t.s + "'\n"
		default:
			words = append(words, t.s)
		}
	}
	if len(words) == 0 {
		return errOut
	}
	if d.failing(line) {
		return errOut + injected(words, redirect)
	}
	var out, stderr string
	switch words[0] {
	case "cat":
		out, stderr = d.cat(words[1:])
	case "printf":
		out, stderr = printf(words[1:])
	case "cp":
		stderr = d.copyMove("cp", words[1:], false)
	case "mv":
		stderr = d.copyMove("mv", words[1:], true)
	case "rm":
		stderr = d.rm(words[1:])
	case "kill":
		stderr = d.kill(words[1:])
	default:
		return errOut + "bash: " + words[0] + ": command not found\n"
	}
	if redirect != "" {
		if e := d.write(redirect, out); e != "" {
			return errOut + e
		}
		out = ""
	}
	return errOut + out + stderr
}

func injected(words []string, redirect string) string {
	switch {
	case redirect != "":
		return "bash: " + redirect + ": Permission denied\n"
	case words[0] == "kill":
		return "bash: kill: (" + words[len(words)-1] + ") - Operation not permitted\n"
	case words[0] == "mv" || words[0] == "cp":
		return fmt.Sprintf("%s: cannot create regular file '%s': Permission denied\n", words[0], words[len(words)-1])
	case len(words) > 1:
		return words[0] + ": " + words[len(words)-1] + ": Permission denied\n"
	}
	return "bash: " + words[0] + ": Permission denied\n"
}

func (d *Device) write(p, content string) string {
	if d.dirs[p] {
		return "bash: " + p + ": Is a directory\n"
	}
	if !d.dirs[path.Dir(p)] {
		return "bash: " + p + ": No such file or directory\n"
	}
	d.files[p] = content
	return ""
}

func (d *Device) cat(args []string) (string, string) {
	var out, errs strings.Builder
	for _, a := range args {
		switch c, ok := d.files[a]; {
		case ok:
			out.WriteString(c)
		case d.dirs[a]:
			fmt.Fprintf(&errs, "cat: %s: Is a directory\n", a)
		default:
			fmt.Fprintf(&errs, "cat: %s: No such file or directory\n", a)
		}
	}
	return out.String(), errs.String()
}

// printf supports %s, %% and the escapes \n, \t, \\; the format is
// reused while arguments remain, as bash's printf does.
func printf(args []string) (string, string) {
	if len(args) == 0 {
		return "", "printf: usage: printf [-v var] format [arguments]\n"
	}
	format, rest := args[0], args[1:]
	var b strings.Builder
	for {
		used := 0
		for i := 0; i < len(format); i++ {
			c := format[i]
			switch {
			case c == '\\' && i+1 < len(format):
				i++
				switch format[i] {
				case 'n':
					b.WriteByte('\n')
				case 't':
					b.WriteByte('\t')
				case '\\':
					b.WriteByte('\\')
				default:
					b.WriteByte('\\')
					b.WriteByte(format[i])
				}
			case c == '%' && i+1 < len(format):
				i++
				switch format[i] {
				case 's':
					if used < len(rest) {
						b.WriteString(rest[used])
					}
					used++
				case '%':
					b.WriteByte('%')
				default:
					return b.String(), fmt.Sprintf("bash: printf: `%c': invalid format character\n", format[i])
				}
			default:
				b.WriteByte(c)
			}
		}
		if used == 0 || used >= len(rest) {
			break
		}
		rest = rest[used:]
	}
	return b.String(), ""
}

func (d *Device) copyMove(cmd string, args []string, move bool) string {
	var ops []string
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		ops, args = append(ops, args[0]), args[1:]
	}
	for _, o := range ops {
		if o != "-f" && o != "-p" {
			return fmt.Sprintf("%s: invalid option -- '%s'\nTry '%s --help' for more information.\n", cmd, strings.TrimLeft(o, "-"), cmd)
		}
	}
	if len(args) != 2 {
		return fmt.Sprintf("%s: missing destination file operand after '%s'\nTry '%s --help' for more information.\n", cmd, strings.Join(args, " "), cmd)
	}
	src, dst := args[0], args[1]
	c, ok := d.files[src]
	if !ok {
		return fmt.Sprintf("%s: cannot stat '%s': No such file or directory\n", cmd, src)
	}
	if d.dirs[dst] {
		dst = path.Join(dst, path.Base(src))
	}
	if !d.dirs[path.Dir(dst)] {
		verb := "cannot create regular file"
		if move {
			return fmt.Sprintf("mv: cannot move '%s' to '%s': No such file or directory\n", src, dst)
		}
		return fmt.Sprintf("cp: %s '%s': No such file or directory\n", verb, dst)
	}
	d.files[dst] = c
	if move && src != dst {
		delete(d.files, src)
	}
	return ""
}

func (d *Device) rm(args []string) string {
	force := false
	var errs strings.Builder
	for _, a := range args {
		if a == "-f" {
			force = true
			continue
		}
		if strings.HasPrefix(a, "-") {
			return "rm: invalid option -- '" + strings.TrimLeft(a, "-") + "'\n"
		}
		if d.dirs[a] {
			fmt.Fprintf(&errs, "rm: cannot remove '%s': Is a directory\n", a)
			continue
		}
		if _, ok := d.files[a]; !ok {
			if !force {
				fmt.Fprintf(&errs, "rm: cannot remove '%s': No such file or directory\n", a)
			}
			continue
		}
		delete(d.files, a)
	}
	return errs.String()
}

const killUsage = "bash: kill: usage: kill [-s sigspec | -n signum | -sigspec] pid | jobspec ... or kill -l [sigspec]\n"

func (d *Device) kill(args []string) string {
	sig := "TERM"
	switch {
	case len(args) > 0 && (args[0] == "-HUP" || args[0] == "-1" || args[0] == "-SIGHUP"):
		sig, args = "HUP", args[1:]
	case len(args) > 1 && args[0] == "-s":
		sig, args = strings.TrimPrefix(args[1], "SIG"), args[2:]
	case len(args) > 0 && strings.HasPrefix(args[0], "-"):
		return "bash: kill: " + strings.TrimPrefix(args[0], "-") + ": invalid signal specification\n"
	}
	if len(args) == 0 {
		return killUsage
	}
	var errs strings.Builder
	for _, a := range args {
		pid, err := strconv.Atoi(a)
		switch {
		case err != nil:
			fmt.Fprintf(&errs, "bash: kill: %s: arguments must be process or job IDs\n", a)
		case pid != d.pid || d.pid == 0:
			fmt.Fprintf(&errs, "bash: kill: (%d) - No such process\n", pid)
		case sig == "HUP":
			d.hups++
			d.loaded = d.files[PartitionsPath]
		default:
			d.pid = 0
		}
	}
	return errs.String()
}

// token is a shell word, or an operator (>, ;, |, &&, ...) when op.
type token struct {
	s  string
	op bool
}

// split splits a command line into words and operators, with single and
// double quotes, backslashes, and $(cat FILE) substitutions (whose
// output is split into words; their errors are returned in errOut).
func (d *Device) split(line string) (toks []token, errOut string, err error) {
	var cur strings.Builder
	inWord := false
	flush := func() {
		if inWord {
			toks = append(toks, token{s: cur.String()})
			cur.Reset()
			inWord = false
		}
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t':
			flush()
		case c == '\'':
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				return nil, "", errors.New("unexpected EOF while looking for matching `''")
			}
			cur.WriteString(line[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			inWord = true
			for i++; i < len(line) && line[i] != '"'; i++ {
				if line[i] == '\\' && i+1 < len(line) && strings.IndexByte("\"\\$`", line[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(line[i])
			}
			if i >= len(line) {
				return nil, "", errors.New("unexpected EOF while looking for matching `\"'")
			}
		case c == '\\':
			if i+1 < len(line) {
				i++
				cur.WriteByte(line[i])
			}
			inWord = true
		case c == '$' && i+1 < len(line) && line[i+1] == '(':
			j := strings.IndexByte(line[i+2:], ')')
			if j < 0 {
				return nil, "", errors.New("unexpected EOF while looking for matching `)'")
			}
			inner := strings.Fields(line[i+2 : i+2+j])
			if len(inner) == 0 || inner[0] != "cat" {
				return nil, "", errors.New("command substitution other than $(cat FILE) is not supported")
			}
			out, e := d.cat(inner[1:])
			errOut += e
			flush()
			for _, w := range strings.Fields(out) {
				toks = append(toks, token{s: w})
			}
			i += j + 2
		case c == '>' || c == '<' || c == '|' || c == ';' || c == '&':
			flush()
			op := string(c)
			if i+1 < len(line) && (line[i+1] == c) {
				op += string(c)
				i++
			}
			toks = append(toks, token{s: op, op: true})
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	flush()
	return toks, errOut, nil
}
