package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"syscall"
	"time"

	"github.com/hardstatic/buildpack/integration/lifecycle"
	"github.com/hardstatic/buildpack/internal/site/table"
)

var buildBaseline = flag.String("build-baseline", "", "another buildpack directory (`make build` of another commit) whose cold build and rebuild of the generated site are timed in the same run, alternating with this one's")

// buildRun is one timed builder phase.
type buildRun struct {
	wall, cpu time.Duration
	files     string // the build log's "Files:" line
	browser   int64  // bytes a browser (br, zstd, gzip) receives for every file once
	variants  map[string]int64
}

// benchBuilds times the cold build (empty cache) and the unchanged rebuild
// of a generated site of -files small pages through the real lifecycle, for
// this buildpack and, with -build-baseline, for another one in the same run
// (alternating, so that both see the same load), and writes the "Build time"
// section: wall clock and CPU time of the builder phase (the lifecycle and
// the buildpack, from the children's rusage), and the bytes of the result.
func benchBuilds(out *report, tmp string) error {
	if *files10k <= 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	tools, err := lifecycle.EnsureTools(ctx)
	if err != nil {
		return err
	}
	dir := filepath.Join(tmp, fmt.Sprintf("gen%d", *files10k))
	if err := generateManyFiles(dir, *files10k); err != nil {
		return err
	}
	type subject struct {
		name, buildpack string
		ws              *lifecycle.Workspace
		cold, warm      buildRun
	}
	subjects := []*subject{{name: "this commit"}}
	if *buildBaseline != "" {
		subjects = append(subjects, &subject{name: "baseline (" + *buildBaseline + ")", buildpack: *buildBaseline})
	}
	defer func() {
		for _, s := range subjects {
			if s.ws != nil && !*keep {
				_ = s.ws.Close()
			}
		}
	}()
	for _, s := range subjects {
		if s.ws, err = lifecycle.NewWorkspace(lifecycle.Options{Tools: tools, App: dir, Buildpack: s.buildpack}); err != nil {
			return err
		}
	}
	for _, phase := range []string{"cold", "rebuild"} {
		for _, s := range subjects {
			logf("building the %d-file site (%s, %s)", *files10k, s.name, phase)
			run, err := timeBuild(ctx, s.ws)
			if err != nil {
				return fmt.Errorf("%s build with %s: %w", phase, s.name, err)
			}
			if phase == "cold" {
				s.cold = run
			} else {
				s.warm = run
			}
		}
	}
	out.f("\n## Build time: a generated %d-file site\n\n", *files10k)
	out.f("Builder phase through the real lifecycle; CPU is user + system time of the phase and its children. " +
		"`browser bytes` is what a browser accepting br, zstd and gzip receives for every file once; `variants` is what the build keeps on disk.\n\n")
	out.f("| buildpack | build | wall | CPU | browser bytes | variants br / zstd / gzip | file analysis (from the build log) |\n|---|---|---:|---:|---:|---:|---|\n")
	for _, s := range subjects {
		for _, r := range []struct {
			build string
			run   buildRun
		}{{"cold (empty cache)", s.cold}, {"rebuild, unchanged", s.warm}} {
			out.f("| %s | %s | %s | %s | %d | %d / %d / %d | %s |\n", s.name, r.build, r.run.wall.Round(time.Millisecond),
				r.run.cpu.Round(time.Millisecond), r.run.browser, r.run.variants[table.Brotli], r.run.variants[table.Zstd],
				r.run.variants[table.Gzip], r.run.files)
		}
	}
	if len(subjects) == 2 {
		this, base := subjects[0], subjects[1]
		out.f("\nThis commit / baseline: cold build wall %.2fx, CPU %.2fx; rebuild wall %.2fx; browser bytes %+.2f%%.\n",
			ratio(this.cold.wall, base.cold.wall), ratio(this.cold.cpu, base.cold.cpu), ratio(this.warm.wall, base.warm.wall),
			100*(float64(this.cold.browser)/float64(base.cold.browser)-1))
	}
	return nil
}

func ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }

// timeBuild runs detect and the builder phase, timing the builder.
func timeBuild(ctx context.Context, ws *lifecycle.Workspace) (buildRun, error) {
	if log, err := ws.Detect(ctx); err != nil {
		return buildRun{}, fmt.Errorf("detect: %w\n%s", err, log)
	}
	cpu0, start := childrenCPU(), time.Now()
	log, err := ws.Build(ctx)
	run := buildRun{wall: time.Since(start), cpu: childrenCPU() - cpu0, files: filesLine(log)}
	if err != nil {
		return run, fmt.Errorf("%w\n%s", err, log)
	}
	_, t, err := readSite(ws)
	if err != nil {
		return run, err
	}
	run.browser, run.variants = servedBytes(t)
	return run, nil
}

// servedBytes sums, over the files of t, the response body a browser gets
// (the preferred variant, or the file) and each encoding's variant bytes.
func servedBytes(t *table.Table) (int64, map[string]int64) {
	var browser int64
	variants := map[string]int64{}
	for _, f := range t.Files {
		body, chosen := f.Size, false
		for _, enc := range table.Encodings {
			if n := f.Encoded[enc]; n > 0 {
				variants[enc] += n
				if !chosen {
					body, chosen = n, true
				}
			}
		}
		browser += body
	}
	return browser, variants
}

// childrenCPU is the user and system time of the waited-for children.
func childrenCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
