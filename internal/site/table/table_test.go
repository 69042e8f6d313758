package table

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const sum = "3f9a1c2b3f9a1c2b3f9a1c2b3f9a1c2b3f9a1c2b3f9a1c2b3f9a1c2b3f9a1c2b"

// sample is a table with every kind of field set.
func sample() *Table {
	return &Table{
		Version:  Version,
		Root:     "/workspace/public",
		Variants: "/layers/site/variants",
		Dirs:     []string{"", "docs", "docs/deep dir", "ünï"},
		Files: map[string]*File{
			"index.html": {Size: 1200, SHA256: sum, Type: "text/html; charset=utf-8", CacheControl: CacheHTML,
				Encoded: map[string]int64{Brotli: 300, Zstd: 320, Gzip: 400}},
			"docs/page.html":       {Size: 10, SHA256: sum, Type: "text/html; charset=utf-8", CacheControl: CacheHTML, Protected: true},
			"docs/link.css":        {Size: 5, SHA256: sum, Type: "text/css", CacheControl: CacheDefault, Target: "docs/real.css", Encoded: map[string]int64{Gzip: 4}},
			"ünï/a b.txt":          {Size: 0, SHA256: sum, Type: "text/plain", CacheControl: CacheDefault},
			"app.3f9a1c2b.js":      {Size: 1 << 40, SHA256: sum, Type: "text/javascript", CacheControl: CacheImmutable},
			"name with \"quotes\"": {Size: 1, SHA256: sum, Type: "application/octet-stream", CacheControl: CacheDefault},
		},
	}
}

func writeRead(t *testing.T, tab *Table) *Table {
	t.Helper()
	file := filepath.Join(t.TempDir(), FileName)
	if err := Write(file, tab); err != nil {
		t.Fatal(err)
	}
	back, err := Read(file)
	if err != nil {
		t.Fatal(err)
	}
	return back
}

// What Write stores, Read gives back, field for field.
func TestRoundTrip(t *testing.T) {
	want := sample()
	got := writeRead(t, sample())
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
		for name, f := range want.Files {
			if !reflect.DeepEqual(got.Files[name], f) {
				t.Errorf("%q: got %+v, want %+v", name, got.Files[name], f)
			}
		}
	}
	empty := writeRead(t, &Table{Version: Version, Files: map[string]*File{}})
	if len(empty.Files) != 0 || len(empty.Dirs) != 0 || empty.Root != "" {
		t.Errorf("an empty table came back as %+v", empty)
	}
}

// The format is one line per entry, sorted by name, readable with cut(1).
func TestWriteFormat(t *testing.T) {
	file := filepath.Join(t.TempDir(), FileName)
	tab := &Table{Root: "/r", Variants: "/v", Dirs: []string{"d"}, Files: map[string]*File{
		"b.css": {Size: 5, SHA256: sum, Type: "text/css", CacheControl: CacheDefault, Encoded: map[string]int64{Zstd: 3}},
		"a.txt": {Size: 2, SHA256: sum, Type: "text/plain", CacheControl: CacheDefault, Target: "c.txt", Protected: true},
	}}
	if err := Write(file, tab); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	want := "hardstatic-files 2\nroot\t/r\nvariants\t/v\nd\td\n" +
		"f\t" + sum + "\t2\t0\t0\t0\tp\t" + CacheDefault + "\ttext/plain\tc.txt\ta.txt\n" +
		"f\t" + sum + "\t5\t0\t3\t0\t-\t" + CacheDefault + "\ttext/css\t\tb.css\n"
	if string(data) != want {
		t.Errorf("the table file:\n%q\nwant\n%q", data, want)
	}
}

// A field that would break the line format is refused, naming what holds
// it; nothing half-written is left to read.
func TestWriteRefusesUnrepresentable(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*Table)
		want string
	}{
		{"root", func(t *Table) { t.Root = "/a\tb" }, `root "/a\tb" contains a tab or a line break`},
		{"variants", func(t *Table) { t.Variants = "/v\n" }, `variants "/v\n" contains a tab or a line break`},
		{"directory", func(t *Table) { t.Dirs = append(t.Dirs, "x\ry") }, `directory "x\ry" contains a tab or a line break`},
		{"file name", func(t *Table) { t.Files["a\nf\tforged"] = &File{SHA256: sum} }, `file "a\nf\tforged": a field contains a tab or a line break`},
		{"content type", func(t *Table) { t.Files["index.html"].Type = "text/html\nf\tx" }, `file "index.html": a field contains`},
		{"cache control", func(t *Table) { t.Files["index.html"].CacheControl = "a\tb" }, `file "index.html": a field contains`},
		{"target", func(t *Table) { t.Files["docs/link.css"].Target = "x\ny" }, `file "docs/link.css": a field contains`},
	} {
		t.Run(c.name, func(t *testing.T) {
			tab := sample()
			c.edit(tab)
			file := filepath.Join(t.TempDir(), FileName)
			err := Write(file, tab)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Write = %v, want an error containing %q", err, c.want)
			}
			if _, err := os.Stat(file); !os.IsNotExist(err) {
				t.Errorf("a refused table was written (%v)", err)
			}
		})
	}
}

// A damaged or hostile table file is refused with its name and line, never
// read in part.
func TestReadRefusesBadTables(t *testing.T) {
	good := "hardstatic-files 2\nroot\t/r\nvariants\t/v\n"
	entry := "f\t" + sum + "\t2\t0\t0\t0\t-\tno-cache\ttext/plain\t\ta.txt\n"
	for _, c := range []struct {
		name, text, want string
	}{
		{"empty file", "", "not a version 2 file table"},
		{"another format", `{"version":2,"files":{}}`, "not a version 2 file table"},
		{"another version", "hardstatic-files 1\n", "not a version 2 file table"},
		{"unknown entry", good + "x\tsomething\n", `:4: unknown entry "x"`},
		{"too few fields", good + "f\t" + sum + "\t2\t0\n", ":4: too few fields"},
		{"short hash", good + "f\tabc\t2\t0\t0\t0\t-\tno-cache\ttext/plain\t\ta.txt\n", ":4: bad entry"},
		{"no name", good + "f\t" + sum + "\t2\t0\t0\t0\t-\tno-cache\ttext/plain\t\t\n", ":4: bad entry"},
		{"size not a number", good + "f\t" + sum + "\ttwo\t0\t0\t0\t-\tno-cache\ttext/plain\t\ta.txt\n", `:4: strconv.ParseInt: parsing "two"`},
		{"variant size not a number", good + entry + "f\t" + sum + "\t2\t0\t-1e9\t0\t-\tno-cache\ttext/plain\t\tb.txt\n", `:5: strconv.ParseInt: parsing "-1e9"`},
		{"size out of range", good + "f\t" + sum + "\t99999999999999999999\t0\t0\t0\t-\tno-cache\ttext/plain\t\ta.txt\n", ":4: strconv.ParseInt"},
	} {
		t.Run(c.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), FileName)
			if err := os.WriteFile(file, []byte(c.text), 0o644); err != nil {
				t.Fatal(err)
			}
			tab, err := Read(file)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), file) {
				t.Fatalf("Read = %+v, %v; want an error starting with the file name and containing %q", tab, err, c.want)
			}
			if tab != nil {
				t.Errorf("a refused table came back: %+v", tab)
			}
		})
	}
	if _, err := Read(filepath.Join(t.TempDir(), "missing.tsv")); !os.IsNotExist(err) {
		t.Errorf("Read of a missing file = %v, want a not-exist error", err)
	}
}

// Blank lines are ignored; a tab in the last field belongs to the name
// (Write never makes one, but Read must not split it into a forged entry).
func TestReadTolerance(t *testing.T) {
	file := filepath.Join(t.TempDir(), FileName)
	text := "hardstatic-files 2\n\nroot\t/r\n\nf\t" + sum + "\t2\t0\t0\t0\t-\tno-cache\ttext/plain\t\ta\tb.txt\n"
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	tab, err := Read(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Files) != 1 || tab.Files["a\tb.txt"] == nil || tab.Root != "/r" {
		t.Errorf("Read = %+v", tab)
	}
}

func TestEntityTagsAndVariants(t *testing.T) {
	f := &File{SHA256: sum}
	if got, want := f.ETag(), `"`+sum[:32]+`"`; got != want {
		t.Errorf("ETag = %s, want %s", got, want)
	}
	if got, want := f.VariantETag(Brotli), `"`+sum[:32]+`-br"`; got != want {
		t.Errorf("VariantETag(br) = %s, want %s", got, want)
	}
	for enc, want := range map[string]string{Brotli: "3f/" + sum + ".br", Zstd: "3f/" + sum + ".zst", Gzip: "3f/" + sum + ".gz"} {
		if got := VariantPath(sum, enc); got != want {
			t.Errorf("VariantPath(%s) = %s, want %s", enc, got, want)
		}
	}
	if got := (&File{Target: "real.css"}).Source("link.css"); got != "real.css" {
		t.Errorf("Source of a link = %s, want its target", got)
	}
	if got := (&File{}).Source("own.css"); got != "own.css" {
		t.Errorf("Source of a file = %s, want its own name", got)
	}
}

func TestTypesAndCaching(t *testing.T) {
	for name, want := range map[string]string{
		"index.html": "text/html; charset=utf-8", "a.JS": "text/javascript; charset=utf-8", "feed.rss": "application/rss+xml; charset=utf-8",
		"m.webmanifest": "application/manifest+json", "x.wasm": "application/wasm", "f.woff2": "font/woff2",
		"noext": "application/octet-stream", "a.unknown-ext": "application/octet-stream",
	} {
		if got := ContentType(name, "utf-8"); got != want {
			t.Errorf("ContentType(%q) = %q, want %q", name, got, want)
		}
	}
	if got := ContentType("a.css", ""); got != "text/css" {
		t.Errorf("ContentType without a charset = %q", got)
	}
	for name, want := range map[string]string{
		"a/index.HTML": CacheHTML, "app.3f9a1c2b.js": CacheImmutable, "logo.png": CacheDefault, "site.css": CacheDefault,
	} {
		if got := CacheControlFor(name); got != want {
			t.Errorf("CacheControlFor(%q) = %q, want %q", name, got, want)
		}
	}
	for ct, want := range map[string]bool{
		"text/html; charset=utf-8": true, "application/manifest+json": true, "image/svg+xml": true, "application/wasm": true,
		"image/png": false, "font/woff2": false, "application/zip": false,
	} {
		if got := Compressible(ct); got != want {
			t.Errorf("Compressible(%q) = %v, want %v", ct, got, want)
		}
	}
}
