package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ecoscan/ecoscan/internal/service/auth"
	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// newAdmin holds what is done on the database directly, before anyone can
// sign in: the first platform user and its API token.
func newAdmin(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Set up the service: the first platform user and its API token",
	}
	var (
		sf            serviceFlags
		email, name   string
		passwordStdin bool
		tokenName     string
		privileged    bool
	)
	bootstrap := &cobra.Command{
		Use:   "bootstrap",
		Short: "Create a platform user (the marketplace security role) and print an API token for it",
		Long: `Create a user with the platform role, which sees every organization and
creates them, and print a new API token for it (shown once). With
--password-stdin the first line of standard input becomes the user's
dashboard password (at least 12 characters). If the user exists already it
gets a new token and keeps its password.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			email = strings.TrimSpace(email)
			if email == "" {
				return errors.New("--email is required")
			}
			var hash string
			if passwordStdin {
				line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
				if err != nil && !errors.Is(err, io.EOF) {
					return err
				}
				if hash, err = auth.HashPassword(strings.TrimRight(line, "\r\n")); err != nil {
					return err
				}
			}
			st, err := sf.openStore(ctx, privileged)
			if err != nil {
				return err
			}
			defer st.Close()
			u, err := st.UserByEmail(ctx, email)
			switch {
			case errors.Is(err, platform.ErrNotFound):
				u, err = st.CreateUser(ctx, platform.User{Email: email, Name: name, Platform: true, PasswordHash: hash})
				if err != nil {
					return err
				}
			case err != nil:
				return err
			case !u.Platform:
				return fmt.Errorf("%s exists and is not a platform user", email)
			}
			plain, prefix, tokenHash := auth.NewToken()
			if _, err := st.CreateToken(ctx, platform.Token{User: u.ID, Name: tokenName, Prefix: prefix, Hash: tokenHash, CreatedAt: time.Now().UTC()}); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "platform user %s (id %d)\nAPI token (shown once): %s\n", u.Email, u.ID, plain)
			return nil
		},
	}
	sf.register(bootstrap)
	f := bootstrap.Flags()
	f.StringVar(&email, "email", "", "the user's email address")
	f.StringVar(&name, "name", "", "the user's name")
	f.BoolVar(&passwordStdin, "password-stdin", false, "read the dashboard password from the first line of standard input")
	f.StringVar(&tokenName, "token-name", "bootstrap", "a name for the token")
	f.BoolVar(&privileged, "allow-privileged-db-role", false, "accept a PostgreSQL role that bypasses row-level security")
	cmd.AddCommand(bootstrap)
	return cmd
}
