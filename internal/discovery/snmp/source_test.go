package snmp_test

import (
	"context"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gosnmp/gosnmp"

	"github.com/railyard/railyard/internal/discovery"
	"github.com/railyard/railyard/internal/discovery/snmp"
	"github.com/railyard/railyard/internal/model"
)

func TestRegistered(t *testing.T) {
	src, name, ok := discovery.Lookup("snmp")
	if !ok || name != "snmp" {
		t.Fatalf("Lookup(snmp) = %v, %q, %v", src, name, ok)
	}
	if _, ok := src.(*snmp.Source); !ok {
		t.Errorf("registered source is %T", src)
	}
}

// fakeAgent is a v1/v2c agent in the test process serving a fixed list of
// variables (GET, GETNEXT, GETBULK), or misbehaving on purpose.
type fakeAgent struct {
	conn net.PacketConn
	vars []snmp.Var // sorted by OID

	mu          sync.Mutex
	communities []string

	// reply, when set, replaces the proper answer to each request.
	reply func(req []byte) []byte
	// repeat makes GETNEXT/GETBULK answer X.7 for X and X.7 again for
	// X.7, so a walk's OIDs stop increasing.
	repeat bool
}

func startFake(t *testing.T, vars []snmp.Var) *fakeAgent {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := &fakeAgent{conn: c, vars: slices.Clone(vars)}
	slices.SortFunc(a.vars, func(x, y snmp.Var) int { return compareOID(x.OID, y.OID) })
	t.Cleanup(func() { c.Close() })
	go a.serve()
	return a
}

func (a *fakeAgent) target() string { return "snmp://" + a.conn.LocalAddr().String() }

func (a *fakeAgent) seen() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.communities)
}

func compareOID(x, y string) int {
	xs := strings.Split(strings.TrimPrefix(x, "."), ".")
	ys := strings.Split(strings.TrimPrefix(y, "."), ".")
	for i := 0; i < len(xs) && i < len(ys); i++ {
		if len(xs[i]) != len(ys[i]) {
			return len(xs[i]) - len(ys[i])
		}
		if c := strings.Compare(xs[i], ys[i]); c != 0 {
			return c
		}
	}
	return len(xs) - len(ys)
}

func (a *fakeAgent) serve() {
	buf := make([]byte, 65536)
	dec := &gosnmp.GoSNMP{}
	for {
		n, from, err := a.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		req := slices.Clone(buf[:n])
		if a.reply != nil {
			if r := a.reply(req); r != nil {
				a.conn.WriteTo(r, from)
			}
			continue
		}
		p, err := dec.SnmpDecodePacket(req)
		if err != nil {
			continue
		}
		a.mu.Lock()
		a.communities = append(a.communities, p.Community)
		a.mu.Unlock()
		resp := &gosnmp.SnmpPacket{Version: p.Version, Community: p.Community, PDUType: gosnmp.GetResponse, RequestID: p.RequestID}
		for i, v := range p.Variables {
			switch p.PDUType {
			case gosnmp.GetRequest:
				j := slices.IndexFunc(a.vars, func(x snmp.Var) bool { return compareOID(x.OID, v.Name) == 0 })
				if j < 0 {
					if p.Version == gosnmp.Version1 {
						resp.Error, resp.ErrorIndex = gosnmp.NoSuchName, uint8(i+1)
						resp.Variables = p.Variables
						break
					}
					resp.Variables = append(resp.Variables, gosnmp.SnmpPDU{Name: v.Name, Type: gosnmp.NoSuchObject})
					continue
				}
				resp.Variables = append(resp.Variables, pdu(a.vars[j]))
			case gosnmp.GetNextRequest, gosnmp.GetBulkRequest:
				count := 1
				if p.PDUType == gosnmp.GetBulkRequest {
					count = int(p.MaxRepetitions)
				}
				at := v.Name
				for range count {
					if a.repeat {
						// X -> X.7, then X.7 -> X.7 again.
						if !strings.HasSuffix(at, ".7") {
							at += ".7"
						}
						resp.Variables = append(resp.Variables, gosnmp.SnmpPDU{Name: at, Type: gosnmp.Integer, Value: 1})
						continue
					}
					j := slices.IndexFunc(a.vars, func(x snmp.Var) bool { return compareOID(x.OID, at) > 0 })
					if j < 0 {
						resp.Variables = append(resp.Variables, gosnmp.SnmpPDU{Name: at, Type: gosnmp.EndOfMibView})
						break
					}
					resp.Variables = append(resp.Variables, pdu(a.vars[j]))
					at = a.vars[j].OID
				}
			}
		}
		out, err := resp.MarshalMsg()
		if err != nil {
			panic(err)
		}
		a.conn.WriteTo(out, from)
	}
}

func pdu(v snmp.Var) gosnmp.SnmpPDU {
	val := v.Value
	if b, ok := val.([]byte); ok {
		val = string(b) // gosnmp marshals OCTET STRING from string
	}
	return gosnmp.SnmpPDU{Name: v.OID, Type: v.Type, Value: val}
}

var fakeSwitch = cat(
	[]snmp.Var{
		str(sysDescr, "Cumulus Linux version 5.4.0 running on Mellanox Technologies Ltd. MSN3700"),
		objid(sysObjectID, ".1.3.6.1.4.1.40310"),
		str(sysName, "leaf-9"),
		num(locCIDType, 4), raw(locCID, 0x1c, 0x34, 0xda, 0x00, 0x00, 0x09),
	},
	iface("3", "swp1", 200000, true, 0x1c, 0x34, 0xda, 0x00, 0x00, 0x01),
	remote("3", "1", 4, macB, 3, macB, "ens1f0", "gpu-009"),
)

var wantFake = model.SwitchFacts{
	Name: "leaf-9", ChassisID: "1c:34:da:00:00:09", Vendor: "NVIDIA", OS: "Cumulus Linux", Version: "5.4.0",
	Description: "Cumulus Linux version 5.4.0 running on Mellanox Technologies Ltd. MSN3700",
	Ports:       []model.PortFacts{{Name: "swp1", SpeedGbps: 200, Up: true, MAC: "1c:34:da:00:00:01"}},
	Neighbors: []model.LLDPNeighbor{{LocalPort: "swp1", ChassisID: "0c:42:a1:00:00:02", PortID: "0c:42:a1:00:00:02",
		PortIDIsMAC: true, PortDesc: "ens1f0", SysName: "gpu-009"}},
	Missing: []string{"model", "serial"},
}

func TestFakeAgent(t *testing.T) {
	a := startFake(t, fakeSwitch)
	src := &snmp.Source{Timeout: 500 * time.Millisecond, Retries: -1, MaxRepetitions: 3}
	for _, q := range []string{"", "?version=2c", "?version=1"} {
		got, err := discover(t, src, a.target()+q, discovery.Credentials{Community: "c0mmunity"})
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if d := cmp.Diff(wantFake, got); d != "" {
			t.Errorf("%s: facts (-want +got):\n%s", q, d)
		}
	}
	// No credential at all: "public". A credential without a community
	// is refused before anything is sent.
	if _, err := discover(t, src, a.target(), discovery.Credentials{}); err != nil {
		t.Fatal(err)
	}
	if got := a.seen(); got[len(got)-1] != "public" || got[0] != "c0mmunity" {
		t.Errorf("communities seen: %v", got)
	}
	n := len(a.seen())
	_, err := discover(t, src, a.target(), discovery.Credentials{Username: "admin"})
	if kindOf(err) != discovery.Failed || len(a.seen()) != n {
		t.Errorf("credential without community: err = %v, requests %d", err, len(a.seen())-n)
	}
}

func TestMalformedAnswers(t *testing.T) {
	src := &snmp.Source{Timeout: 300 * time.Millisecond, Retries: 1}
	t.Run("garbage", func(t *testing.T) {
		a := startFake(t, nil)
		a.reply = func([]byte) []byte { return []byte("\x30\x03\x02\x01") }
		_, err := discover(t, src, a.target(), discovery.Credentials{})
		if kindOf(err) != discovery.Malformed {
			t.Errorf("err = %v, want malformed", err)
		}
		t.Log(err)
	})
	t.Run("truncated", func(t *testing.T) {
		a := startFake(t, nil)
		a.reply = func(req []byte) []byte { return req[:len(req)/2] }
		_, err := discover(t, src, a.target(), discovery.Credentials{})
		if kindOf(err) != discovery.Malformed {
			t.Errorf("err = %v, want malformed", err)
		}
		t.Log(err)
	})
	t.Run("oids not increasing", func(t *testing.T) {
		a := startFake(t, fakeSwitch)
		a.repeat = true
		_, err := discover(t, src, a.target(), discovery.Credentials{})
		if kindOf(err) != discovery.Malformed {
			t.Errorf("err = %v, want malformed", err)
		}
		t.Log(err)
	})
	t.Run("impossible value", func(t *testing.T) {
		a := startFake(t, cat(fakeSwitch, []snmp.Var{num(ifOper+"4", 42)}))
		_, err := discover(t, src, a.target(), discovery.Credentials{})
		if kindOf(err) != discovery.Malformed || !strings.Contains(err.Error(), "1.3.6.1.2.1.2.2.1.8.4") {
			t.Errorf("err = %v, want malformed naming ifOperStatus.4", err)
		}
	})
}

func TestUnreachable(t *testing.T) {
	t.Parallel()
	src := &snmp.Source{Timeout: 200 * time.Millisecond, Retries: 1}
	t.Run("silent", func(t *testing.T) {
		a := startFake(t, nil)
		a.reply = func([]byte) []byte { return nil } // answers nothing
		start := time.Now()
		_, err := discover(t, src, a.target(), discovery.Credentials{Community: "x"})
		if kindOf(err) != discovery.Unreachable || !strings.Contains(err.Error(), "no answer (wrong community?)") {
			t.Errorf("err = %v", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("took %v", d)
		}
	})
	t.Run("closed port", func(t *testing.T) {
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := c.LocalAddr().String()
		c.Close()
		_, err = discover(t, src, "snmp://"+addr, discovery.Credentials{})
		if kindOf(err) != discovery.Unreachable {
			t.Errorf("err = %v, want unreachable", err)
		}
	})
	t.Run("context deadline", func(t *testing.T) {
		a := startFake(t, nil)
		a.reply = func([]byte) []byte { return nil }
		tg, _ := discovery.ParseTarget(a.target())
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := (&snmp.Source{Timeout: 10 * time.Second}).Discover(ctx, tg, discovery.Credentials{})
		if kindOf(err) != discovery.Unreachable {
			t.Errorf("err = %v, want unreachable", err)
		}
	})
}

func TestTargetAndCredentialErrors(t *testing.T) {
	src := &snmp.Source{}
	for _, tc := range []struct {
		target string
		c      discovery.Credentials
	}{
		{"snmp://127.0.0.1?version=4", discovery.Credentials{}},
		{"snmp://127.0.0.1?verison=3", discovery.Credentials{}},
		{"snmp://127.0.0.1?timeout=soon", discovery.Credentials{}},
		{"snmp://127.0.0.1?retries=-1", discovery.Credentials{}},
		{"snmp://127.0.0.1?version=3", discovery.Credentials{Password: "s3cr3t-auth"}},
		{"snmp://127.0.0.1?version=3", discovery.Credentials{Username: "u", Password: "s3cr3t-auth", AuthProtocol: "CRC32"}},
		{"snmp://127.0.0.1?version=3", discovery.Credentials{Username: "u", PrivPassword: "s3cr3t-priv"}},
		{"snmp://127.0.0.1?version=3", discovery.Credentials{Username: "u", Password: "s3cr3t-auth", PrivPassword: "s3cr3t-priv", PrivProtocol: "ROT13"}},
		{"snmp://127.0.0.1?version=3", discovery.Credentials{Username: "u", AuthProtocol: "SHA"}},
		{"snmp://127.0.0.1?version=3", discovery.Credentials{Username: "u", Password: "s3cr3t-auth", PrivProtocol: "AES"}},
	} {
		_, err := discover(t, src, tc.target, tc.c)
		if kindOf(err) != discovery.Failed {
			t.Errorf("%s: err = %v, want failed", tc.target, err)
		}
		if err != nil && strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("%s: error leaks a secret: %v", tc.target, err)
		}
	}
}
