package csp

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hardstatic/buildpack/internal/policy"
)

func needs(a Asset) []string {
	var out []string
	for _, n := range a.Needs {
		out = append(out, n.Directive+" "+n.Source)
	}
	slices.Sort(out)
	return out
}

func TestAnalyzeCSS(t *testing.T) {
	for _, c := range []struct {
		name, css string
		want      []string
		imports   []string
	}{
		{"font in @font-face", `@font-face{font-family:x;src:url(data:application/octet-stream;base64,AAAA) format("woff2")}`, []string{"font-src data:"}, nil},
		{"quoted font type outside @font-face", `.a{--f:url("data:font/woff2;base64,AA")}`, []string{"font-src data:"}, nil},
		{"icon", `.icon{background:url('data:image/svg+xml;utf8,<svg xmlns="http://www.w3.org/2000/svg"/>') no-repeat}`, []string{"img-src data:"}, nil},
		{"image after @font-face", `@font-face{src:url(/f.woff2)} body{background:url(data:image/png;base64,AA)}`, []string{"img-src data:"}, nil},
		{"image-set string", `.a{background-image:image-set("data:image/png;base64,AA" 1x)}`, []string{"img-src data:"}, nil},
		{"other sites", `@import url("https://fonts.googleapis.com/css2?family=Inter"); @font-face{src:url(https://fonts.gstatic.com/a.woff2)} .b{background:url(//cdn.example.com/b.png)}`,
			[]string{"font-src https://fonts.gstatic.com", "img-src https://cdn.example.com", "style-src https://fonts.googleapis.com"}, nil},
		{"own imports and files", `@import "base.css"; @import url(/theme/dark.css) screen; .c{background:url(img/c.png)}`, nil, []string{"base.css", "/theme/dark.css"}},
		{"data: in a comment or a selector needs nothing", `/* url(data:image/png;base64,AA) */ [href^="data:"]{color:red}`, nil, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := AnalyzeCSS([]byte(c.css))
			if got := needs(a); !slices.Equal(got, c.want) {
				t.Errorf("needs %q, want %q", got, c.want)
			}
			if !slices.Equal(a.Imports, c.imports) {
				t.Errorf("imports %q, want %q", a.Imports, c.imports)
			}
		})
	}
}

func TestAnalyzeJS(t *testing.T) {
	for _, c := range []struct {
		name, js string
		want     []string
		calls    []string
		imports  []string
	}{
		{"emotion inserts style elements", `var tag=document.createElement("style");tag.setAttribute("data-emotion",key);document.head.appendChild(tag);tag.sheet.insertRule(rule,0)`,
			[]string{"style-src-elem 'unsafe-inline'"}, nil, nil},
		{"createElementNS in SVG", `const s = document.createElementNS("http://www.w3.org/2000/svg", 'style')`, []string{"style-src-elem 'unsafe-inline'"}, nil, nil},
		{"mermaid's markup", "svg.innerHTML = `<style>${css}</style>` + body", []string{"style-src-elem 'unsafe-inline'"}, nil, nil},
		{"setAttribute style", `el.setAttribute('style', "color: red")`, []string{"style-src-attr 'unsafe-inline'"}, nil, nil},
		{"jQuery attr", `$(el).attr("style","display:none")`, []string{"style-src-attr 'unsafe-inline'"}, nil, nil},
		{"markup with a style attribute", "host.innerHTML = `<div class=\"x\" style=\"width:${w}px\">`", []string{"style-src-attr 'unsafe-inline'"}, nil, nil},
		{"the CSSOM needs nothing", `el.style.color = "red"; el.style.cssText = "color: red"; el.style.setProperty("color", "red"); sheet.insertRule("a{}"); document.adoptedStyleSheets = [new CSSStyleSheet()]; var style = "style";`, nil, nil, nil},
		{"comments and regular expressions are not code", `// document.createElement("style")
/* el.setAttribute("style", x) */ var re = /"<style>"/g, n = a / 2 / "<style>".length;`, []string{"style-src-elem 'unsafe-inline'"}, nil, nil},
		{"a regular expression with a quote", `var q = s.replace(/"/g, "'"); document.createElement("div")`, nil, nil, nil},
		{"an svg icon", `const icon = "data:image/svg+xml;charset=utf-8,%3Csvg%3E"; const font = 'url(data:font/woff2;base64,AA)'`, []string{"font-src data:", "img-src data:"}, nil, nil},
		{"calls to other origins", `fetch("https://api.example.com/v1/items").then(r=>r.json());
new WebSocket("wss://live.example.com/socket"); xhr.open("POST", 'https:\/\/telemetry.example.org\/collect');
navigator.sendBeacon("//beacon.example.net/b"); fetch("/api/own"); fetch(url)`, nil,
			[]string{"https://api.example.com", "wss://live.example.com", "https://telemetry.example.org", "https://beacon.example.net"}, nil},
		{"modules", `import a from "./a.js"; import "/b.js"; export * from '../c.js'; import("./lazy.js"); import react from "react"; import x from "https://esm.sh/x"`,
			[]string{"script-src https://esm.sh"}, nil, []string{"./a.js", "/b.js", "../c.js", "./lazy.js"}},
		{"a worker from a blob: URL (Redoc)", "const u = URL.createObjectURL(new Blob([code]));\nconst w = new Worker(u);", nil, []string{"blob:"}, nil},
		{"a worker from a file needs nothing", `new Worker("/search.js")`, nil, nil, nil},
		{"not JavaScript", strings.Repeat("\x00 ) @ # ", 200), nil, nil, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := AnalyzeJS([]byte(c.js))
			if got := needs(a); !slices.Equal(got, c.want) {
				t.Errorf("needs %q, want %q (%+v)", got, c.want, a.Needs)
			}
			var calls []string
			for _, cl := range a.Calls {
				calls = append(calls, cl.Origin)
			}
			if !slices.Equal(calls, c.calls) {
				t.Errorf("calls %q, want %q", calls, c.calls)
			}
			if !slices.Equal(a.Imports, c.imports) {
				t.Errorf("imports %q, want %q", a.Imports, c.imports)
			}
			for _, n := range a.Needs {
				if strings.HasPrefix(n.Directive, "script-src") && n.Source == unsafeInline {
					t.Errorf("scripts got 'unsafe-inline': %+v", n)
				}
				if !strings.Contains(n.Reason, "line ") {
					t.Errorf("reason without a line: %q", n.Reason)
				}
			}
		})
	}
}

// A page whose script inserts styles gets 'unsafe-inline' in
// style-src-elem without the hashes of its inline <style> (browsers would
// ignore it next to them), keeps 'self' there, and scripts stay hash-only.
func TestComposeRelaxation(t *testing.T) {
	site := policy.FormatCSP(policy.DefaultCSP)
	p, _ := Analyze(strings.NewReader(`<link rel=stylesheet href="https://fonts.example.com/a.css"><style>a{}</style><script>go()</script><p style="x">`))
	p.Include("js/emotion.js", AnalyzeJS([]byte(`document.createElement("style")`)))
	p.Include("js/widget.js", AnalyzeJS([]byte(`el.setAttribute("style", s)`)))
	p.Include("css/icons.css", AnalyzeCSS([]byte(`.i{background:url(data:image/svg+xml,x)}`)))
	r := Compose(site, p)
	ds := map[string]string{}
	for _, d := range policy.ParseCSP(r.Value) {
		ds[d.Name] = strings.Join(d.Sources, " ")
	}
	if want := "'self' https://fonts.example.com 'unsafe-inline'"; ds["style-src-elem"] != want {
		t.Errorf("style-src-elem %q, want %q", ds["style-src-elem"], want)
	}
	if ds["style-src-attr"] != "'unsafe-inline'" {
		t.Errorf("style-src-attr %q, want only 'unsafe-inline'", ds["style-src-attr"])
	}
	if !strings.HasPrefix(ds["script-src"], "'self' 'sha256-") || strings.Contains(r.Value, "script-src 'self' 'unsafe-inline'") {
		t.Errorf("script-src %q", ds["script-src"])
	}
	if ds["img-src"] != "'self' data:" {
		t.Errorf("img-src %q", ds["img-src"])
	}
	for _, want := range []string{"js/emotion.js: createElement(\"style\") at line 1: inserts <style> elements", "js/widget.js: setAttribute(\"style\") at line 1", "css/icons.css: a data: image in url() at line 1"} {
		if !slices.ContainsFunc(p.Notes, func(n string) bool { return strings.HasPrefix(n, want) }) {
			t.Errorf("no note %q in %q", want, p.Notes)
		}
	}
}

// An author's 'unsafe-inline' in [csp] takes effect: the build's hashes
// leave the directive and its -elem and -attr forms, which would otherwise
// make browsers ignore it, with a note.
func TestComposeAuthorUnsafeInline(t *testing.T) {
	for _, c := range []struct {
		author, directive string
		want              map[string]string
	}{
		{"style-src", "style-src", map[string]string{"style-src": "'self' 'unsafe-inline'", "style-src-attr": "'unsafe-inline'", "script-src-attr": "'unsafe-hashes' " + sha("go()")}},
		{"style-src-attr", "style-src-attr", map[string]string{"style-src": "'self' " + sha("a{}"), "style-src-attr": "'unsafe-inline'"}},
		{"script-src", "script-src", map[string]string{"script-src": "'self' 'unsafe-inline'", "script-src-attr": "'unsafe-inline'", "style-src": "'self' " + sha("a{}")}},
	} {
		t.Run(c.author, func(t *testing.T) {
			site := policy.CSP(policy.CSPOptions{Add: []policy.Directive{{Name: c.author, Sources: []string{unsafeInline}}}}).Value
			p, _ := Analyze(strings.NewReader(`<style>a{}</style><script>b()</script><p style="x" onclick="go()">`))
			r := Compose(site, p)
			ds := map[string]string{}
			for _, d := range policy.ParseCSP(r.Value) {
				ds[d.Name] = strings.Join(d.Sources, " ")
			}
			for name, want := range c.want {
				if ds[name] != want {
					t.Errorf("%s = %q, want %q (policy %q)", name, ds[name], want, r.Value)
				}
			}
			if len(r.Notes) == 0 || !strings.Contains(r.Notes[0], "[csp] "+c.author+" has 'unsafe-inline': the build's") {
				t.Errorf("notes %q", r.Notes)
			}
		})
	}
}

// Thousands of style attributes: the policy stays within the budget, with
// style-src-attr 'unsafe-inline' only and a warning that counts them;
// inline scripts keep their hashes.
func TestComposeBudget(t *testing.T) {
	var b strings.Builder
	b.WriteString("<script>keep()</script>")
	for i := range 5000 {
		fmt.Fprintf(&b, `<p style="margin-left:%dpx">x</p>`, i)
	}
	p, err := Analyze(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	r := Compose(policy.FormatCSP(policy.DefaultCSP), p)
	if len(r.Value) > MaxPolicySize {
		t.Fatalf("policy of %d bytes, over the budget of %d", len(r.Value), MaxPolicySize)
	}
	if !strings.Contains(r.Value, "style-src-attr 'unsafe-inline'") || strings.Contains(r.Value, "'unsafe-hashes'") {
		t.Errorf("policy %q", r.Value)
	}
	if !strings.Contains(r.Value, "script-src 'self' "+sha("keep()")) {
		t.Errorf("the inline script lost its hash: %q", r.Value)
	}
	if len(r.Warnings) != 1 || !strings.HasPrefix(r.Warnings[0], "5000 distinct style attributes need ") {
		t.Errorf("warnings %q", r.Warnings)
	}
}

// Past the style steps, inline scripts are left out (they then do not run)
// rather than allowed by 'unsafe-inline'.
func TestComposeBudgetScripts(t *testing.T) {
	var b strings.Builder
	for i := range 500 {
		fmt.Fprintf(&b, `<script>s(%d)</script><button onclick="h(%d)">x</button>`, i, i)
	}
	p, _ := Analyze(strings.NewReader(b.String()))
	r := Compose(policy.FormatCSP(policy.DefaultCSP), p)
	if len(r.Value) > MaxPolicySize || strings.Contains(r.Value, "script-src 'self' 'unsafe-inline'") || strings.Contains(r.Value, "script-src-attr 'unsafe-inline'") {
		t.Errorf("policy (%d bytes) %q", len(r.Value), r.Value)
	}
	if len(r.Warnings) != 2 || !strings.Contains(r.Warnings[0], "500 distinct inline event handlers") || !strings.Contains(r.Warnings[1], "500 distinct inline <script> elements") {
		t.Errorf("warnings %q", r.Warnings)
	}
}

func FuzzAnalyzeAssets(f *testing.F) {
	for _, s := range []string{`@font-face{src:url(data:x)}`, `a{b:url(`, `@import "`, "createElement(\"style\")", "`${`", "/[/]/", `x.open("a",`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_ = AnalyzeCSS([]byte(s))
		_ = AnalyzeJS([]byte(s))
	})
}

// Hostile files: tens of thousands of distinct origins, imports and calls
// give bounded lists, read in one pass.
func TestAssetsBounded(t *testing.T) {
	var js, css strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&js, "import \"https://m%d.example/x.js\"; import \"./m%d.js\"; fetch(\"https://f%d.example/\");\n", i, i, i)
		fmt.Fprintf(&css, ".c%d{background:url(https://i%d.example/x.png)}\n", i, i)
	}
	for name, a := range map[string]Asset{"js": AnalyzeJS([]byte(js.String())), "css": AnalyzeCSS([]byte(css.String()))} {
		if len(a.Needs) > maxListed || len(a.Imports) > maxListed || len(a.Calls) > maxListed || len(a.Needs) == 0 {
			t.Errorf("%s: %d needs, %d imports, %d calls; want at most %d each", name, len(a.Needs), len(a.Imports), len(a.Calls), maxListed)
		}
	}
	if a := AnalyzeJS(make([]byte, MaxAssetSize+1)); len(a.Notes) != 1 || !strings.Contains(a.Notes[0], "not analysed") {
		t.Errorf("a file over %d bytes: %+v", MaxAssetSize, a.Notes)
	}
}

// With style-src-elem in [csp], an inline <style>'s hash goes there too:
// browsers check elements against it.
func TestComposeSiteElem(t *testing.T) {
	site := policy.CSP(policy.CSPOptions{Add: []policy.Directive{{Name: "style-src-elem", Sources: []string{"https://fonts.example.com"}}}}).Value
	p, _ := Analyze(strings.NewReader(`<style>a{}</style><script>b()</script>`))
	v := Compose(site, p).Value
	if want := "style-src-elem 'self' https://fonts.example.com " + sha("a{}"); !strings.Contains(v, want) {
		t.Errorf("%q lacks %q", v, want)
	}
	if strings.Contains(v, "script-src-elem") {
		t.Errorf("a script-src-elem appeared: %q", v)
	}
}
