//go:build !linux

package ipmisim

import "syscall"

func sysProcAttr() *syscall.SysProcAttr { return nil }
