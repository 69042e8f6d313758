// Package migrate reads the configuration files of other static hosts
// (today Heroku's static.json) into a static.toml configuration, with a
// note on every behaviour that differs, and writes that configuration as a
// readable static.toml (EncodeTOML). It reuses internal/config's validators
// and defaults, so a migrated site is checked exactly as a static.toml is.
package migrate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/http/httpguts"

	"github.com/hardstatic/buildpack/internal/config"
	"github.com/hardstatic/buildpack/internal/pattern"
)

// ParseStaticJSON maps a static.json of heroku-buildpack-static onto a Config,
// starting from Default(). Besides the Config it returns notes, one line each,
// on every behaviour that differs between Heroku's buildpack and this one for
// this file, so that a migration can be reviewed before it is deployed. Notes
// that start with "NOT MIGRATED" name settings that have no equivalent and
// were left out.
//
// Keys heroku-buildpack-static did not know and values of the wrong JSON type
// are reported as *Error values naming the file, line and column, the key and
// a fix; several are joined with errors.Join.
func ParseStaticJSON(name string, data []byte) (*config.Config, []string, error) {
	if len(data) > config.MaxFileSize {
		return nil, nil, config.TooLargeError(name, len(data))
	}
	doc, err := readJSON(name, data)
	if err != nil {
		return nil, nil, err
	}
	m := &migration{name: name, data: data, cfg: config.Default()}
	if doc.kind != jsonObject {
		m.errorAt(doc, nil, "the file must hold a JSON object", `start it with { and end it with }, e.g. {"root": "dist/"}`)
		return nil, nil, config.JoinErrors(m.errs)
	}
	m.checkText(doc, nil)
	if len(m.errs) > 0 {
		return nil, nil, config.JoinErrors(m.errs)
	}
	keys := m.members(doc, nil, staticJSONKeys)
	if len(m.errs) > 0 {
		return nil, nil, config.JoinErrors(m.errs)
	}
	m.root(keys["root"])
	m.encoding(keys["encoding"])
	m.cleanURLs(keys["clean_urls"])
	m.httpsOnly(keys["https_only"])
	m.canonicalHost(keys["canonical_host"])
	m.errorPage(keys["error_page"])
	m.routes(keys["routes"])
	m.redirects(keys["redirects"])
	m.proxies(keys["proxies"])
	m.headers(keys["headers"])
	m.basicAuth(keys["basic_auth"], keys["basic_auth_htpasswd_path"])
	m.logging(keys["logging"])
	m.dropped(keys["worker_connections"], "worker_connections: nginx's worker_connections has no equivalent and was dropped; the server handles connections without a fixed limit per worker.")
	m.dropped(keys["port"], "port: the server always listens on $PORT (default 8080); the port key was dropped.")
	if len(m.errs) > 0 {
		return nil, nil, config.JoinErrors(m.errs)
	}
	if len(m.vars) > 0 {
		m.note("${VAR} references in %s are carried over and resolved at launch, but where Heroku left an unset variable as literal text, here an unset variable without a default is an error at launch (write ${NAME:-default} to give one).",
			joinList(m.vars))
	}
	notes := append([]string{
		"Every response now carries hardened security headers that Heroku did not send: HSTS, X-Frame-Options: DENY, nosniff, Referrer-Policy, CORP/COOP, Permissions-Policy and a strict Content-Security-Policy that blocks inline scripts and styles and anything not loaded from the site itself; allow more sources under [csp], e.g. script-src = [\"https://cdn.example.com\"].",
		"Files and directories whose names start with a dot (except under /.well-known/) and static.json itself are never served; Heroku served them when they were under the root.",
	}, m.notes...)
	return m.cfg, notes, nil
}

// staticJSONKeys are the keys heroku-buildpack-static read from static.json,
// documented or not, with the JSON type each takes.
var staticJSONKeys = map[string]jsonKind{
	"root":                     jsonString,
	"encoding":                 jsonString,
	"canonical_host":           jsonString,
	"clean_urls":               jsonBool,
	"https_only":               jsonBool,
	"error_page":               jsonString,
	"routes":                   jsonObject,
	"redirects":                jsonObject,
	"proxies":                  jsonObject,
	"headers":                  jsonObject,
	"basic_auth":               jsonBool,
	"basic_auth_htpasswd_path": jsonString,
	"logging":                  jsonObject,
	"worker_connections":       jsonNumber,
	"port":                     jsonNumber,
}

// migration collects the Config, the notes and the errors of one file.
type migration struct {
	name  string
	data  []byte
	cfg   *config.Config
	notes []string
	errs  []error
	vars  []string // where ${VAR} references were carried over
}

func (m *migration) note(format string, args ...any) {
	m.notes = append(m.notes, fmt.Sprintf(format, args...))
}

func (m *migration) notMigrated(format string, args ...any) {
	m.notes = append(m.notes, "NOT MIGRATED: "+fmt.Sprintf(format, args...))
}

// errorAt records an error about the value v at key.
func (m *migration) errorAt(v *jsonValue, key []string, msg, hint string) {
	if len(m.errs) >= config.MaxErrors { // counted, not reported: finding the line costs a scan of the file
		m.errs = append(m.errs, errors.New(msg))
		return
	}
	m.errs = append(m.errs, &config.Error{File: m.name, Pos: offsetPosition(m.data, v.off), Key: jsonKeyPath(key), Msg: msg, Hint: hint})
}

// members checks the members of object v against known (name -> JSON type)
// and returns them by name. JSON null counts as absent, as it did for
// Heroku.
func (m *migration) members(v *jsonValue, key []string, known map[string]jsonKind) map[string]*jsonValue {
	out := map[string]*jsonValue{}
	var names []string
	for n := range known {
		names = append(names, n)
	}
	for _, mem := range m.unique(v, key) {
		k := append(append([]string{}, key...), mem.key)
		want, ok := known[mem.key]
		if !ok {
			m.errorAt(mem.keyValue(), k, "unknown key: heroku-buildpack-static had no such setting", unknownKeyHint(mem.key, names, key))
			continue
		}
		if mem.val.kind == jsonNull {
			continue
		}
		if !m.expect(mem.val, k, want) {
			continue
		}
		out[mem.key] = mem.val
	}
	return out
}

// unique returns the members of object v, reporting names that appear more
// than once (Ruby's JSON parser kept the last one silently).
func (m *migration) unique(v *jsonValue, key []string) []jsonMember {
	seen := map[string]bool{}
	var out []jsonMember
	for _, mem := range v.members {
		if seen[mem.key] {
			m.errorAt(mem.keyValue(), append(append([]string{}, key...), mem.key), "appears twice in the same object", "keep one; Heroku used the last one")
			continue
		}
		seen[mem.key] = true
		out = append(out, mem)
	}
	return out
}

func unknownKeyHint(got string, valid []string, parent []string) string {
	if len(parent) == 0 && config.Contains(tomlKeys(), got) {
		return fmt.Sprintf("%s is a static.toml key: remove it here and set it in the converted static.toml", got)
	}
	return config.Suggest(got, valid)
}

// require returns the member name of obj, reporting it when it is missing.
// A member of the wrong type was reported by members already.
func (m *migration) require(obj *jsonValue, fields map[string]*jsonValue, key []string, name, hint string) *jsonValue {
	if f := fields[name]; f != nil {
		return f
	}
	if f, ok := fieldOf(obj, name); !ok || f.kind == jsonNull {
		m.errorAt(obj, key, fmt.Sprintf("missing %q", name), hint)
	}
	return nil
}

// expect checks that v has the JSON type want and reports it otherwise.
func (m *migration) expect(v *jsonValue, key []string, want jsonKind) bool {
	if v.kind == want {
		return true
	}
	hint := ""
	switch want {
	case jsonString:
		hint = `put the value in double quotes, e.g. "dist/"`
	case jsonBool:
		hint = "write true or false without quotes"
	case jsonNumber:
		hint = "write a number without quotes, e.g. 302"
	case jsonObject:
		hint = `write an object, e.g. {"/path": ...}`
	}
	m.errorAt(v, key, fmt.Sprintf("expected %s, got %s", want, v.kind), hint)
	return false
}

func (m *migration) dropped(v *jsonValue, note string) {
	if v != nil {
		m.note("%s", note)
	}
}

// checkVars reports ${...} syntax this buildpack cannot resolve and records
// where variables were carried over.
func (m *migration) checkVars(v *jsonValue, key []string, s, where string) bool {
	if !strings.Contains(s, "${") {
		return true
	}
	if err := config.CheckVars(s); err != nil {
		m.errorAt(v, key, err.Error(), "write ${NAME} with letters, digits and _, or ${NAME:-default}")
		return false
	}
	if !config.Contains(m.vars, where) {
		m.vars = append(m.vars, where)
	}
	return true
}

func (m *migration) root(v *jsonValue) {
	if v == nil {
		m.cfg.Root = "public_html"
		m.note(`root: Heroku served public_html/ when static.json named no root; root = "public_html" keeps that (without it this buildpack looks for public/, dist/, build/, _site/, out/ and the other output directories of common site generators).`)
		return
	}
	dir := v.str
	key := []string{"root"}
	if strings.HasPrefix(dir, "/app/") || dir == "/app" {
		rel := strings.TrimPrefix(strings.TrimPrefix(dir, "/app"), "/")
		if rel == "" {
			rel = "."
		}
		dir = rel
	}
	if dir == "" {
		m.errorAt(v, key, "is empty", `name the directory that holds index.html, e.g. "dist/"`)
		return
	}
	if msg := config.CheckRelativeDir(dir); msg != "" {
		m.errorAt(v, key, msg, `use a directory inside the app, e.g. "dist/"`)
		return
	}
	m.cfg.Root = path.Clean(dir)
	if dir != v.str && strings.HasPrefix(v.str, "/") {
		m.note("root: %q was an absolute path in the Heroku dyno (the app lived in /app); it is now %q, relative to the app directory.", v.str, m.cfg.Root)
	}
}

func (m *migration) encoding(v *jsonValue) {
	if v == nil || strings.EqualFold(v.str, m.cfg.Charset) {
		return
	}
	if !config.ValidToken(v.str) {
		m.errorAt(v, []string{"encoding"}, fmt.Sprintf("%q is not a charset name", v.str), `e.g. "UTF-8"`)
		return
	}
	m.cfg.Charset = strings.ToLower(v.str)
}

func (m *migration) cleanURLs(v *jsonValue) {
	switch {
	case v == nil:
		m.note("clean_urls: Heroku defaulted to false; here the default is true, so /about serves about.html and /about.html redirects to /about (add clean_urls = false to keep only the .html URLs).")
	case v.b:
		m.note("clean_urls: Heroku served a page both as /about and /about.html; here /about.html redirects (301) to /about, so each page has one URL.")
	default:
		m.cfg.CleanURLs = false
	}
}

func (m *migration) httpsOnly(v *jsonValue) {
	switch {
	case v == nil:
		m.note("https_only: Heroku defaulted to false; here the default is true, so requests the router marks as plain HTTP are redirected to https (add https_only = false to serve plain HTTP).")
	case v.b:
		m.note("https_only: Heroku redirected every request whose X-Forwarded-Proto was not https, even when the header was missing; here only requests marked X-Forwarded-Proto: http are redirected.")
	default:
		m.cfg.HTTPSOnly = false
		m.note("https_only = false is kept; note that it is true by default here, so removing it redirects plain-HTTP requests to https.")
	}
}

func (m *migration) canonicalHost(v *jsonValue) {
	if v == nil {
		return
	}
	key := []string{"canonical_host"}
	host := v.str
	if !m.checkVars(v, key, host, "canonical_host") {
		return
	}
	if !config.HasVars(host) && (host == "" || strings.ContainsAny(host, "/ \t@?#")) {
		m.errorAt(v, key, fmt.Sprintf("%q is not a host name", host), `write only the host, e.g. "www.example.com"`)
		return
	}
	m.cfg.CanonicalHost = host
}

func (m *migration) errorPage(v *jsonValue) {
	if v == nil {
		m.note("not_found: with no error_page Heroku answered 404s with nginx's built-in page; here a 404.html in the root is used when there is one.")
		return
	}
	page := strings.TrimPrefix(v.str, "/")
	if page == "" || strings.HasSuffix(page, "/") || strings.Contains(page, "..") {
		m.errorAt(v, []string{"error_page"}, fmt.Sprintf("%q does not name a file inside the root", v.str), `e.g. "errors/error.html"`)
		return
	}
	m.cfg.NotFound = page
	m.note("error_page %q becomes not_found: it is still served with status 404 for missing pages, but no longer for 500 errors.", v.str)
}

// routes maps Heroku's custom routes: "/**" becomes the fallback, the others
// rewrites. Heroku tried them in file order (nginx regex locations), and only
// when no file matched, as rewrites are.
func (m *migration) routes(v *jsonValue) {
	if v == nil {
		return
	}
	var catchAll string
	for _, mem := range m.unique(v, []string{"routes"}) {
		key := []string{"routes", mem.key}
		target, except, ok := m.routeTarget(mem.val, key)
		if !ok {
			continue
		}
		if catchAll != "" {
			m.notMigrated("routes %q came after %q, which matched every path first on Heroku, so it never applied.", mem.key, catchAll)
			continue
		}
		if except != "" {
			m.note(`routes %q: "except" has no equivalent and was dropped; existing files under %q are still served (rewrites apply only when no file matches), but a missing one now gets %q instead of 404.`, mem.key, except, target)
		}
		if strings.Contains(target, "${") {
			m.notMigrated("routes %q: the target %q uses ${VAR}, which rewrites do not resolve; add the rewrite by hand with a fixed path.", mem.key, target)
			continue
		}
		if mem.key == "/**" || mem.key == "**" {
			catchAll = mem.key
			m.cfg.Fallback = target
			m.note(`routes %q: %q becomes fallback = %q, served with status 200 for GET and HEAD requests that match nothing else; unlike Heroku, a missing file with an extension (e.g. /app.js) now gets 404 instead of %s.`, mem.key, mem.val.routePath(), target, target)
			continue
		}
		from, ok := routePattern(mem.key)
		if !ok {
			m.notMigrated(`routes %q -> %q: static.toml rewrites match whole path segments (":name" for one segment, a final "*" for the rest, "*" inside the last segment), so this glob has no equivalent; add a rewrite by hand.`, mem.key, target)
			continue
		}
		m.cfg.Rewrites = append(m.cfg.Rewrites, config.Rewrite{From: from, To: target})
		if from != mem.key {
			m.note("routes %q -> %q becomes a rewrite from %q (Heroku's * is written :name, a final ** is written *).", mem.key, target, from)
		}
	}
}

// routeTarget reads a route's value: "file.html" or {"path": ..., "except": ...}.
func (m *migration) routeTarget(v *jsonValue, key []string) (target, except string, ok bool) {
	switch v.kind {
	case jsonString:
		target = v.str
	case jsonObject:
		fields := m.members(v, key, map[string]jsonKind{"path": jsonString, "except": jsonString})
		p := m.require(v, fields, key, "path", `write {"path": "index.html"} or just "index.html"`)
		if p == nil {
			return "", "", false
		}
		target = p.str
		if e := fields["except"]; e != nil {
			except = e.str
		}
	default:
		m.expect(v, key, jsonString)
		return "", "", false
	}
	if target == "" || strings.Contains(target, "..") {
		m.errorAt(v, key, fmt.Sprintf("%q does not name a file inside the root", target), `e.g. "index.html"`)
		return "", "", false
	}
	return "/" + strings.TrimPrefix(target, "/"), except, true
}

func (v *jsonValue) routePath() string {
	if v.kind == jsonString {
		return v.str
	}
	for _, mem := range v.members {
		if mem.key == "path" {
			return mem.val.str
		}
	}
	return ""
}

// routePattern turns a Heroku glob ("*" within one segment, "**" any
// characters) into a route pattern when one means the same: "*" as a whole
// segment becomes :name, "**" as the whole last segment becomes *, and a
// "*" inside the last segment stays as it is.
func routePattern(glob string) (string, bool) {
	if !strings.HasPrefix(glob, "/") {
		return "", false
	}
	segs := strings.Split(glob[1:], "/")
	n := 0
	for i, seg := range segs {
		switch {
		case seg == "**" && i == len(segs)-1:
			segs[i] = "*"
		case seg == "*":
			n++
			segs[i] = ":segment" + strconv.Itoa(n)
		case i == len(segs)-1 && strings.Contains(seg, "*") && !strings.Contains(seg, "**") && !strings.HasPrefix(seg, ":"):
			// "/*.html" (Heroku's README): a * inside the last segment
			// matches any characters but "/", as in Heroku's own
			// glob-to-regex ([^/]*), and so it does in a rewrite's from.
		case strings.Contains(seg, "*") || strings.HasPrefix(seg, ":"):
			return "", false
		}
	}
	return "/" + strings.Join(segs, "/"), true
}

func (m *migration) redirects(v *jsonValue) {
	if v == nil {
		return
	}
	for _, mem := range m.unique(v, []string{"redirects"}) {
		key := []string{"redirects", mem.key}
		if !m.expect(mem.val, key, jsonObject) {
			continue
		}
		fields := m.members(mem.val, key, map[string]jsonKind{"url": jsonString, "status": jsonNumber})
		u := m.require(mem.val, fields, key, "url", `e.g. {"url": "/new/path", "status": 301}`)
		if u == nil {
			continue
		}
		status := config.DefaultRedirectStatus
		if s := fields["status"]; s != nil {
			n, err := strconv.Atoi(s.num.String())
			if err != nil || !slices.Contains(config.RedirectStatuses, n) {
				m.errorAt(s, append(key, "status"), fmt.Sprintf("%s is not a redirect status", s.num), "use 301, 302, 303, 307 or 308")
				continue
			}
			status = n
		}
		to := u.str
		if !m.checkVars(u, append(key, "url"), to, "redirect urls") {
			continue
		}
		if !strings.HasPrefix(to, "/") && !strings.HasPrefix(to, "https://") && !strings.HasPrefix(to, "http://") && !strings.HasPrefix(to, "${") {
			m.errorAt(u, append(key, "url"), fmt.Sprintf("%q is neither a path nor an http(s) URL", to), "start it with / or https://")
			continue
		}
		if !strings.HasPrefix(mem.key, "/") {
			m.notMigrated("redirects %q: paths always start with /, so Heroku never matched it.", mem.key)
			continue
		}
		if strings.Contains(mem.key, "*") || strings.Contains(mem.key, "/:") {
			m.notMigrated(`redirects %q: Heroku matched this path literally, but in static.toml "*" and ":name" are placeholders; add the redirect by hand.`, mem.key)
			continue
		}
		if to == mem.key {
			m.errorAt(u, append(key, "url"), fmt.Sprintf("redirects %q to itself, a loop", mem.key), "change the url, or remove the redirect")
			continue
		}
		if names := pattern.Placeholders(to); len(names) > 0 {
			m.notMigrated(`redirects %q: the url %q contains ":%s", which Heroku sent literally but static.toml reads as a placeholder; add the redirect by hand.`, mem.key, to, names[0])
			continue
		}
		m.cfg.Redirects = append(m.cfg.Redirects, config.Redirect{From: mem.key, To: to, Status: status})
	}
	if len(m.cfg.Redirects) > 0 {
		m.note("redirects: Heroku applied a redirect only when no file (and no proxy) matched the path; here redirects are checked before files, so a redirect now wins over a file at the same path.")
	}
}

func (m *migration) proxies(v *jsonValue) {
	if v == nil {
		return
	}
	type entry struct {
		prefix string
		proxy  config.Proxy
	}
	var list []entry
	for _, mem := range m.unique(v, []string{"proxies"}) {
		key := []string{"proxies", mem.key}
		if !m.expect(mem.val, key, jsonObject) {
			continue
		}
		fields := m.members(mem.val, key, map[string]jsonKind{"origin": jsonString})
		o := m.require(mem.val, fields, key, "origin", `e.g. {"origin": "https://api.example.com/"}`)
		if o == nil {
			continue
		}
		origin := o.str
		okey := append(key, "origin")
		if !m.checkVars(o, okey, origin, "proxy origins") {
			continue
		}
		if !config.HasVars(origin) {
			if msg := config.CheckOrigin(origin); msg != "" {
				m.errorAt(o, okey, msg, `e.g. "https://api.example.com/"`)
				continue
			}
		}
		if !strings.HasPrefix(mem.key, "/") {
			m.notMigrated("proxies %q: paths always start with /, so Heroku never matched it.", mem.key)
			continue
		}
		prefix := strings.TrimSuffix(mem.key, "/")
		if strings.Contains(prefix, "*") || strings.Contains(prefix, "/:") {
			m.notMigrated(`proxies %q: in static.toml "*" and ":name" are placeholders, so this prefix has no equivalent; add the proxy by hand.`, mem.key)
			continue
		}
		to := origin
		if !strings.HasSuffix(to, "/") {
			to += "/"
			if config.HasVars(origin) {
				m.note("proxies %q: the origin %q becomes %q because the rest of the path is appended to it as is (Heroku inserted the / itself); the variable's value should not end in /.", mem.key, origin, to)
			} else {
				m.note("proxies %q: the origin %q becomes %q because the rest of the path is appended to it as is (Heroku inserted the / itself).", mem.key, origin, to)
			}
		}
		from := prefix + "/*"
		if !strings.HasSuffix(mem.key, "/") {
			m.note("proxies %q: Heroku proxied every path starting with %q (also e.g. %sx); here only %s and paths under %s/ are proxied.", mem.key, mem.key, mem.key, mem.key, mem.key)
		}
		list = append(list, entry{prefix, config.Proxy{From: from, To: to, MaxBody: config.DefaultMaxBodyText}})
	}
	if len(list) == 0 {
		return
	}
	// Heroku picked the longest matching prefix; listing the longest first
	// makes the first match the same one.
	sorted := sort.SliceIsSorted(list, func(i, j int) bool { return len(list[i].prefix) > len(list[j].prefix) })
	sort.SliceStable(list, func(i, j int) bool { return len(list[i].prefix) > len(list[j].prefix) })
	if !sorted {
		m.note("proxies: Heroku used the longest matching prefix; the proxies are listed longest first so that the first match is the same one.")
	}
	for _, e := range list {
		m.cfg.Proxies = append(m.cfg.Proxies, e.proxy)
	}
	m.note("proxies: Heroku's nginx accepted request bodies up to 1 MB; here max_body defaults to 25MB (set max_body = \"1MB\" to keep the old limit).")
	m.note("proxies: Heroku rewrote the Location of redirects from the origin to point back under the proxied path; check that the origin's redirects still work through the proxy.")
}

func (m *migration) headers(v *jsonValue) {
	if v == nil {
		return
	}
	if len(v.members) > config.MaxHeaderRules {
		m.errorAt(v.members[config.MaxHeaderRules].keyValue(), []string{"headers"}, config.TooManyHeaderRules, config.HeaderRulesHint)
		return
	}
	for _, mem := range m.unique(v, []string{"headers"}) {
		key := []string{"headers", mem.key}
		if !m.expect(mem.val, key, jsonObject) {
			continue
		}
		if strings.Contains(mem.key, "${") {
			m.notMigrated("headers %q: Heroku resolved ${VAR} in header paths; static.toml globs are fixed, so write the path out by hand.", mem.key)
			continue
		}
		if !strings.HasPrefix(mem.key, "/") {
			m.notMigrated("headers %q: paths always start with /, so Heroku never matched it.", mem.key)
			continue
		}
		rule := config.HeaderRule{Glob: mem.key}
		before := len(m.errs)
		ok := true
		for _, h := range m.unique(mem.val, key) {
			hkey := append(append([]string{}, key...), h.key)
			var value string
			switch h.val.kind {
			case jsonString:
				value = h.val.str
			case jsonNumber:
				value = h.val.num.String() // Heroku sent value.to_s
			case jsonBool:
				value = strconv.FormatBool(h.val.b)
			default:
				m.expect(h.val, hkey, jsonString)
				ok = false
				continue
			}
			if strings.Contains(h.key, "${") {
				m.notMigrated("headers %q: the header name %q uses ${VAR}, which static.toml does not resolve in names.", mem.key, h.key)
				continue
			}
			if !httpguts.ValidHeaderFieldName(h.key) {
				m.errorAt(h.keyValue(), hkey, "not a valid header name", "use letters, digits and -")
				ok = false
				continue
			}
			if strings.ContainsAny(value, "\r\n\x00") {
				m.errorAt(h.val, hkey, "the value contains a line break", "put the value on one line")
				ok = false
				continue
			}
			if !m.checkVars(h.val, hkey, value, "header values") {
				ok = false
				continue
			}
			if value == "" {
				m.note("headers %q: %s is empty, which Heroku sent as an empty header; here an empty value removes the header.", mem.key, h.key)
			}
			if strings.EqualFold(h.key, "Content-Security-Policy") {
				m.note("headers %q sets Content-Security-Policy, which replaces the hardened default policy on those paths; to keep the defaults and only allow more sources, move the sources to [csp] instead.", mem.key)
			}
			rule.Headers = append(rule.Headers, config.Header{Name: h.key, Value: value})
		}
		if !ok || len(m.errs) > before {
			continue
		}
		if strings.Contains(mem.key, "?") {
			m.note("headers %q: Heroku matched ? literally; here ? matches any one character.", mem.key)
		}
		m.cfg.HeaderRules = append(m.cfg.HeaderRules, rule)
		if m.cfg.Headers == nil {
			m.cfg.Headers = map[string]map[string]string{}
		}
		hm := map[string]string{}
		for _, h := range rule.Headers {
			hm[h.Name] = h.Value
		}
		m.cfg.Headers[rule.Glob] = hm
	}
	m.headerPrecedence()
}

// headerPrecedence notes where Heroku's rule (only the last matching block
// applies) and ours (every matching table applies, in order) differ: a path
// matching an earlier and a later glob now also gets the earlier one's
// headers that the later one does not set.
func (m *migration) headerPrecedence() {
	rules := m.cfg.HeaderRules
	for j := 1; j < len(rules); j++ {
		var parts []string
		var extra []string
		// Nearest first: of two earlier tables setting a header, the later
		// one's value is the one sent here.
		for i := j - 1; i >= 0; i-- {
			if !herokuGlobsOverlap(rules[i].Glob, rules[j].Glob) {
				continue
			}
			var names []string
			for _, h := range rules[i].Headers {
				sameName := func(e string) bool { return strings.EqualFold(e, h.Name) }
				if !hasHeader(rules[j].Headers, h.Name) && !slices.ContainsFunc(extra, sameName) {
					names = append(names, h.Name)
					extra = append(extra, h.Name)
				}
			}
			if len(names) > 0 {
				parts = append(parts, fmt.Sprintf("%s from %q", strings.Join(names, ", "), rules[i].Glob))
			}
		}
		if len(parts) == 0 {
			continue
		}
		m.note(`headers %q: on Heroku a path matching it got only this block's headers (the last matching block won); here every matching table applies in order, so it also gets %s (to drop one, set it to "" there, e.g. %s = "" under [headers.%q]).`,
			rules[j].Glob, strings.Join(parts, " and "), extra[0], rules[j].Glob)
	}
}

func hasHeader(hs []config.Header, name string) bool {
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			return true
		}
	}
	return false
}

// herokuGlobsOverlap reports whether some path matches both globs as Heroku
// read them: "**" any characters, "*" any characters but /, the rest
// literally. It walks the two patterns side by side: a state is a position
// in each, and a step reads one character both can accept.
func herokuGlobsOverlap(a, b string) bool {
	p, q := globTokens(a), globTokens(b)
	if len(p)*len(q) > 1<<20 {
		return true // too long to check cheaply; assume the worst
	}
	w := len(q) + 1
	seen := make([]bool, (len(p)+1)*w)
	stack := []int{0}
	seen[0] = true
	push := func(i, j int) {
		if !seen[i*w+j] {
			seen[i*w+j] = true
			stack = append(stack, i*w+j)
		}
	}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		i, j := s/w, s%w
		if i == len(p) && j == len(q) {
			return true
		}
		// A wildcard may match nothing.
		if i < len(p) && p[i].star > 0 {
			push(i+1, j)
		}
		if j < len(q) && q[j].star > 0 {
			push(i, j+1)
		}
		if i == len(p) || j == len(q) {
			continue
		}
		// One character read by both (two wildcards reading one stay put,
		// which leads nowhere new).
		switch x, y := p[i], q[j]; {
		case x.star == 0 && y.star == 0:
			if x.c == y.c {
				push(i+1, j+1)
			}
		case x.star == 0:
			if y.star == 2 || x.c != '/' {
				push(i+1, j)
			}
		case y.star == 0:
			if x.star == 2 || y.c != '/' {
				push(i, j+1)
			}
		}
	}
	return false
}

type globToken struct {
	c    byte
	star int // 0 a literal c, 1 "*", 2 "**"
}

func globTokens(g string) []globToken {
	var out []globToken
	for i := 0; i < len(g); i++ {
		switch {
		case strings.HasPrefix(g[i:], "**"):
			out = append(out, globToken{star: 2})
			i++
		case g[i] == '*':
			out = append(out, globToken{star: 1})
		default:
			out = append(out, globToken{c: g[i]})
		}
	}
	return out
}

func (m *migration) basicAuth(v, htpasswd *jsonValue) {
	if v != nil && v.b {
		m.cfg.BasicAuth = &config.BasicAuth{Realm: config.DefaultRealm, UsersEnv: config.DefaultUsersEnv}
		m.note("basic_auth: Heroku read BASIC_AUTH_USERNAME and BASIC_AUTH_PASSWORD (an apr1/MD5 hash) or an .htpasswd file; here the users come from %s as user:bcrypt-hash entries (e.g. the output of htpasswd -nbB user password), so set that variable with bcrypt hashes before deploying.", config.DefaultUsersEnv)
		m.note("basic_auth: Heroku protected every path; here /.well-known/ stays public unless [basic_auth] paths says otherwise.")
	} else {
		m.note("basic_auth: Heroku also turned basic auth on whenever BASIC_AUTH_USERNAME was set; here only a [basic_auth] table does, and the server refuses to start while BASIC_AUTH_USERNAME or BASIC_AUTH_PASSWORD is set without one: add one (and %s) if the app relied on those variables.", config.DefaultUsersEnv)
	}
	if htpasswd != nil {
		m.note("basic_auth_htpasswd_path: %q is not read; put its users in %s with bcrypt hashes instead.", htpasswd.str, config.DefaultUsersEnv)
	}
}

func (m *migration) logging(v *jsonValue) {
	if v == nil {
		return
	}
	fields := m.members(v, []string{"logging"}, map[string]jsonKind{"access": jsonBool, "error": jsonString})
	if a := fields["access"]; a != nil && !a.b {
		m.cfg.AccessLog = config.AccessLogOff
		m.note("logging: access = false becomes access_log = \"off\" (STATIC_ACCESS_LOG=on at launch turns it back on).")
	}
	if e := fields["error"]; e != nil {
		m.note("logging: error = %q has no equivalent; the server logs errors to stdout as JSON (set BP_LOG_LEVEL=debug at build time for a more detailed build log).", e.str)
	}
}

func joinList(list []string) string {
	switch len(list) {
	case 0:
		return ""
	case 1:
		return list[0]
	}
	return strings.Join(list[:len(list)-1], ", ") + " and " + list[len(list)-1]
}

// ---------------------------------------------------------------------------
// An order-preserving JSON reader that remembers where each value starts.

type jsonKind int

const (
	jsonNull jsonKind = iota
	jsonBool
	jsonNumber
	jsonString
	jsonArray
	jsonObject
)

func (k jsonKind) String() string {
	return [...]string{"null", "true or false", "a number", "a string", "an array", "an object"}[k]
}

type jsonValue struct {
	kind    jsonKind
	off     int64 // byte offset of the first character
	b       bool
	num     json.Number
	str     string
	members []jsonMember // objects, in file order
	items   []*jsonValue // arrays
}

type jsonMember struct {
	key    string
	keyOff int64
	val    *jsonValue
}

func (mem jsonMember) keyValue() *jsonValue {
	return &jsonValue{kind: jsonString, off: mem.keyOff, str: mem.key}
}

// fieldOf returns the member name of object v, and whether it is present.
func fieldOf(v *jsonValue, name string) (*jsonValue, bool) {
	for _, mem := range v.members {
		if mem.key == name {
			return mem.val, true
		}
	}
	return nil, false
}

type jsonReader struct {
	name string
	data []byte
	dec  *json.Decoder
}

func readJSON(name string, data []byte) (*jsonValue, error) {
	r := &jsonReader{name: name, data: data, dec: json.NewDecoder(bytes.NewReader(data))}
	r.dec.UseNumber()
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &config.Error{File: name, Msg: "the file is empty", Hint: `write {} for the defaults, or e.g. {"root": "dist/"}`}
	}
	v, err := r.value(0)
	if err != nil {
		return nil, err
	}
	start := r.start()
	if _, err := r.dec.Token(); err != io.EOF {
		return nil, &config.Error{File: name, Pos: offsetPosition(data, start), Msg: "invalid JSON: text after the closing }", Hint: "remove it; the file holds one JSON object"}
	}
	return v, nil
}

// start is the offset where the next token begins.
func (r *jsonReader) start() int64 {
	off := r.dec.InputOffset()
	for off < int64(len(r.data)) {
		switch r.data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
			continue
		}
		break
	}
	return off
}

func (r *jsonReader) token() (json.Token, int64, error) {
	off := r.start()
	tok, err := r.dec.Token()
	if err != nil {
		return nil, off, r.syntaxError(err, off)
	}
	return tok, off, nil
}

func (r *jsonReader) syntaxError(err error, off int64) error {
	var se *json.SyntaxError
	msg := err.Error()
	if errors.As(err, &se) {
		off = max(se.Offset-1, 0)
		msg = se.Error()
		// The offset may be short of the offending character (the decoder
		// reports where it stopped); find the character the message names.
		if c, ok := strings.CutPrefix(msg, "invalid character '"); ok && len(c) > 1 && c[0] != '\\' {
			if ch, _ := utf8.DecodeRuneInString(c); ch != utf8.RuneError {
				if i := bytes.IndexRune(r.data[off:], ch); i >= 0 {
					off += int64(i)
				}
			}
		}
	} else if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		off = int64(len(r.data))
		msg = "unexpected end of file"
	}
	hint := "check for a missing comma, quote or bracket; JSON allows no comments and no comma after the last item"
	return &config.Error{File: r.name, Pos: offsetPosition(r.data, off), Msg: "invalid JSON: " + msg, Hint: hint}
}

// value reads the value that starts at the next token, depth levels of
// objects and arrays down.
func (r *jsonReader) value(depth int) (*jsonValue, error) {
	tok, off, err := r.token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); ok && (d == '{' || d == '[') && depth == config.MaxDepth {
		return nil, config.TooDeepError(r.name, offsetPosition(r.data, off))
	}
	v := &jsonValue{off: off}
	switch t := tok.(type) {
	case nil:
		v.kind = jsonNull
	case bool:
		v.kind, v.b = jsonBool, t
	case json.Number:
		v.kind, v.num = jsonNumber, t
	case string:
		v.kind, v.str = jsonString, t
	case json.Delim:
		switch t {
		case '{':
			v.kind = jsonObject
			for r.dec.More() {
				ktok, koff, err := r.token()
				if err != nil {
					return nil, err
				}
				key, _ := ktok.(string)
				val, err := r.value(depth + 1)
				if err != nil {
					return nil, err
				}
				v.members = append(v.members, jsonMember{key: key, keyOff: koff, val: val})
			}
		case '[':
			v.kind = jsonArray
			for r.dec.More() {
				item, err := r.value(depth + 1)
				if err != nil {
					return nil, err
				}
				v.items = append(v.items, item)
			}
		}
		if _, _, err := r.token(); err != nil { // the closing } or ]
			return nil, err
		}
	}
	return v, nil
}

// offsetPosition converts a byte offset into a 1-based line and column
// (counted in characters).
func offsetPosition(data []byte, off int64) config.Position {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	lineStart := bytes.LastIndexByte(before, '\n') + 1
	return config.Position{Line: line, Col: utf8.RuneCount(before[lineStart:]) + 1}
}

// jsonKeyPath renders a key path for messages: redirects."/old".status.
func jsonKeyPath(key []string) string {
	var b strings.Builder
	for i, k := range key {
		if i > 0 {
			b.WriteByte('.')
		}
		if k != "" && strings.Trim(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == "" {
			b.WriteString(k)
		} else {
			b.WriteString(strconv.Quote(k))
		}
	}
	return b.String()
}

// tomlKeys lists the top-level keys of static.toml in the order of the
// Config struct.
func tomlKeys() []string {
	var keys []string
	for _, f := range configFields() {
		keys = append(keys, f.tag)
	}
	return keys
}

// checkText reports every member name and string value of the document
// that holds a character badChar refuses, where it is written.
func (m *migration) checkText(v *jsonValue, key []string) {
	switch v.kind {
	case jsonString:
		if n, desc := config.BadChar(v.str); desc != "" {
			m.errorAt(v, key, fmt.Sprintf("the value holds %s at character %d", desc, n), config.BadCharHint)
		}
	case jsonArray:
		for _, item := range v.items {
			m.checkText(item, key)
		}
	case jsonObject:
		for _, mem := range v.members {
			k := config.At(key, mem.key)
			if n, desc := config.BadChar(mem.key); desc != "" {
				m.errorAt(mem.keyValue(), k, fmt.Sprintf("the key holds %s at character %d", desc, n), config.BadCharHint)
				continue
			}
			m.checkText(mem.val, k)
		}
	}
}
