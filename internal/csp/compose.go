package csp

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hardstatic/buildpack/internal/policy"
)

// MaxPolicySize is the budget of one page's Content-Security-Policy value,
// in bytes. Proxies and browsers refuse response headers past 4 to 8 KB in
// all; a page whose hashes would not fit gets the strictest policy that does.
const MaxPolicySize = 4096

const unsafeInline = "'unsafe-inline'"

// Result is one page's policy.
type Result struct {
	// Value is the page's Content-Security-Policy.
	Value string
	// Add is what Value has beyond the site-wide policy, per directive:
	// what the page gets, after the rules below.
	Add []policy.Directive
	// Notes say how the author's [csp] changed what the build computed.
	Notes []string
	// Warnings say what the page lost to the size budget.
	Warnings []string
}

// Compose merges a page's additions into the site-wide policy value and
// makes the result mean what it says:
//
//   - a -elem directive the page adds starts from its fallback's sources
//     (style-src-elem from style-src), so the site's own files still load,
//     and what the page adds to style-src or script-src goes to their -elem
//     form too when the site has one;
//   - browsers ignore 'unsafe-inline' in a directive that has a hash, so
//     where the author's [csp] (or a relaxation of the build) gives
//     'unsafe-inline', the hashes and 'unsafe-hashes' are left out of that
//     directive, and, for style-src or script-src, of its -elem and -attr
//     forms too, which get 'unsafe-inline' instead;
//   - past MaxPolicySize, the strictest policy that fits (see budget).
//
// It takes time linear in the number of sources.
func Compose(site string, p Page) Result {
	siteDs := policy.ParseCSP(site)
	ds := policy.Merge(siteDs, withElem(siteDs, p.Add))
	policy.InheritElem(ds, siteDs)
	var r Result
	for _, family := range []string{"style-src", "script-src"} {
		r.Notes = append(r.Notes, unhash(ds, siteDs, family)...)
	}
	r.Value = policy.FormatCSP(ds)
	if len(r.Value) > MaxPolicySize {
		r.Value, r.Warnings = budget(&ds)
	}
	r.Add = added(siteDs, ds)
	return r
}

// added lists the sources of ds that siteDs lacks, per directive.
func added(siteDs, ds []policy.Directive) []policy.Directive {
	var out []policy.Directive
	for _, d := range ds {
		var have []string
		if i := find(siteDs, d.Name); i >= 0 {
			have = siteDs[i].Sources
		}
		var extra []string
		for _, s := range d.Sources {
			if !slices.Contains(have, s) {
				extra = append(extra, s)
			}
		}
		if len(extra) > 0 {
			out = append(out, policy.Directive{Name: d.Name, Sources: extra})
		}
	}
	return out
}

// withElem adds what the page adds to style-src or script-src to their
// -elem form too when the site policy has one (from [csp]): browsers check
// <style> and <script> against it, not against style-src.
func withElem(siteDs, add []policy.Directive) []policy.Directive {
	out := add
	for _, d := range add {
		if (d.Name == "style-src" || d.Name == "script-src") && find(siteDs, d.Name+"-elem") >= 0 {
			out = append(out, policy.Directive{Name: d.Name + "-elem", Sources: d.Sources})
		}
	}
	return out
}

// unhash applies 'unsafe-inline' in family (style-src or script-src) and
// its -elem and -attr forms, and notes what the author's [csp] removed.
func unhash(ds, siteDs []policy.Directive, family string) []string {
	names := []string{family, family + "-elem", family + "-attr"}
	baseInline := hasSource(ds, family, unsafeInline)
	var notes []string
	for _, name := range names {
		i := find(ds, name)
		if i < 0 {
			continue
		}
		if baseInline && name != family && !slices.Contains(ds[i].Sources, unsafeInline) {
			ds[i].Sources = append(ds[i].Sources, unsafeInline)
		}
		if !slices.Contains(ds[i].Sources, unsafeInline) {
			continue
		}
		n := 0
		ds[i].Sources = slices.DeleteFunc(ds[i].Sources, func(s string) bool {
			drop := isHash(s) || s == "'unsafe-hashes'"
			if isHash(s) {
				n++
			}
			return drop
		})
		author := family
		if !hasSource(siteDs, family, unsafeInline) {
			author = name
		}
		if n > 0 && hasSource(siteDs, author, unsafeInline) {
			notes = append(notes, fmt.Sprintf("[csp] %s has 'unsafe-inline': the build's %d hashes are left out of %s, since browsers ignore 'unsafe-inline' next to a hash",
				author, n, name))
		}
	}
	return notes
}

// budget shrinks a policy past MaxPolicySize, one step at a time, each the
// least loss of strictness first: style attributes by 'unsafe-inline'
// instead of hashes, then <style> elements, then (scripts never get
// 'unsafe-inline') inline event handlers and inline scripts are left out,
// so they do not run.
func budget(ds *[]policy.Directive) (string, []string) {
	var warns []string
	size := len(policy.FormatCSP(*ds))
	steps := []struct {
		do   func(*[]policy.Directive) int
		warn string
	}{
		{func(ds *[]policy.Directive) int { return inline(ds, "style-src-attr", "style-src-attr") },
			"%d distinct style attributes need %d bytes of hashes: style-src-attr 'unsafe-inline' instead (only style attributes; classes in a stylesheet keep the page strict)"},
		{func(ds *[]policy.Directive) int { return inline(ds, "style-src-elem", "style-src") },
			"%d distinct inline <style> elements need %d bytes of hashes: style-src-elem 'unsafe-inline' instead (move them to a stylesheet to keep the page strict)"},
		{func(ds *[]policy.Directive) int { return drop(*ds, "script-src-attr") },
			"%d distinct inline event handlers need %d bytes of hashes: left out, so they DO NOT RUN (use addEventListener in a script file)"},
		{func(ds *[]policy.Directive) int { return drop(*ds, "script-src") },
			"%d distinct inline <script> elements need %d bytes of hashes: left out, so they DO NOT RUN (move them to script files)"},
	}
	for _, st := range steps {
		if size <= MaxPolicySize {
			break
		}
		if n := st.do(ds); n > 0 {
			now := len(policy.FormatCSP(*ds))
			warns = append(warns, fmt.Sprintf(st.warn, n, size-now))
			size = now
		}
	}
	v := policy.FormatCSP(*ds)
	if len(v) > MaxPolicySize {
		warns = append(warns, fmt.Sprintf("the policy is still %d bytes (budget %d): the page loads from too many origins; some proxies will refuse it", len(v), MaxPolicySize))
	}
	return v, warns
}

// inline sets name (created from the fallback's sources if missing) to
// 'unsafe-inline' without hashes, and removes the hashes of from as well.
// It returns the number of hashes removed.
func inline(dsp *[]policy.Directive, name, from string) int {
	ds := *dsp
	n := 0
	for _, d := range slices.Compact([]string{from, name}) {
		if i := find(ds, d); i >= 0 {
			n += countHashes(ds[i].Sources)
		}
	}
	if n == 0 {
		return 0
	}
	i := find(ds, name)
	if i < 0 {
		ds = append(ds, policy.Directive{Name: name})
		i = len(ds) - 1
	}
	if f := find(ds, from); f >= 0 && from != name {
		ds[i].Sources = union(ds[f].Sources, ds[i].Sources)
		ds[f].Sources = withoutHashes(ds[f].Sources)
	}
	if strings.HasSuffix(name, "-attr") {
		ds[i].Sources = []string{unsafeInline}
	} else if ds[i].Sources = withoutHashes(ds[i].Sources); !slices.Contains(ds[i].Sources, unsafeInline) {
		ds[i].Sources = append(ds[i].Sources, unsafeInline)
	}
	*dsp = ds
	return n
}

// drop removes the hashes of a script directive: what they allowed is
// blocked.
func drop(ds []policy.Directive, name string) int {
	i := find(ds, name)
	if i < 0 {
		return 0
	}
	n := countHashes(ds[i].Sources)
	ds[i].Sources = withoutHashes(ds[i].Sources)
	if len(ds[i].Sources) == 0 {
		ds[i].Sources = []string{"'none'"}
	}
	return n
}

func withoutHashes(sources []string) []string {
	return slices.DeleteFunc(slices.Clone(sources), func(s string) bool { return isHash(s) || s == "'unsafe-hashes'" })
}

func countHashes(sources []string) int {
	n := 0
	for _, s := range sources {
		if isHash(s) {
			n++
		}
	}
	return n
}

func isHash(s string) bool {
	return strings.HasPrefix(s, "'sha256-") || strings.HasPrefix(s, "'sha384-") || strings.HasPrefix(s, "'sha512-")
}

func find(ds []policy.Directive, name string) int {
	return slices.IndexFunc(ds, func(d policy.Directive) bool { return d.Name == name })
}

func hasSource(ds []policy.Directive, name, source string) bool {
	i := find(ds, name)
	return i >= 0 && slices.Contains(ds[i].Sources, source)
}

// union is a's sources followed by those of b it lacks, without 'none'.
func union(a, b []string) []string {
	seen := make(map[string]bool, len(a)+len(b))
	out := make([]string, 0, len(a)+len(b))
	for _, s := range append(slices.Clone(a), b...) {
		if !seen[s] && s != "'none'" {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
