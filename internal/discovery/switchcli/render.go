package switchcli

import (
	"fmt"
	"strings"

	"github.com/railyard/railyard/internal/model"
)

// Render writes the session transcript a switch of the given platform
// (eos, nxos, junos, sonic, cumulus, frr) with facts sf would produce
// for a discovery: its login banner and prompt, the replies to
// scrapligo's on-open commands (terminal length 0, ...) and, for each of
// Commands(platform), the echoed command, the output in the vendor's
// format and the next prompt. It is the fake switch CLI for tests:
// NewReplay reads what it writes (save it as TranscriptName(sf.Name,
// platform)), and the replayed discovery reports Canonical(platform, sf).
//
// Facts the platform's output has no place for are an error rather than
// silently dropped: a chassis id on NX-OS (show version has no system
// MAC), port MACs on EOS, NX-OS and SONiC, a vendor, model or serial on
// FRR, a description anywhere but FRR (where it is the version banner),
// an OS other than the platform's, values with control characters or
// leading/trailing blanks, and names that do not fit the platform's
// naming (Junos port names, NX-OS Ethernet abbreviations).
func Render(platform string, sf model.SwitchFacts) ([]byte, error) {
	p, err := lookup(platform)
	if err != nil {
		return nil, err
	}
	if !hostRe.MatchString(sf.Name) {
		return nil, fmt.Errorf("switchcli: host name %q does not fit a prompt (want %s)", sf.Name, hostRe)
	}
	outs, err := p.render(sf)
	if err != nil {
		return nil, err
	}
	prompt := p.prompt(sf.Name)
	var b strings.Builder
	b.WriteString(p.banner)
	b.WriteString(prompt)
	for _, c := range p.onOpen {
		b.WriteString(c + "\n" + prompt)
	}
	if p.shell {
		b.WriteString(shellSync + "\n" + shellSyncOut + "\n" + prompt)
	}
	for i, c := range p.commands {
		b.WriteString(c + "\n")
		if o := strings.TrimRight(outs[i], "\n"); o != "" {
			b.WriteString(o + "\n")
		}
		b.WriteString(prompt)
	}
	return []byte(b.String()), nil
}

// Canonical returns the facts a discovery reports for a switch rendered
// from sf: sf with ports and neighbours in natural interface order, OS
// and (where the OS implies it) vendor filled in, MACs normalised,
// Missing recomputed, and on FRR the version banner as Description. It is
// Render followed by Parse, without scrapligo.
func Canonical(platform string, sf model.SwitchFacts) (model.SwitchFacts, error) {
	p, err := lookup(platform)
	if err != nil {
		return model.SwitchFacts{}, err
	}
	outs, err := p.render(sf)
	if err != nil {
		return model.SwitchFacts{}, err
	}
	return p.parse(outs)
}
