package buildpack

import (
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/hardstatic/buildpack/internal/csp"
	"github.com/hardstatic/buildpack/internal/policy"
)

// pagePolicies computes, for each HTML page of the root, the strictest
// Content-Security-Policy under which it works (internal/csp), and logs what
// was allowed and why, page by page. Pages that need nothing beyond the
// site-wide policy keep it and are not listed. Hidden files and names
// starting with a dot are skipped; links are not followed out of the root.
func pagePolicies(abs string, hide []string, site policy.Header, log logger) map[string]string {
	root, err := os.OpenRoot(abs)
	if err != nil {
		log.Warn("Content-Security-Policy per page: not computed: %v", err)
		return nil
	}
	defer root.Close() //nolint:errcheck // read-only
	hidden := map[string]bool{}
	for _, h := range hide {
		hidden[strings.Trim(h, "/")] = true
	}
	policies := map[string]string{}
	var pages []string
	notes := map[string]csp.Page{}
	total := 0
	_ = fs.WalkDir(root.FS(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil //nolint:nilerr // an unreadable entry is skipped, not fatal
		}
		if name != "." && neverServed(name, d.IsDir(), hidden) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		ext := strings.ToLower(path.Ext(name))
		if !d.Type().IsRegular() || (ext != ".html" && ext != ".htm") {
			return nil
		}
		total++
		f, err := root.Open(name)
		if err != nil {
			return nil //nolint:nilerr // skipped, as above
		}
		page, err := csp.Analyze(f)
		_ = f.Close()
		if err != nil || (page.Empty() && len(page.Notes) == 0) {
			return nil //nolint:nilerr // a page that cannot be read keeps the site policy
		}
		if !page.Empty() {
			policies[name] = csp.Policy(site.Value, page)
		}
		pages = append(pages, name)
		notes[name] = page
		return nil
	})
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

// neverServed reports whether the server refuses name: a dot name (except
// the .well-known directory) or a hidden file.
func neverServed(name string, isDir bool, hidden map[string]bool) bool {
	if hidden[name] {
		return true
	}
	if name == ".well-known" && isDir {
		return false
	}
	return strings.HasPrefix(path.Base(name), ".")
}
