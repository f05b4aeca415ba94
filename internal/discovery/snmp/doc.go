// Package snmp discovers switches over SNMP: it walks SNMPv2-MIB (system),
// ENTITY-MIB (entPhysicalTable), IF-MIB (ifTable, ifXTable), LLDP-MIB
// (lldpLocalSystemData, lldpLocPortTable, lldpRemTable) and BRIDGE-MIB
// (dot1dBasePortIfIndex) with github.com/gosnmp/gosnmp and turns what it
// read into a model.SwitchFacts.
//
// The package registers itself for the URL scheme "snmp" (source name
// "snmp"); a program links it with a blank import:
//
//	import _ "github.com/railyard/railyard/internal/discovery/snmp"
//
// # Targets and credentials
//
// A target is snmp://host[:port] (port 161 by default). SNMP v2c is used
// unless the URL says otherwise:
//
//	snmp://10.0.1.1                  v2c, community from the credential
//	snmp://10.0.1.1?version=3        v3 (USM)
//	snmp://10.0.1.1?version=1        v1 (GetNext walks instead of GetBulk)
//
// Optional query parameters timeout (a Go duration, per request) and
// retries (retransmissions per request) override the Source's defaults.
//
// v1/v2c take the community from Credentials.Community; "public" is used
// only when no credential at all was given. v3 takes the USM user from
// Credentials.Username; the security level follows from what is set:
// Password (auth passphrase, AuthProtocol MD5, SHA, SHA224, SHA256, SHA384
// or SHA512, default SHA) gives authNoPriv, PrivPassword in addition
// (PrivProtocol DES, AES, AES192, AES256, AES192C, AES256C, default AES)
// gives authPriv, neither gives noAuthNoPriv.
//
// # Errors
//
// An agent that does not answer is discovery.Unreachable. A v1/v2c agent
// that gets a wrong community does not answer either (RFC 3584 agents drop
// the request silently), so the error says "no answer (wrong community?)".
// v3 agents do say why they refuse: usmStatsWrongDigests,
// usmStatsUnknownUserNames, usmStatsDecryptionErrors and
// usmStatsUnsupportedSecLevels reports are discovery.Unauthorized, and so
// is an unauthenticated report to an authenticated request (how net-snmp
// answers a wrong auth password or an unknown user; gosnmp then fails with
// "incoming packet is not authentic"). net-snmp drops a request it cannot
// decrypt without any report, so an agent that answered engine discovery
// but not the first authPriv request is also Unauthorized ("wrong priv
// password or priv protocol?"). An agent that answered before and then
// falls silent is Unreachable ("agent stopped answering"). Answers
// that cannot be decoded (garbled or truncated PDUs, OIDs that do not
// increase) and values that are impossible for their MIB object (a string
// where an integer belongs, an enumeration out of range, a table index of
// the wrong shape) are discovery.Malformed.
//
// # From variables to facts
//
// Discover only collects variable bindings; Facts turns a list of them into
// a model.SwitchFacts and is a pure function, so it can be tested from
// recordings (snmprec files, see package snmptest) and fuzzed.
//
// LLDP names local ports by lldpLocPortNum, which has no mandatory relation
// to ifIndex (on 802.1D bridges it is the bridge port number). A neighbour's
// lldpRemLocalPortNum is resolved to an IF-MIB interface name in this order:
//
//  1. the lldpLocPortTable row with that number: its lldpLocPortId (when
//     textual: subtypes interfaceAlias, interfaceName, local) and then its
//     lldpLocPortDesc are looked up among ifName, then ifDescr, then
//     ifAlias; a lldpLocPortId of subtype macAddress is looked up among
//     ifPhysAddress when exactly one interface has that address;
//  2. BRIDGE-MIB dot1dBasePortIfIndex, reading the number as a bridge port;
//  3. only when the agent has no BRIDGE-MIB port table at all: the number
//     as an ifIndex (what lldpd, Arista EOS and Cisco NX-OS do);
//  4. otherwise the local port's own name as LLDP reports it
//     (lldpLocPortDesc, else a textual lldpLocPortId); when there is none,
//     LocalPort stays empty and "neighbors/<i>/local_port" is added to
//     Missing.
//
// Facts the agent did not provide are named in SwitchFacts.Missing: name,
// description, vendor, model, serial, os, version, chassis_id, ports (no
// IF-MIB) and neighbors (no LLDP-MIB at all; an LLDP-MIB with an empty
// remote table is an empty, not a missing, neighbour list).
package snmp
