// Package ufm is the Railyard driver for NVIDIA UFM Enterprise, the
// subnet manager of an InfiniBand fabric: it programs one partition
// (PKey) per tenant through UFM's PKey GUIDs REST API under /ufmRest
// (basic authentication).
//
// The driver owns the partitions whose names start with
// fabric.OwnedPrefix ("ry-") and leaves every other partition, the
// default partition 0x7fff included, alone. It reads every partition in
// one request (GET /ufmRest/resources/pkeys?guids_data=true&qos_conf=true),
// and polls GET /ufmRest/resources/pkeys/last_updated before re-reading
// on a long-lived connection.
//
// UFM has no transactions: every request takes effect at once. Apply is
// therefore compensating. It reads the partitions first (a snapshot),
// sends the requests, and when one fails it undoes the requests already
// made, in reverse, re-reads UFM and says in its error whether the
// partitions it touched are back as they were.
//
// Requests per partition are batched: a new partition is one create and
// one member add (all GUIDs, per-GUID memberships); a changed member
// set is one PUT of the complete list (or one DELETE of the GUIDs when
// none are left); a removed partition is one DELETE of its GUIDs and one
// DELETE of the partition (UFM-side, a partition is deleted only once it
// is empty). An MTU change is a QoS update (PUT .../pkeys/qos_conf); a
// rename or an IPoIB change re-creates the partition.
//
// The request lines Commands returns ("POST /ufmRest/resources/pkeys/add
// {...}") are exactly what Apply sends, path and JSON body.
package ufm
