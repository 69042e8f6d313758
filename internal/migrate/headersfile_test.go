package migrate

import (
	"reflect"
	"strings"
	"testing"

	"github.com/hardstatic/buildpack/internal/config"
)

// The blocks are the documented examples of Cloudflare Pages' "Headers"
// page (cloudflare/cloudflare-docs, pages/configuration/headers.mdx) and
// Netlify's "Custom headers" page (multi-value headers).
func TestParseHeadersDocumented(t *testing.T) {
	src := `# This is a comment
/secure/page
  X-Frame-Options: DENY
  X-Content-Type-Options: nosniff
  Referrer-Policy: no-referrer

/static/*
  Access-Control-Allow-Origin: *
  X-Robots-Tag: nosnippet

/*
  Content-Security-Policy: default-src 'self';

/*.jpg
  ! Content-Security-Policy

/movies/:title
  x-movie-name: You are watching ":title"

/about/faq/*
  Link: </about/faqs>; rel="canonical"

/*
  cache-control: max-age=0
  cache-control: no-cache
`
	blocks, err := ParseHeaders("_headers", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []HeaderBlock{
		{Line: 2, Path: "/secure/page", Set: []HeaderLine{{3, "X-Frame-Options", "DENY"}, {4, "X-Content-Type-Options", "nosniff"}, {5, "Referrer-Policy", "no-referrer"}}},
		{Line: 7, Path: "/static/*", Set: []HeaderLine{{8, "Access-Control-Allow-Origin", "*"}, {9, "X-Robots-Tag", "nosnippet"}}},
		{Line: 11, Path: "/*", Set: []HeaderLine{{12, "Content-Security-Policy", "default-src 'self';"}}},
		{Line: 14, Path: "/*.jpg", Detach: []HeaderLine{{15, "Content-Security-Policy", ""}}},
		{Line: 17, Path: "/movies/:title", Set: []HeaderLine{{18, "x-movie-name", `You are watching ":title"`}}},
		{Line: 20, Path: "/about/faq/*", Set: []HeaderLine{{21, "Link", `</about/faqs>; rel="canonical"`}}},
		{Line: 23, Path: "/*", Set: []HeaderLine{{24, "cache-control", "max-age=0"}, {25, "cache-control", "no-cache"}}},
	}
	if !reflect.DeepEqual(blocks, want) {
		t.Errorf("got\n%#v\nwant\n%#v", blocks, want)
	}
}

func TestParseHeadersErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"  X-Frame-Options: DENY", `_headers:1:1: "X-Frame-Options: DENY" comes before any path`},
		{"/a\n  X-Frame-Options DENY", `_headers:2:1: "X-Frame-Options DENY" is neither a path nor a header`},
		{"/a\n  X Frame: DENY", `_headers:2:1: "X Frame" is not a header name`},
		{"/a\n  X-Empty:", `_headers:2:1: header X-Empty has no value (give it a value, or write ! X-Empty to remove it)`},
		{"/a\n  ! bad name", `_headers:2:1: "bad name" is not a header name to detach`},
		{"/a b\n", `_headers:1:1: the path "/a b" holds a space`},
		{"/a\n  X-A: b\u202ec", `_headers:2:1: character 9 is a bidirectional control character (U+202E)`},
	} {
		_, err := ParseHeaders("_headers", []byte(tc.src))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %s", tc.src, err, tc.want)
		}
	}
}

// Any input: no panic, and what parses prints to text that parses to the
// same blocks.
func FuzzParseHeaders(f *testing.F) {
	f.Add("/*\n  X-Frame-Options: DENY\n/*.jpg\n  ! Content-Security-Policy\n")
	f.Add("# c\n/movies/:title\n  x-movie-name: You are watching \":title\"\r\n")
	f.Add("https://:project.pages.dev/*\n  X-Robots-Tag: noindex\n")
	f.Fuzz(func(t *testing.T, src string) {
		blocks, err := ParseHeaders("_headers", []byte(src))
		if err != nil {
			return
		}
		out := FormatHeaders(blocks)
		again, err := ParseHeaders("_headers", []byte(out))
		if err != nil {
			t.Fatalf("printed blocks do not parse: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(stripLines(again), stripLines(blocks)) {
			t.Fatalf("round trip changed the blocks:\n%#v\n%#v", blocks, again)
		}
		imp := HeadersConfig("_headers", blocks)
		if _, err := config.Parse(config.FileName, EncodeTOML(imp.Config, imp.AllNotes())); err != nil {
			t.Fatalf("mapped rules are not a valid static.toml: %v", err)
		}
	})
}

func stripLines(blocks []HeaderBlock) []HeaderBlock {
	out := make([]HeaderBlock, len(blocks))
	for i, b := range blocks {
		out[i] = HeaderBlock{Path: b.Path}
		for _, h := range b.Set {
			out[i].Set = append(out[i].Set, HeaderLine{Name: h.Name, Value: h.Value})
		}
		for _, h := range b.Detach {
			out[i].Detach = append(out[i].Detach, HeaderLine{Name: h.Name})
		}
	}
	return out
}
