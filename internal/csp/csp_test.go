package csp

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/hardstatic/buildpack/internal/policy"
)

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

func TestAnalyze(t *testing.T) {
	page := `<!doctype html><html><head>
<meta http-equiv="Content-Security-Policy" content="img-src 'self'">
<script>console.log("hi")</script>
<script type="module">import "./a.js"</script>
<script type="application/ld+json">{"@context":"https://schema.org"}</script>
<script src="/app.js"></script>
<script src="https://plausible.io/js/script.js" defer></script>
<style>body{color:red}</style>
<link rel="stylesheet" href="https://fonts.googleapis.com/css2?family=Inter">
<link rel="preload" as="font" href="https://fonts.gstatic.com/s/inter.woff2" crossorigin>
<link rel="icon" href="/favicon.ico">
</head><body>
<p style="color: blue">x</p><button onclick="go()">go</button>
<img src="data:image/png;base64,AAAA" srcset="//cdn.example.com/a.png 2x, /b.png 1x">
<a href="javascript:void(0)">bad</a>
<iframe src="https://www.youtube-nocookie.com/embed/x"></iframe>
</body></html>`
	p, err := Analyze(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, d := range p.Add {
		got[d.Name] = d.Sources
	}
	want := map[string][]string{
		"script-src":      {sha(`console.log("hi")`), sha(`import "./a.js"`), "https://plausible.io"},
		"style-src":       {sha("body{color:red}"), "https://fonts.googleapis.com"},
		"font-src":        {"https://fonts.gstatic.com"},
		"style-src-attr":  {"'unsafe-hashes'", sha("color: blue")},
		"script-src-attr": {"'unsafe-hashes'", sha("go()")},
		"img-src":         {"data:", "https://cdn.example.com"},
		"frame-src":       {"https://www.youtube-nocookie.com"},
	}
	for name, sources := range want {
		if strings.Join(got[name], " ") != strings.Join(sources, " ") {
			t.Errorf("%s = %v, want %v", name, got[name], sources)
		}
	}
	if len(got) != len(want) {
		t.Errorf("directives %v", got)
	}
	if p.MetaPolicy != "img-src 'self'" {
		t.Errorf("meta policy %q", p.MetaPolicy)
	}
	notes := strings.Join(p.Notes, "\n")
	for _, n := range []string{"javascript: URL", "onclick", "own <meta>"} {
		if !strings.Contains(notes, n) {
			t.Errorf("notes lack %q:\n%s", n, notes)
		}
	}
}

func TestPlainPageNeedsNothing(t *testing.T) {
	p, _ := Analyze(strings.NewReader(`<html><head><link rel=stylesheet href="/a.css"><script src="js/app.js"></script></head><body><img src="/x.png"></body></html>`))
	if !p.Empty() {
		t.Errorf("a page with only same-site files needs %v", p.Add)
	}
}

func TestPolicy(t *testing.T) {
	site := policy.FormatCSP(policy.DefaultCSP)
	p := Page{Add: []policy.Directive{{Name: "script-src", Sources: []string{"'sha256-x'"}}, {Name: "frame-src", Sources: []string{"https://a"}}}}
	got := Compose(site, p).Value
	if !strings.Contains(got, "script-src 'self' 'sha256-x';") || !strings.HasSuffix(got, "frame-src https://a") || !strings.HasPrefix(got, "default-src 'none';") {
		t.Errorf("Policy = %q", got)
	}
	if Compose(site, Page{}).Value != site {
		t.Error("an empty page changed the policy")
	}
}

func FuzzAnalyze(f *testing.F) {
	for _, s := range []string{"<script>a</script>", "<style>", "<p style='x' onclick=y>", "<img srcset=',,, ,'>", "<script src=//x", "<meta http-equiv=content-security-policy content>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Analyze(strings.NewReader(s))
		if err != nil {
			t.Fatal(err)
		}
		if r := Compose(policy.FormatCSP(policy.DefaultCSP), p); len(r.Value) > MaxPolicySize && len(r.Warnings) == 0 {
			t.Fatalf("a %d-byte policy without a warning", len(r.Value))
		}
	})
}
