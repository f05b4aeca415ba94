package frr

import (
	"bufio"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// frrVRF is what FRR's running-config says about one VRF.
type frrVRF struct {
	Name string
	// Stanza is set when a `vrf <name>` stanza exists; VNI is its vni.
	Stanza bool
	VNI    uint32
	// BGP is set when a `router bgp <asn> vrf <name>` instance exists.
	BGP            bool
	BGPASN         uint32
	Redistribute   bool
	Advertise      bool
	RD             string
	Import, Export []string
}

// frrVNI is an L2VNI block under the default instance's l2vpn evpn.
type frrVNI struct {
	VNI            uint32
	RD             string
	Import, Export []string
}

// frrConfig is the part of FRR's running-config the driver reads.
type frrConfig struct {
	ASN  uint32
	VRFs map[string]*frrVRF
	VNIs map[uint32]*frrVNI
}

// parseRunning reads `show running-config` output. It tolerates lines
// it does not know (the operator's) and reports malformed stanza
// headers and values of the lines it reads.
func parseRunning(s string) (frrConfig, error) {
	c := frrConfig{VRFs: map[string]*frrVRF{}, VNIs: map[uint32]*frrVNI{}}
	vrf := func(n string) *frrVRF {
		v, ok := c.VRFs[n]
		if !ok {
			v = &frrVRF{Name: n}
			c.VRFs[n] = v
		}
		return v
	}
	var (
		curVRF *frrVRF // inside vrf <name> (zebra) or router bgp ... vrf <name>
		inBGP  bool    // inside router bgp (default instance)
		af     string  // current address family
		curVNI *frrVNI
		zebra  bool // curVRF is a zebra vrf stanza
	)
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		raw := sc.Text()
		t := strings.TrimSpace(raw)
		f := strings.Fields(t)
		if len(f) == 0 || t == "!" {
			continue
		}
		top := raw == t // no indentation
		if top {
			curVRF, inBGP, af, curVNI, zebra = nil, false, "", nil, false
			switch {
			case f[0] == "vrf" && len(f) == 2:
				curVRF, zebra = vrf(f[1]), true
				curVRF.Stanza = true
			case f[0] == "router" && len(f) >= 3 && f[1] == "bgp":
				asn, err := strconv.ParseUint(f[2], 10, 32)
				if err != nil {
					return c, fmt.Errorf("line %d: %q: bad ASN", n, t)
				}
				switch {
				case len(f) == 3:
					inBGP = true
					c.ASN = uint32(asn)
				case len(f) == 5 && f[3] == "vrf":
					curVRF = vrf(f[4])
					curVRF.BGP, curVRF.BGPASN = true, uint32(asn)
				default:
					return c, fmt.Errorf("line %d: %q: unknown router bgp form", n, t)
				}
			}
			continue
		}
		switch {
		case zebra && curVRF != nil:
			if f[0] == "vni" && len(f) >= 2 {
				v, err := parseVNI(f[1])
				if err != nil {
					return c, fmt.Errorf("line %d: %w", n, err)
				}
				curVRF.VNI = v
			}
		case (inBGP || curVRF != nil) && f[0] == "address-family":
			af = strings.Join(f[1:], " ")
			curVNI = nil
		case t == "exit-address-family":
			af, curVNI = "", nil
		case inBGP && af == "l2vpn evpn" && f[0] == "vni" && len(f) == 2:
			v, err := parseVNI(f[1])
			if err != nil {
				return c, fmt.Errorf("line %d: %w", n, err)
			}
			curVNI = &frrVNI{VNI: v}
			c.VNIs[v] = curVNI
		case curVNI != nil && t == "exit-vni":
			curVNI = nil
		case curVNI != nil:
			if err := rdRT(f, &curVNI.RD, &curVNI.Import, &curVNI.Export); err != nil {
				return c, fmt.Errorf("line %d: %w", n, err)
			}
		case curVRF != nil && af == "ipv4 unicast":
			if t == "redistribute connected" {
				curVRF.Redistribute = true
			}
		case curVRF != nil && af == "l2vpn evpn":
			if t == "advertise ipv4 unicast" {
				curVRF.Advertise = true
				continue
			}
			if err := rdRT(f, &curVRF.RD, &curVRF.Import, &curVRF.Export); err != nil {
				return c, fmt.Errorf("line %d: %w", n, err)
			}
		}
	}
	return c, sc.Err()
}

func parseVNI(s string) (uint32, error) {
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil || v == 0 || v >= 1<<24 {
		return 0, fmt.Errorf("bad VNI %q", s)
	}
	return uint32(v), nil
}

// rdRT reads an rd or route-target line (FRR prints one RT per line;
// "both" and several RTs on one line are accepted too).
func rdRT(f []string, rd *string, imp, exp *[]string) error {
	switch {
	case f[0] == "rd" && len(f) == 2:
		*rd = f[1]
	case f[0] == "route-target" && len(f) >= 3:
		for _, rt := range f[2:] {
			switch f[1] {
			case "import":
				*imp = append(*imp, rt)
			case "export":
				*exp = append(*exp, rt)
			case "both":
				*imp = append(*imp, rt)
				*exp = append(*exp, rt)
			default:
				return fmt.Errorf("route-target %q: unknown direction", f[1])
			}
		}
	}
	return nil
}

// link is what the driver reads of one netdev from `ip -j -d addr show`.
type link struct {
	Name   string
	Up     bool
	Master string
	Alias  string
	Kind   string
	// VNI, Local and Port are a VXLAN's.
	VNI   uint32
	Local string
	Port  int
	// VRFTable is a VRF device's table.
	VRFTable uint32
	Addrs    []string
}

type jsonLink struct {
	Name     string   `json:"ifname"`
	Flags    []string `json:"flags"`
	Master   string   `json:"master"`
	Alias    string   `json:"ifalias"`
	LinkInfo *struct {
		Kind string `json:"info_kind"`
		Data *struct {
			ID    *uint64 `json:"id"`
			Local string  `json:"local"`
			Port  int     `json:"port"`
			Table *uint64 `json:"table"`
		} `json:"info_data"`
	} `json:"linkinfo"`
	Addrs []struct {
		Family string `json:"family"`
		Local  string `json:"local"`
		Len    int    `json:"prefixlen"`
		Scope  string `json:"scope"`
	} `json:"addr_info"`
}

// parseLinks reads `ip -j -d addr show` (or `ip -j -d link show`).
func parseLinks(b []byte) (map[string]link, error) {
	var js []jsonLink
	if err := json.Unmarshal(b, &js); err != nil {
		return nil, fmt.Errorf("parse ip -j output: %w", err)
	}
	out := make(map[string]link, len(js))
	for _, j := range js {
		if j.Name == "" {
			return nil, fmt.Errorf("parse ip -j output: a link without a name")
		}
		l := link{Name: j.Name, Up: slices.Contains(j.Flags, "UP"), Master: j.Master, Alias: j.Alias}
		if j.LinkInfo != nil {
			l.Kind = j.LinkInfo.Kind
			if d := j.LinkInfo.Data; d != nil {
				if l.Kind == "vxlan" && d.ID != nil && *d.ID < 1<<24 {
					l.VNI = uint32(*d.ID)
				}
				l.Local, l.Port = d.Local, d.Port
				if l.Kind == "vrf" && d.Table != nil && *d.Table < 1<<32 {
					l.VRFTable = uint32(*d.Table)
				}
			}
		}
		for _, a := range j.Addrs {
			if a.Family == "inet" || (a.Family == "inet6" && a.Scope != "link") {
				l.Addrs = append(l.Addrs, fmt.Sprintf("%s/%d", a.Local, a.Len))
			}
		}
		out[l.Name] = l
	}
	return out, nil
}

// parseAlias reads a bridge alias "ry-seg vrf=<vrf> gw=<gw>" or
// "ry-l3 vrf=<vrf>"; kind is "" for any other alias.
func parseAlias(a string) (kind, vrf, gw string) {
	f := strings.Fields(a)
	if len(f) == 0 || (f[0] != "ry-seg" && f[0] != "ry-l3") {
		return "", "", ""
	}
	for _, kv := range f[1:] {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "vrf":
			vrf = v
		case "gw":
			gw = v
		}
	}
	return f[0], vrf, gw
}

// bridgeVLAN returns the VLAN a bridge name br<VLAN> encodes, or 0.
func bridgeVLAN(name string) int {
	s, ok := strings.CutPrefix(name, "br")
	if !ok || s == "" || s[0] == '0' || len(s) > 4 {
		return 0
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 1 || v > 4094 {
		return 0
	}
	return v
}
