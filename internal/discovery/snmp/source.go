package snmp

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/railyard/railyard/internal/discovery"
	"github.com/railyard/railyard/internal/model"
)

// DefaultPort is the SNMP agent port used when a target names none.
const DefaultPort = 161

// Defaults for the Source fields left zero.
const (
	DefaultTimeout        = 2 * time.Second
	DefaultRetries        = 1
	DefaultMaxRepetitions = 25
)

// DefaultCommunity is the v1/v2c community used when no credential is given.
const DefaultCommunity = "public"

func init() {
	discovery.Register("snmp", "snmp", &Source{})
}

// Source is the SNMP discovery source. The zero value is ready to use;
// the fields tune the protocol and may be overridden per target by the URL
// parameters timeout and retries.
type Source struct {
	// Timeout is how long one request waits for its answer
	// (DefaultTimeout when zero). Retransmissions wait as long again.
	Timeout time.Duration
	// Retries is how often a request is retransmitted after a timeout:
	// zero means DefaultRetries, a negative value none.
	Retries int
	// MaxRepetitions is the GETBULK max-repetitions (DefaultMaxRepetitions
	// when zero).
	MaxRepetitions uint32
}

// Discover walks the target's SNMP agent and reports it as one switch.
func (s *Source) Discover(ctx context.Context, t discovery.Target, c discovery.Credentials) (*model.Observation, error) {
	vars, err := s.Walk(ctx, t, c)
	if err != nil {
		return nil, err
	}
	f, err := Facts(vars)
	if err != nil {
		return nil, err
	}
	return &model.Observation{Switches: []model.SwitchFacts{f}}, nil
}

// scalars are the objects Walk reads with GET.
var scalarOIDs = []string{
	oidSysDescr, oidSysObjectID, oidSysName,
	oidLldpLocChassisIDSubtype, oidLldpLocChassisID, oidLldpLocSysName,
}

// subtrees are the subtrees Walk walks (table columns, or whole tables
// when all their columns are wanted), in order.
var subtrees = []string{
	oidIfEntry + ".2", oidIfEntry + ".5", oidIfEntry + ".6", oidIfEntry + ".8",
	oidIfXEntry + ".1", oidIfXEntry + ".15", oidIfXEntry + ".18",
	oidEntEntry + ".5", oidEntEntry + ".10", oidEntEntry + ".11", oidEntEntry + ".12", oidEntEntry + ".13",
	oidBasePortIfIndex,
	oidLldpLocPortEntry,
	oidLldpRemEntry,
}

// Walk GETs the scalars and walks the table columns that Facts interprets and
// returns the variables in the order the agent answered. Errors are
// classified as described in the package documentation.
func (s *Source) Walk(ctx context.Context, t discovery.Target, c discovery.Credentials) ([]Var, error) {
	w, err := s.session(ctx, t, c)
	if err != nil {
		return nil, err
	}
	if err := w.g.Connect(); err != nil {
		return nil, w.classify(err, "connect")
	}
	defer w.g.Conn.Close()

	vars, err := w.scalars()
	if err != nil {
		return nil, err
	}
	for _, root := range subtrees {
		collect := func(p gosnmp.SnmpPDU) error {
			vars = append(vars, Var{OID: p.Name, Type: p.Type, Value: p.Value})
			return nil
		}
		if w.g.Version == gosnmp.Version1 {
			err = w.g.Walk(root, collect)
		} else {
			err = w.g.BulkWalk(root, collect)
		}
		if err != nil {
			return nil, w.classify(err, "walk "+root)
		}
	}
	return vars, nil
}

type session struct {
	g        *gosnmp.GoSNMP
	addr     string
	received atomic.Int64 // datagrams received, decodable or not
}

// session configures gosnmp from the target and credentials. Mistakes in
// either are discovery.Failed: retrying will not fix them.
func (s *Source) session(ctx context.Context, t discovery.Target, c discovery.Credentials) (*session, error) {
	if t.Host == "" {
		return nil, discovery.Errorf(discovery.Failed, "snmp target has no host")
	}
	port := t.Port
	if port == 0 {
		port = DefaultPort
	}
	timeout, retries, maxReps := s.Timeout, s.Retries, s.MaxRepetitions
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	switch {
	case retries == 0:
		retries = DefaultRetries
	case retries < 0:
		retries = 0
	}
	if maxReps == 0 {
		maxReps = DefaultMaxRepetitions
	}
	version := gosnmp.Version2c
	for k, vs := range t.Params {
		v := ""
		if len(vs) > 0 {
			v = vs[len(vs)-1]
		}
		switch k {
		case "version":
			switch strings.ToLower(v) {
			case "1", "v1":
				version = gosnmp.Version1
			case "2", "2c", "v2c", "":
				version = gosnmp.Version2c
			case "3", "v3":
				version = gosnmp.Version3
			default:
				return nil, discovery.Errorf(discovery.Failed, "snmp version %q: want 1, 2c or 3", v)
			}
		case "timeout":
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return nil, discovery.Errorf(discovery.Failed, "snmp timeout %q: want a positive duration such as 2s", v)
			}
			timeout = d
		case "retries":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 10 {
				return nil, discovery.Errorf(discovery.Failed, "snmp retries %q: want 0 to 10", v)
			}
			retries = n
		default:
			return nil, discovery.Errorf(discovery.Failed, "snmp target parameter %q is unknown (want version, timeout, retries)", k)
		}
	}
	w := &session{addr: t.Addr(DefaultPort)}
	w.g = &gosnmp.GoSNMP{
		Target:         t.Host,
		Port:           uint16(port),
		Transport:      "udp",
		Version:        version,
		Context:        ctx,
		Timeout:        timeout,
		Retries:        retries,
		MaxRepetitions: maxReps,
		MaxOids:        gosnmp.MaxOids,
		OnRecv:         func(*gosnmp.GoSNMP) { w.received.Add(1) },
	}
	if version != gosnmp.Version3 {
		switch {
		case c.Community != "":
			w.g.Community = c.Community
		case c.Empty():
			w.g.Community = DefaultCommunity
		default:
			return nil, discovery.Errorf(discovery.Failed, "snmp %s: the credential has no community", t.Host)
		}
		return w, nil
	}
	if c.Username == "" {
		return nil, discovery.Errorf(discovery.Failed, "snmp v3 %s: the credential has no username", t.Host)
	}
	usm := &gosnmp.UsmSecurityParameters{UserName: c.Username}
	flags := gosnmp.NoAuthNoPriv
	if c.Password != "" {
		p, ok := authProtocols[strings.ToUpper(cmp.Or(c.AuthProtocol, "SHA"))]
		if !ok {
			return nil, discovery.Errorf(discovery.Failed, "snmp v3 auth protocol %q: want MD5, SHA, SHA224, SHA256, SHA384 or SHA512", c.AuthProtocol)
		}
		usm.AuthenticationProtocol, usm.AuthenticationPassphrase = p, c.Password
		flags = gosnmp.AuthNoPriv
	} else if c.AuthProtocol != "" {
		return nil, discovery.Errorf(discovery.Failed, "snmp v3: auth protocol %s given without a password", c.AuthProtocol)
	}
	if c.PrivPassword != "" {
		if c.Password == "" {
			return nil, discovery.Errorf(discovery.Failed, "snmp v3: privacy needs authentication (no password given)")
		}
		p, ok := privProtocols[strings.ToUpper(cmp.Or(c.PrivProtocol, "AES"))]
		if !ok {
			return nil, discovery.Errorf(discovery.Failed, "snmp v3 priv protocol %q: want DES, AES, AES192, AES256, AES192C or AES256C", c.PrivProtocol)
		}
		usm.PrivacyProtocol, usm.PrivacyPassphrase = p, c.PrivPassword
		flags = gosnmp.AuthPriv
	} else if c.PrivProtocol != "" {
		return nil, discovery.Errorf(discovery.Failed, "snmp v3: priv protocol %s given without a priv password", c.PrivProtocol)
	}
	w.g.SecurityModel = gosnmp.UserSecurityModel
	w.g.MsgFlags = flags
	w.g.SecurityParameters = usm
	return w, nil
}

var authProtocols = map[string]gosnmp.SnmpV3AuthProtocol{
	"MD5": gosnmp.MD5, "SHA": gosnmp.SHA, "SHA1": gosnmp.SHA, "SHA224": gosnmp.SHA224,
	"SHA256": gosnmp.SHA256, "SHA384": gosnmp.SHA384, "SHA512": gosnmp.SHA512,
}

var privProtocols = map[string]gosnmp.SnmpV3PrivProtocol{
	"DES": gosnmp.DES, "AES": gosnmp.AES, "AES128": gosnmp.AES, "AES192": gosnmp.AES192,
	"AES256": gosnmp.AES256, "AES192C": gosnmp.AES192C, "AES256C": gosnmp.AES256C,
}

// scalars GETs the scalar objects in one request. v1 agents fail the whole
// request with noSuchName when one object is absent; the objects are then
// asked one by one.
func (w *session) scalars() ([]Var, error) {
	get := func(oids []string) ([]Var, gosnmp.SNMPError, error) {
		r, err := w.g.Get(oids)
		if err != nil {
			return nil, 0, w.classify(err, "get")
		}
		var out []Var
		for _, p := range r.Variables {
			out = append(out, Var{OID: p.Name, Type: p.Type, Value: p.Value})
		}
		return out, r.Error, nil
	}
	vars, status, err := get(scalarOIDs)
	if err != nil {
		return nil, err
	}
	if status == gosnmp.NoSuchName && w.g.Version == gosnmp.Version1 {
		vars = nil
		for _, oid := range scalarOIDs {
			v, st, err := get([]string{oid})
			if err != nil {
				return nil, err
			}
			switch st {
			case gosnmp.NoError:
				vars = append(vars, v...)
			case gosnmp.NoSuchName:
			default:
				return nil, w.status(st)
			}
		}
		return vars, nil
	}
	if status != gosnmp.NoError {
		return nil, w.status(status)
	}
	return vars, nil
}

func (w *session) status(st gosnmp.SNMPError) error {
	switch st {
	case gosnmp.AuthorizationError, gosnmp.NoAccess:
		return discovery.Errorf(discovery.Unauthorized, "snmp %s: agent refused access (%s)", w.addr, st)
	}
	return discovery.Errorf(discovery.Failed, "snmp %s: agent answered %s", w.addr, st)
}

// classify turns a gosnmp error into a discovery error.
func (w *session) classify(err error, op string) error {
	var de *discovery.Error
	if errors.As(err, &de) {
		return err
	}
	v3 := w.g.Version == gosnmp.Version3
	msg := err.Error()
	switch {
	case errors.Is(err, gosnmp.ErrWrongDigest):
		return discovery.Errorf(discovery.Unauthorized, "snmp %s: wrong SNMPv3 auth password or protocol (usmStatsWrongDigests)", w.addr)
	case errors.Is(err, gosnmp.ErrUnknownUsername):
		return discovery.Errorf(discovery.Unauthorized, "snmp %s: unknown SNMPv3 user (usmStatsUnknownUserNames)", w.addr)
	case errors.Is(err, gosnmp.ErrDecryption):
		return discovery.Errorf(discovery.Unauthorized, "snmp %s: wrong SNMPv3 priv password or protocol (usmStatsDecryptionErrors)", w.addr)
	case errors.Is(err, gosnmp.ErrUnknownSecurityLevel):
		return discovery.Errorf(discovery.Unauthorized, "snmp %s: the SNMPv3 user does not allow this security level (usmStatsUnsupportedSecLevels)", w.addr)
	case errors.Is(err, context.Canceled):
		return discovery.Classify(discovery.Failed, fmt.Errorf("snmp %s: %s: %w", w.addr, op, err))
	case strings.Contains(msg, "not authentic"):
		// The agent answered with an unauthenticated report: it could not
		// authenticate our request (usmStatsWrongDigests or
		// usmStatsUnknownUserNames), so gosnmp cannot authenticate its
		// answer either.
		return discovery.Errorf(discovery.Unauthorized, "snmp %s: SNMPv3 authentication failed (wrong user, auth password or auth protocol)", w.addr)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		strings.Contains(msg, "timeout"):
		if v3 && w.g.MsgFlags&gosnmp.AuthPriv == gosnmp.AuthPriv && op == "get" && w.received.Load() > 0 {
			// Engine discovery was answered, the first encrypted request
			// was not: net-snmp drops requests it cannot decrypt without
			// a usmStatsDecryptionErrors report.
			return discovery.Errorf(discovery.Unauthorized, "snmp %s: agent answered SNMPv3 engine discovery but not the encrypted request (wrong priv password or priv protocol?)", w.addr)
		}
		switch {
		case w.received.Load() > 0:
			return discovery.Errorf(discovery.Unreachable, "snmp %s: agent stopped answering (%s: %v)", w.addr, op, err)
		case v3:
			return discovery.Errorf(discovery.Unreachable, "snmp %s: no answer (%s: %v)", w.addr, op, err)
		}
		return discovery.Errorf(discovery.Unreachable, "snmp %s: no answer (wrong community?) (%s: %v)", w.addr, op, err)
	case errors.Is(err, syscall.ECONNREFUSED):
		return discovery.Errorf(discovery.Unreachable, "snmp %s: port closed (ICMP port unreachable)", w.addr)
	case errors.Is(err, gosnmp.ErrUnknownEngineID), errors.Is(err, gosnmp.ErrNotInTimeWindow):
		return discovery.Errorf(discovery.Failed, "snmp %s: SNMPv3 engine discovery failed: %v", w.addr, err)
	case w.received.Load() > 0:
		// Something answered, but gosnmp could not use it: a garbled or
		// truncated PDU, or a walk whose OIDs do not increase.
		return discovery.Errorf(discovery.Malformed, "snmp %s: bad answer (%s: %v)", w.addr, op, err)
	}
	var ne net.Error
	var oe *net.OpError
	if errors.As(err, &ne) || errors.As(err, &oe) {
		return discovery.Errorf(discovery.Unreachable, "snmp %s: %s: %v", w.addr, op, err)
	}
	return discovery.Errorf(discovery.Failed, "snmp %s: %s: %v", w.addr, op, err)
}
