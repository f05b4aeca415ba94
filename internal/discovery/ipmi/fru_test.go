package ipmi

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func readTestdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "fru", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseFRU(t *testing.T) {
	tests := []struct {
		name string
		in   string // inline output; file names a testdata/fru file instead
		file string
		want []FRU
	}{
		{
			name: "fru print 0 from ipmi_sim (no header)",
			file: "sim-product-board.txt",
			want: []FRU{{
				BoardMfgDate:        "Unspecified",
				BoardMfg:            "Railyard Labs",
				BoardProduct:        "GPU-Server 8xH100",
				BoardSerial:         "BRD-77120",
				ProductManufacturer: "Railyard Labs",
				ProductName:         "GPU-Server 8xH100",
				ProductPartNumber:   "GS-8H100-A1",
				ProductSerial:       "SN-4AX0192",
			}},
		},
		{
			name: "fru print (all) from ipmi_sim: header and SDR chatter",
			file: "sim-all.txt",
			want: []FRU{{
				Description:         "Builtin FRU Device (ID 0)",
				BoardMfgDate:        "Unspecified",
				BoardMfg:            "Railyard Labs",
				BoardProduct:        "GPU-Server 8xH100",
				BoardSerial:         "BRD-77120",
				ProductManufacturer: "Railyard Labs",
				ProductName:         "GPU-Server 8xH100",
				ProductPartNumber:   "GS-8H100-A1",
				ProductSerial:       "SN-4AX0192",
			}},
		},
		{
			name: "6-bit packed fields padded with spaces, chassis area",
			file: "sim-sixbit.txt",
			want: []FRU{{
				ChassisType:         "Rack Mount Chassis",
				ChassisPartNumber:   "CSE-829U",
				ChassisSerial:       "C8290AB12345",
				BoardMfgDate:        "Unspecified",
				BoardMfg:            "SUPERMICRO",
				BoardProduct:        "X12DPG-OA6",
				BoardSerial:         "OM221S000123",
				BoardPartNumber:     "X12DPG-OA6",
				ProductManufacturer: "Supermicro",
				ProductName:         "SYS-420GP-TNAR",
				ProductPartNumber:   "SYS-420GP-TNAR",
				ProductVersion:      "0123456789",
				ProductSerial:       "S4201234X2300042",
				ProductAssetTag:     "A",
			}},
		},
		{
			name: "no FRU device",
			file: "sim-not-present.txt",
			want: []FRU{{NotPresent: "Invalid data field in request"}},
		},
		{
			name: "Supermicro with NONE placeholders",
			file: "supermicro-none.txt",
			want: []FRU{{
				Description:         "Builtin FRU Device (ID 0)",
				ChassisType:         "Other",
				ChassisPartNumber:   "CSE-217BHQ+-R2K22BP2",
				ChassisSerial:       "C217BAH31AG0999",
				BoardMfgDate:        "Mon Jan  1 00:00:00 1996",
				BoardMfg:            "Supermicro",
				BoardProduct:        "NONE",
				BoardSerial:         "HM187S009999",
				BoardPartNumber:     "X11DPT-B",
				ProductManufacturer: "Supermicro",
				ProductName:         "NONE",
				ProductPartNumber:   "SYS-2029BT-HNTR",
				ProductVersion:      "NONE",
				ProductSerial:       "A328789X9109999",
			}},
		},
		{
			name: "several devices, extras, devices not present",
			file: "dell-multi.txt",
			want: []FRU{
				{
					Description:         "Builtin FRU Device (ID 0)",
					BoardMfgDate:        "Wed Nov  7 02:43:00 2018",
					BoardMfg:            "DELL",
					BoardProduct:        "PowerEdge XE9680",
					BoardSerial:         "CNFCP0099900AB",
					BoardPartNumber:     "0N28XXA02",
					ProductManufacturer: "DELL",
					ProductName:         "PowerEdge XE9680",
					ProductVersion:      "01",
					ProductSerial:       "9XE9680",
					Extra:               []Field{{"Product Extra", "7f0d23"}, {"Product Extra", "03"}},
				},
				{
					Description:         "PSU1 (ID 1)",
					BoardMfg:            "DELL",
					BoardProduct:        "PWR SPLY,2800W,RDNT,LTON",
					BoardSerial:         "CN7792165F0J99",
					ProductManufacturer: "DELL",
					ProductName:         "PWR SPLY,2800W,RDNT,LTON",
					ProductPartNumber:   "0PJMDNA01",
				},
				{Description: "BP0 (ID 12)", NotPresent: "Timeout"},
				{Description: "PERC2 (ID 11)", NotPresent: "Parameter out of range"},
			},
		},
		{
			name: "padding: spaces, NULs, colon in a value, no space before the colon",
			file: "hpe-padded.txt",
			want: []FRU{{
				ChassisType:         "Rack Mount Chassis",
				BoardMfgDate:        "Mon Jan  1 00:00:00 1996",
				BoardMfg:            "HPE",
				BoardProduct:        "ProLiant DL380a Gen11",
				BoardSerial:         "PVZRK0ABC9",
				BoardPartNumber:     "P12345-001",
				ProductManufacturer: "HPE",
				ProductName:         "ProLiant DL380a Gen11",
				ProductPartNumber:   "P54899-B21",
				ProductSerial:       "CZ2D9999ZZ",
				Extra:               []Field{{"Board Extra", "MAC:00:11:22:33:44:55"}},
			}},
		},
		{
			name: "board area only, CRLF, Latin-1 byte",
			file: "quanta-board-only.txt",
			want: []FRU{{
				BoardMfgDate:    "Unspecified",
				BoardMfg:        "Quanta",
				BoardProduct:    "S7Q",
				BoardSerial:     "QTFCOU9990123",
				BoardPartNumber: "31S7QMB0000",
				Extra:           []Field{{"Board Extra", "München"}},
			}},
		},
		{
			name: "Board Mfg Date is not Board Mfg",
			in:   " Board Mfg Date        : Mon Jan  1 00:00:00 1996\n",
			want: []FRU{{BoardMfgDate: "Mon Jan  1 00:00:00 1996"}},
		},
		{
			name: "a repeated field keeps the first value",
			in:   " Product Serial : A\n Product Serial : B\n",
			want: []FRU{{ProductSerial: "A", Extra: []Field{{"Product Serial", "B"}}}},
		},
		{
			name: "an empty field is filled by a later line",
			in:   " Product Serial :\n Product Serial : B\n",
			want: []FRU{{ProductSerial: "B"}},
		},
		{
			name: "multirecord headings are skipped, their fields kept",
			in: " Product Name          : X\n" +
				"  Power Supply Record\n" +
				"   Capacity                   : 2700 W\n",
			want: []FRU{{ProductName: "X", Extra: []Field{{"Capacity", "2700 W"}}}},
		},
		{
			name: "device not present without a reason",
			in:   "FRU Device Description : Builtin FRU Device (ID 0)\n Device not present\n",
			want: []FRU{{Description: "Builtin FRU Device (ID 0)", NotPresent: "unknown"}},
		},
		{
			name: "empty device header",
			in:   "FRU Device Description : Builtin FRU Device (ID 0)\n",
			want: []FRU{{Description: "Builtin FRU Device (ID 0)"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			if tt.file != "" {
				in = readTestdata(t, tt.file)
			}
			got, err := ParseFRU(in)
			if err != nil {
				t.Fatalf("ParseFRU: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseFRU mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseFRUNothingRecognised(t *testing.T) {
	for _, in := range []string{
		"",
		"\n\n",
		"<html><body>502 Bad Gateway</body></html>",
		"Chassis Power is on\n",
		"SDRR successfully erased\nErr in cmd get sensor sdr info\n",
		"Some Other Field : value\n",
		" : value\n",
		"\x00\xff\xfe",
	} {
		got, err := ParseFRU(in)
		if !errors.Is(err, ErrNoFRU) || got != nil {
			t.Errorf("ParseFRU(%q) = %v, %v; want nil, ErrNoFRU", in, got, err)
		}
	}
}

// FuzzParseFRU checks that ParseFRU never panics, that its values are
// clean (valid UTF-8, trimmed, one line) and that printing what it parsed
// the way ipmitool does parses back to the same devices.
func FuzzParseFRU(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "fru", "*.txt"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed corpus in testdata/fru: %v", err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add(" Product Serial : A\n Product Serial : B\n")
	f.Add("FRU Device Description :\n Device not present ((x)\n")
	f.Add(" Board Extra :: x \x00\n")

	f.Fuzz(func(t *testing.T, in string) {
		frus, err := ParseFRU(in)
		if err != nil {
			if !errors.Is(err, ErrNoFRU) || frus != nil {
				t.Fatalf("ParseFRU error %v with result %v", err, frus)
			}
			return
		}
		if len(frus) == 0 {
			t.Fatal("no error and no devices")
		}
		for _, f := range frus {
			for _, v := range f.strings() {
				if !utf8.ValidString(v) || strings.ContainsAny(v, "\n") || v != trimValue(v) {
					t.Fatalf("unclean value %q in %+v", v, f)
				}
			}
		}
		again, err := ParseFRU(formatFRU(frus))
		if err != nil {
			t.Fatalf("reparse: %v\n%s", err, formatFRU(frus))
		}
		if diff := cmp.Diff(frus, again); diff != "" {
			t.Fatalf("format/parse round trip (-first +second):\n%s\nformatted:\n%s", diff, formatFRU(frus))
		}
	})
}

// strings lists every value of f.
func (f FRU) strings() []string {
	out := []string{f.Description, f.NotPresent}
	for _, k := range fruKeys {
		out = append(out, *f.field(k))
	}
	for _, e := range f.Extra {
		out = append(out, e.Name, e.Value)
	}
	return out
}

var fruKeys = []string{
	"Chassis Type", "Chassis Part Number", "Chassis Serial",
	"Board Mfg Date", "Board Mfg", "Board Product", "Board Serial", "Board Part Number",
	"Product Manufacturer", "Product Name", "Product Part Number", "Product Version",
	"Product Serial", "Product Asset Tag",
}

// formatFRU prints devices in ipmitool's layout.
func formatFRU(frus []FRU) string {
	var b strings.Builder
	for _, f := range frus {
		fmt.Fprintf(&b, "FRU Device Description : %s\n", f.Description)
		if f.NotPresent != "" {
			fmt.Fprintf(&b, " Device not present (%s)\n", f.NotPresent)
		}
		for _, k := range fruKeys {
			if v := *f.field(k); v != "" {
				fmt.Fprintf(&b, " %-21s : %s\n", k, v)
			}
		}
		for _, e := range f.Extra {
			fmt.Fprintf(&b, " %-21s : %s\n", e.Name, e.Value)
		}
		b.WriteString("\n")
	}
	return b.String()
}
