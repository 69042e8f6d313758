package staticsite

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func init() {
	caddy.RegisterModule(Env{})
}

// Env serves the page's runtime configuration, made at launch from the
// environment: a script (path ending in .js) that sets window.__ENV, and
// the same object as JSON (any other path). Both are same-origin files, so
// the strict policy (script-src 'self') allows them with no inline code;
// each has a strong ETag computed from its bytes and Cache-Control:
// no-cache, so a changed value is what clients revalidate to.
type Env struct {
	// Values are the exposed variables, name -> value. Default: none.
	Values map[string]string `json:"values,omitempty"`

	js, jsonBody   []byte
	jsTag, jsonTag string
}

// CaddyModule returns the Caddy module information.
func (Env) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "http.handlers.static_env", New: func() caddy.Module { return new(Env) }}
}

// Provision renders both bodies once.
func (e *Env) Provision(caddy.Context) error {
	values := e.Values
	if values == nil {
		values = map[string]string{}
	}
	// encoding/json sorts the keys and escapes <, > and &, U+2028 and U+2029,
	// so the object is also a safe JavaScript literal.
	obj, err := json.Marshal(values)
	if err != nil {
		return err
	}
	e.jsonBody = append(obj, '\n')
	e.js = []byte("window.__ENV = Object.freeze(" + string(obj) + ");\n")
	e.jsTag, e.jsonTag = strongTag(e.js), strongTag(e.jsonBody)
	return nil
}

func strongTag(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

// ServeHTTP answers GET and HEAD with the script or the JSON.
func (e *Env) ServeHTTP(w http.ResponseWriter, r *http.Request, _ caddyhttp.Handler) error {
	hdr := w.Header()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr.Set("Allow", "GET, HEAD")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return nil
	}
	body, tag, ctype := e.jsonBody, e.jsonTag, "application/json"
	if strings.HasSuffix(r.URL.Path, ".js") {
		body, tag, ctype = e.js, e.jsTag, "text/javascript; charset=utf-8"
	}
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("Etag", tag)
	if noneMatch(r.Header.Get("If-None-Match"), tag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	hdr.Set("Content-Type", ctype)
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = bytes.NewReader(body).WriteTo(w)
	}
	return nil
}

var (
	_ caddy.Provisioner           = (*Env)(nil)
	_ caddyhttp.MiddlewareHandler = (*Env)(nil)
)
