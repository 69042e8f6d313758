package buildpack

import (
	"strings"

	"github.com/hardstatic/buildpack/internal/config"
	"github.com/hardstatic/buildpack/internal/pattern"
	"github.com/hardstatic/buildpack/internal/policy"
)

// Summary is what a planned site does, in the terms its author knows: the
// routes in the order a request meets them, the header rules, a verdict on
// each security header and what is never served. It is built once from a
// plan and rendered by the build log and by `static-server check`.
type Summary struct {
	// Routes are in the order a request meets them.
	Routes []Route
	// Headers are the site-wide response headers, in order.
	Headers []policy.Header
	// ReportOnly is csp.report_only: the policy is reported, not enforced.
	ReportOnly bool
	// HeaderRules are the [headers."glob"] tables, in file order.
	HeaderRules []config.HeaderRule
	// Site judges the site-wide headers, as the Mozilla HTTP Observatory
	// grades them.
	Site []policy.Verdict
	// Home judges the headers of the home page: the site-wide headers with
	// every header rule that matches / over them.
	Home []policy.Verdict
	// ByRule judges, for each header rule, the graded headers it changes.
	ByRule []RuleVerdict
	// Never lists the names (relative to the root) and hide globs that are
	// never served, besides dotfiles, directory listings and anything
	// outside the root.
	Never []string
}

// RuleVerdict is the verdict on a header that a header rule changes.
type RuleVerdict struct {
	Glob string
	policy.Verdict
}

// RouteKind says what a route does.
type RouteKind int

// Route kinds, in the order a request meets them.
const (
	RouteHTTPS         RouteKind = iota // https_only: plain-HTTP requests go to https
	RouteCanonicalHost                  // canonical_host: other hosts are redirected to To
	RouteBasicAuth                      // basic_auth asks for credentials
	RouteRedirect                       // a [[redirects]] entry
	RouteProxy                          // a [[proxies]] entry
	RouteFiles                          // the files of the root
	RouteRewrite                        // a [[rewrites]] entry, when no file matches (or forced)
	RouteFallback                       // fallback: To, for paths without an extension
	RouteNotFound                       // the 404 page To, or a plain 404 when To is ""
)

// Route is one step a request meets. The fields its Kind does not use are
// zero.
type Route struct {
	Kind RouteKind
	// From and To are a redirect's, rewrite's or proxy's; To is also the
	// canonical host and the fallback's and 404 page's file.
	From, To string
	// Status is a redirect's status.
	Status int
	// Rule is a redirect or rewrite as authors read it, with its status,
	// force and conditions (config's Describe).
	Rule string
	// Conditions are a proxy's, as authors read them (config's Summary);
	// "" when none.
	Conditions string
	// MaxBody is a proxy's request body limit.
	MaxBody string
	// Realm, UsersEnv and Paths are basic auth's; no Paths: everything
	// except /.well-known/.
	Realm, UsersEnv string
	Paths           []string
	// Root (as shown to authors), CleanURLs, TrailingSlash and Hide (the
	// names hidden by the build) are the files route's.
	Root          string
	CleanURLs     bool
	TrailingSlash string
	Hide          []string
	// Pages are the not-found route's 404.html pages below the root, the
	// nearest of which a miss gets (not_found not set).
	Pages []string
}

// Protected describes the paths basic auth protects.
func (r Route) Protected() string {
	if len(r.Paths) == 0 {
		return "everything except /.well-known/"
	}
	return strings.Join(r.Paths, ", ")
}

// Summary is what the plan's site does.
func (p *Plan) Summary() Summary {
	m := p.Manifest
	cfg := m.Config
	s := Summary{
		Routes:      routes(cfg, p.Root.Display(), m.Hide, nearestNotFoundPages(cfg, p.tree)),
		Headers:     m.Headers,
		ReportOnly:  cfg.CSP.ReportOnly,
		HeaderRules: cfg.HeaderRules,
		Site:        policy.Verdicts(m.Headers),
		Never:       append(append([]string{}, m.Hide...), cfg.Hide...),
	}
	home := m.Headers
	for _, rule := range cfg.HeaderRules {
		if g, err := pattern.CompileGlob(rule.Glob); err == nil && g.Match("/") {
			home = policy.Overlay(home, rule.Headers)
		}
		for _, v := range policy.Verdicts(policy.Overlay(m.Headers, rule.Headers)) {
			if touches(rule.Headers, v.Header) {
				s.ByRule = append(s.ByRule, RuleVerdict{Glob: rule.Glob, Verdict: v})
			}
		}
	}
	s.Home = policy.Verdicts(home)
	return s
}

// routes lists the routes of cfg in the order a request meets them.
func routes(cfg *config.Config, root string, hide, notFoundPages []string) []Route {
	var rs []Route
	if cfg.HTTPSOnly {
		rs = append(rs, Route{Kind: RouteHTTPS})
	}
	if cfg.CanonicalHost != "" {
		rs = append(rs, Route{Kind: RouteCanonicalHost, To: cfg.CanonicalHost})
	}
	if a := cfg.BasicAuth; a != nil {
		rs = append(rs, Route{Kind: RouteBasicAuth, Realm: a.Realm, UsersEnv: a.UsersEnv, Paths: a.Paths})
	}
	for _, r := range cfg.Redirects {
		rs = append(rs, Route{Kind: RouteRedirect, From: r.From, To: r.To, Status: r.Status, Rule: r.Describe()})
	}
	for _, pr := range cfg.Proxies {
		rs = append(rs, Route{Kind: RouteProxy, From: pr.From, To: pr.To, MaxBody: pr.MaxBody, Conditions: pr.Summary()})
	}
	rs = append(rs, Route{Kind: RouteFiles, Root: root, CleanURLs: cfg.CleanURLs, TrailingSlash: cfg.TrailingSlash, Hide: hide})
	for _, r := range cfg.Rewrites {
		rs = append(rs, Route{Kind: RouteRewrite, From: r.From, To: r.To, Status: r.StatusCode(), Rule: r.Describe()})
	}
	if cfg.Fallback != "" {
		rs = append(rs, Route{Kind: RouteFallback, To: cfg.Fallback})
	}
	return append(rs, Route{Kind: RouteNotFound, To: cfg.NotFound, Pages: notFoundPages})
}

// Of returns the routes of one kind, in order.
func (s Summary) Of(kind RouteKind) []Route {
	var out []Route
	for _, r := range s.Routes {
		if r.Kind == kind {
			out = append(out, r)
		}
	}
	return out
}

// Route returns the first route of kind, and whether there is one.
func (s Summary) Route(kind RouteKind) (Route, bool) {
	rs := s.Of(kind)
	if len(rs) == 0 {
		return Route{}, false
	}
	return rs[0], true
}

// HeaderValue is a header rule's value as authors read it: "(removed)"
// for an empty value.
func HeaderValue(h config.Header) string {
	if h.Value == "" {
		return "(removed)"
	}
	return h.Value
}

// touches reports whether a header rule changes the graded header name;
// a Content-Security-Policy changes the framing verdict through
// frame-ancestors.
func touches(rule []config.Header, name string) bool {
	for _, h := range rule {
		if strings.EqualFold(h.Name, name) ||
			(name == "X-Frame-Options" && strings.EqualFold(h.Name, "Content-Security-Policy")) {
			return true
		}
	}
	return false
}

// log tells the author what will be served and how.
func (s Summary) log(log logger) {
	files, _ := s.Route(RouteFiles)
	if nf, _ := s.Route(RouteNotFound); nf.To != "" {
		log.Step("404 page: %s", nf.To)
	} else {
		log.Step("404 page: none (add 404.html to the root for a custom page)")
	}
	_, https := s.Route(RouteHTTPS)
	log.Step("URLs: clean_urls = %t, trailing_slash = %q, https_only = %t", files.CleanURLs, files.TrailingSlash, https)
	if r, ok := s.Route(RouteCanonicalHost); ok {
		log.Step("Canonical host: %s (other hosts are redirected)", r.To)
	}
	if r, ok := s.Route(RouteFallback); ok {
		log.Step("Fallback: %s (status 200 for paths without an extension that match nothing else)", r.To)
	}
	for i, r := range s.Of(RouteRedirect) {
		if i == 0 {
			log.Step("Redirects (first match wins):")
		}
		log.Detail("%s", r.Rule)
	}
	for i, r := range s.Of(RouteRewrite) {
		if i == 0 {
			log.Step("Rewrites:")
		}
		log.Detail("%s", r.Rule)
	}
	for i, r := range s.Of(RouteProxy) {
		if i == 0 {
			log.Step("Proxies (security headers are not added to proxied responses):")
		}
		log.Detail("%s -> %s (max body %s)%s", r.From, r.To, r.MaxBody, r.Conditions)
	}
	if r, ok := s.Route(RouteBasicAuth); ok {
		log.Step("Basic auth: realm %q on %s; users from $%s at launch (the server refuses to start without it)", r.Realm, r.Protected(), r.UsersEnv)
	}
	s.logHeaders(log)
	log.Step("Never served: dotfiles (except /.well-known/), %s, directory listings, anything outside the root",
		strings.Join(escapeAll(s.Never), ", "))
}

// logHeaders lists the response headers, summarises those of the home page
// the way the Mozilla HTTP Observatory grades them, with a visible warning
// for each weakness, and lists the header rules.
func (s Summary) logHeaders(log logger) {
	log.Step("Response headers:")
	for _, h := range s.Headers {
		log.Detail("%s: %s", h.Name, h.Value)
	}
	if s.ReportOnly {
		log.Warn("csp.report_only = true: the Content-Security-Policy is reported, not enforced")
	}
	ok := 0
	for _, v := range s.Home {
		if v.Grade == "ok" {
			ok++
		}
	}
	log.Step("Security posture: %d of %d Observatory-graded headers strong (static-server check shows them per path)", ok, len(s.Home))
	for _, v := range s.Home {
		if v.Grade == "ok" {
			log.Detail("ok  %s: %s", v.Header, v.Note)
		} else {
			log.Warn("%s is %s: %s", v.Header, v.Grade, v.Note)
		}
	}
	for _, rule := range s.HeaderRules {
		log.Step("Headers for %s:", rule.Glob)
		for _, h := range rule.Headers {
			log.Detail("%s: %s", h.Name, HeaderValue(h))
		}
	}
}
