// Package htmlsec hardens a site's files at build time and finds what should
// not be in them:
//
//   - AddSRI adds Subresource Integrity (integrity="sha384-...") to the
//     <script src> and <link rel=stylesheet href> tags of every HTML file
//     that load files of the site itself, computed from the files as built.
//   - SecretKind and ShownSecret judge whether a file (by name and whole
//     content) likely holds a secret; the one walk of the root
//     (internal/sitefs) asks them about every file.
//
// Both work on the served root only, never follow a symbolic link out of it
// (everything is opened through an os.Root), and skip what they cannot handle
// with a reason rather than failing the build.
package htmlsec

import (
	"bytes"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"slices"
	"strings"

	"golang.org/x/net/html"
)

// DefaultMaxHTMLSize is the largest HTML file AddSRI rewrites.
const DefaultMaxHTMLSize = 10 << 20

// Options tune AddSRI.
type Options struct {
	// Disabled turns AddSRI off: it then changes nothing and says so.
	Disabled bool
	// MaxHTMLSize is the largest HTML file read, in bytes; larger files are
	// skipped with a warning. Default: DefaultMaxHTMLSize.
	MaxHTMLSize int64
	// Anywhere lists pages, relative to the root, that the server sends for
	// URLs other than their own: the 404 page, a single-page app's fallback,
	// rewrite targets. Their relative URLs resolve differently on each URL,
	// so only their root-relative ones ("/app.js") get integrity. 404.html
	// is always treated so.
	Anywhere []string
	// Pages lists the HTML files to rewrite, relative to the root, as the
	// one walk of the root (internal/sitefs) gives them. Default: none.
	Pages []string
}

// Report says what AddSRI did.
type Report struct {
	// Disabled is true when Options.Disabled turned it off.
	Disabled bool
	// Pages is how many HTML files were read.
	Pages int
	// Changed lists the rewritten files, in walk order.
	Changed []Change
	// Skipped lists tags and files left alone, with the reason.
	Skipped []Skip
}

// Tags is the number of integrity attributes added.
func (r Report) Tags() int {
	n := 0
	for _, c := range r.Changed {
		n += len(c.Added)
	}
	return n
}

// Change is one rewritten HTML file.
type Change struct {
	// File is relative to the root, with forward slashes.
	File string
	// Added lists the URLs that got an integrity attribute, in order.
	Added []string
}

// Skip is a file or a tag left without integrity.
type Skip struct {
	// File is relative to the root, with forward slashes.
	File string
	// URL is the src or href of the tag; empty when the whole file was
	// skipped.
	URL string
	// Reason says why, for the build log.
	Reason string
	// Warning marks skips the author should act on (as opposed to the
	// expected ones, such as a script on another origin).
	Warning bool
}

func (s Skip) String() string {
	if s.URL == "" {
		return s.File + ": " + s.Reason
	}
	return fmt.Sprintf("%s: %q: %s", s.File, s.URL, s.Reason)
}

// AddSRI adds integrity attributes to the same-site scripts and stylesheets
// of the HTML files opts.Pages lists under root (see the package
// documentation). A file is
// rewritten, atomically and keeping its mode, only when something was added;
// everything but the added attributes stays byte for byte. Problems with one
// file or tag are reported as skips; the error is for a root that cannot be
// opened or walked at all.
func AddSRI(root string, opts Options) (Report, error) {
	var rep Report
	if opts.Disabled {
		rep.Disabled = true
		return rep, nil
	}
	if opts.MaxHTMLSize <= 0 {
		opts.MaxHTMLSize = DefaultMaxHTMLSize
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return rep, fmt.Errorf("opening the site root: %w", err)
	}
	defer r.Close() //nolint:errcheck // nothing written through the handle itself
	s := &sriRun{root: r, opts: opts, rep: &rep, hashes: map[string]hashResult{}}
	for _, name := range opts.Pages {
		s.page(name)
	}
	return rep, nil
}

func isHTML(name string) bool {
	ext := strings.ToLower(path.Ext(name))
	return ext == ".html" || ext == ".htm"
}

type hashResult struct {
	integrity string
	reason    string // why there is none
	warn      bool   // the reason is worth a warning
}

type sriRun struct {
	root   *os.Root
	opts   Options
	rep    *Report
	hashes map[string]hashResult
}

func (s *sriRun) skip(file, u, reason string, warn bool) {
	s.rep.Skipped = append(s.rep.Skipped, Skip{File: file, URL: u, Reason: reason, Warning: warn})
}

// page rewrites one HTML file if any tag gets integrity.
func (s *sriRun) page(name string) {
	f, err := s.root.Open(name)
	if err != nil {
		s.skip(name, "", "cannot be opened: "+errText(err), true)
		return
	}
	info, err := f.Stat()
	if err == nil && info.Size() > s.opts.MaxHTMLSize {
		_ = f.Close()
		s.skip(name, "", fmt.Sprintf("larger than %d MB: not checked for scripts and stylesheets", s.opts.MaxHTMLSize>>20), true)
		return
	}
	var data []byte
	if err == nil {
		data, err = io.ReadAll(io.LimitReader(f, s.opts.MaxHTMLSize+1))
	}
	_ = f.Close()
	if err != nil {
		s.skip(name, "", "cannot be read: "+errText(err), true)
		return
	}
	s.rep.Pages++
	out, added, skips := Rewrite(data, s.resolver(name))
	for _, sk := range skips {
		sk.File = name
		s.rep.Skipped = append(s.rep.Skipped, sk)
	}
	if len(added) == 0 {
		return
	}
	if err := s.replace(name, info.Mode().Perm(), out); err != nil {
		s.skip(name, "", "cannot be rewritten: "+errText(err), true)
		return
	}
	s.rep.Changed = append(s.rep.Changed, Change{File: name, Added: added})
}

// replace writes data to a dotfile beside name (never served, should it be
// left behind) and renames it over name.
func (s *sriRun) replace(name string, perm fs.FileMode, data []byte) error {
	tmp := path.Join(path.Dir(name), "."+path.Base(name)+".sri-tmp")
	_ = s.root.Remove(tmp) // left by an interrupted build; never followed if a link
	f, err := s.root.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = s.root.Chmod(tmp, perm) // the umask may have narrowed it
	}
	if err == nil {
		err = s.root.Rename(tmp, name)
	}
	if err != nil {
		_ = s.root.Remove(tmp)
	}
	return err
}

// resolver returns the Resolver for the page at name: it maps a URL to the
// integrity of the file the server would send for it.
func (s *sriRun) resolver(name string) Resolver {
	anywhere := Anywhere(name, s.opts.Anywhere)
	return func(raw, base string) (string, string, bool) {
		files, reason, warn := Locate(name, anywhere, raw, base)
		if files == nil {
			return "", reason, warn
		}
		return s.integrityOf(files)
	}
}

// Locate lists the files of the root (root-relative, "/js/app.js") that a
// URL written in the page at name can load, given the page's <base href>
// ("" for none): one per directory the page can be requested from. anywhere
// marks a page the server sends for other URLs too (the 404 page, a
// fallback), whose relative URLs name no file for sure. With no file, the
// reason says why and warn whether the author should act on it.
func Locate(name string, anywhere bool, raw, base string) (files []string, reason string, warn bool) {
	bases := pageDirs(name, anywhere)
	dirs := bases
	if base != "" {
		// <base href> sets the directory of every relative URL after it.
		bu, ok := localURL(base)
		if !ok {
			return nil, "the page's <base href> points to another site", false
		}
		dirs = []string{path.Dir(path.Clean("/" + bu.Path + "x"))}
		if !strings.HasPrefix(bu.Path, "/") {
			// A relative base is itself relative to the page.
			dirs = nil
			for _, d := range bases {
				if d == "" {
					return nil, "a relative <base href> in a page served for other URLs too (such as the 404 page)", true
				}
				dirs = append(dirs, path.Dir(path.Join(d, bu.Path+"x")))
			}
		}
	}
	u, ok := localURL(raw)
	if !ok {
		return nil, "another site's file: add integrity yourself (see https://www.srihash.org)", false
	}
	if u.Path == "" {
		return nil, "no file named", false
	}
	if strings.HasPrefix(u.Path, "/") {
		return []string{path.Clean(u.Path)}, "", false
	}
	for _, d := range dirs {
		if d == "" { // the page is served at unknown URLs
			return nil, "a relative URL in a page served for other URLs too (such as the 404 page): use a root-relative one, e.g. \"/" +
				path.Clean(u.Path) + "\"", true
		}
		f := path.Join(d, u.Path)
		if !slices.Contains(files, f) {
			files = append(files, f)
		}
	}
	return files, "", false
}

// Anywhere reports whether the page at name is sent for URLs other than
// its own (see Options.Anywhere; 404.html always is).
func Anywhere(name string, anywhere []string) bool {
	for _, a := range append([]string{"404.html"}, anywhere...) {
		if strings.Trim(path.Clean("/"+a), "/") == name {
			return true
		}
	}
	return false
}

// pageDirs lists the URL directories a page can be requested from: with or
// without clean URLs and trailing slashes, a page's relative URLs resolve
// against different directories. "" stands for any directory.
func pageDirs(name string, anywhere bool) []string {
	if anywhere {
		return []string{""}
	}
	dir := path.Dir("/" + name)
	base := path.Base(name)
	stem := strings.TrimSuffix(base, path.Ext(base))
	if stem == "index" {
		// /d/ and /d/index.html resolve in /d/, /d (trailing_slash =
		// "never") in the parent.
		if dir == "/" {
			return []string{"/"}
		}
		return []string{dir, path.Dir(dir)}
	}
	// /d/page.html and /d/page resolve in /d/, /d/page/ (trailing_slash =
	// "always") in /d/page/.
	return []string{dir, path.Join(dir, stem)}
}

// integrityOf hashes the file every candidate name resolves to. When they
// name different files that exist with different contents, no integrity can
// be right for every URL of the page.
func (s *sriRun) integrityOf(files []string) (string, string, bool) {
	var found string
	var miss hashResult
	for _, f := range files {
		h := s.hash(strings.TrimPrefix(f, "/"))
		switch {
		case h.integrity == "":
			miss = h
		case found == "":
			found = h.integrity
		case h.integrity != found:
			return "", fmt.Sprintf("a relative URL that names different files depending on the page's URL (%s): use a root-relative one",
				strings.Join(files, ", ")), true
		}
	}
	if found == "" {
		if miss.reason == "" {
			return "", "no file named", true
		}
		return "", miss.reason, miss.warn
	}
	return found, "", false
}

// hash returns the integrity of a file inside the root, cached.
func (s *sriRun) hash(name string) hashResult {
	if h, ok := s.hashes[name]; ok {
		return h
	}
	h := s.computeHash(name)
	s.hashes[name] = h
	return h
}

func (s *sriRun) computeHash(name string) hashResult {
	missing := func(reason string) hashResult { return hashResult{reason: reason, warn: true} }
	if name == "" || name == "." {
		return missing("names a directory, not a file")
	}
	for seg := range strings.SplitSeq(name, "/") {
		if strings.HasPrefix(seg, ".") {
			return missing("names a dotfile or a dot-directory, which are never served")
		}
	}
	if isHTML(name) {
		return hashResult{reason: "an HTML file (it may be rewritten itself)"}
	}
	f, err := s.root.Open(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return missing("no such file in the site (/" + name + ")")
		}
		return missing("cannot be read inside the root (a link out of it, or unreadable): " + errText(err))
	}
	defer f.Close() //nolint:errcheck // read-only
	info, err := f.Stat()
	if err != nil {
		return missing(errText(err))
	}
	if !info.Mode().IsRegular() {
		return missing("names a directory or a special file, not a file")
	}
	h := sha512.New384()
	if _, err := io.Copy(h, f); err != nil {
		return missing("cannot be read: " + errText(err))
	}
	return hashResult{integrity: "sha384-" + base64.StdEncoding.EncodeToString(h.Sum(nil))}
}

// localURL parses a URL of the same site: a path, relative or root-relative,
// with no scheme and no host. Backslashes count as slashes, as browsers
// treat them, so "/\host" is another site.
func localURL(raw string) (*url.URL, bool) {
	raw = strings.Trim(raw, "\t\n\f\r ")
	if raw == "" || strings.ContainsAny(raw, "\\\x00") {
		return nil, false
	}
	if strings.HasPrefix(raw, "//") {
		return nil, false
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || u.User != nil {
		return nil, false
	}
	return u, true
}

func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// Resolver returns the integrity value for a tag's URL, given the page's
// <base href> seen so far (""), or the reason there is none and whether
// that reason is worth a warning.
type Resolver func(rawURL, baseHref string) (integrity, reason string, warn bool)

// Rewrite adds integrity attributes to data, an HTML document, for the tags
// resolve gives one. It works on tokens, not a parsed tree: the output is
// data with attributes inserted, nothing else changes. Malformed HTML is
// tokenized as browsers do; it never fails.
func Rewrite(data []byte, resolve Resolver) (out []byte, added []string, skipped []Skip) {
	var ins []insertion
	var base string
	var baseSeen bool
	z := html.NewTokenizer(bytes.NewReader(data))
	offset := 0
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		raw := z.Raw()
		start := offset
		offset += len(raw)
		tag, attrs := sriTag(z, tt)
		if tag == "base" {
			if h, ok := attrs["href"]; ok && !baseSeen { // the first <base href> counts
				base, baseSeen = strings.TrimSpace(h), true
			}
			continue
		}
		u, ok := loadedURL(tag, attrs)
		if !ok {
			continue
		}
		at, text, skip := integrityFor(raw, tt, attrs, u, base, resolve)
		if skip != nil {
			skipped = append(skipped, *skip)
			continue
		}
		ins = append(ins, insertion{start + at, text})
		added = append(added, u)
	}
	if len(ins) == 0 {
		return data, nil, skipped
	}
	return splice(data, ins), added, skipped
}

// insertion is text to insert into a document at a byte offset.
type insertion struct {
	at   int
	text string
}

// sriTag returns the name and attributes (the first of each name counts) of
// a start tag that matters to Rewrite: script, link or base; "" otherwise.
func sriTag(z *html.Tokenizer, tt html.TokenType) (string, map[string]string) {
	if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
		return "", nil
	}
	name, hasAttr := z.TagName()
	tag := string(name)
	if tag != "script" && tag != "link" && tag != "base" {
		return "", nil
	}
	attrs := map[string]string{}
	for hasAttr {
		var k, v []byte
		k, v, hasAttr = z.TagAttr()
		if _, dup := attrs[string(k)]; !dup {
			attrs[string(k)] = string(v)
		}
	}
	return tag, attrs
}

// loadedURL returns the URL a <script src> or a <link> that takes integrity
// loads.
func loadedURL(tag string, attrs map[string]string) (string, bool) {
	switch tag {
	case "script":
		u, ok := attrs["src"]
		return u, ok
	case "link":
		u, ok := attrs["href"]
		return u, ok && linkTakesIntegrity(attrs)
	}
	return "", false
}

// integrityFor says where in the raw tag loading u (with the page's base
// href so far) the integrity attribute goes and what to insert, or why the
// tag is left alone. resolve is asked only for a tag without integrity.
func integrityFor(raw []byte, tt html.TokenType, attrs map[string]string, u, base string, resolve Resolver) (int, string, *Skip) {
	if _, ok := attrs["integrity"]; ok {
		return 0, "", &Skip{URL: u, Reason: "has an integrity attribute already"}
	}
	integrity, reason, warn := resolve(u, base)
	if integrity == "" {
		return 0, "", &Skip{URL: u, Reason: reason, Warning: warn}
	}
	at, text := insertPoint(raw, tt == html.SelfClosingTagToken, `integrity="`+integrity+`"`)
	if at < 0 || !sameTagPlus(raw, at, text, tt, integrity) {
		return 0, "", &Skip{URL: u, Reason: "a malformed tag (an attribute without a value before its \">\")", Warning: true}
	}
	return at, text, nil
}

// splice returns data with the insertions (in order of offset) made.
func splice(data []byte, ins []insertion) []byte {
	var b bytes.Buffer
	b.Grow(len(data) + len(ins)*80)
	prev := 0
	for _, in := range ins {
		b.Write(data[prev:in.at])
		b.WriteString(in.text)
		prev = in.at
	}
	b.Write(data[prev:])
	return b.Bytes()
}

// sameTagPlus checks an insertion by tokenizing the tag before and after it:
// the result must be one tag of the same kind with the same attributes, in
// the same order, plus integrity. This catches tags where the text would be
// read as part of another attribute's value.
func sameTagPlus(raw []byte, at int, text string, tt html.TokenType, integrity string) bool {
	before := tokenizeTag(raw)
	mod := make([]byte, 0, len(raw)+len(text))
	mod = append(append(append(mod, raw[:at]...), text...), raw[at:]...)
	after := tokenizeTag(mod)
	if before == nil || after == nil || after.tt != tt || after.name != before.name || after.rawLen != len(mod) ||
		len(after.attrs) != len(before.attrs)+1 {
		return false
	}
	for i, a := range before.attrs {
		if after.attrs[i] != a {
			return false
		}
	}
	return after.attrs[len(before.attrs)] == html.Attribute{Key: "integrity", Val: integrity}
}

type oneTag struct {
	tt     html.TokenType
	name   string
	attrs  []html.Attribute
	rawLen int
}

func tokenizeTag(raw []byte) *oneTag {
	z := html.NewTokenizer(bytes.NewReader(raw))
	tt := z.Next()
	if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
		return nil
	}
	t := &oneTag{tt: tt, rawLen: len(z.Raw())}
	name, more := z.TagName()
	t.name = string(name)
	for more {
		var k, v []byte
		k, v, more = z.TagAttr()
		t.attrs = append(t.attrs, html.Attribute{Key: string(k), Val: string(v)})
	}
	return t
}

// linkTakesIntegrity reports whether a <link> loads a stylesheet or a script
// (rel=stylesheet, modulepreload, or preload as=script/style): the links
// browsers check integrity on.
func linkTakesIntegrity(attrs map[string]string) bool {
	for rel := range strings.FieldsSeq(strings.ToLower(attrs["rel"])) {
		switch rel {
		case "stylesheet", "modulepreload":
			return true
		case "preload":
			as := strings.ToLower(strings.TrimSpace(attrs["as"]))
			return as == "script" || as == "style"
		}
	}
	return false
}

// insertPoint says where in a raw start tag an attribute goes, and the text
// to insert there: before the closing ">", or before "/>" when the tag is
// self-closing. (In "<script src=a.js/>" the slash belongs to the unquoted
// value and the tag is not self-closing, so it stays where it is.)
func insertPoint(raw []byte, selfClosing bool, attr string) (int, string) {
	end := len(raw) - 1
	if end < 0 || raw[end] != '>' {
		return -1, ""
	}
	// "<script src= >": the attribute would become src's value.
	i := end - 1
	for i >= 0 && isSpace(raw[i]) {
		i--
	}
	if i >= 0 && raw[i] == '=' {
		return -1, ""
	}
	if selfClosing && end > 0 && raw[end-1] == '/' {
		end--
		if end > 0 && isSpace(raw[end-1]) {
			return end, attr + " "
		}
	}
	return end, " " + attr
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}
