package ipmisim

import (
	"fmt"
)

// FRU is the content of a FRU inventory device in the terms of the IPMI
// Platform Management FRU Information Storage Definition v1.0: a chassis,
// a board and a product info area. An area whose fields are all empty is
// left out of the encoding (its common-header offset is 0).
type FRU struct {
	// ChassisType is the SMBIOS chassis type (0x17 rack mount chassis).
	// The chassis area is written when ChassisType or a chassis field is
	// set.
	ChassisType       byte
	ChassisPartNumber string
	ChassisSerial     string

	BoardMfg        string
	BoardProduct    string
	BoardSerial     string
	BoardPartNumber string

	ProductManufacturer string
	ProductName         string
	ProductPartNumber   string
	ProductVersion      string
	ProductSerial       string
	ProductAssetTag     string

	// SixBit writes every field that 6-bit packed ASCII can carry
	// (characters 0x20-0x5F: upper case, digits, punctuation) in that
	// form, as many BMCs do; other fields stay 8-bit ASCII.
	SixBit bool
}

// Type/length byte types (bits 7:6).
const (
	typeSixBit   = 0x80 // 10b: 6-bit packed ASCII
	typeEightBit = 0xc0 // 11b: 8-bit ASCII + Latin 1
	endOfFields  = 0xc1 // type/length byte that ends an area's fields
	maxFieldLen  = 0x3f // length is bits 5:0
	formatV1     = 0x01
	langEnglish  = 0x00 // language code 0: English
)

// EncodeFRU returns the binary FRU image: the 8-byte common header
// followed by the chassis, board and product info areas, each padded to a
// multiple of 8 bytes and closed with a zero checksum byte. Board
// manufacturing date is 0 (unspecified). A field longer than 63 encoded
// bytes is an error; a single-character 8-bit field, whose type/length
// byte would read as the end-of-fields marker C1h, gets a trailing space.
func EncodeFRU(f FRU) ([]byte, error) {
	var chassis, board, product []byte
	var err error
	if f.ChassisType != 0 || f.ChassisPartNumber != "" || f.ChassisSerial != "" {
		chassis, err = encodeArea([]byte{f.ChassisType}, f.SixBit, "chassis",
			f.ChassisPartNumber, f.ChassisSerial)
		if err != nil {
			return nil, err
		}
	}
	if f.BoardMfg != "" || f.BoardProduct != "" || f.BoardSerial != "" || f.BoardPartNumber != "" {
		// Language, then the manufacturing date: 3 bytes of minutes since
		// 1996-01-01 00:00, 0 meaning unspecified. The last field is the
		// FRU file id.
		board, err = encodeArea([]byte{langEnglish, 0, 0, 0}, f.SixBit, "board",
			f.BoardMfg, f.BoardProduct, f.BoardSerial, f.BoardPartNumber, "")
		if err != nil {
			return nil, err
		}
	}
	if f.ProductManufacturer != "" || f.ProductName != "" || f.ProductPartNumber != "" ||
		f.ProductVersion != "" || f.ProductSerial != "" || f.ProductAssetTag != "" {
		product, err = encodeArea([]byte{langEnglish}, f.SixBit, "product",
			f.ProductManufacturer, f.ProductName, f.ProductPartNumber,
			f.ProductVersion, f.ProductSerial, f.ProductAssetTag, "")
		if err != nil {
			return nil, err
		}
	}

	out := make([]byte, 8, 8+len(chassis)+len(board)+len(product))
	out[0] = formatV1
	next := 1 // in multiples of 8 bytes; the header is the first
	place := func(area []byte, slot int) error {
		if area == nil {
			return nil
		}
		if next > 0xff {
			return fmt.Errorf("fru: image too large for the common header's offsets")
		}
		out[slot] = byte(next)
		next += len(area) / 8
		out = append(out, area...)
		return nil
	}
	// Common header: version, internal use, chassis, board, product,
	// multirecord offsets, pad, checksum.
	if err := place(chassis, 2); err != nil {
		return nil, err
	}
	if err := place(board, 3); err != nil {
		return nil, err
	}
	if err := place(product, 4); err != nil {
		return nil, err
	}
	out[7] = zeroChecksum(out[:7])
	return out, nil
}

// encodeArea builds one info area: version, length (filled in), prefix
// bytes, the fields, C1h, padding and the checksum.
func encodeArea(prefix []byte, sixBit bool, name string, fields ...string) ([]byte, error) {
	a := append([]byte{formatV1, 0}, prefix...)
	for _, s := range fields {
		enc, err := encodeField(s, sixBit)
		if err != nil {
			return nil, fmt.Errorf("fru: %s area: %w", name, err)
		}
		a = append(a, enc...)
	}
	a = append(a, endOfFields)
	for (len(a)+1)%8 != 0 {
		a = append(a, 0)
	}
	if (len(a)+1)/8 > 0xff {
		return nil, fmt.Errorf("fru: %s area too long", name)
	}
	a[1] = byte((len(a) + 1) / 8)
	return append(a, zeroChecksum(a)), nil
}

// encodeField returns a type/length byte and the field's bytes.
func encodeField(s string, sixBit bool) ([]byte, error) {
	if sixBit && s != "" && fitsSixBit(s) {
		packed := packSixBit(s)
		if len(packed) > maxFieldLen {
			return nil, fmt.Errorf("field %q: %d bytes packed, at most %d", s, len(packed), maxFieldLen)
		}
		return append([]byte{typeSixBit | byte(len(packed))}, packed...), nil
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return nil, fmt.Errorf("field %q: control character at byte %d", s, i)
		}
	}
	if len(s) == 1 {
		s += " " // C1h is the end-of-fields marker
	}
	if len(s) > maxFieldLen {
		return nil, fmt.Errorf("field %q: %d bytes, at most %d", s, len(s), maxFieldLen)
	}
	return append([]byte{typeEightBit | byte(len(s))}, s...), nil
}

func fitsSixBit(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x5f {
			return false
		}
	}
	return true
}

// packSixBit packs characters 0x20-0x5F as 6-bit values (c - 0x20), four
// characters to three bytes, least significant bits first.
func packSixBit(s string) []byte {
	out := make([]byte, 0, (len(s)*6+7)/8)
	var acc uint32
	var bits uint
	for i := 0; i < len(s); i++ {
		acc |= uint32(s[i]-0x20) << bits
		bits += 6
		for bits >= 8 {
			out = append(out, byte(acc))
			acc >>= 8
			bits -= 8
		}
	}
	if bits > 0 {
		out = append(out, byte(acc))
	}
	return out
}

// zeroChecksum returns the byte that makes the sum of b and it 0 mod 256.
func zeroChecksum(b []byte) byte {
	var sum byte
	for _, c := range b {
		sum += c
	}
	return -sum
}
