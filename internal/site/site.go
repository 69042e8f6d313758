// Package site analyses a site root at build time: it takes the files the
// server will serve (the walk of internal/sitefs), hashes each one, and
// precompresses the compressible ones with brotli, zstd and gzip. Variants
// are stored by content hash in a directory that the build keeps in a cached
// layer, so a rebuild compresses only what changed. The result is a
// table.Table the server loads at start-up.
package site

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/dustin/go-humanize"
	"github.com/klauspost/compress/zstd"

	"github.com/hardstatic/buildpack/internal/site/table"
	"github.com/hardstatic/buildpack/internal/sitefs"
)

// Settings identifies the compressors and levels; variants made with other
// settings are not reused.
const Settings = "v1 br=11 zstd=best(8MiB window) gzip=9"

// cacheFile is the record of compressed content hashes in the variants
// directory: sum -> encoding -> variant size (0: not smaller, not kept).
const cacheFile = "cache.json"

// Options configure Analyze.
type Options struct {
	// Root is the absolute site root.
	Root string
	// Tree is the walk of Root (internal/sitefs) listing what is served.
	// Default: a walk with Hide and no other rule.
	Tree *sitefs.Tree
	// Hide lists paths relative to Root that are never served, when Tree
	// is nil.
	Hide []string
	// Charset is added to text content types.
	Charset string
	// Variants is the directory for compressed variants (a cached layer).
	// Empty: nothing is compressed.
	Variants string
	// Workers is the parallelism; GOMAXPROCS when 0.
	Workers int
	// MinCompress is the smallest file compressed; 1 KiB when 0.
	MinCompress int64
	// MaxCompress is the largest file compressed; 8 MiB when 0.
	MaxCompress int64
}

// Stats summarise an analysis.
type Stats struct {
	Files        int   // files in the table
	Dirs         int   // directories walked
	Bytes        int64 // their total size
	Skipped      int   // files that changed or vanished during the build
	Compressible int   // files eligible for compression
	Compressed   int   // files with at least one variant kept
	RawBytes     int64 // identity size of the compressed files
	BestBytes    int64 // size of their smallest variants
	EncBytes     map[string]int64
	Reused       int // distinct contents whose variants came from the cache
	New          int // distinct contents compressed now
	Removed      int // stale variant files deleted
	Duration     time.Duration
}

// Summary is a one-line description of s.
func (s Stats) Summary() string {
	saved := ""
	if s.RawBytes > 0 {
		saved = fmt.Sprintf(", %s -> %s (%.0f%% smaller)", HumanBytes(s.RawBytes), HumanBytes(s.BestBytes),
			100*(1-float64(s.BestBytes)/float64(s.RawBytes)))
	}
	return fmt.Sprintf("%d files, %s; %d precompressed%s; variants reused for %d, made for %d; %s",
		s.Files, HumanBytes(s.Bytes), s.Compressed, saved, s.Reused, s.New, s.Duration.Round(time.Millisecond))
}

// HumanBytes formats a byte count for the build log: 512 B, 1.5 KiB, 20 MiB.
func HumanBytes(n int64) string {
	return humanize.IBytes(uint64(max(n, 0)))
}

type candidate struct {
	name, target string
	protected    bool
	size         int64
	sum          string
	err          error
}

// Analyze walks opts.Root and returns its file table.
func Analyze(opts Options) (*table.Table, Stats, error) {
	start := time.Now()
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.MinCompress <= 0 {
		opts.MinCompress = 1 << 10
	}
	if opts.MaxCompress <= 0 {
		opts.MaxCompress = 8 << 20
	}
	var st Stats
	tree := opts.Tree
	if tree == nil {
		rule, err := sitefs.NewRule(sitefs.RuleOptions{Hide: opts.Hide})
		if err != nil {
			return nil, st, err
		}
		if tree, err = sitefs.Walk(opts.Root, rule, sitefs.WalkOptions{}); err != nil {
			return nil, st, err
		}
	}
	root, err := os.OpenRoot(opts.Root)
	if err != nil {
		return nil, st, fmt.Errorf("opening the site root: %w", err)
	}
	defer root.Close() //nolint:errcheck // read-only

	t := &table.Table{Version: table.Version, Root: opts.Root, Variants: opts.Variants, Files: map[string]*table.File{}}
	for d := range tree.Dirs {
		t.Dirs = append(t.Dirs, d)
	}
	sort.Strings(t.Dirs)
	files := make([]*candidate, 0, len(tree.Files))
	for _, name := range tree.Names() {
		f := tree.Files[name]
		files = append(files, &candidate{name: name, target: f.Target, protected: f.Protected})
	}

	// Phase 1: hash every file, in parallel.
	parallel(opts.Workers, len(files), func(i int) {
		c := files[i]
		c.sum, c.size, c.err = hashFile(root, c.target)
	})

	// Phase 2: compress each distinct compressible content not in the cache.
	cache := loadCache(opts.Variants)
	type work struct {
		sum, name string
		size      int64
		sizes     map[string]int64
		err       error
	}
	todo := map[string]*work{}
	var order []*work
	for _, c := range files {
		if c.err != nil {
			st.Skipped++
			continue
		}
		f := &table.File{
			Size: c.size, SHA256: c.sum,
			Type:         table.ContentType(c.name, opts.Charset),
			CacheControl: table.CacheControlFor(c.name),
			Protected:    c.protected,
		}
		if c.target != c.name {
			f.Target = c.target
		}
		t.Files[c.name] = f
		st.Files++
		st.Bytes += c.size
		if opts.Variants == "" || !table.Compressible(f.Type) || c.size < opts.MinCompress || c.size > opts.MaxCompress {
			continue
		}
		st.Compressible++
		if todo[c.sum] != nil {
			continue
		}
		w := &work{sum: c.sum, name: c.target, size: c.size}
		todo[c.sum] = w
		if sizes, ok := cache.lookup(opts.Variants, c.sum); ok {
			w.sizes = sizes
			st.Reused++
			continue
		}
		order = append(order, w)
	}
	if len(order) > 0 {
		enc, err := newZstd(opts.Workers)
		if err != nil {
			return nil, st, err
		}
		// Large files first, so that the tail of the run stays parallel.
		sort.SliceStable(order, func(i, j int) bool { return order[i].size > order[j].size })
		parallel(opts.Workers, len(order), func(i int) {
			w := order[i]
			w.sizes, w.err = compressFile(root, w.name, w.sum, w.size, opts.Variants, enc, w.size >= 256<<10)
		})
		_ = enc.Close()
		for _, w := range order {
			if w.err != nil {
				return nil, st, fmt.Errorf("compressing %s: %w", w.name, w.err)
			}
			st.New++
		}
	}
	if opts.Variants != "" {
		keep := map[string]map[string]int64{}
		for sum, w := range todo {
			keep[sum] = w.sizes
		}
		for name, f := range t.Files {
			w := todo[f.SHA256]
			if w == nil || !table.Compressible(f.Type) || f.Size < opts.MinCompress || f.Size > opts.MaxCompress {
				continue
			}
			best := f.Size
			for enc, n := range w.sizes {
				if n > 0 && n < f.Size {
					if f.Encoded == nil {
						f.Encoded = map[string]int64{}
					}
					f.Encoded[enc] = n
					best = min(best, n)
					if st.EncBytes == nil {
						st.EncBytes = map[string]int64{}
					}
					st.EncBytes[enc] += n
				}
			}
			if f.Encoded != nil {
				st.Compressed++
				st.RawBytes += f.Size
				st.BestBytes += best
			}
			_ = name
		}
		var err error
		if st.Removed, err = saveCache(opts.Variants, keep); err != nil {
			return nil, st, err
		}
	}
	st.Dirs = len(t.Dirs)
	st.Duration = time.Since(start)
	return t, st, nil
}

// openRegular opens a regular file in the root without blocking on a FIFO
// swapped in after the walk.
func openRegular(root *os.Root, name string) (*os.File, int64, error) {
	f, err := sitefs.OpenRegular(root, name)
	if err != nil {
		return nil, 0, err
	}
	info, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, 0, err
	}
	return f, info.Size(), nil
}

func hashFile(root *os.Root, name string) (string, int64, error) {
	f, size, err := openRegular(root, name)
	if err != nil {
		return "", 0, err
	}
	defer f.Close() //nolint:errcheck // read-only
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	if n != size {
		return "", 0, errors.New("the file changed while it was read")
	}
	return hex.EncodeToString(h.Sum(nil)), size, nil
}

// compressFile writes the variants of one content that are smaller than it,
// and returns every encoding's size (0 when not kept).
func compressFile(root *os.Root, name, sum string, size int64, dir string, zenc *zstd.Encoder, concurrent bool) (map[string]int64, error) {
	f, n, err := openRegular(root, name)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, size+1))
	_ = f.Close()
	if err != nil {
		return nil, err
	}
	if n != size || int64(len(data)) != size {
		return nil, errors.New("the file changed during the build")
	}
	if got := sha256.Sum256(data); hex.EncodeToString(got[:]) != sum {
		return nil, errors.New("the file changed during the build")
	}
	sizes := map[string]int64{}
	var mu sync.Mutex
	var firstErr error
	do := func(enc string) {
		out, err := Compress(enc, data, zenc)
		if err == nil && int64(len(out)) < size {
			err = writeAtomic(filepath.Join(dir, filepath.FromSlash(table.VariantPath(sum, enc))), out)
		} else {
			out = nil
		}
		mu.Lock()
		defer mu.Unlock()
		if err != nil && firstErr == nil {
			firstErr = err
		}
		sizes[enc] = int64(len(out))
	}
	if concurrent {
		var wg sync.WaitGroup
		for _, enc := range table.Encodings {
			wg.Go(func() { do(enc) })
		}
		wg.Wait()
	} else {
		for _, enc := range table.Encodings {
			do(enc)
		}
	}
	return sizes, firstErr
}

// Compress encodes data at the build's levels. zenc may be nil.
func Compress(enc string, data []byte, zenc *zstd.Encoder) ([]byte, error) {
	var buf bytes.Buffer
	switch enc {
	case table.Brotli:
		// A window no larger than the input: the same output, without
		// allocating and clearing a 4 MiB window for every small file.
		w := brotli.NewWriterOptions(&buf, brotli.WriterOptions{Quality: brotli.BestCompression, LGWin: brotliWindow(len(data))})
		if _, err := w.Write(data); err != nil {
			return nil, err
		}
		if err := w.Close(); err != nil {
			return nil, err
		}
	case table.Gzip:
		w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if _, err := w.Write(data); err != nil {
			return nil, err
		}
		if err := w.Close(); err != nil {
			return nil, err
		}
	case table.Zstd:
		if zenc == nil {
			e, err := newZstd(1)
			if err != nil {
				return nil, err
			}
			defer e.Close() //nolint:errcheck // no output
			zenc = e
		}
		return zenc.EncodeAll(data, make([]byte, 0, len(data)/2)), nil
	default:
		return nil, fmt.Errorf("unknown encoding %q", enc)
	}
	return buf.Bytes(), nil
}

// Decompress reverses Compress (for tests and checks).
func Decompress(enc string, data []byte) ([]byte, error) {
	switch enc {
	case table.Brotli:
		return io.ReadAll(brotli.NewReader(bytes.NewReader(data)))
	case table.Gzip:
		r, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		return io.ReadAll(r)
	case table.Zstd:
		d, err := zstd.NewReader(nil)
		if err != nil {
			return nil, err
		}
		defer d.Close()
		return d.DecodeAll(data, nil)
	}
	return nil, fmt.Errorf("unknown encoding %q", enc)
}

// newZstd is the zstd encoder at the highest level, with the 8 MiB window
// limit RFC 8878 sets for HTTP content coding.
func newZstd(concurrency int) (*zstd.Encoder, error) {
	return zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedBestCompression),
		zstd.WithWindowSize(8<<20), zstd.WithEncoderConcurrency(concurrency))
}

// brotliWindow is log2 of the smallest window covering n bytes, within
// brotli's limits (10..24).
func brotliWindow(n int) int {
	w := 10
	for w < 24 && 1<<w < n+16 {
		w++
	}
	return w
}

func writeAtomic(file string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil { //nolint:gosec // image files are world-readable
		return err
	}
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil { //nolint:gosec // image files are world-readable
		return err
	}
	return os.Rename(tmp, file)
}

// parallel runs fn(0..n-1) on workers goroutines.
func parallel(workers, n int, fn func(int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Go(func() {
			for i := range next {
				fn(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

type cacheRecord struct {
	Settings string                      `json:"settings"`
	Sums     map[string]map[string]int64 `json:"sums"`
}

func loadCache(dir string) cacheRecord {
	var c cacheRecord
	if dir == "" {
		return c
	}
	data, err := os.ReadFile(filepath.Join(dir, cacheFile)) //nolint:gosec // our layer
	if err != nil || json.Unmarshal(data, &c) != nil || c.Settings != Settings {
		return cacheRecord{}
	}
	return c
}

// lookup returns the recorded variant sizes of sum when every kept variant
// is still on disk with its size.
func (c cacheRecord) lookup(dir, sum string) (map[string]int64, bool) {
	sizes, ok := c.Sums[sum]
	if !ok || len(sizes) != len(table.Encodings) {
		return nil, false
	}
	for enc, n := range sizes {
		if _, known := table.Ext[enc]; !known {
			return nil, false
		}
		if n == 0 {
			continue
		}
		info, err := os.Stat(filepath.Join(dir, filepath.FromSlash(table.VariantPath(sum, enc))))
		if err != nil || info.Size() != n {
			return nil, false
		}
	}
	return sizes, true
}

// saveCache records keep and deletes the variant files of other contents.
func saveCache(dir string, keep map[string]map[string]int64) (int, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil { //nolint:gosec // image files are world-readable
		return 0, err
	}
	wanted := map[string]bool{}
	for sum, sizes := range keep {
		for enc, n := range sizes {
			if n > 0 {
				wanted[table.VariantPath(sum, enc)] = true
			}
		}
	}
	removed := 0
	subdirs, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	for _, sd := range subdirs {
		if !sd.IsDir() {
			continue
		}
		entries, err := os.ReadDir(filepath.Join(dir, sd.Name()))
		if err != nil {
			return removed, err
		}
		for _, e := range entries {
			if !wanted[sd.Name()+"/"+e.Name()] {
				if err := os.Remove(filepath.Join(dir, sd.Name(), e.Name())); err == nil {
					removed++
				}
			}
		}
		_ = os.Remove(filepath.Join(dir, sd.Name())) // only when empty
	}
	data, err := json.Marshal(cacheRecord{Settings: Settings, Sums: keep})
	if err != nil {
		return removed, err
	}
	return removed, writeAtomic(filepath.Join(dir, cacheFile), data)
}
