package accesslog

import (
	"net"
	"net/http"
	"sync"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/caddyserver/caddy/v2/modules/logging"
	"go.uber.org/zap/buffer"
	"go.uber.org/zap/zapcore"
)

func init() {
	caddy.RegisterModule(Encoder{})
}

// Encoder is the access log's encoder (caddy.logging.encoders.static_access):
// Caddy's JSON lines with only the fields an operator reads. Each line has
// ts, logger, msg, the request (remote_ip, client_ip, proto, method, host,
// uri, and of its headers only User-Agent and Referer), duration, size,
// status and, with basic auth, user_id. Caddy's full request and response
// header maps (resp_headers) and bytes_read are left out: encoding them was
// half the cost of a request.
type Encoder struct {
	zapcore.Encoder `json:"-"`

	// req is the request a logger was made for, encoded only when a line
	// is written: Caddy makes the access logger of each request for every
	// log (most of which write nothing for it).
	req *http.Request
}

// CaddyModule returns the Caddy module information.
func (Encoder) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "caddy.logging.encoders.static_access", New: func() caddy.Module { return new(Encoder) }}
}

// Provision makes the JSON encoder Caddy's "json" format uses.
func (e *Encoder) Provision(ctx caddy.Context) error {
	je := &logging.JSONEncoder{}
	if err := je.Provision(ctx); err != nil {
		return err
	}
	e.Encoder = je.Encoder
	return nil
}

// Clone keeps the filtering in the loggers Caddy derives.
func (e *Encoder) Clone() zapcore.Encoder { return &Encoder{Encoder: e.Encoder.Clone(), req: e.req} }

// AddObject keeps the request for the line and leaves out the response
// headers.
func (e *Encoder) AddObject(key string, m zapcore.ObjectMarshaler) error {
	switch key {
	case "resp_headers":
		return nil
	case "request":
		if lr, ok := m.(caddyhttp.LoggableHTTPRequest); ok && lr.Request != nil && e.req == nil {
			e.req = lr.Request
			return nil
		}
	}
	return e.Encoder.AddObject(key, m)
}

var fieldPool = sync.Pool{New: func() any { s := make([]zapcore.Field, 0, 16); return &s }}

// EncodeEntry writes one line with the fields kept.
func (e *Encoder) EncodeEntry(ent zapcore.Entry, fields []zapcore.Field) (*buffer.Buffer, error) {
	p := fieldPool.Get().(*[]zapcore.Field)
	kept := (*p)[:0]
	if e.req != nil {
		kept = append(kept, zapcore.Field{Key: "request", Type: zapcore.ObjectMarshalerType, Interface: request{e.req}})
	}
	for _, f := range fields {
		switch {
		case f.Key == "resp_headers", f.Key == "bytes_read", f.Key == "user_id" && f.String == "":
			continue
		case f.Key == "request" && f.Type == zapcore.ObjectMarshalerType:
			if lr, ok := f.Interface.(caddyhttp.LoggableHTTPRequest); ok && lr.Request != nil {
				f.Interface = request{lr.Request}
			}
		}
		kept = append(kept, f)
	}
	buf, err := e.Encoder.EncodeEntry(ent, kept)
	clear(kept)
	*p = kept[:0]
	fieldPool.Put(p)
	return buf, err
}

// request is the logged part of a request.
type request struct{ r *http.Request }

func (q request) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	r := q.r
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	enc.AddString("remote_ip", ip)
	if ip, ok := caddyhttp.GetVar(r.Context(), caddyhttp.ClientIPVarKey).(string); ok {
		enc.AddString("client_ip", ip)
	}
	enc.AddString("proto", r.Proto)
	enc.AddString("method", r.Method)
	enc.AddString("host", r.Host)
	enc.AddString("uri", r.RequestURI)
	return enc.AddObject("headers", headers{r.Header})
}

// headers are the request headers logged: User-Agent and Referer, as
// arrays, as Caddy logs them.
type headers struct{ h http.Header }

func (hs headers) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	for _, name := range [...]string{"User-Agent", "Referer"} {
		if v, ok := hs.h[name]; ok {
			if err := enc.AddArray(name, stringArray(v)); err != nil {
				return err
			}
		}
	}
	return nil
}

type stringArray []string

func (s stringArray) MarshalLogArray(enc zapcore.ArrayEncoder) error {
	for _, v := range s {
		enc.AppendString(v)
	}
	return nil
}

var (
	_ caddy.Provisioner = (*Encoder)(nil)
	_ zapcore.Encoder   = (*Encoder)(nil)
)
