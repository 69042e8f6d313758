package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hardstatic/buildpack/integration/engine"
	"github.com/hardstatic/buildpack/integration/lifecycle"
)

// engineEnv is what the container-engine tests share: a podman service
// speaking the Docker API, the pack CLI, and the example builder made from
// examples/builder/builder.toml.
type engineEnv struct {
	ctx  context.Context // bounds every command of the test
	eng  *engine.Engine
	pack string
	root string
}

// startEngine starts the engine and makes (or finds, up to date) the base
// images and the builder. Where the engine cannot run, the test is skipped
// saying why, or fails under CI=true.
func startEngine(ctx context.Context, t *testing.T) *engineEnv {
	t.Helper()
	root, err := lifecycle.FindRepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	unavailable := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("CI") == "" {
			t.Skipf(format, args...)
		}
		t.Fatalf(format+" (CI=true: the container-engine tests must run)", args...)
	}
	pack := filepath.Join(root, ".tools", "pack")
	if _, err := os.Stat(pack); err != nil {
		unavailable("no .tools/pack: run `make package` (make test-integration does)")
	}
	packagedBuildpack(t)
	lifecycleTGZ, _ := filepath.Glob(filepath.Join(root, "dist", "lifecycle-v"+lifecycle.Version+"+linux.*.tgz"))
	if len(lifecycleTGZ) != 1 {
		unavailable("dist/lifecycle-v%s+linux.*.tgz: %q, want one: run `make lifecycle-package` (make test-integration does)", lifecycle.Version, lifecycleTGZ)
	}

	start := time.Now()
	eng, err := engine.Start(ctx, root)
	if err != nil {
		if engine.IsUnavailable(err) {
			unavailable("%v", err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() {
		eng.Stop()
		if t.Failed() {
			t.Logf("--- podman service output ---\n%s--- end ---", tail(eng.Output(), 4000))
		}
	})
	t.Logf("podman service on %s (state in %s): %s", eng.Host, eng.Dir, time.Since(start).Round(time.Millisecond))

	start = time.Now()
	base, out, err := eng.BaseImages(ctx)
	if err != nil {
		if engine.IsUnavailable(err) {
			unavailable("%v", err)
		}
		t.Fatalf("base images: %v", err)
	}
	t.Logf("base images: %s (%s)", lastLine(out), time.Since(start).Round(time.Millisecond))

	start = time.Now()
	out, err = eng.LifecycleImage(ctx, lifecycleTGZ[0], base)
	if err != nil {
		t.Fatalf("lifecycle image: %v", err)
	}
	t.Logf("lifecycle image: %s (%s)", lastLine(out), time.Since(start).Round(time.Millisecond))

	start = time.Now()
	out, err = eng.Builder(ctx, pack, base)
	if err != nil {
		t.Fatalf("builder: %v", err)
	}
	t.Logf("builder: %s (%s)", lastLine(out), time.Since(start).Round(time.Millisecond))
	env := &engineEnv{ctx: ctx, eng: eng, pack: pack, root: root}
	// The first build of each app must start from nothing: no earlier image
	// to reuse layers from (Start already removed the cache volumes).
	for _, image := range []string{"my-site", "node-site", "cdn-site", "cnb-site"} {
		_, _ = env.try(ctx, "podman", "rmi", "--force", image)
	}
	return env
}

// run runs a command (pack, docker, podman) from the repository root with
// the engine's environment and fails the test if it fails.
func (env *engineEnv) run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := env.try(env.ctx, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

func (env *engineEnv) try(ctx context.Context, name string, args ...string) (string, error) {
	if name == "pack" {
		name = env.pack
	}
	cmd := env.eng.Command(ctx, name, args...)
	cmd.Dir = env.root
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// container is a `docker run -d` container, removed when the test ends.
type container struct {
	name string
	srv  *lifecycle.Server
}

// dockerRun runs `docker run -d --name NAME --network slirp4netns -p
// 127.0.0.1:PORT:8080 ARGS... IMAGE` (a fixed host port when port is not 0)
// and waits until the web process answers HTTP.
func (env *engineEnv) dockerRun(t *testing.T, name string, port int, image string, args ...string) *container {
	t.Helper()
	if port == 0 {
		port = freePort(t)
	}
	ctx := env.ctx
	_, _ = env.try(ctx, "docker", "rm", "--force", name)
	// slirp4netns: the container's network is a user-mode stack of its own
	// and the published port a loopback listener on the host, so all the
	// test traffic stays on 127.0.0.1 (podman's default bridge would route
	// it to a 10.88.0.0/16 address).
	full := append([]string{"run", "--detach", "--name", name, "--network", "slirp4netns",
		"--publish", fmt.Sprintf("127.0.0.1:%d:8080", port)}, args...)
	full = append(full, image)
	env.run(t, "docker", full...)
	c := &container{name: name, srv: &lifecycle.Server{URL: "http://127.0.0.1:" + strconv.Itoa(port), Port: port}}
	t.Cleanup(func() {
		if t.Failed() {
			logs, _ := env.try(context.Background(), "docker", "logs", name)
			t.Logf("--- docker logs %s ---\n%s--- end ---", name, tail(logs, 4000))
		}
		_, _ = env.try(context.Background(), "docker", "rm", "--force", name)
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := client.Get(c.srv.URL + "/")
		if err == nil {
			_ = resp.Body.Close()
			return c
		}
		state, _ := env.try(ctx, "docker", "inspect", "--format", "{{.State.Status}}", name)
		if s := strings.TrimSpace(state); s != "running" && s != "created" {
			logs, _ := env.try(ctx, "docker", "logs", name)
			t.Fatalf("container %s is %q, not running:\n%s", name, s, logs)
		}
		if time.Now().After(deadline) {
			logs, _ := env.try(ctx, "docker", "logs", name)
			t.Fatalf("container %s does not answer on %s: %v\n%s", name, c.srv.URL, err, logs)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestEngine runs what the README tells users and platform operators to
// run, through a real container engine (podman's Docker API): the example
// builder is made with `pack builder create`, the example sites are built
// with `pack build --pull-policy never` and run with `docker run` (also
// hardened: read-only, non-root, no capabilities), a rebuild reuses the
// cached layers, `pack sbom download` yields the server's SBOM, and the image
// serves behind Varnish as behind a CDN (varnish_test.go).
func TestEngine(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	env := startEngine(ctx, t)

	t.Run("base images", func(t *testing.T) {
		// What the platform spec asks of a build and a run image.
		for _, image := range []string{engine.BuildImage, engine.RunImage} {
			out := env.run(t, "docker", "image", "inspect", "--format",
				"{{.Os}}/{{.Architecture}} user={{.Config.User}} env={{.Config.Env}} labels={{.Config.Labels}}", image)
			expectOutput(t, image, out, "linux/"+runtime.GOARCH, "user=1000:1000", "CNB_USER_ID=1000", "CNB_GROUP_ID=1000",
				"io.buildpacks.base.distro.name:debian", "io.buildpacks.base.distro.version:12")
			passwd := env.run(t, "docker", "run", "--rm", "--network", "none", "--entrypoint", "cat", image, "/etc/passwd")
			if !strings.Contains(passwd, "cnb:x:1000:1000:") {
				t.Errorf("%s has no CNB user 1000 in /etc/passwd:\n%s", image, passwd)
			}
		}
		node := env.run(t, "docker", "run", "--rm", "--network", "none", "--entrypoint", "node", engine.BuildImage, "--version")
		if !strings.HasPrefix(strings.TrimSpace(node), "v") {
			t.Errorf("the build image's node --version: %q", node)
		}
	})

	t.Run("pack builder inspect", func(t *testing.T) {
		out := env.run(t, "pack", "builder", "inspect", engine.BuilderImage, "--no-color")
		expectOutput(t, "pack builder inspect", out, "Run Images:", engine.RunImage,
			"Version: "+lifecycle.Version, // the lifecycle built from source
			"hardstatic/static-site", "hardstatic-examples/node-build", "Detection Order:")
		// The order: node-build then static-site in one group, static-site alone in the next.
		order := out[strings.Index(out, "Detection Order:")+1:]
		if g1, g2 := strings.Index(order, "Group #1"), strings.Index(order, "Group #2"); g1 < 0 || g2 < 0 ||
			!strings.Contains(order[g1:g2], "hardstatic-examples/node-build") || !strings.Contains(order[g1:g2], "hardstatic/static-site") ||
			!strings.Contains(order[g2:], "hardstatic/static-site") || strings.Contains(order[g2:], "node-build") {
			t.Errorf("pack builder inspect: the detection order is not [node-build, static-site], [static-site]:\n%s", out)
		}
	})

	t.Run("pack buildpack inspect", func(t *testing.T) {
		out := env.run(t, "pack", "buildpack", "inspect", packagedBuildpack(t), "--no-color")
		expectOutput(t, "pack buildpack inspect", out, "hardstatic/static-site", "0.1.0", "Hardened Static Site Buildpack")
	})

	// The README's commands, as written (examples/plain-html for ./my-site).
	buildArgs := []string{"build", "my-site", "--path", "examples/plain-html", "--builder", engine.BuilderImage, "--trust-builder", "--docker-host", "inherit", "--pull-policy", "never"}
	checkREADMECommand(t, env.root, "pack "+strings.Join(buildArgs, " "))
	checkREADMECommand(t, env.root, "docker run --rm -p 8080:8080 my-site")
	hardened := []string{"--rm", "--read-only", "--user", "1000:1000", "--cap-drop", "ALL", "--security-opt", "no-new-privileges"}
	checkREADMECommand(t, env.root, "docker run --rm -p 8080:8080 "+strings.Join(hardened[1:], " ")+" my-site")

	t.Run("pack build", func(t *testing.T) {
		start := time.Now()
		firstBuild := env.run(t, "pack", append(buildArgs, "--no-color")...)
		t.Logf("pack build (cold cache): %s", time.Since(start).Round(time.Millisecond))
		expectOutput(t, "pack build", firstBuild,
			"hardstatic/static-site 0.1.0", // detected, alone (the node-build group fails on a plain site)
			"Server: new layer",            // the buildpack's own log
			"Adding layer 'hardstatic/static-site:server'",
			"Successfully built image 'my-site'")
		if strings.Contains(firstBuild, "hardstatic-examples/node-build 0.1.0") {
			t.Errorf("node-build took part in building a plain site:\n%s", firstBuild)
		}
	})
	if t.Failed() {
		return
	}

	t.Run("docker run", func(t *testing.T) {
		c := env.dockerRun(t, "hardstatic-my-site", 0, "my-site", "--rm")
		checkPlainSite(t, c.srv)
	})

	t.Run("docker run hardened", func(t *testing.T) {
		c := env.dockerRun(t, "hardstatic-my-site-hardened", 0, "my-site", hardened...)
		checkPlainSite(t, c.srv)
		// The engine applied what was asked (a compat layer could drop options
		// silently). podman lists the dropped capabilities one by one; the
		// process's CapEff below is what counts.
		got := strings.TrimSpace(env.run(t, "docker", "inspect", "--format",
			"{{.Config.User}} {{.HostConfig.ReadonlyRootfs}} {{.HostConfig.SecurityOpt}}", c.name))
		for _, want := range []string{"1000:1000", "true", "no-new-privileges"} {
			if !strings.Contains(strings.ToUpper(got), strings.ToUpper(want)) {
				t.Errorf("docker inspect %s: %q lacks %q", c.name, got, want)
			}
		}
		// As the process is, read from the host's /proc (no exec into the
		// container): uid 1000, no capabilities, / mounted read-only.
		pid := strings.TrimSpace(env.run(t, "docker", "inspect", "--format", "{{.State.Pid}}", c.name))
		status, err := os.ReadFile("/proc/" + pid + "/status")
		if err != nil {
			t.Fatalf("the web process (pid %q): %v", pid, err)
		}
		if uid := strings.Fields(procField(string(status), "Uid:")); len(uid) == 0 || uid[0] != "1000" {
			t.Errorf("the web process runs with Uid %q, want 1000", procField(string(status), "Uid:"))
		}
		if capEff := procField(string(status), "CapEff:"); strings.Trim(capEff, "0") != "" {
			t.Errorf("the web process has capabilities: CapEff %s", capEff)
		}
		if procField(string(status), "NoNewPrivs:") != "1" {
			t.Errorf("the web process may gain privileges: NoNewPrivs %q", procField(string(status), "NoNewPrivs:"))
		}
		mounts, err := os.ReadFile("/proc/" + pid + "/mountinfo")
		if err != nil {
			t.Fatal(err)
		}
		rootRO := false
		for line := range strings.SplitSeq(string(mounts), "\n") {
			// mount ID, parent ID, major:minor, root, mount point, options, ...
			if f := strings.Fields(line); len(f) > 5 && f[4] == "/" {
				rootRO = strings.HasPrefix(f[5], "ro")
			}
		}
		if !rootRO {
			t.Errorf("the container's / is not mounted read-only:\n%s", mounts)
		}
	})

	t.Run("pack build again reuses the layers", func(t *testing.T) {
		start := time.Now()
		out := env.run(t, "pack", append(buildArgs, "--no-color")...)
		t.Logf("pack build (warm cache): %s", time.Since(start).Round(time.Millisecond))
		expectOutput(t, "the second pack build", out,
			"Server: Reusing cached layer", // the buildpack's own log
			"Reusing layer 'hardstatic/static-site:server'",
			"Successfully built image 'my-site'")
		if strings.Contains(out, "Server: new layer") {
			t.Errorf("the second build made the server layer anew:\n%s", out)
		}
		c := env.dockerRun(t, "hardstatic-my-site-rebuilt", 0, "my-site", "--rm")
		checkPlainSite(t, c.srv)
	})

	t.Run("pack sbom download", func(t *testing.T) {
		dir := t.TempDir()
		env.run(t, "pack", "sbom", "download", "my-site", "--output-dir", dir, "--no-color")
		file := filepath.Join(dir, "layers", "sbom", "launch", "hardstatic_static-site", "server", "sbom.cdx.json")
		data, err := os.ReadFile(file)
		if err != nil {
			var found []string
			_ = filepath.Walk(dir, func(p string, _ os.FileInfo, _ error) error { found = append(found, p); return nil })
			t.Fatalf("pack sbom download: no server SBOM: %v; files: %q", err, found)
		}
		var bom struct {
			BOMFormat   string `json:"bomFormat"`
			SpecVersion string `json:"specVersion"`
			Components  []struct{ Name, Version, PURL string }
		}
		if err := json.Unmarshal(data, &bom); err != nil {
			t.Fatal(err)
		}
		var caddy bool
		for _, c := range bom.Components {
			caddy = caddy || (c.Name == "github.com/caddyserver/caddy/v2" && strings.HasPrefix(c.PURL, "pkg:golang/github.com/caddyserver/caddy/v2@v2."))
		}
		if bom.BOMFormat != "CycloneDX" || bom.SpecVersion != "1.5" || !caddy {
			t.Errorf("the server SBOM: %s %s, Caddy listed: %v (%d components)", bom.BOMFormat, bom.SpecVersion, caddy, len(bom.Components))
		}
	})

	t.Run("pack build after a build group", func(t *testing.T) {
		out := env.run(t, "pack", "build", "node-site", "--path", "examples/node-dist", "--builder", engine.BuilderImage,
			"--trust-builder", "--docker-host", "inherit", "--pull-policy", "never", "--no-color")
		// The group: node-build, then static-site (the detect lines are aligned).
		if !regexp.MustCompile(`(?m)^hardstatic-examples/node-build\s+0\.1\.0\s*\nhardstatic/static-site\s+0\.1\.0\s*$`).MatchString(out) {
			t.Errorf("pack build of examples/node-dist: detection did not pass node-build then static-site:\n%s", out)
		}
		script, root := strings.Index(out, "running the build script: node build.mjs"), strings.Index(out, "Root: dist/")
		if script < 0 || root < 0 || script > root || !strings.Contains(out, "Successfully built image 'node-site'") {
			t.Errorf("pack build of examples/node-dist: want the build script to run, then the static site from dist/:\n%s", out)
		}
		c := env.dockerRun(t, "hardstatic-node-site", 0, "node-site", "--rm")
		resp, body := get(t, c.srv, "/")
		expectStatus(t, "/", resp, body, http.StatusOK, "NODE-DIST-HOME")
		if strings.Contains(body, "BUILD-TIME") {
			t.Errorf("GET /: the build script did not run (BUILD-TIME is not replaced): %.300q", body)
		}
		checkDefaultHeaders(t, "GET / (node-site)", resp.Header)
		resp, body = get(t, c.srv, "/package.json")
		expectStatus(t, "/package.json", resp, body, http.StatusNotFound, "")
	})

	// "Using it with builders": the .cnb given with --buildpack to a builder
	// that does not hold it (pack makes an ephemeral builder).
	t.Run("pack build --buildpack the .cnb", func(t *testing.T) {
		cnb, err := filepath.Rel(env.root, packagedBuildpack(t))
		if err != nil {
			t.Fatal(err)
		}
		out := env.run(t, "pack", "build", "cnb-site", "--path", "examples/plain-html", "--builder", engine.BuilderImage,
			"--buildpack", "./"+cnb, "--trust-builder", "--docker-host", "inherit", "--pull-policy", "never", "--no-color")
		if !strings.Contains(out, "Server: new layer") || !strings.Contains(out, "Successfully built image 'cnb-site'") {
			t.Errorf("pack build --buildpack ./%s:\n%s", cnb, out)
		}
		c := env.dockerRun(t, "hardstatic-cnb-site", 0, "cnb-site", "--rm")
		checkPlainSite(t, c.srv)
	})

	t.Run("behind Varnish", func(t *testing.T) { testBehindVarnish(t, env) })
}

// checkPlainSite is what a visitor of examples/plain-html sees.
func checkPlainSite(t *testing.T, srv *lifecycle.Server) {
	t.Helper()
	resp, body := get(t, srv, "/")
	expectStatus(t, "/", resp, body, http.StatusOK, "It works.")
	checkDefaultHeaders(t, "GET /", resp.Header)
	if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("GET /: Content-Type %q", ct)
	}
	resp, body = get(t, srv, "/missing")
	expectStatus(t, "/missing", resp, body, http.StatusNotFound, "Nothing lives here.")
	checkDefaultHeaders(t, "GET /missing", resp.Header)
	// A clean URL: the directory's address ends in a slash.
	resp, _ = get(t, srv, "/about")
	if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/about/" {
		t.Errorf("GET /about: %d Location %q, want 301 to /about/", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body = get(t, srv, "/about/")
	expectStatus(t, "/about/", resp, body, http.StatusOK, "<h1>About</h1>")
	resp, body = get(t, srv, "/index.html")
	if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/" {
		t.Errorf("GET /index.html: %d Location %q, want 301 to /; body %.100q", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	resp, body = get(t, srv, "/.well-known/security.txt")
	expectStatus(t, "/.well-known/security.txt", resp, body, http.StatusOK, "Contact:")
}

// checkREADMECommand fails the test unless README.md shows the command
// exactly, so what the tests run and what users are told stay the same.
func checkREADMECommand(t *testing.T, root, command string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), command) {
		t.Errorf("README.md does not show the command the tests run: %s", command)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
