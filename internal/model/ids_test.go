package model

import (
	"errors"
	"testing"
)

var macTests = []struct {
	in, want string
}{
	{"b8:3f:d2:01:02:03", "b8:3f:d2:01:02:03"},
	{"B8-3F-D2-01-02-0A", "b8:3f:d2:01:02:0a"},
	{"b83f.d201.020a", "b8:3f:d2:01:02:0a"},
	{"b8:3f:d2:01:02", ""},
	{"zz:3f:d2:01:02:03", ""},
	{"", ""},
}

func TestParseMAC(t *testing.T) {
	for _, tt := range macTests {
		got, err := ParseMAC(tt.in)
		if tt.want == "" {
			if !errors.Is(err, ErrBadIdentifier) {
				t.Errorf("ParseMAC(%q) = %q, %v; want ErrBadIdentifier", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseMAC(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

var guidTests = []struct {
	in, want string
}{
	{"0x0c42a10300abcdef", "0x0c42a10300abcdef"},
	{"0C42:A103:00AB:CDEF", "0x0c42a10300abcdef"},
	{"0c:42:a1:03:00:ab:cd:ef", "0x0c42a10300abcdef"},
	{"0x0c42a10300abcd", ""},
	{"0x0c42a10300abcdeg", ""},
}

func TestParseGUID(t *testing.T) {
	for _, tt := range guidTests {
		got, err := ParseGUID(tt.in)
		if tt.want == "" {
			if !errors.Is(err, ErrBadIdentifier) {
				t.Errorf("ParseGUID(%q) = %q, %v; want ErrBadIdentifier", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseGUID(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

var pciTests = []struct {
	in, want string
}{
	{"0000:1b:00.0", "0000:1b:00.0"},
	{"00000000:1B:00.0", "0000:1b:00.0"},
	{"0001:db:1f.7", "0001:db:1f.7"},
	{"0000:1b:20.0", ""},
	{"0000:1b:00.8", ""},
	{"1b:00.0", ""},
	{"0000:1b:00", ""},
	{"10000:1b:00.0", ""},
}

func TestParsePCIBusID(t *testing.T) {
	for _, tt := range pciTests {
		got, err := ParsePCIBusID(tt.in)
		if tt.want == "" {
			if !errors.Is(err, ErrBadIdentifier) {
				t.Errorf("ParsePCIBusID(%q) = %q, %v; want ErrBadIdentifier", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParsePCIBusID(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestComparePortNames(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"Ethernet2", "Ethernet10", -1},
		{"1/10", "1/2", 1},
		{"ib0", "ib0", 0},
		{"p01", "p1", 1},
		{"a", "ab", -1},
	}
	for _, tt := range tests {
		if got := ComparePortNames(tt.a, tt.b); got != tt.want {
			t.Errorf("ComparePortNames(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

// The parsers canonicalise: parsing their own output gives it back.
func FuzzParseMAC(f *testing.F) {
	for _, tt := range macTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseMAC(s)
		if err != nil {
			return
		}
		if again, err := ParseMAC(c); err != nil || again != c {
			t.Fatalf("ParseMAC(%q) = %q, but ParseMAC(%q) = %q, %v", s, c, c, again, err)
		}
	})
}

func FuzzParseGUID(f *testing.F) {
	for _, tt := range guidTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseGUID(s)
		if err != nil {
			return
		}
		if again, err := ParseGUID(c); err != nil || again != c {
			t.Fatalf("ParseGUID(%q) = %q, but ParseGUID(%q) = %q, %v", s, c, c, again, err)
		}
	})
}

func FuzzParsePCIBusID(f *testing.F) {
	for _, tt := range pciTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParsePCIBusID(s)
		if err != nil {
			return
		}
		if again, err := ParsePCIBusID(c); err != nil || again != c {
			t.Fatalf("ParsePCIBusID(%q) = %q, but again %q, %v", s, c, again, err)
		}
	})
}

func FuzzComparePortNames(f *testing.F) {
	f.Add("Ethernet2", "Ethernet10")
	f.Add("p01", "p1")
	f.Fuzz(func(t *testing.T, a, b string) {
		if x, y := ComparePortNames(a, b), ComparePortNames(b, a); x != -y {
			t.Fatalf("ComparePortNames not antisymmetric on %q, %q: %d, %d", a, b, x, y)
		}
		if ComparePortNames(a, a) != 0 {
			t.Fatalf("ComparePortNames(%q, itself) != 0", a)
		}
	})
}
