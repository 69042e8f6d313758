package buildpack

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hardstatic/buildpack/internal/config"
)

// Each list of the integrity report stops at maxListed entries and says how
// many more there are.
func TestHardenRootCapsLists(t *testing.T) {
	root := t.TempDir()
	const pages = maxListed + 2
	files := map[string]string{"app.js": "1"}
	for i := range pages {
		files[fmt.Sprintf("p%02d.html", i)] = `<script src="/app.js"></script><script src="https://cdn.example/x.js"></script><script src="/gone.js"></script>`
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv(SRIEnv, "")
	tree, err := walkRoot(root, config.Default(), []string{config.FileName})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	addSRI(root, config.Default(), tree, logger{w: &out, debug: true})
	log := out.String()
	for _, c := range []struct {
		prefix string
		n      int
	}{
		{"    p", maxListed},
		{"    not added: p", maxListed},
		{"  WARNING: no integrity for p", maxListed},
	} {
		if got := strings.Count(log, "\n"+c.prefix); got != c.n {
			t.Errorf("%d lines start with %q, want %d:\n%s", got, c.prefix, c.n, log)
		}
	}
	for _, want := range []string{
		"\n    ... and 2 more pages\n",
		"\n    ... and 2 more\n",
		"\n  WARNING: ... and 2 more tags or pages without integrity\n",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q:\n%s", want, log)
		}
	}
}
