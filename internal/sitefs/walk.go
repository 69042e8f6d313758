package sitefs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"syscall"
)

// File is one file the server may serve.
type File struct {
	// Name is the served name, relative to the root.
	Name string
	// Target is the regular file read for it, relative to the root: Name
	// itself, or where the symbolic links on its way lead.
	Target string
	// Size in bytes, when walked.
	Size int64
	// Protected is true when the name or its target needs credentials.
	Protected bool
}

// Excluded is a name of the root that is never served, and why.
type Excluded struct {
	Name   string
	Reason string
	// Secret is the kind of secret the file looks like, or "".
	Secret string
}

// Tree is the result of one walk of a site root: what is served, and what
// is not and why.
type Tree struct {
	// Root is the directory walked.
	Root string
	// Files maps served names to their files.
	Files map[string]*File
	// Dirs holds the served directories (including linked ones).
	Dirs map[string]bool
	// Excluded lists what was left out, by name (plain dotfiles are not
	// listed unless they look like secrets).
	Excluded []Excluded
	// Shown lists served files whose content shows what looks like a key
	// (a documentation page with an example): served, but worth a warning.
	Shown []Excluded
}

// WalkOptions configure Walk.
type WalkOptions struct {
	// Secret names the kind of secret a file looks like, or "" (content is
	// nil for files larger than MaxScan). Default: none.
	Secret func(name string, content []byte) string
	// Shown names what a served file shows that looks like a key, or "".
	// Default: none.
	Shown func(name string, content []byte) string
	// MaxScan is the largest file whose whole content Secret and Shown
	// see. Default: 1 MiB.
	MaxScan int64
}

// maxDepth bounds directory nesting (and so link chains through
// directories).
const maxDepth = 64

// ErrOutside reports a link that leaves the root.
var ErrOutside = errors.New("leaves the site root")

// Walk lists the files under root that rule allows, resolving symbolic
// links inside the root: a link is served as its target, when the target is
// a regular file or directory inside the root that the rule allows under
// its own name too, is not a likely secret, and is not protected while the
// link is not.
func Walk(root string, rule *Rule, opts WalkOptions) (*Tree, error) {
	if opts.MaxScan <= 0 {
		opts.MaxScan = 1 << 20
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("opening the site root: %w", err)
	}
	defer r.Close() //nolint:errcheck // read-only
	w := &walker{r: r, rule: rule, opts: opts, active: map[string]bool{".": true},
		secrets: map[string]string{},
		tree:    &Tree{Root: root, Files: map[string]*File{}, Dirs: map[string]bool{}}}
	if err := w.dir("", ".", 0); err != nil {
		return nil, err
	}
	sort.Slice(w.tree.Excluded, func(i, j int) bool { return w.tree.Excluded[i].Name < w.tree.Excluded[j].Name })
	return w.tree, nil
}

type walker struct {
	r       *os.Root
	rule    *Rule
	opts    WalkOptions
	tree    *Tree
	active  map[string]bool   // real directories being walked (loop guard)
	secrets map[string]string // real name -> kind, once read
	last    struct {          // the file content read last
		name string
		data []byte
	}
}

func (w *walker) exclude(name, reason, secret string) {
	w.tree.Excluded = append(w.tree.Excluded, Excluded{Name: name, Reason: reason, Secret: secret})
}

// dir walks the directory src, served as name ("" for the root).
func (w *walker) dir(name, src string, depth int) error {
	entries, err := readDir(w.r, src)
	if err != nil {
		if src == "." {
			return fmt.Errorf("reading the site root: %w", err)
		}
		w.exclude(name, "a directory that cannot be read", "")
		return nil
	}
	for _, e := range entries {
		served, realChild := path.Join(name, e.Name()), path.Join(src, e.Name())
		if why := w.rule.Refuses(served); why != "" {
			w.refused(served, realChild, e, why, depth)
			continue
		}
		w.entry(served, realChild, depth)
	}
	return nil
}

// entry adds one served name whose src path (before links) is src.
func (w *walker) entry(served, src string, depth int) {
	info, err := w.r.Lstat(src)
	if err != nil {
		w.exclude(served, "cannot be read", "")
		return
	}
	if info.Mode()&fs.ModeSymlink != 0 {
		target, why := w.link(src)
		if why != "" {
			w.exclude(served, why, "")
			return
		}
		if info, err = w.r.Lstat(target); err != nil {
			w.exclude(served, "a link whose target cannot be read", "")
			return
		}
		src = target
	}
	switch {
	case info.IsDir():
		if w.active[src] || depth >= maxDepth {
			w.exclude(served, "a link loop (a directory linked inside itself)", "")
			return
		}
		w.tree.Dirs[served] = true
		w.active[src] = true
		_ = w.dir(served, src, depth+1)
		delete(w.active, src)
	case info.Mode().IsRegular():
		w.file(served, src, info.Size())
	default:
		w.exclude(served, "not a regular file", "")
	}
}

// link resolves the link at src, and says why it is not served.
func (w *walker) link(src string) (target, why string) {
	target, err := Resolve(w.r, src)
	switch {
	case errors.Is(err, ErrOutside):
		return "", "a link that leaves the site root"
	case errors.Is(err, errLoop):
		return "", "a link loop"
	case err != nil:
		return "", "a link to nothing (dangling)"
	}
	if why := w.rule.Refuses(target); why != "" {
		return "", fmt.Sprintf("a link to %s, which is never served (%s)", target, why)
	}
	return target, ""
}

func (w *walker) file(served, src string, size int64) {
	if strings.ContainsAny(served, "\t\n\r") {
		w.exclude(served, "a name with a tab or line break", "")
		return
	}
	if kind := w.secret(src, size); kind != "" {
		w.exclude(served, "looks like "+kind, kind)
		return
	}
	protected := w.rule.Protected("/" + served)
	if src != served && !protected && w.rule.Protected("/"+src) {
		w.exclude(served, fmt.Sprintf("a link to the protected %s from a path basic auth does not protect", src), "")
		return
	}
	if kind := w.shown(src, size); kind != "" {
		w.tree.Shown = append(w.tree.Shown, Excluded{Name: served, Reason: "shows " + kind, Secret: kind})
	}
	w.tree.Files[served] = &File{Name: served, Target: src, Size: size, Protected: protected || w.rule.Protected("/"+src)}
}

// secret runs the secret check on a src file once.
func (w *walker) secret(src string, size int64) string {
	if w.opts.Secret == nil {
		return ""
	}
	if kind, ok := w.secrets[src]; ok {
		return kind
	}
	kind := w.opts.Secret(src, w.content(src, size))
	w.secrets[src] = kind
	return kind
}

// shown runs the check for keys a served file merely shows.
func (w *walker) shown(src string, size int64) string {
	if w.opts.Shown == nil {
		return ""
	}
	return w.opts.Shown(src, w.content(src, size))
}

// content is the whole of a small file (nil above MaxScan), read once.
func (w *walker) content(src string, size int64) []byte {
	if size > w.opts.MaxScan {
		return nil
	}
	if w.last.name == src {
		return w.last.data
	}
	data, _ := readSmall(w.r, src, w.opts.MaxScan)
	w.last.name, w.last.data = src, data
	return data
}

// refused handles a name the rule refuses: nothing under it is served, but
// likely secrets under it are still reported (except in .git).
func (w *walker) refused(served, src string, e fs.DirEntry, why string, depth int) {
	switch {
	case e.Type().IsRegular():
		info, err := e.Info()
		if err != nil {
			return
		}
		if kind := w.secret(src, info.Size()); kind != "" {
			w.exclude(served, why+"; looks like "+kind, kind)
		} else if !strings.HasPrefix(path.Base(served), ".") {
			w.exclude(served, why, "")
		}
	case e.IsDir() && e.Name() != ".git" && depth < maxDepth:
		entries, err := readDir(w.r, src)
		if err != nil {
			return
		}
		for _, c := range entries {
			w.refused(path.Join(served, c.Name()), path.Join(src, c.Name()), c, why, depth+1)
		}
	case e.Type()&fs.ModeSymlink != 0 && !strings.HasPrefix(path.Base(served), "."):
		w.exclude(served, why, "")
	}
}

func readDir(r *os.Root, name string) ([]fs.DirEntry, error) {
	f, err := r.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close() //nolint:errcheck // read-only
	entries, err := f.ReadDir(-1)
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	return entries, err
}

// readSmall reads a regular file of at most max bytes, without blocking on
// a FIFO swapped in after the walk.
func readSmall(r *os.Root, name string, limit int64) ([]byte, error) {
	f, err := OpenRegular(r, name)
	if err != nil {
		return nil, err
	}
	defer f.Close() //nolint:errcheck // read-only
	return io.ReadAll(io.LimitReader(f, limit))
}

// OpenRegular opens a regular file inside the root, without following a
// link in its last element and without blocking on a FIFO.
func OpenRegular(r *os.Root, name string) (*os.File, error) {
	f, err := r.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err == nil && !info.Mode().IsRegular() {
		err = fmt.Errorf("%s: not a regular file", name)
	}
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
}

var errLoop = errors.New("too many levels of symbolic links")

// Resolve returns the src name, inside the root, of the file that name
// leads to through symbolic links, or ErrOutside when the way leaves the
// root. Absolute link targets are outside the root unless they name a path
// under the root's own absolute path.
func Resolve(r *os.Root, name string) (string, error) {
	abs := strings.TrimSuffix(r.Name(), "/")
	parts := strings.Split(name, "/")
	var done []string
	for hops := 0; len(parts) > 0; {
		p := parts[0]
		parts = parts[1:]
		switch p {
		case "", ".":
			continue
		case "..":
			if len(done) == 0 {
				return "", ErrOutside
			}
			done = done[:len(done)-1]
			continue
		}
		cur := strings.Join(append(done, p), "/")
		info, err := r.Lstat(cur)
		if err != nil {
			return "", err
		}
		if info.Mode()&fs.ModeSymlink == 0 {
			done = append(done, p)
			continue
		}
		if hops++; hops > 40 {
			return "", errLoop
		}
		t, err := r.Readlink(cur)
		if err != nil {
			return "", err
		}
		if path.IsAbs(t) {
			rel, ok := strings.CutPrefix(path.Clean(t), abs+"/")
			if !ok {
				return "", ErrOutside
			}
			done, t = nil, rel
		}
		parts = append(strings.Split(t, "/"), parts...)
	}
	if len(done) == 0 {
		return ".", nil
	}
	return strings.Join(done, "/"), nil
}

// Names lists the served names, sorted.
func (t *Tree) Names() []string {
	names := make([]string, 0, len(t.Files))
	for n := range t.Files {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Pages lists the served HTML files, sorted.
func (t *Tree) Pages() []string {
	var pages []string
	for _, n := range t.Names() {
		if IsHTML(n) {
			pages = append(pages, n)
		}
	}
	return pages
}

// IsHTML reports whether a name is an HTML page.
func IsHTML(name string) bool {
	ext := strings.ToLower(path.Ext(name))
	return ext == ".html" || ext == ".htm"
}

// Secrets lists the excluded files that look like secrets.
func (t *Tree) Secrets() []Excluded {
	var out []Excluded
	for _, e := range t.Excluded {
		if e.Secret != "" {
			out = append(out, e)
		}
	}
	return out
}
