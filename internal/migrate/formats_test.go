package migrate

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/hardstatic/buildpack/internal/config"
)

// formatFixtures are the integration fixtures of each format, built through
// the real lifecycle by integration/formats_test.go; the golden files keep
// what migrate prints for them.
var formatFixtures = []struct{ golden, file string }{
	{"redirects.toml", "fmt-netlify/public/_redirects"},
	{"headers.toml", "fmt-netlify/public/_headers"},
	{"netlify-toml.toml", "fmt-netlify-toml/netlify.toml"},
	{"vercel-json.toml", "fmt-vercel/vercel.json"},
	{"firebase-json.toml", "fmt-firebase/firebase.json"},
}

func convertFixture(t *testing.T, file string) (*Imported, []byte) {
	t.Helper()
	data := mustRead(t, filepath.Join("..", "..", "integration", "testdata", filepath.FromSlash(file)))
	format := Detect(file, data)
	if format != filepath.Base(file) {
		t.Fatalf("Detect(%s) = %q", file, format)
	}
	imp, err := Convert(format, filepath.Base(file), data)
	if err != nil {
		t.Fatal(err)
	}
	out := EncodeTOML(imp.Config, imp.AllNotes())
	if _, err := config.Parse(config.FileName, out); err != nil {
		t.Fatalf("%s: the output is not a valid static.toml: %v\n%s", file, err, out)
	}
	return imp, out
}

// TestFormatGolden keeps the static.toml migrate prints for each format's
// fixture in internal/config/testdata/encoded, where the schema test lints
// it with taplo. Run with -update after a change and review the diff.
func TestFormatGolden(t *testing.T) {
	for _, f := range formatFixtures {
		t.Run(f.golden, func(t *testing.T) {
			_, got := convertFixture(t, f.file)
			file := filepath.Join("..", "config", "testdata", "encoded", f.golden)
			if *update {
				if err := os.WriteFile(file, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if want := mustRead(t, file); !bytes.Equal(got, want) {
				t.Errorf("migrate output differs from %s (run go test ./internal/migrate -update and review the diff):\n%s", file, got)
			}
		})
	}
}

// Content tells the format when the name does not.
func TestDetectByContent(t *testing.T) {
	for _, tc := range []struct{ data, want string }{
		{`{"hosting": {"public": "public"}}`, FirebaseJSON},
		{`{"cleanUrls": true}`, VercelJSON},
		{`{"root": "dist/", "routes": {"/**": "index.html"}}`, config.StaticJSONName},
		{`{"root": "dist/",}`, config.StaticJSONName},
		{"[build]\npublish = \"dist\"\n", NetlifyTOML},
		{"/*\n  X-Frame-Options: DENY\n", HeadersFile},
		{"/home / 301\n", RedirectsFile},
		{"hello world\n", ""},
	} {
		if got := Detect("rules.txt", []byte(tc.data)); got != tc.want {
			t.Errorf("Detect(%q) = %q, want %q", tc.data, got, tc.want)
		}
	}
}

// Any file, in any of the formats: no panic, and what a conversion keeps is
// a valid static.toml (what migrate prints, with its notes).
func FuzzConvert(f *testing.F) {
	index := func(name string) uint8 {
		for i, fm := range Formats {
			if fm.Name == name {
				return uint8(i)
			}
		}
		panic(name)
	}
	for _, fx := range formatFixtures {
		f.Add(index(filepath.Base(fx.file)), string(mustRead(f, filepath.Join("..", "..", "integration", "testdata", filepath.FromSlash(fx.file)))))
	}
	f.Add(index(VercelJSON), `{"redirects": [{"source": "/a/:b*", "destination": "/c/:b*", "has": [{"type": "query", "key": "q", "value": "(?P<v>x+)"}]}]}`)
	f.Add(index(FirebaseJSON), `{"hosting": {"headers": [{"source": "**/*.@(a|b){,.gz}", "headers": [{"key": "X", "value": "y"}]}]}}`)
	f.Fuzz(func(t *testing.T, kind uint8, src string) {
		format := Formats[int(kind)%len(Formats)].Name
		imp, err := Convert(format, format, []byte(src))
		if err != nil {
			return
		}
		out := EncodeTOML(imp.Config, imp.AllNotes())
		if _, err := config.Parse(config.FileName, out); err != nil {
			t.Fatalf("%s: the conversion is not a valid static.toml: %v\n%s", format, err, out)
		}
	})
}
