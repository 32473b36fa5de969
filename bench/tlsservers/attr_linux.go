package main

import "syscall"

// childAttr has the kernel kill an openssl child if tlsservers dies without
// stopping it (SIGKILL, a crash).
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
