package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hardstatic/buildpack/internal/buildpack"
	"github.com/hardstatic/buildpack/internal/config"
	"github.com/hardstatic/buildpack/internal/manifest"
	"github.com/hardstatic/buildpack/internal/policy"
)

// checkCmd validates an app's configuration the way the build does and
// prints what the site will do: routes, header rules, and a verdict on each
// header the Mozilla HTTP Observatory grades.
func checkCmd() *cobra.Command {
	var verbose bool
	cmd := &cobra.Command{
		Use:   "check [DIR]",
		Short: "Validate static.toml in DIR (default .) and show the routes, header rules and security headers",
		Long: `check plans the app in DIR (default: the working directory) the way the build does: it reads
static.toml (or a static.json, migrated), finds the root (BP_STATIC_ROOT overrides it) and checks the
files it names. It prints the routes in the order a request meets them, the per-path header rules,
and a verdict on each security header the Mozilla HTTP Observatory grades. It changes no file.

Exit status: 0 the configuration is valid, 1 it is not (the error says where and how to fix it),
2 the command line is wrong.`,
		Example:           "  static-server check\n  static-server check examples/spa",
		Args:              appDirArg("check"),
		ValidArgsFunction: completeDirs,
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			abs, err := filepath.Abs(dir)
			if err != nil {
				return err
			}
			var plan bytes.Buffer
			m, err := buildpack.PlanSite(abs, os.Getenv(buildpack.RootEnv), &plan)
			if verbose {
				_, _ = cmd.ErrOrStderr().Write(plan.Bytes())
			}
			if err != nil {
				return err
			}
			return printCheck(cmd.OutOrStdout(), abs, m, planLine(plan.String(), "Root: "))
		},
	}
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "also print the build's log of the plan (on stderr)")
	usageFlagErrors(cmd)
	return cmd
}

// planLine is the first line of the build's log that starts with prefix,
// without it, or "".
func planLine(log, prefix string) string {
	for line := range strings.SplitSeq(log, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), prefix); ok {
			return rest
		}
	}
	return ""
}

// printCheck prints the plan; rootDetail is the build's description of the
// root, when known.
func printCheck(w io.Writer, appDir string, m manifest.Manifest, rootDetail string) error {
	cfg := m.Config
	if cfg == nil {
		cfg = config.Default()
	}
	p := &printer{w: w}
	switch {
	case fileExists(filepath.Join(appDir, config.FileName)):
		p.line("Config: %s is valid", config.FileName)
	case fileExists(filepath.Join(appDir, config.StaticJSONName)):
		p.line("Config: %s (Heroku's format) is valid; `static-server migrate` prints the equivalent %s", config.StaticJSONName, config.FileName)
	default:
		p.line("Config: none (no %s: the hardened defaults)", config.FileName)
	}
	root := m.Root + "/"
	if m.Root == "." || m.Root == "" {
		root = "the app directory"
	}
	if rootDetail != "" {
		p.line("Root: %s", rootDetail)
	} else {
		p.line("Root: %s", root)
	}

	p.line("")
	p.line("Routes, in the order a request meets them:")
	n := 0
	route := func(format string, args ...any) {
		n++
		p.line("  %2d. %s", n, fmt.Sprintf(format, args...))
	}
	if cfg.HTTPSOnly {
		route("https_only: a request marked X-Forwarded-Proto: http -> the same URL on https (301)")
	}
	if cfg.CanonicalHost != "" {
		route("canonical_host: any other host -> %s, same path and query (301)", cfg.CanonicalHost)
	}
	if a := cfg.BasicAuth; a != nil {
		paths := "everything except /.well-known/"
		if len(a.Paths) > 0 {
			paths = strings.Join(a.Paths, ", ")
		}
		route("basic auth (realm %q) on %s; users from $%s at launch", a.Realm, paths, a.UsersEnv)
	}
	for _, r := range cfg.Redirects {
		route("redirect %s", r.Describe())
	}
	for _, pr := range cfg.Proxies {
		route("proxy %s -> %s (max body %s; no security headers added to its responses)%s", pr.From, pr.To, pr.MaxBody, pr.Summary())
	}
	route("files from %s (clean_urls = %t, trailing_slash = %q; never: dotfiles except /.well-known/, %s, directory listings)",
		root, cfg.CleanURLs, cfg.TrailingSlash, strings.Join(m.Hide, ", "))
	for _, r := range cfg.Rewrites {
		route("rewrite %s", r.Describe())
	}
	if cfg.Fallback != "" {
		route("fallback /%s (200, for GET and HEAD of paths without an extension that match nothing else)", strings.TrimPrefix(cfg.Fallback, "/"))
	}
	if cfg.NotFound != "" {
		route("not found: %s (404)", cfg.NotFound)
	} else {
		route("not found: a plain 404 (add 404.html to the root for a custom page)")
	}

	p.line("")
	if len(cfg.HeaderRules) == 0 {
		p.line("Headers by path: none (every response gets the headers below)")
	} else {
		p.line("Headers by path (over the headers below; every matching rule applies, in order):")
		for _, rule := range cfg.HeaderRules {
			p.line("  %s", rule.Glob)
			for _, h := range rule.Headers {
				if h.Value == "" {
					p.line("    %s: (removed)", h.Name)
				} else {
					p.line("    %s: %s", h.Name, h.Value)
				}
			}
		}
	}

	p.line("")
	p.line("Security headers (as graded by the Mozilla HTTP Observatory):")
	for _, v := range policy.Verdicts(m.Headers) {
		p.line("  %-7s %s: %s", v.Grade, v.Header, v.Note)
	}
	for _, rule := range cfg.HeaderRules {
		for _, v := range policy.Verdicts(overlay(m.Headers, rule.Headers)) {
			if touches(rule.Headers, v.Header) {
				p.line("  %-7s %s on %s: %s", v.Grade, v.Header, rule.Glob, v.Note)
			}
		}
	}
	return p.err
}

type printer struct {
	w   io.Writer
	err error
}

func (p *printer) line(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format+"\n", args...)
	}
}

func fileExists(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.Mode().IsRegular()
}

// overlay applies a header rule over the site-wide headers.
func overlay(base []policy.Header, rule []config.Header) []policy.Header {
	set := make([]policy.Header, len(rule))
	for i, h := range rule {
		set[i] = policy.Header(h)
	}
	return policy.Overlay(base, set)
}

func touches(rule []config.Header, name string) bool {
	for _, h := range rule {
		if strings.EqualFold(h.Name, name) ||
			(name == "X-Frame-Options" && strings.EqualFold(h.Name, "Content-Security-Policy")) {
			return true
		}
	}
	return false
}
