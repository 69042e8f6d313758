package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseFullConfig(t *testing.T) {
	src := `root = "dist"
clean_urls = false
trailing_slash = "always"
fallback = "/index.html"
https_only = false
canonical_host = "${HOST:-www.example.com}"
charset = "iso-8859-1"

[[redirects]]
from = "/old/*"
to = "/new/:splat"

[[redirects]]
from = "/blog/:year/:slug"
to = "https://blog.example.com/:year/:slug"
status = 302

[[rewrites]]
from = "/app/*"
to = "/app/index.html"

[[proxies]]
from = "/api/*"
to = "${API_ORIGIN}"
max_body = "100MB"
headers = { Authorization = "Bearer ${TOKEN}" }

[headers."/**"]
X-Extra = "1"

[headers."/assets/**"]
Cache-Control = "public, max-age=31536000, immutable"
X-Extra = ""

[csp]
script-src = ["https://plausible.io"]
font-src = ["https://fonts.gstatic.com"]
report_uri = "/csp-report"

[basic_auth]
paths = ["/admin/**"]
`
	cfg, err := Parse(FileName, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Redirects[0].Status != 301 || cfg.Redirects[1].Status != 302 {
		t.Errorf("statuses %d %d", cfg.Redirects[0].Status, cfg.Redirects[1].Status)
	}
	if cfg.Proxies[0].MaxBody != "100MB" || cfg.Proxies[0].Headers["Authorization"] != "Bearer ${TOKEN}" {
		t.Errorf("proxy %+v", cfg.Proxies[0])
	}
	if len(cfg.HeaderRules) != 2 || cfg.HeaderRules[0].Glob != "/**" || cfg.HeaderRules[1].Headers[1] != (Header{"X-Extra", ""}) {
		t.Errorf("header rules %+v", cfg.HeaderRules)
	}
	if len(cfg.CSP.Sources) != 2 || cfg.CSP.Sources[0].Name != "script-src" || cfg.CSP.ReportURI != "/csp-report" {
		t.Errorf("csp %+v", cfg.CSP)
	}
	if cfg.BasicAuth.UsersEnv != "BASIC_AUTH_USERS" || cfg.BasicAuth.Realm != "Restricted" {
		t.Errorf("basic auth %+v", cfg.BasicAuth)
	}
	if cfg.CleanURLs || cfg.HTTPSOnly || cfg.TrailingSlash != "always" {
		t.Errorf("scalars %+v", cfg)
	}
}

func TestValidationErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"trailing_slash = \"sometimes\"", `static.toml:1:1: key "trailing_slash": "sometimes" is not one of auto, always, never`},
		{"\n[[redirects]]\nfrom = \"/a\"\nto = \"/b\"\n[[redirects]]\nfrom = \"/c\"\nto = \"/d\"\nstatus = 200", `static.toml:8:1: key "redirects[2].status": 200 is not a redirect status`},
		{"[[redirects]]\nfrom = \"/a\"\nto = \"/a\"", `static.toml:3:1: key "redirects[1].to": redirects "/a" to itself`},
		{"[[redirects]]\nfrom = \"a\"\nto = \"/b\"", `static.toml:2:1: key "redirects[1].from": pattern "a" must start with /`},
		{"[[redirects]]\nfrom = \"/a/*\"\nto = \"/b/:slug\"", `key "redirects[1].to": :slug is not captured`},
		{"[[redirects]]\nfrom = \"/a\"\nto = \"${BAD\"", `unclosed ${`},
		{"[[proxies]]\nfrom = \"/api/*\"\nto = \"ftp://x\"", `key "proxies[1].to": "ftp://x" is not an http:// or https:// URL`},
		{"[[proxies]]\nfrom = \"/api/*\"\nto = \"https://x\"\nmax_body = \"lots\"", `key "proxies[1].max_body": "lots" is not a size`},
		{"[headers.\"*.js\"]\nX = \"y\"", `static.toml:1:1: key "headers.*.js": glob "*.js" must start with /`},
		{"[headers.\"/x\"]\n\"Bad Name\" = \"y\"", `key "headers./x.Bad Name": not a valid header name`},
		{"[csp]\nscript-srcc = [\"https://x\"]", `static.toml:2:1: key "csp.script-srcc": unknown CSP directive (did you mean "script-src"?)`},
		{"[csp]\nscript-src = \"https://x\"", `expected a list of sources`},
		{"[csp]\nscript-src = [\"https://x; evil\"]", `is not a single CSP source`},
		{"[basic_auth]\nusers_env = \"1BAD\"", `key "basic_auth.users_env"`},
		{"canonical_host = \"https://example.com/\"", `is not a host name`},
		{"root = \"../up\"", `points outside the app directory`},
		{"fallback = \"../etc/passwd\"", `must name a file inside the root`},
	}
	for _, tt := range tests {
		_, err := Parse(FileName, []byte(tt.src))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) = %v\nwant %q", tt.src, err, tt.want)
		}
	}
}

func TestCheckFiles(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "404.html"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse(FileName, []byte("\nfallback = \"/app.html\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.CheckFiles(root); err == nil || !strings.Contains(err.Error(), `static.toml:2:1: key "fallback": "/app.html" does not exist in the site root`) {
		t.Fatalf("CheckFiles = %v", err)
	}
	cfg = Default()
	checked, err := cfg.CheckFiles(root)
	if err != nil || checked.NotFound != "404.html" {
		t.Fatalf("default not_found: %v %q", err, checked.NotFound)
	}
	if cfg.NotFound != "" {
		t.Errorf("CheckFiles changed the configuration it checked: not_found = %q", cfg.NotFound)
	}
	cfg, err = Parse(FileName, []byte("not_found = \"/404.html\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if checked, err = cfg.CheckFiles(root); err != nil || checked.NotFound != "404.html" || cfg.NotFound != "/404.html" {
		t.Errorf("not_found = \"/404.html\": checked %q (want 404.html), original %q (want it unchanged), %v", checked.NotFound, cfg.NotFound, err)
	}
}

// ResolveVars returns a resolved copy: the configuration the build wrote
// into the manifest keeps its ${VAR} references.
func TestResolveVarsLeavesTheConfigUnchanged(t *testing.T) {
	src := `canonical_host = "${HOST}"
[[redirects]]
from = "/a"
to = "https://${HOST}/a"
[[proxies]]
from = "/api/*"
to = "https://${HOST}/"
headers = { X-Key = "${KEY}" }
[headers."/**"]
X-Site = "${HOST}"
`
	cfg, err := Parse(FileName, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HOST": "example.com", "KEY": "k1"}
	got, err := cfg.ResolveVars(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if got.CanonicalHost != "example.com" || got.Redirects[0].To != "https://example.com/a" || got.Proxies[0].To != "https://example.com/" ||
		got.Proxies[0].Headers["X-Key"] != "k1" || got.HeaderRules[0].Headers[0].Value != "example.com" {
		t.Errorf("resolved: %+v", got)
	}
	if cfg.CanonicalHost != "${HOST}" || cfg.Redirects[0].To != "https://${HOST}/a" || cfg.Proxies[0].To != "https://${HOST}/" ||
		cfg.Proxies[0].Headers["X-Key"] != "${KEY}" || cfg.HeaderRules[0].Headers[0].Value != "${HOST}" {
		t.Errorf("ResolveVars changed the original: %+v", cfg)
	}
}

func TestExpandVars(t *testing.T) {
	env := map[string]string{"HOST": "example.com", "EMPTY": ""}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	tests := []struct{ in, out, err string }{
		{"plain", "plain", ""},
		{"https://${HOST}/x", "https://example.com/x", ""},
		{"${MISSING:-fallback}", "fallback", ""},
		{"${EMPTY:-d}", "d", ""},
		{"${EMPTY}", "", ""},
		{"${MISSING}", "", "environment variable MISSING is not set"},
		{"${1X}", "", "not a variable reference"},
		{"${OPEN", "", "unclosed"},
	}
	for _, tt := range tests {
		got, err := ExpandVars(tt.in, lookup)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ExpandVars(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.out {
			t.Errorf("ExpandVars(%q) = %q, %v", tt.in, got, err)
		}
	}
}
