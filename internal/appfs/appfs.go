// Package appfs reads the application's own configuration files (static.toml,
// static.json, package.json) as the hostile input they may be: through an
// os.Root of the app directory, regular files only, size-capped. A symbolic
// link inside the app to a regular file inside the app is followed; a link
// that leaves the app, a device, a FIFO or a directory is refused with an
// error that names the file and never holds any of its target's content.
package appfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// ReadFile reads name (slash-separated, relative to appDir) from appDir. A
// missing file is an error that matches fs.ErrNotExist; every other error
// is a sentence naming the file and saying what to do.
func ReadFile(appDir, name string, limit int64) ([]byte, error) {
	root, err := os.OpenRoot(appDir)
	if err != nil {
		return nil, fmt.Errorf("opening the app directory: %w", err)
	}
	defer root.Close() //nolint:errcheck // read-only
	link, err := root.Lstat(name)
	if err != nil {
		return nil, notExistOr(name, err)
	}
	// O_NONBLOCK: opening a FIFO must not wait for a writer; it changes
	// nothing for regular files.
	f, err := root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		if link.Mode()&fs.ModeSymlink != 0 {
			return nil, fmt.Errorf("%s is a symbolic link that leaves the app directory or points at nothing; "+
				"replace the link with the file itself", name)
		}
		return nil, notExistOr(name, err)
	}
	defer f.Close() //nolint:errcheck // read-only
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%s); make it a plain file in the app directory", name, kind(info.Mode()))
	}
	if info.Size() > limit {
		return nil, tooLarge(name, limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if int64(len(data)) > limit { // it grew while being read
		return nil, tooLarge(name, limit)
	}
	return data, nil
}

func notExistOr(name string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return fmt.Errorf("reading %s: %w", name, err)
}

func tooLarge(name string, limit int64) error {
	return fmt.Errorf("%s is larger than %s, the most this build reads; a configuration file this large is a mistake: shorten it", name, size(limit))
}

func size(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a plain file"
}
