package buildpack

import (
	"os"
	"strings"

	"github.com/hardstatic/buildpack/internal/config"
	"github.com/hardstatic/buildpack/internal/htmlsec"
)

// SRIEnv turns build-time Subresource Integrity off when "false" (until
// static.toml has a key for it).
const SRIEnv = "BP_STATIC_SRI"

// maxListed caps each list in the log.
const maxListed = 20

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

// hardenRoot runs the build-time checks and changes of internal/htmlsec on
// the served root and logs what they did: integrity attributes on the
// site's own scripts and stylesheets, and a warning for files that look like
// secrets. Neither fails the build: it returns the likely secrets that the
// server would otherwise send, so that they are hidden too.
func hardenRoot(abs string, cfg *config.Config, hide []string, log logger) []string {
	opts := htmlsec.Options{Disabled: !cfg.SRI || strings.EqualFold(strings.TrimSpace(os.Getenv(SRIEnv)), "false"), Anywhere: anywherePages(cfg)}
	rep, err := htmlsec.AddSRI(abs, opts)
	switch {
	case err != nil:
		log.Warn("Subresource Integrity: not added: %v", err)
	case rep.Disabled:
		log.Step("Subresource Integrity: off (sri = false in %s, or %s=false)", config.FileName, SRIEnv)
	default:
		log.Step("Subresource Integrity: added to %d script and stylesheet tags in %d of %d pages (sri = false in %s turns it off)",
			rep.Tags(), len(rep.Changed), rep.Pages, config.FileName)
		for i, c := range rep.Changed {
			if i == maxListed {
				log.Detail("... and %d more pages", len(rep.Changed)-maxListed)
				break
			}
			log.Detail("%s: %s", c.File, strings.Join(c.Added, ", "))
		}
		var notes, warns []htmlsec.Skip
		for _, s := range rep.Skipped {
			if s.Warning {
				warns = append(warns, s)
			} else {
				notes = append(notes, s)
			}
		}
		for i, s := range notes {
			if i == maxListed {
				log.Debug("... and %d more", len(notes)-maxListed)
				break
			}
			log.Debug("not added: %s", s)
		}
		for i, s := range warns {
			if i == maxListed {
				log.Warn("... and %d more tags or pages without integrity", len(warns)-maxListed)
				break
			}
			log.Warn("no integrity for %s", s)
		}
	}

	secrets, err := htmlsec.ScanSecrets(abs, htmlsec.SecretsOptions{Hide: hide})
	if err != nil {
		log.Warn("could not look for secrets in the site root: %v", err)
		return nil
	}
	if len(secrets) == 0 {
		return nil
	}
	log.Warn("the site root holds %d files that look like secrets. None is served, but they are in the image: "+
		"remove them from the app (or exclude them in project.toml) and rotate any that were ever published:", len(secrets))
	var hidden []string
	for i, s := range secrets {
		if s.Served {
			hidden = append(hidden, s.File)
		}
		if i >= maxListed {
			if i == maxListed {
				log.Detail("... and %d more", len(secrets)-maxListed)
			}
			continue
		}
		if s.Served {
			log.Detail("%s: %s. Not served: hidden by the build", s.File, s.Kind)
		} else {
			log.Detail("%s: %s. Not served (a dotfile or hidden)", s.File, s.Kind)
		}
	}
	return hidden
}
