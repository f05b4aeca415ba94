package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/testing/protocmp"
	"gopkg.in/yaml.v3"

	pb "github.com/railyard/railyard/proto/railyard/v1"
)

// result is what one run of the railyard command did.
type result struct {
	stdout, stderr string
	err            error
}

// run runs railyard with args against the server at addr.
func run(t *testing.T, addr string, args ...string) result {
	t.Helper()
	root := NewRootCommand()
	root.SetArgs(append([]string{"--server", addr}, args...))
	var stdout, stderr bytes.Buffer
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := root.ExecuteContext(ctx)
	return result{stdout.String(), stderr.String(), err}
}

// runOK is run for a command that must succeed.
func runOK(t *testing.T, addr string, args ...string) string {
	t.Helper()
	r := run(t, addr, args...)
	if r.err != nil {
		t.Fatalf("railyard %s: %v\nstderr:\n%s", strings.Join(args, " "), r.err, r.stderr)
	}
	return r.stdout
}

func TestGet(t *testing.T) {
	tests := []struct {
		args      []string
		wantCount int
		wantCall  string
		wantReq   *pb.ListRequest // the last list request, if checked
	}{
		{[]string{"get", "gpus"}, 4, "StreamGPUs", &pb.ListRequest{Filter: &pb.Filter{}}},
		{[]string{"get", "gpu", "--node", "gpu-ams1-002"}, 2, "StreamGPUs", &pb.ListRequest{Filter: &pb.Filter{Node: "gpu-ams1-002"}}},
		{[]string{"get", "gpus", "--limit", "3"}, 3, "ListGPUs", &pb.ListRequest{Filter: &pb.Filter{}, PageSize: 3}},
		{[]string{"get", "nodes", "--site", "ams1"}, 2, "StreamNodes", &pb.ListRequest{Filter: &pb.Filter{Site: "ams1"}}},
		{[]string{"get", "node", "--limit", "10"}, 3, "ListNodes", nil},
		{[]string{"get", "nics"}, 3, "StreamNICs", nil},
		{[]string{"get", "links"}, 2, "StreamLinks", nil},
		{[]string{"get", "switches", "--role", "leaf", "--fabric", "ib0", "--site", "s", "--pod", "p", "--leaf-domain", "l", "--rack", "r", "--gpu-model", "g"}, 2, "ListSwitches",
			&pb.ListRequest{Filter: &pb.Filter{Site: "s", Pod: "p", LeafDomain: "l", Rack: "r", GpuModel: "g", Fabric: "ib0", Role: "leaf"}}},
		// The fake pages tenants one at a time.
		{[]string{"get", "tenants"}, 2, "ListTenants", &pb.ListRequest{Filter: &pb.Filter{}, PageToken: "1"}},
		{[]string{"get", "tenant", "--limit", "1"}, 1, "ListTenants", nil},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			for _, format := range []string{"json", "yaml"} {
				f := newFakeServer()
				addr := f.start(t)
				out := runOK(t, addr, append(tt.args, "-o", format)...)
				var items []map[string]any
				var err error
				if format == "json" {
					err = json.Unmarshal([]byte(out), &items)
				} else {
					err = yaml.Unmarshal([]byte(out), &items)
				}
				if err != nil {
					t.Fatalf("-o %s: output does not parse: %v\n%s", format, err, out)
				}
				if len(items) != tt.wantCount {
					t.Errorf("-o %s: got %d items; want %d\n%s", format, len(items), tt.wantCount, out)
				}
				if !strings.HasPrefix(f.calls[0], tt.wantCall) {
					t.Errorf("calls = %v; want %s", f.calls, tt.wantCall)
				}
				if tt.wantReq != nil {
					got := f.lists[len(f.lists)-1]
					if diff := cmp.Diff(tt.wantReq, got, protocmp.Transform()); diff != "" {
						t.Errorf("list request mismatch (-want +got):\n%s", diff)
					}
				}
			}
		})
	}
}

func TestGetTable(t *testing.T) {
	addr := newFakeServer().start(t)
	out := runOK(t, addr, "get", "nodes")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 {
		t.Fatalf("got %d lines; want header and 3 nodes:\n%s", len(lines), out)
	}
	if got, want := strings.Fields(lines[0]), []string{"HOSTNAME", "SITE", "RACK", "STATE", "MODEL", "GPUS", "SERIAL"}; !cmp.Equal(got, want) {
		t.Errorf("header = %q; want %q", got, want)
	}
	if !strings.HasPrefix(lines[1], "gpu-ams1-001 ") {
		t.Errorf("first row = %q; want gpu-ams1-001 first", lines[1])
	}
}

func TestDescribeNode(t *testing.T) {
	addr := newFakeServer().start(t)
	out := runOK(t, addr, "describe", "node", "gpu-ams1-001")
	for _, want := range []string{"Hostname:", "gpu-ams1-001", "GPU-001-0", "GPU-001-1", "cx7-0", "aa:bb:cc:00:00:01", "leaf-ams1-01:1/1", "History (3):", "import:ams1.yaml"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// History is newest first.
	if i, j := strings.Index(out, "2025-03-02T08:00:00Z"), strings.Index(out, "2025-03-01T09:00:00Z"); i < 0 || j < 0 || i > j {
		t.Errorf("history is not newest first:\n%s", out)
	}

	out = runOK(t, addr, "describe", "node", "gpu-ams1-001", "-o", "json")
	got := &pb.NodeDetail{}
	if err := protojson.Unmarshal([]byte(out), got); err != nil {
		t.Fatalf("-o json: %v\n%s", err, out)
	}
	want := testNodeDetail()
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("-o json mismatch (-want +got):\n%s", diff)
	}
}

func TestDescribeSwitch(t *testing.T) {
	addr := newFakeServer().start(t)
	out := runOK(t, addr, "describe", "switch", "leaf-ams1-01")
	if !strings.Contains(out, "QM9700") || !strings.Contains(out, "Ports (0):") {
		t.Errorf("unexpected output:\n%s", out)
	}
}

func TestErrors(t *testing.T) {
	addr := newFakeServer().start(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"describe", "node", "nope"}, `not found: node "nope" does not exist`},
		{[]string{"describe", "switch", "nope"}, `not found: switch "nope" does not exist`},
		{[]string{"get", "switches", "--state", "failed"}, "invalid argument: filter state does not apply to switches"},
		{[]string{"get", "tenants", "-o", "xml"}, `unknown output format "xml": want table, json or yaml`},
		{[]string{"get", "nodes", "--limit", "-1"}, "--limit must not be negative"},
		{[]string{"export", "-f", "xml"}, `unknown export format "xml": want yaml or csv`},
		{[]string{"import", filepath.Join(t.TempDir(), "missing.yaml")}, "no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := run(t, addr, tt.args...)
			if r.err == nil {
				t.Fatalf("succeeded; want error %q", tt.want)
			}
			if !strings.Contains(r.err.Error(), tt.want) {
				t.Errorf("error = %q; want %q", r.err, tt.want)
			}
			// One line, no usage.
			if want := "railyard: " + r.err.Error() + "\n"; r.stderr != want {
				t.Errorf("stderr = %q; want %q", r.stderr, want)
			}
		})
	}
}

func TestUsageError(t *testing.T) {
	r := run(t, "127.0.0.1:1", "get", "nodes", "--bogus")
	if r.err == nil || !strings.HasPrefix(r.stderr, "railyard: unknown flag: --bogus\n") {
		t.Errorf("err = %v, stderr = %q; want unknown flag", r.err, r.stderr)
	}
	if !strings.Contains(r.stdout, "Usage:") {
		t.Errorf("usage mistake does not print usage; stdout = %q", r.stdout)
	}
}

func TestUnreachable(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close()

	for _, args := range [][]string{
		{"get", "nodes"},
		{"get", "switches"},
		{"describe", "node", "x"},
		{"validate"},
		{"watch"},
	} {
		r := run(t, addr, args...)
		want := "railyard: cannot reach server at " + addr + " (is 'railyard serve' running? set --server or RAILYARD_SERVER): "
		if r.err == nil || !strings.HasPrefix(r.stderr, want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%v: err = %v, stderr = %q; want one line starting %q", args, r.err, r.stderr, want)
		}
		if !strings.Contains(r.stderr, "connection refused") {
			t.Errorf("%v: stderr = %q; want the reason", args, r.stderr)
		}
	}
}

func TestServerFromEnv(t *testing.T) {
	addr := newFakeServer().start(t)
	t.Setenv("RAILYARD_SERVER", addr)
	root := NewRootCommand()
	root.SetArgs([]string{"get", "tenants", "-o", "json"})
	var out bytes.Buffer
	root.SetOut(&out)
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "acme") {
		t.Errorf("output = %q", out.String())
	}

	t.Setenv("RAILYARD_SERVER", "")
	if got := NewRootCommand().PersistentFlags().Lookup("server").DefValue; got != DefaultServer {
		t.Errorf("default --server = %q; want %q", got, DefaultServer)
	}
}

func TestImport(t *testing.T) {
	t.Setenv("USER", "alice")
	// A file of two and a half chunks.
	content := bytes.Repeat([]byte("0123456789abcdef"), (chunkSize*5/2)/16)
	path := filepath.Join(t.TempDir(), "ams1.yaml")
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}

	f := newFakeServer()
	addr := f.start(t)
	r := run(t, addr, "import", path)
	if r.err != nil {
		t.Fatalf("import: %v", r.err)
	}
	if want := "imported " + path + ": 3 created, 1 updated, 0 deleted\n"; r.stdout != want {
		t.Errorf("stdout = %q; want %q", r.stdout, want)
	}
	if want := "warning: node/gpu-ams1-001/nic/cx7-0: rail 0 nic cabled to a rail 1 leaf (wrong-rail)\n"; r.stderr != want {
		t.Errorf("stderr = %q; want %q", r.stderr, want)
	}
	if len(f.imports) != 3 {
		t.Fatalf("got %d chunks; want 3", len(f.imports))
	}
	var got []byte
	for i, c := range f.imports {
		got = append(got, c.GetData()...)
		if len(c.GetData()) > chunkSize {
			t.Errorf("chunk %d has %d bytes; want at most %d", i, len(c.GetData()), chunkSize)
		}
		if i > 0 && (c.GetFilename() != "" || c.GetActor() != "") {
			t.Errorf("chunk %d repeats the metadata", i)
		}
	}
	if !bytes.Equal(got, content) {
		t.Errorf("server got %d bytes; want the file's %d", len(got), len(content))
	}
	first := f.imports[0]
	if first.GetFilename() != "ams1.yaml" || first.GetActor() != "alice" || first.GetDryRun() {
		t.Errorf("first chunk = filename %q, actor %q, dry_run %v; want ams1.yaml, alice, false",
			first.GetFilename(), first.GetActor(), first.GetDryRun())
	}
}

func TestImportDryRun(t *testing.T) {
	t.Setenv("USER", "")
	path := filepath.Join(t.TempDir(), "ams1.csv")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	f := newFakeServer()
	addr := f.start(t)
	out := runOK(t, addr, "import", "--dry-run", path)
	if want := "dry run: would create 3, update 1, delete 0 (" + path + ")\n"; !strings.HasPrefix(out, want) {
		t.Errorf("stdout = %q; want it to start %q", out, want)
	}
	if !strings.Contains(out, "gpu-ams1-001/0") {
		t.Errorf("dry run does not list the changes:\n%s", out)
	}
	// An empty file still sends its name.
	if len(f.imports) != 1 || !f.imports[0].GetDryRun() || f.imports[0].GetActor() != "unknown" || f.imports[0].GetFilename() != "ams1.csv" {
		t.Errorf("chunks = %v; want one naming ams1.csv, dry run, actor unknown", f.imports)
	}

	out = runOK(t, addr, "import", "--dry-run", path, "-o", "json")
	resp := &pb.ImportResponse{}
	if err := protojson.Unmarshal([]byte(out), resp); err != nil || resp.GetCreated() != 3 || !resp.GetDryRun() {
		t.Errorf("-o json = %s (%v); want the response", out, err)
	}
}

func TestImportRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ams1.yaml")
	if err := os.WriteFile(path, []byte("nodes: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := newFakeServer()
	f.importErr = status.Error(codes.InvalidArgument, "ams1.yaml:1: unexpected end of flow sequence")
	r := run(t, f.start(t), "import", path)
	if want := "railyard: invalid argument: ams1.yaml:1: unexpected end of flow sequence\n"; r.err == nil || r.stderr != want {
		t.Errorf("err = %v, stderr = %q; want %q", r.err, r.stderr, want)
	}
}

func TestValidate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ams1.yaml")
	if err := os.WriteFile(path, []byte("sites: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		findings []*pb.Finding
		args     []string
		wantOut  string // a line the output contains
		wantErr  string
	}{
		{"clean", nil, []string{path}, "no findings", ""},
		{"stored", nil, nil, "no findings", ""},
		{"warning", testFindings()[1:], []string{path}, "wrong-rail", ""},
		{"error", testFindings(), []string{path}, "duplicate-mac", "validation failed: 1 error"},
		{"errors", append(testFindings(), testFindings()...), nil, "SEVERITY", "validation failed: 2 errors"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer()
			f.findings = tt.findings
			r := run(t, f.start(t), append([]string{"validate"}, tt.args...)...)
			if !strings.Contains(r.stdout, tt.wantOut) {
				t.Errorf("stdout lacks %q:\n%s", tt.wantOut, r.stdout)
			}
			gotErr := ""
			if r.err != nil {
				gotErr = r.err.Error()
			}
			if gotErr != tt.wantErr {
				t.Errorf("error = %q; want %q", gotErr, tt.wantErr)
			}
			want := &pb.ValidateRequest{}
			if len(tt.args) > 0 {
				want = &pb.ValidateRequest{Filename: "ams1.yaml", Content: []byte("sites: []\n")}
			}
			if diff := cmp.Diff(want, f.validated, protocmp.Transform()); diff != "" {
				t.Errorf("request mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateJSON(t *testing.T) {
	f := newFakeServer()
	f.findings = testFindings()
	r := run(t, f.start(t), "validate", "-o", "json")
	var got []map[string]string
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || len(got) != 2 {
		t.Errorf("-o json = %s (%v); want 2 findings", r.stdout, err)
	}
	if r.err == nil {
		t.Error("validate succeeded with an error finding")
	}
}

func TestExport(t *testing.T) {
	f := newFakeServer()
	f.export = []byte("name,site\nn1,ams1\n")
	addr := f.start(t)

	out := runOK(t, addr, "export", "-f", "csv", "--site", "ams1")
	if out != string(f.export) {
		t.Errorf("stdout = %q; want %q", out, f.export)
	}
	want := &pb.ExportRequest{Format: "csv", Filter: &pb.Filter{Site: "ams1"}}
	if diff := cmp.Diff(want, f.exported, protocmp.Transform()); diff != "" {
		t.Errorf("request mismatch (-want +got):\n%s", diff)
	}

	dir := t.TempDir()
	path := filepath.Join(dir, "fleet.yaml")
	if out := runOK(t, addr, "export", "--out", path); out != "" {
		t.Errorf("stdout = %q; want nothing with --out", out)
	}
	if got, err := os.ReadFile(path); err != nil || string(got) != string(f.export) {
		t.Errorf("file = %q (%v); want %q", got, err, f.export)
	}
	if f.exported.GetFormat() != "yaml" {
		t.Errorf("default format = %q; want yaml", f.exported.GetFormat())
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("export left %d files; want 1", len(ents))
	}
}

func TestWatch(t *testing.T) {
	f := newFakeServer()
	addr := f.start(t)

	out := runOK(t, addr, "watch", "--after-seq", "-1", "--kind", "node")
	want := []string{
		"SEQ      TIME                 OP     KIND          KEY                                      SOURCE",
		"3        2025-03-01T09:00:00Z create node          gpu-ams1-001                             import:ams1.yaml",
		"12       2025-03-02T08:00:00Z update node          gpu-ams1-001                             api",
	}
	if diff := cmp.Diff(want, strings.Split(strings.TrimSuffix(out, "\n"), "\n")); diff != "" {
		t.Errorf("output mismatch (-want +got):\n%s", diff)
	}
	wantReq := &pb.WatchRequest{AfterSeq: -1, Kinds: []string{"node"}}
	if diff := cmp.Diff(wantReq, f.watched, protocmp.Transform()); diff != "" {
		t.Errorf("request mismatch (-want +got):\n%s", diff)
	}

	out = runOK(t, addr, "watch", "--after-seq", "5", "--subject", "gpu-ams1-001", "-o", "json")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines; want 2:\n%s", len(lines), out)
	}
	for i, wantSeq := range []int64{7, 12} {
		c := &pb.Change{}
		if err := protojson.Unmarshal([]byte(lines[i]), c); err != nil || c.GetSeq() != wantSeq {
			t.Errorf("line %d = %s (%v); want change %d", i, lines[i], err, wantSeq)
		}
	}
	if f.watched.GetSubject() != "gpu-ams1-001" {
		t.Errorf("subject = %q", f.watched.GetSubject())
	}

	out = runOK(t, addr, "watch", "--after-seq", "-1", "-o", "yaml")
	if n := strings.Count(out, "seq:"); n != 3 || strings.Count(out, "---\n") != 2 {
		t.Errorf("-o yaml: want 3 documents:\n%s", out)
	}
}

func TestCommands(t *testing.T) {
	out := runOK(t, "127.0.0.1:1", "help")
	for _, name := range []string{"completion", "describe", "export", "get", "import", "validate", "watch"} {
		if !strings.Contains(out, "\n  "+name+" ") {
			t.Errorf("help does not list %s:\n%s", name, out)
		}
	}
	for _, shell := range []string{"bash", "zsh", "fish"} {
		out := runOK(t, "127.0.0.1:1", "completion", shell)
		if !strings.Contains(out, "railyard") {
			t.Errorf("completion %s: no script", shell)
		}
	}
}

func TestExtraCommands(t *testing.T) {
	ran := false
	serve := &cobra.Command{Use: "serve", RunE: func(*cobra.Command, []string) error { ran = true; return nil }}
	root := NewRootCommand(serve)
	root.SetArgs([]string{"serve"})
	if err := root.Execute(); err != nil || !ran {
		t.Errorf("serve: ran %v, err %v", ran, err)
	}
}
