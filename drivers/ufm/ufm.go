package ufm

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/railyard/railyard/drivers"
	"github.com/railyard/railyard/internal/fabric"
)

// Name is the name the driver registers under.
const Name = "ufm"

// Driver is the UFM driver. It is stateless.
type Driver struct{}

func init() { drivers.Register(Driver{}) }

var _ drivers.Driver = Driver{}

// Name returns "ufm".
func (Driver) Name() string { return Name }

// Render returns the managed partitions of cfg as UFM reports them (the
// answer to GET /ufmRest/resources/pkeys?guids_data=true&qos_conf=true,
// keyed by PKey, members lower-cased and sorted, at index 0), indented.
func (Driver) Render(cfg fabric.DeviceConfig) (string, error) {
	if err := validate(cfg); err != nil {
		return "", err
	}
	out := map[string]rawPartition{}
	for _, p := range cfg.Partitions {
		out[formatPKey(p.PKey)] = fromPartition(p)
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return "", err
	}
	return string(b) + "\n", nil
}

// Commands returns the requests Apply sends for change, one per line:
// "METHOD path" and the JSON body, if any.
func (Driver) Commands(change fabric.Change, desired fabric.DeviceConfig) ([]string, error) {
	if err := validate(desired); err != nil {
		return nil, err
	}
	if err := validateChange(change); err != nil {
		return nil, err
	}
	var pcs []pchange
	for _, c := range change.Partitions {
		pc := pchange{new: c.New}
		if c.Old != nil {
			r := fromPartition(*c.Old)
			pc.key, pc.old = c.Old.PKey, &r
		}
		if c.New != nil {
			pc.key = c.New.PKey
		}
		pcs = append(pcs, pc)
	}
	var out []string
	for _, s := range plan(pcs) {
		out = append(out, s.req.String())
	}
	return out, nil
}

// validate checks that a desired configuration is something UFM can hold
// and Railyard can read back: owned names, PKeys in range, GUIDs of 16
// to 20 hex digits (unique regardless of case), known memberships and
// MTUs.
func validate(cfg fabric.DeviceConfig) error {
	if len(cfg.VRFs) > 0 || len(cfg.Segments) > 0 || len(cfg.Ports) > 0 {
		return fmt.Errorf("ufm: %s: a subnet manager holds partitions only (got %d VRFs, %d segments, %d ports)",
			cfg.Device, len(cfg.VRFs), len(cfg.Segments), len(cfg.Ports))
	}
	var errs []error
	seen := map[uint16]string{}
	for _, p := range cfg.Partitions {
		if prev, dup := seen[p.PKey]; dup {
			errs = append(errs, fmt.Errorf("ufm: partitions %q and %q share pkey %s", prev, p.Name, formatPKey(p.PKey)))
		}
		seen[p.PKey] = p.Name
		if err := validatePartition(p); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func validatePartition(p fabric.Partition) error {
	var errs []error
	if err := validPKey(p.PKey); err != nil {
		errs = append(errs, err)
	}
	if !strings.HasPrefix(p.Name, fabric.OwnedPrefix) {
		errs = append(errs, fmt.Errorf("name %q does not start with %q, so Railyard would not read it back", p.Name, fabric.OwnedPrefix))
	}
	if _, err := mtuLimit(p.MTU); err != nil {
		errs = append(errs, err)
	}
	guids := map[string]bool{}
	for _, m := range p.Members {
		g, err := normGUID(m.GUID)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if guids[g] {
			errs = append(errs, fmt.Errorf("guid %s listed twice", g))
		}
		guids[g] = true
		if m.Membership != fabric.Full && m.Membership != fabric.Limited {
			errs = append(errs, fmt.Errorf("guid %s: membership %q (want full or limited)", g, m.Membership))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("ufm: partition %s %q: %w", formatPKey(p.PKey), p.Name, err)
	}
	return nil
}

func validateChange(c fabric.Change) error {
	if len(c.VRFs) > 0 || len(c.Segments) > 0 || len(c.Ports) > 0 {
		return fmt.Errorf("ufm: %s: a subnet manager holds partitions only; the change has VRFs, segments or ports", c.Device)
	}
	for _, pc := range c.Partitions {
		if pc.New != nil {
			if err := validatePartition(*pc.New); err != nil {
				return err
			}
		}
	}
	return nil
}

// request is one REST call.
type request struct {
	Method string
	Path   string
	Body   any
}

// String is the request as Commands shows it and as the fake matches
// FailOn against: "METHOD path" and the compact JSON body.
func (r request) String() string {
	if r.Body == nil {
		return r.Method + " " + r.Path
	}
	return r.Method + " " + r.Path + " " + string(r.body())
}

func (r request) body() []byte {
	if r.Body == nil {
		return nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r.Body); err != nil {
		panic(fmt.Sprintf("ufm: encoding %T: %v", r.Body, err)) // only our own structs are encoded
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// step is a request and the requests that undo it, given the state of
// the partition just before it.
type step struct {
	key  uint16
	req  request
	undo []request
}

// pchange is one partition to change: what UFM holds (nil: absent) and
// what is wanted (nil: remove).
type pchange struct {
	key uint16
	old *rawPartition
	new *fabric.Partition
}

// plan orders the requests: removed partitions first (members, then the
// partition), then changed ones, then new ones; by PKey within each.
func plan(pcs []pchange) []step {
	rank := func(p pchange) int {
		switch {
		case p.new == nil:
			return 0
		case p.old != nil:
			return 1
		}
		return 2
	}
	pcs = slices.Clone(pcs)
	slices.SortStableFunc(pcs, func(a, b pchange) int {
		return cmp.Or(cmp.Compare(rank(a), rank(b)), cmp.Compare(a.key, b.key))
	})
	var out []step
	for _, p := range pcs {
		out = append(out, planPartition(p)...)
	}
	return out
}

func planPartition(p pchange) []step {
	k, old, new := p.key, p.old, p.new
	switch {
	case old == nil && new == nil:
		return nil
	case old == nil:
		return build(k, *new)
	case new == nil:
		return teardown(k, *old)
	}
	if old.Partition != new.Name || old.IPOverIB != new.IPoIB {
		// UFM renames nothing and keeps ip_over_ib per partition:
		// re-create it.
		return append(teardown(k, *old), build(k, *new)...)
	}
	var out []step
	if lim, _ := mtuLimit(new.MTU); lim != old.MTULimit {
		out = append(out, step{key: k,
			// Railyard's partitions run at service level 0; the rate
			// limit is left as it is.
			req:  request{"PUT", pathQoS, qosBody{PKey: formatPKey(k), MTULimit: lim}},
			undo: []request{{"PUT", pathQoS, qosBody{PKey: formatPKey(k), MTULimit: old.MTULimit, ServiceLevel: old.ServiceLevel, RateLimit: old.RateLimit}}},
		})
	}
	want := fromPartition(*new)
	if sameMembers(old.GUIDs, want.GUIDs) {
		return out
	}
	switch {
	case len(want.GUIDs) == 0:
		return append(out, removeMembers(k, *old)...)
	case len(old.GUIDs) == 0:
		return append(out, addMembers(k, want)...)
	}
	return append(out, step{key: k,
		req:  request{"PUT", pathPKeys, membersRequest(k, want.GUIDs, true, new.IPoIB)},
		undo: restoreMembers(k, *old, "PUT"),
	})
}

// sameMembers compares GUIDs and memberships (not index0, which the
// vendor-neutral configuration does not carry).
func sameMembers(a, b []rawMember) bool {
	return slices.EqualFunc(a, b, func(x, y rawMember) bool { return x.GUID == y.GUID && x.Membership == y.Membership })
}

// build creates an empty partition, then adds its members in one request.
func build(k uint16, p fabric.Partition) []step {
	r := fromPartition(p)
	out := []step{{key: k,
		req:  request{"POST", pathAdd, createBody{PKey: formatPKey(k), PartitionName: r.Partition, Index0: true, IPOverIB: r.IPOverIB, MTULimit: r.MTULimit}},
		undo: []request{{"DELETE", pathPKeys + "/" + formatPKey(k), nil}},
	}}
	return append(out, addMembers(k, r)...)
}

func addMembers(k uint16, r rawPartition) []step {
	if len(r.GUIDs) == 0 {
		return nil
	}
	return []step{{key: k,
		req:  request{"POST", pathPKeys, membersRequest(k, r.GUIDs, true, r.IPOverIB)},
		undo: deleteGUIDs(k, r.GUIDs),
	}}
}

// teardown removes the members of a partition, then the partition.
func teardown(k uint16, old rawPartition) []step {
	out := removeMembers(k, old)
	return append(out, step{key: k,
		req: request{"DELETE", pathPKeys + "/" + formatPKey(k), nil},
		undo: []request{{"POST", pathAdd, createBody{PKey: formatPKey(k), PartitionName: old.Partition, Index0: true,
			IPOverIB: old.IPOverIB, MTULimit: old.MTULimit, ServiceLevel: old.ServiceLevel, RateLimit: old.RateLimit}}},
	})
}

func removeMembers(k uint16, old rawPartition) []step {
	reqs := deleteGUIDs(k, old.GUIDs)
	out := make([]step, len(reqs))
	for i, r := range reqs {
		// Undoing a chunk puts its members back as they were.
		chunk := rawPartition{IPOverIB: old.IPOverIB, GUIDs: chunkMembers(old.GUIDs, i)}
		out[i] = step{key: k, req: r, undo: restoreMembers(k, chunk, "POST")}
	}
	return out
}

func chunkMembers(ms []rawMember, i int) []rawMember {
	lo := i * guidsPerRequest
	return ms[lo:min(lo+guidsPerRequest, len(ms))]
}

// deleteGUIDs removes GUIDs, guidsPerRequest at a time.
func deleteGUIDs(k uint16, ms []rawMember) []request {
	var out []request
	for lo := 0; lo < len(ms); lo += guidsPerRequest {
		var gs []string
		for _, m := range ms[lo:min(lo+guidsPerRequest, len(ms))] {
			gs = append(gs, m.GUID)
		}
		out = append(out, request{"DELETE", pathPKeys + "/" + formatPKey(k) + "/guids/" + strings.Join(gs, ","), nil})
	}
	return out
}

// restoreMembers puts old's members back exactly, index0 included: the
// first group with method (PUT replaces the set), the other with POST.
func restoreMembers(k uint16, old rawPartition, method string) []request {
	var groups [2][]rawMember
	for _, m := range old.GUIDs {
		if m.Index0 {
			groups[0] = append(groups[0], m)
		} else {
			groups[1] = append(groups[1], m)
		}
	}
	var out []request
	for i, g := range groups {
		if len(g) == 0 {
			continue
		}
		out = append(out, request{method, pathPKeys, membersRequest(k, g, i == 0, old.IPOverIB)})
		method = "POST"
	}
	return out
}

func membersRequest(k uint16, ms []rawMember, index0, ipoib bool) membersBody {
	b := membersBody{PKey: formatPKey(k), Index0: index0, IPOverIB: ipoib}
	for _, m := range ms {
		b.GUIDs = append(b.GUIDs, m.GUID)
		b.Memberships = append(b.Memberships, m.Membership)
	}
	return b
}
