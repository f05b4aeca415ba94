package switchcli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/scrapli/scrapligo/driver/network"
	"github.com/scrapli/scrapligo/driver/opoptions"
	"github.com/scrapli/scrapligo/driver/options"
	"github.com/scrapli/scrapligo/platform"
	"github.com/scrapli/scrapligo/transport"
	"github.com/scrapli/scrapligo/util"

	"github.com/railyard/railyard/internal/discovery"
	"github.com/railyard/railyard/internal/model"
)

// Defaults for Options.
const (
	DefaultTimeout     = 60 * time.Second
	DefaultDialTimeout = 10 * time.Second
	// replayTimeout bounds a replay: a transcript that does not match what
	// the driver expects fails within it instead of hanging.
	DefaultReplayTimeout = 10 * time.Second
	// promptSearchDepth is how many trailing bytes scrapligo searches for
	// the prompt after each read (its default, 1000, makes byte-by-byte
	// replays of large outputs slow).
	promptSearchDepth = 256
)

// Options configure a Source. The zero value is what the registered
// source uses.
type Options struct {
	// Timeout bounds one whole discovery: login and every command.
	// Default DefaultTimeout (DefaultReplayTimeout when replaying). A
	// context deadline that comes sooner wins.
	Timeout time.Duration
	// DialTimeout bounds the TCP connect and SSH handshake. Default
	// DefaultDialTimeout.
	DialTimeout time.Duration
	// PrivateKeyFile authenticates with an SSH key (OpenSSH or PEM,
	// unencrypted) as Credentials.Username, in addition to the password
	// when there is one.
	PrivateKeyFile string
	// KnownHostsFile turns on strict host key checking against that
	// file. Without it host keys are not checked.
	KnownHostsFile string
	// ChannelLog, when set, receives every byte the session reads from
	// the device (for debugging prompts and transcripts).
	ChannelLog io.Writer
	// ReplayDir, when not empty, makes the source replay transcripts
	// from that directory through scrapligo's file transport instead of
	// dialling (see NewReplay).
	ReplayDir string
	// replay is set by NewReplay: replay even when ReplayDir is "" (then
	// targets must name their transcript in the URL path).
	replay bool
}

// Source is the switch CLI discovery source. It is safe for concurrent
// use: every Discover opens its own session.
type Source struct {
	opts Options
}

var _ discovery.Source = (*Source)(nil)

// New returns a source that logs in over SSH (scrapligo's pure-Go
// "standard" transport).
func New(o Options) *Source {
	if o.ReplayDir != "" {
		o.replay = true
	}
	return &Source{opts: o}
}

// NewReplay returns a source that replays session transcripts through
// scrapligo's file transport, driving the same scrapligo channel, network
// driver and platform definitions as a live session (prompt detection,
// privilege acquisition, on-open commands, command echo matching). For a
// target ssh+<platform>://<host>[:port][/path] it reads
//
//	<dir>/<path>                    when the URL has a path
//	<dir>/<host>.<platform>.txt     otherwise (TranscriptName)
//
// With dir "" the path is used as it is. Credentials are ignored.
func NewReplay(dir string) *Source {
	return &Source{opts: Options{ReplayDir: dir, replay: true}}
}

// TranscriptName is the file NewReplay reads for a host when the target
// URL has no path: "<host>.<platform>.txt", e.g. "leaf-1.eos.txt".
func TranscriptName(host, platform string) string {
	if p, err := lookup(platform); err == nil {
		platform = p.name
	}
	return host + "." + platform + ".txt"
}

// transcriptPath resolves the transcript of a replayed target.
func (s *Source) transcriptPath(t discovery.Target, p *platformSpec) string {
	if t.Path != "" && t.Path != "/" {
		if s.opts.ReplayDir == "" {
			return t.Path
		}
		return filepath.Join(s.opts.ReplayDir, filepath.FromSlash(t.Path))
	}
	return filepath.Join(s.opts.ReplayDir, TranscriptName(t.Host, p.name))
}

// Discover logs in to the target, runs the platform's show commands and
// returns what they reported as one SwitchFacts.
func (s *Source) Discover(ctx context.Context, t discovery.Target, c discovery.Credentials) (*model.Observation, error) {
	p, err := lookup(t.Scheme)
	if err != nil {
		return nil, discovery.Classify(discovery.Failed, err)
	}
	cmds, err := p.targetCommands(t)
	if err != nil {
		return nil, discovery.Classify(discovery.Failed, err)
	}
	timeout := s.opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
		if s.opts.replay {
			timeout = DefaultReplayTimeout
		}
	}
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := ctx.Err(); err != nil {
		return nil, discovery.Classify(discovery.Unreachable, err)
	}

	opts, err := s.driverOptions(t, c, p, time.Until(deadline))
	if err != nil {
		return nil, err
	}

	// scrapligo's calls take no context: run the session in a goroutine
	// bounded by its own timeouts, and stop waiting for it when ctx ends.
	type result struct {
		out []string
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer func() {
			// A panic in scrapligo must not take the runner down.
			if v := recover(); v != nil {
				done <- result{err: discovery.Errorf(discovery.Failed, "%s: scrapligo panicked: %v", t, v)}
			}
		}()
		out, err := runSession(p, t, opts, cmds, deadline)
		done <- result{out, err}
	}()
	// The SSH handshake has no timeout of its own (the dial timeout
	// covers the TCP connect only), so the wait is bounded here too.
	timer := time.NewTimer(time.Until(deadline) + time.Second)
	defer timer.Stop()
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		return nil, discovery.Errorf(discovery.Unreachable, "%s: %v", t, ctx.Err())
	case <-timer.C:
		return nil, discovery.Errorf(discovery.Unreachable, "%s: no answer within %v", t, timeout)
	}
	if r.err != nil {
		return nil, r.err
	}
	sf, err := p.parse(r.out)
	if err != nil {
		return nil, discovery.Errorf(discovery.Malformed, "%s: %v", t, err)
	}
	return &model.Observation{Switches: []model.SwitchFacts{sf}}, nil
}

// driverOptions builds the scrapligo options for one session.
func (s *Source) driverOptions(t discovery.Target, c discovery.Credentials, p *platformSpec, budget time.Duration) ([]util.Option, error) {
	opts := []util.Option{
		options.WithTimeoutOps(budget),
		options.WithPromptSearchDepth(promptSearchDepth),
	}
	if s.opts.ChannelLog != nil {
		opts = append(opts, options.WithChannelLog(s.opts.ChannelLog))
	}
	if s.opts.replay {
		f := s.transcriptPath(t, p)
		if _, err := os.Stat(f); err != nil {
			return nil, discovery.Errorf(discovery.Failed, "%s: replay transcript: %v", t, err)
		}
		// The file transport hands out one byte per read; no delay
		// between reads (scrapligo's own tests do the same).
		return append(opts,
			options.WithTransportType(transport.FileTransport),
			options.WithFileTransportFile(f),
			options.WithReadDelay(0),
		), nil
	}
	if c.Username == "" {
		return nil, discovery.Errorf(discovery.Failed, "%s: no username in the credentials", t)
	}
	port := t.Port
	if port == 0 {
		port = 22
	}
	dial := s.opts.DialTimeout
	if dial <= 0 {
		dial = DefaultDialTimeout
	}
	opts = append(opts,
		options.WithTransportType(transport.StandardTransport),
		options.WithPort(port),
		options.WithTimeoutSocket(min(dial, budget)),
		options.WithAuthUsername(c.Username),
		options.WithTermWidth(511),
	)
	if c.Password != "" {
		opts = append(opts, options.WithAuthPassword(c.Password), options.WithAuthSecondary(c.Password))
	}
	if s.opts.PrivateKeyFile != "" {
		opts = append(opts, options.WithAuthPrivateKey(s.opts.PrivateKeyFile, ""))
	}
	if s.opts.KnownHostsFile != "" {
		opts = append(opts, options.WithSSHKnownHostsFile(s.opts.KnownHostsFile))
	} else {
		opts = append(opts, options.WithAuthNoStrictKey())
	}
	return opts, nil
}

// runSession opens the scrapligo network driver, runs cmds and closes it.
func runSession(p *platformSpec, t discovery.Target, opts []util.Option, cmds []string, deadline time.Time) ([]string, error) {
	plat, err := platform.NewPlatform(p.def, t.Host, opts...)
	if err != nil {
		return nil, discovery.Errorf(discovery.Failed, "%s: scrapligo platform %s: %v", t, p.name, err)
	}
	d, err := plat.GetNetworkDriver()
	if err != nil {
		return nil, discovery.Errorf(discovery.Failed, "%s: scrapligo platform %s: %v", t, p.name, err)
	}
	// Closing the SSH session ends the shell; the platform's polite
	// on-close (re-acquire the prompt, "exit") only costs a round trip,
	// and on a replay there is nothing left to read for it.
	d.OnClose = nil
	if err := d.Open(); err != nil {
		return nil, classifyOpen(t, err)
	}
	defer d.Close() //nolint:errcheck // nothing to do about a failed close
	if p.shell {
		if err := syncShell(d, deadline); err != nil {
			return nil, classifyCommand(t, shellSync, err)
		}
	}
	out := make([]string, len(cmds))
	for i, cmd := range cmds {
		if time.Now().After(deadline) {
			return nil, discovery.Errorf(discovery.Unreachable, "%s: timed out before %q", t, cmd)
		}
		r, err := sendCommand(d, cmd, deadline)
		if err != nil {
			return nil, classifyCommand(t, cmd, err)
		}
		if r.Failed != nil && !contains(p.lldpCmds, i) {
			return nil, discovery.Errorf(discovery.Malformed, "%s: %q failed: %s", t, cmd, firstLine(r.Result))
		}
		out[i] = r.Result
	}
	return out, nil
}

// syncShell sends shellSync and reads up to its output and the prompt
// after it (see shellSync).
func syncShell(d *network.Driver, deadline time.Time) error {
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	if err := d.Channel.Write([]byte(shellSync), false); err != nil {
		return err
	}
	if err := d.Channel.WriteReturn(); err != nil {
		return err
	}
	_, err := d.Channel.ReadUntilExplicit(ctx, []byte(shellSyncOut))
	if err == nil {
		_, err = d.Channel.ReadUntilPrompt(ctx)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: no %q from the shell", util.ErrTimeoutError, shellSyncOut)
	}
	return err
}

type response struct {
	Result string
	Failed error
}

func sendCommand(d *network.Driver, cmd string, deadline time.Time) (response, error) {
	left := time.Until(deadline)
	if left <= 0 {
		return response{}, fmt.Errorf("%w: no time left", util.ErrTimeoutError)
	}
	// the per-operation timeout: what is left of the budget
	r, err := d.SendCommand(cmd, opoptions.WithTimeoutOps(left))
	if err != nil {
		return response{}, err
	}
	return response{Result: r.Result, Failed: r.Failed}, nil
}

func contains(l []int, i int) bool {
	for _, x := range l {
		if x == i {
			return true
		}
	}
	return false
}

// classifyOpen classifies a failure to log in and reach the prompt.
func classifyOpen(t discovery.Target, err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "unable to authenticate"),
		strings.Contains(msg, "no supported methods remain"),
		strings.Contains(msg, "permission denied"):
		return discovery.Errorf(discovery.Unauthorized, "%s: ssh login refused: %v", t, err)
	case errors.Is(err, util.ErrTimeoutError):
		// The session is up but no prompt the platform knows ever came.
		return discovery.Errorf(discovery.Malformed, "%s: no %s prompt: %v", t, t.Scheme, err)
	case errors.Is(err, util.ErrPrivilegeError):
		return discovery.Errorf(discovery.Malformed, "%s: unexpected prompt: %v", t, err)
	case isNetErr(err), strings.Contains(msg, "handshake failed"), errors.Is(err, io.EOF):
		return discovery.Errorf(discovery.Unreachable, "%s: %v", t, err)
	case errors.Is(err, os.ErrNotExist):
		return discovery.Errorf(discovery.Failed, "%s: %v", t, err)
	case errors.Is(err, util.ErrConnectionError):
		return discovery.Errorf(discovery.Unreachable, "%s: connection lost: %v", t, err)
	}
	return discovery.Errorf(discovery.Failed, "%s: %v", t, err)
}

// classifyCommand classifies a failure while running a command on an
// open session.
func classifyCommand(t discovery.Target, cmd string, err error) error {
	switch {
	case errors.Is(err, util.ErrTimeoutError):
		return discovery.Errorf(discovery.Malformed, "%s: %q: no prompt after the output: %v", t, cmd, err)
	case errors.Is(err, util.ErrConnectionError), isNetErr(err), errors.Is(err, io.EOF):
		return discovery.Errorf(discovery.Unreachable, "%s: %q: connection lost: %v", t, cmd, err)
	}
	return discovery.Errorf(discovery.Failed, "%s: %q: %v", t, cmd, err)
}

func isNetErr(err error) bool {
	var ne net.Error
	var oe *net.OpError
	return errors.As(err, &ne) || errors.As(err, &oe) || errors.Is(err, os.ErrDeadlineExceeded)
}

func (s *Source) String() string {
	if s.opts.replay {
		return fmt.Sprintf("switchcli replay from %q", s.opts.ReplayDir)
	}
	return "switchcli"
}
