package integration

import (
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hardstatic/buildpack/integration/lifecycle"
)

// The server runs as the unprivileged user of the image with a HOME it
// cannot write to, and writes nothing: not there, not in the app, not in the
// layers.
func TestServerRunsUnprivileged(t *testing.T) {
	t.Parallel()
	ws := newWorkspace(t, "plain")
	detect(t, ws)
	build(t, ws)
	before := snapshot(t, ws.AppDir, ws.LayersDir, ws.HomeDir)

	srv := launch(t, ws, nil)
	for _, p := range []string{"/", "/subdir/", "/missing", "/.env"} {
		get(t, srv, p)
	}
	resp, body := get(t, srv, "/")
	expectStatus(t, "/", resp, body, http.StatusOK, "PLAIN-SITE-HOME")

	proc := fmt.Sprintf("/proc/%d", srv.Pid)
	if os.Geteuid() == 0 {
		status, err := os.ReadFile(proc + "/status")
		if err != nil {
			t.Fatal(err)
		}
		want := strconv.Itoa(lifecycle.BuildUID)
		for _, line := range strings.Split(string(status), "\n") {
			if f := strings.Fields(line); len(f) == 5 && (f[0] == "Uid:" || f[0] == "Gid:") {
				for _, id := range f[1:] {
					if id != want {
						t.Errorf("the server runs with %s, want %s everywhere", line, want)
						break
					}
				}
			}
		}
	}
	// The launcher execs the server: the process is the server itself, from
	// the layer, not a shell or the launcher waiting on it.
	if exe, err := os.Readlink(proc + "/exe"); err != nil {
		t.Error(err)
	} else if !strings.HasPrefix(exe, ws.LayersDir+"/") || filepath.Base(exe) != "static-server" {
		t.Errorf("the process is %s, want the static-server binary in a layer", exe)
	}
	if environ, err := os.ReadFile(proc + "/environ"); err != nil {
		t.Error(err)
	} else if !strings.Contains("\x00"+string(environ), "\x00HOME="+ws.HomeDir+"\x00") {
		t.Errorf("the server's HOME is not %s", ws.HomeDir)
	}

	code, err := srv.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
	if entries, err := os.ReadDir(ws.HomeDir); err != nil {
		t.Error(err)
	} else if len(entries) > 0 {
		t.Errorf("the server wrote into HOME: %v", entries)
	}
	after := snapshot(t, ws.AppDir, ws.LayersDir, ws.HomeDir)
	for p, b := range before {
		if a, ok := after[p]; !ok {
			t.Errorf("the server removed %s", p)
		} else if a != b {
			t.Errorf("the server changed %s: %s -> %s", p, b, a)
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("the server created %s", p)
		}
	}
	for _, line := range strings.Split(srv.Output(), "\n") {
		if l := strings.ToLower(line); strings.Contains(l, "permission denied") || strings.Contains(l, "read-only file system") {
			t.Errorf("the server tried to write somewhere: %s", line)
		}
	}
}

// snapshot records every file under dirs with its size, mode and time.
func snapshot(t *testing.T, dirs ...string) map[string]string {
	t.Helper()
	files := map[string]string{}
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			var stamp string
			if !info.IsDir() { // a directory changes only through the entries, which are listed
				stamp = info.ModTime().String()
			}
			files[p] = fmt.Sprintf("%v %d %s", info.Mode(), info.Size(), stamp)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return files
}
