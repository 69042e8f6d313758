package config

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// repoRoot is the repository root, seen from this package's directory.
var repoRoot = filepath.Join("..", "..")

// taplo returns the taplo CLI that `make taplo` installs into .tools/. When
// it is missing the test fails on CI (CI is set) and is skipped elsewhere.
func taplo(t *testing.T) string {
	t.Helper()
	bin, err := filepath.Abs(filepath.Join(repoRoot, ".tools", "node_modules", ".bin", "taplo"))
	if err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(bin); err != nil || info.IsDir() {
		msg := "taplo is not installed at " + bin + "; run `make taplo` (npm install of @taplo/cli into .tools/)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return bin
}

var (
	taploInvalid  = regexp.MustCompile(`invalid file error=(.*) path="([^"]+)"`)
	taploLocation = regexp.MustCompile(`┌─ (.+):(\d+):(\d+)\s*$`)
)

// taploLint validates files against the schema in one run of taplo (each
// run costs seconds of node start-up). It returns, for every invalid file,
// taplo's errors about it.
func taploLint(t *testing.T, bin string, files []string) map[string][]string {
	t.Helper()
	schema, err := filepath.Abs(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	abs := make([]string, len(files))
	for i, f := range files {
		if abs[i], err = filepath.Abs(f); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// lint is taplo's name for the command (check and validate are aliases);
	// --no-auto-config keeps a stray .taplo.toml from changing the rules.
	args := append([]string{"lint", "--no-auto-config", "--colors", "never", "--schema", "file://" + schema}, abs...)
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	invalid := map[string][]string{}
	var msg string
	for _, line := range strings.Split(string(out), "\n") {
		switch {
		case strings.HasPrefix(line, "error: "):
			msg = strings.TrimPrefix(line, "error: ")
		case taploLocation.MatchString(line):
			m := taploLocation.FindStringSubmatch(line)
			invalid[m[1]] = append(invalid[m[1]], m[2]+":"+m[3]+": "+msg)
		case taploInvalid.MatchString(line):
			m := taploInvalid.FindStringSubmatch(line)
			if _, ok := invalid[m[2]]; !ok {
				invalid[m[2]] = []string{m[1]}
			}
		}
	}
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok || len(invalid) == 0 {
			t.Fatalf("running taplo: %v\n%s", err, out)
		}
	} else if len(invalid) > 0 {
		t.Fatalf("taplo succeeded but reported errors:\n%s", out)
	}
	for f := range invalid {
		if !Contains(abs, f) {
			t.Fatalf("taplo reported a file it was not given, %s:\n%s", f, out)
		}
	}
	result := map[string][]string{}
	for i, f := range abs {
		if errs, ok := invalid[f]; ok {
			result[files[i]] = errs
		}
	}
	return result
}

// siteConfigs finds the static.toml files of the examples and of the
// integration fixtures, except the deliberately broken bad-* fixtures.
func siteConfigs(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, dir := range []string{"examples", filepath.Join("integration", "testdata")} {
		err := filepath.WalkDir(filepath.Join(repoRoot, dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && strings.HasPrefix(d.Name(), "bad-") {
				return filepath.SkipDir
			}
			if !d.IsDir() && d.Name() == FileName {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return files
}

// TestTaploValidatesSiteConfigs checks every example and fixture static.toml
// against schema/static.schema.json with taplo, the validator editors use.
func TestTaploValidatesSiteConfigs(t *testing.T) {
	bin := taplo(t)
	files := siteConfigs(t)
	if len(files) == 0 {
		t.Fatal("found no static.toml under examples/ or integration/testdata/")
	}
	invalid := taploLint(t, bin, files)
	for _, f := range files {
		rel, _ := filepath.Rel(repoRoot, f)
		t.Run(filepath.ToSlash(rel), func(t *testing.T) {
			if errs, bad := invalid[f]; bad {
				t.Errorf("taplo rejects %s:\n  %s", rel, strings.Join(errs, "\n  "))
			}
			if _, err := Parse(FileName, mustRead(t, f)); err != nil {
				t.Errorf("Parse rejects %s: %v", rel, err)
			}
		})
	}
}

// TestTaploAgreesWithParse runs documents that Parse accepts and documents
// it rejects through taplo, so the schema is shown to reject what it must
// (the test cannot pass with a schema that accepts anything) and to accept
// everything EncodeTOML writes.
func TestTaploAgreesWithParse(t *testing.T) {
	bin := taplo(t)
	// What EncodeTOML writes (internal/migrate keeps these golden files).
	encoded := func(name string) string { return string(mustRead(t, filepath.Join("testdata", "encoded", name))) }
	tests := []struct {
		name  string
		doc   string
		valid bool
	}{
		{"kitchen sink", encoded("kitchen-sink.toml"), true},
		{"converted static.json", encoded("static-json.toml"), true},
		{"empty", "# nothing\n", true},
		{"unknown key", "roots = \"public\"\n", false},
		{"wrong type", "root = 5\n", false},
		{"bool as string", "clean_urls = \"yes\"\n", false},
		{"bad enum", "trailing_slash = \"sometimes\"\n", false},
		{"bad redirect status", "[[redirects]]\nfrom = \"/a\"\nto = \"/b\"\nstatus = 200\n", false},
		{"redirect without to", "[[redirects]]\nfrom = \"/a\"\n", false},
		{"unknown key in array table", "[[proxies]]\nfrom = \"/api/*\"\nto = \"https://api.example.com/\"\norigin = \"x\"\n", false},
		{"header glob without /", "[headers.\"*.js\"]\nCache-Control = \"no-cache\"\n", false},
		{"header value not a string", "[headers.\"/*.js\"]\nX-Max = 5\n", false},
		{"header name with token characters", "[headers.\"/x\"]\n\"X-A+B~1\" = \"y\"\n", true},
		{"header name with a space", "[headers.\"/x\"]\n\"Bad Name\" = \"y\"\n", false},
		{"unknown csp directive", "[csp]\nscripts-src = [\"https://x.example\"]\n", false},
		{"csp sources not a list", "[csp]\nscript-src = \"https://x.example\"\n", false},
		{"unknown basic_auth key", "[basic_auth]\nuser = \"x\"\n", false},
		{"conditions", conditionsDoc, true},
		{"condition tables", "[[redirects]]\nfrom = \"/a\"\nto = \"/b\"\n[[redirects.has]]\ntype = \"cookie\"\nkey = \"s\"\n[redirects.query]\nid = \":id\"\n", true},
		{"unknown match type", "[[redirects]]\nfrom = \"/a\"\nto = \"/b\"\nhas = [{ type = \"ip\", key = \"x\" }]\n", false},
		{"host match with key", "[[rewrites]]\nfrom = \"/a\"\nto = \"/b\"\nhas = [{ type = \"host\", key = \"x\", value = \"a\" }]\n", false},
		{"cookie match without key", "[[proxies]]\nfrom = \"/api/*\"\nto = \"https://api.example.com/\"\nmissing = [{ type = \"cookie\" }]\n", false},
		{"unknown match key", "[[redirects]]\nfrom = \"/a\"\nto = \"/b\"\nhas = [{ type = \"cookie\", key = \"a\", vaule = \"x\" }]\n", false},
		{"rewrite status 302", "[[rewrites]]\nfrom = \"/a\"\nto = \"/b\"\nstatus = 302\n", false},
		{"language not a list", "[[redirects]]\nfrom = \"/a\"\nto = \"/b\"\nlanguage = \"fr\"\n", false},
		{"bad country", "[[redirects]]\nfrom = \"/a\"\nto = \"/b\"\ncountry = [\"France\"]\n", false},
		{"bad country_header", "country_header = \"CF IPCountry\"\n", false},
		{"force not a bool", "[[redirects]]\nfrom = \"/a\"\nto = \"/b\"\nforce = \"no\"\n", false},
	}
	// The other golden files: what migrate prints for each format.
	goldens, _ := filepath.Glob(filepath.Join("testdata", "encoded", "*.toml"))
	for _, g := range goldens {
		if name := filepath.Base(g); name != "kitchen-sink.toml" && name != "static-json.toml" {
			tests = append(tests, struct {
				name  string
				doc   string
				valid bool
			}{"migrated " + name, encoded(name), true})
		}
	}
	dir := t.TempDir()
	files := make([]string, len(tests))
	for i, tc := range tests {
		files[i] = filepath.Join(dir, fmt.Sprintf("case%02d.toml", i))
		if err := os.WriteFile(files[i], []byte(tc.doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	invalid := taploLint(t, bin, files)
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, perr := Parse(FileName, []byte(tc.doc))
			if (perr == nil) != tc.valid {
				t.Errorf("Parse: valid = %v, want %v (%v)", perr == nil, tc.valid, perr)
			}
			errs, bad := invalid[files[i]]
			if bad == tc.valid {
				t.Errorf("taplo: valid = %v, want %v\n%s\n  %s", !bad, tc.valid, tc.doc, strings.Join(errs, "\n  "))
			}
		})
	}
}
