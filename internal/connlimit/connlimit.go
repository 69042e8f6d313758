// Package connlimit bounds the server's concurrent connections, so that idle
// keep-alive connections cannot exhaust memory or file descriptors.
//
// It registers the Caddy listener wrapper caddy.listeners.static_limit. At
// the cap, Accept waits: new connections queue in the kernel's accept backlog
// and are taken, in order, as soon as an open connection closes (an idle one
// does so after the server's idle timeout), so the server recovers on its own.
// Cap computes the default from the memory and file-descriptor limits.
package connlimit

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/caddyserver/caddy/v2"
	"golang.org/x/net/netutil"
)

func init() {
	caddy.RegisterModule(Listener{})
}

// Listener is the Caddy listener wrapper caddy.listeners.static_limit.
type Listener struct {
	// MaxConns is the most connections open at once. Required (> 0).
	MaxConns int `json:"max_conns"`
}

// CaddyModule returns the Caddy module information.
func (Listener) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "caddy.listeners.static_limit", New: func() caddy.Module { return new(Listener) }}
}

// Validate checks MaxConns.
func (l *Listener) Validate() error {
	if l.MaxConns < 1 {
		return fmt.Errorf("static_limit: max_conns must be at least 1, got %d", l.MaxConns)
	}
	return nil
}

// WrapListener limits ln to MaxConns open connections.
func (l *Listener) WrapListener(ln net.Listener) net.Listener {
	return netutil.LimitListener(ln, l.MaxConns)
}

// Sizing. ConnMemory is the resident memory of one idle keep-alive
// connection, measured by `make bench` (BENCHMARKS.md: 23.0 and 26.8 MiB per
// 1,000 connections in two runs), rounded up. Connections may use MemoryShare of the
// memory limit; the rest is for the server itself and for requests in
// flight. FDReserve file descriptors are kept for the listener, files being
// served, proxy connections and logs.
const (
	ConnMemory  = 28 << 10
	MemoryShare = 2 // 1/2
	FDReserve   = 256
	// MinConns is the lowest computed cap: below it the limits are too
	// small to serve a site at all, and more would not help.
	MinConns = 64
	// EnvMaxConns overrides the computed cap.
	EnvMaxConns = "STATIC_MAX_CONNECTIONS"
)

// Limits are what the cap is computed from.
type Limits struct {
	Memory int64 // bytes: the cgroup limit, else the machine's total
	Files  int64 // RLIMIT_NOFILE (Go raises the soft limit to the hard one)
}

// Cap returns the connection cap and how it was found, for the start-up log:
// the value of EnvMaxConns when set, else the smaller of what the memory
// limit and the file-descriptor limit allow.
func Cap(lookup func(string) (string, bool)) (int, string, error) {
	if v, ok := lookup(EnvMaxConns); ok && strings.TrimSpace(v) != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 {
			return 0, "", fmt.Errorf("%s=%q is not a number of connections (a whole number, at least 1)", EnvMaxConns, v)
		}
		return n, fmt.Sprintf("%d (%s)", n, EnvMaxConns), nil
	}
	l := ReadLimits()
	n := l.Cap()
	return n, fmt.Sprintf("%d (memory limit %d MiB, file descriptors %d; set %s to change)", n, l.Memory>>20, l.Files, EnvMaxConns), nil
}

// Cap is the connection cap the limits allow.
func (l Limits) Cap() int {
	n := int64(1) << 20 // no known limit: a million
	if l.Memory > 0 {
		n = min(n, l.Memory/MemoryShare/ConnMemory)
	}
	if l.Files > 0 {
		n = min(n, l.Files-FDReserve)
	}
	return int(max(n, MinConns)) //nolint:gosec // at most 1<<20
}

// ReadLimits reads the memory limit (cgroup v2, then v1, then /proc/meminfo)
// and RLIMIT_NOFILE of this process. A limit it cannot read is 0.
func ReadLimits() Limits {
	var l Limits
	total := memTotal()
	l.Memory = total
	for _, f := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		if v, err := readInt(f); err == nil && v > 0 && (total == 0 || v < total) {
			l.Memory = v
			break
		}
	}
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err == nil && r.Cur < 1<<40 {
		l.Files = int64(r.Cur) //nolint:gosec // under 1<<40
	}
	return l
}

// readInt reads a file holding one number ("max" is no number).
func readInt(name string) (int64, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
}

func memTotal() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "MemTotal:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

// Interface guards.
var (
	_ caddy.ListenerWrapper = (*Listener)(nil)
	_ caddy.Validator       = (*Listener)(nil)
)
