package buildpack

import (
	"slices"
	"testing"

	"github.com/hardstatic/buildpack/internal/policy"
)

// The summary lists the routes in the order a request meets them, judges
// the home page with the header rules that match it, and names what is
// never served.
func TestSummary(t *testing.T) {
	app := writeTree(t, map[string]string{
		"static.toml": `canonical_host = "www.example.com"
fallback = "index.html"
hide = ["/drafts/**"]
[[proxies]]
from = "/api/*"
to = "https://api.example.com/"
[[rewrites]]
from = "/spa/*"
to = "/index.html"
[[redirects]]
from = "/old"
to = "/new"
[basic_auth]
paths = ["/admin/**"]
[headers."/**"]
Referrer-Policy = "unsafe-url"
[headers."/embed/**"]
X-Frame-Options = ""
`,
		"index.html": "x",
	})
	p, err := NewPlan(Options{AppDir: app})
	if err != nil {
		t.Fatal(err)
	}
	s := p.Summary()
	var kinds []RouteKind
	for _, r := range s.Routes {
		kinds = append(kinds, r.Kind)
	}
	want := []RouteKind{RouteHTTPS, RouteCanonicalHost, RouteBasicAuth, RouteRedirect, RouteProxy, RouteFiles, RouteRewrite, RouteFallback, RouteNotFound}
	if !slices.Equal(kinds, want) {
		t.Errorf("route kinds %v, want %v", kinds, want)
	}
	if files, _ := s.Route(RouteFiles); files.Root != "the app directory" || !files.CleanURLs || files.TrailingSlash != "auto" {
		t.Errorf("files route %+v", files)
	}
	if auth, _ := s.Route(RouteBasicAuth); auth.Protected() != "/admin/**" || auth.Realm != "Restricted" {
		t.Errorf("basic auth route %+v protects %q", auth, auth.Protected())
	}
	if g := gradeOf(s.Home, "Referrer-Policy"); g != "weak" {
		t.Errorf("the home page's Referrer-Policy (set by /**) is %q, want weak", g)
	}
	if g := gradeOf(s.Site, "Referrer-Policy"); g != "ok" {
		t.Errorf("the site-wide Referrer-Policy is %q, want ok", g)
	}
	var byRule []string
	for _, v := range s.ByRule {
		byRule = append(byRule, v.Glob+" "+v.Header+" "+v.Grade)
	}
	if !slices.Equal(byRule, []string{"/** Referrer-Policy weak", "/embed/** X-Frame-Options ok"}) {
		t.Errorf("verdicts by rule %q", byRule)
	}
	if !slices.Contains(s.Never, "static.toml") || !slices.Contains(s.Never, "/drafts/**") {
		t.Errorf("never served %q lacks static.toml or the hide glob", s.Never)
	}
}

func gradeOf(vs []policy.Verdict, header string) string {
	for _, v := range vs {
		if v.Header == header {
			return v.Grade
		}
	}
	return "not judged"
}
