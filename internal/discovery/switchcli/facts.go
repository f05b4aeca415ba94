package switchcli

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/railyard/railyard/internal/model"
)

// errMalformed marks a parse failure; Discover classifies it as
// discovery.Malformed.
var errMalformed = errors.New("malformed output")

// malformed returns an error wrapping errMalformed.
func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errMalformed}, args...)...)
}

// missingOrder is the order facts are named in SwitchFacts.Missing.
var missingOrder = []string{"chassis_id", "vendor", "model", "version", "serial", "neighbors"}

// finish sorts ports and neighbours, checks that sf is well formed and
// recomputes Missing. noLLDP says the LLDP table could not be read at all
// (as opposed to being empty).
func finish(sf *model.SwitchFacts, noLLDP bool) error {
	// A neighbour row that names nothing (no chassis, port or system
	// name) carries no information; drop it rather than fail the switch.
	sf.Neighbors = slices.DeleteFunc(sf.Neighbors, func(n model.LLDPNeighbor) bool {
		return n.ChassisID == "" && n.PortID == "" && n.SysName == ""
	})
	if len(sf.Neighbors) == 0 {
		sf.Neighbors = nil
	}
	sortFacts(sf)
	if err := checkFacts(*sf); err != nil {
		return err
	}
	sf.Missing = nil
	for _, k := range missingOrder {
		var empty bool
		switch k {
		case "chassis_id":
			empty = sf.ChassisID == ""
		case "vendor":
			empty = sf.Vendor == ""
		case "model":
			empty = sf.Model == ""
		case "version":
			empty = sf.Version == ""
		case "serial":
			empty = sf.Serial == ""
		case "neighbors":
			empty = noLLDP
		}
		if empty {
			sf.Missing = append(sf.Missing, k)
		}
	}
	return nil
}

// sortFacts puts ports and neighbours in natural interface order so that
// results do not depend on JSON map order.
func sortFacts(sf *model.SwitchFacts) {
	slices.SortStableFunc(sf.Ports, func(a, b model.PortFacts) int { return compareIfName(a.Name, b.Name) })
	slices.SortStableFunc(sf.Neighbors, func(a, b model.LLDPNeighbor) int {
		if c := compareIfName(a.LocalPort, b.LocalPort); c != 0 {
			return c
		}
		if c := strings.Compare(a.ChassisID, b.ChassisID); c != 0 {
			return c
		}
		return strings.Compare(a.PortID, b.PortID)
	})
}

// checkFacts reports whether sf is well formed: a name, unique non-empty
// port names, sane speeds, neighbours with a local port, and MACs in
// lower-case colon form wherever they are flagged as MACs.
func checkFacts(sf model.SwitchFacts) error {
	if strings.TrimSpace(sf.Name) == "" {
		return malformed("no host name")
	}
	if !printable(sf.Name) {
		return malformed("host name %q has control characters", sf.Name)
	}
	if sf.ChassisID != "" && !printable(sf.ChassisID) {
		return malformed("chassis id %q has control characters", sf.ChassisID)
	}
	if m, ok := normMAC(sf.ChassisID); ok && m != sf.ChassisID {
		return malformed("chassis id %q is not normalised", sf.ChassisID)
	}
	seen := map[string]bool{}
	for _, p := range sf.Ports {
		if strings.TrimSpace(p.Name) == "" || !printable(p.Name) {
			return malformed("port with empty or unprintable name %q", p.Name)
		}
		if seen[p.Name] {
			return malformed("port %s listed twice", p.Name)
		}
		seen[p.Name] = true
		if p.SpeedGbps < 0 || p.SpeedGbps > 100000 {
			return malformed("port %s: speed %d Gb/s out of range", p.Name, p.SpeedGbps)
		}
		if p.MAC != "" {
			if m, ok := normMAC(p.MAC); !ok || m != p.MAC {
				return malformed("port %s: MAC %q is not normalised", p.Name, p.MAC)
			}
		}
	}
	for _, n := range sf.Neighbors {
		if strings.TrimSpace(n.LocalPort) == "" || !printable(n.LocalPort) {
			return malformed("LLDP neighbour with empty or unprintable local port %q", n.LocalPort)
		}
		if n.ChassisID == "" && n.PortID == "" && n.SysName == "" {
			return malformed("LLDP neighbour on %s names nothing", n.LocalPort)
		}
		for _, s := range []string{n.ChassisID, n.PortID, n.PortDesc, n.SysName} {
			if !printable(s) {
				return malformed("LLDP neighbour on %s: %q has control characters", n.LocalPort, s)
			}
		}
		if m, ok := normMAC(n.ChassisID); ok && m != n.ChassisID {
			return malformed("LLDP neighbour on %s: chassis id %q is not normalised", n.LocalPort, n.ChassisID)
		}
		if n.PortIDIsMAC {
			if m, ok := normMAC(n.PortID); !ok || m != n.PortID {
				return malformed("LLDP neighbour on %s: port id %q is flagged as a MAC but is not one", n.LocalPort, n.PortID)
			}
		}
	}
	return nil
}

func printable(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return false
		}
	}
	return true
}

// normMAC parses an EUI-48 in any of the usual spellings (00:1c:73:aa:bb:cc,
// 00-1C-73-AA-BB-CC, 001c.73aa.bbcc, 001c73aabbcc) and returns it in
// lower-case colon form.
func normMAC(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false
	}
	if len(s) == 12 && isHex(s) {
		s = s[0:4] + "." + s[4:8] + "." + s[8:12]
	}
	// Junos and Huawei also write 0200-0000-0002.
	if len(s) == 14 && s[4] == '-' && s[9] == '-' && isHex(s[0:4]+s[5:9]+s[10:14]) {
		s = s[0:4] + "." + s[5:9] + "." + s[10:14]
	}
	hw, err := net.ParseMAC(s)
	if err != nil || len(hw) != 6 {
		return "", false
	}
	return hw.String(), true
}

func isHex(s string) bool {
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// macOrRaw normalises s when it is a MAC and returns it trimmed otherwise.
func macOrRaw(s string) string {
	if m, ok := normMAC(s); ok {
		return m
	}
	return strings.TrimSpace(s)
}

// dottedMAC writes a colon MAC the Cisco/Arista way (001c.73aa.bbcc).
func dottedMAC(m string) string {
	hw, err := net.ParseMAC(m)
	if err != nil || len(hw) != 6 {
		return m
	}
	h := fmt.Sprintf("%x", []byte(hw))
	return h[0:4] + "." + h[4:8] + "." + h[8:12]
}

// compareIfName orders interface names naturally: digit runs compare as
// numbers, so Ethernet2 < Ethernet10 and et-0/0/2 < et-0/0/10.
func compareIfName(a, b string) int {
	for a != "" && b != "" {
		ad, bd := isDigit(a[0]), isDigit(b[0])
		if ad && bd {
			i, j := digitRun(a), digitRun(b)
			na, nb := strings.TrimLeft(a[:i], "0"), strings.TrimLeft(b[:j], "0")
			if len(na) != len(nb) {
				return cmpInt(len(na), len(nb))
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			if i != j {
				return cmpInt(i, j)
			}
			a, b = a[i:], b[j:]
			continue
		}
		if a[0] != b[0] {
			return cmpInt(int(a[0]), int(b[0]))
		}
		a, b = a[1:], b[1:]
	}
	return cmpInt(len(a), len(b))
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func digitRun(s string) int {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ---- JSON helpers: the vendors' JSON changes shape between releases
// (numbers as strings, single rows as objects), so parsers walk generic
// values instead of fixed structs.

// decodeJSON decodes a command's output, which must be one JSON object.
func decodeJSON(cmd, out string) (map[string]any, error) {
	s := strings.TrimSpace(out)
	if s == "" {
		return nil, malformed("%s: empty output where JSON was expected", cmd)
	}
	if s[0] != '{' {
		return nil, malformed("%s: not JSON: %s", cmd, firstLine(s))
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil {
		return nil, malformed("%s: bad JSON: %v", cmd, err)
	}
	if dec.More() {
		return nil, malformed("%s: trailing data after the JSON object", cmd)
	}
	return v, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return strconv.Quote(s)
}

// obj returns v as an object, or nil.
func obj(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// list returns v as a list: a JSON array as is, a single object as a
// one-element list (NX-OS ROW_ and lldpd's collapsed lists), nil
// otherwise.
func list(v any) []any {
	switch t := v.(type) {
	case []any:
		return t
	case map[string]any:
		return []any{t}
	}
	return nil
}

// str returns a string or number value as a string ("" otherwise).
func str(v any) string {
	switch t := v.(type) {
	case string:
		return strings.TrimSpace(t)
	case json.Number:
		return t.String()
	case bool:
		return strconv.FormatBool(t)
	}
	return ""
}

// num returns a number or numeric string as a float64.
func num(v any) (float64, bool) {
	var s string
	switch t := v.(type) {
	case json.Number:
		s = t.String()
	case string:
		s = strings.TrimSpace(t)
	default:
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// gbps converts a speed in units per second to whole Gb/s. Absurd values
// (the kernel's "unknown" is 2^32-1 Mb/s) count as unknown: 0.
func gbps(v, unitsPerGbps float64) int {
	g := v / unitsPerGbps
	if g <= 0 || math.IsNaN(g) || g > 100000 {
		return 0
	}
	return int(g)
}

// parseSpeedText reads speeds such as "100G", "25Gbps", "10Gb/s",
// "1000", "1000M", "1000mbps", "a-1000" or "auto". bareUnit is the unit
// of a bare number: 'M' for Mb/s, 'G' for Gb/s.
func parseSpeedText(s string, bareUnit byte) int {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "a-")
	i := 0
	for i < len(s) && (isDigit(s[i]) || s[i] == '.') {
		i++
	}
	if i == 0 {
		return 0
	}
	f, err := strconv.ParseFloat(s[:i], 64)
	if err != nil {
		return 0
	}
	unit := strings.TrimSpace(s[i:])
	switch {
	case unit == "":
		if bareUnit == 'G' {
			return gbps(f, 1)
		}
		return gbps(f, 1000)
	case strings.HasPrefix(unit, "t"):
		return gbps(f*1000, 1)
	case strings.HasPrefix(unit, "g"):
		return gbps(f, 1)
	case strings.HasPrefix(unit, "m"):
		return gbps(f, 1000)
	case strings.HasPrefix(unit, "k"):
		return gbps(f, 1000000)
	}
	return 0
}
