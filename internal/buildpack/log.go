package buildpack

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// logger writes the buildpack's output for authors: a title, then indented
// steps and details, in the style of the Paketo buildpacks.
type logger struct {
	w     io.Writer
	debug bool
	// warnings, when set, collects each warning's text (a plan's).
	warnings *[]string
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
func (l logger) Warn(format string, args ...any) {
	if l.warnings != nil {
		*l.warnings = append(*l.warnings, l.format(format, args...))
	}
	l.line(1, "WARNING: "+format, args...)
}

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
	for part := range strings.SplitSeq(l.format(format, args...), "\n") {
		_, _ = fmt.Fprintln(l.w, indent+part)
	}
}

// format formats a line with every argument escaped.
func (l logger) format(format string, args ...any) string {
	safe := make([]any, len(args))
	for i, a := range args {
		safe[i] = escapeArg(a)
	}
	return fmt.Sprintf(format, safe...)
}

// block is text the logger prints over several lines as it is: text the
// buildpack wrote itself, such as the migrated static.toml.
type block string

// escapeArg makes an argument safe to print: a name (a file, a path, a
// value from the app) cannot start a line of its own or send terminal
// escapes, so it cannot forge the build log. Joined errors keep one line
// each.
func escapeArg(a any) any {
	switch v := a.(type) {
	case block:
		return string(v)
	case string:
		return escape(v)
	case error:
		return escapeError(v)
	case fmt.Stringer:
		return escape(v.String())
	}
	return a
}

// escapeError escapes an error; one made by errors.Join keeps a line for
// each of its errors.
func escapeError(err error) string {
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return escape(err.Error())
	}
	var raw, lines []string
	for _, e := range joined.Unwrap() {
		raw = append(raw, e.Error())
		lines = append(lines, escapeError(e))
	}
	if strings.Join(raw, "\n") != err.Error() { // not errors.Join: fmt.Errorf with several %w
		return escape(err.Error())
	}
	return strings.Join(lines, "\n")
}

// escape returns s unchanged when every character is printable, and else
// quoted with Go's escapes (strconv.Quote): a newline shows as \n, ESC as
// \x1b, a bidirectional override as \u202e.
func escape(s string) string {
	for _, r := range s {
		if r == utf8.RuneError || !strconv.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

// escapeAll escapes each name, for lists joined into one argument.
func escapeAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = escape(n)
	}
	return out
}
