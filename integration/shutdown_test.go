package integration

import (
	"bytes"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// SIGTERM, as a platform sends when it stops an instance, lets an in-flight
// download finish, then the server exits 0.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	ws := newWorkspace(t, "plain")
	// Larger than the loopback socket buffers, so the download is still in
	// flight when the signal comes. Random, so no compression can shrink it.
	big := make([]byte, 32<<20)
	rng := rand.NewChaCha8([32]byte{1, 2})
	_, _ = rng.Read(big)
	if err := os.WriteFile(filepath.Join(ws.AppDir, "big.bin"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	detect(t, ws)
	build(t, ws)

	t.Run("idle server exits 0", func(t *testing.T) {
		srv := launch(t, ws, nil)
		start := time.Now()
		code, err := srv.StopWithin(5 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if code != 0 {
			t.Errorf("exit code %d after SIGTERM, want 0\n%s", code, srv.Output())
		}
		t.Logf("exited %s after SIGTERM", time.Since(start).Round(time.Millisecond))
	})

	t.Run("in-flight download completes", func(t *testing.T) {
		srv := launch(t, ws, nil)
		resp, err := client.Get(srv.URL + "/big.bin")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("GET /big.bin: status %d", resp.StatusCode)
		}
		head := make([]byte, 1<<20)
		if _, err := io.ReadFull(resp.Body, head); err != nil {
			t.Fatalf("reading the first MiB: %v", err)
		}
		if err := srv.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		// Caddy logs the signal when it starts to shut down: from then on,
		// an exit would cut the download off.
		waitOutput(t, srv, "shutting down apps, then terminating")
		select {
		case <-srv.Done():
			t.Fatalf("the server exited (code %d) with a download in flight", srv.ExitCode())
		default:
		}
		rest, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("the download broke off after SIGTERM: %v (got %d of %d bytes)", err, len(head)+len(rest), len(big))
		}
		if got := append(head, rest...); !bytes.Equal(got, big) {
			t.Fatalf("the download after SIGTERM is not the file: got %d bytes, want %d", len(got), len(big))
		}
		select {
		case <-srv.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("the server did not exit within 5s of the last request finishing")
		}
		if code := srv.ExitCode(); code != 0 {
			t.Errorf("exit code %d after SIGTERM, want 0", code)
		}
	})
}
