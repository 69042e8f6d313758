package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hardstatic/buildpack/internal/buildpack"
	"github.com/hardstatic/buildpack/internal/config"
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
			opts := buildpack.Options{AppDir: abs, RootOverride: os.Getenv(buildpack.RootEnv)}
			if verbose {
				opts.Log = cmd.ErrOrStderr()
			}
			plan, err := buildpack.NewPlan(opts)
			if err != nil {
				return err
			}
			return printCheck(cmd.OutOrStdout(), plan)
		},
	}
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "also print the build's log of the plan (on stderr)")
	usageFlagErrors(cmd)
	return cmd
}

// printCheck prints the plan: the configuration and root, then the plan's
// summary.
func printCheck(w io.Writer, plan *buildpack.Plan) error {
	p := &printer{w: w}
	switch plan.Source {
	case config.FileName:
		p.line("Config: %s is valid", config.FileName)
	case config.StaticJSONName:
		p.line("Config: %s (Heroku's format) is valid; `static-server migrate` prints the equivalent %s", config.StaticJSONName, config.FileName)
	default:
		p.line("Config: none (no %s: the hardened defaults)", config.FileName)
	}
	if len(plan.RootRules) > 0 {
		p.line("Rules: %s in the root (Netlify / Cloudflare Pages syntax) are valid, applied before %s's and never served",
			strings.Join(plan.RootRules, " and "), config.FileName)
	}
	p.line("Root: %s", plan.RootDetail())
	for _, w := range plan.Warnings {
		p.line("Warning: %s", w)
	}
	s := plan.Summary()
	p.routes(s.Routes)
	p.headerRules(s.HeaderRules)
	p.verdicts(s)
	return p.err
}

// routes lists the routes, numbered, in the order a request meets them.
func (p *printer) routes(routes []buildpack.Route) {
	p.line("")
	p.line("Routes, in the order a request meets them:")
	for i, r := range routes {
		p.line("  %2d. %s", i+1, routeLine(r))
	}
}

func routeLine(r buildpack.Route) string {
	switch r.Kind {
	case buildpack.RouteHTTPS:
		return "https_only: a request marked X-Forwarded-Proto: http -> the same URL on https (301)"
	case buildpack.RouteCanonicalHost:
		return fmt.Sprintf("canonical_host: any other host -> %s, same path and query (301)", r.To)
	case buildpack.RouteBasicAuth:
		return fmt.Sprintf("basic auth (realm %q) on %s; users from $%s at launch", r.Realm, r.Protected(), r.UsersEnv)
	case buildpack.RouteRedirect:
		return "redirect " + r.Rule
	case buildpack.RouteProxy:
		return fmt.Sprintf("proxy %s -> %s (max body %s; no security headers added to its responses)%s", r.From, r.To, r.MaxBody, r.Conditions)
	case buildpack.RouteFiles:
		return fmt.Sprintf("files from %s (clean_urls = %t, trailing_slash = %q; never: dotfiles except /.well-known/, %s, directory listings)",
			r.Root, r.CleanURLs, r.TrailingSlash, strings.Join(r.Hide, ", "))
	case buildpack.RouteRewrite:
		return "rewrite " + r.Rule
	case buildpack.RouteFallback:
		return fmt.Sprintf("fallback /%s (200, for GET and HEAD of paths without an extension that match nothing else)", strings.TrimPrefix(r.To, "/"))
	case buildpack.RouteNotFound:
		if len(r.Pages) > 0 {
			root := "else a plain 404"
			if r.To != "" {
				root = "else " + r.To
			}
			return fmt.Sprintf("not found: the nearest of %s, %s (404)", strings.Join(r.Pages, ", "), root)
		}
		if r.To != "" {
			return fmt.Sprintf("not found: %s (404)", r.To)
		}
		return "not found: a plain 404 (add 404.html to the root for a custom page)"
	}
	return fmt.Sprintf("route of kind %d", r.Kind)
}

// headerRules lists the [headers."glob"] tables.
func (p *printer) headerRules(rules []config.HeaderRule) {
	p.line("")
	if len(rules) == 0 {
		p.line("Headers by path: none (every response gets the headers below)")
		return
	}
	p.line("Headers by path (over the headers below; every matching rule applies, in order):")
	for _, rule := range rules {
		p.line("  %s", rule.Glob)
		for _, h := range rule.Headers {
			p.line("    %s: %s", h.Name, buildpack.HeaderValue(h))
		}
	}
}

// verdicts judges the site-wide security headers, then those each header
// rule changes.
func (p *printer) verdicts(s buildpack.Summary) {
	p.line("")
	p.line("Security headers (as graded by the Mozilla HTTP Observatory):")
	for _, v := range s.Site {
		p.line("  %-7s %s: %s", v.Grade, v.Header, v.Note)
	}
	for _, v := range s.ByRule {
		p.line("  %-7s %s on %s: %s", v.Grade, v.Header, v.Glob, v.Note)
	}
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
