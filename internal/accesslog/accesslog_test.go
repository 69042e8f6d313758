package accesslog

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Lines are held, written on the interval, and whatever is held when the
// writer closes is written then.
func TestBufferedWriter(t *testing.T) {
	var out syncBuffer
	w, err := Buffered{FlushInterval: 0, out: &out}.OpenWriter()
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte("line 1\n"))
	if out.String() != "" {
		t.Error("a line was written at once, not batched")
	}
	deadline := time.Now().Add(10 * time.Second)
	for out.String() == "" && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if out.String() != "line 1\n" {
		t.Errorf("after the interval: %q", out.String())
	}
	_, _ = w.Write([]byte("line 2\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "line 1\nline 2\n" {
		t.Errorf("after Close: %q, want both lines", got)
	}
	if err := w.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
}

// A full buffer is written without waiting for the interval.
func TestBufferedWriterFull(t *testing.T) {
	var out syncBuffer
	w, _ := Buffered{BufferSize: 16, out: &out}.OpenWriter()
	defer w.Close() //nolint:errcheck // test
	_, _ = w.Write([]byte(strings.Repeat("x", 40) + "\n"))
	if len(out.String()) < 16 {
		t.Errorf("a line larger than the buffer was held: %q", out.String())
	}
}
