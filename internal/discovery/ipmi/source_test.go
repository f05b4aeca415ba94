package ipmi

import (
	"context"
	"errors"
	"os/exec"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/railyard/railyard/internal/discovery"
	"github.com/railyard/railyard/internal/model"
)

func TestRegistered(t *testing.T) {
	src, name, ok := discovery.Lookup("ipmi")
	if !ok || name != "ipmi" {
		t.Fatalf("Lookup(ipmi) = %v, %q, %v", src, name, ok)
	}
	if _, ok := src.(*Source); !ok {
		t.Fatalf("registered source is %T", src)
	}
}

func TestNodeFacts(t *testing.T) {
	tests := []struct {
		name  string
		fru   FRU
		power string
		want  model.NodeFacts
	}{
		{
			name: "product area",
			fru: FRU{
				BoardMfg: "Quanta", BoardSerial: "BRD1",
				ProductManufacturer: "NVIDIA", ProductName: "DGX H100", ProductPartNumber: "920-23687-2530-000", ProductSerial: "1650124000123",
			},
			power: "on",
			want:  model.NodeFacts{Serial: "1650124000123", Vendor: "NVIDIA", Model: "DGX H100", Power: "on", Missing: []string{"gpus", "nics"}},
		},
		{
			name:  "board area only",
			fru:   FRU{BoardMfg: "Quanta", BoardProduct: "S7Q", BoardSerial: "QTF1"},
			power: "off",
			want:  model.NodeFacts{Serial: "QTF1", Vendor: "Quanta", Power: "off", Missing: []string{"model", "gpus", "nics"}},
		},
		{
			name: "placeholders fall through",
			fru: FRU{
				BoardMfg: "Supermicro", BoardSerial: "HM187S003231",
				ProductManufacturer: "To be filled by O.E.M.", ProductName: "NONE", ProductPartNumber: "SYS-2029BT-HNTR", ProductSerial: "0000000000",
			},
			power: "on",
			want:  model.NodeFacts{Serial: "HM187S003231", Vendor: "Supermicro", Model: "SYS-2029BT-HNTR", Power: "on", Missing: []string{"gpus", "nics"}},
		},
		{
			name: "nothing known",
			fru:  FRU{NotPresent: "Requested sensor, data, or record not found"},
			want: model.NodeFacts{Missing: []string{"serial", "vendor", "model", "power", "gpus", "nics"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, nodeFacts(tt.fru, tt.power)); diff != "" {
				t.Errorf("nodeFacts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlaceholder(t *testing.T) {
	for v, want := range map[string]bool{
		"": true, "  ": true, "NONE": true, "To Be Filled By O.E.M.": true, "Default string": true,
		"0123456789": true, "000000": true, "...": true, "N/A": true, "-": true,
		"S4201234X2300042": false, "0": true, "10": false, "A": false, "SYS-420GP-TNAR": false,
	} {
		if got := placeholder(v); got != want {
			t.Errorf("placeholder(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestClassify(t *testing.T) {
	// What ipmitool 1.8.19 -v prints (standard error) in each case.
	tests := []struct {
		name   string
		stderr string
		stdout string
		want   discovery.Kind
	}{
		{"wrong password", "Loading IANA PEN Registry...\n> RAKP 2 HMAC is invalid\nError: Unable to establish IPMI v2 / RMCP+ session\n", "", discovery.Unauthorized},
		{"unknown user", "RAKP 2 message indicates an error : unauthorized name\nError: Unable to establish IPMI v2 / RMCP+ session\n", "", discovery.Unauthorized},
		{"role not allowed", "RAKP 2 message indicates an error : unauthorized role or privilege level requested\nError: Unable to establish IPMI v2 / RMCP+ session\n", "", discovery.Unauthorized},
		{"privilege", "Set Session Privilege Level to ADMINISTRATOR failed: Requested privilege level exceeds limit\n", "", discovery.Unauthorized},
		{"no answer", "Get Auth Capabilities error\nError issuing Get Channel Authentication Capabilities request\nError: Unable to establish IPMI v2 / RMCP+ session\n", "", discovery.Unreachable},
		{"no host", "Address lookup for nosuchbmc failed\n", "", discovery.Unreachable},
		{"busy", "Error in open session response message : insufficient resources for session\nError: Unable to establish IPMI v2 / RMCP+ session\n", "", discovery.Unreachable},
		{"cipher", "Error in open session response message : invalid authentication algorithm\n\nError: Unable to establish IPMI v2 / RMCP+ session\n", "", kindCipher},
		{"bad FRU", " Unknown FRU header version 0x02\n", "", discovery.Malformed},
		{"anything else", "Unable to get Chassis Power Status\n", "", discovery.Failed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, msg := classify(context.Background(), tt.stdout, tt.stderr, errors.New("exit status 1"))
			if got != tt.want {
				t.Errorf("classify = %s (%s), want %s", got, msg, tt.want)
			}
		})
	}
	t.Run("deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 0)
		defer cancel()
		<-ctx.Done()
		if got, _ := classify(ctx, "", "", errors.New("signal: killed")); got != discovery.Unreachable {
			t.Errorf("classify after the deadline = %s, want unreachable", got)
		}
	})
	t.Run("binary gone", func(t *testing.T) {
		if got, _ := classify(context.Background(), "", "", &exec.Error{Name: "ipmitool", Err: exec.ErrNotFound}); got != discovery.Failed {
			t.Errorf("classify(not found) = %s, want failed", got)
		}
	})
}

func TestSummary(t *testing.T) {
	got := summary("Loading IANA PEN Registry...\nRunning Get VSO Capabilities my_addr 0x20, transit 0, target 0x20\n> RAKP 2 HMAC is invalid\nError: Unable to establish IPMI v2 / RMCP+ session\n", "")
	want := "RAKP 2 HMAC is invalid; Error: Unable to establish IPMI v2 / RMCP+ session"
	if got != want {
		t.Errorf("summary = %q, want %q", got, want)
	}
	if got := redact("login as admin with hunter2 failed", "hunter2"); got != "login as admin with REDACTED failed" {
		t.Errorf("redact = %q", got)
	}
}

func TestBadArguments(t *testing.T) {
	if _, err := exec.LookPath("ipmitool"); err != nil {
		t.Skip("ipmitool not installed")
	}
	s := &Source{}
	ctx := context.Background()
	tgt := discovery.Target{Scheme: "ipmi", Host: "127.0.0.1", Port: 1}
	c := discovery.Credentials{Username: "u", Password: "p"}
	if err := s.SetPower(ctx, tgt, c, "sideways"); discovery.KindOf(err) != discovery.Failed {
		t.Errorf("SetPower(sideways) = %v, want failed", err)
	}
	if err := s.SetBootDevice(ctx, tgt, c, "usb-stick", false); discovery.KindOf(err) != discovery.Failed {
		t.Errorf("SetBootDevice(usb-stick) = %v, want failed", err)
	}
	bad := tgt
	bad.Params = map[string][]string{"cipher": {"fast"}}
	if _, err := s.Discover(ctx, bad, c); discovery.KindOf(err) != discovery.Failed {
		t.Errorf("Discover(cipher=fast) = %v, want failed", err)
	}
	if _, err := s.Discover(ctx, discovery.Target{Scheme: "ipmi"}, c); discovery.KindOf(err) != discovery.Failed {
		t.Errorf("Discover(no host) = %v, want failed", err)
	}
}
