package agent

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
)

// ErrBadPCIBusID is wrapped by NormalizePCIBusID's errors.
var ErrBadPCIBusID = errors.New("bad PCI bus id")

// NormalizePCIBusID parses a PCI address domain:bus:device.function in the
// forms NVML (00000000:07:00.0), lspci -D and sysfs (0000:07:00.0) write it,
// in either case, with surrounding blanks or trailing NULs, and returns it
// in the canonical lower-case sysfs form with an at-least-four-digit domain.
// For domains up to ffff the result is what model.ParsePCIBusID returns;
// unlike it, domains above ffff (Intel VMD, 10000:e1:00.0) are accepted,
// as sysfs names them.
func NormalizePCIBusID(s string) (string, error) {
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("%w %q: %s", ErrBadPCIBusID, s, why)
	}
	t := strings.TrimSpace(strings.TrimRight(s, "\x00"))
	parts := strings.Split(t, ":")
	if len(parts) != 3 {
		return bad("want domain:bus:device.function")
	}
	df := strings.Split(parts[2], ".")
	if len(df) != 2 {
		return bad("want device.function")
	}
	dom, ok := hexField(parts[0], 1, 8)
	if !ok {
		return bad("domain is not 1 to 8 hex digits")
	}
	bus, ok := hexField(parts[1], 2, 2)
	if !ok {
		return bad("bus is not 2 hex digits")
	}
	dev, ok := hexField(df[0], 2, 2)
	if !ok || dev > 0x1f {
		return bad("device is not 2 hex digits up to 1f")
	}
	fn, ok := hexField(df[1], 1, 1)
	if !ok || fn > 7 {
		return bad("function is not a digit 0 to 7")
	}
	return fmt.Sprintf("%04x:%02x:%02x.%x", dom, bus, dev, fn), nil
}

// hexField parses s as min to max hex digits (no sign, no prefix).
func hexField(s string, min, max int) (uint64, bool) {
	if len(s) < min || len(s) > max {
		return 0, false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F') {
			return 0, false
		}
	}
	v, err := strconv.ParseUint(s, 16, 32)
	return v, err == nil
}

// busIDFromPciInfo returns the canonical bus id of an NVML PciInfo: its
// BusId string, else its legacy one, else its numeric domain, bus and
// device fields (function 0, as NVML reports GPUs), unless those are all
// zero, which is what an unfilled PciInfo holds.
func busIDFromPciInfo(p nvml.PciInfo) (string, error) {
	if s := cString(p.BusId[:]); s != "" {
		return NormalizePCIBusID(s)
	}
	if s := cString(p.BusIdLegacy[:]); s != "" {
		return NormalizePCIBusID(s)
	}
	if p.Domain == 0 && p.Bus == 0 && p.Device == 0 {
		return "", fmt.Errorf("%w: NVML returned no PCI address", ErrBadPCIBusID)
	}
	return NormalizePCIBusID(fmt.Sprintf("%04x:%02x:%02x.0", p.Domain, p.Bus, p.Device))
}

// cString converts a NUL-terminated C char array to a string.
func cString(b []int8) string {
	var sb strings.Builder
	for _, c := range b {
		if c == 0 {
			break
		}
		sb.WriteByte(byte(c))
	}
	return sb.String()
}
