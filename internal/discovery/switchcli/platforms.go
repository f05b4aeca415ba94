package switchcli

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/railyard/railyard/internal/discovery"
	"github.com/railyard/railyard/internal/model"
)

// A platformSpec is everything this package knows about one switch OS:
// how scrapligo talks to it, what to run, and how to read the answers.
type platformSpec struct {
	// name is the short name used in schemes (ssh+<name>) and transcript
	// file names.
	name string
	// def is the scrapligo platform: a built-in platform name
	// (arista_eos, ...) or the bytes of a platform definition YAML.
	def any
	// os is what SwitchFacts.OS reports.
	os string
	// commands are the show commands, in the order parse expects their
	// outputs. Some platforms adapt them to the target (see frrCommands).
	commands []string
	// lldpCmds are indexes into commands whose output may be lldpcli's
	// "no lldpd here" complaint; that is reported as Missing neighbours,
	// not as a failed command.
	lldpCmds []int
	// onOpen are the commands scrapligo's network-on-open sends after
	// acquiring the privilege level (terminal length 0, ...). Render
	// writes their (empty) replies so that transcripts replay.
	onOpen []string
	// shell says the CLI is a Unix shell: Discover synchronises with it
	// (shellSync) before the show commands.
	shell bool
	// prompt is the prompt Render writes for a host name; banner what
	// precedes the first prompt.
	prompt func(host string) string
	banner string
	parse  func(out []string) (model.SwitchFacts, error)
	render func(sf model.SwitchFacts) ([]string, error)
}

var platforms = map[string]*platformSpec{}

func addPlatform(p *platformSpec) { platforms[p.name] = p }

func init() {
	// parse and render refer to their platform's commands, so they are
	// wired here rather than in the literals (an initialisation cycle).
	eosPlatform.parse, eosPlatform.render = parseEOS, renderEOS
	nxosPlatform.parse, nxosPlatform.render = parseNXOS, renderNXOS
	junosPlatform.parse, junosPlatform.render = parseJunos, renderJunos
	sonicPlatform.parse, sonicPlatform.render = parseSONiC, renderSONiC
	cumulusPlatform.parse, cumulusPlatform.render = parseCumulus, renderCumulus
	frrPlatform.parse, frrPlatform.render = parseFRR, renderFRR
	addPlatform(eosPlatform)
	addPlatform(nxosPlatform)
	addPlatform(junosPlatform)
	addPlatform(sonicPlatform)
	addPlatform(cumulusPlatform)
	addPlatform(frrPlatform)
	src, replay := New(Options{}), NewReplay("")
	for _, name := range Platforms() {
		discovery.Register("ssh+"+name, "cli", src)
		discovery.Register("replay+"+name, "cli", replay)
	}
}

// Platforms lists the platform names this package supports (eos, nxos,
// junos, sonic, cumulus, frr), sorted. Each is registered as the
// discovery scheme "ssh+<name>" (a live SSH session) and
// "replay+<name>" (a transcript replayed by NewReplay(""): the file is
// the URL's path, e.g. replay+eos://leaf-2/tmp/site/leaf-2.eos.txt).
func Platforms() []string {
	out := make([]string, 0, len(platforms))
	for n := range platforms {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// lookup finds a platform by name or by scheme (eos, ssh+eos, replay+eos).
func lookup(nameOrScheme string) (*platformSpec, error) {
	n := strings.ToLower(nameOrScheme)
	if _, rest, ok := strings.Cut(n, "+"); ok && (strings.HasPrefix(n, "ssh+") || strings.HasPrefix(n, "replay+")) {
		n = rest
	}
	p, ok := platforms[n]
	if !ok {
		return nil, fmt.Errorf("switchcli: unknown platform %q (have %s)", nameOrScheme, strings.Join(Platforms(), ", "))
	}
	return p, nil
}

// Commands returns the show commands discovery runs on a platform, in
// the order Parse expects their outputs.
func Commands(platform string) ([]string, error) {
	p, err := lookup(platform)
	if err != nil {
		return nil, err
	}
	return slices.Clone(p.commands), nil
}

// Parse turns the outputs of Commands(platform), in order, into facts.
// It is pure: no I/O. Output that is not what the platform documents
// gives an error that Discover classifies as discovery.Malformed.
func Parse(platform string, outputs []string) (model.SwitchFacts, error) {
	p, err := lookup(platform)
	if err != nil {
		return model.SwitchFacts{}, err
	}
	if len(outputs) != len(p.commands) {
		return model.SwitchFacts{}, fmt.Errorf("switchcli: %s: %d outputs for %d commands", p.name, len(outputs), len(p.commands))
	}
	return p.parse(outputs)
}

// targetCommands returns the commands to run for one target: the
// platform's commands, adapted to the target's parameters where the
// platform has any (frr: vty_socket, pathspace, lldpd_socket).
func (p *platformSpec) targetCommands(t discovery.Target) ([]string, error) {
	if p.name == "frr" {
		return frrCommands(t)
	}
	for k := range t.Params {
		return nil, fmt.Errorf("%s takes no parameter %q", t.Scheme, k)
	}
	return p.commands, nil
}

// shellSync is the first line sent to a shell platform, and
// shellSyncOut the output that ends it. It sets TERM=dumb (no bracketed
// paste, no colour prompt) and PAGER=cat, and it absorbs bash's start-up
// race: the return scrapligo sends to find the prompt may reach bash
// before it has printed its first prompt, leaving one prompt in flight,
// and input typed before readline is active is echoed twice (by the tty,
// then by readline). Matching the next prompt would then end each command
// one prompt early and shift every output by one. The printf's output
// ("railyard-sync") differs from its echo, so reading up to it and the
// prompt after it consumes everything stale.
const (
	shellSync    = `export TERM=dumb PAGER=cat; printf '%s-%s\n' railyard sync`
	shellSyncOut = "railyard-sync"
)

// hostRe is what Render accepts as a host name: it has to fit every
// platform's prompt pattern.
var hostRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,47}$`)

// networkPlatformYAML is a scrapligo platform definition for a Linux
// shell (SONiC, FRR hosts): one privilege level whose prompt is
// user@host:cwd$ or #.
func networkPlatformYAML(name string, failed []string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "---\nplatform-type: '%s'\ndefault:\n  driver-type: 'network'\n", name)
	b.WriteString(`  privilege-levels:
    exec:
      name: 'exec'
      pattern: '(?im)^[\w.\-]{1,32}@[\w.\-]{1,63}:[^\s#$]{0,255}[#$]\s?$'
      previous-priv:
      deescalate:
      escalate:
      escalate-auth: false
      escalate-prompt:
  default-desired-privilege-level: 'exec'
  failed-when-contains:
`)
	for _, f := range failed {
		fmt.Fprintf(&b, "    - '%s'\n", strings.ReplaceAll(f, "'", "''"))
	}
	b.WriteString(`  network-on-open:
    - operation: 'acquire-priv'
  network-on-close:
    - operation: 'acquire-priv'
    - operation: 'channel.write'
      input: 'exit'
    - operation: 'channel.return'
`)
	return []byte(b.String())
}
