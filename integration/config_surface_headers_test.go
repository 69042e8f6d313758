package integration

// static.toml keys that shape response headers and access: [headers],
// [csp] and [basic_auth].

import (
	"net/http"
	"strings"
	"testing"
)

// [headers."<glob>"]: "*" is one segment, "**" any depth; every matching
// table applies in file order and later ones win; an empty value removes a
// header, a default one included; ${VAR} is resolved at launch.
func TestCfgHeaders(t *testing.T) {
	t.Parallel()
	ws, _ := cfgBuilt(t, "cfg-headers")

	t.Run("globs and order", func(t *testing.T) {
		t.Parallel()
		srv := launch(t, ws, map[string]string{"BUILD_ID": "build-2024-11-27"})
		immutable := "public, max-age=31536000, immutable"
		for _, c := range []struct {
			path    string
			want    map[string]string // "" = absent
			content string
		}{
			{"/", map[string]string{"X-One-Segment": "one", "X-Order": "", "X-Temporary": ""}, "CFG-HEADERS-HOME"},
			{"/about", map[string]string{"X-One-Segment": "one", "X-Order": ""}, "CFG-HEADERS-ABOUT"},
			// /assets/** and /assets/*.css both match: the later table wins.
			{"/assets/app.css", map[string]string{"X-One-Segment": "", "Cache-Control": immutable, "X-Order": "second", "X-Css": "css-only", "X-Temporary": "set-by-assets"}, "body{}"},
			{"/assets/app.js", map[string]string{"X-One-Segment": "", "Cache-Control": immutable, "X-Order": "first", "X-Css": "", "X-Temporary": "set-by-assets"}, ""},
			// ** reaches any depth; * does not cross a /.
			{"/assets/deep/dir/theme.css", map[string]string{"Cache-Control": immutable, "X-Order": "first", "X-Css": ""}, "p{}"},
			// An empty value removes a header an earlier table set.
			{"/assets/plain/readme.txt", map[string]string{"Cache-Control": immutable, "X-Order": "first", "X-Temporary": ""}, "CFG-HEADERS-PLAIN"},
			// ... and a default one.
			{"/embed/widget", map[string]string{"X-Frame-Options": "", "X-Embed": "embeddable", "X-Content-Type-Options": "nosniff",
				"Strict-Transport-Security": hstsValue, "Referrer-Policy": "strict-origin-when-cross-origin"}, "CFG-HEADERS-WIDGET"},
			// ${BUILD_ID} from the launch environment, ${REGION:-eu-west} defaulted.
			{"/env/info.txt", map[string]string{"X-Build": "build-2024-11-27", "X-Region": "eu-west"}, "CFG-HEADERS-ENV"},
		} {
			resp, _ := cfgGet(t, srv, cfgReq{path: c.path}, http.StatusOK, c.content)
			for name, want := range c.want {
				if want == "" {
					cfgNoHeader(t, "GET "+c.path, resp, name)
				} else {
					cfgHeader(t, "GET "+c.path, resp, name, want)
				}
			}
			if !strings.HasPrefix(c.path, "/assets/") && resp.Header.Get("Cache-Control") == immutable {
				t.Errorf("GET %s: the /assets/** Cache-Control applies outside /assets/", c.path)
			}
			if c.path != "/embed/widget" {
				checkDefaultHeaders(t, "GET "+c.path, resp.Header)
			}
		}
	})
	t.Run("variable set at launch", func(t *testing.T) {
		t.Parallel()
		srv := launch(t, ws, map[string]string{"BUILD_ID": "b2", "REGION": "us-east"})
		resp, _ := cfgGet(t, srv, cfgReq{path: "/env/info.txt"}, http.StatusOK, "CFG-HEADERS-ENV")
		cfgHeader(t, "GET /env/info.txt", resp, "X-Build", "b2")
		cfgHeader(t, "GET /env/info.txt", resp, "X-Region", "us-east")
	})
	t.Run("missing variable", func(t *testing.T) {
		t.Parallel()
		out := cfgLaunchFails(t, ws, nil)
		if !strings.Contains(out, "BUILD_ID") || !strings.Contains(out, "X-Build") {
			t.Errorf("the server's output does not name the variable BUILD_ID and the header X-Build:\n%s", out)
		}
	})
}

// [csp] adds sources to the default policy, which still starts with
// default-src 'none'; report_uri and report_to are added; report_only
// switches the header name; a Content-Security-Policy set with [headers]
// replaces the policy.
func TestCfgCSP(t *testing.T) {
	t.Parallel()
	const policy = "default-src 'none'; script-src 'self' https://plausible.io; style-src 'self'; " +
		"img-src 'self' https://images.example.com data:; font-src 'self'; connect-src 'self'; manifest-src 'self'; " +
		"media-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; worker-src 'self' blob:; " +
		"report-uri /csp-reports; report-to csp-endpoint"
	t.Run("sources and reporting", func(t *testing.T) {
		t.Parallel()
		ws, out := cfgBuilt(t, "cfg-csp")
		if !strings.Contains(out, "Content-Security-Policy: "+policy) {
			t.Errorf("build output does not show the resulting policy %q:\n%s", policy, out)
		}
		srv := launch(t, ws, nil)
		for _, p := range []string{"/", "/nope"} {
			resp, _ := cfgDo(t, srv, cfgReq{path: p})
			cfgHeader(t, "GET "+p, resp, "Content-Security-Policy", policy)
			cfgNoHeader(t, "GET "+p, resp, "Content-Security-Policy-Report-Only")
			checkDefaultHeaders(t, "GET "+p, resp.Header)
		}
		// [headers."/legacy/**"] Content-Security-Policy replaces the policy.
		resp, _ := cfgGet(t, srv, cfgReq{path: "/legacy/old"}, http.StatusOK, "CFG-CSP-LEGACY")
		cfgHeader(t, "GET /legacy/old", resp, "Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
	})
	t.Run("report_only", func(t *testing.T) {
		t.Parallel()
		ws, _ := cfgBuilt(t, "cfg-csp-report-only")
		srv := launch(t, ws, nil)
		resp, _ := cfgGet(t, srv, cfgReq{path: "/"}, http.StatusOK, "CFG-CSP-RO-HOME")
		cfgHeader(t, "GET /", resp, "Content-Security-Policy-Report-Only",
			"default-src 'none'; script-src 'self' https://plausible.io; style-src 'self'; img-src 'self'; font-src 'self'; "+
				"connect-src 'self'; manifest-src 'self'; media-src 'self'; base-uri 'self'; form-action 'self'; "+
				"frame-ancestors 'none'; report-uri https://reports.example.com/csp")
		cfgNoHeader(t, "GET /", resp, "Content-Security-Policy")
		cfgHeader(t, "GET /", resp, "X-Frame-Options", "DENY")
	})
}

// [basic_auth] protects the site with users from the launch environment
// (bcrypt hashes only); /.well-known/ stays open; paths limits protection;
// users_env names the variable; BASIC_AUTH_DISABLED=true turns it off; a
// missing variable or a plain-text password stops the server.
func TestCfgBasicAuth(t *testing.T) {
	t.Parallel()
	users := "alice:" + cfgHash(t, "correct horse") + ",bob:" + cfgHash(t, "battery staple")

	t.Run("whole site", func(t *testing.T) {
		t.Parallel()
		ws, out := cfgBuilt(t, "cfg-basic-auth")
		if !strings.Contains(out, `Basic auth: realm "Staff only" on everything except /.well-known/; users from $BASIC_AUTH_USERS`) {
			t.Errorf("build output does not describe the basic auth:\n%s", out)
		}
		srv := launch(t, ws, map[string]string{"BASIC_AUTH_USERS": users})
		for _, p := range []string{"/", "/about", "/about.html", "/nope"} {
			resp, body := cfgGet(t, srv, cfgReq{path: p}, http.StatusUnauthorized, "")
			cfgHeader(t, "GET "+p+" without credentials", resp, "WWW-Authenticate", `Basic realm="Staff only"`)
			checkDefaultHeaders(t, "GET "+p+" without credentials", resp.Header)
			if strings.Contains(body, "CFG-BA-") {
				t.Errorf("GET %s without credentials: the page was sent: %.200q", p, body)
			}
		}
		resp, _ := cfgGet(t, srv, cfgReq{path: "/about", user: "alice", pass: "wrong"}, http.StatusUnauthorized, "")
		cfgHeader(t, "GET /about with a wrong password", resp, "WWW-Authenticate", `Basic realm="Staff only"`)
		cfgGet(t, srv, cfgReq{path: "/about", user: "mallory", pass: "correct horse"}, http.StatusUnauthorized, "")
		resp, _ = cfgGet(t, srv, cfgReq{path: "/", user: "alice", pass: "correct horse"}, http.StatusOK, "CFG-BA-HOME")
		checkDefaultHeaders(t, "GET / as alice", resp.Header)
		cfgGet(t, srv, cfgReq{path: "/about", user: "bob", pass: "battery staple"}, http.StatusOK, "CFG-BA-ABOUT")
		cfgRedirect(t, srv, cfgReq{path: "/about.html", user: "bob", pass: "battery staple"}, http.StatusMovedPermanently, "/about")
		cfgGet(t, srv, cfgReq{path: "/nope", user: "bob", pass: "battery staple"}, http.StatusNotFound, "")
		// /.well-known/ stays open (ACME challenges, security.txt).
		resp, _ = cfgGet(t, srv, cfgReq{path: "/.well-known/security.txt"}, http.StatusOK, "Contact: mailto:security@example.com")
		cfgNoHeader(t, "GET /.well-known/security.txt", resp, "WWW-Authenticate")
	})
	t.Run("BASIC_AUTH_DISABLED", func(t *testing.T) {
		t.Parallel()
		ws, _ := cfgBuilt(t, "cfg-basic-auth")
		srv := launch(t, ws, map[string]string{"BASIC_AUTH_DISABLED": "true"})
		resp, _ := cfgGet(t, srv, cfgReq{path: "/about"}, http.StatusOK, "CFG-BA-ABOUT")
		cfgNoHeader(t, "GET /about", resp, "WWW-Authenticate")
		if !strings.Contains(srv.Output(), "BASIC_AUTH_DISABLED") {
			t.Errorf("the server does not say that basic auth is off:\n%s", srv.Output())
		}
	})
	t.Run("missing variable", func(t *testing.T) {
		t.Parallel()
		ws, _ := cfgBuilt(t, "cfg-basic-auth")
		out := cfgLaunchFails(t, ws, nil)
		if !strings.Contains(out, "BASIC_AUTH_USERS is not set") {
			t.Errorf("the server's output does not say that BASIC_AUTH_USERS is not set:\n%s", out)
		}
	})
	t.Run("plain-text password", func(t *testing.T) {
		t.Parallel()
		ws, _ := cfgBuilt(t, "cfg-basic-auth")
		out := cfgLaunchFails(t, ws, map[string]string{"BASIC_AUTH_USERS": "alice:hunter2-plain"})
		if !strings.Contains(out, "BASIC_AUTH_USERS") || !strings.Contains(out, `"alice"`) || !strings.Contains(out, "not a bcrypt hash") {
			t.Errorf("the server's output does not say that alice's password in BASIC_AUTH_USERS is not a bcrypt hash:\n%s", out)
		}
		if strings.Contains(out, "hunter2-plain") {
			t.Errorf("the server printed the plain-text password:\n%s", out)
		}
	})
	t.Run("paths and users_env", func(t *testing.T) {
		t.Parallel()
		ws, _ := cfgBuilt(t, "cfg-basic-auth-paths")
		srv := launch(t, ws, map[string]string{"STAFF_USERS": users})
		cfgGet(t, srv, cfgReq{path: "/"}, http.StatusOK, "CFG-BAP-HOME")
		cfgGet(t, srv, cfgReq{path: "/about"}, http.StatusOK, "CFG-BAP-ABOUT")
		for _, p := range []string{"/admin", "/admin/", "/admin/secret", "/admin/secret.html", "/admin/missing"} {
			resp, _ := cfgGet(t, srv, cfgReq{path: p}, http.StatusUnauthorized, "")
			cfgHeader(t, "GET "+p, resp, "WWW-Authenticate", `Basic realm="Restricted"`)
		}
		cfgGet(t, srv, cfgReq{path: "/admin/secret", user: "alice", pass: "correct horse"}, http.StatusOK, "CFG-BAP-ADMIN-SECRET")
		cfgGet(t, srv, cfgReq{path: "/admin/", user: "bob", pass: "battery staple"}, http.StatusOK, "CFG-BAP-ADMIN-HOME")
		// Other spellings of a protected path must not get around the password.
		for _, target := range []string{"//admin/secret", "/x/../admin/secret", "/./admin/secret", "/%61dmin/secret", "/admin%2Fsecret"} {
			resp, body := rawGet(t, srv, target)
			if resp.StatusCode == http.StatusOK || strings.Contains(body, "CFG-BAP-ADMIN") {
				t.Errorf("GET %s without credentials: %d, body %.100q; the protected page was served", target, resp.StatusCode, body)
			}
		}
	})
	t.Run("protected page under its clean URL", func(t *testing.T) {
		t.Parallel()
		// paths = ["/reports/q3.html"] protects that page; with clean_urls
		// (the default) the same file is also served at /reports/q3.
		ws, _ := cfgBuilt(t, "cfg-basic-auth-paths")
		srv := launch(t, ws, map[string]string{"STAFF_USERS": users})
		cfgGet(t, srv, cfgReq{path: "/reports/q2"}, http.StatusOK, "CFG-BAP-REPORT-Q2")
		cfgGet(t, srv, cfgReq{path: "/reports/q3.html"}, http.StatusUnauthorized, "")
		for _, p := range []string{"/reports/q3", "/reports/q3/"} {
			resp, body := cfgDo(t, srv, cfgReq{path: p})
			if resp.StatusCode == http.StatusOK || strings.Contains(body, "CFG-BAP-REPORT-Q3") {
				t.Errorf("GET %s without credentials: %d; the page protected by paths = [\"/reports/q3.html\"] was served through its clean URL", p, resp.StatusCode)
			}
		}
		cfgGet(t, srv, cfgReq{path: "/reports/q3", user: "alice", pass: "correct horse"}, http.StatusOK, "CFG-BAP-REPORT-Q3")
	})
	t.Run("users_env missing", func(t *testing.T) {
		t.Parallel()
		ws, _ := cfgBuilt(t, "cfg-basic-auth-paths")
		// BASIC_AUTH_USERS is not the variable this site reads.
		out := cfgLaunchFails(t, ws, map[string]string{"BASIC_AUTH_USERS": users})
		if !strings.Contains(out, "STAFF_USERS is not set") {
			t.Errorf("the server's output does not say that STAFF_USERS is not set:\n%s", out)
		}
	})
}
