//go:build linux

package l3lab

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"
)

// pingID numbers the echo streams of this process, so concurrent pings
// in one namespace tell their replies apart.
var pingID atomic.Uint32

// inNetns creates a socket in the network namespace ns (a name under
// /run/netns): the calling thread enters ns, creates the socket and
// returns to its own namespace. A socket keeps the namespace it was
// created in.
func inNetns(ns string, mk func() (int, error)) (int, error) {
	target, err := os.Open("/run/netns/" + ns)
	if err != nil {
		return -1, err
	}
	defer target.Close()
	runtime.LockOSThread()
	self, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", syscall.Gettid()))
	if err != nil {
		runtime.UnlockOSThread()
		return -1, err
	}
	defer self.Close()
	if err := setns(int(target.Fd())); err != nil {
		runtime.UnlockOSThread()
		return -1, fmt.Errorf("setns %s: %w", ns, err)
	}
	fd, mkErr := mk()
	if err := setns(int(self.Fd())); err != nil {
		// The thread stays locked, so it dies with this goroutine
		// rather than serve others in the wrong namespace.
		if fd >= 0 {
			syscall.Close(fd)
		}
		return -1, fmt.Errorf("setns back: %w", err)
	}
	runtime.UnlockOSThread()
	return fd, mkErr
}

// sysSetns is setns(2)'s number per architecture (the syscall package
// does not name it on every one).
var sysSetns = map[string]uintptr{"amd64": 308, "arm64": 268, "riscv64": 268, "loong64": 268, "386": 346, "arm": 375, "ppc64le": 350, "s390x": 339}

func setns(fd int) error {
	nr, ok := sysSetns[runtime.GOARCH]
	if !ok {
		return fmt.Errorf("setns: unknown system call number on %s", runtime.GOARCH)
	}
	if _, _, e := syscall.RawSyscall(nr, uintptr(fd), syscall.CLONE_NEWNET, 0); e != 0 {
		return e
	}
	return nil
}

// echoRequest builds an ICMP echo request.
func echoRequest(id, seq uint16, payload []byte) []byte {
	b := make([]byte, 8+len(payload))
	b[0] = 8 // echo request
	binary.BigEndian.PutUint16(b[4:], id)
	binary.BigEndian.PutUint16(b[6:], seq)
	copy(b[8:], payload)
	binary.BigEndian.PutUint16(b[2:], checksum(b))
	return b
}

func checksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

// ParseEchoReply reads an ICMP message (with or without its IPv4
// header) and returns the id and sequence of an echo reply.
func ParseEchoReply(b []byte) (id, seq uint16, ok bool) {
	if len(b) >= 20 && b[0]>>4 == 4 {
		ihl := int(b[0]&0x0f) * 4
		if ihl < 20 || len(b) < ihl {
			return 0, 0, false
		}
		b = b[ihl:]
	}
	if len(b) < 8 || b[0] != 0 || b[1] != 0 {
		return 0, 0, false
	}
	return binary.BigEndian.Uint16(b[4:]), binary.BigEndian.Uint16(b[6:]), true
}

// PingNS sends count ICMP echo requests from network namespace ns to
// dst, interval apart, and reports whether any reply came back within
// timeout of the last request. It needs root (setns, raw sockets).
func PingNS(ctx context.Context, ns string, dst netip.Addr, count int, interval, timeout time.Duration) (bool, error) {
	if !dst.Is4() {
		return false, errors.New("ping: IPv4 only")
	}
	fd, err := inNetns(ns, func() (int, error) {
		return syscall.Socket(syscall.AF_INET, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC, syscall.IPPROTO_ICMP)
	})
	if err != nil {
		return false, err
	}
	f := os.NewFile(uintptr(fd), "icmp")
	c, err := net.FilePacketConn(f)
	f.Close()
	if err != nil {
		return false, err
	}
	defer c.Close()
	id := uint16(pingID.Add(1)) ^ uint16(os.Getpid())
	to := &net.IPAddr{IP: dst.AsSlice()}
	got := make(chan struct{}, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1500)
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			if a, ok := from.(*net.IPAddr); !ok || !a.IP.Equal(to.IP) {
				continue
			}
			if rid, _, ok := ParseEchoReply(buf[:n]); ok && rid == id {
				select {
				case got <- struct{}{}:
				default:
				}
				return
			}
		}
	}()
	defer func() { c.Close(); <-done }()
	deadline := time.Now().Add(time.Duration(count-1)*interval + timeout)
	c.SetReadDeadline(deadline)
	t := time.NewTimer(0)
	defer t.Stop()
	for seq := 1; ; {
		select {
		case <-got:
			return true, nil
		case <-done:
			// The reader stops on a reply or at the deadline.
			select {
			case <-got:
				return true, nil
			default:
				return false, nil
			}
		case <-ctx.Done():
			return false, ctx.Err()
		case <-t.C:
			if seq <= count {
				// A send can fail (no route); the reply wait decides.
				c.WriteTo(echoRequest(id, uint16(seq), []byte("railyard-l3lab")), to)
				seq++
				t.Reset(interval)
			}
		}
	}
}
