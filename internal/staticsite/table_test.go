package staticsite

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"

	analysis "github.com/hardstatic/buildpack/internal/site"
	"github.com/hardstatic/buildpack/internal/site/table"
)

var notFoundPage = strings.Repeat("<p>not found, sorry</p>\n", 100)

var bigJS = strings.Repeat("export const answer = () => 42; // padding padding padding\n", 100)

// tableSite is site(t) plus compressible files, analysed into a file table.
func tableSite(t *testing.T) (*Handler, string) {
	t.Helper()
	root := site(t)
	for name, body := range map[string]string{
		"app.3f9a1c2b.js": bigJS,
		"plain.js":        bigJS,
		"logo.png":        "\x89PNG not really",
		"page.html":       strings.Repeat("<p>page</p>\n", 200),
		"404.html":        notFoundPage,
		"notes.txt.gz":    "gz bytes",
	} {
		if err := os.WriteFile(filepath.Join(root, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	variants := filepath.Join(t.TempDir(), "variants")
	tab, _, err := analysis.Analyze(analysis.Options{Root: root, Hide: []string{"static.toml", "static.json"}, Charset: "utf-8", Variants: variants})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), table.FileName)
	if err := table.Write(file, tab); err != nil {
		t.Fatal(err)
	}
	h := newHandler(t, Handler{Root: root, NotFound: "404.html", Hide: []string{"static.toml", "static.json"}, CleanURLs: true, FilesIndex: file})
	if !h.files.fromTable {
		t.Fatal("the file table was not loaded")
	}
	return h, root
}

func do(h *Handler, method, target string, hdr map[string]string, preset http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	for k, v := range preset {
		rec.Header()[k] = v
	}
	_ = h.ServeHTTP(rec, req, nil)
	return rec
}

func decode(t *testing.T, enc string, body []byte) string {
	t.Helper()
	var r io.Reader = bytes.NewReader(body)
	switch enc {
	case "br":
		r = brotli.NewReader(r)
	case "gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	case "zstd":
		out, err := analysis.Decompress(enc, body)
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestNegotiation(t *testing.T) {
	h, _ := tableSite(t)
	for _, tc := range []struct{ accept, want string }{
		{"", ""},
		{"gzip, deflate, br, zstd", "br"},
		{"gzip, deflate, br", "br"},
		{"gzip, zstd", "zstd"},
		{"gzip", "gzip"},
		{"x-gzip", "gzip"},
		{"GZIP", "gzip"},
		{"br;q=0, gzip", "gzip"},
		{"br;q=0.5, gzip;q=0.8", "gzip"},
		{"br;q=1.0, gzip;q=1", "br"},
		{"*", "br"},
		{"*;q=0", ""},
		{"br;q=0, *", "zstd"},
		{"identity", ""},
		{"deflate", ""},
		{"gzip;q=0", ""},
		{"gzip;q=bogus", ""},
	} {
		rec := do(h, "GET", "/plain.js", map[string]string{"Accept-Encoding": tc.accept}, nil)
		if rec.Code != 200 {
			t.Fatalf("Accept-Encoding %q: status %d", tc.accept, rec.Code)
		}
		if got := rec.Header().Get("Content-Encoding"); got != tc.want {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, want %q", tc.accept, got, tc.want)
		}
		if got := rec.Header().Get("Vary"); got != "Accept-Encoding" {
			t.Errorf("Accept-Encoding %q: Vary %q", tc.accept, got)
		}
		if got := decode(t, tc.want, rec.Body.Bytes()); got != bigJS {
			t.Errorf("Accept-Encoding %q: decoded body differs", tc.accept)
		}
		if got := rec.Header().Get("Content-Type"); got != "text/javascript; charset=utf-8" {
			t.Errorf("Accept-Encoding %q: Content-Type %q", tc.accept, got)
		}
		if rec.Header().Get("Last-Modified") != "" {
			t.Errorf("Accept-Encoding %q: a Last-Modified header was sent", tc.accept)
		}
	}
	// Twice: the second answer comes from memory.
	for range 2 {
		rec := do(h, "GET", "/plain.js", map[string]string{"Accept-Encoding": "br"}, nil)
		if decode(t, "br", rec.Body.Bytes()) != bigJS {
			t.Error("br body differs on a repeated request")
		}
	}
}

func TestConditionalRequests(t *testing.T) {
	h, _ := tableSite(t)
	for _, enc := range []string{"", "br", "gzip"} {
		rec := do(h, "GET", "/plain.js", map[string]string{"Accept-Encoding": enc}, nil)
		etag := rec.Header().Get("ETag")
		if !strings.HasPrefix(etag, `"`) || !strings.HasSuffix(etag, `"`) {
			t.Fatalf("%q: ETag %q is not strong", enc, etag)
		}
		for _, inm := range []string{etag, "W/" + etag, `"nope", ` + etag, "*"} {
			rec := do(h, "GET", "/plain.js", map[string]string{"Accept-Encoding": enc, "If-None-Match": inm}, nil)
			if rec.Code != http.StatusNotModified {
				t.Errorf("%q If-None-Match %s: status %d, want 304", enc, inm, rec.Code)
			}
			if rec.Body.Len() != 0 || rec.Header().Get("ETag") != etag || rec.Header().Get("Vary") != "Accept-Encoding" {
				t.Errorf("%q 304: body %d bytes, ETag %q, Vary %q", enc, rec.Body.Len(), rec.Header().Get("ETag"), rec.Header().Get("Vary"))
			}
			if rec.Header().Get("Cache-Control") == "" {
				t.Errorf("%q 304 without Cache-Control", enc)
			}
		}
		rec = do(h, "GET", "/plain.js", map[string]string{"Accept-Encoding": enc, "If-None-Match": `"other"`}, nil)
		if rec.Code != 200 {
			t.Errorf("%q with a stale ETag: status %d", enc, rec.Code)
		}
	}
	// Each representation has its own tag.
	a := do(h, "GET", "/plain.js", nil, nil).Header().Get("ETag")
	b := do(h, "GET", "/plain.js", map[string]string{"Accept-Encoding": "br"}, nil).Header().Get("ETag")
	if a == b {
		t.Errorf("identity and br share the ETag %s", a)
	}
	// Same content, same tag (content hash, not path or time).
	if c := do(h, "GET", "/app.3f9a1c2b.js", nil, nil).Header().Get("ETag"); c != a {
		t.Errorf("same content, different ETags: %s %s", a, c)
	}
}

func TestRangeAndHead(t *testing.T) {
	h, _ := tableSite(t)
	rec := do(h, "GET", "/plain.js", map[string]string{"Accept-Encoding": "br, gzip", "Range": "bytes=7-12"}, nil)
	if rec.Code != http.StatusPartialContent || rec.Body.String() != bigJS[7:13] || rec.Header().Get("Content-Encoding") != "" {
		t.Errorf("Range: status %d, body %q, Content-Encoding %q", rec.Code, rec.Body.String(), rec.Header().Get("Content-Encoding"))
	}
	if rec.Header().Get("Content-Range") != "bytes 7-12/"+strconv.Itoa(len(bigJS)) {
		t.Errorf("Content-Range %q", rec.Header().Get("Content-Range"))
	}
	rec = do(h, "HEAD", "/plain.js", map[string]string{"Accept-Encoding": "br"}, nil)
	if rec.Code != 200 || rec.Body.Len() != 0 || rec.Header().Get("Content-Encoding") != "br" || rec.Header().Get("Content-Length") == "" {
		t.Errorf("HEAD br: status %d, body %d, headers %v", rec.Code, rec.Body.Len(), rec.Header())
	}
	rec = do(h, "HEAD", "/plain.js", nil, nil)
	if rec.Code != 200 || rec.Body.Len() != 0 || rec.Header().Get("Content-Length") != strconv.Itoa(len(bigJS)) {
		t.Errorf("HEAD identity: status %d, body %d, headers %v", rec.Code, rec.Body.Len(), rec.Header())
	}
}

func TestCacheControlClasses(t *testing.T) {
	h, _ := tableSite(t)
	for target, want := range map[string]string{
		"/":                table.CacheHTML,
		"/about":           table.CacheHTML, // clean URL
		"/page":            table.CacheHTML,
		"/app.3f9a1c2b.js": table.CacheImmutable,
		"/plain.js":        table.CacheDefault,
		"/logo.png":        table.CacheDefault,
		"/missing":         "no-store",
	} {
		rec := do(h, "GET", target, nil, nil)
		if got := rec.Header().Get("Cache-Control"); got != want {
			t.Errorf("GET %s: Cache-Control %q, want %q", target, got, want)
		}
		if rec.Code == 200 && rec.Header().Get("ETag") == "" {
			t.Errorf("GET %s: no ETag", target)
		}
	}
	// A [headers] route runs before the handler and sets the header on the
	// response: its value wins.
	rec := do(h, "GET", "/app.3f9a1c2b.js", nil, http.Header{"Cache-Control": {"max-age=60"}})
	if got := rec.Header()["Cache-Control"]; len(got) != 1 || got[0] != "max-age=60" {
		t.Errorf("[headers] Cache-Control: got %q", got)
	}
	rec = do(h, "GET", "/app.3f9a1c2b.js", map[string]string{"Accept-Encoding": "br"}, http.Header{"Vary": {"Origin"}})
	if got := rec.Header()["Vary"]; len(got) != 2 {
		t.Errorf("an earlier Vary was not kept: %q", got)
	}
}

// The table never widens what is served: hidden files, dotfiles and links
// out stay 404, and variants are reachable only through their file.
func TestTableKeepsSecurity(t *testing.T) {
	h, _ := tableSite(t)
	for _, target := range []string{"/static.toml", "/.env", "/leak", "/abs", "/plain.js.br", "/plain.js.gz", "/plain.js.zst", "/sub/.hidden", "/loop"} {
		if rec := do(h, "GET", target, map[string]string{"Accept-Encoding": "br, gzip"}, nil); rec.Code != 404 {
			t.Errorf("GET %s: status %d, want 404", target, rec.Code)
		}
	}
	// A sidecar that is part of the site is an ordinary file.
	if rec := do(h, "GET", "/notes.txt.gz", nil, nil); rec.Code != 200 || rec.Body.String() != "gz bytes" {
		t.Errorf("GET /notes.txt.gz: %d %q", rec.Code, rec.Body.String())
	}
}

// The table is the whole list of what is served: a file added after the
// build is not served; a file changed since is served from disk, without
// the table's ETag.
func TestTableIsTheListOfServedFiles(t *testing.T) {
	h, root := tableSite(t)
	if err := os.WriteFile(filepath.Join(root, "late.html"), []byte("late"), 0o644); err != nil {
		t.Fatal(err)
	}
	if rec := do(h, "GET", "/late", nil, nil); rec.Code != 404 {
		t.Errorf("GET /late (added after the build): %d %q, want 404", rec.Code, rec.Body.String())
	}
	if err := os.WriteFile(filepath.Join(root, "about.html"), []byte("ABOUT PAGE"), 0o644); err != nil {
		t.Fatal(err)
	}
	rec := do(h, "GET", "/about", nil, nil)
	if rec.Code != 200 || rec.Body.String() != "ABOUT PAGE" {
		t.Errorf("GET /about after an edit: %d %q", rec.Code, rec.Body.String())
	}
	if rec.Header().Get("ETag") != "" {
		t.Errorf("a changed file kept the table's ETag %q", rec.Header().Get("ETag"))
	}
}

func TestNotFoundPageFromTable(t *testing.T) {
	h, _ := tableSite(t)
	for _, enc := range []string{"", "br", "gzip"} {
		rec := do(h, "GET", "/missing", map[string]string{"Accept-Encoding": enc}, nil)
		if rec.Code != 404 || rec.Header().Get("Content-Encoding") != enc || rec.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("404 with Accept-Encoding %q: status %d, headers %v", enc, rec.Code, rec.Header())
		}
		if got := decode(t, enc, rec.Body.Bytes()); got != notFoundPage {
			t.Errorf("404 with Accept-Encoding %q: body differs", enc)
		}
		if rec.Header().Get("ETag") != "" {
			t.Errorf("404 with an ETag")
		}
	}
	rec := do(h, "HEAD", "/missing", map[string]string{"Accept-Encoding": "br"}, nil)
	if rec.Code != 404 || rec.Body.Len() != 0 {
		t.Errorf("HEAD 404: %d, %d bytes", rec.Code, rec.Body.Len())
	}
}

func TestTableForAnotherRootIsIgnored(t *testing.T) {
	h, _ := tableSite(t)
	other := newHandler(t, Handler{Root: site(t), FilesIndex: h.FilesIndex})
	if other.files.fromTable {
		t.Error("a table made for another root was used")
	}
	if rec := do(other, "GET", "/", nil, nil); rec.Code != 200 || rec.Body.String() != "home" {
		t.Errorf("GET / without a usable table: %d %q", rec.Code, rec.Body.String())
	}
}

func BenchmarkServeTable(b *testing.B) {
	root := b.TempDir()
	if err := os.WriteFile(filepath.Join(root, "index.html"), []byte(strings.Repeat("<p>x</p>", 600)), 0o644); err != nil {
		b.Fatal(err)
	}
	tab, _, err := analysis.Analyze(analysis.Options{Root: root, Variants: filepath.Join(b.TempDir(), "v")})
	if err != nil {
		b.Fatal(err)
	}
	file := filepath.Join(b.TempDir(), table.FileName)
	if err := table.Write(file, tab); err != nil {
		b.Fatal(err)
	}
	h := &Handler{Root: root, FilesIndex: file}
	if err := h.setup(nil); err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Accept-Encoding", "gzip, deflate, br")
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		_ = h.ServeHTTP(rec, req, nil)
	}
}

// BenchmarkLoadFiles10k is the start-up cost of a 10,000-file table.
func BenchmarkLoadFiles10k(b *testing.B) {
	root := b.TempDir()
	for i := range 10000 {
		p := filepath.Join(root, "d"+strconv.Itoa(i%100), "page"+strconv.Itoa(i)+".html")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	tab, _, err := analysis.Analyze(analysis.Options{Root: root})
	if err != nil {
		b.Fatal(err)
	}
	file := filepath.Join(b.TempDir(), table.FileName)
	if err := table.Write(file, tab); err != nil {
		b.Fatal(err)
	}
	info, _ := os.Stat(file)
	b.ReportMetric(float64(info.Size()), "table-bytes")
	for b.Loop() {
		if _, err := loadFiles(file, root, "utf-8"); err != nil {
			b.Fatal(err)
		}
	}
}
