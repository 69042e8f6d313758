package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseValid(t *testing.T) {
	cfg, err := Parse(FileName, []byte("# site\nroot = \"dist\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Root != "dist" {
		t.Fatalf("Root = %q", cfg.Root)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string // substrings of the error, in order
	}{
		{"unknown key with suggestion", "# comment\n\nroots = \"public\"\n",
			[]string{`static.toml:3:1: key "roots": unknown key`, `did you mean "root"?`}},
		{"unknown key far from any", "root = \"public\"\n  zzzzzzzz = 1\n",
			[]string{`static.toml:2:3: key "zzzzzzzz": unknown key`, "valid keys here: access_log, basic_auth, canonical_host"}},
		{"wrong type", "root = 5\n",
			[]string{`static.toml:1:1: key "root": expected a string`, "got a whole number"}},
		{"unknown table", "\n[header]\nX = \"y\"\n",
			[]string{`static.toml:2:1: key "header": unknown key`}},
		{"syntax error", "root = \"public\nx",
			[]string{"static.toml:1:", "invalid TOML"}},
		{"absolute root", "root = \"/etc\"\n",
			[]string{`static.toml:1:1: key "root": "/etc" is an absolute path`}},
		{"root outside app", "\n root = \"../x\"\n",
			[]string{`static.toml:2:2: key "root": "../x" points outside the app directory`}},
		{"two errors reported together", "roots = 1\nrot = 2\n",
			[]string{"static.toml:1:1", "static.toml:2:1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(FileName, []byte(tt.src))
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			rest := msg
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("error %q lacks %q", msg, w)
				}
				rest = rest[i+len(w):]
			}
		})
	}
}

func TestLoadMissingFileIsDefault(t *testing.T) {
	cfg, found, err := Load(t.TempDir())
	if err != nil || found || cfg == nil || cfg.Root != "" {
		t.Fatalf("Load() = %+v, %v, %v", cfg, found, err)
	}
}

func TestIndexPositions(t *testing.T) {
	src := `root = "x" # c
"quoted key" = 1
a.b = """
multi = "not a key"
"""
arr = [
  "z = 1",
]
[headers."/*.js"]
  Cache-Control = "x"
[[redirects]]
from = "/a"
[[redirects]]
  from = "/b"
[t]
after = 1
`
	pos := indexPositions(src)
	tests := map[string]Position{
		"root":                              {1, 1},
		"quoted key":                        {2, 1},
		"a\x00b":                            {3, 1},
		"arr":                               {6, 1},
		"headers\x00/*.js":                  {9, 1},
		"headers\x00/*.js\x00Cache-Control": {10, 3},
		"redirects\x00[0]\x00from":          {12, 1},
		"redirects\x00[1]\x00from":          {14, 3},
		"t\x00after":                        {16, 1},
	}
	for k, want := range tests {
		if got := pos[k]; got != want {
			t.Errorf("%q at %v, want %v", k, got, want)
		}
	}
	if _, ok := pos["multi"]; ok {
		t.Error("a line inside a multi-line string was read as a key")
	}
	if _, ok := pos["z"]; ok {
		t.Error("a line inside an array was read as a key")
	}
}

func TestFindRoot(t *testing.T) {
	write := func(t *testing.T, dir string, files ...string) {
		for _, f := range files {
			p := filepath.Join(dir, f)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		name     string
		files    []string
		explicit string
		want     string
		ok       bool
	}{
		{"public first", []string{"public/index.html", "dist/index.html", "index.html"}, "", "public", true},
		{"dist", []string{"dist/index.html", "index.html"}, "", "dist", true},
		{"build", []string{"build/index.html"}, "", "build", true},
		{"_site", []string{"_site/index.html"}, "", "_site", true},
		{"out", []string{"out/index.html"}, "", "out", true},
		{"app root", []string{"index.html", "public/other.html"}, "", ".", true},
		{"none", []string{"README.md"}, "", "", false},
		{"explicit wins even if missing", []string{"public/index.html"}, "site", "site", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, tt.files...)
			r, ok := FindRoot(dir, tt.explicit, FileName)
			if ok != tt.ok || r.Rel != tt.want {
				t.Fatalf("FindRoot = %+v, %v; want %q, %v", r, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestResolveRoot(t *testing.T) {
	app := t.TempDir()
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(app, "out")); err != nil {
		t.Fatal(err)
	}
	_, err := ResolveRoot(app, Root{Rel: "dist", Reason: `static.toml sets root = "dist"`})
	if err == nil || !strings.Contains(err.Error(), "dist/ does not exist") {
		t.Fatalf("missing root: %v", err)
	}
	_, err = ResolveRoot(app, Root{Rel: "out"})
	if err == nil || !strings.Contains(err.Error(), "outside the app directory") {
		t.Fatalf("root linking outside: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"root = \"public\"\n", "roots = 1", "[headers.\"/*\"]\nX = \"y\"", "root = \"\"\"\nx\"\"\"", "[[a]]\nb=1\n[[a]]\nc=2", "a.\"b\".'c' = 1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		cfg, err := Parse(FileName, []byte(src))
		if err == nil && cfg == nil {
			t.Fatal("nil config without error")
		}
		if err != nil && !strings.HasPrefix(err.Error(), FileName) {
			t.Fatalf("error does not name the file: %v", err)
		}
		_ = indexPositions(src)
	})
}
