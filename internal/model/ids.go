package model

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrBadIdentifier is wrapped by every identifier parse error.
var ErrBadIdentifier = errors.New("bad identifier")

// ParseMAC parses a 48-bit Ethernet MAC address written as
// aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff or aabb.ccdd.eeff (Cisco), in either
// case, and returns it in canonical lower-case colon form.
func ParseMAC(s string) (string, error) {
	hex, err := hexDigits(s, 12, ":-.")
	if err != nil {
		return "", fmt.Errorf("%w: MAC %q: %v", ErrBadIdentifier, s, err)
	}
	return groupHex(hex, 2, ":"), nil
}

// ParseGUID parses a 64-bit InfiniBand port or node GUID written as
// 0x0c42a10300abcdef, 0c42:a103:00ab:cdef or 0c:42:a1:03:00:ab:cd:ef and
// returns it in canonical form 0x0c42a10300abcdef.
func ParseGUID(s string) (string, error) {
	t := strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	hex, err := hexDigits(t, 16, ":")
	if err != nil {
		return "", fmt.Errorf("%w: GUID %q: %v", ErrBadIdentifier, s, err)
	}
	return "0x" + hex, nil
}

// ParsePCIBusID parses a PCI address domain:bus:device.function
// (0000:1b:00.0, as lspci -D prints it; NVML's 00000000:1B:00.0 form with an
// eight-digit domain is accepted too) and returns it in canonical lower-case
// form with a four-digit domain.
func ParsePCIBusID(s string) (string, error) {
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("%w: PCI bus id %q: %s", ErrBadIdentifier, s, why)
	}
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return bad("want domain:bus:device.function")
	}
	df := strings.Split(parts[2], ".")
	if len(df) != 2 {
		return bad("want device.function")
	}
	dom, err := strconv.ParseUint(parts[0], 16, 32)
	if err != nil || len(parts[0]) == 0 || len(parts[0]) > 8 || dom > 0xffff {
		return bad("domain is not 1 to 4 hex digits")
	}
	bus, err := strconv.ParseUint(parts[1], 16, 8)
	if err != nil || len(parts[1]) != 2 {
		return bad("bus is not 2 hex digits")
	}
	dev, err := strconv.ParseUint(df[0], 16, 8)
	if err != nil || len(df[0]) != 2 || dev > 0x1f {
		return bad("device is not 2 hex digits up to 1f")
	}
	fn, err := strconv.ParseUint(df[1], 16, 8)
	if err != nil || len(df[1]) != 1 || fn > 7 {
		return bad("function is not a digit 0 to 7")
	}
	return fmt.Sprintf("%04x:%02x:%02x.%x", dom, bus, dev, fn), nil
}

// hexDigits strips the separators in seps and returns the remaining n hex
// digits in lower case.
func hexDigits(s string, n int, seps string) (string, error) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case strings.ContainsRune(seps, r):
		case r >= '0' && r <= '9', r >= 'a' && r <= 'f':
			b.WriteRune(r)
		case r >= 'A' && r <= 'F':
			b.WriteRune(r + 'a' - 'A')
		default:
			return "", fmt.Errorf("unexpected character %q", r)
		}
	}
	if b.Len() != n {
		return "", fmt.Errorf("want %d hex digits, got %d", n, b.Len())
	}
	return b.String(), nil
}

func groupHex(hex string, size int, sep string) string {
	var b strings.Builder
	for i := 0; i < len(hex); i += size {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(hex[i : i+size])
	}
	return b.String()
}
