package staticsite

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/hardstatic/buildpack/internal/accesslog"
)

func init() {
	caddy.RegisterModule(Front{})
}

// Front is the handler http.handlers.static_front: the checks every request
// passes before the site's own routes, in one handler instead of one Caddy
// route (matchers and handler closures) each. In order: the probe (when
// Probe), the site headers, the canonical path (as static_canonical), the
// runtime configuration (Env), the [headers] rules, the https redirect
// (HTTPSOnly), the canonical-host redirect and the CSP report endpoint.
// What each answers is what the routes it replaces answered.
type Front struct {
	HeaderConfig

	// Probe answers ProbePath ("200 ok", no site headers, no access log
	// line) before anything else. Default: false.
	Probe bool `json:"probe,omitempty"`
	// ProbePath is the probe's path. Default: none (Probe needs it).
	ProbePath string `json:"probe_path,omitempty"`
	// Env serves the runtime configuration at EnvPaths. Default: none.
	Env *Env `json:"env,omitempty"`
	// EnvPaths are the paths of the runtime configuration.
	EnvPaths []string `json:"env_paths,omitempty"`
	// EnvAuthRaw asks for credentials before the runtime configuration
	// (a static_basic_auth handler). Default: none.
	EnvAuthRaw json.RawMessage `json:"env_auth,omitempty" caddy:"namespace=http.handlers inline_key=handler"`
	// HTTPSOnly redirects requests whose first hop was plain http
	// (X-Forwarded-Proto) to https, with 301. Default: false.
	HTTPSOnly bool `json:"https_only,omitempty"`
	// CanonicalHost redirects requests for any other host to it, with 301.
	// Default: none.
	CanonicalHost string `json:"canonical_host,omitempty"`
	// CSPReportRaw answers CSPReportPath (a static_csp_report handler).
	// Default: none.
	CSPReportRaw json.RawMessage `json:"csp_report,omitempty" caddy:"namespace=http.handlers inline_key=handler"`
	// CSPReportPath is the report endpoint's path.
	CSPReportPath string `json:"csp_report_path,omitempty"`
	// AccessLog writes each request's access-log line ("on", or "sampled":
	// per second the first 10, then every 100th), except the probe's and
	// those of requests that end in an error (static_error_log writes
	// those). Default: "" (no line).
	AccessLog string `json:"access_log,omitempty"`

	headers   Headers
	envAuth   caddyhttp.MiddlewareHandler
	host      caddyhttp.MatchHost
	cspReport caddyhttp.MiddlewareHandler
	log       *accesslog.Log
}

// CaddyModule returns the Caddy module information.
func (Front) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "http.handlers.static_front", New: func() caddy.Module { return new(Front) }}
}

// Provision compiles the headers and loads the nested handlers.
func (f *Front) Provision(ctx caddy.Context) error {
	f.headers.HeaderConfig = f.HeaderConfig
	if err := f.headers.Provision(ctx); err != nil {
		return err
	}
	if f.Probe && f.ProbePath == "" {
		return fmt.Errorf("probe: no probe_path")
	}
	if f.Env != nil {
		if err := f.Env.Provision(ctx); err != nil {
			return err
		}
	}
	var err error
	if f.envAuth, err = loadHandler(ctx, f, "EnvAuthRaw", f.EnvAuthRaw); err != nil {
		return err
	}
	if f.cspReport, err = loadHandler(ctx, f, "CSPReportRaw", f.CSPReportRaw); err != nil {
		return err
	}
	if f.CanonicalHost != "" {
		f.host = caddyhttp.MatchHost{f.CanonicalHost}
		if err := f.host.Provision(ctx); err != nil {
			return err
		}
	}
	f.log, err = openLog(ctx, f.AccessLog)
	return err
}

// Cleanup releases the access log.
func (f *Front) Cleanup() error {
	if f.log != nil {
		releaseLog(f.AccessLog)
	}
	return nil
}

func loadHandler(ctx caddy.Context, f *Front, field string, raw json.RawMessage) (caddyhttp.MiddlewareHandler, error) {
	if raw == nil {
		return nil, nil
	}
	m, err := ctx.LoadModule(f, field)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", field, err)
	}
	h, ok := m.(caddyhttp.MiddlewareHandler)
	if !ok {
		return nil, fmt.Errorf("%s: %T is not an HTTP handler", field, m)
	}
	return h, nil
}

// ServeHTTP runs the checks, then next, and writes the access-log line.
func (f *Front) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	if f.Probe && f.isProbe(r) {
		return serveProbe(w, r)
	}
	if f.log == nil {
		return f.serve(w, r, next)
	}
	start := time.Now()
	lw := &logWriter{ResponseWriterWrapper: caddyhttp.ResponseWriterWrapper{ResponseWriter: w}}
	err := f.serve(lw, r, next)
	if err != nil {
		// The error route answers, and static_error_log logs.
		caddyhttp.SetVar(r.Context(), startVar, start)
		return err
	}
	f.log.Write(r, time.Since(start), lw.size, lw.status)
	return nil
}

func (f *Front) serve(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	f.headers.site.Apply(w.Header())
	if !canonicalize(w, r) {
		return nil
	}
	p := r.URL.Path
	if f.Env != nil && matchesAny(p, f.EnvPaths) && (!f.HTTPSOnly || !plainHTTP(r)) {
		if f.envAuth != nil {
			return f.envAuth.ServeHTTP(w, r, caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
				return f.Env.ServeHTTP(w, r, nil)
			}))
		}
		return f.Env.ServeHTTP(w, r, nil)
	}
	w = f.headers.withRules(w, r)
	if f.HTTPSOnly && plainHTTP(r) {
		return movedTo(w, "https://"+requestHost(r)+r.RequestURI)
	}
	if f.CanonicalHost != "" {
		if ok, _ := f.host.MatchWithError(r); !ok {
			scheme := "http"
			if f.HTTPSOnly {
				scheme = "https"
			}
			return movedTo(w, scheme+"://"+f.CanonicalHost+r.RequestURI)
		}
	}
	if f.cspReport != nil && strings.EqualFold(p, f.CSPReportPath) {
		return f.cspReport.ServeHTTP(w, r, next)
	}
	return next.ServeHTTP(w, r)
}

// isProbe is Caddy's path and method matchers of the probe route (the path
// case-insensitive and cleaned), with a cheap look at the path's end first.
func (f *Front) isProbe(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	p, tail := r.URL.Path, f.ProbePath[strings.LastIndexByte(f.ProbePath, '/')+1:]
	if len(p) < len(tail) || !strings.EqualFold(p[len(p)-len(tail):], tail) {
		return false
	}
	ok, _ := caddyhttp.MatchPath{f.ProbePath}.MatchWithError(r)
	return ok
}

// serveProbe answers the probe: 200 "ok", left out of the access log.
func serveProbe(w http.ResponseWriter, r *http.Request) error {
	caddyhttp.SetVar(r.Context(), caddyhttp.LogSkipVar, true)
	h := w.Header()
	h.Del("Server")
	h["Content-Type"] = []string{"text/plain; charset=utf-8"}
	h["Cache-Control"] = []string{"no-store"}
	h["X-Content-Type-Options"] = []string{"nosniff"}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("ok\n"))
	return nil
}

// matchesAny is Caddy's path matcher for exact paths on a canonical path
// (no dot segments, no empty ones): equal ignoring case.
func matchesAny(p string, paths []string) bool {
	for _, q := range paths {
		if strings.EqualFold(p, q) {
			return true
		}
	}
	return false
}

// httpProto matches an X-Forwarded-Proto whose first hop is http, in any
// case: "http", "HTTP", "http, https".
var httpProto = regexp.MustCompile(`(?i)^\s*http\s*(,|$)`)

func plainHTTP(r *http.Request) bool {
	for _, v := range r.Header["X-Forwarded-Proto"] {
		if httpProto.MatchString(v) {
			return true
		}
	}
	return false
}

// requestHost is Caddy's {http.request.host}: the Host without its port.
func requestHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		return r.Host
	}
	return host
}

// movedTo answers 301 to location with no body, as Caddy's static_response
// does (no Content-Type).
func movedTo(w http.ResponseWriter, location string) error {
	h := w.Header()
	h["Location"] = []string{location}
	if h.Get("Content-Type") == "" {
		h["Content-Type"] = nil
	}
	w.WriteHeader(http.StatusMovedPermanently)
	return nil
}

var (
	_ caddy.Provisioner           = (*Front)(nil)
	_ caddy.CleanerUpper          = (*Front)(nil)
	_ caddyhttp.MiddlewareHandler = (*Front)(nil)
)
