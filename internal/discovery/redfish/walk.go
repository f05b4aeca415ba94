package redfish

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/stmcginnis/gofish/common"
	"github.com/stmcginnis/gofish/redfish"

	"github.com/railyard/railyard/internal/model"
)

const (
	serviceRoot = "/redfish/v1/"
	// parallel bounds the requests one discovery has in flight.
	parallel = 4
	// maxDocument bounds one resource's body; BMC documents are a few KiB.
	maxDocument = 8 << 20
	// maxPages bounds how many pages (Members@odata.nextLink) a collection
	// may have, so that a service that links a page to itself cannot keep
	// us busy.
	maxPages = 1000
)

// A walker reads the resources of one Redfish service. Resources are
// fetched through the gofish client (which carries the session and the
// context) and decoded twice: into gofish's types for their properties and
// into small structs of our own for the links, which gofish keeps private.
// Walking ourselves, rather than through gofish's collection helpers, keeps
// the order of members, names the resource that failed, and keeps every
// underlying error for classify.
type walker struct {
	ctx context.Context
	c   common.Client
	// serial fetches one resource at a time (the fuzz test wants the same
	// code paths for the same input).
	serial bool
}

// link is a navigation property: {"@odata.id": "/redfish/v1/..."}.
type link struct {
	ID string `json:"@odata.id"`
}

// get fetches one resource and checks that it is a JSON object.
func (w *walker) get(uri string) ([]byte, error) {
	if err := w.ctx.Err(); err != nil {
		return nil, classify(err, "GET "+uri)
	}
	resp, err := w.c.Get(uri)
	if err != nil {
		return nil, classify(err, "GET "+uri)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocument+1))
	if err != nil {
		return nil, classify(err, "GET "+uri)
	}
	if len(body) > maxDocument {
		return nil, malformed(uri, "document larger than %d bytes", maxDocument)
	}
	if b := bytes.TrimLeft(body, " \t\r\n"); len(b) == 0 || b[0] != '{' {
		return nil, malformed(uri, "not a JSON object")
	}
	return body, nil
}

// decode fetches uri and decodes it into each of dst.
func (w *walker) decode(uri string, dst ...any) error {
	body, err := w.get(uri)
	if err != nil {
		return err
	}
	for _, d := range dst {
		if err := unmarshal(body, d); err != nil {
			return malformed(uri, "%v", err)
		}
	}
	return nil
}

// unmarshal is json.Unmarshal that turns a panic in a decoder (gofish's
// UnmarshalJSON methods run on whatever the device sent) into an error.
func unmarshal(b []byte, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("decoding panicked: %v", r)
		}
	}()
	return json.Unmarshal(b, v)
}

// checkLink accepts a link that names a resource of this service: an
// absolute path. It returns the path without a trailing slash.
func checkLink(from, l string) (string, error) {
	u, err := url.Parse(l)
	if err != nil || !strings.HasPrefix(l, "/") || strings.HasPrefix(l, "//") || u.Host != "" || u.Fragment != "" {
		return "", malformed(from, "bad link %q", l)
	}
	if p := strings.TrimRight(l, "/"); p != "" {
		return p, nil
	}
	return "/", nil
}

// links checks a list of links.
func links(from string, ls []link) ([]string, error) {
	out := make([]string, 0, len(ls))
	for _, l := range ls {
		p, err := checkLink(from, l.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// optional checks a link that may be absent; it returns "" then.
func optional(from string, l *link) (string, error) {
	if l == nil {
		return "", nil
	}
	return checkLink(from, l.ID)
}

// members lists a collection's members in the service's order, following
// Members@odata.nextLink.
func (w *walker) members(uri string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for page := uri; page != ""; {
		if seen[page] || len(seen) >= maxPages {
			return nil, malformed(uri, "collection pages loop or go on past %d pages", maxPages)
		}
		seen[page] = true
		var c struct {
			Members []link `json:"Members"`
			Next    string `json:"Members@odata.nextLink"`
		}
		if err := w.decode(page, &c); err != nil {
			return nil, err
		}
		ms, err := links(page, c.Members)
		if err != nil {
			return nil, err
		}
		out = append(out, ms...)
		page = ""
		if c.Next != "" {
			if page, err = checkLink(uri, c.Next); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// each runs fn for 0..n-1, a few at a time, and returns the error of the
// lowest i that failed, so that the error a target reports does not depend
// on timing.
func (w *walker) each(n int, fn func(i int) error) error {
	if w.serial {
		for i := range n {
			if err := fn(i); err != nil {
				return err
			}
		}
		return nil
	}
	errs := make([]error, n)
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = fn(i)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// fetchAll lists the collection at uri ("" for none) and fetches its
// members with get.
func fetchAll[T any](w *walker, uri string, get func(uri string) (T, error)) ([]T, error) {
	if uri == "" {
		return nil, nil
	}
	ms, err := w.members(uri)
	if err != nil {
		return nil, err
	}
	out := make([]T, len(ms))
	err = w.each(len(ms), func(i int) error {
		var err error
		out[i], err = get(ms[i])
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// system is a ComputerSystem with its processors.
type system struct {
	uri   string
	rf    redfish.ComputerSystem
	nav   systemLinks
	procs []*processor // present processors, sorted by Id
	// hasProcessors is false when the system has no Processors link at all.
	hasProcessors bool
}

type systemLinks struct {
	Processors         *link
	EthernetInterfaces *link
	Links              struct{ Chassis []link }

	chassis []string
	ifaces  string
}

type processor struct {
	uri string
	rf  redfish.Processor
	// gofish v0.20.0 decodes a processor's MemorySummary with the
	// ComputerSystem's type, which has no TotalMemorySizeMiB.
	nav struct {
		MemorySummary struct{ TotalMemorySizeMiB float64 }
	}
}

func (w *walker) system(uri string) (*system, error) {
	s := &system{uri: uri}
	if err := w.decode(uri, &s.rf, &s.nav); err != nil {
		return nil, err
	}
	var err error
	if s.nav.chassis, err = links(uri, s.nav.Links.Chassis); err != nil {
		return nil, err
	}
	if s.nav.ifaces, err = optional(uri, s.nav.EthernetInterfaces); err != nil {
		return nil, err
	}
	procs, err := optional(uri, s.nav.Processors)
	if err != nil {
		return nil, err
	}
	s.hasProcessors = procs != ""
	all, err := fetchAll(w, procs, func(uri string) (*processor, error) {
		p := &processor{uri: uri}
		return p, w.decode(uri, &p.rf, &p.nav)
	})
	if err != nil {
		return nil, err
	}
	for _, p := range all {
		if p.rf.Status.State != common.AbsentState {
			s.procs = append(s.procs, p)
		}
	}
	slices.SortStableFunc(s.procs, func(a, b *processor) int { return compareURIs(a.uri, b.uri) })
	return s, nil
}

// name is the last segment of a resource's URI, which DSP0266 makes its
// Id. Resources are named and ordered by it rather than by the Id property,
// which some services fill with something else (public-tower's NIC1 has Id
// 9fa725a1).
func name(uri string) string { return path.Base(uri) }

// compareURIs orders resources by name in natural order (GPU_SXM_2 before
// GPU_SXM_10), then by URI.
func compareURIs(a, b string) int {
	if c := model.ComparePortNames(name(a), name(b)); c != 0 {
		return c
	}
	return model.ComparePortNames(a, b)
}

// countTypes counts a system's CPUs and GPUs.
func (s *system) countTypes() (cpus, gpus int) {
	for _, p := range s.procs {
		switch p.rf.ProcessorType {
		case redfish.CPUProcessorType:
			cpus++
		case redfish.GPUProcessorType:
			gpus++
		}
	}
	return cpus, gpus
}

type chassis struct {
	uri string
	rf  redfish.Chassis
	nav struct {
		NetworkAdapters *link
		Links           struct {
			ComputerSystems []link
			Contains        []link
		}
	}
	adapters string
	systems  []string
	contains []string
}

func (w *walker) chassis(uri string) (*chassis, error) {
	c := &chassis{uri: uri}
	if err := w.decode(uri, &c.rf, &c.nav); err != nil {
		return nil, err
	}
	var err error
	if c.adapters, err = optional(uri, c.nav.NetworkAdapters); err != nil {
		return nil, err
	}
	if c.systems, err = links(uri, c.nav.Links.ComputerSystems); err != nil {
		return nil, err
	}
	if c.contains, err = links(uri, c.nav.Links.Contains); err != nil {
		return nil, err
	}
	return c, nil
}

// node is one compute server: a host system, the GPU baseboards folded
// into it, and the chassis its NICs are in.
type node struct {
	host       *system
	baseboards []*system
	chassis    []*chassis // in natural order of Id
	// primary is the host's first Links.Chassis, where its serial, vendor
	// and model come from when the system leaves them out.
	primary *chassis
}

// discover walks the service and returns one NodeFacts per server.
func (w *walker) discover() ([]model.NodeFacts, error) {
	var root struct{ Systems, Chassis *link }
	if err := w.decode(serviceRoot, &root); err != nil {
		return nil, err
	}
	sysColl, err := optional(serviceRoot, root.Systems)
	if err != nil {
		return nil, err
	}
	chColl, err := optional(serviceRoot, root.Chassis)
	if err != nil {
		return nil, err
	}
	var systems []*system
	var chs []*chassis
	err = w.each(2, func(i int) error {
		var err error
		if i == 0 {
			systems, err = fetchAll(w, sysColl, w.system)
		} else {
			chs, err = fetchAll(w, chColl, w.chassis)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	nodes := group(systems, chs)
	out := make([]model.NodeFacts, len(nodes))
	err = w.each(len(nodes), func(i int) error {
		var err error
		out[i], err = w.facts(nodes[i])
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// group sorts systems into servers (see the package comment).
func group(systems []*system, chs []*chassis) []*node {
	slices.SortStableFunc(systems, func(a, b *system) int { return compareURIs(a.uri, b.uri) })
	slices.SortStableFunc(chs, func(a, b *chassis) int { return compareURIs(a.uri, b.uri) })
	byURI := map[string]*chassis{}
	for _, c := range chs {
		byURI[c.uri] = c
	}
	reachOf := func(s *system) []*chassis { return reach(s, chs, byURI) }
	newNode := func(s *system) *node {
		n := &node{host: s}
		if len(s.nav.chassis) > 0 {
			n.primary = byURI[s.nav.chassis[0]]
		}
		return n
	}

	var nodes []*node
	var baseboards []*system
	for _, s := range systems {
		cpus, gpus := s.countTypes()
		switch {
		case s.rf.SystemType == "DPU":
			// A SmartNIC's own computer, not a server.
		case gpus > 0 && cpus == 0:
			baseboards = append(baseboards, s)
		default:
			nodes = append(nodes, newNode(s))
		}
	}
	// A baseboard belongs to the host whose chassis hold its chassis, or to
	// the only host; with neither it is a server of its own.
	hosts := len(nodes)
	hostsOf := map[*chassis][]*node{}
	for _, n := range nodes {
		for _, c := range reachOf(n.host) {
			hostsOf[c] = append(hostsOf[c], n)
		}
	}
	for _, b := range baseboards {
		var owner *node
		for _, c := range reachOf(b) {
			if hs := hostsOf[c]; len(hs) == 1 {
				owner = hs[0]
				break
			}
		}
		if owner == nil && hosts == 1 {
			owner = nodes[0]
		}
		if owner == nil {
			nodes = append(nodes, newNode(b))
			continue
		}
		owner.baseboards = append(owner.baseboards, b)
	}
	// A node's NICs are in the chassis that only it reaches (through its
	// host or its baseboards); a chassis two servers reach, such as a blade
	// enclosure, is left out rather than guessed at.
	reached := map[*chassis][]*node{}
	for _, n := range nodes {
		for _, s := range append([]*system{n.host}, n.baseboards...) {
			for _, c := range reachOf(s) {
				if !slices.Contains(reached[c], n) {
					reached[c] = append(reached[c], n)
				}
			}
		}
	}
	for _, c := range chs {
		if ns := reached[c]; len(ns) == 1 {
			ns[0].chassis = append(ns[0].chassis, c)
		}
	}
	return nodes
}

// reach is the chassis of s (its Links.Chassis and the chassis that list
// it) and all they contain.
func reach(s *system, chs []*chassis, byURI map[string]*chassis) []*chassis {
	var out []*chassis
	seen := map[*chassis]bool{}
	var visit func(c *chassis)
	visit = func(c *chassis) {
		if c == nil || seen[c] {
			return
		}
		seen[c] = true
		out = append(out, c)
		for _, u := range c.contains {
			visit(byURI[u])
		}
	}
	for _, u := range s.nav.chassis {
		visit(byURI[u])
	}
	for _, c := range chs {
		if slices.Contains(c.systems, s.uri) {
			visit(c)
		}
	}
	return out
}

// network adapters and what hangs below them.

type adapter struct {
	uri     string
	chassis *chassis
	rf      redfish.NetworkAdapter
	nav     struct{ Ports, NetworkPorts, NetworkDeviceFunctions *link }
	ports   []*port
	netPort []*netPort
	funcs   []*function
}

type port struct {
	uri string
	rf  redfish.Port
}

type netPort struct {
	uri string
	rf  redfish.NetworkPort
}

type function struct {
	uri string
	rf  redfish.NetworkDeviceFunction
	nav struct {
		AssignablePhysicalPorts        []link
		AssignablePhysicalNetworkPorts []link
		Links                          struct {
			PhysicalPortAssignment        *link
			PhysicalNetworkPortAssignment *link
		}
	}
	// port is the port the function is assigned to, or "".
	port string
}

func (w *walker) adapters(c *chassis) ([]*adapter, error) {
	return fetchAll(w, c.adapters, func(uri string) (*adapter, error) {
		a := &adapter{uri: uri, chassis: c}
		if err := w.decode(uri, &a.rf, &a.nav); err != nil {
			return nil, err
		}
		ports, err := optional(uri, a.nav.Ports)
		if err != nil {
			return nil, err
		}
		netPorts, err := optional(uri, a.nav.NetworkPorts)
		if err != nil {
			return nil, err
		}
		funcs, err := optional(uri, a.nav.NetworkDeviceFunctions)
		if err != nil {
			return nil, err
		}
		if a.ports, err = fetchAll(w, ports, func(uri string) (*port, error) {
			p := &port{uri: uri}
			return p, w.decode(uri, &p.rf)
		}); err != nil {
			return nil, err
		}
		// NetworkPorts is the deprecated forerunner of Ports.
		if len(a.ports) == 0 {
			if a.netPort, err = fetchAll(w, netPorts, func(uri string) (*netPort, error) {
				p := &netPort{uri: uri}
				return p, w.decode(uri, &p.rf)
			}); err != nil {
				return nil, err
			}
		}
		if a.funcs, err = fetchAll(w, funcs, w.function); err != nil {
			return nil, err
		}
		slices.SortStableFunc(a.ports, func(x, y *port) int { return compareURIs(x.uri, y.uri) })
		slices.SortStableFunc(a.netPort, func(x, y *netPort) int { return compareURIs(x.uri, y.uri) })
		slices.SortStableFunc(a.funcs, func(x, y *function) int { return compareURIs(x.uri, y.uri) })
		return a, nil
	})
}

func (w *walker) function(uri string) (*function, error) {
	f := &function{uri: uri}
	if err := w.decode(uri, &f.rf, &f.nav); err != nil {
		return nil, err
	}
	// The port a function drives: Links.PhysicalNetworkPortAssignment (a
	// Port), the deprecated Links.PhysicalPortAssignment, or the only port
	// it may be assigned to.
	l := f.nav.Links.PhysicalNetworkPortAssignment
	if l == nil {
		l = f.nav.Links.PhysicalPortAssignment
	}
	if l == nil && len(f.nav.AssignablePhysicalPorts) == 1 {
		l = &f.nav.AssignablePhysicalPorts[0]
	}
	if l == nil && len(f.nav.AssignablePhysicalNetworkPorts) == 1 {
		l = &f.nav.AssignablePhysicalNetworkPorts[0]
	}
	var err error
	f.port, err = optional(uri, l)
	return f, err
}

// iface is an EthernetInterface of a host, read only to find the MAC of an
// adapter port that did not give one.
type iface struct {
	uri string
	rf  redfish.EthernetInterface
	nav struct {
		Links struct {
			NetworkDeviceFunction  *link
			NetworkDeviceFunctions []link
			Ports                  []link
		}
	}
}

// ifaceMACs maps the functions and ports that the host's EthernetInterfaces
// link to to the interfaces' MACs (permanent first).
func (w *walker) ifaceMACs(s *system) (map[string][]string, error) {
	ifaces, err := fetchAll(w, s.nav.ifaces, func(uri string) (*iface, error) {
		i := &iface{uri: uri}
		return i, w.decode(uri, &i.rf, &i.nav)
	})
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, i := range ifaces {
		ls := append(slices.Clone(i.nav.Links.NetworkDeviceFunctions), i.nav.Links.Ports...)
		if l := i.nav.Links.NetworkDeviceFunction; l != nil {
			ls = append(ls, *l)
		}
		targets, err := links(i.uri, ls)
		if err != nil {
			return nil, err
		}
		for _, t := range targets {
			out[t] = append(out[t], i.rf.PermanentMACAddress, i.rf.MACAddress)
		}
	}
	return out, nil
}
