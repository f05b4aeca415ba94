package l3lab

import (
	"net/netip"
	"slices"
	"testing"
)

func FuzzParseKernelRoutes(f *testing.F) {
	f.Add(readTestdata(f, "ip-route-storage.json"))
	f.Add(readTestdata(f, "ip-route-tenant-leaky.json"))
	f.Add([]byte(`[{"dst":"default","gateway":"10.0.0.1","dev":"eth0"},{"dst":"::/0"}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rs, err := ParseKernelRoutes(b)
		if err != nil {
			return
		}
		for _, r := range rs {
			if !r.Dst.IsValid() || len(r.Nexthops) == 0 {
				t.Fatalf("parsed an invalid route %+v from %q", r, b)
			}
		}
	})
}

func FuzzParseNeighbors(f *testing.F) {
	f.Add(readTestdata(f, "ip-neigh-storage.json"))
	f.Add(readTestdata(f, "ip-neigh-tenant-broken.json"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ns, err := ParseNeighbors(b)
		if err != nil {
			return
		}
		for _, n := range ns {
			if !n.Dst.IsValid() {
				t.Fatalf("parsed an invalid neighbor %+v", n)
			}
			n.Resolved()
		}
	})
}

// FuzzParseRIB and FuzzParseBGP check that every parsed prefix is
// valid, masked and listed once, and that a table's prefixes read back
// from the JSON FRR would print for them.
func FuzzParseRIB(f *testing.F) {
	f.Add(readTestdata(f, "show-ip-route-storage.json"))
	f.Add([]byte(`{"10.0.0.0/8":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) { checkPrefixes(t, b, ParseRIB, false) })
}

func FuzzParseBGP(f *testing.F) {
	f.Add(readTestdata(f, "show-bgp-storage.json"))
	f.Add([]byte(`{"routes":{}}`))
	f.Fuzz(func(t *testing.T, b []byte) { checkPrefixes(t, b, ParseBGP, true) })
}

func checkPrefixes(t *testing.T, b []byte, parse func([]byte) ([]netip.Prefix, error), bgp bool) {
	ps, err := parse(b)
	if err != nil {
		return
	}
	for i, p := range ps {
		if !p.IsValid() || p.Masked() != p || i > 0 && ps[i-1] == p {
			t.Fatalf("bad prefix list %v", ps)
		}
	}
	// Round trip: the prefixes, printed the way FRR prints them, parse
	// back to the same list.
	js := "{"
	for i, p := range ps {
		if i > 0 {
			js += ","
		}
		js += `"` + p.String() + `":[]`
	}
	js += "}"
	if bgp {
		js = `{"routes":` + js + `}`
	}
	again, err := parse([]byte(js))
	if err != nil || !slices.Equal(again, ps) {
		t.Fatalf("round trip of %v gave %v, %v", ps, again, err)
	}
}

func FuzzParseBGPNeighbor(f *testing.F) {
	f.Add(readTestdata(f, "show-bgp-neighbor.json"), "198.18.0.254")
	f.Fuzz(func(t *testing.T, b []byte, addr string) {
		ParseBGPNeighbor(b, addr)
	})
}

func FuzzParseEchoReply(f *testing.F) {
	r := echoRequest(1, 2, []byte("x"))
	r[0] = 0
	f.Add(r)
	f.Add(append([]byte{0x45, 0, 0, 29, 0, 0, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2}, r...))
	f.Fuzz(func(t *testing.T, b []byte) {
		ParseEchoReply(b)
	})
}

func FuzzVtyshArgs(f *testing.F) {
	f.Add("vtysh -c 'configure terminal' -c 'router bgp 65100 vrf ry-t0001'")
	f.Add(`vtysh -c "show version"`)
	f.Add("ip link del br2000")
	f.Fuzz(func(t *testing.T, s string) {
		args, err := VtyshArgs(s)
		if err != nil {
			return
		}
		if len(args)%2 != 0 {
			t.Fatalf("odd arguments %q", args)
		}
		for i := 0; i < len(args); i += 2 {
			if args[i] != "-c" {
				t.Fatalf("non -c option in %q", args)
			}
		}
	})
}

func FuzzSanitize(f *testing.F) {
	f.Add("frr defaults datacenter\nrouter bgp 65100\n bgp router-id 1.2.3.4\n neighbor x activate\nexit\n# Linux netdevs\nlink add x\n")
	f.Fuzz(func(t *testing.T, s string) {
		out := Sanitize(s)
		if Sanitize(out) != out {
			t.Fatalf("Sanitize is not idempotent on %q", s)
		}
	})
}
