package integration

// One image, every environment: the same build launched with different
// environment values shows each launch-time switch (preview, maintenance,
// metrics), and the probe answers everywhere, even behind basic auth.

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hardstatic/buildpack/integration/lifecycle"
)

const probePath = "/.well-known/hardstatic/health"

func TestRuntimeSwitches(t *testing.T) {
	t.Parallel()
	ws, out := cfgBuilt(t, "rt-switches")
	// A file of the site cannot take the probe's place: the build names it.
	if !strings.Contains(out, ".well-known/hardstatic/health") || !strings.Contains(out, "reserved for the server's own endpoints") {
		t.Errorf("the build log does not name the site's file under the reserved /.well-known/hardstatic/")
	}
	users := "alice:" + cfgHash(t, "pw")
	auth := func(p string) cfgReq { return cfgReq{path: p, user: "alice", pass: "pw"} }

	t.Run("defaults", func(t *testing.T) {
		srv := launch(t, ws, map[string]string{"BASIC_AUTH_USERS": users})
		resp, _ := cfgGet(t, srv, auth("/"), 200, "the home page")
		cfgNoHeader(t, "GET /", resp, "X-Robots-Tag")
		cfgGet(t, srv, auth("/robots.txt"), 200, "Allow: /")
		cfgGet(t, srv, cfgReq{path: "/"}, 401, "")
		expectProbe(t, srv)
		// Not in the access log, while other requests are.
		cfgGet(t, srv, auth("/after-the-probe"), 404, "")
		logs := waitOutput(t, srv, `"/after-the-probe"`)
		if strings.Contains(logs, `"`+probePath) {
			t.Errorf("the probe is in the access log:\n%s", cfgLineMatching(logs, regexp.MustCompile(regexp.QuoteMeta(probePath))))
		}
		if !strings.Contains(logs, "probe: GET "+probePath) {
			t.Errorf("the launch log does not name the probe")
		}
		// The runtime configuration of a protected site needs the same
		// credentials as its pages, and plain http is redirected first.
		cfgGet(t, srv, cfgReq{path: "/.well-known/hardstatic/env.js"}, 401, "")
		cfgGet(t, srv, auth("/.well-known/hardstatic/env.js"), 200, "window.__ENV = Object.freeze({});")
		cfgRedirect(t, srv, cfgReq{path: "/.well-known/hardstatic/env.json", header: map[string]string{"X-Forwarded-Proto": "http"}},
			301, "https://127.0.0.1/.well-known/hardstatic/env.json")
		// No metrics on the public port, with or without credentials.
		cfgGet(t, srv, cfgReq{path: "/metrics"}, 401, "")
		resp, body := cfgGet(t, srv, auth("/metrics"), 404, "")
		if strings.Contains(body, "caddy_http") {
			t.Errorf("the site's port serves metrics: %.200q", body)
		}
		_ = resp
	})

	t.Run("preview", func(t *testing.T) {
		srv := launch(t, ws, map[string]string{"BASIC_AUTH_USERS": users, "STATIC_PREVIEW": "true"})
		if !strings.Contains(srv.Output(), "preview (STATIC_PREVIEW)") {
			t.Errorf("the launch log does not say preview is on:\n%s", srv.Output())
		}
		for _, c := range []struct {
			r      cfgReq
			status int
			want   string
		}{
			{auth("/"), 200, "the home page"},
			{auth("/nope"), 404, ""},
			{cfgReq{path: "/"}, 401, ""},
			{cfgReq{path: "/.well-known/security.txt"}, 200, "Contact:"},
			{cfgReq{path: "/a/../b"}, 400, ""},
			{cfgReq{method: "POST", path: "/", user: "alice", pass: "pw"}, 405, ""},
			{cfgReq{path: "/", header: map[string]string{"X-Forwarded-Proto": "http"}}, 301, ""},
			// The site's own robots.txt is replaced, with or without credentials.
			{cfgReq{path: "/robots.txt"}, 200, "User-agent: *\nDisallow: /\n"},
			{auth("/robots.txt"), 200, "Disallow: /"},
		} {
			resp, body := cfgGet(t, srv, c.r, c.status, c.want)
			cfgHeader(t, c.r.String(), resp, "X-Robots-Tag", "noindex")
			if strings.Contains(c.r.path, "robots") && strings.Contains(body, "Allow: /") {
				t.Errorf("%s: the site's robots.txt was served in preview: %q", c.r, body)
			}
		}
		expectProbe(t, srv)
	})

	t.Run("maintenance", func(t *testing.T) {
		srv := launch(t, ws, map[string]string{"BASIC_AUTH_USERS": users,
			"STATIC_MAINTENANCE": "true", "STATIC_MAINTENANCE_RETRY_AFTER": "120"})
		if !strings.Contains(srv.Output(), "maintenance (STATIC_MAINTENANCE)") || !strings.Contains(srv.Output(), "Retry-After: 120") {
			t.Errorf("the launch log does not say maintenance is on:\n%s", srv.Output())
		}
		for _, p := range []string{"/", "/about", "/robots.txt", "/index.html"} {
			resp, body := cfgGet(t, srv, auth(p), 503, "Down for maintenance")
			cfgHeader(t, "GET "+p, resp, "Retry-After", "120")
			cfgHeader(t, "GET "+p, resp, "Cache-Control", "no-store")
			cfgHeader(t, "GET "+p, resp, "Content-Type", "text/html; charset=utf-8")
			cfgNoHeader(t, "GET "+p, resp, "Etag")
			// The page's own policy: its inline <style> by hash, no unsafe-inline.
			csp := resp.Header.Get("Content-Security-Policy")
			if !strings.Contains(csp, "style-src 'self' 'sha256-") || strings.Contains(csp, "unsafe-inline") {
				t.Errorf("GET %s: Content-Security-Policy %q, want the maintenance page's own hash", p, csp)
			}
			if strings.Count(body, "We are upgrading") != 12 {
				t.Errorf("GET %s: not the whole maintenance page: %.200q", p, body)
			}
		}
		// Compressed for clients that accept it, the same page.
		gz := auth("/")
		gz.header = map[string]string{"Accept-Encoding": "gzip"}
		resp, _ := cfgDo(t, srv, gz)
		if resp.StatusCode != 503 || resp.Header.Get("Content-Encoding") != "gzip" {
			t.Errorf("GET / (gzip): %d Content-Encoding %q, want 503 gzip", resp.StatusCode, resp.Header.Get("Content-Encoding"))
		}
		// Conditional requests get the page too, never a 304.
		cond := auth("/")
		cond.header = map[string]string{"If-None-Match": "*"}
		cfgGet(t, srv, cond, 503, "Down for maintenance")
		// /.well-known/ and the probe stay reachable.
		cfgGet(t, srv, cfgReq{path: "/.well-known/security.txt"}, 200, "Contact:")
		expectProbe(t, srv)
		// Basic auth still comes first.
		cfgGet(t, srv, cfgReq{path: "/"}, 401, "")
	})

	t.Run("maintenance, basic auth off, default Retry-After", func(t *testing.T) {
		// The same image with basic auth off on purpose and a default Retry-After.
		srv := launch(t, ws, map[string]string{"BASIC_AUTH_DISABLED": "true", "STATIC_MAINTENANCE": "1"})
		resp, _ := cfgGet(t, srv, cfgReq{path: "/"}, 503, "Down for maintenance")
		cfgHeader(t, "GET /", resp, "Retry-After", "300")
	})

	t.Run("metrics on their own port", func(t *testing.T) {
		port := strconv.Itoa(freePort(t))
		srv := launch(t, ws, map[string]string{"BASIC_AUTH_USERS": users, "STATIC_METRICS_LISTEN": "127.0.0.1:" + port})
		if !strings.Contains(srv.Output(), "metrics (STATIC_METRICS_LISTEN): Prometheus metrics on http://127.0.0.1:"+port+"/metrics") {
			t.Errorf("the launch log does not name the metrics address:\n%s", srv.Output())
		}
		cfgGet(t, srv, auth("/"), 200, "the home page")
		cfgGet(t, srv, auth("/nope"), 404, "")
		cfgGet(t, srv, cfgReq{path: "/"}, 401, "")
		metricsURL := "http://127.0.0.1:" + port
		resp, metrics := doAt(t, metricsURL, request{path: "/metrics"})
		checkStatus(t, "GET "+metricsURL+"/metrics", resp, metrics, 200, "")
		for _, want := range []string{
			`caddy_http_requests_total{handler="static_site",server="site"}`,
			`caddy_http_request_duration_seconds_bucket{code="200",handler="static_site",method="GET",server="site"`,
			`caddy_http_response_size_bytes_bucket{code="404",handler="static_site",method="GET",server="site"`,
			`code="401"`,
		} {
			if !strings.Contains(metrics, want) {
				t.Errorf("metrics do not contain %s", want)
			}
		}
		resp, body := doAt(t, metricsURL, request{path: "/"})
		checkStatus(t, "GET "+metricsURL+"/", resp, body, 404, "")
		// Never on the public port, with or without credentials.
		_, body = cfgGet(t, srv, auth("/metrics"), 404, "")
		if strings.Contains(body, "caddy_http") {
			t.Errorf("the site's port serves metrics")
		}
	})

	t.Run("metrics refuse the site's port", func(t *testing.T) {
		n := freePort(t)
		port := strconv.Itoa(n)
		srv, err := ws.LaunchWith(lifecycle.LaunchOptions{Port: n, Env: map[string]string{
			"BASIC_AUTH_USERS": users, "STATIC_METRICS_LISTEN": ":" + port}})
		if err == nil {
			_, _ = srv.Stop()
			t.Fatalf("the server started with metrics on its own port")
		}
		if srv == nil || !strings.Contains(srv.Output(), "metrics are never served on the public port") {
			t.Errorf("launch: %v", err)
		}
	})

	t.Run("bad values stop the server", func(t *testing.T) {
		out := cfgLaunchFails(t, ws, map[string]string{"BASIC_AUTH_USERS": users, "STATIC_PREVIEW": "maybe"})
		if !strings.Contains(out, `STATIC_PREVIEW="maybe": use true or false`) {
			t.Errorf("the error does not name the variable:\n%s", out)
		}
	})
}

// expectProbe checks the probe: 200 "ok" without credentials, with nothing
// of the site's configuration in it.
func expectProbe(t *testing.T, srv *lifecycle.Server) {
	t.Helper()
	for _, method := range []string{"GET", "HEAD"} {
		r := cfgReq{method: method, path: probePath}
		resp, body := cfgDo(t, srv, r)
		want := "ok\n"
		if method == "HEAD" {
			want = ""
		}
		if resp.StatusCode != 200 || body != want {
			t.Errorf("%s: %d %q, want 200 %q", r, resp.StatusCode, body, want)
		}
		var names []string
		for k := range resp.Header {
			names = append(names, k)
		}
		for _, k := range names {
			switch k {
			case "Content-Type", "Cache-Control", "X-Content-Type-Options", "Date", "Content-Length":
			default:
				t.Errorf("%s: the probe sends %s: %q (it must say nothing about the site)", r, k, resp.Header.Values(k))
			}
		}
		cfgHeader(t, r.String(), resp, "Cache-Control", "no-store")
	}
}

// waitOutput waits until the server's output holds want and returns it.
func waitOutput(t *testing.T, srv *lifecycle.Server, want string) string {
	t.Helper()
	if !waitUntil(10*time.Second, func() bool { return strings.Contains(srv.Output(), want) }) {
		t.Fatalf("the server's output never held %s:\n%s", want, srv.Output())
	}
	return srv.Output()
}

// Preview marks proxied answers too, over what the origin and [headers] say.
func TestRuntimePreviewProxied(t *testing.T) {
	t.Parallel()
	up := newCfgUpstream(t)
	ws, _ := cfgBuilt(t, "cfg-proxies")
	srv := launch(t, ws, map[string]string{"API_ORIGIN": up.URL, "API_KEY": "k", "STATIC_PREVIEW": "true"})
	for _, p := range []string{"/api/items/1", "/"} {
		r := cfgReq{path: p, header: map[string]string{"X-Forwarded-Proto": "https"}}
		resp, _ := cfgDo(t, srv, r)
		cfgHeader(t, r.String(), resp, "X-Robots-Tag", "noindex")
	}
	cfgGet(t, srv, cfgReq{path: "/robots.txt"}, 200, "Disallow: /")
}
