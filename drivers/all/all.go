// Package all registers every driver Railyard ships; import it for its
// side effect.
package all

import (
	_ "github.com/railyard/railyard/drivers/eos"
	_ "github.com/railyard/railyard/drivers/ufm"
)
