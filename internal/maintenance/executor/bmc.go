package executor

import (
	"context"
	"fmt"
	"io"

	"github.com/railyard/railyard/internal/discovery"
	"github.com/railyard/railyard/internal/model"
)

// BMC is what the executor asks of a node's BMC. The default goes through
// discovery's sources (bmclib for IPMI and Redfish power, bmclib and
// gofish for Redfish firmware updates); tests may put a fake behind it.
type BMC interface {
	PowerState(ctx context.Context, b model.BMC) (string, error)
	// PowerCycle turns the node off and on again.
	PowerCycle(ctx context.Context, b model.BMC) error
	FirmwareInstall(ctx context.Context, b model.BMC, component string, image io.Reader, size int64) (string, error)
	FirmwareTask(ctx context.Context, b model.BMC, task string) (discovery.FirmwareTaskStatus, error)
	// FirmwareVersion reports a component's firmware version.
	FirmwareVersion(ctx context.Context, b model.BMC, component string) (string, error)
}

// SourceBMC reaches BMCs through the registered discovery sources, with
// credentials resolved from each node's credential reference.
type SourceBMC struct {
	// Credentials resolves a reference (env:NAME, file:/path); default
	// discovery.ResolveCredentials.
	Credentials func(ref string) (discovery.Credentials, error)
}

func (s SourceBMC) open(b model.BMC) (discovery.Source, discovery.Target, discovery.Credentials, error) {
	if b.Address == "" {
		return nil, discovery.Target{}, discovery.Credentials{}, fmt.Errorf("the node has no BMC address")
	}
	t, err := discovery.ParseTarget(b.Address)
	if err != nil {
		return nil, t, discovery.Credentials{}, err
	}
	src, _, ok := discovery.Lookup(t.Scheme)
	if !ok {
		return nil, t, discovery.Credentials{}, fmt.Errorf("no BMC source for %s", t.Scheme)
	}
	resolve := s.Credentials
	if resolve == nil {
		resolve = discovery.ResolveCredentials
	}
	var c discovery.Credentials
	if b.CredentialRef != "" {
		if c, err = resolve(b.CredentialRef); err != nil {
			return nil, t, c, err
		}
	}
	return src, t, c, nil
}

func (s SourceBMC) power(b model.BMC) (discovery.PowerController, discovery.Target, discovery.Credentials, error) {
	src, t, c, err := s.open(b)
	if err != nil {
		return nil, t, c, err
	}
	p, ok := src.(discovery.PowerController)
	if !ok {
		return nil, t, c, fmt.Errorf("%s BMCs cannot control power", t.Scheme)
	}
	return p, t, c, nil
}

// PowerState returns "on" or "off".
func (s SourceBMC) PowerState(ctx context.Context, b model.BMC) (string, error) {
	p, t, c, err := s.power(b)
	if err != nil {
		return "", err
	}
	return p.PowerState(ctx, t, c)
}

// PowerCycle power-cycles the node ("cycle" when on; "on" when it was
// off, which is what a cycle would leave).
func (s SourceBMC) PowerCycle(ctx context.Context, b model.BMC) error {
	p, t, c, err := s.power(b)
	if err != nil {
		return err
	}
	st, err := p.PowerState(ctx, t, c)
	if err != nil {
		return err
	}
	if st == "off" {
		return p.SetPower(ctx, t, c, "on")
	}
	return p.SetPower(ctx, t, c, "cycle")
}

func (s SourceBMC) firmware(b model.BMC) (discovery.FirmwareUpdater, discovery.Target, discovery.Credentials, error) {
	src, t, c, err := s.open(b)
	if err != nil {
		return nil, t, c, err
	}
	f, ok := src.(discovery.FirmwareUpdater)
	if !ok {
		return nil, t, c, fmt.Errorf("%s BMCs cannot update firmware", t.Scheme)
	}
	return f, t, c, nil
}

// FirmwareInstall uploads an image and returns the BMC's task id.
func (s SourceBMC) FirmwareInstall(ctx context.Context, b model.BMC, component string, image io.Reader, size int64) (string, error) {
	f, t, c, err := s.firmware(b)
	if err != nil {
		return "", err
	}
	return f.FirmwareInstall(ctx, t, c, component, image, size)
}

// FirmwareTask reports on a firmware task.
func (s SourceBMC) FirmwareTask(ctx context.Context, b model.BMC, task string) (discovery.FirmwareTaskStatus, error) {
	f, t, c, err := s.firmware(b)
	if err != nil {
		return discovery.FirmwareTaskStatus{}, err
	}
	return f.FirmwareTask(ctx, t, c, task)
}

// FirmwareVersion reports a component's firmware version.
func (s SourceBMC) FirmwareVersion(ctx context.Context, b model.BMC, component string) (string, error) {
	src, t, c, err := s.open(b)
	if err != nil {
		return "", err
	}
	f, ok := src.(discovery.FirmwareInventory)
	if !ok {
		return "", fmt.Errorf("%s BMCs cannot report firmware versions", t.Scheme)
	}
	return f.FirmwareVersion(ctx, t, c, component)
}
