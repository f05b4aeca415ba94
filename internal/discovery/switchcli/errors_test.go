package switchcli

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/railyard/railyard/internal/discovery"
	"github.com/railyard/railyard/internal/model"
)

var garbageFacts = model.SwitchFacts{
	Name:      "leaf-7",
	ChassisID: "44:4c:a8:00:00:07",
	Version:   "4.31.2F",
	Ports:     []model.PortFacts{{Name: "Ethernet1", SpeedGbps: 100, Up: true}, {Name: "Ethernet2", SpeedGbps: 100}},
	Neighbors: []model.LLDPNeighbor{{LocalPort: "Ethernet1", ChassisID: "00:1c:73:00:01:01", PortID: "Ethernet1/7", SysName: "spine-1"}},
}

// replaceOutput swaps the output of one command in a rendered transcript.
func replaceOutput(t *testing.T, data []byte, prompt, cmd, newOut string) []byte {
	t.Helper()
	s := string(data)
	i := strings.Index(s, prompt+cmd+"\n")
	if i < 0 {
		t.Fatalf("no %q in transcript", cmd)
	}
	start := i + len(prompt) + len(cmd) + 1
	end := start + strings.Index(s[start:], prompt)
	return []byte(s[:start] + newOut + "\n" + s[end:])
}

// TestReplayGarbage replays transcripts in which the switch misbehaves:
// each must end in a classified error, within the replay timeout.
func TestReplayGarbage(t *testing.T) {
	dir := t.TempDir()
	render := func(platform string, sf model.SwitchFacts) []byte {
		t.Helper()
		b, err := Render(platform, sf)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	eos := render("eos", garbageFacts)
	nxSF := garbageFacts
	nxSF.ChassisID = ""
	nxSF.Ports = []model.PortFacts{{Name: "Ethernet1/1", SpeedGbps: 25, Up: true}}
	nxSF.Neighbors = nil
	nxos := render("nxos", nxSF)
	jSF := garbageFacts
	jSF.Ports = []model.PortFacts{{Name: "et-0/0/1", SpeedGbps: 100, Up: true}}
	jSF.Neighbors = nil
	junos := render("junos", jSF)
	fSF := garbageFacts
	fSF.Ports = []model.PortFacts{{Name: "eth0", SpeedGbps: 10, Up: true}}
	fSF.Neighbors = nil
	frr := render("frr", fSF)

	cases := []struct {
		name, platform string
		data           []byte
		want           discovery.Kind
	}{
		{"eos invalid input", "eos",
			replaceOutput(t, eos, "leaf-7#", "show version | json", "% Invalid input (at token 1: 'version')"), discovery.Malformed},
		{"eos not json", "eos",
			replaceOutput(t, eos, "leaf-7#", "show lldp neighbors detail | json",
				"Last table change time   : 0:12:44 ago\nNumber of table inserts  : 1\nPort          Neighbor Device ID       Neighbor Port ID    TTL\nEt1           spine-1                  Ethernet1/7         120"), discovery.Malformed},
		{"eos missing fields", "eos",
			replaceOutput(t, eos, "leaf-7#", "show interfaces status | json", `{"interfaces": {}}`), discovery.Malformed},
		{"eos no hostname", "eos",
			replaceOutput(t, eos, "leaf-7#", "show hostname | json", `{"fqdn": ""}`), discovery.Malformed},
		{"eos truncated json", "eos",
			replaceOutput(t, eos, "leaf-7#", "show version | json", `{"modelName": "DCS-7050`), discovery.Malformed},
		// A prompt no arista_eos privilege level matches: the driver never
		// finds the prompt and the operation times out.
		{"eos wrong prompt", "eos", []byte(strings.ReplaceAll(string(eos), "leaf-7#", "leaf-7$ ")), discovery.Malformed},
		// The session stops in the middle of an output.
		{"eos truncated session", "eos", eos[:len(eos)/2], discovery.Malformed},
		{"nxos invalid command", "nxos",
			replaceOutput(t, nxos, "leaf-7#", "show interface status | json", "                             ^\n% Invalid command at '^' marker."), discovery.Malformed},
		{"nxos text table", "nxos",
			replaceOutput(t, nxos, "leaf-7#", "show interface status | json",
				"--------------------------------------------------------------------------------\nPort          Name               Status    Vlan      Duplex  Speed   Type\n--------------------------------------------------------------------------------\nEth1/1        --                 connected routed    full    25G     10Gbase-SR"), discovery.Malformed},
		{"junos syntax error", "junos",
			replaceOutput(t, junos, "{master:0}\nnetops@leaf-7> ", "show system information | display json", "                                ^\nsyntax error, expecting <command>."), discovery.Malformed},
		{"junos no host-name", "junos",
			replaceOutput(t, junos, "{master:0}\nnetops@leaf-7> ", "show system information | display json", `{"system-information" : [{"os-name" : [{"data" : "junos"}]}]}`), discovery.Malformed},
		{"frr daemons down", "frr",
			replaceOutput(t, frr, "root@leaf-7:~# ", "vtysh -c 'show version'", "Exiting: failed to connect to any daemons."), discovery.Malformed},
		{"frr lldp garbage", "frr",
			replaceOutput(t, frr, "root@leaf-7:~# ", "lldpcli -f json show neighbors details", "<lldp><interface/></lldp>"), discovery.Malformed},
	}
	const timeout = 1500 * time.Millisecond
	src := New(Options{ReplayDir: dir, Timeout: timeout})
	for i, c := range cases {
		host := "leaf-7"
		file := filepath.Join(dir, "case"+string(rune('a'+i))+".txt")
		if err := os.WriteFile(file, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			_, err := src.Discover(context.Background(),
				discovery.Target{Scheme: "ssh+" + c.platform, Host: host, Path: "/" + filepath.Base(file)}, discovery.Credentials{})
			took := time.Since(start)
			if err == nil {
				t.Fatal("no error")
			}
			if k := discovery.KindOf(err); k != c.want {
				t.Errorf("kind %s, want %s: %v", k, c.want, err)
			}
			if took > timeout+2*time.Second {
				t.Errorf("took %v, more than the %v timeout", took, timeout)
			}
			t.Logf("%v (%v)", err, took.Round(time.Millisecond))
		})
	}
}

// TestFRRWithoutLLDPD: a Linux host whose lldpd is not running is still
// discovered, with its neighbours reported Missing.
func TestFRRWithoutLLDPD(t *testing.T) {
	sf := model.SwitchFacts{Name: "frr-9", Version: "8.4.4", Ports: []model.PortFacts{{Name: "eth0", SpeedGbps: 10, Up: true}}}
	outs, err := frrPlatform.render(sf)
	if err != nil {
		t.Fatal(err)
	}
	down := "2024-03-12T09:41:07 [WARN/control] unable to connect to socket /run/lldpd.socket: No such file or directory"
	outs[2], outs[3] = down, down
	got, err := Parse("frr", outs)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got.Missing, ",") != "chassis_id,vendor,model,serial,neighbors" || got.Neighbors != nil {
		t.Errorf("got Missing %v, neighbours %v", got.Missing, got.Neighbors)
	}
}

func TestDiscoverFailures(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name string
		src  *Source
		t    discovery.Target
		c    discovery.Credentials
		want discovery.Kind
	}{
		{"unknown scheme", New(Options{}), discovery.Target{Scheme: "ssh+ios", Host: "r1"}, discovery.Credentials{Username: "u"}, discovery.Failed},
		{"no transcript", NewReplay(t.TempDir()), discovery.Target{Scheme: "ssh+eos", Host: "nowhere"}, discovery.Credentials{}, discovery.Failed},
		{"no username", New(Options{}), discovery.Target{Scheme: "ssh+eos", Host: "127.0.0.1", Port: 1}, discovery.Credentials{}, discovery.Failed},
	} {
		_, err := c.src.Discover(ctx, c.t, c.c)
		if k := discovery.KindOf(err); k != c.want {
			t.Errorf("%s: kind %s, want %s (%v)", c.name, k, c.want, err)
		}
	}
}

// TestDialFailures talks to loopback listeners that are not SSH servers.
func TestDialFailures(t *testing.T) {
	creds := discovery.Credentials{Username: "admin", Password: "secret"}
	src := New(Options{DialTimeout: 1 * time.Second, Timeout: 1500 * time.Millisecond})

	// Nothing listens: connection refused.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := l.Addr().(*net.TCPAddr).Port
	l.Close()

	// Accepts and says nothing: the SSH handshake times out.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { silent.Close() })
	go holdConns(t, silent)

	// Accepts and talks HTTP.
	http, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { http.Close() })
	go func() {
		for {
			c, err := http.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")) //nolint:errcheck
			c.Close()
		}
	}()

	for _, c := range []struct {
		name string
		port int
	}{
		{"refused", closedPort},
		{"silent", silent.Addr().(*net.TCPAddr).Port},
		{"not ssh", http.Addr().(*net.TCPAddr).Port},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			_, err := src.Discover(context.Background(), discovery.Target{Scheme: "ssh+eos", Host: "127.0.0.1", Port: c.port}, creds)
			if k := discovery.KindOf(err); k != discovery.Unreachable {
				t.Errorf("kind %s, want unreachable: %v", k, err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
			t.Logf("%v", err)
			if strings.Contains(err.Error(), creds.Password) {
				t.Errorf("error leaks the password: %v", err)
			}
		})
	}
}

// TestContextCancel: Discover returns when the context ends even though
// scrapligo has no context support.
func TestContextCancel(t *testing.T) {
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { silent.Close() })
	go holdConns(t, silent)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = New(Options{DialTimeout: 5 * time.Second}).Discover(ctx,
		discovery.Target{Scheme: "ssh+eos", Host: "127.0.0.1", Port: silent.Addr().(*net.TCPAddr).Port},
		discovery.Credentials{Username: "admin", Password: "x"})
	if k := discovery.KindOf(err); k != discovery.Unreachable {
		t.Errorf("kind %s, want unreachable: %v", k, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v after a 300ms deadline", d)
	}
}

// holdConns accepts connections and keeps them open, silent, until the
// test ends.
func holdConns(t *testing.T, l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		t.Cleanup(func() { c.Close() })
	}
}
