package ipmi

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/railyard/railyard/internal/discovery"
	"github.com/railyard/railyard/internal/discovery/ipmi/ipmisim"
	"github.com/railyard/railyard/internal/model"
)

func testContext(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// discoverOne runs Discover and returns its one node.
func discoverOne(t *testing.T, s *Source, b *ipmisim.BMC) model.NodeFacts {
	t.Helper()
	obs, err := s.Discover(testContext(t, 20*time.Second), b.Target(), b.Credentials())
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	if len(obs.Nodes) != 1 || len(obs.Switches) != 0 {
		t.Fatalf("Discover returned %d nodes, %d switches; want 1 node", len(obs.Nodes), len(obs.Switches))
	}
	return obs.Nodes[0]
}

func TestDiscoverSim(t *testing.T) {
	b := ipmisim.Start(t, ipmisim.Config{
		User: "railyard", Password: "s3cret-Pa55",
		Serial: "SN-4AX0192", BoardSerial: "BRD-77120",
		Model: "GPU-Server 8xH100", PartNumber: "GS-8H100-A1",
		Manufacturer: "Railyard Labs", PowerOn: true,
	})
	tgt, err := discovery.ParseTarget(b.TargetURL())
	if err != nil {
		t.Fatal(err)
	}
	src, _, _ := discovery.Lookup("ipmi")
	obs, err := src.Discover(testContext(t, 20*time.Second), tgt, b.Credentials())
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	want := &model.Observation{Nodes: []model.NodeFacts{{
		Serial: "SN-4AX0192", Model: "GPU-Server 8xH100", Vendor: "Railyard Labs", Power: "on",
		Missing: []string{"gpus", "nics"},
	}}}
	if diff := cmp.Diff(want, obs); diff != "" {
		t.Errorf("Discover (-want +got):\n%s", diff)
	}

	b.SetPower(false)
	if n := discoverOne(t, &Source{}, b); n.Power != "off" {
		t.Errorf("power after the button = %q, want off", n.Power)
	}

	// The BMC is reconfigured: a new serial is seen on the next run.
	b.Restart(ipmisim.Config{User: "railyard", Password: "s3cret-Pa55", Serial: "SN-REPLACED", Model: "GPU-Server 8xH100", Manufacturer: "Railyard Labs"})
	if n := discoverOne(t, &Source{}, b); n.Serial != "SN-REPLACED" {
		t.Errorf("serial after restart = %q, want SN-REPLACED", n.Serial)
	}
}

func TestDiscoverSimMissingFacts(t *testing.T) {
	tests := []struct {
		name string
		cfg  ipmisim.Config
		want model.NodeFacts
	}{
		{
			name: "board area only",
			cfg:  ipmisim.Config{FRU: &ipmisim.FRU{BoardMfg: "Quanta", BoardProduct: "S7Q", BoardSerial: "QTFCOU9990123"}},
			want: model.NodeFacts{Serial: "QTFCOU9990123", Vendor: "Quanta", Power: "off", Missing: []string{"model", "gpus", "nics"}},
		},
		{
			name: "6-bit fields, placeholder product name",
			cfg: ipmisim.Config{PowerOn: true, FRU: &ipmisim.FRU{SixBit: true,
				BoardMfg: "SUPERMICRO", ProductName: "NONE", ProductPartNumber: "SYS-420GP-TNAR", ProductSerial: "S4201234X2300042"}},
			want: model.NodeFacts{Serial: "S4201234X2300042", Vendor: "SUPERMICRO", Model: "SYS-420GP-TNAR", Power: "on", Missing: []string{"gpus", "nics"}},
		},
		{
			name: "no FRU device",
			cfg:  ipmisim.Config{NoFRU: true, PowerOn: true},
			want: model.NodeFacts{Power: "on", Missing: []string{"serial", "vendor", "model", "gpus", "nics"}},
		},
		{
			name: "FRU without info areas",
			cfg:  ipmisim.Config{FRU: &ipmisim.FRU{}},
			want: model.NodeFacts{Power: "off", Missing: []string{"serial", "vendor", "model", "gpus", "nics"}},
		},
	}
	b := ipmisim.Start(t, tests[0].cfg)
	for i, tt := range tests {
		if i > 0 {
			b.Restart(tt.cfg) // from this goroutine: Restart fails the test that started b
		}
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, discoverOne(t, &Source{}, b)); diff != "" {
				t.Errorf("Discover (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFRURoundTrip encodes FRUs with ipmisim's encoder, serves them from
// ipmi_sim, prints them with ipmitool and parses the output.
func TestFRURoundTrip(t *testing.T) {
	frus := []ipmisim.FRU{
		{
			ChassisType: 0x17, ChassisPartNumber: "CSE-829U", ChassisSerial: "C8290AB12345",
			BoardMfg: "Super Micro Computer Inc", BoardProduct: "X12DPG-OA6", BoardSerial: "OM221S000123", BoardPartNumber: "X12DPG-OA6",
			ProductManufacturer: "Supermicro", ProductName: "SYS-420GP-TNAR", ProductPartNumber: "SYS-420GP-TNAR+",
			ProductVersion: "1.01", ProductSerial: "S4201234X2300042", ProductAssetTag: "rack r01 u17",
		},
		{
			SixBit:   true,
			BoardMfg: "NVIDIA", BoardProduct: "DGX H100 MB", BoardSerial: "1650124000123", BoardPartNumber: "X",
			ProductManufacturer: "NVIDIA", ProductName: "DGXH100", ProductPartNumber: "920-23687-2530-000",
			ProductVersion: "A", ProductSerial: "1650124000123-DGX", ProductAssetTag: "lower case stays 8-bit",
		},
		{ProductSerial: "S", ProductName: strings.Repeat("M", 63)},
	}
	b := ipmisim.Start(t, ipmisim.Config{FRU: &frus[0]})
	for i, f := range frus {
		if i > 0 {
			b.Restart(ipmisim.Config{FRU: &f})
		}
		cn, err := (&Source{}).connect(b.Target(), b.Credentials())
		if err != nil {
			t.Fatal(err)
		}
		out, err := cn.run(testContext(t, 10*time.Second), "fru", "print", "0")
		if err != nil {
			t.Fatalf("fru %d: %v", i, err)
		}
		got, err := ParseFRU(out)
		if err != nil || len(got) != 1 {
			t.Fatalf("fru %d: ParseFRU = %v, %v\n%s", i, got, err, out)
		}
		want := FRU{
			ChassisPartNumber: f.ChassisPartNumber, ChassisSerial: f.ChassisSerial,
			BoardMfg: f.BoardMfg, BoardProduct: f.BoardProduct, BoardSerial: f.BoardSerial, BoardPartNumber: f.BoardPartNumber,
			ProductManufacturer: f.ProductManufacturer, ProductName: f.ProductName, ProductPartNumber: f.ProductPartNumber,
			ProductVersion: f.ProductVersion, ProductSerial: f.ProductSerial, ProductAssetTag: f.ProductAssetTag,
		}
		if f.ChassisType == 0x17 {
			want.ChassisType = "Rack Mount Chassis"
		}
		if f.BoardMfg != "" {
			want.BoardMfgDate = "Unspecified"
		}
		if diff := cmp.Diff(want, got[0]); diff != "" {
			t.Errorf("fru %d: encode → ipmi_sim → ipmitool → ParseFRU (-want +got):\n%s\nipmitool printed:\n%s", i, diff, out)
		}
	}
}

func TestPowerControlSim(t *testing.T) {
	b := ipmisim.Start(t, ipmisim.Config{PowerOn: true})
	s := &Source{}
	ctx := testContext(t, 60*time.Second)
	tgt, c := b.Target(), b.Credentials()

	expect := func(want string) {
		t.Helper()
		got, err := s.PowerState(ctx, tgt, c)
		if err != nil {
			t.Fatalf("PowerState: %v", err)
		}
		if got != want || b.Power() != want {
			t.Fatalf("PowerState = %q, simulator holds %q; want %q", got, b.Power(), want)
		}
	}
	set := func(state string) {
		t.Helper()
		if err := s.SetPower(ctx, tgt, c, state); err != nil {
			t.Fatalf("SetPower(%s): %v", state, err)
		}
	}

	expect("on")
	set("off")
	expect("off")
	set("off") // already off: nothing to do
	expect("off")
	set("on")
	expect("on")
	set("reset")
	expect("on")

	// Cycle: off now, on again a second later (ipmi_sim's power-on timer).
	set("cycle")
	deadline := time.Now().Add(5 * time.Second)
	for b.Power() != "on" && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	expect("on")

	set("soft")
	expect("off")
}

func TestBootDeviceSim(t *testing.T) {
	b := ipmisim.Start(t, ipmisim.Config{PowerOn: true})
	s := &Source{}
	ctx := testContext(t, 30*time.Second)
	for _, tt := range []struct {
		device     string
		persistent bool
		want       string // ipmi_sim's name for it
	}{
		{"pxe", false, "pxe"},
		{"disk", true, "default"},
		{"bios", false, "bios"},
		{"cdrom", false, "cdrom"},
	} {
		if err := s.SetBootDevice(ctx, b.Target(), b.Credentials(), tt.device, tt.persistent); err != nil {
			t.Fatalf("SetBootDevice(%s): %v", tt.device, err)
		}
		if got := b.BootDevice(); got != tt.want {
			t.Errorf("after SetBootDevice(%s) the simulator boots from %q, want %q", tt.device, got, tt.want)
		}
	}
}

func TestUnauthorizedSim(t *testing.T) {
	const password = "correct-horse"
	b := ipmisim.Start(t, ipmisim.Config{Password: password, Serial: "SN1"})
	s := &Source{}
	ctx := testContext(t, 30*time.Second)
	for _, tt := range []struct {
		name string
		c    discovery.Credentials
	}{
		{"wrong password", discovery.Credentials{Username: b.Config().User, Password: "battery-staple"}},
		{"unknown user", discovery.Credentials{Username: "mallory", Password: password}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checks := map[string]error{}
			_, checks["Discover"] = s.Discover(ctx, b.Target(), tt.c)
			_, checks["PowerState"] = s.PowerState(ctx, b.Target(), tt.c)
			checks["SetPower"] = s.SetPower(ctx, b.Target(), tt.c, "off")
			checks["SetBootDevice"] = s.SetBootDevice(ctx, b.Target(), tt.c, "pxe", false)
			for what, err := range checks {
				if discovery.KindOf(err) != discovery.Unauthorized {
					t.Errorf("%s: %v; want unauthorized", what, err)
					continue
				}
				for _, secret := range []string{tt.c.Password, password} {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("%s: error %q holds a password", what, err)
					}
				}
			}
		})
	}
	if b.Power() != "off" || b.BootDevice() != "none" {
		t.Errorf("a refused login changed the BMC: power %s, boot %s", b.Power(), b.BootDevice())
	}
}

// deadPort returns a UDP port on 127.0.0.1 that nothing listens on.
func deadPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := c.LocalAddr().(*net.UDPAddr).Port
	c.Close()
	return port
}

func TestUnreachable(t *testing.T) {
	ipmisim.Require(t)
	c := discovery.Credentials{Username: "admin", Password: "pw"}
	tgt := discovery.Target{Scheme: "ipmi", Host: "127.0.0.1", Port: deadPort(t)}

	check := func(t *testing.T, what string, within time.Duration, run func() error) {
		start := time.Now()
		err := run()
		took := time.Since(start)
		if discovery.KindOf(err) != discovery.Unreachable {
			t.Errorf("%s: %v; want unreachable", what, err)
		}
		if took > within {
			t.Errorf("%s took %v, want at most %v", what, took.Round(time.Millisecond), within)
		}
	}
	t.Run("context deadline", func(t *testing.T) {
		t.Parallel()
		check(t, "Discover", 3*time.Second, func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
			defer cancel()
			_, err := (&Source{Retries: 5}).Discover(ctx, tgt, c)
			return err
		})
	})
	t.Run("ipmitool gives up", func(t *testing.T) {
		t.Parallel()
		check(t, "Discover", 5*time.Second, func() error {
			_, err := (&Source{Timeout: 1, Retries: 1}).Discover(context.Background(), tgt, c)
			return err
		})
	})
	t.Run("bmclib path", func(t *testing.T) {
		t.Parallel()
		check(t, "PowerState", 3*time.Second, func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
			defer cancel()
			_, err := (&Source{}).PowerState(ctx, tgt, c)
			return err
		})
	})
}

// fakeIpmitool writes a shell script standing in for ipmitool.
func fakeIpmitool(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ipmitool")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMalformed(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	tgt := discovery.Target{Scheme: "ipmi", Host: "192.0.2.1"}
	c := discovery.Credentials{Username: "admin", Password: "pw"}
	ctx := testContext(t, 10*time.Second)

	garbageFRU := fakeIpmitool(t, `echo '<html><body>502 Bad Gateway</body></html>'`)
	if _, err := (&Source{Ipmitool: garbageFRU}).Discover(ctx, tgt, c); discovery.KindOf(err) != discovery.Malformed {
		t.Errorf("Discover with garbage FRU output: %v; want malformed", err)
	}

	garbagePower := fakeIpmitool(t, `case "$*" in
*fru*) printf ' Product Serial : SN1\n' ;;
*) echo 'Chassis Power is sideways' ;;
esac`)
	if _, err := (&Source{Ipmitool: garbagePower}).Discover(ctx, tgt, c); discovery.KindOf(err) != discovery.Malformed {
		t.Errorf("Discover with garbage power output: %v; want malformed", err)
	}
}

func TestPasswordStaysOffCommandLine(t *testing.T) {
	dir := t.TempDir()
	fake := fakeIpmitool(t, `printf '%s\n' "$@" > '`+dir+`/args'
env > '`+dir+`/env'
case "$*" in
*fru*) printf ' Product Serial : SN1\n' ;;
*) echo 'Chassis Power is on' ;;
esac`)
	const password = "pa55-word-xyz"
	tgt := discovery.Target{Scheme: "ipmi", Host: "192.0.2.1", Port: 6230}
	obs, err := (&Source{Ipmitool: fake}).Discover(testContext(t, 10*time.Second), tgt, discovery.Credentials{Username: "admin", Password: password})
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	if got := obs.Nodes[0].Serial; got != "SN1" {
		t.Errorf("serial = %q", got)
	}
	args, _ := os.ReadFile(filepath.Join(dir, "args"))
	env, _ := os.ReadFile(filepath.Join(dir, "env"))
	if strings.Contains(string(args), password) {
		t.Errorf("password on ipmitool's command line: %q", args)
	}
	for _, want := range []string{"-E", "-H\n192.0.2.1\n", "-p\n6230\n", "-I\nlanplus\n"} {
		if !strings.Contains(string(args), want) {
			t.Errorf("ipmitool arguments lack %q:\n%s", want, args)
		}
	}
	if !strings.Contains(string(env), "IPMI_PASSWORD="+password) && !strings.Contains(string(env), "IPMITOOL_PASSWORD="+password) {
		t.Errorf("password not passed in the environment")
	}
}

func TestIpmitoolMissing(t *testing.T) {
	s := &Source{Ipmitool: filepath.Join(t.TempDir(), "no-such-ipmitool")}
	tgt := discovery.Target{Scheme: "ipmi", Host: "192.0.2.1"}
	c := discovery.Credentials{Username: "admin", Password: "pw"}
	ctx := testContext(t, 5*time.Second)
	_, err := s.Discover(ctx, tgt, c)
	if discovery.KindOf(err) != discovery.Failed || !strings.Contains(err.Error(), "ipmitool") {
		t.Errorf("Discover without ipmitool: %v; want failed naming ipmitool", err)
	}
	if err := s.SetPower(ctx, tgt, c, "on"); discovery.KindOf(err) != discovery.Failed {
		t.Errorf("SetPower without ipmitool: %v; want failed", err)
	}
}
