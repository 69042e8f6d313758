package htmlsec

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// Real keys, made for the test, in every PEM form the detector knows.
func testKeys(t testing.TB) map[string]string {
	t.Helper()
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := rsa.GenerateKey(rand.Reader, 1024) //nolint:gosec // a test key
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(ed)
	if err != nil {
		t.Fatal(err)
	}
	sec1, err := x509.MarshalECPrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	openssh, err := ssh.MarshalPrivateKey(ed, "")
	if err != nil {
		t.Fatal(err)
	}
	enc := func(typ string, der []byte) string {
		return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
	}
	return map[string]string{
		"pkcs8-ed25519": enc("PRIVATE KEY", pkcs8), // the shortest: 64 characters of body
		"sec1":          enc("EC PRIVATE KEY", sec1),
		"pkcs1":         enc("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rk)),
		"openssh":       string(pem.EncodeToMemory(openssh)),
		"encrypted": "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0123456789ABCDEF0123456789ABCDEF\n\n" +
			strings.SplitN(enc("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rk)), "\n", 2)[1],
	}
}

const pgpPrivate = `-----BEGIN PGP PRIVATE KEY BLOCK-----
Comment: made for a test

lFgEZ0123RYJKwYBBAHaRw8BAQdAkxaWf3a8dP3vYdTSkB2DX8Yb0Y9Wq3Yc4v7C
m6qWnLsAAQCM0S3rXnq8hYfH1fQkC4tUZ0o7m8E6yQyJ0eV3o9y1WxEDtBBUZXN0
=AbCd
-----END PGP PRIVATE KEY BLOCK-----
`

const puttyPrivate = `PuTTY-User-Key-File-3: ssh-ed25519
Encryption: none
Comment: eddsa-key-20261201
Public-Lines: 2
AAAAC3NzaC1lZDI1NTE5AAAAIHgGQk2m2Y4a9d2nqYVt8Qf8k3m6cQm0dK9xS9y7X2bM
Private-Lines: 1
AAAAIF2i8V7GQ0x0Q3y8m6u1dV9nQ0r3x0mH3J2f7bS9a0kC
Private-MAC: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
`

func serviceAccountJSON(t testing.TB, key string) string {
	t.Helper()
	b, err := json.MarshalIndent(map[string]string{
		"type": "service_account", "project_id": "demo-123", "private_key_id": "0123abcd",
		"private_key": key, "client_email": "ci@demo-123.iam.gserviceaccount.com",
	}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Every kind of secret the issue names, by name and by content, and the
// pages that only mention keys, which must stay served.
func TestSecretKind(t *testing.T) {
	keys := testKeys(t)
	padding := strings.Repeat("-----BEGIN CERTIFICATE-----\n"+strings.Repeat("MIIB", 16)+"\n-----END CERTIFICATE-----\n", 1000)
	if len(padding) < 64<<10 {
		t.Fatal("the padding is too short to push the key past 64 KiB")
	}
	for _, c := range []struct {
		name, content string
		nilContent    bool   // the file is too large to read
		kind          string // in the kind; "" for none
		hide          bool
	}{
		// Names of secrets.
		{"id_rsa", "", true, "an SSH private key (id_rsa)", true},
		{"deploy/id_rsa.bak", keys["openssh"], false, "an SSH private key (id_rsa.bak)", true},
		{"id_ed25519.old", "", false, "an SSH private key", true},
		{"id_ecdsa_sk~", "", false, "an SSH private key", true},
		{"github_rsa", "", false, "an SSH private key", true},
		{"deploy_key", "", false, "a private key (deploy_key)", true},
		{"deploy-key.bak", "", false, "a private key", true},
		{"ci/github_deploy_key", keys["openssh"], false, "a private key", true},
		{"env.production", "API_KEY=x", false, "an environment file (env.production)", true},
		{".env.local", "API_KEY=x", false, "an environment file", true},
		{"config/prod.env", "API_KEY=x", false, "an environment file (prod.env)", true},
		{".envrc", "export API_KEY=x", false, "an environment file", true},
		{"credentials.json", "{}", false, "a credentials file", true},
		{".aws/credentials", "[default]\n", false, "a credentials file", true},
		{"service-account.json", "{}", false, "a Google credentials file", true},
		{"client_secret_1234.apps.googleusercontent.com.json", "{}", false, "a Google credentials file", true},
		{"keys/me.ppk", "", true, "a PuTTY private key (me.ppk)", true},
		{".pgpass", "", false, "PostgreSQL passwords", true},
		{"kubeconfig", "", false, "a Kubernetes config", true},
		{".kube/config", "", false, "a Kubernetes config", true},
		{"infra/terraform.tfstate", "{}", false, "Terraform state", true},
		{"terraform.tfstate.backup", "{}", false, "Terraform state", true},
		{"wp-config.php", "<?php", false, "a WordPress configuration", true},
		{"wp-config.php.bak", "<?php", false, "a WordPress configuration", true},
		{"config/master.key", "0123456789abcdef0123456789abcdef", false, "a Rails credentials key", true},
		{"backup.p12", "", true, "a key store", true},
		{".htpasswd", "", false, "password hashes", true},
		{".git-credentials", "", false, "Git credentials", true},
		// Names that need their content to confirm them.
		{"certs/server.pem", keys["pkcs1"], false, "a private key (server.pem)", true},
		{"certs/short.pem", "-----BEGIN PRIVATE KEY-----\nSECRET\n-----END PRIVATE KEY-----\n", false, "a private key", true},
		{"certs/chain.pem", padding, false, "", false},
		{"certs/bundle.pem", padding + keys["sec1"], false, "a private key (bundle.pem)", true},
		{"keys/signing.asc", pgpPrivate, false, "a PGP private key (signing.asc)", true},
		{"keys/public.asc", "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZ0123\n-----END PGP PUBLIC KEY BLOCK-----\n", false, "", false},
		{"secring.gpg", "\x95\x01\xd8\x04", false, "a PGP private key", true},
		{"keys/export.gpg", "\xc5\x58\x04", false, "a PGP private key", true},
		{"pubring.gpg", "\x99\x01\x0d\x04", false, "", false},
		{".npmrc", "//registry.npmjs.org/:_authToken=npm_SECRET\n", false, "an npm auth token", true},
		{".npmrc", "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n", false, "", false},
		{".yarnrc.yml", "npmAuthToken: \"abc\"\n", false, "a Yarn auth token", true},
		{"talk.key", "PK\x03\x04 a Keynote file", false, "", false},
		{"hot-key", "a page about keyboards", false, "", false},
		{"env.js", "window.env = {}", false, "", false},
		{".env.example", "API_KEY=", false, "", false},
		{"id_rsa.pub", "ssh-ed25519 AAAA", false, "", false},
		{"id_rsa-cert.pub", "ssh-ed25519-cert-v01@openssh.com AAAA", false, "", false},
		// Content alone, whatever the name.
		{"notes.dat", strings.Repeat("x", 100<<10) + keys["pkcs8-ed25519"], false, "a private key", true},
		{"backup/key.txt", keys["encrypted"], false, "a private key", true},
		{"tls", keys["pkcs8-ed25519"], false, "a private key", true},
		{"my-project-0a1b2c.json", serviceAccountJSON(t, keys["pkcs8-ed25519"]), false, "a Google service-account key", true},
		{"signing", pgpPrivate, false, "a PGP private key", true},
		{"me.key.txt", puttyPrivate, false, "a PuTTY private key", true},
		{"ops/aws.ini", "[default]\naws_access_key_id = AKIA0123456789ABCDEF\naws_secret_access_key = 7Fq2bPxRfiCYz0123456789abcdefGHIJKLMNOPQ\n", false, "an AWS secret access key", true},
		{"cluster.yaml", "users:\n- name: ci\n  user:\n    client-key-data: " + strings.Repeat("LS0tLS1CRUdJTi", 8) + "\n", false, "a Kubernetes client key", true},
		{"ci.yml", "token: ghp_0123456789abcdefghijABCDEFGHIJ012345\n", false, "a GitHub access token", true},
		// A page, document, script or data file holding a key: reported,
		// still served.
		{"docs/tls.html", "<pre>" + keys["pkcs1"] + "</pre>", false, "a private key", false},
		{"guide/keys.md", "```\n" + keys["openssh"] + "```\n", false, "a private key", false},
		{"assets/app.js", `const t = "npm_0123456789abcdefghijABCDEFGHIJ012345";`, false, "an npm access token", false},
		{"search/index.json", `{"docs":["` + strings.ReplaceAll(keys["sec1"], "\n", " ") + `"]}`, false, "a private key", false},
		// Documentation that mentions keys without holding one (from
		// Debian's python3.11-doc, library/ssl.rst.txt, and the manuals
		// of OpenSSH, PuTTY and the AWS CLI).
		{"library/ssl.rst.txt", "the certificate chain::\n\n   -----BEGIN RSA PRIVATE KEY-----\n   ... (private key in base64 encoding) ...\n   -----END RSA PRIVATE KEY-----\n   -----BEGIN CERTIFICATE-----\n   ... (certificate in base64 PEM encoding) ...\n   -----END CERTIFICATE-----\n", false, "", false},
		{"man/ssh-keygen.html", "<p>The key starts with <code>-----BEGIN OPENSSH PRIVATE KEY-----</code> and", false, "", false},
		{"docs/openssh.md", "```\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA...\n-----END OPENSSH PRIVATE KEY-----\n```\n", false, "", false},
		{"putty/pubkeys.html", "<p>The file begins with <code>PuTTY-User-Key-File-3: ssh-rsa</code>.</p>", false, "", false},
		{"aws/configure.html", "<pre>aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY</pre>", false, "", false},
		{"gcp/keys.html", `<pre>{"type": "service_account", "private_key": "..."}</pre>`, false, "", false},
		{"gpg/manual.txt", "gpg --export-secret-keys writes -----BEGIN PGP PRIVATE KEY BLOCK----- ...", false, "", false},
		{"big.html", "", true, "", false},
		// Debian's openjdk-17-doc: pages named after key classes.
		{"api/java.base/java/security/PrivateKey.html", "<h1>Interface PrivateKey</h1>", false, "", false},
		{"api/java.base/javax/crypto/class-use/SecretKey.html", "<h1>Uses of SecretKey</h1>", false, "", false},
		{"man/id_rsa.md", "# id_rsa\nThe default name of an SSH key.", false, "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var content []byte
			if !c.nilContent {
				content = []byte(c.content)
			}
			kind, hide := SecretKind(c.name, content), true
			if shown := ShownSecret(c.name, content); shown != "" {
				if kind != "" {
					t.Fatalf("both SecretKind %q and ShownSecret %q", kind, shown)
				}
				kind, hide = shown, false
			}
			switch {
			case c.kind == "" && kind != "":
				t.Errorf("SecretKind = %q, %t; want none", kind, hide)
			case c.kind != "" && !strings.Contains(kind, c.kind):
				t.Errorf("SecretKind = %q, want %q", kind, c.kind)
			case kind != "" && hide != c.hide:
				t.Errorf("hide = %t, want %t (%s)", hide, c.hide, kind)
			}
		})
	}
}

func FuzzSecretKind(f *testing.F) {
	for _, k := range testKeys(f) {
		f.Add("id_rsa", k)
		f.Add("docs/page.html", k)
	}
	f.Add("service.json", serviceAccountJSON(f, "-----BEGIN PRIVATE KEY-----\nx"))
	f.Add("a.asc", pgpPrivate)
	f.Add("b.ppk", puttyPrivate)
	f.Add(".npmrc", "_authToken=abc")
	f.Fuzz(func(t *testing.T, name, content string) {
		kind, shown := SecretKind(name, []byte(content)), ShownSecret(name, []byte(content))
		if kind != "" && shown != "" {
			t.Fatalf("%q is both a secret (%s) and a page showing one (%s)", name, kind, shown)
		}
		// What the name alone hides, no content un-hides.
		if byName := SecretKind(name, nil); byName != "" && kind == "" {
			t.Fatalf("by name %q; with content not hidden (shown: %q)", byName, shown)
		}
		if ShownSecret(name, nil) != "" {
			t.Fatalf("a page shows a secret without content: %q", name)
		}
		if strings.ContainsAny(kind+shown, "\n\r") && !strings.ContainsAny(name, "\n\r") {
			t.Fatalf("kind %q%q holds a line break the name does not", kind, shown)
		}
	})
}
