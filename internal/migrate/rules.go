package migrate

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/hardstatic/buildpack/internal/config"
)

// Imported is the part of a configuration that one file of another host
// (_redirects, _headers, netlify.toml, vercel.json, firebase.json) says,
// mapped onto static.toml's keys, with notes on what behaves differently
// and the rules that could not be mapped.
type Imported struct {
	// Config holds what the file maps to: its redirects, rewrites, proxies
	// and header rules, and for the files that configure a whole site its
	// root, clean_urls and trailing_slash, over Default().
	Config *config.Config
	// Notes explain differences, one line each; those starting with "NOT
	// MIGRATED" name rules left out.
	Notes []string
	// Refused are the rules that cannot be honoured, as errors naming the
	// file and line: the build fails with them, migrate lists them as
	// NOT MIGRATED notes.
	Refused []error
	// lines maps "redirects[N]", "rewrites[N]", "proxies[N]" (1-based, as
	// errors name them) and "headers.GLOB" to the line they come from.
	lines map[string]int
}

// mapper builds an Imported from the rules of one file.
type mapper struct {
	file string
	out  *Imported
	seen map[string]bool // notes written once per file
}

func newMapper(file string) *mapper {
	return &mapper{file: file, out: &Imported{Config: config.Default(), lines: map[string]int{}}, seen: map[string]bool{}}
}

func (m *mapper) note(format string, args ...any) {
	m.out.Notes = append(m.out.Notes, fmt.Sprintf(format, args...))
}

// noteOnce writes a note the first time key is seen.
func (m *mapper) noteOnce(key, format string, args ...any) {
	if m.seen[key] {
		return
	}
	m.seen[key] = true
	m.note(format, args...)
}

// refuse records a rule that cannot be honoured.
func (m *mapper) refuse(line int, msg, hint string) {
	m.out.Refused = append(m.out.Refused, &config.Error{File: m.file, Pos: config.Position{Line: line, Col: 1}, Msg: msg, Hint: hint})
}

// literal refuses text holding "${": static.toml resolves ${VAR} from the
// environment at launch, the other hosts' files never did.
func (m *mapper) literal(line int, s string) bool {
	if !strings.Contains(s, "${") {
		return true
	}
	m.refuse(line, fmt.Sprintf("%q holds ${, which static.toml would read as an environment variable", s), "write the rule in static.toml with the variable as ${NAME}, or without ${")
	return false
}

// redirectStatus reports whether status is one of a redirect's.
func redirectStatus(status int) bool { return slices.Contains(config.RedirectStatuses, status) }

// rule maps one redirect, rewrite or proxy rule; From and To are already
// in static.toml's route syntax. defaultStatus is the format's status when
// none is written.
func (m *mapper) rule(r Rule, defaultStatus int) {
	if !m.literal(r.Line, r.To) || !m.literal(r.Line, r.From) {
		return
	}
	from, host, ok := m.splitHost(r)
	if !ok {
		return
	}
	cond, ok := m.conditions(r)
	if !ok {
		return
	}
	if host != "" {
		cond.Has = append(cond.Has, config.Match{Type: "host", Value: regexp.QuoteMeta(host)})
	}
	status := r.Status
	if status == 0 {
		status = defaultStatus
	}
	external := strings.HasPrefix(r.To, "https://") || strings.HasPrefix(r.To, "http://")
	cfg := m.out.Config
	switch {
	case redirectStatus(status):
		force := r.Force
		red := config.Redirect{From: from, To: r.To, Status: status, Conditions: cond}
		if !force {
			red.Force = &force
		}
		cfg.Redirects = append(cfg.Redirects, red)
		if len(cond.Query) > 0 && !strings.Contains(r.To, "?") {
			m.noteOnce("query", "A redirect that matches query parameters (line %d: %s) keeps the query string here, as every redirect does (/store?id=42 -> /blog/42?id=42); Netlify drops the parameters it matched.", r.Line, r.From)
		}
		m.out.lines[fmt.Sprintf("redirects[%d]", len(cfg.Redirects))] = r.Line
	case status == 200 && external:
		m.proxy(r, from, cond)
	case status == 200 || status == 404:
		if external {
			m.refuse(r.Line, fmt.Sprintf("a %d rule to another site (%s)", status, r.To), "only a path of the site can be served with 404; use a redirect (301) to send visitors there")
			return
		}
		rw := config.Rewrite{From: from, To: r.To, Force: r.Force, Conditions: cond}
		if status == 404 {
			rw.Status = 404
		}
		cfg.Rewrites = append(cfg.Rewrites, rw)
		m.out.lines[fmt.Sprintf("rewrites[%d]", len(cfg.Rewrites))] = r.Line
	default:
		m.refuse(r.Line, fmt.Sprintf("status %d has no equivalent", status), "redirects use 301, 302, 303, 307 or 308; rewrites serve a page of the site with 200 or 404")
	}
}

// splitHost separates a host-specific rule's host ("https://blog.example.com/*")
// from its path; the host becomes a has condition.
func (m *mapper) splitHost(r Rule) (from, host string, ok bool) {
	if strings.HasPrefix(r.From, "/") {
		return r.From, "", true
	}
	u, err := url.Parse(r.From)
	if err != nil || u.Host == "" || u.Port() != "" || u.RawQuery != "" || u.User != nil || strings.Contains(u.Host, ":") {
		m.refuse(r.Line, fmt.Sprintf("%q is not a URL of a host and a path", r.From), "write /path, or https://host/path for a rule of one host only")
		return "", "", false
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	m.noteOnce("host", "Rules for one host (line %d: %s) match the request's Host whatever the scheme: https is enforced by https_only.", r.Line, r.From)
	return path, u.Hostname(), true
}

// conditions maps query parameters and Netlify's conditions.
func (m *mapper) conditions(r Rule) (config.Conditions, bool) {
	var c config.Conditions
	for _, q := range r.Query {
		if c.Query == nil {
			c.Query = map[string]string{}
		}
		if _, dup := c.Query[q.Key]; dup {
			m.refuse(r.Line, fmt.Sprintf("query parameter %q is written twice", q.Key), "keep one")
			return c, false
		}
		c.Query[q.Key] = q.Value
	}
	for _, cond := range r.Conditions {
		values := splitList(cond.Value)
		switch strings.ToLower(cond.Key) {
		case "language":
			c.Language = append(c.Language, values...)
		case "country":
			for _, v := range values {
				c.Country = append(c.Country, strings.ToUpper(v))
			}
			m.noteOnce("country", "Country= conditions read the visitor's country from the %s request header (country_header), which Cloudflare sets; behind another CDN set country_header to its header. A client can send the header itself unless the CDN overwrites it, so never use it for access control.", config.DefaultCountryHeader)
		case "cookie":
			if len(values) != 1 {
				m.refuse(r.Line, fmt.Sprintf("Cookie=%s matches any of %d cookies", cond.Value, len(values)), "write one rule per cookie, each with Cookie=name")
				return c, false
			}
			c.Has = append(c.Has, config.Match{Type: "cookie", Key: values[0]})
		case "role":
			m.refuse(r.Line, "Role= matches the roles of a Netlify Identity token, which this server does not read", "protect the paths with [basic_auth] in static.toml instead")
			return c, false
		case "sign":
			m.refuse(r.Line, "Sign= signs proxied requests with a Netlify secret, which this server does not do", "authenticate to the origin with a header: [[proxies]] headers = { Authorization = \"${TOKEN}\" }")
			return c, false
		default:
			m.refuse(r.Line, fmt.Sprintf("unknown condition %q", cond.Key), "the conditions are Language=, Country= and Cookie=")
			return c, false
		}
	}
	c.Has = append(c.Has, r.Has...)
	c.Missing = append(c.Missing, r.Missing...)
	return c, true
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// proxy maps a 200 rule to another site. static.toml's proxies append the
// part matched by a final * to the origin URL, so the rule's target must
// end in :splat (or name one fixed URL for a fixed path).
func (m *mapper) proxy(r Rule, from string, cond config.Conditions) {
	to := r.To
	switch {
	case strings.HasSuffix(from, "/*") && strings.HasSuffix(to, "/:splat"):
		to = strings.TrimSuffix(to, ":splat")
	case !strings.Contains(from, "*") && !strings.Contains(from, "/:"):
	default:
		m.refuse(r.Line, fmt.Sprintf("the proxy %s -> %s moves captured parts of the path", r.From, r.To),
			"a proxy forwards the part matched by a final * after the origin URL: write /api/* https://api.example.com/:splat 200")
		return
	}
	if u, err := url.Parse(to); err != nil || u.RawQuery != "" || u.Fragment != "" || strings.Contains(to, "/:") {
		m.refuse(r.Line, fmt.Sprintf("the proxy target %s carries a query, a fragment or placeholders", r.To), "a proxy forwards to an origin URL and a path prefix, e.g. https://api.example.com/v1/:splat")
		return
	}
	cfg := m.out.Config
	cfg.Proxies = append(cfg.Proxies, config.Proxy{From: from, To: to, Headers: r.Headers, Conditions: cond})
	m.out.lines[fmt.Sprintf("proxies[%d]", len(cfg.Proxies))] = r.Line
	if !r.Force {
		m.noteOnce("proxy-force", "Proxies (line %d: %s) are tried before the site's files here (as Netlify's 200! is): a file at the same path is no longer served.", r.Line, r.From)
	}
}

// headerRule appends one header rule (glob in static.toml's syntax),
// merging a glob written twice into its first rule: a header set twice for
// the same glob is joined with ", ", as Netlify and Cloudflare do.
func (m *mapper) headerRule(line int, glob string, headers []config.Header) {
	cfg := m.out.Config
	for i := range cfg.HeaderRules {
		if cfg.HeaderRules[i].Glob == glob {
			cfg.HeaderRules[i].Headers = mergeHeaders(cfg.HeaderRules[i].Headers, headers)
			return
		}
	}
	cfg.HeaderRules = append(cfg.HeaderRules, config.HeaderRule{Glob: glob, Headers: headers})
	m.out.lines["headers."+glob] = line
}

// mergeHeaders adds more to have: a name set in both is joined with ", "
// (a removal, "", replaces).
func mergeHeaders(have, more []config.Header) []config.Header {
	for _, h := range more {
		i := slices.IndexFunc(have, func(x config.Header) bool { return strings.EqualFold(x.Name, h.Name) })
		switch {
		case i < 0:
			have = append(have, h)
		case h.Value == "" || have[i].Value == "":
			have[i] = h
		default:
			have[i].Value += ", " + h.Value
		}
	}
	return have
}

// finish validates the mapped rules as static.toml would (the same
// validators, by parsing their encoding), turns each problem into a
// refusal at the line of the rule it comes from, and keeps the rules that
// pass, with the defaults Parse fills in.
func (m *mapper) finish() *Imported {
	parsed, err := config.Parse(config.FileName, EncodeTOML(m.out.Config, nil))
	if err != nil {
		for _, e := range flatten(err) {
			m.out.Refused = append(m.out.Refused, m.relocate(e))
		}
		m.dropRefused()
		if parsed, err = config.Parse(config.FileName, EncodeTOML(m.out.Config, nil)); err != nil {
			// A problem that names no rule: keep nothing rather than an
			// invalid configuration (the refusals say why).
			parsed = config.Default()
		}
	}
	m.out.Config = parsed
	return m.out
}

var ruleKey = regexp.MustCompile(`^((?:redirects|rewrites|proxies)\[\d+\])(?:\.(.*))?$`)

// relocate names the line of the file that a problem of the encoded rules
// comes from.
func (m *mapper) relocate(err error) error {
	var ce *config.Error
	if !errors.As(err, &ce) {
		return fmt.Errorf("%s: %w", m.file, err)
	}
	line, key := 0, ce.Key
	if sub := ruleKey.FindStringSubmatch(ce.Key); sub != nil {
		line = m.out.lines[sub[1]]
		key = sub[2]
	} else {
		// The longest glob that names the key: "headers./**.jpg.X" is
		// the table "/**.jpg", not "/**".
		best := ""
		for k, l := range m.out.lines {
			if strings.HasPrefix(k, "headers.") && (ce.Key == k || strings.HasPrefix(ce.Key, k+".")) && len(k) > len(best) {
				best, line, key = k, l, strings.TrimPrefix(strings.TrimPrefix(ce.Key, k), ".")
			}
		}
	}
	msg := ce.Msg
	if key != "" {
		msg = key + ": " + msg
	}
	return &config.Error{File: m.file, Pos: config.Position{Line: line, Col: 1}, Msg: msg, Hint: ce.Hint}
}

// dropRefused removes the rules whose lines were refused.
func (m *mapper) dropRefused() {
	bad := map[int]bool{}
	for _, e := range m.out.Refused {
		var ce *config.Error
		if errors.As(e, &ce) {
			bad[ce.Pos.Line] = true
		}
	}
	cfg := m.out.Config
	keep := func(kind string, n int) bool { return !bad[m.out.lines[kind+"["+strconv.Itoa(n+1)+"]"]] }
	var reds []config.Redirect
	for i, r := range cfg.Redirects {
		if keep("redirects", i) {
			reds = append(reds, r)
		}
	}
	var rws []config.Rewrite
	for i, r := range cfg.Rewrites {
		if keep("rewrites", i) {
			rws = append(rws, r)
		}
	}
	var prs []config.Proxy
	for i, r := range cfg.Proxies {
		if keep("proxies", i) {
			prs = append(prs, r)
		}
	}
	var hrs []config.HeaderRule
	for _, h := range cfg.HeaderRules {
		if !bad[m.out.lines["headers."+h.Glob]] {
			hrs = append(hrs, h)
		}
	}
	cfg.Redirects, cfg.Rewrites, cfg.Proxies, cfg.HeaderRules = reds, rws, prs, hrs
}

// flatten lists the errors joined in err.
func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}
