package sshcli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/scrapli/scrapligo/driver/network"
	"github.com/scrapli/scrapligo/driver/opoptions"
	"github.com/scrapli/scrapligo/driver/options"
	"github.com/scrapli/scrapligo/platform"
	"github.com/scrapli/scrapligo/transport"
	"github.com/scrapli/scrapligo/util"

	"github.com/railyard/railyard/drivers"
)

// Defaults.
const (
	// DefaultTimeout bounds one command (and the login) when the context
	// has no sooner deadline.
	DefaultTimeout = 60 * time.Second
	// DefaultDialTimeout bounds the TCP connect and SSH handshake.
	DefaultDialTimeout = 10 * time.Second
	// closeWait is how long a Run that gave up waits for scrapligo's
	// goroutine to notice the closed session.
	closeWait = 2 * time.Second
)

// Option configures the transport.
type Option func(*config)

type config struct {
	driver         string
	timeout        time.Duration
	dialTimeout    time.Duration
	privateKeyFile string
	knownHostsFile string
	channelLog     io.Writer
}

// WithPlatform picks the scrapligo platform by driver name (eos, nxos,
// junos, cumulus, sonic, frr, opensm). Default frr (a Linux shell).
func WithPlatform(driver string) Option { return func(c *config) { c.driver = driver } }

// WithTimeout bounds each command and the login (default
// DefaultTimeout); a sooner context deadline wins.
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WithDialTimeout bounds the TCP connect and SSH handshake (default
// DefaultDialTimeout).
func WithDialTimeout(d time.Duration) Option { return func(c *config) { c.dialTimeout = d } }

// WithPrivateKeyFile authenticates with an SSH key (OpenSSH or PEM,
// unencrypted), in addition to the target's password if it has one.
func WithPrivateKeyFile(path string) Option { return func(c *config) { c.privateKeyFile = path } }

// WithKnownHostsFile checks host keys against that file. Without it host
// keys are not checked.
func WithKnownHostsFile(path string) Option { return func(c *config) { c.knownHostsFile = path } }

// WithChannelLog copies every byte the session reads to w (for
// debugging prompts).
func WithChannelLog(w io.Writer) Option { return func(c *config) { c.channelLog = w } }

// Transport returns a drivers.Transport whose CLI opens an SSH session
// (Dial) to each target.
func Transport(opts ...Option) drivers.Transport {
	return drivers.Transport{CLI: func(ctx context.Context, t drivers.Target) (drivers.CLI, error) {
		return Dial(ctx, t, opts...)
	}}
}

func newConfig(opts []Option) config {
	c := config{driver: "frr", timeout: DefaultTimeout, dialTimeout: DefaultDialTimeout}
	for _, o := range opts {
		o(&c)
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.dialTimeout <= 0 {
		c.dialTimeout = DefaultDialTimeout
	}
	return c
}

// hostPort splits a target address (host, host:port, [v6]:port);
// the port defaults to 22.
func hostPort(addr string) (string, int, error) {
	addr = strings.TrimSpace(addr)
	if addr == "" {
		return "", 0, errors.New("no address")
	}
	host, ps, err := net.SplitHostPort(addr)
	if err != nil {
		// no port
		return strings.Trim(addr, "[]"), 22, nil
	}
	port, err := strconv.Atoi(ps)
	if err != nil || port <= 0 || port > 65535 {
		return "", 0, fmt.Errorf("address %q: bad port", addr)
	}
	if host == "" {
		return "", 0, fmt.Errorf("address %q: no host", addr)
	}
	return host, port, nil
}

// Dial logs in to the target and returns the session, ready at the
// device's prompt.
func Dial(ctx context.Context, t drivers.Target, opts ...Option) (drivers.CLI, error) {
	c := newConfig(opts)
	s, err := dial(ctx, t, c)
	if err != nil {
		return nil, redact(err, t)
	}
	return s, nil
}

func dial(ctx context.Context, t drivers.Target, c config) (*session, error) {
	p, err := lookup(c.driver)
	if err != nil {
		return nil, err
	}
	host, port, err := hostPort(t.Address)
	if err != nil {
		return nil, fmt.Errorf("sshcli: %s: %v", t, err)
	}
	if t.Username == "" {
		return nil, fmt.Errorf("sshcli: %s: no username", t)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sshcli: %s: %w", t, err)
	}
	budget := c.timeout
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < budget {
		budget = time.Until(dl)
	}
	o := []util.Option{
		options.WithTransportType(transport.StandardTransport),
		options.WithPort(port),
		options.WithTimeoutSocket(min(c.dialTimeout, budget)),
		options.WithTimeoutOps(budget),
		options.WithAuthUsername(t.Username),
		options.WithTermWidth(511),
		options.WithPromptSearchDepth(512),
	}
	if t.Password != "" {
		o = append(o, options.WithAuthPassword(t.Password), options.WithAuthSecondary(t.Password))
	}
	if c.privateKeyFile != "" {
		o = append(o, options.WithAuthPrivateKey(c.privateKeyFile, ""))
	}
	if c.knownHostsFile != "" {
		o = append(o, options.WithSSHKnownHostsFile(c.knownHostsFile))
	} else {
		o = append(o, options.WithAuthNoStrictKey())
	}
	if c.channelLog != nil {
		o = append(o, options.WithChannelLog(c.channelLog))
	}
	plat, err := platform.NewPlatform(p.def, host, o...)
	if err != nil {
		return nil, fmt.Errorf("sshcli: %s: scrapligo platform %s: %v", t, p.name, err)
	}
	d, err := plat.GetNetworkDriver()
	if err != nil {
		return nil, fmt.Errorf("sshcli: %s: scrapligo platform %s: %v", t, p.name, err)
	}
	// Closing the SSH connection ends the session; the platform's
	// polite on-close (re-acquire the prompt, "exit") would only cost a
	// round trip, and on a broken session it would hang.
	d.OnClose = nil
	s := &session{d: d, t: t, timeout: c.timeout}

	// scrapligo's calls take no context, and the SSH handshake has no
	// timeout of its own: open in a goroutine and stop waiting when ctx
	// or the budget ends.
	done := make(chan error, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				done <- fmt.Errorf("scrapligo panicked: %v", v)
			}
		}()
		if err := d.Open(); err != nil {
			done <- err
			return
		}
		if p.shell {
			if err := syncShell(d, budget); err != nil {
				d.Close() //nolint:errcheck // it failed already
				done <- fmt.Errorf("shell did not answer %q: %w", shellSyncOut, err)
				return
			}
		}
		done <- nil
	}()
	timer := time.NewTimer(budget + time.Second)
	defer timer.Stop()
	select {
	case err := <-done:
		if err != nil {
			return nil, fmt.Errorf("sshcli: %s: login: %w", t, classify(err))
		}
		return s, nil
	case <-ctx.Done():
		go closeWhenOpen(d, done)
		return nil, fmt.Errorf("sshcli: %s: login: %w", t, ctx.Err())
	case <-timer.C:
		go closeWhenOpen(d, done)
		return nil, fmt.Errorf("sshcli: %s: login: no prompt within %v", t, budget)
	}
}

// closeWhenOpen closes a session whose login was abandoned, once the
// login goroutine finishes.
func closeWhenOpen(d *network.Driver, done <-chan error) {
	if err := <-done; err == nil {
		d.Close() //nolint:errcheck // nobody is waiting
	}
}

// syncShell sends shellSync and reads up to its output and the prompt
// after it.
func syncShell(d *network.Driver, budget time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	if err := d.Channel.Write([]byte(shellSync), false); err != nil {
		return err
	}
	if err := d.Channel.WriteReturn(); err != nil {
		return err
	}
	if _, err := d.Channel.ReadUntilExplicit(ctx, []byte(shellSyncOut)); err != nil {
		return err
	}
	_, err := d.Channel.ReadUntilPrompt(ctx)
	return err
}

func classify(err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "unable to authenticate"), strings.Contains(msg, "no supported methods remain"):
		return fmt.Errorf("authentication refused: %w", err)
	case errors.Is(err, util.ErrTimeoutError):
		return fmt.Errorf("no prompt the platform knows: %w", err)
	}
	return err
}

// session is one SSH command session.
type session struct {
	mu      sync.Mutex
	d       *network.Driver
	t       drivers.Target
	timeout time.Duration
	// dead is why the session can no longer be used; nil while it can.
	dead error
}

var _ drivers.CLI = (*session)(nil)

type result struct {
	out string
	err error
}

// Run sends one command and returns its output (without the echo and
// the prompt).
func (s *session) Run(ctx context.Context, cmd string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dead != nil {
		return "", redact(fmt.Errorf("sshcli: %s: %q: session unusable: %w", s.t, cmd, s.dead), s.t)
	}
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("sshcli: %s: %q: %w", s.t, cmd, err)
	}
	budget := s.timeout
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < budget {
		budget = time.Until(dl)
	}
	done := make(chan result, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				done <- result{err: fmt.Errorf("scrapligo panicked: %v", v)}
			}
		}()
		// generic SendCommand: the privilege level stays as the
		// commands left it.
		r, err := s.d.Driver.SendCommand(cmd, opoptions.WithTimeoutOps(budget))
		if err != nil {
			done <- result{err: err}
			return
		}
		done <- result{out: r.Result}
	}()
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		s.kill(ctx.Err(), done)
		return "", redact(fmt.Errorf("sshcli: %s: %q: %w", s.t, cmd, ctx.Err()), s.t)
	}
	if r.err != nil {
		// Whatever the command left in flight would be read as the next
		// command's output: the session is done.
		s.kill(r.err, done)
		return "", redact(fmt.Errorf("sshcli: %s: %q: %w", s.t, cmd, r.err), s.t)
	}
	return r.out, nil
}

// kill closes the session for good and waits a little for the command
// goroutine to see it.
func (s *session) kill(why error, done <-chan result) {
	s.dead = why
	s.d.Close() //nolint:errcheck // closing a failed session
	select {
	case <-done:
	case <-time.After(closeWait):
	}
}

// Close ends the session.
func (s *session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dead != nil {
		return nil
	}
	s.dead = errors.New("closed")
	if err := s.d.Close(); err != nil {
		return redact(fmt.Errorf("sshcli: %s: close: %w", s.t, err), s.t)
	}
	return nil
}

// redactedError keeps the password out of an error's text while still
// unwrapping to its cause.
type redactedError struct {
	msg string
	err error
}

func (e redactedError) Error() string { return e.msg }
func (e redactedError) Unwrap() error { return e.err }

func redact(err error, t drivers.Target) error {
	if err == nil {
		return nil
	}
	msg := drivers.Redact(err.Error(), t.Password)
	// Unwrap only to causes that are not this package's text
	// (context errors, scrapligo's sentinels).
	var cause error
	for _, sentinel := range []error{context.DeadlineExceeded, context.Canceled, util.ErrTimeoutError, util.ErrConnectionError} {
		if errors.Is(err, sentinel) {
			cause = sentinel
			break
		}
	}
	return redactedError{msg: msg, err: cause}
}
