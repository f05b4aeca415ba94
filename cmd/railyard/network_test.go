package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestNetworkTour runs the network commands an ops engineer would, against
// a server whose devices are simulated: plan, set, get (ready once every
// device synced), devices, a drift check, and a release that waits until
// every port is isolated.
func TestNetworkTour(t *testing.T) {
	addr := serve(t, "--db", filepath.Join(t.TempDir(), "r.db"), "--sample", "lab-1su", "--network-simulate", "--network-interval", "0")
	// The fabric goes into service: storage VRF on the leaves, every
	// server port isolated.
	mustRun(t, addr, "network", "sync")
	mustRun(t, addr, "carve", "acme", "--gpus", "64", "--within", "leaf")

	plan := mustRun(t, addr, "network", "plan", "acme", "--commands")
	for _, want := range []string{"planned", "+ partition 0x0001 ry-t0001 members 64", "+ vrf ry-t0001 l3vni 200001", "isolated -> vlan 2000"} {
		if !strings.Contains(plan, want) {
			t.Errorf("plan lacks %q:\n%s", want, plan)
		}
	}
	set := mustRun(t, addr, "network", "set", "acme")
	if !strings.Contains(set, "waiting for: lab-compute-sm, lab-su01-stor-leaf1, lab-su01-stor-leaf2") {
		t.Errorf("set:\n%s", set)
	}
	sync := mustRun(t, addr, "network", "sync")
	if !strings.Contains(sync, "lab-su01-stor-leaf1") {
		t.Errorf("sync:\n%s", sync)
	}
	var got struct {
		Ready   bool `json:"ready"`
		ID      int  `json:"id"`
		Fabrics []struct {
			Fabric string `json:"fabric"`
			Pkey   int    `json:"pkey"`
			L3vni  int    `json:"l3vni"`
			Ports  int    `json:"ports"`
		} `json:"fabrics"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, addr, "network", "get", "acme", "-o", "json")), &got); err != nil {
		t.Fatal(err)
	}
	if !got.Ready || got.ID != 1 || len(got.Fabrics) != 2 || got.Fabrics[0].Pkey != 1 || got.Fabrics[1].L3vni != 200001 || got.Fabrics[1].Ports != 16 {
		t.Errorf("network get: %+v", got)
	}
	// A second sync finds nothing to do.
	again := mustRun(t, addr, "network", "sync", "--all")
	if strings.Contains(again, " yes ") {
		t.Errorf("re-sync changed devices:\n%s", again)
	}
	devs := mustRun(t, addr, "network", "devices")
	if strings.Count(devs, " yes ") != 3 {
		t.Errorf("devices not all in sync:\n%s", devs)
	}
	// Another tenant cannot take acme's VLAN.
	mustRun(t, addr, "carve", "globex", "--gpus", "64", "--within", "leaf")
	if _, stderr, err := run(addr, "network", "set", "globex", "--vlan", "2000"); err == nil || !strings.Contains(stderr, "vlan 2000 on fabric lab-storage is already held by tenant acme") {
		t.Errorf("conflicting VLAN: err %v, stderr %s", err, stderr)
	}
	rel := mustRun(t, addr, "network", "release", "acme", "--wait", "30s")
	if !strings.Contains(rel, "network released; every port is isolated") {
		t.Errorf("release:\n%s", rel)
	}
	if _, stderr, err := run(addr, "network", "get", "acme"); err == nil || !strings.Contains(stderr, "has no network") {
		t.Errorf("get after release: %v %s", err, stderr)
	}
}
