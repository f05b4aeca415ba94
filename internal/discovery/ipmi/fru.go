package ipmi

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// FRU is one FRU inventory device as `ipmitool fru print` shows it. Field
// values are trimmed of the spaces and NULs that BMCs pad them with; a
// field the device does not have is empty (ipmitool leaves its line out).
type FRU struct {
	// Description is the text of the "FRU Device Description" header
	// ("Builtin FRU Device (ID 0)"). `ipmitool fru print <id>` prints no
	// header, so it is empty there.
	Description string
	// NotPresent is ipmitool's reason when it could not read the device
	// ("Requested sensor, data, or record not found" from " Device not
	// present (...)"); the other fields are then empty.
	NotPresent string

	ChassisType       string
	ChassisPartNumber string
	ChassisSerial     string

	BoardMfgDate    string
	BoardMfg        string
	BoardProduct    string
	BoardSerial     string
	BoardPartNumber string

	ProductManufacturer string
	ProductName         string
	ProductPartNumber   string
	ProductVersion      string
	ProductSerial       string
	ProductAssetTag     string

	// Extra holds the other "name : value" lines of the device in order:
	// Board Extra, Product Extra, FRU ID, area checksums, multirecord
	// details, and repeats of a field above.
	Extra []Field
}

// Field is one "name : value" line of ipmitool's output.
type Field struct {
	Name  string
	Value string
}

// ErrNoFRU says that ipmitool's output held nothing ParseFRU recognises.
var ErrNoFRU = errors.New("no FRU device in ipmitool output")

// ParseFRU parses the output of `ipmitool fru print [id]`: one device per
// "FRU Device Description" header, or a single device when there is no
// header (`fru print 0`). Lines without a "name : value" shape (multirecord
// headings, blank lines) are skipped. It returns ErrNoFRU when the output
// holds no header, no known field and no "Device not present" line.
//
// ParseFRU is a pure function of its input.
func ParseFRU(out string) ([]FRU, error) {
	var frus []FRU
	recognised := false
	// current returns the device lines belong to, starting an unnamed one
	// when the output began without a header.
	current := func() *FRU {
		if len(frus) == 0 {
			frus = append(frus, FRU{})
		}
		return &frus[len(frus)-1]
	}
	for _, line := range strings.Split(out, "\n") {
		line = trimValue(latin1(line))
		if line == "" {
			continue
		}
		if reason, ok := strings.CutPrefix(line, "Device not present"); ok {
			reason = trimValue(reason)
			reason = strings.TrimSuffix(strings.TrimPrefix(reason, "("), ")")
			if reason = trimValue(reason); reason == "" {
				reason = "unknown"
			}
			current().NotPresent = reason
			recognised = true
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		name, value = trimValue(name), trimValue(value)
		if name == "" {
			continue
		}
		if name == "FRU Device Description" {
			frus = append(frus, FRU{Description: value})
			recognised = true
			continue
		}
		f := current()
		if p := f.field(name); p != nil {
			recognised = true
			if *p == "" {
				*p = value
				continue
			}
		}
		f.Extra = append(f.Extra, Field{Name: name, Value: value})
	}
	if !recognised {
		return nil, ErrNoFRU
	}
	return frus, nil
}

// field returns the FRU field ipmitool names name, or nil.
func (f *FRU) field(name string) *string {
	switch name {
	case "Chassis Type":
		return &f.ChassisType
	case "Chassis Part Number":
		return &f.ChassisPartNumber
	case "Chassis Serial":
		return &f.ChassisSerial
	case "Board Mfg Date":
		return &f.BoardMfgDate
	case "Board Mfg":
		return &f.BoardMfg
	case "Board Product":
		return &f.BoardProduct
	case "Board Serial":
		return &f.BoardSerial
	case "Board Part Number":
		return &f.BoardPartNumber
	case "Product Manufacturer":
		return &f.ProductManufacturer
	case "Product Name":
		return &f.ProductName
	case "Product Part Number":
		return &f.ProductPartNumber
	case "Product Version":
		return &f.ProductVersion
	case "Product Serial":
		return &f.ProductSerial
	case "Product Asset Tag":
		return &f.ProductAssetTag
	}
	return nil
}

// trimValue trims white space and the NUL and 0xFF padding FRU strings
// often carry.
func trimValue(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		switch r {
		case ' ', '\t', '\r', '\n', '\v', '\f', 0, 0xff:
			return true
		}
		return false
	})
}

// latin1 returns s unchanged when it is UTF-8, and otherwise reads it as
// ISO 8859-1, the character set of the FRU's 8-bit ASCII+Latin 1 fields,
// which ipmitool prints byte for byte. Values are thus always valid UTF-8.
func latin1(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	r := make([]rune, len(s))
	for i := 0; i < len(s); i++ {
		r[i] = rune(s[i])
	}
	return string(r)
}
