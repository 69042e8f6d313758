package headerset

import (
	"net/http"
	"reflect"
	"testing"
)

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

// complete applies the site patch, the handler's per-file headers and the
// answer's set, as the handler does, and returns the map.
func complete(site *Patch, a Answer, rules *Rules, m Mask, perFile http.Header) http.Header {
	h := hdr("Server", "Caddy")
	site.Apply(h)
	for k, v := range perFile {
		h[k] = v
	}
	Complete(site, a, rules, m).Apply(h)
	return h
}

func TestSite(t *testing.T) {
	h := hdr("Server", "Caddy", "X-Old", "1")
	Site([]Header{{Name: "x-frame-options", Value: "DENY"}, {Name: "X-Old", Value: ""}, {Name: "X-A", Value: "1"}, {Name: "X-A", Value: "2"}}, true).Apply(h)
	want := hdr("X-Frame-Options", "DENY", "X-A", "2")
	if !reflect.DeepEqual(h, want) {
		t.Errorf("got %v, want %v", h, want)
	}
}

// Site headers, then the handler's, then the rules in file order: a rule's
// value and a rule's removal win over the handler's Cache-Control and
// per-file headers; without rules, the site's Cache-Control wins over the
// file's.
func TestCompleteOrder(t *testing.T) {
	site := Site([]Header{{Name: "Content-Security-Policy", Value: "default-src 'none'"}, {Name: "X-Frame-Options", Value: "DENY"}}, true)
	rules, err := CompileRules([]Rule{
		{Glob: "/assets/**", Headers: []Header{{Name: "Cache-Control", Value: ""}, {Name: "X-Order", Value: "first"}}},
		{Glob: "/assets/*.wasm", Headers: []Header{{Name: "Content-Type", Value: "application/wasm"}, {Name: "X-Order", Value: "second"}, {Name: "Etag", Value: ""}}},
		{Glob: "/embed/**", Headers: []Header{{Name: "X-Frame-Options", Value: ""}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	page := Answer{
		Shared:      []Header{{Name: "Content-Security-Policy", Value: "default-src 'self'"}},
		SetIfAbsent: []Header{{Name: "Cache-Control", Value: "no-cache"}},
		Add:         []Header{{Name: "Vary", Value: "Accept-Encoding"}},
		PerFile:     []string{"Etag", "Content-Type"},
	}
	own := hdr("Etag", `"e"`, "Content-Type", "text/html")
	tests := []struct {
		path string
		want http.Header
	}{
		{"/", hdr("Content-Security-Policy", "default-src 'self'", "X-Frame-Options", "DENY", "Cache-Control", "no-cache",
			"Vary", "Accept-Encoding", "Etag", `"e"`, "Content-Type", "text/html")},
		{"/assets/a.wasm", hdr("Content-Security-Policy", "default-src 'self'", "X-Frame-Options", "DENY",
			"Vary", "Accept-Encoding", "Content-Type", "application/wasm", "X-Order", "second")},
		{"/embed/x.html", hdr("Content-Security-Policy", "default-src 'self'", "Cache-Control", "no-cache",
			"Vary", "Accept-Encoding", "Etag", `"e"`, "Content-Type", "text/html")},
		{"/embed/../assets/a.js", hdr("Content-Security-Policy", "default-src 'self'", "X-Frame-Options", "DENY",
			"Vary", "Accept-Encoding", "Etag", `"e"`, "Content-Type", "text/html", "X-Order", "first")},
	}
	for _, tt := range tests {
		m, ok := rules.Match(tt.path)
		if !ok {
			t.Fatal("3 rules do not fit a mask")
		}
		if got := complete(site, page, rules, m, own); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\n got %v\nwant %v", tt.path, got, tt.want)
		}
		// The rules applied per response give the same.
		h := hdr("Server", "Caddy")
		site.Apply(h)
		for _, x := range page.Shared {
			h.Set(x.Name, x.Value)
		}
		h.Set("Cache-Control", "no-cache")
		h.Add("Vary", "Accept-Encoding")
		for k, v := range own {
			h[k] = v
		}
		rules.Apply(h, tt.path)
		if !reflect.DeepEqual(h, tt.want) {
			t.Errorf("%s, applied per response:\n got %v\nwant %v", tt.path, h, tt.want)
		}
	}
	withCC := Site([]Header{{Name: "Cache-Control", Value: "private"}}, false)
	if got := complete(withCC, page, nil, 0, own); got.Get("Cache-Control") != "private" {
		t.Errorf("a site-wide Cache-Control is kept: got %q", got.Get("Cache-Control"))
	}
}

// The values of a set are shared by every response: an append by anyone
// must copy them.
func TestSharedValuesHaveNoSpareCapacity(t *testing.T) {
	p := Complete(Site(nil, false), Answer{Shared: []Header{{Name: "Vary", Value: "Accept-Encoding"}}}, nil, 0)
	h := http.Header{}
	p.Apply(h)
	h.Add("Vary", "Origin")
	if got := p.Set[0].Values; len(got) != 1 || got[0] != "Accept-Encoding" {
		t.Errorf("the shared set changed: %v", got)
	}
}

func TestTooManyRulesForAMask(t *testing.T) {
	rs := make([]Rule, MaxRules+1)
	for i := range rs {
		rs[i] = Rule{Glob: "/**", Headers: []Header{{Name: "X", Value: "v"}}}
	}
	rules, err := CompileRules(rs)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := rules.Match("/"); ok {
		t.Error("65 rules fit a 64-bit mask")
	}
	h := http.Header{}
	rules.Apply(h, "/a")
	if h.Get("X") != "v" {
		t.Errorf("rules applied per response: %v", h)
	}
}
