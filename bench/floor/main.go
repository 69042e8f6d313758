// Command floor is the benchmark's Go floor: a plain net/http server that
// answers each recorded request with the recorded status, headers and body,
// from memory. Whatever a server built on net/http does beyond this costs
// requests per second; this is the most such a server can reach on the
// machine. It is a benchmark tool, never part of the image.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"
)

// Response is one recorded answer, for a path and an Accept-Encoding.
type Response struct {
	Path           string              `json:"path"`
	AcceptEncoding string              `json:"accept_encoding"`
	Status         int                 `json:"status"`
	Header         map[string][]string `json:"header"`
	Body           []byte              `json:"body"`
}

func main() {
	file := flag.String("responses", "", "JSON list of recorded responses")
	listen := flag.String("listen", "127.0.0.1:8080", "listen address")
	flag.Parse()
	if err := run(*file, *listen); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

func run(file, listen string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var rs []Response
	if err := json.Unmarshal(data, &rs); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	answers := make(map[string]*Response, len(rs))
	for i := range rs {
		answers[rs[i].Path+"\x00"+rs[i].AcceptEncoding] = &rs[i]
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := answers[r.URL.Path+"\x00"+r.Header.Get("Accept-Encoding")]
		if a == nil {
			http.NotFound(w, r)
			return
		}
		hdr := w.Header()
		for k, v := range a.Header {
			hdr[k] = v
		}
		w.WriteHeader(a.Status)
		if r.Method != http.MethodHead {
			_, _ = w.Write(a.Body)
		}
	})
	srv := &http.Server{Addr: listen, Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 75 * time.Second}
	return srv.ListenAndServe()
}
