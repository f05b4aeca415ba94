package l3lab

import (
	"strings"
)

// harnessOwned reports whether a line of rendered configuration belongs
// to the lab rather than to the VRF router (it is dropped before the
// configuration is applied): the integrated file's header (frr
// defaults, hostname, log, service), and the default instance's
// underlay lines (router id, neighbors), which the lab sets per router.
// top is the enclosing top-level line ("" at top level).
func harnessOwned(top, line string) bool {
	t := strings.TrimSpace(line)
	if top == "" {
		for _, p := range []string{"frr defaults", "frr version", "hostname", "log ", "service ", "password", "enable password", "end"} {
			if strings.HasPrefix(t, p) {
				return true
			}
		}
		return false
	}
	if f := strings.Fields(top); len(f) == 3 && f[0] == "router" && f[1] == "bgp" {
		// The default instance: the harness owns the underlay.
		for _, p := range []string{"bgp router-id", "neighbor ", "no bgp default", "bgp cluster-id", "bgp listen"} {
			if strings.HasPrefix(t, p) {
				return true
			}
		}
	}
	return false
}

// Sanitize returns the FRR part of a driver's rendering without the
// harness-owned lines (see harnessOwned), to be applied with vtysh -f on
// top of the lab's underlay. The FRR driver's Render ends with the
// leaf's Linux netdevs after a line that starts with "#"; that part and
// everything after it is dropped (the lab builds the netdevs itself:
// the kernel here has no VRF devices).
func Sanitize(conf string) string {
	var b strings.Builder
	top := ""
	for _, l := range strings.Split(conf, "\n") {
		if strings.HasPrefix(l, "#") {
			break
		}
		if l == "" || strings.HasPrefix(l, "!") {
			if l == "!" {
				top = ""
			}
			continue
		}
		if !strings.HasPrefix(l, " ") {
			top = strings.TrimSpace(l)
			if top == "!" || strings.HasPrefix(top, "exit") {
				top = ""
			}
			if harnessOwned("", l) {
				top = ""
				continue
			}
		} else if harnessOwned(top, l) {
			continue
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}
