package integration

// Helpers for the processes a test runs (phases, the server, a cache, a
// launcher run by hand): a free port, a wait on a condition instead of a
// sleep, and a check of their output. The launch environment itself is
// Workspace.LaunchEnv, the one the harness's Launch uses.

import (
	"os/exec"
	"strings"
	"syscall"
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

// process is a command a test started with startProcess.
type process struct {
	cmd  *exec.Cmd
	out  *lifecycle.SyncBuffer // its stdout and stderr
	done chan struct{}         // closed when it has exited
}

// startProcess starts cmd in a process group of its own, collecting its
// output, and stops it when the test ends: stop to the group, then SIGKILL
// after 10 s. The output (named what) is logged when the test failed.
func startProcess(t *testing.T, what string, cmd *exec.Cmd, stop syscall.Signal) *process {
	t.Helper()
	p := &process{cmd: cmd, out: &lifecycle.SyncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", what, err)
	}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, stop)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
		if t.Failed() {
			t.Logf("--- %s output ---\n%s--- end of %s output ---", what, p.out.String(), what)
		}
	})
	return p
}

// exited reports whether the process has exited.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}
