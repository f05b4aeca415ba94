package fleetfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/railyard/railyard/internal/model"
)

// APIVersion and Kind are the header of a fleet YAML document.
const (
	APIVersion = "railyard.dev/v1"
	Kind       = "Fleet"
)

// DecodeYAML reads a fleet YAML document from r. filename is used in error
// messages only.
func DecodeYAML(r io.Reader, filename string) (*model.Fleet, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", filename, err)
	}
	d := yamlDecoder{file: filename}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{File: filename, Line: 1, Err: fmt.Errorf("%w: empty file, want a %s document", ErrMissing, Kind)}
		}
		return nil, d.syntaxError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &Error{File: filename, Line: extra.Line, Err: fmt.Errorf("%w: more than one YAML document", ErrSyntax)}
	} else if !errors.Is(err, io.EOF) {
		return nil, d.syntaxError(err)
	}
	f := new(model.Fleet)
	if err := d.document(&doc, f); err != nil {
		return nil, err
	}
	complete(f)
	return f, nil
}

type yamlDecoder struct {
	file string
}

func (d *yamlDecoder) errorf(n *yaml.Node, path string, format string, args ...any) error {
	return &Error{File: d.file, Line: n.Line, Field: path, Err: fmt.Errorf(format, args...)}
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError turns a yaml.v3 parse error into an *Error.
func (d *yamlDecoder) syntaxError(err error) error {
	msg := err.Error()
	line := 0
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	return &Error{File: d.file, Line: line, Err: fmt.Errorf("%w: %s", ErrSyntax, msg)}
}

// document decodes the document node doc into f, checking the header.
func (d *yamlDecoder) document(doc *yaml.Node, f *model.Fleet) error {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return d.errorf(doc, "", "%w: want a %s document", ErrSyntax, Kind)
	}
	top := doc.Content[0]
	if top.Kind == yaml.ScalarNode && top.ShortTag() == "!!null" {
		return d.errorf(top, "", "%w: empty document, want a %s document", ErrMissing, Kind)
	}
	if top.Kind != yaml.MappingNode {
		return d.errorf(top, "", "%w: want a mapping with apiVersion: %s and kind: %s", ErrBadValue, APIVersion, Kind)
	}
	header := map[string]string{"apiVersion": APIVersion, "kind": Kind}
	seen := map[string]bool{}
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		want, ok := header[k.Value]
		if !ok || k.Kind != yaml.ScalarNode {
			continue
		}
		if seen[k.Value] {
			return d.errorf(k, k.Value, "%w key", ErrDuplicate)
		}
		seen[k.Value] = true
		if v.Kind != yaml.ScalarNode || v.Value != want {
			return d.errorf(v, k.Value, "%w: got %q, want %s", ErrBadValue, v.Value, want)
		}
	}
	for _, k := range []string{"apiVersion", "kind"} {
		if !seen[k] {
			return d.errorf(top, k, "%w: want %s: %s", ErrMissing, k, header[k])
		}
	}
	return d.mapping(top, reflect.ValueOf(f).Elem(), "", header)
}

var timeType = reflect.TypeFor[time.Time]()

// value decodes n into v, an addressable value of a model type.
func (d *yamlDecoder) value(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind == yaml.AliasNode {
		return d.errorf(n, path, "%w: YAML aliases are not supported", ErrBadValue)
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		v.SetZero()
		return nil
	}
	t := v.Type()
	switch {
	case t == timeType:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!timestamp" {
			return d.errorf(n, path, "%w: %q is not a timestamp", ErrBadValue, n.Value)
		}
		var ts time.Time
		if err := n.Decode(&ts); err != nil {
			return d.errorf(n, path, "%w: %q is not a timestamp", ErrBadValue, n.Value)
		}
		v.Set(reflect.ValueOf(ts))
	case t.Kind() == reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return d.errorf(n, path, "%w: want a mapping, got %s", ErrBadValue, describe(n))
		}
		return d.mapping(n, v, path, nil)
	case t.Kind() == reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return d.errorf(n, path, "%w: want a list, got %s", ErrBadValue, describe(n))
		}
		if len(n.Content) == 0 {
			v.SetZero() // an empty list is no list, as the encoder writes it
			return nil
		}
		s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, item := range n.Content {
			if err := d.value(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		v.Set(s)
	case t.Kind() == reflect.String:
		if n.Kind != yaml.ScalarNode {
			return d.errorf(n, path, "%w: want a string, got %s", ErrBadValue, describe(n))
		}
		if n.ShortTag() == "!!binary" {
			return d.errorf(n, path, "%w: binary values are not supported", ErrBadValue)
		}
		if !utf8.ValidString(n.Value) {
			return d.errorf(n, path, "%w: %q is not valid UTF-8", ErrBadValue, n.Value)
		}
		v.SetString(n.Value)
	case v.CanInt():
		var i int64
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&i) != nil || v.OverflowInt(i) {
			return d.errorf(n, path, "%w: want an integer, got %s", ErrBadValue, describe(n))
		}
		v.SetInt(i)
	case v.CanUint():
		var u uint64
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&u) != nil || v.OverflowUint(u) {
			return d.errorf(n, path, "%w: want a whole number, got %s", ErrBadValue, describe(n))
		}
		v.SetUint(u)
	case v.CanFloat():
		var f float64
		if tag := n.ShortTag(); n.Kind != yaml.ScalarNode || (tag != "!!float" && tag != "!!int") || n.Decode(&f) != nil {
			return d.errorf(n, path, "%w: want a number, got %s", ErrBadValue, describe(n))
		}
		v.SetFloat(f)
	case t.Kind() == reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
			return d.errorf(n, path, "%w: want true or false, got %s", ErrBadValue, describe(n))
		}
		v.SetBool(b)
	default:
		// Not reached for model types.
		return d.errorf(n, path, "%w: cannot decode into %s", ErrBadValue, t)
	}
	return nil
}

// describe names what n is, for error messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return strconv.Quote(n.Value)
}

// mapping decodes the mapping n into the struct v. Keys in skip are
// ignored (the document header).
func (d *yamlDecoder) mapping(n *yaml.Node, v reflect.Value, path string, skip map[string]string) error {
	fields := fieldsOf(v.Type())
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return d.errorf(k, path, "%w: keys must be strings, got %s", ErrBadValue, describe(k))
		}
		if _, ok := skip[k.Value]; ok {
			continue
		}
		fpath := k.Value
		if path != "" {
			fpath = path + "." + k.Value
		}
		fi, ok := fields.index[k.Value]
		if !ok {
			return d.errorf(k, fpath, "%w (want one of %s)", ErrUnknownField, strings.Join(fields.names, ", "))
		}
		if seen[k.Value] {
			return d.errorf(k, fpath, "%w key", ErrDuplicate)
		}
		seen[k.Value] = true
		fv := v.Field(fi)
		if err := d.value(val, fv, fpath); err != nil {
			return err
		}
		if err := d.check(v.Type(), k.Value, fv); err != nil {
			return &Error{File: d.file, Line: val.Line, Field: fpath, Err: err}
		}
	}
	return nil
}

// check canonicalises identifiers and checks enum values of field name
// of struct type t, whose value is fv.
func (d *yamlDecoder) check(t reflect.Type, name string, fv reflect.Value) error {
	if fv.Kind() != reflect.String || fv.Len() == 0 {
		return nil
	}
	if parse := identifiers[t][name]; parse != nil {
		s, err := parse(fv.String())
		if err != nil {
			return err
		}
		fv.SetString(s)
		return nil
	}
	return checkEnum(fv.Interface())
}

// identifiers are the fields holding identifiers, by struct type and YAML
// name, with their parsers.
var identifiers = map[reflect.Type]map[string]func(string) (string, error){
	reflect.TypeFor[model.NICPort](): {"mac": model.ParseMAC, "guid": model.ParseGUID},
	reflect.TypeFor[model.NIC]():     {"pci_bus_id": model.ParsePCIBusID},
	reflect.TypeFor[model.GPU]():     {"pci_bus_id": model.ParsePCIBusID},
}

// checkEnum reports an error if v is a model enum value that is not valid.
// Values of other types pass.
func checkEnum(v any) error {
	e, ok := v.(interface{ Valid() bool })
	if !ok || e.Valid() {
		return nil
	}
	return fmt.Errorf("%w %q (want %s)", ErrBadValue, fmt.Sprint(v), enumValues[reflect.TypeOf(v)])
}

// enumValues lists the valid values of each model enum type.
var enumValues = map[reflect.Type]string{
	reflect.TypeFor[model.NodeState]():  joinStrings(model.NodeStates),
	reflect.TypeFor[model.Provenance](): joinStrings([]model.Provenance{model.Declared, model.Discovered}),
	reflect.TypeFor[model.LinkKind]():   joinStrings([]model.LinkKind{model.InfiniBand, model.Ethernet}),
	reflect.TypeFor[model.FabricRole](): joinStrings([]model.FabricRole{model.RoleCompute, model.RoleStorage, model.RoleManagement}),
	reflect.TypeFor[model.SwitchRole](): joinStrings([]model.SwitchRole{model.SwitchLeaf, model.SwitchSpine, model.SwitchCore}),
	reflect.TypeFor[model.GPUHealth]():  joinStrings([]model.GPUHealth{model.GPUHealthy, model.GPUDegraded, model.GPUFailed, model.GPUUnknown}),
}

func joinStrings[S ~string](vs []S) string {
	ss := make([]string, len(vs))
	for i, v := range vs {
		ss[i] = string(v)
	}
	if len(ss) < 2 {
		return strings.Join(ss, "")
	}
	return strings.Join(ss[:len(ss)-1], ", ") + " or " + ss[len(ss)-1]
}

// structFields maps a struct's YAML field names to field indexes.
type structFields struct {
	index map[string]int
	names []string // in declaration order, for messages
}

var fieldCache sync.Map // reflect.Type -> *structFields

func fieldsOf(t reflect.Type) *structFields {
	if sf, ok := fieldCache.Load(t); ok {
		return sf.(*structFields)
	}
	sf := &structFields{index: map[string]int{}}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		sf.index[name] = i
		sf.names = append(sf.names, name)
	}
	fieldCache.Store(t, sf)
	return sf
}
