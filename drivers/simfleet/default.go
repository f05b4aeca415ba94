package simfleet

import (
	"github.com/railyard/railyard/drivers/cumulus/cumulusfake"
	"github.com/railyard/railyard/drivers/eos/eosfake"
	"github.com/railyard/railyard/drivers/junos/junosfake"
	"github.com/railyard/railyard/drivers/nxos/nxosfake"
	"github.com/railyard/railyard/drivers/opensm/opensmfake"
	"github.com/railyard/railyard/drivers/sonic/sonicfake"
	"github.com/railyard/railyard/drivers/ufm/ufmfake"
	"github.com/railyard/railyard/internal/fabric"
)

// Default returns a factory for every driver that has an in-process fake.
func Default() map[string]Factory {
	return map[string]Factory{
		"eos":     func(b fabric.DeviceConfig) Device { return eosfake.New(b) },
		"nxos":    func(b fabric.DeviceConfig) Device { return nxosfake.New(b) },
		"junos":   func(b fabric.DeviceConfig) Device { return junosfake.New(b) },
		"cumulus": func(b fabric.DeviceConfig) Device { return cumulusfake.New(b) },
		"sonic":   func(b fabric.DeviceConfig) Device { return sonicfake.New(b) },
		"opensm":  func(b fabric.DeviceConfig) Device { return opensmfake.New(b) },
		"ufm": func(b fabric.DeviceConfig) Device {
			d := ufmfake.New(b)
			d.SetCredentials(simUser, simPassword)
			return d
		},
	}
}
