package fleetfile

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/railyard/railyard/internal/model"
)

// EncodeYAML writes f as a fleet YAML document. f is not modified.
//
// The encoder streams: it writes the document as it walks the fleet, in
// time and memory linear in the fleet (yaml.v3's encoder keeps every event
// of the document, which is slow for fleets of many thousand nodes). Cable
// endpoints and ports, which are many and small, are written in flow style
// ({device: x, port: y}). Strings are written plain when that is
// unambiguous and double-quoted otherwise.
func EncodeYAML(w io.Writer, f *model.Fleet) error {
	if f == nil {
		f = new(model.Fleet)
	}
	e := yamlEncoder{w: bufio.NewWriterSize(w, 64<<10)}
	e.str("apiVersion: " + APIVersion + "\nkind: " + Kind + "\n")
	e.fields(reflect.ValueOf(f).Elem(), 0, "")
	if e.err != nil {
		return e.err
	}
	return e.w.Flush()
}

type yamlEncoder struct {
	w   *bufio.Writer
	err error
}

// flowTypes are written in flow style.
var flowTypes = map[reflect.Type]bool{
	reflect.TypeFor[model.SwitchPort](): true,
	reflect.TypeFor[model.NICPort]():    true,
	reflect.TypeFor[model.Endpoint]():   true,
}

func (e *yamlEncoder) str(s string) {
	if e.err == nil {
		_, e.err = e.w.WriteString(s)
	}
}

func (e *yamlEncoder) indent(n int) {
	for range n {
		e.str(" ")
	}
}

// fields writes the fields of struct v as a block mapping at indent. The
// first line starts with first instead of the indentation, if first is not
// empty (a sequence item's "- "). A struct with no fields to write is
// written {}, except at the top level (indent 0).
func (e *yamlEncoder) fields(v reflect.Value, indent int, first string) {
	wrote := false
	for _, fi := range encFieldsOf(v.Type()) {
		fv := v.Field(fi.index)
		if fi.omitEmpty && isEmpty(fv) {
			continue
		}
		if !wrote && first != "" {
			e.str(first)
		} else {
			e.indent(indent)
		}
		wrote = true
		e.str(fi.name)
		e.str(":")
		e.value(fv, indent)
	}
	if !wrote && (indent > 0 || first != "") {
		if first != "" {
			e.str(first)
		} else {
			e.indent(indent)
		}
		e.str("{}\n")
	}
}

// value writes the value of a mapping key at indent: the rest of the line
// after the key's colon, and any lines below.
func (e *yamlEncoder) value(v reflect.Value, indent int) {
	switch {
	case isScalar(v.Type()):
		e.str(" ")
		e.str(scalar(v, false))
		e.str("\n")
	case v.Kind() == reflect.Struct:
		if flowTypes[v.Type()] || encFieldsOf(v.Type()) == nil {
			e.str(" ")
			e.flow(v)
			e.str("\n")
			return
		}
		e.str("\n")
		e.fields(v, indent+2, "")
	case v.Kind() == reflect.Slice:
		if v.Len() == 0 {
			e.str(" []\n")
			return
		}
		e.str("\n")
		item := strings.Repeat(" ", indent+2) + "- "
		for i := range v.Len() {
			iv := v.Index(i)
			switch {
			case isScalar(iv.Type()):
				e.str(item)
				e.str(scalar(iv, false))
				e.str("\n")
			case iv.Kind() == reflect.Struct && flowTypes[iv.Type()]:
				e.str(item)
				e.flow(iv)
				e.str("\n")
			case iv.Kind() == reflect.Struct:
				e.fields(iv, indent+4, item)
			default:
				e.fail(iv)
			}
		}
	default:
		e.fail(v)
	}
}

// flow writes struct v as a flow mapping.
func (e *yamlEncoder) flow(v reflect.Value) {
	e.str("{")
	sep := ""
	for _, fi := range encFieldsOf(v.Type()) {
		fv := v.Field(fi.index)
		if fi.omitEmpty && isEmpty(fv) {
			continue
		}
		e.str(sep)
		sep = ", "
		e.str(fi.name)
		e.str(": ")
		switch {
		case isScalar(fv.Type()):
			e.str(scalar(fv, true))
		case fv.Kind() == reflect.Struct:
			e.flow(fv)
		default:
			e.fail(fv)
		}
	}
	e.str("}")
}

func (e *yamlEncoder) fail(v reflect.Value) {
	if e.err == nil {
		e.err = fmt.Errorf("encoding fleet: cannot encode a %s", v.Type())
	}
}

func isScalar(t reflect.Type) bool {
	if t == timeType {
		return true
	}
	switch t.Kind() {
	case reflect.String, reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// isEmpty reports whether v is empty in the sense of the omitempty option.
func isEmpty(v reflect.Value) bool {
	if v.Type() == timeType {
		return v.Interface().(time.Time).IsZero()
	}
	switch v.Kind() {
	case reflect.Slice, reflect.Map:
		return v.Len() == 0
	}
	return v.IsZero()
}

// scalar formats a scalar value; flow says whether it goes in a flow
// mapping, where fewer strings can be written plain.
func scalar(v reflect.Value, flow bool) string {
	if v.Type() == timeType {
		return v.Interface().(time.Time).Format(time.RFC3339Nano)
	}
	switch v.Kind() {
	case reflect.String:
		return yamlString(v.String(), flow)
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10)
	case reflect.Float32, reflect.Float64:
		switch f := v.Float(); {
		case math.IsNaN(f):
			return ".nan"
		case math.IsInf(f, 1):
			return ".inf"
		case math.IsInf(f, -1):
			return "-.inf"
		default:
			return strconv.FormatFloat(f, 'g', -1, 64)
		}
	}
	return `""`
}

// yamlString writes s plain if it is plainly a string (it starts with a
// letter, holds only letters, digits, spaces (not at the end) and -_./,
// plus : before a non-space outside flow mappings, and is not a word that
// YAML 1.1 reads as a boolean or null); otherwise double-quoted. Go's
// quoting escapes are a subset of YAML's.
func yamlString(s string, flow bool) string {
	if plain(s, flow) {
		return s
	}
	return strconv.Quote(s)
}

func plain(s string, flow bool) bool {
	if s == "" || !isLetter(s[0]) || s[len(s)-1] == ' ' || s[len(s)-1] == ':' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isLetter(c), c >= '0' && c <= '9', c == '-', c == '_', c == '.', c == '/':
		case c == ' ':
			if s[i+1] == ' ' {
				return false
			}
		case c == ':' && !flow:
			if s[i+1] == ' ' {
				return false
			}
		default:
			return false
		}
	}
	switch strings.ToLower(s) {
	case "y", "yes", "n", "no", "on", "off", "true", "false", "null":
		return false
	}
	return true
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// encField is a struct field as the encoder sees it.
type encField struct {
	index     int
	name      string
	omitEmpty bool
}

var encFieldCache sync.Map // reflect.Type -> []encField

func encFieldsOf(t reflect.Type) []encField {
	if fs, ok := encFieldCache.Load(t); ok {
		return fs.([]encField)
	}
	var fs []encField
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fs = append(fs, encField{index: i, name: name, omitEmpty: strings.Contains(","+opts+",", ",omitempty,")})
	}
	encFieldCache.Store(t, fs)
	return fs
}
