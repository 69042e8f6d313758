package main

import (
	"bufio"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/crypto/bcrypt"

	"github.com/hardstatic/buildpack/internal/basicauth"
)

func hashPasswordCmd() *cobra.Command {
	var user string
	return &cobra.Command{
		Use:   "hash-password [USER]",
		Short: "Print a user:bcrypt-hash entry for BASIC_AUTH_USERS (reads the password from stdin)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				user = args[0]
			}
			line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
			if err != nil && line == "" {
				return usageError{errors.New("no password on standard input; try: echo 'secret' | static-server hash-password alice")}
			}
			pw := strings.TrimRight(line, "\r\n")
			if pw == "" {
				return usageError{errors.New("the password is empty")}
			}
			// The highest cost the server accepts: the slowest to crack.
			hash, err := bcrypt.GenerateFromPassword([]byte(pw), basicauth.MaxCost)
			if err != nil {
				return err
			}
			if user != "" {
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s:%s\n", user, hash)
			} else {
				_, err = fmt.Fprintln(cmd.OutOrStdout(), string(hash))
			}
			return err
		},
	}
}
