package buildpack

import (
	"bytes"
	"strings"
	"testing"

	"github.com/hardstatic/buildpack/internal/config"
	"github.com/hardstatic/buildpack/internal/sitefs"
)

func TestLogNearestNotFound(t *testing.T) {
	tree := &sitefs.Tree{Files: map[string]*sitefs.File{
		"404.html":        {Name: "404.html"},
		"en/404.html":     {Name: "en/404.html"},
		"admin/404.html":  {Name: "admin/404.html", Protected: true},
		"blog/index.html": {Name: "blog/index.html"},
		"not-404.html":    {Name: "not-404.html"},
	}}
	var out bytes.Buffer
	logNearestNotFound(&config.Config{NearestNotFound: true}, tree, logger{w: &out})
	want := "404 pages by directory (a miss gets the nearest, else the root's): " +
		"admin/404.html (protected: only for visitors who sent credentials), en/404.html"
	if !strings.Contains(out.String(), want) {
		t.Errorf("log:\n%s\nwant %q", out.String(), want)
	}
	out.Reset()
	logNearestNotFound(&config.Config{NotFound: "404.html"}, tree, logger{w: &out})
	if out.Len() != 0 {
		t.Errorf("a pinned not_found lists pages: %s", out.String())
	}
}
