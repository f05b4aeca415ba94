// Package discovery observes the fleet: it asks BMCs (Redfish, IPMI),
// switches (SNMP, vendor CLIs) and node agents what is really there and
// turns their answers into model.Observation values.
//
// Discovery only observes. It never writes the inventory itself: a Runner
// hands its observations to a Sink, which the inventory implements, and the
// inventory decides what changed.
//
// Sources register by URL scheme (database/sql style) from their own
// packages (discovery/redfish, discovery/ipmi, discovery/snmp,
// discovery/switchcli); a program links the sources it wants with blank
// imports. A source implements the narrow Source interface; power and boot
// control and firmware updates are optional capabilities (PowerController,
// BootController, FirmwareUpdater), which the maintenance executor uses.
//
// Credentials never travel in URLs or flags. A target names a credential
// reference (env:NAME or file:PATH) that is resolved at the moment of use;
// Credentials render as "REDACTED" in logs, errors and JSON.
package discovery
