package snmp

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/gosnmp/gosnmp"

	"github.com/railyard/railyard/internal/discovery"
	"github.com/railyard/railyard/internal/model"
)

// A Var is one variable binding as an agent returned it: a numeric OID
// (with or without the leading dot), its BER type, and its value in
// gosnmp's representation: []byte (or string) for OCTET STRING, a Go
// integer for INTEGER, Counter32, Gauge32, TimeTicks and Counter64, a
// dotted string for OBJECT IDENTIFIER and IpAddress.
type Var struct {
	OID   string
	Type  gosnmp.Asn1BER
	Value any
}

// OIDs read by Discover and interpreted by Facts (numeric, no leading dot).
const (
	oidSysDescr    = "1.3.6.1.2.1.1.1.0"
	oidSysObjectID = "1.3.6.1.2.1.1.2.0"
	oidSysName     = "1.3.6.1.2.1.1.5.0"

	oidIfEntry  = "1.3.6.1.2.1.2.2.1"      // ifTable
	oidIfXEntry = "1.3.6.1.2.1.31.1.1.1"   // ifXTable
	oidEntEntry = "1.3.6.1.2.1.47.1.1.1.1" // entPhysicalTable
	// dot1dBasePortIfIndex, indexed by dot1dBasePort.
	oidBasePortIfIndex = "1.3.6.1.2.1.17.1.4.1.2"

	oidLldpLocChassisIDSubtype = "1.0.8802.1.1.2.1.3.1.0"
	oidLldpLocChassisID        = "1.0.8802.1.1.2.1.3.2.0"
	oidLldpLocSysName          = "1.0.8802.1.1.2.1.3.3.0"
	oidLldpLocPortEntry        = "1.0.8802.1.1.2.1.3.7.1" // lldpLocPortTable
	oidLldpRemEntry            = "1.0.8802.1.1.2.1.4.1.1" // lldpRemTable
	oidLldp                    = "1.0.8802.1.1.2"
)

// Table columns.
const (
	ifDescr       = 2
	ifSpeed       = 5
	ifPhysAddress = 6
	ifOperStatus  = 8

	ifName      = 1
	ifHighSpeed = 15
	ifAlias     = 18

	entPhysicalClass       = 5
	entPhysicalSoftwareRev = 10
	entPhysicalSerialNum   = 11
	entPhysicalMfgName     = 12
	entPhysicalModelName   = 13
	entClassChassis        = 3

	lldpLocPortIDSubtype = 2
	lldpLocPortID        = 3
	lldpLocPortDesc      = 4

	lldpRemChassisIDSubtype = 4
	lldpRemChassisID        = 5
	lldpRemPortIDSubtype    = 6
	lldpRemPortID           = 7
	lldpRemPortDesc         = 8
	lldpRemSysName          = 9
)

type ifRow struct {
	descr, name, alias string
	mac                []byte
	speed, highSpeed   int64 // -1: not reported
	oper               int64
}

type entRow struct {
	class                        int64
	softwareRev, serial, mfg, md string
}

type locPortRow struct {
	subtype  int64
	id, desc []byte
}

type remKey struct{ port, index int64 }

type remRow struct {
	timeMark                int64
	chassisSubtype, portSub int64
	chassisID, portID       []byte
	portDesc, sysName       []byte
	hasChassis, hasPort     bool
}

type tables struct {
	sysDescr, sysName, sysObjectID string
	locChassisSubtype              int64
	locChassisID                   []byte
	hasLocChassis                  bool
	locSysName                     string
	hasLLDP                        bool

	ifs      map[int64]*ifRow
	ents     map[int64]*entRow
	locPorts map[int64]*locPortRow
	rem      map[remKey]*remRow
	basePort map[int64]int64
}

// Facts turns the variables of a walk into what the switch reported. It
// does no I/O. Variables outside the objects it knows are ignored; values
// of the wrong type or out of range for their object, and table indexes of
// the wrong shape, make it fail with a discovery.Malformed error naming
// the OID.
func Facts(vars []Var) (model.SwitchFacts, error) {
	t := &tables{
		ifs:      map[int64]*ifRow{},
		ents:     map[int64]*entRow{},
		locPorts: map[int64]*locPortRow{},
		rem:      map[remKey]*remRow{},
		basePort: map[int64]int64{},
	}
	for _, v := range vars {
		if err := t.add(v); err != nil {
			return model.SwitchFacts{}, discovery.Classify(discovery.Malformed, err)
		}
	}
	return t.facts(), nil
}

// verbatim keeps text as the agent sent it, line breaks included, except
// for what no database or JSON consumer takes: NULs and invalid UTF-8
// (replaced by U+FFFD).
func verbatim(b []byte) string {
	return strings.ToValidUTF8(strings.ReplaceAll(string(b), "\x00", ""), "\uFFFD")
}

func malformed(oid, format string, args ...any) error {
	return discovery.Errorf(discovery.Malformed, "%s: %s", oid, fmt.Sprintf(format, args...))
}

// absent reports whether a value stands for "no such object".
func absent(v Var) bool {
	switch v.Type {
	case gosnmp.Null, gosnmp.NoSuchObject, gosnmp.NoSuchInstance, gosnmp.EndOfMibView:
		return true
	}
	return v.Value == nil
}

func (t *tables) add(v Var) error {
	oid := strings.TrimPrefix(v.OID, ".")
	if absent(v) {
		return nil
	}
	if !validOID(oid) {
		return malformed(v.OID, "not a numeric OID")
	}
	if strings.HasPrefix(oid, oidLldp+".") {
		t.hasLLDP = true
	}
	switch oid {
	case oidSysDescr:
		b, err := octets(v)
		t.sysDescr = verbatim(b)
		return err
	case oidSysName:
		b, err := octets(v)
		t.sysName = DisplayString(b)
		return err
	case oidSysObjectID:
		s, err := objectID(v)
		t.sysObjectID = s
		return err
	case oidLldpLocChassisIDSubtype:
		n, err := enum(v, 1, maxChassisIDSubtype)
		t.locChassisSubtype = n
		return err
	case oidLldpLocChassisID:
		b, err := octets(v)
		t.locChassisID, t.hasLocChassis = b, err == nil
		return err
	case oidLldpLocSysName:
		b, err := octets(v)
		t.locSysName = DisplayString(b)
		return err
	}
	if col, idx, ok, err := column(oid, oidIfEntry, 1); ok || err != nil {
		if err != nil {
			return malformed(v.OID, "%v", err)
		}
		return t.addIf(v, col, idx[0])
	}
	if col, idx, ok, err := column(oid, oidIfXEntry, 1); ok || err != nil {
		if err != nil {
			return malformed(v.OID, "%v", err)
		}
		return t.addIfX(v, col, idx[0])
	}
	if col, idx, ok, err := column(oid, oidEntEntry, 1); ok || err != nil {
		if err != nil {
			return malformed(v.OID, "%v", err)
		}
		return t.addEnt(v, col, idx[0])
	}
	if idx, ok, err := index(oid, oidBasePortIfIndex, 1); ok || err != nil {
		if err != nil {
			return malformed(v.OID, "%v", err)
		}
		n, err := integer(v, 0, math.MaxInt32)
		t.basePort[idx[0]] = n
		return err
	}
	if col, idx, ok, err := column(oid, oidLldpLocPortEntry, 1); ok || err != nil {
		if err != nil {
			return malformed(v.OID, "%v", err)
		}
		return t.addLocPort(v, col, idx[0])
	}
	if col, idx, ok, err := column(oid, oidLldpRemEntry, 3); ok || err != nil {
		if err != nil {
			return malformed(v.OID, "%v", err)
		}
		return t.addRem(v, col, idx)
	}
	return nil
}

func (t *tables) ifRow(i int64) *ifRow {
	r := t.ifs[i]
	if r == nil {
		r = &ifRow{speed: -1, highSpeed: -1}
		t.ifs[i] = r
	}
	return r
}

func (t *tables) addIf(v Var, col, i int64) error {
	var err error
	switch col {
	case ifDescr:
		var b []byte
		b, err = octets(v)
		t.ifRow(i).descr = DisplayString(b)
	case ifSpeed:
		t.ifRow(i).speed, err = integer(v, 0, math.MaxUint32)
	case ifPhysAddress:
		t.ifRow(i).mac, err = octets(v)
	case ifOperStatus:
		// up(1) down(2) testing(3) unknown(4) dormant(5) notPresent(6)
		// lowerLayerDown(7)
		t.ifRow(i).oper, err = enum(v, 1, 7)
	default:
		return nil
	}
	return err
}

func (t *tables) addIfX(v Var, col, i int64) error {
	var err error
	var b []byte
	switch col {
	case ifName:
		b, err = octets(v)
		t.ifRow(i).name = DisplayString(b)
	case ifAlias:
		b, err = octets(v)
		t.ifRow(i).alias = DisplayString(b)
	case ifHighSpeed:
		t.ifRow(i).highSpeed, err = integer(v, 0, math.MaxUint32)
	}
	return err
}

func (t *tables) addEnt(v Var, col, i int64) error {
	r := t.ents[i]
	if r == nil {
		r = &entRow{}
		t.ents[i] = r
	}
	var err error
	var b []byte
	switch col {
	case entPhysicalClass:
		r.class, err = enum(v, 1, 12)
	case entPhysicalSoftwareRev:
		b, err = octets(v)
		r.softwareRev = DisplayString(b)
	case entPhysicalSerialNum:
		b, err = octets(v)
		r.serial = DisplayString(b)
	case entPhysicalMfgName:
		b, err = octets(v)
		r.mfg = DisplayString(b)
	case entPhysicalModelName:
		b, err = octets(v)
		r.md = DisplayString(b)
	}
	return err
}

func (t *tables) addLocPort(v Var, col, port int64) error {
	r := t.locPorts[port]
	if r == nil {
		r = &locPortRow{}
		t.locPorts[port] = r
	}
	var err error
	switch col {
	case lldpLocPortIDSubtype:
		r.subtype, err = enum(v, 1, maxPortIDSubtype)
	case lldpLocPortID:
		r.id, err = octets(v)
	case lldpLocPortDesc:
		r.desc, err = octets(v)
	}
	return err
}

// addRem files an lldpRemTable column; idx is timeMark.localPortNum.index.
// When an agent lists the same neighbour under several time marks, the
// latest wins.
func (t *tables) addRem(v Var, col int64, idx []int64) error {
	switch col {
	case lldpRemChassisIDSubtype, lldpRemChassisID, lldpRemPortIDSubtype,
		lldpRemPortID, lldpRemPortDesc, lldpRemSysName:
	default:
		return nil
	}
	k := remKey{port: idx[1], index: idx[2]}
	r := t.rem[k]
	if r == nil || idx[0] > r.timeMark {
		r = &remRow{timeMark: idx[0]}
		t.rem[k] = r
	} else if idx[0] < r.timeMark {
		return nil // an older copy of a row we already have
	}
	var err error
	switch col {
	case lldpRemChassisIDSubtype:
		r.chassisSubtype, err = enum(v, 1, maxChassisIDSubtype)
	case lldpRemChassisID:
		r.chassisID, err = octets(v)
		r.hasChassis = true
	case lldpRemPortIDSubtype:
		r.portSub, err = enum(v, 1, maxPortIDSubtype)
	case lldpRemPortID:
		r.portID, err = octets(v)
		r.hasPort = true
	case lldpRemPortDesc:
		r.portDesc, err = octets(v)
	case lldpRemSysName:
		r.sysName, err = octets(v)
	}
	return err
}

// validOID reports whether s is dotted decimal with arcs that fit 32 bits.
func validOID(s string) bool {
	if s == "" {
		return false
	}
	for arc := range strings.SplitSeq(s, ".") {
		if _, err := strconv.ParseUint(arc, 10, 32); err != nil {
			return false
		}
	}
	return true
}

// column splits oid = entry.col.idx... into the column and an index of n
// arcs. ok is false when oid is not under entry; err is set when it is but
// has the wrong shape.
func column(oid, entry string, n int) (col int64, idx []int64, ok bool, err error) {
	rest, found := strings.CutPrefix(oid, entry+".")
	if !found {
		return 0, nil, false, nil
	}
	arcs, err := arcs(rest)
	if err != nil {
		return 0, nil, false, err
	}
	if len(arcs) != n+1 {
		return 0, nil, false, fmt.Errorf("want %d index arcs after column, have %d", n, len(arcs)-1)
	}
	return arcs[0], arcs[1:], true, nil
}

// index is column for a single-column prefix: oid = prefix.idx...
func index(oid, prefix string, n int) (idx []int64, ok bool, err error) {
	rest, found := strings.CutPrefix(oid, prefix+".")
	if !found {
		return nil, false, nil
	}
	a, err := arcs(rest)
	if err != nil {
		return nil, false, err
	}
	if len(a) != n {
		return nil, false, fmt.Errorf("want %d index arcs, have %d", n, len(a))
	}
	return a, true, nil
}

func arcs(s string) ([]int64, error) {
	var out []int64
	for arc := range strings.SplitSeq(s, ".") {
		n, err := strconv.ParseUint(arc, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("bad arc %q", arc)
		}
		out = append(out, int64(n))
	}
	return out, nil
}

func octets(v Var) ([]byte, error) {
	switch x := v.Value.(type) {
	case []byte:
		return x, nil
	case string:
		if v.Type == gosnmp.OctetString || v.Type == gosnmp.Opaque || v.Type == 0 {
			return []byte(x), nil
		}
	}
	return nil, malformed(v.OID, "want an OCTET STRING, have %s %T", v.Type, v.Value)
}

func objectID(v Var) (string, error) {
	if s, ok := v.Value.(string); ok && v.Type == gosnmp.ObjectIdentifier {
		s = strings.TrimPrefix(s, ".")
		if validOID(s) {
			return s, nil
		}
	}
	return "", malformed(v.OID, "want an OBJECT IDENTIFIER, have %s %v", v.Type, v.Value)
}

// integer returns v as an integer in [lo, hi].
func integer(v Var, lo, hi int64) (int64, error) {
	var n int64
	switch x := v.Value.(type) {
	case int:
		n = int64(x)
	case int8:
		n = int64(x)
	case int16:
		n = int64(x)
	case int32:
		n = int64(x)
	case int64:
		n = x
	case uint:
		if uint64(x) > math.MaxInt64 {
			return 0, malformed(v.OID, "%d out of range [%d, %d]", x, lo, hi)
		}
		n = int64(x)
	case uint8:
		n = int64(x)
	case uint16:
		n = int64(x)
	case uint32:
		n = int64(x)
	case uint64:
		if x > math.MaxInt64 {
			return 0, malformed(v.OID, "%d out of range [%d, %d]", x, lo, hi)
		}
		n = int64(x)
	default:
		return 0, malformed(v.OID, "want an integer, have %s %T", v.Type, v.Value)
	}
	if n < lo || n > hi {
		return 0, malformed(v.OID, "%d out of range [%d, %d]", n, lo, hi)
	}
	return n, nil
}

func enum(v Var, lo, hi int64) (int64, error) { return integer(v, lo, hi) }

func (t *tables) facts() model.SwitchFacts {
	var f model.SwitchFacts
	missing := func(s string) { f.Missing = append(f.Missing, s) }

	f.Name = t.sysName
	if f.Name == "" {
		f.Name = t.locSysName
	}
	f.Description = t.sysDescr
	f.OS, f.Version = ParseSysDescr(t.sysDescr)

	ent := t.chassis()
	if ent != nil {
		f.Model, f.Serial, f.Vendor = ent.md, ent.serial, ent.mfg
		if f.Version == "" {
			f.Version = ent.softwareRev
		}
	}
	if f.Vendor == "" {
		f.Vendor = enterprises[enterprise(t.sysObjectID)]
	}
	if t.hasLocChassis {
		f.ChassisID = DecodeChassisID(int(t.locChassisSubtype), t.locChassisID)
	}

	for _, s := range []struct{ name, v string }{
		{"name", f.Name}, {"description", f.Description}, {"vendor", f.Vendor},
		{"model", f.Model}, {"serial", f.Serial}, {"os", f.OS},
		{"version", f.Version}, {"chassis_id", f.ChassisID},
	} {
		if s.v == "" {
			missing(s.name)
		}
	}

	ifIndexes := slices.Sorted(maps.Keys(t.ifs))
	for _, i := range ifIndexes {
		r := t.ifs[i]
		p := model.PortFacts{Name: r.name, Up: r.oper == 1, MAC: hexColon(r.mac)}
		if p.Name == "" {
			p.Name = r.descr
		}
		if p.Name == "" {
			missing(fmt.Sprintf("ports/%d/name", i))
		}
		switch {
		case r.highSpeed >= 0:
			p.SpeedGbps = int(r.highSpeed / 1000)
		case r.speed >= 0 && r.speed < math.MaxUint32:
			p.SpeedGbps = int(r.speed / 1_000_000_000)
		}
		f.Ports = append(f.Ports, p)
	}
	if len(t.ifs) == 0 {
		missing("ports")
	}

	keys := slices.SortedFunc(maps.Keys(t.rem), func(a, b remKey) int {
		return cmp.Or(cmp.Compare(a.port, b.port), cmp.Compare(a.index, b.index))
	})
	res := t.resolver()
	for _, k := range keys {
		r := t.rem[k]
		n := model.LLDPNeighbor{
			LocalPort: res.localPort(k.port),
			PortDesc:  DisplayString(r.portDesc),
			SysName:   DisplayString(r.sysName),
		}
		if r.hasChassis {
			n.ChassisID = DecodeChassisID(int(r.chassisSubtype), r.chassisID)
		}
		if r.hasPort {
			n.PortID, n.PortIDIsMAC = DecodePortID(int(r.portSub), r.portID)
		}
		if n.LocalPort == "" {
			missing(fmt.Sprintf("neighbors/%d/local_port", len(f.Neighbors)))
		}
		f.Neighbors = append(f.Neighbors, n)
	}
	if !t.hasLLDP {
		missing("neighbors")
	}
	return f
}

// chassis picks the entPhysicalTable row that describes the device: the
// first chassis (class 3) by index, else the first row with a serial.
func (t *tables) chassis() *entRow {
	idx := slices.Sorted(maps.Keys(t.ents))
	for _, i := range idx {
		if t.ents[i].class == entClassChassis {
			return t.ents[i]
		}
	}
	for _, i := range idx {
		if t.ents[i].serial != "" {
			return t.ents[i]
		}
	}
	return nil
}

// resolver maps LLDP local port numbers to interface names (see the
// package documentation for the order).
type resolver struct {
	t                      *tables
	byName, byDescr, alias map[string]int64
	byMAC                  map[string][]int64
}

func (t *tables) resolver() *resolver {
	r := &resolver{t: t, byName: map[string]int64{}, byDescr: map[string]int64{},
		alias: map[string]int64{}, byMAC: map[string][]int64{}}
	for _, i := range slices.Sorted(maps.Keys(t.ifs)) {
		row := t.ifs[i]
		first := func(m map[string]int64, k string) {
			if _, dup := m[k]; !dup && k != "" {
				m[k] = i
			}
		}
		first(r.byName, row.name)
		first(r.byDescr, row.descr)
		first(r.alias, row.alias)
		if len(row.mac) == 6 {
			m := hexColon(row.mac)
			r.byMAC[m] = append(r.byMAC[m], i)
		}
	}
	return r
}

// name is the interface's ifName, falling back to ifDescr.
func (r *resolver) name(ifIndex int64) (string, bool) {
	row, ok := r.t.ifs[ifIndex]
	if !ok {
		return "", false
	}
	if row.name != "" {
		return row.name, true
	}
	return row.descr, row.descr != ""
}

func (r *resolver) localPort(port int64) string {
	lp := r.t.locPorts[port]
	var texts []string
	if lp != nil {
		switch lp.subtype {
		case PortIfAlias, PortIfName, PortLocal, 0:
			if s := DisplayString(lp.id); s != "" {
				texts = append(texts, s)
			}
		}
		if s := DisplayString(lp.desc); s != "" {
			texts = append(texts, s)
		}
		for _, m := range []map[string]int64{r.byName, r.byDescr, r.alias} {
			for _, s := range texts {
				if i, ok := m[s]; ok {
					if n, ok := r.name(i); ok {
						return n
					}
				}
			}
		}
		if lp.subtype == PortMAC {
			if m, ok := DecodeMAC(lp.id); ok && len(r.byMAC[m]) == 1 {
				if n, ok := r.name(r.byMAC[m][0]); ok {
					return n
				}
			}
		}
	}
	if i, ok := r.t.basePort[port]; ok {
		if n, ok := r.name(i); ok {
			return n
		}
	}
	if len(r.t.basePort) == 0 {
		if n, ok := r.name(port); ok {
			return n
		}
	}
	if lp != nil {
		if s := DisplayString(lp.desc); s != "" {
			return s
		}
		if len(texts) > 0 {
			return texts[0]
		}
	}
	return ""
}
