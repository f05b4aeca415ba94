// Package schedule decides when a rolling-maintenance campaign may take
// nodes offline: recurring weekly maintenance windows, one-off exclusion
// periods (freezes), the calendar that combines them, and cron schedules for
// starting and repeating campaigns.
//
// Everything here is a pure function of the time values passed in: nothing
// reads the clock (no time.Now), touches the network or depends on the
// machine's local zone ("Local" is refused as a zone name). The planner
// simulates time and calls these functions thousands of times per campaign,
// so NextOpen and OpenUntil compute boundaries arithmetically, a day and a
// zone period at a time, rather than stepping minute by minute.
//
// # Windows
//
// ParseWindow reads "DAYS HH:MM-HH:MM [ZONE]", the shape of kured's
// --reboot-days, --start-time, --end-time and --time-zone:
//
//	Mon-Fri 22:00-06:00 Europe/Berlin
//	daily 02:00-06:00
//	Sat,Sun 00:00-24:00 UTC
//	Tue 01:30-03:00
//
// DAYS is a comma-separated list of days (Mon..Sun or Monday..Sunday, any
// case) and ranges of days; a range may wrap past Sunday (Fri-Mon is Fri,
// Sat, Sun, Mon). "daily" and "*" mean every day. Times are H:MM or HH:MM;
// "24:00" is allowed as an end. ZONE is an IANA name loaded with
// time.LoadLocation and defaults to UTC.
//
// An occurrence opens at the start time on each listed day and closes at the
// end time. When end <= start it crosses midnight and belongs to the day it
// starts on: "Fri 22:00-06:00" is open from Friday 22:00 to Saturday 06:00,
// and not on Saturday night. "Mon 22:00-22:00" is open for 24 hours.
// Intervals are half-open: an instant exactly at the start is inside, one
// exactly at the end is outside.
//
// Window.String gives a canonical form that ParseWindow reads back to an
// equal Window: "daily" or Monday-first days ("Mon-Fri", "Sat,Sun",
// "Fri-Mon"), zero-padded times, and the zone unless it is UTC.
//
// # Daylight saving time
//
// Windows are wall-clock windows in their zone: an instant is inside a
// window exactly when its wall-clock reading in the window's zone is inside
// an occurrence. Where the clock jumps, the window follows the clock, not
// the elapsed time. In Europe/Berlin:
//
//   - On 2026-03-29 clocks go from 02:00 to 03:00 (01:00Z). "Sun 02:00-04:00"
//     is open 01:00Z-02:00Z, one hour; "Sun 02:00-02:30" does not open at
//     all that day; "Sat 22:00-06:00" lasts seven hours (21:00Z-04:00Z).
//   - On 2026-10-25 clocks go from 03:00 back to 02:00 (01:00Z), so 02:00-03:00
//     happens twice. "Sun 02:00-04:00" is open 00:00Z-03:00Z, three hours;
//     "Sun 02:00-02:30" opens twice, 00:00Z-00:30Z and 01:00Z-01:30Z;
//     "Sat 22:00-06:00" lasts nine hours (20:00Z-05:00Z).
//
// A window can therefore also open or close at the instant of a zone
// transition; NextOpen and OpenUntil find such instants too.
//
// # Exclusions and calendars
//
// ParseExclusion reads "FROM/TO [REASON]": FROM and TO are RFC 3339 times
// ("2026-12-20T00:00:00Z") or dates ("2026-12-20", meaning UTC midnight),
// TO is exclusive and must be after FROM, and the rest of the line is the
// reason ("2026-12-20/2027-01-03 holiday freeze"). Times are kept in UTC.
//
// A Calendar is open at an instant that is inside any of its windows (at
// every instant when it has no windows) and inside none of its exclusions.
// NextOpen finds the first open instant at or after t within Horizon (400
// days); OpenUntil finds where the open stretch containing t ends (t itself
// when t is closed, t + Horizon when it does not close); Feasible checks that
// enough open time comes in long enough stretches, as GKE checks maintenance
// windows; Why says in one line why the calendar is closed.
//
// # Cron
//
// ParseCron accepts robfig/cron/v3 standard specs: five fields (minute, hour,
// day of month, month, day of week, with names, ranges, lists and steps), the
// descriptors @yearly (@annually), @monthly, @weekly, @daily (@midnight),
// @hourly and "@every DURATION" (at least 1s), and an optional
// "CRON_TZ=Europe/Berlin " or "TZ=Europe/Berlin " prefix. Without a prefix a
// schedule runs in UTC, never in the machine's zone. Cron.Next returns the
// first activation strictly after t.
//
// Cron schedules are wall-clock schedules too: an activation whose wall-clock
// time does not exist is skipped ("CRON_TZ=Europe/Berlin 30 2 * * *" does not
// fire on 2026-03-29), and one whose wall-clock time happens twice fires
// twice (it fires at 00:30Z and 01:30Z on 2026-10-25). "@every" schedules
// are fixed periods of elapsed time and ignore the zone.
package schedule
