// Command run-example builds an application directory with the buildpack at
// the repository root through the real CNB lifecycle (detector, builder) and
// serves it in the foreground through the launcher, as `make run` does:
//
//	go run ./integration/cmd/run-example -app examples/plain-html -port 8080
//
// The first run builds the lifecycle from the Go module proxy (about two
// minutes); later runs reuse it. Ctrl-C (or SIGTERM) is forwarded to the server
// as SIGTERM, and the command exits with the server's exit code.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/hardstatic/buildpack/integration/lifecycle"
)

func main() {
	app := flag.String("app", "", "application directory to build and serve (required)")
	port := flag.Int("port", 8080, "port to serve on")
	buildpack := flag.String("buildpack", "", "buildpack directory (default: the repository root, after `make build`)")
	var buildEnv envFlag
	flag.Var(&buildEnv, "env", "build-time platform variable NAME=VALUE, such as BP_... (repeatable)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: run-example -app DIR [-port N] [-env NAME=VALUE]...\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *app == "" || flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}
	os.Exit(run(*app, *port, *buildpack, buildEnv))
}

type envFlag map[string]string

func (e *envFlag) String() string { return fmt.Sprint(map[string]string(*e)) }

func (e *envFlag) Set(s string) error {
	k, v, ok := splitEnv(s)
	if !ok {
		return errors.New("want NAME=VALUE")
	}
	if *e == nil {
		*e = envFlag{}
	}
	(*e)[k] = v
	return nil
}

func splitEnv(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '=' {
			return s[:i], s[i+1:], i > 0
		}
	}
	return "", "", false
}

func run(app string, port int, buildpack string, buildEnv map[string]string) int {
	fail := func(format string, args ...any) int {
		fmt.Fprintf(os.Stderr, "run-example: "+format+"\n", args...)
		return 1
	}
	absApp, err := filepath.Abs(app)
	if err != nil {
		return fail("%v", err)
	}

	// Signals that arrive while building cancel the build.
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()

	if dir, err := lifecycle.CacheDir(); err == nil {
		if _, err := os.Stat(filepath.Join(dir, "launcher")); err != nil {
			fmt.Printf("Building lifecycle v%s into %s (first run only, about two minutes)...\n", lifecycle.Version, dir)
		}
	}
	tools, err := lifecycle.EnsureTools(ctx)
	if err != nil {
		return fail("%v", err)
	}
	ws, err := lifecycle.NewWorkspace(lifecycle.Options{Tools: tools, App: absApp, Buildpack: buildpack, BuildEnv: buildEnv})
	if err != nil {
		return fail("%v", err)
	}
	defer ws.Close()

	fmt.Printf("===> DETECTING (%s)\n", absApp)
	if _, err := ws.DetectStreaming(ctx, os.Stdout); err != nil {
		return fail("detect failed: %v", phaseSummary(err))
	}
	fmt.Println("===> BUILDING")
	if _, err := ws.BuildStreaming(ctx, os.Stdout); err != nil {
		return fail("build failed: %v", phaseSummary(err))
	}
	if ctx.Err() != nil {
		return 130
	}
	cancel() // from here on, signals go to the server

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)

	fmt.Println("===> LAUNCHING web")
	srv, err := ws.LaunchWith(lifecycle.LaunchOptions{Port: port, Output: os.Stdout})
	if err != nil {
		return fail("%v", err)
	}
	fmt.Printf("Serving %s on http://localhost:%d (Ctrl-C to stop)\n", app, port)

	select {
	case <-srv.Done():
		code := srv.ExitCode()
		fmt.Fprintf(os.Stderr, "run-example: the server exited with code %d\n", code)
		return code
	case sig := <-sigs:
		fmt.Fprintf(os.Stderr, "\nrun-example: %v: stopping the server\n", sig)
	}
	// A second Ctrl-C while draining kills it.
	go func() {
		<-sigs
		srv.Kill()
	}()
	code, err := srv.StopWithin(30 * time.Second)
	if err != nil {
		fmt.Fprintln(os.Stderr, "run-example:", err)
	}
	return code
}

// phaseSummary keeps the message short: the phase output was already streamed.
func phaseSummary(err error) error {
	var pe *lifecycle.PhaseError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s exited with code %d", pe.Phase, pe.ExitCode)
	}
	return err
}
