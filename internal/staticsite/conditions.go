package staticsite

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/hardstatic/buildpack/internal/config"
)

func init() {
	caddy.RegisterModule(ConditionMatcher{})
}

// Conditions are what a redirect, rewrite or proxy matches on besides its
// path (static.toml's query, language, country, has and missing, with the
// same JSON names); every one that is set must hold.
type Conditions = config.Conditions

// Match is one has or missing entry: a header, cookie, query parameter
// (named by Key) or the host, whose value (when Value is set) the
// regular expression Value matches whole. Its named groups are captures.
type Match = config.Match

// conditions is Conditions compiled; nil holds always.
type conditions struct {
	query    []queryCond
	language []string // lower case
	country  []string // upper case
	has      []matcher
	missing  []matcher
}

type queryCond struct {
	key, capture, equal string
}

type matcher struct {
	typ, key string
	re       *regexp.Regexp // nil: any value
}

// compileConditions checks and compiles c; nil when there are none.
func compileConditions(c Conditions) (*conditions, error) {
	if c.Empty() {
		return nil, nil
	}
	out := &conditions{}
	keys := make([]string, 0, len(c.Query))
	for k := range c.Query {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := c.Query[k]
		if name, ok := strings.CutPrefix(v, ":"); ok {
			out.query = append(out.query, queryCond{key: k, capture: name})
		} else {
			out.query = append(out.query, queryCond{key: k, equal: v})
		}
	}
	for _, l := range c.Language {
		out.language = append(out.language, strings.ToLower(l))
	}
	for _, cc := range c.Country {
		out.country = append(out.country, strings.ToUpper(cc))
	}
	for _, list := range []struct {
		in  []Match
		out *[]matcher
	}{{c.Has, &out.has}, {c.Missing, &out.missing}} {
		for _, m := range list.in {
			cm, err := compileMatch(m)
			if err != nil {
				return nil, err
			}
			*list.out = append(*list.out, cm)
		}
	}
	return out, nil
}

func compileMatch(m Match) (matcher, error) {
	switch m.Type {
	case "header", "cookie", "query":
		if m.Key == "" {
			return matcher{}, fmt.Errorf("a %s condition needs a key", m.Type)
		}
	case "host":
	default:
		return matcher{}, fmt.Errorf("unknown condition type %q", m.Type)
	}
	out := matcher{typ: m.Type, key: m.Key}
	if m.Type == "header" {
		out.key = http.CanonicalHeaderKey(m.Key)
	}
	if m.Value != "" {
		re, err := config.MatchRegexp(m.Value)
		if err != nil {
			return matcher{}, fmt.Errorf("condition value %q: %w", m.Value, err)
		}
		out.re = re
	}
	return out, nil
}

// request is what conditions read of one request, parsed once, when first
// needed.
type request struct {
	r             *http.Request
	countryHeader string

	query     url.Values
	cookies   []*http.Cookie
	languages []string // the most preferred language tags, lower case
	parsed    uint8    // bits: parsedQuery, parsedCookies, parsedLanguages
}

const (
	parsedQuery = 1 << iota
	parsedCookies
	parsedLanguages
)

func newRequest(r *http.Request, countryHeader string) *request {
	if countryHeader == "" {
		countryHeader = config.DefaultCountryHeader
	}
	return &request{r: r, countryHeader: countryHeader}
}

func (q *request) queryValues() url.Values {
	if q.parsed&parsedQuery == 0 {
		q.parsed |= parsedQuery
		q.query, _ = url.ParseQuery(q.r.URL.RawQuery) // the pairs that parse
	}
	return q.query
}

func (q *request) cookieList() []*http.Cookie {
	if q.parsed&parsedCookies == 0 {
		q.parsed |= parsedCookies
		q.cookies = q.r.Cookies()
	}
	return q.cookies
}

func (q *request) preferred() []string {
	if q.parsed&parsedLanguages == 0 {
		q.parsed |= parsedLanguages
		q.languages = preferredLanguages(q.r.Header.Values("Accept-Language"))
	}
	return q.languages
}

// holds reports whether every condition holds for the request, adding
// the captures to vals. A nil *conditions always holds.
func (c *conditions) holds(q *request, vals map[string]string) bool {
	if c == nil {
		return true
	}
	for _, qc := range c.query {
		v, ok := q.queryValues()[qc.key]
		if !ok || len(v) == 0 {
			return false
		}
		if qc.capture != "" {
			vals[qc.capture] = v[0]
		} else if v[0] != qc.equal {
			return false
		}
	}
	if len(c.country) > 0 && !slices.Contains(c.country, strings.ToUpper(strings.TrimSpace(q.r.Header.Get(q.countryHeader)))) {
		return false
	}
	if len(c.language) > 0 && !languageMatches(c.language, q.preferred()) {
		return false
	}
	for _, m := range c.has {
		if !m.present(q, vals) {
			return false
		}
	}
	for _, m := range c.missing {
		if m.present(q, nil) {
			return false
		}
	}
	return true
}

// present reports whether the request has the header, cookie, query
// parameter or host, with a matching value when one is asked for; the
// named groups of the first matching value are added to vals.
func (m matcher) present(q *request, vals map[string]string) bool {
	var values []string
	switch m.typ {
	case "header":
		values = q.r.Header.Values(m.key)
	case "cookie":
		for _, c := range q.cookieList() {
			if c.Name == m.key {
				values = append(values, c.Value)
			}
		}
	case "query":
		values = q.queryValues()[m.key]
	case "host":
		host := q.r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		values = []string{strings.ToLower(host)}
	}
	if m.re == nil {
		return len(values) > 0
	}
	for _, v := range values {
		sub := m.re.FindStringSubmatch(v)
		if sub == nil {
			continue
		}
		if vals != nil {
			for i, name := range m.re.SubexpNames() {
				if name != "" {
					vals[name] = sub[i]
				}
			}
		}
		return true
	}
	return false
}

// languageMatches reports whether one of the preferred tags is one of the
// rule's languages or a variant of one (basic filtering, RFC 4647 3.3.1:
// "fr" matches "fr" and "fr-CH", not "fra").
func languageMatches(rule, preferred []string) bool {
	for _, tag := range preferred {
		for _, l := range rule {
			if tag == l || strings.HasPrefix(tag, l) && tag[len(l)] == '-' {
				return true
			}
		}
	}
	return false
}

// maxLanguageEntries bounds the Accept-Language entries read.
const maxLanguageEntries = 64

// preferredLanguages reads Accept-Language field values (RFC 9110 12.5.4)
// and returns the language tags with the highest q-value, in lower case,
// in the order written: "fr-CH, fr;q=0.9, en;q=0.8, *;q=0.5" gives
// ["fr-ch"]. q=0 excludes a tag, "*" names no language, and malformed
// entries are skipped.
func preferredLanguages(values []string) []string {
	var top []string
	best, entries := 0, 0
	for _, value := range values {
		for value != "" && entries < maxLanguageEntries {
			var elem string
			elem, value, _ = strings.Cut(value, ",")
			tag, params, _ := strings.Cut(elem, ";")
			tag = strings.TrimSpace(tag)
			if tag == "" {
				continue
			}
			entries++
			if tag == "*" || !languageTag(tag) {
				continue
			}
			q := 1000
			if params != "" {
				q = parseQ(params)
			}
			switch {
			case q <= 0 || q < best:
			case q > best:
				best, top = q, append(top[:0], strings.ToLower(tag))
			default:
				top = append(top, strings.ToLower(tag))
			}
		}
	}
	return top
}

// languageTag reports whether s is a language range without "*": 1 to 8
// letters, then subtags of 1 to 8 letters or digits.
func languageTag(s string) bool {
	for i, sub := range strings.Split(s, "-") {
		if len(sub) == 0 || len(sub) > 8 {
			return false
		}
		for j := 0; j < len(sub); j++ {
			letter := sub[j]|0x20 >= 'a' && sub[j]|0x20 <= 'z'
			digit := sub[j] >= '0' && sub[j] <= '9'
			if !letter && (i == 0 || !digit) {
				return false
			}
		}
	}
	return true
}

// ConditionMatcher matches requests whose conditions hold, for proxies
// (http.matchers.static_conditions). Captures are not used.
type ConditionMatcher struct {
	Conditions
	// CountryHeader is the header country conditions read. Default:
	// CF-IPCountry.
	CountryHeader string `json:"country_header,omitempty"`

	compiled *conditions
}

// CaddyModule returns the Caddy module information.
func (ConditionMatcher) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "http.matchers.static_conditions", New: func() caddy.Module { return new(ConditionMatcher) }}
}

// Provision compiles the conditions.
func (m *ConditionMatcher) Provision(caddy.Context) error {
	var err error
	m.compiled, err = compileConditions(m.Conditions)
	return err
}

// MatchWithError implements caddyhttp.RequestMatcherWithError.
func (m *ConditionMatcher) MatchWithError(r *http.Request) (bool, error) {
	return m.compiled.holds(newRequest(r, m.CountryHeader), map[string]string{}), nil
}

var _ caddyhttp.RequestMatcherWithError = (*ConditionMatcher)(nil)
