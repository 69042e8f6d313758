package buildpack

import (
	"io"

	"github.com/hardstatic/buildpack/internal/manifest"
)

// PlanSite runs the build's planning steps on an app directory outside the
// lifecycle, for the server's `check` and `serve DIR` commands: it loads the
// configuration (static.toml, else a migrated static.json), finds and
// resolves the root (rootOverride plays BP_STATIC_ROOT), checks the files the
// configuration names, and computes the response headers, writing the
// build's log to w (nil discards it). Unlike the build it changes no file:
// no Subresource Integrity is added to the author's pages.
func PlanSite(appDir, rootOverride string, w io.Writer) (manifest.Manifest, error) {
	if w == nil {
		w = io.Discard
	}
	m, _, err := planSite(appDir, rootOverride, logger{w: w, planOnly: true})
	return m, err
}
