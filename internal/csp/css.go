package csp

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/tdewolff/parse/v2"
	"github.com/tdewolff/parse/v2/css"
)

// MaxAssetSize is the largest stylesheet or script analysed; a larger one is
// reported and its pages get nothing for it.
const MaxAssetSize = 10 << 20

// Need is one source a stylesheet or script makes its pages need.
type Need struct {
	Directive, Source string
	// Reason says what in the file needs it, for the build log.
	Reason string
}

// Call is something a script does at run time that the policy blocks and
// only the author can decide to allow: an origin it fetches or connects to
// (a connect-src candidate), a worker made from a blob: URL (worker-src).
// Reported, never added.
type Call struct {
	Directive string // "connect-src"
	Origin    string // the source to allow: "https://api.example.com", "blob:"
	How       string // "fetch at line 3"
}

// Asset is what one of the site's stylesheets or scripts (or an inline
// <style> or <script>) makes the pages that load it need.
type Asset struct {
	Needs []Need
	// Imports are the URLs of the site's own stylesheets and modules it
	// loads in turn (@import, import), as written: relative to the file.
	Imports []string
	// Calls are the connect-src (and worker-src) candidates.
	Calls []Call
	// Notes are what the analysis could not do, for the build log.
	Notes []string

	seen map[string]bool
}

// maxListed bounds the imports and calls one file may list, and the
// distinct sources it may need: a hostile file cannot make every page that
// loads it carry thousands of entries.
const maxListed = 200

// first reports whether key is new, and remembers it; false also past
// maxListed entries of the kind.
func (a *Asset) first(kind, key string) bool {
	if a.seen == nil {
		a.seen = map[string]bool{}
	}
	if a.seen[kind+" "+key] {
		return false
	}
	a.seen[kind+" "+key] = true
	return true
}

func (a *Asset) need(directive, source, reason string) {
	if len(a.Needs) < maxListed && a.first("need", directive+" "+source) { // the first reason is enough
		a.Needs = append(a.Needs, Need{directive, source, reason})
	}
}

func (a *Asset) imports(u string) {
	if len(a.Imports) < maxListed && a.first("import", u) {
		a.Imports = append(a.Imports, u)
	}
}

func (a *Asset) calls(directive, origin, how string) {
	if len(a.Calls) < maxListed && a.first("call", directive+" "+origin) { // the first call is enough
		a.Calls = append(a.Calls, Call{directive, origin, how})
	}
}

// tooBig is the asset of a file larger than MaxAssetSize.
func tooBig(kind string) Asset {
	return Asset{Notes: []string{fmt.Sprintf("%s larger than %d MB: not analysed", kind, MaxAssetSize>>20)}}
}

// AnalyzeCSS reads a stylesheet (or the content of a <style> element or a
// style attribute): data: URLs need img-src data: (font-src data: inside
// @font-face or for a font type), URLs of other sites need their origin in
// img-src or font-src (style-src for @import), and @import of the site's own
// stylesheets are followed. It takes time linear in the size of the text.
func AnalyzeCSS(data []byte) Asset {
	if len(data) > MaxAssetSize {
		return tooBig("stylesheet")
	}
	var a Asset
	line := 1
	lex(&a, "CSS", &line, func() { a.readCSS(data, &line) })
	return a
}

func (a *Asset) readCSS(data []byte, linep *int) {
	l := css.NewLexer(parse.NewInputBytes(data))
	line := 1
	defer func() { *linep = line }()
	depth, fontFace := 0, -1 // fontFace: the depth of the open @font-face block
	atRule := ""             // the at-keyword whose prelude is being read
	fn := ""                 // the function whose arguments are being read
	for {
		tt, text := l.Next()
		if tt == css.ErrorToken {
			return
		}
		switch tt {
		case css.AtKeywordToken:
			atRule = strings.ToLower(string(text))
		case css.LeftBraceToken:
			depth++
			if atRule == "@font-face" {
				fontFace = depth
			}
			atRule = ""
		case css.RightBraceToken:
			if depth == fontFace {
				fontFace = -1
			}
			depth--
		case css.SemicolonToken:
			atRule = ""
		case css.URLToken:
			a.cssURL(cssURLValue(text), atRule == "@import", fontFace >= 0, line)
		case css.StringToken:
			if atRule == "@import" {
				a.cssURL(unquote(text), true, false, line)
			} else if v := unquote(text); hasDataPrefix(v) && strings.Contains(fn, "image-set") {
				a.cssURL(v, false, fontFace >= 0, line) // image-set("data:...")
			}
		case css.FunctionToken:
			fn = strings.ToLower(string(text))
		case css.RightParenthesisToken:
			fn = ""
		}
		line += bytes.Count(text, []byte{'\n'})
	}
}

// cssURL records what one URL of a stylesheet needs.
func (a *Asset) cssURL(raw string, isImport, inFontFace bool, line int) {
	raw = strings.TrimSpace(raw)
	switch {
	case raw == "" || strings.HasPrefix(raw, "#"):
		return
	case hasDataPrefix(raw):
		if isImport {
			a.Notes = append(a.Notes, fmt.Sprintf("@import of a data: URL at line %d is blocked (style-src); import a file", line))
			return
		}
		directive, what := dataDirective(raw, inFontFace)
		a.need(directive, "data:", fmt.Sprintf("a data: %s in url() at line %d", what, line))
		return
	}
	directive, what := "img-src", "image"
	if isImport {
		directive, what = "style-src", "stylesheet (@import)"
	} else if inFontFace {
		directive, what = "font-src", "font (@font-face)"
	}
	if o := originOf(raw); o != "" {
		a.need(directive, o, fmt.Sprintf("a %s from %s at line %d", what, o, line))
		return
	}
	if isImport {
		a.imports(raw)
	}
}

// dataDirective is where a data: URL is allowed: font-src for fonts
// (inside @font-face, or a font type), img-src otherwise.
func dataDirective(raw string, inFontFace bool) (string, string) {
	mime := strings.ToLower(raw[len("data:"):])
	if i := strings.IndexAny(mime, ";,"); i >= 0 {
		mime = mime[:i]
	}
	if inFontFace || strings.HasPrefix(mime, "font/") || strings.Contains(mime, "font") || strings.Contains(mime, "woff") {
		return "font-src", "font"
	}
	return "img-src", "image"
}

func hasDataPrefix(s string) bool {
	return len(s) >= 5 && strings.EqualFold(s[:5], "data:")
}

// cssURLValue is the URL inside a url(...) token.
func cssURLValue(tok []byte) string {
	s := string(tok)
	if i := strings.IndexByte(s, '('); i >= 0 {
		s = s[i+1:]
	}
	s = strings.TrimSpace(strings.TrimSuffix(s, ")"))
	return unquote([]byte(s))
}

func unquote(b []byte) string {
	s := string(b)
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	if len(s) >= 1 && (s[0] == '"' || s[0] == '\'') {
		return s[1:]
	}
	return s
}
