package integration

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// indexTemplate is the SPA's page: everything a strict policy would block
// unless the build allows it page by page. %[1]s is the analytics origin.
const indexTemplate = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>SPA</title>
<link rel="stylesheet" href="/css/site.css">
<style>#app { border: 1px solid #ccc; }</style>
<script>document.documentElement.dataset.inline = "yes";</script>
<script type="module">
import { marker } from "/js/module.js";
document.getElementById("module").textContent = marker;
</script>
<script src="%[1]s/analytics.js" defer></script>
</head>
<body onload="document.documentElement.dataset.scriptRan = 'yes'">
<div id="app" style="padding: 1em">SEC-INLINE-SPA</div>
<p id="module"></p>
<img src="%[1]s/pixel.gif" alt="" width="1" height="1">
</body>
</html>
`

// A page with inline scripts and styles, a style attribute, an event
// handler, a module script, an analytics script from another origin and its
// beacon (declared in [csp] connect-src) loads in Chromium with no CSP
// violation: the build computed the page's own policy. SPA routes get the
// same page and policy; other pages keep the strict site-wide policy.
func TestBrowserPagePolicies(t *testing.T) {
	t.Parallel()
	var beacons atomic.Int32
	analytics := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		switch r.URL.Path {
		case "/analytics.js":
			w.Header().Set("Content-Type", "text/javascript")
			_, _ = fmt.Fprintf(w, `fetch("http://analytics.example.test:%s/event?pageview").then((r) => r.text()).then((t) => { document.documentElement.dataset.beacon = t; });`, r.Host[strings.LastIndex(r.Host, ":")+1:])
		case "/event":
			beacons.Add(1)
			_, _ = w.Write([]byte("ok"))
		case "/pixel.gif":
			w.Header().Set("Content-Type", "image/gif")
			_, _ = w.Write([]byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(analytics.Close)
	origin := "http://analytics.example.test:" + analytics.URL[strings.LastIndex(analytics.URL, ":")+1:]

	ws := newWorkspace(t, "sec-inline")
	writeFile(t, filepath.Join(ws.AppDir, "public", "index.html"), fmt.Sprintf(indexTemplate, origin))
	detect(t, ws)
	out := build(t, ws)
	expectOutput(t, "the build log", out,
		"Content-Security-Policy per page: 2 of 3 pages need more than the site-wide policy",
		"index.html: script-src += 'sha256-",
		"index.html: script-src-attr += 'unsafe-hashes' 'sha256-",
		"index.html: style-src-attr += 'unsafe-hashes' 'sha256-",
		"index.html: img-src += "+origin,
		"inline event handler onload= allowed by hash",
		"404.html: style-src += 'sha256-",
	)
	srv := launch(t, ws, nil)

	resp, _ := get(t, srv, "/plain.html")
	if csp := resp.Header.Get("Content-Security-Policy"); strings.Contains(csp, "sha256-") || !strings.HasPrefix(csp, "default-src 'none'") {
		t.Errorf("a page without inline code got %q", csp)
	}
	resp, _ = get(t, srv, "/some/client/route")
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.HasPrefix(csp, "default-src 'none';") || !strings.Contains(csp, "'sha256-") || strings.Contains(csp, "'unsafe-inline'") {
		t.Errorf("the SPA route's policy: %q", csp)
	}

	browser := newBrowser(t)
	for _, p := range []browserPage{
		{"/", 200, "SEC-INLINE-MODULE", true},
		{"/some/client/route", 200, "SEC-INLINE-SPA", true},
		{"/plain", 200, "SEC-INLINE-PLAIN", false},
		{"/missing.js", 404, "SEC-INLINE-NOT-FOUND", false},
	} {
		res := browser.load(t, srv.URL+p.path)
		res.check(t, p)
	}
	if beacons.Load() == 0 {
		t.Error("the analytics beacon (allowed by [csp] connect-src) never arrived")
	}
}

// What the site's own CSS and JavaScript do is allowed for the pages that
// load them, and only for those: a stylesheet's data: font and icon
// (img-src and font-src data:), a script that inserts <style> elements and
// sets style attributes ('unsafe-inline' in style-src-elem and
// style-src-attr, without hashes). A page with thousands of style
// attributes gets a policy within the size budget. Chromium shows every
// page with no CSP violation and no console error.
func TestBrowserRuntimeStyles(t *testing.T) {
	t.Parallel()
	ws := newWorkspace(t, "sec-runtime")
	var big strings.Builder
	big.WriteString("<!doctype html><title>Budget</title><p>SEC-BUDGET</p>\n")
	for i := range 3000 {
		fmt.Fprintf(&big, "<span style=\"margin-left:%dpx\">.</span>\n", i%97)
	}
	writeFile(t, filepath.Join(ws.AppDir, "budget.html"), big.String())
	detect(t, ws)
	out := build(t, ws)
	expectOutput(t, "the build log", out,
		"Content-Security-Policy per page: 2 of 4 pages need more than the site-wide policy",
		"[csp] connect-src candidates: the site's scripts need these at run time",
		"https://api.example.test <- js/api.js: fetch at line 4 (1 pages)",
		`index.html: js/runtime.js: createElement("style") at line 7: inserts <style> elements at run time; style-src-elem 'unsafe-inline' without hashes`,
		`index.html: js/runtime.js: setAttribute("style") at line 16: sets style attributes at run time`,
		"index.html: js/runtime.js: a data: image URL at line 25",
		"index.html: css/site.css: a data: font in url() at line 5",
		"index.html: css/icons.css: a data: image in url() at line 3",
		"WARNING: budget.html: the policy would be over 4096 bytes: 97 distinct style attributes need ",
	)
	srv := launch(t, ws, nil)
	resp, _ := get(t, srv, "/")
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"style-src-elem 'self' 'unsafe-inline'", "style-src-attr 'unsafe-inline'", "img-src 'self' data:", "font-src 'self' data:", "script-src 'self';"} {
		if !strings.Contains(csp, want) {
			t.Errorf("index.html's policy lacks %q: %q", want, csp)
		}
	}
	resp, _ = get(t, srv, "/budget")
	if csp := resp.Header.Get("Content-Security-Policy"); len(csp) > 4096 || !strings.Contains(csp, "style-src-attr 'unsafe-inline'") || strings.Contains(csp, "sha256-") {
		t.Errorf("budget.html: a policy of %d bytes: %.300q", len(csp), csp)
	}
	for _, p := range []string{"/plain", "/api"} {
		resp, _ = get(t, srv, p)
		if csp := resp.Header.Get("Content-Security-Policy"); strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "data:") || strings.Contains(csp, "api.example.test") {
			t.Errorf("%s loads none of it, yet: %q", p, csp)
		}
	}
	browser := newBrowser(t)
	for _, p := range []browserPage{
		{"/", 200, "SEC-RUNTIME-OK", true},
		{"/budget", 200, "SEC-BUDGET", false},
		{"/plain", 200, "SEC-RUNTIME-PLAIN", false},
		{"/api", 200, "SEC-RUNTIME-API", false},
	} {
		browser.load(t, srv.URL+p.path).check(t, p)
	}
}

// What the build cannot see (a style element made under a computed tag
// name) is fixed from [csp]: the author's 'unsafe-inline' takes effect, as
// the build leaves its hashes out of style-src and its -elem and -attr
// forms, and says so.
func TestBrowserAuthorUnsafeInline(t *testing.T) {
	t.Parallel()
	ws := newWorkspace(t, "sec-runtime")
	writeFile(t, filepath.Join(ws.AppDir, "static.toml"), "root = \".\"\n[csp]\nstyle-src = [\"'unsafe-inline'\"]\n")
	writeFile(t, filepath.Join(ws.AppDir, "hidden.html"), `<!doctype html><title>Hidden</title>
<style>#a { color: rgb(1, 1, 1); }</style>
<p id="a" style="margin: 0">SEC-HIDDEN</p><p id="b">b</p>
<script src="/js/hidden.js" defer></script>`)
	writeFile(t, filepath.Join(ws.AppDir, "js", "hidden.js"), `const tag = ["st", "yle"].join("");
const s = document.createElement(tag);
s.textContent = "#b { color: rgb(2, 3, 4); }";
document.head.appendChild(s);
if (getComputedStyle(document.getElementById("b")).color === "rgb(2, 3, 4)") document.documentElement.dataset.scriptRan = "yes";`)
	detect(t, ws)
	out := build(t, ws)
	expectOutput(t, "the build log", out,
		"[csp] style-src has 'unsafe-inline': the build leaves its hashes out of style-src, style-src-elem and style-src-attr on every page",
		"hidden.html: [csp] style-src has 'unsafe-inline': the build's 1 hashes are left out of style-src",
		"hidden.html: [csp] style-src has 'unsafe-inline': the build's 1 hashes are left out of style-src-attr",
	)
	srv := launch(t, ws, nil)
	resp, _ := get(t, srv, "/hidden")
	if csp := resp.Header.Get("Content-Security-Policy"); strings.Contains(csp, "sha256-") || !strings.Contains(csp, "style-src 'self' 'unsafe-inline';") {
		t.Errorf("hidden.html's policy keeps hashes next to the author's 'unsafe-inline': %q", csp)
	}
	browser := newBrowser(t)
	browser.load(t, srv.URL+"/hidden").check(t, browserPage{"/hidden", 200, "SEC-HIDDEN", true})
	browser.load(t, srv.URL+"/").check(t, browserPage{"/", 200, "SEC-RUNTIME-OK", true})
}
