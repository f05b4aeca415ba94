package redfishtest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/railyard/railyard/internal/discovery"
)

// Credentials the server accepts unless WithCredentials says otherwise.
const (
	DefaultUsername = "admin"
	DefaultPassword = "Test-Pa55w0rd"
)

const (
	root            = "/redfish/v1"
	defaultSessions = root + "/SessionService/Sessions"
)

// Fault is a way for a resource to misbehave.
type Fault int

// Faults.
const (
	// NoFault serves the resource normally (clears a fault).
	NoFault Fault = iota
	// BadJSON answers 200 with a body that is not JSON.
	BadJSON
	// Truncated announces the full Content-Length, sends half the body and
	// closes the connection.
	Truncated
	// InternalError answers 500 with a Redfish error body.
	InternalError
	// Hang never answers: the request waits until the client gives up or
	// the server is closed.
	Hang
)

func (f Fault) String() string {
	switch f {
	case NoFault:
		return "none"
	case BadJSON:
		return "bad-json"
	case Truncated:
		return "truncated"
	case InternalError:
		return "internal-error"
	case Hang:
		return "hang"
	}
	return "fault(" + strconv.Itoa(int(f)) + ")"
}

// An Option configures a Server.
type Option func(*Server)

// WithCredentials sets the only user name and password the server accepts
// (default DefaultUsername, DefaultPassword).
func WithCredentials(user, pass string) Option {
	return func(s *Server) { s.user, s.pass = user, pass }
}

// WithLatency delays every request by d.
func WithLatency(d time.Duration) Option {
	return func(s *Server) { s.latency = d }
}

// WithFault makes every request for path misbehave as f. Paths are given
// with or without the /redfish/v1 prefix.
func WithFault(path string, f Fault) Option {
	return func(s *Server) { s.faults[clean(path)] = f }
}

// WithPlainHTTP serves plain HTTP instead of TLS.
func WithPlainHTTP() Option {
	return func(s *Server) { s.plain = true }
}

// Server is a running fake Redfish service.
type Server struct {
	// URL is the base URL, https://127.0.0.1:port (http:// with
	// WithPlainHTTP), without a trailing slash.
	URL string

	ts      *httptest.Server
	plain   bool
	user    string
	pass    string
	latency time.Duration
	closing chan struct{}
	closed  sync.Once

	requests atomic.Int64

	mu       sync.Mutex
	docs     map[string]any    // path → decoded JSON document
	xml      map[string][]byte // path → $metadata documents
	raw      map[string][]byte // path → body served verbatim (SetRaw)
	faults   map[string]Fault
	sessions map[string]session // token → session
	nextID   int
	resets   []ResetEvent

	// Firmware update (update.go).
	updatePath   string // the UpdateService
	tasksPath    string // the TaskService's Tasks collection
	tasks        []*fwTask
	nextTask     int
	taskDuration time.Duration
	holdTasks    bool
	taskFailure  string
	rejectCode   int
	rejectMsg    string
	noMultipart  bool
}

type session struct {
	id, path, user string
}

// ResetEvent records one ComputerSystem.Reset the server carried out.
type ResetEvent struct {
	System    string // the system's path
	ResetType string
	From, To  string // PowerState before and after
	// Cycled is true when the reset took power away and gave it back
	// (ForceRestart, GracefulRestart, PowerCycle on a running system).
	Cycled bool
}

// New loads the mockup in dir and starts serving it over TLS (see
// WithPlainHTTP). It panics if the mockup cannot be read, like httptest.
// Close the server when done.
func New(dir string, opts ...Option) *Server {
	s := &Server{
		user:     DefaultUsername,
		pass:     DefaultPassword,
		closing:  make(chan struct{}),
		docs:     map[string]any{},
		xml:      map[string][]byte{},
		raw:      map[string][]byte{},
		faults:   map[string]Fault{},
		sessions: map[string]session{},
	}
	for _, o := range opts {
		o(s)
	}
	if err := s.load(dir); err != nil {
		panic("redfishtest: " + err.Error())
	}
	s.addUpdateService()
	s.ts = httptest.NewUnstartedServer(s)
	// Clients that give up mid-handshake (timeouts, Close) are expected
	// here; do not log them.
	s.ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	if s.plain {
		s.ts.Start()
	} else {
		s.ts.StartTLS()
	}
	s.URL = s.ts.URL
	return s
}

// load reads every <dir>/<path>/index.json (and $metadata/index.xml).
func (s *Server) load(dir string) error {
	return filepath.WalkDir(dir, func(file string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() || name != "index.json" && name != "index.xml" {
			return nil
		}
		rel, err := filepath.Rel(dir, filepath.Dir(file))
		if err != nil {
			return err
		}
		p := clean(filepath.ToSlash(rel))
		b, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		if name == "index.xml" {
			s.xml[p] = b
			return nil
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("%s: %v", file, err)
		}
		s.docs[p] = v
		return nil
	})
}

// Close stops the server, releasing requests held by Hang faults.
func (s *Server) Close() {
	s.closed.Do(func() {
		close(s.closing)
		s.ts.CloseClientConnections()
		s.ts.Close()
	})
}

// Host is the address the server listens on (127.0.0.1).
func (s *Server) Host() string {
	h, _, _ := net.SplitHostPort(s.ts.Listener.Addr().String())
	return h
}

// Port is the port the server listens on.
func (s *Server) Port() int {
	return s.ts.Listener.Addr().(*net.TCPAddr).Port
}

// TargetURL is the discovery target for this server:
// redfish://127.0.0.1:port, or redfish+http://... with WithPlainHTTP.
func (s *Server) TargetURL() string {
	return s.scheme() + "://" + net.JoinHostPort(s.Host(), strconv.Itoa(s.Port()))
}

// Target is the parsed TargetURL. A TLS server's certificate is
// self-signed, so the target is marked Insecure.
func (s *Server) Target() discovery.Target {
	return discovery.Target{Scheme: s.scheme(), Host: s.Host(), Port: s.Port(), Insecure: !s.plain}
}

// Credentials are the credentials the server accepts.
func (s *Server) Credentials() discovery.Credentials {
	return discovery.Credentials{Username: s.user, Password: s.pass}
}

func (s *Server) scheme() string {
	if s.plain {
		return "redfish+http"
	}
	return "redfish"
}

// Handler serves the fake without a listener (for in-process clients).
func (s *Server) Handler() http.Handler { return s }

// Requests counts the requests served so far.
func (s *Server) Requests() int64 { return s.requests.Load() }

// ActiveSessions counts the sessions created and not yet deleted.
func (s *Server) ActiveSessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// SetFault changes how requests for path misbehave (NoFault clears it).
func (s *Server) SetFault(path string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f == NoFault {
		delete(s.faults, clean(path))
	} else {
		s.faults[clean(path)] = f
	}
}

// SetRaw makes GET path answer 200 with body verbatim, whatever it is (nil
// goes back to the mockup's document). The path needs no document of its
// own, so SetRaw can also add resources.
func (s *Server) SetRaw(path string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if body == nil {
		delete(s.raw, clean(path))
	} else {
		s.raw[clean(path)] = slices.Clone(body)
	}
}

// Resource returns a copy of the document at path.
func (s *Server) Resource(path string) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.docs[clean(path)].(map[string]any)
	if !ok {
		return nil, false
	}
	return deepCopy(m).(map[string]any), true
}

// Patch merges patch into the document at path as a JSON merge patch
// (RFC 7386: a nil value deletes the member). The path must exist.
func (s *Server) Patch(path string, patch map[string]any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := clean(path)
	doc, ok := s.docs[p].(map[string]any)
	if !ok {
		return fmt.Errorf("redfishtest: no resource %s", p)
	}
	s.docs[p] = mergePatch(doc, deepCopy(patch).(map[string]any))
	return nil
}

// PowerState is the PowerState of the system at path.
func (s *Server) PowerState(path string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	doc, _ := s.docs[clean(path)].(map[string]any)
	st, _ := doc["PowerState"].(string)
	return st
}

// ResetLog lists the resets carried out, oldest first.
func (s *Server) ResetLog() []ResetEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.resets)
}

// clean turns a request or option path into the key of a resource:
// /redfish/v1/Systems/1 for "Systems/1", "/redfish/v1/Systems/1/" and so on.
func clean(p string) string {
	p, _, _ = strings.Cut(p, "?")
	p = strings.Trim(p, "/")
	switch {
	case p == "" || p == ".":
		return root
	case p == "redfish":
		return "/redfish"
	case p == "redfish/v1" || strings.HasPrefix(p, "redfish/v1/"):
		return "/" + p
	}
	return root + "/" + p
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	if s.latency > 0 && !s.wait(r, time.After(s.latency)) {
		return
	}
	p := clean(r.URL.Path)
	s.mu.Lock()
	s.advance(time.Now())
	via := s.uploadVia(r.URL.Path)
	s.mu.Unlock()
	if via != "" && !strings.HasPrefix(r.URL.Path, "/redfish") {
		p = strings.TrimRight(r.URL.Path, "/")
	} else if !strings.HasPrefix(r.URL.Path, "/redfish") {
		writeError(w, http.StatusNotFound, "Base.1.8.ResourceMissingAtURI", "no resource at "+r.URL.Path)
		return
	}

	s.mu.Lock()
	sessionsPath := s.sessionsPath()
	public := p == "/redfish" || p == root || p == root+"/odata" || p == root+"/$metadata" ||
		p == sessionsPath && r.Method == http.MethodPost
	authorized := public || s.authorized(r)
	fault := s.faults[p]
	s.mu.Unlock()

	if !authorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="Redfish"`)
		writeError(w, http.StatusUnauthorized, "Base.1.8.NoValidSession", "authentication required")
		return
	}
	if fault != NoFault {
		s.fail(w, r, p, fault)
		return
	}

	switch {
	case via != "" && r.Method == http.MethodPost:
		s.upload(w, r, via)
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		s.get(w, p, sessionsPath)
	case r.Method == http.MethodPost && p == sessionsPath:
		s.login(w, r, p)
	case r.Method == http.MethodPost && strings.HasSuffix(p, "/Actions/ComputerSystem.Reset"):
		s.reset(w, r, strings.TrimSuffix(p, "/Actions/ComputerSystem.Reset"))
	case r.Method == http.MethodPatch:
		s.patch(w, r, p)
	case r.Method == http.MethodDelete:
		s.logout(w, p)
	default:
		writeError(w, http.StatusMethodNotAllowed, "Base.1.8.OperationNotAllowed", r.Method+" is not allowed on "+p)
	}
}

// wait blocks until ch fires; it reports false when the client or the
// server gave up first.
func (s *Server) wait(r *http.Request, ch <-chan time.Time) bool {
	select {
	case <-ch:
		return true
	case <-r.Context().Done():
	case <-s.closing:
	}
	return false
}

// sessionsPath is where sessions are created: the service root's
// Links.Sessions, or the DSP0266 default. Callers hold s.mu.
func (s *Server) sessionsPath() string {
	rootDoc, _ := s.docs[root].(map[string]any)
	links, _ := rootDoc["Links"].(map[string]any)
	sess, _ := links["Sessions"].(map[string]any)
	if id, _ := sess["@odata.id"].(string); id != "" {
		return clean(id)
	}
	return defaultSessions
}

// authorized checks the request's token or basic credentials. Callers hold
// s.mu.
func (s *Server) authorized(r *http.Request) bool {
	if tok := r.Header.Get("X-Auth-Token"); tok != "" {
		_, ok := s.sessions[tok]
		return ok
	}
	u, p, ok := r.BasicAuth()
	return ok && u == s.user && p == s.pass
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, p string, f Fault) {
	switch f {
	case BadJSON:
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"@odata.id": %q, "Id": <html>oops</html>`, p)
	case Truncated:
		s.mu.Lock()
		body := s.body(p)
		s.mu.Unlock()
		if body == nil {
			body = []byte(fmt.Sprintf(`{"@odata.id": %q, "Name": "truncated resource, padded so half of it is not JSON"}`, p))
		}
		hj, ok := w.(http.Hijacker)
		if !ok {
			writeError(w, http.StatusInternalServerError, "Base.1.8.InternalError", "cannot truncate: no hijacker")
			return
		}
		conn, buf, err := hj.Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
		buf.Write(body[:len(body)/2])
		buf.Flush()
	case InternalError:
		writeError(w, http.StatusInternalServerError, "Base.1.8.InternalError", "the service encountered an internal error")
	case Hang:
		s.wait(r, nil)
	}
}

// body renders the document at p, or nil. Callers hold s.mu.
func (s *Server) body(p string) []byte {
	if b, ok := s.raw[p]; ok {
		return b
	}
	doc, ok := s.docs[p]
	if !ok {
		return nil
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic(err) // documents come from JSON, so they render as JSON
	}
	return b
}

func (s *Server) get(w http.ResponseWriter, p, sessionsPath string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p == "/redfish" {
		writeJSON(w, http.StatusOK, map[string]any{"v1": root + "/"})
		return
	}
	if b, ok := s.xml[p]; ok {
		w.Header().Set("Content-Type", "application/xml")
		w.Write(b)
		return
	}
	if p == sessionsPath {
		writeJSON(w, http.StatusOK, s.sessionCollection(p))
		return
	}
	if sess, ok := s.sessionAt(p); ok {
		writeJSON(w, http.StatusOK, sessionDoc(sess))
		return
	}
	if s.monitor(w, p) {
		return
	}
	b := s.body(p)
	if b == nil {
		writeError(w, http.StatusNotFound, "Base.1.8.ResourceMissingAtURI", "no resource at "+p)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("OData-Version", "4.0")
	w.Write(b)
}

func (s *Server) sessionCollection(p string) map[string]any {
	var members []any
	for _, sess := range s.sessionList() {
		members = append(members, map[string]any{"@odata.id": sess.path})
	}
	return map[string]any{
		"@odata.id":           p,
		"@odata.type":         "#SessionCollection.SessionCollection",
		"Name":                "Session Collection",
		"Members":             members,
		"Members@odata.count": len(members),
	}
}

// sessionList is the live sessions in creation order. Callers hold s.mu.
func (s *Server) sessionList() []session {
	out := make([]session, 0, len(s.sessions))
	for _, sess := range s.sessions {
		out = append(out, sess)
	}
	slices.SortFunc(out, func(a, b session) int {
		na, _ := strconv.Atoi(a.id)
		nb, _ := strconv.Atoi(b.id)
		return na - nb
	})
	return out
}

// sessionAt finds the live session whose resource is p. Callers hold s.mu.
func (s *Server) sessionAt(p string) (session, bool) {
	for _, sess := range s.sessions {
		if sess.path == p {
			return sess, true
		}
	}
	return session{}, false
}

func sessionDoc(sess session) map[string]any {
	return map[string]any{
		"@odata.id":   sess.path,
		"@odata.type": "#Session.v1_7_0.Session",
		"Id":          sess.id,
		"Name":        "User Session",
		"UserName":    sess.user,
	}
}

func (s *Server) login(w http.ResponseWriter, r *http.Request, p string) {
	var req struct{ UserName, Password string }
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "Base.1.8.MalformedJSON", "the request body is not JSON: "+err.Error())
		return
	}
	if req.UserName != s.user || req.Password != s.pass {
		writeError(w, http.StatusUnauthorized, "Base.1.8.NoValidSession", "wrong user name or password")
		return
	}
	var tok [16]byte
	rand.Read(tok[:])
	s.mu.Lock()
	s.nextID++
	sess := session{id: strconv.Itoa(s.nextID), user: req.UserName}
	sess.path = p + "/" + sess.id
	s.sessions[hex.EncodeToString(tok[:])] = sess
	s.mu.Unlock()
	w.Header().Set("X-Auth-Token", hex.EncodeToString(tok[:]))
	w.Header().Set("Location", sess.path)
	writeJSON(w, http.StatusCreated, sessionDoc(sess))
}

func (s *Server) logout(w http.ResponseWriter, p string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for tok, sess := range s.sessions {
		if sess.path == p {
			delete(s.sessions, tok)
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	if _, ok := s.docs[p]; ok {
		writeError(w, http.StatusMethodNotAllowed, "Base.1.8.OperationNotAllowed", "DELETE is not allowed on "+p)
		return
	}
	writeError(w, http.StatusNotFound, "Base.1.8.ResourceMissingAtURI", "no resource at "+p)
}

// reset carries out ComputerSystem.Reset on the system at sys.
func (s *Server) reset(w http.ResponseWriter, r *http.Request, sys string) {
	var req struct{ ResetType string }
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "Base.1.8.MalformedJSON", "the request body is not JSON: "+err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	doc, ok := s.docs[sys].(map[string]any)
	if !ok {
		writeError(w, http.StatusNotFound, "Base.1.8.ResourceMissingAtURI", "no system at "+sys)
		return
	}
	actions, _ := doc["Actions"].(map[string]any)
	action, _ := actions["#ComputerSystem.Reset"].(map[string]any)
	if allowed, ok := action["ResetType@Redfish.AllowableValues"].([]any); ok && !slices.Contains(allowed, any(req.ResetType)) {
		writeError(w, http.StatusBadRequest, "Base.1.8.ActionParameterValueNotInList",
			fmt.Sprintf("ResetType %q is not one of %v", req.ResetType, allowed))
		return
	}
	from, _ := doc["PowerState"].(string)
	if from == "" {
		from = "On"
	}
	to, cycled := from, false
	switch req.ResetType {
	case "On", "ForceOn":
		to = "On"
	case "ForceOff", "GracefulShutdown":
		to = "Off"
	case "PushPowerButton":
		to = map[string]string{"On": "Off", "Off": "On"}[from]
	case "ForceRestart", "GracefulRestart", "PowerCycle":
		if from != "On" && req.ResetType != "PowerCycle" {
			writeError(w, http.StatusConflict, "Base.1.8.OperationNotAllowed",
				fmt.Sprintf("%s needs the system to be on; it is %s", req.ResetType, from))
			return
		}
		to, cycled = "On", from == "On"
	case "Nmi":
	default:
		writeError(w, http.StatusBadRequest, "Base.1.8.ActionParameterValueNotInList",
			fmt.Sprintf("ResetType %q is not supported", req.ResetType))
		return
	}
	doc["PowerState"] = to
	s.resets = append(s.resets, ResetEvent{System: sys, ResetType: req.ResetType, From: from, To: to, Cycled: cycled})
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) patch(w http.ResponseWriter, r *http.Request, p string) {
	var patch map[string]any
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.UseNumber()
	if err := dec.Decode(&patch); err != nil {
		writeError(w, http.StatusBadRequest, "Base.1.8.MalformedJSON", "the request body is not a JSON object")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	doc, ok := s.docs[p].(map[string]any)
	if !ok {
		writeError(w, http.StatusNotFound, "Base.1.8.ResourceMissingAtURI", "no resource at "+p)
		return
	}
	// Check boot override targets against the values the system allows,
	// as a BMC would.
	if boot, ok := patch["Boot"].(map[string]any); ok {
		if target, ok := boot["BootSourceOverrideTarget"]; ok {
			cur, _ := doc["Boot"].(map[string]any)
			if allowed, ok := cur["BootSourceOverrideTarget@Redfish.AllowableValues"].([]any); ok && !slices.Contains(allowed, target) {
				writeError(w, http.StatusBadRequest, "Base.1.8.PropertyValueNotInList",
					fmt.Sprintf("BootSourceOverrideTarget %v is not one of %v", target, allowed))
				return
			}
		}
	}
	s.docs[p] = mergePatch(doc, patch)
	writeJSON(w, http.StatusOK, s.docs[p])
}

// mergePatch applies an RFC 7386 merge patch to doc.
func mergePatch(doc map[string]any, patch map[string]any) map[string]any {
	for k, v := range patch {
		switch pv := v.(type) {
		case nil:
			delete(doc, k)
		case map[string]any:
			cur, ok := doc[k].(map[string]any)
			if !ok {
				cur = map[string]any{}
			}
			doc[k] = mergePatch(cur, pv)
		default:
			doc[k] = v
		}
	}
	return doc
}

func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, e := range v {
			s[i] = deepCopy(e)
		}
		return s
	}
	return v
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("OData-Version", "4.0")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// writeError answers with a Redfish error response (DSP0266 §9.6).
func writeError(w http.ResponseWriter, code int, id, msg string) {
	writeJSON(w, code, map[string]any{"error": map[string]any{
		"code":    id,
		"message": msg,
		"@Message.ExtendedInfo": []any{map[string]any{
			"@odata.type": "#Message.v1_1_1.Message",
			"MessageId":   id,
			"Message":     msg,
			"Severity":    "Critical",
		}},
	}})
}
