// Package pattern compiles the two path syntaxes of static.toml:
//
//   - Route patterns (redirects, rewrites, proxies): literal segments,
//     ":name" for one segment and a final "*" for the rest of the path, or
//     "*" inside the last segment for any characters but "/" (Heroku's
//     "/*.html"). Captures are substituted into targets as :name and :splat.
//   - Globs (headers, basic_auth paths): "*" matches within one segment,
//     "**" any number of segments, "?" one character.
package pattern

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// Route is a compiled route pattern.
type Route struct {
	source  string
	re      *regexp.Regexp
	names   []string
	literal []string // the leading segments written literally
}

// literalPrefix is the segments before the first placeholder or *: every
// path the route matches starts with exactly these segments.
func literalPrefix(segs []string) []string {
	for i, seg := range segs {
		if strings.HasPrefix(seg, ":") || strings.Contains(seg, "*") {
			return segs[:i]
		}
	}
	return segs
}

// InSegmentStar reports whether the pattern has a * inside its last
// segment ("/*.html") rather than as the whole segment.
func (r *Route) InSegmentStar() bool {
	i := strings.LastIndexByte(r.source, '/')
	last := r.source[i+1:]
	return strings.Contains(last, "*") && last != "*"
}

// CompileRoute compiles a route pattern such as "/blog/:year/*".
func CompileRoute(p string) (*Route, error) {
	if !strings.HasPrefix(p, "/") {
		return nil, fmt.Errorf("pattern %q must start with /", p)
	}
	var b strings.Builder
	b.WriteString("^")
	var names []string
	segs := strings.Split(p[1:], "/")
	for i, seg := range segs {
		last := i == len(segs)-1
		switch {
		case seg == "*" && last:
			if i == 0 {
				b.WriteString("/(.*)")
			} else {
				// "/blog/*" matches /blog, /blog/ and /blog/anything.
				b.WriteString("(?:/(.*))?")
			}
			names = append(names, "splat")
			continue
		case strings.Contains(seg, "**"):
			return nil, fmt.Errorf("pattern %q: ** is written as a final /* (the rest of the path)", p)
		case strings.Contains(seg, "*") && last:
			// Heroku's routes: * inside the last segment is any characters
			// but /, possibly none ("/*.html"); one is reused as :splat.
			star := "(?:[^/]*)"
			if strings.Count(seg, "*") == 1 {
				star = "([^/]*)"
				names = append(names, "splat")
			}
			b.WriteString("/")
			for i, lit := range strings.Split(seg, "*") {
				if i > 0 {
					b.WriteString(star)
				}
				b.WriteString(regexp.QuoteMeta(lit))
			}
			continue
		case strings.Contains(seg, "*"):
			return nil, fmt.Errorf("pattern %q: * may only stand in the last segment, as in /blog/* or /docs/*.html", p)
		case strings.HasPrefix(seg, ":"):
			name := seg[1:]
			if !validName(name) {
				return nil, fmt.Errorf("pattern %q: placeholder %q must be :letters, digits or _", p, seg)
			}
			for _, n := range names {
				if n == name {
					return nil, fmt.Errorf("pattern %q: placeholder :%s appears twice", p, name)
				}
			}
			names = append(names, name)
			b.WriteString("/([^/]+)")
		default:
			b.WriteString("/" + regexp.QuoteMeta(seg))
		}
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("pattern %q: %w", p, err)
	}
	return &Route{source: p, re: re, names: names, literal: literalPrefix(segs)}, nil
}

func validName(s string) bool {
	if s == "" || s == "splat" {
		return false
	}
	for _, c := range s {
		if c != '_' && (c < '0' || c > '9') && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

// Names returns the placeholders of the pattern, "splat" for *.
func (r *Route) Names() []string { return r.names }

// String returns the source pattern.
func (r *Route) String() string { return r.source }

// Match reports whether path matches and returns the captured values.
func (r *Route) Match(path string) (map[string]string, bool) {
	m := r.re.FindStringSubmatch(path)
	if m == nil {
		return nil, false
	}
	vals := make(map[string]string, len(r.names))
	for i, n := range r.names {
		vals[n] = m[i+1]
	}
	return vals, true
}

// Expand substitutes :name and :splat in target with captured values,
// escaping them for a URL path.
func Expand(target string, vals map[string]string) string {
	if len(vals) == 0 || !strings.Contains(target, ":") {
		return target
	}
	var b strings.Builder
	for i := 0; i < len(target); i++ {
		if target[i] == ':' {
			j := i + 1
			for j < len(target) && isNameChar(target[j]) {
				j++
			}
			if v, ok := vals[target[i+1:j]]; ok && j > i+1 {
				b.WriteString(escapePath(v))
				i = j - 1
				continue
			}
		}
		b.WriteByte(target[i])
	}
	return b.String()
}

// Placeholders lists the :names used in target.
func Placeholders(target string) []string {
	var out []string
	for i := 0; i < len(target); i++ {
		if target[i] != ':' {
			continue
		}
		j := i + 1
		for j < len(target) && isNameChar(target[j]) {
			j++
		}
		if j > i+1 && (i == 0 || target[i-1] == '/') {
			out = append(out, target[i+1:j])
		}
		i = j - 1
	}
	return out
}

func isNameChar(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func escapePath(s string) string {
	return (&url.URL{Path: s}).EscapedPath()
}

// Glob is a compiled path glob.
type Glob struct {
	source string
	re     *regexp.Regexp
}

// CompileGlob compiles a glob such as "/assets/**" or "/*.js".
func CompileGlob(g string) (*Glob, error) {
	if !strings.HasPrefix(g, "/") {
		return nil, fmt.Errorf("glob %q must start with /", g)
	}
	re, err := regexp.Compile(GlobRegexp(g))
	if err != nil {
		return nil, fmt.Errorf("glob %q: %w", g, err)
	}
	return &Glob{source: g, re: re}, nil
}

// GlobRegexp translates a glob to an anchored regular expression.
func GlobRegexp(g string) string {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(g); i++ {
		switch {
		case strings.HasPrefix(g[i:], "/**/"):
			b.WriteString("/(?:.*/)?")
			i += 3
		case strings.HasPrefix(g[i:], "/**") && i+3 == len(g):
			b.WriteString("(?:/.*)?")
			i += 2
		case strings.HasPrefix(g[i:], "**"):
			b.WriteString(".*")
			i++
		case g[i] == '*':
			b.WriteString("[^/]*")
		case g[i] == '?':
			b.WriteString("[^/]")
		default:
			b.WriteString(regexp.QuoteMeta(g[i : i+1]))
		}
	}
	b.WriteString("$")
	return b.String()
}

// Match reports whether path matches the glob.
func (g *Glob) Match(path string) bool { return g.re.MatchString(path) }

// String returns the source glob.
func (g *Glob) String() string { return g.source }

// Regexp returns the anchored regular expression the pattern compiles to.
func (r *Route) Regexp() string { return r.re.String() }
