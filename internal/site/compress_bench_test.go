package site

import (
	"strings"
	"testing"

	"github.com/hardstatic/buildpack/internal/site/table"
)

func BenchmarkCompressSmall(b *testing.B) {
	data := []byte(strings.Repeat("<p>lorem ipsum dolor sit amet, static site server 12345</p>\n", 45)) // ~2.7 KB
	zenc, err := newZstd(1)
	if err != nil {
		b.Fatal(err)
	}
	for _, enc := range table.Encodings {
		b.Run(enc, func(b *testing.B) {
			for b.Loop() {
				if _, err := Compress(enc, data, zenc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
