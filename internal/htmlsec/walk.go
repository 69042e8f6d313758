package htmlsec

import (
	"io/fs"
	"os"
	"strings"
)

// walk calls fn for every file and symbolic link under the root, in lexical
// order, with its slash-separated name relative to the root. It does not
// descend into symbolic links (the walk cannot leave the root), nor into
// names starting with a dot unless dots is true; it skips directories it
// cannot read.
func walk(r *os.Root, dots bool, fn func(name string, d fs.DirEntry)) error {
	return fs.WalkDir(r.FS(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			if name == "." {
				return err
			}
			return nil // an unreadable directory: skip it, keep walking
		}
		if name == "." {
			return nil
		}
		if !dots && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		fn(name, d)
		return nil
	})
}
