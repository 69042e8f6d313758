package config

import (
	"errors"
	"io/fs"

	"github.com/hardstatic/buildpack/internal/appfs"
)

// StaticJSONName is Heroku's configuration file, read when an app has no
// static.toml.
const StaticJSONName = "static.json"

// Loaded is an application's configuration and where it came from.
type Loaded struct {
	Config *Config
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
	cfg, found, err := Load(appDir)
	if err != nil {
		return nil, err
	}
	if found {
		return &Loaded{Config: cfg, Source: FileName}, nil
	}
	data, err := appfs.ReadFile(appDir, StaticJSONName, MaxFileSize)
	if errors.Is(err, fs.ErrNotExist) {
		return &Loaded{Config: cfg}, nil
	}
	if err != nil {
		return nil, err
	}
	cfg, notes, err := ParseStaticJSON(StaticJSONName, data)
	if err != nil {
		return nil, err
	}
	cfg.file = StaticJSONName
	return &Loaded{Config: cfg, Source: StaticJSONName, Notes: notes, Migrated: EncodeTOML(cfg, notes)}, nil
}
