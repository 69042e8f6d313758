package staticsite

import (
	"fmt"
	"net/http"
	"strings"
	"unicode"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/hardstatic/buildpack/internal/pattern"
)

func init() {
	caddy.RegisterModule(Redirects{})
	caddy.RegisterModule(ProxyPath{})
}

// Redirects answers requests that match one of its rules with a redirect;
// other requests go to the next handler. The first matching rule wins (a
// rule matches when its path pattern and its conditions do), and the
// request's query string is kept.
type Redirects struct {
	// Rules in the order they are tried.
	Rules []RedirectRule `json:"rules"`

	// CountryHeader is the request header country conditions read.
	// Default: CF-IPCountry.
	CountryHeader string `json:"country_header,omitempty"`

	// Site is the root of the static_site handler whose file table decides
	// whether a file is served at a path, for rules with force = false.
	// Default: none (every rule applies as if forced).
	Site string `json:"site,omitempty"`

	set *ruleSet
}

// RedirectRule redirects requests matching the route pattern From.
type RedirectRule struct {
	// From is a route pattern: literal segments, :name, and a final *.
	From string `json:"from"`
	// To is a path or URL; :name and :splat are replaced with the captures
	// of From and of the conditions.
	To string `json:"to"`
	// Status is the redirect status. Default: 301.
	Status int `json:"status,omitempty"`
	// Force applies the rule even when a file is served at the path; false
	// only when none is. Default: true.
	Force *bool `json:"force,omitempty"`
	Conditions
}

// CaddyModule returns the Caddy module information.
func (Redirects) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "http.handlers.static_redirects", New: func() caddy.Module { return new(Redirects) }}
}

// Provision compiles the rules.
func (rd *Redirects) Provision(caddy.Context) error {
	froms := make([]string, len(rd.Rules))
	conds := make([]Conditions, len(rd.Rules))
	for i, rule := range rd.Rules {
		// static.toml refuses these too; a rule from elsewhere must not
		// break the Location header line either.
		if strings.ContainsFunc(rule.To, unicode.IsControl) {
			return fmt.Errorf("redirect %d: the target %q has a control character", i+1, rule.To)
		}
		froms[i], conds[i] = rule.From, rule.Conditions
		if rd.Rules[i].Status == 0 {
			rd.Rules[i].Status = http.StatusMovedPermanently
		}
	}
	var err error
	rd.set, err = newRuleSet("redirect", froms, conds)
	return err
}

// ServeHTTP redirects on the first matching rule.
func (rd *Redirects) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	served := -1 // whether the site serves a file at the path: asked once, when needed
	shadowed := func(i int) bool {
		if f := rd.Rules[i].Force; f == nil || *f {
			return false
		}
		if served < 0 {
			served = 0
			if h := siteFor(rd.Site); h != nil && h.servesFile(r.URL.Path) {
				served = 1
			}
		}
		return served == 1
	}
	var target string
	i := rd.set.first(newRequest(r, rd.CountryHeader), r.URL.Path, shadowed, func(i int, vals map[string]string) bool {
		target = pattern.Expand(rd.Rules[i].To, vals)
		return true
	})
	if i < 0 {
		return next.ServeHTTP(w, r)
	}
	w.Header().Set("Location", redirectTarget(target, r.URL.RawQuery))
	w.WriteHeader(rd.Rules[i].Status)
	return nil
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
