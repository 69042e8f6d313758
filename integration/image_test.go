package integration

import (
	"archive/tar"
	"context"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/hardstatic/buildpack/integration/lifecycle"
)

// TestPackagedImage is the whole path a platform takes, with the buildpack as
// it is shipped: the .cnb from `make package` (not the source tree) goes
// through analyze, detect, build and export into an OCI registry (in this
// process) on top of a run image the test makes; the image is pulled,
// unpacked into a directory, checked (entrypoint, labels, layers, SBOM), and
// its web process, started by the image's own launcher as uid 1000, serves
// the site.
func TestPackagedImage(t *testing.T) {
	t.Parallel()
	cnb := packagedBuildpack(t)
	bpDir := unpackBuildpackage(t, cnb)

	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(reg.Close)
	host := strings.TrimPrefix(reg.URL, "http://")
	runRef := host + "/hardstatic/run:test"
	appRef := host + "/hardstatic/app:test"
	pushRunImage(t, runRef)

	ws, err := lifecycle.NewWorkspace(lifecycle.Options{Tools: tools, App: filepath.Join("testdata", "plain"), Buildpack: bpDir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() && os.Getenv("HARDSTATIC_KEEP_WORKSPACE") != "" {
			t.Logf("workspace kept at %s", ws.Dir)
			return
		}
		_ = ws.Close()
	})
	uid, gid := strconv.Itoa(os.Getuid()), strconv.Itoa(os.Getgid())
	if os.Geteuid() == 0 {
		uid, gid = strconv.Itoa(lifecycle.BuildUID), strconv.Itoa(lifecycle.BuildGID)
	}
	analyzed := filepath.Join(ws.LayersDir, "analyzed.toml")

	start := time.Now()
	runLifecyclePhase(t, ws, "analyzer", "-layers", ws.LayersDir, "-analyzed", analyzed, "-run-image", runRef,
		"-insecure-registry", host, "-uid", uid, "-gid", gid, "-log-level", "debug", "-no-color", appRef)
	detect(t, ws)
	buildOut := build(t, ws)
	if !strings.Contains(buildOut, "Server: new layer") {
		t.Errorf("build output does not show a new server layer:\n%s", buildOut)
	}
	runLifecyclePhase(t, ws, "exporter", "-app", ws.AppDir, "-layers", ws.LayersDir, "-analyzed", analyzed,
		"-group", filepath.Join(ws.LayersDir, "group.toml"), "-launcher", filepath.Join(ws.Dir, "cnb", "lifecycle", "launcher"),
		"-insecure-registry", host, "-uid", uid, "-gid", gid, "-log-level", "debug", "-no-color", appRef)
	t.Logf("analyze, detect, build, export: %s", time.Since(start).Round(time.Millisecond))

	ref, err := name.ParseReference(appRef, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(ref)
	if err != nil {
		t.Fatalf("pulling %s: %v", appRef, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}

	t.Run("config", func(t *testing.T) {
		if got := cf.Config.Entrypoint; len(got) != 1 || got[0] != "/cnb/process/web" {
			t.Errorf("entrypoint %q, want [/cnb/process/web]", got)
		}
		if cf.OS != "linux" || cf.Architecture != runtime.GOARCH {
			t.Errorf("platform %s/%s", cf.OS, cf.Architecture)
		}
		if cf.Config.WorkingDir != ws.AppDir {
			t.Errorf("working dir %q, want %q", cf.Config.WorkingDir, ws.AppDir)
		}
		for _, want := range []string{"CNB_LAYERS_DIR=" + ws.LayersDir, "CNB_APP_DIR=" + ws.AppDir} {
			if !slices.Contains(cf.Config.Env, want) {
				t.Errorf("env lacks %s: %q", want, cf.Config.Env)
			}
		}
	})

	t.Run("labels", func(t *testing.T) {
		var lmd struct {
			App        []any `json:"app"`
			Buildpacks []struct {
				Key    string         `json:"key"`
				Layers map[string]any `json:"layers"`
			} `json:"buildpacks"`
			Launcher struct{ SBOM any } `json:"launcher"`
			BOM      any                `json:"sbom"`
			RunImage struct {
				Reference string `json:"reference"`
			} `json:"runImage"`
		}
		if err := json.Unmarshal([]byte(cf.Config.Labels["io.buildpacks.lifecycle.metadata"]), &lmd); err != nil {
			t.Fatalf("io.buildpacks.lifecycle.metadata: %v (%q)", err, cf.Config.Labels["io.buildpacks.lifecycle.metadata"])
		}
		if len(lmd.Buildpacks) != 1 || lmd.Buildpacks[0].Key != ws.BuildpackID {
			t.Errorf("lifecycle metadata buildpacks: %+v", lmd.Buildpacks)
		} else {
			for _, l := range []string{"server", "site"} {
				if _, ok := lmd.Buildpacks[0].Layers[l]; !ok {
					t.Errorf("lifecycle metadata has no %s layer: %+v", l, lmd.Buildpacks[0].Layers)
				}
			}
		}
		if lmd.BOM == nil {
			t.Errorf("lifecycle metadata records no SBOM layer")
		}
		var bmd struct {
			Buildpacks []struct{ ID, Version string } `json:"buildpacks"`
			Processes  []struct {
				Type    string   `json:"type"`
				Command []string `json:"command"`
				Args    []string `json:"args"`
			} `json:"processes"`
		}
		if err := json.Unmarshal([]byte(cf.Config.Labels["io.buildpacks.build.metadata"]), &bmd); err != nil {
			t.Fatalf("io.buildpacks.build.metadata: %v", err)
		}
		if len(bmd.Buildpacks) != 1 || bmd.Buildpacks[0].ID != ws.BuildpackID || bmd.Buildpacks[0].Version != ws.BuildpackVersion {
			t.Errorf("build metadata buildpacks: %+v", bmd.Buildpacks)
		}
		if len(bmd.Processes) != 1 || bmd.Processes[0].Type != "web" {
			t.Errorf("build metadata processes: %+v", bmd.Processes)
		}
	})

	rootfs := filepath.Join(ws.Dir, "rootfs")
	if err := extractImage(mutate.Extract(img), rootfs); err != nil {
		t.Fatalf("extracting the image: %v", err)
	}
	inImage := func(p string) string { return filepath.Join(rootfs, p) }
	bpLayers := filepath.Join(ws.LayersDir, strings.ReplaceAll(ws.BuildpackID, "/", "_"))

	t.Run("files", func(t *testing.T) {
		for _, f := range []string{
			"/cnb/lifecycle/launcher",
			filepath.Join(bpLayers, "server", "bin", "static-server"),
			filepath.Join(ws.LayersDir, "config", "metadata.toml"),
			filepath.Join(ws.AppDir, "index.html"),
		} {
			if info, err := os.Stat(inImage(f)); err != nil || !info.Mode().IsRegular() {
				t.Errorf("%s is not a file in the image: %v", f, err)
			}
		}
		if target, err := os.Readlink(inImage("/cnb/process/web")); err != nil || target != "/cnb/lifecycle/launcher" {
			t.Errorf("/cnb/process/web -> %q (%v), want /cnb/lifecycle/launcher", target, err)
		}
		if info, err := os.Stat(inImage(filepath.Join(bpLayers, "server", "bin", "static-server"))); err == nil && info.Mode().Perm()&0o111 == 0 {
			t.Errorf("the server is not executable: %v", info.Mode())
		}
	})

	t.Run("sbom", func(t *testing.T) {
		file := inImage(filepath.Join(ws.LayersDir, "sbom", "launch", strings.ReplaceAll(ws.BuildpackID, "/", "_"), "server", "sbom.cdx.json"))
		data, err := os.ReadFile(file)
		if err != nil {
			var found []string
			_ = filepath.WalkDir(inImage(filepath.Join(ws.LayersDir, "sbom")), func(p string, _ fs.DirEntry, _ error) error {
				found = append(found, p)
				return nil
			})
			t.Fatalf("no server SBOM in the image: %v; under layers/sbom: %q", err, found)
		}
		var bom struct {
			BOMFormat   string `json:"bomFormat"`
			SpecVersion string `json:"specVersion"`
			Metadata    struct {
				Component struct{ Name, Version string }
			}
			Components []struct {
				Name, Version, PURL string
				Licenses            []struct{ License struct{ ID string } }
			}
		}
		if err := json.Unmarshal(data, &bom); err != nil {
			t.Fatal(err)
		}
		if bom.BOMFormat != "CycloneDX" || bom.SpecVersion != "1.5" || bom.Metadata.Component.Name != "github.com/hardstatic/buildpack" {
			t.Errorf("SBOM header: %s %s %+v", bom.BOMFormat, bom.SpecVersion, bom.Metadata.Component)
		}
		var caddy bool
		for _, c := range bom.Components {
			if c.Name == "github.com/caddyserver/caddy/v2" {
				caddy = strings.HasPrefix(c.PURL, "pkg:golang/github.com/caddyserver/caddy/v2@v2.") &&
					len(c.Licenses) == 1 && c.Licenses[0].License.ID == "Apache-2.0"
			}
		}
		if !caddy {
			t.Errorf("the SBOM lacks Caddy with its version and licence (%d components)", len(bom.Components))
		}
	})

	t.Run("serves", func(t *testing.T) {
		// The image records absolute app and layers paths: put the image's
		// copies where they say, in place of the build's, and start the
		// image's launcher under the name of the process type.
		for _, d := range []string{ws.AppDir, ws.LayersDir} {
			if err := os.RemoveAll(d); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(inImage(d), d); err != nil {
				t.Fatal(err)
			}
		}
		web := filepath.Join(ws.Dir, "cnb", "process", "web")
		if err := os.Remove(web); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(inImage("/cnb/lifecycle/launcher"), web); err != nil {
			t.Fatal(err)
		}
		env := map[string]string{}
		for _, kv := range cf.Config.Env {
			if k, v, ok := strings.Cut(kv, "="); ok {
				env[k] = v
			}
		}
		srv := launch(t, ws, env)
		resp, body := get(t, srv, "/")
		expectStatus(t, "/", resp, body, http.StatusOK, "PLAIN-SITE-HOME")
		checkDefaultHeaders(t, "GET / from the image", resp.Header)
		resp, body = get(t, srv, "/no-such-page")
		expectStatus(t, "/no-such-page", resp, body, http.StatusNotFound, "PLAIN-SITE-NOT-FOUND-PAGE")
		if os.Geteuid() == 0 {
			status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", srv.Pid))
			if err != nil {
				t.Fatal(err)
			}
			if uid := procField(string(status), "Uid:"); len(strings.Fields(uid)) == 0 || strings.Fields(uid)[0] != strconv.Itoa(lifecycle.BuildUID) {
				t.Errorf("the web process runs with Uid %q, want %d", uid, lifecycle.BuildUID)
			}
		}
	})
}

// packagedBuildpack is dist/<id>-<version>-<arch>.cnb from `make package`.
// The test is skipped when it is missing, except in CI, where `make test`
// builds it first and its absence is a failure.
func packagedBuildpack(t *testing.T) string {
	t.Helper()
	root, err := lifecycle.FindRepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	matches, _ := filepath.Glob(filepath.Join(root, "dist", "*-"+runtime.GOARCH+".cnb"))
	if len(matches) == 0 {
		if os.Getenv("CI") == "" {
			t.Skipf("no dist/*-%s.cnb: run `make package` (make test-integration does)", runtime.GOARCH)
		}
		t.Fatalf("no dist/*-%s.cnb in CI: `make test-integration` should have run `make package`", runtime.GOARCH)
	}
	if len(matches) > 1 {
		t.Fatalf("more than one packaged buildpack for %s: %q; run `make clean package`", runtime.GOARCH, matches)
	}
	return matches[0]
}

// unpackBuildpackage reads the .cnb (an OCI image layout in a tar) and
// extracts its buildpack layer; it returns the buildpack's directory,
// <dir>/cnb/buildpacks/<escaped id>/<version>.
func unpackBuildpackage(t *testing.T, cnb string) string {
	t.Helper()
	return unpackBuildpackageFor(t, cnb, runtime.GOARCH)
}

// unpackBuildpackageFor is unpackBuildpackage for a package of arch.
func unpackBuildpackageFor(t *testing.T, cnb, arch string) string {
	t.Helper()
	lay := t.TempDir()
	if err := untar(cnb, lay); err != nil {
		t.Fatalf("unpacking %s: %v", cnb, err)
	}
	idx, err := layout.ImageIndexFromPath(lay)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 {
		t.Fatalf("%s holds %d manifests, want 1", cnb, len(im.Manifests))
	}
	img, err := idx.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	var meta struct{ ID, Version string }
	if err := json.Unmarshal([]byte(cf.Config.Labels["io.buildpacks.buildpackage.metadata"]), &meta); err != nil {
		t.Fatalf("io.buildpacks.buildpackage.metadata: %v", err)
	}
	if cf.Architecture != arch || cf.OS != "linux" {
		t.Errorf("%s is for %s/%s", cnb, cf.OS, cf.Architecture)
	}
	dir := filepath.Join(t.TempDir(), "bp")
	if err := extractImage(mutate.Extract(img), dir); err != nil {
		t.Fatal(err)
	}
	bp := filepath.Join(dir, "cnb", "buildpacks", strings.ReplaceAll(meta.ID, "/", "_"), meta.Version)
	for _, link := range []string{"detect", "build"} {
		if target, err := os.Readlink(filepath.Join(bp, "bin", link)); err != nil || target != "main" {
			t.Errorf("bin/%s in the package -> %q (%v), want a symlink to main", link, target, err)
		}
	}
	return bp
}

// pushRunImage makes a minimal run image: a user 1000, the CNB_USER_ID and
// CNB_GROUP_ID the exporter needs, and the target labels of a base image.
func pushRunImage(t *testing.T, ref string) {
	t.Helper()
	files := map[string]string{ //nolint:gosec // G101: an /etc/passwd with no passwords
		"etc/passwd":     "root:x:0:0:root:/root:/sbin/nologin\ncnb:x:1000:1000:cnb:/home/cnb:/sbin/nologin\n",
		"etc/group":      "root:x:0:\ncnb:x:1000:\n",
		"etc/os-release": "ID=hardstatic-test\nVERSION_ID=1\n",
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		pr, pw := io.Pipe()
		go func() {
			tw := tar.NewWriter(pw)
			for _, d := range []string{"etc/", "tmp/", "home/", "home/cnb/"} {
				mode := int64(0o755)
				if d == "tmp/" {
					mode = 0o1777
				}
				_ = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d, Mode: mode})
			}
			for _, n := range []string{"etc/passwd", "etc/group", "etc/os-release"} {
				_ = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: n, Mode: 0o644, Size: int64(len(files[n]))})
				_, _ = tw.Write([]byte(files[n]))
			}
			pw.CloseWithError(tw.Close())
		}()
		return pr, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	cf.Config.User = "1000:1000"
	cf.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "CNB_USER_ID=1000", "CNB_GROUP_ID=1000"}
	cf.Config.Labels = map[string]string{
		"io.buildpacks.stack.id":               "io.hardstatic.test",
		"io.buildpacks.base.distro.name":       "hardstatic-test",
		"io.buildpacks.base.distro.version":    "1",
		"io.buildpacks.base.maintainer":        "hardstatic tests",
		"io.buildpacks.rebasable":              "true",
		"org.opencontainers.image.ref.name":    "run",
		"org.opencontainers.image.description": "synthetic run image for TestPackagedImage",
	}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatalf("pushing the run image: %v", err)
	}
}

// runLifecyclePhase runs a phase the harness has no method for (analyzer,
// exporter) and fails the test unless it succeeds.
func runLifecyclePhase(t *testing.T, ws *lifecycle.Workspace, phase string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := ws.RunPhase(ctx, phase, args...)
	if err != nil {
		t.Fatal(err)
	}
	logOnFailure(t, phase, out)
	return out
}

// extractImage writes an image's flattened file system (mutate.Extract)
// into dir, keeping modes, symlinks and (when we are root) owners.
func extractImage(rc io.ReadCloser, dir string) error {
	defer rc.Close() //nolint:errcheck // read-only
	return untarStream(rc, dir)
}

func untar(file, dir string) error {
	f, err := os.Open(file) //nolint:gosec // a build product
	if err != nil {
		return err
	}
	defer f.Close() //nolint:errcheck // read-only
	return untarStream(f, dir)
}

func untarStream(r io.Reader, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	root := os.Geteuid() == 0
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		rel := filepath.Clean(strings.TrimPrefix(h.Name, "/"))
		if rel == "." {
			continue
		}
		if !filepath.IsLocal(rel) {
			return fmt.Errorf("tar entry %q leaves the directory", h.Name)
		}
		target := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		mode := h.FileInfo().Mode() & (os.ModePerm | os.ModeSetuid | os.ModeSetgid | os.ModeSticky)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
			if err := os.Chmod(target, mode); err != nil {
				return err
			}
		case tar.TypeReg:
			_ = os.Remove(target)
			f, err := os.OpenFile(target, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600) //nolint:gosec // inside dir
			if err != nil {
				return err
			}
			if _, err := io.Copy(f, tr); err != nil { //nolint:gosec // our own image
				_ = f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			if err := os.Chmod(target, mode); err != nil {
				return err
			}
		case tar.TypeSymlink:
			_ = os.Remove(target)
			if err := os.Symlink(h.Linkname, target); err != nil {
				return err
			}
		case tar.TypeLink:
			src := filepath.Clean(strings.TrimPrefix(h.Linkname, "/"))
			if !filepath.IsLocal(src) {
				return fmt.Errorf("hard link %q leaves the directory", h.Linkname)
			}
			_ = os.Remove(target)
			if err := os.Link(filepath.Join(dir, src), target); err != nil {
				return err
			}
		default:
			continue
		}
		if root {
			if err := os.Lchown(target, h.Uid, h.Gid); err != nil {
				return err
			}
		}
	}
}

// Every packaged architecture holds binaries for that architecture, the bin
// symlinks, buildpack.toml and the licence table of the SBOM.
func TestPackagedArchitectures(t *testing.T) {
	t.Parallel()
	packagedBuildpack(t) // skips, or fails in CI, when there is no package
	root, err := lifecycle.FindRepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	machines := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}
	for arch, machine := range machines {
		t.Run(arch, func(t *testing.T) {
			matches, _ := filepath.Glob(filepath.Join(root, "dist", "*-"+arch+".cnb"))
			if len(matches) != 1 {
				t.Fatalf("dist/*-%s.cnb: %q, want one file (make package builds every architecture)", arch, matches)
			}
			bp := unpackBuildpackageFor(t, matches[0], arch)
			for _, bin := range []string{"main", "static-server"} {
				f, err := elf.Open(filepath.Join(bp, "bin", bin))
				if err != nil {
					t.Fatalf("bin/%s: %v", bin, err)
				}
				if f.Machine != machine {
					t.Errorf("bin/%s is for %v, want %v", bin, f.Machine, machine)
				}
				_ = f.Close()
			}
			for _, file := range []string{"buildpack.toml", "bin/static-server.licenses.json"} {
				if _, err := os.Stat(filepath.Join(bp, file)); err != nil {
					t.Errorf("the package lacks %s: %v", file, err)
				}
			}
		})
	}
}

// procField is the rest of the first line of text that starts with prefix.
func procField(text, prefix string) string {
	for line := range strings.SplitSeq(text, "\n") {
		if rest, ok := strings.CutPrefix(line, prefix); ok {
			return strings.TrimSpace(rest)
		}
	}
	return ""
}
