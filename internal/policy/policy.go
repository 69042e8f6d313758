// Package policy holds the hardened response headers every site gets unless
// its author deliberately changes them.
package policy

import (
	"strings"

	"github.com/hardstatic/buildpack/internal/config"
)

// Header is one response header.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// DefaultCSP is the Content-Security-Policy of a site with no configuration:
// nothing is allowed unless it comes from the site itself, and the site can't
// be framed.
var DefaultCSP = []Directive{
	{"default-src", []string{"'none'"}},
	{"script-src", []string{"'self'"}},
	{"style-src", []string{"'self'"}},
	{"img-src", []string{"'self'"}},
	{"font-src", []string{"'self'"}},
	{"connect-src", []string{"'self'"}},
	{"manifest-src", []string{"'self'"}},
	{"media-src", []string{"'self'"}},
	{"base-uri", []string{"'self'"}},
	{"form-action", []string{"'self'"}},
	{"frame-ancestors", []string{"'none'"}},
}

// Directive is one CSP directive and its sources.
type Directive struct {
	Name    string
	Sources []string
}

// FormatCSP renders directives as a header value.
func FormatCSP(ds []Directive) string {
	parts := make([]string, 0, len(ds))
	for _, d := range ds {
		parts = append(parts, strings.TrimSpace(d.Name+" "+strings.Join(d.Sources, " ")))
	}
	return strings.Join(parts, "; ")
}

// PermissionsPolicy turns off powerful browser features a static site
// rarely needs.
const PermissionsPolicy = "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), " +
	"magnetometer=(), microphone=(), midi=(), payment=(), usb=(), browsing-topics=()"

// Defaults returns the hardened headers, in the order they are documented.
func Defaults() []Header {
	return []Header{
		{"Content-Security-Policy", FormatCSP(DefaultCSP)},
		{"Strict-Transport-Security", "max-age=63072000; includeSubDomains"},
		{"X-Content-Type-Options", "nosniff"},
		{"X-Frame-Options", "DENY"},
		{"Referrer-Policy", "strict-origin-when-cross-origin"},
		{"Cross-Origin-Opener-Policy", "same-origin"},
		{"Cross-Origin-Resource-Policy", "same-origin"},
		{"Permissions-Policy", PermissionsPolicy},
	}
}

// CSPOptions are the author's changes to the default policy.
type CSPOptions struct {
	// Add lists sources added to directives, in order; a directive the
	// default policy lacks is appended.
	Add []Directive
	// ReportOnly sends the policy as Content-Security-Policy-Report-Only.
	ReportOnly bool
	// ReportURI and ReportTo add the reporting directives when set.
	ReportURI, ReportTo string
}

// CSP merges the author's additions into the default policy and returns the
// header name and value.
func CSP(opts CSPOptions) Header {
	ds := Merge(DefaultCSP, opts.Add)
	if opts.ReportURI != "" {
		ds = append(ds, Directive{"report-uri", []string{opts.ReportURI}})
	}
	if opts.ReportTo != "" {
		ds = append(ds, Directive{"report-to", []string{opts.ReportTo}})
	}
	name := "Content-Security-Policy"
	if opts.ReportOnly {
		name += "-Report-Only"
	}
	return Header{name, FormatCSP(ds)}
}

// Merge returns base with the sources of add added, directive by directive,
// without changing base. A directive base lacks (worker-src, frame-src, ...)
// is appended with exactly the added sources; 'none' is dropped from a
// directive that gains a source.
func Merge(base, add []Directive) []Directive {
	ds := make([]Directive, len(base))
	for i, d := range base {
		ds[i] = Directive{d.Name, append([]string(nil), d.Sources...)}
	}
	for _, a := range add {
		i := indexOf(ds, a.Name)
		if i < 0 {
			ds = append(ds, Directive{a.Name, nil})
			i = len(ds) - 1
		}
		for _, s := range a.Sources {
			ds[i].Sources = addSource(ds[i].Sources, s)
		}
	}
	return ds
}

// ParseCSP splits a policy header value into directives.
func ParseCSP(v string) []Directive {
	var ds []Directive
	for part := range strings.SplitSeq(v, ";") {
		f := strings.Fields(part)
		if len(f) == 0 {
			continue
		}
		ds = append(ds, Directive{strings.ToLower(f[0]), f[1:]})
	}
	return ds
}

func indexOf(ds []Directive, name string) int {
	for i, d := range ds {
		if d.Name == name {
			return i
		}
	}
	return -1
}

// addSource adds s, dropping 'none' (it cannot be combined with sources).
func addSource(sources []string, s string) []string {
	out := sources[:0]
	for _, v := range sources {
		if v == s {
			return sources
		}
		if v != "'none'" {
			out = append(out, v)
		}
	}
	return append(out, s)
}

// SiteHeaders returns the site-wide headers for static.toml's [csp] table.
func SiteHeaders(c config.CSP) []Header {
	opts := CSPOptions{ReportOnly: c.ReportOnly, ReportURI: c.ReportURI, ReportTo: c.ReportTo}
	for _, d := range c.Sources {
		opts.Add = append(opts.Add, Directive{Name: d.Name, Sources: d.Sources})
	}
	return Headers(opts)
}

// Headers returns the hardened defaults with the author's CSP changes.
func Headers(opts CSPOptions) []Header {
	hs := Defaults()
	hs[0] = CSP(opts)
	return hs
}
