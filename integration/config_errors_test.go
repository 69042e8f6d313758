package integration

import (
	"regexp"
	"strings"
	"testing"
)

// A broken static.toml fails the build with a message that points at the
// line and says how to fix it, and no web process is declared.
func TestBrokenConfigFailsBuild(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, fixture string
		check         func(t *testing.T, out string)
	}{
		{"unknown key", "bad-key", func(t *testing.T, out string) {
			_, after, ok := strings.Cut(out, "static.toml:3:1")
			if !ok {
				t.Errorf("build output does not point at static.toml:3:1 (the unknown key roots):\n%s", out)
				return
			}
			// The suggestion follows on the same line or the next ones.
			if lines := strings.SplitN(after, "\n", 4); !regexp.MustCompile(`\broot\b`).MatchString(strings.Join(lines[:min(len(lines), 3)], "\n")) {
				t.Errorf("build output does not suggest the key root after static.toml:3:1:\n%s", out)
			}
		}},
		{"wrong type", "bad-type", func(t *testing.T, out string) {
			if !regexp.MustCompile(`static\.toml:2\b`).MatchString(out) {
				t.Errorf("build output does not point at line 2 of static.toml (root = 5):\n%s", out)
			}
		}},
		{"missing root directory", "missing-root", func(t *testing.T, out string) {
			if !regexp.MustCompile(`(?i)root\b[^\n]*\bdist\b[^\n]*(does not exist|doesn't exist|not found)`).MatchString(out) {
				t.Errorf("build output does not say the root directory dist does not exist:\n%s", out)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ws := newWorkspace(t, c.fixture)
			// static.toml is the author's statement that this is a static site:
			// detection passes, so that the build can report the problem.
			detect(t, ws)
			out := buildFails(t, ws)
			c.check(t, out)
			procs, err := ws.Processes()
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range procs {
				if p.Type == "web" {
					t.Errorf("a failed build declared a web process: %+v", p)
				}
			}
		})
	}
}
