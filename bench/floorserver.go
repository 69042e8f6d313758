package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

const floorName = "Go floor"

// floorResponse is one recorded answer (bench/floor reads them).
type floorResponse struct {
	Path           string              `json:"path"`
	AcceptEncoding string              `json:"accept_encoding"`
	Status         int                 `json:"status"`
	Header         map[string][]string `json:"header"`
	Body           []byte              `json:"body"`
}

// recordAnswers asks ours each endpoint and keeps status, headers (but
// Date, which the floor's net/http writes itself) and body.
func recordAnswers(ours *server, eps []endpoint) ([]floorResponse, error) {
	c := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	var rs []floorResponse
	for _, ep := range eps {
		req, _ := http.NewRequest("GET", ours.url+ep.path, nil)
		for k, v := range ep.header {
			req.Header.Set(k, v)
		}
		resp, err := c.Do(req)
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			return nil, err
		}
		resp.Header.Del("Date")
		rs = append(rs, floorResponse{Path: ep.path, AcceptEncoding: ep.header["Accept-Encoding"], Status: resp.StatusCode, Header: resp.Header, Body: body})
	}
	return rs, nil
}

// startFloor builds bench/floor and runs it, as the build user, with the
// answers ours gives to the endpoints.
func startFloor(ctx context.Context, repo, dir string, ours *server, eps []endpoint) (*server, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	rs, err := recordAnswers(ours, eps)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(rs)
	if err != nil {
		return nil, err
	}
	answers := filepath.Join(dir, "answers.json")
	if err := os.WriteFile(answers, data, 0o644); err != nil {
		return nil, err
	}
	bin := filepath.Join(dir, "floor")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./bench/floor")
	build.Dir = repo
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building bench/floor: %w\n%s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.Command(bin, "-responses", answers, "-listen", addr)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.SysProcAttr = buildCred()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{name: floorName, url: "http://" + addr, cmd: cmd}
	if err := waitHTTP(s.url+"/", 20*time.Second, nil); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}
