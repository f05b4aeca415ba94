// Package railyardv1 is the Go code generated from the railyard.v1 protocol
// buffers in this directory (`make proto`); only this file is hand-written.
package railyardv1
