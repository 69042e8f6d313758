package buildpack

import (
	"path"
	"slices"
	"strings"

	"github.com/hardstatic/buildpack/internal/config"
	"github.com/hardstatic/buildpack/internal/sitefs"
)

// logNearestNotFound lists the per-directory 404 pages a miss may get when
// not_found is not set (the nearest 404.html, decided on the file table).
// A protected one is shown only to visitors who sent credentials; others
// get the next page up, so it never shows at a URL basic auth lets anyone
// reach. (A protected root 404.html fails the build, in checkServed.)
func logNearestNotFound(cfg *config.Config, tree *sitefs.Tree, log logger) {
	if pages := nearestNotFoundPages(cfg, tree); len(pages) > 0 {
		log.Step("404 pages by directory (a miss gets the nearest, else the root's): %s", strings.Join(pages, ", "))
	}
}

// nearestNotFoundPages are the 404.html pages below the root a miss may get
// (none unless not_found is unset), sorted; a protected one says so.
func nearestNotFoundPages(cfg *config.Config, tree *sitefs.Tree) []string {
	if !cfg.NearestNotFound || tree == nil {
		return nil
	}
	var pages []string
	for name, f := range tree.Files {
		if path.Base(name) != config.NotFoundPage || name == config.NotFoundPage {
			continue
		}
		if f.Protected {
			name += " (protected: only for visitors who sent credentials)"
		}
		pages = append(pages, name)
	}
	slices.Sort(pages)
	return pages
}
