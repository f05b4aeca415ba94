package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	pb "github.com/railyard/railyard/proto/railyard/v1"
)

// campaignJSON is what `maint status NAME -o json` prints, in part.
type campaignJSON struct {
	Campaign struct {
		State  string `json:"state"`
		Reason string `json:"reason"`
	} `json:"campaign"`
	Progress struct {
		Total   int `json:"total"`
		Done    int `json:"done"`
		Offline int `json:"offline"`
		Failed  int `json:"failed"`
	} `json:"progress"`
	Nodes []nodeJSON `json:"nodes"`
}

type nodeJSON struct {
	Node  string `json:"node"`
	Phase string `json:"phase"`
	Mode  string `json:"mode"`
}

func campaignStatus(t *testing.T, addr, name string) campaignJSON {
	t.Helper()
	var st campaignJSON
	if err := json.Unmarshal([]byte(mustRun(t, addr, "maint", "status", name, "-o", "json")), &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// watchCampaign runs `maint status NAME --watch` and fails the test if it
// does not end within limit.
func watchCampaign(t *testing.T, addr, name string, limit time.Duration) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "maint", "status", name, "--watch", "--interval", "200ms")
	cmd.Env = append(os.Environ(), "RAILYARD_SERVER="+addr)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		t.Fatalf("maint status %s --watch: %v (limit %s)\n%s%s", name, err, limit, o.String(), e.String())
	}
	return o.String()
}

// history is the stored history of a campaign, its node records and the
// nodes' cordons, in sequence order, read through the Watch API up to
// the change that finished the campaign.
func history(t *testing.T, addr, campaign string) []*pb.Change {
	t.Helper()
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	w, err := pb.NewInventoryServiceClient(cc).Watch(ctx, &pb.WatchRequest{AfterSeq: -1, Kinds: []string{"campaign", "campaign_node", "node"}})
	if err != nil {
		t.Fatal(err)
	}
	var out []*pb.Change
	for {
		c, err := w.Recv()
		if err != nil {
			t.Fatalf("history: %v (after %d changes)", err, len(out))
		}
		out = append(out, c)
		if c.Kind == "campaign" && c.Key == campaign {
			var after struct {
				State string `json:"state"`
			}
			json.Unmarshal([]byte(c.AfterJson), &after)
			if after.State == "done" {
				return out
			}
		}
	}
}

// replay walks a campaign's history: it calls step after every change
// with each node's phase and the nodes cordoned, and returns the final
// phases and cordons.
func replay(t *testing.T, campaign string, changes []*pb.Change, step func(c *pb.Change, phase map[string]string)) (map[string]string, map[string]bool) {
	t.Helper()
	phase, cordoned := map[string]string{}, map[string]bool{}
	for _, c := range changes {
		switch {
		case c.Kind == "campaign_node" && c.Key == campaign:
			var targets struct {
				Targets []string `json:"targets"`
			}
			if err := json.Unmarshal([]byte(c.AfterJson), &targets); err != nil {
				t.Fatal(err)
			}
			for _, n := range targets.Targets {
				phase[n] = "pending"
			}
		case c.Kind == "campaign_node" && strings.HasPrefix(c.Key, campaign+"/"):
			var after struct {
				Phase string `json:"phase"`
			}
			if err := json.Unmarshal([]byte(c.AfterJson), &after); err != nil {
				t.Fatal(err)
			}
			phase[c.Subject] = after.Phase
		case c.Kind == "node":
			var after struct {
				Cordoned *bool `json:"cordoned"`
			}
			json.Unmarshal([]byte(c.AfterJson), &after)
			if after.Cordoned != nil {
				cordoned[c.Key] = *after.Cordoned
			}
		}
		if step != nil {
			step(c, phase)
		}
	}
	return phase, cordoned
}

// offline counts the nodes out of service for maintenance.
func offline(phase map[string]string) int {
	n := 0
	for _, p := range phase {
		switch p {
		case "cordoned", "swapping", "acting", "verifying", "failed":
			n++
		}
	}
	return n
}

// TestMaintTour runs the README's maintenance tour against the real
// binary: plan a power-cycle campaign at 10% on the sample fleet with a
// tenant's block on it, start it, watch it to the end; every node is done
// and nothing is left cordoned.
func TestMaintTour(t *testing.T) {
	addr := serve(t, "--db", filepath.Join(t.TempDir(), "r.db"), "--sample", "lab-1su", "--maint-simulate-bmc", "--maint-interval", "200ms",
		"--network-simulate")
	mustRun(t, addr, "carve", "acme", "--gpus", "64", "--within", "leaf")

	plan := mustRun(t, addr, "maint", "plan", "pc-1", "--action", "power-cycle", "--max-offline", "10%")
	for _, want := range []string{
		"campaign pc-1 (planned): power-cycle on 32 nodes",
		"budget: fleet 10% (3 nodes), tenants 0",
		"expected duration 1h56m (lower bound 1h50m at 10m a node); 11 waves, 8 swaps, 0 drains",
		"1      +0s      3       0       0        lab-su01-r03-n01, lab-su01-r03-n02, lab-su01-r03-n03",
		"fleet budget: 3 of 3 nodes offline",
	} {
		if !strings.Contains(plan, want) {
			t.Errorf("plan lacks %q:\n%s", want, plan)
		}
	}
	// Idle nodes go first; acme's nodes go last, each replaced by a spare.
	var p struct {
		Nodes []struct {
			Node string `json:"node"`
			Wave int    `json:"wave"`
			Mode string `json:"mode"`
		} `json:"nodes"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, addr, "maint", "plan", "pc-1", "--action", "power-cycle", "--max-offline", "10%", "-o", "json")), &p); err != nil {
		t.Fatal(err)
	}
	for _, n := range p.Nodes {
		if acme := strings.HasPrefix(n.Node, "lab-su01-r01-") || strings.HasPrefix(n.Node, "lab-su01-r02-"); acme != (n.Mode == "swap") || acme != (n.Wave >= 9) {
			t.Errorf("plan node %s: wave %d mode %s", n.Node, n.Wave, n.Mode)
		}
	}

	if out := mustRun(t, addr, "maint", "start", "pc-1", "--action", "power-cycle", "--max-offline", "10%"); !strings.Contains(out, "campaign pc-1 started: power-cycle on 32 nodes") {
		t.Errorf("start: %s", out)
	}
	watch := watchCampaign(t, addr, "pc-1", 60*time.Second)
	if !strings.Contains(watch, "done      [####################] 32/32 done, 0 offline, 0 failed, 0 pending") || !strings.Contains(watch, "campaign pc-1: done, run 1: run 1 finished") {
		t.Errorf("watch:\n%s", watch)
	}
	st := campaignStatus(t, addr, "pc-1")
	if st.Campaign.State != "done" || st.Progress.Done != 32 || len(st.Nodes) != 32 {
		t.Fatalf("status: %+v", st)
	}
	swaps := 0
	for _, n := range st.Nodes {
		if n.Phase != "done" {
			t.Errorf("node %s is %s", n.Node, n.Phase)
		}
		if n.Mode == "swap" {
			swaps++
		}
	}
	if swaps != 8 {
		t.Errorf("%d nodes left acme through a swap, want its 8", swaps)
	}
	if list := mustRun(t, addr, "maint", "status"); !strings.Contains(list, "pc-1   done    1     power-cycle   32/32 done, 0 offline, 0 failed") {
		t.Errorf("list:\n%s", list)
	}

	limit := 3
	phase, cordoned := replay(t, "pc-1", history(t, addr, "pc-1"), func(c *pb.Change, phase map[string]string) {
		if n := offline(phase); n > limit {
			t.Errorf("seq %d: %d nodes offline, budget %d", c.Seq, n, limit)
			limit = n // report each excess once
		}
	})
	if len(phase) != 32 {
		t.Errorf("history has %d targets", len(phase))
	}
	for n, c := range cordoned {
		if c {
			t.Errorf("%s is still cordoned", n)
		}
	}
	if len(cordoned) != 32 {
		t.Errorf("history cordoned and uncordoned %d nodes, want 32", len(cordoned))
	}
	// acme still has its 64 GPUs, on nodes that were maintained first.
	var blocks []struct {
		Name    string `json:"name"`
		Members []struct {
			Node string `json:"node"`
		} `json:"members"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, addr, "carve", "list", "-o", "json")), &blocks); err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 1 || len(blocks[0].Members) != 8 {
		t.Fatalf("blocks after the campaign: %+v", blocks)
	}
}

// startServer starts `railyard serve` on addr and waits until it
// answers; unlike serve it returns the process, to be killed.
func startServer(t *testing.T, addr string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--listen", addr}, args...)...)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, _, err := run(addr, "maint", "status"); err == nil {
			return cmd, &log
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not come up:\n%s", log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestMaintSurvivesServerKill kills the server with SIGKILL in the middle
// of a campaign and starts it again on the same database: the campaign
// resumes once the dead server's leases expire, the nodes it had in
// flight finish, every node is done, and at no point, before or after
// the kill, were more nodes out than the budget allows.
func TestMaintSurvivesServerKill(t *testing.T) {
	db := filepath.Join(t.TempDir(), "kill.db")
	addr := freeAddr(t)
	args := []string{"--db", db, "--sample", "lab-1su", "--maint-interval", "100ms", "--maint-lease-ttl", "2s", "--network-interval", "0"}
	first, log := startServer(t, addr, args...)
	const budget = 3
	mustRun(t, addr, "maint", "start", "k", "--action", "hook", "--hook", "sleep 1", "--skip-power-check",
		"--max-offline", fmt.Sprint(budget), "--rack", "lab-su01-r01,lab-su01-r02,lab-su01-r03,lab-su01-r04")

	// Wait until some nodes are done and others are in their hook.
	deadline := time.Now().Add(30 * time.Second)
	for {
		st := campaignStatus(t, addr, "k")
		acting := slices.ContainsFunc(st.Nodes, func(n nodeJSON) bool { return n.Phase == "acting" })
		if st.Progress.Done >= 3 && acting {
			break
		}
		if st.Campaign.State != "running" || time.Now().After(deadline) {
			t.Fatalf("campaign before the kill: %+v\n%s", st, log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	killed := time.Now()

	startServer(t, addr, args...)
	out := watchCampaign(t, addr, "k", 60*time.Second)
	if !strings.Contains(out, "16/16 done") {
		t.Errorf("watch after the restart:\n%s", out)
	}

	// The stored history: the phases at the kill, and the budget at every
	// change.
	var atKill map[string]string
	most := 0
	changes := history(t, addr, "k")
	phase, cordoned := replay(t, "k", changes, func(c *pb.Change, phase map[string]string) {
		most = max(most, offline(phase))
		if atKill == nil && c.At.AsTime().After(killed) {
			atKill = map[string]string{}
			for n, p := range phase {
				atKill[n] = p
			}
		}
	})
	if most > budget {
		t.Errorf("%d nodes were offline at once; the budget is %d", most, budget)
	}
	if len(phase) != 16 {
		t.Fatalf("history has %d targets, want 16", len(phase))
	}
	for n, p := range phase {
		if p != "done" {
			t.Errorf("%s is %s", n, p)
		}
	}
	for n, c := range cordoned {
		if c {
			t.Errorf("%s is still cordoned", n)
		}
	}
	if atKill == nil {
		t.Fatal("no change after the restart")
	}
	var inFlight []string
	done := 0
	for n, p := range atKill {
		switch p {
		case "cordoned", "acting", "verifying":
			inFlight = append(inFlight, n)
		case "done":
			done++
		}
	}
	if len(inFlight) == 0 || done < 3 {
		t.Fatalf("at the kill: %d done, in flight %v", done, inFlight)
	}
	// Each node in flight at the kill finished after the restart, by the
	// new server.
	finished := map[string]bool{}
	replay(t, "k", changes, func(c *pb.Change, phase map[string]string) {
		if c.At.AsTime().After(killed) && c.Kind == "campaign_node" && phase[c.Subject] == "done" {
			finished[c.Subject] = true
		}
	})
	for _, n := range inFlight {
		if !finished[n] {
			t.Errorf("%s was in flight at the kill and did not finish after the restart", n)
		}
	}
	slices.Sort(inFlight)
	t.Logf("at the kill: %d done, in flight %v; at most %d offline", done, inFlight, most)
}
