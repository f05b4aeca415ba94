package schedule

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Exclusion is a one-off period in which nothing may start, e.g. a holiday
// freeze. It covers From (inclusive) to To (exclusive); an Exclusion whose
// To is not after From covers nothing.
type Exclusion struct {
	From, To time.Time
	Reason   string
}

const dateLayout = "2006-01-02"

// ParseExclusion parses "FROM/TO [REASON]", where FROM and TO are RFC 3339
// times ("2026-12-20T00:00:00Z") or dates ("2026-12-20", UTC midnight), for
// example "2026-12-20/2027-01-03 holiday freeze". TO is exclusive and must be
// after FROM. Times are returned in UTC; the reason is the rest of the line
// with surrounding space trimmed.
func ParseExclusion(s string) (Exclusion, error) {
	fail := func(format string, args ...any) (Exclusion, error) {
		return Exclusion{}, fmt.Errorf("schedule: exclusion %q: %s", s, fmt.Sprintf(format, args...))
	}
	rest := strings.TrimSpace(s)
	span, reason := rest, ""
	if i := strings.IndexFunc(rest, unicode.IsSpace); i >= 0 {
		span, reason = rest[:i], strings.TrimSpace(rest[i:])
	}
	if span == "" {
		return fail("want FROM/TO [REASON], e.g. \"2026-12-20/2027-01-03 holiday freeze\"")
	}
	a, b, ok := strings.Cut(span, "/")
	if !ok || strings.Contains(b, "/") {
		return fail("%q: want FROM/TO", span)
	}
	from, err := parseInstant(a)
	if err != nil {
		return fail("from: %v", err)
	}
	to, err := parseInstant(b)
	if err != nil {
		return fail("to: %v", err)
	}
	if !to.After(from) {
		return fail("ends at or before it starts")
	}
	if !utf8.ValidString(reason) {
		return fail("reason is not valid UTF-8")
	}
	if strings.IndexFunc(reason, unicode.IsControl) >= 0 {
		return fail("reason contains a control character")
	}
	return Exclusion{From: from, To: to, Reason: reason}, nil
}

func parseInstant(s string) (time.Time, error) {
	layout := time.RFC3339
	if len(s) == len(dateLayout) {
		layout = dateLayout
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time nor a date (YYYY-MM-DD)", s)
	}
	t = t.UTC()
	if y := t.Year(); y < 1 || y > 9999 {
		return time.Time{}, fmt.Errorf("%q: year out of range 0001..9999 in UTC", s)
	}
	return t, nil
}

// String returns the canonical form that ParseExclusion reads back to an
// equal Exclusion: each end as a date when it is a UTC midnight, else as
// RFC 3339 in UTC, then the reason if any.
func (e Exclusion) String() string {
	s := formatInstant(e.From) + "/" + formatInstant(e.To)
	if e.Reason != "" {
		s += " " + e.Reason
	}
	return s
}

func formatInstant(t time.Time) string {
	t = t.UTC()
	if t.Equal(t.Truncate(day)) {
		return t.Format(dateLayout)
	}
	return t.Format(time.RFC3339Nano)
}

// Contains reports whether t is inside the exclusion: From <= t < To.
func (e Exclusion) Contains(t time.Time) bool {
	return !t.Before(e.From) && t.Before(e.To)
}

// label names the exclusion for operators: its reason, else its span.
func (e Exclusion) label() string {
	if e.Reason != "" {
		return e.Reason
	}
	return formatInstant(e.From) + "/" + formatInstant(e.To)
}
