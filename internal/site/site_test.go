package site

import (
	"bytes"
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"

	"github.com/hardstatic/buildpack/internal/site/table"
)

func TestFingerprinted(t *testing.T) {
	for name, want := range map[string]bool{
		"app.3f9a1c2b.js":                  true, // webpack [contenthash:8]
		"static/js/main.3f9a1c2b.chunk.js": true, // create-react-app
		"assets/main-BxK9z2Qa.js":          true, // Vite / Rollup
		"assets/index-DiwrgTda.css":        true, // Vite, no digit
		"app-NVCR3ZEL.js":                  true, // esbuild
		"index.5d8f7a2b.css":               true, // Parcel
		"main.min.0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0.css": true, // Hugo
		"app.js":                  false,
		"index.html":              false,
		"jquery-3.7.1.min.js":     false,
		"bootstrap.bundle.min.js": false,
		"app-settings.js":         false,
		"App-Settings.js":         false,
		"logo-1024x768.png":       false,
		"photo-20240101.jpg":      false,
		"sha256sum.txt":           false,
		"deadbeef12.js":           false, // no name before the hash
		"font-awesome-4.woff2":    false,
		"README.md":               false,
	} {
		if got := table.Fingerprinted(name); got != want {
			t.Errorf("Fingerprinted(%q) = %t, want %t", name, got, want)
		}
	}
}

func TestCacheControlFor(t *testing.T) {
	for name, want := range map[string]string{
		"index.html":      table.CacheHTML,
		"a/b.htm":         table.CacheHTML,
		"app.3f9a1c2b.js": table.CacheImmutable,
		"app.js":          table.CacheDefault,
		"logo.png":        table.CacheDefault,
	} {
		if got := table.CacheControlFor(name); got != want {
			t.Errorf("CacheControlFor(%q) = %q, want %q", name, got, want)
		}
	}
}

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	base := t.TempDir()
	root := filepath.Join(base, "public")
	for name, body := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func randomString(t *testing.T, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAnalyze(t *testing.T) {
	big := strings.Repeat("body { color: red; margin: 0 auto; }\n", 200)
	noise := randomString(t, 4096)
	root := writeTree(t, map[string]string{
		"index.html":               "<!doctype html><title>home</title>",
		"css/site.css":             big,
		"css/copy.css":             big, // same content: compressed once
		"noise.txt":                noise,
		"static.toml":              "root = 'public'",
		".env":                     "SECRET=1",
		"sub/.hidden":              "x",
		".well-known/security.txt": "contact",
		".well-known/.secret":      "x",
		"../outside.txt":           strings.Repeat("outside ", 500),
	})
	for link, target := range map[string]string{
		"leak.txt":  "../outside.txt",
		"abs.txt":   "/etc/passwd",
		"loop":      "loop",
		"loopdir":   ".",
		"inside.js": "css/site.css",
	} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	variants := filepath.Join(t.TempDir(), "variants")
	opts := Options{Root: root, Hide: []string{"static.toml"}, Charset: "utf-8", Variants: variants}
	tab, st, err := Analyze(opts)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for n := range tab.Files {
		names = append(names, n)
	}
	for _, want := range []string{"index.html", "css/site.css", "css/copy.css", "noise.txt", ".well-known/security.txt", "inside.js"} {
		if tab.Files[want] == nil {
			t.Errorf("%s is not in the table (have %v)", want, names)
		}
	}
	for _, never := range []string{"static.toml", ".env", "sub/.hidden", ".well-known/.secret", "leak.txt", "abs.txt", "loop", "loopdir", "../outside.txt"} {
		if tab.Files[never] != nil {
			t.Errorf("%s is in the table", never)
		}
	}
	if inside := tab.Files["inside.js"]; inside == nil || inside.Target == "" {
		t.Errorf("inside.js is a link: its entry must name the file it is read from: %+v", inside)
	}
	css := tab.Files["css/site.css"]
	if css.Type != "text/css; charset=utf-8" || css.CacheControl != table.CacheDefault || len(css.SHA256) != 64 {
		t.Errorf("css entry: %+v", css)
	}
	for _, enc := range table.Encodings {
		n := css.Encoded[enc]
		if n <= 0 || n >= css.Size {
			t.Errorf("css: %s variant size %d (file %d)", enc, n, css.Size)
			continue
		}
		info, err := os.Stat(filepath.Join(variants, table.VariantPath(css.SHA256, enc)))
		if err != nil || info.Size() != n {
			t.Errorf("css: %s variant file: %v", enc, err)
		}
		out, _ := Compress(enc, []byte(big), nil)
		if int64(len(out)) != n {
			t.Errorf("css: %s variant size %d, Compress gives %d", enc, n, len(out))
		}
	}
	if len(tab.Files["noise.txt"].Encoded) != 0 {
		t.Errorf("random data kept variants that are not smaller: %v", tab.Files["noise.txt"].Encoded)
	}
	if len(tab.Files["index.html"].Encoded) != 0 {
		t.Error("a file under 1 KiB was compressed")
	}
	// site.css, copy.css and inside.js share one content; noise.txt is another.
	if st.New != 2 || st.Reused != 0 {
		t.Errorf("first analysis: new %d, reused %d; want 2, 0", st.New, st.Reused)
	}

	// Unchanged: everything reused, nothing compressed.
	tab2, st, err := Analyze(opts)
	if err != nil {
		t.Fatal(err)
	}
	if st.New != 0 || st.Reused != 2 {
		t.Errorf("rebuild: new %d, reused %d; want 0, 2", st.New, st.Reused)
	}
	if tab2.Files["css/site.css"].Encoded[table.Brotli] != css.Encoded[table.Brotli] {
		t.Error("rebuild: the reused variant sizes differ")
	}

	// One content changed: only it is compressed again, and the stale
	// variants are removed.
	if err := os.WriteFile(filepath.Join(root, "css/copy.css"), []byte(big+"a{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(root, "noise.txt")); err != nil {
		t.Fatal(err)
	}
	_, st, err = Analyze(opts)
	if err != nil {
		t.Fatal(err)
	}
	if st.New != 1 || st.Reused != 1 {
		t.Errorf("after an edit: new %d, reused %d; want 1, 1", st.New, st.Reused)
	}
	if _, err := os.Stat(filepath.Join(variants, table.VariantPath(css.SHA256, table.Brotli))); err != nil {
		t.Errorf("a variant still in use was removed: %v", err)
	}
}

func TestAnalyzeWithoutVariants(t *testing.T) {
	root := writeTree(t, map[string]string{"index.html": strings.Repeat("<p>hi</p>\n", 500)})
	tab, st, err := Analyze(Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	if st.Files != 1 || len(tab.Files["index.html"].Encoded) != 0 {
		t.Errorf("table %+v, stats %+v", tab, st)
	}
}

func TestTableRoundTrip(t *testing.T) {
	root := writeTree(t, map[string]string{"a/index.html": "x", "we\tird.txt": "tab", "b/c.css": strings.Repeat("a{b:c}", 500)})
	tab, st, err := Analyze(Options{Root: root, Charset: "utf-8", Variants: filepath.Join(t.TempDir(), "v")})
	if err != nil {
		t.Fatal(err)
	}
	if tab.Files["we\tird.txt"] != nil {
		t.Errorf("a name with a tab is in the table (stats %+v)", st)
	}
	if bad := filepath.Join(t.TempDir(), "bad"); os.WriteFile(bad, []byte("{}"), 0o644) == nil {
		if _, err := table.Read(bad); err == nil {
			t.Error("a file that is not a table was read")
		}
	}
	file := filepath.Join(t.TempDir(), table.FileName)
	if err := table.Write(file, tab); err != nil {
		t.Fatal(err)
	}
	back, err := table.Read(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Files) != len(tab.Files) || len(back.Dirs) != 2 || back.Root != tab.Root || back.Variants != tab.Variants {
		t.Errorf("round trip: %+v", back)
	}
	for name, f := range tab.Files {
		g := back.Files[name]
		if g == nil || g.SHA256 != f.SHA256 || g.Size != f.Size || g.Type != f.Type || g.CacheControl != f.CacheControl || len(g.Encoded) != len(f.Encoded) {
			t.Errorf("%s: %+v, want %+v", name, g, f)
			continue
		}
		for enc, n := range f.Encoded {
			if g.Encoded[enc] != n {
				t.Errorf("%s: %s size %d, want %d", name, enc, g.Encoded[enc], n)
			}
		}
	}
	if len(back.Files["b/c.css"].Encoded) != 3 {
		t.Errorf("b/c.css variants: %v", back.Files["b/c.css"].Encoded)
	}
}

// words is text with the statistics of a page: short words, repeated.
func words(seed uint64, n int) string {
	r := mrand.New(mrand.NewPCG(seed, 7)) //nolint:gosec // reproducible test data
	vocab := strings.Fields("the a of static site server cache header build layer image page policy content " +
		"security file request response browser script style link table variant brotli gzip zstd window " +
		"quality level stream block literal match distance context histogram cluster entropy huffman code " +
		"length symbol bit byte word dictionary transform prefix suffix offset repeat copy insert command " +
		"metadata encoder decoder writer reader buffer chunk frame magic checksum")
	var b strings.Builder
	b.WriteString("<!doctype html>\n<title>page</title>\n")
	for b.Len() < n {
		b.WriteString("<p>")
		for range 8 + r.IntN(20) {
			b.WriteString(vocab[r.IntN(len(vocab))])
			b.WriteByte(' ')
		}
		b.WriteString("</p>\n")
	}
	return b.String()[:n]
}

// zstdLoses is a small page whose zstd encoding is not smaller than its
// gzip one.
func zstdLoses(t *testing.T) string {
	t.Helper()
	for seed := range uint64(200) {
		page := []byte(words(seed, 1500))
		z, _ := Compress(table.Zstd, page, nil)
		g, _ := Compress(table.Gzip, page, nil)
		if len(z) >= len(g) {
			return string(page)
		}
	}
	t.Fatal("no generated page has a zstd encoding as large as its gzip one")
	return ""
}

// Every kept variant decompresses to its file; a variant that does not win
// (saves less than 1/32 of the file, or brotli or zstd not smaller than
// gzip) is neither written nor in the table, so it is never served.
func TestVariantsWin(t *testing.T) {
	var js strings.Builder
	for i := range 600 {
		fmt.Fprintf(&js, "export function handler%d(e){return e.target.value+%d}\n", i, i*7)
	}
	almost := randomString(t, 4000) + strings.Repeat("a", 100) // gzip saves about 2%
	files := map[string]string{
		"small.html":  words(1, 1500),
		"zstd.html":   zstdLoses(t),
		"app.js":      js.String(),
		"almost.txt":  almost,
		"noise.txt":   randomString(t, 4096),
		"site.css":    strings.Repeat("body{margin:0 auto;max-width:40em}\n", 100),
		"exact3k.css": words(2, brotliQ11From),
	}
	root := writeTree(t, files)
	variants := filepath.Join(t.TempDir(), "variants")
	tab, _, err := Analyze(Options{Root: root, Variants: variants})
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range files {
		f := tab.Files[name]
		if f == nil {
			t.Fatalf("%s is not in the table", name)
		}
		for _, enc := range table.Encodings {
			file := filepath.Join(variants, filepath.FromSlash(table.VariantPath(f.SHA256, enc)))
			n := f.Encoded[enc]
			data, err := os.ReadFile(file)
			if n == 0 {
				if err == nil {
					t.Errorf("%s: a %s variant was written (%d bytes) but is not in the table", name, enc, len(data))
				}
				continue
			}
			if err != nil || int64(len(data)) != n {
				t.Errorf("%s: %s variant of %d bytes in the table, on disk %d bytes (%v)", name, enc, n, len(data), err)
				continue
			}
			back, err := Decompress(enc, data)
			if err != nil || string(back) != body {
				t.Errorf("%s: the %s variant does not decompress to the file (%v)", name, enc, err)
			}
			if n > f.Size-f.Size/32 {
				t.Errorf("%s: %s variant of %d bytes kept for a file of %d: it saves less than 1/32", name, enc, n, f.Size)
			}
			if gz := f.Encoded[table.Gzip]; enc != table.Gzip && n >= gz {
				t.Errorf("%s: %s variant of %d bytes kept, not smaller than the gzip one (%d)", name, enc, n, gz)
			}
		}
	}
	for _, name := range []string{"small.html", "app.js", "site.css", "exact3k.css"} {
		if got := tab.Files[name].Encoded; len(got) != 3 {
			t.Errorf("%s: variants %v, want br, zstd and gzip", name, got)
		}
	}
	for _, name := range []string{"almost.txt", "noise.txt"} {
		if got := tab.Files[name].Encoded; len(got) != 0 {
			t.Errorf("%s saves less than 1/32 with every encoding, yet has variants %v", name, got)
		}
	}
	if got := tab.Files["zstd.html"].Encoded; got[table.Zstd] != 0 || got[table.Brotli] == 0 || got[table.Gzip] == 0 {
		t.Errorf("zstd.html: variants %v, want br and gzip only (its zstd encoding is not smaller than gzip)", got)
	}
	// Quality 11 from brotliQ11From bytes on: the bytes of the best setting.
	for _, name := range []string{"app.js", "exact3k.css"} {
		var buf bytes.Buffer
		w := brotli.NewWriterOptions(&buf, brotli.WriterOptions{Quality: 11, LGWin: 24})
		_, _ = w.Write([]byte(files[name]))
		_ = w.Close()
		if got := tab.Files[name].Encoded[table.Brotli]; got > int64(buf.Len()) {
			t.Errorf("%s: brotli variant of %d bytes, quality 11 gives %d", name, got, buf.Len())
		}
	}
}
