package fabric

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"time"
)

// AllocKind names a numbering resource.
type AllocKind string

// Allocation kinds. Each (fabric, kind, value) is held by one tenant at a
// time; the store enforces it with a unique index as well.
const (
	KindTenantID AllocKind = "tenant-id" // fabric ""
	KindL3VNI    AllocKind = "l3vni"
	KindL2VNI    AllocKind = "l2vni"
	KindVLAN     AllocKind = "vlan"
	KindCoreVLAN AllocKind = "core-vlan"
	KindPKey     AllocKind = "pkey"
	KindSubnet   AllocKind = "subnet"
)

// Allocation is one number held by one tenant, on one fabric (or
// globally, for the tenant id). Released allocations stay until the hold
// passes, so the number is not handed to another tenant while a device
// may still carry it.
type Allocation struct {
	Tenant     string    `json:"tenant"`
	Fabric     string    `json:"fabric,omitempty"`
	Kind       AllocKind `json:"kind"`
	Value      string    `json:"value"`
	ReleasedAt time.Time `json:"released_at,omitzero"`
}

func (a Allocation) key() string { return a.Fabric + "\x00" + string(a.Kind) + "\x00" + a.Value }

func sortAllocations(as []Allocation) {
	slices.SortFunc(as, func(a, b Allocation) int {
		return cmp.Or(cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.Fabric, b.Fabric), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Value, b.Value))
	})
}

// pool is the allocation state while compiling: what each tenant holds and
// which values are taken (by anyone, including held releases).
type pool struct {
	now   time.Time
	hold  time.Duration
	held  map[string]Allocation // key → allocation (active or held)
	mine  map[string]map[string]Allocation
	fresh []Allocation
}

func newPool(prior []Allocation, active map[string]bool, now time.Time, hold time.Duration) *pool {
	p := &pool{now: now, hold: hold, held: map[string]Allocation{}, mine: map[string]map[string]Allocation{}}
	for _, a := range prior {
		if !a.ReleasedAt.IsZero() {
			if now.Sub(a.ReleasedAt) >= hold {
				continue // hold passed: the number is free again
			}
			p.held[a.key()] = a
			continue
		}
		if !active[a.Tenant] {
			// The tenant's network is gone: release now, hold from now.
			a.ReleasedAt = now
			p.held[a.key()] = a
			continue
		}
		p.held[a.key()] = a
		m := p.mine[a.Tenant]
		if m == nil {
			m = map[string]Allocation{}
			p.mine[a.Tenant] = m
		}
		m[a.Fabric+"\x00"+string(a.Kind)] = a
	}
	return p
}

// get returns the tenant's value of kind on fabric, if it holds one.
func (p *pool) get(tenant, fabric string, kind AllocKind) (string, bool) {
	a, ok := p.mine[tenant][fabric+"\x00"+string(kind)]
	return a.Value, ok
}

// take gives value to tenant, or says who has it.
func (p *pool) take(tenant, fabric string, kind AllocKind, value string) error {
	a := Allocation{Tenant: tenant, Fabric: fabric, Kind: kind, Value: value}
	if o, ok := p.held[a.key()]; ok && (o.Tenant != tenant || !o.ReleasedAt.IsZero()) {
		where := ""
		if fabric != "" {
			where = " on fabric " + fabric
		}
		if !o.ReleasedAt.IsZero() {
			return fmt.Errorf("%s %s%s was released by tenant %s at %s and is held until %s", kind, value, where, o.Tenant,
				o.ReleasedAt.UTC().Format(time.RFC3339), o.ReleasedAt.Add(p.hold).UTC().Format(time.RFC3339))
		}
		return fmt.Errorf("%s %s%s is already held by tenant %s", kind, value, where, o.Tenant)
	}
	if old, ok := p.get(tenant, fabric, kind); ok && old != value {
		// The tenant's number changes (an override): release the old one.
		oa := Allocation{Tenant: tenant, Fabric: fabric, Kind: kind, Value: old}
		oa.ReleasedAt = p.now
		p.held[oa.key()] = oa
	}
	p.held[a.key()] = a
	m := p.mine[tenant]
	if m == nil {
		m = map[string]Allocation{}
		p.mine[tenant] = m
	}
	m[fabric+"\x00"+string(kind)] = a
	return nil
}

// free reports whether nobody holds value.
func (p *pool) free(fabric string, kind AllocKind, value string) bool {
	_, ok := p.held[Allocation{Fabric: fabric, Kind: kind, Value: value}.key()]
	return !ok
}

// ensure keeps the tenant's value, takes want (an override or the
// formula's value) when it has none or want differs, or picks the first
// free value of next when want is empty.
func (p *pool) ensure(tenant, fabric string, kind AllocKind, want string, next func(i int) (string, bool)) (string, error) {
	if cur, ok := p.get(tenant, fabric, kind); ok && (want == "" || cur == want) {
		return cur, nil
	}
	if want != "" {
		return want, p.take(tenant, fabric, kind, want)
	}
	for i := 0; ; i++ {
		v, ok := next(i)
		if !ok {
			return "", fmt.Errorf("%s pool%s is exhausted", kind, onFabric(fabric))
		}
		if p.free(fabric, kind, v) {
			return v, p.take(tenant, fabric, kind, v)
		}
	}
}

func onFabric(f string) string {
	if f == "" {
		return ""
	}
	return " of fabric " + f
}

// result lists every allocation after compiling: the active ones and the
// releases still held.
func (p *pool) result() []Allocation {
	out := make([]Allocation, 0, len(p.held))
	for _, a := range p.held {
		out = append(out, a)
	}
	sortAllocations(out)
	return out
}

func itoa(i int) string { return strconv.Itoa(i) }

// subnetPool hands out aligned IPv4 prefixes that overlap nothing held.
type subnetPool struct {
	pool  netip.Prefix
	taken []netip.Prefix
}

func (s *subnetPool) add(p netip.Prefix) { s.taken = append(s.taken, p) }

func (s *subnetPool) overlaps(p netip.Prefix) (netip.Prefix, bool) {
	for _, t := range s.taken {
		if t.Overlaps(p) {
			return t, true
		}
	}
	return netip.Prefix{}, false
}

// next returns the first free prefix of the given length, or false.
func (s *subnetPool) next(bits int) (netip.Prefix, bool) {
	if bits < s.pool.Bits() {
		return netip.Prefix{}, false
	}
	base := s.pool.Masked().Addr().As4()
	start := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	size := uint32(1) << (32 - bits)
	count := uint64(1) << (bits - s.pool.Bits())
	for i := uint64(0); i < count; i++ {
		a := start + uint32(i)*size
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)}), bits)
		if _, bad := s.overlaps(p); !bad {
			return p, true
		}
	}
	return netip.Prefix{}, false
}

// bitsFor is the longest prefix that holds n hosts plus network,
// broadcast and gateway, with room to double, never longer than min.
func bitsFor(n, min int) int {
	need := 2*n + 3
	bits := 32
	for bits > 0 && (1<<(32-bits)) < need {
		bits--
	}
	if bits > min {
		bits = min
	}
	return bits
}
