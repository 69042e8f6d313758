package integration

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"path/filepath"
	"strings"
	"testing"
)

// The corpus's judgement of a page rests on these helpers: an error is the
// site's own only when the page shows it without our headers too, and a
// screenshot difference counts the pixels that changed.
func TestCorpusHelpers(t *testing.T) {
	const plain, ours = "http://127.0.0.1:1111", "http://127.0.0.1:2222"
	for _, c := range []struct {
		plainErr, ourErr string
		same             bool
	}{
		{"exception: x is not defined (" + plain + "/a.html)", "exception: x is not defined (" + ours + "/a)", true},
		{"loading failed: " + plain + "/fonts/f.css net::ERR_ABORTED",
			"[security] Refused to apply style from '" + ours + "/fonts/f.css' because its MIME type ('text/plain') is not supported (" + ours + "/)", true},
		{"loading failed: " + plain + "/fonts/f.css net::ERR_ABORTED", "loading failed: " + ours + "/fonts/g.css net::ERR_ABORTED", false},
		// An exception in a script is not excused by another error naming it.
		{"exception: a (" + plain + "/app.js:1)", "exception: EvalError at " + ours + "/app.js:443:49", false},
		{"loading failed: " + plain + "/app.js net::ERR_ABORTED", "exception: EvalError at " + ours + "/app.js:443:49", false},
	} {
		if got := sameError(c.plainErr, c.ourErr, plain, ours); got != c.same {
			t.Errorf("sameError(%q, %q) = %t, want %t", c.plainErr, c.ourErr, got, c.same)
		}
	}

	long := "Loading the font 'data:font/woff;base64," + strings.Repeat("A", 5000) + "' violates font-src"
	if s := shorten(long); len(s) > 200 || !strings.Contains(s, "[5022 bytes]") || !strings.HasSuffix(s, "' violates font-src") {
		t.Errorf("shorten: %q", s)
	}

	img := func(changed int) []byte {
		m := image.NewRGBA(image.Rect(0, 0, 40, 30))
		for i := range 40 * 30 {
			c := color.RGBA{200, 200, 200, 255}
			if i < changed {
				c = color.RGBA{0, 0, 0, 255}
			}
			m.Set(i%40, i/40, c)
		}
		var b bytes.Buffer
		if err := png.Encode(&b, m); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	dir := t.TempDir()
	if d, err := compareScreenshots(img(0), img(0), filepath.Join(dir, "same")); err != nil || d.changed != 0 || d.total != 1200 || d.files != "" {
		t.Errorf("identical screenshots: %+v, %v", d, err)
	}
	if d, err := compareScreenshots(img(0), img(7), filepath.Join(dir, "x")); err != nil || d.changed != 7 || d.files == "" {
		t.Errorf("7 changed pixels: %+v, %v", d, err)
	}
	if corpusPixelTolerance(1280*900) != 576 {
		t.Errorf("tolerance %d", corpusPixelTolerance(1280*900))
	}
}
