// Package fleetfile reads and writes fleet files: the YAML documents that
// declare an inventory (apiVersion railyard.dev/v1, kind Fleet) and the
// one-row-per-node CSV spreadsheets that operators keep.
//
// Decoders are strict. Unknown YAML fields and unknown CSV columns are
// errors, identifiers (MACs, InfiniBand GUIDs, PCI bus ids) are parsed and
// rewritten in canonical form, enum values (states, roles, kinds) must be
// known, and every error is an *Error that names the file, the line and,
// where there is one, the field or column:
//
//	lab.yaml:42: nodes[3].nics[1].ports[0].mac: bad identifier: MAC "zz:00:00:00:00:00": unexpected character 'z'
//	sheet.csv:7: nic2_mac: bad identifier: MAC "zz": unexpected character 'z'
//
// Decoders do not check the fleet's consistency (duplicate names, dangling
// references, miscabling); that is package validate's job.
//
// Both decoders fill in the same defaults and return a normalized fleet
// (see model.Fleet.Normalize):
//
//   - an empty provenance (switches, nodes, links) becomes "declared";
//   - an empty node state becomes "available";
//   - an empty GPU health becomes "healthy" (a declared GPU is assumed good
//     until discovery says otherwise);
//   - an empty NIC fabric is taken from the switch that the NIC's first
//     port is cabled to;
//   - timestamps (last_seen) are converted to UTC.
//
// Encoding a fleet that a decoder returned and decoding it again gives the
// same fleet. The YAML form is lossless. The CSV form is not (it has no
// spines, GPU UUIDs, PCI ids, ...), but it round-trips with itself: a fleet
// decoded from CSV, encoded to CSV and decoded again is unchanged. See
// DecodeCSV for the columns.
package fleetfile

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/railyard/railyard/internal/model"
)

// Errors that decoders wrap (inside an *Error) to say what kind of problem
// they found. Identifier errors wrap model.ErrBadIdentifier instead.
var (
	// ErrUnknownFormat is returned by Detect for a file name whose
	// extension is not .yaml, .yml or .csv.
	ErrUnknownFormat = errors.New("unknown fleet file format")
	// ErrSyntax is a malformed YAML or CSV file.
	ErrSyntax = errors.New("syntax error")
	// ErrUnknownField is a YAML key or CSV column that Railyard does not know.
	ErrUnknownField = errors.New("unknown field")
	// ErrMissing is a required value that is absent.
	ErrMissing = errors.New("missing value")
	// ErrBadValue is a value of the wrong type or out of range.
	ErrBadValue = errors.New("bad value")
	// ErrDuplicate is a key, column or row given twice.
	ErrDuplicate = errors.New("duplicate")
	// ErrConflict is a CSV record (a rack, a switch, a fabric) that two
	// rows describe differently.
	ErrConflict = errors.New("conflict")
)

// Error is a decoding error, located in its file.
type Error struct {
	// File is the file name given to the decoder.
	File string
	// Line is the 1-based line of the problem; 0 if unknown.
	Line int
	// Field is the YAML field path (nodes[3].nics[1].ports[0].mac) or the
	// CSV column (nic2_mac); empty if the problem is not about one field.
	Field string
	// Err is what went wrong. It wraps one of this package's sentinel
	// errors, or model.ErrBadIdentifier.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File == "" {
		b.WriteString("<input>")
	} else {
		b.WriteString(e.File)
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Format is a fleet file format.
type Format string

// Fleet file formats.
const (
	YAML Format = "yaml"
	CSV  Format = "csv"
)

// Detect returns the format of the file named filename, by its extension:
// .yaml or .yml is YAML, .csv is CSV (in any case).
func Detect(filename string) (Format, error) {
	switch strings.ToLower(filepath.Ext(filename)) {
	case ".yaml", ".yml":
		return YAML, nil
	case ".csv":
		return CSV, nil
	}
	return "", fmt.Errorf("%w: %q (want .yaml, .yml or .csv)", ErrUnknownFormat, filename)
}

// Decode reads a fleet file in the format that Detect finds for filename.
func Decode(r io.Reader, filename string) (*model.Fleet, error) {
	format, err := Detect(filename)
	if err != nil {
		return nil, err
	}
	if format == CSV {
		return DecodeCSV(r, filename)
	}
	return DecodeYAML(r, filename)
}

// Encode writes f in the given format.
func Encode(w io.Writer, f *model.Fleet, format Format) error {
	switch format {
	case YAML:
		return EncodeYAML(w, f)
	case CSV:
		return EncodeCSV(w, f)
	}
	return fmt.Errorf("%w: %q (want yaml or csv)", ErrUnknownFormat, string(format))
}

// complete fills in the defaults described in the package comment and
// normalizes f.
func complete(f *model.Fleet) {
	for i := range f.Switches {
		s := &f.Switches[i]
		if s.Provenance == "" {
			s.Provenance = model.Declared
		}
		s.LastSeen = utc(s.LastSeen)
	}
	for i := range f.Links {
		l := &f.Links[i]
		if l.Provenance == "" {
			l.Provenance = model.Declared
		}
		l.LastSeen = utc(l.LastSeen)
	}
	for i := range f.Nodes {
		n := &f.Nodes[i]
		if n.Provenance == "" {
			n.Provenance = model.Declared
		}
		if n.State == "" {
			n.State = model.NodeAvailable
		}
		n.LastSeen = utc(n.LastSeen)
		for j := range n.GPUs {
			if n.GPUs[j].Health == "" {
				n.GPUs[j].Health = model.GPUHealthy
			}
		}
	}
	f.Normalize()
	fillNICFabrics(f)
}

// utc returns t in UTC; the zero time stays zero.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// fillNICFabrics sets the fabric of every NIC that has none to the fabric
// of the switch its first port is cabled to. f must be normalized, so that
// "first" is well defined.
func fillNICFabrics(f *model.Fleet) {
	fabricOf := make(map[string]string, len(f.Switches))
	for _, s := range f.Switches {
		if _, dup := fabricOf[s.Name]; !dup {
			fabricOf[s.Name] = s.Fabric
		}
	}
	peer := make(map[model.Endpoint]string) // node port -> switch
	for _, l := range f.Links {
		if _, ok := fabricOf[l.B.Device]; ok {
			if _, dup := peer[l.A]; !dup {
				peer[l.A] = l.B.Device
			}
		}
		if _, ok := fabricOf[l.A.Device]; ok {
			if _, dup := peer[l.B]; !dup {
				peer[l.B] = l.A.Device
			}
		}
	}
	for i := range f.Nodes {
		n := &f.Nodes[i]
		for j := range n.NICs {
			nic := &n.NICs[j]
			if nic.Fabric != "" || len(nic.Ports) == 0 {
				continue
			}
			if sw, ok := peer[model.Endpoint{Device: n.Hostname, Port: nic.Ports[0].Name}]; ok {
				nic.Fabric = fabricOf[sw]
			}
		}
	}
}
