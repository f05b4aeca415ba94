// Package samples holds Railyard's sample fleets, embedded: three generated
// by package fleetgen (lab-1su, superpod-4su, gb200-nvl72-8rack, as YAML)
// and one spreadsheet as operators keep them (spreadsheet, as CSV). See
// README.md for what each holds.
//
// The YAML files are what fleetgen.Preset and fleetfile.EncodeYAML produce;
// a test keeps them so. Regenerate them with
//
//	go test ./inventory-samples -update
package samples

import (
	"embed"
	"errors"
	"fmt"
	"io"

	"github.com/railyard/railyard/internal/fleetfile"
	"github.com/railyard/railyard/internal/model"
)

//go:embed *.yaml *.csv
var files embed.FS

// ErrUnknown is returned for a sample name that Names does not list.
var ErrUnknown = errors.New("unknown sample")

var fileNames = map[string]string{
	"lab-1su":           "lab-1su.yaml",
	"superpod-4su":      "superpod-4su.yaml",
	"gb200-nvl72-8rack": "gb200-nvl72-8rack.yaml",
	"spreadsheet":       "spreadsheet.csv",
}

// Names lists the samples, smallest first.
func Names() []string {
	return []string{"lab-1su", "superpod-4su", "gb200-nvl72-8rack", "spreadsheet"}
}

// Open opens the named sample and returns it with its file name.
func Open(name string) (r io.ReadCloser, filename string, err error) {
	filename, ok := fileNames[name]
	if !ok {
		return nil, "", fmt.Errorf("%w %q (want one of %v)", ErrUnknown, name, Names())
	}
	f, err := files.Open(filename)
	if err != nil {
		return nil, "", err
	}
	return f, filename, nil
}

// Load decodes the named sample.
func Load(name string) (*model.Fleet, error) {
	r, filename, err := Open(name)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return fleetfile.Decode(r, filename)
}
