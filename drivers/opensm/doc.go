// Package opensm is the Railyard driver for InfiniBand partitions on a
// host running OpenSM, registered as "opensm". The device is the host;
// the transport is a shell on it; the target's Address is the path of
// the partition file (DefaultPath when empty).
//
// The file follows OpenSM's doc/partition-config.txt:
//
//	Name[=PKey][,indx0][,ipoib[,mtu=N][,rate=N][,sl=N]...][,defmember=full|limited|both] : member, member, ... ;
//
// where a member is a port GUID or one of ALL, ALL_CAS, ALL_SWITCHES,
// ALL_ROUTERS, SELF, with an optional =full|limited|both; "#" starts a
// comment; a statement runs to its ";" over as many lines as it needs;
// only the low 15 bits of a PKey count and statements with the same PKey
// merge. Railyard owns the partitions whose names start with "ry-"; every
// other statement, and the comments around them, is the operator's and
// is written back byte for byte.
//
// The file always has a Default (0x7fff) partition; when it has none the
// driver writes "Default=0x7fff, ipoib : SELF=full ;", and a Default that
// gives full membership to ALL, ALL_CAS or a tenant's GUID is replaced by
// that line (tenants never share the default partition as full
// members). While the Default is unsafe, Observe reports no tenant
// partitions, so the next sync rewrites the file.
//
// Apply reads the file, writes the new one beside it (PATH.ry-new), keeps
// a backup (PATH.ry-bak), renames the new file over the old one and sends
// opensm one SIGHUP; the backup is removed when the signal was
// delivered. When any step fails, the file is put back from the backup
// (or removed, if there was none before) and opensm is not signalled. A
// change that leaves the file as it is sends nothing.
//
// Commands shows the commands for DefaultPath and a file that holds only
// Railyard's statements: a pure function cannot know the operator's
// statements, which Apply carries over from the file it reads.
package opensm
