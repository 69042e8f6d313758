package migrate

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hardstatic/buildpack/internal/config"
)

// RedirectsFile is Netlify's and Cloudflare Pages' redirect rules file, read
// from the site root.
const RedirectsFile = "_redirects"

// MaxRuleLine is the longest line of a _redirects or _headers file
// (Cloudflare's own limit is 1,000 characters for a redirect and 2,000 for a
// header line).
const MaxRuleLine = 4096

// MaxRules is the most rules a _redirects file may hold (Cloudflare Pages
// allows 2,100; Netlify advises against more than 10,000).
const MaxRules = 10_000

// Rule is one redirect, rewrite or proxy rule as another host's file writes
// it, before it is mapped onto static.toml (mapRules). Every format's reader
// produces Rules, so the mapping, with its notes and refusals, is written
// once.
type Rule struct {
	// Line is where the rule is written (1-based); 0 when unknown.
	Line int
	// From is the path pattern as written: "*" splats, ":name"
	// placeholders, or a full URL for a host-specific rule.
	From string
	// Query are query parameters that must be present, in file order;
	// a value ":name" captures, anything else must be equal.
	Query []Param
	// To is a path or a URL; may use :splat and :name.
	To string
	// Status as written; 0 when none was written.
	Status int
	// Force is Netlify's "!" (and force = true): apply even when a file
	// exists at the path.
	Force bool
	// Conditions are Netlify's Key=v1,v2 conditions (Language, Country,
	// Role, Cookie, Sign), in file order.
	Conditions []Param
	// Has and Missing are Vercel's has/missing conditions.
	Has, Missing []config.Match
	// Headers are set on a proxied request (netlify.toml headers).
	Headers map[string]string
}

// Param is a key and its value as written.
type Param struct {
	Key, Value string
}

// ParseRedirects reads a _redirects file: one rule a line,
//
//	from [name=value ...] to [status[!]] [Condition=v1,v2 ...]
//
// with blank lines and "#" comments (a whole line, or from a word starting
// with "#" to the end of the line) ignored. Every malformed line is an
// *config.Error naming the file and line; several are joined.
func ParseRedirects(name string, data []byte) ([]Rule, error) {
	if len(data) > config.MaxFileSize {
		return nil, config.TooLargeError(name, len(data))
	}
	var rules []Rule
	var errs []error
	for i, line := range lines(data) {
		r, err := parseRedirectLine(line)
		if err != nil {
			errs = append(errs, &config.Error{File: name, Pos: config.Position{Line: i + 1, Col: 1}, Msg: err.msg, Hint: err.hint})
			if len(errs) > config.MaxErrors {
				break
			}
			continue
		}
		if r != nil {
			r.Line = i + 1
			rules = append(rules, *r)
		}
		if len(rules) > MaxRules {
			return nil, &config.Error{File: name, Pos: config.Position{Line: i + 1, Col: 1}, Msg: fmt.Sprintf("more than %d rules", MaxRules),
				Hint: "a rule set this large is a mistake: merge rules with * and :placeholders"}
		}
	}
	if len(errs) > 0 {
		return nil, config.JoinErrors(errs)
	}
	return rules, nil
}

// lineError is a problem with one line: what is wrong and how to fix it.
type lineError struct{ msg, hint string }

// lines splits a file into lines, dropping a final "\r" (Windows line ends)
// and a leading byte order mark.
func lines(data []byte) []string {
	s := strings.TrimPrefix(string(data), "\ufeff")
	out := strings.Split(s, "\n")
	for i := range out {
		out[i] = strings.TrimSuffix(out[i], "\r")
	}
	return out
}

// checkLine refuses lines too long or with characters no value may hold.
func checkLine(line string) *lineError {
	if len(line) > MaxRuleLine {
		return &lineError{fmt.Sprintf("the line is %d bytes long, more than %d", len(line), MaxRuleLine), "split it or shorten it"}
	}
	if n, what := config.BadChar(line); n > 0 {
		return &lineError{fmt.Sprintf("character %d is %s", n, what), config.BadCharHint}
	}
	return nil
}

func parseRedirectLine(line string) (*Rule, *lineError) {
	if err := checkLine(line); err != nil {
		return nil, err
	}
	fields := strings.Fields(line)
	for i, f := range fields {
		if strings.HasPrefix(f, "#") {
			fields = fields[:i]
			break
		}
	}
	if len(fields) == 0 {
		return nil, nil
	}
	r := &Rule{From: fields[0]}
	if !isPathOrURL(r.From) {
		return nil, &lineError{fmt.Sprintf("%q is not a path or URL to redirect from", r.From), "a rule is: /from /to [status], e.g. /home / 301"}
	}
	rest := fields[1:]
	to := -1
	for i, f := range rest {
		if isPathOrURL(f) {
			to = i
			break
		}
	}
	if to < 0 {
		return nil, &lineError{fmt.Sprintf("no destination after %q", r.From), "a rule is: /from /to [status]; the destination starts with / or https://"}
	}
	for _, q := range rest[:to] {
		k, v, ok := strings.Cut(q, "=")
		if !ok || k == "" {
			return nil, &lineError{fmt.Sprintf("%q is neither a query parameter (name=value) nor a destination", q), "write query parameters as id=:id between the source and the destination"}
		}
		r.Query = append(r.Query, Param{k, v})
	}
	r.To = rest[to]
	rest = rest[to+1:]
	if len(rest) > 0 && !strings.Contains(rest[0], "=") {
		status, force, err := parseStatus(rest[0])
		if err != nil {
			return nil, err
		}
		r.Status, r.Force = status, force
		rest = rest[1:]
	}
	for _, c := range rest {
		k, v, ok := strings.Cut(c, "=")
		if !ok || k == "" || v == "" {
			return nil, &lineError{fmt.Sprintf("%q after the status is not a condition", c), "conditions are Key=value, e.g. Country=us,ca or Language=fr"}
		}
		r.Conditions = append(r.Conditions, Param{k, v})
	}
	return r, nil
}

func parseStatus(s string) (int, bool, *lineError) {
	force := strings.HasSuffix(s, "!")
	digits := strings.TrimSuffix(s, "!")
	if digits == "" && force {
		return 0, true, nil
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n < 100 || n > 599 {
		return 0, false, &lineError{fmt.Sprintf("%q is not a status code", s), "write a status such as 301, 302, 200 or 404, and ! after it to force the rule (301!)"}
	}
	return n, force, nil
}

func isPathOrURL(s string) bool {
	return strings.HasPrefix(s, "/") || strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")
}

// FormatRedirects writes rules back in _redirects syntax, one a line.
// ParseRedirects(FormatRedirects(rules)) gives the same rules (Line aside).
func FormatRedirects(rules []Rule) string {
	var b strings.Builder
	for _, r := range rules {
		b.WriteString(r.From)
		for _, q := range r.Query {
			b.WriteString(" " + q.Key + "=" + q.Value)
		}
		b.WriteString(" " + r.To)
		switch {
		case r.Status != 0:
			b.WriteString(" " + strconv.Itoa(r.Status))
			if r.Force {
				b.WriteString("!")
			}
		case r.Force:
			b.WriteString(" !")
		}
		for _, c := range r.Conditions {
			b.WriteString(" " + c.Key + "=" + c.Value)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// RedirectsConfig maps the rules of a _redirects file onto static.toml, in
// file order (the first match wins there as here).
func RedirectsConfig(file string, rules []Rule) *Imported {
	m := newMapper(file)
	for _, r := range rules {
		if r.Status == 0 {
			m.noteOnce("status", "%s: a rule without a status (line %d) redirects with 301, as on Netlify; Cloudflare Pages uses 302: write 302 on the lines that need it.", file, r.Line)
		}
		if redirectStatus(r.Status) || r.Status == 0 {
			if !r.Force {
				m.noteOnce("shadow", "%s: a redirect without ! (line %d) applies only when no file is served at its path, as on Netlify (force = false); Cloudflare Pages applies it always: write 301! (force = true) for that.", file, r.Line)
			}
		}
		m.rule(r, config.DefaultRedirectStatus)
	}
	return m.finish()
}
