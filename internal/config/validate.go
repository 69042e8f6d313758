package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
	"golang.org/x/net/http/httpguts"

	"github.com/hardstatic/buildpack/internal/pattern"
)

// problems collects errors about keys, each placed where the key is written.
type problems struct {
	cfg  *Config
	errs []error
}

func (p *problems) add(key []string, msg, hint string) {
	// Keys inside inline tables (has = [{...}]) have no position of their
	// own: the closest written ancestor's is given.
	p.errs = append(p.errs, &Error{File: p.cfg.file, Pos: nearest(p.cfg.pos, key), Key: displayKey(key), Msg: msg, Hint: hint})
}

// displayKey renders ["redirects","[1]","from"] as redirects[2].from.
func displayKey(key []string) string {
	var b strings.Builder
	for i, k := range key {
		if strings.HasPrefix(k, "[") {
			n, _ := strconv.Atoi(strings.Trim(k, "[]"))
			fmt.Fprintf(&b, "[%d]", n+1)
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(k)
	}
	return b.String()
}

func idx(name string, i int) []string { return []string{name, "[" + strconv.Itoa(i) + "]"} }

func At(base []string, key ...string) []string { return append(append([]string{}, base...), key...) }

// orderHeaders fills HeaderRules from the Headers map in file order.
func (c *Config) orderHeaders(keys []toml.Key) {
	c.HeaderRules = nil
	for _, k := range keys {
		if len(k) < 2 || k[0] != "headers" {
			continue
		}
		if len(k) == 2 {
			c.HeaderRules = append(c.HeaderRules, HeaderRule{Glob: k[1]})
			continue
		}
		last := &c.HeaderRules[len(c.HeaderRules)-1]
		last.Headers = append(last.Headers, Header{Name: k[2], Value: c.Headers[k[1]][k[2]]})
	}
}

// validate checks values that decode but make no sense.
func (c *Config) validate(keys []toml.Key) error {
	p := &problems{cfg: c}
	if c.Root != "" {
		if msg := CheckRelativeDir(c.Root); msg != "" {
			p.add([]string{"root"}, msg, `use a directory inside the app, such as root = "public"`)
		}
	}
	switch c.TrailingSlash {
	case "auto", "always", "never":
	default:
		p.add([]string{"trailing_slash"}, fmt.Sprintf("%q is not one of auto, always, never", c.TrailingSlash), `use trailing_slash = "auto"`)
	}
	if !slices.Contains(AccessLogModes, c.AccessLog) {
		p.add([]string{"access_log"}, fmt.Sprintf("%q is not one of %s", c.AccessLog, strings.Join(AccessLogModes, ", ")), `use access_log = "on"`)
	}
	for _, k := range []struct {
		name, val string
	}{{"not_found", c.NotFound}, {"fallback", c.Fallback}} {
		if k.val != "" && (strings.Contains(k.val, "..") || strings.ContainsAny(k.val, "\\\x00") || strings.HasSuffix(k.val, "/")) {
			p.add([]string{k.name}, fmt.Sprintf("%q must name a file inside the root", k.val), `for example "/404.html"`)
		}
	}
	if c.CanonicalHost != "" {
		c.checkHost(p)
	}
	if !httpguts.ValidHeaderFieldName(c.CountryHeader) {
		p.add([]string{"country_header"}, fmt.Sprintf("%q is not a header name", c.CountryHeader), `for example country_header = "CF-IPCountry"`)
	}
	if !ValidToken(c.Charset) {
		p.add([]string{"charset"}, fmt.Sprintf("%q is not a charset name", c.Charset), `use charset = "utf-8"`)
	}
	for _, g := range c.Hide {
		if _, err := pattern.CompileGlob(g); err != nil {
			p.add([]string{"hide"}, err.Error(), `for example hide = ["/**/*.map"]`)
		}
	}
	c.checkRedirects(p)
	c.checkRewrites(p)
	c.checkProxies(p)
	c.checkHeaders(p)
	c.checkCSP(p, keys)
	c.checkBasicAuth(p)
	return JoinErrors(p.errs)
}

func (c *Config) checkHost(p *problems) {
	if err := CheckVars(c.CanonicalHost); err != nil {
		p.add([]string{"canonical_host"}, err.Error(), "write ${NAME} or ${NAME:-default}")
		return
	}
	if HasVars(c.CanonicalHost) {
		return
	}
	if strings.ContainsAny(c.CanonicalHost, "/ \t@?#") || strings.Contains(c.CanonicalHost, "://") {
		p.add([]string{"canonical_host"}, fmt.Sprintf("%q is not a host name", c.CanonicalHost), `write only the host, e.g. canonical_host = "www.example.com"`)
	}
}

// RedirectStatuses are the statuses a redirect may have.
var RedirectStatuses = []int{301, 302, 303, 307, 308}

func (c *Config) checkRedirects(p *problems) {
	for i := range c.Redirects {
		r := &c.Redirects[i]
		base := idx("redirects", i)
		if r.Status == 0 {
			r.Status = DefaultRedirectStatus
		}
		if !slices.Contains(RedirectStatuses, r.Status) {
			p.add(At(base, "status"), fmt.Sprintf("%d is not a redirect status", r.Status), "use 301, 302, 303, 307 or 308")
		}
		route := checkRoute(p, base, r.From)
		names := checkConditions(p, base, r.Conditions, route)
		if r.To == "" {
			p.add(At(base, "to"), "missing", `add to = "/new-path" or a full URL`)
			continue
		}
		if err := CheckVars(r.To); err != nil {
			p.add(At(base, "to"), err.Error(), "write ${NAME} or ${NAME:-default}")
		}
		if r.To == r.From && r.Empty() {
			p.add(At(base, "to"), fmt.Sprintf("redirects %q to itself, a loop", r.From), "change from or to, or remove the redirect")
		}
		if !strings.HasPrefix(r.To, "/") && !strings.HasPrefix(r.To, "https://") && !strings.HasPrefix(r.To, "http://") && !strings.HasPrefix(r.To, "${") {
			p.add(At(base, "to"), fmt.Sprintf("%q is neither a path nor an http(s) URL", r.To), `start it with / or https://`)
		}
		checkPlaceholders(p, At(base, "to"), route, names, r.To)
		if hostPlaceholder(authority(r.To)) {
			p.add(At(base, "to"), fmt.Sprintf("%q takes a placeholder in its host: a captured value could name any site", r.To),
				"write the host literally (or with ${VAR}); placeholders belong in the path")
		}
	}
}

// authority is the host[:port] part of an absolute http(s) URL, "" for a
// path.
func authority(target string) string {
	_, rest, ok := strings.Cut(target, "://")
	if !ok || !strings.HasPrefix(target, "http") {
		return ""
	}
	host, _, _ := strings.Cut(rest, "/")
	host, _, _ = strings.Cut(host, "?")
	return host
}

// hostPlaceholder reports whether a host[:port] holds a :name (a port is
// digits only).
func hostPlaceholder(host string) bool {
	for _, part := range strings.Split(host, ":")[1:] {
		if n := strings.TrimLeft(part, "0123456789"); n != "" && IsBareKeyChar(n[0]) && n[0] != '-' {
			return true
		}
	}
	return false
}

// RewriteStatuses are the statuses a rewrite may answer with.
var RewriteStatuses = []int{200, 404}

func (c *Config) checkRewrites(p *problems) {
	for i, r := range c.Rewrites {
		base := idx("rewrites", i)
		route := checkRoute(p, base, r.From)
		names := checkConditions(p, base, r.Conditions, route)
		if !strings.HasPrefix(r.To, "/") {
			p.add(At(base, "to"), fmt.Sprintf("%q must be a path in the site starting with /", r.To), `for example to = "/index.html"`)
		}
		if r.Status != 0 && !slices.Contains(RewriteStatuses, r.Status) {
			p.add(At(base, "status"), fmt.Sprintf("%d is not a rewrite status", r.Status), "use 200 (the default) or 404; redirects take 301, 302, 303, 307 or 308")
		}
		checkPlaceholders(p, At(base, "to"), route, names, r.To)
	}
}

// Defaults of keys inside tables of arrays and sub-tables, each written
// once: Parse fills them in, the migration writes them, EncodeTOML leaves
// them out.
const (
	// DefaultRedirectStatus is redirects[].status.
	DefaultRedirectStatus = 301
	// DefaultRewriteStatus is rewrites[].status (0 in a Config stands for it).
	DefaultRewriteStatus = 200
	// DefaultMaxBodyText is proxies[].max_body as written.
	DefaultMaxBodyText = "25MB"
	// DefaultMaxBody is DefaultMaxBodyText in bytes.
	DefaultMaxBody = 25 << 20
	// DefaultRealm is basic_auth.realm.
	DefaultRealm = "Restricted"
)

// ElementDefaults maps "table.key" to the default Parse fills in.
var ElementDefaults = map[string]any{
	"redirects.status":     DefaultRedirectStatus,
	"rewrites.status":      DefaultRewriteStatus,
	"proxies.max_body":     DefaultMaxBodyText,
	"basic_auth.realm":     DefaultRealm,
	"basic_auth.users_env": DefaultUsersEnv,
}

func (c *Config) checkProxies(p *problems) {
	for i := range c.Proxies {
		pr := &c.Proxies[i]
		base := idx("proxies", i)
		if !strings.HasPrefix(pr.From, "/") {
			p.add(At(base, "from"), fmt.Sprintf("%q must start with /", pr.From), `for example from = "/api/*"`)
		} else if route, err := pattern.CompileRoute(pr.From); err != nil {
			p.add(At(base, "from"), err.Error(), `for example from = "/api/*"`)
		} else if route.InSegmentStar() {
			p.add(At(base, "from"), fmt.Sprintf("%q: a proxy forwards the rest of the path, so * must be the whole last segment", pr.From), `for example from = "/api/*"`)
		} else {
			checkConditions(p, base, pr.Conditions, route)
		}
		if err := CheckVars(pr.To); err != nil {
			p.add(At(base, "to"), err.Error(), "write ${NAME} or ${NAME:-default}")
		} else if !HasVars(pr.To) {
			if msg := CheckOrigin(pr.To); msg != "" {
				p.add(At(base, "to"), msg, `for example to = "https://api.example.com/"`)
			}
		}
		if pr.MaxBody == "" {
			pr.MaxBody = DefaultMaxBodyText
		}
		if _, err := ParseSize(pr.MaxBody); err != nil {
			p.add(At(base, "max_body"), err.Error(), `for example max_body = "100MB"`)
		}
		for name, v := range pr.Headers {
			if !httpguts.ValidHeaderFieldName(name) {
				p.add(At(base, "headers", name), "not a valid header name", "use letters, digits and -")
			}
			if err := CheckVars(v); err != nil || strings.ContainsAny(v, "\r\n") {
				p.add(At(base, "headers", name), "invalid value", "no line breaks; write ${NAME} for variables")
			}
		}
	}
}

// CheckOrigin returns why s is not an http(s) origin URL, or "".
func CheckOrigin(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Sprintf("%q is not an http:// or https:// URL", s)
	}
	if strings.ContainsAny(s, "?#") || u.User != nil {
		return fmt.Sprintf("%q may not carry a query, fragment or credentials", s)
	}
	return ""
}

func (c *Config) checkHeaders(p *problems) {
	if len(c.HeaderRules) > MaxHeaderRules {
		p.add([]string{"headers", c.HeaderRules[MaxHeaderRules].Glob}, TooManyHeaderRules, HeaderRulesHint)
		return
	}
	for _, rule := range c.HeaderRules {
		base := []string{"headers", rule.Glob}
		if _, err := pattern.CompileGlob(rule.Glob); err != nil {
			p.add(base, err.Error(), `globs start with /, e.g. [headers."/assets/**"]`)
		}
		for _, h := range rule.Headers {
			if !httpguts.ValidHeaderFieldName(h.Name) {
				p.add(At(base, h.Name), "not a valid header name", "use letters, digits and -")
			}
			if strings.ContainsAny(h.Value, "\r\n\x00") {
				p.add(At(base, h.Name), "the value contains a line break", "put the value on one line")
			} else if err := CheckVars(h.Value); err != nil {
				p.add(At(base, h.Name), err.Error(), "write ${NAME} or ${NAME:-default}")
			}
		}
	}
}

// CSPDirectives are the directive names [csp] accepts.
var CSPDirectives = []string{
	"default-src", "script-src", "script-src-elem", "script-src-attr", "style-src", "style-src-elem", "style-src-attr",
	"img-src", "font-src", "connect-src", "media-src", "object-src", "frame-src", "child-src", "worker-src",
	"manifest-src", "base-uri", "form-action", "frame-ancestors", "upgrade-insecure-requests", "sandbox",
	"require-trusted-types-for", "trusted-types",
}

func (c *Config) checkCSP(p *problems, keys []toml.Key) {
	c.CSP = CSP{ReportEndpoint: true}
	known := append([]string{"report_only", "report_uri", "report_to", "report_endpoint"}, CSPDirectives...)
	for _, k := range keys {
		if len(k) != 2 || k[0] != "csp" {
			continue
		}
		key, v := []string{"csp", k[1]}, c.CSPTable[k[1]]
		switch k[1] {
		case "report_only", "report_endpoint":
			b, ok := v.(bool)
			if !ok {
				p.add(key, "expected true or false", "")
			}
			if k[1] == "report_only" {
				c.CSP.ReportOnly = b
			} else {
				c.CSP.ReportEndpoint = b
			}
		case "report_uri", "report_to":
			s, ok := v.(string)
			if !ok || s == "" || strings.ContainsAny(s, " ;,\r\n") {
				p.add(key, "expected a URL or endpoint name without spaces, ; or ,", "")
			}
			if k[1] == "report_uri" {
				c.CSP.ReportURI = s
			} else {
				c.CSP.ReportTo = s
			}
		default:
			if !Contains(CSPDirectives, k[1]) {
				p.add(key, "unknown CSP directive", Suggest(k[1], known))
				continue
			}
			sources, ok := stringList(v)
			if !ok {
				p.add(key, "expected a list of sources", `for example script-src = ["https://plausible.io"]`)
				continue
			}
			for _, s := range sources {
				if s == "" || strings.ContainsAny(s, " ;,\r\n") {
					p.add(key, fmt.Sprintf("%q is not a single CSP source", s), "one source per string, e.g. \"https://fonts.example.com\"")
				}
				if s == "'unsafe-inline'" || s == "'unsafe-eval'" || s == "*" {
					// Allowed, but it is the author's deliberate choice; the build log says so.
					continue
				}
			}
			c.CSP.Sources = append(c.CSP.Sources, CSPDirective{Name: k[1], Sources: sources})
		}
	}
}

func stringList(v any) ([]string, bool) {
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// DefaultUsersEnv names the variable holding basic-auth users.
const DefaultUsersEnv = "BASIC_AUTH_USERS"

func (c *Config) checkBasicAuth(p *problems) {
	a := c.BasicAuth
	if a == nil {
		return
	}
	if a.Realm == "" {
		a.Realm = DefaultRealm
	}
	if a.UsersEnv == "" {
		a.UsersEnv = DefaultUsersEnv
	}
	if !validEnvName(a.UsersEnv) {
		p.add([]string{"basic_auth", "users_env"}, fmt.Sprintf("%q is not an environment variable name", a.UsersEnv), `for example users_env = "BASIC_AUTH_USERS"`)
	}
	if strings.ContainsAny(a.Realm, "\"\r\n") {
		p.add([]string{"basic_auth", "realm"}, "the realm may not contain quotes or line breaks", "")
	}
	for _, g := range a.Paths {
		if _, err := pattern.CompileGlob(g); err != nil {
			p.add([]string{"basic_auth", "paths"}, err.Error(), `for example paths = ["/admin/**"]`)
		}
	}
}

func checkRoute(p *problems, base []string, from string) *pattern.Route {
	r, err := pattern.CompileRoute(from)
	if err != nil {
		p.add(At(base, "from"), err.Error(), `for example from = "/old/*" or "/blog/:year/:slug"`)
		return nil
	}
	return r
}

// checkPlaceholders reports :names in a target that neither the pattern
// nor the conditions capture (names).
func checkPlaceholders(p *problems, key []string, route *pattern.Route, names []string, target string) {
	if route == nil {
		return
	}
	for _, name := range pattern.Placeholders(target) {
		if !Contains(names, name) {
			p.add(key, fmt.Sprintf(":%s is not captured by from %q or a condition", name, route.String()),
				`use * (as :splat) or :name segments in from, query = { name = ":name" }, or a named group in a has value`)
		}
	}
}

// CheckFiles checks what needs the site root: the not_found and fallback
// files must exist in it. It returns a copy of c with both made relative to
// the root and NotFound defaulting to 404.html when the root has one; c is
// not changed.
func (c *Config) CheckFiles(root string) (*Config, error) {
	r := *c
	p := &problems{cfg: c}
	for _, k := range []struct {
		key string
		val *string
	}{{"not_found", &r.NotFound}, {"fallback", &r.Fallback}} {
		if *k.val == "" {
			continue
		}
		rel := strings.TrimPrefix(path.Clean("/"+*k.val), "/")
		if info, err := os.Stat(filepath.Join(root, filepath.FromSlash(rel))); err != nil || !info.Mode().IsRegular() {
			p.add([]string{k.key}, fmt.Sprintf("%q does not exist in the site root", *k.val), "create the file, or fix the path (it is relative to root)")
		}
		*k.val = rel
	}
	if r.NotFound == "" {
		r.NearestNotFound = true
		if info, err := os.Stat(filepath.Join(root, NotFoundPage)); err == nil && info.Mode().IsRegular() {
			r.NotFound = NotFoundPage
		}
	}
	if err := errors.Join(p.errs...); err != nil {
		return nil, err
	}
	return &r, nil
}

// CheckRelativeDir returns why dir cannot be a directory inside the app, or "".
func CheckRelativeDir(dir string) string {
	switch {
	case filepath.IsAbs(dir) || strings.HasPrefix(dir, "/"):
		return fmt.Sprintf("%q is an absolute path; it must be relative to the app directory", dir)
	case strings.ContainsRune(dir, '\\'):
		return fmt.Sprintf("%q contains a backslash; use / to separate directories", dir)
	case path.Clean(dir) == ".." || strings.HasPrefix(path.Clean(dir), "../"):
		return fmt.Sprintf("%q points outside the app directory", dir)
	}
	return ""
}

// ParseSize reads sizes such as "25MB", "512KB", "1GB" or "1048576".
func ParseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 || n > (1<<40)/mult {
		return 0, fmt.Errorf("%q is not a size such as \"25MB\"", s)
	}
	return n * mult, nil
}

// ValidToken reports whether s is a charset name as static.toml takes it:
// letters, digits, -, _ and . (header names follow httpguts).
func ValidToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c != '-' && c != '_' && c != '.' && (c < '0' || c > '9') && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

func validEnvName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for _, c := range s {
		if c != '_' && (c < '0' || c > '9') && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

func Contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
