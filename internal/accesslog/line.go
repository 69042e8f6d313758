package accesslog

import (
	"io"
	"net/http"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/logging"
	"go.uber.org/zap/zapcore"
)

// LoggerName and Message are those of Caddy's access-log lines.
const (
	LoggerName = "http.log.access"
	Message    = "handled request"
)

// Log is the access log as the server's own handlers write it (the front
// handler, and the error route for requests Caddy refuses before any
// route): the same JSON lines as Caddy's access log with the static_access
// encoder, with the same batching writer and sampling, but written
// straight to one zap core. Caddy's access log makes, per request, a copy
// of the request, a logger with the request's fields for every log and a
// recorder of the response; this makes none of them.
type Log struct {
	core zapcore.Core
	w    io.Closer
}

// Open starts the access log; sampled keeps, per second, the first 10
// lines and then every 100th, as Caddy's sampling with the same numbers.
func Open(ctx caddy.Context, sampled bool) (*Log, error) {
	return open(ctx, sampled, Buffered{})
}

func open(ctx caddy.Context, sampled bool, b Buffered) (*Log, error) {
	je := &logging.JSONEncoder{}
	if err := je.Provision(ctx); err != nil {
		return nil, err
	}
	w, err := b.OpenWriter()
	if err != nil {
		return nil, err
	}
	core := zapcore.NewCore(je.Encoder, zapcore.AddSync(w), zapcore.DebugLevel)
	if sampled {
		core = zapcore.NewSamplerWithOptions(core, time.Second, 10, 100)
	}
	return &Log{core: core, w: w}, nil
}

// Close writes what is held.
func (l *Log) Close() error { return l.w.Close() }

// Write logs one request: status 0 when nothing was written, 5xx at
// error level, user_id only when basic auth named a user.
func (l *Log) Write(r *http.Request, d time.Duration, size, status int) {
	level := zapcore.InfoLevel
	if status >= 500 {
		level = zapcore.ErrorLevel
	}
	ce := l.core.Check(zapcore.Entry{Level: level, Time: time.Now(), LoggerName: LoggerName, Message: Message}, nil)
	if ce == nil {
		return
	}
	fields := make([]zapcore.Field, 0, 5)
	fields = append(fields, zapcore.Field{Key: "request", Type: zapcore.ObjectMarshalerType, Interface: request{r}})
	if repl, ok := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer); ok {
		if user, _ := repl.GetString("http.auth.user.id"); user != "" {
			fields = append(fields, zapcore.Field{Key: "user_id", Type: zapcore.StringType, String: user})
		}
	}
	fields = append(fields,
		zapcore.Field{Key: "duration", Type: zapcore.DurationType, Integer: int64(d)},
		zapcore.Field{Key: "size", Type: zapcore.Int64Type, Integer: int64(size)},
		zapcore.Field{Key: "status", Type: zapcore.Int64Type, Integer: int64(status)},
	)
	ce.Write(fields...)
}

// logs are the open access logs, one per mode, shared by the handlers
// that write them.
var logs = caddy.NewUsagePool()

// Shared returns the access log of mode sampled, opening it on first use;
// Release gives it back.
func Shared(ctx caddy.Context, sampled bool) (*Log, error) {
	l, _, err := logs.LoadOrNew(sampled, func() (caddy.Destructor, error) { return Open(ctx, sampled) })
	if err != nil {
		return nil, err
	}
	return l.(*Log), nil
}

// Release gives back a log from Shared; the last one closes it.
func Release(sampled bool) { _, _ = logs.Delete(sampled) }

// Destruct closes the log (caddy.Destructor).
func (l *Log) Destruct() error { return l.Close() }
