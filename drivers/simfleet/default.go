package simfleet

import (
	"github.com/railyard/railyard/drivers/eos/eosfake"
	"github.com/railyard/railyard/drivers/ufm/ufmfake"
	"github.com/railyard/railyard/internal/fabric"
)

// Default returns a factory for every driver that has an in-process fake.
func Default() map[string]Factory {
	return map[string]Factory{
		"eos": func(b fabric.DeviceConfig) Device { return eosfake.New(b) },
		"ufm": func(b fabric.DeviceConfig) Device {
			d := ufmfake.New(b)
			d.SetCredentials(simUser, simPassword)
			return d
		},
	}
}
