// Package staticsite is the Caddy HTTP handler that serves a static site from
// one directory, and nothing outside it.
//
// It registers the module http.handlers.static_site. What it never serves:
// names starting with a dot (except under /.well-known/), the files listed in
// Hide, directory listings, and anything that resolves outside Root (symbolic
// links included: files are opened through an os.Root).
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

	"github.com/hardstatic/buildpack/internal/pattern"
	"github.com/hardstatic/buildpack/internal/site/table"
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
	// /about. Default: false.
	CleanURLs bool `json:"clean_urls,omitempty"`

	// TrailingSlash is the canonical form of directory and page URLs:
	// "auto" (directories end in /, pages do not), "always" or "never".
	// Default: "auto".
	TrailingSlash string `json:"trailing_slash,omitempty"`

	// Charset is added to text content types. Default: "utf-8".
	Charset string `json:"charset,omitempty"`

	// Rewrites serve another file, with status 200, for requests that match
	// no file. The first matching rule wins. Default: none.
	Rewrites []Rewrite `json:"rewrites,omitempty"`

	// Fallback, relative to Root, is served with status 200 for requests
	// that match nothing else and whose last segment has no extension.
	// Default: none.
	Fallback string `json:"fallback,omitempty"`

	// FilesIndex is the file table the build wrote (see internal/site): with
	// it, files are answered without a stat, with strong ETags, per-file
	// Cache-Control and precompressed variants. Placeholders such as
	// {env.STATIC_FILES_INDEX} are expanded. Files missing from the table
	// are still served from disk. Default: none (everything from disk).
	FilesIndex string `json:"files_index,omitempty"`

	// PagePolicies maps HTML files, relative to Root, to the
	// Content-Security-Policy computed for them at build time; it replaces
	// the site-wide policy for those files. Default: none.
	PagePolicies map[string]string `json:"page_policies,omitempty"`

	// PolicyHeader is the header PagePolicies set. Default:
	// Content-Security-Policy.
	PolicyHeader string `json:"policy_header,omitempty"`

	hideGlobs []*pattern.Glob
	root      *os.Root
	files     *files
	filesErr  error
	hidden    map[string]bool
	rewrites  []compiledRewrite
}

// Rewrite serves To for requests matching the route pattern From.
type Rewrite struct {
	From string `json:"from"`
	To   string `json:"to"`
}

type compiledRewrite struct {
	route *pattern.Route
	to    string
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
	if err := h.setup(); err != nil {
		return err
	}
	if h.FilesIndex != "" && h.files == nil {
		ctx.Logger().Warn("file table not used", zap.String("file", h.FilesIndex), zap.Error(h.filesErr))
	}
	return nil
}

func (h *Handler) setup() error {
	if h.Index == "" {
		h.Index = "index.html"
	}
	if h.TrailingSlash == "" {
		h.TrailingSlash = "auto"
	}
	if h.Charset == "" {
		h.Charset = "utf-8"
	}
	h.rewrites = h.rewrites[:0]
	for _, rw := range h.Rewrites {
		route, err := pattern.CompileRoute(rw.From)
		if err != nil {
			return fmt.Errorf("rewrite: %w", err)
		}
		h.rewrites = append(h.rewrites, compiledRewrite{route, rw.To})
	}
	h.hideGlobs = h.hideGlobs[:0]
	for _, g := range h.HideGlobs {
		c, err := pattern.CompileGlob(g)
		if err != nil {
			return fmt.Errorf("hide: %w", err)
		}
		h.hideGlobs = append(h.hideGlobs, c)
	}
	h.hidden = make(map[string]bool, len(h.Hide))
	for _, p := range h.Hide {
		h.hidden[strings.Trim(p, "/")] = true
	}
	root, err := os.OpenRoot(h.Root)
	if err != nil {
		return fmt.Errorf("opening the site root: %w", err)
	}
	h.root = root
	h.files, h.filesErr = nil, nil
	if h.FilesIndex != "" {
		h.files, h.filesErr = loadFiles(h.FilesIndex, h.Root, h.Charset)
	}
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
		if info, ok := h.lookup(file); !ok || info.IsDir() {
			return fmt.Errorf("%s page %q does not exist in the site root", key, file)
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
	h.files.close()
	if h.root != nil {
		return h.root.Close()
	}
	return nil
}

// ServeHTTP serves the file for the request path, a redirect to the
// canonical URL of a directory, or the 404 page.
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
	if target, file := h.resolve(name, dirSlash); target != "" {
		return redirect(w, r, target, http.StatusMovedPermanently)
	} else if file != "" {
		return h.serveFile(w, r, file)
	}
	if file := h.rewrite(r.URL.Path); file != "" {
		return h.serveFile(w, r, file)
	}
	if h.Fallback != "" && path.Ext(name) == "" {
		return h.serveFile(w, r, h.Fallback)
	}
	return h.notFound(w, r)
}

// resolve maps a cleaned name to the file to serve, or to the canonical URL
// to redirect to. Both are empty when no file matches.
func (h *Handler) resolve(name string, dirSlash bool) (redirectTo, file string) {
	if name == "." {
		if h.isFile(h.Index) {
			return "", h.Index
		}
		return "", ""
	}
	info, exists := h.lookup(name)
	switch {
	case exists && info.IsDir():
		index := name + "/" + h.Index
		if !h.isFile(index) {
			return "", ""
		}
		if canon := h.dirURL(name); canon != "/"+name+slashIf(dirSlash) {
			return canon, ""
		}
		return "", index
	case exists && dirSlash:
		return "", "" // a file asked for as a directory
	case exists && h.CleanURLs && strings.HasSuffix(name, ".html"):
		if path.Base(name) == h.Index {
			return h.dirURL(path.Dir(name)), ""
		}
		return h.pageURL(strings.TrimSuffix(name, ".html")), ""
	case exists:
		return "", name
	case h.CleanURLs && path.Ext(name) == "" && h.isFile(name+".html"):
		if canon := h.pageURL(name); canon != "/"+name+slashIf(dirSlash) {
			return canon, ""
		}
		return "", name + ".html"
	}
	return "", ""
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

// rewrite returns the file the first matching rewrite names, if it exists.
func (h *Handler) rewrite(urlPath string) string {
	for _, rw := range h.rewrites {
		vals, ok := rw.route.Match(urlPath)
		if !ok {
			continue
		}
		target, _ := url.PathUnescape(pattern.Expand(rw.to, vals))
		if name, dirSlash, ok := h.cleanPath(target); ok {
			if _, file := h.resolve(name, dirSlash); file != "" {
				return file
			}
			if h.isFile(name) {
				return name
			}
		}
	}
	return ""
}

func (h *Handler) isFile(name string) bool {
	if t := h.files; t != nil && t.entries[name] != nil {
		return true
	}
	info, ok := h.lookup(name)
	return ok && info.Mode().IsRegular()
}

// cleanPath turns a URL path into a name relative to Root. It refuses any
// segment that starts with a dot (".", "..", dotfiles), except a leading
// ".well-known", and hidden files. Empty segments (double slashes) collapse.
func (h *Handler) cleanPath(urlPath string) (name string, dirSlash bool, ok bool) {
	if strings.ContainsAny(urlPath, "\x00\\") {
		return "", false, false
	}
	var segs []string
	for seg := range strings.SplitSeq(urlPath, "/") {
		if seg == "" {
			continue
		}
		if seg[0] == '.' && (len(segs) > 0 || seg != ".well-known") {
			return "", false, false
		}
		segs = append(segs, seg)
	}
	name = strings.Join(segs, "/")
	if name == "" {
		return ".", true, true
	}
	if h.hidden[name] || h.globHidden(name) {
		return "", false, false
	}
	return name, strings.HasSuffix(urlPath, "/"), true
}

func (h *Handler) globHidden(name string) bool {
	for _, g := range h.hideGlobs {
		if g.Match("/" + name) {
			return true
		}
	}
	return false
}

// lookup stats name inside the root; a name that does not exist, cannot be
// read, or escapes the root through a link is reported as missing.
func (h *Handler) lookup(name string) (fs.FileInfo, bool) {
	if t := h.files; t != nil {
		if t.entries[name] != nil {
			return fileInfo{}, true
		}
		if t.dirs[name] {
			return fileInfo{dir: true}, true
		}
		// Not in the table: a file added since the build, or one the walk
		// left out; the disk decides.
	}
	info, err := h.root.Stat(name)
	if err != nil {
		return nil, false
	}
	return info, info.IsDir() || info.Mode().IsRegular()
}

func (h *Handler) serveFile(w http.ResponseWriter, r *http.Request, name string) error {
	// The file a clean URL, index, rewrite or fallback leads to is checked
	// too: hiding /secret.html also hides it at /secret.
	if h.hidden[name] || h.globHidden(name) {
		return h.notFound(w, r)
	}
	h.pagePolicy(w, name)
	if h.files != nil {
		if e := h.files.entries[name]; e != nil && h.serveEntry(w, r, e) {
			return nil
		}
	}
	f, info, err := h.openFile(name)
	if err != nil {
		return h.notFound(w, r)
	}
	defer f.Close() //nolint:errcheck // read-only file
	w.Header().Set("Content-Type", ContentType(name, h.Charset))
	// Image layers carry no meaningful modification times, so none is sent.
	http.ServeContent(w, r, "", zeroTime, io.NewSectionReader(f, 0, info.Size()))
	return nil
}

// open opens a regular file inside the root.
func (h *Handler) openFile(name string) (*os.File, fs.FileInfo, error) {
	f, err := h.root.Open(name)
	if err != nil {
		return nil, nil, err
	}
	info, err := f.Stat()
	if err == nil && !info.Mode().IsRegular() {
		err = fs.ErrNotExist
	}
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

// notFound writes the 404 page, keeping the status 404.
func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) error {
	h.pagePolicy(w, h.NotFound)
	w.Header().Set("Cache-Control", "no-store")
	if h.NotFound != "" && h.serveNotFoundEntry(w, r) {
		return nil
	}
	if h.NotFound != "" {
		if f, info, err := h.openFile(h.NotFound); err == nil {
			defer f.Close() //nolint:errcheck // read-only file
			w.Header().Set("Content-Type", ContentType(h.NotFound, h.Charset))
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

// fileInfo answers lookup from the file table: only IsDir and
// Mode().IsRegular are used.
type fileInfo struct{ dir bool }

func (i fileInfo) Name() string       { return "" }
func (i fileInfo) Size() int64        { return 0 }
func (i fileInfo) ModTime() time.Time { return zeroTime }
func (i fileInfo) IsDir() bool        { return i.dir }
func (i fileInfo) Sys() any           { return nil }
func (i fileInfo) Mode() fs.FileMode {
	if i.dir {
		return fs.ModeDir | 0o555
	}
	return 0o444
}
