package schedule

import (
	"fmt"
	"strings"
	"time"
)

// Horizon is how far NextOpen looks ahead, and the far-future cap of
// OpenUntil.
const Horizon = 400 * 24 * time.Hour

// Calendar combines windows and exclusions: it is open at an instant inside
// any of its windows (always, when it has none) and inside none of its
// exclusions.
type Calendar struct {
	Windows    []Window
	Exclusions []Exclusion
}

// ParseCalendar parses windows (ParseWindow) and exclusions
// (ParseExclusion). An error names the bad entry by list and index, and
// quotes it.
func ParseCalendar(windows, exclusions []string) (Calendar, error) {
	var c Calendar
	for i, s := range windows {
		w, err := ParseWindow(s)
		if err != nil {
			return Calendar{}, fmt.Errorf("windows[%d]: %w", i, err)
		}
		c.Windows = append(c.Windows, w)
	}
	for i, s := range exclusions {
		e, err := ParseExclusion(s)
		if err != nil {
			return Calendar{}, fmt.Errorf("exclusions[%d]: %w", i, err)
		}
		c.Exclusions = append(c.Exclusions, e)
	}
	return c, nil
}

// Open reports whether the calendar is open at t.
func (c Calendar) Open(t time.Time) bool {
	if _, in := c.exclusionAt(t); in {
		return false
	}
	return c.inWindow(t)
}

func (c Calendar) inWindow(t time.Time) bool {
	if len(c.Windows) == 0 {
		return true
	}
	for _, w := range c.Windows {
		if w.Contains(t) {
			return true
		}
	}
	return false
}

// exclusionAt returns the exclusion containing t that lasts longest.
func (c Calendar) exclusionAt(t time.Time) (Exclusion, bool) {
	var best Exclusion
	found := false
	for _, e := range c.Exclusions {
		if e.Contains(t) && (!found || e.To.After(best.To)) {
			best, found = e, true
		}
	}
	return best, found
}

// NextOpen returns the first instant >= t at which the calendar is open, in
// t's location; ok is false if it does not open before t + Horizon.
func (c Calendar) NextOpen(t time.Time) (time.Time, bool) {
	limit := t.Add(Horizon)
	cur := t
	for cur.Before(limit) {
		if e, in := c.exclusionAt(cur); in {
			cur = e.To
			continue
		}
		cand, ok := c.windowOpen(cur, limit)
		if !ok || !cand.Before(limit) {
			return time.Time{}, false
		}
		if e, in := c.exclusionAt(cand); in {
			cur = e.To
			continue
		}
		if cand.Equal(t) {
			return t, true
		}
		return cand.In(t.Location()), true
	}
	return time.Time{}, false
}

// windowOpen returns the first instant >= t inside any window.
func (c Calendar) windowOpen(t, limit time.Time) (time.Time, bool) {
	if len(c.Windows) == 0 {
		return t, true
	}
	var best time.Time
	found := false
	for _, w := range c.Windows {
		if u, ok := w.nextOpen(t, limit); ok && (!found || u.Before(best)) {
			best, found = u, true
			if !best.After(t) {
				break
			}
		}
	}
	return best, found
}

// OpenUntil returns when the open period containing t ends: the first
// instant after t at which the calendar is closed, in t's location. If t is
// closed it returns t; if the calendar stays open it returns t + Horizon.
func (c Calendar) OpenUntil(t time.Time) time.Time {
	if !c.Open(t) {
		return t
	}
	limit := t.Add(Horizon)
	end := c.windowClose(t, limit)
	for _, e := range c.Exclusions {
		if e.From.After(t) && e.From.Before(end) && e.To.After(e.From) {
			end = e.From
		}
	}
	return end.In(t.Location())
}

// windowClose returns the first instant >= t outside every window, or
// limit when there is none before it.
func (c Calendar) windowClose(t, limit time.Time) time.Time {
	if len(c.Windows) == 0 {
		return limit
	}
	cur := t
	for cur.Before(limit) {
		next, open := cur, false
		for _, w := range c.Windows {
			if !w.Contains(cur) {
				continue
			}
			open = true
			u, ok := w.nextClosed(cur, limit)
			if !ok {
				return limit
			}
			if u.After(next) {
				next = u
			}
		}
		if !open {
			return cur
		}
		cur = next
	}
	return limit
}

// Feasible checks, in the manner of GKE's maintenance-window validation, that
// from `from` on the calendar offers at least need of open time in open
// stretches each at least minStretch long, counting only time before
// from + horizon (a stretch cut by the horizon counts for what lies inside
// it). The error says how much it found.
func (c Calendar) Feasible(from time.Time, need, minStretch, horizon time.Duration) error {
	if need <= 0 {
		return nil
	}
	end := from.Add(horizon)
	var total, longest time.Duration
	stretches := 0
	cur := from
	for cur.Before(end) {
		s, ok := c.NextOpen(cur)
		if !ok {
			cur = cur.Add(Horizon) // nothing opens before then
			continue
		}
		if !s.Before(end) {
			break
		}
		e := c.OpenUntil(s)
		if e.After(end) {
			e = end
		}
		n := e.Sub(s)
		longest = max(longest, n)
		if n >= minStretch {
			total += n
			stretches++
			if total >= need {
				return nil
			}
		}
		cur = e
	}
	return fmt.Errorf("schedule: calendar offers %v of open time in %d stretches of at least %v within %v from %s (longest stretch %v); need %v",
		total, stretches, minStretch, horizon, from.UTC().Format(time.RFC3339), longest, need)
}

// Why explains in one line why the calendar is closed at t, for operators:
// "outside window Mon-Fri 22:00-06:00 Europe/Berlin; next opens
// 2026-11-23T21:00:00Z" or "in exclusion holiday freeze until
// 2027-01-03T00:00:00Z". Times are UTC. It is empty when the calendar is
// open.
func (c Calendar) Why(t time.Time) string {
	if c.Open(t) {
		return ""
	}
	if e, in := c.exclusionAt(t); in {
		return fmt.Sprintf("in exclusion %s until %s", e.label(), e.To.UTC().Format(time.RFC3339Nano))
	}
	names := make([]string, len(c.Windows))
	for i, w := range c.Windows {
		names[i] = w.String()
	}
	var b strings.Builder
	if len(names) == 1 {
		b.WriteString("outside window ")
	} else {
		b.WriteString("outside windows ")
	}
	b.WriteString(strings.Join(names, ", "))
	if n, ok := c.NextOpen(t); ok {
		b.WriteString("; next opens ")
		b.WriteString(n.UTC().Format(time.RFC3339Nano))
	} else {
		fmt.Fprintf(&b, "; does not open within %d days", Horizon/day)
	}
	return b.String()
}
