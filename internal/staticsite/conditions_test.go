package staticsite

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"golang.org/x/crypto/bcrypt"

	"github.com/hardstatic/buildpack/internal/basicauth"
	"github.com/hardstatic/buildpack/internal/pattern"
)

// The Accept-Language headers browsers send.
const (
	chromeFrench  = "fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5"
	firefoxGerman = "de,en-US;q=0.7,en;q=0.3"
)

func TestPreferredLanguages(t *testing.T) {
	tests := []struct {
		header []string
		want   []string
	}{
		{[]string{chromeFrench}, []string{"fr-ch"}},
		{[]string{firefoxGerman}, []string{"de"}},
		{[]string{"en;q=0.5, fr;q=0.8"}, []string{"fr"}},
		{[]string{"fr;q=0, de;q=0.1"}, []string{"de"}},
		{[]string{"fr;q=0"}, nil},
		{[]string{"*"}, nil},
		{[]string{"en, de"}, []string{"en", "de"}},
		{[]string{"en;q=0.5", "de;q=0.9"}, []string{"de"}},    // several header lines
		{[]string{"x_y, fr;q=abc, de;q=0.2"}, []string{"de"}}, // malformed entries skipped
		{[]string{"zh-Hant-TW;q=1.000, zh;q=0.9"}, []string{"zh-hant-tw"}},
		{[]string{",,, ;q=1, en"}, []string{"en"}},
		{[]string{"toolonglanguage, en;q=0.1"}, []string{"en"}},
		{nil, nil},
	}
	for _, tt := range tests {
		if got := preferredLanguages(tt.header); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("preferredLanguages(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
}

func req(target string, hdr ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Add(hdr[i], hdr[i+1])
	}
	return r
}

func TestConditionsHold(t *testing.T) {
	tests := []struct {
		name string
		c    Conditions
		r    *http.Request
		want bool
		vals map[string]string
	}{
		{"language fr matches fr-CH", Conditions{Language: []string{"fr"}}, req("/", "Accept-Language", chromeFrench), true, nil},
		{"language de is not preferred", Conditions{Language: []string{"de"}}, req("/", "Accept-Language", chromeFrench), false, nil},
		{"language prefix needs a subtag boundary", Conditions{Language: []string{"fr"}}, req("/", "Accept-Language", "fra"), false, nil},
		{"language in any case", Conditions{Language: []string{"DE"}}, req("/", "Accept-Language", firefoxGerman), true, nil},
		{"no Accept-Language", Conditions{Language: []string{"en"}}, req("/"), false, nil},
		{"country", Conditions{Country: []string{"FR", "BE"}}, req("/", "CF-IPCountry", "be"), true, nil},
		{"other country", Conditions{Country: []string{"FR"}}, req("/", "CF-IPCountry", "DE"), false, nil},
		{"no country header", Conditions{Country: []string{"FR"}}, req("/"), false, nil},
		{"query capture", Conditions{Query: map[string]string{"id": ":id"}}, req("/store?id=42&x=1"), true, map[string]string{"id": "42"}},
		{"query missing", Conditions{Query: map[string]string{"id": ":id"}}, req("/store?x=1"), false, nil},
		{"query equal", Conditions{Query: map[string]string{"v": "2"}}, req("/?v=2"), true, nil},
		{"query not equal", Conditions{Query: map[string]string{"v": "2"}}, req("/?v=3"), false, nil},
		{"has header value alternatives", Conditions{Has: []Match{{Type: "header", Key: "x-beta", Value: "1|yes"}}}, req("/", "X-Beta", "yes"), true, nil},
		{"has header value is whole", Conditions{Has: []Match{{Type: "header", Key: "X-Beta", Value: "1|yes"}}}, req("/", "X-Beta", "yes!"), false, nil},
		{"has cookie", Conditions{Has: []Match{{Type: "cookie", Key: "session"}}}, req("/", "Cookie", "a=1; session=abc"), true, nil},
		{"has cookie absent", Conditions{Has: []Match{{Type: "cookie", Key: "session"}}}, req("/", "Cookie", "sessionx=1"), false, nil},
		{"has cookie group", Conditions{Has: []Match{{Type: "cookie", Key: "user", Value: "(?P<who>[a-z]+)"}}}, req("/", "Cookie", "user=ann"), true, map[string]string{"who": "ann"}},
		{"has query", Conditions{Has: []Match{{Type: "query", Key: "preview"}}}, req("/?preview"), true, nil},
		{"has host", Conditions{Has: []Match{{Type: "host", Value: `(?P<sub>[a-z]+)\.example\.com`}}}, req("http://Shop.Example.com:8080/"), true, map[string]string{"sub": "shop"}},
		{"missing cookie", Conditions{Missing: []Match{{Type: "cookie", Key: "seen"}}}, req("/", "Cookie", "other=1"), true, nil},
		{"missing cookie present", Conditions{Missing: []Match{{Type: "cookie", Key: "seen"}}}, req("/", "Cookie", "seen=1"), false, nil},
		{"missing header value", Conditions{Missing: []Match{{Type: "header", Key: "X-Seen", Value: "yes"}}}, req("/", "X-Seen", "no"), true, nil},
		{"all must hold", Conditions{Country: []string{"FR"}, Language: []string{"fr"}}, req("/", "CF-IPCountry", "FR", "Accept-Language", firefoxGerman), false, nil},
	}
	for _, tt := range tests {
		c, err := compileConditions(tt.c)
		if err != nil {
			t.Fatal(err)
		}
		vals := map[string]string{}
		if got := c.holds(newRequest(tt.r, ""), vals); got != tt.want {
			t.Errorf("%s: holds = %t", tt.name, got)
		}
		for k, v := range tt.vals {
			if vals[k] != v {
				t.Errorf("%s: :%s = %q, want %q", tt.name, k, vals[k], v)
			}
		}
	}
	// Another header names the country when the CDN is not Cloudflare.
	c, _ := compileConditions(Conditions{Country: []string{"US"}})
	if !c.holds(newRequest(req("/", "CloudFront-Viewer-Country", "US"), "CloudFront-Viewer-Country"), map[string]string{}) {
		t.Error("country_header is not read")
	}
}

func redirects(t *testing.T, rd *Redirects) *Redirects {
	t.Helper()
	if err := rd.Provision(caddy.Context{}); err != nil {
		t.Fatal(err)
	}
	return rd
}

func redirectOf(rd *Redirects, r *http.Request) (int, string) {
	rec := httptest.NewRecorder()
	_ = rd.ServeHTTP(rec, r, caddyhttp.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) error {
		w.WriteHeader(http.StatusTeapot) // not redirected
		return nil
	}))
	return rec.Code, rec.Header().Get("Location")
}

func TestRedirectConditions(t *testing.T) {
	root := site(t)
	h := newHandler(t, Handler{Root: root, CleanURLs: true})
	registerSite(h)
	t.Cleanup(func() { unregisterSite(h) })
	no := false
	rd := redirects(t, &Redirects{Site: root, Rules: []RedirectRule{
		{From: "/store", To: "/blog/:id", Status: 301, Conditions: Conditions{Query: map[string]string{"id": ":id"}}},
		{From: "/", To: "/fr/", Status: 302, Conditions: Conditions{Language: []string{"fr"}}},
		{From: "/", To: "/be/", Status: 302, Conditions: Conditions{Country: []string{"BE"}}},
		{From: "/about", To: "/elsewhere", Force: &no}, // about.html is served at /about: shadowed
		{From: "/gone", To: "/new", Force: &no},        // nothing is served at /gone
		{From: "/u", To: "/users/:who", Conditions: Conditions{Has: []Match{{Type: "cookie", Key: "user", Value: "(?P<who>.+)"}}}},
		{From: "/v", To: "/:who", Conditions: Conditions{Has: []Match{{Type: "cookie", Key: "user", Value: "(?P<who>.+)"}}}},
		{From: "/welcome", To: "/tour", Status: 302, Conditions: Conditions{Missing: []Match{{Type: "cookie", Key: "seen"}}}},
	}})
	tests := []struct {
		r        *http.Request
		status   int
		location string
	}{
		{req("/store?id=7"), 301, "/blog/7?id=7"},
		{req("/store"), 418, ""},
		{req("/", "Accept-Language", chromeFrench, "CF-IPCountry", "BE"), 302, "/fr/"}, // first match wins
		{req("/", "Accept-Language", firefoxGerman, "CF-IPCountry", "BE"), 302, "/be/"},
		{req("/", "Accept-Language", firefoxGerman), 418, ""},
		{req("/about"), 418, ""},
		{req("/gone"), 301, "/new"},
		{req("/u", "Cookie", "user=ann%0D%0AX: y"), 301, "/users/ann%250D%250AX:%20y"}, // escaped, no header break
		{req("/u", "Cookie", "user=//evil.example"), 301, "/users///evil.example"},
		{req("/v", "Cookie", "user=//evil.example"), 301, "/evil.example"}, // never another host
		{req("/welcome"), 302, "/tour"},
		{req("/welcome", "Cookie", "seen=1"), 418, ""},
	}
	for _, tt := range tests {
		status, loc := redirectOf(rd, tt.r)
		if status != tt.status || loc != tt.location {
			t.Errorf("%s %v: %d %q, want %d %q", tt.r.URL, tt.r.Header, status, loc, tt.status, tt.location)
		}
	}
}

// writeSite writes files under a new root, base/public (a name may lead
// out of it, into base).
func writeSite(t testing.TB, files map[string]string) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "public")
	for name, body := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestRewritesForceStatusAndConditions(t *testing.T) {
	root := writeSite(t, map[string]string{
		"index.html": "home", "page.html": "a page", "en/404.html": "english not found",
		"en/index.html": "english home", "fr/index.html": "accueil", "beta.html": "beta home",
		"spa.html": "app",
	})
	h := newHandler(t, Handler{Root: root, CleanURLs: true, Rewrites: []Rewrite{
		{From: "/", To: "/beta.html", Force: true, Conditions: Conditions{Has: []Match{{Type: "cookie", Key: "beta"}}}},
		{From: "/", To: "/fr/index.html", Force: true, Conditions: Conditions{Language: []string{"fr"}}},
		{From: "/en/*", To: "/en/404.html", Status: 404},
		{From: "/*.html", To: "/spa.html"},
	}})
	tests := []struct {
		r      *http.Request
		status int
		body   string
	}{
		{req("/"), 200, "home"},
		{req("/", "Cookie", "beta=1"), 200, "beta home"},
		{req("/", "Accept-Language", chromeFrench), 200, "accueil"},
		{req("/en/"), 200, "english home"},
		{req("/en/missing"), 404, "english not found"},
		{req("/missing.html"), 200, "app"},
		{req("/a/missing.html"), 404, "404 page not found\n"}, // * in a segment is not /
		{req("/page"), 200, "a page"},                         // a file wins over a rewrite that is not forced
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		_ = h.ServeHTTP(rec, tt.r, nil)
		if rec.Code != tt.status || rec.Body.String() != tt.body {
			t.Errorf("%s %v: %d %q, want %d %q", tt.r.URL, tt.r.Header, rec.Code, rec.Body.String(), tt.status, tt.body)
		}
	}
	if rec := do(h, "GET", "/en/missing", nil, nil); rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("a 404 rewrite has Cache-Control %q", rec.Header().Get("Cache-Control"))
	}
}

func TestNearestNotFound(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	root := writeSite(t, map[string]string{
		"index.html": "home", "404.html": "root 404", "en/404.html": "en 404",
		"en/docs/guide/404.html": "guide 404", "admin/404.html": "admin 404", "admin/index.html": "admin",
	})
	auth := &Auth{Realm: "R", Accounts: []basicauth.Account{{Username: "ann", Password: string(hash)}}, Paths: []string{"/admin/**"}}
	h := newHandler(t, Handler{Root: root, NotFound: "404.html", NearestNotFound: true, Auth: auth})
	for target, want := range map[string]string{
		"/nope":                          "root 404",
		"/en/nope":                       "en 404",
		"/en/nope/":                      "en 404",
		"/en/docs/nope":                  "en 404",
		"/en/docs/guide/":                "guide 404", // no index: a miss in the directory itself
		"/en/docs/guide/x/y/z":           "guide 404",
		"/fr/nope":                       "root 404",
		"/admin/nope":                    "root 404", // protected page, no credentials
		"/" + strings.Repeat("a/", 2000): "root 404",
	} {
		rec := get(h, target)
		if rec.Code != http.StatusNotFound || rec.Body.String() != want {
			t.Errorf("%s: %d %q, want 404 %q", target[:min(len(target), 40)], rec.Code, rec.Body.String(), want)
		}
	}
	// As the static_basic_auth route in front leaves a visitor it let in.
	r := req("/admin/nope")
	r = r.WithContext(context.WithValue(r.Context(), caddyhttp.VarsCtxKey, map[string]any{basicauth.UserVar: "ann"}))
	rec := httptest.NewRecorder()
	_ = h.ServeHTTP(rec, r, nil)
	if rec.Code != http.StatusNotFound || rec.Body.String() != "admin 404" {
		t.Errorf("/admin/nope with credentials: %d %q", rec.Code, rec.Body.String())
	}
	// not_found pins one page.
	pinned := newHandler(t, Handler{Root: root, NotFound: "404.html"})
	if rec := get(pinned, "/en/nope"); rec.Body.String() != "root 404" {
		t.Errorf("pinned not_found: %q", rec.Body.String())
	}
}

func BenchmarkRedirects5000Rules(b *testing.B) {
	rules := make([]RedirectRule, 5000)
	for i := range rules {
		switch i % 10 {
		case 0:
			rules[i] = RedirectRule{From: fmt.Sprintf("/section-%d/*", i), To: "/new/:splat"}
		case 1:
			rules[i] = RedirectRule{From: fmt.Sprintf("/blog/%d/:slug", i), To: "/posts/:slug", Conditions: Conditions{Language: []string{"fr"}}}
		default:
			rules[i] = RedirectRule{From: fmt.Sprintf("/old/page-%d", i), To: fmt.Sprintf("/new/page-%d", i)}
		}
	}
	rd := &Redirects{Rules: rules}
	if err := rd.Provision(caddy.Context{}); err != nil {
		b.Fatal(err)
	}
	paths := []string{"/old/page-4998", "/blog/4991/hello", "/section-4990/a/b", "/not/redirected"}
	next := caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error { return nil })
	b.ResetTimer()
	for n := 0; b.Loop(); n++ {
		r := httptest.NewRequest(http.MethodGet, paths[n%len(paths)], nil)
		r.Header.Set("Accept-Language", chromeFrench)
		_ = rd.ServeHTTP(httptest.NewRecorder(), r, next)
	}
}

// FuzzRuleMatcher: for any rule set (route, conditions) and request
// (path, Accept-Language, cookies, query, country), the redirects handler
// picks the rule a naive linear scan picks (every rule in order: pattern,
// then conditions), and its Location never breaks a header line nor
// names another host for a local target.
func FuzzRuleMatcher(f *testing.F) {
	f.Add("/store|/blog/:id|query:id\n/|/fr/|lang:fr\n/*|/x/:splat|", "/store", "id=1", chromeFrench, "a=1", "FR")
	f.Add("/:lang/*.html|/:lang/|country:be\n/u|/:who|cookie:u=(?P<who>.*)", "/u", "", "", "u=//x.example", "")
	f.Add("/a/*|/b/:splat|missing:seen\n/a/:x|/c/:x|header:X-A=1|yes", "/a/q", "", firefoxGerman, "seen=1", "de")
	f.Fuzz(func(t *testing.T, rulesText, path, query, acceptLanguage, cookie, country string) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path+query, "\x00\r\n #?") {
			return
		}
		var rules []RedirectRule
		for _, line := range strings.Split(rulesText, "\n") {
			parts := strings.SplitN(line, "|", 3)
			if len(parts) < 3 {
				continue
			}
			rule := RedirectRule{From: parts[0], To: parts[1]}
			kind, arg, _ := strings.Cut(parts[2], ":")
			key, value, _ := strings.Cut(arg, "=")
			switch kind {
			case "query":
				rule.Query = map[string]string{key: ":" + key}
			case "lang":
				rule.Language = []string{arg}
			case "country":
				rule.Country = []string{arg}
			case "cookie", "header":
				rule.Has = []Match{{Type: kind, Key: key, Value: value}}
			case "missing":
				rule.Missing = []Match{{Type: "cookie", Key: arg}}
			}
			if _, err := compileConditions(rule.Conditions); err != nil {
				continue
			}
			rules = append(rules, rule)
		}
		if len(rules) == 0 {
			return
		}
		rd := &Redirects{Rules: rules}
		if err := rd.Provision(caddy.Context{}); err != nil {
			return // a pattern that does not compile
		}
		r := httptest.NewRequest(http.MethodGet, "http://example.com/", nil)
		r.URL.Path, r.URL.RawQuery = path, query
		r.Header.Set("Accept-Language", acceptLanguage)
		r.Header.Set("Cookie", cookie)
		r.Header.Set("CF-IPCountry", country)
		r.Header.Set("X-A", "1")

		want, wantVals := -1, map[string]string(nil)
		for i, rule := range rules {
			route, _ := pattern.CompileRoute(rule.From)
			vals, ok := route.Match(path)
			if !ok {
				continue
			}
			c, _ := compileConditions(rule.Conditions)
			if c.holds(newRequest(r, ""), vals) {
				want, wantVals = i, vals
				break
			}
		}
		rec := httptest.NewRecorder()
		_ = rd.ServeHTTP(rec, r, caddyhttp.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) error {
			w.WriteHeader(http.StatusTeapot)
			return nil
		}))
		loc := rec.Header().Get("Location")
		if want < 0 {
			if rec.Code != http.StatusTeapot {
				t.Fatalf("redirected to %q; a linear scan matches no rule", loc)
			}
			return
		}
		if wantLoc := redirectTarget(pattern.Expand(rules[want].To, wantVals), query); loc != wantLoc {
			t.Fatalf("Location %q; a linear scan picks rule %d: %q", loc, want+1, wantLoc)
		}
		if strings.ContainsAny(loc, "\r\n\x00") {
			t.Fatalf("Location %q breaks the header", loc)
		}
		if strings.HasPrefix(rules[want].To, "/") && (strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, "/\\")) {
			t.Fatalf("local rule %q gives Location %q, another host", rules[want].To, loc)
		}
	})
}

// FuzzPreferredLanguages: whatever the header, every preferred tag is a
// valid lower-case language tag written in it with a q-value above 0, and
// no other language is written with a higher one.
func FuzzPreferredLanguages(f *testing.F) {
	f.Add(chromeFrench)
	f.Add(firefoxGerman)
	f.Add("fr;q=0, en;q=0.000, de;q=1.000, *")
	f.Fuzz(func(t *testing.T, header string) {
		best := map[string]int{} // tag -> its highest q, for the entries read
		top, entries := 0, 0
		for elem := range strings.SplitSeq(header, ",") {
			name, params, _ := strings.Cut(elem, ";")
			name = strings.ToLower(strings.TrimSpace(name))
			if name == "" || entries >= maxLanguageEntries {
				continue
			}
			if entries++; name == "*" || !languageTag(name) {
				continue
			}
			q := 1000
			if params != "" {
				q = parseQ(params)
			}
			best[name] = max(best[name], q)
			top = max(top, q)
		}
		for _, tag := range preferredLanguages([]string{header}) {
			if tag != strings.ToLower(tag) || !languageTag(tag) {
				t.Fatalf("%q gives the tag %q", header, tag)
			}
			if q := best[tag]; q <= 0 || q < top {
				t.Fatalf("%q: %q (q %d) is preferred, but another language has q %d", header, tag, q, top)
			}
		}
	})
}
