package ipmisim

import "syscall"

// sysProcAttr kills ipmi_sim when the test binary dies without running its
// cleanups (a panic in another goroutine, a timeout, SIGKILL).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
