package discovery

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"sync"

	"github.com/railyard/railyard/internal/model"
)

// Source asks one kind of device what it is. Discover returns what the
// target reported, or an error classified with the helpers below so that
// the runner knows whether to retry and the summary can say why.
//
// Implementations fill Observation.Nodes or .Switches; the runner stamps
// Target, Source, At and Hints.
type Source interface {
	Discover(ctx context.Context, t Target, c Credentials) (*model.Observation, error)
}

// PowerController is an optional capability: read and change a server's
// power through its BMC.
type PowerController interface {
	// PowerState returns "on" or "off".
	PowerState(ctx context.Context, t Target, c Credentials) (string, error)
	// SetPower takes "on", "off", "soft", "reset" or "cycle".
	SetPower(ctx context.Context, t Target, c Credentials, state string) error
}

// BootController is an optional capability: choose the next boot device
// ("pxe", "disk", "bios", "cdrom").
type BootController interface {
	SetBootDevice(ctx context.Context, t Target, c Credentials, device string, persistent bool) error
}

// FirmwareUpdater is an optional capability: install a firmware image
// through the BMC and follow the BMC's task.
//
// Installing and following are separate calls so that a process that stored
// the task id can resume following it after a restart.
type FirmwareUpdater interface {
	// FirmwareInstall uploads image, size bytes long, for component (as
	// the BMC names it, "BIOS", "BMC" and so on, matched without regard to
	// case; empty to let the BMC tell from the image what it is for) and
	// returns the id of the BMC's task that installs it.
	FirmwareInstall(ctx context.Context, t Target, c Credentials, component string, image io.Reader, size int64) (taskID string, err error)
	// FirmwareTask reports on a task FirmwareInstall started.
	FirmwareTask(ctx context.Context, t Target, c Credentials, taskID string) (FirmwareTaskStatus, error)
}

// FirmwareInventory is an optional capability: report the version of a
// firmware component, to check an update took.
type FirmwareInventory interface {
	FirmwareVersion(ctx context.Context, t Target, c Credentials, component string) (string, error)
}

// FirmwareTaskStatus is where a firmware task stands.
type FirmwareTaskStatus struct {
	// State is "running", "done" or "failed".
	State string
	// Percent is how far the task has come, 0 to 100, as the BMC says
	// (0 when it does not; 100 once done).
	Percent int
	// Message is the BMC's text about the task, if any.
	Message string
}

var (
	regMu   sync.RWMutex
	sources = map[string]registered{}
)

type registered struct {
	name string // what summaries call it: redfish, ipmi, snmp, cli
	src  Source
}

// Register makes a source available for a URL scheme. name is the source's
// short name recorded with its observations. It panics on a duplicate,
// like database/sql.Register.
func Register(scheme, name string, s Source) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := sources[scheme]; dup {
		panic("discovery: Register called twice for scheme " + scheme)
	}
	sources[scheme] = registered{name: name, src: s}
}

// Lookup returns the source for a scheme and its short name.
func Lookup(scheme string) (Source, string, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	r, ok := sources[scheme]
	return r.src, r.name, ok
}

// Schemes lists the registered schemes, sorted.
func Schemes() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	out := make([]string, 0, len(sources))
	for s := range sources {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// Kind classifies a failed target for the summary and for retries.
type Kind string

// Failure kinds.
const (
	// Unreachable: nothing answered (refused, timed out, no route). Retried.
	Unreachable Kind = "unreachable"
	// Unauthorized: the device refused the credentials. Not retried.
	Unauthorized Kind = "unauthorized"
	// Malformed: the device answered with something we cannot parse. Not
	// retried.
	Malformed Kind = "malformed"
	// Failed: anything else (unsupported scheme, missing tool). Not retried.
	Failed Kind = "failed"
)

// Error is a classified per-target failure.
type Error struct {
	Kind Kind
	Err  error
}

func (e *Error) Error() string { return string(e.Kind) + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns a classified error.
func Errorf(k Kind, format string, args ...any) error {
	return &Error{Kind: k, Err: fmt.Errorf(format, args...)}
}

// Classify wraps err with kind k unless it is already classified.
func Classify(k Kind, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Kind: k, Err: err}
}

// KindOf returns err's kind. Unclassified network errors and deadlines
// count as Unreachable; anything else as Failed.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) {
		return Unreachable
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return Unreachable
	}
	return Failed
}
