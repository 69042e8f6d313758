package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The keys of issue 13 as the shared schema writes them.
const conditionsDoc = `country_header = "CloudFront-Viewer-Country"

[[redirects]]
from = "/store"
to = "/blog/:id"
status = 301
query = { id = ":id" }
language = ["fr", "de"]
country = ["FR", "BE"]
has = [ { type = "header", key = "X-Beta", value = "1|yes" },
        { type = "cookie", key = "session" },
        { type = "query", key = "preview" } ]
missing = [ { type = "cookie", key = "seen" } ]
force = false

[[redirects]]
from = "/u"
to = "/users/:who"
has = [ { type = "cookie", key = "user", value = "(?P<who>[a-z]+)" } ]

[[rewrites]]
from = "/en/*"
to = "/en/404.html"
status = 404

[[rewrites]]
from = "/*.html"
to = "/index.html"
force = true

[[proxies]]
from = "/api/*"
to = "https://api.example.com/"
has = [ { type = "host", value = "(www\\.)?example\\.com" } ]
`

func TestParseConditions(t *testing.T) {
	cfg, err := Parse(FileName, []byte(conditionsDoc))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.CountryHeader != "CloudFront-Viewer-Country" || Default().CountryHeader != "CF-IPCountry" {
		t.Errorf("country_header %q, default %q", cfg.CountryHeader, Default().CountryHeader)
	}
	r := cfg.Redirects[0]
	want := Conditions{
		Query:    map[string]string{"id": ":id"},
		Language: []string{"fr", "de"},
		Country:  []string{"FR", "BE"},
		Has:      []Match{{Type: "header", Key: "X-Beta", Value: "1|yes"}, {Type: "cookie", Key: "session"}, {Type: "query", Key: "preview"}},
		Missing:  []Match{{Type: "cookie", Key: "seen"}},
	}
	if !reflect.DeepEqual(r.Conditions, want) || r.Forced() || r.Status != 301 {
		t.Errorf("redirect = %+v, forced %t", r, r.Forced())
	}
	if !cfg.Redirects[1].Forced() || cfg.Redirects[1].Has[0].Value != "(?P<who>[a-z]+)" {
		t.Errorf("second redirect = %+v", cfg.Redirects[1])
	}
	if rw := cfg.Rewrites[0]; rw.StatusCode() != 404 || rw.Force {
		t.Errorf("rewrite = %+v", rw)
	}
	if rw := cfg.Rewrites[1]; rw.StatusCode() != 200 || !rw.Force {
		t.Errorf("rewrite = %+v", rw)
	}
	if p := cfg.Proxies[0]; len(p.Has) != 1 || p.Has[0].Type != "host" {
		t.Errorf("proxy = %+v", p)
	}
}

func TestConditionErrors(t *testing.T) {
	rule := "[[redirects]]\nfrom = \"/a\"\nto = \"/b\"\n"
	tests := []struct{ src, want string }{
		{"country_header = \"CF IPCountry\"", `static.toml:1:1: key "country_header": "CF IPCountry" is not a header name`},
		{rule + "query = { id = \":\" }", `static.toml:4:1: key "redirects[1].query.id": ":" is not a capture`},
		{"[[redirects]]\nfrom = \"/a/:id\"\nto = \"/b/:id\"\nquery = { id = \":id\" }", `key "redirects[1].query.id": :id is captured twice`},
		{rule + "language = [\"fr_FR\"]", `static.toml:4:1: key "redirects[1].language": "fr_FR" is not a language tag`},
		{rule + "country = [\"France\"]", `static.toml:4:1: key "redirects[1].country": "France" is not a two-letter ISO 3166 country code`},
		{rule + "has = [ { type = \"ip\", key = \"x\" } ]", `static.toml:4:1: key "redirects[1].has[1].type": "ip" is not one of header, cookie, query, host`},
		{rule + "has = [ { type = \"cookie\" } ]", `static.toml:4:1: key "redirects[1].has[1].key": missing (name the cookie`},
		{rule + "has = [ { type = \"host\", key = \"x\", value = \"a\" } ]", `key "redirects[1].has[1].key": a host condition takes no key`},
		{rule + "has = [ { type = \"host\" } ]", `key "redirects[1].has[1]": a host condition needs a value`},
		{rule + "has = [ { type = \"header\", key = \"Bad Name\" } ]", `key "redirects[1].has[1].key": "Bad Name" is not a header name`},
		{rule + "has = [ { type = \"header\", key = \"X\", value = \"(\" } ]", `static.toml:4:1: key "redirects[1].has[1].value": "(" is not an RE2 regular expression`},
		{rule + "has = [ { type = \"header\", key = \"X\", value = \"(?=a)\" } ]", `is not an RE2 regular expression`},
		{rule + "missing = [ { type = \"header\", key = \"X\", value = \"(?P<n>a)\" } ]", `key "redirects[1].missing[1].value": the named group "n" captures nothing`},
		{rule + "has = [ { type = \"header\", key = \"X\", value = \"" + strings.Repeat("a", 1001) + "\" } ]", `more than 1000`},
		{"[[redirects]]\nfrom = \"/a\"\nto = \"/b/:who\"\n", `key "redirects[1].to": :who is not captured by from "/a" or a condition`},
		{rule + "force = \"no\"", `static.toml:4:1: key "redirects[1].force": expected true or false`},
		{"[[rewrites]]\nfrom = \"/a\"\nto = \"/b\"\nstatus = 302", `static.toml:4:1: key "rewrites[1].status": 302 is not a rewrite status (use 200 (the default) or 404`},
		{"[[rewrites]]\nfrom = \"/a\"\nto = \"/b\"\nlanguage = \"fr\"", `key "rewrites[1].language": expected an array`},
		{"[[proxies]]\nfrom = \"/*.json\"\nto = \"https://x.example/\"", `key "proxies[1].from": "/*.json": a proxy forwards the rest of the path`},
		{"[[proxies]]\nfrom = \"/api/*\"\nto = \"https://x.example/\"\ncountry = [\"xyz\"]", `key "proxies[1].country": "xyz" is not a two-letter`},
		{"[[rewrites]]\nfrom = \"/a*/b\"\nto = \"/b\"", `* may only stand in the last segment`},
		{"[[redirects]]\nfrom = \"/:sub\"\nto = \"https://:sub.example.com/\"", `key "redirects[1].to": "https://:sub.example.com/" takes a placeholder in its host`},
		{"[[redirects]]\nfrom = \"/a\"\nto = \"https://x.example:8443/:who\"\nhas = [ { type = \"host\", value = \"(?P<who>.*)\" } ]\n[[redirects]]\nfrom = \"/b/:h\"\nto = \"http://a.:h/\"", `key "redirects[2].to": "http://a.:h/" takes a placeholder in its host`},
		{rule + "has = [ { type = \"cookie\", key = \"a\", vaule = \"x\" } ]", `key "redirects[1].has.vaule": unknown key (did you mean "value"?)`},
	}
	for _, tt := range tests {
		_, err := Parse(FileName, []byte(tt.src))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) = %v\nwant %q", tt.src, err, tt.want)
		}
	}
	// A port is no placeholder.
	if _, err := Parse(FileName, []byte("[[redirects]]\nfrom = \"/a/*\"\nto = \"https://x.example:8443/:splat\"\n")); err != nil {
		t.Errorf("a port in to: %v", err)
	}
	// A redirect to its own path is no loop when a condition decides.
	if _, err := Parse(FileName, []byte("[[redirects]]\nfrom = \"/a\"\nto = \"/a\"\nmissing = [ { type = \"cookie\", key = \"seen\" } ]\n")); err != nil {
		t.Errorf("conditional redirect to itself: %v", err)
	}
}

func TestCheckFilesNearestNotFound(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "404.html"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	checked, err := Default().CheckFiles(root)
	if err != nil || !checked.NearestNotFound || checked.NotFound != "404.html" {
		t.Fatalf("unset not_found: %v, %+v", err, checked)
	}
	cfg, err := Parse(FileName, []byte(`not_found = "/404.html"`))
	if err != nil {
		t.Fatal(err)
	}
	if checked, err := cfg.CheckFiles(root); err != nil || checked.NearestNotFound {
		t.Errorf("pinned not_found: %v, nearest %t", err, checked.NearestNotFound)
	}
}

// The defaults of the new table keys are the same in the schema and in Go.
func TestSchemaConditionDefaults(t *testing.T) {
	s := loadSchema(t)
	redirect, rewrite := s.Properties["redirects"].Items.Properties, s.Properties["rewrites"].Items.Properties
	checkDefault(t, "redirects.force", redirect["force"], Redirect{}.Forced())
	checkDefault(t, "rewrites.force", rewrite["force"], Rewrite{}.Force)
	checkDefault(t, "rewrites.status", rewrite["status"], Rewrite{}.StatusCode())
	checkDefault(t, "rewrites.status", rewrite["status"], ElementDefaults["rewrites.status"])
	checkDefault(t, "country_header", s.Properties["country_header"], DefaultCountryHeader)
	for _, list := range []string{"redirects", "rewrites", "proxies"} {
		for _, key := range []string{"has", "missing"} {
			items := s.Properties[list].Items.Properties[key].Items
			if got := items.Properties["type"].Enum; len(got) != len(MatchTypes) {
				t.Errorf("%s.%s.type enum %v, want %v", list, key, got, MatchTypes)
			}
			if p := items.Properties["value"]; p == nil {
				t.Errorf("%s.%s has no value", list, key)
			}
		}
	}
}

func TestDescribeRules(t *testing.T) {
	cfg, err := Parse(FileName, []byte(conditionsDoc))
	if err != nil {
		t.Fatal(err)
	}
	for got, want := range map[string]string{
		cfg.Redirects[0].Describe(): "/store -> /blog/:id (301, only when no file is served there) if query id=:id, language fr|de, country FR|BE, " +
			"has header X-Beta ~ 1|yes, has cookie session, has query preview, missing cookie seen",
		cfg.Redirects[1].Describe(): "/u -> /users/:who (301) if has cookie user ~ (?P<who>[a-z]+)",
		cfg.Rewrites[0].Describe():  "/en/* -> /en/404.html (404, when no file matches)",
		cfg.Rewrites[1].Describe():  "/*.html -> /index.html (200, even over a file)",
		cfg.Proxies[0].Summary():    " if has host ~ (www\\.)?example\\.com",
	} {
		if got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	}
}
