package staticsite

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
)

func init() {
	caddy.RegisterModule(CSPReport{})
}

// Defaults of CSPReport.
const (
	DefaultReportMaxBody     = 64 << 10
	DefaultReportsPerSecond  = 20
	DefaultReportMaxDistinct = 10000
	// maxReportsPerBody bounds the reports one Reporting API body may hold.
	maxReportsPerBody = 100
	// maxReportField bounds each logged value.
	maxReportField = 300
)

// CSPReport takes the Content-Security-Policy violation reports browsers
// send for the policy's report-uri (application/csp-report) and report-to
// (Reporting API, application/reports+json), and logs each distinct
// violation once as a JSON line: page, directive, blocked URL, source file.
// Nothing is stored or answered back: a report gets 204 No Content with no
// body, not cached. Requests that are not POST go on to the next handler
// (the site's files), so the path never hides a page; a POST without a
// report content type gets 415, a body over MaxBody 413. Bodies past the
// rate are answered 204 unread; once MaxDistinct violations are known, new
// ones are counted, not logged.
type CSPReport struct {
	// MaxBody is the largest report body read, in bytes. Default: 64 KiB.
	MaxBody int64 `json:"max_body,omitempty"`
	// PerSecond is how many report bodies are read per second, with bursts
	// of twice as many. Default: 20.
	PerSecond int `json:"per_second,omitempty"`
	// MaxDistinct is how many distinct violations are remembered (and so
	// logged). Default: 10000.
	MaxDistinct int `json:"max_distinct,omitempty"`

	logger *zap.Logger
	now    func() time.Time
	*reportState
}

// reportState is what CSPReport remembers between requests.
type reportState struct {
	mu       sync.Mutex
	seen     map[violation]struct{}
	tokens   float64
	last     time.Time
	warnedAt time.Time // the last "over the rate" line
	full     bool
}

// CaddyModule returns the Caddy module information.
func (CSPReport) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.static_csp_report",
		New: func() caddy.Module { return new(CSPReport) },
	}
}

// Provision sets the defaults.
func (h *CSPReport) Provision(ctx caddy.Context) error {
	h.setup(ctx.Logger())
	return nil
}

func (h *CSPReport) setup(logger *zap.Logger) {
	if h.MaxBody <= 0 {
		h.MaxBody = DefaultReportMaxBody
	}
	if h.PerSecond <= 0 {
		h.PerSecond = DefaultReportsPerSecond
	}
	if h.MaxDistinct <= 0 {
		h.MaxDistinct = DefaultReportMaxDistinct
	}
	if h.now == nil {
		h.now = time.Now
	}
	h.logger = logger
	h.reportState = &reportState{seen: map[violation]struct{}{}, tokens: float64(2 * h.PerSecond)}
}

// violation is what is logged, and what makes two reports the same.
type violation struct {
	Page, Directive, Blocked, Source, Disposition string
	Line                                          int
}

// ServeHTTP implements caddyhttp.MiddlewareHandler.
func (h *CSPReport) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	if r.Method != http.MethodPost {
		return next.ServeHTTP(w, r)
	}
	w.Header().Set("Cache-Control", "no-store")
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/csp-report" && mt != "application/reports+json" {
		return answer(w, http.StatusUnsupportedMediaType)
	}
	if !h.allow() {
		return answer(w, http.StatusNoContent)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.MaxBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return answer(w, http.StatusRequestEntityTooLarge)
	case err != nil:
		return answer(w, http.StatusBadRequest)
	}
	vs, ok := parseReports(mt, body)
	if !ok {
		return answer(w, http.StatusBadRequest)
	}
	for _, v := range vs {
		h.log(v)
	}
	return answer(w, http.StatusNoContent)
}

// answer writes a status with no body and nothing from the request.
func answer(w http.ResponseWriter, status int) error {
	w.Header().Del("Content-Type")
	w.WriteHeader(status)
	return nil
}

// allow takes a token from the rate bucket.
func (h *CSPReport) allow() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.now()
	if !h.last.IsZero() {
		h.tokens = min(float64(2*h.PerSecond), h.tokens+now.Sub(h.last).Seconds()*float64(h.PerSecond))
	}
	h.last = now
	if h.tokens >= 1 {
		h.tokens--
		return true
	}
	if now.Sub(h.warnedAt) >= time.Minute {
		h.warnedAt = now
		h.logger.Warn("csp reports over the rate limit: not read for a while", zap.Int("per_second", h.PerSecond))
	}
	return false
}

// log writes a violation the first time it is seen.
func (h *CSPReport) log(v violation) {
	h.mu.Lock()
	if _, dup := h.seen[v]; dup {
		h.mu.Unlock()
		return
	}
	if len(h.seen) >= h.MaxDistinct {
		first := !h.full
		h.full = true
		h.mu.Unlock()
		if first {
			h.logger.Warn("csp violations: too many distinct ones; new ones are no longer logged until the server restarts", zap.Int("max_distinct", h.MaxDistinct))
		}
		return
	}
	h.seen[v] = struct{}{}
	h.mu.Unlock()
	fields := []zap.Field{zap.String("page", v.Page), zap.String("directive", v.Directive), zap.String("blocked", v.Blocked),
		zap.String("source", v.Source), zap.String("disposition", v.Disposition)}
	if v.Line > 0 {
		fields = append(fields, zap.Int("line", v.Line))
	}
	h.logger.Warn("csp violation", fields...)
}

// cspReport is the body of a report-uri report.
type cspReport struct {
	Report struct {
		DocumentURI        string `json:"document-uri"`
		ViolatedDirective  string `json:"violated-directive"`
		EffectiveDirective string `json:"effective-directive"`
		BlockedURI         string `json:"blocked-uri"`
		SourceFile         string `json:"source-file"`
		LineNumber         int    `json:"line-number"`
		Disposition        string `json:"disposition"`
	} `json:"csp-report"`
}

// apiReport is one report of a Reporting API body.
type apiReport struct {
	Type string `json:"type"`
	URL  string `json:"url"`
	Body struct {
		DocumentURL        string `json:"documentURL"`
		EffectiveDirective string `json:"effectiveDirective"`
		BlockedURL         string `json:"blockedURL"`
		SourceFile         string `json:"sourceFile"`
		LineNumber         int    `json:"lineNumber"`
		Disposition        string `json:"disposition"`
	} `json:"body"`
}

// parseReports reads the violations of a body; ok is false when it is not
// a report of its type.
func parseReports(mt string, body []byte) ([]violation, bool) {
	if mt == "application/csp-report" {
		var rep cspReport
		if json.Unmarshal(body, &rep) != nil {
			return nil, false
		}
		c := rep.Report
		directive := c.EffectiveDirective
		if directive == "" {
			directive = c.ViolatedDirective
		}
		return []violation{newViolation(c.DocumentURI, directive, c.BlockedURI, c.SourceFile, c.Disposition, c.LineNumber)}, true
	}
	var reps []apiReport
	if json.Unmarshal(body, &reps) != nil {
		return nil, false
	}
	var vs []violation
	for i, rep := range reps {
		if i == maxReportsPerBody {
			break
		}
		if rep.Type != "csp-violation" {
			continue
		}
		b := rep.Body
		page := b.DocumentURL
		if page == "" {
			page = rep.URL
		}
		vs = append(vs, newViolation(page, b.EffectiveDirective, b.BlockedURL, b.SourceFile, b.Disposition, b.LineNumber))
	}
	return vs, true
}

func newViolation(page, directive, blocked, source, disposition string, line int) violation {
	return violation{
		Page:        cleanURL(page),
		Directive:   field(directive),
		Blocked:     cleanURL(blocked),
		Source:      cleanURL(source),
		Disposition: field(disposition),
		Line:        max(line, 0),
	}
}

// cleanURL drops the query and fragment (tokens, personal data) and bounds
// the length; values that are not URLs ("inline", "eval") are kept as
// words.
func cleanURL(s string) string {
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	if u, err := url.Parse(s); err == nil && u.Scheme != "" && u.Host != "" {
		u.User = nil
		s = u.String()
	}
	return field(s)
}

// field bounds a logged value and drops control characters.
func field(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			return -1
		}
		return r
	}, s)
	if len(s) > maxReportField {
		s = strings.ToValidUTF8(s[:maxReportField], "") + "..."
	}
	return s
}

// Interface guards.
var (
	_ caddy.Provisioner           = (*CSPReport)(nil)
	_ caddyhttp.MiddlewareHandler = (*CSPReport)(nil)
)
