package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ecoscan/ecoscan/internal/service/auth"
	"github.com/ecoscan/ecoscan/internal/service/platform"
	"github.com/ecoscan/ecoscan/internal/service/store"
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
				var err error
				if hash, err = readPassword(cmd.InOrStdin()); err != nil {
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
			plain, err := newUserToken(ctx, st, u, tokenName)
			if err != nil {
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
	cmd.AddCommand(bootstrap, newAdminPassword(), newAdminToken(stdout))
	return cmd
}

// newAdminPassword sets a user's dashboard password: how an operator
// onboards a vendor's first admin, who then manages their organization's
// members and tokens in the dashboard.
func newAdminPassword() *cobra.Command {
	var (
		sf         serviceFlags
		email      string
		privileged bool
	)
	cmd := &cobra.Command{
		Use:   "password",
		Short: "Set a user's dashboard password, read from the first line of standard input",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			hash, err := readPassword(cmd.InOrStdin())
			if err != nil {
				return err
			}
			st, err := sf.openStore(cmd.Context(), privileged)
			if err != nil {
				return err
			}
			defer st.Close()
			u, err := st.UserByEmail(cmd.Context(), email)
			if err != nil {
				return err
			}
			return st.SetPassword(cmd.Context(), u.ID, hash)
		},
	}
	sf.register(cmd)
	cmd.Flags().StringVar(&email, "email", "", "the user's email address (the user exists: an organization's admin_email, or a member)")
	cmd.Flags().BoolVar(&privileged, "allow-privileged-db-role", false, "accept a PostgreSQL role that bypasses row-level security")
	_ = cmd.MarkFlagRequired("email")
	return cmd
}

// newAdminToken prints a new API token for an existing user.
func newAdminToken(stdout io.Writer) *cobra.Command {
	var (
		sf          serviceFlags
		email, name string
		privileged  bool
	)
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Print a new API token for an existing user (shown once)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := sf.openStore(cmd.Context(), privileged)
			if err != nil {
				return err
			}
			defer st.Close()
			u, err := st.UserByEmail(cmd.Context(), email)
			if err != nil {
				return err
			}
			plain, err := newUserToken(cmd.Context(), st, u, name)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "API token of %s (shown once): %s\n", u.Email, plain)
			return nil
		},
	}
	sf.register(cmd)
	cmd.Flags().StringVar(&email, "email", "", "the user's email address")
	cmd.Flags().StringVar(&name, "name", "admin", "a name for the token")
	cmd.Flags().BoolVar(&privileged, "allow-privileged-db-role", false, "accept a PostgreSQL role that bypasses row-level security")
	_ = cmd.MarkFlagRequired("email")
	return cmd
}

// readPassword reads a password from the first line of r and hashes it.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return auth.HashPassword(strings.TrimRight(line, "\r\n"))
}

// newUserToken stores a new API token of the user and returns it.
func newUserToken(ctx context.Context, st *store.Store, u platform.User, name string) (string, error) {
	plain, prefix, hash := auth.NewToken()
	_, err := st.CreateToken(ctx, platform.Token{User: u.ID, Name: name, Prefix: prefix, Hash: hash, CreatedAt: time.Now().UTC()})
	return plain, err
}
