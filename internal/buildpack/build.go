package buildpack

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/buildpacks/libcnb/v2"

	"github.com/hardstatic/buildpack/internal/config"
	"github.com/hardstatic/buildpack/internal/htmlsec"
	"github.com/hardstatic/buildpack/internal/manifest"
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

// Build is the libcnb build phase: plan the site (validate the
// configuration, check the root), contribute the server and site layers,
// write the manifest, declare the web process.
func Build(ctx libcnb.BuildContext) (libcnb.BuildResult, error) {
	return build(ctx, os.Stdout)
}

// build is Build with its log written to w.
func build(ctx libcnb.BuildContext, w io.Writer) (libcnb.BuildResult, error) {
	debug := buildEnv(ctx.Platform.Environment, "BP_LOG_LEVEL") == "debug"
	log := logger{w: w, debug: debug}
	log.Title("%s %s", ctx.Buildpack.Info.Name, ctx.Buildpack.Info.Version)
	start := time.Now()

	p, err := plan(Options{AppDir: ctx.ApplicationPath, RootOverride: buildEnv(ctx.Platform.Environment, RootEnv), ChangeFiles: true, Debug: debug}, log)
	if err != nil {
		log.Step("Build failed:")
		log.Detail("%s", err)
		return libcnb.BuildResult{}, errStopped
	}

	server, err := contributeServer(ctx, log)
	if err != nil {
		return libcnb.BuildResult{}, fmt.Errorf("adding the web server: %w", err)
	}
	siteLayer, err := newSiteLayer(ctx)
	if err != nil {
		return libcnb.BuildResult{}, err
	}
	variants, err := contributeFiles(ctx, &p.Manifest, p.tree, &siteLayer, log)
	if err != nil {
		return libcnb.BuildResult{}, err
	}
	manifestPath, err := manifest.Write(siteLayer.Path, p.Manifest)
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
// that shows a protected page to everyone, is produced. It returns cfg, or
// a copy without the default 404 page when that page is never served.
func checkServed(cfg *config.Config, tree *sitefs.Tree, explicitNotFound bool, log logger) (*config.Config, error) {
	why := func(name string) string {
		for _, e := range tree.Excluded {
			if e.Name == name {
				return e.Reason
			}
		}
		return "not a file of the root"
	}
	served := cfg
	var errs []error
	if nf := cfg.NotFound; nf != "" {
		switch f := tree.Files[nf]; {
		case f == nil && explicitNotFound:
			errs = append(errs, fmt.Errorf("%s: not_found = %q is never served (%s); point it at a regular file of the root", config.FileName, nf, why(nf)))
		case f == nil:
			log.Warn("404.html is never served (%s): 404s get a plain page", why(nf))
			plain := *cfg
			plain.NotFound = ""
			served = &plain
		case f.Protected:
			errs = append(errs, fmt.Errorf("%s: not_found = %q is protected by basic_auth.paths, but the 404 page is shown at every unknown URL; "+
				"move it out of the protected paths", config.FileName, nf))
		}
	}
	logNearestNotFound(cfg, tree, log)
	if fb := cfg.Fallback; fb != "" && tree.Files[fb] == nil {
		errs = append(errs, fmt.Errorf("%s: fallback = %q is never served (%s); point it at a regular file of the root", config.FileName, fb, why(fb)))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return served, nil
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

// newSiteLayer is the launch layer that holds the hand-over to the server:
// the file table and the manifest that names it.
func newSiteLayer(ctx libcnb.BuildContext) (libcnb.Layer, error) {
	layer, err := ctx.Layers.Layer(siteLayerName)
	if err != nil {
		return libcnb.Layer{}, err
	}
	if layer, err = layer.Reset(); err != nil {
		return libcnb.Layer{}, err
	}
	layer.LayerTypes = libcnb.LayerTypes{Launch: true}
	return layer, nil
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
