package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/hardstatic/buildpack/internal/config"
	"github.com/hardstatic/buildpack/internal/migrate"
)

// migrateCmd converts a heroku-buildpack-static static.json into static.toml.
func migrateCmd() *cobra.Command {
	var output string
	var force bool
	cmd := &cobra.Command{
		Use:   "migrate [static.json]",
		Short: "Print the static.toml equivalent of a heroku-buildpack-static static.json",
		Long: `migrate reads a static.json written for Heroku's heroku-buildpack-static (default:
./static.json) and prints the equivalent static.toml. Behaviour that differs between the two
buildpacks is listed as comments at the top of the output: review them before deploying.`,
		Example: "  static-server migrate > static.toml\n  static-server migrate site/static.json -o site/static.toml",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageError{fmt.Errorf("migrate takes one static.json, got %d arguments (pass one path, or none for ./static.json)", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			input := config.StaticJSONName
			if len(args) == 1 {
				input = args[0]
			}
			toml, notes, err := convertFile(input)
			if err != nil {
				return err
			}
			if output == "" {
				_, err := cmd.OutOrStdout().Write(toml)
				return err
			}
			if err := writeOutput(output, toml, force); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s from %s: review the %d notes at its top; static.toml takes precedence over static.json, so delete %s once you are done\n",
				output, input, len(notes), input)
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

// convertFile reads and converts one static.json, and checks that the result is
// a static.toml that Parse accepts.
func convertFile(input string) ([]byte, []string, error) {
	data, err := os.ReadFile(input) //nolint:gosec // the user names the file to convert
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, usageError{fmt.Errorf("%s does not exist (run migrate in the app directory, or pass the path: static-server migrate path/to/static.json)", input)}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", input, err)
	}
	cfg, notes, err := migrate.ParseStaticJSON(filepath.Base(input), data)
	if err != nil {
		return nil, nil, err
	}
	out := migrate.EncodeTOML(cfg, notes)
	if _, err := config.Parse(config.FileName, out); err != nil {
		return nil, nil, fmt.Errorf("the converted static.toml is not valid, a bug in migrate: %w (fix the output by hand, and please report it)", err)
	}
	return out, notes, nil
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
