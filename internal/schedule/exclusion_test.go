package schedule

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseExclusion(t *testing.T) {
	for _, tc := range []struct {
		in     string
		want   Exclusion
		string string
	}{
		{
			in:     "2026-12-20T00:00:00Z/2027-01-03T00:00:00Z holiday freeze",
			want:   Exclusion{From: at(t, "2026-12-20T00:00:00Z"), To: at(t, "2027-01-03T00:00:00Z"), Reason: "holiday freeze"},
			string: "2026-12-20/2027-01-03 holiday freeze",
		},
		{
			in:     "2026-12-20/2027-01-03",
			want:   Exclusion{From: at(t, "2026-12-20T00:00:00Z"), To: at(t, "2027-01-03T00:00:00Z")},
			string: "2026-12-20/2027-01-03",
		},
		{
			in:     "  2026-06-01T08:00:00+02:00/2026-06-01T12:30:00.5+02:00   launch   day  ",
			want:   Exclusion{From: at(t, "2026-06-01T06:00:00Z"), To: at(t, "2026-06-01T10:30:00.5Z"), Reason: "launch   day"},
			string: "2026-06-01T06:00:00Z/2026-06-01T10:30:00.5Z launch   day",
		},
		{
			in:     "2026-06-01/2026-06-01T01:00:00Z",
			want:   Exclusion{From: at(t, "2026-06-01T00:00:00Z"), To: at(t, "2026-06-01T01:00:00Z")},
			string: "2026-06-01/2026-06-01T01:00:00Z",
		},
	} {
		got, err := ParseExclusion(tc.in)
		if err != nil {
			t.Errorf("ParseExclusion(%q): %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ParseExclusion(%q) (-want +got):\n%s", tc.in, diff)
		}
		if s := got.String(); s != tc.string {
			t.Errorf("ParseExclusion(%q).String() = %q, want %q", tc.in, s, tc.string)
		}
		if back, err := ParseExclusion(got.String()); err != nil || back != got {
			t.Errorf("ParseExclusion(%q) = %+v, %v; want %+v", got.String(), back, err, got)
		}
	}
}

func TestParseExclusionErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "want FROM/TO"},
		{"2026-12-20", "want FROM/TO"},
		{"2026-12-20/2026-12-21/2026-12-22", "want FROM/TO"},
		{"2026-12-20/2026-12-20", "ends at or before it starts"},
		{"2026-12-21/2026-12-20", "ends at or before it starts"},
		{"2026-13-01/2027-01-01", "neither an RFC 3339 time nor a date"},
		{"2026-12-20 00:00/2027-01-01", `"2026-12-20": want FROM/TO`},
		{"2026-12-20T00:00:00/2027-01-01", "neither an RFC 3339 time nor a date"}, // no offset
		{"0000-01-01T00:30:00+01:00/2027-01-01", "year out of range"},
		{"2026-12-20/2027-01-01 bad\x00reason", "control character"},
		{"2026-12-20/2027-01-01 bad\xffreason", "not valid UTF-8"},
	} {
		_, err := ParseExclusion(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseExclusion(%q) error = %v, want it to contain %q", tc.in, err, tc.want)
		}
	}
}

func TestExclusionContains(t *testing.T) {
	e := Exclusion{From: at(t, "2026-12-20T00:00:00Z"), To: at(t, "2027-01-03T00:00:00Z")}
	for _, tc := range []struct {
		at   string
		want bool
	}{
		{"2026-12-19T23:59:59Z", false},
		{"2026-12-20T00:00:00Z", true},
		{"2027-01-02T23:59:59Z", true},
		{"2027-01-03T00:00:00Z", false},
		{"2026-12-20T00:30:00+01:00", false}, // 2026-12-19T23:30Z
	} {
		if got := e.Contains(at(t, tc.at)); got != tc.want {
			t.Errorf("Contains(%s) = %v, want %v", tc.at, got, tc.want)
		}
	}
}
