package schedule

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Cron is a parsed cron schedule: a standard five-field spec (minute, hour,
// day of month, month, day of week) or a descriptor (@yearly, @annually,
// @monthly, @weekly, @daily, @midnight, @hourly, @every DURATION), with an
// optional "CRON_TZ=Zone " (or "TZ=Zone ") prefix. Without a prefix the
// schedule runs in UTC. The zero Cron never activates.
type Cron struct {
	spec  string
	sched cron.Schedule
}

var fieldParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

var descriptors = map[string]string{
	"@yearly": "@yearly", "@annually": "@yearly",
	"@monthly": "@monthly",
	"@weekly":  "@weekly",
	"@daily":   "@daily", "@midnight": "@daily",
	"@hourly": "@hourly",
}

// ParseCron parses a cron expression, e.g. "0 2 * * Sat",
// "CRON_TZ=Europe/Berlin 0 22 * * Mon-Fri", "@daily" or "@every 6h".
func ParseCron(expr string) (Cron, error) {
	c, err := parseCron(expr)
	if err != nil {
		return Cron{}, fmt.Errorf("schedule: cron %q: %v", expr, err)
	}
	return c, nil
}

func parseCron(expr string) (Cron, error) {
	f := strings.Fields(expr)
	loc, zone := time.UTC, "UTC"
	if len(f) > 0 {
		if name, ok := cutAnyPrefix(f[0], "CRON_TZ=", "TZ="); ok {
			if name == "" {
				return Cron{}, fmt.Errorf("empty time zone in %q", f[0])
			}
			l, err := loadZone(name)
			if err != nil {
				return Cron{}, err
			}
			loc, f = l, f[1:]
			if l != time.UTC {
				zone = name
			}
		}
	}
	if len(f) == 0 {
		return Cron{}, errors.New("empty schedule")
	}
	if strings.HasPrefix(f[0], "@") {
		kw := strings.ToLower(f[0])
		if kw == "@every" {
			if len(f) != 2 {
				return Cron{}, errors.New("want @every DURATION, e.g. @every 6h")
			}
			d, err := time.ParseDuration(f[1])
			if err != nil {
				return Cron{}, fmt.Errorf("@every: %v", err)
			}
			if d < time.Second {
				return Cron{}, errors.New("@every: duration must be at least 1s")
			}
			every := cron.Every(d)
			// The zone does not matter to a fixed period: leave it out.
			return Cron{spec: "@every " + shortDuration(every.Delay), sched: every}, nil
		}
		canon, ok := descriptors[kw]
		if !ok {
			return Cron{}, fmt.Errorf("unknown descriptor %q (want @yearly, @monthly, @weekly, @daily, @hourly or @every DURATION)", f[0])
		}
		if len(f) != 1 {
			return Cron{}, fmt.Errorf("unexpected text after %s", f[0])
		}
		return specCron(canon, zone, loc)
	}
	if len(f) != 5 {
		return Cron{}, fmt.Errorf("want 5 fields (minute hour day-of-month month day-of-week), found %d", len(f))
	}
	for i := range f {
		f[i] = strings.ToLower(f[i])
	}
	return specCron(strings.Join(f, " "), zone, loc)
}

func specCron(spec, zone string, loc *time.Location) (Cron, error) {
	s, err := fieldParser.Parse(spec)
	if err != nil {
		return Cron{}, err
	}
	ss, ok := s.(*cron.SpecSchedule)
	if !ok {
		return Cron{}, fmt.Errorf("unexpected schedule type %T", s)
	}
	const star = 1 << 63
	for _, bits := range []uint64{ss.Minute, ss.Hour, ss.Dom, ss.Month, ss.Dow} {
		if bits&^star == 0 {
			return Cron{}, errors.New("a field matches no value")
		}
	}
	ss.Location = loc
	if zone != "UTC" {
		spec = "CRON_TZ=" + zone + " " + spec
	}
	return Cron{spec: spec, sched: ss}, nil
}

func cutAnyPrefix(s string, prefixes ...string) (string, bool) {
	for _, p := range prefixes {
		if rest, ok := strings.CutPrefix(s, p); ok {
			return rest, true
		}
	}
	return "", false
}

// shortDuration formats d like time.Duration.String without zero trailing
// units: 6h rather than 6h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Next returns the first activation strictly after t, in t's location. It
// returns the zero Time when there is none within five years (for example
// "0 0 30 Feb *").
func (c Cron) Next(t time.Time) time.Time {
	if c.sched == nil {
		return time.Time{}
	}
	return c.sched.Next(t)
}

// String returns the canonical form, which ParseCron reads back to an equal
// Cron: fields lower-cased and separated by single spaces, @annually and
// @midnight as @yearly and @daily, @every with a compact duration, and a
// CRON_TZ= prefix unless the zone is UTC.
func (c Cron) String() string { return c.spec }

// Equal reports whether c and o are the same schedule (go-cmp uses it).
func (c Cron) Equal(o Cron) bool { return c.spec == o.spec }
