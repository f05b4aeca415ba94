package ipmi

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"

	bmclib "github.com/bmc-toolbox/bmclib/v2"
	"github.com/bmc-toolbox/bmclib/v2/providers/ipmitool"

	"github.com/railyard/railyard/internal/discovery"
	"github.com/railyard/railyard/internal/model"
)

// DefaultPort is the IPMI (RMCP) UDP port.
const DefaultPort = 623

// Defaults for Source's ipmitool timing.
const (
	DefaultTimeout = 1 // -N: seconds before ipmitool resends a request
	DefaultRetries = 2 // -R: how often it resends
)

// defaultCiphers are the RMCP+ cipher suites tried when a target names
// none, in bmclib's order: 3 (HMAC-SHA1, AES-128), then 17
// (HMAC-SHA256, AES-128).
var defaultCiphers = []string{"3", "17"}

func init() {
	discovery.Register("ipmi", "ipmi", &Source{})
}

// Source discovers servers through their BMC's IPMI-over-LAN (RMCP+)
// interface and controls their power and boot device. The zero value is
// ready to use; it is safe for concurrent use.
type Source struct {
	// Ipmitool is the path of the ipmitool binary; empty means
	// "ipmitool" looked up in PATH.
	Ipmitool string
	// Timeout and Retries are ipmitool's -N and -R for the commands the
	// source runs itself (FRU read, diagnosis); 0 means DefaultTimeout
	// and DefaultRetries. ipmitool lengthens its wait on each retry: a
	// BMC that does not answer costs about 6s with the defaults, 2s with
	// Retries 1; the context's deadline bounds it in any case.
	Timeout int
	Retries int
}

var (
	_ discovery.Source          = (*Source)(nil)
	_ discovery.PowerController = (*Source)(nil)
	_ discovery.BootController  = (*Source)(nil)
)

// Discover reads FRU device 0 and the chassis power state and returns one
// node. See the package documentation for which FRU field becomes which
// fact. IPMI cannot see GPUs or NICs: "gpus" and "nics" are always in
// Missing, as is every fact the FRU lacks.
func (s *Source) Discover(ctx context.Context, t discovery.Target, c discovery.Credentials) (*model.Observation, error) {
	cn, err := s.connect(t, c)
	if err != nil {
		return nil, err
	}
	fru, err := readFRU(ctx, cn)
	if err != nil {
		return nil, err
	}
	power, err := s.powerState(ctx, cn)
	switch {
	case err == nil:
	case discovery.KindOf(err) == discovery.Failed && ctx.Err() == nil:
		// The BMC answers but will not say (chassis status not
		// supported): the fact is missing, the node is not.
		power = ""
	default:
		return nil, err
	}
	return &model.Observation{Nodes: []model.NodeFacts{nodeFacts(fru, power)}}, nil
}

// readFRU runs `ipmitool fru print 0` and parses it. A BMC without FRU
// device 0 ("Device not present") gives an empty FRU, not an error.
func readFRU(ctx context.Context, cn *conn) (FRU, error) {
	out, runErr := cn.run(ctx, "fru", "print", "0")
	if strings.TrimSpace(out) == "" {
		if runErr != nil {
			return FRU{}, runErr
		}
		// A FRU with no info areas: ipmitool prints nothing.
		return FRU{}, nil
	}
	frus, err := ParseFRU(out)
	if err == nil && len(frus) > 0 && frus[0].NotPresent != "" {
		return frus[0], nil
	}
	if runErr != nil {
		return FRU{}, runErr
	}
	if err != nil {
		return FRU{}, discovery.Errorf(discovery.Malformed, "ipmitool fru print 0 at %s: %v: %q",
			cn.addr(), err, redact(snippet(out), cn.pass))
	}
	return frus[0], nil
}

// nodeFacts maps FRU fields to facts:
//
//	Serial ← Product Serial, else Board Serial
//	Model  ← Product Name, else Product Part Number
//	Vendor ← Product Manufacturer, else Board Mfg
//
// Placeholder values (see placeholder) count as absent.
func nodeFacts(f FRU, power string) model.NodeFacts {
	n := model.NodeFacts{
		Serial: first(f.ProductSerial, f.BoardSerial),
		Model:  first(f.ProductName, f.ProductPartNumber),
		Vendor: first(f.ProductManufacturer, f.BoardMfg),
		Power:  power,
	}
	for _, m := range []struct {
		name, v string
	}{{"serial", n.Serial}, {"vendor", n.Vendor}, {"model", n.Model}, {"power", n.Power}} {
		if m.v == "" {
			n.Missing = append(n.Missing, m.name)
		}
	}
	n.Missing = append(n.Missing, "gpus", "nics")
	return n
}

// first returns the first value that is not a placeholder.
func first(vs ...string) string {
	for _, v := range vs {
		if !placeholder(v) {
			return v
		}
	}
	return ""
}

// placeholders are the values vendors leave in FRU fields nobody filled
// in; they identify nothing.
var placeholders = []string{
	"none", "n/a", "na", "null", "unknown", "not specified", "not available",
	"not applicable", "to be filled by o.e.m.", "to be filled by oem",
	"default string", "system serial number", "system product name",
	"system manufacturer", "0123456789", "123456789", "1234567890",
}

// placeholder reports whether a FRU value is empty or a known filler:
// one of placeholders (any case), or nothing but zeros, dots, dashes,
// asterisks or spaces.
func placeholder(v string) bool {
	v = strings.TrimSpace(v)
	if v == "" || slices.Contains(placeholders, strings.ToLower(v)) {
		return true
	}
	return strings.Trim(v, "0.-* ") == ""
}

// PowerState returns "on" or "off".
func (s *Source) PowerState(ctx context.Context, t discovery.Target, c discovery.Credentials) (string, error) {
	cn, err := s.connect(t, c)
	if err != nil {
		return "", err
	}
	return s.powerState(ctx, cn)
}

func (s *Source) powerState(ctx context.Context, cn *conn) (string, error) {
	out, err := cn.client().GetPowerState(ctx)
	if err != nil {
		return "", s.bmclibError(ctx, cn, "read power state", err)
	}
	return parsePowerStatus(out, cn)
}

// parsePowerStatus reads "Chassis Power is on|off", what `ipmitool chassis
// power status` prints and bmclib's ipmitool provider passes through.
func parsePowerStatus(out string, cn *conn) (string, error) {
	for _, line := range strings.Split(out, "\n") {
		switch strings.ToLower(strings.TrimSpace(line)) {
		case "chassis power is on":
			return "on", nil
		case "chassis power is off":
			return "off", nil
		}
	}
	return "", discovery.Errorf(discovery.Malformed, "chassis power status at %s: unexpected answer %q",
		cn.addr(), redact(snippet(out), cn.pass))
}

// powerStates are what SetPower accepts, as bmclib's PowerSet does.
var powerStates = []string{"on", "off", "soft", "reset", "cycle"}

// SetPower sets the chassis power: "on", "off" (hard), "soft" (ACPI
// shutdown), "reset" or "cycle". "on" when on and "off" or "soft" when
// off do nothing.
func (s *Source) SetPower(ctx context.Context, t discovery.Target, c discovery.Credentials, state string) error {
	state = strings.ToLower(strings.TrimSpace(state))
	if !slices.Contains(powerStates, state) {
		return discovery.Errorf(discovery.Failed, "power state %q: want one of %s", state, strings.Join(powerStates, ", "))
	}
	cn, err := s.connect(t, c)
	if err != nil {
		return err
	}
	ok, err := cn.client().SetPowerState(ctx, state)
	if err != nil {
		return s.bmclibError(ctx, cn, "set power "+state, err)
	}
	if !ok {
		return discovery.Errorf(discovery.Failed, "set power %s at %s: the BMC did not confirm", state, cn.addr())
	}
	return nil
}

// bootDevices are what SetBootDevice accepts (ipmitool chassis bootdev).
var bootDevices = []string{"pxe", "disk", "bios", "cdrom"}

// SetBootDevice sets the next boot device: "pxe", "disk", "bios" or
// "cdrom"; persistent keeps it for all later boots. The target parameter
// efiboot=true asks for an EFI boot.
func (s *Source) SetBootDevice(ctx context.Context, t discovery.Target, c discovery.Credentials, device string, persistent bool) error {
	device = strings.ToLower(strings.TrimSpace(device))
	if !slices.Contains(bootDevices, device) {
		return discovery.Errorf(discovery.Failed, "boot device %q: want one of %s", device, strings.Join(bootDevices, ", "))
	}
	efi := false
	if v := t.Params.Get("efiboot"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return discovery.Errorf(discovery.Failed, "target %s: efiboot=%q: want true or false", t, v)
		}
		efi = b
	}
	cn, err := s.connect(t, c)
	if err != nil {
		return err
	}
	ok, err := cn.client().SetBootDevice(ctx, device, persistent, efi)
	if err != nil {
		return s.bmclibError(ctx, cn, "set boot device "+device, err)
	}
	if !ok {
		return discovery.Errorf(discovery.Failed, "set boot device %s at %s: the BMC did not confirm", device, cn.addr())
	}
	return nil
}

// connect checks the target and finds ipmitool.
func (s *Source) connect(t discovery.Target, c discovery.Credentials) (*conn, error) {
	if t.Host == "" {
		return nil, discovery.Errorf(discovery.Failed, "target %s: no host", t)
	}
	bin := s.Ipmitool
	if bin == "" {
		bin = "ipmitool"
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		return nil, discovery.Errorf(discovery.Failed,
			"ipmi source needs the ipmitool program (Debian/Ubuntu: apt-get install ipmitool; RHEL: dnf install ipmitool): %v", err)
	}
	cn := &conn{
		bin:     path,
		host:    t.Host,
		port:    t.Port,
		user:    c.Username,
		pass:    c.Password,
		ciphers: defaultCiphers,
		timeout: s.Timeout,
		retries: s.Retries,
	}
	if cn.port == 0 {
		cn.port = DefaultPort
	}
	if cn.timeout <= 0 {
		cn.timeout = DefaultTimeout
	}
	if cn.retries <= 0 {
		cn.retries = DefaultRetries
	}
	if v := t.Params.Get("cipher"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 17 {
			return nil, discovery.Errorf(discovery.Failed, "target %s: cipher=%q: want an RMCP+ cipher suite id 0-17", t, v)
		}
		cn.ciphers, cn.fixed = []string{strconv.Itoa(n)}, true
	}
	return cn, nil
}

// client is a bmclib client that uses only its ipmitool provider.
func (cn *conn) client() *bmclib.Client {
	host := cn.host
	if strings.Contains(host, ":") {
		// bmclib joins host and port with a bare ":" and splits them
		// again; an IPv6 literal needs its brackets to survive that.
		host = "[" + strings.Trim(host, "[]") + "]"
	}
	opts := []bmclib.Option{
		bmclib.WithIpmitoolPort(strconv.Itoa(cn.port)),
		bmclib.WithIpmitoolPath(cn.bin),
	}
	if cn.fixed {
		opts = append(opts, bmclib.WithIpmitoolCipherSuite(cn.ciphers[0]))
	}
	cl := bmclib.NewClient(host, cn.user, cn.pass, opts...)
	// Registry.Using filters by protocol ("ipmi"), For by provider name;
	// either leaves only the ipmitool provider.
	cl.Registry.Drivers = cl.Registry.For(ipmitool.ProviderName)
	return cl
}

// bmclibError classifies a failure of a bmclib call. bmclib runs ipmitool
// without -v, so a refused login and a silent BMC both read "Unable to
// establish IPMI v2 / RMCP+ session"; a short session of our own (chassis
// power status) tells them apart.
func (s *Source) bmclibError(ctx context.Context, cn *conn, what string, err error) error {
	msg := redact(oneLine(err.Error()), cn.pass)
	if ctxErr := ctx.Err(); ctxErr != nil {
		if errors.Is(ctxErr, context.DeadlineExceeded) {
			return discovery.Errorf(discovery.Unreachable, "%s at %s: no answer before the deadline: %s", what, cn.addr(), msg)
		}
		return discovery.Errorf(discovery.Failed, "%s at %s: %v", what, cn.addr(), ctxErr)
	}
	if _, diagErr := cn.run(ctx, "chassis", "power", "status"); diagErr != nil {
		var de *discovery.Error
		if errors.As(diagErr, &de) {
			return &discovery.Error{Kind: de.Kind, Err: fmt.Errorf("%s: %w", what, de.Err)}
		}
		return discovery.Classify(discovery.Failed, fmt.Errorf("%s: %w", what, diagErr))
	}
	return discovery.Errorf(discovery.Failed, "%s at %s: %s", what, cn.addr(), msg)
}

// oneLine flattens bmclib's multi-line (multierror) messages.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// snippet is the start of some output, for a message.
func snippet(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
