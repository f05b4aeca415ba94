package ufm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/railyard/railyard/internal/fabric"
)

// The REST paths (UFM Enterprise REST API, "PKey GUIDs Rest API").
const (
	pathVersion     = "/ufmRest/app/ufm_version"
	pathPKeys       = "/ufmRest/resources/pkeys"
	pathAdd         = pathPKeys + "/add"
	pathQoS         = pathPKeys + "/qos_conf"
	pathLastUpdated = pathPKeys + "/last_updated"
	// queryAll asks for the members and the QoS settings of every
	// partition.
	queryAll = "?guids_data=true&qos_conf=true"
)

// defaultPKey is the default (management) partition; UFM refuses to
// change it through this API, and it is never Railyard's.
const defaultPKey = 0x7fff

// guidsPerRequest bounds the GUIDs in one DELETE .../guids/<csv> URL.
const guidsPerRequest = 200

// rawMember is one GUID of a partition as UFM reports it.
type rawMember struct {
	GUID       string `json:"guid"`
	Membership string `json:"membership"`
	Index0     bool   `json:"index0"`
}

// rawPartition is one partition as GET .../pkeys?guids_data=true&qos_conf=true
// reports it (the map value; the key is the PKey).
type rawPartition struct {
	Partition    string      `json:"partition"`
	IPOverIB     bool        `json:"ip_over_ib"`
	MTULimit     int         `json:"mtu_limit,omitempty"`
	ServiceLevel int         `json:"service_level"`
	RateLimit    *float64    `json:"rate_limit,omitempty"`
	GUIDs        []rawMember `json:"guids"`
}

// createBody is POST .../pkeys/add: an empty partition.
type createBody struct {
	PKey          string   `json:"pkey"`
	PartitionName string   `json:"partition_name"`
	Index0        bool     `json:"index0"`
	IPOverIB      bool     `json:"ip_over_ib"`
	MTULimit      int      `json:"mtu_limit"`
	ServiceLevel  int      `json:"service_level"`
	RateLimit     *float64 `json:"rate_limit,omitempty"`
}

// membersBody is POST .../pkeys (add GUIDs) and PUT .../pkeys (replace
// the GUIDs), with one membership per GUID.
type membersBody struct {
	PKey        string   `json:"pkey"`
	GUIDs       []string `json:"guids"`
	Memberships []string `json:"memberships"`
	Index0      bool     `json:"index0"`
	IPOverIB    bool     `json:"ip_over_ib"`
}

// qosBody is PUT .../pkeys/qos_conf.
type qosBody struct {
	PKey         string   `json:"pkey"`
	MTULimit     int      `json:"mtu_limit"`
	ServiceLevel int      `json:"service_level"`
	RateLimit    *float64 `json:"rate_limit,omitempty"`
}

// errorBody is how UFM reports a refused request.
type errorBody struct {
	Error string `json:"error"`
}

// formatPKey writes a PKey the way requests carry it: 0x0101.
func formatPKey(k uint16) string { return fmt.Sprintf("0x%04x", k) }

// parsePKey reads a PKey as UFM writes it (0x101, 0x0101, 0X101); it
// accepts the whole 15-bit range, the default partition included.
func parsePKey(s string) (uint16, error) {
	h, ok := strings.CutPrefix(strings.ToLower(strings.TrimSpace(s)), "0x")
	if !ok || h == "" || len(h) > 4 {
		return 0, fmt.Errorf("pkey %q: not a hex string 0x1..0x7fff", s)
	}
	v, err := strconv.ParseUint(h, 16, 16)
	if err != nil || v == 0 || v > defaultPKey {
		return 0, fmt.Errorf("pkey %q: not a hex string 0x1..0x7fff", s)
	}
	return uint16(v), nil
}

// validPKey says whether Railyard may program a PKey: 0x0 < pkey < 0x7fff.
func validPKey(k uint16) error {
	if k == 0 || k >= defaultPKey {
		return fmt.Errorf("pkey %#04x out of range (0x0001-0x7ffe; 0x7fff is the default partition)", k)
	}
	return nil
}

// normGUID lower-cases a GUID and checks it is 16 to 20 hex digits (UFM
// compares GUIDs case-insensitively and stores them lower-cased).
func normGUID(s string) (string, error) {
	g := strings.ToLower(s)
	if len(g) < 16 || len(g) > 20 {
		return "", fmt.Errorf("guid %q: want 16 to 20 hex digits", s)
	}
	for _, c := range g {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return "", fmt.Errorf("guid %q: want 16 to 20 hex digits", s)
		}
	}
	return g, nil
}

// mtuLimit maps an IB MTU code (4 = 2048, 5 = 4096) to UFM's mtu_limit
// (2 or 4, in KiB).
func mtuLimit(code int) (int, error) {
	switch code {
	case 4:
		return 2, nil
	case 5:
		return 4, nil
	}
	return 0, fmt.Errorf("mtu code %d: UFM partitions take 4 (2048) or 5 (4096)", code)
}

// mtuCode is the inverse of mtuLimit; 0 for a value it does not know.
func mtuCode(limit int) int {
	switch limit {
	case 2:
		return 4
	case 4:
		return 5
	}
	return 0
}

// parsePKeys reads the answer to GET .../pkeys?guids_data=true&qos_conf=true:
// a JSON object keyed by PKey. An empty object is no partitions; an
// object with an "error" string is UFM refusing the request.
func parsePKeys(body []byte) (map[uint16]rawPartition, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, fmt.Errorf("pkeys: not a JSON object: %v", err)
	}
	if e, ok := top["error"]; ok {
		var msg string
		if json.Unmarshal(e, &msg) == nil {
			return nil, fmt.Errorf("pkeys: UFM error: %s", msg)
		}
	}
	out := make(map[uint16]rawPartition, len(top))
	for k, v := range top {
		pk, err := parsePKey(k)
		if err != nil {
			return nil, fmt.Errorf("pkeys: %v", err)
		}
		if _, dup := out[pk]; dup {
			return nil, fmt.Errorf("pkeys: %s listed twice", formatPKey(pk))
		}
		var p rawPartition
		dec := json.NewDecoder(bytes.NewReader(v))
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("pkeys: %s: %v", k, err)
		}
		seen := map[string]bool{}
		for i, m := range p.GUIDs {
			g, err := normGUID(m.GUID)
			if err != nil {
				return nil, fmt.Errorf("pkeys: %s: %v", k, err)
			}
			if seen[g] {
				return nil, fmt.Errorf("pkeys: %s: guid %s listed twice", k, g)
			}
			seen[g] = true
			switch m.Membership {
			case string(fabric.Full), string(fabric.Limited):
			default:
				return nil, fmt.Errorf("pkeys: %s: guid %s: membership %q", k, g, m.Membership)
			}
			p.GUIDs[i].GUID = g
		}
		slices.SortFunc(p.GUIDs, func(a, b rawMember) int { return strings.Compare(a.GUID, b.GUID) })
		out[pk] = p
	}
	return out, nil
}

// toPartition converts UFM's view of a partition to the fabric type
// (GUIDs lower-case, sorted).
func toPartition(k uint16, p rawPartition) fabric.Partition {
	fp := fabric.Partition{PKey: k, Name: p.Partition, IPoIB: p.IPOverIB, MTU: mtuCode(p.MTULimit)}
	for _, m := range p.GUIDs {
		fp.Members = append(fp.Members, fabric.Member{GUID: m.GUID, Membership: fabric.Membership(m.Membership)})
	}
	return fp
}

// fromPartition is what UFM holds after Railyard programs p (members at
// index 0, service level 0). p must be valid.
func fromPartition(p fabric.Partition) rawPartition {
	lim, _ := mtuLimit(p.MTU)
	r := rawPartition{Partition: p.Name, IPOverIB: p.IPoIB, MTULimit: lim, GUIDs: []rawMember{}}
	for _, m := range p.Members {
		g, _ := normGUID(m.GUID)
		r.GUIDs = append(r.GUIDs, rawMember{GUID: g, Membership: string(m.Membership), Index0: true})
	}
	slices.SortFunc(r.GUIDs, func(a, b rawMember) int { return strings.Compare(a.GUID, b.GUID) })
	return r
}

// equalRaw compares two partitions as UFM reports them.
func equalRaw(a, b rawPartition) bool {
	if a.Partition != b.Partition || a.IPOverIB != b.IPOverIB || a.MTULimit != b.MTULimit || a.ServiceLevel != b.ServiceLevel {
		return false
	}
	if (a.RateLimit == nil) != (b.RateLimit == nil) || a.RateLimit != nil && *a.RateLimit != *b.RateLimit {
		return false
	}
	return slices.Equal(a.GUIDs, b.GUIDs)
}
