package ipmisim

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/railyard/railyard/internal/discovery"
)

// Config describes a simulated BMC.
type Config struct {
	// User and Password are the one account on the BMC (user id 2, admin
	// privilege). Defaults: "admin" and "railyard". The user name is at
	// most 16 bytes, the password at most 20; neither may hold '"' or
	// control characters.
	User     string
	Password string

	// The FRU device 0, unless FRU or NoFRU says otherwise:
	//
	//	Serial       → Product Serial
	//	BoardSerial  → Board Serial
	//	Model        → Product Name and Board Product
	//	PartNumber   → Product Part Number
	//	Manufacturer → Product Manufacturer and Board Mfg
	Serial       string
	BoardSerial  string
	Model        string
	PartNumber   string
	Manufacturer string

	// FRU, when set, is written as FRU device 0 instead of the FRU the
	// fields above describe.
	FRU *FRU
	// NoFRU leaves the BMC without FRU device 0 (ipmitool fru print 0
	// then says "Device not present").
	NoFRU bool

	// PowerOn is the chassis power state at start.
	PowerOn bool
}

// FRUContent returns the FRU the config writes as device 0 (nil with
// NoFRU).
func (c Config) FRUContent() *FRU {
	switch {
	case c.NoFRU:
		return nil
	case c.FRU != nil:
		f := *c.FRU
		return &f
	}
	return &FRU{
		BoardMfg:            c.Manufacturer,
		BoardProduct:        c.Model,
		BoardSerial:         c.BoardSerial,
		ProductManufacturer: c.Manufacturer,
		ProductName:         c.Model,
		ProductPartNumber:   c.PartNumber,
		ProductSerial:       c.Serial,
	}
}

func (c Config) withDefaults() Config {
	if c.User == "" {
		c.User = "admin"
	}
	if c.Password == "" {
		c.Password = "railyard"
	}
	return c
}

func (c Config) check() error {
	for _, f := range []struct {
		name, v string
		max     int
	}{{"user", c.User, 16}, {"password", c.Password, 20}} {
		if len(f.v) > f.max {
			return fmt.Errorf("ipmisim: %s is %d bytes, at most %d", f.name, len(f.v), f.max)
		}
		for _, r := range f.v {
			if r < 0x20 || r == 0x7f || r == '"' {
				return fmt.Errorf("ipmisim: %s holds a character lan.conf cannot quote", f.name)
			}
		}
	}
	return nil
}

// BMC is a running ipmi_sim. Its methods report failures (t.Fatal) on the
// test that started it, so call them from that test's goroutine, not from
// its subtests.
type BMC struct {
	t    testing.TB
	dir  string
	port int

	mu   sync.Mutex
	cfg  Config
	cmd  *exec.Cmd
	done chan struct{}
}

// Require skips the test when ipmi_sim or ipmitool is not installed, or
// fails it when the environment variable CI is set.
func Require(t testing.TB) {
	t.Helper()
	for _, bin := range []string{"ipmi_sim", "ipmitool"} {
		if _, err := exec.LookPath(bin); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is not installed (CI is set, so this fails instead of skipping): install the openipmi and ipmitool packages", bin)
			}
			t.Skipf("%s is not installed (Debian: apt-get install openipmi ipmitool)", bin)
		}
	}
}

// Start starts ipmi_sim on 127.0.0.1 on a free UDP port and waits until it
// answers. It is stopped when the test ends.
func Start(t testing.TB, cfg Config) *BMC {
	t.Helper()
	Require(t)
	cfg = cfg.withDefaults()
	if err := cfg.check(); err != nil {
		t.Fatal(err)
	}
	b := &BMC{t: t, dir: t.TempDir(), cfg: cfg}
	t.Cleanup(b.Stop)
	var err error
	for range 5 {
		if b.port, err = freeUDPPort(); err != nil {
			break
		}
		if err = b.start(); err == nil {
			return b
		}
	}
	t.Fatalf("ipmisim: %v", err)
	return nil
}

// Restart stops the simulator and starts it again with cfg on the same
// port: a new FRU, new credentials or a new power state, as if the BMC
// had been reconfigured and reset.
func (b *BMC) Restart(cfg Config) {
	b.t.Helper()
	cfg = cfg.withDefaults()
	if err := cfg.check(); err != nil {
		b.t.Fatal(err)
	}
	b.Stop()
	b.mu.Lock()
	b.cfg = cfg
	b.mu.Unlock()
	var err error
	for range 5 {
		if err = b.start(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.t.Fatalf("ipmisim: restart: %v", err)
}

// Stop stops the simulator. It is safe to call more than once.
func (b *BMC) Stop() {
	b.mu.Lock()
	cmd, done := b.cmd, b.done
	b.cmd = nil
	b.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// Port is the UDP port the simulator listens on.
func (b *BMC) Port() int { return b.port }

// Host is the address the simulator listens on.
func (b *BMC) Host() string { return "127.0.0.1" }

// Addr is host:port.
func (b *BMC) Addr() string { return net.JoinHostPort(b.Host(), strconv.Itoa(b.port)) }

// TargetURL is the discovery target for the simulator: ipmi://127.0.0.1:PORT.
func (b *BMC) TargetURL() string { return "ipmi://" + b.Addr() }

// Target is TargetURL parsed.
func (b *BMC) Target() discovery.Target {
	return discovery.Target{Scheme: "ipmi", Host: b.Host(), Port: b.port}
}

// Credentials are the configured user and password.
func (b *BMC) Credentials() discovery.Credentials {
	b.mu.Lock()
	defer b.mu.Unlock()
	return discovery.Credentials{Username: b.cfg.User, Password: b.cfg.Password}
}

// Config is the configuration the simulator runs with, defaults applied.
func (b *BMC) Config() Config {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cfg
}

// Power is the chassis power state the simulator holds: "on" or "off".
func (b *BMC) Power() string {
	v, err := os.ReadFile(filepath.Join(b.dir, "power"))
	if err != nil {
		b.t.Fatalf("ipmisim: %v", err)
	}
	if strings.TrimSpace(string(v)) == "1" {
		return "on"
	}
	return "off"
}

// SetPower changes the power state behind the BMC's back, as a person at
// the power button would.
func (b *BMC) SetPower(on bool) {
	if err := writeFile(filepath.Join(b.dir, "power"), powerValue(on), 0o644); err != nil {
		b.t.Fatalf("ipmisim: %v", err)
	}
}

// BootDevice is the next boot device last set through IPMI, in the
// simulator's words: "none" (never set), "pxe", "default" (ipmitool's
// disk), "cdrom" or "bios".
func (b *BMC) BootDevice() string {
	v, err := os.ReadFile(filepath.Join(b.dir, "boot"))
	if err != nil {
		b.t.Fatalf("ipmisim: %v", err)
	}
	return strings.TrimSpace(string(v))
}

// PowerEvents lists the power changes the BMC made, oldest first: "on"
// or "off" per change, so a test can tell a power cycle (off, on) from
// nothing.
func (b *BMC) PowerEvents() []string {
	v, err := os.ReadFile(filepath.Join(b.dir, "events"))
	if err != nil {
		return nil
	}
	var out []string
	for _, l := range strings.Fields(strings.ReplaceAll(string(v), "power", "")) {
		if l == "1" {
			out = append(out, "on")
		} else {
			out = append(out, "off")
		}
	}
	return out
}

// Log is what ipmi_sim wrote to its standard output and error.
func (b *BMC) Log() string {
	v, _ := os.ReadFile(filepath.Join(b.dir, "ipmi_sim.log"))
	return string(v)
}

// start writes the configuration and starts ipmi_sim on b.port.
func (b *BMC) start() error {
	b.mu.Lock()
	cfg := b.cfg
	b.mu.Unlock()

	sim, err := exec.LookPath("ipmi_sim")
	if err != nil {
		return err
	}
	state := filepath.Join(b.dir, "state")
	if err := os.MkdirAll(state, 0o755); err != nil {
		return err
	}
	var fru []byte
	if f := cfg.FRUContent(); f != nil {
		if fru, err = EncodeFRU(*f); err != nil {
			return err
		}
	}
	files := []struct {
		name string
		data string
		mode os.FileMode
	}{
		{"chassis.sh", chassisScript, 0o755},
		{"power", powerValue(cfg.PowerOn), 0o644},
		{"boot", "none\n", 0o644},
		{"lan.conf", lanConf(cfg, b.port, filepath.Join(b.dir, "chassis.sh")), 0o644},
		{"sim.emu", emuCommands(fru), 0o644},
	}
	for _, f := range files {
		if err := writeFile(filepath.Join(b.dir, f.name), f.data, f.mode); err != nil {
			return err
		}
	}
	logf, err := os.Create(filepath.Join(b.dir, "ipmi_sim.log"))
	if err != nil {
		return err
	}
	defer logf.Close()

	cmd := exec.Command(sim,
		"-c", filepath.Join(b.dir, "lan.conf"),
		"-f", filepath.Join(b.dir, "sim.emu"),
		"-s", state,
		"-n", // no console on stdin/stdout
		"-p", // persist nothing
	)
	cmd.Dir = b.dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()

	if err := waitReady(b.Addr(), done, 10*time.Second); err != nil {
		_ = cmd.Process.Kill()
		<-done
		return fmt.Errorf("ipmi_sim on %s: %w; its output:\n%s", b.Addr(), err, b.Log())
	}
	b.mu.Lock()
	b.cmd, b.done = cmd, done
	b.mu.Unlock()
	return nil
}

// waitReady sends RMCP/ASF presence pings until the simulator answers with
// a pong, the process exits or the time is up.
func waitReady(addr string, exited <-chan struct{}, within time.Duration) error {
	conn, err := net.Dial("udp4", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	// RMCP header (version 6, seq ff, class ASF) + ASF presence ping
	// (IANA 4542, type 80h, tag 1, no data).
	ping := []byte{0x06, 0x00, 0xff, 0x06, 0x00, 0x00, 0x11, 0xbe, 0x80, 0x01, 0x00, 0x00}
	buf := make([]byte, 64)
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("exited before answering")
		default:
		}
		if _, err := conn.Write(ping); err == nil {
			_ = conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			n, err := conn.Read(buf)
			if err == nil && n >= 9 && buf[3] == 0x06 && buf[8] == 0x40 {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("no answer to a presence ping within %v", within)
}

func freeUDPPort() (int, error) {
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port, nil
}

func powerValue(on bool) string {
	if on {
		return "1\n"
	}
	return "0\n"
}

// writeFile writes through a temporary file and a rename, so that the
// chassis script never reads a half-written value.
func writeFile(name, data string, mode os.FileMode) error {
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, []byte(data), mode); err != nil {
		return err
	}
	return os.Rename(tmp, name)
}

// lanConf is the ipmi_lan(5) configuration: one LAN channel on
// 127.0.0.1:port, one admin user, and chassis control through the script.
func lanConf(cfg Config, port int, script string) string {
	return fmt.Sprintf(`# written by railyard's ipmisim
name "railyard"
set_working_mc 0x20
  startlan 1
    addr 127.0.0.1 %d
    priv_limit admin
    allowed_auths_callback md5
    allowed_auths_user md5
    allowed_auths_operator md5
    allowed_auths_admin md5
    guid a123456789abcdefa123456789abcdef
  endlan
  chassis_control "'%s' 0x20"
  user 2 true "%s" "%s" admin 10 md5
`, port, script, cfg.User, cfg.Password)
}

// emuCommands is the ipmi_sim_cmd(5) command file: a BMC at IPMB 0x20
// (device support 0x9f includes "FRU inventory device") with a SEL and,
// when fru is not nil, FRU device 0 holding fru.
func emuCommands(fru []byte) string {
	var s strings.Builder
	s.WriteString("# written by railyard's ipmisim\n")
	s.WriteString("mc_setbmc 0x20\n")
	s.WriteString("mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02\n")
	s.WriteString("sel_enable 0x20 50 0x0a\n")
	if fru != nil {
		size := max(256, len(fru))
		fmt.Fprintf(&s, "mc_add_fru_data 0x20 0 %d data", size)
		for i, c := range fru {
			if i%16 == 0 {
				s.WriteString(" \\\n ")
			}
			fmt.Fprintf(&s, " 0x%02x", c)
		}
		s.WriteString("\n")
	}
	s.WriteString("mc_enable 0x20\n")
	return s.String()
}

// chassisScript is ipmi_sim's chassis_control program:
//
//	chassis.sh <mc> get power|boot ...
//	chassis.sh <mc> set power|reset|shutdown|boot|identify <value> ...
//
// It keeps the power state ("1"/"0") and the next boot device in files
// beside itself.
const chassisScript = `#!/bin/sh
d=$(dirname "$0")
put() { echo "$2" > "$d/$1.tmp" && mv "$d/$1.tmp" "$d/$1"; }
shift
op=$1
shift
case "$op" in
get)
	for p in "$@"; do
		case "$p" in
		power) echo "power:$(cat "$d/power")" ;;
		boot) echo "boot:$(cat "$d/boot")" ;;
		*) echo "cannot get $p"; exit 1 ;;
		esac
	done
	;;
set)
	while [ $# -gt 1 ]; do
		p=$1
		v=$2
		shift 2
		case "$p" in
		power) put power "$v"; echo "power $v" >> "$d/events" ;;
		shutdown) [ "$v" = 1 ] && put power 0 && echo "power 0" >> "$d/events" ;;
		reset) ;;
		boot) put boot "$v" ;;
		identify) ;;
		*) echo "cannot set $p"; exit 1 ;;
		esac
	done
	;;
*)
	exit 1
	;;
esac
exit 0
`
