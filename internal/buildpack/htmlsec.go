package buildpack

import (
	"os"
	"strings"

	"github.com/hardstatic/buildpack/internal/config"
	"github.com/hardstatic/buildpack/internal/htmlsec"
	"github.com/hardstatic/buildpack/internal/sitefs"
)

// SRIEnv turns build-time Subresource Integrity off when "false", as
// sri = false in static.toml does.
const SRIEnv = "BP_STATIC_SRI"

// maxListed caps each list in the log.
const maxListed = 20

// hardenRoot logs what the walk left out (likely secrets, links that are
// never served) and, when it may change files, adds integrity attributes to the
// site's own scripts and stylesheets. Neither fails the build: it returns
// the likely secrets whose names the server would otherwise have served,
// which the walk already left out, for the manifest's list of hidden names.
func hardenRoot(abs string, cfg *config.Config, tree *sitefs.Tree, changeFiles bool, log logger) []string {
	if changeFiles { // static-server check and serve DIR change no file of the author's
		addSRI(abs, cfg, tree, log)
	}
	logLinks(tree, log)
	return logSecrets(tree, log)
}

// anywherePages are the pages the server sends for URLs other than their
// own: the 404 page, the fallback, fixed rewrite targets.
func anywherePages(cfg *config.Config) []string {
	var pages []string
	for _, p := range []string{cfg.NotFound, cfg.Fallback} {
		if p != "" {
			pages = append(pages, p)
		}
	}
	for _, rw := range cfg.Rewrites {
		if !strings.ContainsAny(rw.To, ":*") {
			pages = append(pages, rw.To)
		}
	}
	return pages
}

// addSRI adds integrity attributes to the site's own pages (unless sri =
// false or BP_STATIC_SRI=false) and logs what it did.
func addSRI(abs string, cfg *config.Config, tree *sitefs.Tree, log logger) {
	opts := htmlsec.Options{Disabled: !cfg.SRI || strings.EqualFold(strings.TrimSpace(os.Getenv(SRIEnv)), "false"), Pages: ownPages(tree),
		Anywhere: anywherePages(cfg)}
	rep, err := htmlsec.AddSRI(abs, opts)
	switch {
	case err != nil:
		log.Warn("Subresource Integrity: not added: %v", err)
	case rep.Disabled:
		log.Step("Subresource Integrity: off (sri = false in %s, or %s=false)", config.FileName, SRIEnv)
	default:
		logSRI(rep, log)
	}
}

// logSRI lists the tags that got integrity, and those left without it:
// the expected ones at debug level, the ones to act on as warnings.
func logSRI(rep htmlsec.Report, log logger) {
	log.Step("Subresource Integrity: added to %d script and stylesheet tags in %d of %d pages (sri = false in %s turns it off)",
		rep.Tags(), len(rep.Changed), rep.Pages, config.FileName)
	logCapped(len(rep.Changed), func(i int) {
		log.Detail("%s: %s", rep.Changed[i].File, strings.Join(rep.Changed[i].Added, ", "))
	}, func(more int) { log.Detail("... and %d more pages", more) })
	var notes, warns []htmlsec.Skip
	for _, s := range rep.Skipped {
		if s.Warning {
			warns = append(warns, s)
		} else {
			notes = append(notes, s)
		}
	}
	logCapped(len(notes), func(i int) { log.Debug("not added: %s", notes[i]) },
		func(more int) { log.Debug("... and %d more", more) })
	logCapped(len(warns), func(i int) { log.Warn("no integrity for %s", warns[i]) },
		func(more int) { log.Warn("... and %d more tags or pages without integrity", more) })
}

// logCapped logs line(i) for the first maxListed of n items, then more with
// how many were left out.
func logCapped(n int, line func(i int), more func(n int)) {
	for i := range min(n, maxListed) {
		line(i)
	}
	if n > maxListed {
		more(n - maxListed)
	}
}

// ownPages are the HTML files read under their own name (a linked page is
// rewritten through its target).
func ownPages(tree *sitefs.Tree) []string {
	pages := []string{}
	for _, p := range tree.Pages() {
		if f := tree.Files[p]; f.Target == p {
			pages = append(pages, p)
		}
	}
	return pages
}

// logSecrets warns about the files that look like secrets and returns those
// whose names the rule alone would have served.
func logSecrets(tree *sitefs.Tree, log logger) []string {
	if len(tree.Shown) > 0 {
		log.Warn("%d pages, scripts or data files hold what looks like a private key or token. They are still served "+
			"(documentation often shows example keys): if one is real, remove it from the app and rotate it:", len(tree.Shown))
		logCapped(len(tree.Shown), func(i int) { log.Detail("%s: %s. Served", tree.Shown[i].Name, tree.Shown[i].Secret) },
			func(more int) { log.Detail("... and %d more", more) })
	}
	secrets := tree.Secrets()
	if len(secrets) == 0 {
		return nil
	}
	log.Warn("the site root holds %d files that look like secrets. None is served, but they are in the image: "+
		"remove them from the app (or exclude them in project.toml) and rotate any that were ever published:", len(secrets))
	var hidden []string
	for i, s := range secrets {
		byBuild := s.Reason == "looks like "+s.Secret
		if byBuild {
			hidden = append(hidden, s.Name)
		}
		if i >= maxListed {
			if i == maxListed {
				log.Detail("... and %d more", len(secrets)-maxListed)
			}
			continue
		}
		if byBuild {
			log.Detail("%s: %s. Not served: hidden by the build", s.Name, s.Secret)
		} else {
			log.Detail("%s: %s. Not served (a dotfile or hidden)", s.Name, s.Secret)
		}
	}
	return hidden
}

// logLinks lists the symbolic links (and other entries) of the root that are
// not served, and why.
func logLinks(tree *sitefs.Tree, log logger) {
	var left []sitefs.Excluded
	for _, e := range tree.Excluded {
		if e.Secret == "" && !strings.HasPrefix(e.Reason, "a dotfile") && !strings.HasPrefix(e.Reason, "hidden by") && e.Reason != "the site's configuration" {
			left = append(left, e)
		}
	}
	if len(left) == 0 {
		return
	}
	log.Warn("%d entries of the root are not served:", len(left))
	logCapped(len(left), func(i int) { log.Detail("%s: %s", left[i].Name, left[i].Reason) },
		func(more int) { log.Detail("... and %d more", more) })
}
