package ipmisim

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// decodedArea is an info area read back by decodeFRU.
type decodedArea struct {
	Prefix []byte   // bytes between the length byte and the first field
	Fields []string // decoded fields, in order
}

// decodeFRU is an independent reader of FRU images: it checks the common
// header, each area's version, length, end marker and checksum, and
// decodes 6-bit and 8-bit fields. Areas are keyed "chassis", "board",
// "product".
func decodeFRU(img []byte) (map[string]decodedArea, error) {
	if len(img) < 8 || img[0] != 0x01 {
		return nil, fmt.Errorf("bad common header % x", img)
	}
	if sum(img[:8]) != 0 {
		return nil, fmt.Errorf("common header checksum")
	}
	if img[1] != 0 || img[5] != 0 || img[6] != 0 {
		return nil, fmt.Errorf("unexpected internal/multirecord/pad bytes % x", img[:8])
	}
	prefixLen := map[string]int{"chassis": 1, "board": 4, "product": 1}
	out := map[string]decodedArea{}
	for slot, name := range map[int]string{2: "chassis", 3: "board", 4: "product"} {
		off := int(img[slot]) * 8
		if off == 0 {
			continue
		}
		if off+2 > len(img) || img[off] != 0x01 {
			return nil, fmt.Errorf("%s area at %d: bad version", name, off)
		}
		n := int(img[off+1]) * 8
		if n == 0 || off+n > len(img) {
			return nil, fmt.Errorf("%s area: length %d", name, n)
		}
		area := img[off : off+n]
		if sum(area) != 0 {
			return nil, fmt.Errorf("%s area checksum", name)
		}
		a := decodedArea{Prefix: append([]byte(nil), area[2:2+prefixLen[name]]...)}
		i := 2 + prefixLen[name]
		for {
			if i >= n-1 {
				return nil, fmt.Errorf("%s area: no end marker", name)
			}
			tl := area[i]
			if tl == 0xc1 {
				break
			}
			l := int(tl & 0x3f)
			if i+1+l > n-1 {
				return nil, fmt.Errorf("%s area: field overruns", name)
			}
			data := area[i+1 : i+1+l]
			switch tl >> 6 {
			case 3:
				a.Fields = append(a.Fields, string(data))
			case 2:
				a.Fields = append(a.Fields, strings.TrimRight(unpackSixBit(data, l*8/6), " "))
			default:
				return nil, fmt.Errorf("%s area: field type %d", name, tl>>6)
			}
			i += 1 + l
		}
		for _, pad := range area[i+1 : n-1] {
			if pad != 0 {
				return nil, fmt.Errorf("%s area: non-zero padding", name)
			}
		}
		out[name] = a
	}
	return out, nil
}

func sum(b []byte) byte {
	var s byte
	for _, c := range b {
		s += c
	}
	return s
}

// unpackSixBit is packSixBit's inverse for n characters.
func unpackSixBit(b []byte, n int) string {
	out := make([]byte, 0, n)
	var acc uint32
	var bits uint
	for _, c := range b {
		acc |= uint32(c) << bits
		bits += 8
		for bits >= 6 && len(out) < n {
			out = append(out, byte(acc&0x3f)+0x20)
			acc >>= 6
			bits -= 6
		}
	}
	return string(out)
}

func TestPackSixBit(t *testing.T) {
	// "IPMI": I=29h P=30h M=2Dh I=29h; 29h | 30h<<6 | 2Dh<<12 | 29h<<18
	// = A6DC29h, least significant byte first.
	if got, want := packSixBit("IPMI"), []byte{0x29, 0xdc, 0xa6}; !bytes.Equal(got, want) {
		t.Errorf("packSixBit(IPMI) = % x, want % x", got, want)
	}
	for _, s := range []string{"A", "AB", "ABC", "ABCD", "ABCDE", "S4201234X2300042", " !\"#_^]"} {
		if got := unpackSixBit(packSixBit(s), len(s)); got != s {
			t.Errorf("unpack(pack(%q)) = %q", s, got)
		}
	}
}

func TestEncodeFRU(t *testing.T) {
	tests := []struct {
		name string
		fru  FRU
		want map[string]decodedArea
	}{
		{
			name: "all areas, 8-bit",
			fru: FRU{
				ChassisType: 0x17, ChassisPartNumber: "CSE-829U", ChassisSerial: "C1",
				BoardMfg: "Supermicro", BoardProduct: "X12DPG-OA6", BoardSerial: "OM221S000123", BoardPartNumber: "X12",
				ProductManufacturer: "Supermicro", ProductName: "SYS-420GP-TNAR", ProductPartNumber: "P",
				ProductVersion: "1.0", ProductSerial: "S42", ProductAssetTag: "tag",
			},
			want: map[string]decodedArea{
				"chassis": {Prefix: []byte{0x17}, Fields: []string{"CSE-829U", "C1"}},
				"board":   {Prefix: []byte{0, 0, 0, 0}, Fields: []string{"Supermicro", "X12DPG-OA6", "OM221S000123", "X12", ""}},
				// A one-character 8-bit field gets a space: C1h would end the area.
				"product": {Prefix: []byte{0}, Fields: []string{"Supermicro", "SYS-420GP-TNAR", "P ", "1.0", "S42", "tag", ""}},
			},
		},
		{
			name: "6-bit where possible",
			fru:  FRU{SixBit: true, ProductManufacturer: "NVIDIA", ProductName: "dgx", ProductSerial: "1650124000123"},
			want: map[string]decodedArea{
				"product": {Prefix: []byte{0}, Fields: []string{"NVIDIA", "dgx", "", "", "1650124000123", "", ""}},
			},
		},
		{
			name: "board only",
			fru:  FRU{BoardSerial: "QTF1"},
			want: map[string]decodedArea{
				"board": {Prefix: []byte{0, 0, 0, 0}, Fields: []string{"", "", "QTF1", "", ""}},
			},
		},
		{
			name: "empty",
			fru:  FRU{},
			want: map[string]decodedArea{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := EncodeFRU(tt.fru)
			if err != nil {
				t.Fatal(err)
			}
			if len(img)%8 != 0 {
				t.Errorf("image is %d bytes, not a multiple of 8", len(img))
			}
			got, err := decodeFRU(img)
			if err != nil {
				t.Fatalf("decode % x: %v", img, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("EncodeFRU → decode (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEncodeFRUSixBitTypeBytes(t *testing.T) {
	img, err := EncodeFRU(FRU{SixBit: true, ProductName: "IPMI", ProductSerial: "lower"})
	if err != nil {
		t.Fatal(err)
	}
	p := int(img[4]) * 8
	// version, length, language, manufacturer (empty, 8-bit), name.
	if got := img[p+3]; got != 0xc0 {
		t.Errorf("empty manufacturer type/length = %#x, want 0xc0", got)
	}
	if got := img[p+4 : p+8]; !bytes.Equal(got, []byte{0x83, 0x29, 0xdc, 0xa6}) {
		t.Errorf("6-bit name = % x, want 83 29 dc a6", got)
	}
	if !bytes.Contains(img, []byte{0xc5, 'l', 'o', 'w', 'e', 'r'}) {
		t.Errorf("lower-case serial not written as 8-bit: % x", img)
	}
}

func TestEncodeFRUErrors(t *testing.T) {
	for name, f := range map[string]FRU{
		"too long":       {ProductName: strings.Repeat("x", 64)},
		"too long 6-bit": {SixBit: true, ProductName: strings.Repeat("X", 85)},
		"control char":   {BoardSerial: "a\nb"},
	} {
		if _, err := EncodeFRU(f); err == nil {
			t.Errorf("%s: EncodeFRU succeeded", name)
		}
	}
	// 63 bytes is the most a field holds; 84 6-bit characters pack into 63.
	for _, f := range []FRU{{ProductName: strings.Repeat("x", 63)}, {SixBit: true, ProductName: strings.Repeat("X", 84)}} {
		if _, err := EncodeFRU(f); err != nil {
			t.Errorf("EncodeFRU(%d characters): %v", len(f.ProductName), err)
		}
	}
}
