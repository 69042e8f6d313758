package migrate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hardstatic/buildpack/internal/config"
)

// The root's _redirects and _headers come before static.toml's rules: the
// first matching redirect is _redirects', the last header table
// static.toml's.
func TestLoadRootFilesOrder(t *testing.T) {
	root := t.TempDir()
	writeRoot(t, root, RedirectsFile, "/old /from-redirects-file 302\n")
	writeRoot(t, root, HeadersFile, "/*\n  X-Who: headers-file\n")
	cfg, err := config.Parse(config.FileName, []byte("[[redirects]]\nfrom = \"/old\"\nto = \"/from-static-toml\"\n\n[headers.\"/**\"]\nX-Who = \"static.toml\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	before := *cfg
	merged, rules, err := LoadRootFiles(cfg, root)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Redirects) != len(before.Redirects) || len(cfg.HeaderRules) != len(before.HeaderRules) {
		t.Errorf("LoadRootFiles changed its argument: %+v", cfg)
	}
	cfg = merged
	if strings.Join(rules.Files, ",") != "_redirects,_headers" || !strings.Contains(string(rules.TOML), `to = "/from-redirects-file"`) || strings.Contains(string(rules.TOML), "from-static-toml") {
		t.Errorf("files %v, TOML:\n%s", rules.Files, rules.TOML)
	}
	if len(cfg.Redirects) != 2 || cfg.Redirects[0].To != "/from-redirects-file" || cfg.Redirects[1].To != "/from-static-toml" {
		t.Errorf("redirects %+v", cfg.Redirects)
	}
	if len(cfg.HeaderRules) != 2 || cfg.HeaderRules[0].Headers[0].Value != "headers-file" || cfg.HeaderRules[1].Headers[0].Value != "static.toml" {
		t.Errorf("header rules %+v", cfg.HeaderRules)
	}
}

func TestLoadRootFilesErrors(t *testing.T) {
	root := t.TempDir()
	def := config.Default()
	if got, rules, err := LoadRootFiles(def, root); got != def || rules != nil || err != nil {
		t.Errorf("no files: %v, %v, %v", got, rules, err)
	}
	writeRoot(t, root, RedirectsFile, "/a /b\n/c /d 200 Role=admin\n")
	writeRoot(t, root, HeadersFile, "/*\n  Basic-Auth: a:b\n")
	got, _, err := LoadRootFiles(config.Default(), root)
	if err == nil || !strings.Contains(err.Error(), "_redirects:2:1: Role=") || !strings.Contains(err.Error(), "_headers:2:1: Basic-Auth") {
		t.Errorf("refused rules: %v", err)
	}
	if got != nil {
		t.Errorf("a configuration although the build fails: %+v", got)
	}
	// Read as the other configuration files are: a link out of the root is
	// refused, nothing behind it is read.
	if err := os.Remove(filepath.Join(root, RedirectsFile)); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", filepath.Join(root, RedirectsFile)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadRootFiles(config.Default(), root); err == nil || !strings.Contains(err.Error(), RedirectsFile) {
		t.Errorf("link to /dev/zero: %v", err)
	}
}

func writeRoot(t *testing.T, root, name, text string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(root, name), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
