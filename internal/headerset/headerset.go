// Package headerset computes, once at start, the complete response header
// set of each kind of answer the file handler gives (internal/staticsite):
// the site's security headers, the handler's own headers (the page's
// policy, Cache-Control, Vary, ...), then every [headers] table whose glob
// matches the request path, in file order, with removals. The handler
// assigns the result to the response directly: no placeholder replacement
// and no merging per request. It is pure: no I/O, no Caddy.
//
// The order is the one the server applied before these sets existed, and
// the one it still applies to answers the handler does not give
// (redirects, proxies, errors): site headers first, then the handler, then
// the [headers] tables, the one written last winning.
package headerset

import (
	"fmt"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/hardstatic/buildpack/internal/pattern"
	"github.com/hardstatic/buildpack/internal/policy"
)

// Header is a response header; an empty Value removes it.
type Header = policy.Header

// Rule is one [headers."glob"] table.
type Rule struct {
	Glob    string   `json:"glob"`
	Headers []Header `json:"set"`
}

// Field is a header name (canonical) with its values. Values has no spare
// capacity, so an append by anyone copies instead of writing into a slice
// shared by every response.
type Field struct {
	Name   string
	Values []string
}

func field(name string, values ...string) Field {
	return Field{http.CanonicalHeaderKey(name), slices.Clip(values)}
}

// Patch turns one header map into another: Set is assigned, then Delete
// removed.
type Patch struct {
	Set    []Field
	Delete []string
}

// Apply changes h; the values are shared, not copied.
func (p *Patch) Apply(h http.Header) {
	for _, f := range p.Set {
		h[f.Name] = f.Values
	}
	for _, name := range p.Delete {
		delete(h, name)
	}
}

// Site is the patch of the site-wide headers: every header with a value is
// set, every empty one removed, and with dropServer the Server header too.
func Site(headers []Header, dropServer bool) *Patch {
	p := &Patch{}
	if dropServer {
		p.Delete = append(p.Delete, "Server")
	}
	for _, h := range headers {
		name := http.CanonicalHeaderKey(h.Name)
		p.Set = slices.DeleteFunc(p.Set, func(f Field) bool { return f.Name == name })
		p.Delete = slices.DeleteFunc(p.Delete, func(n string) bool { return n == name })
		if h.Value == "" {
			p.Delete = append(p.Delete, name)
			continue
		}
		p.Set = append(p.Set, field(name, h.Value))
	}
	return p
}

// MaxRules is the number of rules a Mask can hold; with more, Match
// reports false and the caller applies the rules per response.
const MaxRules = 64

// Mask says which rules match a path: bit i for rule i.
type Mask uint64

// Rules are the compiled [headers] tables.
type Rules struct {
	res     []*regexp.Regexp
	patches []*Patch
}

// CompileRules compiles the tables' globs the way the server's path
// matcher reads them (pattern.GlobRegexp).
func CompileRules(rules []Rule) (*Rules, error) {
	rs := &Rules{}
	for i, r := range rules {
		re, err := regexp.Compile(pattern.GlobRegexp(r.Glob))
		if err != nil {
			return nil, fmt.Errorf("headers rule %d (%q): %w", i+1, r.Glob, err)
		}
		rs.res = append(rs.res, re)
		rs.patches = append(rs.patches, Site(r.Headers, false))
	}
	return rs, nil
}

// Len is the number of rules.
func (rs *Rules) Len() int {
	if rs == nil {
		return 0
	}
	return len(rs.res)
}

// Match returns the rules matching a request path, after cleaning it as
// Caddy's path matchers do (doubled slashes and dot segments; a trailing
// slash is kept). ok is false when there are more than MaxRules rules.
func (rs *Rules) Match(urlPath string) (m Mask, ok bool) {
	if rs.Len() > MaxRules {
		return 0, false
	}
	p := cleanPath(urlPath)
	for i, re := range rs.res {
		if re.MatchString(p) {
			m |= 1 << i
		}
	}
	return m, true
}

// Apply applies the rules matching urlPath to h, in order (for answers
// whose headers were not computed ahead).
func (rs *Rules) Apply(h http.Header, urlPath string) {
	p := cleanPath(urlPath)
	for i, re := range rs.res {
		if re.MatchString(p) {
			rs.patches[i].Apply(h)
		}
	}
}

// ApplyMask applies the rules of m to h, in order.
func (rs *Rules) ApplyMask(h http.Header, m Mask) {
	for i := range rs.res {
		if m&(1<<i) != 0 {
			rs.patches[i].Apply(h)
		}
	}
}

func cleanPath(p string) string {
	if !strings.Contains(p, "//") && !strings.Contains(p, "/.") {
		return p
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}

// Answer is what the handler itself sets on one kind of answer, after the
// site headers: Shared are the same for every file of the kind (the page's
// policy, Cache-Control, Vary, ...), PerFile names the headers it sets from
// the file (ETag, Content-Type, Content-Length, Content-Encoding).
type Answer struct {
	Shared  []Header
	PerFile []string
	// SetIfAbsent are set only when the site headers have not set them
	// (Cache-Control: a site-wide value wins over the file's).
	SetIfAbsent []Header
	// Add are appended to what the site headers set (Vary).
	Add []Header
}

// Complete is the patch a handler applies, after it set the answer's
// per-file headers, to the header map the site patch left, so that the map
// holds the complete set: site headers, then the answer's, then the rules
// of m.
func Complete(site *Patch, a Answer, rules *Rules, m Mask) *Patch {
	before := http.Header{}
	site.Apply(before)
	perFile := []string{"\x00per-file"}
	h := before.Clone()
	for _, x := range a.Shared {
		setOrDelete(h, x)
	}
	for _, x := range a.SetIfAbsent {
		if _, set := h[http.CanonicalHeaderKey(x.Name)]; !set {
			setOrDelete(h, x)
		}
	}
	for _, x := range a.Add {
		h.Add(x.Name, x.Value)
	}
	for _, name := range a.PerFile {
		h[http.CanonicalHeaderKey(name)] = perFile
	}
	if rules != nil {
		rules.ApplyMask(h, m)
	}
	p := &Patch{}
	for name, vals := range h {
		if len(vals) == 1 && len(perFile) == 1 && &vals[0] == &perFile[0] {
			continue
		}
		if slices.Equal(before[name], vals) && before[name] != nil {
			continue
		}
		p.Set = append(p.Set, field(name, vals...))
	}
	for name := range before {
		if _, kept := h[name]; !kept {
			p.Delete = append(p.Delete, name)
		}
	}
	for _, name := range a.PerFile {
		name = http.CanonicalHeaderKey(name)
		if _, kept := h[name]; !kept && !slices.Contains(p.Delete, name) {
			p.Delete = append(p.Delete, name)
		}
	}
	slices.SortFunc(p.Set, func(a, b Field) int { return strings.Compare(a.Name, b.Name) })
	slices.Sort(p.Delete)
	return p
}

func setOrDelete(h http.Header, x Header) {
	if x.Value == "" {
		h.Del(x.Name)
		return
	}
	h.Set(x.Name, x.Value)
}
