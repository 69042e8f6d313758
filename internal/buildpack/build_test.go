package buildpack

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/buildpacks/libcnb/v2"

	"github.com/hardstatic/buildpack/internal/manifest"
	"github.com/hardstatic/buildpack/internal/site/table"
)

// buildContext is what the lifecycle gives the build: the app, this
// buildpack (with a Go program as its server binary, for the SBOM) and an
// empty layers directory.
func buildContext(t *testing.T, app string) libcnb.BuildContext {
	t.Helper()
	bp := t.TempDir()
	if err := os.MkdirAll(filepath.Join(bp, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := copyFile(self, filepath.Join(bp, "bin", ServerBinary), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bp, "bin", ServerBinary+".licenses.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	return libcnb.BuildContext{
		ApplicationPath: app,
		Buildpack:       libcnb.Buildpack{Path: bp, Info: libcnb.BuildpackInfo{ID: "hardstatic/static-site", Name: "Test Buildpack", Version: "9.9.9"}},
		Layers:          libcnb.Layers{Path: t.TempDir()},
		Platform:        libcnb.Platform{Environment: libcnb.Environment{}},
	}
}

// TestBuildResult runs the build phase on an app directory and checks what
// it hands the lifecycle: the layers, the web process, the manifest the
// process names (with its file table) and the log.
func TestBuildResult(t *testing.T) {
	app := writeTree(t, map[string]string{
		"static.toml":       "root = \"public\"\n[csp]\nreport_only = true\n[headers.\"/assets/**\"]\nCache-Control = \"public, max-age=60\"\n",
		"public/index.html": `<h1>home</h1><script src="/app.js"></script>`,
		"public/app.js":     "console.log(1)",
		"public/404.html":   "gone",
	})
	ctx := buildContext(t, app)
	var log bytes.Buffer
	result, err := build(ctx, &log)
	if err != nil {
		t.Fatalf("build: %v\n%s", err, log.String())
	}

	var names []string
	for _, l := range result.Layers {
		names = append(names, l.Name)
		if !l.Launch || l.Build {
			t.Errorf("layer %s: types %+v, want a launch layer only", l.Name, l.LayerTypes)
		}
	}
	if strings.Join(names, ",") != "server,site,compressed" {
		t.Errorf("layers %v, want server, site, compressed", names)
	}
	server := filepath.Join(ctx.Layers.Path, serverLayerName, "bin", ServerBinary)
	manifestFile := filepath.Join(ctx.Layers.Path, siteLayerName, manifest.FileName)
	if len(result.Processes) != 1 {
		t.Fatalf("processes %+v, want the web process only", result.Processes)
	}
	web := result.Processes[0]
	if web.Type != "web" || !web.Default || !slices.Equal(web.Command, []string{server}) ||
		!slices.Equal(web.Arguments, []string{"serve", "--manifest", manifestFile}) {
		t.Errorf("process %+v, want the default web process %s serve --manifest %s", web, server, manifestFile)
	}
	if _, err := os.Stat(server); err != nil {
		t.Errorf("the server binary is not in its layer: %v", err)
	}

	m, err := manifest.Read(manifestFile)
	if err != nil {
		t.Fatal(err)
	}
	index := filepath.Join(ctx.Layers.Path, siteLayerName, table.FileName)
	if m.Root != "public" || m.Source != "static.toml" || m.PolicyHeader != "Content-Security-Policy-Report-Only" ||
		m.FilesIndex != index || m.Config.NotFound != "404.html" || !slices.Contains(m.Hide, "static.toml") {
		t.Errorf("manifest: root %q source %q policy header %q files index %q not_found %q hide %v",
			m.Root, m.Source, m.PolicyHeader, m.FilesIndex, m.Config.NotFound, m.Hide)
	}
	if len(m.Config.HeaderRules) != 1 || m.Config.HeaderRules[0].Glob != "/assets/**" {
		t.Errorf("manifest header rules: %+v", m.Config.HeaderRules)
	}
	files, err := table.Read(m.FilesIndex)
	if err != nil {
		t.Fatalf("the file table the manifest names: %v", err)
	}
	var served []string
	for name := range files.Files {
		served = append(served, name)
	}
	slices.Sort(served)
	if strings.Join(served, ",") != "404.html,app.js,index.html" {
		t.Errorf("file table lists %v, want the three files of the root", served)
	}
	if m.Files == nil || m.Files.Count != 3 || m.Files.Bytes == 0 || !strings.HasPrefix(m.Files.Summary, "3 files, ") {
		t.Errorf("manifest files: %+v", m.Files)
	}
	page, err := os.ReadFile(filepath.Join(app, "public", "index.html"))
	if err != nil || !strings.Contains(string(page), `integrity="sha384-`) {
		t.Errorf("the build did not add Subresource Integrity to the page: %s %v", page, err)
	}

	for _, want := range []string{
		"Test Buildpack 9.9.9\n  Config: static.toml\n  Root: public/ (static.toml sets root = \"public\")\n",
		"WARNING: csp.report_only = true",
		"Headers for /assets/**:\n    Cache-Control: public, max-age=60\n",
		"Server: new layer (sha256 ",
		"Files: " + m.Files.Summary + "\n",
		"Process web: static-server serve (listens on $PORT, default 8080)\n",
	} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("the log lacks %q:\n%s", want, log.String())
		}
	}
}

// A configuration error stops the build before any layer is made, and the
// log names the file, line and key.
func TestBuildStopsOnABadConfig(t *testing.T) {
	app := writeTree(t, map[string]string{"static.toml": "roots = \"public\"\n", "public/index.html": "x"})
	ctx := buildContext(t, app)
	var log bytes.Buffer
	_, err := build(ctx, &log)
	if !errors.Is(err, errStopped) {
		t.Fatalf("build: %v, want it stopped", err)
	}
	if want := "  Build failed:\n    static.toml:1:1: key \"roots\": unknown key (did you mean \"root\"?)"; !strings.Contains(log.String(), want) {
		t.Errorf("the log lacks %q:\n%s", want, log.String())
	}
	if entries, _ := os.ReadDir(ctx.Layers.Path); len(entries) != 0 {
		t.Errorf("a failed build left layers: %v", entries)
	}
}
