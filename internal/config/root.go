package config

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Layout is where a site generator writes its output, and the file that
// shows the generator is in use.
type Layout struct {
	// Dir is the output directory, relative to the app directory. A "*"
	// segment stands for one directory, as in Angular's dist/<project>/browser.
	Dir string
	// Generator names the tool, for the author ("MkDocs"); empty for a
	// directory many tools use.
	Generator string
	// Markers are files of the app directory, any of which shows the
	// generator is in use (its configuration file); the first found is named.
	Markers []string
}

// Layouts are the output directories searched, in order, for an index.html
// when static.toml names no root. The application directory itself is tried
// last. Each fact about a generator's layout is written here only.
var Layouts = []Layout{
	{Dir: "public", Generator: "Hugo", Markers: []string{"hugo.toml", "hugo.yaml", "hugo.json", "config.toml"}},
	{Dir: "dist", Generator: "Vite", Markers: []string{"vite.config.js", "vite.config.ts", "vite.config.mjs"}},
	{Dir: "dist/*/browser", Generator: "Angular", Markers: []string{"angular.json"}},
	{Dir: "build", Generator: "Docusaurus", Markers: []string{"docusaurus.config.js", "docusaurus.config.ts"}},
	{Dir: "_site", Generator: "Jekyll", Markers: []string{"_config.yml", "_config.toml"}},
	{Dir: "out", Generator: "Next.js static export", Markers: []string{"next.config.js", "next.config.mjs", "next.config.ts"}},
	{Dir: "site", Generator: "MkDocs", Markers: []string{"mkdocs.yml", "mkdocs.yaml"}},
	{Dir: "_build/html", Generator: "Sphinx", Markers: []string{"conf.py"}},
	{Dir: "docs/_build/html", Generator: "Sphinx", Markers: []string{"docs/conf.py"}},
	{Dir: "build/html", Generator: "Sphinx", Markers: []string{"source/conf.py"}},
	{Dir: "book", Generator: "mdBook", Markers: []string{"book.toml"}},
}

// CandidateDirs lists the searched directories for messages: "public/,
// dist/, ...".
func CandidateDirs() string {
	dirs := make([]string, len(Layouts))
	for i, l := range Layouts {
		dirs[i] = strings.ReplaceAll(l.Dir, "*", "<project>") + "/"
	}
	return strings.Join(dirs, ", ")
}

// Root is the served directory of an application and why it was chosen.
type Root struct {
	Rel    string // relative to the application directory; "." for the app itself
	Reason string // one line for the author, e.g. "public/index.html exists"
	Exists bool   // whether the directory exists now
}

// FindRoot decides which directory of appDir is served. Detect and build both
// call it, so they always agree. An explicit root (static.toml's root, or an
// override such as BP_STATIC_ROOT passed as explicit) wins and need not exist
// yet: an earlier buildpack may create it during the build.
func FindRoot(appDir, explicit, source string) (Root, bool) {
	if explicit != "" {
		rel := filepath.Clean(explicit)
		return Root{Rel: rel, Reason: fmt.Sprintf("%s sets root = %q", source, explicit), Exists: isDir(filepath.Join(appDir, rel))}, true
	}
	for _, l := range Layouts {
		for _, dir := range l.dirs(appDir) {
			if isFile(filepath.Join(appDir, dir, "index.html")) {
				return Root{Rel: filepath.FromSlash(dir), Reason: dir + "/index.html exists" + l.recognised(appDir), Exists: true}, true
			}
		}
	}
	if isFile(filepath.Join(appDir, "index.html")) {
		return Root{Rel: ".", Reason: "index.html exists in the app directory", Exists: true}, true
	}
	return Root{}, false
}

// Unbuilt names the generators whose configuration the app has but whose
// output directory holds no index.html, as in "MkDocs (mkdocs.yml) writes
// site/", or "" when there is none: the site has not been built yet.
func Unbuilt(appDir string) string {
	var found []string
	for _, l := range Layouts {
		if m := l.marker(appDir); m != "" {
			found = append(found, fmt.Sprintf("%s (%s) writes %s/", l.Generator, m, strings.ReplaceAll(l.Dir, "*", "<project>")))
		}
	}
	return strings.Join(found, "; ")
}

// dirs expands the layout's directory: a "*" segment matches each
// subdirectory, in lexical order.
func (l Layout) dirs(appDir string) []string {
	if !strings.Contains(l.Dir, "*") {
		return []string{l.Dir}
	}
	matches, err := filepath.Glob(filepath.Join(appDir, filepath.FromSlash(l.Dir)))
	if err != nil {
		return nil
	}
	sort.Strings(matches)
	out := make([]string, 0, len(matches))
	for _, m := range matches {
		if rel, err := filepath.Rel(appDir, m); err == nil {
			out = append(out, filepath.ToSlash(rel))
		}
	}
	return out
}

// recognised says which generator's layout was found: " (MkDocs layout:
// mkdocs.yml)", or "" when no marker file is there.
func (l Layout) recognised(appDir string) string {
	m := l.marker(appDir)
	if m == "" {
		return ""
	}
	return fmt.Sprintf(" (%s layout: %s)", l.Generator, m)
}

func (l Layout) marker(appDir string) string {
	for _, m := range l.Markers {
		if isFile(filepath.Join(appDir, filepath.FromSlash(m))) {
			return m
		}
	}
	return ""
}

// Display is the root as shown to authors: "public/" or "the app directory".
func (r Root) Display() string {
	if r.Rel == "." {
		return "the app directory"
	}
	return strings.TrimSuffix(filepath.ToSlash(r.Rel), "/") + "/"
}

// ResolveRoot returns the absolute served directory and checks that it exists,
// is a directory, and does not leave the application directory through a
// symbolic link.
func ResolveRoot(appDir string, r Root) (string, error) {
	appReal, err := filepath.EvalSymlinks(appDir)
	if err != nil {
		return "", fmt.Errorf("resolving the app directory: %w", err)
	}
	dir := filepath.Join(appDir, r.Rel)
	info, err := os.Stat(dir)
	if err != nil || !info.IsDir() {
		return "", fmt.Errorf("the site root %s does not exist (%s); create it, for example with a build step that writes %s, or set root in %s to the directory that holds your index.html",
			r.Display(), r.Reason, r.Display(), FileName)
	}
	resolved, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", fmt.Errorf("resolving the site root %s: %w", r.Display(), err)
	}
	if rel, err := filepath.Rel(appReal, resolved); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("the site root %s is a symbolic link to %s, outside the app directory; point root at a real directory inside the app", r.Display(), resolved)
	}
	return resolved, nil
}

func isFile(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.Mode().IsRegular()
}

func isDir(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.IsDir()
}
