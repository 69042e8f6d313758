package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/caddyserver/caddy/v2"
	"github.com/spf13/cobra"

	"github.com/hardstatic/buildpack/internal/launch"
)

func serveCmd() *cobra.Command {
	var manifestPath string
	cmd := &cobra.Command{
		Use:   "serve [DIR]",
		Short: "Serve the site described by a build's manifest on $PORT (default 8080), or preview the app in DIR",
		Long: `serve runs the site in an image: it reads the manifest the build wrote (--manifest).

serve DIR previews an app directory on this machine instead: it plans the site the way the build
does (static.toml, the root, BP_STATIC_ROOT, the headers) and serves DIR's files as they are on
$PORT (default 8080). It changes no file (the build also adds Subresource Integrity to pages).`,
		Example:           "  static-server serve .\n  PORT=9000 static-server serve examples/spa",
		Args:              appDirArg("serve"),
		ValidArgsFunction: completeDirs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				cfg, err := previewConfig(args[0], os.Getenv("PORT"), cmd.ErrOrStderr())
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Serving %s on %s (Ctrl-C to stop)\n", args[0], previewURL(os.Getenv("PORT")))
				return run(cfg)
			}
			if manifestPath == "" {
				return usageError{errors.New("nothing to serve: pass an app directory to preview it (static-server serve DIR), " +
					"or the build's site manifest (--manifest FILE, as the image's web process does)")}
			}
			cfg, err := launch.Config(manifestPath, os.Getenv("PORT"), appDir())
			if err != nil {
				return err
			}
			return run(cfg)
		},
	}
	cmd.Flags().StringVar(&manifestPath, "manifest", os.Getenv("STATIC_MANIFEST"), "the site manifest written by the build (env STATIC_MANIFEST)")
	usageFlagErrors(cmd)
	return cmd
}

// appDir is where the app lives at launch: CNB_APP_DIR, else the working
// directory (the launcher starts processes in the app directory).
func appDir() string {
	if d := os.Getenv("CNB_APP_DIR"); d != "" {
		return d
	}
	d, err := os.Getwd()
	if err != nil {
		return "."
	}
	return d
}

// run starts Caddy and blocks; SIGTERM and SIGINT drain in-flight requests
// for the grace period, then exit.
func run(cfgJSON []byte) error {
	caddy.TrapSignals()
	if err := caddy.Load(cfgJSON, true); err != nil {
		return fmt.Errorf("cannot start: %w", err)
	}
	select {}
}
