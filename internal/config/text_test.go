package config

import (
	"strings"
	"testing"
)

// Control, bidirectional and invisible characters are refused in every
// value and key, where they are written; they would reach Location headers
// and the build log raw.
func TestParseRefusesControlCharacters(t *testing.T) {
	for _, c := range []struct {
		name, src, want string
	}{
		{"NUL in root", "root = \"pub\\u0000lic\"\n",
			`static.toml:1:1: key "root": the value holds a control character (U+0000) at character 4 (remove it`},
		{"ESC in a redirect target", "[[redirects]]\nfrom = \"/a\"\nto = \"/b\\u001b[31mPASS\"\n",
			`static.toml:3:1: key "redirects[1].to": the value holds a control character (U+001B) at character 3`},
		{"line break in canonical_host", "canonical_host = \"\"\"a\nb\"\"\"\n",
			`static.toml:1:1: key "canonical_host": the value holds a control character (U+000A) at character 2`},
		{"DEL in not_found", "not_found = \"/404\\u007f.html\"\n",
			`static.toml:1:1: key "not_found": the value holds a control character (U+007F)`},
		{"C1 in fallback", "fallback = \"/index\u0085.html\"\n",
			`static.toml:1:1: key "fallback": the value holds a control character (U+0085)`},
		{"bidi override in a hide glob", "sri = true\nhide = [\"/ok/**\", \"/\u202egpj.exe\"]\n",
			`static.toml:2:1: key "hide": the value holds a bidirectional control character (U+202E) at character 2`},
		{"bidi isolate in a proxy header", "[[proxies]]\nfrom = \"/api/*\"\nto = \"https://api.example.com/\"\n  [proxies.headers]\n  X-A = \"a\u2066b\"\n",
			`static.toml:5:3: key "proxies[1].headers.X-A": the value holds a bidirectional control character (U+2066)`},
		{"zero-width space in a CSP source", "[csp]\nscript-src = [\"https://cdn\u200b.example.com\"]\n",
			`static.toml:2:1: key "csp.script-src": the value holds an invisible or invalid character (U+200B)`},
		{"ESC in a header glob", "[headers.\"/a\\u001b\"]\nX-A = \"1\"\n",
			`static.toml:1:1: key "headers./a\x1b": the key holds a control character (U+001B) at character 3`},
		{"inside an inline table", "headers = { \"/a\" = { X-A = \"x\\r\\nSet-Cookie: a=b\" } }\n",
			`static.toml:1:1: key "headers./a.X-A": the value holds a control character (U+000D) at character 2`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(FileName, []byte(c.src))
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Fatalf("error %v\nwant one starting %s", err, c.want)
			}
			if strings.ContainsAny(err.Error(), "\x00\x1b\r\u202e\u2066\u200b\x7f\u0085") || strings.Count(err.Error(), "\n") > 0 {
				t.Errorf("the error itself holds the raw character: %q", err)
			}
		})
	}
	// Tab is whitespace, not a control character that can forge anything.
	if _, err := Parse(FileName, []byte("[headers.\"/a\"]\nX-A = \"a\\tb\"\n")); err != nil {
		t.Errorf("a tab is refused: %v", err)
	}
}

// at launch, a ${VAR} whose value holds a control character stops the
// server, naming the key and the variable.
func TestResolveVarsRefusesControlCharacters(t *testing.T) {
	cfg, err := Parse(FileName, []byte("canonical_host = \"${HOST}\"\n[[redirects]]\nfrom = \"/a\"\nto = \"https://${TARGET}/\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HOST": "example.com", "TARGET": "x.example.com\r\nSet-Cookie: a=b"}
	_, err = cfg.ResolveVars(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	want := "static.toml key redirects[1].to: environment variable TARGET holds a control character (U+000D) at character 14; set it to plain, visible text on one line"
	if err == nil || err.Error() != want {
		t.Errorf("error %v\nwant %s", err, want)
	}
}
