package integration

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The secrets the build used to miss (issue 9, observation 8) are found by
// name or by content anywhere in the file, named in the build log and not
// served; a documentation page that shows a key is named too, and served.
func TestSecretKinds(t *testing.T) {
	t.Parallel()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	key := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	sa, err := json.Marshal(map[string]string{"type": "service_account", "project_id": "demo", "private_key": key})
	if err != nil {
		t.Fatal(err)
	}
	cert := "-----BEGIN CERTIFICATE-----\n" + strings.Repeat("MIIBszCCAVmgAwIBAgIUY2VydGlmaWNhdGUgcGFkZGluZyBmb3IgdGhlIHRlc3Q=\n", 20) + "-----END CERTIFICATE-----\n"
	hidden := map[string]string{ // file -> content; each holds SECRET- so a leak is visible
		"deploy/id_rsa.bak":        key + "SECRET-1\n",
		"deploy/deploy_key":        key + "SECRET-2\n",
		"my-project-0a1b2c.json":   strings.Replace(string(sa), `"demo"`, `"SECRET-3"`, 1),
		"keys/signing.asc":         "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlFgEZ0123RYJKwYBBAHaRw8BAQdAkxaWf3a8dP3vYdTSkB2DX8Yb0Y9Wq3Yc4v7Cm6qWnLsAAQCM\n=AbCd\n-----END PGP PRIVATE KEY BLOCK-----\nSECRET-4\n",
		"keys/me.ppk":              "PuTTY-User-Key-File-3: ssh-ed25519\nSECRET-5\n",
		"certs/bundle.pem":         strings.Repeat(cert, 60) + key + "SECRET-6\n",
		"env.production":           "API_KEY=SECRET-7\n",
		"backup/notes.dat":         strings.Repeat("x", 100<<10) + key + "SECRET-8\n",
		"infra/terraform.tfstate":  `{"password": "SECRET-9"}`,
		"wp-config.php.bak":        "<?php define('DB_PASSWORD', 'SECRET-10');",
		"config/credentials.json":  `{"token": "SECRET-11"}`,
		"docs/kubeconfig":          "users:\n- user:\n    token: SECRET-12\n",
		"ops/terraform.tfvars":     "db_password = \"SECRET-13\"\n",
		"certs/id_ed25519.old":     key + "SECRET-14\n",
		"deploy/github_deploy_key": key + "SECRET-15\n",
	}
	if len(strings.Repeat(cert, 60)) < 64<<10 {
		t.Fatal("the bundle's key must start after 64 KiB")
	}
	ws := newWorkspace(t, "plain")
	for name, content := range hidden {
		writeFile(t, filepath.Join(ws.AppDir, name), content)
	}
	writeFile(t, filepath.Join(ws.AppDir, "docs", "tls.html"), "<!doctype html><title>TLS</title><pre>"+key+"</pre><p>DOCS-PAGE</p>")
	writeFile(t, filepath.Join(ws.AppDir, "docs", "ssl.html"), "<!doctype html><pre>-----BEGIN RSA PRIVATE KEY-----\n... (private key in base64 encoding) ...\n-----END RSA PRIVATE KEY-----</pre>")
	detect(t, ws)
	out := build(t, ws)
	for name := range hidden {
		if line := cfgLineMatching(out, regexp.MustCompile(regexp.QuoteMeta(name+": "))); !strings.Contains(line, "Not served: hidden by the build") {
			t.Errorf("the build log does not say %s is hidden (line %q)", name, line)
		}
	}
	if line := cfgLineMatching(out, regexp.MustCompile(regexp.QuoteMeta("docs/tls.html: "))); !strings.Contains(line, "a private key. Served") {
		t.Errorf("the build log does not warn about the docs page showing a key (line %q)\n%s", line, out)
	}
	if strings.Contains(out, "docs/ssl.html") {
		t.Errorf("the build warns about a page that only mentions a key header:\n%s", out)
	}
	srv := launch(t, ws, nil)
	for name := range hidden {
		resp, body := get(t, srv, "/"+name)
		if resp.StatusCode != http.StatusNotFound || strings.Contains(body, "SECRET-") {
			t.Errorf("GET /%s: %d, want 404 without the secret", name, resp.StatusCode)
		}
	}
	resp, body := get(t, srv, "/docs/tls.html")
	if resp.StatusCode == http.StatusMovedPermanently { // clean URLs
		resp, body = get(t, srv, "/docs/tls")
	}
	expectStatus(t, "/docs/tls", resp, body, http.StatusOK, "DOCS-PAGE")
}
