// Command stockcaddy runs a Caddy JSON config with Caddy's standard HTTP
// modules (file_server, headers, encode with gzip and zstd): the "stock
// Caddy file_server" that the benchmark compares our server with. It is a
// separate module so that file_server's dependencies (goldmark, chroma, via
// the templates module) stay out of the buildpack's go.mod.
//
//	stockcaddy config.json
//
// It loads the config and blocks until SIGINT or SIGTERM.
package main

import (
	"fmt"
	"os"

	"github.com/caddyserver/caddy/v2"

	_ "github.com/caddyserver/caddy/v2/modules/caddyhttp"
	_ "github.com/caddyserver/caddy/v2/modules/caddyhttp/encode"
	_ "github.com/caddyserver/caddy/v2/modules/caddyhttp/encode/gzip"
	_ "github.com/caddyserver/caddy/v2/modules/caddyhttp/encode/zstd"
	_ "github.com/caddyserver/caddy/v2/modules/caddyhttp/fileserver"
	_ "github.com/caddyserver/caddy/v2/modules/caddyhttp/headers"
	_ "github.com/caddyserver/caddy/v2/modules/caddyhttp/rewrite"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: stockcaddy config.json")
		os.Exit(2)
	}
	cfg, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "stockcaddy:", err)
		os.Exit(1)
	}
	// SIGTERM/SIGINT: caddy stops the apps and exits.
	caddy.TrapSignals()
	if err := caddy.Load(cfg, true); err != nil {
		fmt.Fprintln(os.Stderr, "stockcaddy:", err)
		os.Exit(1)
	}
	select {}
}
