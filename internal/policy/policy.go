// Package policy holds the hardened response headers every site gets unless
// its author deliberately changes them.
package policy

import (
	"slices"
	"strings"

	"github.com/hardstatic/buildpack/internal/config"
)

// Header is one response header; an empty Value removes it. It is the type
// of static.toml's header rules too (config.Header), so a rule applies over
// the defaults without conversion.
type Header = config.Header

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
		{Name: "Content-Security-Policy", Value: FormatCSP(DefaultCSP)},
		{Name: "Strict-Transport-Security", Value: "max-age=63072000; includeSubDomains"},
		{Name: "X-Content-Type-Options", Value: "nosniff"},
		{Name: "X-Frame-Options", Value: "DENY"},
		{Name: "Referrer-Policy", Value: "strict-origin-when-cross-origin"},
		{Name: "Cross-Origin-Opener-Policy", Value: "same-origin"},
		{Name: "Cross-Origin-Resource-Policy", Value: "same-origin"},
		{Name: "Permissions-Policy", Value: PermissionsPolicy},
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
	// Endpoint names the image's own report endpoint (ReportPath) in
	// report-uri and report-to, with a Reporting-Endpoints header; the
	// caller sets it only when ReportURI and ReportTo are empty.
	Endpoint bool
}

// ReportPath is where the server takes CSP violation reports
// (http.handlers.static_csp_report): under /.well-known/, so it never
// collides with a page, and outside basic auth, since browsers send
// reports without credentials. Only POST requests with a report content
// type are taken there; other requests reach the site's files as usual.
const ReportPath = "/.well-known/csp-report"

// ReportGroup is the Reporting API endpoint name report-to uses.
const ReportGroup = "csp-endpoint"

// ReportingEndpoints is the header that names ReportPath for report-to.
func ReportingEndpoints() Header {
	return Header{Name: "Reporting-Endpoints", Value: ReportGroup + `="` + ReportPath + `"`}
}

// The policy's header names.
const (
	cspName    = "Content-Security-Policy"
	reportOnly = "-Report-Only"
)

// CSP merges the author's additions into the default policy and returns the
// header name and value.
func CSP(opts CSPOptions) Header {
	ds := Merge(DefaultCSP, opts.Add)
	InheritElem(ds, DefaultCSP)
	if opts.ReportURI != "" {
		ds = append(ds, Directive{"report-uri", []string{opts.ReportURI}})
	}
	if opts.ReportTo != "" {
		ds = append(ds, Directive{"report-to", []string{opts.ReportTo}})
	}
	if opts.Endpoint {
		ds = append(ds, Directive{"report-uri", []string{ReportPath}}, Directive{"report-to", []string{ReportGroup}})
	}
	name := cspName
	if opts.ReportOnly {
		name += reportOnly
	}
	return Header{Name: name, Value: FormatCSP(ds)}
}

// Merge returns base with the sources of add added, directive by directive,
// without changing base. A directive base lacks (worker-src, frame-src, ...)
// is appended with exactly the added sources; 'none' is dropped from a
// directive that gains a source. It takes time linear in the number of
// sources: pages with thousands of hashes are merged with sets.
func Merge(base, add []Directive) []Directive {
	ds := make([]Directive, len(base))
	index := make(map[string]int, len(base)+len(add))
	seen := make([]map[string]bool, len(base))
	for i, d := range base {
		ds[i] = Directive{d.Name, append([]string(nil), d.Sources...)}
		index[d.Name] = i
		seen[i] = make(map[string]bool, len(d.Sources))
		for _, s := range d.Sources {
			seen[i][s] = true
		}
	}
	for _, a := range add {
		i, ok := index[a.Name]
		if !ok {
			ds = append(ds, Directive{a.Name, nil})
			seen = append(seen, map[string]bool{})
			i = len(ds) - 1
			index[a.Name] = i
		}
		for _, s := range a.Sources {
			if seen[i][s] {
				continue
			}
			if seen[i]["'none'"] {
				ds[i].Sources = slices.DeleteFunc(ds[i].Sources, func(v string) bool { return v == "'none'" })
				delete(seen[i], "'none'")
			}
			seen[i][s] = true
			ds[i].Sources = append(ds[i].Sources, s)
		}
	}
	return ds
}

// InheritElem gives a -elem directive of ds that base lacks the sources of
// its fallback too (style-src-elem those of style-src): sources added to
// style-src-elem are added to what elements may load, and the site's own
// stylesheets and scripts keep loading.
func InheritElem(ds, base []Directive) {
	for i, d := range ds {
		fallback, ok := strings.CutSuffix(d.Name, "-elem")
		if !ok || slices.ContainsFunc(base, func(b Directive) bool { return b.Name == d.Name }) {
			continue
		}
		for _, f := range ds {
			if f.Name == fallback {
				ds[i].Sources = Merge([]Directive{{fallback, f.Sources}}, []Directive{{fallback, d.Sources}})[0].Sources
			}
		}
	}
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

// SiteHeaders returns the site-wide headers for static.toml's [csp] table.
func SiteHeaders(c config.CSP) []Header {
	opts := CSPOptions{ReportOnly: c.ReportOnly, ReportURI: c.ReportURI, ReportTo: c.ReportTo, Endpoint: c.UsesReportEndpoint()}
	for _, d := range c.Sources {
		opts.Add = append(opts.Add, Directive{Name: d.Name, Sources: d.Sources})
	}
	return Headers(opts)
}

// Headers returns the hardened defaults with the author's CSP changes.
func Headers(opts CSPOptions) []Header {
	hs := Defaults()
	hs[0] = CSP(opts)
	if opts.Endpoint {
		hs = append(hs, ReportingEndpoints())
	}
	return hs
}

// SiteCSP is the site-wide policy among headers: the header named
// Content-Security-Policy, or Content-Security-Policy-Report-Only.
func SiteCSP(headers []Header) Header {
	for _, h := range headers {
		if h.Name == cspName || h.Name == cspName+reportOnly {
			return h
		}
	}
	return Header{}
}
