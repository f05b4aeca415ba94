package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
	"gopkg.in/yaml.v3"
)

// Output formats, chosen with -o.
const (
	formatTable = "table"
	formatJSON  = "json"
	formatYAML  = "yaml"
)

// printer writes command results in the format chosen with -o.
type printer struct {
	w      io.Writer
	format string
}

func newPrinter(w io.Writer, format string) (*printer, error) {
	switch format {
	case formatTable, formatJSON, formatYAML:
		return &printer{w: w, format: format}, nil
	}
	return nil, fmt.Errorf("unknown output format %q: want table, json or yaml", format)
}

func (p *printer) table() bool { return p.format == formatTable }

// column is one column of a table of T.
type column[T any] struct {
	header string
	value  func(T) string
}

// printList prints items as a table with cols, or as one JSON array or
// YAML sequence of the messages.
func printList[T proto.Message](p *printer, items []T, cols []column[T]) error {
	if p.table() {
		return writeTable(p.w, "", items, cols)
	}
	js, err := marshalList(items)
	if err != nil {
		return err
	}
	return p.write(js)
}

// printMessage prints m as JSON or YAML. Commands print their own tables.
func (p *printer) printMessage(m proto.Message) error {
	js, err := marshalJSON(m)
	if err != nil {
		return err
	}
	return p.write(js)
}

// write writes compact JSON js as indented JSON or as YAML.
func (p *printer) write(js []byte) error {
	if p.format == formatYAML {
		return writeYAML(p.w, js)
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, js, "", "  "); err != nil {
		return err
	}
	buf.WriteByte('\n')
	_, err := p.w.Write(buf.Bytes())
	return err
}

// jsonOptions spell messages with their proto field names and leave out
// unset fields.
// EmitUnpopulated: a GPU with index 0 or a node in rail 0 still shows the field,
// so scripts can rely on every field being present.
var jsonOptions = protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}

// marshalJSON returns m as compact JSON. protojson varies its whitespace
// on purpose; compacting makes the output stable.
func marshalJSON(m proto.Message) ([]byte, error) {
	b, err := jsonOptions.Marshal(m)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// marshalList returns items as one compact JSON array.
func marshalList[T proto.Message](items []T) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i, m := range items {
		if i > 0 {
			buf.WriteByte(',')
		}
		b, err := marshalJSON(m)
		if err != nil {
			return nil, err
		}
		buf.Write(b)
	}
	buf.WriteByte(']')
	return buf.Bytes(), nil
}

// writeYAML writes JSON js as a YAML document, keeping the order of
// object keys.
func writeYAML(w io.Writer, js []byte) error {
	n, err := yamlNode(js)
	if err != nil {
		return err
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return err
	}
	return enc.Close()
}

// yamlNode parses JSON js (JSON is YAML) into block-style YAML.
func yamlNode(js []byte) (*yaml.Node, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(js, &n); err != nil {
		return nil, err
	}
	blockStyle(&n)
	return &n, nil
}

// blockStyle clears the flow and quoting styles that JSON input gives
// n's nodes; the encoder still quotes strings that need it.
func blockStyle(n *yaml.Node) {
	n.Style = 0
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// writeTable writes items as a table with UPPERCASE headers, each line
// starting with indent.
func writeTable[T any](w io.Writer, indent string, items []T, cols []column[T]) error {
	tw := newTabWriter(w)
	row := make([]string, len(cols))
	for i, c := range cols {
		row[i] = c.header
	}
	writeRow(tw, indent, row)
	for _, it := range items {
		for i, c := range cols {
			row[i] = cell(c.value(it))
		}
		writeRow(tw, indent, row)
	}
	return tw.Flush()
}

// field is one line of a "Name: value" block.
type field struct {
	name, value string
}

// writeFields writes fields as aligned "Name: value" lines.
func writeFields(w io.Writer, fields []field) error {
	tw := newTabWriter(w)
	for _, f := range fields {
		fmt.Fprintf(tw, "%s:\t%s\n", f.name, cell(f.value))
	}
	return tw.Flush()
}

func newTabWriter(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
}

func writeRow(w io.Writer, indent string, row []string) {
	fmt.Fprintf(w, "%s%s\n", indent, strings.Join(row, "\t"))
}

// cell returns s fit for a table cell: "-" when empty, one line, no tabs.
func cell(s string) string {
	if s == "" {
		return "-"
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case '\t', '\n', '\r':
			return ' '
		}
		return r
	}, s)
}

// timeText formats t in UTC, or "" when unset.
func timeText(t *timestamppb.Timestamp) string {
	if t == nil {
		return ""
	}
	return t.AsTime().UTC().Format(time.RFC3339)
}

// staleText is a last-seen time, marked when discovery has lost sight of
// the device.
func staleText(t *timestamppb.Timestamp, stale bool) string {
	if stale {
		return timeText(t) + " (stale)"
	}
	return timeText(t)
}
