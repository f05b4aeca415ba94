// Package report carries observations between a discovery probe (the CLI's
// discover command, the node agent, the server's own discovery loop) and
// the inventory: the wire form of model.Observation in
// railyard.v1.DiscoveryService, both directions, and a client that sends a
// run's observations to a server.
package report
