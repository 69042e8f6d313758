package accesslog

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// An access-log line holds what an operator reads and not Caddy's header
// maps: the request as the access logger attaches it (With) and the fields
// Caddy writes with each line.
func TestEncoderFields(t *testing.T) {
	enc := &Encoder{}
	if err := enc.Provision(caddy.Context{}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	log := zap.New(zapcore.NewCore(enc, zapcore.AddSync(&out), zapcore.DebugLevel))
	r := httptest.NewRequest("GET", "/a?b=c", nil)
	r.RemoteAddr = "192.0.2.7:4444"
	r.Header.Set("User-Agent", "curl/8")
	r.Header.Set("Referer", "https://example.com/")
	r.Header.Set("Authorization", "Basic c2VjcmV0")
	r.Header.Set("Cookie", "session=1")
	log.With(zap.Object("request", caddyhttp.LoggableHTTPRequest{Request: r})).Info("handled request",
		zap.Int("bytes_read", 0), zap.String("user_id", ""), zap.Duration("duration", 3*time.Millisecond),
		zap.Int("size", 5120), zap.Int("status", 200),
		zap.Object("resp_headers", caddyhttp.LoggableHTTPHeader{Header: map[string][]string{"Etag": {`"x"`}}}))
	var line map[string]any
	if err := json.Unmarshal(out.Bytes(), &line); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	for _, key := range []string{"ts", "msg", "duration", "size", "status", "request"} {
		if _, ok := line[key]; !ok {
			t.Errorf("no %q in %s", key, out.String())
		}
	}
	for _, key := range []string{"resp_headers", "bytes_read", "user_id"} {
		if _, ok := line[key]; ok {
			t.Errorf("%q in %s", key, out.String())
		}
	}
	req := line["request"].(map[string]any)
	want := map[string]any{"remote_ip": "192.0.2.7", "method": "GET", "uri": "/a?b=c", "proto": "HTTP/1.1", "host": "example.com"}
	for k, v := range want {
		if req[k] != v {
			t.Errorf("request.%s = %v, want %v", k, req[k], v)
		}
	}
	hs := req["headers"].(map[string]any)
	if len(hs) != 2 || hs["User-Agent"].([]any)[0] != "curl/8" || hs["Referer"].([]any)[0] != "https://example.com/" {
		t.Errorf("request.headers = %v, want only User-Agent and Referer", hs)
	}
	if line["status"] != 200.0 || line["size"] != 5120.0 {
		t.Errorf("status, size = %v, %v", line["status"], line["size"])
	}
}

// With basic auth, the user is logged.
func TestEncoderUser(t *testing.T) {
	enc := &Encoder{}
	if err := enc.Provision(caddy.Context{}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zap.New(zapcore.NewCore(enc, zapcore.AddSync(&out), zapcore.DebugLevel)).Info("handled request", zap.String("user_id", "alice"))
	if !bytes.Contains(out.Bytes(), []byte(`"user_id":"alice"`)) {
		t.Errorf("no user_id in %s", out.String())
	}
}
