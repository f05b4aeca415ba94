package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	pb "github.com/railyard/railyard/proto/railyard/v1"
)

// runErr is run for a command that must fail; it returns the error's
// text.
func runErr(t *testing.T, addr string, args ...string) result {
	t.Helper()
	r := run(t, addr, args...)
	if r.err == nil {
		t.Fatalf("railyard %s succeeded; want an error\nstdout:\n%s", strings.Join(args, " "), r.stdout)
	}
	return r
}

func TestCarveRequest(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want *pb.CarveRequest
	}{
		{"least", []string{"acme", "--gpus", "8"}, &pb.CarveRequest{Tenant: "acme", Gpus: 8}},
		{"all", []string{"acme", "--gpus", "64", "--model", fakeModel, "--site", "lab", "--within", "leaf", "--prefer", "NVLink",
			"--segment", "4", "--segment-level", "leaf", "--priority", "5", "--preemptible", "--name", "train", "--dry-run"},
			&pb.CarveRequest{Block: "train", Tenant: "acme", GpuModel: fakeModel, Site: "lab", Gpus: 64, Required: "leaf", Preferred: "nvlink",
				SegmentNodes: 4, SegmentLevel: "leaf", Priority: 5, Preemptible: true, DryRun: true}},
		{"flags first", []string{"--within", "pod", "--gpus", "16", "acme"}, &pb.CarveRequest{Tenant: "acme", Gpus: 16, Required: "pod"}},
		{"site level", []string{"acme", "--gpus", "16", "--within", "site", "--priority", "-3"}, &pb.CarveRequest{Tenant: "acme", Gpus: 16, Required: "site", Priority: -3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, addr := startCarve(t)
			runOK(t, addr, append([]string{"carve"}, tt.args...)...)
			if diff := cmp.Diff(tt.want, f.last(), protocmp.Transform()); diff != "" {
				t.Errorf("request mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCarveUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"acme", "--gpus", "8", "--within", "rack"}, `unknown level "rack" for --within: want nvlink, leaf, pod or site`},
		{[]string{"acme", "--gpus", "8", "--prefer", "row"}, `unknown level "row" for --prefer: want nvlink, leaf, pod or site`},
		{[]string{"acme", "--gpus", "8", "--segment", "2", "--segment-level", "x"}, `unknown level "x" for --segment-level`},
		{[]string{"acme", "--gpus", "8", "--segment-level", "leaf"}, "--segment-level needs --segment NODES"},
		{[]string{"acme", "--gpus", "0"}, "--gpus must be positive"},
		{[]string{"acme", "--gpus", "8", "--segment", "-1"}, "--segment must not be negative"},
		{[]string{"acme"}, "no --gpus: railyard carve acme --gpus N carves a block for tenant acme"},
		{[]string{"lst"}, "did you mean railyard carve list?"},
		{[]string{"--gpus", "8"}, "no TENANT"},
		{[]string{"acme", "beta", "--gpus", "8"}, "accepts at most 1 arg(s), received 2"},
		{[]string{"defrag", "--level", "site"}, `unknown level "site" for --level: want leaf, nvlink or pod`},
		{[]string{"defrag", "--plan", "--apply"}, "[apply plan] were all set"},
		{[]string{"defrag", "--max-nodes", "-1"}, "--max-nodes must not be negative"},
		{[]string{"grow", "acme-1"}, `required flag(s) "gpus" not set`},
		{[]string{"shrink", "acme-1", "--gpus", "-8"}, "--gpus must be positive"},
		{[]string{"reserve", "r1", "--domain", "leaf:lab-su01"}, `required flag(s) "tenant" not set`},
		{[]string{"reserve", "r1", "--tenant", "acme"}, "at least one of the flags in the group [domain nodes] is required"},
		{[]string{"reserve", "r1", "--tenant", "acme", "--domain", "lab-su01"}, `--domain "lab-su01": want LEVEL:NAME, such as leaf:lab-su01`},
		{[]string{"reserve", "r1", "--tenant", "acme", "--domain", "rack:r01"}, `unknown level "rack" for --domain`},
		{[]string{"reserve", "r1", "--tenant", "acme", "--nodes", "n1", "--until", "next week"}, `--until "next week": want a time such as 2025-06-01T00:00:00Z or a duration such as 168h`},
		{[]string{"reserve", "r1", "--tenant", "acme", "--nodes", "n1", "--until", "-1h"}, "the duration must be positive"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			f, addr := startCarve(t)
			r := runErr(t, addr, append([]string{"carve"}, tt.args...)...)
			if !strings.Contains(r.err.Error(), tt.want) {
				t.Errorf("error = %q; want %q", r.err, tt.want)
			}
			if got := f.last(); got != nil {
				t.Errorf("a bad command called the server: %v", got)
			}
		})
	}
}

func TestCarveHelp(t *testing.T) {
	out := runOK(t, "127.0.0.1:1", "carve")
	for _, want := range []string{"Usage:", "railyard carve TENANT --gpus N [flags]", "railyard carve [command]", "defrag", "reserve", "--within"} {
		if !strings.Contains(out, want) {
			t.Errorf("carve with no arguments: help lacks %q:\n%s", want, out)
		}
	}
}

func TestCarveOutput(t *testing.T) {
	f, addr := startCarve(t)
	runOK(t, addr, "tenant", "quota", "acme", fakeModel+"=256")
	var out bytes.Buffer
	out.WriteString(runOK(t, addr, "carve", "acme", "--gpus", "32", "--within", "leaf", "--prefer", "nvlink", "--dry-run"))
	out.WriteString(runOK(t, addr, "carve", "acme", "--gpus", "64", "--within", "leaf", "--segment", "4", "--segment-level", "leaf"))
	out.WriteString(runOK(t, addr, "carve", "acme", "--gpus", "4"))
	checkGolden(t, "carve.table", out.Bytes())
	if len(f.blocks) != 2 {
		t.Errorf("got %d blocks; want 2 (the dry run commits nothing)", len(f.blocks))
	}

	js := runOK(t, addr, "carve", "internal", "--gpus", "16", "-o", "json")
	pl := &pb.Placement{}
	if err := protojson.Unmarshal([]byte(js), pl); err != nil {
		t.Fatalf("-o json: %v\n%s", err, js)
	}
	if pl.GetBlock().GetName() != "internal-1" || len(pl.GetBlock().GetMembers()) != 2 {
		t.Errorf("-o json = %v; want block internal-1 of 2 nodes", pl)
	}
}

// briefRefusal is a refusal for two reasons.
func briefRefusal() *pb.Refusal {
	return &pb.Refusal{
		Request: "256 H100 GPUs (32 nodes) for acme within one leaf domain",
		Reasons: []*pb.RefusalReason{
			{Code: "quota", Message: "quota allows 128 more H100 GPUs for acme (holds 128 of 256)"},
			{Code: "fragmented", Message: "the largest free leaf domain has 192 GPUs (24 nodes): lab-su01"},
		},
	}
}

func TestCarveRefused(t *testing.T) {
	f, addr := startCarve(t)
	f.refusal = briefRefusal()
	var stderr bytes.Buffer
	for _, format := range []string{"table", "json"} {
		r := runErr(t, addr, "carve", "acme", "--gpus", "256", "--within", "leaf", "-o", format)
		if r.stdout != "" {
			t.Errorf("-o %s: a refusal printed %q on stdout", format, r.stdout)
		}
		stderr.WriteString(r.stderr)
	}
	checkGolden(t, "refusal.stderr", stderr.Bytes())

	// Refusals the fake works out: over quota and over capacity, and one
	// from grow.
	f.refusal = nil
	runOK(t, addr, "tenant", "quota", "acme", fakeModel+"=64")
	runOK(t, addr, "carve", "acme", "--gpus", "32")
	r := runErr(t, addr, "carve", "acme", "--gpus", "512", "--within", "pod")
	want := `railyard: cannot place 512 H100-SXM5-80GB GPUs (64 nodes) for acme within one pod:
  - quota: quota allows 32 more H100-SXM5-80GB GPUs for acme (holds 32 of 64)
  - capacity: only 224 H100-SXM5-80GB GPUs (28 nodes) are free in the fleet
`
	if diff := cmp.Diff(want, r.stderr); diff != "" {
		t.Errorf("stderr mismatch (-want +got):\n%s", diff)
	}
	r = runErr(t, addr, "carve", "grow", "acme-1", "--gpus", "40")
	want = `railyard: cannot place 40 more H100-SXM5-80GB GPUs (5 nodes) for block acme-1:
  - quota: quota allows 32 more H100-SXM5-80GB GPUs for acme (holds 32 of 64)
`
	if diff := cmp.Diff(want, r.stderr); diff != "" {
		t.Errorf("grow stderr mismatch (-want +got):\n%s", diff)
	}
}

func TestRefusalError(t *testing.T) {
	tests := []struct {
		name string
		st   *status.Status
		want string
	}{
		{"no detail", status.New(codes.ResourceExhausted, "no room"), "resource exhausted: no room"},
		{"brief", withDetail(t, status.New(codes.ResourceExhausted, "x"), briefRefusal()),
			"cannot place 256 H100 GPUs (32 nodes) for acme within one leaf domain:\n" +
				"  - quota: quota allows 128 more H100 GPUs for acme (holds 128 of 256)\n" +
				"  - fragmented: the largest free leaf domain has 192 GPUs (24 nodes): lab-su01"},
		{"no request", withDetail(t, status.New(codes.FailedPrecondition, "node is cordoned"), &pb.Refusal{
			Reasons: []*pb.RefusalReason{{Message: "lab-su01-r01-n01 is\ncordoned"}},
		}), "failed precondition: node is cordoned:\n  - lab-su01-r01-n01 is cordoned"},
		{"no reasons", withDetail(t, status.New(codes.ResourceExhausted, "x"), &pb.Refusal{Request: "8 GPUs for acme"}),
			"cannot place 8 GPUs for acme"},
	}
	c := &conn{o: &options{}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.rpcError(tt.st.Err()).Error(); got != tt.want {
				t.Errorf("rpcError = %q; want %q", got, tt.want)
			}
		})
	}
}

func withDetail(t *testing.T, st *status.Status, r *pb.Refusal) *status.Status {
	t.Helper()
	st, err := st.WithDetails(r)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestRefusalAnyCommand: a refusal reads the same from any command.
func TestRefusalAnyCommand(t *testing.T) {
	f := newFakeServer()
	f.importErr = withDetail(t, status.New(codes.ResourceExhausted, "x"), briefRefusal()).Err()
	r := runErr(t, f.start(t), "import", "--dry-run", "/dev/null")
	if !strings.HasPrefix(r.stderr, "railyard: cannot place 256 H100 GPUs (32 nodes) for acme within one leaf domain:\n  - quota: ") {
		t.Errorf("stderr = %q; want the refusal", r.stderr)
	}
}

// carveBlocks carves the blocks the list and show tests print.
func carveBlocks(t *testing.T, addr string) {
	t.Helper()
	runOK(t, addr, "tenant", "create", "beta", "--description", "Beta Labs")
	runOK(t, addr, "carve", "acme", "--gpus", "32", "--within", "leaf", "--segment", "2", "--segment-level", "nvlink", "--priority", "10")
	runOK(t, addr, "carve", "beta", "--gpus", "16", "--preemptible", "--name", "beta-train")
	runOK(t, addr, "carve", "acme", "--gpus", "2")
}

func TestCarveListShow(t *testing.T) {
	f, addr := startCarve(t)
	carveBlocks(t, addr)
	var out bytes.Buffer
	out.WriteString(runOK(t, addr, "carve", "list"))
	out.WriteString("\n")
	out.WriteString(runOK(t, addr, "carve", "ls", "--tenant", "beta"))
	checkGolden(t, "blocks.table", out.Bytes())
	if diff := cmp.Diff(&pb.ListBlocksRequest{Tenant: "beta"}, f.last(), protocmp.Transform()); diff != "" {
		t.Errorf("request mismatch (-want +got):\n%s", diff)
	}

	checkGolden(t, "block-detail.table", []byte(runOK(t, addr, "carve", "show", "acme-1")))

	var blocks []map[string]any
	if out := runOK(t, addr, "carve", "list", "-o", "json"); json.Unmarshal([]byte(out), &blocks) != nil || len(blocks) != 3 {
		t.Errorf("-o json: want 3 blocks:\n%s", out)
	}
	yml := runOK(t, addr, "carve", "show", "beta-train", "-o", "yaml")
	if !strings.Contains(yml, "name: beta-train\n") || !strings.Contains(yml, "members:\n") {
		t.Errorf("-o yaml:\n%s", yml)
	}
	r := runErr(t, addr, "carve", "show", "nope")
	if want := "railyard: not found: block \"nope\" does not exist\n"; r.stderr != want {
		t.Errorf("stderr = %q; want %q", r.stderr, want)
	}
}

func TestCarveChanges(t *testing.T) {
	f, addr := startCarve(t)
	carveBlocks(t, addr)
	steps := [][]string{
		{"grow", "acme-1", "--gpus", "16", "--dry-run"},
		{"grow", "acme-1", "--gpus", "16"},
		{"shrink", "acme-1", "--gpus", "8"},
		{"swap", "acme-1", "lab-su01-r01-n02"},
		{"swap", "beta-train", "lab-su01-r01-n06", "--dry-run"},
		{"release", "beta-train", "--dry-run"},
		{"release", "beta-train"},
	}
	var out bytes.Buffer
	for _, s := range steps {
		out.WriteString("$ railyard carve " + strings.Join(s, " ") + "\n")
		out.WriteString(runOK(t, addr, append([]string{"carve"}, s...)...))
	}
	checkGolden(t, "changes.table", out.Bytes())

	// The requests of the last four steps.
	f.mu.Lock()
	got := f.reqs[len(f.reqs)-4:]
	f.mu.Unlock()
	want := []proto.Message{
		&pb.SwapRequest{Block: "acme-1", Node: "lab-su01-r01-n02"},
		&pb.SwapRequest{Block: "beta-train", Node: "lab-su01-r01-n06", DryRun: true},
		&pb.ReleaseRequest{Block: "beta-train", DryRun: true},
		&pb.ReleaseRequest{Block: "beta-train"},
	}
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("requests mismatch (-want +got):\n%s", diff)
	}
	if _, err := f.block("beta-train"); err == nil {
		t.Error("beta-train is still there after release")
	}
}

func TestDefrag(t *testing.T) {
	tests := []struct {
		args   []string
		want   *pb.DefragRequest
		golden string
	}{
		{nil, &pb.DefragRequest{}, "defrag-plan.table"},
		{[]string{"--plan", "--model", fakeModel, "--max-nodes", "16", "--level", "NVLink"}, &pb.DefragRequest{GpuModel: fakeModel, MaxNodes: 16, Level: "nvlink"}, ""},
		{[]string{"--apply", "--level", "leaf"}, &pb.DefragRequest{Level: "leaf", Apply: true}, "defrag-applied.table"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			f, addr := startCarve(t)
			out := runOK(t, addr, append([]string{"carve", "defrag"}, tt.args...)...)
			if diff := cmp.Diff(tt.want, f.last(), protocmp.Transform()); diff != "" {
				t.Errorf("request mismatch (-want +got):\n%s", diff)
			}
			if tt.golden != "" {
				checkGolden(t, tt.golden, []byte(out))
			}
		})
	}

	// No moves.
	var buf bytes.Buffer
	d := testDefragPlan()
	d.Moves, d.NodesMoved, d.Freed, d.After = nil, 0, nil, d.Before
	if err := writeDefragPlan(&buf, d); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "defrag-none.table", buf.Bytes())

	_, addr := startCarve(t)
	got := &pb.DefragPlan{}
	if err := protojson.Unmarshal([]byte(runOK(t, addr, "carve", "defrag", "-o", "json")), got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(testDefragPlan(), got, protocmp.Transform()); diff != "" {
		t.Errorf("-o json mismatch (-want +got):\n%s", diff)
	}
}

func TestReservations(t *testing.T) {
	defer func(old func() time.Time) { now = old }(now)
	now = func() time.Time { return time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC) }

	f, addr := startCarve(t)
	out := runOK(t, addr, "carve", "reserve", "acme-su02", "--tenant", "acme", "--domain", "Leaf:lab-su02", "--until", "168h", "--note", "for the\trun")
	if want := "reserved leaf:lab-su02 for acme as acme-su02 until 2025-03-08T12:00:00Z\n"; out != want {
		t.Errorf("stdout = %q; want %q", out, want)
	}
	want := &pb.ReserveRequest{Reservation: &pb.Reservation{
		Name: "acme-su02", Tenant: "acme", Level: "leaf", Domain: "lab-su02", Note: "for the\trun", Until: ts("2025-03-08T12:00:00Z"),
	}}
	if diff := cmp.Diff(want, f.last(), protocmp.Transform()); diff != "" {
		t.Errorf("request mismatch (-want +got):\n%s", diff)
	}
	runOK(t, addr, "carve", "reserve", "spares", "--tenant", "internal", "--nodes", "lab-su03-r01-n01,lab-su03-r01-n02", "--nodes", "lab-su03-r01-n03", "--until", "2025-04-01T00:00:00+02:00")
	want = &pb.ReserveRequest{Reservation: &pb.Reservation{
		Name: "spares", Tenant: "internal", Nodes: []string{"lab-su03-r01-n01", "lab-su03-r01-n02", "lab-su03-r01-n03"}, Until: ts("2025-03-31T22:00:00Z"),
	}}
	if diff := cmp.Diff(want, f.last(), protocmp.Transform()); diff != "" {
		t.Errorf("request mismatch (-want +got):\n%s", diff)
	}
	runOK(t, addr, "carve", "reserve", "old", "--tenant", "acme", "--domain", "nvlink:lab-su01-r01-n01")

	checkGolden(t, "reservations.table", []byte(runOK(t, addr, "carve", "reservations")))

	if out := runOK(t, addr, "carve", "unreserve", "old"); out != "reservation old removed\n" {
		t.Errorf("unreserve: stdout = %q", out)
	}
	if r := runErr(t, addr, "carve", "unreserve", "old"); !strings.Contains(r.stderr, `not found: reservation "old" does not exist`) {
		t.Errorf("unreserve twice: stderr = %q", r.stderr)
	}
}

func TestCapacity(t *testing.T) {
	f, addr := startCarve(t)
	runOK(t, addr, "tenant", "quota", "acme", fakeModel+"=128")
	runOK(t, addr, "carve", "acme", "--gpus", "64")
	var out bytes.Buffer
	out.WriteString(runOK(t, addr, "carve", "capacity", "--tenant", "acme", "--model", fakeModel))
	out.WriteString("\n")
	out.WriteString(runOK(t, addr, "carve", "capacity"))
	checkGolden(t, "capacity.table", out.Bytes())
	if diff := cmp.Diff(&pb.CapacityRequest{}, f.last(), protocmp.Transform()); diff != "" {
		t.Errorf("request mismatch (-want +got):\n%s", diff)
	}
}

func TestCordon(t *testing.T) {
	t.Setenv("USER", "alice")
	f, addr := startCarve(t)
	if out := runOK(t, addr, "cordon", "lab-su01-r01-n01", "--reason", "xid 79"); out != "node lab-su01-r01-n01 cordoned\n" {
		t.Errorf("cordon: stdout = %q", out)
	}
	if diff := cmp.Diff(&pb.CordonRequest{Node: "lab-su01-r01-n01", Cordoned: true, Reason: "xid 79"}, f.last(), protocmp.Transform()); diff != "" {
		t.Errorf("request mismatch (-want +got):\n%s", diff)
	}
	if f.actors[len(f.actors)-1] != "alice" {
		t.Errorf("actor = %q; want alice, the user", f.actors[len(f.actors)-1])
	}
	if out := runOK(t, addr, "uncordon", "lab-su01-r01-n01"); out != "node lab-su01-r01-n01 uncordoned\n" {
		t.Errorf("uncordon: stdout = %q", out)
	}
	if diff := cmp.Diff(&pb.CordonRequest{Node: "lab-su01-r01-n01"}, f.last(), protocmp.Transform()); diff != "" {
		t.Errorf("request mismatch (-want +got):\n%s", diff)
	}
	if r := runErr(t, addr, "uncordon", "lab-1", "--reason", "x"); !strings.Contains(r.stderr, "unknown flag: --reason") {
		t.Errorf("uncordon --reason: stderr = %q", r.stderr)
	}
}

func TestCarveCompletion(t *testing.T) {
	_, addr := startCarve(t)
	carveBlocks(t, addr)
	out := runOK(t, addr, "__complete", "carve", "show", "")
	for _, want := range []string{"acme-1\n", "beta-train\n", "acme-2\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("completion lacks %q:\n%s", want, out)
		}
	}
	out = runOK(t, addr, "__complete", "carve", "swap", "beta-train", "")
	if !strings.HasPrefix(out, "lab-su01-r01-n05\nlab-su01-r01-n06\n:4\n") {
		t.Errorf("swap NODE completion:\n%s", out)
	}
	out = runOK(t, addr, "__complete", "carve", "list", "--tenant", "")
	if !strings.HasPrefix(out, "acme\ninternal\nbeta\n:4\n") {
		t.Errorf("--tenant completion:\n%s", out)
	}
	out = runOK(t, addr, "__complete", "carve", "acme", "--within", "")
	if !strings.HasPrefix(out, "nvlink\nleaf\npod\nsite\n:4\n") {
		t.Errorf("--within completion:\n%s", out)
	}
}

func TestCarveUnreachable(t *testing.T) {
	for _, args := range [][]string{{"carve", "list"}, {"carve", "acme", "--gpus", "8"}, {"tenant", "list"}, {"cordon", "n1"}} {
		r := run(t, "127.0.0.1:1", args...)
		want := "railyard: cannot reach server at 127.0.0.1:1 (is 'railyard serve' running? set --server or RAILYARD_SERVER): "
		if r.err == nil || !strings.HasPrefix(r.stderr, want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%v: err = %v, stderr = %q; want one line starting %q", args, r.err, r.stderr, want)
		}
	}
}

func TestGPURanges(t *testing.T) {
	tests := []struct {
		in   []int32
		want string
	}{
		{nil, ""},
		{[]int32{0}, "0"},
		{[]int32{0, 1, 2, 3, 4, 5, 6, 7}, "0-7"},
		{[]int32{6, 0, 1, 3, 2, 2}, "0-3,6"},
		{[]int32{1, 3, 5, 6}, "1,3,5-6"},
	}
	for _, tt := range tests {
		if got := gpuRanges(tt.in); got != tt.want {
			t.Errorf("gpuRanges(%v) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestCarveCommands(t *testing.T) {
	out := runOK(t, "127.0.0.1:1", "help")
	for _, name := range []string{"carve", "cordon", "tenant", "uncordon"} {
		if !strings.Contains(out, "\n  "+name+" ") {
			t.Errorf("help does not list %s:\n%s", name, out)
		}
	}
	out = runOK(t, "127.0.0.1:1", "carve", "--help")
	for _, name := range []string{"list", "show", "grow", "shrink", "release", "swap", "defrag", "reserve", "unreserve", "reservations", "capacity"} {
		if !strings.Contains(out, "\n  "+name+" ") {
			t.Errorf("carve help does not list %s:\n%s", name, out)
		}
	}
}
