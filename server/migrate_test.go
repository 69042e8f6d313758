package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hardstatic/buildpack/internal/config"
)

var fixtureJSON = filepath.Join("..", "integration", "testdata", "static-json", "static.json")

// runCLI runs static-server in-process with args and returns stdout, stderr
// and the exit code main would use.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	root := rootCmd()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		return out.String(), err.Error(), exitCode(err)
	}
	return out.String(), errOut.String(), 0
}

func TestMigrateToStdout(t *testing.T) {
	stdout, _, code := runCLI(t, "migrate", fixtureJSON)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"# Notes:", `root = "build"`, `fallback = "/index.html"`, `not_found = "404.html"`, "[[redirects]]", `to = "${BLOG_URL}/posts"`,
		"[[rewrites]]", "[[proxies]]", `to = "${API_ORIGIN}/v1/"`, `[headers."/assets/**"]`} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	cfg, err := config.Parse(config.FileName, []byte(stdout))
	if err != nil {
		t.Fatalf("output is not a valid static.toml: %v", err)
	}
	if len(cfg.HeaderRules) != 3 || cfg.HeaderRules[0].Glob != "/**" {
		t.Errorf("header rules %+v", cfg.HeaderRules)
	}
}

func TestMigrateDefaultFile(t *testing.T) {
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "static.json"), []byte(`{"root": "dist/", "routes": {"/**": "index.html"}}`), 0o644))
	t.Chdir(dir)
	stdout, _, code := runCLI(t, "migrate")
	if code != 0 || !strings.Contains(stdout, `root = "dist"`) || !strings.Contains(stdout, `fallback = "/index.html"`) {
		t.Fatalf("exit %d, output:\n%s", code, stdout)
	}
}

func TestMigrateOutputFile(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "static.toml")
	_, stderr, code := runCLI(t, "migrate", fixtureJSON, "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "wrote "+out) || !strings.Contains(stderr, "notes") {
		t.Errorf("stderr: %q", stderr)
	}
	first, err := os.ReadFile(out)
	must(t, err)
	if _, err := config.Parse(config.FileName, first); err != nil {
		t.Fatalf("written file does not parse: %v", err)
	}

	// An existing file is kept without --force.
	must(t, os.WriteFile(out, []byte("# mine\n"), 0o644))
	_, stderr, code = runCLI(t, "migrate", fixtureJSON, "-o", out)
	if code != 2 || !strings.Contains(stderr, "already exists") || !strings.Contains(stderr, "--force") {
		t.Errorf("without --force: exit %d, %q", code, stderr)
	}
	if got, _ := os.ReadFile(out); string(got) != "# mine\n" {
		t.Errorf("file overwritten without --force: %q", got)
	}

	_, stderr, code = runCLI(t, "migrate", fixtureJSON, "--output", out, "--force")
	if code != 0 {
		t.Fatalf("--force: exit %d: %s", code, stderr)
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, first) {
		t.Errorf("--force did not write the conversion")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestMigrateErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "static.json")
	must(t, os.WriteFile(bad, []byte("{\n  \"root\": \"dist/\",\n  \"clean_url\": true\n}\n"), 0o644))
	wrongType := filepath.Join(dir, "wrong.json")
	must(t, os.WriteFile(wrongType, []byte(`{"https_only": "yes"}`), 0o644))
	syntax := filepath.Join(dir, "syntax.json")
	must(t, os.WriteFile(syntax, []byte(`{"root": "dist/",}`), 0o644))
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"unknown key", []string{"migrate", bad}, 1, []string{`static.json:3:3: key "clean_url": unknown key`, `did you mean "clean_urls"?`}},
		{"wrong type", []string{"migrate", wrongType}, 1, []string{`wrong.json:1:16: key "https_only": expected true or false`, "without quotes"}},
		{"syntax", []string{"migrate", syntax}, 1, []string{"syntax.json:1:18: invalid JSON", "comma"}},
		{"missing file", []string{"migrate", filepath.Join(dir, "nope.json")}, 2, []string{"nope.json does not exist", "pass the path"}},
		{"two files", []string{"migrate", bad, bad}, 2, []string{"one file or directory, got 2"}},
		{"unknown flag", []string{"migrate", "--out", "x"}, 2, []string{"unknown flag: --out", "--help"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d (%s)", code, tc.code, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout on error: %q", stdout)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("error %q lacks %q", stderr, w)
				}
			}
			if strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("error is not one line: %q", stderr)
			}
		})
	}
}

func fixtureDir(name string) string { return filepath.Join("..", "integration", "testdata", name) }

// A directory: the one configuration file there is migrated, the root's
// _redirects and _headers are checked and left where the build reads them.
func TestMigrateDirectories(t *testing.T) {
	for _, tc := range []struct {
		dir    string
		want   []string
		stderr string
	}{
		{"fmt-netlify-toml", []string{`root = "dist"`, `language = ["en"]`, `country = ["US"]`, "[[proxies]]", `X-From = "Netlify"`,
			"NOT MIGRATED: netlify.toml: build.command", "Every response carries hardened security headers"}, "1 settings or rules of"},
		{"fmt-vercel", []string{`trailing_slash = "never"`, "status = 308", `key = "x-vercel-ip-country"`, `to = "/uk/shop/:splat"`,
			`NOT MIGRATED: vercel.json:10:1: source "/:path((?!uk/).*)"`}, "2 settings or rules of"},
		{"fmt-firebase", []string{`root = "public"`, `to = "https://blog.myapp.com/:splat"`, `[headers."/**/*.woff"]`,
			"NOT MIGRATED: firebase.json:14:1: a rewrite to a Cloud Function", "NOT MIGRATED: firebase.json:31: i18n"}, "2 settings or rules of"},
		{"fmt-netlify", []string{"_redirects stays as it is: the build reads it from the site root (8 redirects, 4 rewrites, 0 proxies, 0 header rules)",
			"_headers stays as it is", "without a status (line 17)"}, ""},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, "migrate", fixtureDir(tc.dir))
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(flat(stdout), w) {
					t.Errorf("output lacks %q:\n%s", w, stdout)
				}
			}
			if !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stderr %q lacks %q", stderr, tc.stderr)
			}
			if _, err := config.Parse(config.FileName, []byte(stdout)); err != nil {
				t.Errorf("output is not a valid static.toml: %v", err)
			}
		})
	}
}

// One _redirects file: its rules as static.toml, with a warning that the
// build reads the file by itself.
func TestMigrateRedirectsFile(t *testing.T) {
	stdout, _, code := runCLI(t, "migrate", filepath.Join(fixtureDir("fmt-netlify"), "public", "_redirects"))
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, w := range []string{"[[redirects]]", `from = "/store"`, `id = ":id"`, "status = 404", "The build reads _redirects from the top of the site root by itself"} {
		if !strings.Contains(flat(stdout), w) {
			t.Errorf("output lacks %q:\n%s", w, stdout)
		}
	}
}

func TestMigrateFormatErrors(t *testing.T) {
	dir := t.TempDir()
	unknown := filepath.Join(dir, "rules.txt")
	must(t, os.WriteFile(unknown, []byte("hello world\n"), 0o644))
	badLine := filepath.Join(dir, "_redirects")
	must(t, os.WriteFile(badLine, []byte("/a /b 301\n/c /d 30x\n"), 0o644))
	big := filepath.Join(dir, "big", "netlify.toml")
	must(t, os.MkdirAll(filepath.Dir(big), 0o755))
	must(t, os.WriteFile(big, bytes.Repeat([]byte("# x\n"), 1<<18+1), 0o644))
	zero := filepath.Join(dir, "zero", "vercel.json")
	must(t, os.MkdirAll(filepath.Dir(zero), 0o755))
	must(t, os.Symlink("/dev/zero", zero))
	empty := filepath.Join(dir, "empty")
	must(t, os.MkdirAll(empty, 0o755))
	done := filepath.Join(dir, "done")
	must(t, os.MkdirAll(done, 0o755))
	must(t, os.WriteFile(filepath.Join(done, "static.toml"), []byte(""), 0o644))
	both := filepath.Join(dir, "both")
	must(t, os.MkdirAll(both, 0o755))
	must(t, os.WriteFile(filepath.Join(both, "vercel.json"), []byte("{}"), 0o644))
	must(t, os.WriteFile(filepath.Join(both, "netlify.toml"), []byte(""), 0o644))
	for _, tc := range []struct {
		name string
		path string
		code int
		want string
	}{
		{"unknown format", unknown, 2, "rules.txt: cannot tell its format"},
		{"bad line", badLine, 1, `_redirects:2:1: "30x" is not a status code`},
		{"too large", big, 1, "netlify.toml is larger than 1 MiB"},
		{"link to a device", zero, 1, "vercel.json"},
		{"nothing to migrate", empty, 2, "holds nothing to migrate"},
		{"two configurations", both, 2, "holds netlify.toml and vercel.json: pass the one to migrate"},
		{"already static.toml", done, 2, "already has a static.toml and nothing to migrate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, "migrate", tc.path)
			if code != tc.code || !strings.Contains(stderr, tc.want) || stdout != "" {
				t.Errorf("exit %d (want %d), stderr %q (want %q), stdout %q", code, tc.code, stderr, tc.want, stdout)
			}
		})
	}
}

// flat joins the wrapped lines of the notes and collapses white space.
func flat(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n#    ", " ")), " ")
}

// -o says what to do with the file migrated.
func TestMigrateOutputAdvice(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ in, want string }{
		{filepath.Join(fixtureDir("fmt-netlify"), "public", "_redirects"), "the build also reads _redirects from the site root, so delete"},
		{filepath.Join(fixtureDir("fmt-vercel"), "vercel.json"), "this buildpack does not read vercel.json"},
		{fixtureJSON, "static.toml takes precedence over static.json"},
		{fixtureDir("fmt-netlify"), "the site root's _redirects and _headers stay"},
	} {
		out := filepath.Join(dir, filepath.Base(tc.in)+".toml")
		_, stderr, code := runCLI(t, "migrate", tc.in, "-o", out)
		if code != 0 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: exit %d, %q, want %q", tc.in, code, stderr, tc.want)
		}
	}
}
