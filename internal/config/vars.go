package config

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// errNotSet ends the error for a variable without a value or default.
var errNotSet = errors.New("is not set")

// Lookup finds an environment variable, like os.LookupEnv.
type Lookup func(name string) (string, bool)

// ExpandVars replaces ${NAME} and ${NAME:-default} in s. An unset variable
// without a default is an error that names it: a missing value must never
// silently become an empty string.
func ExpandVars(s string, lookup Lookup) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", fmt.Errorf("unclosed ${ in %q", s)
		}
		expr := s[i+2 : i+end]
		name, def, hasDef := strings.Cut(expr, ":-")
		if !validEnvName(name) {
			return "", fmt.Errorf("${%s} is not a variable reference", expr)
		}
		v, ok := lookup(name)
		if n, desc := BadChar(v); desc != "" {
			return "", fmt.Errorf("environment variable %s holds %s at character %d; set it to plain, visible text on one line", name, desc, n)
		}
		switch {
		case ok && v != "":
			b.WriteString(v)
		case hasDef:
			b.WriteString(def)
		case ok:
			b.WriteString(v)
		default:
			return "", fmt.Errorf("environment variable %s %w", name, errNotSet)
		}
		s = s[i+end+1:]
	}
}

// CheckVars checks the ${...} syntax in s without resolving anything.
func CheckVars(s string) error {
	_, err := ExpandVars(s, func(string) (string, bool) { return "x", true })
	return err
}

func HasVars(s string) bool { return strings.Contains(s, "${") }

// ResolveVars returns a copy of c with the ${VAR} references resolved in
// the keys that allow them, at launch; c is not changed. Every unset
// variable is reported with the key that uses it.
func (c *Config) ResolveVars(lookup Lookup) (*Config, error) {
	r := c.withOwnLists()
	var errs []error
	resolve := func(key string, s *string) {
		v, err := ExpandVars(*s, lookup)
		switch {
		case errors.Is(err, errNotSet):
			errs = append(errs, fmt.Errorf("%s key %s: %w; set it when starting the server, or write ${NAME:-default} in %s", FileName, key, err, FileName))
			return
		case err != nil:
			errs = append(errs, fmt.Errorf("%s key %s: %w", FileName, key, err))
			return
		}
		*s = v
	}
	resolve("canonical_host", &r.CanonicalHost)
	for i := range r.Redirects {
		resolve(fmt.Sprintf("redirects[%d].to", i+1), &r.Redirects[i].To)
	}
	for i := range r.Proxies {
		p := &r.Proxies[i]
		resolve(fmt.Sprintf("proxies[%d].to", i+1), &p.To)
		for name, v := range p.Headers {
			resolve(fmt.Sprintf("proxies[%d].headers.%s", i+1, name), &v)
			p.Headers[name] = v
		}
		if msg := CheckOrigin(p.To); msg != "" {
			errs = append(errs, fmt.Errorf("%s key proxies[%d].to: %s", FileName, i+1, msg))
		}
	}
	for i := range r.HeaderRules {
		for j := range r.HeaderRules[i].Headers {
			h := &r.HeaderRules[i].Headers[j]
			resolve(fmt.Sprintf("headers.%q.%s", r.HeaderRules[i].Glob, h.Name), &h.Value)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return r, nil
}

// withOwnLists is a copy of c that shares no list or map ResolveVars
// changes: redirects, proxies (and their headers) and header rules.
func (c *Config) withOwnLists() *Config {
	r := *c
	r.Redirects = slices.Clone(c.Redirects)
	r.Proxies = slices.Clone(c.Proxies)
	for i := range r.Proxies {
		r.Proxies[i].Headers = maps.Clone(c.Proxies[i].Headers)
	}
	r.HeaderRules = slices.Clone(c.HeaderRules)
	for i := range r.HeaderRules {
		r.HeaderRules[i].Headers = slices.Clone(c.HeaderRules[i].Headers)
	}
	return &r
}
