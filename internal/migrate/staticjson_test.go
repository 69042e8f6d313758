package migrate

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hardstatic/buildpack/internal/config"
)

func parseJSONOK(t *testing.T, src string) (*config.Config, []string) {
	t.Helper()
	cfg, notes, err := ParseStaticJSON(config.StaticJSONName, []byte(src))
	if err != nil {
		t.Fatalf("ParseStaticJSON: %v", err)
	}
	return cfg, notes
}

// hasNote reports whether some note contains every one of parts.
func hasNote(notes []string, parts ...string) bool {
	for _, n := range notes {
		ok := true
		for _, p := range parts {
			if !strings.Contains(n, p) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func requireNote(t *testing.T, notes []string, parts ...string) {
	t.Helper()
	if !hasNote(notes, parts...) {
		t.Errorf("no note contains %q; notes:\n  %s", parts, strings.Join(notes, "\n  "))
	}
}

func TestStaticJSONEmptyKeepsHerokuDefaults(t *testing.T) {
	cfg, notes := parseJSONOK(t, "{}")
	want := config.Default()
	want.Root = "public_html"
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("cfg = %+v, want %+v", cfg, want)
	}
	requireNote(t, notes, "public_html")
	requireNote(t, notes, "https_only", "defaulted to false", "true")
	requireNote(t, notes, "clean_urls", "defaulted to false")
	requireNote(t, notes, "Content-Security-Policy")
	requireNote(t, notes, "BASIC_AUTH_USERNAME")
	requireNote(t, notes, "not_found", "404.html")
	for _, n := range notes {
		if strings.Contains(n, "\n") {
			t.Errorf("note spans lines: %q", n)
		}
	}
}

func TestStaticJSONScalars(t *testing.T) {
	cfg, notes := parseJSONOK(t, `{
  "root": "dist/",
  "encoding": "US-ASCII",
  "clean_urls": false,
  "https_only": false,
  "canonical_host": "${HOST}",
  "error_page": "/errors/error.html",
  "logging": {"access": false, "error": "warn"},
  "worker_connections": 1024
}`)
	if cfg.Root != "dist" || cfg.Charset != "us-ascii" || cfg.CleanURLs || cfg.HTTPSOnly ||
		cfg.CanonicalHost != "${HOST}" || cfg.NotFound != "errors/error.html" || cfg.AccessLog != config.AccessLogOff {
		t.Errorf("cfg = %+v", cfg)
	}
	requireNote(t, notes, "https_only = false is kept")
	requireNote(t, notes, "error_page", "500")
	requireNote(t, notes, "logging", `access = false becomes access_log = "off"`)
	requireNote(t, notes, `error = "warn"`)
	requireNote(t, notes, "worker_connections")
	requireNote(t, notes, "${VAR}", "canonical_host", "${NAME:-default}")
	if hasNote(notes, "clean_urls") {
		t.Error("clean_urls = false behaves as on Heroku; no note expected")
	}
}

func TestStaticJSONRootFromApp(t *testing.T) {
	cfg, notes := parseJSONOK(t, `{"root": "/app/public/"}`)
	if cfg.Root != "public" {
		t.Errorf("Root = %q", cfg.Root)
	}
	requireNote(t, notes, `"/app/public/"`, `"public"`)
}

func TestStaticJSONRoutes(t *testing.T) {
	cfg, notes := parseJSONOK(t, `{
  "routes": {
    "/assets/*": "/assets/",
    "/route/**": "bar/baz.html",
    "/*.html": "index.html",
    "/spa/**": {"path": "spa.html", "except": "/spa/assets/"},
    "/**": "index.html",
    "/never/**": "x.html"
  }
}`)
	wantRewrites := []config.Rewrite{
		{From: "/assets/:segment1", To: "/assets/"},
		{From: "/route/*", To: "/bar/baz.html"},
		{From: "/*.html", To: "/index.html"}, // the example of Heroku's README
		{From: "/spa/*", To: "/spa.html"},
	}
	if !reflect.DeepEqual(cfg.Rewrites, wantRewrites) {
		t.Errorf("Rewrites = %+v", cfg.Rewrites)
	}
	if cfg.Fallback != "/index.html" {
		t.Errorf("Fallback = %q", cfg.Fallback)
	}
	if hasNote(notes, "NOT MIGRATED", `"/*.html"`) {
		t.Errorf("/*.html is still not migrated: %v", notes)
	}
	// A * inside another segment, or ** inside one, has no equivalent.
	_, more := parseJSONOK(t, `{"routes": {"/*/a.html": "x.html", "/docs/**.html": "y.html", "/a*/b": "z.html"}}`)
	for _, g := range []string{`"/docs/**.html"`, `"/a*/b"`} {
		requireNote(t, more, "NOT MIGRATED", g)
	}
	requireNote(t, notes, "NOT MIGRATED", `"/never/**"`, `"/**"`)
	requireNote(t, notes, `"except"`, "/spa/assets/")
	requireNote(t, notes, "fallback", "404 instead of /index.html")
}

func TestStaticJSONRedirects(t *testing.T) {
	cfg, notes := parseJSONOK(t, `{
  "redirects": {
    "/old/gone/": {"url": "/", "status": 302},
    "/moved": {"url": "${NEW_SITE_DOMAIN}/new/here/"},
    "/literal/*": {"url": "/x"}
  }
}`)
	want := []config.Redirect{
		{From: "/old/gone/", To: "/", Status: 302},
		{From: "/moved", To: "${NEW_SITE_DOMAIN}/new/here/", Status: 301},
	}
	if !reflect.DeepEqual(cfg.Redirects, want) {
		t.Errorf("Redirects = %+v", cfg.Redirects)
	}
	requireNote(t, notes, "NOT MIGRATED", `"/literal/*"`)
	requireNote(t, notes, "redirects are checked before files")
	requireNote(t, notes, "redirect urls")
}

func TestStaticJSONProxies(t *testing.T) {
	cfg, notes := parseJSONOK(t, `{
  "proxies": {
    "/api/": {"origin": "https://hone-ember-todo-rails.herokuapp.com/"},
    "/api/v2/": {"origin": "https://${API_APP_NAME}.herokuapp.com/v2"},
    "/legacy": {"origin": "http://legacy.example.com"}
  }
}`)
	want := []config.Proxy{
		{From: "/api/v2/*", To: "https://${API_APP_NAME}.herokuapp.com/v2/", MaxBody: "25MB"},
		{From: "/legacy/*", To: "http://legacy.example.com/", MaxBody: "25MB"},
		{From: "/api/*", To: "https://hone-ember-todo-rails.herokuapp.com/", MaxBody: "25MB"},
	}
	if !reflect.DeepEqual(cfg.Proxies, want) {
		t.Errorf("Proxies = %+v", cfg.Proxies)
	}
	requireNote(t, notes, "longest")
	requireNote(t, notes, `"/legacy"`, "also e.g. /legacyx")
	requireNote(t, notes, `"https://${API_APP_NAME}.herokuapp.com/v2/"`, "should not end in /")
	requireNote(t, notes, "1 MB")
	requireNote(t, notes, "proxy origins")
}

func TestStaticJSONHeadersKeepFileOrder(t *testing.T) {
	cfg, notes := parseJSONOK(t, `{
  "headers": {
    "/**": {"X-Foo": "bar", "X-Bar": "baz"},
    "/foo": {"X-Foo": "foo"},
    "/assets/webfonts/*": {"Access-Control-Allow-Origin": "*", "X-Max-Age": 3600},
    "/a": {"Cache-Control": "no-store, no-cache"}
  }
}`)
	want := []config.HeaderRule{
		{Glob: "/**", Headers: []config.Header{{Name: "X-Foo", Value: "bar"}, {Name: "X-Bar", Value: "baz"}}},
		{Glob: "/foo", Headers: []config.Header{{Name: "X-Foo", Value: "foo"}}},
		{Glob: "/assets/webfonts/*", Headers: []config.Header{{Name: "Access-Control-Allow-Origin", Value: "*"}, {Name: "X-Max-Age", Value: "3600"}}},
		{Glob: "/a", Headers: []config.Header{{Name: "Cache-Control", Value: "no-store, no-cache"}}},
	}
	if !reflect.DeepEqual(cfg.HeaderRules, want) {
		t.Errorf("HeaderRules = %+v", cfg.HeaderRules)
	}
	if cfg.Headers["/foo"]["X-Foo"] != "foo" || len(cfg.Headers) != 4 {
		t.Errorf("Headers = %v", cfg.Headers)
	}
	// The README's precedence example: /foo got only X-Foo on Heroku.
	requireNote(t, notes, `headers "/foo"`, `X-Bar from "/**"`)
	requireNote(t, notes, `headers "/assets/webfonts/*"`, `X-Foo, X-Bar from "/**"`)
	requireNote(t, notes, `headers "/a"`, `X-Foo, X-Bar from "/**"`)
}

func TestHerokuGlobsOverlap(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"/**", "/foo", true},
		{"/foo", "/bar", false},
		{"/assets/*", "/assets/a/b", false},
		{"/assets/**", "/assets/a/b", true},
		{"/*.js", "/*.css", false},
		{"/*.js", "/app.*", true},
		{"/a/*/c", "/a/b/*", true},
		{"/a/*", "/b/**", false},
		{"/", "/**", true},
		{"/x*", "/*y", true},
		{"/" + strings.Repeat("*a", 400) + "b", "/" + strings.Repeat("a*", 400) + "c", false},
		{"/" + strings.Repeat("*a", 400), "/" + strings.Repeat("a**", 400), true},
	} {
		if got := herokuGlobsOverlap(tc.a, tc.b); got != tc.want {
			t.Errorf("overlap(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
		if got := herokuGlobsOverlap(tc.b, tc.a); got != tc.want {
			t.Errorf("overlap(%q, %q) = %v, want %v", tc.b, tc.a, got, tc.want)
		}
	}
}

func TestStaticJSONBasicAuth(t *testing.T) {
	cfg, notes := parseJSONOK(t, `{"basic_auth": true, "basic_auth_htpasswd_path": "/app/.htpasswd"}`)
	if cfg.BasicAuth == nil || cfg.BasicAuth.Realm != "Restricted" || cfg.BasicAuth.UsersEnv != config.DefaultUsersEnv {
		t.Fatalf("BasicAuth = %+v", cfg.BasicAuth)
	}
	requireNote(t, notes, "BASIC_AUTH_PASSWORD", "bcrypt")
	requireNote(t, notes, "/.well-known/")
	requireNote(t, notes, "/app/.htpasswd", "not read")
	cfg, _ = parseJSONOK(t, `{"basic_auth": false}`)
	if cfg.BasicAuth != nil {
		t.Errorf("basic_auth false: %+v", cfg.BasicAuth)
	}
}

func TestStaticJSONCSPHeaderNote(t *testing.T) {
	_, notes := parseJSONOK(t, `{"headers": {"/**": {"Content-Security-Policy": "default-src 'self'"}}}`)
	requireNote(t, notes, "Content-Security-Policy", "[csp]")
}

func TestStaticJSONErrors(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string // substrings of the error, in order
	}{
		{"unknown key with suggestion", "{\n  \"clean_url\": true\n}",
			[]string{`static.json:2:3: key "clean_url": unknown key`, `did you mean "clean_urls"?`}},
		{"static.toml key", `{"fallback": "/index.html"}`,
			[]string{`static.json:1:2: key "fallback": unknown key`, "static.toml key"}},
		{"wrong type", "{\n  \"root\": 5\n}",
			[]string{`static.json:2:11: key "root": expected a string, got a number`, "double quotes"}},
		{"wrong type bool", `{"https_only": "true"}`,
			[]string{`static.json:1:16: key "https_only": expected true or false, got a string`}},
		{"nested unknown key", "{\"redirects\": {\"/a\": {\"url\": \"/b\", \"code\": 302}}}",
			[]string{`key "redirects.\"/a\".code": unknown key`}},
		{"bad status", `{"redirects": {"/a": {"url": "/b", "status": 200}}}`,
			[]string{`static.json:1:46: key "redirects.\"/a\".status": 200 is not a redirect status`, "301, 302"}},
		{"missing url", `{"redirects": {"/a": {"status": 302}}}`,
			[]string{`static.json:1:22: key "redirects.\"/a\"": missing "url"`}},
		{"bad origin", `{"proxies": {"/api/": {"origin": "api.example.com"}}}`,
			[]string{`key "proxies.\"/api/\".origin"`, "not an http:// or https:// URL"}},
		{"duplicate key", "{\"root\": \"a\",\n \"root\": \"b\"}",
			[]string{`static.json:2:2: key "root": appears twice`}},
		{"duplicate redirect", `{"redirects": {"/a": {"url": "/b"}, "/a": {"url": "/c"}}}`,
			[]string{`static.json:1:37: key "redirects.\"/a\"": appears twice`}},
		{"duplicate after null", `{"root": null, "root": "x"}`,
			[]string{`static.json:1:16: key "root": appears twice`}},
		{"redirect loop", `{"redirects": {"/a": {"url": "/a"}}}`,
			[]string{`key "redirects.\"/a\".url": redirects "/a" to itself`}},
		{"syntax error", "{\n  \"root\": \"dist/\",\n}",
			[]string{"static.json:3:1: invalid JSON", "comma"}},
		{"unterminated", "{\"root\": \"dist/\"",
			[]string{"static.json:1:", "invalid JSON"}},
		{"not an object", `["root"]`,
			[]string{"static.json:1:1: the file must hold a JSON object"}},
		{"trailing text", `{} {}`,
			[]string{"static.json:1:4: invalid JSON: text after"}},
		{"empty", "  \n",
			[]string{"static.json: the file is empty"}},
		{"bad variable", `{"canonical_host": "${not-a-var}"}`,
			[]string{`key "canonical_host"`, "not a variable reference"}},
		{"two errors", "{\"roots\": 1,\n\"htps_only\": true}",
			[]string{"static.json:1:2", "static.json:2:1"}},
		{"header value object", `{"headers": {"/": {"X-A": {"b": 1}}}}`,
			[]string{`key "headers.\"/\".X-A": expected a string, got an object`}},
		{"column counts characters", "{\"headers\": {\"/é\": 1}}",
			[]string{`static.json:1:20: key "headers.\"/é\"": expected an object`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ParseStaticJSON(config.StaticJSONName, []byte(tt.src))
			if err == nil {
				t.Fatal("no error")
			}
			var ce *config.Error
			if !errors.As(err, &ce) {
				t.Fatalf("%T is not a *config.Error: %v", err, err)
			}
			msg := err.Error()
			rest := msg
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("error %q lacks %q", msg, w)
				}
				rest = rest[i+len(w):]
			}
		})
	}
}

// TestStaticJSONFixture maps the integration fixture and checks the result
// is a valid static.toml.
func TestStaticJSONFixture(t *testing.T) {
	file := filepath.Join("..", "..", "integration", "testdata", "static-json", config.StaticJSONName)
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	cfg, notes, err := ParseStaticJSON(config.StaticJSONName, data)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Root != "build" || cfg.Fallback != "/index.html" || cfg.NotFound != "404.html" || !cfg.HTTPSOnly || !cfg.CleanURLs {
		t.Errorf("cfg = %+v", cfg)
	}
	if !reflect.DeepEqual(cfg.Rewrites, []config.Rewrite{{From: "/docs/*", To: "/docs/index.html"}, {From: "/*.html", To: "/index.html"}}) {
		t.Errorf("Rewrites = %+v", cfg.Rewrites)
	}
	if len(cfg.Redirects) != 2 || cfg.Redirects[0].To != "${BLOG_URL}/posts" || cfg.Redirects[0].Status != 302 || cfg.Redirects[1].Status != 301 {
		t.Errorf("Redirects = %+v", cfg.Redirects)
	}
	if len(cfg.Proxies) != 1 || cfg.Proxies[0].From != "/api/*" || cfg.Proxies[0].To != "${API_ORIGIN}/v1/" {
		t.Errorf("Proxies = %+v", cfg.Proxies)
	}
	var globs []string
	for _, r := range cfg.HeaderRules {
		globs = append(globs, r.Glob)
	}
	if strings.Join(globs, " ") != "/** /assets/** /assets/fonts/*" {
		t.Errorf("header globs %v", globs)
	}
	if _, err := config.Parse(config.FileName, EncodeTOML(cfg, notes)); err != nil {
		t.Fatalf("the converted static.toml does not parse: %v\n%s", err, EncodeTOML(cfg, notes))
	}
}

func FuzzParseStaticJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{"root": "dist/"}`, `{"routes": {"/**": "index.html"}}`, `{"headers": {"/*": {"A": "b"}}}`,
		`{"proxies": {"/api/": {"origin": "https://x/"}}}`, `{"redirects": {"/a": {"url": "/b", "status": 302}}}`, `{"a":`, `[1]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		cfg, _, err := ParseStaticJSON(config.StaticJSONName, []byte(src))
		if err != nil {
			if !strings.HasPrefix(err.Error(), config.StaticJSONName) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if cfg == nil {
			t.Fatal("nil config without error")
		}
		if _, err := config.Parse(config.FileName, EncodeTOML(cfg, nil)); err != nil {
			t.Fatalf("converted %q does not parse: %v\n%s", src, err, EncodeTOML(cfg, nil))
		}
	})
}

func TestParseStaticJSONRefusesControlCharacters(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{`{"root": "dist\u001b[2J"}`, `static.json:1:10: key "root": the value holds a control character (U+001B) at character 5`},
		{"{\n  \"redirects\": {\"/old\": {\"url\": \"/new\\n\"}}\n}", `static.json:2:33: key "redirects.\"/old\".url": the value holds a control character (U+000A) at character 5`},
		{`{"headers": {"/a\u202e": {"X-A": "1"}}}`, `static.json:1:14: key "headers.\"/a\\u202e\"": the key holds a bidirectional control character (U+202E) at character 3`},
		{`{"proxies": {"/api/": {"origin": "https://a.example.com\u0000"}}}`, `the value holds a control character (U+0000)`},
	} {
		_, _, err := ParseStaticJSON(config.StaticJSONName, []byte(c.src))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v\nwant %s", c.src, err, c.want)
		}
	}
}
