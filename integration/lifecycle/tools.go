// Package lifecycle runs the real Cloud Native Buildpacks lifecycle (detector,
// builder and launcher) against the buildpack at the repository root, with no
// container engine: each phase is a process on this machine, in a temporary
// workspace laid out the way a platform lays out a build container.
//
// It is used by the integration tests and by the run-example command behind
// `make run`.
package lifecycle

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

const (
	// Version is the lifecycle release built from the Go module proxy.
	Version = "0.21.14"
	// PlatformAPI is the Platform API the phases are run with.
	PlatformAPI = "0.15"

	lifecycleModule = "github.com/buildpacks/lifecycle"
)

// Tools are the lifecycle binaries: Lifecycle picks its phase from the name it
// is run as (detector, builder, ...); Launcher picks the process type from its
// name (web).
type Tools struct {
	Lifecycle string
	Launcher  string
}

// CacheDir is where EnsureTools keeps the binaries:
// $XDG_CACHE_HOME/hardstatic/lifecycle-v<Version> (~/.cache/... by default).
func CacheDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("locating the user cache directory: %w", err)
	}
	return filepath.Join(base, "hardstatic", "lifecycle-v"+Version), nil
}

// EnsureTools returns the lifecycle and launcher binaries, building them from
// the Go module proxy into CacheDir the first time (about two minutes cold).
// Concurrent callers, in this process or others, wait for one build.
func EnsureTools(ctx context.Context) (Tools, error) {
	dir, err := CacheDir()
	if err != nil {
		return Tools{}, err
	}
	tools := Tools{Lifecycle: filepath.Join(dir, "lifecycle"), Launcher: filepath.Join(dir, "launcher")}
	if tools.present() {
		return tools, nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return Tools{}, err
	}
	unlock, err := lockFile(ctx, dir+".lock")
	if err != nil {
		return Tools{}, err
	}
	defer unlock()
	if tools.present() { // another process built them while we waited
		return tools, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Tools{}, err
	}
	if err := buildTools(ctx, dir); err != nil {
		return Tools{}, fmt.Errorf("building lifecycle v%s into %s: %w", Version, dir, err)
	}
	return tools, nil
}

func (t Tools) present() bool {
	for _, p := range []string{t.Lifecycle, t.Launcher} {
		fi, err := os.Stat(p)
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
			return false
		}
	}
	return true
}

// lockFile takes an exclusive flock on path, polling so that ctx can cancel.
func lockFile(ctx context.Context, path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				_ = f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			_ = f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, fmt.Errorf("waiting for the lock %s (another test process holds it): %w", path, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

const toolsGoMod = `module hardstatic.local/lifecycle-tools

go 1.24

require ` + lifecycleModule + ` v` + Version + `
`

const toolsGo = `//go:build tools

package tools

import (
	_ "` + lifecycleModule + `/cmd/launcher"
	_ "` + lifecycleModule + `/cmd/lifecycle"
)
`

// buildTools builds both binaries in a scratch module next to dir and renames
// them into place, so a half-written binary is never seen.
func buildTools(ctx context.Context, dir string) error {
	src, err := os.MkdirTemp(filepath.Dir(dir), "build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(src)
	if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte(toolsGoMod), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(src, "tools.go"), []byte(toolsGo), 0o644); err != nil {
		return err
	}
	env := append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=-mod=mod")
	run := func(args ...string) error {
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = src
		cmd.Env = env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go %v: %w\n%s", args, err, out.Bytes())
		}
		return nil
	}
	if err := run("mod", "tidy"); err != nil {
		return err
	}
	ldflags := "-s -w -X " + lifecycleModule + "/cmd.Version=" + Version
	for name, pkg := range map[string]string{"lifecycle": "/cmd/lifecycle", "launcher": "/cmd/launcher"} {
		tmp := filepath.Join(src, name)
		if err := run("build", "-trimpath", "-ldflags", ldflags, "-o", tmp, lifecycleModule+pkg); err != nil {
			return err
		}
		if err := os.Chmod(tmp, 0o755); err != nil {
			return err
		}
		// src is beside dir, on the same file system, so the rename is atomic.
		if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	return nil
}

// LockFile takes an exclusive lock on path (a file it creates), waiting for
// another holder until ctx ends; the returned function releases it.
func LockFile(ctx context.Context, path string) (func(), error) { return lockFile(ctx, path) }
