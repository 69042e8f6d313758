package staticsite

import (
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// BenchmarkBodyPath measures where memMax belongs: one body over a real
// loopback connection, written from memory (w.Write) or sent from the open
// file (io.Copy to the connection's ReadFrom: sendfile), per size. The
// file way opens and closes the file on every request, as the handler
// does. Read MB/s: the crossover is where the file way starts to win.
func BenchmarkBodyPath(b *testing.B) {
	dir := b.TempDir()
	for _, size := range []int{16 << 10, 64 << 10, 128 << 10, 256 << 10, 1 << 20} {
		data := make([]byte, size)
		_, _ = rand.Read(data)
		name := filepath.Join(dir, strconv.Itoa(size))
		if err := os.WriteFile(name, data, 0o644); err != nil {
			b.Fatal(err)
		}
		for _, mode := range []string{"memory", "sendfile"} {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header()["Content-Length"] = []string{strconv.Itoa(size)}
				if mode == "memory" {
					_, _ = w.Write(data)
					return
				}
				f, err := os.Open(name)
				if err != nil {
					w.WriteHeader(500)
					return
				}
				defer f.Close() //nolint:errcheck // read-only
				w.WriteHeader(200)
				_, _ = io.Copy(w, f)
			}))
			b.Run(fmt.Sprintf("%dKiB/%s", size>>10, mode), func(b *testing.B) {
				c := srv.Client()
				b.SetBytes(int64(size))
				for b.Loop() {
					resp, err := c.Get(srv.URL)
					if err != nil {
						b.Fatal(err)
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					_ = resp.Body.Close()
				}
			})
			srv.Close()
		}
	}
}
