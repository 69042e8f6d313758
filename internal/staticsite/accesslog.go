package staticsite

import (
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/hardstatic/buildpack/internal/accesslog"
	"github.com/hardstatic/buildpack/internal/config"
)

func init() {
	caddy.RegisterModule(ErrorLog{})
}

// openLog opens the shared access log of mode ("on" or "sampled"); "":
// none.
func openLog(ctx caddy.Context, mode string) (*accesslog.Log, error) {
	switch mode {
	case "":
		return nil, nil
	case config.AccessLogOn, config.AccessLogSampled:
		return accesslog.Shared(ctx, mode == config.AccessLogSampled)
	}
	return nil, fmt.Errorf("access_log %q: want %q or %q", mode, config.AccessLogOn, config.AccessLogSampled)
}

func releaseLog(mode string) {
	if mode != "" {
		accesslog.Release(mode == config.AccessLogSampled)
	}
}

// logWriter records the status and size of a response for the access log,
// as Caddy's response recorder does: the first final status (0 when none
// is written), the body bytes written, through ReadFrom too (sendfile).
type logWriter struct {
	caddyhttp.ResponseWriterWrapper
	status int
	size   int
}

func (lw *logWriter) WriteHeader(status int) {
	if lw.status == 0 && (status >= 200 || status == http.StatusSwitchingProtocols) {
		lw.status = status
	}
	lw.ResponseWriterWrapper.WriteHeader(status)
}

func (lw *logWriter) Write(p []byte) (int, error) {
	if lw.status == 0 {
		lw.WriteHeader(http.StatusOK)
	}
	n, err := lw.ResponseWriterWrapper.Write(p)
	lw.size += n
	return n, err
}

func (lw *logWriter) ReadFrom(r io.Reader) (int64, error) {
	if lw.status == 0 {
		lw.WriteHeader(http.StatusOK)
	}
	n, err := lw.ResponseWriterWrapper.ReadFrom(r)
	lw.size += int(n)
	return n, err
}

// startVar holds, for the error route's log line, when static_front began a
// request that ended in an error.
const startVar = "static_start"

// ErrorLog is the handler http.handlers.static_error_log, first in the
// error route: it writes the access-log line of a request that ended in
// an error (static_front leaves those to it, and Caddy refuses some, such
// as a bad Host, before any route), with the status and size the error
// route answered.
type ErrorLog struct {
	// AccessLog is "on" or "sampled". Default: "" (no line).
	AccessLog string `json:"access_log,omitempty"`

	log *accesslog.Log
}

// CaddyModule returns the Caddy module information.
func (ErrorLog) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "http.handlers.static_error_log", New: func() caddy.Module { return new(ErrorLog) }}
}

// Provision opens the log.
func (h *ErrorLog) Provision(ctx caddy.Context) (err error) {
	h.log, err = openLog(ctx, h.AccessLog)
	return err
}

// Cleanup releases the log.
func (h *ErrorLog) Cleanup() error {
	releaseLog(h.AccessLog)
	return nil
}

// ServeHTTP runs the error route, then logs.
func (h *ErrorLog) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	if h.log == nil {
		return next.ServeHTTP(w, r)
	}
	start, ok := caddyhttp.GetVar(r.Context(), startVar).(time.Time)
	if !ok {
		start = time.Now()
	}
	lw := &logWriter{ResponseWriterWrapper: caddyhttp.ResponseWriterWrapper{ResponseWriter: w}}
	err := next.ServeHTTP(lw, r)
	h.log.Write(r, time.Since(start), lw.size, lw.status)
	return err
}

var (
	_ caddy.Provisioner           = (*ErrorLog)(nil)
	_ caddy.CleanerUpper          = (*ErrorLog)(nil)
	_ caddyhttp.MiddlewareHandler = (*ErrorLog)(nil)
)
