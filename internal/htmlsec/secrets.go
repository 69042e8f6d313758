package htmlsec

import (
	"bytes"
	"path"
	"regexp"
	"strings"
)

// MaxSecretScan is the largest file whose content is searched for secrets,
// all of it; larger files are judged by their name alone.
const MaxSecretScan = 1 << 20

// SecretKind names the kind of secret a file likely holds, so that it is
// never served, judged by its name (slash-separated, relative to the root)
// and its content (the whole file; nil when it is larger than
// MaxSecretScan or unreadable); "" when it looks harmless or is a page that
// merely shows a key (see ShownSecret).
//
// A file is a secret when its name is that of one (id_rsa.bak, deploy_key,
// .env.production, credentials.json, *.ppk, terraform.tfstate, ...; some
// names count only with content that confirms them, e.g. a .pem holding
// "PRIVATE KEY"), or when its content holds one: a PEM or PGP private key
// with a body of realistic length, a PuTTY key, a Google service-account
// key (whatever the file's name), an AWS secret access key, a Kubernetes
// client key, an npm, GitHub or Stripe token.
func SecretKind(name string, content []byte) string {
	if kind, hide := judgeSecret(name, content); hide {
		return kind
	}
	return ""
}

// ShownSecret names the kind of key or token that the content of a page,
// document, script or data file (.html, .md, .js, .json, ...) shows, or "".
// Such a file is reported and still served: documentation shows example
// keys, and hiding a page would break the site.
func ShownSecret(name string, content []byte) string {
	if kind, hide := judgeSecret(name, content); !hide {
		return kind
	}
	return ""
}

// judgeSecret returns the kind of secret the file looks like, and whether
// it is one to hide (false: only shown in a page).
func judgeSecret(name string, content []byte) (kind string, hide bool) {
	base := path.Base(name)
	lower := strings.ToLower(base)
	dir := strings.ToLower(path.Dir(name))
	if kind := nameKind(lower, dir, base, content); kind != "" {
		return kind, true
	}
	if content == nil {
		return "", false
	}
	if containsAny(content, "service_account") && serviceAccount.Match(content) {
		return "a Google service-account key (\"private_key\")", true
	}
	for _, m := range contentMarkers {
		if m.match(content) {
			return m.kind, !isPage(lower)
		}
	}
	return "", false
}

// nameKind judges by the file's name, with content to confirm the names that
// are also used for harmless files.
func nameKind(lower, dir, base string, content []byte) string {
	ext := path.Ext(lower)
	has := func(subs ...string) bool { return containsAny(content, subs...) }
	switch {
	case isEnvFile(lower):
		return "an environment file (" + base + ")"
	case lower == ".npmrc" || lower == "npmrc":
		if npmToken.Match(content) {
			return "an npm auth token (" + base + ")"
		}
	case lower == ".yarnrc.yml" || lower == ".yarnrc":
		if yarnToken.Match(content) || npmToken.Match(content) {
			return "a Yarn auth token (" + base + ")"
		}
	case lower == ".git-credentials":
		return "Git credentials (.git-credentials)"
	case lower == ".netrc" || lower == "_netrc":
		if has("password") {
			return "login passwords (" + base + ")"
		}
	case lower == ".htpasswd":
		return "password hashes (.htpasswd)"
	case lower == ".pgpass":
		return "PostgreSQL passwords (.pgpass)"
	case lower == ".my.cnf" || lower == ".pypirc" || lower == ".s3cfg":
		if has("password", "secret_key") {
			return "stored passwords (" + base + ")"
		}
	case lower == "config.json" && path.Base(dir) == ".docker", lower == ".dockercfg":
		if has(`"auth"`) {
			return "registry credentials (" + base + ")"
		}
	case lower == "kubeconfig" || ext == ".kubeconfig" || lower == "config" && path.Base(dir) == ".kube":
		return "a Kubernetes config with cluster credentials (" + base + ")"
	case sshKeyName.MatchString(lower) && !strings.Contains(lower, ".pub") && !isPage(lower):
		return "an SSH private key (" + base + ")"
	case keyFileName.MatchString(lower) && !strings.Contains(lower, ".pub") && !isPage(lower): // not PrivateKey.html
		return "a private key (" + base + ")"
	case (strings.HasSuffix(lower, "_key") || strings.HasSuffix(lower, "-key")) && ext == "":
		if privateKeyMarker.Match(content) || has("PuTTY-User-Key-File-", "PGP PRIVATE KEY BLOCK") {
			return "a private key (" + base + ")"
		}
	case lower == "master.key" || lower == "credentials.yml.enc":
		return "a Rails credentials key (" + base + ")"
	case ext == ".pem" || ext == ".key" || ext == ".p8" || ext == ".crt" || ext == ".cer":
		if privateKeyMarker.Match(content) {
			return "a private key (" + base + ")"
		}
	case ext == ".ppk":
		return "a PuTTY private key (" + base + ")"
	case ext == ".asc" || ext == ".gpg" || ext == ".pgp":
		if pgpPrivateKey(content) || strings.HasPrefix(lower, "secring.") {
			return "a PGP private key (" + base + ")"
		}
	case strings.HasPrefix(lower, "secring."):
		return "a PGP private key ring (" + base + ")"
	case ext == ".p12" || ext == ".pfx" || ext == ".jks" || ext == ".keystore" || ext == ".bks":
		return "a key store (" + base + ")"
	case ext == ".kdbx":
		return "a password database (" + base + ")"
	case credentialsName.MatchString(lower):
		return "a credentials file (" + base + ")"
	case ext == ".json" && (strings.HasPrefix(lower, "service-account") || strings.HasPrefix(lower, "service_account") ||
		strings.HasPrefix(lower, "client_secret")):
		return "a Google credentials file (" + base + ")"
	case ext == ".tfstate" || strings.HasSuffix(lower, ".tfstate.backup") || ext == ".tfvars":
		return "Terraform state or variables, which hold secrets (" + base + ")"
	case strings.HasPrefix(lower, "wp-config"):
		return "a WordPress configuration with its database password (" + base + ")"
	}
	return ""
}

var (
	// id_rsa, id_ed25519_sk, id_rsa.bak, id_rsa~, id_ecdsa-old; and *_rsa
	// or *_ed25519 without an extension (github_rsa, deploy_ed25519).
	sshKeyName = regexp.MustCompile(`^(id_(rsa|dsa|ecdsa|ed25519)(_sk)?([._~-].*)?|[a-z0-9]+[_-](rsa|dsa|ecdsa|ed25519))$`)
	// deploy_key, deploy-key.bak, ssh_key, private_key, privatekey, secret_key.
	keyFileName = regexp.MustCompile(`^(deploy|ssh|private|priv|secret)[_-]?key([._~-].*)?$`)
	// credentials, credentials.json/.yml/.yaml/.xml/.csv/.txt/.ini, aws_credentials, *_accessKeys.csv.
	credentialsName = regexp.MustCompile(`^([a-z0-9]+[_-])?credentials(\.(json|ya?ml|xml|csv|txt|ini|conf|cfg|bak|old))?$|_accesskeys\.csv$`)
	// .env.production, .env.local, env.production, prod.env (not .env.example).
	envName = regexp.MustCompile(`^(\.env(\..+)?|\.envrc|env\.(production|prod|staging|stage|development|dev|local|test|preview|live)|.+\.env)$`)

	// A PEM private key (PKCS#1, SEC1, PKCS#8, OpenSSH, encrypted) with at
	// least 60 characters of base64 body: the shortest real key, an Ed25519
	// PKCS#8 key, has 64. Documentation that shows a header over "..."
	// does not match.
	privateKeyMarker = regexp.MustCompile(`-----BEGIN ((RSA|EC|DSA|OPENSSH|ENCRYPTED|ANY) )?PRIVATE KEY-----`)
	pemKey           = regexp.MustCompile(privateKeyMarker.String() + armorHeaders + base64Body)
	pgpKey           = regexp.MustCompile(`-----BEGIN PGP PRIVATE KEY BLOCK-----` + armorHeaders + base64Body)
	serviceAccount   = regexp.MustCompile(`(?s)"type"\s*:\s*"service_account".*"private_key"\s*:\s*"-----BEGIN|"private_key"\s*:\s*"-----BEGIN.*"type"\s*:\s*"service_account"`)
	npmToken         = regexp.MustCompile(`(?m)(_authToken|_auth|_password)\s*=\s*["']?[^\s$"'{]|\bnpm_[A-Za-z0-9]{36}\b`)
	yarnToken        = regexp.MustCompile(`(?m)npmAuth(Token|Ident)\s*:\s*["']?[^\s"'$]`)
)

const (
	// armorHeaders are the optional "Name: value" lines after a BEGIN line
	// (Proc-Type, DEK-Info, Version, Comment).
	armorHeaders = `\s*(?:[A-Za-z-]+:[^\n]*\n\s*)*`
	base64Body   = `(?:[A-Za-z0-9+/=]\s*){60}`
)

// contentMarker is a kind of secret recognised in a file's content. The
// literals are a fast filter: the pattern is only tried on content that
// holds one of them.
type contentMarker struct {
	kind     string
	literals []string
	re       *regexp.Regexp
}

func (m contentMarker) match(content []byte) bool {
	if !containsAny(content, m.literals...) {
		return false
	}
	loc := m.re.Find(content)
	return loc != nil && !bytes.Contains(loc, []byte("EXAMPLE"))
}

// contentMarkers are checked, in order, in the content of every file.
var contentMarkers = []contentMarker{
	{"a private key", []string{"PRIVATE KEY-----"}, pemKey},
	{"a PGP private key", []string{"PGP PRIVATE KEY BLOCK"}, pgpKey},
	{"a PuTTY private key", []string{"PuTTY-User-Key-File-"},
		regexp.MustCompile(`(?m)^PuTTY-User-Key-File-\d: .*\r?\n(?:.*\r?\n){0,6}?Private-Lines: \d+`)},
	{"a Kubernetes client key (client-key-data)", []string{"client-key-data"},
		regexp.MustCompile(`client-key-data:\s*[A-Za-z0-9+/=]{60,}`)},
	{"an AWS secret access key", []string{"aws_secret_access_key", "AWS_SECRET_ACCESS_KEY"},
		regexp.MustCompile(`(?i)aws_secret_access_key\s*[=:]\s*["']?[A-Za-z0-9/+]{40}\b`)},
	{"an npm access token", []string{"npm_"}, regexp.MustCompile(`\bnpm_[A-Za-z0-9]{36}\b`)},
	{"a GitHub access token", []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"},
		regexp.MustCompile(`\b(gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82})\b`)},
	{"a Stripe live secret key", []string{"k_live_"}, regexp.MustCompile(`\b[rs]k_live_[A-Za-z0-9]{24,}\b`)},
}

func isEnvFile(lower string) bool {
	return envName.MatchString(lower) && !isExample(lower)
}

func isExample(name string) bool {
	for _, s := range []string{"example", "sample", "template", "dist", "defaults", "schema"} {
		if strings.HasSuffix(name, "."+s) || strings.HasPrefix(name, s+".") || strings.Contains(name, "."+s+".") {
			return true
		}
	}
	return false
}

// isPage reports whether the file is a page, document, script or data file
// of the site, which a key marker in its content does not hide.
func isPage(lower string) bool {
	switch path.Ext(lower) {
	case ".html", ".htm", ".xhtml", ".md", ".markdown", ".mdx", ".rst", ".adoc", ".asciidoc", ".org", ".tex",
		".js", ".mjs", ".cjs", ".map", ".css", ".json", ".xml", ".svg", ".ipynb":
		return true
	}
	return false
}

// pgpPrivateKey recognises an armored PGP private key block, or a binary
// key file that starts with a secret-key packet (tag 5, old or new format).
func pgpPrivateKey(content []byte) bool {
	if len(content) == 0 {
		return false
	}
	if pgpKey.Match(content) {
		return true
	}
	c := content[0]
	return c&0xfc == 0x94 || c == 0xc5
}

func containsAny(data []byte, subs ...string) bool {
	for _, sub := range subs {
		if bytes.Contains(data, []byte(sub)) {
			return true
		}
	}
	return false
}
