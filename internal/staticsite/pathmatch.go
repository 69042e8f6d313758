package staticsite

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/hardstatic/buildpack/internal/pattern"
)

func init() {
	caddy.RegisterModule(PathGlobs{})
}

// PathGlobs matches requests whose path, or a file the site handler may
// serve for that path, matches one of the globs. A glob naming a page such
// as /reports/q3.html therefore also covers its clean URL /reports/q3, and
// /docs/index.html covers /docs/, so protecting a file cannot be bypassed
// through another URL of the same file.
type PathGlobs struct {
	// Globs: "*" within one segment, "**" any depth.
	Globs []string `json:"globs"`

	compiled []*pattern.Glob
}

// CaddyModule returns the Caddy module information.
func (PathGlobs) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "http.matchers.static_paths", New: func() caddy.Module { return new(PathGlobs) }}
}

// Provision compiles the globs.
func (m *PathGlobs) Provision(caddy.Context) error {
	m.compiled = make([]*pattern.Glob, 0, len(m.Globs))
	for _, g := range m.Globs {
		c, err := pattern.CompileGlob(g)
		if err != nil {
			return fmt.Errorf("static_paths: %w", err)
		}
		m.compiled = append(m.compiled, c)
	}
	return nil
}

// Match reports whether the request path, or a file it may be served from,
// matches a glob.
func (m *PathGlobs) Match(r *http.Request) bool {
	ok, _ := m.MatchWithError(r)
	return ok
}

// MatchWithError implements caddyhttp.RequestMatcherWithError.
func (m *PathGlobs) MatchWithError(r *http.Request) (bool, error) {
	for _, candidate := range servedPaths(r.URL.Path) {
		for _, g := range m.compiled {
			if g.Match(candidate) {
				return true, nil
			}
		}
	}
	return false, nil
}

// servedPaths lists the path and the file paths the site handler may serve
// for it: clean URLs (/a -> /a.html) and directory indexes (/a/ ->
// /a/index.html). Double slashes are collapsed as the handler does.
func servedPaths(p string) []string {
	for strings.Contains(p, "//") {
		p = strings.ReplaceAll(p, "//", "/")
	}
	trimmed := strings.TrimSuffix(p, "/")
	out := []string{p, trimmed + "/index.html"}
	if trimmed != "" {
		out = append(out, trimmed, trimmed+".html")
	}
	return out
}

var _ caddyhttp.RequestMatcherWithError = (*PathGlobs)(nil)
