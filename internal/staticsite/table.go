package staticsite

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/hardstatic/buildpack/internal/headerset"
	"github.com/hardstatic/buildpack/internal/htmlsec"
	analysis "github.com/hardstatic/buildpack/internal/site"
	"github.com/hardstatic/buildpack/internal/site/table"
	"github.com/hardstatic/buildpack/internal/sitefs"
)

// Files up to memMax bytes (each representation) are kept in memory after
// their first request, up to memBudget bytes in all; larger ones are sent
// from the open file with sendfile. BenchmarkBodyPath (BENCHMARKS.md): on
// loopback memory is as fast or faster up to 256 KiB, the file wins at
// 1 MiB; 128 KiB keeps the memory budget for many files.
const (
	memMax    = 128 << 10
	memBudget = 64 << 20
)

// encodings in order of preference, as indexes into entry.variants.
var encodings = [...]string{table.Brotli, table.Zstd, table.Gzip}

// files is the build's file table, ready to serve from.
type files struct {
	entries  map[string]*entry
	dirs     map[string]bool
	variants *os.Root // the compressed variants; nil when there are none
	memUsed  atomic.Int64
	// fromTable is true when the build's table was loaded (not a walk at
	// start).
	fromTable bool
}

// entry is one file of the table.
type entry struct {
	name         string
	source       string // the name opened: the link target, or name
	protected    bool
	size         int64
	sum          string
	contentType  string
	cacheControl string
	etag         string
	hasVariants  bool
	variants     [len(encodings)]variant
	policy       string // the page's own policy, when hasPolicy
	hasPolicy    bool
	own          perFile
	sets         [numAnswers]*headerset.Patch // with no [headers] rule matching
	body         atomic.Pointer[[]byte]       // identity bytes, once loaded
	stale        atomic.Bool                  // the file on disk is not the one hashed
	loadTried    atomic.Bool
}

type variant struct {
	size      int64
	etag      string
	path      string
	own       perFile
	body      atomic.Pointer[[]byte]
	loadTried atomic.Bool
}

// loadFiles reads the table at file for the root dir; it is refused when it
// describes another root.
func loadFiles(file, root, charset string) (*files, error) {
	t, err := table.Read(file)
	if err != nil {
		return nil, err
	}
	if filepath.Clean(t.Root) != filepath.Clean(root) {
		return nil, errOtherRoot{t.Root}
	}
	loaded, err := fromTable(t, charset)
	if loaded != nil {
		loaded.fromTable = true
	}
	return loaded, err
}

// walkFiles walks and hashes the root as the build does, for a server
// started without the build's table (static-server serve DIR, tests).
func walkFiles(root string, rule *sitefs.Rule, charset string) (*files, error) {
	tree, err := sitefs.Walk(root, rule, sitefs.WalkOptions{Secret: htmlsec.SecretKind, MaxScan: htmlsec.MaxSecretScan})
	if err != nil {
		return nil, err
	}
	t, _, err := analysis.Analyze(analysis.Options{Root: root, Tree: tree, Charset: charset})
	if err != nil {
		return nil, err
	}
	return fromTable(t, charset)
}

func fromTable(t *table.Table, charset string) (*files, error) {
	var err error
	loaded := &files{entries: make(map[string]*entry, len(t.Files)), dirs: make(map[string]bool, len(t.Dirs))}
	for _, d := range t.Dirs {
		loaded.dirs[d] = true
	}
	anyVariant := false
	for name, f := range t.Files {
		e := &entry{
			name: name, source: f.Source(name), protected: f.Protected, size: f.Size, sum: f.SHA256,
			contentType:  ContentType(name, charset),
			cacheControl: f.CacheControl,
			etag:         f.ETag(),
		}
		for i, enc := range encodings {
			if n := f.Encoded[enc]; n > 0 && n < f.Size {
				e.variants[i] = variant{size: n, etag: f.VariantETag(enc), path: table.VariantPath(f.SHA256, enc)}
				e.hasVariants = true
				anyVariant = true
			}
		}
		loaded.entries[name] = e
	}
	if anyVariant && t.Variants != "" {
		if loaded.variants, err = os.OpenRoot(t.Variants); err != nil {
			return nil, err
		}
	} else {
		for _, e := range loaded.entries {
			e.hasVariants = false
		}
	}
	return loaded, nil
}

type errOtherRoot struct{ root string }

func (e errOtherRoot) Error() string {
	return "the file table describes another root (" + e.root + ")"
}

func (t *files) close() {
	if t != nil && t.variants != nil {
		_ = t.variants.Close()
	}
}

// reserve takes n bytes of the memory budget.
func (t *files) reserve(n int64) bool {
	if t.memUsed.Add(n) > memBudget {
		t.memUsed.Add(-n)
		return false
	}
	return true
}

// serveEntry answers from the table. It returns false when the entry turned
// out not to match the file on disk, for the caller to serve it from disk.
func (h *Handler) serveEntry(w http.ResponseWriter, r *http.Request, e *entry) bool {
	if e.stale.Load() {
		return false
	}
	hdr := w.Header()
	if e.hasVariants {
		hdr.Add("Vary", "Accept-Encoding")
	}
	// A Cache-Control set by an earlier [headers] route wins.
	if _, set := hdr["Cache-Control"]; !set {
		hdr["Cache-Control"] = []string{e.cacheControl}
	}
	idx := -1
	// Ranges are served from the identity representation only.
	if e.hasVariants && r.Header.Get("Range") == "" {
		idx = negotiate(r.Header["Accept-Encoding"], &e.variants)
	}
	if idx < 0 {
		return h.serveIdentity(w, r, e)
	}
	v := &e.variants[idx]
	hdr["Etag"] = []string{v.etag}
	if noneMatch(r.Header.Get("If-None-Match"), v.etag) {
		w.WriteHeader(http.StatusNotModified)
		return true
	}
	hdr["Content-Type"] = []string{e.contentType}
	hdr["Content-Encoding"] = []string{encodings[idx]}
	hdr["Content-Length"] = []string{strconv.FormatInt(v.size, 10)}
	body := h.files.loadVariant(v)
	var f *os.File
	if body == nil {
		var err error
		if f, err = h.files.variants.Open(v.path); err != nil {
			// The variant is gone: fall back to identity.
			delete(hdr, "Content-Encoding")
			delete(hdr, "Content-Length")
			return h.serveIdentity(w, r, e)
		}
		defer f.Close() //nolint:errcheck // read-only
	}
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return true
	}
	if body != nil {
		_, _ = w.Write(body)
	} else {
		_, _ = io.CopyN(w, f, v.size)
	}
	return true
}

func (h *Handler) serveIdentity(w http.ResponseWriter, r *http.Request, e *entry) bool {
	hdr := w.Header()
	hdr["Etag"] = []string{e.etag}
	hdr["Content-Type"] = []string{e.contentType}
	if body := h.loadBody(e); body != nil {
		http.ServeContent(w, r, "", zeroTime, bytes.NewReader(body))
		return true
	}
	if e.stale.Load() {
		delete(hdr, "Etag")
		return false
	}
	f, _, err := h.openFile(e)
	if err != nil {
		delete(hdr, "Etag")
		return false
	}
	defer f.Close() //nolint:errcheck // read-only
	// The *os.File itself, so that the body goes out with sendfile.
	http.ServeContent(w, r, "", zeroTime, f)
	return true
}

// loadBody returns the identity bytes of a small file, reading them on
// first use and checking them against the table's hash.
func (h *Handler) loadBody(e *entry) []byte {
	if b := e.body.Load(); b != nil {
		return *b
	}
	if e.size > memMax || e.loadTried.Swap(true) {
		return nil
	}
	f, _, err := h.openFile(e)
	if err != nil {
		e.stale.Store(true)
		return nil
	}
	data, err := io.ReadAll(io.LimitReader(f, e.size+1))
	_ = f.Close()
	sum := sha256.Sum256(data)
	if err != nil || int64(len(data)) != e.size || hex.EncodeToString(sum[:]) != e.sum {
		e.stale.Store(true)
		return nil
	}
	if h.files.reserve(e.size) {
		e.body.Store(&data)
	}
	return data
}

func (t *files) loadVariant(v *variant) []byte {
	if b := v.body.Load(); b != nil {
		return *b
	}
	if v.size > memMax || v.loadTried.Swap(true) {
		return nil
	}
	f, err := t.variants.Open(v.path)
	if err != nil {
		return nil
	}
	data, err := io.ReadAll(io.LimitReader(f, v.size+1))
	_ = f.Close()
	if err != nil || int64(len(data)) != v.size || !t.reserve(v.size) {
		return nil
	}
	v.body.Store(&data)
	return data
}

// negotiate picks the variant to send for the Accept-Encoding field values,
// or -1 for identity: the available coding with the highest q-value, ties
// broken by the order br, zstd, gzip. A q-value of 0 refuses a coding, and
// "*" stands for the codings not named (RFC 9110 12.5.3).
func negotiate(values []string, vs *[len(encodings)]variant) int {
	if len(values) == 0 {
		return -1
	}
	var q [len(encodings)]int // thousandths; -1: not named
	for i := range q {
		q[i] = -1
	}
	star := -1
	for _, value := range values {
		for value != "" {
			var elem string
			elem, value, _ = strings.Cut(value, ",")
			name, params, _ := strings.Cut(elem, ";")
			name = strings.TrimSpace(name)
			weight := 1000
			if params != "" {
				weight = parseQ(params)
			}
			switch {
			case name == "*":
				star = max(star, weight)
			case strings.EqualFold(name, "br"):
				q[0] = max(q[0], weight)
			case strings.EqualFold(name, "zstd"):
				q[1] = max(q[1], weight)
			case strings.EqualFold(name, "gzip"), strings.EqualFold(name, "x-gzip"):
				q[2] = max(q[2], weight)
			}
		}
	}
	best, bestQ := -1, 0
	for i := range q {
		w := q[i]
		if w < 0 {
			w = star
		}
		if vs[i].size > 0 && w > bestQ {
			best, bestQ = i, w
		}
	}
	return best
}

// parseQ reads the q parameter in thousandths; a malformed one counts as 0.
func parseQ(params string) int {
	for p := range strings.SplitSeq(params, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "q") {
			continue
		}
		v = strings.TrimSpace(v)
		if v == "" || len(v) > 5 {
			return 0
		}
		switch v[0] {
		case '1':
			return 1000 // "1", "1.0", "1.000"
		case '0':
		default:
			return 0
		}
		n, scale := 0, 100
		if len(v) > 1 {
			if v[1] != '.' {
				return 0
			}
			for _, c := range v[2:] {
				if c < '0' || c > '9' {
					return 0
				}
				n += int(c-'0') * scale
				scale /= 10
			}
		}
		return n
	}
	return 1000
}

// noneMatch reports whether an If-None-Match field matches etag, with the
// weak comparison RFC 9110 13.1.2 prescribes.
func noneMatch(field, etag string) bool {
	if field == "" {
		return false
	}
	want := strings.TrimPrefix(etag, "W/")
	for field != "" {
		var tag string
		tag, field, _ = strings.Cut(field, ",")
		tag = strings.TrimSpace(tag)
		if tag == "*" || strings.TrimPrefix(tag, "W/") == want {
			return true
		}
	}
	return false
}
