package htmlsec

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
)

// Secret is a file in the served directory that likely holds a secret.
type Secret struct {
	// File is relative to the root, with forward slashes.
	File string
	// Kind says what it looks like, e.g. "a private key".
	Kind string
	// Served is true when the server would send it to anyone who asks: it
	// is not a dotfile, not in a dot-directory and not hidden.
	Served bool
}

// SecretsOptions tune ScanSecrets.
type SecretsOptions struct {
	// Hide lists files, relative to the root, that the server never serves
	// besides dotfiles (static.toml, static.json).
	Hide []string
}

// secretPeek is how much of a candidate file is read to confirm it.
const secretPeek = 64 << 10

// ScanSecrets looks for likely secrets under root: .env files, private keys
// (*.pem, *.key, id_rsa and friends holding "PRIVATE KEY"), npm and Yarn
// auth tokens, .git-credentials, .netrc and .htpasswd files. Only files
// whose names suggest a secret are read, and only their beginning. Symbolic
// links are not followed; dot-directories are searched, except .git.
func ScanSecrets(root string, opts SecretsOptions) ([]Secret, error) {
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, err
	}
	defer r.Close() //nolint:errcheck // read-only
	hidden := map[string]bool{}
	for _, h := range opts.Hide {
		hidden[strings.Trim(path.Clean("/"+h), "/")] = true
	}
	var found []Secret
	err = fs.WalkDir(r.FS(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			if name == "." {
				return err
			}
			return nil
		}
		if d.IsDir() {
			if d.Name() == ".git" {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		if kind := secretKind(r, name); kind != "" {
			found = append(found, Secret{File: name, Kind: kind, Served: isServed(name, hidden)})
		}
		return nil
	})
	return found, err
}

// isServed mirrors the server's rules: no segment may start with a dot,
// except a leading .well-known, and hidden files are never served.
func isServed(name string, hidden map[string]bool) bool {
	if hidden[name] {
		return false
	}
	for i, seg := range strings.Split(name, "/") {
		if strings.HasPrefix(seg, ".") && (i > 0 || seg != ".well-known") {
			return false
		}
	}
	return true
}

// secretKind names what kind of secret the file holds, or "".
func secretKind(r *os.Root, name string) string {
	return SecretKind(name, head(r, name))
}

// head is the beginning of a file, or nil.
func head(r *os.Root, name string) []byte {
	f, err := r.Open(name)
	if err != nil {
		return nil
	}
	defer f.Close() //nolint:errcheck // read-only
	data, _ := io.ReadAll(io.LimitReader(f, secretPeek))
	return data
}

// SecretKind names what kind of secret a file with this name and content
// looks like, or "". content may be nil (not read).
func SecretKind(name string, content []byte) string {
	base := path.Base(name)
	lower := strings.ToLower(base)
	ext := path.Ext(lower)
	switch {
	case lower == ".env" || (strings.HasPrefix(lower, ".env.") && !isExample(lower)):
		return "an environment file (.env)"
	case lower == ".npmrc":
		if contains(content, "_authToken", "_auth=", "_password") {
			return "an npm auth token (.npmrc)"
		}
	case lower == ".yarnrc.yml":
		if contains(content, "npmAuthToken", "npmAuthIdent") {
			return "a Yarn auth token (.yarnrc.yml)"
		}
	case lower == ".git-credentials":
		return "Git credentials (.git-credentials)"
	case lower == ".netrc" || lower == "_netrc":
		if contains(content, "password") {
			return "login passwords (.netrc)"
		}
	case lower == ".htpasswd":
		return "password hashes (.htpasswd)"
	case lower == "id_rsa" || lower == "id_dsa" || lower == "id_ecdsa" || lower == "id_ed25519":
		return "an SSH private key (" + base + ")"
	case ext == ".pem" || ext == ".key" || ext == ".p8":
		if contains(content, "PRIVATE KEY") {
			return "a private key (" + base + ")"
		}
	case ext == ".p12" || ext == ".pfx" || ext == ".jks" || ext == ".keystore":
		return "a key store (" + base + ")"
	}
	return ""
}

func isExample(name string) bool {
	for _, s := range []string{".example", ".sample", ".template", ".dist"} {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

// contains reports whether data holds any of subs.
func contains(data []byte, subs ...string) bool {
	for _, s := range subs {
		if bytes.Contains(data, []byte(s)) {
			return true
		}
	}
	return false
}
