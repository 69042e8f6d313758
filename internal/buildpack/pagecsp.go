package buildpack

import (
	"os"
	"sort"
	"strings"

	"github.com/hardstatic/buildpack/internal/csp"
	"github.com/hardstatic/buildpack/internal/policy"
	"github.com/hardstatic/buildpack/internal/sitefs"
)

// pagePolicies computes, for each HTML page the walk of the root lists, the
// strictest Content-Security-Policy under which it works (internal/csp), and
// logs what was allowed and why, page by page. Pages that need nothing
// beyond the site-wide policy keep it and are not listed.
func pagePolicies(abs string, tree *sitefs.Tree, site policy.Header, log logger) map[string]string {
	root, err := os.OpenRoot(abs)
	if err != nil {
		log.Warn("Content-Security-Policy per page: not computed: %v", err)
		return nil
	}
	defer root.Close() //nolint:errcheck // read-only
	policies := map[string]string{}
	var pages []string
	notes := map[string]csp.Page{}
	total := 0
	for _, name := range tree.Pages() {
		total++
		f, err := sitefs.OpenRegular(root, tree.Files[name].Target)
		if err != nil {
			continue // a page that cannot be read keeps the site policy
		}
		page, err := csp.Analyze(f)
		_ = f.Close()
		if err != nil || (page.Empty() && len(page.Notes) == 0) {
			continue
		}
		if !page.Empty() {
			policies[name] = csp.Policy(site.Value, page)
		}
		pages = append(pages, name)
		notes[name] = page
	}
	sort.Strings(pages)
	log.Step("Content-Security-Policy per page: %d of %d pages need more than the site-wide policy", len(policies), total)
	for i, name := range pages {
		if i == maxListed {
			log.Detail("... and %d more pages (BP_LOG_LEVEL=debug lists them all)", len(pages)-maxListed)
		}
		show := log.Detail
		if i >= maxListed {
			show = log.Debug
		}
		page := notes[name]
		for _, d := range page.Add {
			show("%s: %s += %s", name, d.Name, strings.Join(d.Sources, " "))
		}
		for _, n := range page.Notes {
			show("%s: %s", name, n)
		}
	}
	return policies
}
