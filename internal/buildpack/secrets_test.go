package buildpack

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hardstatic/buildpack/internal/config"
)

// The one walk of the root reports likely secrets, anywhere but .git, and
// says which the build hides (names the rule alone would have served) and
// which no rule serves anyway (dotfiles); links out of the root are not
// read at all.
func TestWalkReportsSecrets(t *testing.T) {
	const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZWQyNTUxOQAAACBvT\n-----END OPENSSH PRIVATE KEY-----\n"
	dir := t.TempDir()
	for name, body := range map[string]string{
		"index.html":              "<p>hi</p>",
		".env":                    "API_KEY=x\n",
		".env.production":         "API_KEY=y\n",
		".env.example":            "API_KEY=\n",
		"deploy/id_rsa":           key,
		"deploy/id_rsa.pub":       "ssh-rsa AAAA",
		".npmrc":                  "//registry.npmjs.org/:_authToken=npm_SECRET\n",
		"sub/.npmrc":              "save-exact=true\n",
		".git/config":             "[core]\n",
		".git/id_rsa":             key, // .git is not searched
		"static.toml":             "",
		"keys/.hidden/id_ed25519": key,
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	outside := filepath.Join(t.TempDir(), "id_rsa")
	if err := os.WriteFile(outside, []byte(key), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "linked_id")); err != nil {
		t.Fatal(err)
	}
	tree, err := walkRoot(dir, config.Default(), []string{config.FileName, config.StaticJSONName})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{ // file -> hidden by the build (else a dotfile anyway)
		".env":                    false,
		".env.production":         false,
		"deploy/id_rsa":           true,
		".npmrc":                  false,
		"keys/.hidden/id_ed25519": false,
	}
	seen := map[string]bool{}
	for _, s := range tree.Secrets() {
		byBuild, ok := want[s.Name]
		switch {
		case !ok:
			t.Errorf("unexpected finding: %+v", s)
		case (s.Reason == "looks like "+s.Secret) != byBuild:
			t.Errorf("%s: reason %q, want hidden by the build = %t", s.Name, s.Reason, byBuild)
		}
		seen[s.Name] = true
	}
	for f := range want {
		if !seen[f] {
			t.Errorf("%s not found", f)
		}
	}
	if tree.Files["deploy/id_rsa"] != nil || tree.Files["linked_id"] != nil {
		t.Error("a likely secret, or a link out of the root, is served")
	}
}
