// Command main is the buildpack's detect and build executable; bin/detect
// and bin/build are symbolic links to it, and libcnb dispatches on the name.
package main

import (
	"github.com/buildpacks/libcnb/v2"

	"github.com/hardstatic/buildpack/internal/buildpack"
)

func main() {
	libcnb.BuildpackMain(
		libcnb.DetectFunc(buildpack.Detect),
		libcnb.BuildFunc(buildpack.Build),
	)
}
