// Package accesslog is the server's access-log writer: a Caddy log writer
// (caddy.logging.writers.static_buffered) that batches lines to stdout and
// writes them on a short interval, instead of one write(2) per request, and
// writes what it holds when the server stops (SIGTERM included), so no line
// is lost on a clean stop and a crash loses at most one interval.
package accesslog

import (
	"bufio"
	"context"
	"io"
	"os"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"
)

func init() {
	caddy.RegisterModule(Buffered{})
}

// Defaults of Buffered.
const (
	DefaultFlushInterval = 250 * time.Millisecond
	DefaultBufferSize    = 64 << 10
)

// Buffered writes log lines to stdout in batches.
type Buffered struct {
	// FlushInterval is the longest a line waits before it is written.
	// Default: 250ms.
	FlushInterval caddy.Duration `json:"flush_interval,omitempty"`
	// BufferSize is how many bytes are held before they are written
	// anyway. Default: 64 KiB.
	BufferSize int `json:"buffer_size,omitempty"`

	out io.Writer // os.Stdout unless a test sets it
}

// CaddyModule returns the Caddy module information.
func (Buffered) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "caddy.logging.writers.static_buffered", New: func() caddy.Module { return new(Buffered) }}
}

func (b Buffered) String() string { return "stdout (buffered)" }

// WriterKey identifies the writer: one per process, shared by every log
// that names it.
func (b Buffered) WriterKey() string { return "static_buffered_stdout" }

// OpenWriter starts the writer.
func (b Buffered) OpenWriter() (io.WriteCloser, error) {
	interval, size := time.Duration(b.FlushInterval), b.BufferSize
	if interval <= 0 {
		interval = DefaultFlushInterval
	}
	if size <= 0 {
		size = DefaultBufferSize
	}
	out := b.out
	if out == nil {
		out = os.Stdout
	}
	w := newWriter(out, interval, size)
	// Caddy does not close log writers when it stops; its exit functions
	// run once the servers have drained, so every line is written.
	caddy.OnExit(func(context.Context) { _ = w.Close() })
	return w, nil
}

type writer struct {
	mu   sync.Mutex
	bw   *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

func newWriter(out io.Writer, interval time.Duration, size int) *writer {
	w := &writer{bw: bufio.NewWriterSize(out, size), stop: make(chan struct{}), done: make(chan struct{})}
	go w.loop(interval)
	return w
}

func (w *writer) loop(interval time.Duration) {
	defer close(w.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			w.flush()
		case <-w.stop:
			return
		}
	}
}

func (w *writer) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	_ = w.bw.Flush() // stdout that went away: nothing to report to
}

// Write holds p (one log line) for the next batch.
func (w *writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.bw.Write(p)
}

// Close writes what is held and stops the timer.
func (w *writer) Close() error {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.bw.Flush()
}

var _ caddy.WriterOpener = Buffered{}
