package schedule

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func mustCalendar(tb testing.TB, windows, exclusions []string) Calendar {
	tb.Helper()
	c, err := ParseCalendar(windows, exclusions)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func TestParseCalendar(t *testing.T) {
	c := mustCalendar(t, []string{"Mon-Fri 22:00-06:00 Europe/Berlin", "Sat,Sun 00:00-24:00"}, []string{"2026-12-20/2027-01-03 holiday freeze"})
	want := Calendar{
		Windows:    []Window{mustWindow(t, "Mon-Fri 22:00-06:00 Europe/Berlin"), mustWindow(t, "Sat,Sun 00:00-24:00")},
		Exclusions: []Exclusion{{From: at(t, "2026-12-20T00:00:00Z"), To: at(t, "2027-01-03T00:00:00Z"), Reason: "holiday freeze"}},
	}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("ParseCalendar (-want +got):\n%s", diff)
	}
}

func TestParseCalendarErrors(t *testing.T) {
	for _, tc := range []struct {
		windows, exclusions []string
		want                string
	}{
		{[]string{"daily 01:00-02:00", "Mon-Fry 01:00-02:00"}, nil, `windows[1]: schedule: window "Mon-Fry 01:00-02:00": unknown day "fry"`},
		{nil, []string{"2026-12-20/2027-01-03", "2026-12-20"}, `exclusions[1]: schedule: exclusion "2026-12-20": "2026-12-20": want FROM/TO`},
	} {
		_, err := ParseCalendar(tc.windows, tc.exclusions)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseCalendar(%q, %q) error = %v, want it to contain %q", tc.windows, tc.exclusions, err, tc.want)
		}
	}
}

// A calendar used by several tests: weeknights in Berlin, weekends all day
// (UTC), a holiday freeze and a short change freeze inside a window.
func berlin(tb testing.TB) Calendar {
	return mustCalendar(tb,
		[]string{"Mon-Fri 22:00-06:00 Europe/Berlin", "Sat,Sun 00:00-24:00"},
		[]string{"2026-12-20/2027-01-03 holiday freeze", "2026-11-24T22:00:00Z/2026-11-25T01:00:00Z change freeze"})
}

func TestCalendarOpen(t *testing.T) {
	c := berlin(t)
	for _, tc := range []struct {
		at   string
		want bool
	}{
		{"2026-11-23T20:59:59Z", false}, // Mon 21:59:59 CET
		{"2026-11-23T21:00:00Z", true},  // Mon 22:00 CET
		{"2026-11-24T04:59:59Z", true},
		{"2026-11-24T05:00:00Z", false},
		{"2026-11-24T21:59:59Z", true},  // Tue night, before the change freeze
		{"2026-11-24T22:00:00Z", false}, // exclusion overlaps the window
		{"2026-11-25T00:59:59Z", false},
		{"2026-11-25T01:00:00Z", true}, // freeze ends, window still open
		{"2026-11-28T12:00:00Z", true}, // Saturday
		{"2026-12-19T23:59:59Z", true}, // Saturday, before the holiday freeze
		{"2026-12-20T12:00:00Z", false},
		{"2027-01-03T00:00:00Z", true}, // Sunday, freeze over
		{"2027-01-04T12:00:00Z", false},
	} {
		if got := c.Open(at(t, tc.at)); got != tc.want {
			t.Errorf("Open(%s) = %v, want %v", tc.at, got, tc.want)
		}
	}
	if !(Calendar{}).Open(at(t, "2026-11-23T12:00:00Z")) {
		t.Error("empty calendar is closed")
	}
	onlyEx := Calendar{Exclusions: c.Exclusions}
	if onlyEx.Open(at(t, "2026-12-25T12:00:00Z")) || !onlyEx.Open(at(t, "2026-12-19T12:00:00Z")) {
		t.Error("calendar without windows: exclusions not applied")
	}
}

func TestNextOpen(t *testing.T) {
	c := berlin(t)
	for _, tc := range []struct {
		cal    Calendar
		at     string
		want   string // "" when ok is false
		wantOK bool
	}{
		{c, "2026-11-23T12:00:00Z", "2026-11-23T21:00:00Z", true},
		{c, "2026-11-23T21:00:00Z", "2026-11-23T21:00:00Z", true}, // exactly at start: open
		{c, "2026-11-24T05:00:00Z", "2026-11-24T21:00:00Z", true}, // exactly at end: closed
		{c, "2026-11-24T22:00:00Z", "2026-11-25T01:00:00Z", true}, // in the change freeze
		{c, "2026-12-18T12:00:00Z", "2026-12-18T21:00:00Z", true},
		{c, "2026-12-20T00:00:00Z", "2027-01-03T00:00:00Z", true}, // holiday freeze, then Sunday
		{c, "2027-01-04T06:00:00Z", "2027-01-04T21:00:00Z", true},
		{c, "2026-11-23T12:00:00.5+01:00", "2026-11-23T21:00:00Z", true},
		{Calendar{}, "2026-11-23T12:00:00Z", "2026-11-23T12:00:00Z", true},
		{Calendar{Exclusions: []Exclusion{{From: at(t, "2026-01-01T00:00:00Z"), To: at(t, "2028-01-01T00:00:00Z")}}}, "2026-06-01T00:00:00Z", "", false},
		{Calendar{Exclusions: []Exclusion{{From: at(t, "2026-01-01T00:00:00Z"), To: at(t, "2027-01-01T00:00:00Z")}}}, "2026-06-01T00:00:00Z", "2027-01-01T00:00:00Z", true},
		// Opens after the horizon: past the end of the exclusion, but not within 400 days.
		{Calendar{Exclusions: []Exclusion{{From: at(t, "2026-01-01T00:00:00Z"), To: at(t, "2027-07-06T00:00:00Z")}}}, "2026-06-01T00:00:00Z", "", false},
		{Calendar{Windows: []Window{{}}}, "2026-06-01T00:00:00Z", "", false}, // the zero Window never opens
	} {
		got, ok := tc.cal.NextOpen(at(t, tc.at))
		if ok != tc.wantOK || ok && !got.Equal(at(t, tc.want)) {
			t.Errorf("NextOpen(%s) = %v, %v; want %s, %v", tc.at, got, ok, tc.want, tc.wantOK)
		}
	}
	// The result is in t's location.
	t0 := at(t, "2026-11-23T12:00:00Z").In(mustWindow(t, "Mon 01:00-02:00 Europe/Berlin").loc)
	if got, _ := c.NextOpen(t0); got.Location() != t0.Location() {
		t.Errorf("NextOpen returned location %v, want %v", got.Location(), t0.Location())
	}
}

func TestOpenUntil(t *testing.T) {
	c := berlin(t)
	for _, tc := range []struct {
		cal  Calendar
		at   string
		want string
	}{
		{c, "2026-11-23T21:00:00Z", "2026-11-24T05:00:00Z"},
		{c, "2026-11-24T04:59:59Z", "2026-11-24T05:00:00Z"},
		{c, "2026-11-24T05:00:00Z", "2026-11-24T05:00:00Z"}, // closed: returns t
		{c, "2026-11-24T21:00:00Z", "2026-11-24T22:00:00Z"}, // cut by the change freeze
		{c, "2026-11-25T01:00:00Z", "2026-11-25T05:00:00Z"},
		// Friday night runs into the weekend (UTC): one stretch from Friday
		// 22:00 CET to Monday 00:00Z (01:00 CET, which belongs to Sunday night,
		// not a weeknight).
		{c, "2026-11-27T21:00:00Z", "2026-11-30T00:00:00Z"},
		{c, "2026-12-19T12:00:00Z", "2026-12-20T00:00:00Z"}, // cut by the holiday freeze
		{Calendar{}, "2026-11-23T12:00:00Z", "2027-12-28T12:00:00Z"},
		{mustCalendar(t, []string{"daily 00:00-24:00 Europe/Berlin"}, nil), "2026-11-23T12:00:00Z", "2027-12-28T12:00:00Z"},
		{mustCalendar(t, []string{"daily 00:00-24:00 Europe/Berlin"}, []string{"2027-02-01/2027-02-02"}), "2026-11-23T12:00:00Z", "2027-02-01T00:00:00Z"},
		{mustCalendar(t, []string{"Mon 20:00-20:00", "Tue 19:00-02:00"}, nil), "2026-11-23T20:00:00Z", "2026-11-25T02:00:00Z"},
	} {
		got := tc.cal.OpenUntil(at(t, tc.at))
		if !got.Equal(at(t, tc.want)) {
			t.Errorf("OpenUntil(%s) = %v, want %s", tc.at, got.UTC(), tc.want)
		}
	}
}

// TestNextOpenMatchesScan compares NextOpen and OpenUntil with a
// minute-by-minute scan of Open across the 2026 DST changes of Europe/Berlin,
// America/New_York and Australia/Lord_Howe (which moves by 30 minutes).
func TestNextOpenMatchesScan(t *testing.T) {
	cals := []Calendar{
		berlin(t),
		mustCalendar(t, []string{"Fri-Mon 01:00-02:00", "Sun 02:00-04:00 Europe/Berlin", "daily 23:30-00:30 America/New_York"}, nil),
		mustCalendar(t, []string{"Sun 02:30-02:45 Europe/Berlin", "daily 02:00-03:00 Europe/Berlin"}, []string{"2026-03-10T10:00:00Z/2026-03-12T10:00:00Z"}),
		mustCalendar(t, []string{"daily 01:45-02:15 Australia/Lord_Howe", "Mon-Wed 02:00-02:00 Asia/Kolkata"}, nil),
		mustCalendar(t, []string{"Mon 00:00-24:00", "Tue 00:00-12:00", "Mon 20:00-02:00 America/New_York"}, nil),
		mustCalendar(t, nil, []string{"2026-03-03/2026-03-04", "2026-03-03T12:00:00Z/2026-03-06T00:00:00Z", "2026-10-01T00:00:00Z/2026-10-01T00:01:00Z"}),
	}
	spans := [][2]string{{"2026-03-01T00:00:00Z", "2026-04-10T00:00:00Z"}, {"2026-09-28T00:00:00Z", "2026-11-05T00:00:00Z"}}
	for ci, c := range cals {
		for _, span := range spans {
			t0, t1 := at(t, span[0]), at(t, span[1])
			n := int(t1.Sub(t0) / time.Minute)
			open := make([]bool, n)
			for i := range open {
				open[i] = c.Open(t0.Add(time.Duration(i) * time.Minute))
			}
			// nextOpen[i], nextClosed[i]: first minute >= i that is open / closed; n if none.
			nextOpen, nextClosed := make([]int, n+1), make([]int, n+1)
			nextOpen[n], nextClosed[n] = n, n
			for i := n - 1; i >= 0; i-- {
				nextOpen[i], nextClosed[i] = nextOpen[i+1], nextClosed[i+1]
				if open[i] {
					nextOpen[i] = i
				} else {
					nextClosed[i] = i
				}
			}
			for i := 0; i < n; i += 7 {
				ti := t0.Add(time.Duration(i) * time.Minute)
				got, ok := c.NextOpen(ti)
				if j := nextOpen[i]; j < n {
					if want := t0.Add(time.Duration(j) * time.Minute); !ok || !got.Equal(want) {
						t.Fatalf("calendar %d: NextOpen(%s) = %v, %v; scan says %s", ci, ti.Format(time.RFC3339), got.UTC(), ok, want.Format(time.RFC3339))
					}
					// A start between minutes behaves like the next minute.
					if j > i {
						half := ti.Add(30 * time.Second)
						if got, ok := c.NextOpen(half); !ok || !got.Equal(t0.Add(time.Duration(j)*time.Minute)) {
							t.Fatalf("calendar %d: NextOpen(%s) = %v, %v", ci, half.Format(time.RFC3339), got.UTC(), ok)
						}
					}
				} else if ok && got.Before(t1) {
					t.Fatalf("calendar %d: NextOpen(%s) = %v; scan finds nothing before %s", ci, ti.Format(time.RFC3339), got.UTC(), span[1])
				}
				until := c.OpenUntil(ti)
				if j := nextClosed[i]; j < n {
					if want := t0.Add(time.Duration(j) * time.Minute); !until.Equal(want) {
						t.Fatalf("calendar %d: OpenUntil(%s) = %v; scan says %s", ci, ti.Format(time.RFC3339), until.UTC(), want.Format(time.RFC3339))
					}
				} else if until.Before(t1) {
					t.Fatalf("calendar %d: OpenUntil(%s) = %v; scan finds it open until %s", ci, ti.Format(time.RFC3339), until.UTC(), span[1])
				}
			}
		}
	}
}

func TestWhy(t *testing.T) {
	c := berlin(t)
	two := mustCalendar(t, []string{"Mon-Fri 22:00-06:00 Europe/Berlin", "Sun 01:00-02:00"}, nil)
	never := mustCalendar(t, []string{"daily 01:00-02:00"}, []string{"2026-01-01/2028-01-01"})
	anon := Calendar{Exclusions: []Exclusion{{From: at(t, "2026-11-24T22:00:00Z"), To: at(t, "2026-11-25T01:00:00Z")}}}
	for _, tc := range []struct {
		cal  Calendar
		at   string
		want string
	}{
		{c, "2026-11-23T21:00:00Z", ""},
		{c, "2026-11-23T12:00:00Z", "outside windows Mon-Fri 22:00-06:00 Europe/Berlin, Sat,Sun 00:00-24:00; next opens 2026-11-23T21:00:00Z"},
		{c, "2026-12-24T12:00:00Z", "in exclusion holiday freeze until 2027-01-03T00:00:00Z"},
		{c, "2026-11-24T23:00:00Z", "in exclusion change freeze until 2026-11-25T01:00:00Z"},
		{mustCalendar(t, []string{"Mon-Fri 22:00-06:00 Europe/Berlin"}, nil), "2026-11-22T12:00:00Z", "outside window Mon-Fri 22:00-06:00 Europe/Berlin; next opens 2026-11-23T21:00:00Z"},
		{two, "2026-11-21T12:00:00Z", "outside windows Mon-Fri 22:00-06:00 Europe/Berlin, Sun 01:00-02:00; next opens 2026-11-22T01:00:00Z"},
		{never, "2026-06-01T12:00:00Z", "in exclusion 2026-01-01/2028-01-01 until 2028-01-01T00:00:00Z"},
		{mustCalendar(t, []string{"daily 01:00-02:00"}, []string{"2026-06-02/2028-01-01 long freeze"}), "2026-06-01T12:00:00Z", "outside window daily 01:00-02:00; does not open within 400 days"},
		{anon, "2026-11-24T23:00:00Z", "in exclusion 2026-11-24T22:00:00Z/2026-11-25T01:00:00Z until 2026-11-25T01:00:00Z"},
	} {
		if got := tc.cal.Why(at(t, tc.at)); got != tc.want {
			t.Errorf("Why(%s) = %q, want %q", tc.at, got, tc.want)
		}
	}
}

func TestFeasible(t *testing.T) {
	from := at(t, "2026-11-23T00:00:00Z") // Monday
	week := 7 * 24 * time.Hour
	nights := mustCalendar(t, []string{"Mon-Fri 22:00-06:00 Europe/Berlin"}, nil)
	for _, tc := range []struct {
		name       string
		cal        Calendar
		need, min  time.Duration
		horizon    time.Duration
		wantErrSub string // "" for feasible
	}{
		{"five nights of 8h", nights, 40 * time.Hour, 8 * time.Hour, week, ""},
		{"more than five nights", nights, 41 * time.Hour, 8 * time.Hour, week, "calendar offers 40h0m0s of open time in 5 stretches of at least 8h0m0s within 168h0m0s from 2026-11-23T00:00:00Z (longest stretch 8h0m0s); need 41h0m0s"},
		{"stretches too short", nights, 4 * time.Hour, 9 * time.Hour, week, "offers 0s of open time in 0 stretches of at least 9h0m0s"},
		// Four nights and two hours of Friday's (21:00Z-23:00Z).
		{"horizon cuts the last night", nights, 34 * time.Hour, time.Hour, 4*24*time.Hour + 23*time.Hour, ""},
		{"horizon cuts below need", nights, 35 * time.Hour, time.Hour, 4*24*time.Hour + 23*time.Hour, "offers 34h0m0s of open time in 5 stretches"},
		{"horizon cut stretch too short", nights, 33 * time.Hour, 3 * time.Hour, 4*24*time.Hour + 23*time.Hour, "offers 32h0m0s of open time in 4 stretches"},
		{"no need", Calendar{Exclusions: []Exclusion{{From: from, To: from.Add(1000 * 24 * time.Hour)}}}, 0, time.Hour, week, ""},
		{"always open", Calendar{}, 100 * time.Hour, 100 * time.Hour, week, ""},
		{"always open, short horizon", Calendar{}, 100 * time.Hour, time.Hour, 99 * time.Hour, "offers 99h0m0s of open time in 1 stretches"},
		{"freeze longer than the lookahead", Calendar{Exclusions: []Exclusion{{From: from, To: from.Add(500 * 24 * time.Hour)}}}, time.Hour, time.Hour, 600 * 24 * time.Hour, ""},
		{"holiday freeze", mustCalendar(t, []string{"Mon-Fri 22:00-06:00 Europe/Berlin"}, []string{"2026-11-24/2026-11-28"}), 8 * time.Hour, 4 * time.Hour, week, "offers 5h0m0s of open time in 1 stretches of at least 4h0m0s within 168h0m0s from 2026-11-23T00:00:00Z (longest stretch 5h0m0s); need 8h0m0s"},
		{"holiday freeze, short stretches allowed", mustCalendar(t, []string{"Mon-Fri 22:00-06:00 Europe/Berlin"}, []string{"2026-11-24/2026-11-28"}), 8 * time.Hour, 3 * time.Hour, week, ""},
	} {
		err := tc.cal.Feasible(from, tc.need, tc.min, tc.horizon)
		switch {
		case tc.wantErrSub == "" && err != nil:
			t.Errorf("%s: Feasible: %v", tc.name, err)
		case tc.wantErrSub != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErrSub)):
			t.Errorf("%s: Feasible error = %v, want it to contain %q", tc.name, err, tc.wantErrSub)
		}
	}
}

func BenchmarkNextOpen(b *testing.B) {
	// A closed week: the only window opens on Sunday, asked on Monday, with
	// an exclusion and a second zone in play.
	c := mustCalendar(b, []string{"Sun 22:00-02:00 Europe/Berlin", "Sat 01:00-02:00 America/New_York"}, []string{"2026-11-28/2026-11-29 freeze"})
	t0 := at(b, "2026-11-23T06:00:00Z")
	for b.Loop() {
		if _, ok := c.NextOpen(t0); !ok {
			b.Fatal("never opens")
		}
	}
}

func BenchmarkOpenUntil(b *testing.B) {
	c := mustCalendar(b, []string{"Mon-Fri 22:00-06:00 Europe/Berlin", "Sat,Sun 00:00-24:00"}, []string{"2026-12-20/2027-01-03 holiday freeze"})
	t0 := at(b, "2026-11-27T22:00:00Z")
	for b.Loop() {
		c.OpenUntil(t0)
	}
}
