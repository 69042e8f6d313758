package migrate

import (
	"reflect"
	"strings"
	"testing"

	"github.com/hardstatic/buildpack/internal/config"
)

// The rules are the platforms' documented examples: Netlify's "Redirect
// options" and "Rewrites and proxies" pages and Cloudflare Pages'
// "Redirects" page (cloudflare/cloudflare-docs,
// src/content/docs/pages/configuration/redirects.mdx).
func TestParseRedirectsDocumented(t *testing.T) {
	src := `# Redirect with a 301
/home         /              301

# Redirect with a 302
/my-redirect  /              302

# Show a custom 404 for this path
/ecommerce    /store-closed  404

# Rewrite a path
/pass-through /index.html    200
/news/*  /blog/:splat
/news/:year/:month/:date/:slug  /blog/:year/:month/:date/:slug
/store id=:id  /blog/:id  301
/articles id=:id tag=:tag /posts/:tag/:id 301
/api/*  https://api.example.com/:splat  200
/en/*  /en/404.html  404
/app/*  /app/index.html  200!
/  /anz  302  Country=au,nz
/china/*  /china/zh-cn/:splat  302  Language=zh
/israel/*  /israel/he/:splat  302  Country=il Language=he
/querystrings /?query=string 301
/twitch https://twitch.tv
/page/ /page2/#fragment 301 # an inline comment
`
	rules, err := ParseRedirects("_redirects", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []Rule{
		{Line: 2, From: "/home", To: "/", Status: 301},
		{Line: 5, From: "/my-redirect", To: "/", Status: 302},
		{Line: 8, From: "/ecommerce", To: "/store-closed", Status: 404},
		{Line: 11, From: "/pass-through", To: "/index.html", Status: 200},
		{Line: 12, From: "/news/*", To: "/blog/:splat"},
		{Line: 13, From: "/news/:year/:month/:date/:slug", To: "/blog/:year/:month/:date/:slug"},
		{Line: 14, From: "/store", Query: []Param{{"id", ":id"}}, To: "/blog/:id", Status: 301},
		{Line: 15, From: "/articles", Query: []Param{{"id", ":id"}, {"tag", ":tag"}}, To: "/posts/:tag/:id", Status: 301},
		{Line: 16, From: "/api/*", To: "https://api.example.com/:splat", Status: 200},
		{Line: 17, From: "/en/*", To: "/en/404.html", Status: 404},
		{Line: 18, From: "/app/*", To: "/app/index.html", Status: 200, Force: true},
		{Line: 19, From: "/", To: "/anz", Status: 302, Conditions: []Param{{"Country", "au,nz"}}},
		{Line: 20, From: "/china/*", To: "/china/zh-cn/:splat", Status: 302, Conditions: []Param{{"Language", "zh"}}},
		{Line: 21, From: "/israel/*", To: "/israel/he/:splat", Status: 302, Conditions: []Param{{"Country", "il"}, {"Language", "he"}}},
		{Line: 22, From: "/querystrings", To: "/?query=string", Status: 301},
		{Line: 23, From: "/twitch", To: "https://twitch.tv"},
		{Line: 24, From: "/page/", To: "/page2/#fragment", Status: 301},
	}
	if !reflect.DeepEqual(rules, want) {
		t.Errorf("got\n%#v\nwant\n%#v", rules, want)
	}
	// Printing and reading again gives the same rules.
	again, err := ParseRedirects("_redirects", []byte(FormatRedirects(rules)))
	if err != nil {
		t.Fatal(err)
	}
	for i := range again {
		again[i].Line = rules[i].Line
	}
	if !reflect.DeepEqual(again, rules) {
		t.Errorf("round trip changed the rules:\n%s", FormatRedirects(again))
	}
}

func TestParseRedirectsErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"/a /b 301\nblog /b", `_redirects:2:1: "blog" is not a path or URL to redirect from`},
		{"/only", `_redirects:1:1: no destination after "/only"`},
		{"\n\n/a /b 30x", `_redirects:3:1: "30x" is not a status code`},
		{"/a foo /b", `_redirects:1:1: "foo" is neither a query parameter`},
		{"/a /b 302 Country", `_redirects:1:1: "Country" after the status is not a condition`},
		{"/a /b\x1b[31m 302", `_redirects:1:1: character 6 is a control character (U+001B)`},
		{"/a /" + strings.Repeat("b", MaxRuleLine), `_redirects:1:1: the line is 4100 bytes long`},
	} {
		_, err := ParseRedirects("_redirects", []byte(tc.src))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %s", tc.src, err, tc.want)
		}
	}
	// Every bad line is reported, each with its own line number.
	_, err := ParseRedirects("_redirects", []byte("x /a\n/ok /fine\ny /b\n"))
	if err == nil || !strings.Contains(err.Error(), "_redirects:1:1") || !strings.Contains(err.Error(), "_redirects:3:1") {
		t.Errorf("two bad lines: %v", err)
	}
}

// Windows line ends, a byte order mark and trailing blanks are read as the
// platforms read them.
func TestParseRedirectsLineEnds(t *testing.T) {
	rules, err := ParseRedirects("_redirects", []byte("\ufeff/a /b 302\r\n\r\n  /c   /d  \r\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Rule{{Line: 1, From: "/a", To: "/b", Status: 302}, {Line: 3, From: "/c", To: "/d"}}
	if !reflect.DeepEqual(rules, want) {
		t.Errorf("got %#v", rules)
	}
}

// Any input: no panic, and what parses prints to text that parses to the
// same rules.
func FuzzParseRedirects(f *testing.F) {
	f.Add("/store id=:id  /blog/:id  301\n/api/*  https://api.example.com/:splat  200\n")
	f.Add("/israel/*  /israel/he/:splat  302  Country=il Language=he\n# c\n/a /b !\n")
	f.Add("/app/*  /app/index.html  200!\r\n/en/* /en/404.html 404 # x")
	f.Fuzz(func(t *testing.T, src string) {
		rules, err := ParseRedirects("_redirects", []byte(src))
		if err != nil {
			return
		}
		out := FormatRedirects(rules)
		again, err := ParseRedirects("_redirects", []byte(out))
		if err != nil {
			t.Fatalf("printed rules do not parse: %v\n%s", err, out)
		}
		if len(again) != len(rules) {
			t.Fatalf("%d rules, then %d", len(rules), len(again))
		}
		for i := range again {
			again[i].Line = rules[i].Line
		}
		if !reflect.DeepEqual(again, rules) {
			t.Fatalf("round trip changed the rules:\n%#v\n%#v", rules, again)
		}
		// Mapping onto static.toml never panics either.
		// Mapping onto static.toml never panics, and what it keeps is a
		// valid static.toml.
		imp := RedirectsConfig("_redirects", rules)
		if _, err := config.Parse(config.FileName, EncodeTOML(imp.Config, imp.AllNotes())); err != nil {
			t.Fatalf("mapped rules are not a valid static.toml: %v", err)
		}
	})
}
