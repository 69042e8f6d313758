package migrate

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hardstatic/buildpack/internal/config"
)

// static.json is bounded the same way: depth, size, and the number of
// problems reported (each of which costs a scan of the file for its line).
func TestParseStaticJSONBounds(t *testing.T) {
	deep := `{"routes": ` + strings.Repeat(`{"a": `, 16<<10/6) + "1" + strings.Repeat("}", 16<<10/6) + "}"
	_, _, err := ParseStaticJSON(config.StaticJSONName, []byte(deep))
	if err == nil || !strings.HasPrefix(err.Error(), "static.json:1:") || !strings.Contains(err.Error(), "nested more than 16 levels deep") {
		t.Errorf("deep nesting: %v", err)
	}
	_, _, err = ParseStaticJSON(config.StaticJSONName, []byte(strings.Repeat("[", 16<<10)))
	if err == nil || !strings.Contains(err.Error(), "nested more than 16 levels deep") {
		t.Errorf("deep arrays: %v", err)
	}
	var b strings.Builder
	b.WriteString(`{"root": "dist"`)
	for i := 0; b.Len() < config.MaxFileSize/4; i++ {
		fmt.Fprintf(&b, `, "k%d": 1, "root": "x"`, i)
	}
	b.WriteString("}")
	_, _, err = ParseStaticJSON(config.StaticJSONName, []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "more problems (fix these first)") || len(err.Error()) > 16<<10 {
		t.Errorf("many problems: %.500v", err)
	}
	_, _, err = ParseStaticJSON(config.StaticJSONName, []byte("{}"+strings.Repeat(" ", config.MaxFileSize)))
	if err == nil || !strings.Contains(err.Error(), "static.json: the file is 1048578 bytes, more than the 1 MiB") {
		t.Errorf("oversized file: %v", err)
	}
}

// Header globs are capped in both formats: static.json's precedence notes
// compare every pair (minutes for a 1 MiB file), and every response is
// matched against each glob.
func TestHeaderRulesBound(t *testing.T) {
	var js, ts strings.Builder
	js.WriteString(`{"headers": {`)
	for i := 0; i <= config.MaxHeaderRules; i++ {
		if i > 0 {
			js.WriteString(",\n")
		}
		fmt.Fprintf(&js, `"/a%d/**": {"X-A": "1"}`, i)
		fmt.Fprintf(&ts, "[headers.\"/a%d/**\"]\nX-A = \"1\"\n", i)
	}
	js.WriteString("}}")
	_, _, err := ParseStaticJSON(config.StaticJSONName, []byte(js.String()))
	if want := `static.json:1001:1: key "headers": more than 1000 header globs (every response`; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("static.json: %v\nwant %s", err, want)
	}
	_, err = config.Parse(config.FileName, []byte(ts.String()))
	if want := `static.toml:2001:1: key "headers./a1000/**": more than 1000 header globs`; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("static.toml: %v\nwant %s", err, want)
	}
}

// netlify.toml is bounded as static.toml is: deep nesting is refused
// before the TOML parser, whose cost grows much faster than the depth,
// reads it.
func TestParseNetlifyTOMLBounds(t *testing.T) {
	for _, src := range []string{
		"a = " + strings.Repeat("{a=", 8000) + "1" + strings.Repeat("}", 8000),
		strings.Repeat("a.", 8000) + "b = 1",
		"[" + strings.Repeat("a.", 8000) + "b]",
	} {
		_, err := ParseNetlifyTOML(NetlifyTOML, []byte(src))
		if err == nil || !strings.HasPrefix(err.Error(), "netlify.toml:1:") || !strings.Contains(err.Error(), "nested more than 16 levels deep") {
			t.Errorf("%.20s...: %v", src, err)
		}
	}
}

func TestParseRedirectsBounds(t *testing.T) {
	var b strings.Builder
	for i := 0; i <= MaxRules; i++ {
		fmt.Fprintf(&b, "/a%d /b\n", i)
	}
	_, err := ParseRedirects(RedirectsFile, []byte(b.String()))
	if err == nil || err.Error() != `_redirects:10001:1: more than 10000 rules (a rule set this large is a mistake: merge rules with * and :placeholders)` {
		t.Errorf("%d rules: %v", MaxRules+1, err)
	}
	_, err = ParseRedirects(RedirectsFile, []byte(strings.Repeat("x", config.MaxFileSize+1)))
	if err == nil || !strings.Contains(err.Error(), "more than the 1 MiB") {
		t.Errorf("large file: %v", err)
	}
}
