package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hardstatic/buildpack/internal/appfs"
	"github.com/hardstatic/buildpack/internal/config"
	"github.com/hardstatic/buildpack/internal/migrate"
)

// migrateCmd converts the configuration of another static host into
// static.toml.
func migrateCmd() *cobra.Command {
	var output string
	var force bool
	cmd := &cobra.Command{
		Use:   "migrate [FILE|DIR]",
		Short: "Print the static.toml equivalent of another host's configuration (Heroku, Netlify, Cloudflare Pages, Vercel, Firebase)",
		Long: `migrate reads a configuration file of another static host and prints the equivalent
static.toml: Heroku's static.json, Netlify's netlify.toml, Netlify's and Cloudflare Pages'
_redirects and _headers, Vercel's vercel.json or Firebase's firebase.json. The format is told
by the file's name (or, for another name, its content). Given a directory (default: the current
one), it migrates the one configuration file there and checks the _redirects and _headers files
of the site root, which the build reads as they are.

Every behaviour that differs, and every rule that could not be mapped (NOT MIGRATED), is listed
as a comment at the top of the output: review them before deploying.`,
		Example: "  static-server migrate > static.toml\n  static-server migrate netlify.toml -o static.toml\n  static-server migrate public/_redirects",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageError{fmt.Errorf("migrate takes one file or directory, got %d arguments (pass one path, or none for the current directory)", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			input := "."
			if len(args) == 1 {
				input = args[0]
			}
			res, err := convertPath(input)
			if err != nil {
				return err
			}
			if res.refused > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "%d settings or rules of %s could not be migrated: see the NOT MIGRATED notes at the top of the output\n", res.refused, res.source)
			}
			if output == "" {
				_, err := cmd.OutOrStdout().Write(res.toml)
				return err
			}
			if err := writeOutput(output, res.toml, force); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s from %s: review the %d notes at its top; %s\n", output, res.source, res.notes, afterward(res.source))
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "write the static.toml to `FILE` instead of stdout")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite the -o FILE if it exists")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%w (see static-server migrate --help)", err)}
	})
	return cmd
}

// converted is what migrate prints, and what it says about it.
type converted struct {
	toml    []byte
	source  string // the file migrated
	notes   int
	refused int
}

// siteFiles are the files that configure a whole site, which a directory
// may hold one of.
var siteFiles = []string{config.StaticJSONName, migrate.NetlifyTOML, migrate.VercelJSON, migrate.FirebaseJSON}

// convertPath converts a file, or the configuration of a directory, and
// checks that the result is a static.toml that Parse accepts.
func convertPath(input string) (*converted, error) {
	info, err := os.Stat(input)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, usageError{fmt.Errorf("%s does not exist (run migrate in the app directory, or pass the path: static-server migrate path/to/netlify.toml)", input)}
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", input, err)
	}
	var imp *migrate.Imported
	var source string
	var extra []string
	if info.IsDir() {
		imp, source, extra, err = convertDir(input)
	} else {
		source = input
		imp, err = convertFile(input)
		if base := filepath.Base(input); err == nil && (base == migrate.RedirectsFile || base == migrate.HeadersFile) {
			extra = []string{fmt.Sprintf("The build reads %s from the top of the site root by itself: keep it there and do not commit these rules to static.toml too, or delete it once you do (its rules would apply twice).", base)}
		}
	}
	if err != nil {
		return nil, err
	}
	notes := append(imp.AllNotes(), extra...)
	if filepath.Base(source) != config.StaticJSONName { // the static.json notes say it already
		notes = append([]string{hardenedNote}, notes...)
	}
	out := migrate.EncodeTOML(imp.Config, notes)
	if _, err := config.Parse(config.FileName, out); err != nil {
		return nil, fmt.Errorf("the converted static.toml is not valid, a bug in migrate: %w (fix the output by hand, and please report it)", err)
	}
	refused := 0
	for _, n := range notes {
		if strings.HasPrefix(n, "NOT MIGRATED") {
			refused++
		}
	}
	return &converted{toml: out, source: source, notes: len(notes), refused: refused}, nil
}

// afterward says what to do with the migrated file once static.toml is
// written.
func afterward(source string) string {
	base := filepath.Base(source)
	switch base {
	case config.StaticJSONName:
		return fmt.Sprintf("static.toml takes precedence over %s, so delete %s once you are done", base, source)
	case migrate.RedirectsFile, migrate.HeadersFile:
		return fmt.Sprintf("the build also reads %s from the site root, so delete %s once you are done, or its rules apply twice", base, source)
	case migrate.NetlifyTOML, migrate.VercelJSON, migrate.FirebaseJSON:
		return fmt.Sprintf("this buildpack does not read %s: keep it only for the other platform", base)
	}
	return "the site root's _redirects and _headers stay: the build reads them"
}

// hardenedNote is the first difference for a site from any other host.
const hardenedNote = "Every response carries hardened security headers: HSTS, X-Frame-Options: DENY, nosniff, Referrer-Policy, CORP/COOP, Permissions-Policy and a strict Content-Security-Policy that blocks anything not loaded from the site itself (inline scripts and styles get hashes); allow more sources under [csp], e.g. script-src = [\"https://cdn.example.com\"]. Dotfiles and the configuration files of every host (static.toml, _redirects, _headers, netlify.toml, vercel.json, firebase.json) are never served."

// convertFile reads one file, bounded as the build reads configuration,
// and converts it in the format its name or content says.
func convertFile(input string) (*migrate.Imported, error) {
	data, err := appfs.ReadFile(filepath.Dir(input), filepath.Base(input), config.MaxFileSize)
	if err != nil {
		return nil, err
	}
	format := migrate.Detect(input, data)
	if format == "" {
		names := make([]string, len(migrate.Formats))
		for i, f := range migrate.Formats {
			names[i] = f.Name
		}
		return nil, usageError{fmt.Errorf("%s: cannot tell its format (migrate reads %s; name the file as its platform does)", input, strings.Join(names, ", "))}
	}
	return migrate.Convert(format, filepath.Base(input), data)
}

// convertDir converts the one site configuration file of dir and checks
// the _redirects and _headers files of its site root, whose notes and
// refusals it adds (their rules stay in them: the build reads them).
func convertDir(dir string) (*migrate.Imported, string, []string, error) {
	var found []string
	for _, name := range siteFiles {
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			found = append(found, name)
		}
	}
	if _, err := os.Lstat(filepath.Join(dir, config.FileName)); err == nil && len(found) == 0 {
		return nil, "", nil, usageError{fmt.Errorf("%s already has a %s and nothing to migrate (check it with: static-server check %s)", dir, config.FileName, dir)}
	}
	if len(found) > 1 {
		return nil, "", nil, usageError{fmt.Errorf("%s holds %s: pass the one to migrate (static-server migrate %s)", dir, strings.Join(found, " and "), filepath.Join(dir, found[0]))}
	}
	imp := &migrate.Imported{Config: config.Default()}
	source := dir
	if len(found) == 1 {
		source = filepath.Join(dir, found[0])
		var err error
		if imp, err = convertFile(source); err != nil {
			return nil, "", nil, err
		}
	}
	root, ok := config.FindRoot(dir, imp.Config.Root, config.FileName)
	var extra []string
	if ok {
		abs := filepath.Join(dir, filepath.FromSlash(root.Rel))
		for _, name := range migrate.RootFiles {
			file := filepath.Join(abs, name)
			if _, err := os.Lstat(file); err != nil {
				continue
			}
			part, err := convertFile(file)
			if err != nil {
				return nil, "", nil, err
			}
			extra = append(extra, fmt.Sprintf("%s stays as it is: the build reads it from the site root (%d redirects, %d rewrites, %d proxies, %d header rules); its notes follow.",
				file, len(part.Config.Redirects), len(part.Config.Rewrites), len(part.Config.Proxies), len(part.Config.HeaderRules)))
			extra = append(extra, part.AllNotes()...)
		}
	}
	if len(found) == 0 && len(extra) == 0 {
		return nil, "", nil, usageError{fmt.Errorf("%s holds nothing to migrate (looked for %s, and _redirects and _headers in the site root)", dir, strings.Join(siteFiles, ", "))}
	}
	return imp, source, extra, nil
}

// writeOutput writes data to file. An existing file is replaced only with
// force, and then atomically.
func writeOutput(file string, data []byte, force bool) error {
	if !force {
		f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644) //nolint:gosec // the user names the output
		if errors.Is(err, fs.ErrExist) {
			return usageError{fmt.Errorf("%s already exists (pass --force to overwrite it, or -o another file)", file)}
		}
		if err != nil {
			return fmt.Errorf("writing %s: %w", file, err)
		}
		if _, err := f.Write(data); err != nil {
			_ = f.Close()
			return fmt.Errorf("writing %s: %w", file, err)
		}
		return f.Close()
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".static.toml-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", file, err)
	}
	defer os.Remove(tmp.Name()) //nolint:errcheck // gone after the rename
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("writing %s: %w", file, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("writing %s: %w", file, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", file, err)
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return fmt.Errorf("writing %s: %w", file, err)
	}
	return nil
}
