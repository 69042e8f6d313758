package htmlsec

import (
	"os"
	"path/filepath"
	"testing"
)

func TestScanSecrets(t *testing.T) {
	const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn...\n-----END OPENSSH PRIVATE KEY-----\n"
	dir := site(t, map[string]string{
		"index.html":              "<p>hi</p>",
		".env":                    "API_KEY=x\n",
		".env.production":         "API_KEY=y\n",
		".env.example":            "API_KEY=\n",
		"certs/server.pem":        "-----BEGIN RSA PRIVATE KEY-----\n...\n",
		"certs/ca.pem":            "-----BEGIN CERTIFICATE-----\n...\n",
		"deploy/id_rsa":           key,
		"deploy/id_rsa.pub":       "ssh-rsa AAAA",
		".npmrc":                  "//registry.npmjs.org/:_authToken=npm_SECRET\n",
		"sub/.npmrc":              "save-exact=true\n",
		".well-known/tls.key":     "-----BEGIN PRIVATE KEY-----\n",
		".git/config":             "[core]\n",
		".git/id_rsa":             key, // .git is not searched
		"static.toml":             "",
		"keys/.hidden/signing.p8": "-----BEGIN PRIVATE KEY-----\n",
	})
	outside := site(t, map[string]string{"id_rsa": key})
	if err := os.Symlink(filepath.Join(outside, "id_rsa"), filepath.Join(dir, "linked_id")); err != nil {
		t.Fatal(err)
	}
	got, err := ScanSecrets(dir, SecretsOptions{Hide: []string{"static.toml", "static.json"}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{ // file -> served
		".env":                    false,
		".env.production":         false,
		"certs/server.pem":        true,
		"deploy/id_rsa":           true,
		".npmrc":                  false,
		".well-known/tls.key":     true,
		"keys/.hidden/signing.p8": false,
	}
	seen := map[string]bool{}
	for _, s := range got {
		served, ok := want[s.File]
		switch {
		case !ok:
			t.Errorf("unexpected finding: %+v", s)
		case s.Served != served:
			t.Errorf("%s: served = %t, want %t", s.File, s.Served, served)
		case s.Kind == "":
			t.Errorf("%s: no kind", s.File)
		}
		seen[s.File] = true
	}
	for f := range want {
		if !seen[f] {
			t.Errorf("%s not found", f)
		}
	}
}
