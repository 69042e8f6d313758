package integration

// Issue 9, observations 5-7: idle connections, slow request bodies on
// proxies, forwarding headers. Everything through the real lifecycle.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/hardstatic/buildpack/integration/lifecycle"
)

// netOrigin is an origin that records the headers and trailers of the last
// request, answers with headers that name its software, and counts its
// connections.
type netOrigin struct {
	*httptest.Server
	mu       sync.Mutex
	header   http.Header
	trailer  http.Header
	bodyLen  int
	open     atomic.Int64
	maxOpen  int64 // under mu
	requests atomic.Int64
}

func newNetOrigin(t *testing.T) *netOrigin {
	o := &netOrigin{}
	o.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.requests.Add(1)
		b, _ := io.ReadAll(r.Body)
		o.mu.Lock()
		o.header, o.trailer, o.bodyLen = r.Header.Clone(), r.Trailer.Clone(), len(b)
		o.mu.Unlock()
		w.Header().Set("Server", "origin-httpd/1.0")
		w.Header().Set("X-Powered-By", "PHP/5.6")
		w.Header().Set("Via", "1.1 origin-cache")
		fmt.Fprintf(w, "ORIGIN got %d bytes", len(b))
	}))
	o.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			n := o.open.Add(1)
			o.mu.Lock()
			o.maxOpen = max(o.maxOpen, n)
			o.mu.Unlock()
		case http.StateClosed, http.StateHijacked:
			o.open.Add(-1)
		}
	}
	o.Start()
	t.Cleanup(o.Close)
	return o
}

func (o *netOrigin) last() (http.Header, http.Header, int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.header, o.trailer, o.bodyLen
}

// clientIPLogged returns the client_ip of the access-log entry for uri.
func clientIPLogged(t *testing.T, srv *lifecycle.Server, uri string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for line := range strings.SplitSeq(srv.Output(), "\n") {
			var entry struct {
				Request struct {
					URI      string `json:"uri"`
					ClientIP string `json:"client_ip"`
				} `json:"request"`
			}
			if json.Unmarshal([]byte(line), &entry) == nil && entry.Request.URI == uri {
				return entry.Request.ClientIP
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no access-log entry for %s in the server's output:\n%s", uri, srv.Output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// spoofed are forwarding headers a client may write itself.
var spoofed = map[string]string{
	"X-Forwarded-For":    "198.51.100.1, 203.0.113.9",
	"X-Forwarded-Host":   "evil.example",
	"X-Forwarded-Proto":  "https",
	"X-Real-Ip":          "198.51.100.2",
	"Forwarded":          "for=198.51.100.3;host=evil.example;proto=https",
	"X-Forwarded-Port":   "443",
	"X-Forwarded-Prefix": "/admin",
	"X-Original-Url":     "/admin",
	"True-Client-Ip":     "198.51.100.4",
}

// A client's forwarding headers and trailers do not reach the origin; the
// origin's Server, Via and X-Powered-By do not reach the visitor; the logged
// client IP is the peer, or the rightmost address that is not a trusted
// proxy, never the leftmost X-Forwarded-For entry.
func TestNetProxyForwardingHeaders(t *testing.T) {
	t.Parallel()
	origin := newNetOrigin(t)
	ws, _ := cfgBuilt(t, "cfg-proxies")
	env := map[string]string{"API_ORIGIN": origin.URL, "API_KEY": "k"}
	dropped := []string{"X-Real-Ip", "Forwarded", "X-Forwarded-Port", "X-Forwarded-Prefix", "X-Original-Url", "True-Client-Ip"}

	t.Run("untrusted peer", func(t *testing.T) {
		untrusted := map[string]string{"STATIC_TRUSTED_PROXIES": "none"}
		for k, v := range env {
			untrusted[k] = v
		}
		srv := launch(t, ws, untrusted)
		host := strings.TrimPrefix(srv.URL, "http://")
		resp, _ := cfgGet(t, srv, cfgReq{path: "/api/untrusted", header: spoofed}, http.StatusOK, "ORIGIN")
		seen, _, _ := origin.last()
		for name, want := range map[string]string{"X-Forwarded-For": "127.0.0.1", "X-Forwarded-Host": host, "X-Forwarded-Proto": "http"} {
			if got := seen.Values(name); len(got) != 1 || got[0] != want {
				t.Errorf("from an untrusted peer, the origin saw %s = %q, want %q (set by the server, not the client)", name, got, want)
			}
		}
		for _, name := range dropped {
			if got := seen.Values(name); len(got) > 0 {
				t.Errorf("the client's %s = %q reached the origin", name, got)
			}
		}
		for _, name := range []string{"Server", "Via", "X-Powered-By"} {
			cfgNoHeader(t, "proxied response", resp, name)
		}
		if got := clientIPLogged(t, srv, "/api/untrusted"); got != "127.0.0.1" {
			t.Errorf("with no trusted proxies, the access log says client_ip %q for a request from 127.0.0.1 with X-Forwarded-For %q",
				got, spoofed["X-Forwarded-For"])
		}
	})

	t.Run("trusted router", func(t *testing.T) {
		srv := launch(t, ws, env) // default: loopback and private ranges are trusted
		cfgGet(t, srv, cfgReq{path: "/api/trusted", header: spoofed}, http.StatusOK, "ORIGIN")
		seen, _, _ := origin.last()
		for name, want := range map[string]string{
			"X-Forwarded-For":   "198.51.100.1, 203.0.113.9, 127.0.0.1",
			"X-Forwarded-Host":  "evil.example",
			"X-Forwarded-Proto": "https",
		} {
			if got := seen.Values(name); len(got) != 1 || got[0] != want {
				t.Errorf("from a trusted router, the origin saw %s = %q, want %q", name, got, want)
			}
		}
		for _, name := range dropped {
			if got := seen.Values(name); len(got) > 0 {
				t.Errorf("%s = %q reached the origin through a trusted router", name, got)
			}
		}
		// The rightmost address that is not a trusted proxy.
		if got := clientIPLogged(t, srv, "/api/trusted"); got != "203.0.113.9" {
			t.Errorf("the access log says client_ip %q for X-Forwarded-For %q from a trusted router, want 203.0.113.9 (the rightmost untrusted entry; the leftmost is the client's to write)",
				got, spoofed["X-Forwarded-For"])
		}
	})

	t.Run("trailers", func(t *testing.T) {
		srv := launch(t, ws, env)
		c, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(20 * time.Second))
		fmt.Fprint(c, "POST /api/trailers HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nTrailer: X-Forwarded-For, X-Late\r\n\r\n"+
			"5\r\nhello\r\n0\r\nX-Forwarded-For: 198.51.100.9\r\nX-Late: smuggled\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		_, trailer, n := origin.last()
		if resp.StatusCode != http.StatusOK || n != 5 {
			t.Fatalf("POST with trailers: status %d, the origin got %d bytes; want 200 and 5", resp.StatusCode, n)
		}
		if len(trailer) > 0 {
			t.Errorf("the client's trailers reached the origin: %q", trailer)
		}
	})
}

// Slow uploads: on a proxy route a body may arrive over more than the
// server's 30 s read timeout, a byte at a time; on any other route the same
// body is cut at the read timeout even though a proxy is configured; and 200
// trickling uploads hold at most 64 origin connections, the others getting
// 503 with Retry-After.
func TestNetSlowBodies(t *testing.T) {
	t.Parallel()
	origin := newNetOrigin(t)
	ws, _ := cfgBuilt(t, "cfg-proxies")
	srv := launch(t, ws, map[string]string{"API_ORIGIN": origin.URL, "API_KEY": "k"})
	addr := strings.TrimPrefix(srv.URL, "http://")
	const size = 40 // bytes, one a second: longer than the 30 s read timeout

	// trickle sends a POST of size bytes, one a second, while reading the
	// answer; it returns the answer and whether it came before the body ended.
	trickle := func(t *testing.T, path string) (*http.Response, bool) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Error(err)
			return &http.Response{Body: http.NoBody}, false
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(3 * time.Minute))
		fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n", path, size)
		var sent atomic.Bool
		go func() {
			for i := range size {
				time.Sleep(time.Second)
				if i == size-1 {
					sent.Store(true) // an answer after this came after the whole body
				}
				if _, err := c.Write([]byte("x")); err != nil {
					return
				}
			}
		}()
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Errorf("POST %s, a byte a second: no answer: %v", path, err)
			return &http.Response{Body: http.NoBody}, false
		}
		early := !sent.Load()
		body, _ := io.ReadAll(resp.Body)
		resp.Body = io.NopCloser(strings.NewReader(string(body)))
		return resp, early
	}

	t.Run("slow bodies", func(t *testing.T) {
		t.Parallel()
		// Both at once: each lasts size seconds.
		var wg sync.WaitGroup
		wg.Go(func() {
			resp, early := trickle(t, "/api/slow-upload")
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK || early || string(body) != fmt.Sprintf("ORIGIN got %d bytes", size) {
				t.Errorf("POST /api/slow-upload, %d bytes a second apart: status %d, answered before the body ended: %t, body %q; want the origin to get the whole body",
					size, resp.StatusCode, early, body)
			}
		})
		wg.Go(func() {
			resp, early := trickle(t, "/")
			if !early || !resp.Close {
				t.Errorf("POST /, %d bytes a second apart, with a proxy configured: status %d, answered before the body ended: %t, connection closed: %t; "+
					"want the connection cut at the 30 s read timeout, before the body ends", size, resp.StatusCode, early, resp.Close)
			}
		})
		wg.Wait()
	})
	t.Run("200 trickling uploads", func(t *testing.T) {
		t.Parallel()
		const n = 200
		conns := make([]net.Conn, n)
		defer func() {
			for _, c := range conns {
				if c != nil {
					_ = c.Close()
				}
			}
		}()
		var refused, other atomic.Int64
		var wg sync.WaitGroup
		for i := range n {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatalf("connection %d: %v", i, err)
			}
			conns[i] = c
			_ = c.SetDeadline(time.Now().Add(time.Minute))
			fmt.Fprintf(c, "POST /api/trickle HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000\r\n\r\nx")
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, err := http.ReadResponse(bufio.NewReader(c), nil)
				if err != nil {
					return // cut when the test ends
				}
				_ = resp.Body.Close()
				if resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "" {
					refused.Add(1)
				} else {
					other.Add(1)
				}
			}()
		}
		// The uploads that got a slot stay open; the others are refused once
		// the queue wait (5 s) is over.
		deadline := time.Now().Add(45 * time.Second)
		for refused.Load()+other.Load() < n-64 && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		origin.mu.Lock()
		m := origin.maxOpen
		origin.mu.Unlock()
		if m > 64 || m == 0 {
			t.Errorf("%d trickling uploads opened %d connections to the origin at once, want at most 64", n, m)
		}
		if got := refused.Load(); got < n-64 || other.Load() > 0 {
			t.Errorf("%d trickling uploads: %d answered 503 with Retry-After, %d otherwise; want at least %d refused and none answered otherwise",
				n, got, other.Load(), n-64)
		}
		for _, c := range conns {
			_ = c.Close()
		}
		wg.Wait()
		// The server still serves.
		cfgGet(t, srv, cfgReq{path: "/api/after"}, http.StatusOK, "ORIGIN")
	})
}

// More idle keep-alive connections than the cap (STATIC_MAX_CONNECTIONS):
// the server accepts no more than the cap, a new visitor is served once
// idle connections time out, and the server stays up.
func TestNetConnectionCap(t *testing.T) {
	t.Parallel()
	const limit = 4
	ws, _ := cfgBuilt(t, "cfg-proxies")
	srv := launch(t, ws, map[string]string{
		"API_ORIGIN": "http://127.0.0.1:9", "API_KEY": "k",
		"STATIC_MAX_CONNECTIONS": fmt.Sprint(limit), "STATIC_IDLE_TIMEOUT": "3s",
	})
	if !strings.Contains(srv.Output(), "at most 4 (STATIC_MAX_CONNECTIONS) connections at once") {
		t.Errorf("the server does not log its connection cap:\n%s", srv.Output())
	}
	addr := strings.TrimPrefix(srv.URL, "http://")
	base := countSockets(t, srv.Pid)
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	// get opens a connection and sends GET / on it.
	get := func() net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		_ = c.SetDeadline(time.Now().Add(2 * time.Minute))
		fmt.Fprint(c, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
		return c
	}
	// limit idle keep-alive connections, each after one answered request.
	for i := range limit {
		resp, err := http.ReadResponse(bufio.NewReader(get()), nil)
		if err != nil || resp.StatusCode != http.StatusOK || resp.Close {
			t.Fatalf("idle connection %d: %v %v", i, resp, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
	}
	// limit more, each with a request waiting.
	answered := make(chan int, limit)
	for range limit {
		c := get()
		go func() {
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				answered <- 0
				return
			}
			answered <- resp.StatusCode
		}()
	}
	time.Sleep(500 * time.Millisecond) // time to accept them, were there no cap
	if got := countSockets(t, srv.Pid) - base; got > limit {
		t.Errorf("with STATIC_MAX_CONNECTIONS=%d the server holds %d more sockets after %d connections", limit, got, 2*limit)
	}
	// A new visitor is served once idle connections time out.
	c := &http.Client{Timeout: time.Minute}
	resp, err := c.Get(srv.URL + "/")
	if err != nil {
		t.Fatalf("a new visitor with %d connections open and a cap of %d: %v", 2*limit, limit, err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("a new visitor: status %d, want 200", resp.StatusCode)
	}
	for range limit {
		if got := <-answered; got != http.StatusOK {
			t.Errorf("a connection that waited for a slot: status %d, want 200", got)
		}
	}
	select {
	case <-srv.Done():
		t.Fatalf("the server exited:\n%s", srv.Output())
	default:
	}
}

// countSockets counts the sockets process pid holds.
func countSockets(t *testing.T, pid int) int {
	t.Helper()
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if target, err := os.Readlink(dir + "/" + e.Name()); err == nil && strings.HasPrefix(target, "socket:") {
			n++
		}
	}
	return n
}

// Requests that Go's net/http refuses before any handler runs are answered
// by net/http itself: a fixed plain-text body naming the status, Connection:
// close, and none of the site's headers (README: "What net/http answers
// itself"). None echoes what the client sent. (417 has no body.)
func TestNetMalformedRequests(t *testing.T) {
	t.Parallel()
	_, srv := buildAndLaunch(t, "plain")
	const marker = "MARKER-FROM-CLIENT"
	for _, c := range []struct {
		what, request string
		status        int
	}{
		{"no Host", "GET /" + marker + " HTTP/1.1\r\n\r\n", http.StatusBadRequest},
		{"invalid header name", "GET / HTTP/1.1\r\nHost: localhost\r\nBad " + marker + ": x\r\n\r\n", http.StatusBadRequest},
		{"malformed request line", "GET /" + marker + "\r\nHost: localhost\r\n\r\n", http.StatusBadRequest},
		{"headers over 16 KiB", "GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: " + marker + strings.Repeat("a", 64<<10) + "\r\n\r\n", http.StatusRequestHeaderFieldsTooLarge},
		{"unknown Transfer-Encoding", "POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: " + marker + "\r\n\r\n", http.StatusNotImplemented},
		{"HTTP/3.0 over TCP", "GET /" + marker + " HTTP/3.0\r\nHost: localhost\r\n\r\n", http.StatusHTTPVersionNotSupported},
		{"unknown Expect", "GET / HTTP/1.1\r\nHost: localhost\r\nExpect: " + marker + "\r\n\r\n", http.StatusExpectationFailed},
	} {
		resp, body := sendRaw(t, srv, c.request)
		if resp.StatusCode != c.status {
			t.Errorf("%s: status %d, want %d; body %.100q", c.what, resp.StatusCode, c.status, body)
		}
		if ct := resp.Header.Get("Content-Type"); body != "" && ct != "text/plain; charset=utf-8" {
			t.Errorf("%s: Content-Type %q, want text/plain; charset=utf-8", c.what, ct)
		}
		if strings.Contains(body, marker) {
			t.Errorf("%s: the answer echoes the request: %.200q", c.what, body)
		}
	}
}

// Only proxied requests that basic auth let through lose their
// Authorization header (it holds the site's password); on a proxy path that
// is not protected, the client's own reaches the origin.
func TestNetProxyAuthorization(t *testing.T) {
	t.Parallel()
	origin := newNetOrigin(t)
	ws, _ := cfgBuilt(t, "net-proxy-auth")
	srv := launch(t, ws, map[string]string{"API_ORIGIN": origin.URL, "BASIC_AUTH_USERS": "alice:" + cfgHash(t, "site-password")})
	cfgGet(t, srv, cfgReq{path: "/api/admin/users"}, http.StatusUnauthorized, "")
	cfgGet(t, srv, cfgReq{path: "/api/admin/users", user: "alice", pass: "site-password"}, http.StatusOK, "ORIGIN")
	if seen, _, _ := origin.last(); seen.Get("Authorization") != "" {
		t.Errorf("the site's password reached the origin: Authorization %q", seen.Get("Authorization"))
	}
	cfgGet(t, srv, cfgReq{path: "/api/public", header: map[string]string{"Authorization": "Bearer api-token"}}, http.StatusOK, "ORIGIN")
	if seen, _, _ := origin.last(); seen.Get("Authorization") != "Bearer api-token" {
		t.Errorf("on an unprotected proxy path the origin got Authorization %q, want the client's own %q", seen.Get("Authorization"), "Bearer api-token")
	}
}

// A bcrypt cost over 12 stops the server at start, naming the user and the
// reason: one request with it would pin a core (cost 31: for days).
func TestNetBasicAuthCostRefused(t *testing.T) {
	t.Parallel()
	ws, _ := cfgBuilt(t, "cfg-basic-auth")
	out := cfgLaunchFails(t, ws, map[string]string{
		"BASIC_AUTH_USERS": "alice:" + cfgHash(t, "fine") + ",bob:$2a$31$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
	})
	if !strings.Contains(out, `BASIC_AUTH_USERS: user "bob": the bcrypt cost 31 is over 12`) || !strings.Contains(out, "hash-password") {
		t.Errorf("the server's output does not say that bob's bcrypt cost is too high and how to make a new hash:\n%s", out)
	}
}

// With every bcrypt slot busy (GOMAXPROCS=1: one slot) under a burst of
// unknown user names, requests that need a bcrypt run are answered 503 with
// Retry-After instead of queueing, while a visitor whose credentials were
// already checked is served at once: the cache means it costs no bcrypt.
func TestNetBasicAuthSaturation(t *testing.T) {
	t.Parallel()
	hash, err := bcrypt.GenerateFromPassword([]byte("correct horse"), 12)
	if err != nil {
		t.Fatal(err)
	}
	ws, _ := cfgBuilt(t, "cfg-basic-auth")
	srv := launch(t, ws, map[string]string{"BASIC_AUTH_USERS": "alice:" + string(hash), "GOMAXPROCS": "1"})
	alice := cfgReq{path: "/", user: "alice", pass: "correct horse"}
	cfgGet(t, srv, alice, http.StatusOK, "CFG-BA-HOME")

	const burst = 40 // at cost 12, more than 2 s of one core on any machine
	statuses := make(chan *http.Response, burst)
	var refused atomic.Int32
	var wg sync.WaitGroup
	for i := range burst {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/", nil)
			req.SetBasicAuth(fmt.Sprintf("nobody-%d", i), "guess")
			resp, err := (&http.Client{Timeout: 2 * time.Minute}).Do(req)
			if err != nil {
				t.Errorf("unknown user %d: %v", i, err)
				return
			}
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusServiceUnavailable {
				refused.Add(1)
			}
			statuses <- resp
		})
	}
	// The burst is in once one of it is refused: the slot is busy. (When
	// none ever is, the counts below say so.)
	_ = waitUntil(time.Minute, func() bool { return refused.Load() > 0 })
	cfgGet(t, srv, alice, http.StatusOK, "CFG-BA-HOME")
	wg.Wait()
	close(statuses)
	counts := map[int]int{}
	for resp := range statuses {
		counts[resp.StatusCode]++
		if resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "1" {
			t.Errorf("503 without Retry-After: 1: %q", resp.Header.Get("Retry-After"))
		}
	}
	if counts[http.StatusServiceUnavailable] == 0 || counts[http.StatusUnauthorized] == 0 || counts[401]+counts[503] != burst {
		t.Errorf("%d unknown users at once with one bcrypt slot: statuses %v; want some 401 and the rest 503 (not queued)", burst, counts)
	}
}
