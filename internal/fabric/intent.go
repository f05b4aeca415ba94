package fabric

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/railyard/railyard/internal/model"
)

// IntentState is where a tenant network is in its life.
type IntentState string

// Intent states.
const (
	// Active networks are compiled onto the devices.
	Active IntentState = "active"
	// Releasing networks are compiled off the devices; the release
	// completes when every device that carried the tenant has synced.
	Releasing IntentState = "releasing"
)

// Intent is what an operator asks for one tenant: which networks, and
// any numbers that must not follow the formulas.
type Intent struct {
	Tenant string `json:"tenant"`
	// Compute asks for the east-west network on the tenant's compute
	// fabrics (an InfiniBand partition, or an EVPN VRF on Ethernet).
	Compute bool `json:"compute"`
	// Storage asks for the north-south network on the storage fabrics: a
	// tenant VRF with an L3VNI and an L2VNI segment on the tenant's
	// storage ports, leaking to and from the shared storage VRF.
	Storage bool `json:"storage"`
	// Overrides replace the formulas' numbers; zero values follow them.
	Overrides Overrides   `json:"overrides,omitzero"`
	State     IntentState `json:"state"`
	// Generation counts changes to the intent.
	Generation int64 `json:"generation"`
}

// Overrides are operator-chosen numbers for a tenant. They apply to every
// fabric of the tenant; a number that another tenant holds is refused.
type Overrides struct {
	TenantID      int    `json:"tenant_id,omitempty"`
	L3VNI         uint32 `json:"l3vni,omitempty"`
	L2VNI         uint32 `json:"l2vni,omitempty"`
	VLAN          int    `json:"vlan,omitempty"`
	PKey          uint16 `json:"pkey,omitempty"`
	StorageSubnet string `json:"storage_subnet,omitempty"`
}

// Validate checks an intent on its own.
func (in Intent) Validate() error {
	if in.Tenant == "" {
		return fmt.Errorf("tenant network: tenant name is empty")
	}
	if in.State != Active && in.State != Releasing {
		return fmt.Errorf("tenant network %s: unknown state %q", in.Tenant, in.State)
	}
	o := in.Overrides
	if o.TenantID != 0 && (o.TenantID < 1 || o.TenantID > MaxTenantID) {
		return fmt.Errorf("tenant network %s: tenant id %d out of range 1-%d", in.Tenant, o.TenantID, MaxTenantID)
	}
	if o.L3VNI != 0 && o.L3VNI > maxVNI {
		return fmt.Errorf("tenant network %s: L3VNI %d out of range 1-%d", in.Tenant, o.L3VNI, maxVNI)
	}
	if o.L2VNI != 0 && o.L2VNI > maxVNI {
		return fmt.Errorf("tenant network %s: L2VNI %d out of range 1-%d", in.Tenant, o.L2VNI, maxVNI)
	}
	if o.L3VNI != 0 && o.L3VNI == o.L2VNI {
		return fmt.Errorf("tenant network %s: VNI %d cannot be both the L3VNI and the L2VNI", in.Tenant, o.L3VNI)
	}
	if o.VLAN != 0 && !SegmentVLANs.Contains(o.VLAN) {
		return fmt.Errorf("tenant network %s: VLAN %d outside the segment range %d-%d", in.Tenant, o.VLAN, SegmentVLANs.First, SegmentVLANs.Last)
	}
	if o.PKey != 0 && o.PKey > MaxPKey {
		return fmt.Errorf("tenant network %s: PKey %#04x out of range 0x0001-%#04x (0x7fff is the default partition)", in.Tenant, o.PKey, MaxPKey)
	}
	if o.StorageSubnet != "" {
		p, err := netip.ParsePrefix(o.StorageSubnet)
		if err != nil || !p.Addr().Is4() || p.Masked() != p || p.Bits() > 29 {
			return fmt.Errorf("tenant network %s: storage subnet %q is not an IPv4 network of /29 or larger", in.Tenant, o.StorageSubnet)
		}
	}
	if !in.Compute && !in.Storage {
		return fmt.Errorf("tenant network %s: asks for neither a compute nor a storage network", in.Tenant)
	}
	return nil
}

// Limits of the numbering.
const (
	// MaxTenantID bounds tenant ids: they are PKeys by formula and the
	// assigned part of 16-bit RDs.
	MaxTenantID = 0x7ffe
	MaxPKey     = 0x7ffe
	maxVNI      = 1<<24 - 1
)

// Settings are the numbering and addressing rules of one deployment.
// Zero fields take the defaults of DefaultSettings.
type Settings struct {
	// OverlayASN is the EVPN overlay's AS (iBGP with route reflectors).
	OverlayASN uint32 `json:"overlay_asn"`
	// RTAdmin is the administrator field of every route target
	// (RTAdmin:VNI); it must differ from OverlayASN, or FRR hides RTs
	// equal to its automatic ones.
	RTAdmin uint32 `json:"rt_admin"`
	// L3VNI and L2VNI bases per fabric role: a tenant t gets
	// L3Base+t and L2Base+t*100+1.
	ComputeL3Base, StorageL3Base uint32
	ComputeL2Base, StorageL2Base uint32
	// The shared storage VRF.
	StorageVRF      string `json:"storage_vrf"`
	StorageL3VNI    uint32 `json:"storage_l3vni"`
	StorageCoreVLAN int    `json:"storage_core_vlan"`
	// StorageClientL3VNI numbers the "storage client" route target every
	// tenant VRF exports and only the storage VRF imports.
	StorageClientL3VNI uint32 `json:"storage_client_l3vni"`
	// StorageServices are the storage systems' prefixes, reached by every
	// tenant.
	StorageServices []string `json:"storage_services"`
	// Subnet pools tenant segments are carved from, per role; the
	// smallest subnet handed out is MinSubnetBits long.
	StoragePool, ComputePool string
	MinSubnetBits            int
	// Underlay addressing: leaf i of a fabric (in name order) has router
	// id RouterIDPool+i and VTEP VTEPPool+i, unless the switch is listed
	// in Loopbacks.
	RouterIDPool, VTEPPool string
	Loopbacks              map[string]Loopback
	// Hold is how long released numbers stay unused.
	Hold time.Duration
}

// Loopback overrides the underlay addresses of one switch.
type Loopback struct {
	RouterID string `json:"router_id"`
	VTEP     string `json:"vtep"`
	ASN      uint32 `json:"asn,omitempty"`
}

// DefaultSettings are the numbering rules from the design notes
// (docs/network.md).
func DefaultSettings() Settings {
	return Settings{
		OverlayASN: 65100, RTAdmin: 65000,
		ComputeL3Base: 100000, StorageL3Base: 200000,
		ComputeL2Base: 1000000, StorageL2Base: 5000000,
		StorageVRF: OwnedPrefix + "storage", StorageL3VNI: 299999, StorageCoreVLAN: CoreVLANs.Last,
		StorageClientL3VNI: 299998,
		StorageServices:    []string{"10.250.0.0/16"},
		StoragePool:        "10.64.0.0/10", ComputePool: "10.128.0.0/10", MinSubnetBits: 24,
		RouterIDPool: "10.255.0.0", VTEPPool: "10.254.0.0",
		Hold: 24 * time.Hour,
	}
}

func (s Settings) withDefaults() Settings {
	d := DefaultSettings()
	if s.OverlayASN == 0 {
		s.OverlayASN = d.OverlayASN
	}
	if s.RTAdmin == 0 {
		s.RTAdmin = d.RTAdmin
	}
	if s.ComputeL3Base == 0 {
		s.ComputeL3Base = d.ComputeL3Base
	}
	if s.StorageL3Base == 0 {
		s.StorageL3Base = d.StorageL3Base
	}
	if s.ComputeL2Base == 0 {
		s.ComputeL2Base = d.ComputeL2Base
	}
	if s.StorageL2Base == 0 {
		s.StorageL2Base = d.StorageL2Base
	}
	if s.StorageVRF == "" {
		s.StorageVRF = d.StorageVRF
	}
	if s.StorageL3VNI == 0 {
		s.StorageL3VNI = d.StorageL3VNI
	}
	if s.StorageCoreVLAN == 0 {
		s.StorageCoreVLAN = d.StorageCoreVLAN
	}
	if s.StorageClientL3VNI == 0 {
		s.StorageClientL3VNI = d.StorageClientL3VNI
	}
	if s.StorageServices == nil {
		s.StorageServices = d.StorageServices
	}
	if s.StoragePool == "" {
		s.StoragePool = d.StoragePool
	}
	if s.ComputePool == "" {
		s.ComputePool = d.ComputePool
	}
	if s.MinSubnetBits == 0 {
		s.MinSubnetBits = d.MinSubnetBits
	}
	if s.RouterIDPool == "" {
		s.RouterIDPool = d.RouterIDPool
	}
	if s.VTEPPool == "" {
		s.VTEPPool = d.VTEPPool
	}
	if s.Hold == 0 {
		s.Hold = d.Hold
	}
	return s
}

// RT spells a route target.
func (s Settings) RT(vni uint32) string { return fmt.Sprintf("%d:%d", s.RTAdmin, vni) }

// Snapshot is what the compiler reads from the inventory.
type Snapshot struct {
	Fleet  *model.Fleet
	Blocks []model.Block
}
