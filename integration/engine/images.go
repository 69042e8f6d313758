package engine

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/hardstatic/buildpack/integration/lifecycle"
)

// The names examples/builder/builder.toml gives the images.
const (
	BuildImage   = "hardstatic/build:bookworm"
	RunImage     = "hardstatic/run:bookworm"
	BuilderImage = "hardstatic/builder:bookworm"

	// InputsLabel records on an image the digest of what it was made from.
	InputsLabel = "io.hardstatic.inputs"
)

// BaseImages makes sure BuildImage and RunImage exist and were made from the
// current examples/builder/base-images.sh: when their io.hardstatic.inputs
// label differs, the script runs (mmdebstrap, minutes) and imports them. The
// root file system tars are kept under Dir/base-images/<inputs>, so a
// storage that was wiped is refilled without mmdebstrap. It returns the
// inputs digest and what was done.
func (e *Engine) BaseImages(ctx context.Context) (inputs, log string, err error) {
	script := filepath.Join(e.RepoRoot, "examples", "builder", "base-images.sh")
	inputs, err = digest([]string{script}, "arch="+runtime.GOARCH)
	if err != nil {
		return "", "", err
	}
	if e.ImageLabel(ctx, BuildImage, InputsLabel) == inputs && e.ImageLabel(ctx, RunImage, InputsLabel) == inputs {
		return inputs, fmt.Sprintf("%s and %s are up to date (inputs %s)", BuildImage, RunImage, inputs[:12]), nil
	}
	if _, err := exec.LookPath("mmdebstrap"); err != nil {
		return "", "", &Unavailable{"mmdebstrap not found (apt-get install mmdebstrap): it makes the base images"}
	}
	cache := filepath.Join(e.Dir, "base-images")
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", "", err
	}
	// Tars of other inputs are out of date.
	if old, _ := filepath.Glob(filepath.Join(cache, "*")); len(old) > 0 {
		for _, o := range old {
			if filepath.Base(o) != inputs {
				_ = os.RemoveAll(o)
			}
		}
	}
	cmd := e.Command(ctx, script)
	cmd.Env = append(cmd.Env, "ENGINE=podman", "OUT="+filepath.Join(cache, inputs), "INPUTS="+inputs,
		"BUILD_IMAGE="+BuildImage, "RUN_IMAGE="+RunImage)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", string(out), fmt.Errorf("%s: %w\n%s", script, err, out)
	}
	return inputs, string(out), nil
}

// LifecycleImage makes sure buildpacksio/lifecycle:<version> (what pack runs
// the phases of an untrusted build with) exists and was made by
// examples/builder/lifecycle-image.sh from the lifecycle package tgz on the
// current run image; otherwise it makes it (seconds). It returns what was
// done.
func (e *Engine) LifecycleImage(ctx context.Context, tgz, baseInputs string) (string, error) {
	script := filepath.Join(e.RepoRoot, "examples", "builder", "lifecycle-image.sh")
	inputs, err := digest([]string{script, tgz}, "base="+baseInputs)
	if err != nil {
		return "", err
	}
	image := "docker.io/buildpacksio/lifecycle:" + lifecycle.Version
	if e.ImageLabel(ctx, image, InputsLabel) == inputs {
		return fmt.Sprintf("%s is up to date (inputs %s)", image, inputs[:12]), nil
	}
	cmd := e.Command(ctx, script, tgz)
	cmd.Env = append(cmd.Env, "ENGINE=podman", "INPUTS="+inputs, "BASE_IMAGE="+RunImage)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s: %w\n%s", script, err, out)
	}
	if e.ImageLabel(ctx, image, InputsLabel) != inputs {
		return string(out), fmt.Errorf("%s ran, but %s does not carry its inputs label:\n%s", script, image, out)
	}
	return string(out), nil
}

// Builder makes sure BuilderImage exists and was made by `pack builder
// create` from the current builder.toml, buildpacks, lifecycle package and
// base images; otherwise it creates it. It returns pack's output, or a note
// that the builder is up to date.
func (e *Engine) Builder(ctx context.Context, pack, baseInputs string) (string, error) {
	dir := filepath.Join(e.RepoRoot, "examples", "builder")
	config := filepath.Join(dir, "builder.toml")
	files := []string{config}
	if err := filepath.WalkDir(filepath.Join(dir, "buildpacks"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	}); err != nil {
		return "", err
	}
	uris, err := builderFileURIs(config)
	if err != nil {
		return "", err
	}
	files = append(files, uris...)
	// pack's version, not its path: every clone builds its own pack.
	version, err := e.Run(ctx, pack, "version")
	if err != nil {
		return "", fmt.Errorf("pack version: %w\n%s", err, version)
	}
	inputs, err := digest(files, "base="+baseInputs, "pack="+strings.TrimSpace(version))
	if err != nil {
		return "", err
	}
	stamp := filepath.Join(e.Dir, "builder.inputs")
	if id := e.ImageID(ctx, BuilderImage); id != "" {
		if b, err := os.ReadFile(stamp); err == nil && string(b) == inputs+" "+id {
			return fmt.Sprintf("%s is up to date (inputs %s)", BuilderImage, inputs[:12]), nil
		}
	}
	out, err := e.Run(ctx, pack, "builder", "create", BuilderImage, "--config", config, "--pull-policy", "never", "--no-color")
	if err != nil {
		return out, fmt.Errorf("pack builder create: %w\n%s", err, out)
	}
	id := e.ImageID(ctx, BuilderImage)
	if id == "" {
		return out, fmt.Errorf("pack builder create succeeded, but there is no image %s:\n%s", BuilderImage, out)
	}
	return out, os.WriteFile(stamp, []byte(inputs+" "+id), 0o644)
}

// builderFileURIs are the local files builder.toml's uri keys name,
// resolved against its directory (they must exist).
func builderFileURIs(config string) ([]string, error) {
	data, err := os.ReadFile(config) //nolint:gosec // the repository's builder.toml
	if err != nil {
		return nil, err
	}
	var files []string
	for line := range strings.SplitSeq(string(data), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok || strings.TrimSpace(k) != "uri" {
			continue
		}
		uri := strings.Trim(strings.TrimSpace(v), `"`)
		p := filepath.Join(filepath.Dir(config), uri)
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("builder.toml names %s: %w (make package lifecycle-package writes dist/)", uri, err)
		}
		if !info.IsDir() {
			files = append(files, p)
		}
	}
	return files, nil
}

// digest is the sha256 of the files' names and contents and of extra.
func digest(files []string, extra ...string) (string, error) {
	h := sha256.New()
	sort.Strings(files)
	for _, f := range files {
		r, err := os.Open(f) //nolint:gosec // inputs of the images
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00", filepath.Base(f))
		info, _ := r.Stat()
		if info != nil {
			fmt.Fprintf(h, "%o\x00", info.Mode().Perm())
		}
		if strings.HasSuffix(f, ".tgz") {
			err = digestTarGz(h, r)
		} else {
			_, err = io.Copy(h, r)
		}
		_ = r.Close()
		if err != nil {
			return "", err
		}
	}
	for _, x := range extra {
		fmt.Fprintf(h, "%s\x00", x)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// digestTarGz hashes a tar.gz by its entries (names, modes, link targets,
// contents) and not by its bytes: the lifecycle package is made anew in
// every clone, with new modification times, from the same binaries.
func digestTarGz(h io.Writer, r io.Reader) error {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return err
	}
	tr := tar.NewReader(zr)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%o\x00%s\x00", hdr.Name, hdr.Mode, hdr.Linkname)
		if _, err := io.Copy(h, tr); err != nil { //nolint:gosec // our own package
			return err
		}
	}
}
