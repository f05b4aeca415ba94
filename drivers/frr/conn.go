package frr

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/railyard/railyard/drivers"
	"github.com/railyard/railyard/drivers/execcli"
	"github.com/railyard/railyard/internal/fabric"
)

// ErrorMarkers are the substrings of a command's output that mean it
// failed: FRR's "% ..." refusals (some printed with exit status 0),
// vtysh losing a daemon, iproute2's errors, and execcli's exit-status
// line.
var ErrorMarkers = []string{
	"% ",                           // % Unknown command, % Invalid ..., % Configuration failed, % Can't find BGP instance, % exit status N
	"BGP is already running",       // router bgp <other asn>
	"is not running",               // vtysh: bgpd is not running
	"closing connection",           // vtysh: Warning: closing connection to bgpd because of an I/O error!
	"failed!",                      // vtysh: Warning: connecting to bgpd...failed!
	"RTNETLINK answers:",           // iproute2
	"Error:",                       // iproute2 (extack)
	"Cannot find device",           // iproute2
	"Command line is not complete", // iproute2
	"does not exist",               // iproute2 / FRR
	"not found",                    // sh: command not found
	execcli.ExitMarker,
}

// probeCmd and probeDel detect VRF-device support.
const (
	probeCmd = "ip link add ry-probe type vrf table 4242"
	probeDel = "ip link del ry-probe"
	showRun  = "vtysh -c 'show running-config'"
	showLink = "ip -j -d addr show"
)

// Connect opens a command session on the leaf and probes whether its
// kernel has VRF devices.
func (Driver) Connect(ctx context.Context, t drivers.Target, tr drivers.Transport) (drivers.Conn, error) {
	if tr.CLI == nil {
		return nil, fmt.Errorf("frr %s: the transport has no command session", t)
	}
	cli, err := tr.CLI(ctx, t)
	if err != nil {
		return nil, errors.New(drivers.Redact(fmt.Sprintf("frr %s: connect: %v", t, err), t.Password))
	}
	c := &Conn{cli: cli, t: t}
	if err := c.probe(ctx); err != nil {
		cli.Close()
		return nil, err
	}
	return c, nil
}

// Conn is a session with one FRR leaf.
type Conn struct {
	cli  drivers.CLI
	t    drivers.Target
	caps Caps
}

// Caps returns what the probe found.
func (c *Conn) Caps() Caps { return c.caps }

func (c *Conn) probe(ctx context.Context) error {
	for try := 0; try < 2; try++ {
		out, err := c.cli.Run(ctx, probeCmd)
		if err != nil {
			return c.errorf("probe: %v", err)
		}
		if strings.Contains(out, "File exists") && try == 0 {
			// A probe link left behind: remove it and probe again.
			if _, err := c.run(ctx, probeDel); err != nil {
				return err
			}
			continue
		}
		if drivers.ErrorLine(out, ErrorMarkers) != "" {
			c.caps.VRF = false
			return nil
		}
		c.caps.VRF = true
		_, err = c.run(ctx, probeDel)
		return err
	}
	return nil
}

func (c *Conn) errorf(format string, a ...any) error {
	return errors.New(drivers.Redact(fmt.Sprintf("frr %s: ", c.t)+fmt.Sprintf(format, a...), c.t.Password))
}

// run sends one command and fails on an error marker in its output.
func (c *Conn) run(ctx context.Context, cmd string) (string, error) {
	out, err := c.cli.Run(ctx, cmd)
	if err != nil {
		return out, c.errorf("%s: %v", summary(cmd), err)
	}
	if l := drivers.ErrorLine(out, ErrorMarkers); l != "" {
		return out, c.errorf("%s: %s", summary(cmd), l)
	}
	return out, nil
}

// summary shortens a command for an error message.
func summary(cmd string) string {
	if len(cmd) > 160 {
		return cmd[:160] + "..."
	}
	return cmd
}

// Close ends the session.
func (c *Conn) Close() error { return c.cli.Close() }

// Observe reads FRR's running-config and the kernel's links and returns
// the managed part: VRFs named ry-*, segments (bridges br<VLAN> for
// Railyard's VLANs, with their VXLAN port and FRR vni block) and the
// ports scope lists.
func (c *Conn) Observe(ctx context.Context, scope fabric.DeviceConfig) (fabric.DeviceConfig, error) {
	run, err := c.run(ctx, showRun)
	if err != nil {
		return fabric.DeviceConfig{}, err
	}
	js, err := c.run(ctx, showLink)
	if err != nil {
		return fabric.DeviceConfig{}, err
	}
	fc, err := parseRunning(run)
	if err != nil {
		return fabric.DeviceConfig{}, c.errorf("running-config: %v", err)
	}
	links, err := parseLinks([]byte(js))
	if err != nil {
		return fabric.DeviceConfig{}, c.errorf("%v", err)
	}
	return assemble(fc, links, scope, c.caps), nil
}

// assemble builds the observed configuration from what FRR and the
// kernel reported.
func assemble(fc frrConfig, links map[string]link, scope fabric.DeviceConfig, caps Caps) fabric.DeviceConfig {
	out := fabric.DeviceConfig{Device: scope.Device, Driver: Name, Fabric: scope.Fabric, Kind: fabric.EVPNLeaf,
		ASN: scope.ASN, RouterID: scope.RouterID, VTEP: scope.VTEP}
	want := map[string]fabric.VRF{}
	for _, v := range scope.VRFs {
		want[v.Name] = v
	}
	// VXLAN ports by bridge.
	vxOf := map[string]link{}
	for _, l := range sortedLinks(links) {
		if l.Kind == "vxlan" && l.Master != "" {
			if _, dup := vxOf[l.Master]; !dup {
				vxOf[l.Master] = l
			}
		}
	}
	// L3VNI bridges (VRF-device kernels).
	core := map[string]int{}
	for _, l := range sortedLinks(links) {
		kind, vrf, _ := parseAlias(l.Alias)
		v := bridgeVLAN(l.Name)
		if l.Kind != "bridge" || kind != "ry-l3" || !fabric.CoreVLANs.Contains(v) {
			continue
		}
		if dev, ok := links[vrf]; ok && dev.Kind == "vrf" && l.Master == vrf {
			if x, ok := vxOf[l.Name]; ok && fc.VRFs[vrf] != nil && x.VNI == fc.VRFs[vrf].VNI {
				core[vrf] = v
			}
		}
	}
	for _, name := range sortedKeys(fc.VRFs) {
		f := fc.VRFs[name]
		if !strings.HasPrefix(name, fabric.OwnedPrefix) {
			continue
		}
		v := fabric.VRF{Name: name, RD: f.RD, ImportRTs: f.Import, ExportRTs: f.Export}
		if f.Stanza {
			v.L3VNI = f.VNI
		}
		if !f.BGP || !f.Redistribute || !f.Advertise || (scope.ASN != 0 && f.BGPASN != scope.ASN) {
			// An incomplete instance differs from any desired VRF, so
			// the next apply re-renders it whole.
			v.RD = ""
		}
		if caps.VRF {
			v.CoreVLAN = core[name]
		} else {
			// FRR without VRF devices holds no core VLAN; nothing on
			// the leaf depends on it.
			v.CoreVLAN = want[name].CoreVLAN
		}
		out.VRFs = append(out.VRFs, v)
	}
	segBridge := map[string]int{}
	for _, l := range sortedLinks(links) {
		v := bridgeVLAN(l.Name)
		kind, vrf, gw := parseAlias(l.Alias)
		if l.Kind != "bridge" || !fabric.OwnedVLAN(v) || kind == "ry-l3" {
			continue
		}
		segBridge[l.Name] = v
		s := fabric.Segment{VLAN: v, VRF: vrf, Gateway: gw}
		if x, ok := vxOf[l.Name]; ok {
			s.L2VNI = x.VNI
			if n := fc.VNIs[x.VNI]; n != nil {
				s.RD = n.RD
				switch {
				case len(n.Import) == 1 && len(n.Export) == 1 && n.Import[0] == n.Export[0]:
					s.RT = n.Import[0]
				case len(n.Import) > 0 || len(n.Export) > 0:
					s.RT = "import " + strings.Join(n.Import, ",") + " export " + strings.Join(n.Export, ",")
				}
			}
		}
		if caps.VRF && gw != "" && (l.Master != vrf || !slices.Contains(l.Addrs, gw)) {
			s.Gateway = ""
		}
		out.Segments = append(out.Segments, s)
	}
	for _, p := range scope.Ports {
		l, ok := links[p.Name]
		if !ok {
			continue
		}
		out.Ports = append(out.Ports, fabric.Port{Name: p.Name, VLAN: segBridge[l.Master], Shutdown: !l.Up})
	}
	out.Normalize()
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func sortedLinks(m map[string]link) []link {
	var ls []link
	for _, k := range sortedKeys(m) {
		ls = append(ls, m[k])
	}
	return ls
}

// Apply sends CommandsFor(change, desired, probed caps). On the first
// failed command it restores the configuration it read before starting
// and re-reads the device to confirm.
func (c *Conn) Apply(ctx context.Context, change fabric.Change, desired fabric.DeviceConfig) error {
	cmds, err := CommandsFor(change, desired, c.caps)
	if err != nil {
		return c.errorf("%v", err)
	}
	if len(cmds) == 0 {
		return nil
	}
	before, err := c.Observe(ctx, desired)
	if err != nil {
		return err
	}
	for i, cmd := range cmds {
		if _, err := c.run(ctx, cmd); err != nil {
			msg := fmt.Sprintf("command %d of %d failed: %v", i+1, len(cmds), err)
			if rerr := c.restore(ctx, before, desired); rerr != nil {
				return c.errorf("%s; the device could NOT be restored: %v", msg, rerr)
			}
			return errors.New(drivers.Redact(msg+" (device restored)", c.t.Password))
		}
	}
	return nil
}

// restore brings the device back to before, in up to three passes.
func (c *Conn) restore(ctx context.Context, before, desired fabric.DeviceConfig) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 60*time.Second)
	defer cancel()
	target := before.Clone()
	target.ASN, target.VTEP, target.RouterID = desired.ASN, desired.VTEP, desired.RouterID
	var last fabric.Change
	for pass := 0; pass < 3; pass++ {
		now, err := c.Observe(ctx, target)
		if err != nil {
			return err
		}
		last = fabric.Diff(now, target)
		if last.Empty() {
			return nil
		}
		cmds, err := commandsLenient(last, target, c.caps)
		if err != nil {
			return err
		}
		for _, cmd := range cmds {
			if _, err := c.run(ctx, cmd); err != nil {
				break
			}
		}
	}
	now, err := c.Observe(ctx, target)
	if err != nil {
		return err
	}
	if last = fabric.Diff(now, target); !last.Empty() {
		return fmt.Errorf("still differs:\n%s", last)
	}
	return nil
}

// safeRE is what an observed value may contain to be sent back in a
// compensating command.
var safeRE = regexp.MustCompile(`^[A-Za-z0-9_.:/,=-]*$`)

// commandsLenient is CommandsFor for a configuration read from the
// device (which need not satisfy validate, e.g. an incomplete VRF), with
// only a check that no value could escape its shell quoting.
func commandsLenient(ch fabric.Change, target fabric.DeviceConfig, caps Caps) ([]string, error) {
	var vals []string
	for _, v := range target.VRFs {
		vals = append(append(append(vals, v.Name, v.RD), v.ImportRTs...), v.ExportRTs...)
	}
	for _, s := range target.Segments {
		vals = append(vals, s.VRF, s.Gateway, s.RD, s.RT)
	}
	for _, p := range target.Ports {
		vals = append(vals, p.Name)
	}
	for _, v := range vals {
		if !safeRE.MatchString(v) {
			return nil, fmt.Errorf("cannot restore a value with unexpected characters: %q", v)
		}
	}
	return commandsFor(ch, target, caps, false)
}
