package buildpack

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// logger writes the buildpack's output for authors: a title, then indented
// steps and details, in the style of the Paketo buildpacks.
type logger struct {
	w     io.Writer
	debug bool
	// planOnly is set by PlanSite: plan what is served, change no file.
	planOnly bool
}

func (l logger) Title(format string, args ...any) { l.line(0, format, args...) }
func (l logger) Step(format string, args ...any)  { l.line(1, format, args...) }
func (l logger) Detail(format string, args ...any) {
	l.line(2, format, args...)
}

// Debug writes a detail only when BP_LOG_LEVEL=debug.
func (l logger) Debug(format string, args ...any) {
	if l.debug {
		l.line(2, format, args...)
	}
}

// Warn writes a visible warning.
func (l logger) Warn(format string, args ...any) { l.line(1, "WARNING: "+format, args...) }

// Timed runs f and logs its duration as a step detail.
func (l logger) Timed(what string, f func() error) error {
	start := time.Now()
	err := f()
	if err == nil {
		l.Detail("%s (%s)", what, time.Since(start).Round(time.Millisecond))
	}
	return err
}

func (l logger) line(depth int, format string, args ...any) {
	indent := strings.Repeat("  ", depth)
	text := fmt.Sprintf(format, args...)
	for part := range strings.SplitSeq(text, "\n") {
		_, _ = fmt.Fprintln(l.w, indent+part)
	}
}
