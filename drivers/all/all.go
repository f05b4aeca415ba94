// Package all registers every driver Railyard ships; import it for its
// side effect.
package all

import (
	_ "github.com/railyard/railyard/drivers/cumulus"
	_ "github.com/railyard/railyard/drivers/eos"
	_ "github.com/railyard/railyard/drivers/junos"
	_ "github.com/railyard/railyard/drivers/nxos"
	_ "github.com/railyard/railyard/drivers/opensm"
	_ "github.com/railyard/railyard/drivers/sonic"
	_ "github.com/railyard/railyard/drivers/ufm"
)
