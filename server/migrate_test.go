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
		{"two files", []string{"migrate", bad, bad}, 2, []string{"one static.json, got 2"}},
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
