package main

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The end-to-end test builds the real binary, serves the lab-1su sample on
// SQLite and drives it with the CLI, as `make run` and the README do.

var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "railyard-e2e-")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "railyard")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// serve starts `railyard serve` and waits until it answers.
func serve(t *testing.T, args ...string) string {
	addr, _ := serveStoppable(t, args...)
	return addr
}

// serveStoppable is serve, also returning a function that stops the server.
func serveStoppable(t *testing.T, args ...string) (string, func()) {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(bin, append([]string{"serve", "--listen", addr}, args...)...)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cmd.Process.Signal(os.Interrupt)
			cmd.Wait()
		}
	}
	t.Cleanup(stop)
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, _, err := run(addr, "get", "tenants"); err == nil {
			return addr, stop
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not come up:\n%s", log.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func run(addr string, args ...string) (stdout, stderr string, err error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "RAILYARD_SERVER="+addr)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

func mustRun(t *testing.T, addr string, args ...string) string {
	t.Helper()
	out, errOut, err := run(addr, args...)
	if err != nil {
		t.Fatalf("railyard %s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	return out
}

func TestServeSampleAndCLI(t *testing.T) {
	db := filepath.Join(t.TempDir(), "railyard.db")
	addr := serve(t, "--db", db, "--sample", "lab-1su")

	var gpus []map[string]any
	if err := json.Unmarshal([]byte(mustRun(t, addr, "get", "gpus", "-o", "json")), &gpus); err != nil {
		t.Fatalf("get gpus -o json is not a JSON array: %v", err)
	}
	if len(gpus) != 256 {
		t.Fatalf("get gpus lists %d GPUs, want 256", len(gpus))
	}
	out := mustRun(t, addr, "describe", "node", "lab-su01-r01-n01")
	for _, want := range []string{"lab-su01-r01-n01", "H100", "ib0", "create"} {
		if !strings.Contains(out, want) {
			t.Errorf("describe node output lacks %q:\n%s", want, out)
		}
	}

	before := mustRun(t, addr, "export")
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("hostname,rack,gpu_model,gpu_count\nnew-1,lab-su01-r01,H100,8\nnew-2,lab-su01-r01,H100,lots\n"), 0o644)
	_, errOut, err := run(addr, "import", bad)
	if err == nil {
		t.Fatal("import of a malformed CSV succeeded")
	}
	if !strings.Contains(errOut, "bad.csv:3") || !strings.Contains(errOut, "gpu_count") {
		t.Errorf("error does not name the line and column: %q", errOut)
	}
	if after := mustRun(t, addr, "export"); after != before {
		t.Error("a refused import changed the inventory")
	}

	// The sample spreadsheet imports into the same server, and a second
	// import changes nothing.
	sheet := filepath.Join("..", "..", "inventory-samples", "spreadsheet.csv")
	if out := mustRun(t, addr, "import", sheet); !strings.Contains(out, "created") {
		t.Errorf("import output: %q", out)
	}
	if out := mustRun(t, addr, "import", sheet); !strings.Contains(out, "0 created, 0 updated, 0 deleted") {
		t.Errorf("re-import changed things: %q", out)
	}
	if _, _, err := run(addr, "validate"); err != nil {
		t.Errorf("validate of the stored inventory failed: %v", err)
	}
}

func TestServeRestartKeepsInventory(t *testing.T) {
	db := filepath.Join(t.TempDir(), "railyard.db")
	addr, stop := serveStoppable(t, "--db", db, "--sample", "gb200-nvl72-8rack")
	first := mustRun(t, addr, "export")
	seq := mustRun(t, addr, "describe", "node", "nvl-su01-r01-n01")
	stop()
	// The restarted server migrates nothing, re-loads the sample as a
	// no-op and serves the same inventory and history.
	addr = serve(t, "--db", db, "--sample", "gb200-nvl72-8rack")
	if second := mustRun(t, addr, "export"); second != first {
		t.Error("inventory changed across a restart")
	}
	if again := mustRun(t, addr, "describe", "node", "nvl-su01-r01-n01"); again != seq {
		t.Errorf("node history changed across a restart:\nbefore:\n%s\nafter:\n%s", seq, again)
	}
}

// TestCarveTour runs the README's carving tour against a real server: a
// block in one leaf domain, and a refusal that explains itself.
func TestCarveTour(t *testing.T) {
	db := filepath.Join(t.TempDir(), "railyard.db")
	addr := serve(t, "--db", db, "--sample", "lab-1su")

	out := mustRun(t, addr, "carve", "acme", "--gpus", "64", "--within", "leaf")
	if !strings.Contains(out, "block acme-1: 64 H100-SXM5-80GB GPUs (8 nodes) for acme") || !strings.Contains(out, "leaf 1 (bound 1)") {
		t.Errorf("carve output:\n%s", out)
	}
	mustRun(t, addr, "tenant", "quota", "globex", "H100-SXM5-80GB=128")
	_, errOut, err := run(addr, "carve", "globex", "--gpus", "256", "--within", "leaf")
	if err == nil {
		t.Fatal("carving 256 GPUs with 192 free and a quota of 128 succeeded")
	}
	for _, want := range []string{
		"cannot place 256 H100-SXM5-80GB GPUs (32 nodes) for globex within one leaf domain",
		"quota: quota allows 128 more H100-SXM5-80GB GPUs for globex (holds 0 of 128)",
		"capacity: only 192 H100-SXM5-80GB GPUs (24 nodes) are free",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("refusal lacks %q:\n%s", want, errOut)
		}
	}
	// The refusal changed nothing.
	var blocks []map[string]any
	if err := json.Unmarshal([]byte(mustRun(t, addr, "carve", "list", "-o", "json")), &blocks); err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 1 {
		t.Fatalf("%d blocks after one carve and one refusal", len(blocks))
	}
	mustRun(t, addr, "carve", "release", "acme-1")
}
