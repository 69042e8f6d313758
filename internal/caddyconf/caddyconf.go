// Package caddyconf translates a site's configuration into the Caddy JSON
// document the server loads. Build is a pure function: the same Site always
// gives the same JSON, and tests assert on that JSON.
//
// The routes implement the documented precedence: https redirect, canonical
// host, basic auth, redirects, proxies, then files (with clean URLs and
// trailing-slash rules), rewrites, fallback and the 404 page. Default and
// [headers] response headers are set first, so every answer carries them;
// proxied responses get only the [headers] that match them.
package caddyconf

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"path"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/hardstatic/buildpack/internal/accesslog"
	"github.com/hardstatic/buildpack/internal/basicauth"
	"github.com/hardstatic/buildpack/internal/config"
	"github.com/hardstatic/buildpack/internal/pattern"
	"github.com/hardstatic/buildpack/internal/policy"
	"github.com/hardstatic/buildpack/internal/staticsite"
)

// Site is everything the server needs to know to serve one static site.
type Site struct {
	// Listen is the address to listen on, e.g. ":8080".
	Listen string
	// Root is the absolute path of the served directory.
	Root string
	// Hide lists files relative to Root that are never served.
	Hide []string
	// Headers are the site-wide response headers (the hardened defaults
	// with the author's CSP), in order.
	Headers []policy.Header
	// PolicyHeader names the header among Headers that carries the site's
	// Content-Security-Policy (manifest.Manifest.PolicyHeader);
	// PagePolicies are sent under it.
	PolicyHeader string
	// FilesIndex is the absolute path of the build's file table; "": none
	// (the handler walks the root when it starts).
	FilesIndex string
	// Config is the author's configuration with ${VAR} already resolved and
	// NotFound set to the 404 page relative to Root (or empty).
	Config *config.Config
	// Users are the basic-auth accounts (name -> bcrypt hash); nil when
	// basic auth is off.
	Users []Account
	// GracePeriod is how long in-flight requests may run after SIGTERM.
	GracePeriod time.Duration
	// PagePolicies maps HTML files (relative to Root) to the
	// Content-Security-Policy computed for them at build time.
	PagePolicies map[string]string
	// MaxConns caps the connections open at once (connlimit); 0: no cap.
	MaxConns int
	// IdleTimeout closes keep-alive connections idle that long; 0:
	// IdleTimeout.
	IdleTimeout time.Duration
	// TrustedProxies are the address ranges (CIDR) whose X-Forwarded-*
	// headers are believed; nil: DefaultTrustedProxies, empty: none.
	TrustedProxies []string
	// Runtime are the launch-time switches (preview, maintenance, metrics).
	Runtime Runtime
	// AccessLog is "on", "sampled" or "off" (config.AccessLog*); "": the
	// configuration's access_log.
	AccessLog string
}

// Account is one basic-auth user (name and bcrypt hash).
type Account = basicauth.Account

// Timeouts and limits of the HTTP server. Hard deadlines guard against slow
// clients (slowloris); Caddy's per-chunk idle timeouts are turned off because
// they cost large-file throughput and the hard deadlines already bound a
// connection. ReadTimeout holds for every route: proxy routes, the only ones
// that accept uploads, extend it per request (static_proxy_guard).
// IdleTimeout is longer than the 60 s idle timeout of common load balancers
// (AWS ALB, nginx upstream keep-alive), so the router, not the server,
// closes an idle connection first and never sends on one being closed.
const (
	ReadHeaderTimeout = 10 * time.Second
	ReadTimeout       = 30 * time.Second
	WriteTimeout      = 5 * time.Minute
	IdleTimeout       = 75 * time.Second
	MaxHeaderBytes    = 16 << 10
	DefaultGrace      = 10 * time.Second
)

type obj = map[string]any

// Build returns the Caddy configuration for site.
func Build(site Site) ([]byte, error) {
	if !path.IsAbs(site.Root) {
		return nil, fmt.Errorf("site root must be absolute, got %q", site.Root)
	}
	if site.Listen == "" {
		return nil, fmt.Errorf("no listen address")
	}
	cfg := site.Config
	if cfg == nil {
		cfg = config.Default()
	}
	grace := site.GracePeriod
	if grace == 0 {
		grace = DefaultGrace
	}
	idle := site.IdleTimeout
	if idle == 0 {
		idle = IdleTimeout
	}
	if site.AccessLog == "" {
		site.AccessLog = cfg.AccessLog
	}
	routes, err := siteRoutes(site, cfg)
	if err != nil {
		return nil, err
	}
	// The access log is written by static_front and, for requests that end
	// in an error, by static_error_log around the error route; Caddy's own
	// (the server's "logs") stays off: it copies every request and makes
	// a logger per request.
	errorRoutes := []obj{{"handle": append(errorLogHandler(site.AccessLog), previewHeaders(headersHandler(site.Headers, true), site.Runtime), obj{
		"handler":     "static_response",
		"status_code": "{http.error.status_code}",
		"headers":     obj{"Content-Type": []string{"text/plain; charset=utf-8"}, "Cache-Control": []string{"no-store"}},
		"body":        "{http.error.status_code} {http.error.status_text}\n",
	})}}
	server := obj{
		"listen":              []string{site.Listen},
		"protocols":           []string{"h1"},
		"automatic_https":     obj{"disable": true},
		"read_header_timeout": ReadHeaderTimeout.String(),
		"read_timeout":        ReadTimeout.String(),
		"write_timeout":       WriteTimeout.String(),
		"idle_timeout":        idle.String(),
		"read_idle_timeout":   -1,
		"write_idle_timeout":  -1,
		"max_header_bytes":    MaxHeaderBytes,
		"routes":              routes,
		"errors":              obj{"routes": errorRoutes},
	}
	trusted := site.TrustedProxies
	if trusted == nil {
		trusted = DefaultTrustedProxies
	}
	if len(trusted) > 0 {
		// The platform's router is the client; believe its X-Forwarded-*.
		// Strict: the client IP is the rightmost address that is not a
		// trusted proxy, not the leftmost one, which anyone can write.
		server["trusted_proxies"] = obj{"source": "static", "ranges": trusted}
		server["trusted_proxies_strict"] = 1
	}
	if site.MaxConns > 0 {
		server["listener_wrappers"] = []obj{{"wrapper": "static_limit", "max_conns": site.MaxConns}}
	}
	httpApp := obj{
		"grace_period": grace.String(),
		"servers":      obj{"site": server},
	}
	if site.Runtime.MetricsListen != "" {
		httpApp["metrics"] = obj{}
		httpApp["servers"].(obj)["metrics"] = metricsServer(site.Runtime.MetricsListen)
	}
	doc := obj{
		// No admin endpoint, and no config saved to disk.
		"admin":   obj{"disabled": true, "config": obj{"persist": false}},
		"logging": logging(),
		"apps": obj{
			// The platform terminates TLS; nothing may touch certificate storage.
			"tls":  obj{"disable_storage_clean": true},
			"http": httpApp,
		},
	}
	return json.MarshalIndent(doc, "", "  ")
}

// logging sends the server's own messages to stdout line by line. The
// encoder is static_access: Caddy encodes a request's fields for its error
// log when a request starts.
func logging() obj {
	return obj{"logs": obj{"default": obj{
		"writer":  obj{"output": "stdout"},
		"encoder": obj{"format": "static_access"},
		"exclude": []string{accesslog.LoggerName},
	}}}
}

// accessLogMode is the access_log of static_front and static_error_log:
// "on" or "sampled" (per second the first 10 lines, then every 100th),
// "" when off.
func accessLogMode(accessLog string) string {
	if accessLog == config.AccessLogOff {
		return ""
	}
	return accessLog
}

// errorLogHandler writes the access-log line of a request that ends in an
// error, with the error route's answer; none when the log is off.
func errorLogHandler(accessLog string) []obj {
	m := accessLogMode(accessLog)
	if m == "" {
		return nil
	}
	return []obj{{"handler": "static_error_log", "access_log": m}}
}

// siteRoutes lists the routes in precedence order.
func siteRoutes(site Site, cfg *config.Config) ([]obj, error) {
	// Top-level routes, not subroutes: Caddy compiles a subroute's routes
	// on every request. The checks every request passes first (the probe,
	// the site headers, the canonical path, the runtime configuration, the
	// [headers] rules, the https and canonical-host redirects, the CSP
	// report endpoint) are one handler (frontHandler), not a route each.
	var routes []obj
	if site.Runtime.Preview {
		// Before the preview's header, which a probe must not carry.
		routes = append(routes, probeRoute())
	}
	routes = append(routes, obj{"handle": append(runtimeHandlers(site.Runtime), frontHandler(site, cfg))})
	globs := headerRoutes(cfg.HeaderRules)
	if site.Runtime.Preview {
		routes = append(routes, robotsRoute())
	}
	if cfg.BasicAuth != nil && site.Users != nil {
		routes = append(routes, basicAuthRoute(cfg.BasicAuth, site.Users))
	}
	if site.Runtime.Maintenance {
		routes = append(routes, maintenanceRoute(site))
	}
	if len(cfg.Redirects) > 0 {
		routes = append(routes, obj{"handle": []obj{redirectsHandler(cfg, site.Root)}})
	}
	for _, p := range cfg.Proxies {
		r, err := proxyRoute(p, site.Headers, globs, cfg.BasicAuth != nil && site.Users != nil)
		if err != nil {
			return nil, err
		}
		if !p.Empty() {
			r["match"].([]obj)[0]["static_conditions"] = withConditions(obj{}, p.Conditions, cfg.CountryHeader)
		}
		routes = append(routes, r)
	}
	rewrites, rewriteCountry := rewriteRules(cfg)
	var auth obj
	if cfg.BasicAuth != nil && site.Users != nil {
		// Protected files ask for credentials whatever URL leads to them.
		auth = obj{"realm": cfg.BasicAuth.Realm, "accounts": site.Users, "paths": cfg.BasicAuth.Paths}
	}
	routes = append(routes, obj{"handle": []obj{{
		"handler":        "static_site",
		"root":           site.Root,
		"not_found":      cfg.NotFound,
		"hide":           site.Hide,
		"hide_globs":     cfg.Hide,
		"clean_urls":     cfg.CleanURLs,
		"trailing_slash": cfg.TrailingSlash,
		"charset":        cfg.Charset,
		"rewrites":       rewrites,
		"fallback":       strings.TrimPrefix(cfg.Fallback, "/"),
		"page_policies":  site.PagePolicies,
		"policy_header":  site.PolicyHeader,
		// The build's file table (ETags, Cache-Control, precompressed
		// variants), named by the manifest.
		"files_index": site.FilesIndex,
		"auth":        auth,
		// The same headers: the handler sets the complete set of its
		// answers itself (internal/headerset).
		"headers": obj{"site": site.Headers, "drop_server": true, "rules": cfg.HeaderRules},
	}}})
	siteConditions(routes[len(routes)-1]["handle"].([]obj)[0], cfg, rewriteCountry)
	return joinRoutes(routes), nil
}

// joinRoutes makes consecutive routes that always match and do not end the
// chain one route with all their handlers, in order: the same chain, with
// one route for Caddy to run per request instead of several.
func joinRoutes(routes []obj) []obj {
	out := routes[:0]
	for _, r := range routes {
		if n := len(out); n > 0 && plainRoute(out[n-1]) && plainRoute(r) {
			out[n-1] = obj{"handle": append(out[n-1]["handle"].([]obj), r["handle"].([]obj)...)}
			continue
		}
		out = append(out, r)
	}
	return out
}

// plainRoute reports whether r has only handlers: no matcher, not terminal.
func plainRoute(r obj) bool {
	_, match := r["match"]
	_, terminal := r["terminal"]
	return !match && !terminal
}

// headersHandler sets and removes response headers; an empty value removes.
// With dropServer, Caddy's own Server header is removed too.
func headersHandler(headers []policy.Header, dropServer bool) obj {
	set := obj{}
	var del []string
	if dropServer {
		del = append(del, "Server")
	}
	for _, h := range headers {
		if h.Value == "" {
			delete(set, h.Name)
			del = append(del, h.Name)
			continue
		}
		set[h.Name] = []string{literal(h.Value)}
	}
	resp := obj{"set": set}
	if len(del) > 0 {
		resp["delete"] = del
	}
	return obj{"handler": "headers", "response": resp}
}

// headerRoutes applies each [headers."glob"] table to matching paths of
// proxied answers (static_headers applies them to all others). The
// handlers are deferred, and deferred handlers apply their changes from the
// innermost (last route) outwards, so the routes are listed in reverse file
// order: the table written last is applied last and wins.
func headerRoutes(rules []config.HeaderRule) []obj {
	routes := make([]obj, 0, len(rules))
	for i := len(rules) - 1; i >= 0; i-- {
		rule := rules[i]
		routes = append(routes, obj{
			"match": []obj{{"path_regexp": obj{"pattern": pattern.GlobRegexp(rule.Glob)}}},
			// Deferred: applied when the response is written, so an author's
			// value (or removal) wins over what a handler set, such as a
			// page's own Content-Security-Policy or a file's Cache-Control.
			"handle": []obj{deferred(headersHandler(rule.Headers, false))},
		})
	}
	return routes
}

func deferred(h obj) obj {
	h["response"].(obj)["deferred"] = true
	return h
}

// basicAuthRoute asks for credentials on protected request paths (the
// site handler also protects the files themselves, at any URL).
func basicAuthRoute(a *config.BasicAuth, users []Account) obj {
	return obj{
		"match": []obj{{"static_protected": obj{"paths": a.Paths}}},
		"handle": []obj{{
			"handler":  "static_basic_auth",
			"realm":    a.Realm,
			"accounts": users,
		}},
	}
}

// proxyRoute forwards requests matching p.From to the origin in p.To. The
// site-wide security headers are removed from proxied responses; [headers]
// tables that match the path still apply.
// With basic auth on, the Authorization header of a request that basic auth
// let through carries the site's password, so it is not forwarded; on a
// proxy path that is not protected the client's own goes to the origin.
func proxyRoute(p config.Proxy, defaults []policy.Header, globs []obj, dropAuth bool) (obj, error) {
	u, err := url.Parse(p.To)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("proxy %s: %q is not an http(s) origin URL", p.From, p.To)
	}
	route, err := pattern.CompileRoute(p.From)
	if err != nil {
		return nil, err
	}
	maxBody, err := config.ParseSize(p.MaxBody)
	if err != nil {
		maxBody = config.DefaultMaxBody
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	// Requests forwarded at once, and so connections to the origin, are
	// bounded: at the bound static_proxy_guard answers 503 after a wait.
	transport := obj{"protocol": "http", "max_conns_per_host": staticsite.DefaultProxyMaxConns}
	if u.Scheme == "https" {
		transport["tls"] = obj{"server_name": u.Hostname()}
	}
	reqHeaders := obj{"Host": []string{literal(u.Host)}}
	for name, v := range p.Headers {
		reqHeaders[name] = []string{literal(v)}
	}
	del := make([]string, 0, len(defaults))
	for _, h := range defaults {
		del = append(del, h.Name)
	}
	handle := []obj{{"handler": "headers", "response": obj{"delete": del}}}
	if len(globs) > 0 {
		handle = append(handle, obj{"handler": "subroute", "routes": globs})
	}
	handle = append(handle,
		// Deferred, and inside the [headers] tables: what the origin and
		// Caddy say about themselves is removed unless an author sets it.
		deferred(obj{"handler": "headers", "response": obj{"delete": proxyResponseDrop}}),
		obj{"handler": "request_body", "max_size": maxBody},
		obj{"handler": "static_proxy_guard", "max_conns": staticsite.DefaultProxyMaxConns, "drop_site_credentials": dropAuth},
		obj{"handler": "static_proxy_path", "from": p.From, "base_path": u.EscapedPath()},
		obj{
			"handler":        "reverse_proxy",
			"upstreams":      []obj{{"dial": net.JoinHostPort(u.Hostname(), port)}},
			"transport":      transport,
			"headers":        proxyHeaders(reqHeaders, locationRewrite(p.From, u)),
			"flush_interval": -1,
		},
	)
	return obj{
		"match":    []obj{{"path_regexp": obj{"pattern": routeRegexp(route)}}},
		"handle":   handle,
		"terminal": true,
	}, nil
}

func routeRegexp(r *pattern.Route) string { return r.Regexp() }

// requestHeaders sets the author's headers on the request to the origin and
// deletes the forwarding headers a client may have written (Caddy sets
// X-Forwarded-For/-Proto/-Host itself, from a trusted proxy's values only).
// A header the author sets is kept.
func proxyHeaders(set obj, location obj) obj {
	var del []string
	for _, name := range proxyRequestDrop {
		if _, setByAuthor := set[name]; !setByAuthor {
			del = append(del, name)
		}
	}
	h := obj{"request": obj{"set": set, "delete": del}}
	if location != nil {
		h["response"] = obj{"replace": obj{"Location": []obj{location}}}
	}
	return h
}

// locationRewrite maps redirects from the origin back onto the proxy's
// path, as nginx's proxy_redirect default does: a Location that starts with
// the origin URL the proxy forwards to (to = "https://api.example.com/v1/")
// starts with the proxy's path instead (from = "/api/*" gives /api/...).
func locationRewrite(from string, to *url.URL) obj {
	origin := to.Scheme + "://" + to.Host
	base := to.EscapedPath()
	prefix, splat := strings.CutSuffix(from, "*")
	if !splat {
		return obj{"search_regexp": "^" + regexp.QuoteMeta(origin+base) + "$", "replace": literal(from)}
	}
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	if !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return obj{"search_regexp": "^" + regexp.QuoteMeta(origin+base), "replace": literal(prefix)}
}

// proxyRequestDrop are the forwarding headers of other conventions, which
// an origin might believe; only the X-Forwarded-For/-Proto/-Host that
// Caddy writes reach it.
var proxyRequestDrop = []string{
	"Forwarded", "X-Real-Ip", "X-Forwarded-Port", "X-Forwarded-Prefix", "X-Forwarded-Server", "X-Forwarded-Ssl",
	"X-Forwarded-Scheme", "X-Forwarded-Uri", "X-Original-Url", "X-Original-Host", "X-Rewrite-Url", "X-Host",
	"X-Client-Ip", "True-Client-Ip", "X-Cluster-Client-Ip", "Cf-Connecting-Ip", "Fastly-Client-Ip",
}

// proxyResponseDrop are the headers that name the origin's or the proxy's
// software.
var proxyResponseDrop = []string{"Server", "Via", "X-Powered-By"}

// literal escapes Caddy placeholder braces in author-supplied text.
func literal(s string) string {
	return strings.NewReplacer("{", `\{`, "}", `\}`).Replace(s)
}

// DefaultTrustedProxies are the addresses a platform's router connects from:
// loopback and the private ranges (RFC 1918, IPv6 unique local).
var DefaultTrustedProxies = []string{"127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "::1/128", "fc00::/7"}

// ParseTrustedProxies reads a list of address ranges (CIDR) or addresses,
// separated by commas or spaces; "none" is the empty list.
func ParseTrustedProxies(s string) ([]string, error) {
	if strings.TrimSpace(s) == "none" {
		return []string{}, nil
	}
	var out []string
	for f := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked().String())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not an address range such as 10.0.0.0/8 or an address", f)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()).String())
	}
	if len(out) == 0 {
		return nil, errors.New(`no address ranges (write "none" to trust no proxy)`)
	}
	return out, nil
}
