package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/hardstatic/buildpack/internal/buildpack"
	"github.com/hardstatic/buildpack/internal/launch"
)

// appDirArg checks the optional DIR argument of serve and check: an app
// directory that exists. Problems are usage errors (exit code 2).
func appDirArg(command string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) > 1 {
			return usageError{fmt.Errorf("%s takes one app directory, got %d arguments (usage: static-server %s [DIR])", command, len(args), command)}
		}
		if len(args) == 1 {
			info, err := os.Stat(args[0])
			if err != nil {
				return usageError{fmt.Errorf("%s: no such directory (pass the app directory: the one holding static.toml, or your site)", args[0])}
			}
			if !info.IsDir() {
				return usageError{fmt.Errorf("%s is not a directory (pass the app directory: the one holding static.toml, or your site)", args[0])}
			}
		}
		return nil
	}
}

// completeDirs completes the DIR argument with directories only.
func completeDirs(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return nil, cobra.ShellCompDirectiveFilterDirs
}

// usageFlagErrors makes flag errors usage errors (exit code 2) with a hint.
func usageFlagErrors(cmd *cobra.Command) {
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%w (see static-server %s --help)", err, c.Name())}
	})
}

// previewConfig plans dir as the build would (buildpack.NewPlan: config,
// root, file checks, headers; the plan's log goes to log) and returns the
// Caddy configuration to serve its manifest on port, made by the same code
// as at launch. canonical_host is left out: it would send the browser away
// from localhost. The author's files are not changed.
func previewConfig(dir, port string, log io.Writer) ([]byte, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	plan, err := buildpack.NewPlan(buildpack.Options{AppDir: abs, RootOverride: os.Getenv(buildpack.RootEnv), Log: log})
	if err != nil {
		return nil, err
	}
	m := plan.Manifest
	if host := m.Config.CanonicalHost; host != "" {
		fmt.Fprintf(log, "  Preview: canonical_host = %q is not applied (it would redirect away from localhost)\n", host)
		local := *m.Config
		local.CanonicalHost = ""
		m.Config = &local
	}
	return launch.CaddyJSON(m, port, abs, launch.Process())
}

// previewURL is where a browser on this machine reaches the preview.
func previewURL(port string) string {
	if port == "" {
		port = "8080"
	}
	return "http://localhost:" + port + "/"
}
