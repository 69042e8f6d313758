package integration

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// `make run` builds an app through the lifecycle, prints the build log and
// the address, serves in the foreground and stops cleanly on Ctrl-C.
func TestRunExampleCommand(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "run-example")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/run-example").CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/run-example: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()

	app := filepath.Join("testdata", "plain")
	args := []string{"-app", app, "-port", strconv.Itoa(port)}
	if bp := os.Getenv("HARDSTATIC_BUILDPACK"); bp != "" {
		args = append(args, "-buildpack", bp)
	}
	cmd := exec.Command(bin, args...)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); pw.Close(); close(exited) }()

	var log strings.Builder
	serving := make(chan struct{})
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		sc := bufio.NewScanner(pr)
		sc.Buffer(nil, 1<<20)
		said := false
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
			if !said && strings.HasPrefix(sc.Text(), "Serving ") {
				close(serving)
				said = true
			}
		}
	}()
	// finish kills run-example if it still runs and returns its output.
	finish := func() string {
		_ = cmd.Process.Kill()
		<-exited
		<-readerDone
		return log.String()
	}
	t.Cleanup(func() { finish() })

	select {
	case <-serving:
	case <-exited:
		t.Fatalf("run-example exited (%v) before serving:\n%s", waitErr, finish())
	case <-time.After(3 * time.Minute):
		t.Fatalf("run-example did not say it was serving within 3 minutes:\n%s", finish())
	}

	resp, err := client.Get("http://localhost:" + strconv.Itoa(port) + "/")
	if err != nil {
		t.Fatalf("GET /: %v\n%s", err, finish())
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	expectStatus(t, "/", resp, string(body), http.StatusOK, "PLAIN-SITE-HOME")

	// Ctrl-C in a terminal: the server has its own process group, so only
	// run-example gets it, and forwards SIGTERM.
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
		if waitErr != nil {
			t.Errorf("run-example exited with %v after Ctrl-C, want 0", waitErr)
		}
	case <-time.After(15 * time.Second):
		t.Errorf("run-example did not exit within 15s of Ctrl-C")
	}
	out := finish()
	want := "Serving " + app + " on http://localhost:" + strconv.Itoa(port) + " (Ctrl-C to stop)"
	for _, s := range []string{"===> DETECTING", "index.html", "===> BUILDING", want} {
		if !strings.Contains(out, s) {
			t.Errorf("run-example output lacks %q:\n%s", s, out)
		}
	}
	if c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second); err == nil {
		c.Close()
		t.Errorf("something still listens on port %d after run-example exited", port)
	}
}
