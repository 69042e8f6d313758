package staticsite

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func newReporter(t *testing.T, h CSPReport) (*CSPReport, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zapcore.DebugLevel)
	h.setup(zap.New(core))
	return &h, logs
}

func post(t *testing.T, h *CSPReport, contentType, body string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/.well-known/csp-report", strings.NewReader(body))
	r.Header.Set("Content-Type", contentType)
	w := httptest.NewRecorder()
	next := caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error {
		t.Fatal("a report went on to the next handler")
		return nil
	})
	if err := h.ServeHTTP(w, r, next); err != nil {
		t.Fatal(err)
	}
	return w
}

const uriReport = `{"csp-report":{"document-uri":"https://site.example/docs/?token=secret#frag","referrer":"","violated-directive":"style-src-elem","effective-directive":"style-src-elem","original-policy":"default-src 'none'","disposition":"enforce","blocked-uri":"inline","line-number":12,"source-file":"https://site.example/js/app.js?v=3","status-code":200}}`

const apiReports = `[{"age":10,"body":{"blockedURL":"https://cdn.example.com/x.png","disposition":"enforce","documentURL":"https://site.example/","effectiveDirective":"img-src","lineNumber":3,"originalPolicy":"default-src 'none'","sourceFile":"https://site.example/js/app.js","statusCode":200},"type":"csp-violation","url":"https://site.example/","user_agent":"x"},
{"age":1,"body":{"id":"x"},"type":"deprecation","url":"https://site.example/"}]`

// Each distinct violation is logged once, with the page, directive, blocked
// URL and source file, without queries or fragments; the answer is 204 with
// no body, not cached.
func TestCSPReportLogsOnce(t *testing.T) {
	h, logs := newReporter(t, CSPReport{})
	for range 3 {
		w := post(t, h, "application/csp-report", uriReport)
		if w.Code != http.StatusNoContent || w.Body.Len() != 0 || w.Header().Get("Cache-Control") != "no-store" {
			t.Fatalf("status %d, body %q, Cache-Control %q", w.Code, w.Body, w.Header().Get("Cache-Control"))
		}
	}
	w := post(t, h, "application/reports+json", apiReports)
	if w.Code != http.StatusNoContent {
		t.Fatalf("Reporting API body: status %d", w.Code)
	}
	entries := logs.FilterMessage("csp violation").AllUntimed()
	if len(entries) != 2 {
		t.Fatalf("%d lines logged, want 2 (one per distinct violation): %+v", len(entries), entries)
	}
	want := []map[string]any{
		{"page": "https://site.example/docs/", "directive": "style-src-elem", "blocked": "inline", "source": "https://site.example/js/app.js", "disposition": "enforce", "line": int64(12)},
		{"page": "https://site.example/", "directive": "img-src", "blocked": "https://cdn.example.com/x.png", "source": "https://site.example/js/app.js", "disposition": "enforce", "line": int64(3)},
	}
	for i, e := range entries {
		got := e.ContextMap()
		for k, v := range want[i] {
			if got[k] != v {
				t.Errorf("line %d: %s = %#v, want %#v (%v)", i, k, got[k], v, got)
			}
		}
		for k, v := range got {
			if s, _ := v.(string); strings.Contains(s, "secret") || strings.Contains(s, "frag") {
				t.Errorf("line %d: %s = %q: the query or fragment was logged", i, k, s)
			}
		}
	}
}

// Only POST with a report content type is taken; other methods reach the
// site's files; nothing of the request is echoed.
func TestCSPReportRefuses(t *testing.T) {
	h, logs := newReporter(t, CSPReport{MaxBody: 1024})
	for _, c := range []struct {
		contentType, body string
		status            int
	}{
		{"text/plain", uriReport, http.StatusUnsupportedMediaType},
		{"application/json", uriReport, http.StatusUnsupportedMediaType},
		{"", uriReport, http.StatusUnsupportedMediaType},
		{"application/csp-report", `<script>alert(1)</script>`, http.StatusBadRequest},
		{"application/reports+json", `{"not":"a list"}`, http.StatusBadRequest},
		{"application/csp-report", `{"csp-report":{"document-uri":"` + strings.Repeat("a", 2000) + `"}}`, http.StatusRequestEntityTooLarge},
	} {
		w := post(t, h, c.contentType, c.body)
		if w.Code != c.status || w.Body.Len() != 0 || w.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("%q %.40q: status %d, body %q, want %d and no body", c.contentType, c.body, w.Code, w.Body, c.status)
		}
	}
	if n := logs.FilterMessage("csp violation").Len(); n != 0 {
		t.Errorf("%d violations logged from refused requests", n)
	}
	for _, method := range []string{http.MethodGet, http.MethodHead, http.MethodOptions} {
		var passed bool
		next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) error {
			passed = true
			w.WriteHeader(http.StatusNotFound)
			return nil
		})
		w := httptest.NewRecorder()
		if err := h.ServeHTTP(w, httptest.NewRequest(method, "/.well-known/csp-report", nil), next); err != nil {
			t.Fatal(err)
		}
		if !passed || w.Code != http.StatusNotFound {
			t.Errorf("%s: did not go on to the site's files (status %d)", method, w.Code)
		}
	}
}

// Past the rate, bodies are not read; past MaxDistinct, new violations are
// not logged; either is said once.
func TestCSPReportBounds(t *testing.T) {
	now := time.Unix(1000, 0)
	h, logs := newReporter(t, CSPReport{PerSecond: 1, MaxDistinct: 2})
	h.now = func() time.Time { return now }
	report := func(i int) string {
		return strings.Replace(uriReport, "inline", "https://x.example/"+strconv.Itoa(i), 1)
	}
	for i := range 5 { // a burst of 2, then nothing until time passes
		if w := post(t, h, "application/csp-report", report(i)); w.Code != http.StatusNoContent {
			t.Fatalf("status %d", w.Code)
		}
	}
	if n := logs.FilterMessage("csp violation").Len(); n != 2 {
		t.Errorf("%d violations logged in a burst of 5 at 1/s, want 2", n)
	}
	if n := logs.FilterMessageSnippet("over the rate limit").Len(); n != 1 {
		t.Errorf("the rate limit was said %d times, want 1", n)
	}
	now = now.Add(10 * time.Second)
	for i := 5; i < 8; i++ {
		post(t, h, "application/csp-report", report(i))
	}
	if n := logs.FilterMessage("csp violation").Len(); n != 2 {
		t.Errorf("%d violations logged past MaxDistinct = 2", n)
	}
	if n := logs.FilterMessageSnippet("too many distinct").Len(); n != 1 {
		t.Errorf("the distinct limit was said %d times, want 1", n)
	}
}

func TestCSPReportField(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:pw@site.example/a?b#c": "https://site.example/a",
		"inline":                             "inline",
		"a\x1b[31mred\nforged\u202e":         "a[31mredforged",
		strings.Repeat("é", 400):             strings.Repeat("é", 150) + "...",
	} {
		if got := cleanURL(in); got != want {
			t.Errorf("cleanURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzCSPReport(f *testing.F) {
	f.Add("application/csp-report", uriReport)
	f.Add("application/reports+json", apiReports)
	f.Fuzz(func(t *testing.T, contentType, body string) {
		h, _ := newReporter(t, CSPReport{})
		w := post(t, h, contentType, body)
		if w.Body.Len() != 0 {
			t.Fatalf("a body was answered: %q", w.Body)
		}
	})
}
