// Package ufmfake is a stateful fake of NVIDIA UFM Enterprise's PKey
// GUIDs REST API, written from UFM's REST API guide, for the ufm
// driver's tests, benchmarks and end-to-end runs.
//
// A Device is an http.Handler (serve it with httptest.NewServer, or
// reach it in-process through Transport). It keeps partitions (name,
// ip_over_ib, QoS, and members with their membership and index0), a
// last_updated stamp, and serves:
//
//	GET    /ufmRest/app/ufm_version
//	GET    /ufmRest/resources/pkeys[?guids_data=true][&qos_conf=true]
//	GET    /ufmRest/resources/pkeys/last_updated
//	GET    /ufmRest/resources/pkeys/<pkey>[?guids_data=true][&qos_conf=true]
//	POST   /ufmRest/resources/pkeys/add         create an empty partition
//	POST   /ufmRest/resources/pkeys             add GUIDs (creates the pkey if absent)
//	PUT    /ufmRest/resources/pkeys             replace the GUIDs
//	PUT    /ufmRest/resources/pkeys/qos_conf    MTU, service level, rate
//	DELETE /ufmRest/resources/pkeys/<pkey>/guids/<guid,guid,...>
//	DELETE /ufmRest/resources/pkeys/<pkey>
//	GET    /_dev/state, POST /_dev/reset        (test inspection, no auth)
//
// The quirks it models: basic authentication (401 otherwise); PKeys are
// hex strings strictly between 0x0 and 0x7fff, so the default partition
// 0x7fff and out-of-range keys are refused (400); GUIDs are 16 to 20 hex
// digits, stored lower-cased and compared case-insensitively; adding
// and removing GUIDs are set operations (removing an absent GUID does
// nothing; adding a present one updates its membership); creating an
// existing PKey fails (400); a partition is deleted only once it has no
// GUIDs (400 otherwise); reading a PKey that does not exist answers {}
// with 200, not 404; request bodies with fields UFM does not take are
// refused (400); errors are {"error": "..."} bodies.
//
// Faults: FailOn makes the next request whose text ("METHOD
// /path?query body") contains a string fail with 500 and change
// nothing; ErrorBodyOn makes it answer 200 with an error body (as some
// UFM versions do); SetLatency delays every request. UFM applies each
// request at once, so Pending is always empty.
//
// Not modelled: fabric discovery (any well-formed GUID is accepted,
// present in the fabric or not), hosts-based membership, SHARP, the
// legacy /ufmRest/actions endpoints, sessions and tokens
// (/ufmRestV2, /ufmRestV3), and the SM actually programming port PKey
// tables.
package ufmfake
