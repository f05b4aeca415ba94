// Package ipmi is the discovery source for BMCs reached over IPMI v2.0
// LAN (RMCP+): targets ipmi://host[:port] (port 623 by default), registered
// as scheme "ipmi", source name "ipmi". A program links it with a blank
// import.
//
// Discover returns one model.NodeFacts per target. The identity comes from
// FRU device 0, read with `ipmitool -I lanplus ... fru print 0` and parsed
// by ParseFRU (bmclib v2.3.5 has no FRU or inventory call in its ipmitool
// provider):
//
//	Serial ← Product Serial, else Board Serial
//	Model  ← Product Name, else Product Part Number
//	Vendor ← Product Manufacturer, else Board Mfg
//	Power  ← chassis power status ("on", "off")
//
// Placeholder values ("To be filled by O.E.M.", "NONE", "0123456789", all
// zeros...) count as absent. Whatever is absent is named in
// NodeFacts.Missing ("serial", "vendor", "model", "power"), never guessed;
// IPMI cannot see GPUs or NICs, so "gpus" and "nics" are always missing.
//
// Power state, power control (PowerController) and the next boot device
// (BootController) go through bmclib's ipmitool provider.
//
// The password reaches ipmitool only through the IPMI_PASSWORD environment
// variable (-E), never its command line, and never appears in errors.
// Errors are classified: a refused login (RAKP errors such as "RAKP 2 HMAC
// is invalid" or "unauthorized name") is discovery.Unauthorized; no answer
// or the context deadline is discovery.Unreachable; output that cannot be
// parsed is discovery.Malformed; a missing ipmitool is discovery.Failed.
// ipmitool runs under the caller's context and is killed when it ends.
//
// Target parameters: cipher=N fixes the RMCP+ cipher suite (by default 3,
// then 17, as bmclib does); efiboot=true makes SetBootDevice ask for an EFI
// boot. The account needs the ADMINISTRATOR privilege, which is what
// ipmitool's lanplus interface asks for.
//
// Subpackage ipmisim runs OpenIPMI's ipmi_sim for tests.
package ipmi
