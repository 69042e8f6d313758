package staticsite

import (
	"io"
	"net/http"
	"sync"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/hardstatic/buildpack/internal/headerset"
)

func init() {
	caddy.RegisterModule(Headers{})
}

// HeaderConfig is the site's response headers, as both the static_headers
// handler and the file handler (which sets complete sets itself) read them.
type HeaderConfig struct {
	// Site are the site-wide headers, set on every response at once; an
	// empty value removes the header. Default: none.
	Site []headerset.Header `json:"site,omitempty"`
	// DropServer removes the Server header. Default: false.
	DropServer bool `json:"drop_server,omitempty"`
	// Rules are the [headers] tables, applied in order, when the response
	// is written, to responses whose request path matches the glob.
	// Default: none.
	Rules []headerset.Rule `json:"rules,omitempty"`
}

// Headers is the handler http.handlers.static_headers: it sets the site
// headers (Site) on the response at once and, for a request path that
// matches [headers] tables (Rules), applies them when the response is
// written. Its values are literal: no placeholders. The file handler
// finds its writer and, when it gives the answer itself, sets the complete
// set instead.
type Headers struct {
	HeaderConfig

	site  *headerset.Patch
	rules *headerset.Rules
}

// CaddyModule returns the Caddy module information.
func (Headers) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "http.handlers.static_headers", New: func() caddy.Module { return new(Headers) }}
}

// Provision compiles the headers.
func (h *Headers) Provision(caddy.Context) error {
	var err error
	h.site, h.rules, err = h.compile()
	return err
}

func (c *HeaderConfig) compile() (*headerset.Patch, *headerset.Rules, error) {
	rules, err := headerset.CompileRules(c.Rules)
	if err != nil {
		return nil, nil, err
	}
	return headerset.Site(c.Site, c.DropServer), rules, nil
}

// ServeHTTP sets the site headers and defers the matching rules.
func (h *Headers) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	h.site.Apply(w.Header())
	return next.ServeHTTP(h.withRules(w, r), r)
}

// withRules returns w, or a writer that applies the [headers] rules that
// match the request path when the header is written.
func (h *Headers) withRules(w http.ResponseWriter, r *http.Request) http.ResponseWriter {
	if h.rules.Len() == 0 {
		return w
	}
	m, exact := h.rules.Match(r.URL.Path)
	if exact && m == 0 {
		return w
	}
	return &ruleWriter{ResponseWriterWrapper: &caddyhttp.ResponseWriterWrapper{ResponseWriter: w},
		rules: h.rules, path: r.URL.Path, mask: m, exact: exact}
}

// ruleWriter applies [headers] rules when the header is written, unless
// the file handler already set the complete set (done).
type ruleWriter struct {
	*caddyhttp.ResponseWriterWrapper
	rules *headerset.Rules
	path  string
	mask  headerset.Mask
	exact bool // mask holds the matching rules
	done  bool // applied, or applied by the file handler
}

func (rw *ruleWriter) WriteHeader(status int) {
	if !rw.done && status >= 200 {
		rw.done = true
		if rw.exact {
			rw.rules.ApplyMask(rw.Header(), rw.mask)
		} else {
			rw.rules.Apply(rw.Header(), rw.path)
		}
	}
	rw.ResponseWriterWrapper.WriteHeader(status)
}

func (rw *ruleWriter) Write(p []byte) (int, error) {
	if !rw.done {
		rw.WriteHeader(http.StatusOK)
	}
	return rw.ResponseWriterWrapper.Write(p)
}

// ReadFrom keeps sendfile: the rules first, then the writer below's
// ReadFrom.
func (rw *ruleWriter) ReadFrom(r io.Reader) (int64, error) {
	if !rw.done {
		rw.WriteHeader(http.StatusOK)
	}
	return rw.ResponseWriterWrapper.ReadFrom(r)
}

// findRules returns the request's rule writer below w, if any.
func findRules(w http.ResponseWriter) *ruleWriter {
	for {
		if rw, ok := w.(*ruleWriter); ok {
			return rw
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return nil
		}
		w = u.Unwrap()
	}
}

// Kinds of answers with a header set computed ahead.
const (
	answerIdentity    = iota // 200, the file's own bytes
	answerVariant            // 200, a precompressed variant
	answerNotModified        // 304
	answerNotFound           // 404, the 404 page
	numAnswers
)

// headerSets are the complete header sets of the handler's answers,
// computed once per distinct (page policy, Cache-Control, variants, kind,
// matching rules) and shared by every file with the same ones.
type headerSets struct {
	site  *headerset.Patch
	rules *headerset.Rules
	mu    sync.RWMutex
	cache map[setKey]*headerset.Patch
}

type setKey struct {
	policy      string
	hasPolicy   bool
	cc          string
	hasVariants bool
	kind        int
	mask        headerset.Mask
}

// maxSets bounds the cache of sets; past it, sets are computed per answer.
const maxSets = 4096

func newHeaderSets(c *HeaderConfig) (*headerSets, error) {
	site, rules, err := c.compile()
	if err != nil {
		return nil, err
	}
	return &headerSets{site: site, rules: rules, cache: map[setKey]*headerset.Patch{}}, nil
}

// get returns the set of one answer kind, for the page policy header name
// policyName.
func (s *headerSets) get(k setKey, policyName string) *headerset.Patch {
	s.mu.RLock()
	p := s.cache[k]
	s.mu.RUnlock()
	if p != nil {
		return p
	}
	p = headerset.Complete(s.site, answerHeaders(k, policyName), s.rules, k.mask)
	s.mu.Lock()
	if q := s.cache[k]; q != nil {
		p = q
	} else if len(s.cache) < maxSets {
		s.cache[k] = p
	}
	s.mu.Unlock()
	return p
}

// answerHeaders is what the handler sets on one kind of answer, in the order the
// code that answers without a computed set (serveEntry, notFound) sets it.
func answerHeaders(k setKey, policyName string) headerset.Answer {
	var a headerset.Answer
	if k.kind == answerNotFound {
		a.Shared = append(a.Shared, headerset.Header{Name: "Cache-Control", Value: "no-store"})
	} else {
		a.SetIfAbsent = []headerset.Header{{Name: "Cache-Control", Value: k.cc}}
	}
	if k.hasPolicy {
		a.Shared = append(a.Shared, headerset.Header{Name: policyName, Value: k.policy})
	}
	if k.hasVariants {
		a.Add = []headerset.Header{{Name: "Vary", Value: "Accept-Encoding"}}
	}
	switch k.kind {
	case answerIdentity:
		a.Shared = append(a.Shared, headerset.Header{Name: "Accept-Ranges", Value: "bytes"})
		a.PerFile = []string{"Etag", "Content-Type", "Content-Length"}
	case answerVariant:
		a.PerFile = []string{"Etag", "Content-Type", "Content-Length", "Content-Encoding"}
	case answerNotModified:
		a.PerFile = []string{"Etag"}
	case answerNotFound:
		a.PerFile = []string{"Content-Type", "Content-Length", "Content-Encoding"}
	}
	return a
}
