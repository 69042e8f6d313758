package policy

import (
	"strings"
	"testing"
)

func TestDefaultHeaders(t *testing.T) {
	got := map[string]string{}
	for _, h := range Defaults() {
		got[h.Name] = h.Value
	}
	csp := got["Content-Security-Policy"]
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self'",
		"font-src 'self'", "connect-src 'self'", "manifest-src 'self'", "media-src 'self'", "base-uri 'self'",
		"form-action 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if !strings.HasPrefix(csp, "default-src 'none'") {
		t.Errorf("CSP does not start with default-src 'none': %q", csp)
	}
	for name, want := range map[string]string{
		"Strict-Transport-Security":    "max-age=63072000; includeSubDomains",
		"X-Content-Type-Options":       "nosniff",
		"X-Frame-Options":              "DENY",
		"Referrer-Policy":              "strict-origin-when-cross-origin",
		"Cross-Origin-Opener-Policy":   "same-origin",
		"Cross-Origin-Resource-Policy": "same-origin",
	} {
		if got[name] != want {
			t.Errorf("%s = %q, want %q", name, got[name], want)
		}
	}
	if !strings.Contains(got["Permissions-Policy"], "camera=()") {
		t.Errorf("Permissions-Policy = %q", got["Permissions-Policy"])
	}
}

func TestCSPAdditions(t *testing.T) {
	h := CSP(CSPOptions{
		Add: []Directive{
			{"script-src", []string{"https://plausible.io", "'self'"}},
			{"frame-ancestors", []string{"https://partner.example"}},
			{"worker-src", []string{"'self'"}},
		},
		ReportURI: "/csp",
	})
	if h.Name != "Content-Security-Policy" {
		t.Fatal(h.Name)
	}
	for _, want := range []string{"script-src 'self' https://plausible.io;", "frame-ancestors https://partner.example;", "worker-src 'self';", "report-uri /csp"} {
		if !strings.Contains(h.Value, want) {
			t.Errorf("%q lacks %q", h.Value, want)
		}
	}
	if !strings.HasPrefix(h.Value, "default-src 'none';") {
		t.Errorf("default-src changed: %q", h.Value)
	}
	if ro := CSP(CSPOptions{ReportOnly: true}); ro.Name != "Content-Security-Policy-Report-Only" {
		t.Errorf("report only: %q", ro.Name)
	}
}
