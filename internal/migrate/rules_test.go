package migrate

import (
	"reflect"
	"strings"
	"testing"

	"github.com/hardstatic/buildpack/internal/config"
)

func mapRedirects(t *testing.T, src string) *Imported {
	t.Helper()
	rules, err := ParseRedirects(RedirectsFile, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return RedirectsConfig(RedirectsFile, rules)
}

func boolp(b bool) *bool { return &b }

// Netlify's documented rules map onto redirects, rewrites and proxies with
// their conditions.
func TestRedirectsConfigDocumented(t *testing.T) {
	imp := mapRedirects(t, `/home         /              301
/ecommerce    /store-closed  404
/pass-through /index.html    200
/news/*  /blog/:splat
/store id=:id  /blog/:id  301
/api/*  https://api.example.com/:splat  200
/app/*  /app/index.html  200!
/  /anz  302!  Country=au,nz
/china/*  /china/zh-cn/:splat  302  Language=zh
/* /legacy/:splat 200 Cookie=is_legacy
https://blog.example.com/* https://www.example.com/blog/:splat 301!
`)
	if len(imp.Refused) > 0 {
		t.Fatal(imp.Refused)
	}
	cfg := imp.Config
	wantRedirects := []config.Redirect{
		{From: "/home", To: "/", Status: 301, Force: boolp(false)},
		{From: "/news/*", To: "/blog/:splat", Status: 301, Force: boolp(false)},
		{From: "/store", To: "/blog/:id", Status: 301, Force: boolp(false), Conditions: config.Conditions{Query: map[string]string{"id": ":id"}}},
		{From: "/", To: "/anz", Status: 302, Conditions: config.Conditions{Country: []string{"AU", "NZ"}}},
		{From: "/china/*", To: "/china/zh-cn/:splat", Status: 302, Force: boolp(false), Conditions: config.Conditions{Language: []string{"zh"}}},
		{From: "/*", To: "https://www.example.com/blog/:splat", Status: 301, Conditions: config.Conditions{Has: []config.Match{{Type: "host", Value: `blog\.example\.com`}}}},
	}
	if !reflect.DeepEqual(cfg.Redirects, wantRedirects) {
		t.Errorf("redirects\n%#v\nwant\n%#v", cfg.Redirects, wantRedirects)
	}
	wantRewrites := []config.Rewrite{
		{From: "/ecommerce", To: "/store-closed", Status: 404},
		{From: "/pass-through", To: "/index.html"},
		{From: "/app/*", To: "/app/index.html", Force: true},
		{From: "/*", To: "/legacy/:splat", Conditions: config.Conditions{Has: []config.Match{{Type: "cookie", Key: "is_legacy"}}}},
	}
	if !reflect.DeepEqual(cfg.Rewrites, wantRewrites) {
		t.Errorf("rewrites\n%#v\nwant\n%#v", cfg.Rewrites, wantRewrites)
	}
	if len(cfg.Proxies) != 1 || cfg.Proxies[0].From != "/api/*" || cfg.Proxies[0].To != "https://api.example.com/" {
		t.Errorf("proxies %#v", cfg.Proxies)
	}
	for _, want := range [][]string{
		{"without a status (line 4)", "301", "Cloudflare Pages uses 302"},
		{"without ! (line 1)", "force = false"},
		{"Country=", "CF-IPCountry", "access control"},
		{"Proxies (line 6: /api/*)", "before the site's files"},
		{"one host", "line 11"},
	} {
		if !hasNote(imp.Notes, want...) {
			t.Errorf("no note with %q in\n%s", want, strings.Join(imp.Notes, "\n"))
		}
	}
}

// What cannot be honoured is refused with the line and the reason; the
// other rules are kept.
func TestRedirectsConfigRefused(t *testing.T) {
	imp := mapRedirects(t, `/ok /fine 301
/admin/* /admin/:splat 200! Role=admin
/api/* https://api.example.com/:splat 200 Sign=secret
/gone /x 410
/a/:id https://api.example.com/items/:id 200
/en/* https://example.com/404.html 404
/* /a 302 Cookie=a,b
/b/:x /c/:y 301
/q id=:id tag=x /r/:id 301 Planet=mars
/v /${HOME} 301
`)
	want := []string{
		`_redirects:2:1: Role= matches the roles of a Netlify Identity token`,
		`_redirects:3:1: Sign= signs proxied requests`,
		`_redirects:4:1: status 410 has no equivalent`,
		`_redirects:5:1: the proxy /a/:id -> https://api.example.com/items/:id moves captured parts of the path`,
		`_redirects:6:1: a 404 rule to another site`,
		`_redirects:7:1: Cookie=a,b matches any of 2 cookies`,
		`_redirects:9:1: unknown condition "Planet"`,
		`_redirects:10:1: "/${HOME}" holds ${`,
		`_redirects:8:1: to: :y is not captured`,
	}
	if len(imp.Refused) != len(want) {
		t.Fatalf("refused %d rules, want %d: %v", len(imp.Refused), len(want), imp.Refused)
	}
	for i, w := range want {
		if got := imp.Refused[i].Error(); !strings.HasPrefix(got, w) {
			t.Errorf("refusal %d: %s\nwant %s", i, got, w)
		}
	}
	if len(imp.Config.Redirects) != 1 || imp.Config.Redirects[0].From != "/ok" {
		t.Errorf("kept %#v", imp.Config.Redirects)
	}
	notes := imp.AllNotes()
	if !hasNote(notes, "NOT MIGRATED: _redirects:2:1") {
		t.Errorf("refusals are not notes: %v", notes)
	}
}

// _headers: splats and placeholders become globs, values written twice are
// joined, "! Name" removes.
func TestHeadersConfigDocumented(t *testing.T) {
	blocks, err := ParseHeaders(HeadersFile, []byte(`/secure/page
  X-Frame-Options: DENY
/static/*
  Access-Control-Allow-Origin: *
  X-Robots-Tag: nosnippet
/*
  cache-control: max-age=0
  cache-control: no-cache
/*.jpg
  ! Content-Security-Policy
/movies/:title
  X-Robots-Tag: noindex
/static/*
  X-Robots-Tag: noarchive
`))
	if err != nil {
		t.Fatal(err)
	}
	imp := HeadersConfig(HeadersFile, blocks)
	if len(imp.Refused) > 0 {
		t.Fatal(imp.Refused)
	}
	want := []config.HeaderRule{
		{Glob: "/secure/page", Headers: []config.Header{{Name: "X-Frame-Options", Value: "DENY"}}},
		{Glob: "/static/**", Headers: []config.Header{{Name: "Access-Control-Allow-Origin", Value: "*"}, {Name: "X-Robots-Tag", Value: "nosnippet, noarchive"}}},
		{Glob: "/**", Headers: []config.Header{{Name: "cache-control", Value: "max-age=0, no-cache"}}},
		{Glob: "/**.jpg", Headers: []config.Header{{Name: "Content-Security-Policy", Value: ""}}},
		{Glob: "/movies/*", Headers: []config.Header{{Name: "X-Robots-Tag", Value: "noindex"}}},
	}
	if !reflect.DeepEqual(imp.Config.HeaderRules, want) {
		t.Errorf("header rules\n%#v\nwant\n%#v", imp.Config.HeaderRules, want)
	}
	if !hasNote(imp.Notes, "X-Robots-Tag is set at line 3 and again at line 11", "joined with a comma") {
		t.Errorf("notes: %v", imp.Notes)
	}
}

func TestHeadersConfigRefused(t *testing.T) {
	blocks, err := ParseHeaders(HeadersFile, []byte(`https://:project.pages.dev/*
  X-Robots-Tag: noindex
/movies/:title
  x-movie-name: You are watching ":title"
/private/*
  Basic-Auth: someuser:somepassword
/ok
  X-Ok: yes
/bad
  X-Var: ${NOPE
`))
	if err != nil {
		t.Fatal(err)
	}
	imp := HeadersConfig(HeadersFile, blocks)
	want := []string{
		`_headers:1:1: "https://:project.pages.dev/*" names a host`,
		`_headers:4:1: the value of x-movie-name uses :title from the path`,
		`_headers:6:1: Basic-Auth holds plain-text passwords`,
		`_headers:10:1: "${NOPE" holds ${`,
	}
	if len(imp.Refused) != len(want) {
		t.Fatalf("refused %v", imp.Refused)
	}
	for i, w := range want {
		if got := imp.Refused[i].Error(); !strings.HasPrefix(got, w) {
			t.Errorf("refusal %d: %s\nwant %s", i, got, w)
		}
	}
	if len(imp.Config.HeaderRules) != 1 || imp.Config.HeaderRules[0].Glob != "/ok" {
		t.Errorf("kept %#v", imp.Config.HeaderRules)
	}
}

// A block that detaches a header and sets it anew replaces the inherited
// value (2factorauth/2fa.directory's static/_headers does this for its CSP).
func TestHeadersConfigDetachAndSet(t *testing.T) {
	blocks, err := ParseHeaders(HeadersFile, []byte("/*\n  Content-Security-Policy: script-src 'self' https://a.example\n\n/about/\n  ! Content-Security-Policy\n  Content-Security-Policy: script-src 'self' https://b.example\n"))
	if err != nil {
		t.Fatal(err)
	}
	imp := HeadersConfig(HeadersFile, blocks)
	want := []config.HeaderRule{
		{Glob: "/**", Headers: []config.Header{{Name: "Content-Security-Policy", Value: "script-src 'self' https://a.example"}}},
		{Glob: "/about/", Headers: []config.Header{{Name: "Content-Security-Policy", Value: "script-src 'self' https://b.example"}}},
	}
	if !reflect.DeepEqual(imp.Config.HeaderRules, want) {
		t.Errorf("header rules\n%#v\nwant\n%#v", imp.Config.HeaderRules, want)
	}
}

// A problem found by static.toml's validators names the line of the rule
// it comes from: the longest glob that names the key.
func TestRelocate(t *testing.T) {
	m := newMapper(HeadersFile)
	m.out.lines = map[string]int{"headers./**": 1, "headers./**.jpg": 4, "redirects[2]": 9}
	for _, tc := range []struct {
		key  string
		want string
	}{
		{"headers./**.jpg.X-A", "_headers:4:1: X-A: bad"},
		{"headers./**.X-A", "_headers:1:1: X-A: bad"},
		{"redirects[2].to", "_headers:9:1: to: bad"},
	} {
		if got := m.relocate(&config.Error{File: config.FileName, Key: tc.key, Msg: "bad"}).Error(); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.key, got, tc.want)
		}
	}
}
