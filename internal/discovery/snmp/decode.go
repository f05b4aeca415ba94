package snmp

import (
	"bytes"
	"encoding/hex"
	"net/netip"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// LLDP-MIB LldpChassisIdSubtype values.
const (
	ChassisComponent    = 1
	ChassisIfAlias      = 2
	ChassisPortComp     = 3
	ChassisMAC          = 4
	ChassisNetworkAddr  = 5
	ChassisIfName       = 6
	ChassisLocal        = 7
	maxChassisIDSubtype = 7
)

// LLDP-MIB LldpPortIdSubtype values.
const (
	PortIfAlias      = 1
	PortComponent    = 2
	PortMAC          = 3
	PortNetworkAddr  = 4
	PortIfName       = 5
	PortAgentCircuit = 6
	PortLocal        = 7
	maxPortIDSubtype = 7
)

// DecodeMAC renders a MAC address in lower-case colon form. It accepts the
// six raw octets, and also the 12-digit hex or colon/dash/dot separated
// text form that some agents put into octet strings. ok is false when b is
// neither.
func DecodeMAC(b []byte) (mac string, ok bool) {
	if len(b) == 6 {
		return hexColon(b), true
	}
	s := strings.TrimRight(string(b), "\x00 \r\n")
	if len(s) < 12 || len(s) > 17 {
		return "", false
	}
	clean := strings.Map(func(r rune) rune {
		switch r {
		case ':', '-', '.':
			return -1
		}
		return r
	}, s)
	if len(clean) != 12 {
		return "", false
	}
	raw, err := hex.DecodeString(clean)
	if err != nil {
		return "", false
	}
	// Separated forms must be well formed: aa:bb:.., aa-bb-.., aabb.ccdd.eeff.
	if len(s) != 12 && !macText.MatchString(s) {
		return "", false
	}
	return hexColon(raw), true
}

var macText = regexp.MustCompile(`^(?:[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}|[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){5}|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})$`)

// hexColon renders any octets as lower-case hex pairs joined by colons.
func hexColon(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	const digits = "0123456789abcdef"
	out := make([]byte, 0, len(b)*3-1)
	for i, c := range b {
		if i > 0 {
			out = append(out, ':')
		}
		out = append(out, digits[c>>4], digits[c&0xf])
	}
	return string(out)
}

// DisplayString renders an octet string that should be text: trailing NULs
// and surrounding white space are dropped, and text that is not printable
// UTF-8 is rendered as colon hex instead, so binary never leaks into facts.
func DisplayString(b []byte) string {
	b = bytes.TrimRight(b, "\x00")
	s := strings.TrimSpace(string(b))
	if printable(s) {
		return s
	}
	return hexColon(b)
}

func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case r == '\t' || r == '\r' || r == '\n':
		case unicode.IsControl(r) || !unicode.IsPrint(r) && !unicode.IsSpace(r):
			return false
		}
	}
	return true
}

// networkAddress renders an LLDP network address: one IANA address family
// octet (1 IPv4, 2 IPv6) followed by the address.
func networkAddress(b []byte) string {
	if len(b) == 5 && b[0] == 1 {
		return netip.AddrFrom4([4]byte(b[1:])).String()
	}
	if len(b) == 17 && b[0] == 2 {
		return netip.AddrFrom16([16]byte(b[1:])).String()
	}
	return hexColon(b)
}

// DecodeChassisID renders an LLDP chassis id of the given
// LldpChassisIdSubtype: macAddress as a lower-case colon MAC,
// networkAddress as an IP address, everything else as text (or colon hex
// when it is not printable).
func DecodeChassisID(subtype int, b []byte) string {
	switch subtype {
	case ChassisMAC:
		if m, ok := DecodeMAC(b); ok {
			return m
		}
		return hexColon(b)
	case ChassisNetworkAddr:
		return networkAddress(b)
	}
	return DisplayString(b)
}

// DecodePortID renders an LLDP port id of the given LldpPortIdSubtype.
// isMAC is true when the subtype is macAddress and the value is a MAC; the
// id is then in lower-case colon form. networkAddress becomes an IP
// address; the other subtypes (interfaceName, interfaceAlias, local, ...)
// are text.
func DecodePortID(subtype int, b []byte) (id string, isMAC bool) {
	switch subtype {
	case PortMAC:
		if m, ok := DecodeMAC(b); ok {
			return m, true
		}
		return hexColon(b), false
	case PortNetworkAddr:
		return networkAddress(b), false
	}
	return DisplayString(b), false
}

// enterprises maps IANA private enterprise numbers (the arc after
// 1.3.6.1.4.1 in sysObjectID) to vendor names.
var enterprises = map[int]string{
	9:     "Cisco",
	11:    "HPE",
	674:   "Dell",
	2011:  "Huawei",
	2636:  "Juniper",
	6027:  "Dell", // Force10
	8072:  "Linux",
	30065: "Arista",
	33049: "NVIDIA", // Mellanox
	40310: "NVIDIA", // Cumulus Networks
}

// enterprise returns the enterprise number of a sysObjectID under
// 1.3.6.1.4.1, or -1.
func enterprise(oid string) int {
	oid = strings.TrimPrefix(oid, ".")
	rest, ok := strings.CutPrefix(oid, "1.3.6.1.4.1.")
	if !ok {
		return -1
	}
	arc, _, _ := strings.Cut(rest, ".")
	n := 0
	if arc == "" || len(arc) > 9 {
		return -1
	}
	for _, c := range arc {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

var descrPatterns = []struct {
	os string
	re *regexp.Regexp
}{
	{"NX-OS", regexp.MustCompile(`Cisco NX-OS.*?Version ([^\s,]+)`)},
	{"IOS-XR", regexp.MustCompile(`Cisco IOS XR Software.*?Version ([^\s,\[]+)`)},
	{"IOS-XE", regexp.MustCompile(`Cisco IOS[ -]XE Software.*?Version ([^\s,]+)|Cisco IOS Software.*?IOS-?XE.*?Version ([^\s,]+)`)},
	{"IOS", regexp.MustCompile(`Cisco (?:IOS|Internetwork Operating System) Software.*?Version ([^\s,]+)`)},
	{"EOS", regexp.MustCompile(`Arista Networks EOS version ([^\s,]+)`)},
	{"Junos", regexp.MustCompile(`JUNOS ([^\s,\]]+)`)},
	{"Cumulus Linux", regexp.MustCompile(`Cumulus Linux(?: version)? ([0-9][^\s,]*)`)},
	{"SONiC", regexp.MustCompile(`SONiC Software Version: SONiC\.([^\s,]+)`)},
	{"Onyx", regexp.MustCompile(`(?:Onyx|MLNX-OS),\s*SWv([^\s,]+)`)},
	{"OS10", regexp.MustCompile(`(?s)OS10.*?OS Version: ([^\s,]+?)\.?(?:\s|$)`)},
	{"Linux", regexp.MustCompile(`^Linux \S+ (\S+)`)},
}

// ParseSysDescr recognises the network operating system and its version in
// a sysDescr: Cisco IOS, IOS-XE, IOS-XR and NX-OS, Arista EOS, Junos,
// Cumulus Linux, SONiC, NVIDIA Onyx, Dell OS10 and net-snmp's Linux
// ("Linux <host> <release> ..."). Both are empty when it does not.
func ParseSysDescr(descr string) (os, version string) {
	for _, p := range descrPatterns {
		m := p.re.FindStringSubmatch(descr)
		if m == nil {
			continue
		}
		for _, v := range m[1:] {
			if v != "" {
				return p.os, v
			}
		}
		return p.os, ""
	}
	return "", ""
}
