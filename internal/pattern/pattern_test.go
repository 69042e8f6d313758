package pattern

import (
	"strings"
	"testing"
)

func TestRoute(t *testing.T) {
	tests := []struct {
		pattern, path string
		match         bool
		vals          map[string]string
	}{
		{"/old", "/old", true, map[string]string{}},
		{"/old", "/old/", false, nil},
		{"/", "/", true, map[string]string{}},
		{"/blog/*", "/blog/2020/post", true, map[string]string{"splat": "2020/post"}},
		{"/blog/*", "/blog", true, map[string]string{"splat": ""}},
		{"/blog/*", "/blogs", false, nil},
		{"/*", "/anything/at/all", true, map[string]string{"splat": "anything/at/all"}},
		{"/news/:year/:slug", "/news/2024/hello", true, map[string]string{"year": "2024", "slug": "hello"}},
		{"/news/:year/:slug", "/news/2024", false, nil},
		{"/a.b", "/aXb", false, nil},
		// Heroku's routes: * inside the last segment is [^/]* (its
		// NginxConfigUtil.to_regex), anchored at both ends.
		{"/*.html", "/about.html", true, map[string]string{"splat": "about"}},
		{"/*.html", "/.html", true, map[string]string{"splat": ""}},
		{"/*.html", "/docs/about.html", false, nil},
		{"/*.html", "/about.htm", false, nil},
		{"/*.html", "/about.html/x", false, nil},
		{"/docs/v*", "/docs/v2", true, map[string]string{"splat": "2"}},
		{"/docs/v*", "/docs/v2/x", false, nil},
		{"/a*", "/a", true, map[string]string{"splat": ""}},
		{"/:lang/*-*.html", "/fr/a-b.html", true, map[string]string{"lang": "fr"}},
		{"/:lang/*-*.html", "/fr/ab.html", false, nil},
	}
	for _, tt := range tests {
		r, err := CompileRoute(tt.pattern)
		if err != nil {
			t.Fatal(err)
		}
		vals, ok := r.Match(tt.path)
		if ok != tt.match {
			t.Errorf("%s ~ %s = %v", tt.pattern, tt.path, ok)
			continue
		}
		for k, v := range tt.vals {
			if vals[k] != v {
				t.Errorf("%s ~ %s: %s = %q, want %q", tt.pattern, tt.path, k, vals[k], v)
			}
		}
	}
}

func TestRouteErrors(t *testing.T) {
	for _, p := range []string{"old", "/a/*/b", "/a*/b", "/a/**", "/a**", "/:", "/:a/:a", "/:a-b"} {
		if _, err := CompileRoute(p); err == nil {
			t.Errorf("CompileRoute(%q) succeeded", p)
		}
	}
}

func TestExpand(t *testing.T) {
	vals := map[string]string{"splat": "a b/c", "year": "2024"}
	if got := Expand("/archive/:year/:splat", vals); got != "/archive/2024/a%20b/c" {
		t.Errorf("Expand = %q", got)
	}
	if got := Expand("https://example.com:8443/x/:splat", vals); got != "https://example.com:8443/x/a%20b/c" {
		t.Errorf("Expand kept port? %q", got)
	}
	if got := Placeholders("/x/:year/:splat"); strings.Join(got, ",") != "year,splat" {
		t.Errorf("Placeholders = %v", got)
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		glob, path string
		match      bool
	}{
		{"/*.js", "/app.js", true},
		{"/*.js", "/assets/app.js", false},
		{"/**/*.js", "/assets/app.js", true},
		{"/**/*.js", "/app.js", true},
		{"/assets/**", "/assets/a/b.css", true},
		{"/assets/**", "/assets", true},
		{"/assets/**", "/assetsX", false},
		{"/**", "/anything", true},
		{"/", "/", true},
		{"/a?c", "/abc", true},
		{"/a?c", "/a/c", false},
		{"/a.b", "/aXb", false},
	}
	for _, tt := range tests {
		g, err := CompileGlob(tt.glob)
		if err != nil {
			t.Fatal(err)
		}
		if got := g.Match(tt.path); got != tt.match {
			t.Errorf("%s ~ %s = %v, want %v", tt.glob, tt.path, got, tt.match)
		}
	}
	if _, err := CompileGlob("no-slash"); err == nil {
		t.Error("glob without / accepted")
	}
}

func FuzzRoute(f *testing.F) {
	for _, s := range []string{"/blog/*", "/:a/:b", "/", "/a.b/*"} {
		f.Add(s, "/blog/x/y")
	}
	f.Fuzz(func(t *testing.T, p, path string) {
		r, err := CompileRoute(p)
		if err != nil {
			return
		}
		vals, ok := r.Match(path)
		if ok {
			_ = Expand("/x/:splat", vals)
		}
		g, err := CompileGlob(p)
		if err == nil {
			_ = g.Match(path)
		}
	})
}
