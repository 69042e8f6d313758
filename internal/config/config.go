// Package config reads and validates static.toml, the file in which site
// authors tune how their site is served.
//
// Every key is documented on the Config struct with its default. Load returns
// errors that name the file, line and column, the key, what is wrong and how
// to fix it.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/hardstatic/buildpack/internal/appfs"
)

// FileName is the configuration file read from the application root.
const FileName = "static.toml"

// StaticJSONName is Heroku's configuration file, read (and migrated by
// internal/migrate) when an app has no static.toml.
const StaticJSONName = "static.json"

// Config is the schema of static.toml. The zero value is not useful: use
// Default or Load, which fill in the defaults.
type Config struct {
	// Root is the served directory, relative to the application directory.
	// Default: the first of the site generators' output directories
	// (Layouts: public/, dist/, dist/<project>/browser/, build/, _site/,
	// out/, site/, _build/html/, docs/_build/html/, build/html/, book/) or
	// the application directory itself that holds an index.html.
	Root string `toml:"root" json:"root,omitempty"`

	// CleanURLs serves /about from about.html and redirects /about.html to
	// /about, so no page has two URLs. Default: true.
	CleanURLs bool `toml:"clean_urls" json:"clean_urls"`

	// TrailingSlash is the canonical form of directory and page URLs:
	// "auto" (directories end in /, pages do not), "always" or "never".
	// Default: "auto".
	TrailingSlash string `toml:"trailing_slash" json:"trailing_slash"`

	// NotFound is the page, relative to the root, served with status 404
	// for every miss. Default: the nearest 404.html (in the request's
	// directory, then each parent up to the root), as Cloudflare Pages does.
	NotFound string `toml:"not_found" json:"not_found,omitempty"`

	// NearestNotFound is set by CheckFiles when not_found is not written: a
	// miss gets the nearest 404.html. NotFound is then the root's 404.html
	// (or empty).
	NearestNotFound bool `toml:"-" json:"nearest_not_found,omitempty"`

	// Fallback is served with status 200 for GET and HEAD requests that
	// match nothing else, as single-page apps need (e.g. "/index.html").
	// Requests for missing files with an extension still get 404.
	// Default: none.
	Fallback string `toml:"fallback" json:"fallback,omitempty"`

	// HTTPSOnly redirects requests that the platform's router marks as plain
	// HTTP (X-Forwarded-Proto: http) to https. Default: true.
	HTTPSOnly bool `toml:"https_only" json:"https_only"`

	// CanonicalHost redirects requests for any other host to this one,
	// keeping path and query. ${VAR} is resolved at launch. Default: none.
	CanonicalHost string `toml:"canonical_host" json:"canonical_host,omitempty"`

	// Charset is added to text content types. Default: "utf-8".
	Charset string `toml:"charset" json:"charset"`

	// CountryHeader is the request header holding the visitor's ISO 3166
	// country code, set by the platform's CDN, that the country conditions
	// of redirects, rewrites and proxies read. A client can send it too
	// unless the CDN overwrites it: do not use it for access control.
	// Default: "CF-IPCountry".
	CountryHeader string `toml:"country_header" json:"country_header"`

	// Redirects are tried in file order before files; the first match wins.
	Redirects []Redirect `toml:"redirects" json:"redirects,omitempty"`

	// Rewrites serve another path (status 200, or 404) when no file matches.
	Rewrites []Rewrite `toml:"rewrites" json:"rewrites,omitempty"`

	// Proxies forward matching requests to another origin.
	Proxies []Proxy `toml:"proxies" json:"proxies,omitempty"`

	// Headers maps a path glob ("*" one segment, "**" any depth) to headers
	// set on matching responses, over the defaults. Every matching table
	// applies, in file order; an empty value removes a header.
	Headers map[string]map[string]string `toml:"headers" json:"-"`

	// HeaderRules is Headers in file order (filled in by Parse); in JSON
	// (the manifest) it is header_rules, since Headers is not written there.
	HeaderRules []HeaderRule `toml:"-" json:"header_rules,omitempty"`

	// CSPTable is the raw [csp] table; Parse checks it and fills CSP.
	CSPTable map[string]any `toml:"csp" json:"-"`

	// CSP adds sources to the default Content-Security-Policy.
	CSP CSP `toml:"-" json:"csp"`

	// Hide lists path globs that are never served (404), on top of dotfiles,
	// e.g. ["/**/*.map", "/drafts/**"]. Default: none.
	Hide []string `toml:"hide" json:"hide,omitempty"`

	// SRI adds integrity="sha384-..." to the site's own <script src> and
	// <link rel=stylesheet> tags at build time. Default: true.
	SRI bool `toml:"sri" json:"sri"`

	// AccessLog is the server's access log on stdout: "on" (a JSON line per
	// request), "sampled" (per second, the first 10 lines, then one in 100)
	// or "off". STATIC_ACCESS_LOG at launch overrides it. Default: "on".
	AccessLog string `toml:"access_log" json:"access_log"`

	// BasicAuth protects the site with a password, taken at launch from the
	// environment. Default: off.
	BasicAuth *BasicAuth `toml:"basic_auth" json:"basic_auth,omitempty"`

	file string    // the file it was read from, for errors found later
	pos  positions // where each key is written
}

// Redirect is one [[redirects]] entry.
type Redirect struct {
	// From is a path pattern: "*" matches the rest of the path (reused as
	// :splat in To) and ":name" one segment (reused as :name); "*" inside
	// the last segment matches any characters but "/" ("/*.html").
	From string `toml:"from" json:"from"`
	// To is a path or URL; ${VAR} is resolved at launch.
	To string `toml:"to" json:"to"`
	// Status is 301 (default), 302, 303, 307 or 308.
	Status int `toml:"status" json:"status"`
	// Force applies the redirect even when a file is served at the path;
	// false applies it only when no file is (Netlify's shadowing).
	// Default: true.
	Force *bool `toml:"force" json:"force,omitempty"`
	Conditions
}

// Forced reports whether the redirect applies even when a file is served
// at its path (force, default true).
func (r Redirect) Forced() bool { return r.Force == nil || *r.Force }

// Rewrite is one [[rewrites]] entry: an internal rewrite.
type Rewrite struct {
	// From is a path pattern, as in redirects; "*" may also stand inside
	// the last segment for any characters but "/" ("/*.html", as Heroku's
	// routes), reused as :splat when there is one.
	From string `toml:"from" json:"from"`
	// To is the path in the site that is served instead, starting with /.
	To string `toml:"to" json:"to"`
	// Status is 200 (default) or 404: To is served with it, e.g. a
	// section's own not-found page.
	Status int `toml:"status" json:"status,omitempty"`
	// Force applies the rewrite even when a file is served at the path
	// (Netlify's 200!). Default: false, only when no file matches.
	Force bool `toml:"force" json:"force,omitempty"`
	Conditions
}

// StatusCode is the status the rewrite answers with (status, default 200).
func (r Rewrite) StatusCode() int {
	if r.Status == 0 {
		return DefaultRewriteStatus
	}
	return r.Status
}

// Conditions are the keys on which a redirect, rewrite or proxy matches
// besides its path; every one that is set must hold.
type Conditions struct {
	// Query lists query parameters that must all be present: ":name"
	// captures the value (usable in to as :name), any other string must
	// equal it. Default: none.
	Query map[string]string `toml:"query" json:"query,omitempty"`
	// Language matches when the language the request's Accept-Language
	// prefers most (highest q; q=0 never) is one of these or a variant of
	// one ("fr" matches "fr-CA"). Default: none.
	Language []string `toml:"language" json:"language,omitempty"`
	// Country matches when the header country_header names holds one of
	// these ISO 3166 codes (in any case). Default: none.
	Country []string `toml:"country" json:"country,omitempty"`
	// Has lists headers, cookies, query parameters or the host that must
	// be present (Vercel's has). Default: none.
	Has []Match `toml:"has" json:"has,omitempty"`
	// Missing lists headers, cookies, query parameters or the host that
	// must be absent (Vercel's missing). Default: none.
	Missing []Match `toml:"missing" json:"missing,omitempty"`
}

// Empty reports whether no condition is set.
func (c Conditions) Empty() bool {
	return len(c.Query) == 0 && len(c.Language) == 0 && len(c.Country) == 0 && len(c.Has) == 0 && len(c.Missing) == 0
}

// Match is one has or missing entry.
type Match struct {
	// Type is "header", "cookie", "query" or "host".
	Type string `toml:"type" json:"type"`
	// Key is the header, cookie or query parameter name (not for host).
	Key string `toml:"key" json:"key,omitempty"`
	// Value is an RE2 regular expression that must match the whole value;
	// its named groups (?P<name>...) are usable in to as :name (in has).
	// Default: any value (required for host).
	Value string `toml:"value" json:"value,omitempty"`
}

// Proxy is one [[proxies]] entry.
type Proxy struct {
	// From is a path prefix pattern such as "/api/*".
	From string `toml:"from" json:"from"`
	// To is the origin URL, e.g. "https://api.example.com/v1/"; ${VAR} is
	// resolved at launch. The part of the path matched by * is appended.
	To string `toml:"to" json:"to"`
	// MaxBody limits request bodies, e.g. "25MB". Default: "25MB".
	MaxBody string `toml:"max_body" json:"max_body"`
	// Headers are set on the request to the origin; ${VAR} is resolved at
	// launch.
	Headers map[string]string `toml:"headers" json:"headers,omitempty"`
	Conditions
}

// HeaderRule is one [headers."glob"] table.
type HeaderRule struct {
	Glob    string   `json:"glob"`
	Headers []Header `json:"set"`
}

// Header is a response header; an empty Value removes it.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// CSP is the [csp] table: each directive = [sources] adds sources to the
// default policy, e.g. script-src = ["https://plausible.io"]. Four keys are
// not directives:
//   - report_only (bool): send Content-Security-Policy-Report-Only instead.
//     Default: false.
//   - report_uri (string): add a report-uri directive. Default: none.
//   - report_to (string): add a report-to directive. Default: none.
//   - report_endpoint (bool): name the image's own violation report
//     endpoint, /.well-known/csp-report, in the policy (report-uri and
//     report-to with a Reporting-Endpoints header); the server logs each
//     distinct violation once. report_uri or report_to replace it.
//     Default: true.
type CSP struct {
	ReportOnly     bool           `json:"report_only,omitempty"`
	ReportURI      string         `json:"report_uri,omitempty"`
	ReportTo       string         `json:"report_to,omitempty"`
	ReportEndpoint bool           `json:"report_endpoint"`
	Sources        []CSPDirective `json:"sources,omitempty"`
}

// UsesReportEndpoint reports whether the policy names the image's own report
// endpoint: report_endpoint is on and the author names no report_uri or
// report_to of their own.
func (c CSP) UsesReportEndpoint() bool {
	return c.ReportEndpoint && c.ReportURI == "" && c.ReportTo == ""
}

// CSPDirective is one directive's added sources, in file order.
type CSPDirective struct {
	Name    string   `json:"name"`
	Sources []string `json:"sources"`
}

// BasicAuth is the [basic_auth] table.
type BasicAuth struct {
	// Realm shown by browsers. Default: "Restricted".
	Realm string `toml:"realm" json:"realm"`
	// UsersEnv names the launch-time variable holding user:bcrypt-hash
	// entries separated by commas or newlines. Default: BASIC_AUTH_USERS.
	UsersEnv string `toml:"users_env" json:"users_env"`
	// Paths to protect (globs). Default: everything except /.well-known/.
	Paths []string `toml:"paths" json:"paths,omitempty"`
}

// Values of access_log.
const (
	AccessLogOn      = "on"
	AccessLogSampled = "sampled"
	AccessLogOff     = "off"
)

// AccessLogModes lists the values access_log takes.
var AccessLogModes = []string{AccessLogOn, AccessLogSampled, AccessLogOff}

// SetFile names the file the configuration was read from, for errors
// found after parsing (a migrated static.json).
func (c *Config) SetFile(name string) { c.file = name }

// Default returns the configuration used when an application has no
// static.toml.
func Default() *Config {
	return &Config{
		CleanURLs:     true,
		TrailingSlash: "auto",
		HTTPSOnly:     true,
		Charset:       "utf-8",
		CountryHeader: DefaultCountryHeader,
		SRI:           true,
		AccessLog:     AccessLogOn,
		CSP:           CSP{ReportEndpoint: true},
	}
}

// Error is a problem with a configuration file that the author must fix.
type Error struct {
	File string   // file name as the author knows it, e.g. static.toml
	Pos  Position // zero when unknown
	Key  string   // dotted key, e.g. redirects[1].status; empty for syntax errors
	Msg  string   // what is wrong
	Hint string   // how to fix it; may be empty
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Pos.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Pos.Line, e.Pos.Col)
	}
	b.WriteString(": ")
	if e.Key != "" {
		fmt.Fprintf(&b, "key %q: ", e.Key)
	}
	b.WriteString(e.Msg)
	if e.Hint != "" {
		b.WriteString(" (")
		b.WriteString(e.Hint)
		b.WriteString(")")
	}
	return b.String()
}

// Load reads static.toml from appDir. It returns the defaults and found=false
// when the file does not exist.
func Load(appDir string) (cfg *Config, found bool, err error) {
	data, err := appfs.ReadFile(appDir, FileName, MaxFileSize)
	if errors.Is(err, fs.ErrNotExist) {
		return Default(), false, nil
	}
	if err != nil {
		return nil, false, err
	}
	cfg, err = Parse(FileName, data)
	return cfg, true, err
}

// Parse decodes and validates configuration text. name is used in errors.
func Parse(name string, data []byte) (*Config, error) {
	cfg := Default()
	if len(data) > MaxFileSize {
		return nil, TooLargeError(name, len(data))
	}
	src := string(data)
	if At, deep := tomlDepth(src); deep {
		return nil, TooDeepError(name, At)
	}
	md, err := toml.Decode(src, &toml.Primitive{})
	if err != nil {
		return nil, SyntaxError(name, err)
	}
	keys := md.Keys()
	if n := len(keys); n > MaxKeys {
		return nil, &Error{File: name, Msg: fmt.Sprintf("the file has %d keys, more than %d", n, MaxKeys), Hint: "a configuration this large is a mistake: shorten it"}
	}
	pos := indexPositions(src)
	if err := checkKeys(name, md, keys, pos); err != nil {
		return nil, err
	}
	if err := checkText(name, src, pos); err != nil {
		return nil, err
	}
	if _, err := toml.Decode(src, cfg); err != nil {
		return nil, decodeError(name, err)
	}
	cfg.file, cfg.pos = name, pos
	cfg.orderHeaders(keys)
	if err := cfg.validate(keys); err != nil {
		return nil, err
	}
	return cfg, nil
}

func SyntaxError(name string, err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		return &Error{File: name, Pos: Position{pe.Position.Line, pe.Position.Col}, Msg: "invalid TOML: " + pe.Message,
			Hint: "see https://toml.io for the syntax; strings need quotes"}
	}
	return &Error{File: name, Msg: "invalid TOML: " + err.Error()}
}

var lineInError = regexp.MustCompile(`line (\d+) \(last key "([^"]*(?:\\"[^"]*)*)"\): (.*)$`)

// decodeError reports a value the type check could not see, such as an array
// element of the wrong type.
func decodeError(name string, err error) error {
	m := lineInError.FindStringSubmatch(err.Error())
	if m == nil {
		return &Error{File: name, Msg: err.Error()}
	}
	line, _ := strconv.Atoi(m[1])
	return &Error{File: name, Pos: Position{line, 1}, Key: m[2], Msg: m[3]}
}
