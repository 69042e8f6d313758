package htmlsec

import (
	"bytes"
	"crypto/sha512"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hardstatic/buildpack/internal/sitefs"
)

func sri(data string) string {
	sum := sha512.Sum384([]byte(data))
	return "sha384-" + base64.StdEncoding.EncodeToString(sum[:])
}

// site writes files (name -> content) under a fresh directory.
func site(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func read(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const (
	appJS   = "console.log('app');\n"
	siteCSS = "body { color: #222 }\n"
	subJS   = "console.log('sub');\n"
)

func TestAddSRI(t *testing.T) {
	dir := site(t, map[string]string{
		"app.js":       appJS,
		"css/site.css": siteCSS,
		"sub/app.js":   subJS,
		"index.html": "<!doctype html>\n<html><head>\n" +
			"  <link rel=\"stylesheet\" href=\"css/site.css\">\n" +
			"  <link rel='alternate stylesheet' href=/css/site.css title=x />\n" +
			"  <link rel=icon href=/favicon.ico>\n" +
			"  <script src=\"/app.js\" defer></script>\n" +
			"  <script src=\"https://cdn.example/lib.js\"></script>\n" +
			"  <script src=\"//cdn.example/lib.js\"></script>\n" +
			"  <script src=\"app.js?v=3#x\" type=module></script>\n" +
			"  <script>var inline = '<script src=app.js></script>';</script>\n" +
			"  <!-- <script src=app.js></script> -->\n" +
			"  <script src=\"missing.js\"></script>\n" +
			"  <script src=app.js integrity=\"sha256-kept\"></script>\n" +
			"</head><body>&amp; caf\u00e9 <p>unclosed</body></html>\n",
		"sub/page.html": "<script src=app.js></script><script src=../app.js></script><script src=\"/sub/app.js\"></script>",
		"404.html":      "<script src=\"/app.js\"></script><script src=\"app.js\"></script>",
	})
	rep, err := addSRI(t, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := "<!doctype html>\n<html><head>\n" +
		"  <link rel=\"stylesheet\" href=\"css/site.css\" integrity=\"" + sri(siteCSS) + "\">\n" +
		"  <link rel='alternate stylesheet' href=/css/site.css title=x integrity=\"" + sri(siteCSS) + "\" />\n" +
		"  <link rel=icon href=/favicon.ico>\n" +
		"  <script src=\"/app.js\" defer integrity=\"" + sri(appJS) + "\"></script>\n" +
		"  <script src=\"https://cdn.example/lib.js\"></script>\n" +
		"  <script src=\"//cdn.example/lib.js\"></script>\n" +
		"  <script src=\"app.js?v=3#x\" type=module integrity=\"" + sri(appJS) + "\"></script>\n" +
		"  <script>var inline = '<script src=app.js></script>';</script>\n" +
		"  <!-- <script src=app.js></script> -->\n" +
		"  <script src=\"missing.js\"></script>\n" +
		"  <script src=app.js integrity=\"sha256-kept\"></script>\n" +
		"</head><body>&amp; caf\u00e9 <p>unclosed</body></html>\n"
	if got := read(t, dir, "index.html"); got != want {
		t.Errorf("index.html:\n got: %s\nwant: %s", got, want)
	}
	// sub/page.html is served as /sub/page.html, /sub/page and (with
	// trailing_slash = "always") /sub/page/: "app.js" would be /sub/app.js
	// or /sub/page/app.js, which does not exist; "../app.js" would be
	// /app.js or /sub/app.js, two different files.
	wantSub := "<script src=app.js integrity=\"" + sri(subJS) + "\"></script><script src=../app.js></script>" +
		"<script src=\"/sub/app.js\" integrity=\"" + sri(subJS) + "\"></script>"
	if got := read(t, dir, "sub/page.html"); got != wantSub {
		t.Errorf("sub/page.html:\n got: %s\nwant: %s", got, wantSub)
	}
	// The 404 page is sent for any URL: only root-relative URLs are sure.
	want404 := "<script src=\"/app.js\" integrity=\"" + sri(appJS) + "\"></script><script src=\"app.js\"></script>"
	if got := read(t, dir, "404.html"); got != want404 {
		t.Errorf("404.html:\n got: %s\nwant: %s", got, want404)
	}
	if rep.Pages != 3 || len(rep.Changed) != 3 || rep.Tags() != 7 {
		t.Errorf("report: %d pages, %d changed, %d tags; want 3, 3, 7: %+v", rep.Pages, len(rep.Changed), rep.Tags(), rep)
	}
	reasons := map[string]string{}
	for _, s := range rep.Skipped {
		reasons[s.File+" "+s.URL] = s.Reason
	}
	for key, want := range map[string]string{
		"index.html https://cdn.example/lib.js": "another site",
		"index.html //cdn.example/lib.js":       "another site",
		"index.html missing.js":                 "no such file",
		"index.html app.js":                     "integrity attribute already",
		"sub/page.html ../app.js":               "different files",
		"404.html app.js":                       "root-relative",
	} {
		if !strings.Contains(reasons[key], want) {
			t.Errorf("skip %q: reason %q, want it to mention %q", key, reasons[key], want)
		}
	}

	// A second run finds everything done and rewrites nothing.
	before := read(t, dir, "index.html")
	rep2, err := addSRI(t, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep2.Changed) != 0 || read(t, dir, "index.html") != before {
		t.Errorf("second run changed files: %+v", rep2.Changed)
	}
}

func TestAddSRIDisabled(t *testing.T) {
	page := "<script src=app.js></script>"
	dir := site(t, map[string]string{"app.js": appJS, "index.html": page})
	rep, err := addSRI(t, dir, Options{Disabled: true})
	if err != nil || !rep.Disabled || len(rep.Changed) != 0 {
		t.Fatalf("disabled: %+v, %v", rep, err)
	}
	if read(t, dir, "index.html") != page {
		t.Error("disabled AddSRI changed index.html")
	}
}

func TestAddSRIUnchangedFileNotRewritten(t *testing.T) {
	page := "<p>no scripts</p>"
	dir := site(t, map[string]string{"index.html": page})
	p := filepath.Join(dir, "index.html")
	if err := os.Chmod(p, 0o444); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(p)
	rep, err := addSRI(t, dir, Options{})
	if err != nil || len(rep.Changed) != 0 || len(rep.Skipped) != 0 {
		t.Fatalf("%+v, %v", rep, err)
	}
	after, _ := os.Stat(p)
	if !os.SameFile(before, after) || !after.ModTime().Equal(before.ModTime()) {
		t.Error("a page without scripts was rewritten")
	}
}

func TestAddSRIKeepsModeAndLeavesNoTemp(t *testing.T) {
	dir := site(t, map[string]string{"app.js": appJS, "index.html": "<script src=app.js></script>"})
	if err := os.Chmod(filepath.Join(dir, "index.html"), 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := addSRI(t, dir, Options{}); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, "index.html"))
	if err != nil || info.Mode().Perm() != 0o640 {
		t.Errorf("mode after rewrite: %v, %v; want 0640", info.Mode().Perm(), err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("files left behind: %v", entries)
	}
}

// Symbolic links: a page or a script that leaves the root is not read; a
// link inside the root is followed as the server follows it.
func TestAddSRISymlinks(t *testing.T) {
	outside := site(t, map[string]string{
		"secret.js":  "SECRET",
		"page.html":  "<script src=app.js></script>",
		"dir/x.html": "<script src=/app.js></script>",
	})
	dir := site(t, map[string]string{
		"app.js":     appJS,
		"real/a.js":  subJS,
		"index.html": "<script src=/leak.js></script><script src=/inner.js></script><script src=/linkdir/a.js></script><script src=/loop.js></script>",
	})
	for link, target := range map[string]string{
		"leak.js":       filepath.Join(outside, "secret.js"),
		"outside.html":  filepath.Join(outside, "page.html"),
		"outsidedir":    filepath.Join(outside, "dir"),
		"inner.js":      "app.js",
		"linkdir":       "real",
		"loop.js":       "loop.js",
		"relleak.html":  "../" + filepath.Base(outside) + "/page.html",
		"dangling.html": "nowhere.html",
	} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := addSRI(t, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := "<script src=/leak.js></script><script src=/inner.js integrity=\"" + sri(appJS) + "\"></script>" +
		"<script src=/linkdir/a.js integrity=\"" + sri(subJS) + "\"></script><script src=/loop.js></script>"
	if got := read(t, dir, "index.html"); got != want {
		t.Errorf("index.html:\n got: %s\nwant: %s", got, want)
	}
	if got := read(t, outside, "page.html"); got != "<script src=app.js></script>" {
		t.Errorf("a page outside the root was rewritten: %s", got)
	}
	if got := read(t, outside, "dir/x.html"); got != "<script src=/app.js></script>" {
		t.Errorf("a page in a linked directory outside the root was rewritten: %s", got)
	}
	if len(rep.Changed) != 1 {
		t.Errorf("changed: %+v", rep.Changed)
	}
}

func TestAddSRISkipsDotfilesAndLargeFiles(t *testing.T) {
	big := "<script src=app.js></script>" + strings.Repeat("x", 2048)
	dir := site(t, map[string]string{
		"app.js":            appJS,
		".hidden/page.html": "<script src=/app.js></script>",
		".draft.html":       "<script src=/app.js></script>",
		"big.html":          big,
		"index.html":        "<script src=/.hidden/x.js></script>",
		".hidden/x.js":      "x",
	})
	rep, err := addSRI(t, dir, Options{MaxHTMLSize: 1024})
	if err != nil {
		t.Fatal(err)
	}
	if got := read(t, dir, ".hidden/page.html"); strings.Contains(got, "integrity") {
		t.Error("a page in a dot-directory was rewritten")
	}
	if got := read(t, dir, ".draft.html"); strings.Contains(got, "integrity") {
		t.Error("a dotfile page was rewritten")
	}
	if got := read(t, dir, "big.html"); got != big {
		t.Error("a page over the size limit was rewritten")
	}
	var sawBig, sawDot bool
	for _, s := range rep.Skipped {
		sawBig = sawBig || (s.File == "big.html" && s.Warning && strings.Contains(s.Reason, "larger than"))
		sawDot = sawDot || (s.File == "index.html" && strings.Contains(s.Reason, "never served"))
	}
	if !sawBig || !sawDot {
		t.Errorf("skips: %+v", rep.Skipped)
	}
}

func TestBaseHref(t *testing.T) {
	dir := site(t, map[string]string{
		"app.js":     appJS,
		"sub/app.js": subJS,
		"index.html": "<base href=\"/sub/\"><script src=app.js></script><script src=/app.js></script>",
		"other.html": "<base href=\"https://cdn.example/\"><script src=app.js></script><script src=/app.js></script>",
	})
	if _, err := addSRI(t, dir, Options{}); err != nil {
		t.Fatal(err)
	}
	want := "<base href=\"/sub/\"><script src=app.js integrity=\"" + sri(subJS) + "\"></script>" +
		"<script src=/app.js integrity=\"" + sri(appJS) + "\"></script>"
	if got := read(t, dir, "index.html"); got != want {
		t.Errorf("index.html:\n got: %s\nwant: %s", got, want)
	}
	if got := read(t, dir, "other.html"); strings.Contains(got, "integrity") {
		t.Errorf("URLs under a <base> of another site got integrity: %s", got)
	}
}

func TestRewriteTagShapes(t *testing.T) {
	res := func(string, string) (string, string, bool) { return "sha384-X", "", false }
	for in, want := range map[string]string{
		`<script src=a.js></script>`:                 `<script src=a.js integrity="sha384-X"></script>`,
		`<script src=a.js/></script>`:                `<script src=a.js/ integrity="sha384-X"></script>`,
		`<link rel=stylesheet href="a.css"/>`:        `<link rel=stylesheet href="a.css" integrity="sha384-X"/>`,
		`<link rel=stylesheet href="a.css" />`:       `<link rel=stylesheet href="a.css" integrity="sha384-X" />`,
		"<SCRIPT\nSRC='a.js'\n>":                     "<SCRIPT\nSRC='a.js'\n integrity=\"sha384-X\">",
		`<link rel="preload" as="script" href=a.js>`: `<link rel="preload" as="script" href=a.js integrity="sha384-X">`,
		`<link rel="preload" as="image" href=a.png>`: `<link rel="preload" as="image" href=a.png>`,
		`<link rel=modulepreload href=m.js>`:         `<link rel=modulepreload href=m.js integrity="sha384-X">`,
		`<script src=a.js`:                           `<script src=a.js`,
		`<script src="a.js" src="b.js">`:             `<script src="a.js" src="b.js" integrity="sha384-X">`,
		`<script data-src=a.js>`:                     `<script data-src=a.js>`,
		`<textarea><script src=a.js></textarea>`:     `<textarea><script src=a.js></textarea>`,
		`<title><script src=a.js></title>`:           `<title><script src=a.js></title>`,
	} {
		out, _, _ := Rewrite([]byte(in), res)
		if string(out) != want {
			t.Errorf("Rewrite(%q)\n = %q\nwant %q", in, out, want)
		}
	}
}

func TestLocalURL(t *testing.T) {
	for raw, local := range map[string]bool{
		"app.js": true, "/app.js": true, "./a/../b.js": true, " /x.js ": true, "a.js?x=1": true,
		"//evil.example/x.js": false, "/\\evil.example/x.js": false, "\\\\evil/x.js": false,
		"https://x/y.js": false, "HTTP://x/y.js": false, "data:text/javascript,1": false,
		"javascript:1": false, "": false, "mailto:a@b": false,
	} {
		if _, ok := localURL(raw); ok != local {
			t.Errorf("localURL(%q) = %t, want %t", raw, ok, local)
		}
	}
}

// FuzzRewrite checks, on any input, that Rewrite never panics, only inserts
// integrity attributes (removing them gives the input back), and finds
// nothing to add in its own output.
func FuzzRewrite(f *testing.F) {
	for _, seed := range []string{
		"<script src=a.js></script>",
		"<link rel=stylesheet href=a.css/>",
		"<script src=a.js/>",
		"<script src='a.js' integrity=x>",
		"<scr<script src=a.js>ipt>",
		"<!--<script src=a.js>--><script src=b.js>",
		"<script>document.write('<script src=a.js>')</script><script src=c.js>",
		"<svg><script href=a.js></script></svg><script src=a.js>",
		"<base href=/x/><script src=a.js>",
		"<script src=\"a.js\x00\">",
		"<script src=a.js",
		"<link rel=preload as=style href=a.css><link rel=\"stylesheet\"href=\"b.css\">",
		"\xff\xfe<script src=\xc0\xae.js>",
		"<plaintext><script src=a.js>",
		"<template><script src=a.js></script></template>",
		"<script src=a.js ></script  ><script src=b.js\t/\t>",
		"<![CDATA[<script src=a.js>]]>",
		"<sCript srC=>",
		"<sCript srC srC=/>",
		"<script src=a.js x= >",
		"<noscript><link rel=stylesheet href=n.css></noscript>",
	} {
		f.Add([]byte(seed))
	}
	const attr = ` integrity="sha384-FUZZ"`
	res := func(u, _ string) (string, string, bool) {
		if strings.Contains(u, "skip") {
			return "", "skipped", false
		}
		return "sha384-FUZZ", "", false
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if bytes.Contains(data, []byte("sha384-FUZZ")) {
			return
		}
		out, added, _ := Rewrite(data, res)
		n := bytes.Count(out, []byte("sha384-FUZZ"))
		if n != len(added) {
			t.Fatalf("%d integrity values in the output, %d reported added", n, len(added))
		}
		// Remove what was inserted, in either form: the input is back.
		back := bytes.ReplaceAll(out, []byte(attr), nil)
		back = bytes.ReplaceAll(back, []byte(strings.TrimPrefix(attr, " ")+" "), nil)
		if !bytes.Equal(back, data) {
			t.Fatalf("Rewrite changed more than attributes:\n in: %q\nout: %q", data, out)
		}
		if len(added) > 0 {
			again, added2, _ := Rewrite(out, res)
			if len(added2) != 0 || !bytes.Equal(again, out) {
				t.Fatalf("Rewrite is not idempotent: second pass added %q\n in: %q\nout: %q", added2, out, again)
			}
		}
	})
}

// addSRI runs AddSRI on the pages the one walk of the root lists, as the
// build does.
func addSRI(t *testing.T, dir string, opts Options) (Report, error) {
	t.Helper()
	rule, err := sitefs.NewRule(sitefs.RuleOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tree, err := sitefs.Walk(dir, rule, sitefs.WalkOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range tree.Pages() {
		if tree.Files[p].Target == p {
			opts.Pages = append(opts.Pages, p)
		}
	}
	return AddSRI(dir, opts)
}
