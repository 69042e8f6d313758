package buildpack

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/hardstatic/buildpack/internal/config"
	"github.com/hardstatic/buildpack/internal/csp"
	"github.com/hardstatic/buildpack/internal/htmlsec"
	"github.com/hardstatic/buildpack/internal/policy"
	"github.com/hardstatic/buildpack/internal/sitefs"
)

// maxAssetsPerPage bounds the stylesheets and scripts followed from one
// page (through imports too).
const maxAssetsPerPage = 1000

// pagePolicies computes, for each HTML page the walk of the root lists, the
// strictest Content-Security-Policy under which it works (internal/csp), from
// the page and from the site's own stylesheets and scripts it loads (served
// files of the same walk), and logs what was allowed and why, page by page
// and file by file. Pages that need nothing beyond the site-wide policy keep
// it.
func pagePolicies(abs string, cfg *config.Config, tree *sitefs.Tree, site policy.Header, log logger) map[string]string {
	root, err := os.OpenRoot(abs)
	if err != nil {
		log.Warn("Content-Security-Policy per page: not computed: %v", err)
		return nil
	}
	defer root.Close() //nolint:errcheck // read-only
	assets := &assetFiles{root: root, tree: tree, done: map[string]csp.Asset{}, missing: map[string]bool{}}
	anywhere := anywherePages(cfg)
	policies := map[string]string{}
	var pages []string
	listed := map[string]pageReport{}
	calls := map[string]map[string]int{} // directive and source -> "file: how" -> pages
	total := 0
	for _, name := range tree.Pages() {
		total++
		f, err := sitefs.OpenRegular(root, tree.Files[name].Target)
		if err != nil {
			continue // a page that cannot be read keeps the site policy
		}
		page, err := csp.Analyze(f)
		_ = f.Close()
		if err != nil {
			continue
		}
		assets.include(name, htmlsec.Anywhere(name, anywhere), &page)
		r := csp.Compose(site.Value, page)
		if r.Value != site.Value {
			policies[name] = r.Value
		}
		for _, c := range page.Calls {
			key := c.Directive + " " + c.Origin
			if calls[key] == nil {
				calls[key] = map[string]int{}
			}
			calls[key][c.How]++
		}
		if len(r.Add)+len(page.Notes)+len(r.Notes)+len(r.Warnings) == 0 {
			continue
		}
		pages = append(pages, name)
		listed[name] = pageReport{page, r}
	}
	sort.Strings(pages)
	log.Step("Content-Security-Policy per page: %d of %d pages need more than the site-wide policy", len(policies), total)
	logAuthorInline(log, site.Value)
	for i, name := range pages {
		if i == maxListed {
			log.Detail("... and %d more pages (BP_LOG_LEVEL=debug lists them all)", len(pages)-maxListed)
		}
		show := log.Detail
		if i >= maxListed {
			show = log.Debug
		}
		rep := listed[name]
		for _, d := range rep.result.Add {
			show("%s: %s += %s", name, d.Name, shortList(d.Sources))
		}
		for _, n := range append(rep.page.Notes, rep.result.Notes...) {
			show("%s: %s", name, n)
		}
		for _, w := range rep.result.Warnings {
			log.Warn("%s: the policy would be over %d bytes: %s", name, csp.MaxPolicySize, w)
		}
	}
	logCalls(log, calls)
	return policies
}

// logAuthorInline says, once for the site, that an 'unsafe-inline' of the
// author's takes effect: the build leaves its hashes out (csp.Compose).
func logAuthorInline(log logger, site string) {
	for _, d := range policy.ParseCSP(site) {
		if !slices.Contains(d.Sources, "'unsafe-inline'") {
			continue
		}
		forms := d.Name
		if d.Name == "script-src" || d.Name == "style-src" {
			forms = d.Name + ", " + d.Name + "-elem and " + d.Name + "-attr"
		}
		log.Detail("[csp] %s has 'unsafe-inline': the build leaves its hashes out of %s on every page, since browsers ignore 'unsafe-inline' next to a hash", d.Name, forms)
	}
}

// shortList joins sources, eliding past the tenth.
func shortList(sources []string) string {
	const shown = 10
	if len(sources) <= shown {
		return strings.Join(sources, " ")
	}
	return fmt.Sprintf("%s ... (%d more)", strings.Join(sources[:shown], " "), len(sources)-shown)
}

type pageReport struct {
	page   csp.Page
	result csp.Result
}

// logCalls lists the [csp] candidates, per directive: origins the site's
// scripts call at run time (connect-src), workers made from blob: URLs
// (worker-src), which the policy blocks unless [csp] allows them.
func logCalls(log logger, calls map[string]map[string]int) {
	keys := make([]string, 0, len(calls))
	for k := range calls {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	shown, directive := 0, ""
	for _, k := range keys {
		d, source, _ := strings.Cut(k, " ")
		if d != directive {
			directive, shown = d, 0
			log.Step("[csp] %s candidates: the site's scripts need these at run time; the policy blocks them "+
				"unless static.toml allows them (%s = [...] in [csp]); nothing was added:", d, d)
		}
		if shown++; shown > maxListed {
			continue
		}
		hows := make([]string, 0, len(calls[k]))
		for h, n := range calls[k] {
			hows = append(hows, fmt.Sprintf("%s (%d pages)", h, n))
		}
		sort.Strings(hows)
		if len(hows) > 3 {
			hows = append(hows[:3], fmt.Sprintf("and %d more", len(hows)-3))
		}
		log.Detail("%s <- %s", source, strings.Join(hows, "; "))
	}
}

// assetFiles reads and analyses the site's stylesheets and scripts, each
// once: only files the walk serves, through the root.
type assetFiles struct {
	root *os.Root
	tree *sitefs.Tree
	done map[string]csp.Asset // by kind and file
	// missing marks the files that do not exist.
	missing map[string]bool
}

// include follows the page's stylesheets and scripts, and their imports,
// to files of the root, as the server will find them (htmlsec.Locate, as for
// Subresource Integrity), and adds what each needs to the page.
func (s *assetFiles) include(name string, anywhere bool, page *csp.Page) {
	queue := page.Refs
	visited := map[string]bool{}
	for len(queue) > 0 {
		ref := queue[0]
		queue = queue[1:]
		files, reason, warn := htmlsec.Locate(name, anywhere, ref.URL, ref.Base)
		if files == nil {
			if warn {
				page.Include(ref.URL, csp.Asset{Notes: []string{"not analysed: " + reason}})
			}
			continue
		}
		missing := 0
		for _, f := range files {
			f = strings.TrimPrefix(f, "/")
			key := ref.Kind + " " + f
			if visited[key] {
				continue
			}
			if len(visited) == maxAssetsPerPage {
				page.Include(f, csp.Asset{Notes: []string{fmt.Sprintf("not analysed: the page loads more than %d stylesheets and scripts", maxAssetsPerPage)}})
				return
			}
			visited[key] = true
			asset := s.analyse(ref.Kind, f)
			if s.missing[f] {
				// A relative URL names a file per directory the page can be
				// requested from; only one need exist.
				if missing++; missing < len(files) {
					continue
				}
			}
			for _, imp := range asset.Imports {
				if !strings.HasPrefix(imp, "/") {
					imp = path.Join(path.Dir("/"+f), imp)
				}
				queue = append(queue, csp.Ref{Kind: ref.Kind, URL: imp})
			}
			asset.Imports = nil
			page.Include(f, asset)
		}
	}
}

// analyse returns what the file needs, cached.
func (s *assetFiles) analyse(kind, file string) csp.Asset {
	key := kind + " " + file
	if a, ok := s.done[key]; ok {
		return a
	}
	data, problem := s.read(file)
	if problem == noSuchFile {
		s.missing[file] = true
	}
	var a csp.Asset
	switch {
	case problem != "":
		a = csp.Asset{Notes: []string{"not analysed: " + problem}}
	case kind == "style":
		a = csp.AnalyzeCSS(data)
	default:
		a = csp.AnalyzeJS(data)
	}
	s.done[key] = a
	return a
}

const noSuchFile = "no such file in the site"

// read returns a served file's content, or why it cannot be analysed.
func (s *assetFiles) read(file string) ([]byte, string) {
	served := s.tree.Files[file]
	if served == nil {
		if _, err := s.root.Lstat(file); errors.Is(err, fs.ErrNotExist) {
			return nil, noSuchFile
		}
		return nil, "never served (a dotfile, hidden, a likely secret, or a link that leaves the root)"
	}
	if served.Size > csp.MaxAssetSize {
		return nil, fmt.Sprintf("larger than %d MB", csp.MaxAssetSize>>20)
	}
	f, err := sitefs.OpenRegular(s.root, served.Target)
	if err != nil {
		return nil, "cannot be read: " + err.Error()
	}
	defer f.Close() //nolint:errcheck // read-only
	data, err := io.ReadAll(io.LimitReader(f, csp.MaxAssetSize+1))
	if err != nil {
		return nil, "cannot be read: " + err.Error()
	}
	if len(data) > csp.MaxAssetSize {
		return nil, fmt.Sprintf("larger than %d MB", csp.MaxAssetSize>>20)
	}
	return data, ""
}
