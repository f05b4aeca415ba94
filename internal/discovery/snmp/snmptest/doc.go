// Package snmptest runs real SNMP agents for tests of package snmp: a lab
// of Linux network namespaces wired with veth "cables", each switch running
// net-snmp's snmpd with lldpd as its AgentX subagent (so LLDP-MIB is real),
// each host running lldpd; and snmpsimd serving snmprec recordings. It also
// parses snmprec files into snmp.Var lists for offline tests.
//
// # Lab design
//
// Start(t, topo) builds, per lab (names carry the test process's pid and a
// lab sequence number, so parallel test binaries and parallel tests never
// collide):
//
//   - one network namespace per switch and per host
//     ("rysnmp-<pid>-<lab>-<node>") and one "patch panel" namespace
//     ("rysnmp-<pid>-<lab>--panel");
//   - every declared switch port and host interface always exists: a cabled
//     one is one end of a veth pair whose other end is the peer's port; an
//     uncabled one is a veth whose peer is left down in the panel
//     namespace, so the port is present but operationally down, like an
//     empty switch port;
//   - switch ports all carry the switch's system MAC (as on SONiC), which
//     lldpd also advertises as the chassis id (lldpd -C <ports>); a host's
//     chassis id is the MAC of its first interface (lldpd -C <first>);
//   - switches send LLDP port ids of subtype interfaceName, hosts of
//     subtype macAddress (lldpcli "configure lldp portidsubtype"), every
//     node names itself ("configure system hostname") and sends every
//     second ("configure lldp tx-interval 1", TTL 4 s);
//   - a management veth from the root namespace to "mgmt0" in each switch
//     namespace, a /30 out of 10.213.0.0/16 (root side .1, switch side .2
//     of the /30). Free /30s are picked under an flock on
//     /run/railyard-snmptest.lock after scanning the root namespace's
//     addresses, so concurrent labs do not reuse one. snmpd listens on
//     udp:<switch side>:161 only;
//   - snmpd (-f -C -c <lab dir>/<switch>/snmpd.conf, SNMP_PERSISTENT_DIR in
//     the lab dir) as AgentX master on the unix socket
//     <lab dir>/<switch>/agentx.sock (agentXPerms 0660, group _lldpd), and
//     lldpd -x -X <that socket>. lldpd(8) warns that its subagent runs in
//     the privilege separation chroot (/run/lldpd), but lldpd 1.0.16 does
//     reach a socket in the lab directory (checked); snmpd is started
//     first and stays up, so the subagent never needs to reconnect;
//   - a v2c community (Community) and three v3 users: V3User (authPriv,
//     SHA/AES), V3AuthUser (authNoPriv, SHA) and V3NoAuthUser
//     (noAuthNoPriv), created with createUser in snmpd.conf.
//
// Start waits (within 20 s) until every snmpd answers, every lldpd has
// registered LLDP-MIB with it, and every cabled switch port hears exactly
// the expected neighbour. Cleanup (t.Cleanup) stops the processes (their
// process groups, SIGTERM then SIGKILL), deletes the namespaces (which
// deletes the veths) and the lab directory, and prints the daemons' logs
// when the test failed. Namespaces left by a test binary that died are
// removed by the next Start.
//
// A switch's IF-MIB lists lo, mgmt0 and its ports; LLDP port numbers are
// ifIndexes (lldpd's choice). Recable(t, from, to) deletes the veth of
// from (its ends become empty ports), plugs in to, and returns when every
// switch's lldpd shows the new cabling and snmpd's IF-MIB shows the changed
// ports at their new ifIndexes with the new status (a recreated interface
// gets a new ifIndex; snmpd.conf sets interface_replace_old so the stale
// row goes, and snmpd caches IF-MIB for a few seconds). WaitNeighbors(t,
// sw, n) waits until a switch has exactly n LLDP neighbours.
//
// The lab needs root (able to create network namespaces), ip(8), snmpd,
// lldpd and lldpcli; without them the test is skipped, unless the
// environment variable CI is set, in which case it fails.
package snmptest
