package integration

import (
	"bufio"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hardstatic/buildpack/integration/lifecycle"
)

// attackSecrets are planted in and around the sec-attack workspace; no
// response may contain any of them.
var attackSecrets = []string{secretMarker, "root:x:0:0", "CNB_LAYERS_DIR=", "PATH=/usr/local"}

// attackSite builds sec-attack with secrets and hostile links added to the
// workspace, and launches it.
func attackSite(t *testing.T) (*lifecycle.Workspace, *lifecycle.Server, string) {
	t.Helper()
	ws := newWorkspace(t, "sec-attack")
	app := ws.AppDir
	for name, content := range map[string]string{
		".env":             "API_KEY=SECRET-DOTENV\n",
		".htpasswd":        "admin:SECRET-HTPASSWD\n",
		".DS_Store":        "\x00\x00\x00\x01Bud1SECRET-DS-STORE",
		".git/config":      "[remote \"origin\"]\n\turl = https://SECRET-GIT@example.com/x.git\n",
		".git/HEAD":        "ref: refs/heads/main\n",
		"sub/.env":         "SECRET-SUB-DOTENV\n",
		".hidden/page.txt": "SECRET-DOT-DIR\n",
		"static.json":      "{\"root\": \".\", \"_comment\": \"SECRET-STATIC-JSON\"}\n",
	} {
		writeFile(t, filepath.Join(app, name), content)
	}
	outside := filepath.Join(ws.Dir, "outside") // beside the app, outside it
	writeFile(t, filepath.Join(outside, "secret.txt"), "SECRET-OUTSIDE\n")
	for link, target := range map[string]string{
		"abs-leak.txt":  filepath.Join(outside, "secret.txt"),
		"rel-leak.txt":  "../outside/secret.txt",
		"leakdir":       outside,
		"passwd.txt":    "/etc/passwd",
		"etc":           "/etc",
		"environ.txt":   "/proc/self/environ",
		"procroot":      "/proc/self/root",
		"loop.txt":      "loop.txt",
		"loop-a":        "loop-b",
		"loop-b":        "loop-a",
		"sub/up":        "..",
		"sub/uptwo":     "../..",
		"dangling.html": "nowhere.html",
	} {
		symlink(t, target, filepath.Join(app, link))
	}
	detect(t, ws)
	out := build(t, ws)
	return ws, launch(t, ws, nil), out
}

// expectRefused checks a response to a hostile request: 404 (or 400 for a
// request the server cannot parse), never a 5xx, never a secret, never a
// redirect.
func expectRefused(t *testing.T, what string, status int, header http.Header, body string) {
	t.Helper()
	if status != http.StatusNotFound && status != http.StatusBadRequest {
		t.Errorf("%s: status %d, want 404 (or 400); body: %.200q", what, status, body)
	}
	for _, s := range attackSecrets {
		if strings.Contains(body, s) {
			t.Errorf("%s: the body leaks %q: %.300q", what, s, body)
		}
	}
	if loc := header.Get("Location"); loc != "" {
		t.Errorf("%s: redirects to %q", what, loc)
	}
}

func TestAttackPaths(t *testing.T) {
	t.Parallel()
	_, srv, _ := attackSite(t)

	resp, body := get(t, srv, "/")
	expectStatus(t, "/", resp, body, http.StatusOK, "SEC-ATTACK-HOME")

	// Sent byte for byte: an HTTP client would clean or escape these.
	targets := []string{
		// traversal, plain and encoded
		"/../../../../etc/passwd", "/../outside/secret.txt", "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
		"/%2E%2e/outside/secret.txt", "/.%2E/outside/secret.txt", "/%2e./outside/secret.txt",
		"/..%2f..%2f..%2fetc%2fpasswd", "/..%2F..%2Foutside%2Fsecret.txt", "/sub/..%2f..%2foutside/secret.txt",
		"/%252e%252e/%252e%252e/etc/passwd", "/%252e%252e%252f.env", "/%25%32%65%25%32%65/etc/passwd",
		"/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd", "/%c0%ae%c0%ae%c0%afetc%c0%afpasswd", "/%e0%80%ae%e0%80%ae/.env",
		"/%ef%bc%8e%ef%bc%8e/outside/secret.txt", "/..;/.env", "/sub/..;/.env",
		// backslashes
		"/..\\..\\..\\etc\\passwd", "/sub\\..\\.env", "/%5c..%5c..%5cetc%5cpasswd", "/sub/%5c.env", "/\\.env",
		// NUL bytes
		"/.env%00", "/.env%00.txt", "/index.html%00.txt", "/%00/../.env", "/sub/page.txt%00",
		// double slashes, dots, case
		"//.env", "///etc/passwd", "/./.env", "/sub//../.env", "/sub/./../.env", "/.well-known/../.env",
		"/.well-known/%2e%2e/.env", "/%2e/.env", "/%2eenv", "/.ENV", "/.Env",
		// trailing dots and spaces (Windows-style aliases)
		"/.env.", "/static.toml.", "/static.toml%20", "/static.toml::$DATA", "/STATIC.TOML",
		// dotfiles, dot-dirs, the site's configuration
		"/.env", "/.htpasswd", "/.DS_Store", "/.git/config", "/.git/HEAD", "/.git/", "/.git", "/.git//config",
		"/sub/.env", "/.hidden/page.txt", "/.hidden/", "/static.toml", "/static.json", "/static%2etoml",
		"/.git%2fconfig", "/%2egit/config",
		// links out of the root, to /proc, and loops
		"/abs-leak.txt", "/rel-leak.txt", "/leakdir/secret.txt", "/leakdir/", "/leakdir", "/passwd.txt",
		"/etc/passwd", "/etc/", "/environ.txt", "/procroot/etc/passwd", "/procroot/", "/loop.txt", "/loop-a",
		"/loop-b/", "/sub/up/../outside/secret.txt", "/sub/uptwo/outside/secret.txt", "/sub/uptwo/", "/dangling.html",
		"/sub/up/.env",
		// absolute-form and odd request targets
		"http://localhost/../.env", "http://localhost/%2e%2e/outside/secret.txt", "*",
	}
	// The same with compression asked for (precompressed variants must obey
	// the same rules), and as HEAD.
	for _, target := range targets {
		for _, req := range []string{
			"GET " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
			"GET " + target + " HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: br, zstd, gzip, deflate\r\nConnection: close\r\n\r\n",
			"HEAD " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
		} {
			resp, body := sendRaw(t, srv, req)
			expectRefused(t, strings.SplitN(req, "\r\n", 3)[0]+" "+resp.Header.Get("Content-Encoding"), resp.StatusCode, resp.Header, body)
			if ce := resp.Header.Get("Content-Encoding"); ce != "" {
				t.Errorf("%s: a refused request got a %s body", strings.SplitN(req, "\r\n", 2)[0], ce)
			}
		}
	}
	// Variant files are not part of the site.
	for _, suffix := range []string{".br", ".gz", ".zst", ".zstd", ".deflate"} {
		for _, name := range []string{"/index.html", "/404.html", "/.env", "/static.toml"} {
			resp, body := rawGet(t, srv, name+suffix)
			expectRefused(t, "GET "+name+suffix, resp.StatusCode, resp.Header, body)
		}
	}
	// A link inside the root to a directory inside the root is followed
	// (the server treats it like the directory): /sub/up is the root.
	resp, body = rawGet(t, srv, "/sub/up/sub/page.txt")
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /sub/up/sub/page.txt: status %d", resp.StatusCode)
	}
	for _, s := range attackSecrets {
		if strings.Contains(body, s) {
			t.Errorf("GET /sub/up/sub/page.txt leaks %q", s)
		}
	}
}

func TestAttackRequests(t *testing.T) {
	t.Parallel()
	_, srv, _ := attackSite(t)

	t.Run("oversized headers get 431", func(t *testing.T) {
		big := strings.Repeat("a", 64<<10)
		resp, body := sendRaw(t, srv, "GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: "+big+"\r\nConnection: close\r\n\r\n")
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("64 KiB header: status %d, want 431; body %.100q", resp.StatusCode, body)
		}
		many := strings.Repeat("X-Many: 1234567890123456789012345678901234567890\r\n", 1000)
		resp, _ = sendRaw(t, srv, "GET / HTTP/1.1\r\nHost: localhost\r\n"+many+"Connection: close\r\n\r\n")
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("1000 headers: status %d, want 431", resp.StatusCode)
		}
	})

	t.Run("oversized URL is refused, not a 500", func(t *testing.T) {
		for _, n := range []int{20 << 10, 100 << 10} {
			resp, body := sendRaw(t, srv, "GET /"+strings.Repeat("a", n)+" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
			switch resp.StatusCode {
			case http.StatusRequestURITooLong, http.StatusRequestHeaderFieldsTooLarge, http.StatusBadRequest:
			default:
				t.Errorf("%d-byte URL: status %d, want 414, 431 or 400; body %.100q", n, resp.StatusCode, body)
			}
		}
	})

	t.Run("unknown and unsafe methods get 405 with Allow", func(t *testing.T) {
		for _, m := range []string{"FOO", "TRACE", "TRACK", "DELETE", "PUT", "POST", "PATCH", "CONNECT", "PROPFIND", "OPTIONS"} {
			target := "/"
			if m == "CONNECT" {
				target = "localhost:80"
			}
			resp, body := sendRaw(t, srv, m+" "+target+" HTTP/1.1\r\nHost: localhost\r\nCookie: SECRET-COOKIE\r\nX-Echo: SECRET-ECHO\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
			if m == "CONNECT" && resp.StatusCode == http.StatusBadRequest {
				continue // Go refuses a CONNECT it cannot route
			}
			if resp.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("%s: status %d, want 405; body %.100q", m, resp.StatusCode, body)
			} else if allow := resp.Header.Get("Allow"); allow != "GET, HEAD" {
				t.Errorf("%s: Allow %q, want \"GET, HEAD\"", m, allow)
			}
			if strings.Contains(body, "SECRET-") {
				t.Errorf("%s echoes the request: %.200q", m, body)
			}
			checkDefaultHeaders(t, m+" /", resp.Header)
		}
	})

	t.Run("Host header", func(t *testing.T) {
		for _, host := range []string{"example.com:8080", "localhost:1", "[::1]:80", "EVIL.example", "a.b.c.d.e.f.example"} {
			resp, body := sendRaw(t, srv, "GET /dir HTTP/1.1\r\nHost: "+host+"\r\nConnection: close\r\n\r\n")
			if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/dir/" {
				t.Errorf("GET /dir with Host %q: status %d, Location %q; want 301 to /dir/ (relative: the Host is not trusted); body %.100q",
					host, resp.StatusCode, resp.Header.Get("Location"), body)
			}
		}
		for _, host := range []string{"", "a b", "evil.example\r\nX-Injected: 1", "evil.example/path", "evil.example\\x", "<script>", "evil.example@good", "%0d%0aX: 1"} {
			resp, body := sendRaw(t, srv, "GET /dir HTTP/1.1\r\nHost: "+host+"\r\nConnection: close\r\n\r\n")
			if resp.StatusCode >= 500 {
				t.Errorf("Host %q: status %d", host, resp.StatusCode)
			}
			if resp.Header.Get("X-Injected") != "" {
				t.Errorf("Host %q injected a header", host)
			}
			if loc := resp.Header.Get("Location"); loc != "" && loc != "/dir/" {
				t.Errorf("Host %q: Location %q, want /dir/ or none; body %.100q", host, loc, body)
			}
		}
		// Behind the router (X-Forwarded-Proto: http) the https redirect
		// names the request's host, as it must; it cannot carry anything
		// else.
		for _, host := range []string{"example.com", "example.com:8080", "evil.example@good.example", "evil.example%2f.good"} {
			resp, _ := sendRaw(t, srv, "GET /dir?q=1 HTTP/1.1\r\nHost: "+host+"\r\nX-Forwarded-Proto: http\r\nConnection: close\r\n\r\n")
			if resp.StatusCode == http.StatusBadRequest {
				continue
			}
			loc := resp.Header.Get("Location")
			wantHost, _, _ := strings.Cut(host, ":")
			if resp.StatusCode != http.StatusMovedPermanently || loc != "https://"+wantHost+"/dir?q=1" {
				t.Errorf("Host %q behind the router: status %d, Location %q; want 301 to https://%s/dir?q=1",
					host, resp.StatusCode, loc, wantHost)
			}
		}
	})

	t.Run("no open redirect", func(t *testing.T) {
		// Paths that redirect (a directory without its slash, an
		// index.html, a page with clean URLs) with another host smuggled
		// in: the Location must stay on this site.
		for _, target := range []string{
			"//evil.example", "//evil.example/", "///evil.example", "/%2fevil.example", "/%2f%2fevil.example",
			"//evil.example/index.html", "//evil.example/..", "/\\evil.example", "/%5cevil.example", "/%5c%5cevil.example",
			"/\\/evil.example", "/dir/..//evil.example", "//dir", "//dir?next=//evil.example", "/dir//", "/dir/index.html",
			"//sub/page.html", "//evil.example/%2e%2e", "/%09/evil.example", "/%20/evil.example", "//evil.example%23.dir",
			"/dir?x=%0d%0aLocation:%20//evil.example", "/dir%0d%0aLocation:%20//evil.example",
		} {
			resp, body := sendRaw(t, srv, "GET "+target+" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
			if resp.StatusCode >= 500 {
				t.Errorf("GET %s: status %d", target, resp.StatusCode)
			}
			locs := resp.Header.Values("Location")
			if len(locs) > 1 {
				t.Errorf("GET %s: %d Location headers: %q", target, len(locs), locs)
			}
			if len(locs) == 0 {
				continue
			}
			loc := locs[0]
			u, err := url.Parse(loc)
			if err != nil || !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, "/\\") ||
				strings.ContainsAny(loc, "\\\r\n\t") || u.Host != "" {
				t.Errorf("GET %s: Location %q leaves the site; body %.100q", target, loc, body)
			}
		}
	})

	t.Run("odd protocols and framing", func(t *testing.T) {
		for name, req := range map[string]string{
			"HTTP/1.0 without Host": "GET / HTTP/1.0\r\n\r\n",
			"HTTP/2 preface (h2c)":  "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
			"HTTP/0.9":              "GET /\r\n\r\n",
			"HTTP/9.9":              "GET / HTTP/9.9\r\nHost: localhost\r\n\r\n",
			"CL and TE": "GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n" +
				"0\r\n\r\nGET /.env HTTP/1.1\r\nHost: localhost\r\n\r\n",
			"two Content-Lengths": "GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nContent-Length: 5\r\n\r\n",
			"bare LF":             "GET /.env HTTP/1.1\nHost: localhost\n\n",
			"obs-fold":            "GET / HTTP/1.1\r\nHost: localhost\r\nX-A: 1\r\n X-B: 2\r\n\r\n",
		} {
			conn, err := net.DialTimeout("tcp", strings.TrimPrefix(srv.URL, "http://"), 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			// Every response, until the server closes or the connection has
			// been quiet for a while (keep-alive).
			_ = conn.SetDeadline(time.Now().Add(3 * time.Second))
			_, _ = io.WriteString(conn, req)
			all, _ := io.ReadAll(conn)
			_ = conn.Close()
			text := string(all)
			// 505 HTTP Version Not Supported is the right answer to HTTP/9.9.
			if m := regexp.MustCompile(`HTTP/1\.[01] 5(0[0-46-9]|[1-9]\d)`).FindString(text); m != "" {
				t.Errorf("%s: %s", name, m)
			}
			for _, sec := range attackSecrets {
				if strings.Contains(text, sec) {
					t.Errorf("%s: the answer leaks %q", name, sec)
				}
			}
			if !strings.HasPrefix(text, "HTTP/1.") && text != "" {
				t.Errorf("%s: the answer is not HTTP/1: %.100q", name, text)
			}
		}
	})

	t.Run("many ranges", func(t *testing.T) {
		var rs []string
		for i := range 1500 {
			rs = append(rs, fmt.Sprintf("%d-%d", i%50, i%50))
		}
		req := "GET / HTTP/1.1\r\nHost: localhost\r\nRange: bytes=" + strings.Join(rs, ",") + "\r\nConnection: close\r\n\r\n"
		resp, body := sendRaw(t, srv, req)
		switch resp.StatusCode {
		case http.StatusOK, http.StatusPartialContent, http.StatusRequestedRangeNotSatisfiable:
		default:
			t.Errorf("1500 overlapping ranges: status %d", resp.StatusCode)
		}
		if len(body) > 64<<10 {
			t.Errorf("1500 overlapping ranges of a small page gave a %d-byte answer", len(body))
		}
	})

	t.Run("slowloris is cut off at the header timeout", func(t *testing.T) {
		conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		start := time.Now()
		closed := make(chan error, 1)
		go func() {
			_ = conn.SetReadDeadline(time.Now().Add(60 * time.Second))
			_, err := io.Copy(io.Discard, conn) // returns when the server closes
			closed <- err
		}()
		if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: "); err != nil {
			t.Fatal(err)
		}
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case err := <-closed:
				elapsed := time.Since(start)
				t.Logf("the server closed the slow connection after %s (read: %v)", elapsed.Round(100*time.Millisecond), err)
				if elapsed > 20*time.Second {
					t.Errorf("the slow connection lived %s, want it closed within 20s (header timeout 10s)", elapsed)
				}
				return
			case <-tick.C:
				if time.Since(start) > 25*time.Second {
					t.Fatalf("the server kept a connection sending one header byte a second open for %s", time.Since(start))
				}
				_, _ = conn.Write([]byte("a")) // may fail once the server closed
			}
		}
	})
}

// 10,000 keep-alive connections at once, each with one request answered, do
// not exhaust the server; its memory stays bounded.
func TestAttackManyConnections(t *testing.T) {
	t.Parallel()
	const conns = 10000
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	need := uint64(conns + 1000)
	if lim.Max < need {
		lim.Max = need // root may raise the hard limit
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		skipOrFail(t, fmt.Sprintf("cannot raise RLIMIT_NOFILE to %d for %d connections: %v", need, conns, err))
	}
	ws := newWorkspace(t, "sec-attack")
	detect(t, ws)
	build(t, ws)
	srv := launch(t, ws, nil) // inherits the raised limit
	addr := strings.TrimPrefix(srv.URL, "http://")
	if n := procLimit(t, srv.Pid); n < need {
		t.Fatalf("the server's open-files limit is %d, want at least %d", n, need)
	}
	before := procStatus(t, srv.Pid)

	open := make([]net.Conn, conns)
	t.Cleanup(func() {
		for _, c := range open {
			if c != nil {
				_ = c.Close()
			}
		}
	})
	start := time.Now()
	const batch = 500
	for i := 0; i < conns; i += batch {
		if err := parallel(i, min(i+batch, conns), 100, func(j int) error {
			c, err := net.DialTimeout("tcp", addr, 20*time.Second)
			open[j] = c
			return err
		}); err != nil {
			t.Fatalf("opening connection %d+: %v", i, err)
		}
	}
	opened := time.Since(start)
	var ok atomic.Int64
	err := parallel(0, conns, 200, func(j int) error {
		c := open[j]
		_ = c.SetDeadline(time.Now().Add(60 * time.Second))
		if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"); err != nil {
			return fmt.Errorf("connection %d: %w", j, err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return fmt.Errorf("connection %d: %w", j, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Close {
			return fmt.Errorf("connection %d: status %d, close %t", j, resp.StatusCode, resp.Close)
		}
		ok.Add(1)
		return nil
	})
	if err != nil {
		t.Fatalf("%d of %d answered 200 with keep-alive, then: %v", ok.Load(), conns, err)
	}
	after := procStatus(t, srv.Pid)
	fds := countFDs(t, srv.Pid)
	t.Logf("%d connections opened in %s, all answered 200 in %s; server open files %d; RSS %d MiB -> %d MiB (peak %d MiB)",
		conns, opened.Round(time.Millisecond), (time.Since(start) - opened).Round(time.Millisecond), fds,
		before["VmRSS"]>>10, after["VmRSS"]>>10, after["VmHWM"]>>10)
	if fds < conns {
		t.Errorf("the server holds %d open files, want at least %d (one per idle keep-alive connection)", fds, conns)
	}
	if after["VmHWM"] > 1<<20 { // KiB: 1 GiB
		t.Errorf("the server's peak RSS is %d MiB, want under 1 GiB", after["VmHWM"]>>10)
	}
	// The server still answers a new client.
	for _, c := range open {
		_ = c.Close()
	}
	resp, body := get(t, srv, "/")
	expectStatus(t, "/", resp, body, http.StatusOK, "SEC-ATTACK-HOME")
}

// parallel runs f(i) for i in [from, to) on n goroutines and returns the
// first error.
func parallel(from, to, n int, f func(int) error) error {
	var (
		next  atomic.Int64
		first error
		once  sync.Once
		wg    sync.WaitGroup
	)
	next.Store(int64(from))
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= to {
					return
				}
				if err := f(i); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// procStatus reads the kB values of /proc/<pid>/status.
func procStatus(t *testing.T, pid int) map[string]uint64 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]uint64{}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[2] == "kB" {
			n, _ := strconv.ParseUint(f[1], 10, 64)
			m[strings.TrimSuffix(f[0], ":")] = n
		}
	}
	return m
}

func procLimit(t *testing.T, pid int) uint64 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`Max open files\s+(\d+)`).FindSubmatch(data)
	if m == nil {
		t.Fatalf("no open-files limit in /proc/%d/limits:\n%s", pid, data)
	}
	n, _ := strconv.ParseUint(string(m[1]), 10, 64)
	return n
}

func countFDs(t *testing.T, pid int) int {
	t.Helper()
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// The server serves from a read-only file system: the whole mount tree is
// remounted read-only in a private mount namespace before the launcher
// starts, as with `docker run --read-only`.
func TestAttackReadOnlyFilesystem(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		skipOrFail(t, "needs root for unshare --mount")
	}
	for _, tool := range []string{"unshare", "setpriv", "mount"} {
		if _, err := exec.LookPath(tool); err != nil {
			skipOrFail(t, tool+" is not installed")
		}
	}
	ws := newWorkspace(t, "sec-default")
	detect(t, ws)
	build(t, ws)
	before := snapshot(t, ws.AppDir, ws.LayersDir, ws.HomeDir)

	port := freePort(t)
	// Remount / and every other writable mount read-only, then drop to the
	// build user and exec the launcher as the process type "web".
	script := `set -e
mount --make-rprivate /
for m in $(awk '$4 ~ /(^|,)rw(,|$)/ && $3 !~ /^(proc|sysfs|cgroup2?|devpts|devtmpfs|mqueue)$/ {print $2}' /proc/self/mounts); do
  mount -o remount,bind,ro "$m" 2>/dev/null || true
done
if touch "$CNB_APP_DIR/.rw-probe" 2>/dev/null || touch /tmp/.rw-probe 2>/dev/null; then
  echo "read-only remount failed: the file system is still writable" >&2; exit 97
fi
exec setpriv --reuid=` + strconv.Itoa(lifecycle.BuildUID) + ` --regid=` + strconv.Itoa(lifecycle.BuildGID) + ` --clear-groups "$LAUNCHER"
`
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script)
	cmd.Dir = ws.AppDir
	cmd.Env = ws.LaunchEnv(port, map[string]string{"LAUNCHER": ws.ProcessPath("web")})
	proc := startProcess(t, "server", cmd, syscall.SIGKILL)
	out := proc.out
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	if err := lifecycle.WaitHTTP(base+"/", 15*time.Second, proc.done); err != nil {
		t.Fatalf("the server on a read-only file system: %v\n%s", err, out.String())
	}
	// The process is the server, in the read-only namespace.
	if exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", cmd.Process.Pid)); err != nil || filepath.Base(exe) != "static-server" {
		t.Fatalf("pid %d is %q (%v), want the static-server", cmd.Process.Pid, exe, err)
	}
	hostNS, _ := os.Readlink("/proc/self/ns/mnt")
	srvNS, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/mnt", cmd.Process.Pid))
	if hostNS == srvNS {
		t.Fatalf("the server runs in the test's mount namespace %s", hostNS)
	}
	mounts, err := os.ReadFile(fmt.Sprintf("/proc/%d/mounts", cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(mounts), "\n") {
		if f := strings.Fields(line); len(f) >= 4 && f[1] == "/" && !strings.HasPrefix(f[3]+",", "ro,") {
			t.Fatalf("the server's / is not read-only: %s", line)
		}
	}

	index := readFile(t, filepath.Join(ws.AppDir, "index.html"))
	for path, want := range map[string]string{
		"/": "SEC-DEFAULT-HOME", "/about/": "SEC-DEFAULT-ABOUT", "/js/app.js": "The script ran",
		"/css/site.css": "font-family", "/missing": "SEC-DEFAULT-NOT-FOUND",
	} {
		resp, body := doAt(t, base, request{path: path})
		if !strings.Contains(body, want) {
			t.Errorf("GET %s: status %d, body lacks %q", path, resp.StatusCode, want)
		}
		if path == "/" && body != index {
			t.Errorf("GET /: the body is not index.html as built")
		}
		if path == "/js/app.js" {
			sum := sha512.Sum384([]byte(body))
			if !strings.Contains(index, `integrity="sha384-`+base64.StdEncoding.EncodeToString(sum[:])+`"`) {
				t.Errorf("index.html's integrity for /js/app.js does not match the served file")
			}
		}
	}
	if strings.Contains(strings.ToLower(out.String()), "read-only file system") {
		t.Errorf("the server tried to write:\n%s", out.String())
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-proc.done:
	case <-time.After(15 * time.Second):
		t.Fatal("the server did not exit within 15s of SIGTERM")
	}
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0\n%s", code, out.String())
	}
	after := snapshot(t, ws.AppDir, ws.LayersDir, ws.HomeDir)
	for p, b := range before {
		if a, ok := after[p]; !ok || a != b {
			t.Errorf("%s changed while the server ran", p)
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("%s appeared while the server ran", p)
		}
	}
}

// The build adds integrity to the site's own scripts and stylesheets (and
// BP_STATIC_SRI=false turns that off), and warns, naming them, about files
// in the served root that look like secrets, saying truthfully whether the
// server would send them.
func TestBuildHygiene(t *testing.T) {
	t.Parallel()

	t.Run("integrity", func(t *testing.T) {
		t.Parallel()
		ws := newWorkspace(t, "sec-default")
		orig := readFile(t, filepath.Join(ws.AppDir, "index.html"))
		detect(t, ws)
		out := build(t, ws)
		if !strings.Contains(out, "Subresource Integrity: added to 5 script and stylesheet tags in 3 of 3 pages") {
			t.Errorf("the build log does not report the integrity added:\n%s", out)
		}
		srv := launch(t, ws, nil)
		resp, page := get(t, srv, "/")
		expectStatus(t, "/", resp, page, http.StatusOK, "SEC-DEFAULT-HOME")
		for _, u := range []string{"/js/app.js", "/css/site.css"} {
			_, body := get(t, srv, u)
			sum := sha512.Sum384([]byte(body))
			if !strings.Contains(page, `integrity="sha384-`+base64.StdEncoding.EncodeToString(sum[:])+`"`) {
				t.Errorf("the served page has no integrity matching the served %s:\n%s", u, page)
			}
		}
		// Only attributes were added.
		stripped := regexp.MustCompile(` integrity="sha384-[A-Za-z0-9+/=]+"`).ReplaceAllString(page, "")
		if stripped != orig {
			t.Errorf("the build changed more than integrity attributes:\n%s", page)
		}
	})

	t.Run("BP_STATIC_SRI=false", func(t *testing.T) {
		t.Parallel()
		ws := newWorkspace(t, "sec-default")
		orig := readFile(t, filepath.Join(ws.AppDir, "index.html"))
		if err := ws.SetBuildEnv("BP_STATIC_SRI", "false"); err != nil {
			t.Fatal(err)
		}
		detect(t, ws)
		out := build(t, ws)
		if !strings.Contains(out, "Subresource Integrity: off (sri = false in static.toml, or BP_STATIC_SRI=false)") {
			t.Errorf("the build log does not say integrity is off:\n%s", out)
		}
		if got := readFile(t, filepath.Join(ws.AppDir, "index.html")); got != orig {
			t.Errorf("index.html changed with BP_STATIC_SRI=false:\n%s", got)
		}
	})

	t.Run("secrets", func(t *testing.T) {
		t.Parallel()
		ws := newWorkspace(t, "sec-attack")
		const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nSECRET-KEY\n-----END OPENSSH PRIVATE KEY-----\n"
		for name, content := range map[string]string{
			".env":                 "API_KEY=SECRET-DOTENV\n",
			".npmrc":               "//registry.npmjs.org/:_authToken=SECRET-NPM\n",
			"deploy/id_rsa":        key,
			"certs/server.pem":     "-----BEGIN PRIVATE KEY-----\nSECRET-PEM\n-----END PRIVATE KEY-----\n",
			"certs/chain.pem":      "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
			".well-known/tls.key":  "-----BEGIN EC PRIVATE KEY-----\nSECRET-WK\n-----END EC PRIVATE KEY-----\n",
			"assets/.env.example":  "API_KEY=\n",
			"assets/config/.npmrc": "save-exact=true\n",
		} {
			writeFile(t, filepath.Join(ws.AppDir, name), content)
		}
		detect(t, ws)
		out := build(t, ws)
		if !strings.Contains(out, "WARNING: the site root holds 5 files that look like secrets") {
			t.Errorf("the build does not warn about 5 likely secrets:\n%s", out)
		}
		// Likely secrets are never served: dotfiles never are, and the build
		// hides the others (a private key, a .pem with a key).
		served := map[string]bool{".env": false, ".npmrc": false, "deploy/id_rsa": false, "certs/server.pem": false, ".well-known/tls.key": false}
		for file, isServed := range served {
			want := file + ": "
			line := ""
			for l := range strings.SplitSeq(out, "\n") {
				if strings.Contains(l, want) && strings.Contains(l, "Not served") {
					line = l
				}
			}
			switch {
			case line == "":
				t.Errorf("the build log does not name %s", file)
			case !isServed && !strings.Contains(line, "Not served"):
				t.Errorf("%s is not served, the log says: %s", file, line)
			}
		}
		for _, quiet := range []string{"certs/chain.pem", "assets/.env.example", "assets/config/.npmrc"} {
			if strings.Contains(out, quiet+": ") {
				t.Errorf("the build warns about %s, which holds no secret", quiet)
			}
		}
		// What the log says is what the server does.
		srv := launch(t, ws, nil)
		for file, isServed := range served {
			resp, body := get(t, srv, "/"+file)
			if got := resp.StatusCode == http.StatusOK && strings.Contains(body, "SECRET-"); got != isServed {
				t.Errorf("GET /%s: status %d; the build log says served = %t", file, resp.StatusCode, isServed)
			}
		}
	})
}
