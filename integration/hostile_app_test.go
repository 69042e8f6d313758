package integration

// The build treats the app as hostile input (issue 9, observations 10-12):
// its configuration files are read through the app directory as regular,
// size-capped files, never through a link out of it; control characters in
// configuration values and file names cannot forge headers or build log
// lines; and a Heroku app that was password-protected is not served
// publicly by surprise.

import (
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// A static.toml, static.json or package.json linked to /dev/zero or to a
// file outside the app is refused with a reason, and nothing of the target
// reaches the log. Before, detect and build read /dev/zero until the build
// host ran out of memory, and a static.json linked to a platform secret
// printed the secret in the migrated static.toml.
func TestHostileConfigLinks(t *testing.T) {
	t.Parallel()
	const secret = "PLATFORM-SECRET-7f3a"

	t.Run("static.toml to /dev/zero", func(t *testing.T) {
		t.Parallel()
		ws := newWorkspace(t, "plain")
		symlink(t, "/dev/zero", filepath.Join(ws.AppDir, "static.toml"))
		if out := detect(t, ws); !strings.Contains(out, "static.toml is a symbolic link that leaves the app directory") {
			t.Errorf("detect does not say why it cannot read static.toml:\n%s", out)
		}
		out := buildFails(t, ws)
		if !strings.Contains(out, "static.toml is a symbolic link that leaves the app directory or points at nothing; replace the link with the file itself") {
			t.Errorf("the build does not name static.toml and say what to do:\n%s", out)
		}
	})

	t.Run("static.json to a platform secret", func(t *testing.T) {
		t.Parallel()
		ws := newWorkspace(t, "plain")
		if err := ws.SetBuildEnv("DEPLOY_TOKEN", `{"root": "`+secret+`"}`); err != nil {
			t.Fatal(err)
		}
		symlink(t, filepath.Join(ws.PlatformDir, "env", "DEPLOY_TOKEN"), filepath.Join(ws.AppDir, "static.json"))
		detectOut := detect(t, ws)
		out := buildFails(t, ws)
		if !strings.Contains(out, "static.json is a symbolic link that leaves the app directory") {
			t.Errorf("the build does not name static.json and say why:\n%s", out)
		}
		if strings.Contains(out+detectOut, secret) {
			t.Errorf("the secret behind the link reached the log:\n%s\n%s", detectOut, out)
		}
	})

	t.Run("static.toml linked inside the app", func(t *testing.T) {
		t.Parallel()
		ws := newWorkspace(t, "plain")
		writeFile(t, filepath.Join(ws.AppDir, "config", "site.toml"), "clean_urls = false\n")
		symlink(t, "config/site.toml", filepath.Join(ws.AppDir, "static.toml"))
		detect(t, ws)
		if out := build(t, ws); !strings.Contains(out, "clean_urls = false") {
			t.Errorf("the linked static.toml was not used:\n%s", out)
		}
	})

	t.Run("package.json to /dev/zero", func(t *testing.T) {
		t.Parallel()
		ws := newWorkspace(t, "plain") // index.html in the app directory: detect reads package.json
		symlink(t, "/dev/zero", filepath.Join(ws.AppDir, "package.json"))
		out := detectFails(t, ws)
		if !strings.Contains(out, "package.json (which cannot be read: package.json is a symbolic link that leaves the app directory") {
			t.Errorf("detect does not say why it declined:\n%s", out)
		}
	})
}

// A file name with a line break and terminal escapes cannot forge lines of
// the build log: it is printed quoted, with Go's escapes.
func TestHostileFileNamesInBuildLog(t *testing.T) {
	t.Parallel()
	ws := newWorkspace(t, "plain")
	const evil = "evil\n  PASS: no secrets found\x1b[32m\u202e.pem"
	writeFile(t, filepath.Join(ws.AppDir, evil), "-----BEGIN PRIVATE KEY-----\nSECRET-PEM\n-----END PRIVATE KEY-----\n")
	detect(t, ws)
	out := build(t, ws)
	if strings.ContainsAny(out, "\x1b\u202e") {
		t.Errorf("the build log holds raw terminal or bidi escapes:\n%q", out)
	}
	if line := cfgLineMatching(out, regexp.MustCompile(`^\s*PASS: no secrets found`)); line != "" {
		t.Errorf("a file name forged a log line: %q\n%s", line, out)
	}
	if want := `"evil\n  PASS: no secrets found\x1b[32m\u202e.pem": `; !strings.Contains(out, want) {
		t.Errorf("the build log does not name the file escaped (%s):\n%s", want, out)
	}
}

// Control characters in static.toml fail the build at the key; a ${VAR}
// that brings one at launch stops the server, naming key and variable.
func TestHostileConfigValues(t *testing.T) {
	t.Parallel()

	t.Run("build", func(t *testing.T) {
		t.Parallel()
		ws := newWorkspace(t, "plain")
		writeFile(t, filepath.Join(ws.AppDir, "static.toml"), "[[redirects]]\nfrom = \"/a\"\nto = \"/b\\r\\nSet-Cookie: x=1\"\n")
		detect(t, ws)
		out := buildFails(t, ws)
		if !strings.Contains(out, `static.toml:3:1: key "redirects[1].to": the value holds a control character (U+000D) at character 3 (remove it`) {
			t.Errorf("the build does not point at the value:\n%s", out)
		}
	})

	t.Run("launch", func(t *testing.T) {
		t.Parallel()
		ws := newWorkspace(t, "plain")
		writeFile(t, filepath.Join(ws.AppDir, "static.toml"), "[[redirects]]\nfrom = \"/go\"\nto = \"https://${TARGET}/\"\n")
		detect(t, ws)
		build(t, ws)
		out := cfgLaunchFails(t, ws, map[string]string{"TARGET": "example.com/\x1b[2J"})
		if !strings.Contains(out, "static.toml key redirects[1].to: environment variable TARGET holds a control character (U+001B)") {
			t.Errorf("the server does not name the key and the variable:\n%s", out)
		}
		srv := launch(t, ws, map[string]string{"TARGET": "example.com"})
		cfgRedirect(t, srv, cfgReq{path: "/go"}, 301, "https://example.com/")
	})
}

// A Heroku app whose static.json has no basic_auth was password-protected
// on Heroku when BASIC_AUTH_USERNAME and BASIC_AUTH_PASSWORD were set. Here
// the server refuses to start with them set, saying how to protect it,
// instead of serving it publicly with only a build-log note.
func TestHerokuBasicAuthFailsClosed(t *testing.T) {
	t.Parallel()
	ws := newWorkspace(t, "plain")
	writeFile(t, filepath.Join(ws.AppDir, "static.json"), `{"root": "./", "clean_urls": true}`)
	detect(t, ws)
	if out := build(t, ws); !strings.Contains(out, "the server refuses to start while BASIC_AUTH_USERNAME or BASIC_AUTH_PASSWORD is set") {
		t.Errorf("the migration notes do not warn:\n%s", out)
	}
	out := cfgLaunchFails(t, ws, map[string]string{"BASIC_AUTH_USERNAME": "ann", "BASIC_AUTH_PASSWORD": "$apr1$abc$def"})
	expectOutput(t, "the server's refusal", out,
		"BASIC_AUTH_USERNAME and BASIC_AUTH_PASSWORD are set, which password-protected this app on Heroku",
		`add "basic_auth": true to static.json`,
		"BASIC_AUTH_USERS",
		"static-server hash-password",
	)
	srv := launch(t, ws, map[string]string{"BASIC_AUTH_USERNAME": "ann", "BASIC_AUTH_DISABLED": "true"})
	resp, body := get(t, srv, "/")
	if resp.StatusCode != http.StatusOK {
		t.Errorf("with BASIC_AUTH_DISABLED=true: GET / = %d %q", resp.StatusCode, body)
	}
}
