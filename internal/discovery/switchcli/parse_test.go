package switchcli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/railyard/railyard/internal/discovery"
	"github.com/railyard/railyard/internal/model"
)

// A transcriptCase is one hand-written session transcript in testdata,
// written from the vendor's documented output format, and the facts it
// must give.
type transcriptCase struct {
	platform string
	host     string
	prompt   string
	want     model.SwitchFacts
}

func (c transcriptCase) file() string {
	return filepath.Join("testdata", TranscriptName(c.host, c.platform))
}

var transcriptCases = []transcriptCase{
	{
		platform: "eos", host: "leaf-1", prompt: "leaf-1#",
		want: model.SwitchFacts{
			Name: "leaf-1", ChassisID: "44:4c:a8:12:34:56", Vendor: "Arista", Model: "DCS-7050CX3-32S-R",
			OS: "EOS", Version: "4.28.3M", Serial: "JPE20300123",
			Ports: []model.PortFacts{
				{Name: "Ethernet1/1", SpeedGbps: 100, Up: true},
				{Name: "Ethernet2/1", SpeedGbps: 100, Up: true},
				{Name: "Ethernet3/1"},
				{Name: "Ethernet10/1", SpeedGbps: 25, Up: true},
				{Name: "Ethernet33", SpeedGbps: 10},
				{Name: "Management1", SpeedGbps: 1, Up: true},
			},
			Neighbors: []model.LLDPNeighbor{
				{LocalPort: "Ethernet1/1", ChassisID: "00:1c:73:00:01:01", PortID: "Ethernet1/1", PortDesc: "leaf-1 Ethernet1/1", SysName: "spine-1"},
				{LocalPort: "Ethernet2/1", ChassisID: "00:1c:73:00:02:02", PortID: "Ethernet1/1", PortDesc: "leaf-1 Ethernet2/1", SysName: "spine-2"},
				{LocalPort: "Ethernet10/1", ChassisID: "b8:ce:f6:aa:01:00", PortID: "b8:ce:f6:aa:01:01", PortIDIsMAC: true, PortDesc: "enp65s0f0np0", SysName: "gpu-001"},
				{LocalPort: "Management1", ChassisID: "f8:b7:e2:01:02:03", PortID: "Gi1/0/12", PortDesc: "GigabitEthernet1/0/12", SysName: "oob-sw-1"},
			},
		},
	},
	{
		platform: "nxos", host: "nx-leaf-1", prompt: "nx-leaf-1#",
		want: model.SwitchFacts{
			Name: "nx-leaf-1", Vendor: "Cisco Systems, Inc.", Model: "Nexus9000 C93180YC-EX",
			OS: "NX-OS", Version: "9.3(8)", Serial: "FDO21120U8N",
			Ports: []model.PortFacts{
				{Name: "Ethernet1/1", SpeedGbps: 25, Up: true},
				{Name: "Ethernet1/2"},
				{Name: "Ethernet1/49", SpeedGbps: 100, Up: true},
				{Name: "Ethernet1/50", SpeedGbps: 100, Up: true},
				{Name: "mgmt0", SpeedGbps: 1, Up: true},
				{Name: "port-channel10"},
			},
			Neighbors: []model.LLDPNeighbor{
				{LocalPort: "Ethernet1/1", ChassisID: "b8:ce:f6:aa:02:00", PortID: "b8:ce:f6:aa:02:01", PortIDIsMAC: true, PortDesc: "enp65s0f0np0", SysName: "gpu-002"},
				{LocalPort: "Ethernet1/49", ChassisID: "00:be:75:50:c3:d1", PortID: "Ethernet1/3", PortDesc: "nx-leaf-1 Eth1/49", SysName: "spine-1.dc1.example.net"},
				{LocalPort: "Ethernet1/50", ChassisID: "00:be:75:50:d4:e2", PortID: "Ethernet1/3", PortDesc: "nx-leaf-1 Eth1/50", SysName: "spine-2.dc1.example.net"},
				{LocalPort: "mgmt0", ChassisID: "00:50:56:ab:f0:01", PortID: "GigabitEthernet1/0/12", SysName: "oob-sw-1"},
			},
			Missing: []string{"chassis_id"},
		},
	},
	{
		platform: "junos", host: "qfx-leaf-1", prompt: "{master:0}\nnetops@qfx-leaf-1> ",
		want: model.SwitchFacts{
			Name: "qfx-leaf-1", ChassisID: "54:4b:8c:12:34:00", Vendor: "Juniper Networks", Model: "qfx5120-48y-8c",
			OS: "Junos", Version: "21.4R3-S3.4", Serial: "WS3718350012",
			Ports: []model.PortFacts{
				{Name: "ae0", SpeedGbps: 200, Up: true, MAC: "54:4b:8c:12:34:c0"},
				{Name: "em0", SpeedGbps: 1, Up: true, MAC: "54:4b:8c:12:34:01"},
				{Name: "et-0/0/48", SpeedGbps: 100, Up: true, MAC: "54:4b:8c:12:34:33"},
				{Name: "et-0/0/49", SpeedGbps: 100, Up: true, MAC: "54:4b:8c:12:34:37"},
				{Name: "xe-0/0/0", SpeedGbps: 10, Up: true, MAC: "54:4b:8c:12:34:03"},
				{Name: "xe-0/0/1", SpeedGbps: 10, MAC: "54:4b:8c:12:34:04"},
			},
			Neighbors: []model.LLDPNeighbor{
				{LocalPort: "et-0/0/48", ChassisID: "00:1c:73:00:01:01", PortID: "Ethernet1/4", PortDesc: "qfx-leaf-1 et-0/0/48", SysName: "spine-1"},
				{LocalPort: "et-0/0/49", ChassisID: "00:1c:73:00:02:02", PortID: "Ethernet1/4", PortDesc: "qfx-leaf-1 et-0/0/49", SysName: "spine-2"},
				{LocalPort: "xe-0/0/0", ChassisID: "b8:ce:f6:aa:03:00", PortID: "b8:ce:f6:aa:03:01", PortIDIsMAC: true, PortDesc: "enp65s0f0np0", SysName: "gpu-003"},
			},
		},
	},
	{
		platform: "sonic", host: "sonic-leaf-1", prompt: "admin@sonic-leaf-1:~$ ",
		want: model.SwitchFacts{
			Name: "sonic-leaf-1", ChassisID: "80:a2:35:4f:4a:00", Vendor: "Accton", Model: "Accton-AS7726-32X",
			OS: "SONiC", Version: "202305.1-Enterprise_Base", Serial: "772632X1934028",
			Ports: []model.PortFacts{
				{Name: "Ethernet0", SpeedGbps: 100, Up: true},
				{Name: "Ethernet4", SpeedGbps: 100, Up: true},
				{Name: "Ethernet8", SpeedGbps: 100},
				{Name: "Ethernet64", SpeedGbps: 25, Up: true},
				{Name: "Ethernet65", SpeedGbps: 25},
				{Name: "PortChannel0001", SpeedGbps: 25, Up: true},
			},
			Neighbors: []model.LLDPNeighbor{
				{LocalPort: "Ethernet0", ChassisID: "00:1c:73:00:01:01", PortID: "Ethernet1/5", PortDesc: "sonic-leaf-1 Ethernet0", SysName: "spine-1"},
				{LocalPort: "Ethernet4", ChassisID: "00:1c:73:00:02:02", PortID: "Ethernet1/5", PortDesc: "sonic-leaf-1 Ethernet4", SysName: "spine-2"},
				{LocalPort: "Ethernet64", ChassisID: "b8:ce:f6:aa:04:00", PortID: "b8:ce:f6:aa:04:01", PortIDIsMAC: true, PortDesc: "enp65s0f0np0", SysName: "gpu-004"},
			},
		},
	},
	{
		platform: "cumulus", host: "cl-leaf-1", prompt: "cumulus@cl-leaf-1:mgmt:~$ ",
		want: model.SwitchFacts{
			Name: "cl-leaf-1", ChassisID: "1c:34:da:5e:6f:00", Vendor: "Mellanox", Model: "MSN3700",
			OS: "Cumulus Linux", Version: "5.9.1", Serial: "MT2233X01234",
			Ports: []model.PortFacts{
				{Name: "bond1", SpeedGbps: 200, Up: true},
				{Name: "eth0", SpeedGbps: 1, Up: true, MAC: "1c:34:da:5e:6f:00"},
				{Name: "swp1", SpeedGbps: 100, Up: true, MAC: "1c:34:da:5e:6f:01"},
				{Name: "swp2", MAC: "1c:34:da:5e:6f:02"},
				{Name: "swp31", SpeedGbps: 100, Up: true, MAC: "1c:34:da:5e:6f:1f"},
				{Name: "swp32", SpeedGbps: 100, Up: true, MAC: "1c:34:da:5e:6f:20"},
			},
			Neighbors: []model.LLDPNeighbor{
				{LocalPort: "swp1", ChassisID: "b8:ce:f6:aa:05:00", PortID: "b8:ce:f6:aa:05:01", PortIDIsMAC: true, PortDesc: "enp65s0f0np0", SysName: "gpu-005"},
				{LocalPort: "swp31", ChassisID: "00:1c:73:00:01:01", PortID: "Ethernet1/6", PortDesc: "cl-leaf-1 swp31", SysName: "spine-1"},
				{LocalPort: "swp32", ChassisID: "00:1c:73:00:02:02", PortID: "Ethernet1/6", PortDesc: "cl-leaf-1 swp32", SysName: "spine-2"},
			},
		},
	},
	{
		// vtysh and lldpcli output captured from FRR 8.4.4 and lldpd
		// 1.0.16 (Debian 12), host names edited.
		platform: "frr", host: "frr-1", prompt: "root@frr-1:~# ",
		want: model.SwitchFacts{
			Name: "frr-1", ChassisID: "66:81:7b:d8:c2:ec", OS: "FRRouting", Version: "8.4.4",
			Description: "FRRouting 8.4.4 (frr-1) on Linux(6.1.0-28-amd64).",
			Ports: []model.PortFacts{
				{Name: "eth0", SpeedGbps: 10, Up: true, MAC: "66:81:7b:d8:c2:ec"},
				{Name: "eth1", SpeedGbps: 10, Up: true, MAC: "0a:19:8f:ea:dd:9c"},
			},
			Neighbors: []model.LLDPNeighbor{
				{LocalPort: "eth0", ChassisID: "ba:ef:0f:05:a9:12", PortID: "swp1", PortDesc: "to frr-a eth0", SysName: "spine-1"},
				{LocalPort: "eth1", ChassisID: "ba:ef:0f:05:a9:12", PortID: "6e:92:da:55:df:6f", PortIDIsMAC: true, PortDesc: "swp2", SysName: "spine-1"},
			},
			Missing: []string{"vendor", "model", "serial"},
		},
	},
}

// splitTranscript cuts a transcript into the outputs of the platform's
// commands: for each command, what follows "<command>\n" up to the next
// prompt. It is the pure counterpart of a replay.
func splitTranscript(t testing.TB, platform, prompt string, data []byte) []string {
	t.Helper()
	cmds, err := Commands(platform)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	out := make([]string, len(cmds))
	for i, c := range cmds {
		j := strings.Index(s, prompt+c+"\n")
		if j < 0 {
			t.Fatalf("%s: command %q not in transcript", platform, c)
		}
		s = s[j+len(prompt)+len(c)+1:]
		k := strings.Index(s, prompt)
		if k < 0 {
			t.Fatalf("%s: no prompt after %q", platform, c)
		}
		out[i] = strings.TrimRight(s[:k], "\n")
		s = s[k:]
	}
	return out
}

func TestParseTranscripts(t *testing.T) {
	for _, c := range transcriptCases {
		t.Run(c.platform, func(t *testing.T) {
			data, err := os.ReadFile(c.file())
			if err != nil {
				t.Fatal(err)
			}
			got, err := Parse(c.platform, splitTranscript(t, c.platform, c.prompt, data))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(c.want, got); d != "" {
				t.Errorf("Parse(%s) mismatch (-want +got):\n%s", c.platform, d)
			}
		})
	}
}

// TestReplayTranscripts runs every transcript through the registered
// platform definitions, scrapligo's network driver and its file
// transport, end to end through discovery.Source.
func TestReplayTranscripts(t *testing.T) {
	src := NewReplay("testdata")
	for _, c := range transcriptCases {
		t.Run(c.platform, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			start := time.Now()
			obs, err := src.Discover(ctx, discovery.Target{Scheme: "ssh+" + c.platform, Host: c.host}, discovery.Credentials{})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s replayed in %v", c.file(), time.Since(start).Round(time.Millisecond))
			if len(obs.Switches) != 1 {
				t.Fatalf("got %d switches, want 1", len(obs.Switches))
			}
			if d := cmp.Diff(c.want, obs.Switches[0]); d != "" {
				t.Errorf("replay %s mismatch (-want +got):\n%s", c.file(), d)
			}
		})
	}
}

func TestRegistered(t *testing.T) {
	for _, p := range []string{"eos", "nxos", "junos", "sonic", "cumulus", "frr"} {
		for _, scheme := range []string{"ssh+" + p, "replay+" + p} {
			src, name, ok := discovery.Lookup(scheme)
			if !ok || name != "cli" {
				t.Errorf("%s: registered=%v name=%q, want cli", scheme, ok, name)
				continue
			}
			s, ok := src.(*Source)
			if !ok || s.opts.replay != strings.HasPrefix(scheme, "replay+") {
				t.Errorf("%s: source is %v", scheme, src)
			}
		}
	}
	if got := Platforms(); len(got) != 6 {
		t.Errorf("Platforms() = %v", got)
	}
}

func TestReplayPathFromTarget(t *testing.T) {
	abs, err := filepath.Abs(transcriptCases[0].file())
	if err != nil {
		t.Fatal(err)
	}
	// With no directory the URL path is the file.
	tg, err := discovery.ParseTarget("ssh+eos://some-other-name" + filepath.ToSlash(abs))
	if err != nil {
		t.Fatal(err)
	}
	obs, err := NewReplay("").Discover(context.Background(), tg, discovery.Credentials{})
	if err != nil {
		t.Fatal(err)
	}
	if obs.Switches[0].Name != "leaf-1" {
		t.Errorf("name %q", obs.Switches[0].Name)
	}
	// The registered replay+eos source does the same.
	src, _, _ := discovery.Lookup("replay+eos")
	tg, _ = discovery.ParseTarget("replay+eos://leaf-1" + filepath.ToSlash(abs))
	if obs, err := src.Discover(context.Background(), tg, discovery.Credentials{}); err != nil || obs.Switches[0].Name != "leaf-1" {
		t.Fatalf("replay+eos: %v", err)
	}
	// With a directory the path is relative to it.
	tg, _ = discovery.ParseTarget("ssh+eos://x:2222/leaf-1.eos.txt")
	if _, err := New(Options{ReplayDir: "testdata"}).Discover(context.Background(), tg, discovery.Credentials{}); err != nil {
		t.Fatal(err)
	}
}

func TestNormMAC(t *testing.T) {
	for in, want := range map[string]string{
		"001c.7300.0101":    "00:1c:73:00:01:01",
		"00:1C:73:00:01:01": "00:1c:73:00:01:01",
		"00-1c-73-00-01-01": "00:1c:73:00:01:01",
		"001c73000101":      "00:1c:73:00:01:01",
		"0200-0000-0002":    "02:00:00:00:00:02",
		"Ethernet1":         "",
		"00:1c:73:00:01":    "",
		"":                  "",
	} {
		got, ok := normMAC(in)
		if got != want || ok != (want != "") {
			t.Errorf("normMAC(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestCompareIfName(t *testing.T) {
	in := []string{"Ethernet10/1", "Ethernet2", "Ethernet1/10", "Ethernet1/2", "Ethernet02", "et-0/0/10", "et-0/0/9"}
	want := []string{"Ethernet1/2", "Ethernet1/10", "Ethernet2", "Ethernet02", "Ethernet10/1", "et-0/0/9", "et-0/0/10"}
	sf := model.SwitchFacts{}
	for _, n := range in {
		sf.Ports = append(sf.Ports, model.PortFacts{Name: n})
	}
	sortFacts(&sf)
	var got []string
	for _, p := range sf.Ports {
		got = append(got, p.Name)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("order (-want +got):\n%s", d)
	}
}

func TestParseSpeedText(t *testing.T) {
	for _, c := range []struct {
		in   string
		unit byte
		want int
	}{
		{"100G", 'M', 100}, {"25Gbps", 'M', 25}, {"1000mbps", 'M', 1}, {"1000", 'M', 1},
		{"a-1000", 'M', 1}, {"auto", 'M', 0}, {"N/A", 'M', 0}, {"10Gb/s", 'M', 10},
		{"40000", 'M', 40}, {"400", 'G', 400}, {"", 'M', 0}, {"1.6T", 'M', 1600},
	} {
		if got := parseSpeedText(c.in, c.unit); got != c.want {
			t.Errorf("parseSpeedText(%q, %c) = %d, want %d", c.in, c.unit, got, c.want)
		}
	}
}

func TestFRRCommandsFromParams(t *testing.T) {
	tg, err := discovery.ParseTarget("ssh+frr://10.0.0.1?vty_socket=/run/frr/red&lldpd_socket=/run/lldpd-red.socket")
	if err != nil {
		t.Fatal(err)
	}
	got, err := frrPlatform.targetCommands(tg)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"vtysh --vty_socket /run/frr/red -c 'show version'",
		"vtysh --vty_socket /run/frr/red -c 'show interface json'",
		"lldpcli -u /run/lldpd-red.socket -f json show chassis",
		"lldpcli -u /run/lldpd-red.socket -f json show neighbors details",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("commands (-want +got):\n%s", d)
	}
	for _, bad := range []string{
		"ssh+frr://h?vty_socket=/x;reboot",
		"ssh+frr://h?vty_socket=$(id)",
		"ssh+frr://h?color=red",
		"ssh+eos://h?pathspace=x",
	} {
		tg, err := discovery.ParseTarget(bad)
		if err != nil {
			t.Fatal(err)
		}
		_, err = NewReplay("testdata").Discover(context.Background(), tg, discovery.Credentials{})
		if discovery.KindOf(err) != discovery.Failed {
			t.Errorf("%s: err %v, want kind failed", bad, err)
		}
	}
}
