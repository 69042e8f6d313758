package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Screenshots of the corpus are taken at this viewport, device scale 1.
const corpusWidth, corpusHeight = 1280, 900

// corpusWatchScript records every Content-Security-Policy violation with what
// was blocked, by which directive, and where (it runs before the page's own
// scripts; DevTools scripts are not subject to the page's CSP).
const corpusWatchScript = `window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => window.__csp.push({
  directive: e.effectiveDirective, blocked: e.blockedURI || "inline", source: e.sourceFile,
  line: e.lineNumber, column: e.columnNumber, sample: e.sample, disposition: e.disposition}));`

type cspViolation struct {
	Directive   string `json:"directive"`
	Blocked     string `json:"blocked"`
	Source      string `json:"source"`
	Line        int    `json:"line"`
	Column      int    `json:"column"`
	Sample      string `json:"sample"`
	Disposition string `json:"disposition"`
}

func (v cspViolation) String() string {
	s := fmt.Sprintf("%s blocked %s", v.Directive, v.Blocked)
	if v.Source != "" {
		s += fmt.Sprintf(" at %s:%d:%d", v.Source, v.Line, v.Column)
	}
	if v.Sample != "" {
		s += fmt.Sprintf(" (sample %q)", v.Sample)
	}
	if v.Disposition != "" && v.Disposition != "enforce" {
		s += " [" + v.Disposition + "]"
	}
	return s
}

// visitResult is what one page showed: distinct violations and errors, each
// with the number of times it happened when more than once.
type visitResult struct {
	finalURL   string
	status     int64
	violations []string // securitypolicyviolation events
	cspConsole []string // what the console said about them
	errors     []string // every other console error
	screenshot []byte   // PNG
	stable     bool     // three screenshots in a row were the same
	pending    []string // requests still in flight when the screenshot was taken
}

// visit opens url in a new tab at the corpus viewport, waits until the page
// has loaded and painted, its fonts are ready, no request is in flight and
// the screenshot no longer changes, and returns what it reported. The
// favicon the browser asks for on its own is not the page's.
func (b *browser) visit(t *testing.T, url string) (visitResult, error) {
	t.Helper()
	tab, cancel := chromedp.NewContext(b.ctx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(tab, 90*time.Second)
	defer cancelTimeout()

	var (
		mu       sync.Mutex
		errs     counted // console errors, exceptions, failed loads
		csp      counted // the console's CSP messages
		urls     = map[network.RequestID]string{}
		inFlight = map[network.RequestID]bool{}
		docID    network.RequestID
	)
	err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *log.EventEntryAdded:
			e := ev.Entry
			switch {
			case e.Level != log.EntryLevelError || strings.Contains(e.URL, "/favicon.ico"):
			case e.Source == log.EntrySourceSecurity && strings.Contains(e.Text, "Content Security Policy"):
				// The browser's own words for a violation: the policy it
				// applied and what would allow it.
				csp.add(shorten(e.Text) + " (" + e.URL + ")")
			default:
				errs.add(shorten(fmt.Sprintf("[%s] %s (%s)", e.Source, e.Text, e.URL)))
			}
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, strings.TrimSpace(string(a.Value)+" "+a.Description))
				}
				errs.add(shorten("console." + string(ev.Type) + ": " + strings.Join(parts, " ")))
			}
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			text := d.Text
			if d.Exception != nil {
				text += " " + d.Exception.Description
			}
			errs.add(shorten(fmt.Sprintf("exception: %s (%s:%d)", text, d.URL, d.LineNumber)))
		case *network.EventRequestWillBeSent:
			urls[ev.RequestID] = ev.Request.URL
			switch ev.Type {
			case network.ResourceTypeOther, network.ResourceTypePing, network.ResourceTypeEventSource,
				network.ResourceTypeWebSocket, network.ResourceTypePrefetch, network.ResourceTypeCSPViolationReport:
				// Not waited for: streams, beacons, prefetches.
			default:
				inFlight[ev.RequestID] = true
			}
			if ev.Type == network.ResourceTypeDocument && docID == "" {
				docID = ev.RequestID
			}
		case *network.EventLoadingFinished:
			delete(inFlight, ev.RequestID)
		case *network.EventResponseReceived:
			if ev.RequestID != docID && ev.Response.Status >= 400 && !strings.HasSuffix(ev.Response.URL, "/favicon.ico") {
				errs.add(fmt.Sprintf("%s: status %d", ev.Response.URL, ev.Response.Status))
			}
		case *network.EventLoadingFailed:
			delete(inFlight, ev.RequestID)
			switch {
			case ev.RequestID == docID || strings.HasSuffix(urls[ev.RequestID], "/favicon.ico"):
			case ev.BlockedReason == network.BlockedReasonCsp:
				// The violation event and the console message say it.
			default:
				reason := ev.ErrorText
				if ev.BlockedReason != "" {
					reason += " " + string(ev.BlockedReason)
				}
				errs.add(shorten(fmt.Sprintf("loading failed: %s %s", urls[ev.RequestID], reason)))
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}

	res := visitResult{}
	resp, err := chromedp.Run(ctx, func(ctx context.Context, tg *chromedp.Target) (*network.Response, error) {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument,
			page.AddScriptToEvaluateOnNewDocumentParams{Source: corpusWatchScript})
		if err != nil {
			return nil, err
		}
		if _, err := chromedp.EmulateViewport(corpusWidth, corpusHeight)(ctx, tg); err != nil {
			return nil, err
		}
		return chromedp.NavigateResponse(url)(ctx, tg)
	})
	if err != nil {
		return res, fmt.Errorf("loading %s: %w", url, err)
	}
	res.status, res.finalURL = resp.Status, resp.URL

	// Fonts and two animation frames (so the page has painted), then the
	// network: a page that renders from fetched data (Redoc, Swagger UI,
	// docsify) is done when nothing is in flight. A request still open
	// after 5 s is noted, not waited for: a worker's script (Material's
	// search) never reports its end to the page's session.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.fonts.ready.then(() => new Promise((done) =>
  requestAnimationFrame(() => requestAnimationFrame(() => done(true)))))`, chromedp.EvalAwaitPromise)); err != nil {
		return res, fmt.Errorf("%s: waiting for fonts and a paint: %w", url, err)
	}
	for range 50 {
		mu.Lock()
		res.pending = res.pending[:0]
		for id := range inFlight {
			res.pending = append(res.pending, urls[id])
		}
		mu.Unlock()
		if len(res.pending) == 0 {
			break
		}
		if err := chromedp.Do(ctx, chromedp.Sleep(100*time.Millisecond)); err != nil {
			return res, err
		}
	}
	// Rendering goes on after the last response: the screenshot is taken
	// once three in a row are the same (at most 20).
	var last []byte
	same := 0
	for range 20 {
		shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			return res, fmt.Errorf("%s: screenshot: %w", url, err)
		}
		if bytes.Equal(shot, last) {
			if same++; same == 2 {
				res.stable = true
				break
			}
		} else {
			same = 0
		}
		last = shot
		if err := chromedp.Do(ctx, chromedp.Sleep(250*time.Millisecond)); err != nil {
			return res, err
		}
	}
	res.screenshot = last

	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify(window.__csp || [{directive: "the watch script did not run"}])`))
	if err != nil {
		return res, fmt.Errorf("%s: reading the CSP violations: %w", url, err)
	}
	var vs []cspViolation
	if err := json.Unmarshal([]byte(raw), &vs); err != nil {
		return res, fmt.Errorf("%s: reading the CSP violations: %w", url, err)
	}
	var viol counted
	for _, v := range vs {
		viol.add(shorten(v.String()))
	}
	res.violations = viol.list()
	mu.Lock()
	res.cspConsole = csp.list()
	res.errors = errs.list()
	mu.Unlock()
	return res, nil
}

// counted keeps distinct messages in order with how often each came.
type counted struct {
	order []string
	n     map[string]int
}

func (c *counted) add(s string) {
	if c.n == nil {
		c.n = map[string]int{}
	}
	if c.n[s] == 0 {
		c.order = append(c.order, s)
	}
	c.n[s]++
}

func (c *counted) list() []string {
	out := make([]string, 0, len(c.order))
	for _, s := range c.order {
		if n := c.n[s]; n > 1 {
			s += fmt.Sprintf(" (x%d)", n)
		}
		out = append(out, s)
	}
	return out
}

// shorten keeps messages readable: data: URLs (inlined fonts, icons) are cut
// after 40 characters, and a message after 600.
func shorten(s string) string {
	for i := 0; ; {
		j := strings.Index(s[i:], "data:")
		if j < 0 {
			break
		}
		j += i
		// The console quotes URLs with '; SVG data URLs hold " and spaces.
		end := j + strings.IndexByte(s[j:], '\'')
		if end < j {
			end = len(s)
		}
		if end-j > 60 {
			cut := fmt.Sprintf("%s...[%d bytes]", s[j:j+40], end-j)
			s = s[:j] + cut + s[end:]
			end = j + len(cut)
		}
		i = end
	}
	if len(s) > 600 {
		s = s[:600] + "..."
	}
	return s
}

// corpusPixelTolerance is how many pixels of a screenshot may differ from
// the reference: 0.05% of the viewport (576 of 1280x900), for text
// anti-aliasing and sub-pixel positioning that differ between two loads of
// the same page. A missing icon, font or style changes far more.
func corpusPixelTolerance(total int) int { return total / 2000 }

// corpusChannelTolerance is how far (0-255) a colour channel may be off
// before the pixel counts as changed.
const corpusChannelTolerance = 8

type screenshotDiff struct {
	changed, total int
	files          string // where the images are, when they differ
}

func (d screenshotDiff) percent() float64 {
	if d.total == 0 {
		return 0
	}
	return 100 * float64(d.changed) / float64(d.total)
}

// compareScreenshots counts the pixels that differ between two PNG
// screenshots and, when any do, writes both and a diff image (changed pixels
// red over a faded copy of the reference) under prefix.
func compareScreenshots(want, got []byte, prefix string) (screenshotDiff, error) {
	wi, err := png.Decode(bytes.NewReader(want))
	if err != nil {
		return screenshotDiff{}, fmt.Errorf("the reference: %w", err)
	}
	gi, err := png.Decode(bytes.NewReader(got))
	if err != nil {
		return screenshotDiff{}, err
	}
	wb, gb := wi.Bounds(), gi.Bounds()
	if wb.Size() != gb.Size() {
		return screenshotDiff{}, fmt.Errorf("size %v, the reference's %v", gb.Size(), wb.Size())
	}
	d := screenshotDiff{total: wb.Dx() * wb.Dy()}
	diff := image.NewRGBA(image.Rect(0, 0, wb.Dx(), wb.Dy()))
	for y := range wb.Dy() {
		for x := range wb.Dx() {
			wr, wg, wbl, _ := wi.At(wb.Min.X+x, wb.Min.Y+y).RGBA()
			gr, gg, gbl, _ := gi.At(gb.Min.X+x, gb.Min.Y+y).RGBA()
			if far(wr, gr) || far(wg, gg) || far(wbl, gbl) {
				d.changed++
				diff.Set(x, y, color.RGBA{255, 0, 0, 255})
				continue
			}
			// The reference, faded: grey levels 200..251.
			g := color.GrayModel.Convert(wi.At(wb.Min.X+x, wb.Min.Y+y)).(color.Gray).Y
			diff.Set(x, y, color.Gray{Y: 200 + g/5})
		}
	}
	if d.changed == 0 {
		return d, nil
	}
	if err := os.MkdirAll(filepath.Dir(prefix), 0o755); err != nil {
		return d, err
	}
	var enc bytes.Buffer
	if err := png.Encode(&enc, diff); err != nil {
		return d, err
	}
	for suffix, data := range map[string][]byte{".plain.png": want, ".ours.png": got, ".diff.png": enc.Bytes()} {
		if err := os.WriteFile(prefix+suffix, data, 0o644); err != nil {
			return d, err
		}
	}
	d.files = prefix + ".{plain,ours,diff}.png"
	return d, nil
}

func far(a, b uint32) bool {
	a, b = a>>8, b>>8
	if a > b {
		return a-b > corpusChannelTolerance
	}
	return b-a > corpusChannelTolerance
}
