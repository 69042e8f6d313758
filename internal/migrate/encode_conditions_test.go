package migrate

import (
	"reflect"
	"testing"

	"github.com/hardstatic/buildpack/internal/config"
)

// EncodeTOML writes the condition keys of issue 13 (an embedded struct in
// config) so that Parse reads back the same rules.
func TestEncodeConditionsRoundTrip(t *testing.T) {
	no := false
	cfg := config.Default()
	cfg.CountryHeader = "X-Country"
	cond := config.Conditions{
		Query:    map[string]string{"id": ":id", "v": "2"},
		Language: []string{"fr", "de-CH"},
		Country:  []string{"FR"},
		Has:      []config.Match{{Type: "cookie", Key: "session"}, {Type: "host", Value: `(?P<sub>[a-z]+)\.example\.com`}},
		Missing:  []config.Match{{Type: "header", Key: "X-Seen", Value: "1|yes"}},
	}
	cfg.Redirects = []config.Redirect{{From: "/store", To: "/blog/:id/:sub", Status: 302, Force: &no, Conditions: cond}}
	cfg.Rewrites = []config.Rewrite{{From: "/*.html", To: "/index.html", Force: true}, {From: "/en/*", To: "/en/404.html", Status: 404, Conditions: config.Conditions{Language: []string{"en"}}}}
	cfg.Proxies = []config.Proxy{{From: "/api/*", To: "https://api.example.com/", MaxBody: config.DefaultMaxBodyText, Conditions: config.Conditions{Country: []string{"BE"}}}}
	out := EncodeTOML(cfg, nil)
	back, err := config.Parse(config.FileName, out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if back.CountryHeader != "X-Country" {
		t.Errorf("country_header %q", back.CountryHeader)
	}
	if !reflect.DeepEqual(back.Redirects, cfg.Redirects) || !reflect.DeepEqual(back.Rewrites, cfg.Rewrites) || !reflect.DeepEqual(back.Proxies, cfg.Proxies) {
		t.Errorf("round trip differs:\n%s\nredirects %+v\nrewrites %+v\nproxies %+v", out, back.Redirects, back.Rewrites, back.Proxies)
	}
}
