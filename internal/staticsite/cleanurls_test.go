package staticsite

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Names a generated tree is made of: dots (rustdoc's struct.Vec.html),
// spaces, index files, a page and a folder of the same name.
var treeNames = []string{"a", "b", "a.html", "b.html", "index.html", "struct.Vec.html", "fn.x.html", "a b.html",
	"x.txt", "x", "x.html", "v1.2", "v1.2.html", "app.js", "c.d"}

// randomTree writes a tree of files, each holding its own name.
func randomTree(t *testing.T, r *rand.Rand) (string, []string) {
	root := t.TempDir()
	var files []string
	for range 4 + r.IntN(12) {
		depth := r.IntN(3)
		var segs []string
		for range depth {
			segs = append(segs, strings.TrimSuffix(treeNames[r.IntN(len(treeNames))], ".html"))
		}
		name := strings.Join(append(segs, treeNames[r.IntN(len(treeNames))]), "/")
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			continue // a file already has this directory's name
		}
		if info, err := os.Stat(p); err == nil && info.IsDir() {
			continue
		}
		if err := os.WriteFile(p, []byte("FILE "+name), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, name)
	}
	return root, files
}

func get(h *Handler, target string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	_ = h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil), nil)
	return rec
}

// Property: under every clean_urls and trailing_slash setting, every file
// of a generated tree is reachable; its own path serves it or redirects
// (once) to a URL that serves the same file; no redirect ever lands on
// another file or a 404.
func TestCleanURLsNeverStrand(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2)) //nolint:gosec // reproducible trees, not secrets
	for i := range 150 {
		root, files := randomTree(t, r)
		for _, clean := range []bool{true, false} {
			for _, slash := range []string{"auto", "always", "never"} {
				h := newHandler(t, Handler{Root: root, CleanURLs: clean, TrailingSlash: slash})
				for _, f := range files {
					target := (&url.URL{Path: "/" + f}).EscapedPath()
					rec := get(h, target)
					if rec.Code == http.StatusMovedPermanently {
						loc := rec.Header().Get("Location")
						rec = get(h, loc)
						target += " -> " + loc
					}
					if rec.Code != http.StatusOK || rec.Body.String() != "FILE "+f {
						t.Fatalf("tree %d (clean_urls=%t, trailing_slash=%s, files %q): GET %s: %d %q, want %s",
							i, clean, slash, files, target, rec.Code, rec.Body.String(), fmt.Sprintf("FILE %s", f))
					}
				}
			}
		}
	}
}
