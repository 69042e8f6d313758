package migrate

import (
	"fmt"
	"strings"

	"github.com/hardstatic/buildpack/internal/config"
)

// HeadersFile is Netlify's and Cloudflare Pages' response headers file, read
// from the site root.
const HeadersFile = "_headers"

// HeaderBlock is one block of a _headers file: a path pattern and the
// headers set (in file order, a name written twice twice) or detached
// ("! Name") on the responses it matches.
type HeaderBlock struct {
	Line   int // the line of the path
	Path   string
	Set    []HeaderLine
	Detach []HeaderLine
}

// HeaderLine is one "Name: value" (or "! Name") line.
type HeaderLine struct {
	Line        int
	Name, Value string
}

// ParseHeaders reads a _headers file: blocks of a path line (starting with
// / or https://) followed by (indented) "Name: value" lines and
// "! Name" lines that remove a header a broader block set. Blank lines and
// lines starting with "#" are ignored. Every malformed line is an
// *config.Error naming the file and line; several are joined.
func ParseHeaders(name string, data []byte) ([]HeaderBlock, error) {
	if len(data) > config.MaxFileSize {
		return nil, config.TooLargeError(name, len(data))
	}
	var blocks []HeaderBlock
	var errs []error
	fail := func(line int, e *lineError) {
		errs = append(errs, &config.Error{File: name, Pos: config.Position{Line: line, Col: 1}, Msg: e.msg, Hint: e.hint})
	}
	for i, line := range lines(data) {
		n := i + 1
		if len(errs) > config.MaxErrors {
			break
		}
		if err := checkLine(line); err != nil {
			fail(n, err)
			continue
		}
		text := strings.TrimSpace(line)
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if isPathOrURL(text) { // no header name starts with / or holds "//"
			if strings.ContainsAny(text, " \t") {
				fail(n, &lineError{fmt.Sprintf("the path %q holds a space", text), "write the path alone on its line and each header on an indented line below it"})
				continue
			}
			blocks = append(blocks, HeaderBlock{Line: n, Path: text})
			continue
		}
		if len(blocks) == 0 {
			fail(n, &lineError{fmt.Sprintf("%q comes before any path", text), "start a block with a path line such as /* and indent its headers below it"})
			continue
		}
		b := &blocks[len(blocks)-1]
		if rest, ok := strings.CutPrefix(text, "!"); ok {
			h := strings.TrimSpace(rest)
			if !config.ValidToken(h) {
				fail(n, &lineError{fmt.Sprintf("%q is not a header name to detach", h), "write ! and the header's name, e.g. ! Content-Security-Policy"})
				continue
			}
			b.Detach = append(b.Detach, HeaderLine{Line: n, Name: h})
			continue
		}
		k, v, ok := strings.Cut(text, ":")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch {
		case !ok:
			fail(n, &lineError{fmt.Sprintf("%q is neither a path nor a header", text), "paths start with / and are not indented; headers are indented Name: value lines"})
		case !config.ValidToken(k):
			fail(n, &lineError{fmt.Sprintf("%q is not a header name", k), "use letters, digits and -, e.g. X-Frame-Options: DENY"})
		case v == "":
			fail(n, &lineError{fmt.Sprintf("header %s has no value", k), fmt.Sprintf("give it a value, or write ! %s to remove it", k)})
		default:
			b.Set = append(b.Set, HeaderLine{Line: n, Name: k, Value: v})
		}
	}
	if len(errs) > 0 {
		return nil, config.JoinErrors(errs)
	}
	return blocks, nil
}

// FormatHeaders writes blocks back in _headers syntax.
// ParseHeaders(FormatHeaders(blocks)) gives the same blocks (lines aside).
func FormatHeaders(blocks []HeaderBlock) string {
	var b strings.Builder
	for _, blk := range blocks {
		b.WriteString(blk.Path + "\n")
		for _, h := range blk.Set {
			b.WriteString("  " + h.Name + ": " + h.Value + "\n")
		}
		for _, h := range blk.Detach {
			b.WriteString("  ! " + h.Name + "\n")
		}
	}
	return b.String()
}
