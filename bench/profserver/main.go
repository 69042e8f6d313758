// Command profserver runs the same Caddy configuration and modules as
// static-server serve, with a CPU (and heap) profile written when it stops:
// the benchmark uses it to show where a request's time goes. It is a
// benchmark tool, never part of the image.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"

	"github.com/caddyserver/caddy/v2"

	"github.com/hardstatic/buildpack/internal/launch"
)

func main() {
	manifestPath := flag.String("manifest", "", "site manifest")
	app := flag.String("app", ".", "app directory")
	listen := flag.String("listen", ":8080", "listen address")
	cpu := flag.String("cpuprofile", "cpu.pprof", "CPU profile output")
	heap := flag.String("memprofile", "", "heap profile output")
	noLog := flag.Bool("nolog", false, "turn the access log off (to measure its cost)")
	flag.Parse()
	if err := run(*manifestPath, *app, *listen, *cpu, *heap, *noLog); err != nil {
		fmt.Fprintln(os.Stderr, "profserver:", err)
		os.Exit(1)
	}
}

func run(manifestPath, app, listen, cpu, heap string, noLog bool) error {
	// The same configuration as the image's web process (launch.Config),
	// on the port of listen.
	_, port, err := net.SplitHostPort(listen)
	if err != nil {
		return err
	}
	cfg, err := launch.Config(manifestPath, port, app)
	if err != nil {
		return err
	}
	if noLog {
		var doc map[string]any
		if err := json.Unmarshal(cfg, &doc); err != nil {
			return err
		}
		delete(doc["apps"].(map[string]any)["http"].(map[string]any)["servers"].(map[string]any)["site"].(map[string]any), "logs")
		if cfg, err = json.Marshal(doc); err != nil {
			return err
		}
	}
	f, err := os.Create(cpu)
	if err != nil {
		return err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	if err := caddy.Load(cfg, true); err != nil {
		return err
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	pprof.StopCPUProfile()
	_ = f.Close()
	if heap != "" {
		runtime.GC()
		hf, err := os.Create(heap)
		if err != nil {
			return err
		}
		_ = pprof.WriteHeapProfile(hf)
		_ = hf.Close()
	}
	return caddy.Stop()
}
