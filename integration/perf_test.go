package integration

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"

	"github.com/hardstatic/buildpack/integration/lifecycle"
	"github.com/hardstatic/buildpack/internal/site"
)

// perfRequest is do for method and path with the given request headers,
// returning the raw (still encoded) body as bytes.
func perfRequest(t *testing.T, srv *lifecycle.Server, method, path string, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	resp, body := do(t, srv, request{method: method, path: path, header: hdr})
	return resp, []byte(body)
}

// The build precompresses compressible files into a cached layer; the server
// negotiates br/gzip with strong ETags and 304s; a rebuild reuses the
// variants; and a same-size edit changes the ETag (paketo-buildpacks/nginx#447).
func TestPerfPrecompressedVariants(t *testing.T) {
	t.Parallel()
	ws := newWorkspace(t, "plain")
	var js strings.Builder
	for i := range 400 {
		fmt.Fprintf(&js, "export function handler%d(event) { return event.target.value + %d; }\n", i, i)
	}
	writeFile(t, filepath.Join(ws.AppDir, "js", "bundle.3f9a1c2b.js"), js.String())
	writeFile(t, filepath.Join(ws.AppDir, "data.txt"), "version-AAAA\n")
	blob, words := losingVariants(t)
	writeFile(t, filepath.Join(ws.AppDir, "blob.txt"), blob)
	writeFile(t, filepath.Join(ws.AppDir, "words.txt"), words)
	writeFile(t, filepath.Join(ws.AppDir, "static.toml"), "[headers.\"/data.txt\"]\nCache-Control = \"max-age=60\"\n")

	detect(t, ws)
	first := build(t, ws)
	if !regexp.MustCompile(`Files: .*precompressed`).MatchString(first) {
		t.Errorf("the build does not summarise the file analysis (no \"Files: ... precompressed\"):\n%s", first)
	}

	srv := launch(t, ws, nil)
	const path = "/js/bundle.3f9a1c2b.js"
	for _, tc := range []struct{ accept, want string }{
		{"gzip, deflate, br, zstd", "br"},
		{"gzip", "gzip"},
		{"br;q=0, gzip", "gzip"},
		{"", ""},
	} {
		resp, body := perfRequest(t, srv, "GET", path, map[string]string{"Accept-Encoding": tc.accept})
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s (Accept-Encoding %q): status %d", path, tc.accept, resp.StatusCode)
		}
		if got := resp.Header.Get("Content-Encoding"); got != tc.want {
			t.Errorf("GET %s (Accept-Encoding %q): Content-Encoding %q, want %q", path, tc.accept, got, tc.want)
		}
		if got := resp.Header.Get("Vary"); !strings.Contains(got, "Accept-Encoding") {
			t.Errorf("GET %s: Vary %q, want Accept-Encoding", path, got)
		}
		if got := resp.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
			t.Errorf("GET %s: Cache-Control %q, want immutable for a fingerprinted name", path, got)
		}
		checkDefaultHeaders(t, "GET "+path, resp.Header)
		var decoded []byte
		var err error
		switch tc.want {
		case "br":
			decoded, err = io.ReadAll(brotli.NewReader(bytes.NewReader(body)))
		case "gzip":
			var zr *gzip.Reader
			if zr, err = gzip.NewReader(bytes.NewReader(body)); err == nil {
				decoded, err = io.ReadAll(zr)
			}
		default:
			decoded = body
		}
		if err != nil || string(decoded) != js.String() {
			t.Errorf("GET %s (Accept-Encoding %q): the decoded body differs from the file (err %v)", path, tc.accept, err)
		}
		if tc.want != "" && len(body) >= len(js.String()) {
			t.Errorf("GET %s: %s body is %d bytes, not smaller than the file (%d)", path, tc.want, len(body), len(js.String()))
		}
		etag := resp.Header.Get("ETag")
		if !strings.HasPrefix(etag, `"`) {
			t.Fatalf("GET %s: ETag %q is not a strong entity tag", path, etag)
		}
		resp, _ = perfRequest(t, srv, "GET", path, map[string]string{"Accept-Encoding": tc.accept, "If-None-Match": etag})
		if resp.StatusCode != http.StatusNotModified {
			t.Errorf("GET %s with If-None-Match %s: status %d, want 304", path, etag, resp.StatusCode)
		}
	}
	// Variants that do not win are not served: blob.txt saves under 1/32
	// with any encoding, and the zstd encoding of words.txt is not smaller
	// than its gzip one.
	for _, tc := range []struct{ path, accept, want, body string }{
		{"/blob.txt", "gzip, deflate, br, zstd", "", blob},
		{"/words.txt", "zstd, gzip", "gzip", words},
		{"/words.txt", "zstd", "", words},
		{"/words.txt", "gzip, deflate, br, zstd", "br", words},
	} {
		resp, body := perfRequest(t, srv, "GET", tc.path, map[string]string{"Accept-Encoding": tc.accept})
		if got := resp.Header.Get("Content-Encoding"); resp.StatusCode != 200 || got != tc.want {
			t.Errorf("GET %s (Accept-Encoding %q): status %d, Content-Encoding %q, want 200 and %q", tc.path, tc.accept, resp.StatusCode, got, tc.want)
			continue
		}
		if tc.want == "" && string(body) != tc.body {
			t.Errorf("GET %s (Accept-Encoding %q): the body differs from the file", tc.path, tc.accept)
		}
		if tc.want != "" {
			if decoded, err := site.Decompress(tc.want, body); err != nil || string(decoded) != tc.body {
				t.Errorf("GET %s (Accept-Encoding %q): the decoded body differs from the file (err %v)", tc.path, tc.accept, err)
			}
		}
	}
	if resp, _ := perfRequest(t, srv, "GET", "/blob.txt", nil); resp.Header.Get("Vary") != "" {
		t.Errorf("GET /blob.txt: Vary %q for a file without variants", resp.Header.Get("Vary"))
	}
	resp, _ := perfRequest(t, srv, "GET", "/data.txt", nil)
	etag1 := resp.Header.Get("ETag")
	if resp.StatusCode != 200 || etag1 == "" {
		t.Fatalf("GET /data.txt: status %d, ETag %q", resp.StatusCode, etag1)
	}
	// [headers] wins over the file's default Cache-Control.
	if got := resp.Header.Values("Cache-Control"); len(got) != 1 || got[0] != "max-age=60" {
		t.Errorf("GET /data.txt: Cache-Control %q, want the [headers] value \"max-age=60\" only", got)
	}
	resp, _ = perfRequest(t, srv, "GET", "/", nil)
	if got := resp.Header.Get("Cache-Control"); got != "no-cache" {
		t.Errorf("GET /: Cache-Control %q, want no-cache", got)
	}
	if _, err := srv.Stop(); err != nil {
		t.Fatal(err)
	}

	// Same size, new content; the bundle is unchanged.
	writeFile(t, filepath.Join(ws.AppDir, "data.txt"), "version-BBBB\n")
	detect(t, ws)
	second := build(t, ws)
	if !regexp.MustCompile(`reused [1-9][0-9]* cached|reusing cached layer`).MatchString(second) {
		t.Errorf("the rebuild does not say it reused the compressed variants:\n%s", second)
	}
	for _, out := range []string{first, second} {
		for _, line := range strings.Split(out, "\n") {
			if strings.Contains(line, "Files:") || strings.Contains(line, "variants") {
				t.Log(strings.TrimSpace(line))
			}
		}
	}
	srv = launch(t, ws, nil)
	resp, body := perfRequest(t, srv, "GET", "/data.txt", nil)
	etag2 := resp.Header.Get("ETag")
	if string(body) != "version-BBBB\n" {
		t.Errorf("GET /data.txt after the rebuild: body %q", body)
	}
	if etag2 == "" || etag2 == etag1 {
		t.Errorf("GET /data.txt: the ETag did not change with the content (before %q, after %q)", etag1, etag2)
	}
	resp, _ = perfRequest(t, srv, "GET", "/data.txt", map[string]string{"If-None-Match": etag1})
	if resp.StatusCode != 200 {
		t.Errorf("GET /data.txt with the old ETag: status %d, want 200", resp.StatusCode)
	}
	resp, _ = perfRequest(t, srv, "GET", "/data.txt", map[string]string{"If-None-Match": etag2})
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("GET /data.txt with the new ETag: status %d, want 304", resp.StatusCode)
	}
}

// losingVariants returns a text file that no encoding shrinks by 1/32
// (random bytes and a short run) and a page whose zstd encoding at the
// build's levels is not smaller than its gzip one.
func losingVariants(t *testing.T) (blob, page string) {
	t.Helper()
	r := rand.New(rand.NewPCG(12, 1)) //nolint:gosec // reproducible test data
	raw := make([]byte, 4000)
	for i := range raw {
		raw[i] = byte(r.Uint32() & 0xff)
	}
	blob = string(raw) + strings.Repeat("a", 100)
	vocab := strings.Fields("the a of static site server cache header build layer image page policy content " +
		"security file request response browser script style link table variant brotli gzip zstd window " +
		"quality level stream block literal match distance context histogram cluster entropy huffman code " +
		"length symbol bit byte word dictionary transform prefix suffix offset repeat copy insert command " +
		"metadata encoder decoder writer reader buffer chunk frame magic checksum")
	for range 200 {
		var b strings.Builder
		for b.Len() < 1500 {
			b.WriteString("<p>")
			for range 8 + r.IntN(20) {
				b.WriteString(vocab[r.IntN(len(vocab))])
				b.WriteByte(' ')
			}
			b.WriteString("</p>\n")
		}
		z, _ := site.Compress("zstd", []byte(b.String()), nil)
		g, _ := site.Compress("gzip", []byte(b.String()), nil)
		if len(z) >= len(g) {
			return blob, b.String()
		}
	}
	t.Fatal("no generated page has a zstd encoding as large as its gzip one")
	return "", ""
}
