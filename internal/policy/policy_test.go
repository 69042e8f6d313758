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

// The image's report endpoint is named in report-uri and report-to, with
// the Reporting-Endpoints header report-to needs.
func TestReportEndpoint(t *testing.T) {
	hs := Headers(CSPOptions{Endpoint: true})
	if !strings.HasSuffix(hs[0].Value, "; report-uri /.well-known/csp-report; report-to csp-endpoint") {
		t.Errorf("policy %q", hs[0].Value)
	}
	last := hs[len(hs)-1]
	if last.Name != "Reporting-Endpoints" || last.Value != `csp-endpoint="/.well-known/csp-report"` {
		t.Errorf("last header %+v", last)
	}
	for _, h := range Headers(CSPOptions{}) {
		if h.Name == "Reporting-Endpoints" || strings.Contains(h.Value, "report-") {
			t.Errorf("without the endpoint: %+v", h)
		}
	}
}

// Merging is by sets: repeated sources are kept once, in first-seen order,
// and 'none' leaves a directive that gains a source.
func TestMergeSets(t *testing.T) {
	add := make([]Directive, 0, 3000)
	for i := range 3000 {
		add = append(add, Directive{"style-src-attr", []string{"'sha256-" + string(rune('a'+i%26)) + "'"}})
	}
	add = append(add, Directive{"frame-ancestors", []string{"https://p.example"}})
	ds := Merge(DefaultCSP, add)
	got := map[string][]string{}
	for _, d := range ds {
		got[d.Name] = d.Sources
	}
	if len(got["style-src-attr"]) != 26 || got["style-src-attr"][0] != "'sha256-a'" {
		t.Errorf("style-src-attr %q", got["style-src-attr"])
	}
	if strings.Join(got["frame-ancestors"], " ") != "https://p.example" {
		t.Errorf("frame-ancestors %q", got["frame-ancestors"])
	}
	if strings.Join(DefaultCSP[len(DefaultCSP)-1].Sources, " ") != "'none'" {
		t.Error("Merge changed its base")
	}
}

// Sources given for a -elem directive are added to what its fallback
// allows, so the site's own stylesheets and scripts still load.
func TestCSPElemInheritsFallback(t *testing.T) {
	v := CSP(CSPOptions{Add: []Directive{{"style-src-elem", []string{"'unsafe-inline'"}}, {"script-src-elem", []string{"https://cdn.example"}}, {"style-src-attr", []string{"'unsafe-inline'"}}}}).Value
	for _, want := range []string{"style-src-elem 'self' 'unsafe-inline';", "script-src-elem 'self' https://cdn.example;", "style-src-attr 'unsafe-inline'"} {
		if !strings.Contains(v, want) {
			t.Errorf("%q lacks %q", v, want)
		}
	}
}
