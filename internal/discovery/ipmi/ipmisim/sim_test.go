package ipmisim

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ipmitool runs ipmitool against b with its configured credentials.
func ipmitool(t *testing.T, b *BMC, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfg := b.Config()
	argv := append([]string{"-I", "lanplus", "-C", "3", "-N", "1", "-R", "1",
		"-H", b.Host(), "-p", strconv.Itoa(b.Port()), "-U", cfg.User, "-E"}, args...)
	cmd := exec.CommandContext(ctx, "ipmitool", argv...)
	cmd.Env = []string{"IPMI_PASSWORD=" + cfg.Password}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestStartRestartStop(t *testing.T) {
	b := Start(t, Config{Serial: "SN-1", Model: "Model One", Manufacturer: "Acme", PowerOn: true})
	if b.TargetURL() != "ipmi://127.0.0.1:"+strconv.Itoa(b.Port()) || b.Target().Port != b.Port() {
		t.Errorf("TargetURL %s, Target %+v, port %d", b.TargetURL(), b.Target(), b.Port())
	}
	if c := b.Credentials(); c.Username != "admin" || c.Password != "railyard" {
		t.Errorf("default credentials %q/%q", c.Username, c.Password)
	}

	out, err := ipmitool(t, b, "fru", "print", "0")
	if err != nil {
		t.Fatalf("fru print: %v\n%s\nsimulator log:\n%s", err, out, b.Log())
	}
	for _, want := range []string{"Product Serial        : SN-1", "Product Name          : Model One", "Product Manufacturer  : Acme", "Board Mfg             : Acme"} {
		if !strings.Contains(out, want) {
			t.Errorf("fru print lacks %q:\n%s", want, out)
		}
	}

	if out, err := ipmitool(t, b, "chassis", "power", "status"); err != nil || !strings.Contains(out, "Chassis Power is on") {
		t.Errorf("power status: %v\n%s", err, out)
	}
	if out, err := ipmitool(t, b, "chassis", "power", "off"); err != nil {
		t.Errorf("power off: %v\n%s", err, out)
	}
	if b.Power() != "off" {
		t.Errorf("after power off the simulator holds %s", b.Power())
	}
	if out, err := ipmitool(t, b, "chassis", "bootdev", "pxe"); err != nil || b.BootDevice() != "pxe" {
		t.Errorf("bootdev pxe: %v, simulator boots from %q\n%s", err, b.BootDevice(), out)
	}

	port := b.Port()
	b.Restart(Config{User: "root", Password: "calvin", Serial: "SN-2"})
	if b.Port() != port {
		t.Errorf("restart moved the port from %d to %d", port, b.Port())
	}
	out, err = ipmitool(t, b, "fru", "print", "0")
	if err != nil || !strings.Contains(out, "Product Serial        : SN-2") {
		t.Errorf("fru print after restart: %v\n%s", err, out)
	}
	if b.Power() != "off" || b.BootDevice() != "none" {
		t.Errorf("after restart: power %s, boot %s; want off, none", b.Power(), b.BootDevice())
	}

	b.Stop()
	b.Stop() // idempotent
	if err := waitReady(b.Addr(), nil, 300*time.Millisecond); err == nil {
		t.Error("simulator still answers after Stop")
	}
}

func TestWrongPasswordRefused(t *testing.T) {
	b := Start(t, Config{Password: "right"})
	cmd := exec.Command("ipmitool", "-I", "lanplus", "-C", "3", "-N", "1", "-R", "1", "-v",
		"-H", b.Host(), "-p", strconv.Itoa(b.Port()), "-U", "admin", "-E", "chassis", "power", "status")
	cmd.Env = []string{"IPMI_PASSWORD=wrong"}
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "RAKP 2 HMAC is invalid") {
		t.Errorf("wrong password: %v\n%s", err, out)
	}
}

func TestConfigChecks(t *testing.T) {
	for _, c := range []Config{
		{User: strings.Repeat("u", 17)},
		{Password: strings.Repeat("p", 21)},
		{Password: `with"quote`},
		{User: "new\nline"},
	} {
		if err := c.withDefaults().check(); err == nil {
			t.Errorf("check(%+v) passed", c)
		}
	}
	if err := (Config{}).withDefaults().check(); err != nil {
		t.Errorf("defaults: %v", err)
	}
}
