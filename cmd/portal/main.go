// Command portal is the Provider Portal: one binary that serves the sign-in
// portal with 2-Step Verification and administers it from the command line.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
)

const usage = `Usage: portal COMMAND [flags]

Commands:
  serve [--demo]                       run the portal (default: embedded SQLite at ./portal.db)
  migrate                              apply schema migrations and exit
  backup FILE                          copy the SQLite database to FILE while the portal serves
  center create NAME                   create a center; prints its id
  center list                          list centers
  center set NAME --two-step-available=true|false
  center set NAME --two-step-required=true|false
  user create --center NAME --username U --email E --role provider|admin   (password on stdin)
  user create --staff --username U --email E                               (account manager)
  user invite --center NAME --username U --email E --role provider|admin   (they choose their password)
  user reset-two-step USERNAME
  user list --center NAME
  app create --name NAME --redirect-uri URI [--redirect-uri URI…] [--public]
             [--centers A,B] [--roles provider,admin,staff] [--require-two-step=true|false]
                                       register an OpenID Connect client; prints client_id
                                       and, unless --public, client_secret (once)
  app create --name NAME --forward-auth-host HOST [--centers …] [--roles …] [--require-two-step=…]
                                       protect a host behind a reverse proxy (forward auth)
  app list                             list apps
  app delete NAME                      remove an app and revoke its tokens
  keys rotate                          new signing key for ID tokens (the old one stays published)

Every command takes --database (PORTAL_DATABASE) and the other settings of
"portal serve --help".
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// env is what a command may touch of the outside world.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

// run executes one command and returns the exit code. Errors are one line on stderr.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = e.serve(ctx, args[1:])
	case "migrate":
		err = e.migrate(ctx, args[1:])
	case "backup":
		err = e.backup(ctx, args[1:])
	case "center":
		err = e.center(ctx, args[1:])
	case "user":
		err = e.user(ctx, args[1:])
	case "app":
		err = e.app(ctx, args[1:])
	case "keys":
		err = e.keys(ctx, args[1:])
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		err = usageError("unknown command %q", args[0])
	}
	if err == nil {
		return 0
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintf(stderr, "portal: %s\n", oneLine(err.Error()))
	var ue *usageErr
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

// oneLine joins a multi-line error message into one line, dropping repeated
// lines (the PostgreSQL driver reports each address it tried, often the same).
func oneLine(msg string) string {
	var parts []string
	for _, l := range strings.Split(msg, "\n") {
		if l = strings.TrimSpace(l); l != "" && !slices.Contains(parts, l) {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, " ")
}

// usageErr is a mistake in how a command was called.
type usageErr struct{ msg string }

func (u *usageErr) Error() string { return u.msg + " (see: portal help)" }

func usageError(format string, args ...any) error {
	return &usageErr{msg: fmt.Sprintf(format, args...)}
}
