package staticsite

import (
	"net/http"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/hardstatic/buildpack/internal/sitefs"
)

func init() {
	caddy.RegisterModule(Protected{})
}

// Protected matches requests whose canonical path basic auth protects
// (sitefs.Rule.Protected, the rule the build marks files with). A protected
// file reached at another URL (a clean URL, an index, a rewrite, the
// fallback, a link) is protected by the site handler itself.
type Protected struct {
	// Paths are the protected globs ("*" within one segment, "**" any
	// depth). Default: none, which protects every path but /.well-known/.
	Paths []string `json:"paths,omitempty"`

	rule *sitefs.Rule
}

// CaddyModule returns the Caddy module information.
func (Protected) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "http.matchers.static_protected", New: func() caddy.Module { return new(Protected) }}
}

// Provision compiles the globs.
func (m *Protected) Provision(caddy.Context) error {
	var err error
	m.rule, err = sitefs.NewRule(sitefs.RuleOptions{Protect: m.Paths, ProtectAll: len(m.Paths) == 0})
	return err
}

// Match reports whether the request path is protected.
func (m *Protected) Match(r *http.Request) bool {
	return m.rule.Protected(r.URL.Path)
}

// MatchWithError implements caddyhttp.RequestMatcherWithError.
func (m *Protected) MatchWithError(r *http.Request) (bool, error) { return m.Match(r), nil }

var _ caddyhttp.RequestMatcherWithError = (*Protected)(nil)
