package schedule

import (
	"testing"
	"time"
)

func FuzzParseWindow(f *testing.F) {
	for _, s := range []string{
		"Mon-Fri 22:00-06:00 Europe/Berlin", "daily 02:00-06:00", "Sat,Sun 00:00-24:00 UTC",
		"Tue 01:30-03:00", "Fri-Mon 22:00-06:00", "* 0:00-0:00", "mon,WED-fri 23:59-24:00 Asia/Kolkata",
	} {
		f.Add(s)
	}
	t0 := time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		w, err := ParseWindow(s)
		if err != nil {
			return
		}
		out := w.String()
		back, err := ParseWindow(out)
		if err != nil {
			t.Fatalf("ParseWindow(%q) ok, but its String %q does not parse: %v", s, out, err)
		}
		if back != w || !back.Equal(w) || back.String() != out {
			t.Fatalf("ParseWindow(%q) = %+v; String %q reads back as %+v", s, w, out, back)
		}
		for i := 0; i < 4; i++ {
			x := t0.Add(time.Duration(i) * 25 * time.Hour)
			if w.Contains(x) != back.Contains(x) {
				t.Fatalf("%q and %q disagree at %v", s, out, x)
			}
		}
	})
}

func FuzzParseExclusion(f *testing.F) {
	for _, s := range []string{
		"2026-12-20T00:00:00Z/2027-01-03T00:00:00Z holiday freeze", "2026-12-20/2027-01-03",
		"2026-06-01T08:00:00+02:00/2026-06-01T12:30:00.5+02:00 launch", "2026-06-01/2026-06-01T01:00:00Z",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseExclusion(s)
		if err != nil {
			return
		}
		if !e.To.After(e.From) {
			t.Fatalf("ParseExclusion(%q) = %+v: empty", s, e)
		}
		out := e.String()
		back, err := ParseExclusion(out)
		if err != nil {
			t.Fatalf("ParseExclusion(%q) ok, but its String %q does not parse: %v", s, out, err)
		}
		if back != e || back.String() != out {
			t.Fatalf("ParseExclusion(%q) = %+v; String %q reads back as %+v", s, e, out, back)
		}
	})
}

func FuzzParseCron(f *testing.F) {
	for _, s := range []string{
		"0 2 * * Sat", "CRON_TZ=Europe/Berlin 0 22 * * 1-5", "TZ=America/New_York */15 9-17 * * mon-fri",
		"@daily", "@every 6h", "@every 1.5s", "0 0 30 2 *", "5,10-20/5 * 1 jan,jul ?",
	} {
		f.Add(s)
	}
	t0 := time.Date(2026, 10, 24, 23, 59, 30, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCron(s)
		if err != nil {
			return
		}
		out := c.String()
		back, err := ParseCron(out)
		if err != nil {
			t.Fatalf("ParseCron(%q) ok, but its String %q does not parse: %v", s, out, err)
		}
		if !back.Equal(c) || back.String() != out {
			t.Fatalf("ParseCron(%q) = %v; String %q reads back as %v", s, c, out, back)
		}
		x := t0
		for i := 0; i < 3; i++ {
			n := c.Next(x)
			if n.IsZero() {
				return
			}
			if !n.After(x) {
				t.Fatalf("%q: Next(%v) = %v, not after it", s, x, n)
			}
			if m := back.Next(x); !m.Equal(n) {
				t.Fatalf("%q: Next(%v) = %v, but %q gives %v", s, x, n, out, m)
			}
			x = n
		}
	})
}

// FuzzNextOpen checks, for a calendar of up to two fuzzed windows and one
// fuzzed exclusion, that NextOpen(t) is open, that nothing sampled between t
// and NextOpen(t) is, and that OpenUntil(NextOpen(t)) ends a stretch that is
// open throughout (at the sampled points) and closed at its end.
func FuzzNextOpen(f *testing.F) {
	f.Add("Mon-Fri 22:00-06:00 Europe/Berlin", "Sat,Sun 00:00-24:00", "2026-03-28/2026-03-29", int64(0), uint32(0))
	f.Add("Sun 02:00-02:30 Europe/Berlin", "", "", int64(2026*3), uint32(0))
	f.Add("daily 01:45-02:15 Australia/Lord_Howe", "Mon 22:00-22:00", "2026-10-04T00:00:00Z/2026-10-05T00:00:00Z x", int64(-7), uint32(90061))
	base := time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, w1, w2, ex string, days int64, secs uint32) {
		var c Calendar
		for _, s := range []string{w1, w2} {
			if w, err := ParseWindow(s); err == nil {
				c.Windows = append(c.Windows, w)
			}
		}
		if e, err := ParseExclusion(ex); err == nil {
			c.Exclusions = append(c.Exclusions, e)
		}
		t0 := base.Add(time.Duration(days%1000)*24*time.Hour + time.Duration(secs)*time.Millisecond)
		n, ok := c.NextOpen(t0)
		if !ok {
			for i := 0; i < 16; i++ {
				if x := t0.Add(time.Duration(i) * Horizon / 16); c.Open(x) {
					t.Fatalf("NextOpen(%v) = never, but open at %v", t0, x)
				}
			}
			return
		}
		if n.Before(t0) || !c.Open(n) {
			t.Fatalf("NextOpen(%v) = %v: before t or closed", t0, n)
		}
		for _, x := range samples(t0, n) {
			if c.Open(x) {
				t.Fatalf("NextOpen(%v) = %v, but open at %v", t0, n, x)
			}
		}
		u := c.OpenUntil(n)
		if !u.After(n) {
			t.Fatalf("OpenUntil(%v) = %v: not after it", n, u)
		}
		if u.Before(n.Add(Horizon)) && c.Open(u) {
			t.Fatalf("OpenUntil(%v) = %v, but open there", n, u)
		}
		for _, x := range samples(n, u) {
			if !c.Open(x) {
				t.Fatalf("OpenUntil(%v) = %v, but closed at %v", n, u, x)
			}
		}
	})
}

// samples returns a few instants in [a, b): a, evenly spaced points, and the
// nanosecond, second and minute before b.
func samples(a, b time.Time) []time.Time {
	if !a.Before(b) {
		return nil
	}
	d := b.Sub(a)
	out := []time.Time{a}
	for i := 1; i < 8; i++ {
		out = append(out, a.Add(d/8*time.Duration(i)))
	}
	for _, back := range []time.Duration{time.Nanosecond, time.Second, time.Minute} {
		if back <= d {
			out = append(out, b.Add(-back))
		}
	}
	return out
}
