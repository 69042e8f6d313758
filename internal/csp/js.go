package csp

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/tdewolff/parse/v2"
	"github.com/tdewolff/parse/v2/js"
)

// maxLexErrors stops reading a script that is not JavaScript.
const maxLexErrors = 100

// Reasons for the style relaxations, each written once.
const (
	reasonStyleElem = "inserts <style> elements at run time; style-src-elem 'unsafe-inline' without hashes (a hash would make browsers ignore it)"
	reasonStyleAttr = "sets style attributes at run time; style-src-attr 'unsafe-inline' without hashes (a hash would make browsers ignore it)"
)

// styleAttrInMarkup finds a style attribute in HTML text a script inserts
// (innerHTML, insertAdjacentHTML, templates).
var styleAttrInMarkup = regexp.MustCompile(`(?i)<[a-z][a-z0-9-]*(?:\s[^<>]*)?\sstyle\s*=`)

// dataURL finds data: URLs inside a string, with their type.
var dataURL = regexp.MustCompile(`(?i)(?:^|[\s"'(=,])data:([a-z0-9.+-]*/[a-z0-9.+-]*)?[;,]?`)

// AnalyzeJS reads a script as tokens (so strings, comments and regular
// expressions are told apart) and finds what it does that a policy decides:
//
//   - inserting <style> elements (createElement("style"), markup with
//     <style>) needs style-src-elem 'unsafe-inline';
//   - setting style attributes (setAttribute("style"), jQuery's
//     attr("style"), markup with style=) needs style-src-attr 'unsafe-inline'.
//     The CSSOM (element.style.color, style.cssText, insertRule on a linked
//     sheet, adoptedStyleSheets) is not subject to CSP and needs nothing;
//   - data: URLs in strings need img-src data: (font-src data: for fonts);
//   - fetch, WebSocket, EventSource, sendBeacon and XMLHttpRequest.open with
//     an absolute URL are connect-src candidates, reported, not added; so
//     is a worker made from a blob: URL (worker-src blob:);
//   - import of the site's own modules is followed; of another site's, needs
//     its origin in script-src.
//
// It takes time linear in the size of the script.
func AnalyzeJS(data []byte) Asset {
	if len(data) > MaxAssetSize {
		return tooBig("script")
	}
	s := jsScan{line: 1}
	lex(&s.a, "JavaScript", &s.line, func() { s.run(data) })
	return s.a
}

func (s *jsScan) run(data []byte) {
	l := js.NewLexer(parse.NewInputBytes(data))
	errs := 0
	for {
		tt, text := l.Next()
		if tt == js.ErrorToken {
			if l.Err() == io.EOF {
				return
			}
			if errs++; errs > maxLexErrors {
				s.a.Notes = append(s.a.Notes, fmt.Sprintf("not JavaScript past line %d: read up to there", s.line))
				return
			}
		}
		if (tt == js.DivToken || tt == js.DivEqToken) && s.regexpExpected() {
			tt, text = l.RegExp()
		}
		s.token(tt, text)
		s.line += bytes.Count(text, []byte{'\n'})
	}
}

// lex runs read, which uses a tdewolff/parse lexer, and keeps what it found
// when the lexer fails on hostile input (v2.8.20 reads past the end of a
// script that ends in a stray "#").
func lex(a *Asset, what string, line *int, read func()) {
	defer func() {
		if r := recover(); r != nil {
			a.Notes = append(a.Notes, fmt.Sprintf("not %s past line %d: read up to there", what, *line))
		}
	}()
	read()
}

type jsTok struct {
	tt   js.TokenType
	text string // identifiers and punctuators only; "" for strings
}

type jsScan struct {
	a    Asset
	line int
	// last holds the latest significant tokens, newest last.
	last [4]jsTok
	// blobURL and newWorker record what makes a worker from a blob: URL.
	blobURL   bool
	newWorker string
}

func (s *jsScan) push(t jsTok) {
	copy(s.last[:], s.last[1:])
	s.last[len(s.last)-1] = t
}

// back returns the token n places before the current one (1 = previous).
func (s *jsScan) back(n int) jsTok { return s.last[len(s.last)-n] }

func (s *jsScan) token(tt js.TokenType, text []byte) {
	switch tt {
	case js.WhitespaceToken, js.LineTerminatorToken, js.CommentToken, js.CommentLineTerminatorToken:
		return
	case js.StringToken:
		s.str(strings.ReplaceAll(unquote(text), `\/`, "/"), true)
		s.push(jsTok{tt: tt})
		return
	case js.TemplateToken, js.TemplateStartToken, js.TemplateMiddleToken, js.TemplateEndToken:
		s.str(string(text), tt == js.TemplateToken || tt == js.TemplateStartToken)
		s.push(jsTok{tt: tt})
		return
	}
	if js.IsIdentifierName(tt) || js.IsPunctuator(tt) {
		s.push(jsTok{tt: tt, text: string(text)})
		s.worker()
		return
	}
	s.push(jsTok{tt: tt})
}

// regexpExpected reports whether a / here starts a regular expression
// rather than a division: after an operand it divides.
func (s *jsScan) regexpExpected() bool {
	p := s.back(1)
	switch p.tt {
	case js.CloseParenToken, js.CloseBracketToken, js.CloseBraceToken, js.StringToken, js.TemplateToken, js.TemplateEndToken,
		js.RegExpToken, js.ThisToken, js.SuperToken, js.NullToken, js.TrueToken, js.FalseToken, js.PrivateIdentifierToken,
		js.IncrToken, js.DecrToken:
		return false
	}
	return !js.IsNumeric(p.tt) && !js.IsIdentifier(p.tt)
}

// calledWith reports whether the string being read is the first argument
// of a call to one of names: name ( "string".
func (s *jsScan) calledWith(names ...string) string {
	if s.back(1).tt != js.OpenParenToken {
		return ""
	}
	for _, n := range names {
		if s.back(2).text == n {
			return n
		}
	}
	return ""
}

// secondArgOf reports whether the string being read is the second argument
// of a call to name whose first argument is a string: name ( "x" , "string".
func (s *jsScan) secondArgOf(name string) bool {
	return s.back(1).tt == js.CommaToken && s.back(2).tt == js.StringToken && s.back(3).tt == js.OpenParenToken && s.back(4).text == name
}

// str looks at one string literal or template piece. first is false for
// the pieces of a template after a ${...}.
func (s *jsScan) str(v string, first bool) {
	at := fmt.Sprintf(" at line %d", s.line)
	if first && strings.EqualFold(v, "style") {
		switch {
		case s.calledWith("createElement") != "" || s.secondArgOf("createElementNS"):
			s.a.need("style-src-elem", "'unsafe-inline'", `createElement("style")`+at+": "+reasonStyleElem)
		case s.calledWith("setAttribute", "attr") != "" || s.secondArgOf("setAttributeNS"):
			s.a.need("style-src-attr", "'unsafe-inline'", s.back(2).text+`("style")`+at+": "+reasonStyleAttr)
		}
	}
	if first {
		if f := s.calledWith("fetch", "WebSocket", "EventSource", "sendBeacon"); f != "" {
			s.call(v, f+at)
		} else if s.secondArgOf("open") {
			s.call(v, "XMLHttpRequest.open"+at)
		}
		if s.back(1).tt == js.FromToken || s.back(1).tt == js.ImportToken || s.calledWith("import") != "" {
			s.module(v, at)
		}
	}
	lower := strings.ToLower(v)
	if strings.Contains(lower, "<style") {
		s.a.need("style-src-elem", "'unsafe-inline'", "markup with <style>"+at+": "+reasonStyleElem)
	}
	if strings.Contains(lower, "style") && styleAttrInMarkup.MatchString(v) {
		s.a.need("style-src-attr", "'unsafe-inline'", "markup with a style attribute"+at+": "+reasonStyleAttr)
	}
	if strings.Contains(lower, "data:") {
		for _, m := range dataURL.FindAllStringSubmatch(v, -1) {
			directive, what := dataDirective("data:"+m[1], false)
			s.a.need(directive, "data:", fmt.Sprintf("a data: %s URL%s", what, at))
		}
	}
}

// worker notes new Worker(...) and URL.createObjectURL in a script: both
// make a worker from a blob: URL (Redoc's search), which worker-src (by
// default script-src) blocks: a worker-src candidate.
func (s *jsScan) worker() {
	switch t := s.back(1); {
	case t.text == "createObjectURL":
		s.blobURL = true
	case (t.text == "Worker" || t.text == "SharedWorker") && s.back(2).tt == js.NewToken:
		s.newWorker = fmt.Sprintf("new %s at line %d", t.text, s.line)
	default:
		return
	}
	if s.blobURL && s.newWorker != "" {
		s.a.calls("worker-src", "blob:", s.newWorker+" with URL.createObjectURL")
	}
}

// call records a connect-src candidate.
func (s *jsScan) call(raw, how string) {
	u := strings.TrimSpace(raw)
	lower := strings.ToLower(u)
	if strings.HasPrefix(lower, "ws://") || strings.HasPrefix(lower, "wss://") {
		if o := wsOrigin(u); o != "" {
			s.a.calls("connect-src", o, how)
		}
		return
	}
	if o := originOf(u); o != "" {
		s.a.calls("connect-src", o, how)
	}
}

// module records an import: the site's own module is followed, another
// site's needs its origin in script-src; bare names ("react") are resolved
// by an import map or a bundler and are left alone.
func (s *jsScan) module(spec, at string) {
	switch {
	case originOf(spec) != "":
		s.a.need("script-src", originOf(spec), "imports a module from "+originOf(spec)+at)
	case strings.HasPrefix(spec, "/") || strings.HasPrefix(spec, "./") || strings.HasPrefix(spec, "../"):
		s.a.imports(spec)
	}
}

func wsOrigin(raw string) string {
	rest := raw[strings.Index(raw, "://")+3:]
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	if rest == "" || strings.ContainsAny(rest, " \\$`{}") {
		return ""
	}
	return strings.ToLower(raw[:strings.Index(raw, "://")]) + "://" + strings.ToLower(rest)
}
