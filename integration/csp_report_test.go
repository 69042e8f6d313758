package integration

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hardstatic/buildpack/integration/lifecycle"
)

// The default policy names the image's own report endpoint; the server
// takes reports there (report-uri and Reporting API bodies), answers 204
// with no body and not cached, and logs each distinct violation once as a
// JSON line on stdout. Other methods and content types are refused or reach
// the site's files; report_endpoint = false turns it off.
func TestCSPReportEndpoint(t *testing.T) {
	t.Parallel()
	t.Run("default", func(t *testing.T) {
		t.Parallel()
		_, srv := buildAndLaunch(t, "sec-default")
		resp, _ := get(t, srv, "/")
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.HasSuffix(csp, "; report-uri /.well-known/csp-report; report-to csp-endpoint") {
			t.Errorf("the default policy does not name the report endpoint: %q", csp)
		}
		if got := resp.Header.Get("Reporting-Endpoints"); got != `csp-endpoint="/.well-known/csp-report"` {
			t.Errorf("Reporting-Endpoints %q", got)
		}
		report := `{"csp-report":{"document-uri":"` + srv.URL + `/about/?session=s3cret","violated-directive":"img-src","effective-directive":"img-src",` +
			`"blocked-uri":"https://tracker.example/p.gif","source-file":"` + srv.URL + `/js/app.js","line-number":7,"disposition":"enforce"}}`
		for range 3 {
			resp, body := cfgDo(t, srv, cfgReq{method: http.MethodPost, path: "/.well-known/csp-report",
				header: map[string]string{"Content-Type": "application/csp-report"}, body: strings.NewReader(report)})
			if resp.StatusCode != http.StatusNoContent || body != "" || resp.Header.Get("Cache-Control") != "no-store" {
				t.Fatalf("POST report: status %d, body %q, Cache-Control %q", resp.StatusCode, body, resp.Header.Get("Cache-Control"))
			}
			checkDefaultHeaders(t, "POST report", resp.Header)
		}
		api := `[{"type":"csp-violation","url":"` + srv.URL + `/","body":{"documentURL":"` + srv.URL + `/","effectiveDirective":"style-src-elem",` +
			`"blockedURL":"inline","sourceFile":"` + srv.URL + `/js/app.js","lineNumber":2,"disposition":"enforce"}}]`
		resp, _ = cfgDo(t, srv, cfgReq{method: http.MethodPost, path: "/.well-known/csp-report",
			header: map[string]string{"Content-Type": "application/reports+json"}, body: strings.NewReader(api)})
		if resp.StatusCode != http.StatusNoContent {
			t.Errorf("POST Reporting API body: status %d", resp.StatusCode)
		}
		for _, r := range []cfgReq{
			{method: http.MethodPost, path: "/.well-known/csp-report", header: map[string]string{"Content-Type": "text/plain"}, body: strings.NewReader(report)},
			{method: http.MethodPost, path: "/.well-known/csp-report", header: map[string]string{"Content-Type": "application/csp-report"}, body: strings.NewReader(strings.Repeat("x", 70<<10))},
			{method: http.MethodPost, path: "/.well-known/csp-report", header: map[string]string{"Content-Type": "application/csp-report"}, body: strings.NewReader("<script>alert(1)</script>")},
			{path: "/.well-known/csp-report"},
		} {
			resp, body := cfgDo(t, srv, r)
			if resp.StatusCode < 400 || strings.Contains(body, "alert") || strings.Contains(body, "xxxx") {
				t.Errorf("%s: status %d, body %.80q: want a refusal that echoes nothing", r, resp.StatusCode, body)
			}
		}
		lines := violationLines(t, srv, 2)
		if len(lines) != 2 {
			t.Fatalf("%d violation lines, want 2 (each distinct violation once):\n%s", len(lines), srv.Output())
		}
		want := map[string]any{"page": srv.URL + "/about/", "directive": "img-src", "blocked": "https://tracker.example/p.gif",
			"source": srv.URL + "/js/app.js", "line": 7.0, "disposition": "enforce"}
		for k, v := range want {
			if lines[0][k] != v {
				t.Errorf("violation line: %s = %#v, want %#v (%v)", k, lines[0][k], v, lines[0])
			}
		}
		if lines[1]["directive"] != "style-src-elem" || strings.Contains(srv.Output(), "s3cret") {
			t.Errorf("second line %v; or the page's query was logged", lines[1])
		}
	})
	// Browsers send reports without credentials: the endpoint is before
	// basic auth, even when it protects every path.
	t.Run("behind basic auth", func(t *testing.T) {
		t.Parallel()
		ws := newWorkspace(t, "sec-default")
		writeFile(t, filepath.Join(ws.AppDir, "static.toml"), "root = \".\"\n[basic_auth]\npaths = [\"/**\"]\n")
		// A protected 404 page fails the build (it is shown at every URL).
		if err := os.Remove(filepath.Join(ws.AppDir, "404.html")); err != nil {
			t.Fatal(err)
		}
		detect(t, ws)
		build(t, ws)
		srv := launch(t, ws, map[string]string{"BASIC_AUTH_USERS": "alice:" + cfgHash(t, "pw")})
		if resp, _ := get(t, srv, "/"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("GET / without credentials: status %d, want 401", resp.StatusCode)
		}
		resp, body := cfgDo(t, srv, cfgReq{method: http.MethodPost, path: "/.well-known/csp-report",
			header: map[string]string{"Content-Type": "application/csp-report"},
			body:   strings.NewReader(`{"csp-report":{"document-uri":"` + srv.URL + `/","effective-directive":"script-src-elem","blocked-uri":"inline"}}`)})
		if resp.StatusCode != http.StatusNoContent || body != "" {
			t.Errorf("POST report without credentials: status %d, body %q; want 204", resp.StatusCode, body)
		}
		if lines := violationLines(t, srv, 1); len(lines) != 1 || lines[0]["directive"] != "script-src-elem" {
			t.Errorf("violation lines %v", lines)
		}
	})
	t.Run("report_endpoint = false", func(t *testing.T) {
		t.Parallel()
		ws := newWorkspace(t, "sec-default")
		writeFile(t, filepath.Join(ws.AppDir, "static.toml"), "root = \".\"\n[csp]\nreport_endpoint = false\n")
		detect(t, ws)
		build(t, ws)
		srv := launch(t, ws, nil)
		resp, _ := get(t, srv, "/")
		if csp := resp.Header.Get("Content-Security-Policy"); strings.Contains(csp, "report-") || resp.Header.Get("Reporting-Endpoints") != "" {
			t.Errorf("report_endpoint = false, yet: %q, Reporting-Endpoints %q", csp, resp.Header.Get("Reporting-Endpoints"))
		}
		resp, _ = cfgDo(t, srv, cfgReq{method: http.MethodPost, path: "/.well-known/csp-report",
			header: map[string]string{"Content-Type": "application/csp-report"}, body: strings.NewReader(`{"csp-report":{}}`)})
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("POST with the endpoint off: status %d, want 405 (the site's files take no POST)", resp.StatusCode)
		}
	})
}

// violationLines waits until the server has logged want violation lines
// (or it gives up after a while: the lines are written as the reports
// arrive) and returns them parsed.
func violationLines(t *testing.T, srv *lifecycle.Server, want int) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		lines = lines[:0]
		for line := range strings.SplitSeq(srv.Output(), "\n") {
			if !strings.Contains(line, `"msg":"csp violation"`) {
				continue
			}
			var v map[string]any
			if err := json.Unmarshal([]byte(line), &v); err != nil {
				t.Fatalf("a violation line is not JSON: %v: %s", err, line)
			}
			lines = append(lines, v)
		}
		if len(lines) >= want || time.Now().After(deadline) {
			return lines
		}
	}
}
