package snmptest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/railyard/railyard/internal/discovery/snmp"
)

// ParseSnmprec reads an snmprec recording (snmpsim's format: one
// "OID|TAG|VALUE" line per variable, TAG the BER type number with an "x"
// suffix when VALUE is hex) into variables as gosnmp would have returned
// them. Variation-module tags ("2:numeric") are refused.
func ParseSnmprec(r io.Reader) ([]snmp.Var, error) {
	var out []snmp.Var
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		v, err := ParseSnmprecLine(line)
		if err != nil {
			return nil, fmt.Errorf("snmprec line %d: %w", n, err)
		}
		out = append(out, v)
	}
	return out, sc.Err()
}

// ParseSnmprecLine parses one "OID|TAG|VALUE" line of an snmprec file.
func ParseSnmprecLine(line string) (snmp.Var, error) {
	oid, rest, ok := strings.Cut(line, "|")
	if !ok {
		return snmp.Var{}, fmt.Errorf("want OID|TAG|VALUE")
	}
	tag, val, ok := strings.Cut(rest, "|")
	if !ok {
		return snmp.Var{}, fmt.Errorf("want OID|TAG|VALUE")
	}
	isHex := strings.HasSuffix(tag, "x")
	tag = strings.TrimSuffix(tag, "x")
	typ, err := strconv.Atoi(tag)
	if err != nil {
		return snmp.Var{}, fmt.Errorf("tag %q: not a plain BER type", tag)
	}
	raw := []byte(val)
	if isHex {
		if raw, err = hex.DecodeString(val); err != nil {
			return snmp.Var{}, fmt.Errorf("hex value: %v", err)
		}
	}
	v := snmp.Var{OID: "." + strings.TrimPrefix(oid, "."), Type: gosnmp.Asn1BER(typ)}
	num := func(bits int) (uint64, error) { return strconv.ParseUint(string(raw), 10, bits) }
	switch v.Type {
	case gosnmp.Integer:
		n, err := strconv.ParseInt(string(raw), 10, 32)
		if err != nil {
			return v, fmt.Errorf("integer %q", raw)
		}
		v.Value = int(n)
	case gosnmp.OctetString, gosnmp.Opaque:
		v.Value = raw
	case gosnmp.Null:
		v.Value = nil
	case gosnmp.ObjectIdentifier:
		v.Value = "." + strings.TrimPrefix(string(raw), ".")
	case gosnmp.IPAddress:
		if isHex && len(raw) == 4 {
			v.Value = net.IP(raw).String()
		} else {
			v.Value = string(raw)
		}
	case gosnmp.Counter32, gosnmp.Gauge32:
		n, err := num(32)
		if err != nil {
			return v, fmt.Errorf("unsigned %q", raw)
		}
		v.Value = uint(n)
	case gosnmp.TimeTicks:
		n, err := num(32)
		if err != nil {
			return v, fmt.Errorf("timeticks %q", raw)
		}
		v.Value = uint32(n)
	case gosnmp.Counter64:
		n, err := num(64)
		if err != nil {
			return v, fmt.Errorf("counter64 %q", raw)
		}
		v.Value = n
	default:
		return v, fmt.Errorf("unsupported type %d", typ)
	}
	return v, nil
}

// ReadSnmprec parses a recording file; a name ending in .gz is gunzipped.
func ReadSnmprec(path string) ([]snmp.Var, error) {
	b, err := readMaybeGzip(path)
	if err != nil {
		return nil, err
	}
	return ParseSnmprec(bytes.NewReader(b))
}

func readMaybeGzip(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil || !strings.HasSuffix(path, ".gz") {
		return b, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return io.ReadAll(zr)
}

// Snmpsim is a running snmpsimd.
type Snmpsim struct {
	// Addr is host:port of its UDP endpoint on 127.0.0.1.
	Addr string
	Host string
	Port int
}

// Target is the discovery target URL for the agent.
func (s *Snmpsim) Target() string { return "snmp://" + s.Addr }

// StartSnmpsim serves recordings with snmpsimd on a free UDP port of
// 127.0.0.1. recordings maps each community to an snmprec file (gzipped
// when the name ends in .gz; snmpsimd itself cannot read those, so they
// are unpacked into the data directory). It returns when the agent answers
// for every community; t.Cleanup stops it. Skipped like the lab when
// snmpsimd is missing (failing when CI is set). When run as root,
// snmpsimd drops to nobody:nogroup as it insists on.
func StartSnmpsim(t testing.TB, recordings map[string]string) *Snmpsim {
	t.Helper()
	if _, err := exec.LookPath("snmpsimd"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("snmptest: snmpsimd not found (CI is set, so this is an error)")
		}
		t.Skip("snmptest: snmpsimd not found")
	}
	dir, err := os.MkdirTemp("", "snmpsim-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	data, cache := filepath.Join(dir, "data"), filepath.Join(dir, "cache")
	for _, d := range []string{data, cache} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(dir, 0o755)
	for community, path := range recordings {
		b, err := readMaybeGzip(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(data, community+".snmprec"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var userArgs []string
	if os.Geteuid() == 0 {
		u, err := user.Lookup("nobody")
		if err != nil {
			t.Fatalf("snmptest: snmpsimd needs an unprivileged user: %v", err)
		}
		g, err := user.LookupGroupId(u.Gid)
		if err != nil {
			t.Fatalf("snmptest: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(cache, uid, gid); err != nil {
			t.Fatal(err)
		}
		userArgs = []string{"--process-user=" + u.Username, "--process-group=" + g.Name}
	}

	var lastLog string
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freeUDPPort()
		if err != nil {
			t.Fatal(err)
		}
		s := &Snmpsim{Host: "127.0.0.1", Port: port, Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
		logPath := filepath.Join(dir, fmt.Sprintf("snmpsimd-%d.log", attempt))
		logf, err := os.Create(logPath)
		if err != nil {
			t.Fatal(err)
		}
		args := append([]string{"--data-dir=" + data, "--cache-dir=" + cache,
			"--agent-udpv4-endpoint=" + s.Addr, "--logging-method=null"}, userArgs...)
		cmd := exec.Command("snmpsimd", args...)
		cmd.Stdout, cmd.Stderr = logf, logf
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			t.Fatalf("snmptest: snmpsimd: %v", err)
		}
		done := make(chan struct{})
		go func() { cmd.Wait(); logf.Close(); close(done) }()
		p := &proc{name: "snmpsimd", cmd: cmd, log: logPath, done: done}
		t.Cleanup(func() { stopAll([]*proc{p}) })

		ctx, cancel := context.WithTimeout(context.Background(), Deadline)
		err = waitFor(ctx, "snmpsimd to answer", func() (bool, error) {
			if p.exited() {
				return false, fmt.Errorf("snmpsimd exited")
			}
			for community := range recordings {
				if !answers(s, community) {
					return false, nil
				}
			}
			return true, nil
		})
		cancel()
		if err == nil {
			return s
		}
		lastLog = p.tail()
		stopAll([]*proc{p})
		if !p.exited() {
			break
		}
	}
	t.Fatalf("snmptest: snmpsimd did not start:\n%s", lastLog)
	return nil
}

func answers(s *Snmpsim, community string) bool {
	g := &gosnmp.GoSNMP{Target: s.Host, Port: uint16(s.Port), Community: community,
		Version: gosnmp.Version2c, Timeout: 500 * time.Millisecond, Retries: 0}
	if err := g.Connect(); err != nil {
		return false
	}
	defer g.Conn.Close()
	_, err := g.GetNext([]string{".1.3.6.1.2.1.1"})
	return err == nil
}

func freeUDPPort() (int, error) {
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port, nil
}
