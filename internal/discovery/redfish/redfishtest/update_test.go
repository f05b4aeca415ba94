package redfishtest

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// multipartBody builds a DSP0266 multipart upload; a nil params or image
// leaves that part out.
func multipartBody(params any, image []byte) (string, []byte) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	if params != nil {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="UpdateParameters"`)
		h.Set("Content-Type", "application/json")
		p, _ := w.CreatePart(h)
		json.NewEncoder(p).Encode(params)
	}
	if image != nil {
		f, _ := w.CreateFormFile("UpdateFile", "fw.bin")
		f.Write(image)
	}
	w.Close()
	return w.FormDataContentType(), b.Bytes()
}

func (c *client) post(path, contentType string, body []byte) (*http.Response, []byte) {
	c.t.Helper()
	req, _ := http.NewRequest("POST", c.s.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	if c.basic {
		req.SetBasicAuth(c.s.user, c.s.pass)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func (c *client) getJSON(path string) (int, map[string]any) {
	c.t.Helper()
	resp, body, err := c.do("GET", path, nil)
	if err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
	var doc map[string]any
	json.Unmarshal(body, &doc)
	return resp.StatusCode, doc
}

const (
	multipartURI = "/redfish/v1/UpdateService/update-multipart"
	biosURI      = "/redfish/v1/UpdateService/FirmwareInventory/BIOS"
)

// A mockup without an UpdateService or TaskService gets them.
func TestUpdateServiceAdded(t *testing.T) {
	s := New("../testdata/mockups/public-cables")
	defer s.Close()
	c := newClient(t, s)
	c.basic = true
	_, rootDoc := c.getJSON("/redfish/v1")
	if rootDoc["UpdateService"] == nil || rootDoc["Tasks"] == nil {
		t.Fatalf("service root without UpdateService or Tasks: %v", rootDoc)
	}
	code, us := c.getJSON("/redfish/v1/UpdateService")
	if code != http.StatusOK || us["MultipartHttpPushUri"] != multipartURI || us["HttpPushUri"] != "/redfish/v1/UpdateService/update" {
		t.Errorf("UpdateService %d %v", code, us)
	}
	if code, ts := c.getJSON("/redfish/v1/TaskService/Tasks"); code != http.StatusOK || ts["Members@odata.count"] != nil && ts["Members@odata.count"] != 0.0 {
		t.Errorf("Tasks %d %v", code, ts)
	}
	if got := s.FirmwareVersion("bios"); got != "1.0.0" {
		t.Errorf("BIOS version %q", got)
	}
}

func TestUpload(t *testing.T) {
	s := New(tower, WithHeldTasks())
	defer s.Close()
	c := newClient(t, s)
	ct, body := multipartBody(map[string]any{"Targets": []string{biosURI}, "@Redfish.OperationApplyTime": "Immediate"}, []byte("P79 v2\n"))

	if resp, _ := c.post(multipartURI, ct, body); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("upload without credentials: %d", resp.StatusCode)
	}
	c.basic = true
	resp, answer := c.post(multipartURI, ct, body)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("upload: %d %s", resp.StatusCode, answer)
	}
	var task map[string]any
	json.Unmarshal(answer, &task)
	taskURI, _ := task["@odata.id"].(string)
	monitor := resp.Header.Get("Location")
	if task["TaskState"] != TaskNew || monitor != taskURI+"/Monitor" || task["TaskMonitor"] != monitor {
		t.Fatalf("answer: Location %q, task %v", monitor, task)
	}
	if code, coll := c.getJSON("/redfish/v1/TaskService/Tasks"); code != http.StatusOK || !strings.Contains(jsonString(coll), taskURI) {
		t.Errorf("task collection %v lacks %s", coll, taskURI)
	}
	if resp, _, _ := c.do("GET", monitor, nil); resp.StatusCode != http.StatusAccepted || resp.Header.Get("Location") != monitor {
		t.Errorf("monitor of a running task: %d", resp.StatusCode)
	}
	if _, doc := c.getJSON(taskURI); doc["TaskState"] != TaskRunning {
		t.Errorf("held task %v", doc)
	}
	id, _ := task["Id"].(string)
	if err := s.FinishTask(id); err != nil {
		t.Fatal(err)
	}
	if resp, _, _ := c.do("GET", monitor, nil); resp.StatusCode != http.StatusNoContent {
		t.Errorf("monitor of a completed task: %d", resp.StatusCode)
	}
	if _, doc := c.getJSON(taskURI); doc["TaskState"] != TaskCompleted || doc["PercentComplete"] != 100.0 || doc["EndTime"] == nil {
		t.Errorf("finished task %v", doc)
	}
	want := []Task{{ID: id, State: TaskCompleted, Percent: 100, Via: ViaMultipart, Targets: []string{biosURI}, ApplyTime: "Immediate", Version: "P79 v2", Size: 7}}
	if diff := cmp.Diff(want, s.Tasks()); diff != "" {
		t.Errorf("tasks (-want +got):\n%s", diff)
	}
	if _, doc := c.getJSON(biosURI); doc["Version"] != "P79 v2" {
		t.Errorf("BIOS after the update: %v", doc["Version"])
	}

	// A failed task: its monitor answers with the error.
	resp, answer = c.post(multipartURI, ct, body)
	json.Unmarshal(answer, &task)
	id, _ = task["Id"].(string)
	if err := s.FailTask(id, "flash worn out"); err != nil {
		t.Fatal(err)
	}
	if resp, body, _ := c.do("GET", resp.Header.Get("Location"), nil); resp.StatusCode != http.StatusInternalServerError || !bytes.Contains(body, []byte("flash worn out")) {
		t.Errorf("monitor of a failed task: %d %s", resp.StatusCode, body)
	}
	if err := s.FailTask("nope", "x"); err == nil {
		t.Errorf("FailTask of an unknown task succeeded")
	}
}

func TestUploadRefused(t *testing.T) {
	s := New(tower)
	defer s.Close()
	c := newClient(t, s)
	c.basic = true
	s.Patch("UpdateService", map[string]any{"MaxImageSizeBytes": 10})
	s.Patch("UpdateService/FirmwareInventory/BMC", map[string]any{"Updateable": false})
	params := map[string]any{"Targets": []string{biosURI}}
	tests := []struct {
		name        string
		contentType string
		body        []byte
		code        int
	}{
		{"not multipart", "application/octet-stream", []byte("P79"), http.StatusBadRequest},
		{"no UpdateFile", "", nil, http.StatusBadRequest},
		{"no UpdateParameters", "", nil, http.StatusBadRequest},
		{"UpdateParameters not JSON", "", nil, http.StatusBadRequest},
		{"target outside the inventory", "", nil, http.StatusBadRequest},
		{"target not updateable", "", nil, http.StatusBadRequest},
		{"image too large", "", nil, http.StatusRequestEntityTooLarge},
	}
	tests[1].contentType, tests[1].body = multipartBody(params, nil)
	tests[2].contentType, tests[2].body = multipartBody(nil, []byte("P79"))
	tests[3].contentType, tests[3].body = multipartBody("Targets", []byte("P79"))
	tests[4].contentType, tests[4].body = multipartBody(map[string]any{"Targets": []string{"/redfish/v1/Systems/437XR1238R2"}}, []byte("P79"))
	tests[5].contentType, tests[5].body = multipartBody(map[string]any{"Targets": []string{"/redfish/v1/UpdateService/FirmwareInventory/BMC"}}, []byte("P79"))
	tests[6].contentType, tests[6].body = multipartBody(params, []byte("P79 v1.46 and a lot more"))
	for _, tt := range tests {
		resp, body := c.post(multipartURI, tt.contentType, tt.body)
		if resp.StatusCode != tt.code || !bytes.Contains(body, []byte(`"error"`)) {
			t.Errorf("%s: %d %s, want %d with a Redfish error", tt.name, resp.StatusCode, body, tt.code)
		}
	}
	if tasks := s.Tasks(); len(tasks) != 0 {
		t.Errorf("refused uploads started tasks: %+v", tasks)
	}
}

// The DMTF mockups' HttpPushUri is /FWUpdate, outside /redfish; the image
// is the body and HttpPushUriTargets says where it goes.
func TestPushOutsideRedfish(t *testing.T) {
	s := New(tower, WithoutMultipartPush())
	defer s.Close()
	c := newClient(t, s)
	if resp, _ := c.post("/FWUpdate", "application/octet-stream", []byte("P79 v3")); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("push without credentials: %d", resp.StatusCode)
	}
	c.basic = true
	if _, us := c.getJSON("/redfish/v1/UpdateService"); us["MultipartHttpPushUri"] != nil || us["HttpPushUri"] != "/FWUpdate" {
		t.Fatalf("UpdateService %v", us)
	}
	if got := c.status("PATCH", "/redfish/v1/UpdateService", map[string]any{"HttpPushUriTargets": []string{biosURI}}); got != http.StatusOK {
		t.Fatalf("PATCH HttpPushUriTargets: %d", got)
	}
	resp, body := c.post("/FWUpdate", "application/octet-stream", []byte("P79 v3"))
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("push: %d %s", resp.StatusCode, body)
	}
	if got := s.FirmwareVersion("BIOS"); got != "P79 v3" {
		t.Errorf("BIOS version %q", got)
	}
	if got := c.status("GET", "/FWUpdate", nil); got != http.StatusMethodNotAllowed && got != http.StatusNotFound {
		t.Errorf("GET /FWUpdate: %d", got)
	}
	if got := c.status("GET", "/elsewhere", nil); got != http.StatusNotFound {
		t.Errorf("GET /elsewhere: %d", got)
	}
}

func TestParseImage(t *testing.T) {
	tests := []struct {
		image              string
		component, version string
	}{
		{string(Image("BIOS", "P79 v1.46")), "BIOS", "P79 v1.46"},
		{string(Image("", "2.0")), "", "2.0"},
		{"1.2.3\nrest of the image", "", "1.2.3"},
		{"\xff\xfe", "", ""},
		{"component=BMC\n", "BMC", ""},
	}
	for _, tt := range tests {
		c, v := parseImage([]byte(tt.image))
		if c != tt.component || v != tt.version {
			t.Errorf("%q: %q, %q; want %q, %q", tt.image, c, v, tt.component, tt.version)
		}
	}
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
