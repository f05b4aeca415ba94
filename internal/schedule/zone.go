package schedule

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// zones caches loaded locations by name. Loading a zone reads the zoneinfo
// database, which is slow; caching also gives every parse of the same name the
// same *time.Location, so parsed values compare equal with ==.
var zones sync.Map // string -> *time.Location

// loadZone loads an IANA time zone. The empty name and "UTC" give time.UTC.
// "Local" is refused: it would make results depend on the machine.
func loadZone(name string) (*time.Location, error) {
	switch name {
	case "", "UTC":
		return time.UTC, nil
	case "Local":
		return nil, errors.New(`time zone "Local" is not allowed (results would depend on the machine); name an IANA zone`)
	}
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q", name)
	}
	actual, _ := zones.LoadOrStore(name, loc)
	return actual.(*time.Location), nil
}
