package schedule

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseCron(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"0 2 * * Sat", "0 2 * * sat"},
		{"  0   22 * *  MON-FRI ", "0 22 * * mon-fri"},
		{"CRON_TZ=Europe/Berlin 0 22 * * 1-5", "CRON_TZ=Europe/Berlin 0 22 * * 1-5"},
		{"TZ=Europe/Berlin 0 22 * * 1-5", "CRON_TZ=Europe/Berlin 0 22 * * 1-5"},
		{"CRON_TZ=UTC */15 * * * *", "*/15 * * * *"},
		{"@daily", "@daily"},
		{"@midnight", "@daily"},
		{"@annually", "@yearly"},
		{"@WEEKLY", "@weekly"},
		{"CRON_TZ=Asia/Tokyo @monthly", "CRON_TZ=Asia/Tokyo @monthly"},
		{"@every 6h", "@every 6h"},
		{"@every 90m", "@every 1h30m"},
		{"@every 1.5s", "@every 1s"},
		{"CRON_TZ=Europe/Berlin @every 6h", "@every 6h"},
	} {
		c, err := ParseCron(tc.in)
		if err != nil {
			t.Errorf("ParseCron(%q): %v", tc.in, err)
			continue
		}
		if got := c.String(); got != tc.want {
			t.Errorf("ParseCron(%q).String() = %q, want %q", tc.in, got, tc.want)
		}
		if back, err := ParseCron(c.String()); err != nil || !back.Equal(c) {
			t.Errorf("ParseCron(%q) = %v, %v; want %v", c.String(), back, err, c)
		}
	}
}

func TestParseCronErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "empty schedule"},
		{"CRON_TZ=Europe/Berlin", "empty schedule"},
		{"CRON_TZ=Europe/Berlin0 2 * * *", "unknown time zone"},
		{"CRON_TZ= 0 2 * * *", "empty time zone"},
		{"CRON_TZ=Local 0 2 * * *", `"Local" is not allowed`},
		{"0 2 * *", "want 5 fields"},
		{"0 0 2 * * *", "want 5 fields"},
		{"60 2 * * *", "above maximum"},
		{"0 2 * * 7", "above maximum"},
		{"0 2 * * Foo", "failed to parse int"},
		{", 2 * * *", "matches no value"},
		{"@every", "want @every DURATION"},
		{"@every 500ms", "at least 1s"},
		{"@every -1h", "at least 1s"},
		{"@every 1x", "@every"},
		{"@fortnightly", "unknown descriptor"},
		{"@daily 0", "unexpected text after @daily"},
	} {
		_, err := ParseCron(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseCron(%q) error = %v, want it to contain %q", tc.in, err, tc.want)
		}
	}
}

func TestCronNext(t *testing.T) {
	for _, tc := range []struct {
		spec string
		from string
		want []string // successive activations, UTC
	}{
		{"0 22 * * Mon-Fri", "2026-11-20T12:00:00Z", []string{"2026-11-20T22:00:00Z", "2026-11-23T22:00:00Z", "2026-11-24T22:00:00Z"}},
		{"0 22 * * Mon-Fri", "2026-11-20T22:00:00Z", []string{"2026-11-23T22:00:00Z"}}, // strictly after
		{"0 22 * * Mon-Fri", "2026-11-20T21:59:59.9Z", []string{"2026-11-20T22:00:00Z"}},
		{"CRON_TZ=Europe/Berlin 0 22 * * Mon-Fri", "2026-11-20T12:00:00Z", []string{"2026-11-20T21:00:00Z", "2026-11-23T21:00:00Z"}},
		{"CRON_TZ=Europe/Berlin 0 22 * * Mon-Fri", "2026-07-03T12:00:00Z", []string{"2026-07-03T20:00:00Z", "2026-07-06T20:00:00Z"}},
		{"CRON_TZ=America/New_York @daily", "2026-11-20T12:00:00Z", []string{"2026-11-21T05:00:00Z", "2026-11-22T05:00:00Z"}},
		{"@weekly", "2026-11-20T12:00:00Z", []string{"2026-11-22T00:00:00Z", "2026-11-29T00:00:00Z"}},
		{"@every 6h", "2026-11-20T12:00:00.25Z", []string{"2026-11-20T18:00:00Z", "2026-11-21T00:00:00Z"}},
		// Wall-clock behaviour across Berlin's DST changes (see the package doc):
		// 02:30 does not exist on 2026-03-29 and happens twice on 2026-10-25.
		{"CRON_TZ=Europe/Berlin 30 2 * * *", "2026-03-28T12:00:00Z", []string{"2026-03-30T00:30:00Z", "2026-03-31T00:30:00Z"}},
		{"CRON_TZ=Europe/Berlin 30 2 * * *", "2026-10-24T12:00:00Z", []string{"2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z", "2026-10-26T01:30:00Z"}},
		{"CRON_TZ=Europe/Berlin 0 3 * * *", "2026-03-28T12:00:00Z", []string{"2026-03-29T01:00:00Z", "2026-03-30T01:00:00Z"}},
	} {
		c, err := ParseCron(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for x := at(t, tc.from); len(got) < len(tc.want); {
			x = c.Next(x)
			got = append(got, x.UTC().Format(time.RFC3339Nano))
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%q from %s (-want +got):\n%s", tc.spec, tc.from, diff)
		}
	}
	if n := mustCron(t, "0 0 30 2 *").Next(at(t, "2026-01-01T00:00:00Z")); !n.IsZero() {
		t.Errorf("Feb 30: Next = %v, want the zero Time", n)
	}
	if n := (Cron{}).Next(at(t, "2026-01-01T00:00:00Z")); !n.IsZero() {
		t.Errorf("zero Cron: Next = %v, want the zero Time", n)
	}
	// The result is in t's location.
	ny := at(t, "2026-11-20T12:00:00-05:00")
	if n := mustCron(t, "@hourly").Next(ny); n.Location() != ny.Location() {
		t.Errorf("Next returned location %v, want %v", n.Location(), ny.Location())
	}
}

func mustCron(tb testing.TB, s string) Cron {
	tb.Helper()
	c, err := ParseCron(s)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}
