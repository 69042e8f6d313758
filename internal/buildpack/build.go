package buildpack

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/buildpacks/libcnb/v2"

	"github.com/hardstatic/buildpack/internal/config"
	"github.com/hardstatic/buildpack/internal/htmlsec"
	"github.com/hardstatic/buildpack/internal/manifest"
	"github.com/hardstatic/buildpack/internal/migrate"
	"github.com/hardstatic/buildpack/internal/pattern"
	"github.com/hardstatic/buildpack/internal/policy"
	"github.com/hardstatic/buildpack/internal/sitefs"
)

// ServerBinary is the server program's name, in the buildpack's bin/ and in
// the launch layer.
const ServerBinary = "static-server"

// Layer names.
const (
	serverLayerName = "server"
	siteLayerName   = "site"
)

// Build is the libcnb build phase: validate the configuration, check the
// root, contribute the server and site layers, declare the web process.
func Build(ctx libcnb.BuildContext) (libcnb.BuildResult, error) {
	log := logger{w: os.Stdout, debug: buildEnv(ctx.Platform.Environment, "BP_LOG_LEVEL") == "debug"}
	log.Title("%s %s", ctx.Buildpack.Info.Name, ctx.Buildpack.Info.Version)
	start := time.Now()

	site, tree, err := planSite(ctx.ApplicationPath, buildEnv(ctx.Platform.Environment, RootEnv), log)
	if err != nil {
		log.Step("Build failed:")
		log.Detail("%s", err)
		return libcnb.BuildResult{}, errors.New("the build stopped: fix the problem above and build again")
	}

	server, err := contributeServer(ctx, log)
	if err != nil {
		return libcnb.BuildResult{}, fmt.Errorf("adding the web server: %w", err)
	}
	siteLayer, manifestPath, err := contributeSite(ctx, site)
	if err != nil {
		return libcnb.BuildResult{}, err
	}
	variants, err := contributeFiles(ctx, site, tree, &siteLayer, log)
	if err != nil {
		return libcnb.BuildResult{}, err
	}
	log.Step("Process web: %s serve (listens on $PORT, default 8080)", ServerBinary)
	log.Step("Done in %s", time.Since(start).Round(time.Millisecond))

	return libcnb.BuildResult{
		Layers: []libcnb.Layer{server, siteLayer, variants},
		Processes: []libcnb.Process{{
			Type:      "web",
			Command:   []string{filepath.Join(server.Path, "bin", ServerBinary)},
			Arguments: []string{"serve", "--manifest", manifestPath},
			Default:   true,
		}},
	}, nil
}

// planSite reads the configuration and decides what is served, logging each
// decision: one walk of the root (internal/sitefs) lists the served files,
// which everything after it uses. Errors are the author's to fix and say how.
func planSite(appDir, rootOverride string, log logger) (manifest.Manifest, *sitefs.Tree, error) {
	loaded, err := migrate.LoadApp(appDir)
	if err != nil {
		return manifest.Manifest{}, nil, err
	}
	cfg := loaded.Config
	switch loaded.Source {
	case "":
		log.Step("Config: none (no %s; using the hardened defaults)", config.FileName)
	case config.StaticJSONName:
		log.Step("Config: %s (Heroku's format), migrated. The equivalent %s, to commit in its place:", config.StaticJSONName, config.FileName)
		log.Detail("%s", block(strings.TrimRight(string(loaded.Migrated), "\n")))
		for _, n := range loaded.Notes {
			log.Warn("static.json: %s", n)
		}
	default:
		log.Step("Config: %s", loaded.Source)
	}

	explicit, source := cfg.Root, loaded.Source
	if rootOverride != "" {
		explicit, source = rootOverride, RootEnv
	}
	root, ok := config.FindRoot(appDir, explicit, source)
	if !ok {
		return manifest.Manifest{}, nil, fmt.Errorf("no site root: %s", noRootReason(appDir))
	}
	abs, err := config.ResolveRoot(appDir, root)
	if err != nil {
		return manifest.Manifest{}, nil, err
	}
	log.Step("Root: %s (%s)", root.Display(), root.Reason)
	warnOtherHosts(appDir, loaded.Source, log)
	if err := loadRootRules(cfg, abs, log); err != nil {
		return manifest.Manifest{}, nil, err
	}
	if !fileExists(filepath.Join(abs, "index.html")) {
		log.Warn("%s has no index.html: requests for / will get the 404 page", root.Display())
	}

	explicitNotFound := cfg.NotFound != ""
	if err := cfg.CheckFiles(abs); err != nil {
		return manifest.Manifest{}, nil, err
	}
	hide := append([]string{config.FileName, config.StaticJSONName}, migrate.ConfigFiles...)
	tree, err := walkRoot(abs, cfg, hide)
	if err != nil {
		return manifest.Manifest{}, nil, err
	}
	if err := checkServed(cfg, tree, explicitNotFound, log); err != nil {
		return manifest.Manifest{}, nil, err
	}
	hide = append(hide, hardenRoot(abs, cfg, tree, log)...)
	m := manifest.Manifest{
		Root:    filepath.ToSlash(root.Rel),
		Hide:    hide,
		Headers: policy.SiteHeaders(cfg.CSP),
		Source:  loaded.Source,
		Config:  cfg,
	}
	m.PagePolicies = pagePolicies(abs, cfg, tree, m.Headers[0], log)
	logSite(log, cfg, m)
	return m, tree, nil
}

// walkRoot is the one walk of the root, under the one rule of what is
// served: dotfiles, the site's configuration, hide globs, likely secrets,
// and links that leave the root or land on any of those are left out;
// basic_auth.paths mark the files that need credentials.
func walkRoot(abs string, cfg *config.Config, hide []string) (*sitefs.Tree, error) {
	opts := sitefs.RuleOptions{Hide: hide, HideGlobs: cfg.Hide}
	if a := cfg.BasicAuth; a != nil {
		opts.Protect, opts.ProtectAll = a.Paths, len(a.Paths) == 0
	}
	rule, err := sitefs.NewRule(opts)
	if err != nil {
		return nil, err
	}
	return sitefs.Walk(abs, rule, sitefs.WalkOptions{Secret: htmlsec.SecretKind, Shown: htmlsec.ShownSecret, MaxScan: htmlsec.MaxSecretScan})
}

// checkServed checks that the files the configuration names are served the
// way the server will open them, so that no image that cannot start, or
// that shows a protected page to everyone, is produced.
func checkServed(cfg *config.Config, tree *sitefs.Tree, explicitNotFound bool, log logger) error {
	why := func(name string) string {
		for _, e := range tree.Excluded {
			if e.Name == name {
				return e.Reason
			}
		}
		return "not a file of the root"
	}
	var errs []error
	if nf := cfg.NotFound; nf != "" {
		switch f := tree.Files[nf]; {
		case f == nil && explicitNotFound:
			errs = append(errs, fmt.Errorf("%s: not_found = %q is never served (%s); point it at a regular file of the root", config.FileName, nf, why(nf)))
		case f == nil:
			log.Warn("404.html is never served (%s): 404s get a plain page", why(nf))
			cfg.NotFound = ""
		case f.Protected:
			errs = append(errs, fmt.Errorf("%s: not_found = %q is protected by basic_auth.paths, but the 404 page is shown at every unknown URL; "+
				"move it out of the protected paths", config.FileName, nf))
		}
	}
	logNearestNotFound(cfg, tree, log)
	if fb := cfg.Fallback; fb != "" && tree.Files[fb] == nil {
		errs = append(errs, fmt.Errorf("%s: fallback = %q is never served (%s); point it at a regular file of the root", config.FileName, fb, why(fb)))
	}
	return errors.Join(errs...)
}

// logSite tells the author what will be served and how.
func logSite(log logger, cfg *config.Config, m manifest.Manifest) {
	if cfg.NotFound != "" {
		log.Step("404 page: %s", cfg.NotFound)
	} else {
		log.Step("404 page: none (add 404.html to the root for a custom page)")
	}
	log.Step("URLs: clean_urls = %t, trailing_slash = %q, https_only = %t", cfg.CleanURLs, cfg.TrailingSlash, cfg.HTTPSOnly)
	if cfg.CanonicalHost != "" {
		log.Step("Canonical host: %s (other hosts are redirected)", cfg.CanonicalHost)
	}
	if cfg.Fallback != "" {
		log.Step("Fallback: %s (status 200 for paths without an extension that match nothing else)", cfg.Fallback)
	}
	for i, r := range cfg.Redirects {
		if i == 0 {
			log.Step("Redirects (first match wins):")
		}
		log.Detail("%s", r.Describe())
	}
	for i, r := range cfg.Rewrites {
		if i == 0 {
			log.Step("Rewrites:")
		}
		log.Detail("%s", r.Describe())
	}
	for i, p := range cfg.Proxies {
		if i == 0 {
			log.Step("Proxies (security headers are not added to proxied responses):")
		}
		log.Detail("%s -> %s (max body %s)%s", p.From, p.To, p.MaxBody, p.Summary())
	}
	if a := cfg.BasicAuth; a != nil {
		paths := "everything except /.well-known/"
		if len(a.Paths) > 0 {
			paths = strings.Join(a.Paths, ", ")
		}
		log.Step("Basic auth: realm %q on %s; users from $%s at launch (the server refuses to start without it)", a.Realm, paths, a.UsersEnv)
	}
	log.Step("Response headers:")
	for _, h := range m.Headers {
		log.Detail("%s: %s", h.Name, h.Value)
	}
	if m.Headers[0].Name != "Content-Security-Policy" {
		log.Warn("csp.report_only = true: the Content-Security-Policy is reported, not enforced")
	}
	logPosture(log, cfg, m.Headers)
	for _, rule := range cfg.HeaderRules {
		log.Step("Headers for %s:", rule.Glob)
		for _, h := range rule.Headers {
			if h.Value == "" {
				log.Detail("%s: (removed)", h.Name)
			} else {
				log.Detail("%s: %s", h.Name, h.Value)
			}
		}
	}
	never := append(append([]string{}, m.Hide...), cfg.Hide...)
	log.Step("Never served: dotfiles (except /.well-known/), %s, directory listings, anything outside the root",
		strings.Join(escapeAll(never), ", "))
}

// contributeServer copies the server binary into a cached launch layer, or
// reuses the layer when its checksum matches.
func contributeServer(ctx libcnb.BuildContext, log logger) (libcnb.Layer, error) {
	src := filepath.Join(ctx.Buildpack.Path, "bin", ServerBinary)
	sum, err := sha256File(src)
	if err != nil {
		return libcnb.Layer{}, fmt.Errorf("the buildpack has no server binary at %s (run make build): %w", src, err)
	}
	layer, err := ctx.Layers.Layer(serverLayerName)
	if err != nil {
		return libcnb.Layer{}, err
	}
	dst := filepath.Join(layer.Path, "bin", ServerBinary)
	if layer.Metadata["sha256"] == sum && fileExists(dst) {
		log.Step("Server: Reusing cached layer (sha256 %s; the binary is unchanged)", sum[:12])
		layer.LayerTypes = libcnb.LayerTypes{Launch: true, Cache: true}
		return layer, writeServerSBOM(ctx, layer, src)
	}
	layer, err = layer.Reset()
	if err != nil {
		return libcnb.Layer{}, err
	}
	err = log.Timed("Copied "+ServerBinary+" into the server layer", func() error {
		return copyFile(src, dst, 0o755)
	})
	if err != nil {
		return libcnb.Layer{}, err
	}
	log.Step("Server: new layer (sha256 %s)", sum[:12])
	layer.Metadata = map[string]any{"sha256": sum}
	layer.LayerTypes = libcnb.LayerTypes{Launch: true, Cache: true}
	return layer, writeServerSBOM(ctx, layer, src)
}

// contributeSite writes the site manifest into a launch layer.
func contributeSite(ctx libcnb.BuildContext, m manifest.Manifest) (libcnb.Layer, string, error) {
	layer, err := ctx.Layers.Layer(siteLayerName)
	if err != nil {
		return libcnb.Layer{}, "", err
	}
	if layer, err = layer.Reset(); err != nil {
		return libcnb.Layer{}, "", err
	}
	file, err := manifest.Write(layer.Path, m)
	if err != nil {
		return libcnb.Layer{}, "", err
	}
	layer.LayerTypes = libcnb.LayerTypes{Launch: true}
	return layer, file, nil
}

func sha256File(name string) (string, error) {
	f, err := os.Open(name) //nolint:gosec // a file of the buildpack itself
	if err != nil {
		return "", err
	}
	defer f.Close() //nolint:errcheck // read-only
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func copyFile(src, dst string, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil { //nolint:gosec // image directories are world-readable
		return err
	}
	in, err := os.Open(src) //nolint:gosec // a file of the buildpack itself
	if err != nil {
		return err
	}
	defer in.Close()                                                       //nolint:errcheck // read-only
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode) //nolint:gosec // dst is in our layer
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}

func fileExists(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.Mode().IsRegular()
}

// logPosture summarises the headers of the home page the way the Mozilla
// HTTP Observatory grades them, with a visible warning for each weakness.
func logPosture(log logger, cfg *config.Config, site []policy.Header) {
	headers := site
	for _, rule := range cfg.HeaderRules {
		if g, err := pattern.CompileGlob(rule.Glob); err == nil && g.Match("/") {
			set := make([]policy.Header, len(rule.Headers))
			for i, h := range rule.Headers {
				set[i] = policy.Header(h)
			}
			headers = policy.Overlay(headers, set)
		}
	}
	verdicts := policy.Verdicts(headers)
	ok := 0
	for _, v := range verdicts {
		if v.Grade == "ok" {
			ok++
		}
	}
	log.Step("Security posture: %d of %d Observatory-graded headers strong (static-server check shows them per path)", ok, len(verdicts))
	for _, v := range verdicts {
		if v.Grade == "ok" {
			log.Detail("ok  %s: %s", v.Header, v.Note)
		} else {
			log.Warn("%s is %s: %s", v.Header, v.Grade, v.Note)
		}
	}
}
