// Package sitefs holds the one rule that decides whether a file of a site
// root is ever served, and the one walk of the root that applies it.
//
// The build walks the root once (Walk) and hands the resulting Tree to
// everything that looks at the site's files: the file table, Subresource
// Integrity, the per-page policies and the secrets report. The server
// serves only what that walk listed, so a name the rule refuses can never be
// reached, whatever URL, rewrite, fallback or symbolic link leads to it.
package sitefs

import (
	"fmt"
	"strings"

	"github.com/hardstatic/buildpack/internal/pattern"
)

// WellKnown is the one dot-directory that is served, at the top of the root
// only (RFC 8615).
const WellKnown = ".well-known"

// Reserved is the directory under /.well-known/ that the server answers
// itself (the probe, runtime configuration): no file of the site is ever
// served there, so none can shadow or impersonate those answers.
const Reserved = WellKnown + "/hardstatic"

// Rule decides whether a name of the root is ever served, and whether it
// needs credentials. The zero value serves everything but dot names.
type Rule struct {
	hidden     map[string]string // exact names -> why
	globs      []*pattern.Glob
	protect    []*pattern.Glob
	protectAll bool
}

// RuleOptions configure NewRule.
type RuleOptions struct {
	// Hide lists names relative to the root that are never served, such as
	// the site's own configuration files. Default: none.
	Hide []string
	// HideGlobs are static.toml's hide globs ("*" within a segment, "**"
	// any depth), matched against "/"+name. Default: none.
	HideGlobs []string
	// Protect are basic_auth.paths globs. Default: none.
	Protect []string
	// ProtectAll protects every path but /.well-known/ (basic auth without
	// paths). Default: false.
	ProtectAll bool
}

// NewRule compiles the options.
func NewRule(o RuleOptions) (*Rule, error) {
	r := &Rule{hidden: map[string]string{}, protectAll: o.ProtectAll}
	for _, h := range o.Hide {
		r.hidden[strings.Trim(h, "/")] = "the site's configuration"
	}
	var err error
	if r.globs, err = compile(o.HideGlobs); err != nil {
		return nil, fmt.Errorf("hide: %w", err)
	}
	if r.protect, err = compile(o.Protect); err != nil {
		return nil, fmt.Errorf("basic_auth.paths: %w", err)
	}
	return r, nil
}

func compile(globs []string) ([]*pattern.Glob, error) {
	out := make([]*pattern.Glob, 0, len(globs))
	for _, g := range globs {
		c, err := pattern.CompileGlob(g)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// Refuses returns why the name (slash-separated, relative to the root, as
// the walk or a cleaned request path gives it) is never served, or "" when
// it may be. It looks at the name only; Walk adds what needs the file
// (links, secrets).
func (r *Rule) Refuses(name string) string {
	if name == "" || name == "." {
		return ""
	}
	for i, seg := range strings.Split(name, "/") {
		switch {
		case seg == "" || seg == "." || seg == "..":
			return "not a clean path"
		case seg[0] == '.' && (i > 0 || seg != WellKnown):
			return "a dotfile or dot-directory"
		}
	}
	if name == Reserved || strings.HasPrefix(name, Reserved+"/") {
		return "reserved for the server's own endpoints (/" + Reserved + "/)"
	}
	if r == nil {
		return ""
	}
	if why := r.hidden[name]; why != "" {
		return why
	}
	for _, g := range r.globs {
		if g.Match("/" + name) {
			return "hidden by hide = " + g.String()
		}
	}
	return ""
}

// Protected reports whether a request path ("/a/b") or a file served at
// it needs credentials.
func (r *Rule) Protected(urlPath string) bool {
	if r == nil {
		return false
	}
	if r.protectAll {
		return urlPath != "/"+WellKnown && !strings.HasPrefix(urlPath, "/"+WellKnown+"/")
	}
	for _, g := range r.protect {
		if g.Match(urlPath) {
			return true
		}
	}
	return false
}

// Protects reports whether any path is protected.
func (r *Rule) Protects() bool { return r != nil && (r.protectAll || len(r.protect) > 0) }
