package config

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/net/http/httpguts"

	"github.com/hardstatic/buildpack/internal/pattern"
)

// NotFoundPage is the name of the 404 pages: the root's is not_found's
// default, and without not_found a miss gets the nearest one of the
// request's directory and its parents.
const NotFoundPage = "404.html"

// DefaultCountryHeader is country_header: the header Cloudflare (and
// platforms behind it) set to the visitor's country.
const DefaultCountryHeader = "CF-IPCountry"

// MatchTypes are the values of has[].type and missing[].type.
var MatchTypes = []string{"header", "cookie", "query", "host"}

// MaxMatchValue bounds the length of a has/missing value regexp (RE2
// matches in linear time; this bounds the compiled program).
const MaxMatchValue = 1000

var (
	languageRange = regexp.MustCompile(`^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$`)
	countryCode   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]$`)
)

// MatchRegexp compiles a has/missing value: it must match the whole value.
func MatchRegexp(value string) (*regexp.Regexp, error) {
	return regexp.Compile(`^(?:` + value + `)$`)
}

// checkConditions validates the conditions of one rule and returns the
// names they capture (query ":name" values, named groups of has values),
// which its to may use. route holds the names its from captures.
func checkConditions(p *problems, base []string, c Conditions, route *pattern.Route) []string {
	var names []string
	if route != nil {
		names = append(names, route.Names()...)
	}
	capture := func(key []string, name string) {
		if Contains(names, name) {
			p.add(key, fmt.Sprintf(":%s is captured twice", name), "give each capture its own name")
			return
		}
		names = append(names, name)
	}
	for _, k := range slices.Sorted(maps.Keys(c.Query)) {
		key, v := At(base, "query", k), c.Query[k]
		if k == "" {
			p.add(key, "an empty query parameter name", `for example query = { id = ":id" }`)
		}
		if name, ok := strings.CutPrefix(v, ":"); ok {
			if !validPlaceholder(name) {
				p.add(key, fmt.Sprintf("%q is not a capture: write :letters, digits or _", v), `for example query = { id = ":id" }`)
				continue
			}
			capture(key, name)
		}
	}
	for _, l := range c.Language {
		if !languageRange.MatchString(l) {
			p.add(At(base, "language"), fmt.Sprintf("%q is not a language tag", l), `for example language = ["fr", "de-CH"]`)
		}
	}
	for _, cc := range c.Country {
		if !countryCode.MatchString(cc) {
			p.add(At(base, "country"), fmt.Sprintf("%q is not a two-letter ISO 3166 country code", cc), `for example country = ["FR", "BE"]`)
		}
	}
	for i, m := range c.Has {
		for _, n := range checkMatch(p, At(base, "has", fmt.Sprintf("[%d]", i)), m) {
			capture(At(base, "has", fmt.Sprintf("[%d]", i), "value"), n)
		}
	}
	for i, m := range c.Missing {
		key := At(base, "missing", fmt.Sprintf("[%d]", i))
		if n := checkMatch(p, key, m); len(n) > 0 {
			p.add(At(key, "value"), fmt.Sprintf("the named group %q captures nothing: a missing value is never there", n[0]), "use (?:...) or a plain group")
		}
	}
	return names
}

// checkMatch validates one has/missing entry and returns its named groups.
func checkMatch(p *problems, key []string, m Match) []string {
	if !Contains(MatchTypes, m.Type) {
		p.add(At(key, "type"), fmt.Sprintf("%q is not one of %s", m.Type, strings.Join(MatchTypes, ", ")), `for example { type = "cookie", key = "session" }`)
		return nil
	}
	switch {
	case m.Type == "host" && m.Key != "":
		p.add(At(key, "key"), "a host condition takes no key", `write { type = "host", value = "(www\\.)?example\\.com" }`)
	case m.Type == "host" && m.Value == "":
		p.add(key, "a host condition needs a value", `write { type = "host", value = "(www\\.)?example\\.com" }`)
	case m.Type == "header" && !httpguts.ValidHeaderFieldName(m.Key):
		p.add(At(key, "key"), fmt.Sprintf("%q is not a header name", m.Key), `for example { type = "header", key = "X-Beta" }`)
	case m.Type != "host" && m.Key == "":
		p.add(At(key, "key"), "missing", fmt.Sprintf(`name the %s, e.g. key = "session"`, m.Type))
	}
	if m.Value == "" {
		return nil
	}
	if len(m.Value) > MaxMatchValue {
		p.add(At(key, "value"), fmt.Sprintf("the regular expression is %d characters long, more than %d", len(m.Value), MaxMatchValue), "shorten it")
		return nil
	}
	re, err := MatchRegexp(m.Value)
	if err != nil {
		p.add(At(key, "value"), fmt.Sprintf("%q is not an RE2 regular expression: %v", m.Value, err), "see https://github.com/google/re2/wiki/Syntax")
		return nil
	}
	var names []string
	for _, n := range re.SubexpNames() {
		if n == "" {
			continue
		}
		if !validPlaceholder(n) {
			p.add(At(key, "value"), fmt.Sprintf("the group name %q cannot be used in to", n), "use letters, digits and _")
			continue
		}
		names = append(names, n)
	}
	return names
}

// validPlaceholder reports whether :name can stand in a target.
func validPlaceholder(s string) bool {
	if s == "" || s == "splat" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '_' && (c < '0' || c > '9') && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

// Summary describes the conditions for the build log, "" when none:
// ` if query id=:id, language fr|de, has cookie session`.
func (c Conditions) Summary() string {
	var parts []string
	if len(c.Query) > 0 {
		for _, k := range slices.Sorted(maps.Keys(c.Query)) {
			parts = append(parts, "query "+k+"="+c.Query[k])
		}
	}
	if len(c.Language) > 0 {
		parts = append(parts, "language "+strings.Join(c.Language, "|"))
	}
	if len(c.Country) > 0 {
		parts = append(parts, "country "+strings.Join(c.Country, "|"))
	}
	for _, list := range []struct {
		word string
		ms   []Match
	}{{"has", c.Has}, {"missing", c.Missing}} {
		for _, m := range list.ms {
			s := list.word + " " + m.Type
			if m.Key != "" {
				s += " " + m.Key
			}
			if m.Value != "" {
				s += " ~ " + m.Value
			}
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " if " + strings.Join(parts, ", ")
}

// Describe is the redirect as the build log and `static-server check`
// show it: "/old/* -> /new/:splat (301) if language fr".
func (r Redirect) Describe() string {
	shadow := ""
	if !r.Forced() {
		shadow = ", only when no file is served there"
	}
	return fmt.Sprintf("%s -> %s (%d%s)%s", r.From, r.To, r.Status, shadow, r.Summary())
}

// Describe is the rewrite as the build log and `static-server check` show
// it: "/app/* -> /index.html (200, when no file matches)".
func (r Rewrite) Describe() string {
	when := "when no file matches"
	if r.Force {
		when = "even over a file"
	}
	return fmt.Sprintf("%s -> %s (%d, %s)%s", r.From, r.To, r.StatusCode(), when, r.Summary())
}
