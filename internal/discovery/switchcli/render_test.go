package switchcli

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/railyard/railyard/internal/discovery"
	"github.com/railyard/railyard/internal/model"
)

// genFacts makes random facts that the platform's output can carry.
func genFacts(r *rand.Rand, platform string) model.SwitchFacts {
	mac := func() string {
		b := make([]byte, 6)
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		b[0] &^= 1 // unicast
		return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5])
	}
	maybe := func(s string) string {
		if r.IntN(4) == 0 {
			return ""
		}
		return s
	}
	sf := model.SwitchFacts{Name: fmt.Sprintf("sw-%d.r%02d", r.IntN(1000), r.IntN(40))}
	if r.IntN(2) == 0 {
		sf.OS = platforms[platform].os
	}
	sf.Model = maybe(fmt.Sprintf("MODEL-%d-%c", r.IntN(9000), 'A'+r.IntN(26)))
	sf.Serial = maybe(fmt.Sprintf("SN%08d", r.IntN(1e8)))
	sf.Version = maybe(fmt.Sprintf("%d.%d.%d", 1+r.IntN(30), r.IntN(10), r.IntN(10)))
	sf.Vendor = maybe([]string{"Arista", "Cisco Systems, Inc.", "Mellanox", "Accton", "Celestica"}[r.IntN(5)])
	sf.ChassisID = maybe(mac())
	portName := func(i int) string {
		switch platform {
		case "eos":
			return fmt.Sprintf("Ethernet%d/1", i)
		case "nxos":
			return fmt.Sprintf("Ethernet1/%d", i)
		case "junos":
			return fmt.Sprintf("%s-0/0/%d", []string{"xe", "et", "ge"}[i%3], i)
		case "sonic":
			return fmt.Sprintf("Ethernet%d", 4*i)
		case "cumulus":
			return fmt.Sprintf("swp%d", i)
		}
		return fmt.Sprintf("eth%d", i)
	}
	switch platform {
	case "junos":
		sf.Vendor = maybe(junosVendor)
	case "nxos":
		sf.ChassisID = ""
	case "frr":
		sf.Vendor, sf.Model, sf.Serial = "", "", ""
		sf.Version = fmt.Sprintf("%d.%d.%d", 7+r.IntN(4), r.IntN(6), r.IntN(6))
	}
	macPorts := platform == "junos" || platform == "cumulus" || platform == "frr"
	nports := 1 + r.IntN(6)
	perm := r.Perm(48)
	for i := 0; i < nports; i++ {
		p := model.PortFacts{
			Name:      portName(perm[i] + 1),
			SpeedGbps: []int{0, 1, 10, 25, 40, 100, 200, 400}[r.IntN(8)],
			Up:        r.IntN(3) > 0,
		}
		if macPorts {
			p.MAC = maybe(mac())
		}
		sf.Ports = append(sf.Ports, p)
	}
	for i := 0; i < r.IntN(5); i++ {
		n := model.LLDPNeighbor{
			LocalPort: sf.Ports[r.IntN(len(sf.Ports))].Name,
			ChassisID: mac(),
			PortID:    fmt.Sprintf("Ethernet%d/%d", 1+r.IntN(4), 1+r.IntN(64)),
			PortDesc:  maybe(fmt.Sprintf("to %s port %d", sf.Name, i)),
			SysName:   maybe(fmt.Sprintf("spine-%d.dc1.example.net", r.IntN(8))),
		}
		switch r.IntN(4) {
		case 0:
			n.PortID, n.PortIDIsMAC = mac(), true
		case 1:
			n.ChassisID = fmt.Sprintf("chassis-%d", r.IntN(100)) // subtype local
		}
		sf.Neighbors = append(sf.Neighbors, n)
	}
	return sf
}

// expectFromInput is what discovery must report for rendered facts,
// worked out from the input alone (not from the parsers): sorted, OS
// and the OS's vendor filled in, the FRR banner as description, Missing
// recomputed.
func expectFromInput(platform string, sf model.SwitchFacts) model.SwitchFacts {
	want := sf
	want.Ports = append([]model.PortFacts(nil), sf.Ports...)
	want.Neighbors = append([]model.LLDPNeighbor(nil), sf.Neighbors...)
	want.OS = platforms[platform].os
	if want.Vendor == "" {
		want.Vendor = map[string]string{"eos": "Arista", "nxos": "Cisco Systems, Inc.", "junos": junosVendor}[platform]
	}
	if platform == "frr" && want.Description == "" {
		want.Description = fmt.Sprintf("FRRouting %s (%s) on Linux(6.1.0-28-amd64).", sf.Version, sf.Name)
	}
	want.Missing = nil
	for _, f := range []struct {
		name, v string
	}{{"chassis_id", want.ChassisID}, {"vendor", want.Vendor}, {"model", want.Model}, {"version", want.Version}, {"serial", want.Serial}} {
		if f.v == "" {
			want.Missing = append(want.Missing, f.name)
		}
	}
	sortFacts(&want)
	if len(want.Ports) == 0 {
		want.Ports = nil
	}
	if len(want.Neighbors) == 0 {
		want.Neighbors = nil
	}
	return want
}

// TestRenderRoundTrip is the property: for random facts, Render then a
// replay through scrapligo's file transport gives back the same facts,
// and so does the pure Canonical.
func TestRenderRoundTrip(t *testing.T) {
	dir := t.TempDir()
	src := NewReplay(dir)
	const perPlatform = 4
	for _, platform := range Platforms() {
		t.Run(platform, func(t *testing.T) {
			t.Parallel()
			r := rand.New(rand.NewPCG(uint64(len(platform)), 42))
			for i := 0; i < perPlatform; i++ {
				sf := genFacts(r, platform)
				want := expectFromInput(platform, sf)
				canon, err := Canonical(platform, sf)
				if err != nil {
					t.Fatalf("Canonical(%s, %+v): %v", platform, sf, err)
				}
				if d := cmp.Diff(want, canon); d != "" {
					t.Fatalf("Canonical(%s) does not preserve the facts (-want +got):\n%s", platform, d)
				}
				data, err := Render(platform, sf)
				if err != nil {
					t.Fatalf("Render(%s): %v", platform, err)
				}
				if err := os.WriteFile(filepath.Join(dir, TranscriptName(sf.Name, platform)), data, 0o644); err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				obs, err := src.Discover(ctx, discovery.Target{Scheme: "ssh+" + platform, Host: sf.Name}, discovery.Credentials{})
				cancel()
				if err != nil {
					t.Fatalf("replay of rendered %s transcript: %v\n%s", platform, err, data)
				}
				if d := cmp.Diff(want, obs.Switches[0]); d != "" {
					t.Fatalf("replay of rendered %s transcript (-want +got):\n%s", platform, d)
				}
			}
		})
	}
}

// TestRenderOwnFacts renders each hand-written transcript's facts again:
// the fake CLI can stand in for every testdata switch.
func TestRenderOwnFacts(t *testing.T) {
	for _, c := range transcriptCases {
		sf := c.want
		sf.Missing = nil
		got, err := Canonical(c.platform, sf)
		if err != nil {
			t.Errorf("Canonical(%s): %v", c.platform, err)
			continue
		}
		if d := cmp.Diff(c.want, got); d != "" {
			t.Errorf("Canonical(%s) (-want +got):\n%s", c.platform, d)
		}
	}
}

func TestRenderRejects(t *testing.T) {
	base := model.SwitchFacts{Name: "sw-1", Version: "1.2.3", Ports: []model.PortFacts{{Name: "Ethernet1", SpeedGbps: 100, Up: true}}}
	for _, c := range []struct {
		platform string
		edit     func(*model.SwitchFacts)
	}{
		{"eos", func(sf *model.SwitchFacts) { sf.Name = "bad name" }},
		{"eos", func(sf *model.SwitchFacts) { sf.OS = "NX-OS" }},
		{"eos", func(sf *model.SwitchFacts) { sf.Ports[0].MAC = "00:11:22:33:44:55" }},
		{"eos", func(sf *model.SwitchFacts) { sf.Description = "banner" }},
		{"eos", func(sf *model.SwitchFacts) { sf.Model = "two\nlines" }},
		{"nxos", func(sf *model.SwitchFacts) { sf.ChassisID = "00:11:22:33:44:55" }},
		{"junos", func(sf *model.SwitchFacts) {}}, // Ethernet1 is no Junos port name
		{"junos", func(sf *model.SwitchFacts) { sf.Ports[0].Name = "et-0/0/1"; sf.Vendor = "Arista" }},
		{"frr", func(sf *model.SwitchFacts) { sf.Serial = "X" }},
		{"frr", func(sf *model.SwitchFacts) { sf.Version = "" }},
		{"cumulus", func(sf *model.SwitchFacts) { sf.Ports[0].Name = "lo" }},
		{"sonic", func(sf *model.SwitchFacts) { sf.ChassisID = "not-a-mac" }},
		{"ios", func(sf *model.SwitchFacts) {}},
	} {
		sf := base
		sf.Ports = append([]model.PortFacts(nil), base.Ports...)
		c.edit(&sf)
		if _, err := Render(c.platform, sf); err == nil {
			t.Errorf("Render(%s, %+v) succeeded, want an error", c.platform, sf)
		}
	}
}

// TestRenderIsTranscript checks the transcript layout other tests rely
// on: banner, prompt, on-open replies, then "<command>\n<output>\n<prompt>".
func TestRenderIsTranscript(t *testing.T) {
	sf := model.SwitchFacts{Name: "leaf-9", Ports: []model.PortFacts{{Name: "Ethernet1", SpeedGbps: 100, Up: true}}}
	data, err := Render("eos", sf)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for _, want := range []string{"leaf-9#terminal width 32767\nleaf-9#terminal length 0\nleaf-9#show version | json\n{", "\nleaf-9#show lldp neighbors detail | json\n{"} {
		if !strings.Contains(s, want) {
			t.Errorf("transcript lacks %q", want)
		}
	}
	if !strings.HasSuffix(s, "}\nleaf-9#") {
		t.Errorf("transcript does not end with output and prompt: %q", s[len(s)-20:])
	}
}
