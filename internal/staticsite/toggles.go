package staticsite

import (
	"fmt"
	"net/http"
	"os"
	"path"
	"strconv"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/hardstatic/buildpack/internal/sitefs"
)

func init() {
	caddy.RegisterModule(Maintenance{})
}

// MaintenancePage is the page of the root shown during maintenance, when
// the site has it.
const MaintenancePage = "maintenance.html"

// Maintenance answers every request with 503 Service Unavailable and a
// Retry-After header: the site's maintenance page (from the build's file
// table, compressed when the client accepts it, with its own
// Content-Security-Policy) or a short plain page. It is placed after the
// routes that must stay reachable (/.well-known/, the probe).
type Maintenance struct {
	// Root is the absolute path of the served directory. Required.
	Root string `json:"root"`
	// Page, relative to Root, is the maintenance page. Default:
	// maintenance.html; a plain page when the root does not serve it.
	Page string `json:"page,omitempty"`
	// RetryAfter is the Retry-After value in seconds. Default: 300.
	RetryAfter int `json:"retry_after,omitempty"`
	// FilesIndex is the build's file table, as for static_site.
	// Placeholders are expanded. Default: none (the root is walked at
	// start, with Hide and HideGlobs, as static_site does).
	FilesIndex string `json:"files_index,omitempty"`
	// Hide and HideGlobs are static_site's, for the walk. Default: none.
	Hide      []string `json:"hide,omitempty"`
	HideGlobs []string `json:"hide_globs,omitempty"`
	// Charset is added to text content types. Default: "utf-8".
	Charset string `json:"charset,omitempty"`
	// PagePolicy is the page's own Content-Security-Policy, sent under
	// PolicyHeader. Default: none (the site-wide policy stays).
	PagePolicy string `json:"page_policy,omitempty"`
	// PolicyHeader is the header PagePolicy is sent under. Default:
	// Content-Security-Policy.
	PolicyHeader string `json:"policy_header,omitempty"`
	// BasicAuth is true when basic auth is on: a page the build marked
	// protected is then shown only to a visitor who sent credentials.
	// Default: false (protection is off).
	BasicAuth bool `json:"basic_auth,omitempty"`

	site  *Handler // serves the page's bytes
	entry *entry
}

// CaddyModule returns the Caddy module information.
func (Maintenance) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "http.handlers.static_maintenance", New: func() caddy.Module { return new(Maintenance) }}
}

// Provision finds the maintenance page in the build's file table.
func (m *Maintenance) Provision(ctx caddy.Context) error {
	if m.Page == "" {
		m.Page = MaintenancePage
	}
	if m.RetryAfter <= 0 {
		m.RetryAfter = 300
	}
	if m.Charset == "" {
		m.Charset = "utf-8"
	}
	if !path.IsAbs(m.Root) {
		return fmt.Errorf("root must be an absolute path, got %q", m.Root)
	}
	rule, err := sitefs.NewRule(sitefs.RuleOptions{Hide: m.Hide, HideGlobs: m.HideGlobs})
	if err != nil {
		return err
	}
	var loaded *files
	if index := caddy.NewReplacer().ReplaceAll(m.FilesIndex, ""); index != "" {
		if loaded, err = loadFiles(index, m.Root, m.Charset); err != nil {
			ctx.Logger().Warn("maintenance: file table not used; walked the root instead", zap.String("file", index), zap.Error(err))
		}
	}
	if loaded == nil {
		if loaded, err = walkFiles(m.Root, rule, m.Charset); err != nil {
			return err
		}
	}
	e := loaded.entries[m.Page]
	if e == nil {
		loaded.close()
		return nil
	}
	root, err := os.OpenRoot(m.Root)
	if err != nil {
		loaded.close()
		return fmt.Errorf("opening the site root: %w", err)
	}
	m.site = &Handler{Root: m.Root, root: root, files: loaded, rule: rule}
	m.entry = e
	return nil
}

// Cleanup closes what Provision opened.
func (m *Maintenance) Cleanup() error {
	if m.site != nil {
		return m.site.Cleanup()
	}
	return nil
}

// ServeHTTP answers 503 with the maintenance page.
func (m *Maintenance) ServeHTTP(w http.ResponseWriter, r *http.Request, _ caddyhttp.Handler) error {
	hdr := w.Header()
	hdr.Set("Retry-After", strconv.Itoa(m.RetryAfter))
	hdr.Set("Cache-Control", "no-store")
	// A protected page is shown only to a visitor who sent credentials.
	if e := m.entry; e != nil && (!e.protected || !m.BasicAuth || authenticated(r)) {
		if m.PagePolicy != "" {
			name := m.PolicyHeader
			if name == "" {
				name = "Content-Security-Policy"
			}
			hdr.Set(name, m.PagePolicy)
		}
		if m.site.servePageEntry(w, r, e, http.StatusServiceUnavailable) {
			return nil
		}
		hdr.Del("Vary")
		hdr.Del("Content-Encoding")
	}
	hdr.Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusServiceUnavailable)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte("503 service unavailable: down for maintenance, back soon\n"))
	}
	return nil
}

// servePageEntry writes a small page of the table with status, compressed
// when the client accepts it; false when it cannot (the page is too large
// to keep in memory, or not the file hashed).
func (h *Handler) servePageEntry(w http.ResponseWriter, r *http.Request, e *entry, status int) bool {
	if e.stale.Load() {
		return false
	}
	body := h.loadBody(e)
	if body == nil {
		return false
	}
	hdr := w.Header()
	if e.hasVariants {
		hdr.Add("Vary", "Accept-Encoding")
		if idx := negotiate(r.Header["Accept-Encoding"], &e.variants); idx >= 0 {
			if b := h.files.loadVariant(&e.variants[idx]); b != nil {
				body = b
				hdr["Content-Encoding"] = []string{encodings[idx]}
			}
		}
	}
	hdr["Content-Type"] = []string{e.contentType}
	hdr["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
	return true
}

var (
	_ caddy.Provisioner           = (*Maintenance)(nil)
	_ caddy.CleanerUpper          = (*Maintenance)(nil)
	_ caddyhttp.MiddlewareHandler = (*Maintenance)(nil)
)
