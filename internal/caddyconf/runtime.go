package caddyconf

import (
	"github.com/hardstatic/buildpack/internal/config"
	"github.com/hardstatic/buildpack/internal/pattern"
	"github.com/hardstatic/buildpack/internal/policy"
)

// Runtime are the launch-time switches read from the environment: the same
// image behaves differently in each environment without a rebuild.
type Runtime struct {
	// Preview adds X-Robots-Tag: noindex to every response and serves a
	// robots.txt that disallows all crawlers instead of the site's.
	Preview bool
	// Maintenance answers 503 with Retry-After and the site's
	// maintenance.html (or a plain page), except under /.well-known/.
	Maintenance bool
	// RetryAfter is the Retry-After of maintenance answers, in seconds.
	RetryAfter int
	// MetricsListen, when set, is the address of a second server that
	// serves Prometheus metrics at /metrics, and only there.
	MetricsListen string
	// PublicEnv are the variables the page's JavaScript sees at EnvJSPath
	// and EnvJSONPath (name -> value); both answer {} when there are none.
	PublicEnv map[string]string
}

// ReservedPrefix is the part of the URL space the server answers itself;
// the build never serves a file under it (internal/sitefs).
const ReservedPrefix = "/.well-known/hardstatic/"

// ProbePath answers 200 "ok" to GET and HEAD, before every other route:
// no credentials, no access log line, the same bytes for every site.
const ProbePath = ReservedPrefix + "health"

// EnvJSPath is the runtime configuration as a script that sets
// window.__ENV; EnvJSONPath is the same object as JSON.
const (
	EnvJSPath   = ReservedPrefix + "env.js"
	EnvJSONPath = ReservedPrefix + "env.json"
)

// MetricsPath is where the metrics server serves Prometheus metrics.
const MetricsPath = "/metrics"

// RobotsDisallowAll is the robots.txt served in preview mode.
const RobotsDisallowAll = "User-agent: *\nDisallow: /\n"

// probeRoute answers the probe. It comes before the site-wide headers, so
// it says nothing about the site's configuration, and marks the request to
// be left out of the access log.
func probeRoute() obj {
	return obj{
		"match": []obj{{"path": []string{ProbePath}, "method": []string{"GET", "HEAD"}}},
		"handle": []obj{
			{"handler": "vars", "log_skip": true},
			{"handler": "headers", "response": obj{"delete": []string{"Server"}}},
			{
				"handler":     "static_response",
				"status_code": 200,
				"headers": obj{
					"Content-Type":           []string{"text/plain; charset=utf-8"},
					"Cache-Control":          []string{"no-store"},
					"X-Content-Type-Options": []string{"nosniff"},
				},
				"body": "ok\n",
			},
		},
		"terminal": true,
	}
}

// runtimeHandlers come first on every request after the probe: in
// preview, X-Robots-Tag. Deferred and first, the header is applied last,
// over any [headers] table and proxied answer.
func runtimeHandlers(rt Runtime) []obj {
	var hs []obj
	if rt.Preview {
		hs = append(hs, obj{
			"handler":  "headers",
			"response": obj{"set": obj{"X-Robots-Tag": []string{"noindex"}}, "deferred": true},
		})
	}
	return hs
}

// frontHandler is static_front: the probe (unless preview keeps its own
// route), then the site-wide headers and one canonical request path for
// every later route and handler, then the page's runtime configuration
// (which asks for credentials itself when basic auth protects the site's
// home page, since what a protected site's pages see is not shown to
// everyone, and leaves plain-http requests to the https redirect), the
// [headers] rules (applied when the response is written, so an author's
// value or removal wins over what a handler set), the https and
// canonical-host redirects, and the CSP report endpoint (before basic
// auth: browsers send reports without credentials).
func frontHandler(site Site, cfg *config.Config) obj {
	values := site.Runtime.PublicEnv
	if values == nil {
		values = map[string]string{}
	}
	h := obj{
		"handler":     "static_front",
		"site":        site.Headers,
		"drop_server": true,
		"env":         obj{"values": values},
		"env_paths":   []string{EnvJSPath, EnvJSONPath},
	}
	if !site.Runtime.Preview {
		h["probe"], h["probe_path"] = true, ProbePath
	}
	if m := accessLogMode(site.AccessLog); m != "" {
		h["access_log"] = m
	}
	if len(cfg.HeaderRules) > 0 {
		h["rules"] = cfg.HeaderRules
	}
	if a := cfg.BasicAuth; a != nil && site.Users != nil && protectsHome(a.Paths) {
		h["env_auth"] = basicAuthRoute(a, site.Users)["handle"].([]obj)[0]
	}
	if cfg.HTTPSOnly {
		h["https_only"] = true
	}
	if cfg.CanonicalHost != "" {
		h["canonical_host"] = cfg.CanonicalHost
	}
	if cfg.CSP.UsesReportEndpoint() {
		h["csp_report"] = obj{"handler": "static_csp_report"}
		h["csp_report_path"] = policy.ReportPath
	}
	return h
}

func protectsHome(paths []string) bool {
	if len(paths) == 0 {
		return true
	}
	for _, p := range paths {
		if g, err := pattern.CompileGlob(p); err == nil && g.Match("/") {
			return true
		}
	}
	return false
}

func robotsRoute() obj {
	return obj{
		"match": []obj{{"path": []string{"/robots.txt"}}},
		"handle": []obj{{
			"handler":     "static_response",
			"status_code": 200,
			"headers": obj{
				"Content-Type":  []string{"text/plain; charset=utf-8"},
				"Cache-Control": []string{"no-store"},
			},
			"body": RobotsDisallowAll,
		}},
		"terminal": true,
	}
}

// maintenanceRoute answers everything but /.well-known/ with 503.
func maintenanceRoute(site Site) obj {
	const page = "maintenance.html"
	h := obj{
		"handler":       "static_maintenance",
		"root":          site.Root,
		"page":          page,
		"retry_after":   site.Runtime.RetryAfter,
		"files_index":   site.FilesIndex,
		"policy_header": site.PolicyHeader,
		"hide":          site.Hide,
	}
	if site.Config != nil {
		h["hide_globs"] = site.Config.Hide
	}
	if site.Config != nil && site.Config.Charset != "" {
		h["charset"] = site.Config.Charset
	}
	if site.Config != nil && site.Config.BasicAuth != nil && site.Users != nil {
		h["basic_auth"] = true
	}
	if p, ok := site.PagePolicies[page]; ok {
		h["page_policy"] = p
	}
	return obj{
		"match":    []obj{{"not": []obj{{"path": []string{"/.well-known", "/.well-known/*"}}}}},
		"handle":   []obj{h},
		"terminal": true,
	}
}

// metricsServer serves Prometheus metrics on its own address, and nothing
// else; the site's port never does.
func metricsServer(listen string) obj {
	return obj{
		"listen":              []string{listen},
		"protocols":           []string{"h1"},
		"automatic_https":     obj{"disable": true},
		"read_header_timeout": ReadHeaderTimeout.String(),
		"read_timeout":        ReadTimeout.String(),
		"write_timeout":       ReadTimeout.String(),
		"idle_timeout":        IdleTimeout.String(),
		"max_header_bytes":    MaxHeaderBytes,
		"routes": []obj{
			{
				"match":    []obj{{"path": []string{MetricsPath}, "method": []string{"GET", "HEAD"}}},
				"handle":   []obj{{"handler": "metrics"}},
				"terminal": true,
			},
			{"handle": []obj{{
				"handler":     "static_response",
				"status_code": 404,
				"headers":     obj{"Content-Type": []string{"text/plain; charset=utf-8"}},
				"body":        "404 page not found: metrics are at " + MetricsPath + "\n",
			}}},
		},
	}
}

// previewHeaders adds X-Robots-Tag to the error handler's headers.
func previewHeaders(h obj, rt Runtime) obj {
	if rt.Preview {
		h["response"].(obj)["set"].(obj)["X-Robots-Tag"] = []string{"noindex"}
	}
	return h
}
