package redfishtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Firmware update, after DSP0266 "Software update" and "Asynchronous
// operations" (see the package comment).

// Upload methods, as Task.Via reports them.
const (
	ViaMultipart = "multipart" // POST to MultipartHttpPushUri
	ViaPush      = "push"      // POST to HttpPushUri
)

// DefaultMaxImageSize is the MaxImageSizeBytes the server advertises when
// the mockup's UpdateService names none.
const DefaultMaxImageSize = 16 << 20

// Task states the server's firmware tasks go through.
const (
	TaskNew       = "New"
	TaskRunning   = "Running"
	TaskCompleted = "Completed"
	TaskException = "Exception"
)

// WithTaskDuration makes a firmware task run for d before it completes
// (default 0: it is New in the answer to the upload and finished at the
// next request). PercentComplete grows with the time spent.
func WithTaskDuration(d time.Duration) Option {
	return func(s *Server) { s.taskDuration = d }
}

// WithHeldTasks keeps firmware tasks Running until FinishTask or FailTask
// ends them.
func WithHeldTasks() Option {
	return func(s *Server) { s.holdTasks = true }
}

// WithTaskFailure makes every firmware task end in TaskState Exception
// (TaskStatus Critical) with message among its Messages, leaving the
// firmware inventory as it was.
func WithTaskFailure(message string) Option {
	return func(s *Server) { s.taskFailure = message }
}

// WithUploadRejected makes every upload fail with HTTP status code and a
// Redfish error carrying message, and start no task.
func WithUploadRejected(code int, message string) Option {
	return func(s *Server) { s.rejectCode, s.rejectMsg = code, message }
}

// WithoutMultipartPush leaves MultipartHttpPushUri out of the
// UpdateService, so that clients must use HttpPushUri.
func WithoutMultipartPush() Option {
	return func(s *Server) { s.noMultipart = true }
}

// Image returns a firmware image the server understands: lines of
// key=value, "component=<FirmwareInventory Id>" (optional: what the image
// is for) and "version=<new Version>". An image that is not key=value
// lines is taken as the bare version (its first line), for any component.
func Image(component, version string) []byte {
	var b strings.Builder
	if component != "" {
		b.WriteString("component=" + component + "\n")
	}
	b.WriteString("version=" + version + "\n")
	return []byte(b.String())
}

// parseImage reads what Image writes.
func parseImage(b []byte) (component, version string) {
	if !utf8.Valid(b) {
		return "", ""
	}
	text := string(b)
	if !strings.Contains(text, "=") {
		first, _, _ := strings.Cut(text, "\n")
		return "", strings.TrimSpace(first)
	}
	for _, line := range strings.Split(text, "\n") {
		k, v, _ := strings.Cut(line, "=")
		switch strings.TrimSpace(k) {
		case "component":
			component = strings.TrimSpace(v)
		case "version":
			version = strings.TrimSpace(v)
		}
	}
	return component, version
}

// Task is a firmware task the server started.
type Task struct {
	ID      string
	State   string // TaskNew, TaskRunning, TaskCompleted or TaskException
	Percent int
	Via     string   // ViaMultipart or ViaPush
	Targets []string // the FirmwareInventory members it updates
	// ApplyTime is the @Redfish.OperationApplyTime the client asked for
	// ("" for none). The server applies every update at once.
	ApplyTime string
	Version   string // what the image carries
	Size      int    // the image's size in bytes
}

type fwTask struct {
	Task
	path, monitor string
	start, end    time.Time
	duration      time.Duration
	held, now     bool   // held until FinishTask; now: finish at the next look
	failure       string // why the task fails, "" when it succeeds
	messages      []any
}

func (t *fwTask) final() bool { return t.State == TaskCompleted || t.State == TaskException }

// Tasks lists the firmware tasks started so far, oldest first.
func (s *Server) Tasks() []Task {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(time.Now())
	out := make([]Task, len(s.tasks))
	for i, t := range s.tasks {
		out[i] = t.Task
		out[i].Targets = slices.Clone(t.Targets)
	}
	return out
}

// FinishTask ends a firmware task now: it completes, or fails if it was
// going to.
func (s *Server) FinishTask(id string) error {
	return s.endTask(id, "")
}

// FailTask ends a firmware task now in TaskState Exception with message.
func (s *Server) FailTask(id, message string) error {
	if message == "" {
		message = "the update failed"
	}
	return s.endTask(id, message)
}

func (s *Server) endTask(id, failure string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tasks {
		if t.ID != id {
			continue
		}
		if t.final() {
			return fmt.Errorf("redfishtest: task %s has already ended (%s)", id, t.State)
		}
		t.now = true
		if failure != "" {
			t.failure = failure
		}
		s.advance(time.Now())
		return nil
	}
	return fmt.Errorf("redfishtest: no firmware task %s", id)
}

// FirmwareVersion is the Version of the FirmwareInventory member whose Id
// is component (compared without regard to case), or "".
func (s *Server) FirmwareVersion(component string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(time.Now())
	p := s.inventoryItem(component)
	doc, _ := s.docs[p].(map[string]any)
	v, _ := doc["Version"].(string)
	return v
}

// addUpdateService gives the mockup what firmware update needs where it
// lacks it: the service root's UpdateService and Tasks links, the
// UpdateService with MultipartHttpPushUri (unless WithoutMultipartPush),
// HttpPushUri and MaxImageSizeBytes, a FirmwareInventory with BMC and BIOS
// members, the TaskService and its Tasks collection.
func (s *Server) addUpdateService() {
	rootDoc, ok := s.docs[root].(map[string]any)
	if !ok {
		return
	}
	s.updatePath = s.ensureLink(rootDoc, "UpdateService", root+"/UpdateService", map[string]any{
		"@odata.type":    "#UpdateService.v1_11_0.UpdateService",
		"Id":             "UpdateService",
		"Name":           "Update Service",
		"ServiceEnabled": true,
		"Status":         map[string]any{"State": "Enabled", "Health": "OK"},
	})
	us := s.docs[s.updatePath].(map[string]any)
	inv := s.ensureLink(us, "FirmwareInventory", s.updatePath+"/FirmwareInventory", map[string]any{
		"@odata.type": "#SoftwareInventoryCollection.SoftwareInventoryCollection",
		"Name":        "Firmware Inventory Collection",
	})
	if coll := s.docs[inv].(map[string]any); coll["Members"] == nil {
		for _, item := range []struct{ id, name string }{{"BMC", "BMC Firmware"}, {"BIOS", "BIOS Firmware"}} {
			p := inv + "/" + item.id
			s.docs[p] = map[string]any{
				"@odata.id":   p,
				"@odata.type": "#SoftwareInventory.v1_10_0.SoftwareInventory",
				"Id":          item.id,
				"Name":        item.name,
				"Version":     "1.0.0",
				"Updateable":  true,
				"Status":      map[string]any{"State": "Enabled", "Health": "OK"},
			}
			addMember(coll, p)
		}
	}
	if s.noMultipart {
		delete(us, "MultipartHttpPushUri")
	} else if _, ok := us["MultipartHttpPushUri"].(string); !ok {
		us["MultipartHttpPushUri"] = s.updatePath + "/update-multipart"
	}
	if _, ok := us["HttpPushUri"].(string); !ok {
		us["HttpPushUri"] = s.updatePath + "/update"
	}
	if _, ok := us["MaxImageSizeBytes"]; !ok {
		us["MaxImageSizeBytes"] = DefaultMaxImageSize
	}
	ts := s.ensureLink(rootDoc, "Tasks", root+"/TaskService", map[string]any{
		"@odata.type":    "#TaskService.v1_2_0.TaskService",
		"Id":             "TaskService",
		"Name":           "Task Service",
		"ServiceEnabled": true,
		"Status":         map[string]any{"State": "Enabled", "Health": "OK"},
	})
	s.tasksPath = s.ensureLink(s.docs[ts].(map[string]any), "Tasks", ts+"/Tasks", map[string]any{
		"@odata.type": "#TaskCollection.TaskCollection",
		"Name":        "Task Collection",
		"Members":     []any{},
	})
}

// ensureLink returns the resource doc[key] links to, first adding the link
// (to def) and the resource (doc, with its @odata.id) where missing.
func (s *Server) ensureLink(doc map[string]any, key, def string, res map[string]any) string {
	l, _ := doc[key].(map[string]any)
	p, _ := l["@odata.id"].(string)
	if p == "" {
		p = def
		doc[key] = map[string]any{"@odata.id": p}
	}
	p = clean(p)
	if _, ok := s.docs[p].(map[string]any); !ok {
		res["@odata.id"] = p
		s.docs[p] = res
	}
	return p
}

// addMember appends a link to p to a collection.
func addMember(coll map[string]any, p string) {
	members, _ := coll["Members"].([]any)
	members = append(members, map[string]any{"@odata.id": p})
	coll["Members"] = members
	coll["Members@odata.count"] = len(members)
}

// updateDoc is the UpdateService document (nil if a test removed it).
// Callers hold s.mu.
func (s *Server) updateDoc() map[string]any {
	us, _ := s.docs[s.updatePath].(map[string]any)
	return us
}

// inventory lists the paths of the FirmwareInventory members. Callers hold
// s.mu.
func (s *Server) inventory() []string {
	l, _ := s.updateDoc()["FirmwareInventory"].(map[string]any)
	p, _ := l["@odata.id"].(string)
	coll, _ := s.docs[clean(p)].(map[string]any)
	members, _ := coll["Members"].([]any)
	var out []string
	for _, m := range members {
		mm, _ := m.(map[string]any)
		if id, ok := mm["@odata.id"].(string); ok {
			out = append(out, clean(id))
		}
	}
	return out
}

// inventoryItem finds the member whose Id is component. Callers hold s.mu.
func (s *Server) inventoryItem(component string) string {
	for _, p := range s.inventory() {
		if strings.EqualFold(path.Base(p), component) {
			return p
		}
	}
	return ""
}

// uploadVia tells whether a request path is where the UpdateService takes
// uploads: ViaMultipart, ViaPush or "". Callers hold s.mu.
func (s *Server) uploadVia(reqPath string) string {
	us := s.updateDoc()
	for _, u := range []struct{ key, via string }{{"MultipartHttpPushUri", ViaMultipart}, {"HttpPushUri", ViaPush}} {
		if p, _ := us[u.key].(string); p != "" && samePath(reqPath, p) {
			return u.via
		}
	}
	return ""
}

// samePath compares a request's path with an advertised URI, which may lie
// outside /redfish (the DMTF mockups' HttpPushUri is /FWUpdate).
func samePath(reqPath, uri string) bool {
	if strings.HasPrefix(uri, "/redfish") {
		return strings.HasPrefix(reqPath, "/redfish") && clean(reqPath) == clean(uri)
	}
	return strings.TrimRight(reqPath, "/") == strings.TrimRight(uri, "/")
}

var errTooLarge = errors.New("too large")

// upload takes an image and starts a task.
func (s *Server) upload(w http.ResponseWriter, r *http.Request, via string) {
	s.mu.Lock()
	code, msg := s.rejectCode, s.rejectMsg
	limit := int64(DefaultMaxImageSize)
	if n, err := strconv.ParseInt(fmt.Sprint(s.updateDoc()["MaxImageSizeBytes"]), 10, 64); err == nil && n > 0 {
		limit = n
	}
	pushTargets, _ := s.updateDoc()["HttpPushUriTargets"].([]any)
	s.mu.Unlock()
	if code != 0 {
		// Read the upload first: a client still sending when the answer
		// comes may see a broken connection instead of the answer.
		io.Copy(io.Discard, io.LimitReader(r.Body, limit+1))
		writeError(w, code, "Base.1.8.GeneralError", msg)
		return
	}

	var (
		targets   []string
		applyTime string
		image     []byte
		err       error
	)
	if via == ViaMultipart {
		targets, applyTime, image, err = readMultipart(r, limit)
	} else {
		image, err = readLimited(r.Body, limit)
		for _, t := range pushTargets {
			ts, ok := t.(string)
			if !ok {
				err = fmt.Errorf("HttpPushUriTargets holds %v, not a URI", t)
				break
			}
			targets = append(targets, ts)
		}
	}
	switch {
	case errors.Is(err, errTooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, "Base.1.8.GeneralError",
			fmt.Sprintf("the image is larger than MaxImageSizeBytes, %d", limit))
		return
	case err != nil:
		writeError(w, http.StatusBadRequest, "Base.1.8.ActionParameterMissing", err.Error())
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	inv := s.inventory()
	for i, t := range targets {
		targets[i] = clean(t)
		doc, _ := s.docs[targets[i]].(map[string]any)
		if !slices.Contains(inv, targets[i]) {
			writeError(w, http.StatusBadRequest, "Base.1.8.ActionParameterValueNotInList",
				fmt.Sprintf("the target %s is not a member of the FirmwareInventory", t))
			return
		}
		if doc["Updateable"] == false {
			writeError(w, http.StatusBadRequest, "Base.1.8.ActionParameterValueNotInList",
				fmt.Sprintf("the target %s cannot be updated", t))
			return
		}
	}

	component, version := parseImage(image)
	t := &fwTask{
		Task:     Task{State: TaskNew, Via: via, ApplyTime: applyTime, Version: version, Size: len(image)},
		start:    time.Now(),
		duration: s.taskDuration,
		held:     s.holdTasks,
		failure:  s.taskFailure,
	}
	item := s.inventoryItem(component)
	switch {
	case version == "":
		t.failure = "the image failed verification: it carries no version"
	case component != "" && item == "":
		t.failure = fmt.Sprintf("the image is for %s, which this system does not have", component)
	case component != "" && len(targets) > 0 && !slices.Equal(targets, []string{item}):
		t.failure = fmt.Sprintf("the image is for %s, not for %s", item, strings.Join(targets, ", "))
	case len(targets) == 0 && component == "":
		t.failure = "the image does not say what it is for and the request names no Targets"
	}
	if len(targets) == 0 && item != "" {
		targets = []string{item}
	}
	t.Targets = targets
	for {
		s.nextTask++
		t.ID = strconv.Itoa(s.nextTask)
		t.path = s.tasksPath + "/" + t.ID
		if _, taken := s.docs[t.path]; !taken {
			break
		}
	}
	t.monitor = t.path + "/Monitor"
	t.messages = []any{message("TaskEvent.1.0.TaskStarted", "OK", fmt.Sprintf("The task with Id '%s' has started.", t.ID), t.ID)}
	s.tasks = append(s.tasks, t)
	s.docs[t.path] = t.doc()
	if coll, ok := s.docs[s.tasksPath].(map[string]any); ok {
		addMember(coll, t.path)
	}
	w.Header().Set("Location", t.monitor)
	w.Header().Set("Retry-After", "1")
	writeJSON(w, http.StatusAccepted, t.doc())
}

// readMultipart reads a multipart/form-data upload: its UpdateParameters
// and UpdateFile parts (other parts, such as OEM ones, are skipped).
func readMultipart(r *http.Request, limit int64) (targets []string, applyTime string, image []byte, err error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return nil, "", nil, fmt.Errorf("the upload is %q, not multipart/form-data", r.Header.Get("Content-Type"))
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, "", nil, err
	}
	var params, file bool
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, "", nil, fmt.Errorf("reading the multipart upload: %v", err)
		}
		switch part.FormName() {
		case "UpdateParameters":
			var p struct {
				Targets   []string
				ApplyTime string `json:"@Redfish.OperationApplyTime"`
			}
			if err := json.NewDecoder(io.LimitReader(part, 1<<20)).Decode(&p); err != nil {
				return nil, "", nil, fmt.Errorf("UpdateParameters is not the JSON object DSP0266 asks for: %v", err)
			}
			targets, applyTime, params = p.Targets, p.ApplyTime, true
		case "UpdateFile":
			if image, err = readLimited(part, limit); err != nil {
				return nil, "", nil, err
			}
			file = true
		default:
			io.Copy(io.Discard, part)
		}
	}
	switch {
	case !params:
		return nil, "", nil, errors.New("the upload has no UpdateParameters part")
	case !file:
		return nil, "", nil, errors.New("the upload has no UpdateFile part")
	}
	return targets, applyTime, image, nil
}

func readLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading the image: %v", err)
	}
	if int64(len(b)) > limit {
		io.Copy(io.Discard, r)
		return nil, errTooLarge
	}
	return b, nil
}

// advance moves the firmware tasks on to where they stand at now. Callers
// hold s.mu.
func (s *Server) advance(now time.Time) {
	for _, t := range s.tasks {
		if t.final() {
			continue
		}
		elapsed := now.Sub(t.start)
		if t.now || !t.held && elapsed >= t.duration {
			s.finish(t)
		} else {
			t.State = TaskRunning
			if t.duration > 0 {
				t.Percent = min(99, int(elapsed*100/t.duration))
			}
		}
		s.docs[t.path] = t.doc()
	}
}

// finish ends a task, updating the inventory if it succeeds. Callers hold
// s.mu.
func (s *Server) finish(t *fwTask) {
	t.end = time.Now()
	if t.failure != "" {
		t.State = TaskException
		t.messages = append(t.messages,
			message("Update.1.0.ApplyFailed", "Critical", t.failure, "firmware.bin", strings.Join(t.Targets, ",")),
			message("TaskEvent.1.0.TaskAborted", "Critical", fmt.Sprintf("The task with Id '%s' has been aborted.", t.ID), t.ID))
		return
	}
	for _, p := range t.Targets {
		if doc, ok := s.docs[p].(map[string]any); ok {
			doc["Version"] = t.Version
		}
		t.messages = append(t.messages, message("Update.1.0.UpdateSuccessful", "OK",
			fmt.Sprintf("Device '%s' successfully updated on component '%s'.", path.Base(p), p), path.Base(p), p))
	}
	t.State, t.Percent = TaskCompleted, 100
	t.messages = append(t.messages, message("TaskEvent.1.0.TaskCompletedOK", "OK",
		fmt.Sprintf("The task with Id '%s' has completed.", t.ID), t.ID))
}

// doc renders the Task resource.
func (t *fwTask) doc() map[string]any {
	status := "OK"
	if t.State == TaskException {
		status = "Critical"
	}
	d := map[string]any{
		"@odata.id":       t.path,
		"@odata.type":     "#Task.v1_7_4.Task",
		"Id":              t.ID,
		"Name":            "Firmware update task " + t.ID,
		"TaskState":       t.State,
		"TaskStatus":      status,
		"PercentComplete": t.Percent,
		"StartTime":       t.start.UTC().Format(time.RFC3339),
		"TaskMonitor":     t.monitor,
		"Messages":        slices.Clone(t.messages),
	}
	if t.final() {
		d["EndTime"] = t.end.UTC().Format(time.RFC3339)
	}
	return d
}

func message(id, severity, text string, args ...string) map[string]any {
	a := make([]any, len(args))
	for i, s := range args {
		a[i] = s
	}
	return map[string]any{
		"@odata.type":     "#Message.v1_1_1.Message",
		"MessageId":       id,
		"Message":         text,
		"MessageArgs":     a,
		"MessageSeverity": severity,
		"Severity":        severity,
	}
}

// monitor answers a GET of a task monitor (DSP0266 "Asynchronous
// operations"): 202 with the Task while it runs, then what the upload
// would have answered had it been synchronous: 204, or an error response.
// Callers hold s.mu.
func (s *Server) monitor(w http.ResponseWriter, p string) bool {
	for _, t := range s.tasks {
		if t.monitor != p {
			continue
		}
		switch t.State {
		case TaskCompleted:
			w.WriteHeader(http.StatusNoContent)
		case TaskException:
			writeError(w, http.StatusInternalServerError, "Update.1.0.ApplyFailed", t.failure)
		default:
			w.Header().Set("Location", t.monitor)
			w.Header().Set("Retry-After", "1")
			writeJSON(w, http.StatusAccepted, t.doc())
		}
		return true
	}
	return false
}
