package fleetgen

import (
	"fmt"
	"strconv"

	"github.com/railyard/railyard/internal/model"
)

// node appends a node: its GPUs (and, for per-node NVLink, its domain) and
// NICs, uncabled. nodeNo counts nodes within the site, from 0.
func (g *gen) node(siteNo, nodeNo int, host, rack, compute, storage, mgmt string) {
	sh := g.sh
	nm := model.NodeModels[sh.nodeModel]
	k := g.nodes
	g.nodes++
	n := model.Node{
		Hostname: host,
		Rack:     rack,
		Serial:   sh.nodeSerial + pad(int(perm32(uint32(g.seed)+uint32(k))), 10),
		Vendor:   sh.nodeVendor,
		Model:    sh.nodeModel,
		BMC: model.BMC{
			Address:       fmt.Sprintf("redfish://10.%d.%d.%d", siteNo, nodeNo/250, nodeNo%250+1),
			CredentialRef: "env:RAILYARD_BMC_PASSWORD",
		},
		State:      model.NodeAvailable,
		Provenance: model.Declared,
		GPUs:       make([]model.GPU, sh.gpusPerNode),
		NICs:       make([]model.NIC, 0, sh.rails+3),
	}
	domain := rack + "-nvl"
	if !sh.rackNVLink {
		domain = host + "-nvl"
		g.f.NVLinkDomains = append(g.f.NVLinkDomains, model.NVLinkDomain{Name: domain, Rack: rack, Size: nm.NVLinkDomainSize})
	}
	for i := range n.GPUs {
		id := g.gpus
		g.gpus++
		n.GPUs[i] = model.GPU{
			Index:        i,
			UUID:         gpuUUID(g.seed + id),
			Serial:       "165" + pad(int(perm32(uint32(g.seed>>16)+uint32(id))), 10),
			Model:        nm.GPUModel,
			MemoryMiB:    nm.GPUMemoryMiB,
			NVLinkDomain: domain,
			PCIBusID:     sh.gpuBus[i],
			NUMANode:     i * 2 / sh.gpusPerNode,
			Health:       model.GPUHealthy,
		}
	}
	for r := range sh.rails {
		name := "ib" + strconv.Itoa(r)
		n.NICs = append(n.NICs, model.NIC{
			Name: name, Model: "ConnectX-7", Kind: model.InfiniBand, Role: model.RoleCompute,
			Rail: r + 1, Fabric: compute, PCIBusID: sh.railBus[r],
			Ports: []model.NICPort{{Name: name, GUID: g.guid(), SpeedGbps: speed400G}},
		})
	}
	for j := range 2 {
		name := "eth" + strconv.Itoa(j)
		n.NICs = append(n.NICs, model.NIC{
			Name: name, Model: "BlueField-3", Kind: model.Ethernet, Role: model.RoleStorage,
			Fabric: storage, PCIBusID: sh.storageBus[j],
			Ports: []model.NICPort{{Name: name, MAC: g.mac(), SpeedGbps: speedStorage}},
		})
	}
	n.NICs = append(n.NICs, model.NIC{
		Name: "mgmt0", Model: "Intel I350", Kind: model.Ethernet, Role: model.RoleManagement,
		Fabric: mgmt, PCIBusID: sh.mgmtBus,
		Ports: []model.NICPort{{Name: "mgmt0", MAC: g.mgmtMAC(), SpeedGbps: speedMgmt}},
	})
	g.f.Nodes = append(g.f.Nodes, n)
}

// guid returns the next ConnectX port GUID: NVIDIA/Mellanox OUI a0:88:c2,
// 03:00, then 24 bits.
func (g *gen) guid() string {
	x := perm24(uint32(g.seed>>8) + uint32(g.guids))
	g.guids++
	return fmt.Sprintf("0xa088c20300%06x", x)
}

// mac returns the next BlueField MAC (NVIDIA/Mellanox OUI b8:3f:d2).
func (g *gen) mac() string {
	x := perm24(uint32(g.seed>>24) + uint32(g.macs))
	g.macs++
	return fmt.Sprintf("b8:3f:d2:%02x:%02x:%02x", x>>16, (x>>8)&0xff, x&0xff)
}

// mgmtMAC returns the next management MAC (Intel OUI 3c:fd:fe).
func (g *gen) mgmtMAC() string {
	x := perm24(uint32(g.seed>>40) + uint32(g.mgmtMACs))
	g.mgmtMACs++
	return fmt.Sprintf("3c:fd:fe:%02x:%02x:%02x", x>>16, (x>>8)&0xff, x&0xff)
}

// gpuUUID formats a GPU UUID whose first 64 bits are a bijection of x.
func gpuUUID(x uint64) string {
	hi := mix64(x)
	lo := mix64(hi ^ 0x9e3779b97f4a7c15)
	return fmt.Sprintf("GPU-%08x-%04x-%04x-%04x-%012x", hi>>32, (hi>>16)&0xffff, hi&0xffff, lo>>48, lo&0xffffffffffff)
}

// mix64 is a bijection on uint64 (the splitmix64 finalizer).
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// perm32 is a bijection on uint32 (lowbias32).
func perm32(x uint32) uint32 {
	x ^= x >> 16
	x *= 0x7feb352d
	x ^= x >> 15
	x *= 0x846ca68b
	x ^= x >> 16
	return x
}

// perm24 is a bijection on the low 24 bits of x: an odd multiplier, an
// offset and a right xorshift, each a bijection modulo 2^24, three times.
func perm24(x uint32) uint32 {
	const mask = 1<<24 - 1
	x &= mask
	for range 3 {
		x = (x*0x9e3779 + 0x7f4a7c) & mask
		x ^= x >> 11
	}
	return x
}
