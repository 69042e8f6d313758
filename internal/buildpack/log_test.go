package buildpack

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// A name from the app (a file, a value) cannot forge a line of the build log
// or send terminal escapes: it is printed quoted, with Go's escapes, when it
// holds a character that is not printable.
func TestLoggerEscapesNames(t *testing.T) {
	var b bytes.Buffer
	log := logger{w: &b}
	evil := "x\n  PASS: all good\x1b[31m\u202eexe.txt"
	log.Detail("%s: %s", evil, "a private key")
	log.Warn("no integrity for %s", stringer(evil))
	log.Detail("%s", errors.Join(errors.New("static.toml:1:1: one"), fmt.Errorf("reading %s: denied", evil)))
	log.Detail("%s", block("[[redirects]]\nfrom = \"/a\""))
	log.Step("plain %s and %d", "public/index.html", 3)
	want := `    "x\n  PASS: all good\x1b[31m\u202eexe.txt": a private key
  WARNING: no integrity for "x\n  PASS: all good\x1b[31m\u202eexe.txt"
    static.toml:1:1: one
    "reading x\n  PASS: all good\x1b[31m\u202eexe.txt: denied"
    [[redirects]]
    from = "/a"
  plain public/index.html and 3
`
	if got := b.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if strings.ContainsAny(b.String(), "\x1b\u202e") {
		t.Error("raw escapes in the log")
	}
}

type stringer string

func (s stringer) String() string { return string(s) }
