package redfish

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	bmclib "github.com/bmc-toolbox/bmclib/v2"
	bmcredfish "github.com/bmc-toolbox/bmclib/v2/providers/redfish"
	"github.com/stmcginnis/gofish/redfish"

	"github.com/railyard/railyard/internal/discovery"
)

// Power and boot go through bmclib's Redfish provider (provider "gofish",
// the only one registered for the call), with two exceptions where bmclib
// v2.3.5 misbehaves, done with gofish's ComputerSystem.Reset instead:
//
//   - "soft": redfishwrapper.SystemPowerOff returns ok=false after the BMC
//     accepted GracefulShutdown, which Client.SetPowerState reports as a
//     failure.
//   - "reset": SystemReset asks for PowerCycle even where the system does not
//     offer it, and then falls back to a graceful shutdown and waits for the
//     state "off", which it never sees (Redfish says "Off"), for 9 seconds
//     before powering on.
//
// bmclib works over plain HTTP too: its Redfish client keeps an http://
// host as given, so redfish+http targets use it as well.
//
// bmclib picks the system by Name when a service has more than one (an HGX
// BMC lists System_0 and HGX_Baseboard_0), so every call first finds the one
// server behind the BMC with gofish, exactly as Discover groups systems, and
// hands bmclib its name.

// PowerState returns "on" or "off".
func (s *Source) PowerState(ctx context.Context, t discovery.Target, c discovery.Credentials) (string, error) {
	b, err := openBMC(ctx, t, c)
	if err != nil {
		return "", err
	}
	defer b.close()
	cl, err := b.bmc()
	if err != nil {
		return "", err
	}
	st, err := cl.GetPowerState(ctx)
	if err != nil {
		return "", classify(err, "get power state of "+b.host.uri)
	}
	switch strings.ToLower(st) {
	case "on":
		return "on", nil
	case "off":
		return "off", nil
	}
	return "", discovery.Errorf(discovery.Failed, "%s: power state is %q, neither on nor off", b.host.uri, st)
}

// SetPower takes "on", "off" (forced), "soft" (graceful shutdown), "reset"
// (power cycle, or forced restart where the system offers no power cycle;
// an off system is powered on) or "cycle" (forced restart of a running
// system).
func (s *Source) SetPower(ctx context.Context, t discovery.Target, c discovery.Credentials, state string) error {
	if !slices.Contains([]string{"on", "off", "soft", "reset", "cycle"}, state) {
		return discovery.Errorf(discovery.Failed, "redfish: unknown power action %q (want on, off, soft, reset or cycle)", state)
	}
	b, err := openBMC(ctx, t, c)
	if err != nil {
		return err
	}
	defer b.close()
	h := &b.host.rf
	var rt redfish.ResetType
	switch {
	case state == "soft" && h.PowerState == redfish.OffPowerState:
		return nil
	case state == "soft":
		rt = redfish.GracefulShutdownResetType
	case state == "reset" && slices.Contains(h.SupportedResetTypes, redfish.PowerCycleResetType):
		rt = redfish.PowerCycleResetType
	case state == "reset" && h.PowerState == redfish.OffPowerState:
		rt = redfish.OnResetType
	case state == "reset":
		rt = redfish.ForceRestartResetType
	default:
		cl, err := b.bmc()
		if err != nil {
			return err
		}
		ok, err := cl.SetPowerState(ctx, state)
		if err != nil {
			return classify(err, "set power "+state+" on "+b.host.uri)
		}
		if !ok {
			return discovery.Errorf(discovery.Failed, "%s: the BMC did not take power %s", b.host.uri, state)
		}
		return nil
	}
	h.SetClient(b.conn.client)
	return classify(h.Reset(rt), "reset "+b.host.uri+" ("+string(rt)+")")
}

// SetBootDevice sets the next boot device ("pxe", "disk", "bios", "cdrom"),
// once or for every boot, keeping the system's boot mode (UEFI unless it is
// set to Legacy).
func (s *Source) SetBootDevice(ctx context.Context, t discovery.Target, c discovery.Credentials, device string, persistent bool) error {
	if !slices.Contains([]string{"pxe", "disk", "bios", "cdrom"}, device) {
		return discovery.Errorf(discovery.Failed, "redfish: unknown boot device %q (want pxe, disk, bios or cdrom)", device)
	}
	b, err := openBMC(ctx, t, c)
	if err != nil {
		return err
	}
	defer b.close()
	cl, err := b.bmc()
	if err != nil {
		return err
	}
	efi := b.host.rf.Boot.BootSourceOverrideMode != redfish.LegacyBootSourceOverrideMode
	ok, err := cl.SetBootDevice(ctx, device, persistent, efi)
	if err != nil {
		return classify(err, "set boot device "+device+" on "+b.host.uri)
	}
	if !ok {
		return discovery.Errorf(discovery.Failed, "%s: the BMC did not take boot device %s", b.host.uri, device)
	}
	return nil
}

// bmcConn is the server behind a BMC, found through a gofish session, and
// a bmclib client for it once one is needed.
type bmcConn struct {
	ctx  context.Context
	t    discovery.Target
	cred discovery.Credentials
	conn *conn
	host *system
	name string // what bmclib must be told to pick host
	cl   *bmclib.Client
}

func openBMC(ctx context.Context, t discovery.Target, c discovery.Credentials) (*bmcConn, error) {
	rc, err := connect(ctx, t, c)
	if err != nil {
		return nil, err
	}
	host, name, err := rc.host()
	if err != nil {
		rc.close()
		return nil, err
	}
	return &bmcConn{ctx: ctx, t: t, cred: c, conn: rc, host: host, name: name}, nil
}

// bmc opens the bmclib client.
func (b *bmcConn) bmc() (*bmclib.Client, error) {
	if b.cl == nil {
		cl := newBMC(b.t, b.cred, b.name)
		if err := cl.Open(b.ctx); err != nil {
			return nil, classify(err, "bmclib: open "+b.t.String())
		}
		b.cl = cl
	}
	return b.cl, nil
}

func (b *bmcConn) close() {
	if b.cl != nil {
		b.cl.Close(context.WithoutCancel(b.ctx))
	}
	b.conn.close()
}

// host finds the one server behind the BMC, and the name bmclib must be
// given to pick it ("" when the service has a single system).
func (c *conn) host() (*system, string, error) {
	w := c.walker()
	var root struct{ Systems *link }
	if err := w.decode(serviceRoot, &root); err != nil {
		return nil, "", err
	}
	coll, err := optional(serviceRoot, root.Systems)
	if err != nil {
		return nil, "", err
	}
	systems, err := fetchAll(w, coll, w.system)
	if err != nil {
		return nil, "", err
	}
	nodes := group(systems, nil)
	if len(nodes) != 1 {
		return nil, "", discovery.Errorf(discovery.Failed, "%s: %d servers behind this BMC; power and boot control need exactly one", c.endpoint, len(nodes))
	}
	h := nodes[0].host
	if len(systems) == 1 {
		return h, "", nil
	}
	same := 0
	for _, s := range systems {
		if s.rf.Name == h.rf.Name {
			same++
		}
	}
	if same != 1 {
		return nil, "", discovery.Errorf(discovery.Failed, "%s: %d systems are named %q; bmclib picks systems by name", c.endpoint, same, h.rf.Name)
	}
	return h, h.rf.Name, nil
}

// newBMC builds a bmclib client that uses only the Redfish provider.
func newBMC(t discovery.Target, c discovery.Credentials, systemName string) *bmclib.Client {
	scheme := "https://"
	if t.Scheme == SchemeHTTP {
		scheme = "http://"
	}
	host := t.Host
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	// bmclib clones the client's transport, which must be an
	// *http.Transport; by default it would skip certificate checks.
	hc := &http.Client{Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: t.Insecure, MinVersion: tls.VersionTLS12}, //nolint:gosec // the operator asked for it
		TLSHandshakeTimeout: 10 * time.Second,
	}}
	cl := bmclib.NewClient(scheme+host, c.Username, c.Password,
		bmclib.WithHTTPClient(hc),
		bmclib.WithRedfishPort(portOf(t)),
		bmclib.WithRedfishUseBasicAuth(true),
		bmclib.WithRedfishSystemName(systemName),
	)
	// For, not Using("redfish"): the Dell provider speaks Redfish too.
	cl.Registry.Drivers = cl.Registry.For(bmcredfish.ProviderName)
	return cl
}
