package integration

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/hardstatic/buildpack/integration/lifecycle"
)

// nodeLike is the test-only buildpack in testdata/buildpack-node-like: it
// stands in for a Node.js buildpack and writes dist/ from src/ at build.
const (
	nodeLikeID      = "test/node-like"
	nodeLikeVersion = "0.0.1"
)

// newAppWorkspace is newWorkspace for an app outside testdata (an example).
func newAppWorkspace(t *testing.T, app string, buildEnv map[string]string) *lifecycle.Workspace {
	t.Helper()
	ws, err := lifecycle.NewWorkspace(lifecycle.Options{
		Tools:     tools,
		App:       app,
		Buildpack: os.Getenv("HARDSTATIC_BUILDPACK"),
		BuildEnv:  buildEnv,
	})
	if err != nil {
		t.Fatal(err)
	}
	removeOnCleanup(t, ws)
	return ws
}

// groupWithNodeLike installs the node-like buildpack and makes the order one
// group, node-like first, as a builder's order.toml would:
//
//	[[order]]
//	  [[order.group]] id = "test/node-like"
//	  [[order.group]] id = "hardstatic/static-site"
func groupWithNodeLike(t *testing.T, ws *lifecycle.Workspace) {
	t.Helper()
	dst := filepath.Join(ws.BuildpacksDir, strings.ReplaceAll(nodeLikeID, "/", "_"), nodeLikeVersion)
	if err := lifecycle.CopyTree(filepath.Join("testdata", "buildpack-node-like"), dst); err != nil {
		t.Fatal(err)
	}
	order := fmt.Sprintf("[[order]]\n\n  [[order.group]]\n    id = %q\n    version = %q\n\n  [[order.group]]\n    id = %q\n    version = %q\n",
		nodeLikeID, nodeLikeVersion, ws.BuildpackID, ws.BuildpackVersion)
	if err := os.WriteFile(ws.OrderPath, []byte(order), 0o644); err != nil {
		t.Fatal(err)
	}
}

// The static-site buildpack composes with a buildpack that builds the site:
// it passes detection from static.toml (or BP_STATIC_ROOT) while dist/ does
// not exist yet, builds after the other buildpack wrote dist/, and serves it.
func TestComposedWithNodeLikeBuildpack(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		buildEnv map[string]string
		noConfig bool
		reason   string
	}{
		{name: "static.toml root", reason: "static.toml found"},
		{name: "BP_STATIC_ROOT", buildEnv: map[string]string{"BP_STATIC_ROOT": "dist"}, noConfig: true, reason: "BP_STATIC_ROOT=dist is set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ws := newAppWorkspace(t, filepath.Join("..", "examples", "node-dist"), tc.buildEnv)
			// Whatever a local `npm run build` left behind is not part of the app.
			if err := os.RemoveAll(filepath.Join(ws.AppDir, "dist")); err != nil {
				t.Fatal(err)
			}
			if tc.noConfig {
				if err := os.Remove(filepath.Join(ws.AppDir, "static.toml")); err != nil {
					t.Fatal(err)
				}
			}
			groupWithNodeLike(t, ws)

			out := detect(t, ws)
			if !strings.Contains(out, tc.reason) {
				t.Errorf("detect output does not give the reason %q:\n%s", tc.reason, out)
			}
			var group struct {
				Group []struct{ ID string } `toml:"group"`
			}
			if _, err := toml.DecodeFile(filepath.Join(ws.LayersDir, "group.toml"), &group); err != nil {
				t.Fatal(err)
			}
			if len(group.Group) != 2 || group.Group[0].ID != nodeLikeID || group.Group[1].ID != ws.BuildpackID {
				t.Fatalf("group.toml: %+v, want [%s %s]", group.Group, nodeLikeID, ws.BuildpackID)
			}

			out = build(t, ws)
			wrote, ours := strings.Index(out, "node-like: wrote dist/"), strings.Index(out, "Root: dist/")
			if wrote < 0 || ours < 0 || wrote > ours {
				t.Errorf("want the node-like build (dist/ written) before ours (Root: dist/):\n%s", out)
			}

			srv := launch(t, ws, nil)
			resp, body := get(t, srv, "/")
			expectStatus(t, "/", resp, body, http.StatusOK, "NODE-DIST-HOME")
			checkDefaultHeaders(t, "GET / (dist)", resp.Header)
			resp, body = get(t, srv, "/app.js")
			expectStatus(t, "/app.js", resp, body, http.StatusOK, "served from dist/")
			resp, body = get(t, srv, "/package.json")
			expectStatus(t, "/package.json", resp, body, http.StatusNotFound, "")
		})
	}
}

// The examples build and serve as their READMEs say.
func TestExamples(t *testing.T) {
	t.Parallel()
	type req struct {
		path   string
		status int
		want   string
	}
	for _, tc := range []struct {
		example string
		reqs    []req
	}{
		{"spa", []req{
			{"/", 200, "SPA-EXAMPLE-SHELL"},
			{"/users/42", 200, "SPA-EXAMPLE-SHELL"}, // the fallback
			{"/about", 200, "SPA-EXAMPLE-SHELL"},
			{"/js/app.js", 200, "client-side router"},
			{"/js/missing.js", 404, ""}, // a missing file with an extension is not the app
		}},
		{"generator-output", []req{
			{"/", 200, "GENERATOR-OUTPUT-HOME"},
			{"/about/", 200, "GENERATOR-OUTPUT-ABOUT"},
			{"/2026/11/27/hello-world/", 200, "GENERATOR-OUTPUT-POST"},
			{"/feed.xml", 200, "<feed"},
			{"/no-such-page", 404, "GENERATOR-OUTPUT-404"},
			{"/_config.yml", 404, ""}, // only _site/ is served
		}},
	} {
		t.Run(tc.example, func(t *testing.T) {
			t.Parallel()
			ws := newAppWorkspace(t, filepath.Join("..", "examples", tc.example), nil)
			detect(t, ws)
			build(t, ws)
			srv := launch(t, ws, nil)
			for _, r := range tc.reqs {
				resp, body := get(t, srv, r.path)
				expectStatus(t, r.path, resp, body, r.status, r.want)
			}
		})
	}
}
