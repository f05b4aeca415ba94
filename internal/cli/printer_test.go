package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"

	pb "github.com/railyard/railyard/proto/railyard/v1"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// checkGolden compares got with testdata/name.golden, or rewrites the
// file with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

func TestPrinterGolden(t *testing.T) {
	// list returns a func printing items with cols, for the table below.
	type printFunc func(*printer) error
	list := func(items any) printFunc {
		return func(p *printer) error {
			switch items := items.(type) {
			case []*pb.Node:
				return printList(p, items, nodeColumns)
			case []*pb.GPU:
				return printList(p, items, gpuColumns)
			case []*pb.NIC:
				return printList(p, items, nicColumns)
			case []*pb.Switch:
				return printList(p, items, switchColumns)
			case []*pb.Link:
				return printList(p, items, linkColumns)
			case []*pb.Tenant:
				return printList(p, items, tenantColumns)
			case []*pb.Finding:
				return printList(p, items, findingColumns)
			}
			t.Fatalf("no columns for %T", items)
			return nil
		}
	}
	message := func(m proto.Message) printFunc {
		return func(p *printer) error { return p.printMessage(m) }
	}
	tests := []struct {
		name    string
		formats []string
		print   printFunc
	}{
		{"nodes", []string{formatTable, formatJSON, formatYAML}, list(testNodes())},
		{"gpus", []string{formatTable, formatJSON, formatYAML}, list(testGPUs())},
		{"nics", []string{formatTable, formatJSON}, list(testNICs())},
		{"switches", []string{formatTable, formatYAML}, list(testSwitches())},
		{"links", []string{formatTable, formatJSON}, list(testLinks())},
		{"tenants", []string{formatTable, formatYAML}, list(testTenants())},
		{"findings", []string{formatTable}, list(testFindings())},
		{"empty", []string{formatTable, formatJSON, formatYAML}, list([]*pb.Node(nil))},
		{"node-detail", []string{formatJSON, formatYAML}, message(testNodeDetail())},
		{"node-detail", []string{formatTable}, func(p *printer) error { return writeNodeDetail(p.w, testNodeDetail()) }},
		{"switch-detail", []string{formatTable}, func(p *printer) error { return writeSwitchDetail(p.w, testSwitchDetail()) }},
	}
	for _, tt := range tests {
		for _, format := range tt.formats {
			name := tt.name + "." + format
			t.Run(name, func(t *testing.T) {
				var buf bytes.Buffer
				p, err := newPrinter(&buf, format)
				if err != nil {
					t.Fatal(err)
				}
				if err := tt.print(p); err != nil {
					t.Fatal(err)
				}
				checkGolden(t, name, buf.Bytes())
			})
		}
	}
}

func TestNewPrinterUnknownFormat(t *testing.T) {
	if _, err := newPrinter(nil, "xml"); err == nil {
		t.Fatal("newPrinter(xml) succeeded; want error")
	}
}

func TestTidyReason(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{
			`connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:1: connect: connection refused"`,
			"dial tcp 127.0.0.1:1: connect: connection refused",
		},
		{"name resolver error: produced zero addresses", "name resolver error: produced zero addresses"},
	}
	for _, tt := range tests {
		if got := tidyReason(tt.in); got != tt.want {
			t.Errorf("tidyReason(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}
