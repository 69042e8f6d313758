package site

import (
	"bytes"
	"compress/gzip"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"

	"github.com/hardstatic/buildpack/internal/site/table"
)

func BenchmarkCompressSmall(b *testing.B) {
	data := []byte(strings.Repeat("<p>lorem ipsum dolor sit amet, static site server 12345</p>\n", 45)) // ~2.7 KB
	zenc, err := newZstd(1)
	if err != nil {
		b.Fatal(err)
	}
	for _, enc := range table.Encodings {
		b.Run(enc, func(b *testing.B) {
			for b.Loop() {
				if _, err := Compress(enc, data, zenc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchCorpus is the content BenchmarkSettings compresses: the files under
// $HARDSTATIC_CORPUS (up to 8 MiB each) when it is set, else 300 generated
// pages of 1 to 4 KiB and, when the machine has them, Debian's minified
// jQuery and Bootstrap's CSS.
func benchCorpus(b *testing.B) [][]byte {
	var corpus [][]byte
	if dir := os.Getenv("HARDSTATIC_CORPUS"); dir != "" {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			if data, err := os.ReadFile(p); err == nil && len(data) >= 1<<10 && len(data) <= 8<<20 { //nolint:gosec // the bench's own input
				corpus = append(corpus, data)
			}
			return nil
		})
		if err != nil || len(corpus) == 0 {
			b.Fatalf("HARDSTATIC_CORPUS=%s: %d files (%v)", dir, len(corpus), err)
		}
		return corpus
	}
	for i := range uint64(300) {
		corpus = append(corpus, []byte(words(i, 1<<10+int(i*37%(3<<10)))))
	}
	for _, p := range []string{"/usr/share/javascript/jquery/jquery.min.js", "/usr/share/javascript/bootstrap4/css/bootstrap.css"} {
		if data, err := os.ReadFile(p); err == nil {
			corpus = append(corpus, data)
		}
	}
	return corpus
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSettings compresses a corpus with each candidate setting and
// reports its output bytes (out-B) and CPU time (cpu-ms) per pass, the
// figures behind the build's levels (BENCHMARKS.md, "Build time"):
//
//	go test -run '^$' -bench Settings -benchtime 1x ./internal/site
func BenchmarkSettings(b *testing.B) {
	corpus := benchCorpus(b)
	brotliAt := func(q, lgwin int) func([]byte) ([]byte, error) {
		return func(data []byte) ([]byte, error) {
			var buf bytes.Buffer
			lg := lgwin
			if lg == 0 {
				lg = brotliWindow(len(data))
			}
			w := brotli.NewWriterOptions(&buf, brotli.WriterOptions{Quality: q, LGWin: lg})
			if _, err := w.Write(data); err != nil {
				return nil, err
			}
			err := w.Close()
			return buf.Bytes(), err
		}
	}
	gzipAt := func(level int) func([]byte) ([]byte, error) {
		return func(data []byte) ([]byte, error) {
			var buf bytes.Buffer
			w, _ := gzip.NewWriterLevel(&buf, level)
			if _, err := w.Write(data); err != nil {
				return nil, err
			}
			err := w.Close()
			return buf.Bytes(), err
		}
	}
	zstdAt := func(level zstd.EncoderLevel) func([]byte) ([]byte, error) {
		enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(level), zstd.WithWindowSize(8<<20), zstd.WithEncoderConcurrency(1))
		if err != nil {
			b.Fatal(err)
		}
		return func(data []byte) ([]byte, error) { return enc.EncodeAll(data, nil), nil }
	}
	build := func(enc string) func([]byte) ([]byte, error) {
		return func(data []byte) ([]byte, error) { return Compress(enc, data, nil) }
	}
	settings := []struct {
		name string
		fn   func([]byte) ([]byte, error)
	}{
		{"br=9", brotliAt(9, 0)}, {"br=9,lgwin=24", brotliAt(9, 24)},
		{"br=10", brotliAt(10, 0)}, {"br=10,lgwin=24", brotliAt(10, 24)},
		{"br=11", brotliAt(11, 0)}, {"br=build", build(table.Brotli)},
		{"zstd=better", zstdAt(zstd.SpeedBetterCompression)}, {"zstd=best", zstdAt(zstd.SpeedBestCompression)},
		{"gzip=6", gzipAt(6)}, {"gzip=9", gzipAt(9)},
	}
	var raw int
	for _, data := range corpus {
		raw += len(data)
	}
	b.Logf("corpus: %d files, %d bytes", len(corpus), raw)
	for _, s := range settings {
		b.Run(s.name, func(b *testing.B) {
			var out int
			start := cpuTime()
			for b.Loop() {
				out = 0
				for _, data := range corpus {
					z, err := s.fn(data)
					if err != nil {
						b.Fatal(err)
					}
					out += len(z)
				}
			}
			b.ReportMetric(float64(out), "out-B")
			b.ReportMetric(float64((cpuTime()-start).Milliseconds())/float64(b.N), "cpu-ms")
			b.ReportMetric(0, "ns/op")
		})
	}
}
