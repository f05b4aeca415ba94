package switchcli_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/railyard/railyard/internal/discovery"
	"github.com/railyard/railyard/internal/discovery/switchcli"
	"github.com/railyard/railyard/internal/model"
)

// A fake Arista for an end-to-end test: write its session transcript,
// then discover it through the registered replay+eos scheme (or
// switchcli.NewReplay(dir) with target ssh+eos://leaf-2).
func ExampleRender() {
	dir, err := os.MkdirTemp("", "site")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	transcript, err := switchcli.Render("eos", model.SwitchFacts{
		Name: "leaf-2", ChassisID: "02:1c:73:00:00:02", Model: "DCS-7060X5-64S", Version: "4.31.2F", Serial: "JPE22440001",
		Ports: []model.PortFacts{{Name: "Ethernet1", SpeedGbps: 200, Up: true}, {Name: "Ethernet49/1", SpeedGbps: 400, Up: true}},
		Neighbors: []model.LLDPNeighbor{
			{LocalPort: "Ethernet1", ChassisID: "b8:3f:d2:4a:10:20", PortID: "b8:3f:d2:4a:10:21", PortIDIsMAC: true, SysName: "gpu-001"},
			{LocalPort: "Ethernet49/1", ChassisID: "02:ee:00:00:01:00", PortID: "swp4", SysName: "leaf-1"},
		},
	})
	if err != nil {
		panic(err)
	}
	file := filepath.Join(dir, switchcli.TranscriptName("leaf-2", "eos"))
	if err := os.WriteFile(file, transcript, 0o644); err != nil {
		panic(err)
	}

	target, err := discovery.ParseTarget("replay+eos://leaf-2" + filepath.ToSlash(file))
	if err != nil {
		panic(err)
	}
	src, _, _ := discovery.Lookup(target.Scheme)
	obs, err := src.Discover(context.Background(), target, discovery.Credentials{})
	if err != nil {
		panic(err)
	}
	sw := obs.Switches[0]
	fmt.Println(sw.Name, sw.Vendor, sw.Model, sw.OS, sw.Version, sw.Serial, sw.ChassisID)
	for _, p := range sw.Ports {
		fmt.Println(" port", p.Name, p.SpeedGbps, p.Up)
	}
	for _, n := range sw.Neighbors {
		fmt.Println(" lldp", n.LocalPort, "->", n.SysName, n.PortID, n.PortIDIsMAC)
	}
	// Output:
	// leaf-2 Arista DCS-7060X5-64S EOS 4.31.2F JPE22440001 02:1c:73:00:00:02
	//  port Ethernet1 200 true
	//  port Ethernet49/1 400 true
	//  lldp Ethernet1 -> gpu-001 b8:3f:d2:4a:10:21 true
	//  lldp Ethernet49/1 -> leaf-1 swp4 false
}
