package integration

// [[proxies]]: requests forwarded to an origin given at launch.

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// cfgSeen is what the upstream saw of one request.
type cfgSeen struct {
	Method  string
	Path    string
	Query   string
	Host    string
	Header  http.Header
	BodyLen int64
	BodySum string
	BodyErr string
}

// cfgUpstream is an origin on 127.0.0.1 that records requests and streams.
type cfgUpstream struct {
	*httptest.Server
	mu   sync.Mutex
	seen []cfgSeen

	// streams are /v1/stream (chunked) and /v1/stream-sized (with a
	// Content-Length): each sends a first chunk, waits until the test
	// releases it, then sends the second.
	streams map[string]*cfgStream
}

type cfgStream struct {
	release  chan struct{} // closed by the test once it has the first chunk
	finished atomic.Bool
}

func newCfgUpstream(t *testing.T) *cfgUpstream {
	u := &cfgUpstream{streams: map[string]*cfgStream{
		"/v1/stream":       {release: make(chan struct{})},
		"/v1/stream-sized": {release: make(chan struct{})},
	}}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if st, ok := u.streams[r.URL.Path]; ok {
			w.Header().Set("Content-Type", "text/plain")
			if r.URL.Path == "/v1/stream-sized" {
				w.Header().Set("Content-Length", "16") // chunk-1\nchunk-2\n
			}
			_, _ = io.WriteString(w, "chunk-1\n")
			w.(http.Flusher).Flush()
			select {
			case <-st.release:
			case <-time.After(5 * time.Second):
			}
			_, _ = io.WriteString(w, "chunk-2\n")
			w.(http.Flusher).Flush()
			st.finished.Store(true)
			return
		}
		if r.URL.Path == "/v1/moved" {
			// An origin that redirects with its own absolute URL.
			http.Redirect(w, r, "http://"+r.Host+"/v1/items/7?from=moved", http.StatusFound) //nolint:gosec // a test origin naming itself
			return
		}
		h := sha256.New()
		n, err := io.Copy(h, r.Body)
		s := cfgSeen{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Host: r.Host,
			Header: r.Header.Clone(), BodyLen: n, BodySum: hex.EncodeToString(h.Sum(nil))}
		if err != nil {
			s.BodyErr = err.Error()
		}
		u.mu.Lock()
		u.seen = append(u.seen, s)
		u.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Upstream", "cfg-upstream")
		_ = json.NewEncoder(w).Encode(s)
	}))
	t.Cleanup(u.Close)
	return u
}

// last returns what the upstream saw of the last request, failing the test
// when it saw none.
func (u *cfgUpstream) last(t *testing.T) cfgSeen {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.seen) == 0 {
		t.Fatal("the upstream received no request")
	}
	return u.seen[len(u.seen)-1]
}

func (u *cfgUpstream) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.seen)
}

// [[proxies]] maps /api/x to the origin's base path + x with the query, adds
// X-Forwarded-* and the configured headers, limits bodies to max_body,
// streams, and does not add the site's security headers to the response
// while [headers] tables that match still apply.
func TestCfgProxies(t *testing.T) {
	t.Parallel()
	up := newCfgUpstream(t)
	ws, out := cfgBuilt(t, "cfg-proxies")
	if !strings.Contains(out, "/api/* -> ${API_ORIGIN}/v1/ (max body 8MB)") {
		t.Errorf("build output does not list the proxy with its body limit:\n%s", out)
	}
	srv := launch(t, ws, map[string]string{"API_ORIGIN": up.URL, "API_KEY": "key-from-launch-env"})
	upHost := strings.TrimPrefix(up.URL, "http://")

	// The origin's own absolute URL in a redirect comes back as the
	// proxy's path (nginx's proxy_redirect default, which Heroku used).
	t.Run("redirects from the origin", func(t *testing.T) {
		resp := cfgRedirect(t, srv, cfgReq{path: "/api/moved"}, http.StatusFound, "/api/items/7?from=moved")
		if loc := resp.Header.Get("Location"); strings.Contains(loc, upHost) {
			t.Errorf("the origin's address reached the visitor: %s", loc)
		}
	})

	t.Run("path, query and request headers", func(t *testing.T) {
		resp, _ := cfgGet(t, srv, cfgReq{
			path: "/api/items/42?x=1&y=two%20words",
			host: "www.example.com",
			header: map[string]string{
				"X-Forwarded-Proto": "https",
				"X-Forwarded-For":   "203.0.113.7",
				"X-Request-Id":      "req-123",
			},
		}, http.StatusOK, "")
		seen := up.last(t)
		for _, c := range []struct{ what, got, want string }{
			{"method", seen.Method, "GET"},
			{"path", seen.Path, "/v1/items/42"},
			{"query", seen.Query, "x=1&y=two%20words"},
			{"Host", seen.Host, upHost},
			{"X-Forwarded-For", seen.Header.Get("X-Forwarded-For"), "203.0.113.7, 127.0.0.1"},
			{"X-Forwarded-Proto", seen.Header.Get("X-Forwarded-Proto"), "https"},
			{"X-Forwarded-Host", seen.Header.Get("X-Forwarded-Host"), "www.example.com"},
			{"X-Api-Key (${API_KEY})", seen.Header.Get("X-Api-Key"), "key-from-launch-env"},
			{"X-Client", seen.Header.Get("X-Client"), "cfg-proxies-static-toml"},
			{"X-Request-Id (the client's)", seen.Header.Get("X-Request-Id"), "req-123"},
		} {
			if c.got != c.want {
				t.Errorf("GET /api/items/42: the upstream saw %s %q, want %q", c.what, c.got, c.want)
			}
		}
		cfgHeader(t, "proxied response", resp, "X-Upstream", "cfg-upstream")
		cfgHeader(t, "proxied response", resp, "Content-Type", "application/json")
	})

	t.Run("forwarded headers without a router", func(t *testing.T) {
		cfgGet(t, srv, cfgReq{path: "/api/ping"}, http.StatusOK, "")
		seen := up.last(t)
		if seen.Path != "/v1/ping" || seen.Header.Get("X-Forwarded-For") != "127.0.0.1" ||
			seen.Header.Get("X-Forwarded-Proto") != "http" || seen.Header.Get("X-Forwarded-Host") != strings.TrimPrefix(srv.URL, "http://") {
			t.Errorf("GET /api/ping: the upstream saw path %q X-Forwarded-For %q X-Forwarded-Proto %q X-Forwarded-Host %q; want /v1/ping, 127.0.0.1, http, %s",
				seen.Path, seen.Header.Get("X-Forwarded-For"), seen.Header.Get("X-Forwarded-Proto"), seen.Header.Get("X-Forwarded-Host"),
				strings.TrimPrefix(srv.URL, "http://"))
		}
		// /api itself maps to the base path.
		cfgGet(t, srv, cfgReq{path: "/api"}, http.StatusOK, "")
		if got := up.last(t).Path; got != "/v1/" {
			t.Errorf("GET /api: the upstream saw path %q, want /v1/", got)
		}
	})

	t.Run("security headers", func(t *testing.T) {
		resp, _ := cfgGet(t, srv, cfgReq{path: "/api/items"}, http.StatusOK, "")
		for _, h := range []string{
			"Content-Security-Policy", "Strict-Transport-Security", "X-Frame-Options", "X-Content-Type-Options",
			"Referrer-Policy", "Cross-Origin-Opener-Policy", "Cross-Origin-Resource-Policy", "Permissions-Policy",
		} {
			cfgNoHeader(t, "proxied response", resp, h)
		}
		cfgNoHeader(t, "proxied response", resp, "Server")
		cfgHeader(t, "proxied response", resp, "X-Api-Glob", "api-glob-applied")
		cfgHeader(t, "proxied response", resp, "X-Site-Glob", "site-glob-applied")
		// Files of the site keep them, and get only the globs that match.
		resp, _ = cfgGet(t, srv, cfgReq{path: "/"}, http.StatusOK, "CFG-PROXIES-HOME")
		checkDefaultHeaders(t, "GET /", resp.Header)
		cfgHeader(t, "GET /", resp, "X-Site-Glob", "site-glob-applied")
		cfgNoHeader(t, "GET /", resp, "X-Api-Glob")
	})

	t.Run("upload under max_body", func(t *testing.T) {
		body := bytes.Repeat([]byte("0123456789abcdef"), 6<<20/16) // 6 MiB
		sum := sha256.Sum256(body)
		cfgGet(t, srv, cfgReq{method: http.MethodPost, path: "/api/upload", body: bytes.NewReader(body),
			header: map[string]string{"Content-Type": "application/octet-stream"}}, http.StatusOK, "")
		seen := up.last(t)
		if seen.Method != "POST" || seen.Path != "/v1/upload" || seen.BodyLen != int64(len(body)) || seen.BodySum != hex.EncodeToString(sum[:]) || seen.BodyErr != "" {
			t.Errorf("POST /api/upload (6 MiB): the upstream saw %s %s with %d bytes (sha256 %s, error %q), want POST /v1/upload with %d bytes (sha256 %x)",
				seen.Method, seen.Path, seen.BodyLen, seen.BodySum, seen.BodyErr, len(body), sum)
		}
	})

	t.Run("upload over max_body", func(t *testing.T) {
		before := up.count()
		body := bytes.Repeat([]byte("x"), 9<<20) // 9 MiB > 8MB
		cfgGet(t, srv, cfgReq{method: http.MethodPost, path: "/api/upload", body: bytes.NewReader(body)},
			http.StatusRequestEntityTooLarge, "")
		cfgNoCompleteOversizedBody(t, up, before, "POST /api/upload (9 MiB)")
	})

	t.Run("chunked upload over max_body", func(t *testing.T) {
		// No Content-Length: the limit is found while the body streams.
		before := up.count()
		body := io.NopCloser(struct{ io.Reader }{bytes.NewReader(bytes.Repeat([]byte("x"), 9<<20))})
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/upload", body)
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = -1
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("POST /api/upload (9 MiB, chunked): %v", err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("POST /api/upload (9 MiB, chunked): status %d, want 413", resp.StatusCode)
		}
		cfgNoCompleteOversizedBody(t, up, before, "POST /api/upload (9 MiB, chunked)")
	})

	for _, name := range []string{"stream", "stream-sized"} {
		t.Run(name, func(t *testing.T) {
			st := up.streams["/v1/"+name]
			req, err := http.NewRequest(http.MethodGet, srv.URL+"/api/"+name, nil)
			if err != nil {
				t.Fatal(err)
			}
			c := &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: 20 * time.Second}
			resp, err := c.Do(req)
			if err != nil {
				close(st.release)
				t.Fatalf("GET /api/%s: %v", name, err)
			}
			defer resp.Body.Close()
			r := bufio.NewReader(resp.Body)
			first := make(chan string, 1)
			go func() {
				line, _ := r.ReadString('\n')
				first <- line
			}()
			select {
			case line := <-first:
				if line != "chunk-1\n" {
					t.Errorf("GET /api/%s: first chunk %q, want %q", name, line, "chunk-1\n")
				}
				if st.finished.Load() {
					t.Errorf("GET /api/%s: the first chunk arrived only after the upstream finished: the response was buffered", name)
				}
				close(st.release)
			case <-time.After(3 * time.Second):
				close(st.release)
				<-first
				t.Errorf("GET /api/%s: no first chunk within 3s while the upstream waits: the response is buffered, not streamed", name)
			}
			rest, err := io.ReadAll(r)
			if err != nil {
				t.Fatalf("GET /api/%s: reading the rest: %v", name, err)
			}
			if string(rest) != "chunk-2\n" {
				t.Errorf("GET /api/%s: rest of the body %q, want %q", name, rest, "chunk-2\n")
			}
		})
	}
}

// cfgNoCompleteOversizedBody checks that, if the upstream got the request at
// all, it did not get a body over 8 MiB, nor one that ended as if complete.
func cfgNoCompleteOversizedBody(t *testing.T, up *cfgUpstream, before int, what string) {
	t.Helper()
	if up.count() == before {
		return
	}
	seen := up.last(t)
	if seen.BodyLen > 8<<20 {
		t.Errorf("%s: the upstream received %d bytes, over max_body", what, seen.BodyLen)
	}
	if seen.BodyErr == "" {
		t.Errorf("%s: the upstream received a truncated body of %d bytes that ended as if complete", what, seen.BodyLen)
	}
}
