// Package csp computes, at build time, the strictest Content-Security-Policy
// under which one HTML page works: hashes for its inline <script> and <style>
// elements, hashed style attributes and event handlers (with
// 'unsafe-hashes', reported so the author can move them out), and the
// external origins the page loads from.
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
}

// Empty reports whether the page needs nothing beyond the site policy.
func (p Page) Empty() bool { return len(p.Add) == 0 }

// inlineScriptTypes are the <script> types browsers execute.
var inlineScriptTypes = map[string]bool{"": true, "text/javascript": true, "module": true, "application/javascript": true}

type analysis struct {
	page   Page
	seen   map[string]bool
	counts map[string]int
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
	a := &analysis{seen: map[string]bool{}, counts: map[string]int{}}
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
	return a.page
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
	}
	return ""
}

func (a *analysis) link(attrs map[string]string) {
	href := attrs["href"]
	for _, rel := range strings.Fields(strings.ToLower(attrs["rel"])) {
		switch rel {
		case "stylesheet":
			a.origin("style-src", href, "stylesheet")
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
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return // relative: the site itself
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme == "" {
		scheme = "https"
	}
	if scheme != "https" && scheme != "http" {
		return
	}
	o := scheme + "://" + strings.ToLower(u.Host)
	a.add(directive, o, fmt.Sprintf("%s from %s allowed in %s; with [csp] %s = [%q] in static.toml this is explicit", what, o, directive, directive, o))
}

// inline hashes the content of an inline script or style element.
func (a *analysis) inline(kind, content string) {
	if kind == "script" {
		a.add("script-src", hash(content), "inline <script> allowed by its sha256 hash; a script file is simpler to maintain")
		return
	}
	a.add("style-src", hash(content), "inline <style> allowed by its sha256 hash")
}

func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// Policy merges a page's additions into the site-wide policy value.
func Policy(site string, p Page) string {
	return policy.FormatCSP(policy.Merge(policy.ParseCSP(site), p.Add))
}
