package staticsite

import (
	"net/http"
	"path"
	"strings"

	"github.com/hardstatic/buildpack/internal/config"
)

// NotFoundName is the name of the per-directory 404 pages.
const NotFoundName = config.NotFoundPage

// indexNotFound notes how deep the deepest 404.html of the file table is,
// so that a request path of any depth costs at most that many lookups.
func (h *Handler) indexNotFound() {
	h.notFoundDepth = -1
	if !h.NearestNotFound {
		return
	}
	for name := range h.files.entries {
		if path.Base(name) == NotFoundName {
			h.notFoundDepth = max(h.notFoundDepth, strings.Count(name, "/"))
		}
	}
}

// notFoundPage is the page a miss gets: NotFound, or with NearestNotFound
// the nearest 404.html of the file table (the request's directory, then
// each parent up to the root, as Cloudflare Pages does). A page that needs
// credentials is passed over for a visitor who sent none. "" when none.
func (h *Handler) notFoundPage(r *http.Request) string {
	if !h.NearestNotFound {
		return h.NotFound
	}
	var dirs []string
	for seg := range strings.SplitSeq(r.URL.Path, "/") {
		if seg != "" {
			dirs = append(dirs, seg)
		}
	}
	if !strings.HasSuffix(r.URL.Path, "/") && len(dirs) > 0 {
		dirs = dirs[:len(dirs)-1] // the page's own directory
	}
	for n := min(len(dirs), h.notFoundDepth); n >= 0; n-- {
		name := NotFoundName
		if n > 0 {
			name = strings.Join(dirs[:n], "/") + "/" + NotFoundName
		}
		if e := h.files.entries[name]; e != nil && (!e.protected || h.auth == nil || authenticated(r)) {
			return name
		}
	}
	return ""
}

// serveNotFoundPage serves file with status 404 (a rewrite with status =
// 404). A protected file asks for credentials, as at any other URL.
func (h *Handler) serveNotFoundPage(w http.ResponseWriter, r *http.Request, file string) error {
	if e := h.files.entries[file]; e != nil && !h.authorized(w, r, e) {
		return nil
	}
	return h.writeNotFound(w, r, file)
}
