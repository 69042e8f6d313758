// Package site analyses a site root at build time: it takes the files the
// server will serve (the walk of internal/sitefs), reads each one once to
// hash it and to precompress the compressible ones with brotli, zstd and
// gzip, keeping the variants that win (see winners). Variants
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
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/dustin/go-humanize"
	"github.com/klauspost/compress/zstd"

	"github.com/hardstatic/buildpack/internal/site/table"
	"github.com/hardstatic/buildpack/internal/sitefs"
)

// Settings identifies the compressors, levels and the rule that keeps a
// variant; variants made with other settings are not reused.
const Settings = "v2 br=11(10 under 3KiB) zstd=best(8MiB window) gzip=9 keep=saves 1/32 and beats gzip"

// brotliQ11From is the smallest content compressed at brotli's quality 11;
// smaller ones get quality 10. Measured here (BENCHMARKS.md, "Build time"):
// quality 11 costs 2 to 3 times the CPU of 10 at every size for 2 to 4% fewer
// bytes, and under 3 KiB brotli spends most of it on per-stream work, for a
// saving of under 40 bytes a response (less than one of its header lines).
const brotliQ11From = 3 << 10

// cacheFile is the record of compressed content hashes in the variants
// directory: sum -> encoding -> variant size (0: not kept).
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
	walked       int64 // size when walked, for the order of work
	size         int64
	sum          string
	typ          string
	err          error
}

// content is one distinct compressible content: the variant sizes of its
// encodings (0: not kept), made now or found in the cache.
type content struct {
	sizes  map[string]int64
	reused bool
	err    error
}

// analysis is the state of one Analyze: the options with their defaults,
// the open root, the variant cache, and the contents seen so far.
type analysis struct {
	opts     Options
	root     *os.Root
	cache    cacheRecord
	zenc     *zstd.Encoder
	mu       sync.Mutex
	contents map[string]*content // by SHA-256, compressible contents only
}

// Analyze walks opts.Root and returns its file table. Each file is read once:
// it is hashed and, when it is compressible and its content is new, its
// variants are made from the same bytes.
func Analyze(opts Options) (*table.Table, Stats, error) {
	start := time.Now()
	opts = opts.withDefaults()
	var st Stats
	tree, err := opts.walk()
	if err != nil {
		return nil, st, err
	}
	root, err := os.OpenRoot(opts.Root)
	if err != nil {
		return nil, st, fmt.Errorf("opening the site root: %w", err)
	}
	defer root.Close() //nolint:errcheck // read-only
	a := &analysis{opts: opts, root: root, cache: loadCache(opts.Variants), contents: map[string]*content{}}
	if opts.Variants != "" {
		if a.zenc, err = newZstd(opts.Workers); err != nil {
			return nil, st, err
		}
		defer a.zenc.Close() //nolint:errcheck // no output
	}
	files := candidates(tree, opts.Charset)
	if err := a.readAll(files); err != nil {
		return nil, st, err
	}
	t := a.table(tree, files, &st)
	if opts.Variants != "" {
		if st.Removed, err = saveCache(opts.Variants, a.kept()); err != nil {
			return nil, st, err
		}
	}
	st.Duration = time.Since(start)
	return t, st, nil
}

func (o Options) withDefaults() Options {
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.MinCompress <= 0 {
		o.MinCompress = 1 << 10
	}
	if o.MaxCompress <= 0 {
		o.MaxCompress = 8 << 20
	}
	return o
}

// walk returns o.Tree, or a walk of the root with o.Hide and no other rule.
func (o Options) walk() (*sitefs.Tree, error) {
	if o.Tree != nil {
		return o.Tree, nil
	}
	rule, err := sitefs.NewRule(sitefs.RuleOptions{Hide: o.Hide})
	if err != nil {
		return nil, err
	}
	return sitefs.Walk(o.Root, rule, sitefs.WalkOptions{})
}

// candidates lists the files of the walk in name order.
func candidates(tree *sitefs.Tree, charset string) []*candidate {
	files := make([]*candidate, 0, len(tree.Files))
	for _, name := range tree.Names() {
		f := tree.Files[name]
		files = append(files, &candidate{name: name, target: f.Target, protected: f.Protected, walked: f.Size,
			typ: table.ContentType(name, charset)})
	}
	return files
}

// compressible reports whether a file of this type and size gets variants.
func (a *analysis) compressible(typ string, size int64) bool {
	return a.opts.Variants != "" && table.Compressible(typ) && size >= a.opts.MinCompress && size <= a.opts.MaxCompress
}

// readAll reads every file once, in parallel, largest first so that the
// tail of the run stays parallel. A file that changed or vanished is left
// out (c.err); a failure to write a variant fails the analysis.
func (a *analysis) readAll(files []*candidate) error {
	order := slices.Clone(files)
	sort.SliceStable(order, func(i, j int) bool { return order[i].walked > order[j].walked })
	parallel(a.opts.Workers, len(order), func(i int) { a.read(order[i]) })
	for _, c := range files {
		if w := a.contents[c.sum]; c.err == nil && w != nil && w.err != nil {
			return fmt.Errorf("compressing %s: %w", c.target, w.err)
		}
	}
	return nil
}

// read hashes one file and, when it is compressible, makes the variants of
// its content from the bytes it hashed.
func (a *analysis) read(c *candidate) {
	f, size, err := openRegular(a.root, c.target)
	if err != nil {
		c.err = err
		return
	}
	defer f.Close() //nolint:errcheck // read-only
	if !a.compressible(c.typ, size) {
		c.sum, c.size, c.err = hashReader(f, size)
		return
	}
	data, err := io.ReadAll(io.LimitReader(f, size+1))
	if err == nil && int64(len(data)) != size {
		err = errChanged
	}
	if err != nil {
		c.err = err
		return
	}
	sum := sha256.Sum256(data)
	c.sum, c.size = hex.EncodeToString(sum[:]), size
	w := a.claim(c.sum)
	if w == nil {
		return
	}
	if sizes, ok := a.cache.lookup(a.opts.Variants, c.sum); ok {
		w.sizes, w.reused = sizes, true
		return
	}
	w.sizes, w.err = a.compress(c.sum, data)
}

var errChanged = errors.New("the file changed while it was read")

// claim records a compressible content and returns it to the first file
// that has it, nil to the others.
func (a *analysis) claim(sum string) *content {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.contents[sum] != nil {
		return nil
	}
	w := &content{}
	a.contents[sum] = w
	return w
}

// table builds the file table from the read files and fills st.
func (a *analysis) table(tree *sitefs.Tree, files []*candidate, st *Stats) *table.Table {
	t := &table.Table{Version: table.Version, Root: a.opts.Root, Variants: a.opts.Variants, Files: make(map[string]*table.File, len(files))}
	for d := range tree.Dirs {
		t.Dirs = append(t.Dirs, d)
	}
	sort.Strings(t.Dirs)
	st.Dirs = len(t.Dirs)
	for _, c := range files {
		if c.err != nil {
			st.Skipped++
			continue
		}
		f := &table.File{Size: c.size, SHA256: c.sum, Type: c.typ, CacheControl: table.CacheControlFor(c.name), Protected: c.protected}
		if c.target != c.name {
			f.Target = c.target
		}
		t.Files[c.name] = f
		st.Files++
		st.Bytes += c.size
		if a.compressible(f.Type, f.Size) {
			st.Compressible++
			st.addVariants(f, a.contents[c.sum].sizes)
		}
	}
	for _, w := range a.contents {
		if w.reused {
			st.Reused++
		} else {
			st.New++
		}
	}
	return t
}

// addVariants gives f the variants of its content and counts them.
func (s *Stats) addVariants(f *table.File, sizes map[string]int64) {
	best := f.Size
	for enc, n := range sizes {
		if n <= 0 || n >= f.Size {
			continue
		}
		if f.Encoded == nil {
			f.Encoded = map[string]int64{}
		}
		f.Encoded[enc] = n
		best = min(best, n)
		if s.EncBytes == nil {
			s.EncBytes = map[string]int64{}
		}
		s.EncBytes[enc] += n
	}
	if f.Encoded != nil {
		s.Compressed++
		s.RawBytes += f.Size
		s.BestBytes += best
	}
}

// kept is what the variants directory keeps: every compressible content of
// this analysis and the sizes of its variants.
func (a *analysis) kept() map[string]map[string]int64 {
	keep := make(map[string]map[string]int64, len(a.contents))
	for sum, w := range a.contents {
		keep[sum] = w.sizes
	}
	return keep
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

func hashReader(r io.Reader, size int64) (string, int64, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return "", 0, err
	}
	if n != size {
		return "", 0, errChanged
	}
	return hex.EncodeToString(h.Sum(nil)), size, nil
}

// compress writes the variants of one content that win (see winners) and
// returns every encoding's size (0 when not kept). gzip comes first: when
// even it does not save enough, the content is not compressible (random or
// already compressed bytes) and the costlier encoders are not run.
func (a *analysis) compress(sum string, data []byte) (map[string]int64, error) {
	out := make(map[string][]byte, len(table.Encodings))
	gz, err := Compress(table.Gzip, data, a.zenc)
	if err != nil {
		return nil, err
	}
	out[table.Gzip] = gz
	if saves(len(data), len(gz)) {
		others := []string{table.Brotli, table.Zstd}
		var mu sync.Mutex
		encode := func(enc string) {
			b, e := Compress(enc, data, a.zenc)
			mu.Lock()
			defer mu.Unlock()
			out[enc], err = b, errors.Join(err, e)
		}
		if len(data) >= 256<<10 {
			var wg sync.WaitGroup
			for _, enc := range others {
				wg.Go(func() { encode(enc) })
			}
			wg.Wait()
		} else {
			for _, enc := range others {
				encode(enc)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	sizes := winners(len(data), out)
	for enc, n := range sizes {
		if n == 0 {
			continue
		}
		if err := writeAtomic(filepath.Join(a.opts.Variants, filepath.FromSlash(table.VariantPath(sum, enc))), out[enc]); err != nil {
			return nil, err
		}
	}
	return sizes, nil
}

// saves reports whether an encoding of n bytes into m saves enough to be
// worth a variant: at least 1/32 of the file (3%, 32 bytes or more as files
// under 1 KiB are not compressed).
func saves(n, m int) bool { return m <= n-n/32 }

// winners decides which variants win: a variant is kept when it saves enough
// (saves), and brotli and zstd only when they are also smaller than gzip,
// because a client that accepts them accepts gzip too and the server
// prefers them, so a larger one would only cost bytes. It returns each
// encoding's size, 0 for those not kept.
func winners(n int, out map[string][]byte) map[string]int64 {
	sizes := make(map[string]int64, len(table.Encodings))
	gz, gzOK := len(out[table.Gzip]), out[table.Gzip] != nil && saves(n, len(out[table.Gzip]))
	for _, enc := range table.Encodings {
		sizes[enc] = 0
		b, made := out[enc]
		if !made || !saves(n, len(b)) || (enc != table.Gzip && gzOK && len(b) >= gz) {
			continue
		}
		sizes[enc] = int64(len(b))
	}
	return sizes
}

// Compress encodes data at the build's levels. zenc may be nil.
func Compress(enc string, data []byte, zenc *zstd.Encoder) ([]byte, error) {
	var buf bytes.Buffer
	switch enc {
	case table.Brotli:
		// A window no larger than the input: the same output, without
		// allocating and clearing a 4 MiB window for every small file.
		w := brotli.NewWriterOptions(&buf, brotli.WriterOptions{Quality: brotliQuality(len(data)), LGWin: brotliWindow(len(data))})
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

// brotliQuality is the brotli quality for n bytes (brotliQ11From).
func brotliQuality(n int) int {
	if n < brotliQ11From {
		return brotli.BestCompression - 1
	}
	return brotli.BestCompression
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
