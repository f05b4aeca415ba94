package redfish

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/railyard/railyard/internal/discovery"
	"github.com/railyard/railyard/internal/discovery/redfish/redfishtest"
)

// updater is the source as an executor finds it: through the registry.
func updater(t *testing.T, srv *redfishtest.Server) discovery.FirmwareUpdater {
	t.Helper()
	src, _, ok := discovery.Lookup(srv.Target().Scheme)
	if !ok {
		t.Fatalf("scheme %s not registered", srv.Target().Scheme)
	}
	u, ok := src.(discovery.FirmwareUpdater)
	if !ok {
		t.Fatalf("the redfish source is not a FirmwareUpdater")
	}
	return u
}

func install(t *testing.T, srv *redfishtest.Server, component string, image []byte) (string, error) {
	t.Helper()
	return updater(t, srv).FirmwareInstall(ctxT(t), srv.Target(), srv.Credentials(), component, bytes.NewReader(image), int64(len(image)))
}

// follow polls a task until it is no longer running, with a fresh Source
// each time (as a process that only kept the id would), and returns the
// states it saw and the last status.
func follow(t *testing.T, srv *redfishtest.Server, id string) ([]string, discovery.FirmwareTaskStatus) {
	t.Helper()
	var states []string
	percent := -1
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, err := (&Source{}).FirmwareTask(ctxT(t), srv.Target(), srv.Credentials(), id)
		if err != nil {
			t.Fatalf("FirmwareTask(%s): %v", id, err)
		}
		if st.Percent < percent || st.Percent < 0 || st.Percent > 100 {
			t.Errorf("task %s: percent went from %d to %d", id, percent, st.Percent)
		}
		percent = st.Percent
		if len(states) == 0 || states[len(states)-1] != st.State {
			states = append(states, st.State)
		}
		if st.State != "running" {
			return states, st
		}
		if time.Now().After(deadline) {
			t.Fatalf("task %s still running after 5s: %+v", id, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestFirmwareInstall(t *testing.T) {
	tests := []struct {
		name      string
		dir       string
		opts      []redfishtest.Option
		component string // as the caller names it
		image     []byte
		updated   string // the FirmwareInventory member that changes
		untouched string // one that must not
		want      redfishtest.Task
	}{{
		name: "multipart, component by Id in lower case", dir: mockup("public-rackmount1"),
		component: "bios", image: []byte("P79 v1.46\n"), updated: "BIOS", untouched: "BMC",
		want: redfishtest.Task{Via: redfishtest.ViaMultipart, Targets: []string{"/redfish/v1/UpdateService/FirmwareInventory/BIOS"}, Version: "P79 v1.46"},
	}, {
		name: "multipart, the image says what it is for", dir: mockup("public-rackmount1"),
		image: redfishtest.Image("BMC", "1.46.0"), updated: "BMC", untouched: "BIOS",
		want: redfishtest.Task{Via: redfishtest.ViaMultipart, Targets: []string{"/redfish/v1/UpdateService/FirmwareInventory/BMC"}, Version: "1.46.0"},
	}, {
		name: "component as a path", dir: mockup("public-liquid-cooled-server"),
		component: "/redfish/v1/UpdateService/FirmwareInventory/BMC", image: []byte("1.46.1"), updated: "BMC", untouched: "BIOS",
		want: redfishtest.Task{Via: redfishtest.ViaMultipart, Targets: []string{"/redfish/v1/UpdateService/FirmwareInventory/BMC"}, Version: "1.46.1"},
	}, {
		name: "HGX fixture without an UpdateService of its own", dir: hgxDir,
		component: "BMC", image: redfishtest.Image("BMC", "25.01-1"), updated: "BMC", untouched: "BIOS",
		want: redfishtest.Task{Via: redfishtest.ViaMultipart, Targets: []string{"/redfish/v1/UpdateService/FirmwareInventory/BMC"}, Version: "25.01-1"},
	}, {
		name: "plain HTTP", dir: mockup("public-tower"), opts: []redfishtest.Option{redfishtest.WithPlainHTTP()},
		component: "BIOS", image: []byte("P79 v1.47"), updated: "BIOS", untouched: "BMC",
		want: redfishtest.Task{Via: redfishtest.ViaMultipart, Targets: []string{"/redfish/v1/UpdateService/FirmwareInventory/BIOS"}, Version: "P79 v1.47"},
	}, {
		// The mockup's HttpPushUri is /FWUpdate, outside /redfish.
		name: "HttpPushUri with HttpPushUriTargets", dir: mockup("public-tower"),
		opts:      []redfishtest.Option{redfishtest.WithoutMultipartPush()},
		component: "Bios", image: []byte("P79 v1.48"), updated: "BIOS", untouched: "BMC",
		want: redfishtest.Task{Via: redfishtest.ViaPush, Targets: []string{"/redfish/v1/UpdateService/FirmwareInventory/BIOS"}, Version: "P79 v1.48"},
	}, {
		name: "HttpPushUri, the image says what it is for", dir: mockup("public-tower"),
		opts:  []redfishtest.Option{redfishtest.WithoutMultipartPush()},
		image: redfishtest.Image("BMC", "1.50.0"), updated: "BMC", untouched: "BIOS",
		want: redfishtest.Task{Via: redfishtest.ViaPush, Targets: []string{"/redfish/v1/UpdateService/FirmwareInventory/BMC"}, Version: "1.50.0"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := redfishtest.New(tt.dir, append([]redfishtest.Option{redfishtest.WithTaskDuration(300 * time.Millisecond)}, tt.opts...)...)
			defer srv.Close()
			before := srv.FirmwareVersion(tt.untouched)
			id, err := install(t, srv, tt.component, tt.image)
			if err != nil {
				t.Fatalf("FirmwareInstall: %v", err)
			}
			if got := srv.FirmwareVersion(tt.updated); got == tt.want.Version {
				t.Errorf("%s is at %s before the task finished", tt.updated, got)
			}
			states, st := follow(t, srv, id)
			if diff := cmp.Diff([]string{"running", "done"}, states); diff != "" {
				t.Errorf("states (-want +got):\n%s", diff)
			}
			if st.Percent != 100 || st.Message == "" {
				t.Errorf("final status %+v", st)
			}
			if got := srv.FirmwareVersion(tt.updated); got != tt.want.Version {
				t.Errorf("%s version %q, want %q", tt.updated, got, tt.want.Version)
			}
			if got := srv.FirmwareVersion(tt.untouched); got != before {
				t.Errorf("%s version %q, was %q", tt.untouched, got, before)
			}
			want := tt.want
			want.ID, want.State, want.Percent, want.Size = id, redfishtest.TaskCompleted, 100, len(tt.image)
			if diff := cmp.Diff([]redfishtest.Task{want}, srv.Tasks()); diff != "" {
				t.Errorf("tasks (-want +got):\n%s", diff)
			}
			if doc, _ := srv.Resource("UpdateService"); doc["HttpPushUriTargetsBusy"] == true {
				t.Errorf("HttpPushUriTargetsBusy left true")
			}
			if n := srv.ActiveSessions(); n != 0 {
				t.Errorf("%d sessions left open", n)
			}
		})
	}
}

func TestFirmwareTaskFails(t *testing.T) {
	tests := []struct {
		name      string
		opts      []redfishtest.Option
		component string
		image     []byte
		fail      func(*redfishtest.Server, string) error // ends a held task
		wantMsg   string
	}{{
		name:      "the BMC fails the task",
		opts:      []redfishtest.Option{redfishtest.WithTaskFailure("flash write failed at block 7")},
		component: "BIOS", image: []byte("P79 v1.46"),
		wantMsg: "flash write failed at block 7",
	}, {
		name:      "failed on demand",
		opts:      []redfishtest.Option{redfishtest.WithHeldTasks()},
		component: "BIOS", image: []byte("P79 v1.46"),
		fail:    func(s *redfishtest.Server, id string) error { return s.FailTask(id, "power lost during update") },
		wantMsg: "power lost during update",
	}, {
		name:      "image without a version",
		component: "BIOS", image: redfishtest.Image("BIOS", ""),
		wantMsg: "carries no version",
	}, {
		name:      "image for another component",
		component: "BMC", image: redfishtest.Image("BIOS", "P79 v1.46"),
		wantMsg: "the image is for /redfish/v1/UpdateService/FirmwareInventory/BIOS, not for /redfish/v1/UpdateService/FirmwareInventory/BMC",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := redfishtest.New(mockup("public-rackmount1"), tt.opts...)
			defer srv.Close()
			bios, bmc := srv.FirmwareVersion("BIOS"), srv.FirmwareVersion("BMC")
			id, err := install(t, srv, tt.component, tt.image)
			if err != nil {
				t.Fatalf("FirmwareInstall: %v", err)
			}
			if tt.fail != nil {
				if err := tt.fail(srv, id); err != nil {
					t.Fatal(err)
				}
			}
			_, st := follow(t, srv, id)
			if st.State != "failed" || !strings.Contains(st.Message, tt.wantMsg) {
				t.Errorf("status %+v, want failed with %q", st, tt.wantMsg)
			}
			if srv.FirmwareVersion("BIOS") != bios || srv.FirmwareVersion("BMC") != bmc {
				t.Errorf("a failed task changed the inventory")
			}
			if tasks := srv.Tasks(); len(tasks) != 1 || tasks[0].State != redfishtest.TaskException {
				t.Errorf("tasks %+v", tasks)
			}
		})
	}
}

func TestFirmwareInstallRefused(t *testing.T) {
	const inv = "UpdateService/FirmwareInventory/"
	tests := []struct {
		name      string
		dir       string // default public-rackmount1
		opts      []redfishtest.Option
		setup     func(*redfishtest.Server)
		cred      *discovery.Credentials
		component string
		image     io.Reader // default the image of size bytes
		size      int64     // default 16
		want      discovery.Kind
		wantMsg   string
	}{{
		name: "upload refused with 400",
		opts: []redfishtest.Option{redfishtest.WithUploadRejected(http.StatusBadRequest, "the image signature does not verify")},
		want: discovery.Failed, wantMsg: "POST /redfish/v1/UpdateService/update-multipart: HTTP 400: the image signature does not verify",
	}, {
		name: "upload refused with 500",
		opts: []redfishtest.Option{redfishtest.WithUploadRejected(http.StatusInternalServerError, "flash controller offline")},
		want: discovery.Failed, wantMsg: "HTTP 500: flash controller offline",
	}, {
		name: "BMC busy",
		opts: []redfishtest.Option{redfishtest.WithUploadRejected(http.StatusServiceUnavailable, "an update is in progress")},
		want: discovery.Unreachable, wantMsg: "HTTP 503: an update is in progress",
	}, {
		name: "push upload refused",
		opts: []redfishtest.Option{redfishtest.WithoutMultipartPush(), redfishtest.WithUploadRejected(http.StatusRequestEntityTooLarge, "no room")},
		want: discovery.Failed, wantMsg: "POST /FWUpdate: HTTP 413: no room",
	}, {
		name: "wrong password",
		cred: &discovery.Credentials{Username: "admin", Password: "Guess-1234"},
		want: discovery.Unauthorized,
	}, {
		name: "unknown component", component: "nic",
		want: discovery.Failed, wantMsg: `no firmware component "nic" (the BMC has BMC, SS, BIOS)`,
	}, {
		name: "component path with a host", component: "//evil.example/x",
		want: discovery.Failed, wantMsg: "is not a resource path",
	}, {
		name:      "component not updateable",
		setup:     func(s *redfishtest.Server) { s.Patch(inv+"BMC", map[string]any{"Updateable": false}) },
		component: "BMC",
		want:      discovery.Failed, wantMsg: "Updateable false",
	}, {
		name:  "image larger than MaxImageSizeBytes",
		setup: func(s *redfishtest.Server) { s.Patch("UpdateService", map[string]any{"MaxImageSizeBytes": 8}) },
		want:  discovery.Failed, wantMsg: "the image is 16 bytes; the BMC takes at most 8",
	}, {
		name:  "image shorter than its size",
		image: strings.NewReader("P79 v1.46"), size: 100,
		want: discovery.Failed, wantMsg: "the image ended after 9 of the 100 bytes given",
	}, {
		name:  "image longer than its size",
		image: strings.NewReader("P79 v1.46"), size: 4,
		want: discovery.Failed, wantMsg: "the image is longer than the 4 bytes given",
	}, {
		name:  "image longer than its size, push",
		opts:  []redfishtest.Option{redfishtest.WithoutMultipartPush()},
		image: strings.NewReader("P79 v1.46"), size: 4,
		want: discovery.Failed, wantMsg: "the image is longer than the 4 bytes given",
	}, {
		name: "empty image", image: strings.NewReader(""), size: 0,
		want: discovery.Failed, wantMsg: "nothing to install",
	}, {
		name:  "update service disabled",
		setup: func(s *redfishtest.Server) { s.Patch("UpdateService", map[string]any{"ServiceEnabled": false}) },
		want:  discovery.Failed, wantMsg: "ServiceEnabled false",
	}, {
		name: "no push URI",
		setup: func(s *redfishtest.Server) {
			s.Patch("UpdateService", map[string]any{"MultipartHttpPushUri": nil, "HttpPushUri": nil})
		},
		want: discovery.Failed, wantMsg: "neither MultipartHttpPushUri nor HttpPushUri",
	}, {
		name:      "push targets reserved by another client",
		opts:      []redfishtest.Option{redfishtest.WithoutMultipartPush()},
		setup:     func(s *redfishtest.Server) { s.Patch("UpdateService", map[string]any{"HttpPushUriTargetsBusy": true}) },
		component: "BIOS",
		want:      discovery.Failed, wantMsg: "HttpPushUriTargetsBusy",
	}, {
		name: "no UpdateService", dir: mockup("public-smartnic"),
		setup: func(s *redfishtest.Server) { s.Patch("/redfish/v1", map[string]any{"UpdateService": nil}) },
		want:  discovery.Failed, wantMsg: "no UpdateService",
	}, {
		name:  "UpdateService is not JSON",
		setup: func(s *redfishtest.Server) { s.SetRaw("UpdateService", []byte("<html>")) },
		want:  discovery.Malformed, wantMsg: "not a JSON object",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := tt.dir
			if dir == "" {
				dir = mockup("public-rackmount1")
			}
			srv := redfishtest.New(dir, tt.opts...)
			defer srv.Close()
			if tt.setup != nil {
				tt.setup(srv)
			}
			cred := srv.Credentials()
			if tt.cred != nil {
				cred = *tt.cred
			}
			image, size := tt.image, tt.size
			if image == nil {
				image, size = strings.NewReader("P79 v1.46 build7"), 16
			}
			id, err := (&Source{}).FirmwareInstall(ctxT(t), srv.Target(), cred, tt.component, image, size)
			if err == nil {
				t.Fatalf("FirmwareInstall = %q, nil; want an error", id)
			}
			if k := discovery.KindOf(err); k != tt.want || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q of kind %s; want %s with %q", err, k, tt.want, tt.wantMsg)
			}
			if strings.Contains(err.Error(), cred.Password) {
				t.Errorf("the error shows the password: %v", err)
			}
			if tasks := srv.Tasks(); len(tasks) != 0 {
				t.Errorf("tasks started: %+v", tasks)
			}
			if n := srv.ActiveSessions(); n != 0 {
				t.Errorf("%d sessions left open", n)
			}
		})
	}
}

// A process that restarts keeps only the task id: a fresh Source follows
// the task from it.
func TestFirmwareResume(t *testing.T) {
	srv := redfishtest.New(mockup("public-rackmount1"), redfishtest.WithHeldTasks())
	defer srv.Close()
	id, err := install(t, srv, "BMC", redfishtest.Image("BMC", "1.47.0"))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		st, err := (&Source{}).FirmwareTask(ctxT(t), srv.Target(), srv.Credentials(), id)
		if err != nil || st.State != "running" {
			t.Fatalf("held task: %+v, %v", st, err)
		}
	}
	if err := srv.FinishTask(id); err != nil {
		t.Fatal(err)
	}
	st, err := (&Source{}).FirmwareTask(ctxT(t), srv.Target(), srv.Credentials(), id)
	if err != nil {
		t.Fatal(err)
	}
	want := discovery.FirmwareTaskStatus{State: "done", Percent: 100, Message: "The task with Id '" + id + "' has completed."}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
	if got := srv.FirmwareVersion("BMC"); got != "1.47.0" {
		t.Errorf("BMC version %q", got)
	}
	if err := srv.FinishTask(id); err == nil {
		t.Errorf("FinishTask of a finished task succeeded")
	}
}

func TestFirmwareTask(t *testing.T) {
	srv := redfishtest.New(mockup("public-rackmount1"))
	defer srv.Close()
	srv.SetRaw("TaskService/Tasks/900", []byte(`{"Id": "900", "TaskState": "Paused"}`))
	srv.SetRaw("TaskService/Tasks/901", []byte(`{"Id": "901", "TaskState": "Completed", "TaskStatus": "Critical", "Messages": [{"Message": "checksum mismatch", "Severity": "Critical"}]}`))
	tests := []struct {
		id      string
		want    discovery.FirmwareTaskStatus
		kind    discovery.Kind
		wantMsg string
	}{
		// The mockup's own task: completed with a warning.
		{id: "545", want: discovery.FirmwareTaskStatus{State: "done", Percent: 100, Message: "The property SKU is a read only property and cannot be assigned a value"}},
		{id: "901", want: discovery.FirmwareTaskStatus{State: "failed", Message: "checksum mismatch"}},
		{id: "900", kind: discovery.Malformed, wantMsg: `unknown TaskState "Paused"`},
		{id: "404", kind: discovery.Failed, wantMsg: "no such task"},
		{id: "", kind: discovery.Failed, wantMsg: "bad task id"},
		{id: "../../Systems", kind: discovery.Failed, wantMsg: "bad task id"},
	}
	for _, tt := range tests {
		st, err := (&Source{}).FirmwareTask(ctxT(t), srv.Target(), srv.Credentials(), tt.id)
		if tt.kind == "" {
			if err != nil {
				t.Errorf("task %q: %v", tt.id, err)
			} else if diff := cmp.Diff(tt.want, st); diff != "" {
				t.Errorf("task %q (-want +got):\n%s", tt.id, diff)
			}
			continue
		}
		if k := discovery.KindOf(err); k != tt.kind || err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
			t.Errorf("task %q: %v (%s), want %s with %q", tt.id, err, k, tt.kind, tt.wantMsg)
		}
	}
	if n := srv.ActiveSessions(); n != 0 {
		t.Errorf("%d sessions left open", n)
	}
}

func TestTaskIDFromResponse(t *testing.T) {
	tests := []struct {
		name, location, body string
		want                 string // "" for an error
	}{
		{"task in body", "/redfish/v1/TaskService/TaskMonitors/7", `{"@odata.id": "/redfish/v1/TaskService/Tasks/7", "TaskState": "New"}`, "7"},
		{"task in Location", "/redfish/v1/TaskService/Tasks/JID_467696020275", ``, "JID_467696020275"},
		{"absolute Location", "https://10.0.0.5/redfish/v1/TaskService/Tasks/12/", `{}`, "12"},
		{"OpenBMC monitor", "/redfish/v1/TaskService/Tasks/3/Monitor", `{"@odata.id": "/redfish/v1/UpdateService"}`, "3"},
		{"escaped id", "/redfish/v1/TaskService/Tasks/a%20b", ``, "a b"},
		{"Supermicro message args", "", `{"Accepted": {"@Message.ExtendedInfo": [{"MessageArgs": ["/redfish/v1/TaskService/Tasks/1"]}]}}`, "1"},
		{"monitor elsewhere, no task", "/redfish/v1/TaskService/TaskMonitors/7", `{}`, ""},
		{"sub-task", "/redfish/v1/TaskService/Tasks/1/SubTasks/2", ``, ""},
		{"nothing", "", `not json`, ""},
		{"dot-dot", "/redfish/v1/TaskService/Tasks/..", ``, ""},
	}
	for _, tt := range tests {
		got, err := taskIDFromResponse(tt.location, []byte(tt.body))
		if got != tt.want || (err == nil) != (tt.want != "") {
			t.Errorf("%s: %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
}

func TestParseTask(t *testing.T) {
	tests := []struct {
		body string
		want discovery.FirmwareTaskStatus
	}{
		{`{"TaskState": "Running", "PercentComplete": 42}`, discovery.FirmwareTaskStatus{State: "running", Percent: 42}},
		{`{"TaskState": "New", "PercentComplete": null}`, discovery.FirmwareTaskStatus{State: "running"}},
		{`{"TaskState": "Completed"}`, discovery.FirmwareTaskStatus{State: "done", Percent: 100}},
		{`{"TaskState": "Cancelled", "PercentComplete": 250}`, discovery.FirmwareTaskStatus{State: "failed", Percent: 100, Message: "the task ended in Cancelled without a message"}},
		{`{"TaskState": "Exception", "Messages": [{"Message": "started"}, {"Message": "bad image", "MessageSeverity": "Critical"}, {"Message": "bad image", "Severity": "Critical"}, {"Message": "aborted", "Severity": "Critical"}]}`,
			discovery.FirmwareTaskStatus{State: "failed", Message: "bad image; aborted"}},
		{`{"TaskState": "Running", "Messages": [{"Message": "step 1"}, {"Message": " step 2 "}]}`, discovery.FirmwareTaskStatus{State: "running", Message: "step 2"}},
	}
	for _, tt := range tests {
		got, err := parseTask([]byte(tt.body))
		if err != nil {
			t.Errorf("%s: %v", tt.body, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.body, diff)
		}
	}
	for _, bad := range []string{`{}`, `{"TaskState": 3}`, `{"TaskState": "Done"}`, `{"TaskState": "Running", "PercentComplete": "half"}`} {
		if st, err := parseTask([]byte(bad)); err == nil {
			t.Errorf("%s: %+v, want an error", bad, st)
		}
	}
}
