// Command static-server is the web server in the image: it loads the site
// manifest the build wrote and serves the site with an embedded Caddy.
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hardstatic/buildpack/internal/launch"
	"github.com/hardstatic/buildpack/internal/version"
)

func main() {
	if err := rootCmd().Execute(); err != nil {
		fmt.Fprintf(os.Stderr, "static-server: %v\n", err)
		os.Exit(exitCode(err))
	}
}

func rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "static-server",
		Short:         "Serve a static site with hardened defaults",
		Version:       version.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(serveCmd(), hashPasswordCmd())
	root.AddCommand(checkCmd())
	root.AddCommand(migrateCmd())
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%w (see --help)", err)}
	})
	return root
}

// usageError marks errors the user can fix by changing the command line or
// the environment; they exit with status 2.
type usageError struct{ error }

func exitCode(err error) int {
	var usage usageError
	var launchUsage launch.UsageError
	if errors.As(err, &usage) || errors.As(err, &launchUsage) {
		return 2
	}
	// cobra's own errors for a command line it cannot parse.
	if strings.HasPrefix(err.Error(), "unknown command") || strings.HasPrefix(err.Error(), "unknown flag") ||
		strings.Contains(err.Error(), "arg(s), received") {
		return 2
	}
	return 1
}
