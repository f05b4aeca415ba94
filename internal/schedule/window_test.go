package schedule

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // tests must not depend on the machine's zoneinfo

	"github.com/google/go-cmp/cmp"
)

// at parses an RFC 3339 time or fails the test.
func at(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

func mustWindow(tb testing.TB, s string) Window {
	tb.Helper()
	w, err := ParseWindow(s)
	if err != nil {
		tb.Fatal(err)
	}
	return w
}

func TestParseWindow(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Mon-Fri 22:00-06:00 Europe/Berlin", "Mon-Fri 22:00-06:00 Europe/Berlin"},
		{"daily 02:00-06:00", "daily 02:00-06:00"},
		{"Sat,Sun 00:00-24:00 UTC", "Sat,Sun 00:00-24:00"},
		{"Tue 01:30-03:00", "Tue 01:30-03:00"},
		{"*  2:00-6:00", "daily 02:00-06:00"},
		{"Fri-Mon 22:00-06:00", "Fri-Mon 22:00-06:00"},
		{"friday-MONDAY 22:00-06:00", "Fri-Mon 22:00-06:00"},
		{"Sun-Sat 01:00-02:00", "daily 01:00-02:00"},
		{"Mon,Tue,Wed,Fri 01:00-02:00", "Mon-Wed,Fri 01:00-02:00"},
		{"Sun,Mon 01:00-02:00", "Sun,Mon 01:00-02:00"},
		{"Wed,Sat-Mon 01:00-02:00", "Wed,Sat-Mon 01:00-02:00"},
		{"Mon,Mon-Tue 01:00-02:00", "Mon,Tue 01:00-02:00"},
		{"Mon,daily 01:00-02:00", "daily 01:00-02:00"},
		{"Thursday 23:59-00:00 America/New_York", "Thu 23:59-00:00 America/New_York"},
		{"Mon 22:00-22:00", "Mon 22:00-22:00"},
	} {
		w, err := ParseWindow(tc.in)
		if err != nil {
			t.Errorf("ParseWindow(%q): %v", tc.in, err)
			continue
		}
		if got := w.String(); got != tc.want {
			t.Errorf("ParseWindow(%q).String() = %q, want %q", tc.in, got, tc.want)
		}
		back, err := ParseWindow(w.String())
		if err != nil {
			t.Errorf("ParseWindow(%q): %v", w.String(), err)
		} else if back != w {
			t.Errorf("ParseWindow(%q) = %+v, want %+v", w.String(), back, w)
		}
	}
}

func TestParseWindowErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "want DAYS HH:MM-HH:MM"},
		{"Mon", "want DAYS HH:MM-HH:MM"},
		{"Mon 01:00-02:00 UTC extra", "want DAYS HH:MM-HH:MM"},
		{"Mon-Fry 01:00-02:00", `unknown day "fry"`},
		{"Mon, 01:00-02:00", `unknown day ""`},
		{"Mon 01:00", "want HH:MM-HH:MM"},
		{"Mon 24:00-02:00", "24:00 only as an end"},
		{"Mon 01:00-24:01", "hour out of range"},
		{"Mon 01:60-02:00", "minutes out of range"},
		{"Mon 01:00-25:00", "hour out of range"},
		{"Mon 1:0-02:00", "want HH:MM"},
		{"Mon +1:00-02:00", "want HH:MM"},
		{"Mon 001:00-02:00", "want HH:MM"},
		{"Mon 01:00-02:00 Mars/Olympus", `unknown time zone "Mars/Olympus"`},
		{"Mon 01:00-02:00 Local", `"Local" is not allowed`},
	} {
		_, err := ParseWindow(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseWindow(%q) error = %v, want it to contain %q", tc.in, err, tc.want)
		}
	}
}

func TestWindowContains(t *testing.T) {
	// 2026-11-20 is a Friday.
	for _, tc := range []struct {
		window string
		at     string
		want   bool
	}{
		{"Fri 22:00-06:00", "2026-11-20T21:59:59Z", false},
		{"Fri 22:00-06:00", "2026-11-20T22:00:00Z", true}, // start is inside
		{"Fri 22:00-06:00", "2026-11-21T05:59:59.999Z", true},
		{"Fri 22:00-06:00", "2026-11-21T06:00:00Z", false}, // end is outside
		{"Fri 22:00-06:00", "2026-11-21T22:30:00Z", false}, // Saturday night is not Friday's
		{"Fri 22:00-06:00", "2026-11-20T03:00:00Z", false}, // Friday morning belongs to Thursday
		{"Fri-Mon 01:00-02:00", "2026-11-20T01:30:00Z", true},
		{"Fri-Mon 01:00-02:00", "2026-11-22T01:30:00Z", true},  // Sunday
		{"Fri-Mon 01:00-02:00", "2026-11-23T01:30:00Z", true},  // Monday
		{"Fri-Mon 01:00-02:00", "2026-11-24T01:30:00Z", false}, // Tuesday
		{"Sun 22:00-06:00", "2026-11-23T05:00:00Z", true},      // wraps into Monday and the week
		{"Mon 00:00-24:00", "2026-11-23T00:00:00Z", true},
		{"Mon 00:00-24:00", "2026-11-23T23:59:59Z", true},
		{"Mon 00:00-24:00", "2026-11-24T00:00:00Z", false},
		{"Mon 22:00-22:00", "2026-11-24T21:59:00Z", true},
		{"Mon 22:00-22:00", "2026-11-24T22:00:00Z", false},
		{"Mon-Fri 22:00-06:00 Europe/Berlin", "2026-11-23T21:00:00Z", true}, // 22:00 CET
		{"Mon-Fri 22:00-06:00 Europe/Berlin", "2026-11-23T20:59:00Z", false},
		{"Mon-Fri 22:00-06:00 Europe/Berlin", "2026-11-21T04:59:00Z", true}, // Sat 05:59 CET, Friday's
		{"Mon-Fri 22:00-06:00 Europe/Berlin", "2026-11-21T05:00:00Z", false},
		{"Mon-Fri 22:00-06:00 Europe/Berlin", "2026-07-06T20:00:00Z", true}, // 22:00 CEST
		{"Tue 01:30-03:00", "2026-11-24T01:30:00+00:00", true},
		{"Tue 01:30-03:00", "2026-11-24T02:30:00+01:00", true}, // same instant, other offset
	} {
		w := mustWindow(t, tc.window)
		if got := w.Contains(at(t, tc.at)); got != tc.want {
			t.Errorf("%q.Contains(%s) = %v, want %v", tc.window, tc.at, got, tc.want)
		}
	}
	if (Window{}).Contains(at(t, "2026-11-24T02:30:00Z")) {
		t.Error("zero Window contains an instant")
	}
}

// stretches lists the open stretches of c that begin before end, as
// "FROM..TO" in UTC.
func stretches(tb testing.TB, c Calendar, from, end time.Time) []string {
	tb.Helper()
	var out []string
	for cur := from; ; {
		n, ok := c.NextOpen(cur)
		if !ok || !n.Before(end) {
			return out
		}
		u := c.OpenUntil(n)
		out = append(out, n.UTC().Format(time.RFC3339)+".."+u.UTC().Format(time.RFC3339))
		cur = u
	}
}

// TestWindowDST pins the wall-clock behaviour across Europe/Berlin's 2026
// changes, as the package documentation describes it.
func TestWindowDST(t *testing.T) {
	spring := [2]string{"2026-03-28T00:00:00Z", "2026-03-30T00:00:00Z"}
	autumn := [2]string{"2026-10-24T00:00:00Z", "2026-10-26T00:00:00Z"}
	for _, tc := range []struct {
		window string
		span   [2]string
		want   []string
	}{
		// 02:00-03:00 does not exist on 2026-03-29: the window opens when
		// the clock jumps to 03:00 (01:00Z).
		{"Sun 02:00-04:00 Europe/Berlin", spring, []string{"2026-03-29T01:00:00Z..2026-03-29T02:00:00Z"}},
		{"Sun 02:00-02:30 Europe/Berlin", spring, nil},
		{"Sun 02:30-04:00 Europe/Berlin", spring, []string{"2026-03-29T01:00:00Z..2026-03-29T02:00:00Z"}},
		{"Sat 22:00-06:00 Europe/Berlin", spring, []string{"2026-03-28T21:00:00Z..2026-03-29T04:00:00Z"}},
		{"daily 01:00-03:00 Europe/Berlin", spring, []string{
			"2026-03-28T00:00:00Z..2026-03-28T02:00:00Z",
			"2026-03-29T00:00:00Z..2026-03-29T01:00:00Z", // closes at the jump to 03:00
			"2026-03-29T23:00:00Z..2026-03-30T01:00:00Z", // CEST from now on
		}},
		// 02:00-03:00 happens twice on 2026-10-25 (00:00Z-01:00Z CEST and
		// 01:00Z-02:00Z CET).
		{"Sun 02:00-04:00 Europe/Berlin", autumn, []string{"2026-10-25T00:00:00Z..2026-10-25T03:00:00Z"}},
		{"Sun 02:00-02:30 Europe/Berlin", autumn, []string{
			"2026-10-25T00:00:00Z..2026-10-25T00:30:00Z",
			"2026-10-25T01:00:00Z..2026-10-25T01:30:00Z", // reopens at the jump back
		}},
		{"Sun 02:30-04:00 Europe/Berlin", autumn, []string{
			"2026-10-25T00:30:00Z..2026-10-25T01:00:00Z",
			"2026-10-25T01:30:00Z..2026-10-25T03:00:00Z",
		}},
		{"Sat 22:00-06:00 Europe/Berlin", autumn, []string{"2026-10-24T20:00:00Z..2026-10-25T05:00:00Z"}},
	} {
		c := Calendar{Windows: []Window{mustWindow(t, tc.window)}}
		got := stretches(t, c, at(t, tc.span[0]), at(t, tc.span[1]))
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%q from %s to %s: stretches (-want +got):\n%s", tc.window, tc.span[0], tc.span[1], diff)
		}
	}
}
