//go:build !linux

package main

import "syscall"

// childAttr is nil where there is no parent-death signal: the children are
// stopped when tlsservers exits normally.
func childAttr() *syscall.SysProcAttr { return nil }
