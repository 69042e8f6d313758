package buildpack

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hardstatic/buildpack/internal/config"
	"github.com/hardstatic/buildpack/internal/policy"
	"github.com/hardstatic/buildpack/internal/sitefs"
)

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// walked is the walk of root the build makes.
func walked(t *testing.T, root string) *sitefs.Tree {
	t.Helper()
	tree, err := walkRoot(root, config.Default(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

// The site's own stylesheets and scripts are followed from the pages that
// load them (through @import and import too), and each relaxation is logged
// for the page with the file and the reason; pages that load none of them
// keep the site-wide policy.
func TestPagePoliciesFollowAssets(t *testing.T) {
	root := writeTree(t, map[string]string{
		"index.html":       `<link rel=stylesheet href="css/site.css"><script type=module src="/js/app.js"></script><p>home`,
		"docs/page.html":   `<link rel=stylesheet href="../css/site.css"><p>docs`,
		"plain.html":       `<link rel=stylesheet href="/css/plain.css"><script src="/js/plain.js"></script>`,
		"css/site.css":     `@import "icons.css"; body{margin:0}`,
		"css/icons.css":    `.i{background:url(data:image/svg+xml,%3Csvg%3E)} @font-face{src:url(data:font/woff2;base64,AA)}`,
		"css/plain.css":    `body{background:url(/img/bg.png)}`,
		"js/app.js":        "import { render } from \"./lib/render.js\";\nrender();",
		"js/lib/render.js": "export function render() {\n  const s = document.createElement(\"style\");\n  fetch(\"https://api.example.com/v1\");\n}",
		"js/plain.js":      `document.querySelector("p").style.color = "red"`,
	})
	var out bytes.Buffer
	site := policy.CSP(policy.CSPOptions{})
	got := pagePolicies(root, config.Default(), walked(t, root), site, logger{w: &out})
	log := out.String()
	if len(got) != 2 || got["plain.html"] != "" {
		t.Fatalf("policies for %d pages, want index.html and docs/page.html: %q\n%s", len(got), got, log)
	}
	for name, want := range map[string][]string{
		"index.html":     {"style-src-elem 'self' 'unsafe-inline'", "img-src 'self' data:", "font-src 'self' data:"},
		"docs/page.html": {"img-src 'self' data:", "font-src 'self' data:"},
	} {
		for _, w := range want {
			if !strings.Contains(got[name], w) {
				t.Errorf("%s: policy %q lacks %q", name, got[name], w)
			}
		}
	}
	// ../css/site.css names /css/site.css (at /docs/page) and
	// /docs/css/site.css (at /docs/page/, trailing_slash = "always"): one is
	// enough, the other is no problem to report.
	if strings.Contains(log, "not analysed") {
		t.Errorf("a missing candidate of a relative URL is reported:\n%s", log)
	}
	if strings.Contains(got["docs/page.html"], "unsafe-inline") {
		t.Errorf("docs/page.html loads no script that inserts styles: %q", got["docs/page.html"])
	}
	for _, want := range []string{
		"Content-Security-Policy per page: 2 of 3 pages need more than the site-wide policy",
		`index.html: js/lib/render.js: createElement("style") at line 2: inserts <style> elements at run time; style-src-elem 'unsafe-inline' without hashes`,
		"index.html: css/icons.css: a data: image in url() at line 1",
		"docs/page.html: css/icons.css: a data: font in url() at line 1",
		"[csp] connect-src candidates",
		"https://api.example.com <- js/lib/render.js: fetch at line 3 (1 pages)",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q:\n%s", want, log)
		}
	}
}

// A page with thousands of style attributes keeps a header within the
// budget, and the log warns naming the page and the count.
func TestPagePoliciesBudget(t *testing.T) {
	var b strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&b, `<div style="width:%dpx">x</div>`, i)
	}
	root := writeTree(t, map[string]string{"big.html": b.String()})
	var out bytes.Buffer
	got := pagePolicies(root, config.Default(), walked(t, root), policy.CSP(policy.CSPOptions{}), logger{w: &out})
	if n := len(got["big.html"]); n == 0 || n > 4096 {
		t.Errorf("big.html: a policy of %d bytes", n)
	}
	if want := "WARNING: big.html: the policy would be over 4096 bytes: 3000 distinct style attributes need "; !strings.Contains(out.String(), want) {
		t.Errorf("the log lacks %q:\n%.2000s", want, out.String())
	}
}

// Only files the walk serves are analysed: a hidden script relaxes nothing,
// and the log says why it was not read.
func TestPagePoliciesOnlyServedFiles(t *testing.T) {
	root := writeTree(t, map[string]string{
		"index.html":    `<script src="/drafts/app.js"></script><link rel=stylesheet href="/.theme.css">`,
		"drafts/app.js": `document.createElement("style")`,
		".theme.css":    `.i{background:url(data:image/png;base64,AA)}`,
	})
	cfg := config.Default()
	cfg.Hide = []string{"/drafts/**"}
	tree, err := walkRoot(root, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	got := pagePolicies(root, cfg, tree, policy.CSP(policy.CSPOptions{}), logger{w: &out})
	if len(got) != 0 {
		t.Errorf("files that are never served relaxed the policy: %q", got)
	}
	for _, want := range []string{"index.html: drafts/app.js: not analysed: never served", "index.html: .theme.css: not analysed: never served"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the log lacks %q:\n%s", want, out.String())
		}
	}
}
