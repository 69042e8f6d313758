package staticsite

import (
	"net/http"
	"net/url"

	"github.com/hardstatic/buildpack/internal/pattern"
)

// Rewrite serves To for requests matching the route pattern From whose
// conditions hold.
type Rewrite struct {
	From string `json:"from"`
	To   string `json:"to"`
	// Status is 200 or 404 (To served as a not-found page). Default: 200.
	Status int `json:"status,omitempty"`
	// Force applies the rewrite even when a file is served at the path.
	// Default: false (only when none is).
	Force bool `json:"force,omitempty"`
	Conditions
}

// compileRewrites indexes the rewrites and notes whether any is forced.
func (h *Handler) compileRewrites() error {
	froms := make([]string, len(h.Rewrites))
	conds := make([]Conditions, len(h.Rewrites))
	h.forcedRewrites = false
	for i, rw := range h.Rewrites {
		froms[i], conds[i] = rw.From, rw.Conditions
		h.forcedRewrites = h.forcedRewrites || rw.Force
	}
	var err error
	h.rewrites, err = newRuleSet("rewrite", froms, conds)
	return err
}

// serveRewrite serves the file the first matching rewrite names, with its
// status, and reports whether it did. With fileServed (a file is served at
// the path) only forced rewrites apply. A rewrite whose target the site
// does not serve is passed over.
func (h *Handler) serveRewrite(w http.ResponseWriter, r *http.Request, fileServed bool) (bool, error) {
	if fileServed && !h.forcedRewrites || len(h.Rewrites) == 0 {
		return false, nil
	}
	var file string
	skip := func(i int) bool { return fileServed && !h.Rewrites[i].Force }
	i := h.rewrites.first(newRequest(r, h.CountryHeader), r.URL.Path, skip, func(i int, vals map[string]string) bool {
		target, _ := url.PathUnescape(pattern.Expand(h.Rewrites[i].To, vals))
		if name, dirSlash, ok := h.cleanPath(target); ok {
			file = h.lookupURL(name, dirSlash)
		}
		return file != ""
	})
	if i < 0 {
		return false, nil
	}
	if h.Rewrites[i].Status == http.StatusNotFound {
		return true, h.serveNotFoundPage(w, r, file)
	}
	return true, h.serveFile(w, r, file)
}

// servesFile reports whether a file is served at the request path (the
// lookup ServeHTTP makes first), for redirects with force = false.
func (h *Handler) servesFile(urlPath string) bool {
	name, dirSlash, ok := h.cleanPath(urlPath)
	return ok && h.lookupURL(name, dirSlash) != ""
}
