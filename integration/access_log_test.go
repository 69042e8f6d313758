package integration

// access_log and STATIC_ACCESS_LOG: on by default (every request a JSON
// line, none lost on SIGTERM), sampled, or off.

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
)

// accessLines counts the access-log lines of the test's own requests (the
// harness's readiness checks are logged too).
func accessLines(out string) int { return strings.Count(out, `"uri":"/?n=`) }

func TestAccessLog(t *testing.T) {
	t.Parallel()
	ws := newWorkspace(t, "plain")
	detect(t, ws)
	build(t, ws)
	for _, c := range []struct {
		env      map[string]string
		requests int
		min, max int
	}{
		{nil, 5, 5, 5},
		{map[string]string{"STATIC_ACCESS_LOG": "off"}, 5, 0, 0},
		{map[string]string{"STATIC_ACCESS_LOG": "sampled"}, 200, 10, 20},
		{map[string]string{"STATIC_ACCESS_LOG": "on"}, 5, 5, 5},
	} {
		t.Run(fmt.Sprint(c.env), func(t *testing.T) {
			srv := launch(t, ws, c.env)
			for i := range c.requests {
				resp, _ := get(t, srv, fmt.Sprintf("/?n=%d", i))
				if resp.StatusCode != 200 {
					t.Fatalf("GET /: %d", resp.StatusCode)
				}
			}
			// Stopped at once: the lines still held in the batch are
			// written on SIGTERM.
			if err := srv.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if code := srv.ExitCode(); code != 0 {
				t.Errorf("exit code %d after SIGTERM", code)
			}
			if n := accessLines(srv.Output()); n < c.min || n > c.max {
				t.Errorf("%d access-log lines for %d requests, want %d to %d:\n%s", n, c.requests, c.min, c.max, srv.Output())
			}
		})
	}
	srv, err := ws.Launch(map[string]string{"STATIC_ACCESS_LOG": "loud"})
	if err == nil {
		srv.Kill()
		t.Fatal("the server started with STATIC_ACCESS_LOG=loud")
	}
	if !strings.Contains(err.Error(), `STATIC_ACCESS_LOG="loud" is not one of on, sampled, off`) {
		t.Errorf("error %v", err)
	}
}
