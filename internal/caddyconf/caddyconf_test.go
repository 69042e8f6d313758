package caddyconf

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hardstatic/buildpack/internal/config"
	"github.com/hardstatic/buildpack/internal/policy"
)

// decode returns the JSON as generic maps, to assert on paths in it.
func decode(t *testing.T, site Site) map[string]any {
	t.Helper()
	data, err := Build(site)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// at walks a decoded JSON value by keys and array indexes; nil if absent.
func at(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

// parse reads a configuration with the report endpoint off, so that route
// indexes count only the routes a test is about (TestReportRoute has it on).
func parse(t *testing.T, src string) *config.Config {
	t.Helper()
	cfg, err := config.Parse(config.FileName, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	cfg.CSP.ReportEndpoint = false
	return cfg
}

var srv = []any{"apps", "http", "servers", "site"}

// route is the path of the i-th route. Route 0 starts with static_front
// (the probe, the site headers, the canonical path, the runtime
// configuration, the [headers] rules, the https and canonical-host
// redirects and the CSP report endpoint); the handlers of the routes after
// it that always match (redirects, files) join it (joinRoutes).
func route(i int, path ...any) []any {
	return append(append(append([]any{}, srv...), "routes", i), path...)
}

// front is the path of a field of the static_front handler.
func front(path ...any) []any { return route(0, append([]any{"handle", 0}, path...)...) }

type check struct {
	path []any
	want any
}

func TestBuild(t *testing.T) {
	defaults := Site{Listen: ":9090", Root: "/workspace/public", Hide: []string{"static.toml"},
		Headers: []policy.Header{{Name: "X-Frame-Options", Value: "DENY"}, {Name: "X-Removed", Value: ""}}}
	withConfig := func(src string) Site {
		s := defaults
		s.Config = parse(t, src)
		return s
	}
	tests := []struct {
		name   string
		site   Site
		checks []check
	}{
		{"server and defaults", defaults, []check{
			{[]any{"admin", "disabled"}, true},
			{[]any{"admin", "config", "persist"}, false},
			{[]any{"apps", "tls", "disable_storage_clean"}, true},
			{[]any{"apps", "http", "grace_period"}, "10s"},
			{[]any{"logging", "logs", "default", "writer", "output"}, "stdout"},
			{append(srv, "listen", 0), ":9090"},
			{append(srv, "automatic_https", "disable"), true},
			{append(srv, "protocols"), []any{"h1"}},
			{append(srv, "read_header_timeout"), "10s"},
			{append(srv, "idle_timeout"), "1m15s"},
			{append(srv, "read_timeout"), "30s"},
			{append(srv, "trusted_proxies", "ranges", 0), "127.0.0.0/8"},
			{append(srv, "trusted_proxies_strict"), 1.0},
			{append(srv, "listener_wrappers"), nil},
			{append(srv, "read_idle_timeout"), -1.0},
			{append(srv, "write_idle_timeout"), -1.0},
			{append(srv, "max_header_bytes"), 16384.0},
			// Caddy's access log is off: static_front and static_error_log write it.
			{append(srv, "logs"), nil},
			{[]any{"logging", "logs", "access"}, nil},
			{front("access_log"), "on"},
			{append(srv, "errors", "routes", 0, "handle", 0, "handler"), "static_error_log"},
			{append(srv, "errors", "routes", 0, "handle", 0, "access_log"), "on"},
			{route(0, "match"), nil},
			{front("handler"), "static_front"},
			{front("probe"), true},
			{front("probe_path"), "/.well-known/hardstatic/health"},
			{front("drop_server"), true},
			{front("site", 0, "name"), "X-Frame-Options"},
			{front("site", 0, "value"), "DENY"},
			{front("site", 1, "name"), "X-Removed"},
			{front("site", 1, "value"), ""},
			{front("env_paths"), []any{"/.well-known/hardstatic/env.js", "/.well-known/hardstatic/env.json"}},
			{front("env", "values"), map[string]any{}},
			{front("env_auth"), nil},
			// https_only is on by default.
			{front("https_only"), true},
			{front("canonical_host"), nil},
			// The CSP report endpoint, on by default, before basic auth.
			{front("csp_report", "handler"), "static_csp_report"},
			{front("csp_report_path"), "/.well-known/csp-report"},
			// The files, in the same route: nothing in between has a matcher.
			{route(0, "handle", 1, "handler"), "static_site"},
			{route(0, "handle", 1, "root"), "/workspace/public"},
			{route(0, "handle", 1, "clean_urls"), true},
			{route(0, "handle", 1, "trailing_slash"), "auto"},
			{route(0, "handle", 1, "hide"), []any{"static.toml"}},
			{route(1), nil},
			{append(srv, "errors", "routes", 0, "handle", 1, "response", "set", "X-Frame-Options"), []any{"DENY"}},
			{append(srv, "errors", "routes", 0, "handle", 2, "handler"), "static_response"},
		}},
		{"access log sampled", Site{Listen: ":1", Root: "/r", AccessLog: "sampled"}, []check{
			{front("access_log"), "sampled"},
			{append(srv, "errors", "routes", 0, "handle", 0, "access_log"), "sampled"},
		}},
		{"access log off", Site{Listen: ":1", Root: "/r", AccessLog: "off"}, []check{
			{front("access_log"), nil},
			{append(srv, "errors", "routes", 0, "handle", 0, "handler"), "headers"},
		}},
		{"https_only off", withConfig("https_only = false"), []check{
			{front("https_only"), nil},
			{front("csp_report"), nil},
			{route(0, "handle", 1, "handler"), "static_site"},
		}},
		{"canonical host after https", withConfig(`canonical_host = "www.example.com"`), []check{
			{front("https_only"), true},
			{front("canonical_host"), "www.example.com"},
		}},
		{"header globs, in file order, literal values", withConfig("https_only = false\n[headers.\"/**\"]\nA = \"{x}\"\n[headers.\"/*.js\"]\nA = \"\"\n"), []check{
			{front("rules", 0, "glob"), "/**"},
			{front("rules", 0, "set", 0, "name"), "A"},
			{front("rules", 0, "set", 0, "value"), "{x}"},
			{front("rules", 1, "glob"), "/*.js"},
			{front("rules", 1, "set", 0, "value"), ""},
			{route(0, "handle", 1, "handler"), "static_site"},
			{route(0, "handle", 1, "headers", "rules", 1, "glob"), "/*.js"},
			{route(0, "handle", 1, "headers", "site", 0, "name"), "X-Frame-Options"},
			{route(0, "handle", 1, "headers", "drop_server"), true},
		}},
		{"redirects before files", withConfig("https_only = false\n[[redirects]]\nfrom = \"/old/*\"\nto = \"/new/:splat\"\nstatus = 308\n"), []check{
			{route(0, "handle", 1, "handler"), "static_redirects"},
			{route(0, "handle", 1, "rules", 0, "from"), "/old/*"},
			{route(0, "handle", 1, "rules", 0, "status"), 308.0},
			{route(0, "handle", 2, "handler"), "static_site"},
		}},
		{"proxy", withConfig("https_only = false\n[[proxies]]\nfrom = \"/api/*\"\nto = \"https://api.example.com:8443/v1/\"\nmax_body = \"1MB\"\nheaders = { X-Key = \"k\" }\n"), []check{
			{route(1, "match", 0, "path_regexp", "pattern"), "^/api(?:/(.*))?$"},
			{route(1, "handle", 0, "response", "delete"), []any{"X-Frame-Options", "X-Removed"}},
			{route(1, "handle", 1, "response", "delete"), []any{"Server", "Via", "X-Powered-By"}},
			{route(1, "handle", 1, "response", "deferred"), true},
			{route(1, "handle", 2, "max_size"), 1048576.0},
			{route(1, "handle", 3, "handler"), "static_proxy_guard"},
			{route(1, "handle", 3, "max_conns"), 64.0},
			{route(1, "handle", 4, "base_path"), "/v1/"},
			{route(1, "handle", 5, "upstreams", 0, "dial"), "api.example.com:8443"},
			{route(1, "handle", 5, "transport", "tls", "server_name"), "api.example.com"},
			{route(1, "handle", 5, "transport", "max_conns_per_host"), 64.0},
			{route(1, "handle", 5, "headers", "request", "set", "Host"), []any{"api.example.com:8443"}},
			{route(1, "handle", 5, "headers", "request", "set", "X-Key"), []any{"k"}},
			{route(1, "handle", 5, "headers", "request", "delete", 0), "Forwarded"},
			{route(1, "handle", 5, "flush_interval"), -1.0},
			{route(1, "terminal"), true},
			{route(2, "handle", 0, "handler"), "static_site"},
		}},
		{"spa fallback and rewrites", withConfig("https_only = false\nfallback = \"/index.html\"\n[[rewrites]]\nfrom = \"/app/*\"\nto = \"/app.html\"\n"), []check{
			{route(0, "handle", 1, "fallback"), "index.html"},
			{route(0, "handle", 1, "rewrites", 0, "to"), "/app.html"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := decode(t, tt.site)
			for _, c := range tt.checks {
				if got := at(cfg, c.path...); !reflect.DeepEqual(got, c.want) {
					t.Errorf("%v = %#v, want %#v", c.path, got, c.want)
				}
			}
		})
	}
}

func TestBasicAuthRoute(t *testing.T) {
	site := Site{Listen: ":1", Root: "/r", Config: parse(t, "https_only = false\n[basic_auth]\nrealm = \"Staff\"\n"),
		Users: []Account{{Username: "alice", Password: "$2a$..."}}}
	cfg := decode(t, site)
	for _, c := range []check{
		{route(1, "match", 0, "static_protected", "paths"), nil},
		{route(1, "handle", 0, "handler"), "static_basic_auth"},
		{route(1, "handle", 0, "realm"), "Staff"},
		{route(1, "handle", 0, "accounts", 0, "username"), "alice"},
		// The runtime configuration asks for credentials too: the home page is protected.
		{front("env_auth", "handler"), "static_basic_auth"},
		{front("env_auth", "realm"), "Staff"},
	} {
		if got := at(cfg, c.path...); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%v = %#v, want %#v", c.path, got, c.want)
		}
	}
	site.Config = parse(t, "https_only = false\n[basic_auth]\npaths = [\"/admin/**\", \"/*.pdf\"]\n")
	cfg = decode(t, site)
	if got := at(cfg, route(1, "match", 0, "static_protected", "paths")...); !reflect.DeepEqual(got, []any{"/admin/**", "/*.pdf"}) {
		t.Errorf("paths matcher %v", got)
	}
}

func TestProxyDropsSitePassword(t *testing.T) {
	site := Site{Listen: ":1", Root: "/r", Users: []Account{{Username: "a", Password: "$2a$x"}},
		Config: parse(t, "https_only = false\n[basic_auth]\n[[proxies]]\nfrom = \"/api/*\"\nto = \"http://127.0.0.1:9\"\n")}
	cfg := decode(t, site)
	if got := at(cfg, route(2, "handle", 3, "drop_site_credentials")...); got != any(true) {
		t.Errorf("with basic auth, the proxy guard does not drop the site's credentials: %v", got)
	}
	if got, _ := at(cfg, route(2, "handle", 5, "headers", "request", "delete")...).([]any); slices.Contains(got, any("Authorization")) {
		t.Errorf("Authorization is dropped on every proxied request, not only on those basic auth let through: %v", got)
	}
	site.Users = nil
	site.Config = parse(t, "https_only = false\n[[proxies]]\nfrom = \"/api/*\"\nto = \"http://127.0.0.1:9\"\n")
	if got := at(decode(t, site), route(1, "handle", 3, "drop_site_credentials")...); got != any(false) {
		t.Errorf("without basic auth the client's Authorization must reach the origin: %v", got)
	}
}

// The report endpoint is answered by static_front, before basic auth
// (browsers send no credentials with reports), and only while the policy
// names it.
func TestReportRoute(t *testing.T) {
	site := Site{Listen: ":1", Root: "/r", Users: []Account{{Username: "a", Password: "$2a$x"}}}
	for src, want := range map[string]any{
		"https_only = false\n[basic_auth]\npaths = [\"/**\"]\n":                             "static_csp_report",
		"https_only = false\n[basic_auth]\n[csp]\nreport_endpoint = false\n":                nil,
		"https_only = false\n[basic_auth]\n[csp]\nreport_uri = \"https://r.example/csp\"\n": nil,
		"https_only = false\n[basic_auth]\n[csp]\nreport_to = \"own-group\"\n":              nil,
	} {
		cfg, err := config.Parse(config.FileName, []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		site.Config = cfg
		doc := decode(t, site)
		if got := at(doc, front("csp_report", "handler")...); got != want {
			t.Errorf("%q: the front's csp_report is %v, want %v", src, got, want)
		}
		if got := at(doc, route(1, "handle", 0, "handler")...); got != "static_basic_auth" {
			t.Errorf("%q: route 1 is %v, want static_basic_auth", src, got)
		}
	}
}

func TestBuildIsDeterministic(t *testing.T) {
	site := Site{Listen: ":8080", Root: "/r", Headers: policy.Defaults()}
	a, _ := Build(site)
	b, _ := Build(site)
	if string(a) != string(b) {
		t.Fatal("two builds of the same site differ")
	}
}

func TestBuildRejects(t *testing.T) {
	for _, site := range []Site{{Listen: ":1", Root: "relative"}, {Root: "/r"}} {
		if _, err := Build(site); err == nil {
			t.Errorf("Build(%+v) succeeded", site)
		}
	}
}

func TestConnectionsAndTrustedProxies(t *testing.T) {
	site := Site{Listen: ":1", Root: "/r", MaxConns: 500, IdleTimeout: 3 * time.Second, TrustedProxies: []string{"10.1.0.0/16"}}
	cfg := decode(t, site)
	for _, c := range []check{
		{append(srv, "listener_wrappers", 0, "wrapper"), "static_limit"},
		{append(srv, "listener_wrappers", 0, "max_conns"), 500.0},
		{append(srv, "idle_timeout"), "3s"},
		{append(srv, "trusted_proxies", "ranges"), []any{"10.1.0.0/16"}},
		{append(srv, "trusted_proxies_strict"), 1.0},
	} {
		if got := at(cfg, c.path...); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%v = %#v, want %#v", c.path, got, c.want)
		}
	}
	site.TrustedProxies = []string{}
	if got := at(decode(t, site), append(srv, "trusted_proxies")...); got != nil {
		t.Errorf("no trusted proxies: trusted_proxies = %v", got)
	}
}

func TestParseTrustedProxies(t *testing.T) {
	for in, want := range map[string][]string{
		"none":                      {},
		"10.0.0.0/8":                {"10.0.0.0/8"},
		"10.1.2.3/8, 192.0.2.1 ::1": {"10.0.0.0/8", "192.0.2.1/32", "::1/128"},
		"fd00::/8,\n100.64.0.0/10":  {"fd00::/8", "100.64.0.0/10"},
	} {
		got, err := ParseTrustedProxies(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("ParseTrustedProxies(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"":            "no address ranges",
		"10.0.0.0/33": `"10.0.0.0/33" is not an address range`,
		"private":     `"private" is not an address range`,
	} {
		if _, err := ParseTrustedProxies(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseTrustedProxies(%q): error %v, want %q", in, err, want)
		}
	}
}
