// Package version carries the buildpack's version, set at link time by the
// Makefile from buildpack.toml.
package version

// Version of the buildpack and its server.
var Version = "dev"
