package launch

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hardstatic/buildpack/internal/config"
	"github.com/hardstatic/buildpack/internal/manifest"
	"github.com/hardstatic/buildpack/internal/policy"
	"github.com/hardstatic/buildpack/internal/site/table"
)

// appWithRoot is an app directory with an empty public/ root.
func appWithRoot(t *testing.T) string {
	t.Helper()
	app := t.TempDir()
	if err := os.MkdirAll(filepath.Join(app, "public"), 0o755); err != nil {
		t.Fatal(err)
	}
	return app
}

// env is a launch environment of the given variables, its log discarded.
func env(vars map[string]string) Environment {
	var environ []string
	for k, v := range vars {
		environ = append(environ, k+"="+v)
	}
	return Environment{Lookup: lookupIn(vars), Environ: environ, Log: io.Discard}
}

func parsedManifest(t *testing.T, toml string) manifest.Manifest {
	t.Helper()
	cfg, err := config.Parse(config.FileName, []byte(toml))
	if err != nil {
		t.Fatal(err)
	}
	return manifest.Manifest{Root: "public", Headers: policy.Defaults(), PolicyHeader: "Content-Security-Policy", Config: cfg}
}

// siteHandler is the static_site handler of a Caddy JSON document.
func siteHandler(t *testing.T, doc []byte) map[string]any {
	t.Helper()
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatal(err)
	}
	var found map[string]any
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if x["handler"] == "static_site" {
				found = x
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	if found == nil {
		t.Fatalf("no static_site handler in\n%s", doc)
	}
	return found
}

// The server is told the file table and the policy header by the manifest.
func TestCaddyJSONTakesTheFileTableAndPolicyHeaderFromTheManifest(t *testing.T) {
	app := appWithRoot(t)
	m := parsedManifest(t, "[csp]\nreport_only = true\n")
	m.Headers = policy.SiteHeaders(m.Config.CSP)
	m.PolicyHeader = "Content-Security-Policy-Report-Only"
	m.FilesIndex = "/layers/site/files.tsv"
	doc, err := CaddyJSON(m, "8080", app, env(map[string]string{table.EnvVar: "/elsewhere.tsv"}))
	if err != nil {
		t.Fatal(err)
	}
	h := siteHandler(t, doc)
	if h["files_index"] != "/layers/site/files.tsv" || h["policy_header"] != "Content-Security-Policy-Report-Only" {
		t.Errorf("files_index %v, policy_header %v; want the manifest's", h["files_index"], h["policy_header"])
	}
}

// launch.Config reads the manifest file; an older manifest without
// files_index still finds its table through the launch variable.
func TestConfigFallsBackToTheLaunchVariable(t *testing.T) {
	app := appWithRoot(t)
	m := parsedManifest(t, "")
	file, err := manifest.Write(t.TempDir(), m)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(table.EnvVar, "/old/layers/site/files.tsv")
	doc, err := Config(file, "8080", app)
	if err != nil {
		t.Fatal(err)
	}
	if got := siteHandler(t, doc)["files_index"]; got != "/old/layers/site/files.tsv" {
		t.Errorf("files_index %v, want the launch variable's", got)
	}
}

// Launch resolves ${VAR} and turns basic auth off on a copy: the manifest's
// configuration is what the build wrote.
func TestCaddyJSONLeavesTheManifestUnchanged(t *testing.T) {
	app := appWithRoot(t)
	m := parsedManifest(t, "canonical_host = \"${SITE_HOST}\"\n[[redirects]]\nfrom = \"/a\"\nto = \"https://${SITE_HOST}/b\"\n[basic_auth]\n")
	var log bytes.Buffer
	e := env(map[string]string{"SITE_HOST": "www.example.com", "BASIC_AUTH_DISABLED": "true"})
	e.Log = &log
	doc, err := CaddyJSON(m, "8080", app, e)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "www.example.com") || strings.Contains(string(doc), "static_basic_auth") {
		t.Errorf("want the resolved host and no basic auth:\n%s", doc)
	}
	if !strings.Contains(log.String(), "BASIC_AUTH_DISABLED is set: basic auth is off") {
		t.Errorf("log: %s", log.String())
	}
	if m.Config.CanonicalHost != "${SITE_HOST}" || m.Config.Redirects[0].To != "https://${SITE_HOST}/b" || m.Config.BasicAuth == nil {
		t.Errorf("CaddyJSON changed the manifest's configuration: host %q, redirect to %q, basic auth %v",
			m.Config.CanonicalHost, m.Config.Redirects[0].To, m.Config.BasicAuth)
	}
}

func TestConfigErrors(t *testing.T) {
	app := t.TempDir()
	file, err := manifest.Write(app, manifest.Manifest{Root: "public"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ manifest, port, want string }{
		{"", "8080", "no site manifest"},
		{file, "http", `PORT="http" is not a port number`},
		{file, "70000", "not a port number"},
		{file, "8080", "site root"},
		{filepath.Join(app, "nope.json"), "8080", "reading the site manifest"},
	} {
		_, err := Config(tc.manifest, tc.port, app)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Config(%q, %q) = %v, want %q", tc.manifest, tc.port, err, tc.want)
		}
	}
}

func TestCaddyJSONVarsAndBasicAuth(t *testing.T) {
	app := appWithRoot(t)
	m := parsedManifest(t, "canonical_host = \"${SITE_HOST}\"\n[basic_auth]\n")
	const cost12 = "$2a$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"
	for _, tc := range []struct {
		name string
		vars map[string]string
		want string // an error, or with ok a text of the Caddy JSON
		ok   bool
	}{
		{"missing variable", map[string]string{}, "static.toml key canonical_host: environment variable SITE_HOST is not set", false},
		{"missing users", map[string]string{"SITE_HOST": "www.example.com"}, "BASIC_AUTH_USERS is not set", false},
		{"plain-text password", map[string]string{"SITE_HOST": "h", "BASIC_AUTH_USERS": "alice:secret"}, `user "alice": the password is not a bcrypt hash`, false},
		// A cost that would pin a core on every wrong password stops the server.
		{"cost 31", map[string]string{"SITE_HOST": "h", "BASIC_AUTH_USERS": "alice:$2a$31$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"},
			`BASIC_AUTH_USERS: user "alice": the bcrypt cost 31 is over 12`, false},
		{"two users", map[string]string{"SITE_HOST": "www.example.com", "BASIC_AUTH_USERS": "alice:" + cost12 + "\nbob:" + strings.Replace(cost12, "2a", "2y", 1)},
			`"username": "bob"`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := CaddyJSON(m, "8080", app, env(tc.vars))
			switch {
			case tc.ok && err != nil:
				t.Fatal(err)
			case tc.ok && (!strings.Contains(string(doc), tc.want) || !strings.Contains(string(doc), "www.example.com") || !strings.Contains(string(doc), "static_basic_auth")):
				t.Errorf("the Caddy JSON lacks %q, the host or basic auth:\n%s", tc.want, doc)
			case !tc.ok && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}
