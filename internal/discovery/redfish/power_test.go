package redfish

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/railyard/railyard/internal/discovery"
	"github.com/railyard/railyard/internal/discovery/redfish/redfishtest"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// powerSteps drives a server through every power action and checks the
// fake's state, the reset it carried out, and PowerState.
func powerSteps(t *testing.T, srv *redfishtest.Server, sys string, steps []powerStep) {
	t.Helper()
	src, target, cred := &Source{}, srv.Target(), srv.Credentials()
	if got, err := src.PowerState(ctxT(t), target, cred); err != nil || got != "on" {
		t.Fatalf("PowerState = %q, %v; want on", got, err)
	}
	for _, s := range steps {
		before := len(srv.ResetLog())
		if err := src.SetPower(ctxT(t), target, cred, s.action); err != nil {
			t.Fatalf("SetPower(%s): %v", s.action, err)
		}
		if got := srv.PowerState(sys); got != s.state {
			t.Errorf("after %s: fake says %s, want %s", s.action, got, s.state)
		}
		var got []redfishtest.ResetEvent
		for _, e := range srv.ResetLog()[before:] {
			got = append(got, e)
		}
		var want []redfishtest.ResetEvent
		if s.reset != "" {
			want = []redfishtest.ResetEvent{{System: "/redfish/v1/" + sys, ResetType: s.reset, From: s.from, To: s.state, Cycled: s.cycled}}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("after %s: resets (-want +got):\n%s", s.action, diff)
		}
		want1 := map[string]string{"On": "on", "Off": "off"}[s.state]
		if got, err := src.PowerState(ctxT(t), target, cred); err != nil || got != want1 {
			t.Errorf("after %s: PowerState = %q, %v; want %s", s.action, got, err, want1)
		}
	}
	if n := srv.ActiveSessions(); n != 0 {
		t.Errorf("%d sessions left open", n)
	}
}

type powerStep struct {
	action      string
	reset       string // the ResetType the BMC saw, "" for none
	from, state string
	cycled      bool
}

// public-tower offers no PowerCycle, so "reset" is a forced restart, or
// power on for a server that is off.
func TestPowerTower(t *testing.T) {
	srv := redfishtest.New(mockup("public-tower"))
	defer srv.Close()
	powerSteps(t, srv, "Systems/437XR1238R2", []powerStep{
		{action: "on", from: "On", state: "On"}, // already on: nothing to do
		{action: "off", reset: "ForceOff", from: "On", state: "Off"},
		{action: "on", reset: "On", from: "Off", state: "On"},
		{action: "cycle", reset: "ForceRestart", from: "On", state: "On", cycled: true},
		{action: "soft", reset: "GracefulShutdown", from: "On", state: "Off"},
		{action: "soft", from: "Off", state: "Off"},
		{action: "reset", reset: "On", from: "Off", state: "On"},
		{action: "reset", reset: "ForceRestart", from: "On", state: "On", cycled: true},
	})
}

// The HGX BMC has two systems; power acts on the host, System_0, which
// offers PowerCycle. Over plain HTTP too.
func TestPowerHGX(t *testing.T) {
	for _, opts := range [][]redfishtest.Option{nil, {redfishtest.WithPlainHTTP()}} {
		srv := redfishtest.New(hgxDir, opts...)
		defer srv.Close()
		t.Run(srv.Target().Scheme, func(t *testing.T) {
			powerSteps(t, srv, "Systems/System_0", []powerStep{
				{action: "reset", reset: "PowerCycle", from: "On", state: "On", cycled: true},
				{action: "off", reset: "ForceOff", from: "On", state: "Off"},
				{action: "reset", reset: "PowerCycle", from: "Off", state: "On"},
			})
			if got := srv.PowerState("Systems/HGX_Baseboard_0"); got != "On" {
				t.Errorf("baseboard power %s, want On (untouched)", got)
			}
		})
	}
}

func TestPowerCycleOffServer(t *testing.T) {
	srv := redfishtest.New(mockup("public-tower"))
	defer srv.Close()
	src := &Source{}
	if err := src.SetPower(ctxT(t), srv.Target(), srv.Credentials(), "off"); err != nil {
		t.Fatal(err)
	}
	err := src.SetPower(ctxT(t), srv.Target(), srv.Credentials(), "cycle")
	if discovery.KindOf(err) != discovery.Failed {
		t.Errorf("cycle of an off server: %v, want a failed error", err)
	}
}

func TestSetBootDevice(t *testing.T) {
	tests := []struct {
		dir, sys   string
		device     string
		persistent bool
		want       map[string]any
	}{
		{mockup("public-tower"), "Systems/437XR1238R2", "pxe", false,
			map[string]any{"BootSourceOverrideTarget": "Pxe", "BootSourceOverrideEnabled": "Once", "BootSourceOverrideMode": "UEFI"}},
		{mockup("public-tower"), "Systems/437XR1238R2", "bios", true,
			map[string]any{"BootSourceOverrideTarget": "BiosSetup", "BootSourceOverrideEnabled": "Continuous", "BootSourceOverrideMode": "UEFI"}},
		{hgxDir, "Systems/System_0", "disk", false,
			map[string]any{"BootSourceOverrideTarget": "Hdd", "BootSourceOverrideEnabled": "Once", "BootSourceOverrideMode": "UEFI"}},
		{hgxDir, "Systems/System_0", "cdrom", true,
			map[string]any{"BootSourceOverrideTarget": "Cd", "BootSourceOverrideEnabled": "Continuous", "BootSourceOverrideMode": "UEFI"}},
	}
	for _, tt := range tests {
		t.Run(tt.device, func(t *testing.T) {
			t.Parallel()
			srv := redfishtest.New(tt.dir)
			defer srv.Close()
			if err := (&Source{}).SetBootDevice(ctxT(t), srv.Target(), srv.Credentials(), tt.device, tt.persistent); err != nil {
				t.Fatal(err)
			}
			doc, _ := srv.Resource(tt.sys)
			boot, _ := doc["Boot"].(map[string]any)
			got := map[string]any{}
			for k := range tt.want {
				got[k] = boot[k]
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Boot (-want +got):\n%s", diff)
			}
			if n := srv.ActiveSessions(); n != 0 {
				t.Errorf("%d sessions left open", n)
			}
		})
	}
}

func TestPowerErrors(t *testing.T) {
	srv := redfishtest.New(hgxDir)
	defer srv.Close()
	src, target := &Source{}, srv.Target()
	wrong := discovery.Credentials{Username: "admin", Password: "Guess-1234"}
	if _, err := src.PowerState(ctxT(t), target, wrong); discovery.KindOf(err) != discovery.Unauthorized {
		t.Errorf("PowerState with a wrong password: %v", err)
	}
	if err := src.SetPower(ctxT(t), target, srv.Credentials(), "hibernate"); discovery.KindOf(err) != discovery.Failed {
		t.Errorf("SetPower(hibernate): %v", err)
	}
	if err := src.SetBootDevice(ctxT(t), target, srv.Credentials(), "floppy", false); discovery.KindOf(err) != discovery.Failed {
		t.Errorf("SetBootDevice(floppy): %v", err)
	}
	if len(srv.ResetLog()) != 0 {
		t.Errorf("resets after failed calls: %+v", srv.ResetLog())
	}

	// Two servers behind one BMC: power control refuses to pick one.
	srv.Patch("Systems/HGX_Baseboard_0/Processors/GPU_SXM_1", map[string]any{"ProcessorType": "CPU"})
	if err := src.SetPower(ctxT(t), target, srv.Credentials(), "off"); discovery.KindOf(err) != discovery.Failed {
		t.Errorf("SetPower with two servers: %v", err)
	}

	srv.Close()
	if _, err := src.PowerState(ctxT(t), target, srv.Credentials()); discovery.KindOf(err) != discovery.Unreachable {
		t.Errorf("PowerState of a closed port: %v", err)
	}
}
