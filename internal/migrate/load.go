package migrate

import (
	"errors"
	"io/fs"

	"github.com/hardstatic/buildpack/internal/appfs"
	"github.com/hardstatic/buildpack/internal/config"
)

// Loaded is an application's configuration and where it came from.
type Loaded struct {
	Config *config.Config
	// Source is the file read: static.toml, static.json, or "" for none.
	Source string
	// Notes explain how a static.json was migrated, one line each.
	Notes []string
	// Migrated is the static.toml equivalent of a static.json.
	Migrated []byte
}

// LoadApp reads static.toml from appDir, or else static.json (migrated), or
// else returns the defaults.
func LoadApp(appDir string) (*Loaded, error) {
	cfg, found, err := config.Load(appDir)
	if err != nil {
		return nil, err
	}
	if found {
		return &Loaded{Config: cfg, Source: config.FileName}, nil
	}
	data, err := appfs.ReadFile(appDir, config.StaticJSONName, config.MaxFileSize)
	if errors.Is(err, fs.ErrNotExist) {
		return &Loaded{Config: cfg}, nil
	}
	if err != nil {
		return nil, err
	}
	cfg, notes, err := ParseStaticJSON(config.StaticJSONName, data)
	if err != nil {
		return nil, err
	}
	cfg.SetFile(config.StaticJSONName)
	return &Loaded{Config: cfg, Source: config.StaticJSONName, Notes: notes, Migrated: EncodeTOML(cfg, notes)}, nil
}
