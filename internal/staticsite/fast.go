package staticsite

import (
	"io"
	"net/http"
	"os"
	"strconv"

	"github.com/hardstatic/buildpack/internal/headerset"
)

// perFile are an entry's own header values, built once, so an answer
// assigns them without allocating.
type perFile struct {
	etag, contentType, length []string
}

// prepareSets builds the per-file values and the header sets of the
// answers with no matching rules.
func (h *Handler) prepareSets() error {
	if h.Headers == nil {
		h.sets = nil
		return nil
	}
	var err error
	if h.sets, err = newHeaderSets(h.Headers); err != nil {
		return err
	}
	for name, e := range h.files.entries {
		e.policy, e.hasPolicy = h.PagePolicies[name]
		e.own = perFile{etag: []string{e.etag}, contentType: []string{e.contentType}, length: []string{strconv.FormatInt(e.size, 10)}}
		for i := range e.variants {
			v := &e.variants[i]
			if v.size > 0 {
				v.own = perFile{etag: []string{v.etag}, contentType: e.own.contentType, length: []string{strconv.FormatInt(v.size, 10)}}
			}
		}
		for kind := range numAnswers {
			e.sets[kind] = h.sets.get(e.setKey(kind, 0), h.policyHeader())
		}
	}
	return nil
}

func (e *entry) setKey(kind int, m headerset.Mask) setKey {
	return setKey{policy: e.policy, hasPolicy: e.hasPolicy, cc: e.cacheControl, hasVariants: e.hasVariants, kind: kind, mask: m}
}

func (h *Handler) policyHeader() string {
	if h.PolicyHeader == "" {
		return "Content-Security-Policy"
	}
	return h.PolicyHeader
}

// set returns the header set of an answer for the rules matching the
// request (rw nil: none match).
func (h *Handler) set(rw *ruleWriter, e *entry, kind int) *headerset.Patch {
	if rw == nil {
		return e.sets[kind]
	}
	return h.sets.get(e.setKey(kind, rw.mask), h.policyHeader())
}

// fastPath reports whether the request can be answered with a header set
// computed ahead: a GET or HEAD without a range or If-Match, and rules, if
// any, known by their mask.
func (h *Handler) fastPath(w http.ResponseWriter, r *http.Request) (rw *ruleWriter, ok bool) {
	if h.sets == nil {
		return nil, false
	}
	if _, ok := r.Header["Range"]; ok {
		return nil, false
	}
	if _, ok := r.Header["If-Match"]; ok {
		return nil, false
	}
	if h.sets.rules.Len() > 0 {
		if rw = findRules(w); rw != nil && (!rw.exact || rw.done) {
			return nil, false
		}
	}
	return rw, true
}

// serveFast answers a file from the table with its complete header set.
// It returns false, having written nothing, when the request or the file
// needs the general way (serveEntry).
func (h *Handler) serveFast(w http.ResponseWriter, r *http.Request, e *entry) bool {
	rw, ok := h.fastPath(w, r)
	if !ok || e.stale.Load() {
		return false
	}
	idx := -1
	if e.hasVariants {
		idx = negotiate(r.Header["Accept-Encoding"], &e.variants)
	}
	var body []byte
	if idx >= 0 {
		v := &e.variants[idx]
		if noneMatch(r.Header.Get("If-None-Match"), v.etag) {
			return h.writeSet(w, rw, h.set(rw, e, answerNotModified), &v.own, v.own.etag, -1, http.StatusNotModified)
		}
		if body = h.files.loadVariant(v); body == nil {
			return false // from disk: serveEntry
		}
		h.writeSet(w, rw, h.set(rw, e, answerVariant), &v.own, v.own.etag, idx, http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = w.Write(body)
		}
		return true
	}
	if noneMatch(r.Header.Get("If-None-Match"), e.etag) {
		return h.writeSet(w, rw, h.set(rw, e, answerNotModified), &e.own, e.own.etag, -1, http.StatusNotModified)
	}
	var f *os.File
	if body = h.loadBody(e); body == nil {
		if e.stale.Load() || e.size <= memMax {
			return false
		}
		var info os.FileInfo
		var err error
		if f, info, err = h.openFile(e); err != nil {
			return false
		}
		defer f.Close() //nolint:errcheck // read-only
		if info.Size() != e.size {
			return false
		}
	}
	h.writeSet(w, rw, h.set(rw, e, answerIdentity), &e.own, e.own.etag, -1, http.StatusOK)
	if r.Method == http.MethodHead {
		return true
	}
	if body != nil {
		_, _ = w.Write(body)
	} else {
		// The *os.File itself, so that the body goes out with sendfile
		// (io.Copy finds the connection's ReadFrom through the wrappers).
		_, _ = io.Copy(w, f)
	}
	return true
}

// writeSet sets an answer's per-file headers (etag may be nil), then its
// set, and writes the status. enc is an index into encodings, or -1.
func (h *Handler) writeSet(w http.ResponseWriter, rw *ruleWriter, set *headerset.Patch, own *perFile, etag []string, enc, status int) bool {
	hdr := w.Header()
	if etag != nil {
		hdr["Etag"] = etag
	}
	if status != http.StatusNotModified {
		hdr["Content-Type"] = own.contentType
		hdr["Content-Length"] = own.length
		if enc >= 0 {
			hdr["Content-Encoding"] = encodingValues[enc]
		}
	}
	set.Apply(hdr)
	if rw != nil {
		rw.done = true
	}
	w.WriteHeader(status)
	return true
}

// encodingValues are the Content-Encoding values of encodings.
var encodingValues = func() (v [len(encodings)][]string) {
	for i, enc := range encodings {
		v[i] = []string{enc}
	}
	return v
}()

// serveNotFoundFast answers the 404 page from memory with its complete
// header set; false, having written nothing, when it is not in memory.
func (h *Handler) serveNotFoundFast(w http.ResponseWriter, r *http.Request, e *entry) bool {
	rw, ok := h.fastPath(w, r)
	if !ok || e.stale.Load() {
		return false
	}
	body := h.loadBody(e)
	if body == nil {
		return false
	}
	own, enc := &e.own, -1
	if e.hasVariants {
		if idx := negotiate(r.Header["Accept-Encoding"], &e.variants); idx >= 0 {
			if b := h.files.loadVariant(&e.variants[idx]); b != nil {
				body, own, enc = b, &e.variants[idx].own, idx
			}
		}
	}
	h.writeSet(w, rw, h.set(rw, e, answerNotFound), own, nil, enc, http.StatusNotFound)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
	return true
}
