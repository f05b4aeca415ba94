// Package frrlab runs real FRR routers in throwaway Linux network
// namespaces for tests: one namespace per device, zebra and bgpd started
// as the frr user with private config, pid and vty-socket paths under a
// scratch directory, a private tmpfs over /var/tmp in the daemons' mount
// namespace (FRR writes its log buffers there), and a teardown that kills
// the daemons by pid (SIGKILL: zebra 8.4.4 may crash on SIGTERM and bgpd shuts down slowly),
// deletes the namespaces and the scratch directory, even after a failure.
//
// It follows /work/shared/reference/frr-l3vni-experiment.md §4 and
// network-driver-anchors.md §7. The system /etc/frr is never read or
// written: every daemon and vtysh gets explicit -f/-i/-z/--vty_socket
// paths, and nothing here runs frr-reload.py.
//
// Device adapts one router to drivertest.Fake for the conformance suite:
// Running is vtysh's running-config plus a canonical dump of the
// namespace's netdevs, FailOn injects an FRR-style error into the next
// matching command.
package frrlab
