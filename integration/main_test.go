// Package integration runs the buildpack at the repository root (after `make
// build`) through the real CNB lifecycle, launches the result and checks what a
// site author and a visitor see. Each feature has its own app under testdata/.
//
// Run with `make test-integration`, or `go test ./integration/...` after
// `make build`. The first run builds the lifecycle from the Go module proxy
// (a couple of minutes); it is cached in the user cache directory. Set
// HARDSTATIC_KEEP_WORKSPACE=1 to keep the workspaces of failed tests.
package integration

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hardstatic/buildpack/integration/lifecycle"
)

var tools lifecycle.Tools

func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	var err error
	tools, err = lifecycle.EnsureTools(ctx)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration: cannot get the lifecycle:", err)
		os.Exit(1)
	}
	warnIfStale()
	os.Exit(m.Run())
}

// warnIfStale says so when the buildpack binaries are older than the sources:
// the tests run whatever `make build` last produced.
func warnIfStale() {
	root, err := lifecycle.FindRepoRoot()
	if err != nil {
		return
	}
	var oldest time.Time
	for _, bin := range []string{"bin/main", "bin/static-server"} {
		info, err := os.Stat(filepath.Join(root, bin))
		if err != nil {
			fmt.Fprintf(os.Stderr, "integration: %s is missing: run `make build` first\n", bin)
			return
		}
		if oldest.IsZero() || info.ModTime().Before(oldest) {
			oldest = info.ModTime()
		}
	}
	var newest string
	for _, dir := range []string{"internal", "server", "go.mod", "go.sum"} {
		_ = filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.HasSuffix(p, "_test.go") {
				return nil
			}
			if info, err := d.Info(); err == nil && info.ModTime().After(oldest) && newest == "" {
				newest = p
			}
			return nil
		})
	}
	if newest != "" {
		fmt.Fprintf(os.Stderr, "integration: WARNING: %s is newer than the buildpack binaries: run `make build` (make test-integration does)\n", newest)
	}
}

// newWorkspace copies testdata/<fixture> into a fresh lifecycle workspace.
func newWorkspace(t *testing.T, fixture string) *lifecycle.Workspace {
	t.Helper()
	ws, err := lifecycle.NewWorkspace(lifecycle.Options{
		Tools:     tools,
		App:       filepath.Join("testdata", fixture),
		Buildpack: os.Getenv("HARDSTATIC_BUILDPACK"), // default: the repository root
	})
	if err != nil {
		t.Fatal(err)
	}
	removeOnCleanup(t, ws)
	return ws
}

func phaseContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// detect runs the detector and fails the test unless detection passes.
func detect(t *testing.T, ws *lifecycle.Workspace) string {
	t.Helper()
	out, err := ws.Detect(phaseContext(t))
	if err != nil {
		t.Fatalf("detect: %v", err)
	}
	logOnFailure(t, "detect", out)
	return out
}

// build runs the builder and fails the test unless the build succeeds.
func build(t *testing.T, ws *lifecycle.Workspace) string {
	t.Helper()
	out, err := ws.Build(phaseContext(t))
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	logOnFailure(t, "build", out)
	return out
}

// detectFails runs the detector and fails the test unless the buildpack
// declined: the lifecycle's "no buildpack groups passed detection".
func detectFails(t *testing.T, ws *lifecycle.Workspace) string {
	t.Helper()
	out, err := ws.Detect(phaseContext(t))
	var pe *lifecycle.PhaseError
	switch {
	case err == nil:
		t.Fatalf("detect passed; want it to decline\n--- detect output ---\n%s", out)
	case !errors.As(err, &pe):
		t.Fatalf("detect: %v", err)
	case pe.ExitCode != lifecycle.ExitDetectFailed:
		t.Fatalf("detect exited with code %d, want %d (the buildpack declines with exit code 100 rather than erroring): %v",
			pe.ExitCode, lifecycle.ExitDetectFailed, err)
	}
	logOnFailure(t, "detect", out)
	return out
}

// buildFails runs the builder and fails the test unless the buildpack's build
// failed.
func buildFails(t *testing.T, ws *lifecycle.Workspace) string {
	t.Helper()
	out, err := ws.Build(phaseContext(t))
	var pe *lifecycle.PhaseError
	switch {
	case err == nil:
		t.Fatalf("build succeeded; want it to fail\n--- build output ---\n%s", out)
	case !errors.As(err, &pe):
		t.Fatalf("build: %v", err)
	case pe.ExitCode != lifecycle.ExitBuildBuildpack:
		t.Fatalf("builder exited with code %d, want %d (the buildpack's build failed): %v",
			pe.ExitCode, lifecycle.ExitBuildBuildpack, err)
	}
	logOnFailure(t, "build", out)
	return out
}

// launch runs the web process and stops it when the test ends.
func launch(t *testing.T, ws *lifecycle.Workspace, env map[string]string) *lifecycle.Server {
	t.Helper()
	srv, err := ws.Launch(env)
	if err != nil {
		t.Fatalf("launch: %v", err)
	}
	t.Cleanup(func() {
		if _, err := srv.Stop(); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			t.Logf("--- server output ---\n%s--- end of server output ---", srv.Output())
		}
	})
	return srv
}

// buildAndLaunch detects, builds and launches the fixture.
func buildAndLaunch(t *testing.T, fixture string) (*lifecycle.Workspace, *lifecycle.Server) {
	t.Helper()
	ws := newWorkspace(t, fixture)
	detect(t, ws)
	build(t, ws)
	return ws, launch(t, ws, nil)
}

func logOnFailure(t *testing.T, what, out string) {
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("--- %s output ---\n%s--- end of %s output ---", what, out, what)
		}
	})
}

// writeFile adds a file to a workspace's app (before detect).
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// removeOnCleanup removes the workspace when the test ends, or keeps it for
// inspection when the test failed and HARDSTATIC_KEEP_WORKSPACE is set.
func removeOnCleanup(t *testing.T, ws *lifecycle.Workspace) {
	t.Helper()
	t.Cleanup(func() {
		if t.Failed() && os.Getenv("HARDSTATIC_KEEP_WORKSPACE") != "" {
			t.Logf("workspace kept at %s", ws.Dir)
			return
		}
		if err := ws.Close(); err != nil {
			t.Errorf("removing the workspace: %v", err)
		}
	})
}
