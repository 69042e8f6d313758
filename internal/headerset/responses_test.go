package headerset_test

import (
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"golang.org/x/crypto/bcrypt"

	"github.com/hardstatic/buildpack/internal/buildpack"
	"github.com/hardstatic/buildpack/internal/htmlsec"
	"github.com/hardstatic/buildpack/internal/launch"
	"github.com/hardstatic/buildpack/internal/manifest"
	"github.com/hardstatic/buildpack/internal/site"
	"github.com/hardstatic/buildpack/internal/site/table"
	"github.com/hardstatic/buildpack/internal/sitefs"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/responses")

// fixtureEnv are the launch variables the fixtures' ${VAR} values name;
// the origins are set per run.
var fixtureEnv = map[string]string{
	"API_KEY": "key-123", "BUILD_ID": "build-42", "REGION": "eu-west", "SITE_HOST": "www.example.test",
}

// TestResponseHeaders serves every integration fixture that has a
// static.toml, planned as the build plans it and configured as launch
// configures the image's web process, in this process, and records every
// header of every response: each file of the fixture (with and without a
// browser's Accept-Encoding, HEAD, a range, a revalidation with its ETag),
// each directory, a page that does not exist, a POST and the server's own
// endpoints. The golden files in testdata/responses were recorded before
// the handler set the headers itself: any difference is a change users see.
// After an intended change: go test ./internal/headerset -run TestResponseHeaders -update
func TestResponseHeaders(t *testing.T) {
	fixtures, err := filepath.Glob("../../integration/testdata/*/static.toml")
	if err != nil {
		t.Fatal(err)
	}
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", "origin/1.0")
		w.Header().Set("X-Powered-By", "origin")
		w.Header()["Date"] = nil
		_, _ = fmt.Fprintf(w, "ORIGIN %s", r.Method)
	}))
	defer origin.Close()
	hash, err := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range fixtureEnv {
		t.Setenv(k, v)
	}
	for _, k := range []string{"API_ORIGIN", "DOCS_ORIGIN", "UPSTREAM"} {
		t.Setenv(k, origin.URL)
	}
	t.Setenv("BASIC_AUTH_USERS", "alice:"+string(hash))
	t.Setenv("STATIC_ACCESS_LOG", "off")
	type run struct{ name, app, env string }
	var runs []run
	for _, f := range fixtures {
		runs = append(runs, run{filepath.Base(filepath.Dir(f)), filepath.Dir(f), ""})
	}
	// Preview mode adds a header to every response.
	runs = append(runs, run{"rt-switches-preview", "../../integration/testdata/rt-switches", "STATIC_PREVIEW"})
	for _, r := range runs {
		app, name := r.app, r.name
		t.Run(name, func(t *testing.T) {
			if r.env != "" {
				t.Setenv(r.env, "true")
			}
			plan, err := buildpack.NewPlan(buildpack.Options{AppDir: app})
			if err != nil {
				t.Skipf("the fixture does not plan (its errors are tested elsewhere): %v", err)
			}
			m := plan.Manifest
			if a := m.Config.BasicAuth; a != nil {
				t.Setenv(a.UsersEnv, "alice:"+string(hash))
			}
			m.FilesIndex = fileTable(t, app, m)
			got := record(t, app, m, origin.URL)
			file := filepath.Join("testdata", "responses", name+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("no golden file (run with -update): %v", err)
			}
			if got != string(want) {
				t.Errorf("the responses of %s differ from %s:\n%s", name, file, diff(string(want), got))
			}
		})
	}
}

// fileTable analyses the root as the build does, with its precompressed
// variants, and returns the file table's path.
func fileTable(t testing.TB, app string, m manifest.Manifest) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join(app, m.Root))
	if err != nil {
		t.Fatal(err)
	}
	opts := sitefs.RuleOptions{Hide: m.Hide, HideGlobs: m.Config.Hide}
	if a := m.Config.BasicAuth; a != nil {
		opts.Protect, opts.ProtectAll = a.Paths, len(a.Paths) == 0
	}
	rule, err := sitefs.NewRule(opts)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := sitefs.Walk(root, rule, sitefs.WalkOptions{Secret: htmlsec.SecretKind, Shown: htmlsec.ShownSecret, MaxScan: htmlsec.MaxSecretScan})
	if err != nil {
		t.Fatal(err)
	}
	tab, _, err := site.Analyze(site.Options{Root: root, Tree: tree, Charset: m.Config.Charset, Variants: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), table.FileName)
	if err := table.Write(file, tab); err != nil {
		t.Fatal(err)
	}
	return file
}

// record serves the planned app and returns the transcript.
func record(t *testing.T, app string, m manifest.Manifest, originURL string) string {
	t.Helper()
	file, err := manifest.Write(t.TempDir(), m)
	if err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	cfg, err := launch.Config(file, port, app)
	if err != nil {
		t.Fatal(err)
	}
	if err := caddy.Load(cfg, true); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = caddy.Stop() }()
	c := &client{base: "http://127.0.0.1:" + port, http: &http.Client{
		Transport:     &http.Transport{DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, origin: originURL}
	root := filepath.Join(app, m.Root)
	var paths []string
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		switch {
		case rel == ".":
			paths = append(paths, "/")
		case d.IsDir():
			paths = append(paths, "/"+rel+"/", "/"+rel)
		default:
			paths = append(paths, "/"+rel)
			if strings.HasSuffix(rel, ".html") {
				paths = append(paths, "/"+strings.TrimSuffix(rel, ".html"))
			}
		}
		return nil
	})
	slices.Sort(paths)
	paths = slices.Compact(paths)
	var b strings.Builder
	creds := [][2]string{{"", ""}}
	if m.Config != nil && m.Config.BasicAuth != nil {
		creds = append(creds, [2]string{"alice", "pw"})
	}
	for _, cred := range creds {
		for _, p := range paths {
			c.file(t, &b, p, cred)
		}
		for _, p := range []string{"/no-such-page", "/no/such/file.js", "/.env", "/.well-known/hardstatic/env.json", "/.well-known/hardstatic/health"} {
			c.do(t, &b, "GET", p, cred, nil)
		}
		c.do(t, &b, "POST", "/", cred, nil)
		c.do(t, &b, "GET", "/", cred, map[string]string{"X-Forwarded-Proto": "http"})
	}
	return b.String()
}

type client struct {
	base   string
	http   *http.Client
	origin string
}

var browser = map[string]string{"Accept-Encoding": "gzip, deflate, br, zstd"}

// file records the answers a file's URL gives.
func (c *client) file(t *testing.T, b *strings.Builder, p string, cred [2]string) {
	plain := c.do(t, b, "GET", p, cred, nil)
	br := c.do(t, b, "GET", p, cred, browser)
	c.do(t, b, "GET", p, cred, map[string]string{"Accept-Encoding": "gzip"})
	c.do(t, b, "HEAD", p, cred, browser)
	c.do(t, b, "GET", p, cred, map[string]string{"Range": "bytes=0-0"})
	c.do(t, b, "GET", p, cred, map[string]string{"Range": "bytes=999999999-"})
	for _, h := range []http.Header{plain, br} {
		if tag := h.Get("Etag"); tag != "" {
			c.do(t, b, "GET", p, cred, map[string]string{"If-None-Match": tag, "Accept-Encoding": browser["Accept-Encoding"]})
		}
	}
}

// do sends one request and writes its status and headers (but Date).
func (c *client) do(t *testing.T, b *strings.Builder, method, p string, cred [2]string, hdr map[string]string) http.Header {
	t.Helper()
	req, err := http.NewRequest(method, c.base+escape(p), nil)
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(hdr))
	for k, v := range hdr {
		req.Header.Set(k, v)
		keys = append(keys, k+": "+v)
	}
	slices.Sort(keys)
	if cred[0] != "" {
		req.SetBasicAuth(cred[0], cred[1])
		keys = append(keys, "(credentials)")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, p, err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	n := fmt.Sprint(len(body))
	if resp.Header.Get("Content-Encoding") != "" {
		n = "variant"
	}
	fmt.Fprintf(b, "%s %s %s\n  -> %d (%s body bytes)\n", method, p, strings.Join(keys, ", "), resp.StatusCode, n)
	names := make([]string, 0, len(resp.Header))
	for k := range resp.Header {
		if k != "Date" {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	for _, k := range names {
		for _, v := range resp.Header[k] {
			if k == "Content-Length" && resp.Header.Get("Content-Encoding") != "" {
				v = "(the variant's size: the build's compressors decide it)"
			}
			fmt.Fprintf(b, "  %s: %s\n", k, strings.ReplaceAll(v, c.origin, "ORIGIN"))
		}
	}
	return resp.Header
}

// escape writes a file name as a URL path.
func escape(p string) string {
	return strings.NewReplacer("%", "%25", " ", "%20", "#", "%23", "?", "%3F").Replace(p)
}

// diff shows the first lines that differ, with context.
func diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		if i < len(w) && i < len(g) && w[i] == g[i] {
			continue
		}
		lo := max(0, i-8)
		return fmt.Sprintf("first difference at line %d\nwant:\n%s\ngot:\n%s", i+1,
			strings.Join(w[lo:min(len(w), i+8)], "\n"), strings.Join(g[lo:min(len(g), i+8)], "\n"))
	}
	return ""
}
