//go:build !linux

package l3lab

import (
	"context"
	"errors"
	"net/netip"
	"time"
)

// PingNS needs Linux network namespaces.
func PingNS(ctx context.Context, ns string, dst netip.Addr, count int, interval, timeout time.Duration) (bool, error) {
	return false, errors.New("ping: network namespaces need Linux")
}
