package ipmi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/railyard/railyard/internal/discovery"
)

// conn is what one target needs to run ipmitool against it.
type conn struct {
	bin     string // ipmitool's path
	host    string
	port    int
	user    string
	pass    string
	ciphers []string // RMCP+ cipher suites to try, in order
	fixed   bool     // the target named its cipher suite
	timeout int      // -N seconds
	retries int      // -R
}

// addr is host:port for messages.
func (c *conn) addr() string {
	return discovery.Target{Host: c.host, Port: c.port}.HostPort()
}

// run runs `ipmitool -I lanplus ... args` and returns its standard output.
// The password travels in IPMI_PASSWORD (-E), never on the command line.
// It tries the cipher suites in order while the BMC refuses one, and
// classifies a failure (see classify). ctx bounds the whole run: ipmitool
// is killed when it is done.
func (c *conn) run(ctx context.Context, args ...string) (string, error) {
	var err error
	for i, cipher := range c.ciphers {
		var stdout, stderr string
		stdout, stderr, err = c.exec(ctx, cipher, args)
		if err == nil {
			return stdout, nil
		}
		kind, msg := classify(ctx, stdout, stderr, err)
		if kind == kindCipher && i < len(c.ciphers)-1 {
			continue
		}
		return stdout, c.fail(kind, args, msg, cipher)
	}
	return "", err // no ciphers: not reached
}

// kindCipher is classify's verdict for "the BMC does not offer this cipher
// suite": run tries the next one, and reports Failed after the last.
const kindCipher discovery.Kind = "cipher"

func (c *conn) fail(kind discovery.Kind, args []string, msg, cipher string) error {
	what := "ipmitool " + strings.Join(args, " ")
	if kind == kindCipher {
		kind = discovery.Failed
		msg = fmt.Sprintf("no RMCP+ cipher suite in common (tried %s; name one with ?cipher=N): %s",
			strings.Join(c.ciphers, ", "), msg)
	}
	return discovery.Errorf(kind, "%s at %s: %s", what, c.addr(), redact(msg, c.pass))
}

func (c *conn) exec(ctx context.Context, cipher string, args []string) (stdout, stderr string, err error) {
	argv := []string{
		"-I", "lanplus",
		"-H", c.host,
		"-p", strconv.Itoa(c.port),
		"-C", cipher,
		"-N", strconv.Itoa(c.timeout),
		"-R", strconv.Itoa(c.retries),
		// -v makes ipmitool say why a session failed (RAKP errors),
		// on standard error; standard output is unchanged.
		"-v",
	}
	if c.user != "" {
		argv = append(argv, "-U", c.user)
	}
	argv = append(argv, "-E")
	argv = append(argv, args...)
	cmd := exec.CommandContext(ctx, c.bin, argv...)
	// Only what ipmitool needs: the password for -E and a locale that
	// keeps its messages in English.
	cmd.Env = []string{"IPMI_PASSWORD=" + c.pass, "LC_ALL=C"}
	cmd.WaitDelay = time.Second
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

// Patterns in ipmitool's (-v) output, matched case-insensitively.
var (
	// The BMC is busy (no free session slots): retrying later may help.
	busyPatterns = []string{
		"insufficient resources",
	}
	// The BMC refused the credentials: wrong password (RAKP 2 HMAC),
	// unknown user, a role the user may not have.
	authPatterns = []string{
		"rakp 2 hmac is invalid",
		"invalid integrity check value",
		"unauthorized name",
		"unauthorized role",
		"invalid role",
		"invalid name length",
		"unauthorized guid",
		"user name too long",
		"insufficient privilege level",
		"set session privilege level to",
		"invalid user name",
		"password is invalid",
		"activate session error",
	}
	// The BMC does not offer the cipher suite.
	cipherPatterns = []string{
		"invalid authentication algorithm",
		"invalid integrity algorithm",
		"invalid confidentiality algorithm",
		"no cipher suite match",
		"no matching authentication payload",
		"no matching integrity payload",
		"unsupported cipher suite id",
	}
	// Nothing (or nothing sensible) answered.
	unreachablePatterns = []string{
		"get auth capabilities error",
		"error issuing get channel authentication capabilities",
		"no response from rakp",
		"no response from remote controller",
		"address lookup for",
		"could not open socket",
		"unable to send ipmi presence ping",
		"unable to establish ipmi v2 / rmcp+ session",
	}
	// The device answered with something ipmitool could not read.
	malformedPatterns = []string{
		"unknown fru header version",
		"invalid fru size",
	}
)

// classify says why ipmitool failed and picks the lines worth reporting.
func classify(ctx context.Context, stdout, stderr string, err error) (discovery.Kind, string) {
	if ctxErr := ctx.Err(); ctxErr != nil {
		if errors.Is(ctxErr, context.DeadlineExceeded) {
			return discovery.Unreachable, "no answer before the deadline (" + ctxErr.Error() + ")"
		}
		return discovery.Failed, ctxErr.Error()
	}
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
		return discovery.Failed, "cannot run ipmitool: " + err.Error()
	}
	msg := summary(stderr, stdout)
	if msg == "" {
		msg = err.Error()
	}
	text := strings.ToLower(stderr + "\n" + stdout)
	for _, set := range []struct {
		kind     discovery.Kind
		patterns []string
	}{
		{discovery.Unreachable, busyPatterns},
		{discovery.Unauthorized, authPatterns},
		{kindCipher, cipherPatterns},
		{discovery.Malformed, malformedPatterns},
		{discovery.Unreachable, unreachablePatterns},
	} {
		for _, p := range set.patterns {
			if strings.Contains(text, p) {
				return set.kind, msg
			}
		}
	}
	return discovery.Failed, msg
}

// noise are lines ipmitool -v prints on every run.
var noise = []string{
	"loading iana pen registry",
	"running get vso capabilities",
	"invalid completion code received: invalid command",
	"discovered ipmb address",
	"using best available cipher suite",
}

// summary joins the informative lines of ipmitool's output into one line.
func summary(outputs ...string) string {
	var lines []string
	seen := map[string]bool{}
	for _, out := range outputs {
	line:
		for _, l := range strings.Split(out, "\n") {
			l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), ">"))
			if l == "" || seen[l] {
				continue
			}
			low := strings.ToLower(l)
			for _, n := range noise {
				if strings.HasPrefix(low, n) {
					continue line
				}
			}
			seen[l] = true
			lines = append(lines, l)
		}
	}
	const maxLines = 6
	if len(lines) > maxLines {
		lines = append(lines[:maxLines], "...")
	}
	return strings.Join(lines, "; ")
}

// redact removes the password from a message. ipmitool never prints it;
// this is a second line of defence for messages built from its output.
func redact(msg, pass string) string {
	if pass == "" {
		return msg
	}
	return strings.ReplaceAll(msg, pass, "REDACTED")
}
