package sshcli

import (
	"fmt"
	"slices"
	"strings"
)

// spec says how scrapligo talks to one driver's devices.
type spec struct {
	// name is the scrapligo platform ("arista_eos"), or "linux_shell"
	// for the definition below.
	name string
	// def is what platform.NewPlatform takes: a built-in name or a
	// definition's YAML.
	def any
	// shell is set for a Unix shell, synchronised after login.
	shell bool
}

var platforms = map[string]spec{
	"eos":     {name: "arista_eos", def: "arista_eos"},
	"nxos":    {name: "cisco_nxos", def: "cisco_nxos"},
	"junos":   {name: "juniper_junos", def: "juniper_junos"},
	"cumulus": {name: "cumulus_linux", def: "cumulus_linux"},
	"sonic":   {name: shellPlatform, def: shellYAML, shell: true},
	"frr":     {name: shellPlatform, def: shellYAML, shell: true},
	"opensm":  {name: shellPlatform, def: shellYAML, shell: true},
}

const shellPlatform = "linux_shell"

// Platform returns the scrapligo platform a driver's devices are reached
// with ("arista_eos" for "eos"; "linux_shell" for a shell).
func Platform(driver string) (string, error) {
	p, err := lookup(driver)
	return p.name, err
}

// Drivers lists the driver names this transport knows, sorted.
func Drivers() []string {
	out := make([]string, 0, len(platforms))
	for n := range platforms {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

func lookup(driver string) (spec, error) {
	p, ok := platforms[strings.ToLower(driver)]
	if !ok {
		return spec{}, fmt.Errorf("sshcli: no SSH platform for driver %q (have %s)", driver, strings.Join(Drivers(), ", "))
	}
	return p, nil
}

// shellYAML is a scrapligo platform definition for a Linux shell: one
// privilege level whose prompt is user@host:cwd followed by $ or #. No
// failed-when-contains: drivers judge the output themselves.
var shellYAML = []byte(`---
platform-type: 'linux_shell'
default:
  driver-type: 'network'
  privilege-levels:
    exec:
      name: 'exec'
      pattern: '(?im)^[\w.\-]{1,32}@[\w.\-]{1,63}:[^\s#$]{0,255}[#$]\s?$'
      previous-priv:
      deescalate:
      escalate:
      escalate-auth: false
      escalate-prompt:
  default-desired-privilege-level: 'exec'
  failed-when-contains: []
  network-on-open:
    - operation: 'acquire-priv'
  network-on-close:
    - operation: 'acquire-priv'
`)

// shellSync is the first line sent to a shell, and shellSyncOut the
// output that ends it. The printed marker differs from the echoed
// command, so reading up to the marker and the prompt after it consumes
// a prompt bash printed late or input it echoed twice at start-up.
const (
	shellSync    = `export TERM=dumb PAGER=cat; printf '%s-%s\n' railyard ready`
	shellSyncOut = "railyard-ready"
)
