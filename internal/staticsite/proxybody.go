package staticsite

import (
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/hardstatic/buildpack/internal/basicauth"
)

func init() {
	caddy.RegisterModule(ProxyGuard{})
}

// Defaults of ProxyGuard.
const (
	DefaultProxyBodyTimeout = 5 * time.Minute
	DefaultProxyBodyIdle    = 30 * time.Second
	DefaultProxyMaxConns    = 64
	DefaultProxyQueueWait   = 5 * time.Second
)

// ProxyGuard is the Caddy handler http.handlers.static_proxy_guard, placed
// before reverse_proxy on a proxy route. It
//   - lets the request body arrive for up to BodyTimeout, with at most
//     BodyIdle between two reads, while the server's read timeout stays short
//     for every other route (uploads are only accepted by proxies);
//   - bounds the requests forwarded at once to MaxConns (the transport's
//     max_conns_per_host is set to the same number): at the bound a request
//     waits up to QueueWait for a free slot, then gets 503 with Retry-After,
//     so slow clients cannot open one origin connection each;
//   - drops the request's trailers, which would otherwise reach the origin
//     after the headers were checked;
//   - with DropSiteCredentials, drops the Authorization header of a request
//     that basic auth let through (basicauth.UserVar is set): it carries the
//     site's password. Other requests keep theirs (a token for the origin).
type ProxyGuard struct {
	// BodyTimeout is the most time the whole request (body included) may
	// take to arrive. Default: 5m.
	BodyTimeout caddy.Duration `json:"body_timeout,omitempty"`
	// BodyIdle is the most time between two reads of the body. Default: 30s.
	BodyIdle caddy.Duration `json:"body_idle,omitempty"`
	// MaxConns is the most requests forwarded at once. Default: 64.
	MaxConns int `json:"max_conns,omitempty"`
	// QueueWait is how long a request waits for a slot. Default: 5s.
	QueueWait caddy.Duration `json:"queue_wait,omitempty"`
	// DropSiteCredentials removes the Authorization header of requests that
	// basic auth authenticated. Default: false.
	DropSiteCredentials bool `json:"drop_site_credentials,omitempty"`

	slots    chan struct{}
	logger   *zap.Logger
	warnOnce *sync.Once
}

// CaddyModule returns the Caddy module information.
func (ProxyGuard) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "http.handlers.static_proxy_guard", New: func() caddy.Module { return new(ProxyGuard) }}
}

// Provision fills in the defaults.
func (g *ProxyGuard) Provision(ctx caddy.Context) error {
	g.logger = ctx.Logger()
	if g.BodyTimeout <= 0 {
		g.BodyTimeout = caddy.Duration(DefaultProxyBodyTimeout)
	}
	if g.BodyIdle <= 0 {
		g.BodyIdle = caddy.Duration(DefaultProxyBodyIdle)
	}
	if g.MaxConns <= 0 {
		g.MaxConns = DefaultProxyMaxConns
	}
	if g.QueueWait <= 0 {
		g.QueueWait = caddy.Duration(DefaultProxyQueueWait)
	}
	g.slots = make(chan struct{}, g.MaxConns)
	g.warnOnce = new(sync.Once)
	return nil
}

// ServeHTTP takes a slot, sets the body deadlines and calls next.
func (g *ProxyGuard) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	if !g.acquire(r) {
		h := w.Header()
		h.Set("Retry-After", strconv.Itoa(max(1, int(time.Duration(g.QueueWait).Seconds()))))
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		// Closing spares reading (and waiting for) a body that is not used.
		h.Set("Connection", "close")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, err := io.WriteString(w, "503 Service Unavailable\n")
		return err
	}
	defer func() { <-g.slots }()
	// net/http fills in the trailers of the request it made when the body
	// ends; a copy without them is what goes on.
	r = r.WithContext(r.Context())
	r.Trailer = nil
	if g.DropSiteCredentials && caddyhttp.GetVar(r.Context(), basicauth.UserVar) != nil {
		r.Header = r.Header.Clone()
		r.Header.Del("Authorization")
	}
	body := &deadlineBody{
		rc:   http.NewResponseController(w),
		end:  time.Now().Add(time.Duration(g.BodyTimeout)),
		idle: time.Duration(g.BodyIdle),
	}
	if r.Body == nil || r.Body == http.NoBody {
		// The server still reads the connection while the response streams;
		// let that last as long as an upload could.
		g.check(body.rc.SetReadDeadline(body.end))
	} else {
		body.ReadCloser = r.Body
		g.check(body.extend())
		r.Body = body
	}
	return next.ServeHTTP(w, r)
}

// check logs, once, that read deadlines cannot be set: the server's read
// timeout then applies to uploads too.
func (g *ProxyGuard) check(err error) {
	if err != nil {
		g.warnOnce.Do(func() {
			g.logger.Warn("cannot set the request's read deadline: uploads are cut at the server's read timeout", zap.Error(err))
		})
	}
}

func (g *ProxyGuard) acquire(r *http.Request) bool {
	select {
	case g.slots <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(time.Duration(g.QueueWait))
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return true
	case <-t.C:
	case <-r.Context().Done():
	}
	return false
}

// deadlineBody moves the connection's read deadline before every read: idle
// from now, but never past end.
type deadlineBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	end  time.Time
	idle time.Duration
}

func (b *deadlineBody) extend() error {
	d := time.Now().Add(b.idle)
	if d.After(b.end) {
		d = b.end
	}
	return b.rc.SetReadDeadline(d)
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	_ = b.extend()
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		// The body is in; the connection is only watched for the client
		// going away while the response streams.
		_ = b.rc.SetReadDeadline(b.end)
	}
	return n, err
}

// Interface guards.
var (
	_ caddyhttp.MiddlewareHandler = (*ProxyGuard)(nil)
	_ caddy.Provisioner           = (*ProxyGuard)(nil)
)
