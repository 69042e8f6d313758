package integration

// Helpers for the processes a test runs (phases, the server, a cache, a
// launcher run by hand): a free port, a wait on a condition instead of a
// sleep, and a check of their output. The launch environment itself is
// Workspace.LaunchEnv, the one the harness's Launch uses.

import (
	"strings"
	"testing"
	"time"

	"github.com/hardstatic/buildpack/integration/lifecycle"
)

// freePort returns a loopback TCP port nobody listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	port, err := lifecycle.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// pollInterval is how often waitUntil looks again.
const pollInterval = 50 * time.Millisecond

// waitUntil checks cond until it holds, and reports whether it did before
// timeout passed. The timeout is a bound for a broken server, not a guess at
// how long things take: cond must say what the test waits for.
func waitUntil(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(pollInterval)
	}
}

// expectOutput reports each of wants that out (what's output) lacks.
func expectOutput(t *testing.T, what, out string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(out, want) {
			t.Errorf("%s does not show %q:\n%s", what, want, out)
		}
	}
}
