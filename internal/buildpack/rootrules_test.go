package buildpack

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The plan reads the root's _redirects and _headers, and names the other
// hosts' files it does not read, until a static.toml exists.
func TestPlanOtherHostsFiles(t *testing.T) {
	app := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		p := filepath.Join(app, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("public/index.html", "<!doctype html><title>x</title>")
	write("public/_redirects", "/old /new 302\n")
	write("vercel.json", `{"cleanUrls": true}`)
	var log bytes.Buffer
	p, err := NewPlan(Options{AppDir: app, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	m := p.Manifest
	out := log.String()
	for _, want := range []string{
		"WARNING: vercel.json is not read by this buildpack: none of its rules apply. `static-server migrate vercel.json` prints the equivalent static.toml",
		"Rules: _redirects in the root, applied before static.toml's (never served)",
		`to = "/new"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plan output lacks %q:\n%s", want, out)
		}
	}
	if len(m.Config.Redirects) != 1 || m.Config.Redirects[0].To != "/new" || !strings.Contains(strings.Join(m.Hide, " "), "_redirects") {
		t.Errorf("manifest redirects %+v, hide %v", m.Config.Redirects, m.Hide)
	}
	if !strings.Contains(strings.Join(p.Warnings, "\n"), "vercel.json is not read by this buildpack") {
		t.Errorf("plan warnings %q", p.Warnings)
	}

	write("static.toml", "")
	log.Reset()
	if _, err := NewPlan(Options{AppDir: app, Log: &log}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(log.String(), "vercel.json is not read") {
		t.Errorf("warns with a static.toml:\n%s", log.String())
	}

	write("public/_redirects", "/old /new 302\n/x /y 302 Role=admin\n")
	if _, err := NewPlan(Options{AppDir: app, Log: &log}); err == nil || !strings.Contains(err.Error(), "_redirects:2:1: Role=") {
		t.Errorf("a refused rule: %v", err)
	}
}
