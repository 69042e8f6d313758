package integration

// Helpers of the static.toml configuration-surface tests (config_surface_*).

import (
	"regexp"
	"strings"
	"testing"

	"github.com/hardstatic/buildpack/integration/lifecycle"
)

// cfgBuilt makes a workspace from fixture and detects and builds it.
func cfgBuilt(t *testing.T, fixture string) (*lifecycle.Workspace, string) {
	t.Helper()
	ws := newWorkspace(t, fixture)
	detect(t, ws)
	return ws, build(t, ws)
}

// cfgBuildFailsAt builds fixture, checks that the build fails with an error
// line pointing at at (such as "static.toml:3:1") and that the line names
// each of words (the key, the file), and returns the build output.
func cfgBuildFailsAt(t *testing.T, fixture, at string, words ...string) string {
	t.Helper()
	ws := newWorkspace(t, fixture)
	detect(t, ws)
	out := buildFails(t, ws)
	line := cfgLineMatching(out, regexp.MustCompile(regexp.QuoteMeta(at)+`\b`))
	if line == "" {
		t.Fatalf("build output does not point at %s:\n%s", at, out)
	}
	for _, w := range words {
		if !strings.Contains(line, w) {
			t.Errorf("the error line does not name %s: %q", w, line)
		}
	}
	return out
}

// cfgLaunchFails launches ws with env and checks that the server refuses to
// start (it exits before answering HTTP). It returns the server's output.
func cfgLaunchFails(t *testing.T, ws *lifecycle.Workspace, env map[string]string) string {
	t.Helper()
	srv, err := ws.Launch(env)
	if err == nil {
		_, _ = srv.Stop()
		t.Fatalf("the server started with env %q; want it to refuse\n--- server output ---\n%s", env, srv.Output())
	}
	if srv == nil {
		t.Fatalf("launch: %v", err)
	}
	select {
	case <-srv.Done():
	default:
		t.Fatalf("the server did not exit, it did not answer HTTP: %v", err)
	}
	if srv.ExitCode() == 0 {
		t.Errorf("the server exited with code 0; want a failure code\n%s", srv.Output())
	}
	return srv.Output()
}

// cfgLineMatching returns the first line of out matching re, or "".
func cfgLineMatching(out string, re *regexp.Regexp) string {
	for line := range strings.SplitSeq(out, "\n") {
		if re.MatchString(line) {
			return line
		}
	}
	return ""
}
