package migrate

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hardstatic/buildpack/internal/config"
)

// kitchenSink sets every key to something other than its default, with the
// defaults Parse fills in spelled out so that the round trip compares equal.
func kitchenSink() *config.Config {
	cfg := config.Default()
	cfg.Root = "site/out"
	cfg.CleanURLs = false
	cfg.TrailingSlash = "never"
	cfg.NotFound = "errors/404.html"
	cfg.Fallback = "/app.html"
	cfg.HTTPSOnly = false
	cfg.CanonicalHost = "${HOST:-www.example.com}"
	cfg.Charset = "iso-8859-1"
	cfg.Redirects = []config.Redirect{
		{From: "/old/*", To: "/new/:splat", Status: 301},
		{From: "/blog/:year/:slug", To: "https://blog.example.com/:year/:slug", Status: 308},
		{From: "/env", To: "${TARGET}/x", Status: 302},
	}
	cfg.Rewrites = []config.Rewrite{{From: "/app/*", To: "/app/index.html"}}
	cfg.Proxies = []config.Proxy{
		{From: "/api/*", To: "https://api.example.com/v1/", MaxBody: "100MB", Headers: map[string]string{"Authorization": "Bearer ${TOKEN}", "X-From": "static"}},
		{From: "/up/*", To: "${UPLOADS}/", MaxBody: "25MB"},
	}
	cfg.HeaderRules = []config.HeaderRule{
		{Glob: "/**", Headers: []config.Header{{Name: "X-Quote", Value: `say "hi" \ bye`}, {Name: "X-Unicode", Value: "café ☕"}}},
		{Glob: "/assets/*.js", Headers: []config.Header{{Name: "Cache-Control", Value: "public, max-age=31536000, immutable"}}},
		{Glob: "/embed/**", Headers: []config.Header{{Name: "X-Frame-Options", Value: ""}, {Name: "X-Tab", Value: "a\tb"}}},
	}
	cfg.Headers = map[string]map[string]string{}
	for _, r := range cfg.HeaderRules {
		m := map[string]string{}
		for _, h := range r.Headers {
			m[h.Name] = h.Value
		}
		cfg.Headers[r.Glob] = m
	}
	cfg.CSP = config.CSP{ReportOnly: true, ReportEndpoint: true, ReportURI: "https://report.example.com/csp", ReportTo: "csp-endpoint", Sources: []config.CSPDirective{
		{Name: "script-src", Sources: []string{"https://plausible.io", "'sha256-abc='"}},
		{Name: "img-src", Sources: []string{"data:", "https://images.example.com"}},
	}}
	cfg.BasicAuth = &config.BasicAuth{Realm: "Staff only", UsersEnv: "STAFF_USERS", Paths: []string{"/admin/**", "/drafts/*"}}
	return cfg
}

// configView renders what a Config means, without Parse's bookkeeping.
func configView(t *testing.T, cfg *config.Config) string {
	t.Helper()
	type view struct {
		*config.Config
		RawHeaders map[string]map[string]string `json:"raw_headers"`
	}
	h := cfg.Headers
	if len(h) == 0 {
		h = nil
	}
	b, err := json.MarshalIndent(view{cfg, h}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func roundTrip(t *testing.T, cfg *config.Config) *config.Config {
	t.Helper()
	out := EncodeTOML(cfg, []string{"a note", "another note that is long enough to be wrapped over more than one line of the comment block, so wrapping is exercised too"})
	got, err := config.Parse(config.FileName, out)
	if err != nil {
		t.Fatalf("Parse(EncodeTOML(cfg)): %v\n%s", err, out)
	}
	if want, have := configView(t, cfg), configView(t, got); want != have {
		t.Fatalf("round trip changed the config\n--- encoded:\n%s\n--- want:\n%s\n--- got:\n%s", out, want, have)
	}
	return got
}

func TestEncodeRoundTrip(t *testing.T) {
	staticJSON, _, err := ParseStaticJSON(config.StaticJSONName, mustRead(t, filepath.Join("..", "..", "integration", "testdata", "static-json", config.StaticJSONName)))
	if err != nil {
		t.Fatal(err)
	}
	basicDefaults := config.Default()
	basicDefaults.BasicAuth = &config.BasicAuth{Realm: "Restricted", UsersEnv: config.DefaultUsersEnv}
	cspOnly := config.Default()
	cspOnly.CSP = config.CSP{ReportEndpoint: true, Sources: []config.CSPDirective{{Name: "connect-src", Sources: []string{"https://api.example.com"}}, {Name: "upgrade-insecure-requests", Sources: []string{}}}}
	for name, cfg := range map[string]*config.Config{
		"defaults":            config.Default(),
		"kitchen sink":        kitchenSink(),
		"from static.json":    staticJSON,
		"basic auth defaults": basicDefaults,
		"csp only":            cspOnly,
	} {
		t.Run(name, func(t *testing.T) { roundTrip(t, cfg) })
	}
}

func mustRead(t testing.TB, file string) []byte {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestEncodeOnlyNonDefaults(t *testing.T) {
	out := string(EncodeTOML(config.Default(), nil))
	for _, line := range strings.Split(out, "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			t.Errorf("defaults produced %q", line)
		}
	}
	out = string(EncodeTOML(kitchenSink(), nil))
	for _, absent := range []string{"status = 301", `max_body = "25MB"`, "realm = \"Restricted\"", "[proxies.headers]\n\n"} {
		if strings.Contains(out, absent) {
			t.Errorf("output contains the default %q:\n%s", absent, out)
		}
	}
	// Canonical order: plain keys, then tables in Config struct order, header
	// tables in their order.
	last := -1
	for _, s := range []string{"root = ", "clean_urls = false", "trailing_slash = ", "not_found = ", "fallback = ", "https_only = false",
		"canonical_host = ", "charset = ", "[[redirects]]", "[[rewrites]]", "[[proxies]]", "[proxies.headers]",
		`[headers."/**"]`, `[headers."/assets/*.js"]`, `[headers."/embed/**"]`, "[csp]", "report_only = true", "script-src = ", "img-src = ", "[basic_auth]"} {
		i := strings.Index(out, s)
		if i < 0 || i < last {
			t.Fatalf("%q missing or out of order in\n%s", s, out)
		}
		last = i
	}
}

func TestEncodeNotesAsComments(t *testing.T) {
	out := string(EncodeTOML(config.Default(), []string{"first", strings.Repeat("word ", 60)}))
	if !strings.Contains(out, "#   - first\n") {
		t.Errorf("note missing:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if len([]rune(line)) > 100 {
			t.Errorf("line longer than 100: %q", line)
		}
	}
}

func TestEncodeHeadersWithoutRules(t *testing.T) {
	cfg := config.Default()
	cfg.Headers = map[string]map[string]string{"/b": {"X-B": "2"}, "/a": {"X-Z": "1", "X-A": ""}}
	out := string(EncodeTOML(cfg, nil))
	if !strings.Contains(out, "[headers.\"/a\"]\nX-A = \"\"\nX-Z = \"1\"\n\n[headers.\"/b\"]") {
		t.Errorf("headers not sorted:\n%s", out)
	}
	got, err := config.Parse(config.FileName, []byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Headers, cfg.Headers) {
		t.Errorf("Headers = %v", got.Headers)
	}
}

func TestTOMLString(t *testing.T) {
	for in, want := range map[string]string{
		`plain`:       `"plain"`,
		`a"b\c`:       `"a\"b\\c"`,
		"tab\tnl\n":   `"tab\tnl\n"`,
		"bell\x07del": `"bell\u0007del"`,
		"é":           `"é"`,
	} {
		if got := tomlString(in); got != want {
			t.Errorf("tomlString(%q) = %s, want %s", in, got, want)
		}
	}
	if tomlKey("Cache-Control") != "Cache-Control" || tomlKey("/a b") != `"/a b"` || tomlKey("") != `""` {
		t.Error("tomlKey")
	}
}

var update = flag.Bool("update", false, "rewrite the golden files of EncodeTOML")

// TestEncodeGolden keeps what EncodeTOML writes for the kitchen sink and
// the static.json fixture in internal/config/testdata/encoded, where the
// schema test lints them with taplo. Run with -update after a change.
func TestEncodeGolden(t *testing.T) {
	staticJSON, notes, err := ParseStaticJSON(config.StaticJSONName, mustRead(t, filepath.Join("..", "..", "integration", "testdata", "static-json", config.StaticJSONName)))
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string][]byte{
		"kitchen-sink.toml": EncodeTOML(kitchenSink(), nil),
		"static-json.toml":  EncodeTOML(staticJSON, notes),
	} {
		file := filepath.Join("..", "config", "testdata", "encoded", name)
		if *update {
			if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if want := mustRead(t, file); !bytes.Equal(got, want) {
			t.Errorf("EncodeTOML output differs from %s (run go test ./internal/migrate -update and review the diff):\n%s", file, got)
		}
	}
}
