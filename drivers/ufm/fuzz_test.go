package ufm

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/railyard/railyard/drivers/ufm/ufmfake"
	"github.com/railyard/railyard/internal/fabric"
)

// FuzzParsePKeys: the parser of GET .../pkeys answers never panics, and
// what it accepts renders and parses back to the same partitions.
func FuzzParsePKeys(f *testing.F) {
	r, err := Driver{}.Render(config("a", "b", "c"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(r))
	dev := ufmfake.New(config("a", "c"))
	f.Add([]byte(dev.Running()))
	for _, s := range []string{
		`{}`, `[]`, `{"error": "Unauthorized"}`, `{"error": 3}`, `null`,
		`{"0x7fff": {"partition": "management", "ip_over_ib": true, "guids": []}}`,
		`{"0x101": {"partition": "ry-t0001", "ip_over_ib": true, "mtu_limit": 4, "service_level": 0, "rate_limit": 2.5,
		  "guids": [{"guid": "0C42A10300000100", "membership": "limited", "index0": true}]}}`,
		`{"0x0": {}}`, `{"0x8000": {}}`, `{"0x101": {"guids": [{"guid": "x"}]}}`,
		`{"0x101": {}, "0x0101": {}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ps, err := parsePKeys(b)
		if err != nil {
			return
		}
		var cfg fabric.DeviceConfig
		for k, p := range ps {
			fp := toPartition(k, p)
			if validatePartition(fp) != nil {
				continue
			}
			cfg.Partitions = append(cfg.Partitions, fp)
		}
		if validate(cfg) != nil {
			return
		}
		cfg.Normalize()
		out, err := Driver{}.Render(cfg)
		if err != nil {
			t.Fatalf("render of parsed partitions: %v", err)
		}
		back, err := parsePKeys([]byte(out))
		if err != nil {
			t.Fatalf("parse of render: %v\n%s", err, out)
		}
		var again fabric.DeviceConfig
		for k, p := range back {
			again.Partitions = append(again.Partitions, toPartition(k, p))
		}
		again.Normalize()
		if d := cmp.Diff(cfg, again); d != "" {
			t.Errorf("parse(render(x)) != x (-x +round trip):\n%s", d)
		}
	})
}

// FuzzParsePKey: PKey strings parse without panicking and format back.
func FuzzParsePKey(f *testing.F) {
	for _, s := range []string{"0x0101", "0x7fff", "0x1", "0X7FFE", "0x", "0x10000", "101", "-0x1", "0x+1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := parsePKey(s)
		if err != nil {
			return
		}
		if k == 0 || k > defaultPKey {
			t.Fatalf("parsePKey(%q) = %#x, out of range", s, k)
		}
		if back, err := parsePKey(formatPKey(k)); err != nil || back != k {
			t.Fatalf("parsePKey(formatPKey(%#x)) = %#x, %v", k, back, err)
		}
	})
}

// FuzzErrorMessage: the error-body detector never panics and only
// reports objects with a string "error".
func FuzzErrorMessage(f *testing.F) {
	for _, s := range []string{`{"error": "PKey 0x101 already exists"}`, `{}`, `{"0x101": {}}`, `{"error": {"a": 1}}`, ` {"error":""}`, `[`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		msg, ok := errorMessage(b)
		if !ok && msg != "" {
			t.Fatalf("errorMessage(%q) = %q, false", b, msg)
		}
		_ = errorText(b)
	})
}
