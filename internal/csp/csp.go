// Package csp computes, at build time, the strictest Content-Security-Policy
// under which one HTML page works:
//
//   - Analyze reads a page: hashes for its inline <script> and <style>
//     elements, hashed style attributes and event handlers (with
//     'unsafe-hashes', reported so the author can move them out), the
//     external origins it loads from, and the site's own stylesheets and
//     scripts it loads (Refs);
//   - AnalyzeCSS and AnalyzeJS read those files (css.go, js.go): what they
//     make their pages need (data: URLs, inserted styles, other sites'
//     fonts and images) and what only the author can allow (connect-src and
//     worker-src candidates, reported, never added); Page.Include adds it;
//   - Compose (compose.go) merges a page's additions into the site-wide
//     policy within the header size budget, honouring the csp table of
//     static.toml.
package csp

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/url"
	"strings"

	"golang.org/x/net/html"

	"github.com/hardstatic/buildpack/internal/policy"
)

// MaxPageSize is the largest page analysed; larger pages keep the site-wide
// policy and are reported.
const MaxPageSize = 10 << 20

// Page is what a page needs beyond the site-wide policy.
type Page struct {
	// Sources to add, per directive, in first-seen order.
	Add []policy.Directive
	// Notes explain each addition and what the author could change.
	Notes []string
	// MetaPolicy is the content of a <meta http-equiv=Content-Security-Policy>,
	// which browsers enforce in addition to the header.
	MetaPolicy string
	// Refs are the site's own stylesheets and scripts the page loads, as
	// written in it: the caller finds their files and Includes them.
	Refs []Ref
	// Calls are the connect-src candidates of the page's inline scripts and
	// included files: reported, never added.
	Calls []Call

	a *analysis // for Include
}

// Ref is a same-site stylesheet or script URL of a page.
type Ref struct {
	Kind string // "style" or "script"
	URL  string
	Base string // the page's <base href> before it, or ""
}

// Empty reports whether the page needs nothing beyond the site policy.
func (p Page) Empty() bool { return len(p.Add) == 0 }

// Include adds what one of the page's stylesheets or scripts needs; file
// names it in the notes ("js/app.js", "inline <script>").
func (p *Page) Include(file string, asset Asset) {
	a := p.a
	if a == nil {
		a = newAnalysis()
	}
	a.page = *p
	a.include(file, asset)
	*p = a.page
	p.a = a
}

func (a *analysis) include(file string, asset Asset) {
	for _, n := range asset.Needs {
		a.add(n.Directive, n.Source, "")
		a.note(file + ": " + n.Reason)
	}
	for _, n := range asset.Notes {
		a.note(file + ": " + n)
	}
	for _, c := range asset.Calls {
		key := "call " + c.Directive + " " + c.Origin + " " + file + c.How
		if !a.seen[key] {
			a.seen[key] = true
			a.page.Calls = append(a.page.Calls, Call{c.Directive, c.Origin, file + ": " + c.How})
		}
	}
}

// inlineScriptTypes are the <script> types browsers execute.
var inlineScriptTypes = map[string]bool{"": true, "text/javascript": true, "module": true, "application/javascript": true}

type analysis struct {
	page   Page
	seen   map[string]bool
	counts map[string]int
	base   string // the first <base href>
	based  bool
}

func newAnalysis() *analysis {
	return &analysis{seen: map[string]bool{}, counts: map[string]int{}}
}

// ref records a same-site stylesheet or script of the page.
func (a *analysis) ref(kind, raw string) {
	raw = strings.TrimSpace(raw)
	if raw == "" || hasDataPrefix(raw) || originOf(raw) != "" || strings.Contains(raw, ":") && !strings.ContainsAny(raw[:strings.Index(raw, ":")], "/?#") {
		return // empty, data:, another site's, or another scheme
	}
	a.page.Refs = append(a.page.Refs, Ref{kind, raw, a.base})
}

// includeInline adds what inline code needs; its imports are the page's.
func (a *analysis) includeInline(what, kind string, asset Asset) {
	for _, imp := range asset.Imports {
		a.ref(kind, imp)
	}
	asset.Imports = nil
	a.include(what, asset)
}

func (a *analysis) add(directive, source, note string) {
	key := directive + " " + source
	if a.seen[key] {
		return
	}
	a.seen[key] = true
	for i := range a.page.Add {
		if a.page.Add[i].Name == directive {
			a.page.Add[i].Sources = append(a.page.Add[i].Sources, source)
			a.note(note)
			return
		}
	}
	a.page.Add = append(a.page.Add, policy.Directive{Name: directive, Sources: []string{source}})
	a.note(note)
}

func (a *analysis) note(n string) {
	if n == "" {
		return
	}
	a.counts[n]++
	if a.counts[n] == 1 {
		a.page.Notes = append(a.page.Notes, n)
	}
}

// Analyze reads one page. pageURL is the page's path on the site (for
// resolving relative URLs); it never fails on malformed HTML.
func Analyze(r io.Reader) (Page, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxPageSize+1))
	if err != nil {
		return Page{}, err
	}
	if len(data) > MaxPageSize {
		return Page{Notes: []string{fmt.Sprintf("larger than %d MB: not analysed; it gets the site-wide policy", MaxPageSize>>20)}}, nil
	}
	a := newAnalysis()
	z := html.NewTokenizer(bytes.NewReader(data))
	var raw string // the element whose text is being collected: script or style
	var text strings.Builder
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return a.finish(), nil
		case html.TextToken:
			if raw != "" {
				text.Write(z.Text())
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			if raw != "" && string(name) == raw {
				a.inline(raw, text.String())
				raw = ""
				text.Reset()
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			t := z.Token()
			if kind := a.element(t); kind != "" && tt == html.StartTagToken {
				raw = kind
			}
		}
	}
}

func (a *analysis) finish() Page {
	for i := range a.page.Notes {
		if n := a.counts[a.page.Notes[i]]; n > 1 {
			a.page.Notes[i] = fmt.Sprintf("%s (x%d)", a.page.Notes[i], n)
		}
	}
	for i := range a.page.Add {
		if strings.HasSuffix(a.page.Add[i].Name, "-attr") {
			a.page.Add[i].Sources = append([]string{"'unsafe-hashes'"}, a.page.Add[i].Sources...)
		}
	}
	p := a.page
	p.a = a
	return p
}

// element records what one start tag needs and returns "script" or "style"
// when its text content is inline code to hash.
func (a *analysis) element(t html.Token) string {
	attrs := map[string]string{}
	for _, at := range t.Attr {
		k := strings.ToLower(at.Key)
		if _, dup := attrs[k]; !dup {
			attrs[k] = at.Val
		}
		switch {
		case k == "style":
			a.add("style-src-attr", hash(at.Val), "style attribute allowed by hash with 'unsafe-hashes'; a class in a stylesheet is stricter")
			if strings.Contains(strings.ToLower(at.Val), "url(") {
				a.includeInline("style attribute", "style", AnalyzeCSS([]byte(at.Val)))
			}
		case strings.HasPrefix(k, "on") && len(k) > 2:
			a.add("script-src-attr", hash(at.Val), fmt.Sprintf("inline event handler %s= allowed by hash with 'unsafe-hashes'; addEventListener in a script file is stricter", k))
		}
	}
	for _, k := range []string{"href", "src", "action", "formaction"} {
		if strings.HasPrefix(strings.ToLower(strings.TrimSpace(attrs[k])), "javascript:") {
			a.note("a javascript: URL cannot be allowed by a policy without 'unsafe-inline'; it will not run")
		}
	}
	switch t.Data {
	case "script":
		if src, ok := attrs["src"]; ok {
			a.origin("script-src", src, "script")
			a.ref("script", src)
			return ""
		}
		if inlineScriptTypes[strings.ToLower(strings.TrimSpace(attrs["type"]))] {
			return "script"
		}
	case "style":
		return "style"
	case "link":
		a.link(attrs)
	case "img":
		a.origin("img-src", attrs["src"], "image")
		for _, c := range strings.Split(attrs["srcset"], ",") {
			a.origin("img-src", strings.Fields(c + " x")[0], "image")
		}
	case "video", "audio", "source", "track":
		a.origin("media-src", attrs["src"], "media")
		if t.Data == "video" {
			a.origin("img-src", attrs["poster"], "poster")
		}
	case "iframe", "frame":
		a.origin("frame-src", attrs["src"], "frame")
	case "form":
		a.origin("form-action", attrs["action"], "form target")
	case "object", "embed":
		a.note("<" + t.Data + "> is blocked (object-src is not allowed); use <img>, <video> or <iframe>")
	case "meta":
		if strings.EqualFold(attrs["http-equiv"], "content-security-policy") {
			a.page.MetaPolicy = attrs["content"]
			a.note("the page has its own <meta> Content-Security-Policy; browsers enforce it as well as the header")
		}
	case "base":
		a.note("<base href> is limited to the site itself (base-uri 'self')")
		if h, ok := attrs["href"]; ok && !a.based {
			a.base, a.based = strings.TrimSpace(h), true
		}
	}
	return ""
}

func (a *analysis) link(attrs map[string]string) {
	href := attrs["href"]
	for _, rel := range strings.Fields(strings.ToLower(attrs["rel"])) {
		switch rel {
		case "stylesheet":
			a.origin("style-src", href, "stylesheet")
			a.ref("style", href)
		case "icon", "apple-touch-icon":
			a.origin("img-src", href, "icon")
		case "manifest":
			a.origin("manifest-src", href, "manifest")
		case "preload", "modulepreload":
			d := map[string]string{"script": "script-src", "style": "style-src", "font": "font-src", "image": "img-src",
				"fetch": "connect-src", "audio": "media-src", "video": "media-src"}[strings.ToLower(attrs["as"])]
			if rel == "modulepreload" {
				d = "script-src"
			}
			if d != "" {
				a.origin(d, href, "preloaded resource")
			}
			switch d {
			case "script-src":
				a.ref("script", href)
			case "style-src":
				a.ref("style", href)
			}
		}
	}
}

// origin adds the origin of an absolute or protocol-relative URL; same-site
// URLs are already allowed by 'self'.
func (a *analysis) origin(directive, raw, what string) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return
	}
	if strings.HasPrefix(strings.ToLower(raw), "data:") {
		if directive == "img-src" || directive == "font-src" || directive == "media-src" {
			a.add(directive, "data:", fmt.Sprintf("a data: URL %s is allowed with data: in %s", what, directive))
		} else {
			a.note(fmt.Sprintf("a data: URL %s is not allowed (%s); serve it as a file", what, directive))
		}
		return
	}
	o := originOf(raw)
	if o == "" {
		return // relative: the site itself
	}
	a.add(directive, o, fmt.Sprintf("%s from %s allowed in %s; with [csp] %s = [%q] in static.toml this is explicit", what, o, directive, directive, o))
}

// originOf is the origin of an absolute http(s) or protocol-relative URL
// ("https://cdn.example.com"), or "" for a URL of the site itself or of
// another scheme.
func originOf(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || strings.ContainsAny(u.Host, "${}`\\") {
		return ""
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme == "" {
		scheme = "https"
	}
	if scheme != "https" && scheme != "http" {
		return ""
	}
	return scheme + "://" + strings.ToLower(u.Host)
}

// inline hashes the content of an inline script or style element and
// looks at what the code does.
func (a *analysis) inline(kind, content string) {
	if kind == "script" {
		a.add("script-src", hash(content), "inline <script> allowed by its sha256 hash; a script file is simpler to maintain")
		a.includeInline("inline <script>", "script", AnalyzeJS([]byte(content)))
		return
	}
	a.add("style-src", hash(content), "inline <style> allowed by its sha256 hash")
	a.includeInline("inline <style>", "style", AnalyzeCSS([]byte(content)))
}

func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}
