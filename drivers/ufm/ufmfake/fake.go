package ufmfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/railyard/railyard/drivers"
	"github.com/railyard/railyard/internal/fabric"
)

// Default credentials of a new Device (UFM's factory defaults).
const (
	DefaultUsername = "admin"
	DefaultPassword = "123456"
)

// Version is what GET /ufmRest/app/ufm_version reports.
const Version = "6.19.3-5"

const (
	defaultPKey      = 0x7fff
	defaultMTULimit  = 2
	defaultRateLimit = 2.5
)

type member struct {
	membership string
	index0     bool
}

type partition struct {
	name         string
	ipoib        bool
	mtuLimit     int
	serviceLevel int
	rateLimit    float64
	members      map[string]member
}

func (p *partition) clone() *partition {
	c := *p
	c.members = make(map[string]member, len(p.members))
	for g, m := range p.members {
		c.members[g] = m
	}
	return &c
}

type fault struct {
	match  string
	status int
}

// Device is a fake UFM. It is safe for concurrent use.
type Device struct {
	mu          sync.Mutex
	hostname    string
	user, pass  string
	parts       map[uint16]*partition
	initial     map[uint16]*partition
	lastUpdated time.Time
	faults      []fault
	latency     time.Duration
	requests    []string
}

// New returns a UFM managing the fabric of base: the default partition
// 0x7fff ("management", IPoIB) and the partitions base lists, already
// configured. base.Ports is not used (InfiniBand members are port GUIDs,
// which UFM takes as they come).
func New(base fabric.DeviceConfig) *Device {
	d := &Device{hostname: base.Device, user: DefaultUsername, pass: DefaultPassword, parts: map[uint16]*partition{}}
	d.parts[defaultPKey] = &partition{name: "management", ipoib: true, mtuLimit: defaultMTULimit, rateLimit: defaultRateLimit, members: map[string]member{}}
	for _, p := range base.Partitions {
		d.putLocked(p)
	}
	d.initial = cloneParts(d.parts)
	d.lastUpdated = time.Now().UTC()
	return d
}

func cloneParts(ps map[uint16]*partition) map[uint16]*partition {
	out := make(map[uint16]*partition, len(ps))
	for k, p := range ps {
		out[k] = p.clone()
	}
	return out
}

// SetCredentials sets the user and password basic authentication
// accepts.
func (d *Device) SetCredentials(user, pass string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.user, d.pass = user, pass
}

// SetLatency delays every request by l.
func (d *Device) SetLatency(l time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.latency = l
}

// FailOn makes the next request whose text ("METHOD /path?query body")
// contains s fail with HTTP 500 and a UFM error body, changing nothing;
// once.
func (d *Device) FailOn(s string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.faults = append(d.faults, fault{match: s, status: http.StatusInternalServerError})
}

// ErrorBodyOn is FailOn with a 200 status: the request changes nothing
// and the body is a UFM error object.
func (d *Device) ErrorBodyOn(s string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.faults = append(d.faults, fault{match: s, status: http.StatusOK})
}

// Pending is always empty: UFM applies each request at once.
func (d *Device) Pending() []string { return nil }

// Requests returns the text of every authenticated request served so
// far ("METHOD /path?query body").
func (d *Device) Requests() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.requests)
}

// Put creates or replaces a partition out of band (as an operator in
// UFM's GUI would). MTU is the IB MTU code (4 or 5).
func (d *Device) Put(p fabric.Partition) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.putLocked(p)
	d.touchLocked()
}

func (d *Device) putLocked(p fabric.Partition) {
	lim := defaultMTULimit
	if p.MTU == 5 {
		lim = 4
	}
	np := &partition{name: p.Name, ipoib: p.IPoIB, mtuLimit: lim, rateLimit: defaultRateLimit, members: map[string]member{}}
	for _, m := range p.Members {
		np.members[strings.ToLower(m.GUID)] = member{membership: string(m.Membership), index0: true}
	}
	d.parts[p.PKey] = np
}

// RemoveGUIDs takes GUIDs out of a partition out of band.
func (d *Device) RemoveGUIDs(pkey uint16, guids ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if p, ok := d.parts[pkey]; ok {
		for _, g := range guids {
			delete(p.members, strings.ToLower(g))
		}
	}
	d.touchLocked()
}

// Transport reaches the device in process: an HTTP client whose
// requests, to any host, are served by d.
func (d *Device) Transport() drivers.Transport {
	return drivers.Transport{HTTP: &http.Client{Transport: roundTripper{d}}}
}

type roundTripper struct{ d *Device }

func (rt roundTripper) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	// A client request may have no body; a server request always has one.
	sr := r.Clone(r.Context())
	if sr.Body == nil {
		sr.Body = http.NoBody
	}
	w := httptest.NewRecorder()
	rt.d.ServeHTTP(w, sr)
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	resp := w.Result()
	resp.Request = r
	return resp, nil
}

// Running returns every partition, sorted, as indented JSON keyed by
// PKey (0x0101): name, IPoIB, QoS and members with membership and index0.
func (d *Device) Running() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.runningLocked()
}

func (d *Device) runningLocked() string {
	out := map[string]pkeyJSON{}
	for k, p := range d.parts {
		out[fmt.Sprintf("0x%04x", k)] = p.json(true, true)
	}
	b, _ := json.MarshalIndent(out, "", "  ")
	return string(b) + "\n"
}

type memberJSON struct {
	GUID       string `json:"guid"`
	Membership string `json:"membership"`
	Index0     bool   `json:"index0"`
}

type pkeyJSON struct {
	Partition    string       `json:"partition"`
	IPOverIB     bool         `json:"ip_over_ib"`
	MTULimit     *int         `json:"mtu_limit,omitempty"`
	ServiceLevel *int         `json:"service_level,omitempty"`
	RateLimit    *float64     `json:"rate_limit,omitempty"`
	GUIDs        []memberJSON `json:"guids,omitempty"`
}

func (p *partition) json(guids, qos bool) pkeyJSON {
	j := pkeyJSON{Partition: p.name, IPOverIB: p.ipoib}
	if qos {
		m, s, r := p.mtuLimit, p.serviceLevel, p.rateLimit
		j.MTULimit, j.ServiceLevel, j.RateLimit = &m, &s, &r
	}
	if guids {
		j.GUIDs = []memberJSON{}
		for g, m := range p.members {
			j.GUIDs = append(j.GUIDs, memberJSON{GUID: g, Membership: m.membership, Index0: m.index0})
		}
		slices.SortFunc(j.GUIDs, func(a, b memberJSON) int { return strings.Compare(a.GUID, b.GUID) })
	}
	return j
}

// touchLocked bumps last_updated (strictly increasing).
func (d *Device) touchLocked() {
	now := time.Now().UTC()
	if !now.After(d.lastUpdated) {
		now = d.lastUpdated.Add(time.Microsecond)
	}
	d.lastUpdated = now
}

// apiError is a refused request.
type apiError struct {
	status int
	msg    string
}

func errorf(status int, format string, a ...any) *apiError {
	return &apiError{status, fmt.Sprintf(format, a...)}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(v)
	w.Write(b) //nolint:errcheck // the client went away
}

func writeError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.status, map[string]string{"error": e.msg})
}

// ServeHTTP serves UFM's PKey API.
func (d *Device) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		writeError(w, errorf(http.StatusBadRequest, "reading the request: %v", err))
		return
	}
	d.mu.Lock()
	lat := d.latency
	d.mu.Unlock()
	if lat > 0 {
		t := time.NewTimer(lat)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}

	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case r.URL.Path == "/_dev/state" && r.Method == http.MethodGet:
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, d.runningLocked()) //nolint:errcheck
		return
	case r.URL.Path == "/_dev/reset" && r.Method == http.MethodPost:
		d.parts = cloneParts(d.initial)
		d.faults = nil
		d.touchLocked()
		writeJSON(w, http.StatusOK, map[string]string{})
		return
	}
	if !strings.HasPrefix(r.URL.Path, "/ufmRest/") {
		writeError(w, errorf(http.StatusNotFound, "Not Found"))
		return
	}
	if u, p, ok := r.BasicAuth(); !ok || u != d.user || p != d.pass {
		w.Header().Set("WWW-Authenticate", `Basic realm="UFM"`)
		writeError(w, errorf(http.StatusUnauthorized, "Unauthorized"))
		return
	}
	text := r.Method + " " + r.URL.RequestURI()
	if c := bytes.TrimSpace(body); len(c) > 0 {
		text += " " + string(c)
	}
	d.requests = append(d.requests, text)
	for i, f := range d.faults {
		if strings.Contains(text, f.match) {
			d.faults = slices.Delete(d.faults, i, i+1)
			writeJSON(w, f.status, map[string]string{"error": "Internal error: failed to apply " + r.Method + " " + r.URL.Path})
			return
		}
	}
	v, e := d.route(r, body)
	if e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

const prefix = "/ufmRest/resources/pkeys"

func (d *Device) route(r *http.Request, body []byte) (any, *apiError) {
	p := strings.TrimSuffix(r.URL.Path, "/")
	q := r.URL.Query()
	guids, qos := q.Get("guids_data") == "true", q.Get("qos_conf") == "true"
	switch {
	case p == "/ufmRest/app/ufm_version":
		if r.Method != http.MethodGet {
			return nil, errorf(http.StatusMethodNotAllowed, "Method Not Allowed")
		}
		return map[string]string{"ufm_release_version": Version}, nil
	case p == prefix:
		switch r.Method {
		case http.MethodGet:
			return d.list(guids, qos), nil
		case http.MethodPost:
			return d.addGUIDs(body, false)
		case http.MethodPut:
			return d.addGUIDs(body, true)
		}
		return nil, errorf(http.StatusMethodNotAllowed, "Method Not Allowed")
	case p == prefix+"/add":
		if r.Method != http.MethodPost {
			return nil, errorf(http.StatusMethodNotAllowed, "Method Not Allowed")
		}
		return d.create(body)
	case p == prefix+"/qos_conf":
		if r.Method != http.MethodPut {
			return nil, errorf(http.StatusMethodNotAllowed, "Method Not Allowed")
		}
		return d.setQoS(body)
	case p == prefix+"/last_updated":
		if r.Method != http.MethodGet {
			return nil, errorf(http.StatusMethodNotAllowed, "Method Not Allowed")
		}
		return map[string]string{"last_updated": d.lastUpdated.Format("2006-01-02 15:04:05.000000")}, nil
	case strings.HasPrefix(p, prefix+"/"):
		rest := strings.Split(strings.TrimPrefix(p, prefix+"/"), "/")
		switch {
		case len(rest) == 1 && r.Method == http.MethodGet:
			k, e := parsePKey(rest[0], true)
			if e != nil {
				return nil, e
			}
			if pt, ok := d.parts[k]; ok {
				return pt.json(guids, qos), nil
			}
			return map[string]any{}, nil // UFM answers {} for a PKey it does not have
		case len(rest) == 1 && r.Method == http.MethodDelete:
			return d.delete(rest[0])
		case len(rest) == 3 && rest[1] == "guids" && r.Method == http.MethodDelete:
			return d.removeGUIDs(rest[0], rest[2])
		}
	}
	return nil, errorf(http.StatusNotFound, "Not Found")
}

func (d *Device) list(guids, qos bool) any {
	if !guids && !qos {
		keys := make([]string, 0, len(d.parts))
		for _, k := range d.sortedKeys() {
			keys = append(keys, fmt.Sprintf("0x%x", k))
		}
		return keys
	}
	out := map[string]pkeyJSON{}
	for k, p := range d.parts {
		out[fmt.Sprintf("0x%x", k)] = p.json(guids, qos)
	}
	return out
}

func (d *Device) sortedKeys() []uint16 {
	ks := make([]uint16, 0, len(d.parts))
	for k := range d.parts {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// parsePKey reads a PKey as UFM takes it: a hex string strictly between
// 0x0 and 0x7fff. readOnly admits 0x7fff (it can be read, not changed).
func parsePKey(s string, readOnly bool) (uint16, *apiError) {
	bad := errorf(http.StatusBadRequest, "Invalid pkey value %q: should be a hexadecimal string between 0x0-0x7fff exclusive", s)
	h, ok := strings.CutPrefix(strings.ToLower(s), "0x")
	if !ok || h == "" || len(h) > 4 {
		return 0, bad
	}
	v, err := strconv.ParseUint(h, 16, 16)
	if err != nil || v == 0 || v > defaultPKey || v == defaultPKey && !readOnly {
		return 0, bad
	}
	return uint16(v), nil
}

func parseGUID(s string) (string, *apiError) {
	g := strings.ToLower(s)
	ok := len(g) >= 16 && len(g) <= 20
	for _, c := range g {
		ok = ok && ('0' <= c && c <= '9' || 'a' <= c && c <= 'f')
	}
	if !ok {
		return "", errorf(http.StatusBadRequest, "Invalid GUID %q: should be a hexadecimal string of 16 to 20 characters", s)
	}
	return g, nil
}

func decode(body []byte, v any) *apiError {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errorf(http.StatusBadRequest, "Invalid request body: %v", err)
	}
	if dec.More() {
		return errorf(http.StatusBadRequest, "Invalid request body: trailing data")
	}
	return nil
}

type createReq struct {
	PKey          *string  `json:"pkey"`
	PartitionName *string  `json:"partition_name"`
	Index0        *bool    `json:"index0"`
	IPOverIB      *bool    `json:"ip_over_ib"`
	MTULimit      *int     `json:"mtu_limit"`
	ServiceLevel  *int     `json:"service_level"`
	RateLimit     *float64 `json:"rate_limit"`
}

func checkQoS(mtu, sl *int) *apiError {
	if mtu != nil && *mtu != 2 && *mtu != 4 {
		return errorf(http.StatusBadRequest, "Invalid mtu_limit %d: should be 2 or 4", *mtu)
	}
	if sl != nil && (*sl < 0 || *sl > 15) {
		return errorf(http.StatusBadRequest, "Invalid service_level %d: should be between 0 and 15", *sl)
	}
	return nil
}

func (d *Device) create(body []byte) (any, *apiError) {
	var req createReq
	if e := decode(body, &req); e != nil {
		return nil, e
	}
	if req.PKey == nil {
		return nil, errorf(http.StatusBadRequest, "Missing mandatory parameter: pkey")
	}
	k, e := parsePKey(*req.PKey, false)
	if e != nil {
		return nil, e
	}
	if _, ok := d.parts[k]; ok {
		return nil, errorf(http.StatusBadRequest, "PKey 0x%x already exists", k)
	}
	if e := checkQoS(req.MTULimit, req.ServiceLevel); e != nil {
		return nil, e
	}
	p := &partition{ipoib: true, mtuLimit: defaultMTULimit, rateLimit: defaultRateLimit, members: map[string]member{}}
	if req.PartitionName != nil {
		p.name = *req.PartitionName
	}
	if req.IPOverIB != nil {
		p.ipoib = *req.IPOverIB
	}
	if req.MTULimit != nil {
		p.mtuLimit = *req.MTULimit
	}
	if req.ServiceLevel != nil {
		p.serviceLevel = *req.ServiceLevel
	}
	if req.RateLimit != nil {
		p.rateLimit = *req.RateLimit
	}
	d.parts[k] = p
	d.touchLocked()
	return map[string]any{}, nil
}

type guidsReq struct {
	PKey          *string  `json:"pkey"`
	GUIDs         []string `json:"guids"`
	Membership    *string  `json:"membership"`
	Memberships   []string `json:"memberships"`
	Index0        *bool    `json:"index0"`
	IPOverIB      *bool    `json:"ip_over_ib"`
	PartitionName *string  `json:"partition_name"`
}

// addGUIDs is POST (add to the set; creates the PKey if absent) and PUT
// (replace the set).
func (d *Device) addGUIDs(body []byte, replace bool) (any, *apiError) {
	var req guidsReq
	if e := decode(body, &req); e != nil {
		return nil, e
	}
	if req.PKey == nil {
		return nil, errorf(http.StatusBadRequest, "Missing mandatory parameter: pkey")
	}
	k, e := parsePKey(*req.PKey, false)
	if e != nil {
		return nil, e
	}
	if len(req.GUIDs) == 0 {
		return nil, errorf(http.StatusBadRequest, "Missing mandatory parameter: guids")
	}
	if req.Memberships != nil && len(req.Memberships) != len(req.GUIDs) {
		return nil, errorf(http.StatusBadRequest, "memberships should have the same length as guids (%d, got %d)", len(req.GUIDs), len(req.Memberships))
	}
	def := "full"
	if req.Membership != nil {
		def = *req.Membership
	}
	add := map[string]member{}
	for i, s := range req.GUIDs {
		g, e := parseGUID(s)
		if e != nil {
			return nil, e
		}
		ms := def
		if req.Memberships != nil {
			ms = req.Memberships[i]
		}
		if ms != "full" && ms != "limited" {
			return nil, errorf(http.StatusBadRequest, "Invalid membership %q: should be full or limited", ms)
		}
		add[g] = member{membership: ms, index0: req.Index0 != nil && *req.Index0}
	}
	p, ok := d.parts[k]
	if !ok {
		p = &partition{ipoib: true, mtuLimit: defaultMTULimit, rateLimit: defaultRateLimit, members: map[string]member{}}
		if req.PartitionName != nil {
			p.name = *req.PartitionName
		}
		d.parts[k] = p
	}
	if replace {
		p.members = map[string]member{}
	}
	for g, m := range add {
		p.members[g] = m
	}
	p.ipoib = req.IPOverIB == nil || *req.IPOverIB
	d.touchLocked()
	return map[string]any{}, nil
}

type qosReq struct {
	PKey         *string  `json:"pkey"`
	MTULimit     *int     `json:"mtu_limit"`
	ServiceLevel *int     `json:"service_level"`
	RateLimit    *float64 `json:"rate_limit"`
}

func (d *Device) setQoS(body []byte) (any, *apiError) {
	var req qosReq
	if e := decode(body, &req); e != nil {
		return nil, e
	}
	if req.PKey == nil || req.MTULimit == nil {
		return nil, errorf(http.StatusBadRequest, "Missing mandatory parameters: pkey, mtu_limit")
	}
	k, e := parsePKey(*req.PKey, false)
	if e != nil {
		return nil, e
	}
	p, ok := d.parts[k]
	if !ok {
		return nil, errorf(http.StatusNotFound, "PKey 0x%x not found", k)
	}
	if e := checkQoS(req.MTULimit, req.ServiceLevel); e != nil {
		return nil, e
	}
	p.mtuLimit = *req.MTULimit
	if req.ServiceLevel != nil {
		p.serviceLevel = *req.ServiceLevel
	}
	if req.RateLimit != nil {
		p.rateLimit = *req.RateLimit
	}
	d.touchLocked()
	return map[string]any{}, nil
}

func (d *Device) removeGUIDs(pkey, csv string) (any, *apiError) {
	k, e := parsePKey(pkey, false)
	if e != nil {
		return nil, e
	}
	p, ok := d.parts[k]
	if !ok {
		return nil, errorf(http.StatusNotFound, "PKey 0x%x not found", k)
	}
	var gs []string
	for _, s := range strings.Split(csv, ",") {
		g, e := parseGUID(s)
		if e != nil {
			return nil, e
		}
		gs = append(gs, g)
	}
	for _, g := range gs {
		delete(p.members, g) // an absent GUID is no error
	}
	d.touchLocked()
	return map[string]any{}, nil
}

func (d *Device) delete(pkey string) (any, *apiError) {
	k, e := parsePKey(pkey, false)
	if e != nil {
		return nil, e
	}
	p, ok := d.parts[k]
	if !ok {
		return nil, errorf(http.StatusNotFound, "PKey 0x%x not found", k)
	}
	if n := len(p.members); n > 0 {
		return nil, errorf(http.StatusBadRequest, "PKey 0x%x has %d GUIDs: remove them before deleting the PKey", k, n)
	}
	delete(d.parts, k)
	d.touchLocked()
	return map[string]any{}, nil
}
