package discovery

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/railyard/railyard/internal/model"
)

// Target is one device to ask: a URL such as redfish://10.0.0.5:443,
// redfish+http://host:8000, ipmi://host:623, snmp://host:161 or
// ssh+eos://host:22, plus how to authenticate and what the operator knows
// about it.
type Target struct {
	// Scheme selects the source (redfish, redfish+http, ipmi, snmp,
	// ssh+eos, ssh+nxos, ssh+junos, ssh+sonic, ssh+cumulus, ssh+frr).
	Scheme string
	// Host and Port are where to connect; Port is 0 when the URL left it
	// out (the source applies its protocol's default).
	Host string
	Port int
	// Path is the rest of the URL (most sources ignore it; the CLI replay
	// transport reads a transcript file from it).
	Path string
	// Params are the URL's query parameters (snmp: version=3).
	Params url.Values
	// Credential is a reference (env:NAME, file:PATH), never a secret.
	Credential string
	// Insecure skips TLS certificate checks.
	Insecure bool
	Hints    model.TargetHints
}

// String renders the target as a URL without credentials.
func (t Target) String() string {
	u := url.URL{Scheme: t.Scheme, Host: t.HostPort(), Path: t.Path}
	if len(t.Params) > 0 {
		u.RawQuery = t.Params.Encode()
	}
	return u.String()
}

// HostPort is host:port, or just host when no port was given.
func (t Target) HostPort() string {
	if t.Port == 0 {
		if strings.Contains(t.Host, ":") {
			return "[" + t.Host + "]" // an IPv6 literal
		}
		return t.Host
	}
	return net.JoinHostPort(t.Host, strconv.Itoa(t.Port))
}

// Addr is host:port with def as the port when none was given.
func (t Target) Addr(def int) string {
	p := t.Port
	if p == 0 {
		p = def
	}
	return net.JoinHostPort(t.Host, strconv.Itoa(p))
}

// ParseTarget parses a target URL. Credentials embedded in the URL
// (user:pass@) are refused: they would end up in shell history and logs.
func ParseTarget(s string) (Target, error) {
	s = strings.TrimSpace(s)
	u, err := url.Parse(s)
	if err != nil {
		return Target{}, fmt.Errorf("target %q: %w", s, err)
	}
	if u.Scheme == "" || u.Host == "" {
		return Target{}, fmt.Errorf("target %q: want scheme://host[:port], e.g. redfish://10.0.0.5", s)
	}
	if u.User != nil {
		return Target{}, fmt.Errorf("target %q: credentials in the URL are refused; use --credential env:NAME or file:PATH", redactURL(u))
	}
	t := Target{Scheme: strings.ToLower(u.Scheme), Host: u.Hostname(), Path: u.Path, Params: u.Query()}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return Target{}, fmt.Errorf("target %q: bad port %q", s, p)
		}
		t.Port = n
	}
	if t.Host == "" {
		return Target{}, fmt.Errorf("target %q: no host", s)
	}
	if strings.Contains(t.Host, ":") && net.ParseIP(t.Host) == nil {
		return Target{}, fmt.Errorf("target %q: bad host %q", s, t.Host)
	}
	if v := t.Params.Get("insecure"); v != "" {
		t.Insecure = v == "true" || v == "1"
		t.Params.Del("insecure")
	}
	if len(t.Params) == 0 {
		t.Params = nil
	}
	return t, nil
}

func redactURL(u *url.URL) string {
	c := *u
	c.User = nil
	return c.String()
}

// ParseTargets reads a targets file: one target per line, a URL followed by
// optional key=value fields, '#' starting a comment:
//
//	redfish://10.0.0.5  credential=env:BMC  hostname=gpu-001  rack=r01
//	snmp://10.0.1.1     credential=file:/etc/railyard/snmp  role=leaf fabric=eth
//
// Keys: credential, hostname, rack, fabric, role, insecure. Errors name the
// line.
func ParseTargets(r io.Reader) ([]Target, error) {
	var out []Target
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		t, err := ParseTarget(fields[0])
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		for _, f := range fields[1:] {
			k, v, ok := strings.Cut(f, "=")
			if !ok || v == "" {
				return nil, fmt.Errorf("line %d: field %q: want key=value", n, f)
			}
			switch k {
			case "credential", "cred":
				if err := CheckCredentialRef(v); err != nil {
					return nil, fmt.Errorf("line %d: %w", n, err)
				}
				t.Credential = v
			case "hostname":
				t.Hints.Hostname = v
			case "rack":
				t.Hints.Rack = v
			case "fabric":
				t.Hints.Fabric = v
			case "role":
				t.Hints.Role = v
			case "insecure":
				t.Insecure = v == "true" || v == "1"
			default:
				return nil, fmt.Errorf("line %d: unknown field %q (want credential, hostname, rack, fabric, role, insecure)", n, k)
			}
		}
		out = append(out, t)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
