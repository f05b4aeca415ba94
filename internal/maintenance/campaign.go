package maintenance

import (
	"fmt"
	"regexp"
	"time"
)

// State is where a campaign is in its life.
type State string

// Campaign states.
const (
	// StateScheduled waits for its cron schedule's next activation.
	StateScheduled State = "scheduled"
	// StateRunning admits nodes and works them.
	StateRunning State = "running"
	// StatePaused admits nothing new; nodes in flight finish. A campaign
	// pauses when an operator says so or on its stop conditions.
	StatePaused State = "paused"
	// StateCancelled admits nothing; pending nodes are skipped and nodes
	// in flight finish.
	StateCancelled State = "cancelled"
	// StateDone finished its run (a recurring campaign goes back to
	// scheduled instead).
	StateDone State = "done"
)

// Campaign is a stored campaign.
type Campaign struct {
	Name       string    `json:"name"`
	Spec       Spec      `json:"spec"`
	State      State     `json:"state"`
	Reason     string    `json:"reason,omitempty"`
	Run        int       `json:"run"`
	Generation int64     `json:"generation"`
	NextRun    time.Time `json:"next_run,omitzero"`
	StartedAt  time.Time `json:"started_at,omitzero"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	CreatedAt  time.Time `json:"created_at,omitzero"`
	UpdatedAt  time.Time `json:"updated_at,omitzero"`
}

var nameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9._-]{0,62}[a-z0-9])?$`)

// CheckName checks a campaign name: lower-case letters, digits, dots,
// dashes and underscores, at most 64.
func CheckName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("%w: campaign name %q: want lower-case letters, digits, '.', '-' and '_', at most 64, starting and ending with a letter or digit", ErrInvalid, name)
	}
	return nil
}

// Progress counts a campaign's nodes by phase.
type Progress struct {
	Total   int           `json:"total"`
	ByPhase map[Phase]int `json:"by_phase"`
	Offline int           `json:"offline"`
}

// Summarize counts node records by phase.
func Summarize(nodes []NodeStatus) Progress {
	p := Progress{Total: len(nodes), ByPhase: map[Phase]int{}}
	for _, n := range nodes {
		p.ByPhase[n.Phase]++
		if n.Phase.Offline() {
			p.Offline++
		}
	}
	return p
}
