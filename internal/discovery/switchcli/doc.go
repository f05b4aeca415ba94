// Package switchcli discovers switches through their command line: it logs
// in over SSH with scrapligo (github.com/scrapli/scrapligo, v1), runs a
// few read-only show commands and parses each vendor's documented output
// into model.SwitchFacts.
//
// It registers one discovery source, named "cli", for the schemes
//
//	ssh+eos      Arista EOS        (show ... | json)
//	ssh+nxos     Cisco NX-OS       (show ... | json, TABLE_/ROW_ wrappers)
//	ssh+junos    Juniper Junos     (show ... | display json)
//	ssh+sonic    SONiC             (text: show version, show interfaces status, lldpctl)
//	ssh+cumulus  Cumulus Linux     (NVUE -o json, decode-syseeprom -j, lldpcli -f json)
//	ssh+frr      FRR on Linux      (vtysh json, lldpcli -f json)
//
// The parsers are pure functions of the command outputs (Parse); Commands
// lists what each platform runs. Failures are classified for the runner:
// a refused login is discovery.Unauthorized, a dial failure or timeout
// before the session exists is discovery.Unreachable, and anything the
// device answered that is not what the platform documents (an error
// banner such as "% Invalid input", text where JSON is expected, missing
// fields, a prompt that never matches) is discovery.Malformed.
//
// For tests, NewReplay builds a source that drives the same scrapligo
// network driver through scrapligo's file transport, reading a session
// transcript per target (TranscriptName), and Render writes such a
// transcript for given facts, acting as a fake switch CLI. The schemes
// replay+eos, replay+nxos, ... are registered too: they replay the
// transcript named by the URL's path (replay+eos://leaf-2/tmp/leaf-2.eos.txt),
// so that a targets file can mix live devices and recorded sessions.
package switchcli
