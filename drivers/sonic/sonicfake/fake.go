package sonicfake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/railyard/railyard/drivers"
	"github.com/railyard/railyard/internal/fabric"
)

// TunnelName is the VXLAN_TUNNEL (VTEP) the fake's underlay defines.
const TunnelName = "vtep"

// table is one CONFIG_DB table: key -> field -> value.
type table map[string]map[string]string

// Device is a fake SONiC switch. It is safe for concurrent use.
type Device struct {
	mu          sync.Mutex
	db          map[string]table
	checkpoints map[string]map[string]table
	frr         *frr
	failOn      []string
}

// New returns a switch whose underlay is configured from base: hostname,
// BGP ASN and router id, the VTEP and its EVPN NVO, and a PORT (admin up)
// for every port in base.Ports. Tenant objects in base are not applied.
func New(base fabric.DeviceConfig) *Device {
	d := &Device{db: map[string]table{}, checkpoints: map[string]map[string]table{}}
	host := base.Device
	if host == "" {
		host = "sonic"
	}
	d.set("DEVICE_METADATA", "localhost", map[string]string{
		"hostname": host, "bgp_asn": fmt.Sprint(base.ASN), "hwsku": "Mellanox-SN4600C-C64",
		"platform": "x86_64-mlnx_msn4600c-r0", "type": "LeafRouter", "docker_routing_config_mode": "split",
	})
	if base.RouterID != "" {
		d.set("LOOPBACK_INTERFACE", "Loopback0", map[string]string{})
		d.set("LOOPBACK_INTERFACE", "Loopback0|"+base.RouterID+"/32", map[string]string{})
	}
	d.set("VXLAN_TUNNEL", TunnelName, map[string]string{"src_ip": base.VTEP})
	d.set("VXLAN_EVPN_NVO", "nvo", map[string]string{"source_vtep": TunnelName})
	for i, p := range base.Ports {
		d.set("PORT", p.Name, map[string]string{
			"admin_status": "up", "alias": fmt.Sprintf("etp%d", i+1), "index": fmt.Sprint(i + 1),
			"lanes": fmt.Sprintf("%d,%d,%d,%d", 4*i, 4*i+1, 4*i+2, 4*i+3), "mtu": "9100", "speed": "100000",
		})
	}
	d.frr = newFRR(host, base.ASN, base.RouterID, base.VTEP)
	return d
}

func (d *Device) set(tbl, key string, fields map[string]string) {
	if d.db[tbl] == nil {
		d.db[tbl] = table{}
	}
	d.db[tbl][key] = fields
}

func (d *Device) get(tbl, key string) (map[string]string, bool) {
	e, ok := d.db[tbl][key]
	return e, ok
}

func (d *Device) del(tbl, key string) {
	delete(d.db[tbl], key)
	if len(d.db[tbl]) == 0 {
		delete(d.db, tbl)
	}
}

// Running returns CONFIG_DB as "show runningconfiguration all" prints it,
// followed by FRR's "show running-config".
func (d *Device) Running() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.configJSON() + "\n" + d.frr.running()
}

// FailOn makes the next command whose text contains s fail; once.
func (d *Device) FailOn(s string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.failOn = append(d.failOn, s)
}

// Pending lists the GCU checkpoints that are still on the switch.
func (d *Device) Pending() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for _, n := range slices.Sorted(maps.Keys(d.checkpoints)) {
		out = append(out, "checkpoint "+n)
	}
	return out
}

// Exec runs one command line as the admin user's bash would and returns
// what it printed (stdout and stderr together).
func (d *Device) Exec(line string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.exec(line)
}

// Transport reaches the switch through an in-process CLI session.
func (d *Device) Transport() drivers.Transport {
	return drivers.Transport{CLI: func(ctx context.Context, t drivers.Target) (drivers.CLI, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return &session{d: d}, nil
	}}
}

type session struct {
	d      *Device
	closed bool
}

func (s *session) Run(ctx context.Context, cmd string) (string, error) {
	if s.closed {
		return "", errors.New("session closed")
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	return s.d.Exec(cmd), nil
}

func (s *session) Close() error { s.closed = true; return nil }

// failing reports (and consumes) an injected failure for line.
func (d *Device) failing(line string) (string, bool) {
	for i, s := range d.failOn {
		if strings.Contains(line, s) {
			d.failOn = slices.Delete(d.failOn, i, i+1)
			return s, true
		}
	}
	return "", false
}

func (d *Device) exec(line string) string {
	w, err := splitWords(line)
	if err != nil {
		return "-bash: " + err.Error() + "\n"
	}
	if len(w) == 0 {
		return ""
	}
	root := false
	if w[0] == "sudo" {
		root = true
		w = w[1:]
		if len(w) == 0 {
			return "usage: sudo -h | -K | -k | -V\n"
		}
	}
	switch w[0] {
	case "config":
		if !root {
			return "Root privileges are required for this operation\n"
		}
		if s, ok := d.failing(line); ok {
			return clickFail(strings.Join(w[:min(len(w), 3)], " "), "[OPTIONS]", "injected failure at "+s)
		}
		return d.config(w[1:])
	case "show":
		if _, ok := d.failing(line); ok {
			return "Error: Failed to connect to the database\n"
		}
		if len(w) == 3 && w[1] == "runningconfiguration" && w[2] == "all" {
			return d.configJSON() + "\n"
		}
		return "Usage: show [OPTIONS] COMMAND [ARGS]...\nTry \"show -h\" for help.\n\nError: No such command \"" + strings.Join(w[1:], " ") + "\".\n"
	case "vtysh":
		return d.vtysh(line, w[1:])
	}
	return "-bash: " + w[0] + ": command not found\n"
}

func (d *Device) configJSON() string {
	b, err := json.MarshalIndent(d.db, "", "    ")
	if err != nil {
		return "{}"
	}
	return string(b)
}

func clone(db map[string]table) map[string]table {
	out := make(map[string]table, len(db))
	for t, rows := range db {
		out[t] = table{}
		for k, f := range rows {
			out[t][k] = maps.Clone(f)
		}
	}
	return out
}
