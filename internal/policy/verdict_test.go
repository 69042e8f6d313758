package policy

import (
	"strings"
	"testing"
)

func TestVerdicts(t *testing.T) {
	grade := func(hs ...Header) map[string]string {
		g := map[string]string{}
		for _, v := range Verdicts(hs) {
			g[v.Header] = v.Grade
		}
		return g
	}
	if g := grade(); g["Content-Security-Policy"] != "missing" || g["Strict-Transport-Security"] != "missing" || g["X-Frame-Options"] != "missing" {
		t.Errorf("no headers: %v", g)
	}
	for _, tc := range []struct {
		h     Header
		grade string
	}{
		{Header{Name: "Content-Security-Policy", Value: "default-src 'self'; script-src 'self' 'unsafe-inline'"}, "weak"},
		{Header{Name: "Content-Security-Policy", Value: "default-src 'none'; script-src https:"}, "weak"},
		{Header{Name: "Content-Security-Policy", Value: "default-src 'none'; script-src 'self'"}, "ok"},
		{Header{Name: "Content-Security-Policy-Report-Only", Value: "default-src 'none'"}, "weak"},
		{Header{Name: "Strict-Transport-Security", Value: "max-age=300"}, "weak"},
		{Header{Name: "Strict-Transport-Security", Value: "max-age=31536000; includeSubDomains"}, "ok"},
		{Header{Name: "X-Content-Type-Options", Value: "nosniff"}, "ok"},
		{Header{Name: "X-Frame-Options", Value: "SAMEORIGIN"}, "ok"},
		{Header{Name: "X-Frame-Options", Value: "ALLOW-FROM x"}, "weak"},
		{Header{Name: "Referrer-Policy", Value: "unsafe-url"}, "weak"},
		{Header{Name: "Referrer-Policy", Value: "unsafe-url, no-referrer"}, "ok"},
		{Header{Name: "Cross-Origin-Resource-Policy", Value: "cross-origin"}, "weak"},
	} {
		name := strings.TrimSuffix(tc.h.Name, "-Report-Only")
		if got := grade(tc.h)[name]; got != tc.grade {
			t.Errorf("%s: %s: %q, want %q", tc.h.Name, tc.h.Value, got, tc.grade)
		}
	}
	for _, v := range Verdicts(Defaults()) {
		if v.Grade != "ok" {
			t.Errorf("the default %s is %s: %s", v.Header, v.Grade, v.Note)
		}
	}
}
