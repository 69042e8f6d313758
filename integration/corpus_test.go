package integration

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hardstatic/buildpack/integration/lifecycle"
)

// corpusSite is a real published site of the corpus (integration/corpus/build.sh
// makes it from its package) and the pages the test opens.
type corpusSite struct {
	name string
	// pages are paths of files in the site root, as a link names them;
	// each must answer 200 at its canonical URL, after redirects.
	pages []string
	// config is a static.toml for a site that needs what the build cannot
	// see (what it loads from other origins at run time): only what the
	// build log lists as [csp] candidates for it. Default: none.
	config string
	// extra sites run only when CORPUS_SITES names them (for a large site
	// that costs minutes of precompression on 2 cores). Default: false.
	extra bool
}

// The corpus: sites nobody here wrote, as their packages ship them. The
// sampled pages are the index and deep pages, with names that have dots in
// them (rustdoc's struct.Vec.html, Sphinx's os.path.html) where the site has
// such names. `bash integration/corpus/build.sh --list` shows where each
// comes from.
var corpusSites = []corpusSite{
	{name: "python-docs", pages: []string{"/", "/library/os.path.html", "/library/stdtypes.html", "/tutorial/introduction.html", "/library/urllib.request.html"}},
	{name: "sphinx-docs", pages: []string{"/", "/usage/quickstart.html", "/usage/extensions/autodoc.html", "/usage/restructuredtext/directives.html"}},
	{name: "mathjax-docs", pages: []string{"/", "/tex.html", "/options/hub.html", "/upgrading/whats-new-2.7.html"}},
	{name: "mkdocs-material", pages: []string{"/", "/guide/setup/", "/reference/api.v1/"}},
	// Doxygen's tree view loads its index with eval('NAVTREEINDEX'+i): the
	// build never allows eval on its own, so the site says so in [csp].
	{name: "doxygen-manual", pages: []string{"/", "/commands.html", "/faq.html", "/examples/afterdoc/html/index.html"},
		config: "[csp]\nscript-src = [\"'unsafe-eval'\"]\n"},
	{name: "javadoc-commons-lang3", pages: []string{"/", "/org/apache/commons/lang3/StringUtils.html", "/org/apache/commons/lang3/package-summary.html", "/org/apache/commons/lang3/builder/ToStringBuilder.html", "/org/apache/commons/lang3/concurrent/BasicThreadFactory.Builder.html"}},
	// rustdoc's sidebar marks the current page by comparing the address
	// with its links, which name the .html files: under clean URLs every page
	// works but loses that mark (0.6% of the pixels). Such a site wants
	// clean_urls = false (README, troubleshooting); the dotted names of
	// mathjax-docs and javadoc prove clean URLs with the defaults.
	{name: "rustdoc-alloc", pages: []string{"/", "/alloc/index.html", "/alloc/vec/struct.Vec.html", "/alloc/string/struct.String.html", "/alloc/macro.vec.html"}, config: "clean_urls = false\n"},
	{name: "swagger-ui", pages: []string{"/"}},
	// Redoc builds a blob: worker and fetches its logo from its CDN at run
	// time; the build log lists both as [csp] candidates, which is the
	// documented way out.
	{name: "redoc", pages: []string{"/"}, config: "[csp]\nworker-src = [\"blob:\"]\nimg-src = [\"https://cdn.redoc.ly\"]\n"},
	{name: "reveal-js", pages: []string{"/"}},
	{name: "docsify", pages: []string{"/", "/#/guide"}},
	{name: "mermaid", pages: []string{"/"}},
	{name: "katex", pages: []string{"/"}},
}

// Every site of the corpus, built with zero configuration (but for what a
// site loads from other origins at run time, see config) through the real
// lifecycle and served by the image, works in headless Chromium as it does
// without our headers: each sampled page answers 200 at its canonical URL,
// shows no CSP violation and no console error, and looks the same (a
// screenshot within corpusPixelTolerance of the one taken from a plain Go
// file server on the same files). A console error that the page shows
// without our headers too is the site's own (Debian's javadoc imports a font
// stylesheet the package does not ship): it is logged, not failed.
//
// CORPUS_SITES=python-docs,redoc selects sites; CORPUS_ARTIFACTS=DIR keeps
// the screenshots and diff images (default: a directory under /tmp, named in
// the log, kept only when a page fails).
func TestCorpus(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(chromiumPath); err != nil {
		skipOrFail(t, "chromium is not installed (apt-get install chromium)")
	}
	sites := selectCorpusSites(t)
	root, err := lifecycle.FindRepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range sites {
		names = append(names, s.name)
	}
	dirs := buildCorpus(t, root, names)
	artifacts := corpusArtifactsDir(t)
	browser := newBrowser(t)

	results := make([]corpusResult, len(sites))
	t.Cleanup(func() { logCorpusSummary(t, results, artifacts) })
	for i, site := range sites {
		t.Run(site.name, func(t *testing.T) {
			t.Parallel()
			results[i] = corpusResult{site: site.name}
			checkCorpusSite(t, browser, site, dirs[site.name], filepath.Join(artifacts, site.name), &results[i])
		})
	}
}

// selectCorpusSites is corpusSites, or those CORPUS_SITES names.
func selectCorpusSites(t *testing.T) []corpusSite {
	t.Helper()
	env := strings.TrimSpace(os.Getenv("CORPUS_SITES"))
	if env == "" {
		var out []corpusSite
		for _, s := range corpusSites {
			if !s.extra {
				out = append(out, s)
			}
		}
		return out
	}
	var out []corpusSite
	for _, name := range strings.FieldsFunc(env, func(r rune) bool { return r == ',' || r == ' ' }) {
		i := slices.IndexFunc(corpusSites, func(s corpusSite) bool { return s.name == name })
		if i < 0 {
			var all []string
			for _, s := range corpusSites {
				all = append(all, s.name)
			}
			t.Fatalf("CORPUS_SITES: no site named %q (there are: %s)", name, strings.Join(all, ", "))
		}
		out = append(out, corpusSites[i])
	}
	return out
}

// buildCorpus runs integration/corpus/build.sh for the sites (a no-op for
// those already built from the same versions) and returns their roots.
func buildCorpus(t *testing.T, repo string, names []string) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", append([]string{filepath.Join(repo, "integration", "corpus", "build.sh")}, names...)...)
	out, err := cmd.CombinedOutput()
	t.Logf("integration/corpus/build.sh:\n%s", out)
	if err != nil {
		// A missing Debian package or npm is a missing install step, as for
		// chromium: skipped locally, a failure under CI.
		skipOrFail(t, fmt.Sprintf("building the corpus: %v (bash .ci/run installs what it needs)", err))
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	dirs := map[string]string{}
	for _, n := range names {
		dirs[n] = filepath.Join(cache, "hardstatic", "corpus", "sites", n)
		if _, err := os.Stat(filepath.Join(dirs[n], "index.html")); err != nil {
			t.Fatalf("corpus site %s: %v", n, err)
		}
	}
	return dirs
}

func corpusArtifactsDir(t *testing.T) string {
	t.Helper()
	if dir := os.Getenv("CORPUS_ARTIFACTS"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	dir, err := os.MkdirTemp("", "hardstatic-corpus-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !t.Failed() {
			_ = os.RemoveAll(dir)
		}
	})
	return dir
}

// corpusResult is one site's outcome, for the summary.
type corpusResult struct {
	site   string
	stage  string // "build", "launch" or "" when the site was served
	err    string
	pages  []corpusPageResult
	failed bool
}

type corpusPageResult struct {
	path        string
	problems    []string // one line each: unreachable, status, CSP, console, screenshot
	notes       []string // what is not a failure: the site's own errors, a page that kept changing
	diffPercent float64
}

// checkCorpusSite builds the site with no configuration, serves it from the
// image and from a plain file server, and compares each page.
func checkCorpusSite(t *testing.T, b *browser, site corpusSite, dir, artifacts string, res *corpusResult) {
	ws, err := lifecycle.NewWorkspace(lifecycle.Options{
		Tools:     tools,
		App:       dir,
		Buildpack: os.Getenv("HARDSTATIC_BUILDPACK"),
	})
	if err != nil {
		t.Fatal(err)
	}
	removeOnCleanup(t, ws)
	if site.config != "" {
		writeFile(t, filepath.Join(ws.AppDir, "static.toml"), site.config)
	}
	// Large sites take minutes to precompress on a busy machine: the phases
	// get more time than the fixtures' phaseContext.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	fail := func(stage string, err error, out string) {
		res.stage, res.err, res.failed = stage, err.Error(), true
		t.Fatalf("%s: %s: %v\n--- %s output ---\n%s", site.name, stage, err, stage, out)
	}
	if out, err := ws.Detect(ctx); err != nil {
		fail("detect", err, out)
	}
	out, err := ws.Build(ctx)
	if err != nil {
		fail("build", err, out)
	}
	logOnFailure(t, "build", out)
	srv, err := ws.Launch(nil)
	if err != nil {
		fail("launch", err, "")
	}
	t.Cleanup(func() {
		if _, err := srv.Stop(); err != nil {
			t.Error(err)
		}
	})
	plain := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(plain.Close)

	for _, p := range site.pages {
		pr := corpusPageResult{path: p}
		checkCorpusPage(t, b, srv.URL, plain.URL, p, filepath.Join(artifacts, pageSlug(p)), &pr)
		if len(pr.notes) > 0 {
			t.Logf("%s%s (not failures):\n\t%s", site.name, p, strings.Join(pr.notes, "\n\t"))
		}
		if len(pr.problems) > 0 {
			res.failed = true
			t.Errorf("%s%s:\n\t%s", site.name, p, strings.Join(pr.problems, "\n\t"))
		}
		res.pages = append(res.pages, pr)
	}
}

// checkCorpusPage opens path on the image's server and on the plain one.
func checkCorpusPage(t *testing.T, b *browser, ours, plain, path, artifacts string, pr *corpusPageResult) {
	chain, status, err := followRedirects(ours + path)
	switch {
	case err != nil:
		pr.problems = append(pr.problems, fmt.Sprintf("unreachable: %s: %v", strings.Join(chain, " -> "), err))
	case status != http.StatusOK:
		pr.problems = append(pr.problems, fmt.Sprintf("unreachable: %s -> %d", strings.Join(chain, " -> "), status))
	}

	want, err := b.visit(t, plain+path)
	if err != nil {
		pr.problems = append(pr.problems, "without our headers: "+err.Error())
		return
	}
	got, err := b.visit(t, ours+path)
	if err != nil {
		pr.problems = append(pr.problems, err.Error())
		return
	}
	if got.status != http.StatusOK {
		pr.problems = append(pr.problems, fmt.Sprintf("document status %d at %s", got.status, got.finalURL))
	}
	for _, v := range got.violations {
		pr.problems = append(pr.problems, "CSP violation: "+v)
	}
	for _, v := range got.cspConsole {
		pr.problems = append(pr.problems, "CSP (console): "+v)
	}
	for _, e := range want.errors {
		pr.notes = append(pr.notes, "without our headers, console error: "+e)
	}
	for _, e := range got.errors {
		if slices.ContainsFunc(want.errors, func(w string) bool { return sameError(w, e, plain, ours) }) {
			// The site's own: it happens without our headers too (a file
			// its package does not ship, say).
			pr.notes = append(pr.notes, "console error, also without our headers: "+e)
			continue
		}
		pr.problems = append(pr.problems, "console error: "+e)
	}
	if want.status != http.StatusOK || len(want.violations) > 0 {
		pr.problems = append(pr.problems, fmt.Sprintf("the plain file server's page is not a fair reference: status %d, %d CSP violations", want.status, len(want.violations)))
	}
	diff, err := compareScreenshots(want.screenshot, got.screenshot, artifacts)
	switch {
	case err != nil:
		pr.problems = append(pr.problems, "screenshot: "+err.Error())
	case diff.changed > corpusPixelTolerance(diff.total):
		pr.diffPercent = diff.percent()
		pr.problems = append(pr.problems, fmt.Sprintf("screenshot differs from the plain file server's in %d of %d pixels (%.3f%%; tolerance %d): %s",
			diff.changed, diff.total, diff.percent(), corpusPixelTolerance(diff.total), diff.files))
	default:
		pr.diffPercent = diff.percent()
	}
	for _, s := range []struct {
		name string
		r    visitResult
	}{{"without our headers", want}, {"ours", got}} {
		if !s.r.stable {
			pr.notes = append(pr.notes, s.name+": the page kept changing; compared the last screenshot")
		}
		if len(s.r.pending) > 0 {
			pr.notes = append(pr.notes, fmt.Sprintf("%s: still in flight after 5 s: %s", s.name, strings.Join(s.r.pending, " ")))
		}
	}
}

// sameError tells whether a console error of ours is one the page shows
// without our headers too: the same message (origins aside, and the page
// URL the console names at the end, which has no .html on ours), or one
// about a resource of the site that failed there as well (Chromium words a
// failure of the same missing file differently from load to load).
func sameError(plainErr, ourErr, plain, ours string) bool {
	norm := func(s, origin string) string {
		s = strings.ReplaceAll(s, origin, "ORIGIN")
		if i := strings.LastIndex(s, " (ORIGIN"); i >= 0 && strings.HasSuffix(s, ")") {
			s = s[:i]
		}
		return s
	}
	p, o := norm(plainErr, plain), norm(ourErr, ours)
	if p == o {
		return true
	}
	// The file that failed to load without our headers.
	var failed string
	if rest, ok := strings.CutPrefix(p, "loading failed: "); ok {
		failed, _, _ = strings.Cut(rest, " ")
	} else if u, _, ok := strings.Cut(p, ": status "); ok {
		failed = u
	}
	if !strings.HasPrefix(failed, "ORIGIN/") {
		return false
	}
	for _, f := range strings.Fields(o) {
		if strings.Trim(f, "'\"(),") == failed {
			return true
		}
	}
	return false
}

// followRedirects GETs u and the redirects it answers, at most 10, and
// returns the URLs it went through (paths) and the last status.
func followRedirects(u string) (chain []string, status int, err error) {
	for range 10 {
		pu, err := url.Parse(u)
		if err != nil {
			return chain, 0, err
		}
		chain = append(chain, pu.RequestURI())
		resp, err := client.Get(u)
		if err != nil {
			return chain, 0, err
		}
		_ = resp.Body.Close()
		if resp.StatusCode < 300 || resp.StatusCode > 399 {
			return chain, resp.StatusCode, nil
		}
		loc, err := resp.Location()
		if err != nil {
			return chain, resp.StatusCode, fmt.Errorf("%d without a usable Location: %w", resp.StatusCode, err)
		}
		chain[len(chain)-1] += fmt.Sprintf(" (%d)", resp.StatusCode)
		u = loc.String()
	}
	return chain, 0, errors.New("more than 10 redirects")
}

// pageSlug names a page's artifacts.
func pageSlug(path string) string {
	s := strings.Trim(strings.NewReplacer("/", "_", "#", "_").Replace(path), "_")
	if s == "" {
		s = "index"
	}
	return s
}

// logCorpusSummary prints one line per site and per failing page, so that a
// run shows at a glance which sites pass.
func logCorpusSummary(t *testing.T, results []corpusResult, artifacts string) {
	var b strings.Builder
	b.WriteString("corpus summary:\n")
	for _, r := range results {
		if r.site == "" {
			continue
		}
		verdict := "PASS"
		if r.failed {
			verdict = "FAIL"
		}
		ok := 0
		for _, p := range r.pages {
			if len(p.problems) == 0 {
				ok++
			}
		}
		if r.stage != "" {
			fmt.Fprintf(&b, "  %-22s %s at %s: %s\n", r.site, verdict, r.stage, firstLine(r.err))
			continue
		}
		fmt.Fprintf(&b, "  %-22s %s  %d of %d pages ok\n", r.site, verdict, ok, len(r.pages))
		for _, p := range r.pages {
			verdict := "ok"
			if len(p.problems) > 0 {
				verdict = fmt.Sprintf("%d problems", len(p.problems))
			}
			fmt.Fprintf(&b, "      %-60s %s, screenshot %.3f%% different\n", p.path, verdict, p.diffPercent)
		}
	}
	if t.Failed() {
		fmt.Fprintf(&b, "screenshots and diffs: %s\n", artifacts)
	}
	t.Log(b.String())
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}
