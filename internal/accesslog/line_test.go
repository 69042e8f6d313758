package accesslog

import (
	"bytes"
	"context"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

var tsField = regexp.MustCompile(`"ts":[0-9.e+]+`)

// The handlers' line is, byte for byte but for the time, the line Caddy's
// access logger wrote with the static_access encoder: same keys, order,
// values and level, user_id only when set.
func TestLogWritesCaddysLine(t *testing.T) {
	for _, c := range []struct {
		user   string
		status int
	}{{"", 200}, {"alice", 404}, {"", 502}, {"", 0}} {
		r := httptest.NewRequest("GET", "/a?b=\"c\"<>", nil)
		r.RemoteAddr = "192.0.2.7:4444"
		r.Header.Set("User-Agent", "curl/8 \u2028")
		r.Header.Set("Cookie", "session=1")
		repl := caddy.NewReplacer()
		if c.user != "" {
			repl.Set("http.auth.user.id", c.user)
		}
		ctx := context.WithValue(r.Context(), caddy.ReplacerCtxKey, repl)
		ctx = context.WithValue(ctx, caddyhttp.VarsCtxKey, map[string]any{caddyhttp.ClientIPVarKey: "198.51.100.1"})
		r = r.WithContext(ctx)

		// Caddy's way: the access logger With the request, then the line.
		enc := &Encoder{}
		if err := enc.Provision(caddy.Context{}); err != nil {
			t.Fatal(err)
		}
		var was bytes.Buffer
		level := zapcore.InfoLevel
		if c.status >= 500 {
			level = zapcore.ErrorLevel
		}
		caddyLog := zap.New(zapcore.NewCore(enc, zapcore.AddSync(&was), zapcore.DebugLevel)).Named(LoggerName)
		if ce := caddyLog.With(zap.Object("request", caddyhttp.LoggableHTTPRequest{Request: r})).Check(level, Message); ce != nil {
			ce.Write(zap.Int("bytes_read", 0), zap.String("user_id", c.user), zap.Duration("duration", 3*time.Millisecond),
				zap.Int("size", 5120), zap.Int("status", c.status),
				zap.Object("resp_headers", caddyhttp.LoggableHTTPHeader{Header: map[string][]string{"Etag": {`"x"`}}}))
		}

		var now bytes.Buffer
		l, err := open(caddy.Context{}, false, Buffered{out: &now})
		if err != nil {
			t.Fatal(err)
		}
		l.Write(r, 3*time.Millisecond, 5120, c.status)
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		got, want := tsField.ReplaceAllString(now.String(), `"ts":T`), tsField.ReplaceAllString(was.String(), `"ts":T`)
		if got != want || !strings.Contains(want, `"client_ip":"198.51.100.1"`) {
			t.Errorf("user %q status %d:\n got %s\nwant %s", c.user, c.status, got, want)
		}
	}
}

// Sampled, a second's lines are the first 10, then every 100th.
func TestLogSampled(t *testing.T) {
	var out bytes.Buffer
	l, err := open(caddy.Context{}, true, Buffered{out: &out})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	for range 210 {
		l.Write(r, time.Millisecond, 1, 200)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// Unless the second turned during the loop: then more, never fewer.
	if n := strings.Count(out.String(), Message); n < 12 || n > 24 {
		t.Errorf("%d lines for 210 requests, want 12 (10, then the 100th and 200th)", n)
	}
}
