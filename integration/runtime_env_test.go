package integration

// Runtime configuration for the page: one build, two launches with
// different PUBLIC_* values; each page shows its launch's values in
// Chromium under the strict policy, with different ETags and the same
// correct body for brotli, gzip and identity clients.

import (
	"strings"
	"testing"

	"github.com/hardstatic/buildpack/integration/lifecycle"
)

const envJSPath = "/.well-known/hardstatic/env.js"

func TestRuntimeEnv(t *testing.T) {
	t.Parallel()
	ws, _ := cfgBuilt(t, "rt-env")
	browser := newBrowser(t)

	type launchCase struct {
		greeting, api string
	}
	var etags, pageTags []string
	for _, c := range []launchCase{
		{"hello from staging", "https://api.staging.example"},
		// Quotes, a closing script tag and U+2028 stay data.
		{`hello from "production" </script><script>alert(1)</script>` + "\u2028!", "https://api.example"},
	} {
		srv := launch(t, ws, map[string]string{
			"PUBLIC_GREETING":   c.greeting,
			"PUBLIC_API_ORIGIN": c.api,
			"SECRET_TOKEN":      "s3cret-never-exposed",
			"STATIC_PREVIEW":    "false",
		})
		out := srv.Output()
		if !strings.Contains(out, "runtime config: "+envJSPath+" and /.well-known/hardstatic/env.json expose PUBLIC_API_ORIGIN, PUBLIC_GREETING") {
			t.Errorf("the launch log does not list the exposed names:\n%s", out)
		}
		if strings.Contains(out, c.api) {
			t.Errorf("the launch log shows a value")
		}

		js := expectEnvBodies(t, srv, envJSPath, "text/javascript; charset=utf-8")
		if !strings.HasPrefix(js.body, "window.__ENV = Object.freeze({") || strings.Contains(js.body, "s3cret") || strings.Contains(js.body, "</script>") {
			t.Errorf("env.js: %q", js.body)
		}
		etags = append(etags, js.etag)
		j := expectEnvBodies(t, srv, "/.well-known/hardstatic/env.json", "application/json")
		if !strings.Contains(j.body, `"PUBLIC_API_ORIGIN":"`+c.api+`"`) || strings.Contains(j.body, "SECRET") {
			t.Errorf("env.json: %q", j.body)
		}
		resp, _ := cfgGet(t, srv, cfgReq{path: "/"}, 200, "RT-ENV-SPA")
		pageTags = append(pageTags, resp.Header.Get("Etag"))

		for _, p := range []browserPage{
			{"/", 200, "greeting: " + strings.ReplaceAll(c.greeting, "\u2028", ""), true},
			{"/some/client/route", 200, "api: " + c.api, true},
			{"/plain", 200, "greeting: hello from", true},
		} {
			res := browser.load(t, srv.URL+p.path)
			// innerText turns U+2028 into a line break.
			res.body = strings.NewReplacer("\u2028", "", "\n!", "!").Replace(res.body)
			res.check(t, p)
		}
		if len(etags) == 2 {
			// The first launch's ETag is stale now: a full answer, not a 304.
			r := cfgReq{path: envJSPath, header: map[string]string{"If-None-Match": etags[0]}}
			cfgGet(t, srv, r, 200, c.api)
		}
	}
	if etags[0] == etags[1] {
		t.Errorf("env.js has the same ETag %s for different values", etags[0])
	}
	if pageTags[0] != pageTags[1] || pageTags[0] == "" {
		t.Errorf("the page itself changed between launches: %q", pageTags)
	}
}

type envAnswer struct{ body, etag string }

// expectEnvBodies checks the runtime configuration at path: the same body
// for identity, gzip and brotli clients, a strong ETag, no-cache, and 304
// to a matching If-None-Match.
func expectEnvBodies(t *testing.T, srv *lifecycle.Server, path, ctype string) envAnswer {
	t.Helper()
	var first envAnswer
	for _, enc := range []string{"", "gzip", "br", "br, gzip, zstd"} {
		r := cfgReq{path: path}
		if enc != "" {
			r.header = map[string]string{"Accept-Encoding": enc}
		}
		resp, body := cfgGet(t, srv, r, 200, "PUBLIC_GREETING")
		cfgHeader(t, r.String(), resp, "Cache-Control", "no-cache")
		cfgHeader(t, r.String(), resp, "Content-Type", ctype)
		cfgNoHeader(t, r.String(), resp, "Content-Encoding")
		cfgHeader(t, r.String(), resp, "X-Content-Type-Options", "nosniff")
		etag := resp.Header.Get("Etag")
		if !strings.HasPrefix(etag, `"`) {
			t.Errorf("%s: ETag %q is not a strong validator", r, etag)
		}
		if first.etag == "" {
			first = envAnswer{body, etag}
		} else if body != first.body || etag != first.etag {
			t.Errorf("%s: a different answer for Accept-Encoding %q", path, enc)
		}
	}
	cfgGet(t, srv, cfgReq{path: path, header: map[string]string{"If-None-Match": first.etag}}, 304, "")
	return first
}
