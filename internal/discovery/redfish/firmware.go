package redfish

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/stmcginnis/gofish/common"

	"github.com/railyard/railyard/internal/discovery"
)

// Firmware update goes through gofish, not bmclib: bmclib v2.3.5 cannot
// update a standard Redfish BMC.
//
//   - Its Redfish provider (ProviderName "gofish", the one power.go uses)
//     implements none of bmc.FirmwareInstaller, FirmwareInstallProvider,
//     FirmwareUploader, FirmwareTaskVerifier or FirmwareInstallVerifier.
//     Against redfishtest, Client.FirmwareInstall fails with "not a
//     FirmwareInstaller implementation: *redfish.Conn" and "no
//     FirmwareInstaller implementations found", and FirmwareTaskStatus,
//     FirmwareInstallStatus, FirmwareInstallUploadAndInitiate and
//     FirmwareUpload the same way, whether the registry holds only that
//     provider or every provider bmclib registers (the others drop out at
//     Open).
//   - The standard code exists (internal/redfishwrapper: FirmwareUpload
//     posts to MultipartHttpPushUri or HttpPushUri and reads the task id
//     from Location; TaskStatus reads a task), but it is internal to
//     bmclib and only vendor providers call it, each refusing other BMCs
//     at Open: dell wants a Dell manufacturer, openbmc the word OpenBMC in
//     the page at https://host/ (on port 443, whatever Redfish port it was
//     given). Even there it names no Targets (the image decides what is
//     updated), asks for OperationApplyTime OnReset, takes an *os.File,
//     refuses to start with less than ten minutes left on the context (or
//     with no deadline) or while another task is active (openbmc: any
//     task; dell: one for the same component), and finds a task by
//     fetching every task of the service. supermicro and
//     asrockrack speak their vendors' own non-Redfish APIs.
//
// So the upload and the task are done here, on a gofish session, as
// DSP0266 describes them ("Software update", "Asynchronous operations"):
//
//   - The image goes to the UpdateService's MultipartHttpPushUri as
//     multipart/form-data: an UpdateParameters part (application/json,
//     {"Targets": [...]}: the FirmwareInventory member named by component,
//     none to let the BMC decide; the apply time is left to the BMC's
//     default) and an UpdateFile part (application/octet-stream) streamed
//     from the caller's reader with an exact Content-Length (some BMCs
//     refuse chunked uploads). A service with only the older HttpPushUri
//     gets the image as the request body; a component is then named in
//     the UpdateService's HttpPushUriTargets, reserved with
//     HttpPushUriTargetsBusy for the time of the push.
//   - The answer is 202 Accepted with the task monitor in Location and,
//     usually, the Task in the body. The task id is read from the body's
//     @odata.id, else from Location (/redfish/v1/TaskService/Tasks/<id>,
//     or OpenBMC's .../Tasks/<id>/Monitor), else from a task URI among
//     the MessageArgs of the answer's messages (Supermicro).
//   - A task is read at /redfish/v1/TaskService/Tasks/<id>, the one place
//     the Task schema allows one (sub-tasks aside), so the id alone is
//     enough to resume following it from another process.

// tasksPath is the TaskCollection's URI (Task schema, Redfish.Uris).
const tasksPath = "/redfish/v1/TaskService/Tasks/"

const (
	// maxTaskID bounds a task id taken from a BMC or a caller.
	maxTaskID = 256
	// maxTaskMessage bounds FirmwareTaskStatus.Message.
	maxTaskMessage = 2048
)

var _ discovery.FirmwareUpdater = (*Source)(nil)

// FirmwareInstall uploads image (size bytes) to the BMC's UpdateService for
// component and returns the id of the task that installs it. component is
// the Id of a member of the UpdateService's FirmwareInventory ("BIOS",
// "BMC"), matched without regard to case, or a resource path
// ("/redfish/v1/Managers/bmc") for BMCs that want one; empty leaves it to
// the BMC to tell from the image.
func (s *Source) FirmwareInstall(ctx context.Context, t discovery.Target, c discovery.Credentials, component string, image io.Reader, size int64) (string, error) {
	switch {
	case image == nil:
		return "", discovery.Errorf(discovery.Failed, "redfish: no firmware image given")
	case size <= 0:
		return "", discovery.Errorf(discovery.Failed, "redfish: firmware image of %d bytes: nothing to install", size)
	}
	rc, err := connect(ctx, t, c)
	if err != nil {
		return "", err
	}
	defer rc.close()
	w := rc.walker()
	us, err := w.updateService()
	if err != nil {
		return "", err
	}
	if limit := us.doc.MaxImageSizeBytes; limit != nil && *limit > 0 && size > *limit {
		return "", discovery.Errorf(discovery.Failed, "%s: the image is %d bytes; the BMC takes at most %d (MaxImageSizeBytes)", us.uri, size, *limit)
	}
	var target string
	if component != "" {
		if target, err = w.firmwareTarget(us, component); err != nil {
			return "", err
		}
	}
	img := &exactReader{r: image, n: size}
	defer img.stop()
	switch {
	case us.multipart != "":
		return rc.pushMultipart(us.multipart, target, img)
	case us.push != "":
		return rc.pushHTTP(us, target, img)
	}
	return "", discovery.Errorf(discovery.Failed, "%s: the BMC offers neither MultipartHttpPushUri nor HttpPushUri; cannot upload firmware", us.uri)
}

// FirmwareTask reports on the task FirmwareInstall started: State is
// "running", "done" or "failed"; Message is the text of the task's Critical
// and Warning messages, or of its last message when it has none of those.
func (s *Source) FirmwareTask(ctx context.Context, t discovery.Target, c discovery.Credentials, taskID string) (discovery.FirmwareTaskStatus, error) {
	if !validTaskID(taskID) {
		return discovery.FirmwareTaskStatus{}, discovery.Errorf(discovery.Failed, "redfish: bad task id %q", taskID)
	}
	rc, err := connect(ctx, t, c)
	if err != nil {
		return discovery.FirmwareTaskStatus{}, err
	}
	defer rc.close()
	uri := tasksPath + url.PathEscape(taskID)
	body, err := rc.walker().get(uri)
	if err != nil {
		var he *common.Error
		if errors.As(err, &he) && he.HTTPReturnedStatusCode == http.StatusNotFound {
			return discovery.FirmwareTaskStatus{}, discovery.Errorf(discovery.Failed, "%s: no such task (a BMC may delete a task once it has finished)", uri)
		}
		return discovery.FirmwareTaskStatus{}, err
	}
	st, err := parseTask(body)
	if err != nil {
		return discovery.FirmwareTaskStatus{}, malformed(uri, "%v", err)
	}
	return st, nil
}

// updateService is the service's UpdateService.
type updateService struct {
	uri string
	doc struct {
		ServiceEnabled         *bool
		MultipartHttpPushUri   string
		HttpPushUri            string
		HttpPushUriTargets     []string
		HttpPushUriTargetsBusy bool
		MaxImageSizeBytes      *int64
		FirmwareInventory      *link
	}
	multipart, push, inventory string // checked links, "" when absent
}

func (w *walker) updateService() (*updateService, error) {
	var root struct{ UpdateService *link }
	if err := w.decode(serviceRoot, &root); err != nil {
		return nil, err
	}
	uri, err := optional(serviceRoot, root.UpdateService)
	if err != nil {
		return nil, err
	}
	if uri == "" {
		return nil, discovery.Errorf(discovery.Failed, "%s: the service root has no UpdateService; the BMC offers no firmware update", serviceRoot)
	}
	u := &updateService{uri: uri}
	if err := w.decode(uri, &u.doc); err != nil {
		return nil, err
	}
	if e := u.doc.ServiceEnabled; e != nil && !*e {
		return nil, discovery.Errorf(discovery.Failed, "%s: the update service is disabled (ServiceEnabled false)", uri)
	}
	for _, l := range []struct {
		dst *string
		uri string
	}{{&u.multipart, u.doc.MultipartHttpPushUri}, {&u.push, u.doc.HttpPushUri}} {
		if l.uri != "" {
			if *l.dst, err = checkLink(uri, l.uri); err != nil {
				return nil, err
			}
		}
	}
	if u.inventory, err = optional(uri, u.doc.FirmwareInventory); err != nil {
		return nil, err
	}
	return u, nil
}

// firmwareTarget finds the FirmwareInventory member component names and
// checks that it can be updated. A path is taken as it is.
func (w *walker) firmwareTarget(us *updateService, component string) (string, error) {
	if strings.HasPrefix(component, "/") {
		p, err := checkLink("component", component)
		if err != nil {
			return "", discovery.Errorf(discovery.Failed, "redfish: component %q is not a resource path", component)
		}
		return p, nil
	}
	if us.inventory == "" {
		return "", discovery.Errorf(discovery.Failed, "%s: no FirmwareInventory to find component %q in", us.uri, component)
	}
	members, err := w.members(us.inventory)
	if err != nil {
		return "", err
	}
	var found []string
	names := make([]string, 0, len(members))
	for _, m := range members {
		names = append(names, name(m))
		if strings.EqualFold(name(m), component) {
			found = append(found, m)
		}
	}
	switch len(found) {
	case 0:
		return "", discovery.Errorf(discovery.Failed, "%s: no firmware component %q (the BMC has %s)", us.inventory, component, strings.Join(names, ", "))
	case 1:
	default:
		return "", discovery.Errorf(discovery.Failed, "%s: %d firmware components are named %q", us.inventory, len(found), component)
	}
	var item struct{ Updateable *bool }
	if err := w.decode(found[0], &item); err != nil {
		return "", err
	}
	if item.Updateable != nil && !*item.Updateable {
		return "", discovery.Errorf(discovery.Failed, "%s: the BMC says this firmware cannot be updated (Updateable false)", found[0])
	}
	return found[0], nil
}

// pushMultipart posts the image to MultipartHttpPushUri.
func (c *conn) pushMultipart(uri, target string, img *exactReader) (string, error) {
	params, err := json.Marshal(struct {
		Targets []string `json:"Targets"`
	}{targets(target)})
	if err != nil {
		return "", discovery.Errorf(discovery.Failed, "redfish: %v", err)
	}
	var head bytes.Buffer
	form := multipart.NewWriter(&head)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="UpdateParameters"`)
	h.Set("Content-Type", "application/json")
	part, err := form.CreatePart(h)
	if err == nil {
		_, err = part.Write(params)
	}
	if err == nil {
		h = textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="UpdateFile"; filename="firmware.bin"`)
		h.Set("Content-Type", "application/octet-stream")
		_, err = form.CreatePart(h)
	}
	n := head.Len()
	if err == nil {
		err = form.Close() // appends the closing boundary
	}
	if err != nil {
		return "", discovery.Errorf(discovery.Failed, "redfish: building the multipart upload: %v", err)
	}
	tail := head.Bytes()[n:]
	body := io.MultiReader(bytes.NewReader(head.Bytes()[:n]), img, bytes.NewReader(tail))
	return c.upload(uri, form.FormDataContentType(), body, int64(n)+img.n+int64(len(tail)), img)
}

// pushHTTP posts the image to HttpPushUri, naming the target in
// HttpPushUriTargets first.
func (c *conn) pushHTTP(us *updateService, target string, img *exactReader) (string, error) {
	if target != "" || len(us.doc.HttpPushUriTargets) > 0 {
		if us.doc.HttpPushUriTargetsBusy {
			return "", discovery.Errorf(discovery.Failed, "%s: HttpPushUriTargetsBusy: another client is preparing a push update", us.uri)
		}
		busy := target != ""
		err := c.patch(us.uri, map[string]any{"HttpPushUriTargets": targets(target), "HttpPushUriTargetsBusy": busy})
		if err != nil {
			return "", err
		}
		if busy {
			defer c.patch(us.uri, map[string]any{"HttpPushUriTargetsBusy": false}) //nolint:errcheck // the push's result matters more
		}
	}
	return c.upload(us.push, "application/octet-stream", img, img.n, img)
}

func targets(target string) []string {
	if target == "" {
		return []string{}
	}
	return []string{target}
}

func (c *conn) patch(uri string, doc map[string]any) error {
	resp, err := c.client.Patch(uri, doc)
	if err != nil {
		return classify(err, "PATCH "+uri)
	}
	resp.Body.Close()
	return nil
}

// upload posts body and returns the id of the task the BMC started.
func (c *conn) upload(uri, contentType string, body io.Reader, length int64, img *exactReader) (string, error) {
	what := "POST " + uri
	resp, err := c.client.RunRawRequestWithHeaders(http.MethodPost, uri, noSeek{body}, contentType,
		map[string]string{"Content-Length": strconv.FormatInt(length, 10)})
	if ierr := img.error(); ierr != nil {
		if resp != nil {
			resp.Body.Close()
		}
		return "", discovery.Errorf(discovery.Failed, "%s: %v", what, ierr)
	}
	if err != nil {
		return "", classify(err, what)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxDocument))
	if err != nil {
		return "", classify(err, what)
	}
	id, err := taskIDFromResponse(resp.Header.Get("Location"), answer)
	if err != nil {
		if resp.StatusCode == http.StatusAccepted {
			return "", discovery.Errorf(discovery.Malformed, "%s: the BMC accepted the image but %v", what, err)
		}
		return "", discovery.Errorf(discovery.Failed, "%s: the BMC answered HTTP %d, not 202 Accepted with a task, so the update cannot be followed: %v", what, resp.StatusCode, err)
	}
	return id, nil
}

// taskIDFromResponse finds the task an answer to an upload names: the Task
// in the body, the task (monitor) in Location, or a task URI among the
// MessageArgs of the body's messages.
func taskIDFromResponse(location string, body []byte) (string, error) {
	var doc struct {
		ID   string `json:"@odata.id"`
		Info []struct {
			MessageArgs []any
		} `json:"@Message.ExtendedInfo"`
		Accepted, Error *struct {
			Info []struct {
				MessageArgs []any
			} `json:"@Message.ExtendedInfo"`
		}
	}
	isJSON := unmarshal(body, &doc) == nil
	if id, ok := taskIDFromURI(doc.ID, false); ok {
		return id, nil
	}
	if id, ok := taskIDFromURI(location, true); ok {
		return id, nil
	}
	if isJSON {
		infos := doc.Info
		for _, w := range []*struct {
			Info []struct {
				MessageArgs []any
			} `json:"@Message.ExtendedInfo"`
		}{doc.Accepted, doc.Error} {
			if w != nil {
				infos = append(infos, w.Info...)
			}
		}
		for _, in := range infos {
			for _, a := range in.MessageArgs {
				if s, ok := a.(string); ok {
					if id, ok := taskIDFromURI(s, false); ok {
						return id, nil
					}
				}
			}
		}
	}
	if location == "" {
		return "", errors.New("its answer names no task (no Location, no Task)")
	}
	return "", fmt.Errorf("its answer names no task (Location %q is not under %s)", location, tasksPath)
}

// taskIDFromURI takes the id out of /redfish/v1/TaskService/Tasks/<id>,
// given as a path or an absolute URL; monitor also takes OpenBMC's task
// monitor, .../Tasks/<id>/Monitor.
func taskIDFromURI(s string, monitor bool) (string, bool) {
	if s == "" {
		return "", false
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", false
	}
	p := strings.TrimSuffix(u.Path, "/")
	if monitor {
		p = strings.TrimSuffix(p, "/Monitor")
	}
	id, ok := strings.CutPrefix(p, tasksPath)
	if !ok || !validTaskID(id) {
		return "", false
	}
	return id, true
}

// validTaskID accepts one path segment of printable text.
func validTaskID(id string) bool {
	if id == "" || len(id) > maxTaskID || id == "." || id == ".." || !utf8.ValidString(id) {
		return false
	}
	for _, r := range id {
		if r == '/' || r == '\\' || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// Task states (Task schema, TaskState) by what they mean for the caller.
var taskStates = map[string]string{
	"New": "running", "Starting": "running", "Running": "running", "Suspended": "running",
	"Interrupted": "running", "Pending": "running", "Stopping": "running", "Service": "running",
	"Cancelling": "running",
	"Completed":  "done",
	"Exception":  "failed", "Killed": "failed", "Cancelled": "failed",
}

// parseTask reads a Task resource.
func parseTask(body []byte) (discovery.FirmwareTaskStatus, error) {
	var doc struct {
		TaskState       *string
		TaskStatus      string
		PercentComplete *float64
		Messages        []struct {
			Message, Severity, MessageSeverity string
		}
	}
	if err := unmarshal(body, &doc); err != nil {
		return discovery.FirmwareTaskStatus{}, err
	}
	if doc.TaskState == nil {
		return discovery.FirmwareTaskStatus{}, errors.New("the task has no TaskState")
	}
	state, ok := taskStates[*doc.TaskState]
	if !ok {
		return discovery.FirmwareTaskStatus{}, fmt.Errorf("unknown TaskState %q", *doc.TaskState)
	}
	if state == "done" && doc.TaskStatus == "Critical" {
		state = "failed" // completed, but with a critical error
	}
	st := discovery.FirmwareTaskStatus{State: state}
	if p := doc.PercentComplete; p != nil {
		st.Percent = int(math.Max(0, math.Min(100, *p)))
	}
	if state == "done" {
		st.Percent = 100
	}
	var serious []string
	last := ""
	for _, m := range doc.Messages {
		text := strings.TrimSpace(m.Message)
		if text == "" {
			continue
		}
		last = text
		sev := m.MessageSeverity
		if sev == "" {
			sev = m.Severity
		}
		if (sev == "Critical" || sev == "Warning") && !slices.Contains(serious, text) {
			serious = append(serious, text)
		}
	}
	switch {
	case len(serious) > 0:
		st.Message = strings.Join(serious, "; ")
	case last != "":
		st.Message = last
	case state == "failed":
		st.Message = "the task ended in " + *doc.TaskState + " without a message"
	}
	st.Message = cut(st.Message, maxTaskMessage)
	return st, nil
}

// cut shortens s to at most n bytes, on a rune boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// exactReader reads exactly n bytes from r and fails if r has fewer or
// more, so that a wrong size is reported as such rather than as a broken
// connection. After stop it no longer touches r: the HTTP transport may
// read a request body after the request has returned.
type exactReader struct {
	r io.Reader
	n int64 // the size announced

	mu      sync.Mutex
	read    int64
	err     error
	stopped bool
}

var errStopped = errors.New("upload finished")

func (e *exactReader) Read(p []byte) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.stopped:
		return 0, errStopped
	case e.err != nil:
		return 0, e.err
	case e.read == e.n:
		return 0, io.EOF
	}
	if rest := e.n - e.read; int64(len(p)) > rest {
		p = p[:rest]
	}
	k, err := e.r.Read(p)
	e.read += int64(k)
	// On an error the chunk in hand is held back, so that the BMC never
	// gets a whole body: a push upload has nothing after the image that
	// could still make the request fail.
	switch {
	case err == io.EOF && e.read < e.n:
		e.err = fmt.Errorf("the image ended after %d of the %d bytes given", e.read, e.n)
		return 0, e.err
	case err != nil && err != io.EOF:
		e.err = fmt.Errorf("reading the image: %w", err)
		return 0, e.err
	case e.read == e.n:
		// Check that the image ends where the caller said.
		var one [1]byte
		if m, _ := io.ReadFull(e.r, one[:]); m > 0 {
			e.err = fmt.Errorf("the image is longer than the %d bytes given", e.n)
			return 0, e.err
		}
	}
	return k, nil
}

func (e *exactReader) error() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.err
}

func (e *exactReader) stop() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.stopped = true
}

// noSeek satisfies gofish's io.ReadSeeker parameter; gofish never seeks.
type noSeek struct{ io.Reader }

func (noSeek) Seek(int64, int) (int64, error) {
	return 0, errors.New("redfish: the upload body cannot seek")
}

// FirmwareVersion returns the Version the BMC's FirmwareInventory reports
// for component (matched as FirmwareInstall matches it): what the
// maintenance executor checks after an update before the node returns.
func (s *Source) FirmwareVersion(ctx context.Context, t discovery.Target, c discovery.Credentials, component string) (string, error) {
	rc, err := connect(ctx, t, c)
	if err != nil {
		return "", err
	}
	defer rc.close()
	w := rc.walker()
	us, err := w.updateService()
	if err != nil {
		return "", err
	}
	p, err := w.firmwareTarget(us, component)
	if err != nil {
		return "", err
	}
	var item struct{ Version string }
	if err := w.decode(p, &item); err != nil {
		return "", err
	}
	return item.Version, nil
}
