package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Apps that are not static sites are left to other buildpacks, and the
// author is told why.
func TestDetectDeclines(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		fixture string
		why     string // the output must mention it
	}{
		{"procfile", "Procfile"},
		{"no-index", "index.html"},
		{"layout-unbuilt", "MkDocs (mkdocs.yml) writes site/, so build the site first"},
	} {
		t.Run(c.fixture, func(t *testing.T) {
			t.Parallel()
			ws := newWorkspace(t, c.fixture)
			out := detectFails(t, ws)
			if !strings.Contains(out, c.why) {
				t.Errorf("detect output does not explain the decision (no mention of %s):\n%s", c.why, out)
			}
			if _, err := os.Stat(filepath.Join(ws.LayersDir, "group.toml")); err == nil {
				t.Errorf("a failed detect wrote group.toml")
			}
		})
	}
}
