package site

import "testing"

// The build log's sizes are in binary units, readable at a glance.
func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0 B", 512: "512 B", 1536: "1.5 KiB", 20 << 20: "20 MiB", 3 << 30: "3.0 GiB", -1: "0 B",
	} {
		if got := HumanBytes(n); got != want {
			t.Errorf("HumanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
