package agent

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/railyard/railyard/internal/model"
)

// SysFS reads the Linux sysfs tree found under Root. The zero value reads
// the real one ("/"); tests point Root at a directory holding a fake /sys
// made of real directories, files and relative symlinks, as the kernel
// lays them out.
type SysFS struct {
	// Root is the directory that holds sys/; "" means "/".
	Root string
}

func (s SysFS) root() string {
	if s.Root == "" {
		return "/"
	}
	return s.Root
}

// host turns a sysfs path (/sys/...) into a path on this machine.
func (s SysFS) host(p string) string {
	return filepath.Join(s.root(), filepath.FromSlash(p))
}

// ReadString returns the content of the sysfs attribute file p (an
// absolute path such as /sys/class/net/ib0/address) without surrounding
// white space.
func (s SysFS) ReadString(p string) (string, error) {
	b, err := os.ReadFile(s.host(p))
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// Resolve follows every symbolic link in the sysfs path p and returns the
// path it leads to, in the tree's own terms (/sys/devices/...). It fails
// when p does not exist or leads outside Root.
func (s SysFS) Resolve(p string) (string, error) {
	root, err := filepath.EvalSymlinks(s.root())
	if err != nil {
		return "", err
	}
	r, err := filepath.EvalSymlinks(s.host(p))
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(root, r)
	if err != nil {
		return "", err
	}
	rel = filepath.ToSlash(rel)
	if rel == ".." || strings.HasPrefix(rel, "../") {
		return "", fmt.Errorf("sysfs: %s leads outside %s", p, root)
	}
	return path.Clean("/" + rel), nil
}

// PCIDevice returns the PCIe path of the PCI function busID (canonical
// form), from the /sys/bus/pci/devices/<busID> link.
func (s SysFS) PCIDevice(busID string) (PCIePath, error) {
	r, err := s.Resolve("/sys/bus/pci/devices/" + busID)
	if err != nil {
		return PCIePath{}, err
	}
	p, err := ParsePCIePath(r)
	if err != nil {
		return PCIePath{}, err
	}
	if p.Rest != "" || p.Device() != busID {
		return PCIePath{}, fmt.Errorf("sysfs: /sys/bus/pci/devices/%s leads to %s, not to the device", busID, r)
	}
	return p, nil
}

// NUMANode returns the NUMA node the kernel assigns to the PCI function
// busID; -1 means the platform does not say.
func (s SysFS) NUMANode(busID string) (int, error) {
	v, err := s.ReadString("/sys/bus/pci/devices/" + busID + "/numa_node")
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(v)
}

// ErrNotPCIePath is wrapped by ParsePCIePath's errors.
var ErrNotPCIePath = errors.New("not a PCIe device path")

// PCIePath is where a PCI function sits in the PCIe tree, parsed from its
// resolved sysfs path such as
// /sys/devices/pci0000:00/0000:00:01.1/0000:01:00.0/0000:02:00.0/0000:07:00.0.
type PCIePath struct {
	// HostBridge is the path below /sys/devices up to and including the
	// host bridge (root complex): "pci0000:00", or on some Arm systems
	// "platform/<controller>/pci0000:00".
	HostBridge string
	// Chain is the PCI functions from the root port down to the device
	// itself, in canonical form. A host bridge nested in the tree (Intel
	// VMD's pci10000:e0) stays in the chain as it is named.
	Chain []string
	// Rest is what follows the device in the path (net/ib0), or "".
	Rest string
}

// Device is the PCI function the path leads to: the last of the chain.
func (p PCIePath) Device() string {
	if len(p.Chain) == 0 {
		return ""
	}
	return p.Chain[len(p.Chain)-1]
}

// String renders the path as sysfs writes it.
func (p PCIePath) String() string {
	s := "/sys/devices/" + p.HostBridge
	for _, c := range p.Chain {
		s += "/" + c
	}
	if p.Rest != "" {
		s += "/" + p.Rest
	}
	return s
}

// ParsePCIePath parses a resolved sysfs device path: /sys/devices/, any
// platform components, a host bridge (pciDDDD:BB), then PCI functions
// (DDDD:BB:DD.F) down to the device, then optionally anything else (the
// device's own attributes or class devices, kept in Rest). Paths of
// virtual, platform-only or USB devices are rejected, though a USB
// device's path yields its controller's chain with the USB part in Rest.
func ParsePCIePath(s string) (PCIePath, error) {
	bad := func(why string) (PCIePath, error) {
		return PCIePath{}, fmt.Errorf("%w: %q: %s", ErrNotPCIePath, s, why)
	}
	const prefix = "/sys/devices/"
	c := path.Clean(s)
	if !strings.HasPrefix(c, prefix) {
		return bad("not under " + prefix)
	}
	comps := strings.Split(c[len(prefix):], "/")
	hb := -1
	for i, comp := range comps {
		if isHostBridge(comp) {
			hb = i
			break
		}
	}
	if hb < 0 {
		return bad("no PCI host bridge")
	}
	var p PCIePath
	p.HostBridge = strings.Join(append(append([]string(nil), comps[:hb]...), strings.ToLower(comps[hb])), "/")
	j := hb + 1
	for ; j < len(comps); j++ {
		if id, ok := pathBusID(comps[j]); ok {
			p.Chain = append(p.Chain, id)
			continue
		}
		if isHostBridge(comps[j]) && j+1 < len(comps) {
			if _, ok := pathBusID(comps[j+1]); ok {
				p.Chain = append(p.Chain, strings.ToLower(comps[j]))
				continue
			}
		}
		break
	}
	if len(p.Chain) == 0 {
		return bad("no PCI function below the host bridge")
	}
	p.Rest = strings.Join(comps[j:], "/")
	return p, nil
}

// pathBusID reports whether the path component c is a PCI function name
// and returns it in canonical form.
func pathBusID(c string) (string, bool) {
	if c != strings.TrimSpace(c) || strings.ContainsRune(c, 0) {
		return "", false
	}
	id, err := NormalizePCIBusID(c)
	return id, err == nil
}

// isHostBridge reports whether c names a PCI host bridge: pci, a domain
// of 4 to 8 hex digits, a colon and a 2-digit bus.
func isHostBridge(c string) bool {
	if len(c) < 3 || !strings.EqualFold(c[:3], "pci") {
		return false
	}
	dom, bus, ok := strings.Cut(c[3:], ":")
	if !ok {
		return false
	}
	_, ok1 := hexField(dom, 4, 8)
	_, ok2 := hexField(bus, 2, 2)
	return ok1 && ok2
}

// SharePCIeSwitch reports whether a and b hang under the same PCIe switch:
// the deepest common ancestor of the two functions is a bridge strictly
// below the root port. That takes the same host bridge and at least two
// shared ancestors below it (below the innermost host bridge they share):
// the root port and the switch's upstream port. Sharing only a root
// complex (nvidia-smi's PHB) or a socket is not enough.
func SharePCIeSwitch(a, b PCIePath) bool {
	if a.HostBridge != b.HostBridge || len(a.Chain) < 2 || len(b.Chain) < 2 {
		return false
	}
	pa, pb := a.Chain[:len(a.Chain)-1], b.Chain[:len(b.Chain)-1]
	below := 0 // shared ancestors below the innermost shared host bridge
	for i := 0; i < len(pa) && i < len(pb) && pa[i] == pb[i]; i++ {
		if strings.HasPrefix(pa[i], "pci") {
			below = 0
			continue
		}
		below++
	}
	return below >= 2
}

// sysNIC is a NIC PCI function found in sysfs, with where it sits.
type sysNIC struct {
	model.NIC
	Path PCIePath
}

// netdev kinds by /sys/class/net/X/type (include/uapi/linux/if_arp.h).
const (
	arphrdEther      = "1"
	arphrdInfiniband = "32"
)

// nics lists the node's NICs: one per PCI function that has a network
// interface (/sys/class/net) or an RDMA device (/sys/class/infiniband).
// Virtual interfaces (no device link), non-PCI ones and SR-IOV virtual
// functions are left out. A function's NIC is named after its first
// network interface, or after its RDMA device when it has none; each
// network interface is a port (MAC for Ethernet, port GUID for
// InfiniBand), and RDMA ports stand in when there is no interface. The
// result is sorted by name; missing lists facts that could not be read.
func (s SysFS) nics() (nics []sysNIC, missing []string, err error) {
	byBus := map[string]int{}
	devPort := map[string]int{} // netdev name -> dev_port
	netdevs, err := s.readDirNames("/sys/class/net")
	if err != nil {
		return nil, nil, err
	}
	for _, name := range netdevs {
		base := "/sys/class/net/" + name
		p, ok := s.pciFunction(base + "/device")
		if !ok {
			continue
		}
		if _, err := os.Lstat(s.host(base + "/device/physfn")); err == nil {
			continue // an SR-IOV virtual function
		}
		miss := func(f string) { missing = append(missing, "nics/"+name+"/"+f) }
		port := model.NICPort{Name: name}
		var kind model.LinkKind
		typ, _ := s.ReadString(base + "/type")
		addr, addrErr := s.ReadString(base + "/address")
		switch typ {
		case arphrdEther:
			kind = model.Ethernet
			if mac, err := model.ParseMAC(addr); addrErr == nil && err == nil && mac != "00:00:00:00:00:00" {
				port.MAC = mac
			} else {
				miss("mac")
			}
		case arphrdInfiniband:
			kind = model.InfiniBand
			if g, ok := ipoibGUID(addr); addrErr == nil && ok {
				port.GUID = g
			} else {
				miss("guid")
			}
		default:
			miss("kind")
		}
		if v, err := s.ReadString(base + "/speed"); err == nil {
			if mbps, err := strconv.Atoi(v); err == nil && mbps > 0 {
				port.SpeedGbps = mbps / 1000
			}
		}
		if v, err := s.ReadString(base + "/dev_port"); err == nil {
			if n, err := strconv.Atoi(v); err == nil {
				devPort[name] = n
			}
		}
		if i, ok := byBus[p.Device()]; ok {
			nics[i].Ports = append(nics[i].Ports, port)
			continue
		}
		byBus[p.Device()] = len(nics)
		nics = append(nics, sysNIC{NIC: model.NIC{Name: name, Kind: kind, PCIBusID: p.Device(), Ports: []model.NICPort{port}}, Path: p})
	}

	ibdevs, err := s.readDirNames("/sys/class/infiniband")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		missing = append(missing, "nics/rdma")
	}
	for _, dev := range ibdevs {
		base := "/sys/class/infiniband/" + dev
		p, ok := s.pciFunction(base + "/device")
		if !ok {
			continue
		}
		ports, _ := s.readDirNames(base + "/ports")
		sort.Slice(ports, func(i, j int) bool { return atoiOr(ports[i], 0) < atoiOr(ports[j], 0) })
		if i, ok := byBus[p.Device()]; ok {
			// The function has network interfaces: take the link rate
			// for those that did not report a speed (IPoIB often does not).
			for k := range nics[i].Ports {
				np := &nics[i].Ports[k]
				if np.SpeedGbps == 0 {
					np.SpeedGbps = s.ibRate(base + "/ports/" + strconv.Itoa(devPort[np.Name]+1))
				}
			}
			continue
		}
		nic := sysNIC{NIC: model.NIC{Name: dev, PCIBusID: p.Device()}, Path: p}
		for _, n := range ports {
			pb := base + "/ports/" + n
			port := model.NICPort{Name: dev + "/" + n, SpeedGbps: s.ibRate(pb)}
			ll, _ := s.ReadString(pb + "/link_layer")
			switch ll {
			case "InfiniBand":
				nic.Kind = model.InfiniBand
				if g, ok := s.gidGUID(pb + "/gids/0"); ok {
					port.GUID = g
				} else {
					missing = append(missing, "nics/"+dev+"/guid")
				}
			case "Ethernet":
				nic.Kind = model.Ethernet
			}
			nic.Ports = append(nic.Ports, port)
		}
		if nic.Kind == "" {
			missing = append(missing, "nics/"+dev+"/kind")
		}
		byBus[p.Device()] = len(nics)
		nics = append(nics, nic)
	}
	sort.Slice(nics, func(i, j int) bool { return nics[i].Name < nics[j].Name })
	return nics, missing, nil
}

// pciFunction resolves a device link to the PCI function it names.
func (s SysFS) pciFunction(link string) (PCIePath, bool) {
	r, err := s.Resolve(link)
	if err != nil {
		return PCIePath{}, false // virtual: no device link
	}
	p, err := ParsePCIePath(r)
	if err != nil || p.Rest != "" {
		return PCIePath{}, false // not a PCI function (USB, platform)
	}
	return p, true
}

// readDirNames lists a sysfs directory, sorted.
func (s SysFS) readDirNames(p string) ([]string, error) {
	ents, err := os.ReadDir(s.host(p))
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names, nil
}

// ibRate reads an RDMA port's rate ("200 Gb/sec (4X HDR)") in whole Gb/s;
// 0 when unknown.
func (s SysFS) ibRate(port string) int {
	v, err := s.ReadString(port + "/rate")
	if err != nil {
		return 0
	}
	f := strings.Fields(v)
	if len(f) == 0 {
		return 0
	}
	g, err := strconv.ParseFloat(f[0], 64)
	if err != nil || g <= 0 || g > math.MaxInt32 {
		return 0
	}
	return int(g)
}

// gidGUID reads an InfiniBand port's GID 0 (fe80::<port GUID>) and returns
// the port GUID.
func (s SysFS) gidGUID(p string) (string, bool) {
	v, err := s.ReadString(p)
	if err != nil {
		return "", false
	}
	groups := strings.Split(v, ":")
	if len(groups) != 8 {
		return "", false
	}
	g, err := model.ParseGUID(strings.Join(groups[4:], ""))
	if err != nil || g == "0x0000000000000000" {
		return "", false
	}
	return g, true
}

// ipoibGUID takes the port GUID from an IPoIB hardware address: 20 bytes,
// of which the last 8 are the port GID's interface id, the port GUID.
func ipoibGUID(addr string) (string, bool) {
	b := strings.Split(addr, ":")
	if len(b) != 20 {
		return "", false
	}
	g, err := model.ParseGUID(strings.Join(b[12:], ""))
	if err != nil || g == "0x0000000000000000" {
		return "", false
	}
	return g, true
}

// dmiPlaceholders are values firmware writes when a DMI field was never
// filled in; they are not facts.
var dmiPlaceholders = map[string]bool{
	"":                       true,
	"to be filled by o.e.m.": true,
	"to be filled by oem":    true,
	"default string":         true,
	"system serial number":   true,
	"system product name":    true,
	"system manufacturer":    true,
	"not specified":          true,
	"not applicable":         true,
	"none":                   true,
	"0123456789":             true,
	"0":                      true,
}

// dmi reads a /sys/class/dmi/id attribute (sys_vendor, product_name,
// product_serial; the serial is readable by root only).
func (s SysFS) dmi(attr string) (string, bool) {
	v, err := s.ReadString("/sys/class/dmi/id/" + attr)
	if err != nil || dmiPlaceholders[strings.ToLower(v)] {
		return "", false
	}
	return v, true
}

func atoiOr(s string, d int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return d
}
