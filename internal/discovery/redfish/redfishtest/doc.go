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
//
// Firmware update follows DSP0266 "Software update" and "Asynchronous
// operations". Where the mockup lacks them the server adds the service
// root's UpdateService and Tasks links, an UpdateService, a
// FirmwareInventory with BMC and BIOS members (Version 1.0.0), a
// TaskService and its Tasks collection; it gives the UpdateService a
// MultipartHttpPushUri (/redfish/v1/UpdateService/update-multipart; left out
// with WithoutMultipartPush), an HttpPushUri when it has none (the DMTF
// mockups' /FWUpdate, outside /redfish, is served as it is) and
// MaxImageSizeBytes. A multipart upload (an UpdateParameters JSON part with
// Targets and an UpdateFile part), or an image pushed to HttpPushUri for the
// HttpPushUriTargets, is answered 202 Accepted with the Task in the body and
// its task monitor (<task>/Monitor) in Location; the monitor answers 202
// while the task runs, then 204, or 500 with the task's failure. Malformed
// uploads, Targets outside the FirmwareInventory or not Updateable get 400,
// images over MaxImageSizeBytes 413. The task, at
// /redfish/v1/TaskService/Tasks/<n>, is New, then Running with a growing
// PercentComplete for WithTaskDuration (default 0), then Completed, when the
// targets' Version becomes the image's, or Exception (TaskStatus Critical)
// with the reason among its Messages. Images are text (see Image):
// "component=<Id>" and "version=<v>" lines, or just the version; an image
// with no version, or for another component than the Targets, fails its task.
// WithTaskFailure fails every task, WithUploadRejected answers every upload
// with an error, WithHeldTasks keeps tasks running until FinishTask or
// FailTask, and FirmwareVersion and Tasks show the outcome.
package redfishtest
