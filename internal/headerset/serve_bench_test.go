package headerset_test

import (
	"cmp"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/hardstatic/buildpack/internal/buildpack"
	"github.com/hardstatic/buildpack/internal/launch"
	"github.com/hardstatic/buildpack/internal/manifest"
)

// benchSite is the bench's generated site (bench/main.go), smaller.
func benchSite(b testing.TB) string {
	b.Helper()
	app := b.TempDir()
	page := "<!doctype html><html><head><title>t</title><link rel=stylesheet href=/assets/app.css></head><body>" +
		strings.Repeat("<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>\n", 80) + "</body></html>\n"
	js := strings.Repeat("function f(a,b){return a+b*2;}var x=f(1,2);console.log(x);\n", 1500)
	photo := make([]byte, 1<<20)
	_, _ = rand.Read(photo)
	files := map[string][]byte{
		"public/index.html":             []byte(page),
		"public/about.html":             []byte(page),
		"public/404.html":               []byte("<!doctype html><title>Not found</title><p>Not found</p>\n"),
		"public/assets/app-BxK9z2Qa.js": []byte(js),
		"public/assets/app.css":         []byte("body{margin:0}\n"),
		"public/img/photo.jpg":          photo,
	}
	for name, data := range files {
		p := filepath.Join(app, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return app
}

// discard is a reusable ResponseWriter that keeps only the status.
type discard struct {
	h         http.Header
	status    int
	n         int64
	readFroms int // bodies that reached ReadFrom (sendfile on a connection)
}

func (d *discard) Header() http.Header { return d.h }
func (d *discard) WriteHeader(s int) {
	if d.status == 0 {
		d.status = s
	}
}

func (d *discard) Write(p []byte) (int, error) {
	if d.status == 0 {
		d.status = http.StatusOK
	}
	d.n += int64(len(p))
	return len(p), nil
}

// ReadFrom is what a connection's writer offers (sendfile).
func (d *discard) ReadFrom(r io.Reader) (int64, error) {
	if d.status == 0 {
		d.status = http.StatusOK
	}
	d.readFroms++
	n, err := io.Copy(io.Discard, r)
	d.n += n
	return n, err
}

// BenchmarkServe runs the server's whole Caddy pipeline (routes, headers,
// the access log, our handler) in this process on the generated site, as
// launch configures the image's web process, with one request per
// iteration and a writer that discards the body. Allocations are what to
// read (BENCHMARKS.md): throughput belongs to make bench.
func BenchmarkServe(b *testing.B) {
	b.Setenv("STATIC_ACCESS_LOG", cmp.Or(os.Getenv("BENCH_ACCESS_LOG"), "on"))
	srv := serveInProcess(b, benchSite(b))
	browser := map[string]string{"Accept-Encoding": "gzip, deflate, br, zstd"}
	etag := serveOnce(b, srv, "/", browser).Get("Etag")
	cases := []struct {
		name, path string
		hdr        map[string]string
		status     int
		encoding   string
	}{
		{"page", "/", browser, 200, "br"},
		{"clean-url", "/about", browser, 200, "br"},
		{"brotli-js", "/assets/app-BxK9z2Qa.js", browser, 200, "br"},
		{"304", "/", map[string]string{"Accept-Encoding": "gzip, deflate, br, zstd", "If-None-Match": etag}, 304, ""},
		{"range", "/img/photo.jpg", map[string]string{"Range": "bytes=1000-1999"}, 206, ""},
		{"404", "/missing", browser, 404, ""},
		{"1MB", "/img/photo.jpg", browser, 200, ""},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", c.path, nil)
			req.RemoteAddr = "127.0.0.1:4000"
			req.Header.Set("User-Agent", "bench")
			for k, v := range c.hdr {
				req.Header.Set(k, v)
			}
			w := &discard{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				w.status = 0
				srv.ServeHTTP(w, req)
				if w.status != c.status {
					b.Fatalf("%s: status %d, want %d", c.path, w.status, c.status)
				}
				if enc := w.h.Get("Content-Encoding"); enc != c.encoding {
					b.Fatalf("%s: Content-Encoding %q, want %q", c.path, enc, c.encoding)
				}
			}
		})
	}
}

// serveInProcess plans and configures app as the build and launch do, with
// its file table and variants, loads it and returns its Caddy server, to
// call directly.
func serveInProcess(tb testing.TB, app string) http.Handler {
	tb.Helper()
	plan, err := buildpack.NewPlan(buildpack.Options{AppDir: app})
	if err != nil {
		tb.Fatal(err)
	}
	m := plan.Manifest
	m.FilesIndex = fileTable(tb, app, m)
	file, err := manifest.Write(tb.TempDir(), m)
	if err != nil {
		tb.Fatal(err)
	}
	cfg, err := launch.Config(file, freePort(tb), app)
	if err != nil {
		tb.Fatal(err)
	}
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = null.Close() })
	stdout := os.Stdout
	os.Stdout = null // the access log's writer takes os.Stdout when it opens
	err = caddy.Load(cfg, true)
	os.Stdout = stdout
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = caddy.Stop() })
	app0, err := caddy.ActiveContext().App("http")
	if err != nil {
		tb.Fatal(err)
	}
	return app0.(*caddyhttp.App).Servers["site"]
}

// A file above the in-memory limit goes out through the connection's
// ReadFrom (sendfile on a TCP connection), through every wrapper of the
// pipeline: the access log's recorder, the [headers] rules' writer and
// preview's deferred header; small files are written from memory.
func TestLargeFileReachesReadFrom(t *testing.T) {
	app := benchSite(t)
	toml := "[headers.\"/img/**\"]\nX-Img = \"yes\"\n"
	if err := os.WriteFile(filepath.Join(app, "static.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("STATIC_ACCESS_LOG", "on")
	t.Setenv("STATIC_PREVIEW", "true")
	srv := serveInProcess(t, app)
	for _, c := range []struct {
		path      string
		readFroms int
		size      int64
	}{{"/img/photo.jpg", 1, 1 << 20}, {"/assets/app.css", 0, 15}} {
		for _, method := range []string{"GET", "HEAD"} {
			w := &discard{h: http.Header{}}
			req := httptest.NewRequest(method, c.path, nil)
			srv.ServeHTTP(w, req)
			want, size := c.readFroms, c.size
			if method == "HEAD" {
				want, size = 0, 0
			}
			if w.status != 200 || w.readFroms != want || w.n != size {
				t.Errorf("%s %s: status %d, %d bytes, %d through ReadFrom; want 200, %d, %d", method, c.path, w.status, w.n, w.readFroms, size, want)
			}
			if c.readFroms > 0 && (w.h.Get("X-Img") != "yes" || w.h.Get("X-Robots-Tag") != "noindex" || w.h.Get("Content-Length") != "1048576") {
				t.Errorf("%s %s: headers %v", method, c.path, w.h)
			}
		}
	}
}

func serveOnce(b *testing.B, srv http.Handler, p string, hdr map[string]string) http.Header {
	req := httptest.NewRequest("GET", p, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	w := &discard{h: http.Header{}}
	srv.ServeHTTP(w, req)
	if w.status != 200 {
		b.Fatalf("%s: status %d", p, w.status)
	}
	return w.h
}

func freePort(tb testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close() //nolint:errcheck // only its port is used
	return fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
}
