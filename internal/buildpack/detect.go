// Package buildpack holds the libcnb detect and build phases: thin
// orchestration over config, policy and manifest that tells the author what
// it decided and why.
package buildpack

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/buildpacks/libcnb/v2"

	"github.com/hardstatic/buildpack/internal/appfs"
	"github.com/hardstatic/buildpack/internal/config"
	"github.com/hardstatic/buildpack/internal/migrate"
)

// PlanName is the build plan entry this buildpack provides and requires.
const PlanName = "static-site"

// RootEnv overrides the served directory at build time, like static.toml's root.
const RootEnv = "BP_STATIC_ROOT"

// Decision is the outcome of detection, with the reason shown to the author.
type Decision struct {
	Pass   bool
	Reason string
}

// Decide says whether appDir is a static site this buildpack should serve.
func Decide(appDir, rootOverride string) Decision {
	loaded, err := migrate.LoadApp(appDir)
	switch {
	case err != nil:
		return Decision{true, "a configuration file was found (it has errors; the build will report them): " + firstLine(err)}
	case loaded.Source == config.StaticJSONName:
		return Decision{true, config.StaticJSONName + " found (Heroku's format; the build migrates it to " + config.FileName + ")"}
	case loaded.Source != "":
		return Decision{true, loaded.Source + " found"}
	case rootOverride != "":
		return Decision{true, fmt.Sprintf("%s=%s is set", RootEnv, rootOverride)}
	case exists(filepath.Join(appDir, "Procfile")):
		return Decision{false, "a Procfile declares this app's own processes, so it is not a static site; " +
			"to serve it as one anyway, add a " + config.FileName}
	}
	root, ok := config.FindRoot(appDir, "", "")
	if !ok {
		return Decision{false, noRootReason(appDir)}
	}
	if root.Rel == "." {
		if marker := serverMarker(appDir); marker != "" {
			return Decision{false, fmt.Sprintf("index.html is in the app directory, but %s suggests an app that runs its own server "+
				"or has sources to build; to serve the directory as it is, add a %s", marker, config.FileName)}
		}
	}
	return Decision{true, root.Reason}
}

// Detect is the libcnb detect phase.
func Detect(ctx libcnb.DetectContext) (libcnb.DetectResult, error) {
	d := Decide(ctx.ApplicationPath, buildEnv(ctx.Platform.Environment, RootEnv))
	verdict := "PASS"
	if !d.Pass {
		verdict = "FAIL"
	}
	fmt.Printf("%s %s\n  %s: %s\n", ctx.Buildpack.Info.Name, ctx.Buildpack.Info.Version, verdict, d.Reason)
	if !d.Pass {
		return libcnb.DetectResult{Pass: false}, nil
	}
	return libcnb.DetectResult{Pass: true, Plans: []libcnb.BuildPlan{{
		Provides: []libcnb.BuildPlanProvide{{Name: PlanName}},
		Requires: []libcnb.BuildPlanRequire{{Name: PlanName}},
	}}}, nil
}

// noRootReason says why no root was found and what to do, naming the
// generators whose configuration is there but whose output is not.
func noRootReason(appDir string) string {
	reason := fmt.Sprintf("no %s and no index.html in %s or the app directory", config.FileName, config.CandidateDirs())
	if unbuilt := config.Unbuilt(appDir); unbuilt != "" {
		reason += "; " + unbuilt + ", so build the site first (an earlier buildpack, or commit the output)"
	}
	return reason + fmt.Sprintf("; add a %s with root = \"<dir>\" to serve another directory", config.FileName)
}

// serverMarker names a file that shows the app directory is not a finished
// static site, or "".
func serverMarker(appDir string) string {
	for _, f := range []string{"go.mod", "requirements.txt", "pyproject.toml", "Gemfile", "pom.xml", "build.gradle", "composer.json"} {
		if exists(filepath.Join(appDir, f)) {
			return f
		}
	}
	data, err := appfs.ReadFile(appDir, "package.json", config.MaxFileSize)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return ""
	case err != nil: // it may describe an app; it cannot be read to tell
		return "package.json (which cannot be read: " + err.Error() + ")"
	}
	var pkg struct {
		Scripts map[string]string `json:"scripts"`
	}
	if json.Unmarshal(data, &pkg) == nil && pkg.Scripts["start"] != "" {
		return `package.json's "start" script`
	}
	return ""
}

func firstLine(err error) string {
	line, _, _ := strings.Cut(err.Error(), "\n")
	return line
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// buildEnv reads a build-time setting from the platform's env directory,
// falling back to the process environment.
func buildEnv(platform libcnb.Environment, name string) string {
	if v, ok := platform[name]; ok {
		return v
	}
	return os.Getenv(name)
}
