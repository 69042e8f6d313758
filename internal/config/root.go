package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// CandidateRoots are the directories searched, in order, for an index.html
// when static.toml names no root. The application directory itself is tried
// last.
var CandidateRoots = []string{"public", "dist", "build", "_site", "out"}

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
	for _, dir := range CandidateRoots {
		if isFile(filepath.Join(appDir, dir, "index.html")) {
			return Root{Rel: dir, Reason: dir + "/index.html exists", Exists: true}, true
		}
	}
	if isFile(filepath.Join(appDir, "index.html")) {
		return Root{Rel: ".", Reason: "index.html exists in the app directory", Exists: true}, true
	}
	return Root{}, false
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
