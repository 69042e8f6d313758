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
	caddy.RegisterModule(Redirects{})
	caddy.RegisterModule(ProxyPath{})
}

// Redirects answers requests that match one of its rules with a redirect;
// other requests go to the next handler. The first matching rule wins, and
// the request's query string is kept.
type Redirects struct {
	// Rules in the order they are tried.
	Rules []RedirectRule `json:"rules"`

	compiled []*pattern.Route
}

// RedirectRule redirects requests matching the route pattern From.
type RedirectRule struct {
	// From is a route pattern: literal segments, :name, and a final *.
	From string `json:"from"`
	// To is a path or URL; :name and :splat are replaced with the captures.
	To string `json:"to"`
	// Status is the redirect status. Default: 301.
	Status int `json:"status,omitempty"`
}

// CaddyModule returns the Caddy module information.
func (Redirects) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "http.handlers.static_redirects", New: func() caddy.Module { return new(Redirects) }}
}

// Provision compiles the rules.
func (rd *Redirects) Provision(caddy.Context) error {
	rd.compiled = make([]*pattern.Route, len(rd.Rules))
	for i, rule := range rd.Rules {
		route, err := pattern.CompileRoute(rule.From)
		if err != nil {
			return fmt.Errorf("redirect %d: %w", i+1, err)
		}
		if rd.Rules[i].Status == 0 {
			rd.Rules[i].Status = http.StatusMovedPermanently
		}
		rd.compiled[i] = route
	}
	return nil
}

// ServeHTTP redirects on the first matching rule.
func (rd *Redirects) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	for i, route := range rd.compiled {
		vals, ok := route.Match(r.URL.Path)
		if !ok {
			continue
		}
		w.Header().Set("Location", redirectTarget(pattern.Expand(rd.Rules[i].To, vals), r.URL.RawQuery))
		w.WriteHeader(rd.Rules[i].Status)
		return nil
	}
	return next.ServeHTTP(w, r)
}

// redirectTarget adds the query to target. A local target always starts
// with exactly one slash, so a capture cannot turn it into //other.host.
func redirectTarget(target, query string) string {
	if strings.HasPrefix(target, "/") {
		target = "/" + strings.TrimLeft(target, "/\\")
	}
	if query == "" {
		return target
	}
	if strings.Contains(target, "?") {
		return target + "&" + query
	}
	return target + "?" + query
}

// ProxyPath rewrites the request path for a proxy: the part matched by the
// final * of From is appended to BasePath.
type ProxyPath struct {
	From     string `json:"from"`
	BasePath string `json:"base_path,omitempty"`

	route *pattern.Route
}

// CaddyModule returns the Caddy module information.
func (ProxyPath) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "http.handlers.static_proxy_path", New: func() caddy.Module { return new(ProxyPath) }}
}

// Provision compiles From.
func (pp *ProxyPath) Provision(caddy.Context) error {
	route, err := pattern.CompileRoute(pp.From)
	pp.route = route
	return err
}

// ServeHTTP rewrites the path and calls the next handler.
func (pp *ProxyPath) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	vals, _ := pp.route.Match(r.URL.Path)
	p := strings.TrimSuffix(pp.BasePath, "/") + "/" + vals["splat"]
	if _, hasSplat := vals["splat"]; !hasSplat {
		p = pp.BasePath
		if p == "" {
			p = "/"
		}
	}
	r.URL.Path, r.URL.RawPath = p, ""
	return next.ServeHTTP(w, r)
}

// Interface guards.
var (
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
	_ caddyhttp.MiddlewareHandler = (*Redirects)(nil)
	_ caddyhttp.MiddlewareHandler = (*ProxyPath)(nil)
	_ caddy.Provisioner           = (*Handler)(nil)
	_ caddy.Validator             = (*Handler)(nil)
	_ caddy.CleanerUpper          = (*Handler)(nil)
)
