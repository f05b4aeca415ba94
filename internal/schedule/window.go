package schedule

import (
	"fmt"
	"strings"
	"time"
)

const (
	day         = 24 * time.Hour
	minsPerDay  = 24 * 60
	allDays     = 1<<7 - 1
	maxWallStep = 16 // bound on chained occurrences in wallNextClosed (7 per week)
)

// Window is a recurring weekly time window in a time zone, like kured's
// --reboot-days/--start-time/--end-time/--time-zone. The zero Window contains
// no instant. Windows from ParseWindow compare equal with == exactly when
// their String forms are equal.
type Window struct {
	days  uint8  // bit i set: the window opens on time.Weekday(i)
	start uint16 // minutes after local midnight, 0..1439
	end   uint16 // minutes after local midnight, 0..1440; end <= start crosses midnight
	zone  string // IANA name; "UTC" by default
	loc   *time.Location
}

var dayNames = map[string]time.Weekday{
	"sun": time.Sunday, "sunday": time.Sunday,
	"mon": time.Monday, "monday": time.Monday,
	"tue": time.Tuesday, "tuesday": time.Tuesday,
	"wed": time.Wednesday, "wednesday": time.Wednesday,
	"thu": time.Thursday, "thursday": time.Thursday,
	"fri": time.Friday, "friday": time.Friday,
	"sat": time.Saturday, "saturday": time.Saturday,
}

var shortDay = [7]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}

// ParseWindow parses "DAYS HH:MM-HH:MM [ZONE]", for example
// "Mon-Fri 22:00-06:00 Europe/Berlin", "daily 02:00-06:00",
// "Sat,Sun 00:00-24:00 UTC" or "Tue 01:30-03:00". See the package
// documentation for the forms accepted.
func ParseWindow(s string) (Window, error) {
	fail := func(format string, args ...any) (Window, error) {
		return Window{}, fmt.Errorf("schedule: window %q: %s", s, fmt.Sprintf(format, args...))
	}
	f := strings.Fields(s)
	if len(f) < 2 || len(f) > 3 {
		return fail("want DAYS HH:MM-HH:MM [ZONE], e.g. \"Mon-Fri 22:00-06:00 Europe/Berlin\"")
	}
	days, err := parseDays(f[0])
	if err != nil {
		return fail("%v", err)
	}
	from, to, ok := strings.Cut(f[1], "-")
	if !ok {
		return fail("interval %q: want HH:MM-HH:MM", f[1])
	}
	start, err := parseClock(from, false)
	if err != nil {
		return fail("start %v", err)
	}
	end, err := parseClock(to, true)
	if err != nil {
		return fail("end %v", err)
	}
	w := Window{days: days, start: start, end: end, zone: "UTC", loc: time.UTC}
	if len(f) == 3 {
		loc, err := loadZone(f[2])
		if err != nil {
			return fail("%v", err)
		}
		w.loc = loc
		if loc != time.UTC {
			w.zone = f[2]
		}
	}
	return w, nil
}

// parseDays reads "Mon-Fri", "Fri-Mon" (wraps), "Sat,Sun", "Mon-Wed,Fri",
// "daily" or "*"; names are case-insensitive, short or full.
func parseDays(s string) (uint8, error) {
	var days uint8
	for _, part := range strings.Split(s, ",") {
		lp := strings.ToLower(part)
		if lp == "daily" || lp == "*" {
			days = allDays
			continue
		}
		a, b, isRange := strings.Cut(lp, "-")
		first, ok := dayNames[a]
		if !ok {
			return 0, fmt.Errorf("unknown day %q (want Mon..Sun, a range like Mon-Fri, a list, or daily)", part)
		}
		last := first
		if isRange {
			if last, ok = dayNames[b]; !ok {
				return 0, fmt.Errorf("unknown day %q in range %q", b, part)
			}
		}
		for d := first; ; d = (d + 1) % 7 {
			days |= 1 << d
			if d == last {
				break
			}
		}
	}
	return days, nil
}

// parseClock reads H:MM or HH:MM; "24:00" only as an end.
func parseClock(s string, isEnd bool) (uint16, error) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) < 1 || len(h) > 2 || len(m) != 2 || !digits(h) || !digits(m) {
		return 0, fmt.Errorf("time %q: want HH:MM", s)
	}
	hh := int(h[0] - '0')
	if len(h) == 2 {
		hh = hh*10 + int(h[1]-'0')
	}
	mm := int(m[0]-'0')*10 + int(m[1]-'0')
	switch {
	case mm > 59:
		return 0, fmt.Errorf("time %q: minutes out of range", s)
	case hh == 24 && mm == 0 && isEnd:
		return minsPerDay, nil
	case hh > 23:
		return 0, fmt.Errorf("time %q: hour out of range (24:00 only as an end)", s)
	}
	return uint16(hh*60 + mm), nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String returns the canonical form, which ParseWindow reads back to an
// equal Window: days as "daily" or Mon-first ranges and lists, times as
// HH:MM, and the zone unless it is UTC. The zero Window gives "".
func (w Window) String() string {
	if w.days == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(formatDays(w.days))
	fmt.Fprintf(&b, " %02d:%02d-%02d:%02d", w.start/60, w.start%60, w.end/60, w.end%60)
	if w.zone != "" && w.zone != "UTC" {
		b.WriteString(" ")
		b.WriteString(w.zone)
	}
	return b.String()
}

// formatDays writes runs of days in Monday-first order; a run may wrap past
// Sunday (Fri-Mon). Runs of two are written as lists.
func formatDays(days uint8) string {
	if days == allDays {
		return "daily"
	}
	has := func(i int) bool { return days&(1<<((i+1)%7)) != 0 } // i: 0=Mon..6=Sun
	var parts []string
	for i := 0; i < 7; i++ {
		if !has(i) || has((i+6)%7) {
			continue // not the first day of a run
		}
		n := 1
		for has((i + n) % 7) {
			n++
		}
		first, last := shortDay[(i+1)%7], shortDay[(i+n)%7]
		switch n {
		case 1:
			parts = append(parts, first)
		case 2:
			parts = append(parts, first, last)
		default:
			parts = append(parts, first+"-"+last)
		}
	}
	return strings.Join(parts, ",")
}

// Equal reports whether w and o are the same window (go-cmp uses it).
func (w Window) Equal(o Window) bool {
	return w.days == o.days && w.start == o.start && w.end == o.end && w.location() == o.location()
}

func (w Window) location() *time.Location {
	if w.loc == nil {
		return time.UTC
	}
	return w.loc
}

// Contains reports whether the wall-clock reading of t in the window's zone
// falls inside an occurrence of the window (start inclusive, end exclusive).
func (w Window) Contains(t time.Time) bool {
	if w.days == 0 {
		return false
	}
	_, off := t.In(w.location()).Zone()
	return w.wallOpen(wallClock(t, off))
}

// wallClock returns t's wall-clock reading under offset off as a UTC time,
// so that wall-clock arithmetic is plain duration arithmetic.
func wallClock(t time.Time, off int) time.Time {
	return t.UTC().Add(time.Duration(off) * time.Second)
}

func (w Window) on(d time.Time) bool { return w.days&(1<<d.Weekday()) != 0 }

func (w Window) wraps() bool { return w.end <= w.start }

// occurrence returns the wall-clock bounds of the occurrence starting on the
// day that begins at d (a UTC midnight).
func (w Window) occurrence(d time.Time) (from, to time.Time) {
	from = d.Add(time.Duration(w.start) * time.Minute)
	to = d.Add(time.Duration(w.end) * time.Minute)
	if w.wraps() {
		to = to.Add(day)
	}
	return from, to
}

// wallOpen reports whether wall-clock reading x (as UTC) is inside an
// occurrence: today's, or yesterday's when the window crosses midnight.
func (w Window) wallOpen(x time.Time) bool {
	_, ok := w.wallEnd(x)
	return ok
}

// wallEnd returns the latest end among the occurrences containing x.
func (w Window) wallEnd(x time.Time) (time.Time, bool) {
	d := x.Truncate(day)
	var end time.Time
	found := false
	if w.on(d) {
		if from, to := w.occurrence(d); !x.Before(from) && x.Before(to) {
			end, found = to, true
		}
	}
	if w.wraps() {
		if y := d.Add(-day); w.on(y) {
			if from, to := w.occurrence(y); !x.Before(from) && x.Before(to) && (!found || to.After(end)) {
				end, found = to, true
			}
		}
	}
	return end, found
}

// wallNextOpen returns the first wall-clock reading >= x inside the window.
func (w Window) wallNextOpen(x time.Time) time.Time {
	if w.wallOpen(x) {
		return x
	}
	d := x.Truncate(day)
	for k := 0; k <= 7; k++ {
		if w.on(d) {
			if from, _ := w.occurrence(d); !from.Before(x) {
				return from
			}
		}
		d = d.Add(day)
	}
	panic("schedule: window with days opens within no week") // unreachable: days != 0
}

// wallNextClosed returns the first wall-clock reading >= x outside the
// window; ok is false when the window never closes (it covers every day).
func (w Window) wallNextClosed(x time.Time) (time.Time, bool) {
	for i := 0; i < maxWallStep; i++ {
		end, open := w.wallEnd(x)
		if !open {
			return x, true
		}
		x = end
	}
	return time.Time{}, false
}

// nextOpen returns the first instant >= t at which the window contains the
// instant, looking no further than limit. It walks the zone's periods of
// constant UTC offset: inside one, wall clock = instant + offset, so the
// answer is found arithmetically from the wall-clock occurrences.
func (w Window) nextOpen(t, limit time.Time) (time.Time, bool) {
	if w.days == 0 {
		return time.Time{}, false
	}
	loc := w.location()
	for cur := t; cur.Before(limit); {
		lt := cur.In(loc)
		_, off := lt.Zone()
		_, zoneEnd := lt.ZoneBounds()
		shift := time.Duration(off) * time.Second
		u := w.wallNextOpen(wallClock(cur, off)).Add(-shift)
		if zoneEnd.IsZero() || u.Before(zoneEnd) || !zoneEnd.After(cur) {
			return u, true
		}
		cur = zoneEnd
	}
	return time.Time{}, false
}

// nextClosed returns the first instant >= t outside the window; ok is false
// when the window stays open until limit.
func (w Window) nextClosed(t, limit time.Time) (time.Time, bool) {
	if w.days == 0 {
		return t, true
	}
	loc := w.location()
	for cur := t; cur.Before(limit); {
		lt := cur.In(loc)
		_, off := lt.Zone()
		_, zoneEnd := lt.ZoneBounds()
		shift := time.Duration(off) * time.Second
		x, ok := w.wallNextClosed(wallClock(cur, off))
		if ok {
			u := x.Add(-shift)
			if zoneEnd.IsZero() || u.Before(zoneEnd) || !zoneEnd.After(cur) {
				return u, true
			}
		}
		if zoneEnd.IsZero() || !zoneEnd.After(cur) {
			return time.Time{}, false
		}
		cur = zoneEnd
	}
	return time.Time{}, false
}
