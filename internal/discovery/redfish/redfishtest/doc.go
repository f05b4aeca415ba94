// Package redfishtest runs a fake Redfish service for tests: an httptest
// server (TLS or plain HTTP) that serves a DMTF mockup directory, where each
// resource is <dir>/<path below /redfish/v1>/index.json.
//
// The fake is stateful and follows DSP0266 where the tests need it: the
// service root, /redfish/v1/odata and $metadata are readable without
// credentials; everything else needs HTTP basic auth or an X-Auth-Token from
// POST to the session collection (which answers with X-Auth-Token and
// Location, and whose members can be deleted). ComputerSystem.Reset changes
// the system's PowerState in the server's in-memory copy of the mockup, and
// PATCH merges into it (RFC 7386), so power and boot changes are visible to a
// later GET. Options inject latency and faults (bad JSON, truncated bodies,
// 500 responses, requests that never answer), and Patch edits a resource
// between two discovery runs.
package redfishtest
