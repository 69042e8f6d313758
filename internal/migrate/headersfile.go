package migrate

import (
	"fmt"
	"regexp"
	"slices"
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

// HeadersConfig maps the blocks of a _headers file onto [headers] tables,
// in file order.
func HeadersConfig(file string, blocks []HeaderBlock) *Imported {
	m := newMapper(file)
	setBy := map[string]int{} // header name -> first block line
	for _, b := range blocks {
		glob, names, msg := netlifyGlob(b.Path)
		if msg != "" {
			m.refuse(b.Line, msg, "write a path of the site, such as /assets/* or /blog/:slug")
			continue
		}
		headers, ok := m.blockHeaders(b, names)
		if !ok {
			continue
		}
		for _, h := range headers {
			key := strings.ToLower(h.Name)
			if first, ok := setBy[key]; ok && first != b.Line && h.Value != "" {
				m.noteOnce("join:"+key, "%s: %s is set at line %d and again at line %d: where both paths match, Netlify and Cloudflare Pages send both values joined with a comma; here the later block's value wins.", file, h.Name, first, b.Line)
			} else if !ok {
				setBy[key] = b.Line
			}
		}
		m.headerRule(b.Line, glob, headers)
	}
	if len(blocks) > 0 {
		m.noteOnce("defaults", "%s: its headers apply over this server's security defaults (strict Content-Security-Policy, HSTS, X-Frame-Options, ...): a header it sets replaces the default one, and ! Name removes a default header too.", file)
	}
	return m.finish()
}

var valuePlaceholder = regexp.MustCompile(`:([A-Za-z_][A-Za-z0-9_]*)`)

// blockHeaders maps the lines of one block: a name written twice is joined
// with ", ", a detached name becomes a removal ("") unless the block sets it.
func (m *mapper) blockHeaders(b HeaderBlock, names []string) ([]config.Header, bool) {
	var out []config.Header
	for _, h := range b.Set {
		if strings.EqualFold(h.Name, "Basic-Auth") {
			m.refuse(h.Line, "Basic-Auth holds plain-text passwords (Netlify's password protection)", "protect the paths with [basic_auth] in static.toml and bcrypt hashes (static-server hash-password)")
			return nil, false
		}
		if !m.literal(h.Line, h.Value) {
			return nil, false
		}
		for _, sub := range valuePlaceholder.FindAllStringSubmatch(h.Value, -1) {
			if n := sub[1]; slices.Contains(names, n) {
				m.refuse(h.Line, fmt.Sprintf("the value of %s uses :%s from the path", h.Name, n), "header values are fixed text here: write the value out for each path")
				return nil, false
			}
		}
		out = mergeHeaders(out, []config.Header{{Name: h.Name, Value: h.Value}})
	}
	for _, h := range b.Detach {
		// "! Name" next to "Name: value" in one block replaces the
		// inherited value with the block's, as a later table does here.
		if !slices.ContainsFunc(out, func(x config.Header) bool { return strings.EqualFold(x.Name, h.Name) }) {
			out = append(out, config.Header{Name: h.Name})
		}
	}
	return out, true
}

// netlifyGlob turns a _headers path into a static.toml glob: a splat (*,
// any characters, "/" too) becomes **, a :placeholder segment *. It also
// returns the placeholder names ("splat" for *), or a reason it cannot.
func netlifyGlob(p string) (glob string, names []string, why string) {
	if !strings.HasPrefix(p, "/") {
		return "", nil, fmt.Sprintf("%q names a host: header rules here apply to every host the site is served on", p)
	}
	if strings.ContainsAny(p, "?#[]{}\\") {
		return "", nil, fmt.Sprintf("%q holds ?, #, brackets or a backslash, which a path rule cannot match", p)
	}
	segs := strings.Split(p, "/")
	for i, seg := range segs {
		if name, ok := strings.CutPrefix(seg, ":"); ok && name != "" {
			segs[i] = "*"
			names = append(names, name)
			continue
		}
		if strings.Contains(seg, "*") {
			segs[i] = strings.ReplaceAll(seg, "*", "**")
			if !slices.Contains(names, "splat") {
				names = append(names, "splat")
			}
		}
	}
	glob = strings.Join(segs, "/")
	for strings.Contains(glob, "****") {
		glob = strings.ReplaceAll(glob, "****", "**")
	}
	return glob, names, ""
}
