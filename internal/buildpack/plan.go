package buildpack

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/hardstatic/buildpack/internal/config"
	"github.com/hardstatic/buildpack/internal/manifest"
	"github.com/hardstatic/buildpack/internal/migrate"
	"github.com/hardstatic/buildpack/internal/policy"
	"github.com/hardstatic/buildpack/internal/sitefs"
)

// Options say which app to plan and what the plan may do.
type Options struct {
	// AppDir is the application directory.
	AppDir string
	// RootOverride plays BP_STATIC_ROOT: the served directory, relative to
	// AppDir, over static.toml's root. Default: none.
	RootOverride string
	// ChangeFiles lets the plan change the author's files: the build adds
	// Subresource Integrity to pages; `static-server check` and `serve DIR`
	// change no file. Default: false.
	ChangeFiles bool
	// Log receives the build's log of the plan. Default: nil, discarded.
	Log io.Writer
	// Debug adds the details BP_LOG_LEVEL=debug shows. Default: false.
	Debug bool
}

// Plan is what the build decided about an app: where its configuration
// came from, which directory is served and how it was found, and the
// hand-over to the server. The build log, `static-server check` and
// `serve DIR` render or use it; nothing reads the log back.
type Plan struct {
	// Source is the configuration file read: config.FileName,
	// config.StaticJSONName (Heroku's, migrated) or "" (the defaults).
	Source string
	// Migrated is the static.toml equivalent of a static.json Source.
	Migrated []byte
	// Notes are the migration's remarks on a static.json, one line each.
	Notes []string
	// Warnings are the plan's warnings, as the log shows them after
	// "WARNING: " (names escaped).
	Warnings []string
	// RootRules are the other hosts' rule files read from the root
	// (migrate.RootFiles: _redirects, _headers), applied before Source's.
	RootRules []string
	// Root is the served directory and why it was chosen.
	Root config.Root
	// Manifest is the hand-over to the server (its file table is added by
	// the build, which alone analyses and compresses the files).
	Manifest manifest.Manifest

	abs  string       // the absolute, resolved root
	tree *sitefs.Tree // the one walk of the root
}

// RootDetail is the root as the build log shows it after "Root: ": the
// directory and, in parentheses, why it was chosen.
func (p *Plan) RootDetail() string {
	return escape(p.Root.Display()) + " (" + escape(p.Root.Reason) + ")"
}

// NewPlan reads the configuration (static.toml, else a migrated
// static.json), finds and resolves the root, walks it once under the one
// rule of what is served, checks the files the configuration names and
// computes the response headers, writing the build's log to opts.Log.
// Errors are the author's to fix and say how.
func NewPlan(opts Options) (*Plan, error) {
	w := opts.Log
	if w == nil {
		w = io.Discard
	}
	return plan(opts, logger{w: w, debug: opts.Debug})
}

func plan(opts Options, log logger) (*Plan, error) {
	loaded, err := migrate.LoadApp(opts.AppDir)
	if err != nil {
		return nil, err
	}
	p := &Plan{Source: loaded.Source, Migrated: loaded.Migrated, Notes: loaded.Notes}
	log.warnings = &p.Warnings
	p.logConfig(log)
	cfg := loaded.Config
	if err := p.findRoot(opts, cfg.Root, log); err != nil {
		return nil, err
	}
	warnOtherHosts(opts.AppDir, loaded.Source, log)
	if cfg, p.RootRules, err = loadRootRules(cfg, p.abs, log); err != nil {
		return nil, err
	}
	explicitNotFound := cfg.NotFound != ""
	if cfg, err = cfg.CheckFiles(p.abs); err != nil {
		return nil, err
	}
	hide := append([]string{config.FileName, config.StaticJSONName}, migrate.ConfigFiles...)
	if p.tree, err = walkRoot(p.abs, cfg, hide); err != nil {
		return nil, err
	}
	if cfg, err = checkServed(cfg, p.tree, explicitNotFound, log); err != nil {
		return nil, err
	}
	hide = append(hide, hardenRoot(p.abs, cfg, p.tree, opts.ChangeFiles, log)...)
	headers := policy.SiteHeaders(cfg.CSP)
	site := policy.SiteCSP(headers)
	p.Manifest = manifest.Manifest{
		Root:         filepath.ToSlash(p.Root.Rel),
		Hide:         hide,
		Headers:      headers,
		PolicyHeader: site.Name,
		Source:       loaded.Source,
		Config:       cfg,
	}
	p.Manifest.PagePolicies = pagePolicies(p.abs, cfg, p.tree, site, log)
	p.Summary().log(log)
	return p, nil
}

// logConfig tells the author which configuration the build read.
func (p *Plan) logConfig(log logger) {
	switch p.Source {
	case "":
		log.Step("Config: none (no %s; using the hardened defaults)", config.FileName)
	case config.StaticJSONName:
		log.Step("Config: %s (Heroku's format), migrated. The equivalent %s, to commit in its place:", config.StaticJSONName, config.FileName)
		log.Detail("%s", block(strings.TrimRight(string(p.Migrated), "\n")))
		for _, n := range p.Notes {
			log.Warn("static.json: %s", n)
		}
	default:
		log.Step("Config: %s", p.Source)
	}
}

// findRoot decides the served directory (opts.RootOverride, else the
// configuration's root, else the first layout with an index.html) and
// checks it exists inside the app.
func (p *Plan) findRoot(opts Options, configured string, log logger) error {
	explicit, source := configured, p.Source
	if opts.RootOverride != "" {
		explicit, source = opts.RootOverride, RootEnv
	}
	root, ok := config.FindRoot(opts.AppDir, explicit, source)
	if !ok {
		return fmt.Errorf("no site root: %s", noRootReason(opts.AppDir))
	}
	abs, err := config.ResolveRoot(opts.AppDir, root)
	if err != nil {
		return err
	}
	p.Root, p.abs = root, abs
	log.Step("Root: %s (%s)", root.Display(), root.Reason)
	if !fileExists(filepath.Join(abs, "index.html")) {
		log.Warn("%s has no index.html: requests for / will get the 404 page", root.Display())
	}
	return nil
}

// errStopped ends a build whose plan failed; the log has said why.
var errStopped = errors.New("the build stopped: fix the problem above and build again")
