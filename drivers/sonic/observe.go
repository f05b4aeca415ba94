package sonic

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/railyard/railyard/internal/fabric"
)

// configDB is CONFIG_DB as "show runningconfiguration all" prints it:
// table -> key -> field -> value (values are strings, a few are lists).
type configDB map[string]map[string]map[string]any

// ParseConfigDB parses the output of "show runningconfiguration all".
func ParseConfigDB(out string) (configDB, error) {
	var db configDB
	if err := json.Unmarshal([]byte(out), &db); err != nil {
		return nil, fmt.Errorf("show runningconfiguration all: %v: %s", err, firstLine(out))
	}
	return db, nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	return s
}

func (db configDB) field(t, k, f string) string {
	v, ok := db[t][k][f]
	if !ok {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}

// rtConf is an RD and the route-targets of an EVPN VRF or VNI.
type rtConf struct {
	RD       string
	Imp, Exp []string
}

// FRRConfig is the part of FRR's running configuration the driver reads.
type FRRConfig struct {
	// VRFVNI is zebra's "vrf NAME / vni N".
	VRFVNI map[string]uint32
	// VNIs are the default instance's l2vpn evpn "vni N" blocks.
	VNIs map[uint32]*rtConf
	// VRFs are the "router bgp ASN vrf NAME" instances (their l2vpn evpn
	// RD and route-targets).
	VRFs map[string]*rtConf
}

// ParseFRR parses vtysh's "show running-config" (or the FRR part of
// Render).
func ParseFRR(out string) FRRConfig {
	f := FRRConfig{VRFVNI: map[string]uint32{}, VNIs: map[uint32]*rtConf{}, VRFs: map[string]*rtConf{}}
	var (
		zvrf   string  // in "vrf NAME"
		router bool    // in "router bgp"
		inst   *rtConf // the VRF instance, nil for the default
		evpn   bool    // in address-family l2vpn evpn
		vni    *rtConf // in "vni N" under the default's l2vpn evpn
	)
	for _, raw := range strings.Split(out, "\n") {
		line := strings.TrimSpace(raw)
		w := strings.Fields(line)
		if len(w) == 0 || w[0] == "!" {
			continue
		}
		if raw[0] != ' ' && raw[0] != '\t' {
			zvrf, router, inst, evpn, vni = "", false, nil, false, nil
			switch {
			case len(w) == 2 && w[0] == "vrf":
				zvrf = w[1]
			case len(w) == 3 && w[0] == "router" && w[1] == "bgp":
				router = true
			case len(w) == 5 && w[0] == "router" && w[1] == "bgp" && w[3] == "vrf":
				router = true
				inst = &rtConf{}
				f.VRFs[w[4]] = inst
			}
			continue
		}
		switch {
		case zvrf != "":
			if len(w) == 2 && w[0] == "vni" {
				if n, err := strconv.ParseUint(w[1], 10, 32); err == nil {
					f.VRFVNI[zvrf] = uint32(n)
				}
			}
		case !router:
		case len(w) >= 2 && w[0] == "address-family":
			evpn, vni = line == "address-family l2vpn evpn", nil
		case line == "exit-address-family":
			evpn, vni = false, nil
		case line == "exit-vni":
			vni = nil
		case !evpn:
		case inst == nil && len(w) == 2 && w[0] == "vni":
			if n, err := strconv.ParseUint(w[1], 10, 32); err == nil {
				vni = &rtConf{}
				f.VNIs[uint32(n)] = vni
			}
		default:
			t := inst
			if t == nil {
				t = vni
			}
			if t == nil {
				continue
			}
			switch {
			case len(w) == 2 && w[0] == "rd":
				t.RD = w[1]
			case len(w) == 3 && w[0] == "route-target":
				switch w[1] {
				case "import":
					t.Imp = append(t.Imp, w[2])
				case "export":
					t.Exp = append(t.Exp, w[2])
				case "both":
					t.Imp = append(t.Imp, w[2])
					t.Exp = append(t.Exp, w[2])
				}
			}
		}
	}
	return f
}

// segmentRT folds an L2VNI's route-targets into the one RT a segment
// has; anything but a single RT both imported and exported is kept
// visible so that it differs from every desired RT.
func segmentRT(c *rtConf) string {
	if c == nil || len(c.Imp)+len(c.Exp) == 0 {
		return ""
	}
	imp, exp := sortedRTs(c.Imp), sortedRTs(c.Exp)
	if len(imp) == 1 && slices.Equal(imp, exp) {
		return imp[0]
	}
	return "import " + strings.Join(imp, ",") + " export " + strings.Join(exp, ",")
}

func vlanID(name string) (int, bool) {
	n, ok := strings.CutPrefix(name, "Vlan")
	if !ok {
		return 0, false
	}
	v, err := strconv.Atoi(n)
	return v, err == nil && v > 0 && v < 4095 && fmt.Sprint(v) == n
}

// Build turns CONFIG_DB and FRR's configuration into the managed state:
// the "Vrf-ry-" VRFs, the owned VLANs (core VLANs are those mapped to a
// VRF's VNI; the others are segments) and the ports named in scope.
func Build(db configDB, f FRRConfig, scope []string) fabric.DeviceConfig {
	var c fabric.DeviceConfig
	vlanVNI := map[int]uint32{}
	vniVLAN := map[uint32]int{}
	for k := range db["VXLAN_TUNNEL_MAP"] {
		v, ok := vlanID(db.field("VXLAN_TUNNEL_MAP", k, "vlan"))
		n, err := strconv.ParseUint(db.field("VXLAN_TUNNEL_MAP", k, "vni"), 10, 32)
		if !ok || err != nil {
			continue
		}
		if old, dup := vlanVNI[v]; !dup || uint32(n) < old {
			vlanVNI[v] = uint32(n)
		}
		if old, dup := vniVLAN[uint32(n)]; !dup || v < old {
			vniVLAN[uint32(n)] = v
		}
	}
	core := map[int]bool{}
	for k := range db["VRF"] {
		n, _ := strconv.ParseUint(db.field("VRF", k, "vni"), 10, 32)
		if n != 0 {
			if v, ok := vniVLAN[uint32(n)]; ok {
				core[v] = true
			}
		}
		name, ok := strings.CutPrefix(k, VRFPrefix)
		if !ok || !strings.HasPrefix(name, fabric.OwnedPrefix) {
			continue
		}
		v := fabric.VRF{Name: name, L3VNI: uint32(n), CoreVLAN: vniVLAN[uint32(n)]}
		if n == 0 {
			v.CoreVLAN = 0
		}
		if r := f.VRFs[k]; r != nil {
			v.RD, v.ImportRTs, v.ExportRTs = r.RD, r.Imp, r.Exp
		}
		c.VRFs = append(c.VRFs, v)
	}
	for k := range db["VLAN"] {
		v, ok := vlanID(k)
		if !ok || !fabric.OwnedVLAN(v) || core[v] {
			continue
		}
		s := fabric.Segment{VLAN: v, L2VNI: vlanVNI[v]}
		vrf := db.field("VLAN_INTERFACE", k, "vrf_name")
		s.VRF = strings.TrimPrefix(vrf, VRFPrefix)
		var gws []string
		for ik := range db["VLAN_INTERFACE"] {
			if ip, ok := strings.CutPrefix(ik, k+"|"); ok {
				gws = append(gws, ip)
			}
		}
		slices.Sort(gws)
		s.Gateway = strings.Join(gws, ",")
		if r := f.VNIs[s.L2VNI]; s.L2VNI != 0 && r != nil {
			s.RD, s.RT = r.RD, segmentRT(r)
		}
		c.Segments = append(c.Segments, s)
	}
	for _, name := range scope {
		if _, ok := db["PORT"][name]; !ok {
			continue
		}
		p := fabric.Port{Name: name, Shutdown: db.field("PORT", name, "admin_status") != "up"}
		for k := range db["VLAN_MEMBER"] {
			vl, port, ok := strings.Cut(k, "|")
			if !ok || port != name {
				continue
			}
			if v, ok := vlanID(vl); ok && (p.VLAN == 0 || v < p.VLAN) {
				p.VLAN = v
			}
		}
		c.Ports = append(c.Ports, p)
	}
	c.Normalize()
	return c
}
