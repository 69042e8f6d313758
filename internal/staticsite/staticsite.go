// Package staticsite is the Caddy HTTP handler that serves a static site from
// one directory, and nothing outside it.
//
// It registers the module http.handlers.static_site. It serves only the
// files the walk of the root listed (internal/sitefs: the build's file
// table, or a walk at start): never a name starting with a dot (except
// under /.well-known/), a hidden file, a likely secret, a directory listing,
// or a link that leaves the root or lands on any of those. Files are opened
// through an os.Root by their resolved name.
package staticsite

import (
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/hardstatic/buildpack/internal/site/table"
	"github.com/hardstatic/buildpack/internal/sitefs"
)

func init() {
	caddy.RegisterModule(Handler{})
}

// Handler serves files from Root.
type Handler struct {
	// Root is the absolute path of the served directory. Required.
	Root string `json:"root"`

	// Index is the file served for a directory request ending in "/".
	// Default: index.html.
	Index string `json:"index,omitempty"`

	// NotFound is the page, relative to Root, served with status 404 when
	// nothing matches. Default: none (a short plain-text body).
	NotFound string `json:"not_found,omitempty"`

	// Hide lists paths, relative to Root, that are never served, such as the
	// site's own configuration files. Default: none.
	Hide []string `json:"hide,omitempty"`

	// HideGlobs lists path globs ("*" within a segment, "**" any depth)
	// that are never served. Default: none.
	HideGlobs []string `json:"hide_globs,omitempty"`

	// CleanURLs serves /about from about.html and redirects /about.html to
	// /about, so no page has two URLs. Default: false.
	CleanURLs bool `json:"clean_urls,omitempty"`

	// TrailingSlash is the canonical form of directory and page URLs:
	// "auto" (directories end in /, pages do not), "always" or "never".
	// Default: "auto".
	TrailingSlash string `json:"trailing_slash,omitempty"`

	// Charset is added to text content types. Default: "utf-8".
	Charset string `json:"charset,omitempty"`

	// Rewrites serve another file, with status 200 or 404, for requests
	// that match no file (forced ones even when a file matches). The first
	// matching rule wins. Default: none.
	Rewrites []Rewrite `json:"rewrites,omitempty"`

	// CountryHeader is the request header the rewrites' country conditions
	// read. Default: CF-IPCountry.
	CountryHeader string `json:"country_header,omitempty"`

	// NearestNotFound answers a miss with the nearest 404.html of the file
	// table (the request's directory, then each parent) instead of
	// NotFound. Default: false.
	NearestNotFound bool `json:"nearest_not_found,omitempty"`

	// Fallback, relative to Root, is served with status 200 for requests
	// that match nothing else and whose last segment has no extension.
	// Default: none.
	Fallback string `json:"fallback,omitempty"`

	// FilesIndex is the file table the build wrote (see internal/site): the
	// whole list of what is served, with strong ETags, per-file
	// Cache-Control, precompressed variants and which files need
	// credentials. Placeholders such as {env.STATIC_FILES_INDEX} are
	// expanded. Default: none (the root is walked and hashed at start, as
	// the build would).
	FilesIndex string `json:"files_index,omitempty"`

	// PagePolicies maps HTML files, relative to Root, to the
	// Content-Security-Policy computed for them at build time; it replaces
	// the site-wide policy for those files. Default: none.
	PagePolicies map[string]string `json:"page_policies,omitempty"`

	// PolicyHeader is the header PagePolicies set. Default:
	// Content-Security-Policy.
	PolicyHeader string `json:"policy_header,omitempty"`

	// Auth, when set, is asked for credentials before any protected file
	// is served, whatever URL, index, rewrite or fallback leads to it.
	// Default: none (protection is off).
	Auth *Auth `json:"auth,omitempty"`

	rule           *sitefs.Rule
	root           *os.Root
	files          *files
	rewrites       *ruleSet
	forcedRewrites bool // some rewrite applies even when a file matches
	notFoundDepth  int  // of the deepest 404.html, with NearestNotFound
	auth           Authenticator
}

// CaddyModule returns the Caddy module information.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.static_site",
		New: func() caddy.Module { return new(Handler) },
	}
}

// Provision opens the root directory and loads the file table.
func (h *Handler) Provision(ctx caddy.Context) error {
	h.FilesIndex = caddy.NewReplacer().ReplaceAll(h.FilesIndex, "")
	err := h.setup(func(err error) {
		ctx.Logger().Warn("file table not used; walked the root instead", zap.String("file", h.FilesIndex), zap.Error(err))
	})
	if err == nil {
		registerSite(h)
	}
	return err
}

func (h *Handler) setup(warn func(error)) error {
	if h.Index == "" {
		h.Index = "index.html"
	}
	if h.TrailingSlash == "" {
		h.TrailingSlash = "auto"
	}
	if h.Charset == "" {
		h.Charset = "utf-8"
	}
	if err := h.compileRewrites(); err != nil {
		return err
	}
	var err error
	if h.rule, err = sitefs.NewRule(sitefs.RuleOptions{Hide: h.Hide, HideGlobs: h.HideGlobs,
		Protect: h.Auth.paths(), ProtectAll: h.Auth.all()}); err != nil {
		return err
	}
	if h.Auth != nil {
		if h.auth, err = h.Auth.authenticator(); err != nil {
			return err
		}
	}
	root, err := os.OpenRoot(h.Root)
	if err != nil {
		return fmt.Errorf("opening the site root: %w", err)
	}
	h.root = root
	h.files = nil
	if h.FilesIndex != "" {
		h.files, err = loadFiles(h.FilesIndex, h.Root, h.Charset)
		if err != nil && warn != nil {
			warn(err)
		}
	}
	if h.files == nil {
		if h.files, err = walkFiles(h.Root, h.rule, h.Charset); err != nil {
			return err
		}
	}
	h.indexNotFound()
	return nil
}

// Validate checks the configuration.
func (h *Handler) Validate() error {
	if !path.IsAbs(h.Root) {
		return fmt.Errorf("root must be an absolute path, got %q", h.Root)
	}
	for key, file := range map[string]string{"not_found": h.NotFound, "fallback": h.Fallback} {
		if file == "" {
			continue
		}
		if h.files.entries[file] == nil {
			return fmt.Errorf("%s page %q is not served from the site root (missing, hidden, or a link that is never served)", key, file)
		}
	}
	switch h.TrailingSlash {
	case "auto", "always", "never":
	default:
		return fmt.Errorf("trailing_slash must be auto, always or never, not %q", h.TrailingSlash)
	}
	return nil
}

// Cleanup closes the root directory.
func (h *Handler) Cleanup() error {
	unregisterSite(h)
	h.files.close()
	if h.root != nil {
		return h.root.Close()
	}
	return nil
}

// ServeHTTP serves the file for the request path, a redirect to the
// canonical URL of a directory or page, or the 404 page.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, _ caddyhttp.Handler) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return nil
	}
	name, dirSlash, ok := h.cleanPath(r.URL.Path)
	if !ok {
		return h.notFound(w, r)
	}
	file := h.lookupURL(name, dirSlash)
	if done, err := h.serveRewrite(w, r, file != ""); done {
		return err
	}
	if file != "" {
		if canon := h.canonicalURL(file, name); canon != "" && canon != requestForm(name, dirSlash) {
			return redirect(w, r, canon, http.StatusMovedPermanently)
		}
		return h.serveFile(w, r, file)
	}
	if h.Fallback != "" && path.Ext(name) == "" {
		return h.serveFile(w, r, h.Fallback)
	}
	return h.notFound(w, r)
}

// lookupURL is the file a cleaned request name serves, before any redirect:
// the file of that name; a directory's index; with clean URLs, the page
// name + ".html", whatever dots the name holds. "" when none.
func (h *Handler) lookupURL(name string, dirSlash bool) string {
	if name == "." {
		if h.isFile(h.Index) {
			return h.Index
		}
		return ""
	}
	if h.isFile(name) {
		if dirSlash {
			return "" // a file asked for as a directory
		}
		return name
	}
	if h.isDir(name) && h.isFile(name+"/"+h.Index) {
		return name + "/" + h.Index
	}
	if h.CleanURLs && h.isFile(name+".html") {
		return name + ".html"
	}
	return ""
}

// canonicalURL is the one URL of file, reached at the request name, or ""
// when the request's own form is as good. A canonical URL is only ever one
// that serves the same file: about.html next to a file "about", or next to
// a directory about/ with an index, keeps its .html URL.
func (h *Handler) canonicalURL(file, name string) string {
	dir, base := path.Split(file)
	dir = strings.TrimSuffix(dir, "/")
	switch {
	case base == h.Index && (h.CleanURLs || file != name):
		return h.verified(file, h.dirURL(dir))
	case h.CleanURLs && strings.HasSuffix(file, ".html"):
		return h.verified(file, h.pageURL(strings.TrimSuffix(file, ".html")))
	}
	return ""
}

// verified returns url when it serves file, else the file's own path.
func (h *Handler) verified(file, url string) string {
	name, dirSlash, ok := h.cleanPath(url)
	if ok && h.lookupURL(name, dirSlash) == file {
		return url
	}
	return "/" + file
}

// requestForm is the URL path of a cleaned request name.
func requestForm(name string, dirSlash bool) string {
	if name == "." {
		return "/"
	}
	return "/" + name + slashIf(dirSlash)
}

// dirURL is the canonical URL of a directory ("" is the root).
func (h *Handler) dirURL(name string) string {
	if name == "" || name == "." {
		return "/"
	}
	if h.TrailingSlash == "never" {
		return "/" + name
	}
	return "/" + name + "/"
}

// pageURL is the canonical URL of a page served through clean URLs.
func (h *Handler) pageURL(base string) string {
	if h.TrailingSlash == "always" {
		return "/" + base + "/"
	}
	return "/" + base
}

func slashIf(b bool) string {
	if b {
		return "/"
	}
	return ""
}

func (h *Handler) isFile(name string) bool { return h.files.entries[name] != nil }

func (h *Handler) isDir(name string) bool { return h.files.dirs[name] }

// cleanPath turns a URL path into a name relative to Root, applying the
// one rule of what is served (internal/sitefs) to the name itself: dot
// segments, dotfiles (but a leading .well-known) and hidden names are
// refused. Empty segments (double slashes) collapse.
func (h *Handler) cleanPath(urlPath string) (name string, dirSlash bool, ok bool) {
	if strings.ContainsAny(urlPath, "\x00\\") {
		return "", false, false
	}
	var segs []string
	for seg := range strings.SplitSeq(urlPath, "/") {
		switch seg {
		case "":
		case ".", "..":
			return "", false, false
		default:
			segs = append(segs, seg)
		}
	}
	name = strings.Join(segs, "/")
	if name == "" {
		return ".", true, true
	}
	if h.rule.Refuses(name) != "" {
		return "", false, false
	}
	return name, strings.HasSuffix(urlPath, "/"), true
}

func (h *Handler) serveFile(w http.ResponseWriter, r *http.Request, name string) error {
	e := h.files.entries[name]
	if e == nil {
		return h.notFound(w, r)
	}
	// The file's own protection, whatever URL led here.
	if !h.authorized(w, r, e) {
		return nil
	}
	h.pagePolicy(w, name)
	if h.serveEntry(w, r, e) {
		return nil
	}
	f, info, err := h.openFile(e)
	if err != nil {
		return h.notFound(w, r)
	}
	defer f.Close() //nolint:errcheck // read-only file
	w.Header().Set("Content-Type", ContentType(name, h.Charset))
	// Image layers carry no meaningful modification times, so none is sent.
	http.ServeContent(w, r, "", zeroTime, io.NewSectionReader(f, 0, info.Size()))
	return nil
}

// openFile opens the regular file an entry is read from.
func (h *Handler) openFile(e *entry) (*os.File, fs.FileInfo, error) {
	f, err := sitefs.OpenRegular(h.root, e.source)
	if err != nil {
		return nil, nil, err
	}
	info, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, nil, err
	}
	return f, info, nil
}

// pagePolicy sends a page's own Content-Security-Policy, when it has one.
func (h *Handler) pagePolicy(w http.ResponseWriter, name string) {
	if p, ok := h.PagePolicies[name]; ok {
		hdr := h.PolicyHeader
		if hdr == "" {
			hdr = "Content-Security-Policy"
		}
		w.Header().Set(hdr, p)
	}
}

// notFound writes the 404 page (notFoundPage), keeping the status 404. A
// 404 page that needs credentials is shown only to a visitor who sent them.
func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) error {
	return h.writeNotFound(w, r, h.notFoundPage(r))
}

// writeNotFound writes page (a plain text when "") with status 404.
func (h *Handler) writeNotFound(w http.ResponseWriter, r *http.Request, page string) error {
	w.Header().Set("Cache-Control", "no-store")
	e := h.files.entries[page]
	if e != nil && e.protected && h.auth != nil && !authenticated(r) {
		e = nil
	}
	if e != nil {
		h.pagePolicy(w, page)
		if h.servePageEntry(w, r, e, http.StatusNotFound) {
			return nil
		}
		if f, info, err := h.openFile(e); err == nil {
			defer f.Close() //nolint:errcheck // read-only file
			w.Header().Set("Content-Type", ContentType(page, h.Charset))
			w.Header().Set("Content-Length", fmt.Sprint(info.Size()))
			w.WriteHeader(http.StatusNotFound)
			if r.Method != http.MethodHead {
				_, _ = io.Copy(w, f) // a client that went away is not an error
			}
			return nil
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	if r.Method != http.MethodHead {
		_, _ = io.WriteString(w, "404 page not found\n")
	}
	return nil
}

// redirect sends a permanent redirect to a local path, keeping the query.
// target always starts with exactly one slash, so it cannot name another host.
func redirect(w http.ResponseWriter, r *http.Request, target string, status int) error {
	u := url.URL{Path: "/" + strings.TrimLeft(target, "/"), RawQuery: r.URL.RawQuery}
	w.Header().Set("Location", u.String())
	w.WriteHeader(status)
	return nil
}

// ContentType is the Content-Type for a file name: a modern table first,
// then Go's, then application/octet-stream. Text types carry the charset.
func ContentType(name, charset string) string { return table.ContentType(name, charset) }

var zeroTime time.Time
